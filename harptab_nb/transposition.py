"""Which harp, which shift, which position: checking and ranking placements of a melody.

A *placement* is (harp, shift in semitones). Whether a placement works depends only on
the melody's pitch histogram: per harp we precompute, for every MIDI number, the
easiest technique that sounds it (natural / bend / overbend / unplayable) and its
difficulty (the optimizer's :func:`~harptab_nb.optimize.action_cost`). Counting a
placement is then a table look-up per distinct pitch, done for all harps and all
shifts at once with numpy.

Ranking rules (issue 2), best first:

1. fewest unplayable notes;
2. fewest bent notes (bends + overbends), then the easiest (lowest summed difficulty);
3. octave shifts (0, +-12, +-24: the song stays in its key) before other shifts;
4. the smallest shift.

The chromatic slide is not a bend: it plays no part in rule 2. Remaining ties go to
the placement needing the least slide (chromatic harps), then the standard Richter
tuning first (then the order of :data:`~harptab_nb.harmonica.DIATONIC_TUNINGS`), then
the commonest positions (1st, 2nd, 3rd, 12th, then the rest), then an upward shift,
then the lower harp.

Positions are counted on the circle of fifths: ``p = 1 + (7 * (S - H)) mod 12`` for a
song whose tonic is pitch class ``S`` played on a harp in key ``H``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .errors import OptionError
from .harmonica import DIATONIC_TUNINGS, Harmonica
from .optimize import DEFAULT_WEIGHTS, Weights, action_cost
from .pitch import pc_name, pitch_class

__all__ = [
    "TECHNIQUES",
    "HarpOption",
    "position",
    "position_name",
    "parse_song_key",
    "estimate_key",
    "note_technique",
    "check_pitches",
    "parse_transpose",
    "rank_placements",
    "MAX_SHIFT",
]

TECHNIQUES = ("natural", "bend", "overbend", "unplayable", "rest")
#: The auto search tries every shift within two octaves.
MAX_SHIFT = 24
_NAT, _BEND, _OB, _UNP = 0, 1, 2, 3
_POSITION_ORDER = {p: i for i, p in enumerate((1, 2, 3, 12, 4, 5, 6, 7, 8, 9, 10, 11))}
_POS_RANK = np.array([0] + [_POSITION_ORDER[p] for p in range(1, 13)])
_BITS = 17  # three note counts (< 2**17 each) packed exactly in one float64 (51 bits)
_MASK = (1 << _BITS) - 1
_OFFSET = 64  # table index = midi + _OFFSET, so shifted pitches never fall off
_SIZE = 128 + 2 * _OFFSET


def position(song_pc: int, harp_pc: int) -> int:
    """Position of a song with tonic ``song_pc`` on a harp in ``harp_pc`` (1-12)."""
    return 1 + (7 * (song_pc - harp_pc)) % 12


@lru_cache(maxsize=64)
def position_name(p: int | None) -> str:
    """``"2nd position (cross harp)"`` style label."""
    from .tablature import ordinal

    if p is None:
        return "position unknown"
    extra = {1: " (straight harp)", 2: " (cross harp)", 3: " (slant harp)"}.get(p, "")
    return f"{ordinal(p)} position{extra}"


def parse_song_key(song_key: str) -> tuple[int, str]:
    """``"G major"`` / ``"e minor"`` / ``"F#"`` / ``"b- major"`` -> (tonic pc, mode)."""
    parts = str(song_key).replace(":", " ").split()
    if not parts:
        raise OptionError(f"{song_key!r} is not a key; use e.g. 'G major' or 'E minor'")
    tonic = parts[0]
    try:
        pc = pitch_class(tonic)
    except OptionError:
        raise OptionError(f"{song_key!r} is not a key; use e.g. 'G major' or 'E minor'") from None
    mode = parts[1].lower() if len(parts) > 1 else ("minor" if tonic[:1].islower() else "major")
    return pc, mode


def key_name(pc: int, mode: str) -> str:
    """``(7, "major") -> "G major"`` in harp spelling."""
    return f"{pc_name(pc)} {mode}"


# Krumhansl-Kessler key profiles (major, minor), tonic first.
_KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def estimate_key(pitches: Iterable[int | None], durations: Iterable[float] | None = None) -> str:
    """Best Krumhansl-Kessler key for a pitch list (used when no song key is known)."""
    hist = np.zeros(12)
    durs = list(durations) if durations is not None else None
    for i, p in enumerate(pitches):
        if p is not None:
            hist[p % 12] += durs[i] if durs else 1.0
    if not hist.any():
        return "C major"
    best, name = -2.0, "C major"
    for mode, prof in (("major", _KK_MAJOR), ("minor", _KK_MINOR)):
        for pc in range(12):
            r = np.corrcoef(hist, np.roll(prof, pc))[0, 1]
            if np.isfinite(r) and r > best:
                best, name = r, key_name(pc, mode)
    return name


# --------------------------------------------------------------------------- tables

_TABLE_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _tables(
    harmonica: Harmonica, max_bend: int | None, overbends: bool, weights: Weights
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(technique code, bend/overbend difficulty, slide cost) per ``midi + 64``."""
    key = (harmonica, max_bend, overbends, weights)
    hit = _TABLE_CACHE.get(key)
    if hit is not None:
        return hit
    code = np.full(_SIZE, _UNP, dtype=np.int8)
    diff = np.zeros(_SIZE)
    slide = np.zeros(_SIZE)
    for midi, acts in harmonica.pitch_map(max_bend, overbends).items():
        techs = {a.technique for a in acts}
        c = _NAT if "natural" in techs else _BEND if "bend" in techs else _OB
        want = TECHNIQUES[c]
        code[midi + _OFFSET] = c
        cost = min(action_cost(a, weights) for a in acts if a.technique == want)
        # a natural note costs nothing in the ranking's "easiest bends" rule; what the
        # chromatic slide costs only breaks ties after the shift rules
        if c == _NAT:
            slide[midi + _OFFSET] = cost
        else:
            diff[midi + _OFFSET] = cost
    if len(_TABLE_CACHE) > 4096:
        _TABLE_CACHE.clear()
    _TABLE_CACHE[key] = (code, diff, slide)
    return code, diff, slide


def harp_tables(
    harmonica: Harmonica,
    max_bend: int | None = None,
    overbends: bool = False,
    weights: Weights = DEFAULT_WEIGHTS,
) -> tuple[np.ndarray, np.ndarray]:
    """(technique code, difficulty of the bend/overbend) per index ``midi + 64``.

    Natural notes (the chromatic slide included) have difficulty 0.
    """
    code, diff, _ = _tables(harmonica, max_bend, overbends, weights)
    return code, diff


_STACK_CACHE: dict[tuple, tuple] = {}


def _stacked_tables(
    harps: tuple[Harmonica, ...], max_bend: int | None, overbends: bool, w: Weights
) -> tuple:
    # Keyed by identity (hashing 96 harps costs more than the counting); the cached
    # value keeps the harps alive, so their ids cannot be reused while cached.
    key = (tuple(map(id, harps)), max_bend, overbends, w)
    hit = _STACK_CACHE.get(key)
    if hit is None:
        tabs = [_tables(h, max_bend, overbends, w) for h in harps]
        codes = np.stack([t[0] for t in tabs]).astype(np.int64)
        packed = ((codes == _UNP) << (2 * _BITS)) | ((codes == _BEND) << _BITS) | (codes == _OB)
        slides = np.stack([t[2] for t in tabs])
        hit = (packed.astype(np.float64), np.stack([t[1] for t in tabs]),
               slides if slides.any() else None, harps)
        if len(_STACK_CACHE) > 256:
            _STACK_CACHE.clear()
        _STACK_CACHE[key] = hit
    return hit


def note_technique(
    harmonica: Harmonica, midi: int | None, *, max_bend: int | None = None, overbends: bool = False
) -> str:
    """Easiest way ``midi`` sounds on the harp: natural, bend, overbend, unplayable, rest."""
    if midi is None:
        return "rest"
    code, _ = harp_tables(harmonica, max_bend, overbends)
    i = midi + _OFFSET
    return TECHNIQUES[int(code[i])] if 0 <= i < _SIZE else "unplayable"


def check_pitches(
    harmonica: Harmonica,
    pitches: Sequence[int | None],
    *,
    max_bend: int | None = None,
    overbends: bool = False,
) -> list[str]:
    """Per note: ``natural | bend | overbend | unplayable | rest`` on ``harmonica``."""
    code, _ = harp_tables(harmonica, max_bend, overbends)
    return [
        "rest" if p is None else TECHNIQUES[int(code[p + _OFFSET])]
        if 0 <= p + _OFFSET < _SIZE else "unplayable"
        for p in pitches
    ]


def parse_transpose(transpose: str | int | None) -> str | int:
    """``"auto"`` / ``"none"`` / a whole number of semitones (``12``, ``"-5"``, ``"+7"``)."""
    if transpose is None:
        return "auto"
    if isinstance(transpose, bool):
        raise OptionError("transpose must be auto, none or a number of semitones")
    if isinstance(transpose, int):
        n = transpose
    else:
        text = str(transpose).strip().lower()
        if text in ("auto", "none"):
            return text
        try:
            n = int(text)
        except ValueError:
            raise OptionError(
                f"unknown transpose {transpose!r}; choose auto, none or a number of "
                f"semitones between -{2 * MAX_SHIFT} and {2 * MAX_SHIFT}"
            ) from None
    if abs(n) > 2 * MAX_SHIFT:
        raise OptionError(
            f"transpose {n} is too far; choose auto, none or -{2 * MAX_SHIFT}..{2 * MAX_SHIFT}"
        )
    return n


# --------------------------------------------------------------------------- ranking


@dataclass(frozen=True)
class HarpOption:
    """One ranked placement: harp, shift, position, note counts and why."""

    harmonica: Harmonica
    semitones: int
    position: int | None
    bends: int
    overbends: int
    unplayable: int
    natural: int
    score: float  # lower is better; see ``rank_placements``
    reason: str

    @property
    def notes(self) -> int:
        """Pitched notes counted (natural + bends + overbends + unplayable)."""
        return self.bends + self.overbends + self.unplayable + self.natural

    def __repr__(self) -> str:
        h = self.harmonica
        return (f"<HarpOption {h.label or h.key} {h.tuning} shift={self.semitones:+d} "
                f"position={self.position} bends={self.bends} overbends={self.overbends} "
                f"unplayable={self.unplayable}: {self.reason}>")

    def to_json(self) -> dict:
        """JSON-ready dict of the option (what ``harptab keys --format json`` prints)."""
        h = self.harmonica
        return {
            "type": h.type, "tuning": h.tuning, "key": h.key, "label": h.label,
            "hole1_midi": h.hole1_midi, "holes": h.holes, "semitones": self.semitones,
            "position": self.position, "bends": self.bends, "overbends": self.overbends,
            "unplayable": self.unplayable, "natural": self.natural,
            "score": round(self.score, 3), "reason": self.reason,
        }


def _shift_words(s: int) -> str:
    if s == 0:
        return "as written"
    if s % 12 == 0:
        n = abs(s) // 12
        return f"{'one' if n == 1 else 'two' if n == 2 else n} octave{'s' if n > 1 else ''} " \
               f"{'up' if s > 0 else 'down'}"
    return f"transposed {s:+d} semitones"


def _reason(u: int, b: int, o: int, nat: int, s: int, pos: int | None, song_pc: int | None,
            mode: str) -> str:
    total = u + b + o + nat
    if u == 0 and b == 0 and o == 0:
        head = f"all {total} notes natural"
    else:
        bits = []
        if u:
            bits.append(f"{u} note{'s' if u != 1 else ''} unplayable")
        if b:
            bits.append(f"{b} bend{'s' if b != 1 else ''}")
        if o:
            bits.append(f"{o} overbend{'s' if o != 1 else ''}")
        head = ", ".join(bits)
    where = _shift_words(s)
    if s % 12 and song_pc is not None:
        where += f" (song in {key_name((song_pc + s) % 12, mode)})"
    return f"{head}; {where}; {position_name(pos)}"


def rank_placements(
    pitches: Sequence[int | None],
    harps: Sequence[Harmonica],
    shifts: Sequence[int],
    *,
    song_key: str | None = None,
    max_bend: int | None = None,
    overbends: bool = False,
    weights: Weights | None = None,
    per_harp: bool = True,
    limit: int | None = None,
) -> list[HarpOption]:
    """Rank every (harp, shift) placement of ``pitches`` by the module's rules.

    ``per_harp=True`` keeps only each harp's best shift (the list a player reads);
    ``limit`` cuts the list. Counts come from the pitch histogram, so the cost is
    O(harps x shifts x distinct pitches) whatever the melody length.
    """
    if not harps:
        raise OptionError("no harmonica to place the melody on")
    w = weights or DEFAULT_WEIGHTS
    counts = Counter(p for p in pitches if p is not None)
    if not counts:
        raise OptionError("the melody has no pitched notes to place")
    P = np.fromiter(counts.keys(), dtype=np.int64)
    C = np.fromiter(counts.values(), dtype=np.float64)
    S = np.asarray(list(shifts), dtype=np.int64)
    packed, diffs, slides, _ = _stacked_tables(tuple(harps), max_bend, overbends, w)
    H, nS, d = len(harps), len(S), len(P)
    idx = np.clip(P[None, :] + S[:, None] + _OFFSET, 0, _SIZE - 1).ravel()  # (S * d)
    # (H, S): three counts packed in one int, then the summed difficulty
    if C.sum() >= 2**_BITS:
        raise OptionError(f"a melody of {int(C.sum())} notes is too long to rank")
    tot = (np.take(packed, idx, axis=1).reshape(H, nS, d) @ C).astype(np.int64)
    unp, bend, ob = tot >> (2 * _BITS), (tot >> _BITS) & _MASK, tot & _MASK
    diff = np.take(diffs, idx, axis=1).reshape(H, nS, d) @ C
    nat = int(C.sum()) - unp - bend - ob

    song_pc, mode = (None, "major")
    if song_key:
        song_pc, mode = parse_song_key(song_key)
    harp_pc = np.array([h.hole1_midi % 12 for h in harps])
    if song_pc is not None:
        pos = 1 + (7 * ((song_pc + S[None, :]) - harp_pc[:, None])) % 12  # (H, S)
        pos_rank = _POS_RANK[pos]
    else:
        pos = pos_rank = np.zeros((H, nS), dtype=np.int64)
    t_order = {t: i for i, t in enumerate(DIATONIC_TUNINGS)}
    tun_rank = np.array([t_order.get(h.tuning, len(t_order)) for h in harps])
    hole1 = np.array([h.hole1_midi for h in harps])
    # rules 3 and 4: octave shifts first, then the smallest shift
    shift_rank = np.broadcast_to(
        (S % 12 != 0).astype(np.int64)[None, :] * 128 + np.abs(S)[None, :], (H, nS))
    # remaining ties (see the module docstring), packed into one integer
    tie = (tun_rank[:, None] * 16 + pos_rank) * 2 + (S < 0)[None, :]
    tie = tie * 256 + hole1[:, None]
    keys = [tie.ravel()]
    if slides is not None:  # chromatic: the placement needing the least slide
        keys.append(np.round(np.take(slides, idx, axis=1).reshape(H, nS, d) @ C, 6).ravel())
    keys += [shift_rank.ravel(), np.round(diff, 6).ravel(), (bend + ob).ravel(), unp.ravel()]
    order = np.lexsort(tuple(keys))
    if per_harp and H > 1:  # each harp's best placement, in rank order
        _, first = np.unique(order // nS, return_index=True)
        order = order[np.sort(first)]
    if limit is not None:
        order = order[:limit]
    score = 1000.0 * unp + diff + 0.5 * (S % 12 != 0)[None, :] + 0.01 * np.abs(S)[None, :]
    out: list[HarpOption] = []
    for flat in order.tolist():
        hi, si = divmod(flat, nS)
        s = int(S[si])
        p = int(pos[hi, si]) if song_pc is not None else None
        u, b, o, n = (int(unp[hi, si]), int(bend[hi, si]), int(ob[hi, si]), int(nat[hi, si]))
        out.append(HarpOption(
            harmonica=harps[hi], semitones=s, position=p, bends=b, overbends=o,
            unplayable=u, natural=n, score=float(score[hi, si]),
            reason=_reason(u, b, o, n, s, p, song_pc, mode),
        ))
    return out
