"""Benchmark of the tablature engine over >= 1,000 real tunes from music21's corpus.

    .venv/bin/python bench/bench_tablature.py [--tunes 1200] [--baseline 60] [--refresh]

Pitches are extracted once (music21 ABC parser + ``pipeline.melody.extract_melody``)
outside any timing and cached in ``bench/results/corpus_pitches.json`` (gitignored),
so reruns start at once. Then, on one core, per tune:

* **fixed key**: a tab on a C Richter harp: the shift search for that harp
  (49 shifts) plus the exact DP optimizer, and the DP alone (``transpose="none"``);
* **full auto search**: every diatonic tuning x 12 keys x 49 shifts ranked
  (:func:`harptab_nb.transposition.rank_placements`) plus the DP on the winner;
* the same two **through the pipeline steps** (``choose_transposition`` +
  ``make_tablature``, no tracker): what a caller pays, value objects included.

Medians are printed over all tunes and over the tunes with 80-120 notes ("a 100-note
tune"), against the floors of issue 2 (fixed key < 1 ms, full search < 20 ms). A naive
baseline (per note, per harp, per shift look-ups in pure Python; DP re-listing the
harp's actions per note) runs in the same process on a subset for the ratio. It also
prints the share of tunes playable without bends on some standard Richter harp.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harptab_nb.harmonica import load_harmonica, standard_keys, tunings  # noqa: E402
from harptab_nb.optimize import DEFAULT_WEIGHTS, action_cost, optimize  # noqa: E402
from harptab_nb.transposition import MAX_SHIFT, rank_placements  # noqa: E402

CACHE = ROOT / "bench" / "results" / "corpus_pitches.json"
SHIFTS = list(range(-MAX_SHIFT, MAX_SHIFT + 1))


# --------------------------------------------------------------------------- extraction

def _sources():
    """Corpus ABC files, the many-tune books first."""
    from music21 import corpus

    paths = sorted(str(p) for p in corpus.getCorePaths() if str(p).endswith(".abc"))
    first = [p for p in paths if "airdsAirs" in p or "oneills1850" in p]
    return first + [p for p in paths if p not in first and "ryansMammoth" in p] + [
        p for p in paths if p not in first and "ryansMammoth" not in p]


def extract(n_target: int) -> list[dict]:
    """Parse corpus tunes and keep their sounded pitches (done once, cached)."""
    from music21 import converter, stream

    from harptab_nb.pipeline.melody import extract_melody

    tunes: list[dict] = []
    failed = 0
    t0 = time.time()
    for path in _sources():
        if len(tunes) >= n_target:
            break
        try:
            parsed = converter.parse(path, format="abc")
        except Exception:  # noqa: BLE001 - a corpus file music21 cannot read: skip it
            failed += 1
            continue
        scores = parsed.scores if isinstance(parsed, stream.Opus) else [parsed]
        rel = path.split("corpus/")[-1]
        for i, score in enumerate(scores):
            try:
                m = extract_melody(score)
            except Exception:  # noqa: BLE001 - no melody (empty tune): skip it
                failed += 1
                continue
            if len(m.pitches) < 8:
                continue
            tunes.append({"name": f"{rel}#{i}", "pitches": m.pitches,
                          "key_signature": m.key_signature})
            if len(tunes) >= n_target:
                break
        print(f"\r  extracted {len(tunes)} tunes ({time.time() - t0:.0f} s)", end="",
              file=sys.stderr, flush=True)
    print(file=sys.stderr)
    import music21

    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_text(json.dumps({"music21": music21.__version__, "failed": failed,
                                 "tunes": tunes}), encoding="utf-8")
    return tunes


def load_tunes(n_target: int, refresh: bool) -> list[dict]:
    if CACHE.exists() and not refresh:
        data = json.loads(CACHE.read_text(encoding="utf-8"))
        if len(data["tunes"]) >= n_target:
            return data["tunes"][:n_target]
    print(f"extracting pitches of {n_target} corpus tunes once -> {CACHE}", file=sys.stderr)
    return extract(n_target)


# --------------------------------------------------------------------------- baseline

def naive_rank(pitches, harps, shifts):
    """What one would write first: per harp, per shift, per note, look the pitch up."""
    maps = [h.pitch_map() for h in harps]
    best = None
    for h, pm in zip(harps, maps, strict=True):
        for s in shifts:
            unp = bends = ob = 0
            diff = 0.0
            for p in pitches:
                acts = pm.get(p + s)
                if not acts:
                    unp += 1
                    continue
                nat = [a for a in acts if a.technique == "natural"]
                if nat:
                    continue
                bent = [a for a in acts if a.technique == "bend"]
                if bent:
                    bends += 1
                    diff += min(action_cost(a) for a in bent)
                else:
                    ob += 1
                    diff += min(action_cost(a) for a in acts)
            key = (unp, bends + ob, diff, s % 12 != 0, abs(s))
            if best is None or key < best[0]:
                best = (key, h, s)
    return best


def naive_optimize(harp, pitches):
    """The same DP, listing the harp's actions for every note (no tables)."""
    w = DEFAULT_WEIGHTS
    prev: list = []
    cost: list[float] = []
    for p in pitches:
        acts = harp.actions_for(p)
        nat = [a for a in acts if a.technique == "natural"]
        acts = nat or list(acts)
        if not acts:
            prev, cost = [], []
            continue
        new = []
        for b in acts:
            c0 = action_cost(b, w)
            if prev:
                c0 += min(c + w.move * abs(a.hole - b.hole) + (w.breath if a.breath != b.breath
                                                              else 0) for a, c in zip(prev, cost, strict=True))
            new.append(c0)
        prev, cost = acts, new
    return min(cost) if cost else 0.0


# --------------------------------------------------------------------------- timing

def timed(fn, *args, **kw) -> float:
    t = time.perf_counter()
    fn(*args, **kw)
    return time.perf_counter() - t


def med_ms(xs) -> float:
    return statistics.median(xs) * 1000 if xs else float("nan")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tunes", type=int, default=1200)
    ap.add_argument("--baseline", type=int, default=60, help="tunes for the naive baseline")
    ap.add_argument("--refresh", action="store_true", help="re-extract the pitches")
    args = ap.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        except OSError:
            pass

    tunes = load_tunes(args.tunes, args.refresh)
    n = len(tunes)
    lengths = [len(t["pitches"]) for t in tunes]
    print(f"tunes: {n} from music21's corpus (ABC), notes per tune: median "
          f"{statistics.median(lengths):.0f}, min {min(lengths)}, max {max(lengths)}")

    c_harp = load_harmonica("richter", "C")
    all_harps = [load_harmonica(t, k) for t in tunings("diatonic") for k in standard_keys()]
    richter = [h for h in all_harps if h.tuning == "richter"]
    print(f"full search: {len(all_harps)} harps ({len(tunings('diatonic'))} tunings x 12 keys)"
          f" x {len(SHIFTS)} shifts = {len(all_harps) * len(SHIFTS)} placements per tune")

    # warm the per-harp tables (one-off, like loading the layouts)
    rank_placements([60], all_harps, SHIFTS)
    optimize(c_harp, [60])

    from harptab_nb.music import Melody
    from harptab_nb.pipeline.mapping_load import load_mapping
    from harptab_nb.pipeline.tablature import make_tablature
    from harptab_nb.pipeline.transpose import choose_transposition

    map_c = load_mapping(key="C")
    map_all = load_mapping(key="auto", tuning="all")

    def steps(melody, mapping, key):
        make_tablature(choose_transposition(melody, mapping, song_key=key))

    fixed_dp, fixed_tab, full, sizes, step_fixed, step_full = [], [], [], [], [], []
    bend_free_any, bend_free_inplace = 0, 0
    for t in tunes:
        p = t["pitches"]
        key = _key(t["key_signature"])
        fixed_dp.append(timed(optimize, c_harp, p))

        def fixed(p=p, key=key):
            best = rank_placements(p, [c_harp], SHIFTS, song_key=key, per_harp=False, limit=1)[0]
            optimize(c_harp, [x + best.semitones for x in p])

        fixed_tab.append(timed(fixed))

        def auto(p=p, key=key):
            best = rank_placements(p, all_harps, SHIFTS, song_key=key)[0]
            return optimize(best.harmonica, [x + best.semitones for x in p])

        full.append(timed(auto))
        sizes.append(len(p))
        mel = Melody.from_midi(p)  # outside the timing, like the extraction
        step_fixed.append(timed(steps, mel, map_c, key))
        step_full.append(timed(steps, mel, map_all, key))
        r = rank_placements(p, richter, SHIFTS, per_harp=True, limit=1)[0]
        bend_free_any += r.unplayable == 0 and r.bends == 0 and r.overbends == 0
        r0 = rank_placements(p, richter, [0], per_harp=True, limit=1)[0]
        bend_free_inplace += r0.unplayable == 0 and r0.bends == 0 and r0.overbends == 0

    near100 = [i for i, k in enumerate(sizes) if 80 <= k <= 120]
    print(f"\nmedian per tune (all {n} tunes | {len(near100)} tunes of 80-120 notes):")
    rows = [("fixed key, DP only (C Richter, as written)", fixed_dp, 1.0),
            ("fixed key tab (C Richter, 49 shifts + DP)", fixed_tab, 1.0),
            ("full auto search (96 harps x 49 shifts + DP)", full, 20.0),
            ("fixed key, through the steps (+ Tablature)", step_fixed, 1.0),
            ("full auto, through the steps (+ Tablature)", step_full, 20.0)]
    for label, xs, floor in rows:
        sub = [xs[i] for i in near100]
        ok = "ok" if med_ms(sub) < floor else "OVER"
        print(f"  {label:46s} {med_ms(xs):7.3f} ms | {med_ms(sub):7.3f} ms"
              f"   (floor {floor:g} ms: {ok})")

    # naive baseline, same process, same tunes (a subset: it is slow)
    subset = tunes[: args.baseline]
    nb_full, nb_fixed, fast_full, fast_fixed = [], [], [], []
    for t in subset:
        p = t["pitches"]
        nb_full.append(timed(lambda p=p: naive_optimize(*_winner(naive_rank(p, all_harps, SHIFTS), p))))
        k = _key(t["key_signature"])
        fast_full.append(timed(lambda p=p, k=k: _fast_auto(p, k, all_harps)))
        nb_fixed.append(timed(naive_optimize, c_harp, p))
        fast_fixed.append(timed(optimize, c_harp, p))
    print(f"\nnaive baseline on the first {len(subset)} tunes (same process):")
    print(f"  full search: naive {med_ms(nb_full):8.2f} ms vs engine {med_ms(fast_full):6.3f} ms"
          f"  -> {med_ms(nb_full) / med_ms(fast_full):5.1f}x faster")
    print(f"  fixed-key DP: naive {med_ms(nb_fixed):7.3f} ms vs engine {med_ms(fast_fixed):6.3f} ms"
          f"  -> {med_ms(nb_fixed) / med_ms(fast_fixed):5.1f}x faster")

    print(f"\nplayable without bends on some standard Richter harp (12 keys, shifts +-24): "
          f"{bend_free_any}/{n} = {100 * bend_free_any / n:.1f}%")
    print(f"  ... without transposing (shift 0): {bend_free_inplace}/{n} = "
          f"{100 * bend_free_inplace / n:.1f}%")
    return 0


def _key(k):
    """The tune's key signature if it parses as a key, else None (no positions)."""
    from harptab_nb.errors import OptionError
    from harptab_nb.transposition import parse_song_key

    try:
        parse_song_key(k) if k else None
    except OptionError:
        return None
    return k


def _winner(best, p):
    _key, harp, s = best
    return harp, [x + s for x in p]


def _fast_auto(p, key, harps):
    best = rank_placements(p, harps, SHIFTS, song_key=key)[0]
    return optimize(best.harmonica, [x + best.semitones for x in p])


if __name__ == "__main__":
    sys.exit(main())
