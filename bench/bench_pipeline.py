"""Benchmark the tracker and the whole pipeline.

Prints medians, the floors from issue 3 and, for each figure, a ratio against a
baseline measured in the same process (so numbers stay comparable on a loaded machine):

- tracker updates per second, without and with one subscriber
  (baseline: the same number of plain ``dict`` updates under a ``threading.Lock``);
  floor: 100,000 updates/s without subscribers;
- ``import harptab_nb`` in a fresh interpreter (baseline: ``python -c pass``);
  floor: under 0.3 s;
- a one-page tune, MusicXML to PDF, warm process, through ``convert``
  (baseline: music21 parsing the same file alone); floor: under 1 s.

Run: ``.venv/bin/python bench/bench_pipeline.py [--repeat N] [--check]``; ``--check``
exits 1 when a floor is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TUNE = ROOT / "harptab_nb" / "data" / "aloha_oe.musicxml"
N_UPDATES = 100_000
FLOOR_UPDATES = 100_000.0
FLOOR_IMPORT = 0.3
FLOOR_E2E = 1.0


def _median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_tracker(repeat: int) -> dict[str, float]:
    from harptab_nb.tracker import ProgressTracker

    def baseline() -> None:
        lock = threading.Lock()
        d = {"progress": 0, "message": ""}
        for i in range(N_UPDATES):
            with lock:
                d["progress"] = i % 101
                d["message"] = i

    def updates(subscribed: bool) -> None:
        t = ProgressTracker("bench")
        if subscribed:
            seen = []
            t.subscribe(seen.append)
        up = t.update_substep_progress
        for i in range(N_UPDATES):
            up("ocr", "ocr_process", i % 101, None)

    base = N_UPDATES / _median_time(baseline, repeat)
    plain = N_UPDATES / _median_time(lambda: updates(False), repeat)
    sub = N_UPDATES / _median_time(lambda: updates(True), repeat)
    return {"baseline": base, "plain": plain, "subscribed": sub}


def bench_import(repeat: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run(code: str) -> float:
        def once() -> None:
            subprocess.run([sys.executable, "-c", code], check=True, env=env)
        once()  # warm the OS file cache
        return _median_time(once, repeat)

    base = run("pass")
    full = run("import harptab_nb")
    return {"baseline": base, "import": full, "net": max(0.0, full - base)}


def bench_e2e(repeat: int) -> dict[str, float]:
    from music21 import converter

    from harptab_nb.pipeline.runner import convert

    with tempfile.TemporaryDirectory() as tmp:
        def run() -> Path:
            res = convert(str(TUNE), output_dir=tmp, record_history=False)
            assert res.status == "completed"
            return res.pdf

        def parse() -> None:
            converter.parseFile(TUNE, forceSource=True, storePickle=False)

        pdf = run()  # warm: imports, fonts, verovio
        pages = _pages(pdf)
        parse()
        e2e = _median_time(run, repeat)
        base = _median_time(parse, repeat)
    return {"baseline": base, "e2e": e2e, "pages": pages}


def _pages(pdf: Path) -> int:
    """Pages of the PDF the benchmark wrote (the floor is for a one-page tune)."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        return len(doc)
    finally:
        doc.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="runs per measure (median)")
    ap.add_argument("--check", action="store_true", help="exit 1 if a floor is missed")
    args = ap.parse_args(argv)
    ok = True

    tr = bench_tracker(args.repeat)
    print(f"tracker updates/s   median {tr['plain']:>12,.0f}  (floor {FLOOR_UPDATES:,.0f})"
          f"  ratio to locked-dict baseline {tr['plain'] / tr['baseline']:.2f}"
          f"  [baseline {tr['baseline']:,.0f}/s]")
    print(f"  with 1 subscriber median {tr['subscribed']:>12,.0f}"
          f"  ratio to locked-dict baseline {tr['subscribed'] / tr['baseline']:.2f}"
          f"  ({tr['subscribed'] / tr['plain']:.2f} x without)")
    ok &= tr["plain"] >= FLOOR_UPDATES

    im = bench_import(args.repeat)
    print(f"import harptab_nb    median {im['import']:.3f} s  (floor {FLOOR_IMPORT} s)"
          f"  ratio to 'python -c pass' {im['import'] / im['baseline']:.2f}"
          f"  [baseline {im['baseline']:.3f} s, net {im['net']:.3f} s]")
    ok &= im["import"] < FLOOR_IMPORT

    e2e = bench_e2e(args.repeat)
    print(f"one-page tune->PDF   median {e2e['e2e']:.3f} s  (floor {FLOOR_E2E} s, warm,"
          f" {TUNE.name}: {e2e['pages']:.0f} page{'s' if e2e['pages'] != 1 else ''})"
          f"  ratio to music21 parse alone {e2e['e2e'] / e2e['baseline']:.2f}"
          f"  [baseline {e2e['baseline']:.3f} s]")
    ok &= e2e["e2e"] < FLOOR_E2E and e2e["pages"] == 1

    print("floors:", "all met" if ok else "MISSED")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
