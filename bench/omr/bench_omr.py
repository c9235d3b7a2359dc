"""OMR accuracy benchmark: corpus tunes engraved by verovio (several fonts) and LilyPond.

    .venv/bin/python bench/omr/bench_omr.py --tunes 20 --engravers leipzig,bravura
    .venv/bin/python bench/omr/bench_omr.py --tunes 200 --engravers all --robust

Per engraver: pitch accuracy and pitch+duration accuracy (1 - edit distance / notes,
pooled over all notes and as a median per tune), time per page (median) and its
ratio to a same-process baseline (binarising the page). The robustness set re-reads
the same pages rotated 1.5 degrees, with speckle noise, and at 150 dpi.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from harptab_nb.omr import groundtruth as gt  # noqa: E402


def _variants(gray: np.ndarray, which: str) -> np.ndarray:
    import numpy as np
    from PIL import Image

    if which == "clean":
        return gray
    if which == "rotated":
        im = Image.fromarray(gray)
        return np.asarray(im.rotate(1.5, resample=Image.BILINEAR, expand=True, fillcolor=255))
    if which == "speckle":
        rng = np.random.default_rng(7)
        g = gray.copy()
        m = rng.random(g.shape)
        g[m < 0.002] = 0
        g[m > 0.998] = 255
        return g
    if which == "150dpi":
        im = Image.fromarray(gray)
        return np.asarray(im.resize((gray.shape[1] // 2, gray.shape[0] // 2), Image.LANCZOS))
    raise ValueError(which)


def _render(xml: str, engraver: str) -> list[np.ndarray]:
    if engraver == "lilypond":
        return gt.render_lilypond(xml)
    return gt.render_verovio(xml, font=engraver.capitalize() if engraver != "leland" else "Leland")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tunes", type=int, default=20, help="tunes per collection mix (default 20)")
    ap.add_argument("--collections", default="airds,oneills,essen")
    ap.add_argument("--engravers", default="leipzig,bravura,petaluma,lilypond")
    ap.add_argument("--robust", action="store_true", help="also the robustness set")
    ap.add_argument(
        "--robust-engravers",
        default="leipzig",
        help="engravers the robustness set is read with (default leipzig; 'all')",
    )
    ap.add_argument("--json", help="write per-tune results here")
    ap.add_argument("--show", type=int, default=0, help="print the N worst tunes")
    args = ap.parse_args(argv)

    from music21 import converter

    from harptab_nb.omr import recognize_pages
    from harptab_nb.omr.staff import binarize

    engravers = args.engravers.split(",")
    if "all" in engravers:
        engravers = ["leipzig", "bravura", "petaluma", "leland", "lilypond"]
    if "lilypond" in engravers and not gt.lilypond_available():
        print("lilypond not installed: skipped (apt-get install lilypond)")
        engravers.remove("lilypond")
    variants = ["clean"] + (["rotated", "speckle", "150dpi"] if args.robust else [])
    cols = args.collections.split(",")
    per = max(1, args.tunes // len(cols))
    tunes = []
    for c in cols:
        tunes.extend(gt.corpus_tunes(c, limit=per))
    results = []
    for name, score in tunes:
        xml = gt.to_musicxml(score)
        truth = gt.events(converter.parseData(xml, format="musicxml"))
        for eng in engravers:
            try:
                pages = _render(xml, eng)
            except Exception as exc:  # noqa: BLE001
                print(f"{name} {eng}: render failed: {exc}")
                continue
            robust_ok = args.robust_engravers == "all" or eng in args.robust_engravers.split(",")
            for var in variants:
                if var != "clean" and not robust_ok:
                    continue
                grays = [_variants(p, var) for p in pages]
                t0 = time.perf_counter()
                for g in grays:
                    binarize(g)
                base = (time.perf_counter() - t0) / len(grays)
                t0 = time.perf_counter()
                try:
                    s, warns, _pr = recognize_pages(grays)
                    found = gt.events(s)
                    err = ""
                except Exception as exc:  # noqa: BLE001 - reported, counted as 0
                    found, warns, err = [], [], f"{type(exc).__name__}: {exc}"
                    if var == "clean":
                        traceback.print_exc()
                dt = (time.perf_counter() - t0) / len(grays)
                pa, pda = gt.accuracy(truth, found)
                n = len(truth)
                results.append(
                    dict(tune=name, engraver=eng, variant=var, notes=n, pages=len(grays),
                         pitch=pa, both=pda, sec_page=dt, base_page=base,
                         warnings=len(warns), error=err,
                         pitch_err=round((1 - pa) * n), both_err=round((1 - pda) * n))
                )
    print(f"{len(tunes)} tunes ({', '.join(cols)}), engravers: {', '.join(engravers)}")
    hdr = f"{'engraver':10} {'variant':8} {'tunes':>5} {'notes':>6} {'pitch%':>7} {'p+dur%':>7} {'med p%':>7} {'med pd%':>8} {'s/page':>7} {'ratio':>6} {'fails':>5}"
    print(hdr)
    for eng in engravers:
        for var in variants:
            rs = [r for r in results if r["engraver"] == eng and r["variant"] == var]
            if not rs:
                continue
            notes = sum(r["notes"] for r in rs)
            pe = sum(r["pitch_err"] for r in rs)
            be = sum(r["both_err"] for r in rs)
            spp = statistics.median(r["sec_page"] for r in rs)
            ratio = statistics.median(r["sec_page"] / max(r["base_page"], 1e-9) for r in rs)
            fails = sum(1 for r in rs if r["error"])
            print(
                f"{eng:10} {var:8} {len(rs):5d} {notes:6d} {100 * (1 - pe / notes):7.2f} "
                f"{100 * (1 - be / notes):7.2f} {100 * statistics.median(r['pitch'] for r in rs):7.2f} "
                f"{100 * statistics.median(r['both'] for r in rs):8.2f} {spp:7.3f} {ratio:6.1f} {fails:5d}"
            )
    if args.show:
        worst = sorted((r for r in results if r["variant"] == "clean"), key=lambda r: r["both"])
        for r in worst[: args.show]:
            print(f"  {r['tune']:28} {r['engraver']:9} pitch {r['pitch']:.3f} p+d {r['both']:.3f} {r['error']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
