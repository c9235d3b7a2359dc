"""Benchmark of the ``pdf`` step and of songbooks (issue 5).

Prints medians (warm process), the floors of issue 5 and, for each figure, a ratio
against a baseline measured in the same process (so numbers stay comparable on a
loaded machine):

- **one-page tune**: ``pipeline.pdf.write_outputs`` (engraved PDF + .txt + .json) of a
  real tune already tabbed; baseline: music21 exporting the same tune's score to
  MusicXML (a task of the same kind every music21 user knows). Floor: under 0.5 s.
- **20-tune songbook**: ``publish.songbook.write_songbook`` from 20 corpus tunes
  (reading, tabbing, engraving, laying out, contents page); baseline: music21 parsing
  the same 20 tunes from source (no parse cache). Floor: under 8 s. The render-only
  time (tunes already tabbed) is printed too.

It also writes ``docs/images/pdf_page1.png``: page 1 of a real tune's PDF (for the
README). Run: ``.venv/bin/python bench/bench_pdf.py [--repeat N] [--check] [--no-png]``;
``--check`` exits 1 when a floor is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ONE_PAGE = "corpus:airdsAirs/book1.abc#4"
BOOK = [f"corpus:airdsAirs/book1.abc#{n}" for n in range(4, 24)]
PNG_TUNE = ROOT / "harptab_nb" / "data" / "aloha_oe.musicxml"
PNG_PATH = ROOT / "docs" / "images" / "pdf_page1.png"
FLOOR_ONE_PAGE = 0.5
FLOOR_BOOK = 8.0


CPU: dict[str, float] = {}


def _median(fn, repeat: int, label: str | None = None) -> float:
    """Median wall time of ``fn``; the median CPU time of this process goes to CPU."""
    times, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    if label:
        CPU[label] = statistics.median(cpu)
    return statistics.median(times)


def _tab(source: str):
    from harptab_nb.pipeline.analysis import analyze
    from harptab_nb.pipeline.mapping_load import load_mapping
    from harptab_nb.pipeline.melody import extract_melody
    from harptab_nb.pipeline.ocr import read_score
    from harptab_nb.pipeline.tablature import make_tablature
    from harptab_nb.pipeline.transpose import choose_transposition

    score = read_score(source)
    mel = extract_melody(score)
    report = choose_transposition(mel, load_mapping("diatonic", key="C"),
                                  song_key=analyze(mel, score=score.score).song_key)
    return make_tablature(report), report.melody, score


def bench_one_page(repeat: int, out: Path) -> dict:
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    from harptab_nb.pipeline.pdf import write_outputs

    tab, mel, score = _tab(ONE_PAGE)
    run = lambda: write_outputs(tab, output_dir=out, melody=mel)  # noqa: E731
    files = run()  # warm-up: fonts, verovio resources, imports
    GeneralObjectExporter(score.score).parse()
    t = _median(run, repeat, "one")
    base = _median(lambda: GeneralObjectExporter(score.score).parse(), repeat)
    from pypdfium2 import PdfDocument

    pages = len(PdfDocument(files.pdf))
    return {"time": t, "baseline": base, "pages": pages, "notes": len(tab.tokens)}


def bench_book(repeat: int, out: Path) -> dict:
    from music21 import converter

    from harptab_nb.pipeline.ocr import _corpus_path
    from harptab_nb.publish.songbook import make_entries, render_songbook, write_songbook

    run = lambda: write_songbook(BOOK, output_dir=out, title="Aird's Airs")  # noqa: E731
    path = run()  # warm-up
    t = _median(run, repeat, "book")
    entries = make_entries(BOOK)
    render = _median(lambda: render_songbook(entries, title="Aird's Airs"), repeat)
    files = []
    for src in BOOK:
        name, _, num = src.removeprefix("corpus:").partition("#")
        files.append((_corpus_path(name, int(num))[0], int(num)))

    def baseline() -> None:
        for f, num in files:
            converter.parse(f, number=num, forceSource=True)

    base = _median(baseline, repeat)
    from pypdfium2 import PdfDocument

    pages = len(PdfDocument(path))
    return {"time": t, "render": render, "baseline": base, "pages": pages}


def write_png(path: Path = PNG_PATH, scale: float = 1.4) -> Path:
    """Page 1 of a real tune's PDF as a small palette PNG (top part, for the README)."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageOps

    from harptab_nb.publish.pdf_layout import render_pdf

    tab, mel, _ = _tab(str(PNG_TUNE))
    pdf = pdfium.PdfDocument(render_pdf(tab, melody=mel))
    img = pdf[0].render(scale=scale).to_pil().convert("RGB")
    pdf.close()
    body = img.crop((0, 0, img.width, img.height - int(40 * scale)))  # above the footer
    box = ImageOps.invert(body.convert("L")).getbbox()  # trim the white page border
    if box:
        pad = int(16 * scale)
        img = img.crop((max(0, box[0] - pad), max(0, box[1] - pad),
                        min(img.width, box[2] + pad), min(img.height, box[3] + pad)))
    img = img.quantize(colors=128, method=Image.Quantize.FASTOCTREE)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, optimize=True)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    ap.add_argument("--check", action="store_true", help="exit 1 when a floor is missed")
    ap.add_argument("--no-png", action="store_true", help="do not write the README image")
    args = ap.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        one = bench_one_page(args.repeat, Path(tmp) / "one")
        print(f"one-page tune ({one['notes']} notes, {one['pages']} page): "
              f"{one['time'] * 1000:.0f} ms median, CPU {CPU['one'] * 1000:.0f} ms "
              f"(floor {FLOOR_ONE_PAGE * 1000:.0f} ms); "
              f"baseline music21 MusicXML export {one['baseline'] * 1000:.0f} ms; "
              f"ratio {one['time'] / one['baseline']:.1f}x")
        ok &= one["time"] < FLOOR_ONE_PAGE
        book = bench_book(max(1, min(args.repeat, 3)), Path(tmp) / "book")
        print(f"20-tune songbook ({book['pages']} pages): {book['time']:.2f} s median, "
              f"CPU {CPU['book']:.2f} s (floor {FLOOR_BOOK:.0f} s), "
              f"layout+engraving alone (tunes already tabbed) {book['render']:.2f} s; "
              f"baseline music21 parsing the 20 tunes {book['baseline']:.2f} s; "
              f"ratio {book['time'] / book['baseline']:.1f}x")
        ok &= book["time"] < FLOOR_BOOK
    if not args.no_png:
        p = write_png()
        print(f"wrote {p.relative_to(ROOT)} ({p.stat().st_size // 1024} KiB)")
    import os

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs (wall times above include "
          "waiting for the CPU; CPU times do not)")
    print("floors met" if ok else "FLOOR MISSED")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
