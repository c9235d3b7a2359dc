"""Choosing one action per note: an exact minimum-cost path (Viterbi) over the melody.

The cost of a tab is the sum of

* **technique difficulty** of every sounded note (:func:`action_cost`): a natural blow or
  draw costs 0, the chromatic slide ``Weights.slide``, a bend ``Weights.bend[depth]``
  plus ``Weights.low_deep_bend`` for a bend of 2+ semitones in holes 1-3 (the hard
  ``-2''``/``-3'''``), an overblow/overdraw ``Weights.overbend``;
* **hole movement** between consecutive sounded notes: ``Weights.move`` per hole;
* **breath changes** between consecutive sounded notes: ``Weights.breath`` per switch.

A rest (or an unplayable ``X`` note, which the player skips) resets movement: the
next note pays no movement or breath cost. A tied continuation keeps the previous
action and adds nothing. With the default ``Weights.natural_first`` a note that has a
natural action is only ever given a natural action, so a bend or overbend appears
exactly for the notes that have no natural way to sound; the default bend and overbend
costs (>= 25) also exceed the most movement a single note can save on a 10-hole harp
(2 x (9 holes x 1.0 + 0.5)), so the same holds by cost alone on diatonic harps.

The minimum is found exactly by dynamic programming over the whole melody
(O(n k^2) for n notes with at most k candidate actions each); :func:`brute_force`
enumerates every assignment for tests.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import OptionError
from .harmonica import Action, Harmonica

__all__ = [
    "Weights",
    "OptimizeResult",
    "action_cost",
    "transition_cost",
    "candidates",
    "candidate_table",
    "optimize",
    "path_cost",
    "brute_force",
]


@dataclass(frozen=True)
class Weights:
    """Cost weights of :func:`optimize` (see the module docstring for the model)."""

    move: float = 1.0
    breath: float = 0.5
    slide: float = 0.5
    bend: tuple[float, float, float, float] = (0.0, 25.0, 30.0, 35.0)
    low_deep_bend: float = 5.0
    overbend: float = 40.0
    natural_first: bool = True

    def __post_init__(self) -> None:
        for name in ("move", "breath", "slide", "low_deep_bend", "overbend"):
            if getattr(self, name) < 0:
                raise OptionError(f"weight {name} must be >= 0, not {getattr(self, name)}")
        if len(self.bend) != 4 or any(b < 0 for b in self.bend):
            raise OptionError("weight bend must list 4 costs >= 0 (depth 0, 1, 2, 3)")

    @classmethod
    def from_any(cls, weights: Weights | dict | None) -> Weights:
        """``None`` -> defaults; a dict overrides some fields (``{"move": 2}``)."""
        if weights is None:
            return cls()
        if isinstance(weights, Weights):
            return weights
        if isinstance(weights, dict):
            known = cls.__dataclass_fields__
            bad = [k for k in weights if k not in known]
            if bad:
                raise OptionError(
                    f"unknown weight {bad[0]!r}; choose from {', '.join(known)}"
                )
            if "bend" in weights:
                weights = {**weights, "bend": tuple(weights["bend"])}
            return cls(**weights)
        raise OptionError(f"weights must be a Weights or a dict, not {type(weights).__name__}")


DEFAULT_WEIGHTS = Weights()


def action_cost(action: Action, weights: Weights = DEFAULT_WEIGHTS) -> float:
    """Technique difficulty of one action (0 for a plain blow or draw)."""
    if action.overbend:
        return weights.overbend
    cost = 0.0
    if action.bend:
        cost += weights.bend[min(action.bend, 3)]
        if action.bend >= 2 and action.hole <= 3:
            cost += weights.low_deep_bend
    if action.slide:
        cost += weights.slide
    return cost


def transition_cost(a: Action, b: Action, weights: Weights = DEFAULT_WEIGHTS) -> float:
    """Cost of playing ``b`` right after ``a``: hole movement plus breath change."""
    cost = weights.move * abs(a.hole - b.hole)
    if a.breath != b.breath:
        cost += weights.breath
    return cost


def candidates(
    harmonica: Harmonica,
    midi: int,
    *,
    max_bend: int | None = None,
    overbends: bool = False,
    weights: Weights = DEFAULT_WEIGHTS,
) -> tuple[Action, ...]:
    """The actions the optimizer may use for ``midi`` (empty = unplayable)."""
    return candidate_table(harmonica, max_bend, overbends, weights.natural_first).get(midi, ())


_TABLES: dict[tuple, dict[int, tuple[Action, ...]]] = {}


def candidate_table(
    harmonica: Harmonica, max_bend: int | None, overbends: bool, natural_first: bool = True
) -> dict[int, tuple[Action, ...]]:
    """MIDI -> allowed candidate actions, cached per harp and limits (hot path)."""
    key = (harmonica, max_bend, overbends, natural_first)
    table = _TABLES.get(key)
    if table is None:
        table = {}
        for midi, acts in harmonica.pitch_map(max_bend, overbends).items():
            if natural_first:
                nat = tuple(a for a in acts if a.technique == "natural")
                acts = nat or acts
            table[midi] = acts
        if len(_TABLES) > 4096:
            _TABLES.clear()
        _TABLES[key] = table
    return table


@dataclass(frozen=True)
class OptimizeResult:
    """Chosen action per note (``None`` for rests and unplayable notes) and the cost."""

    actions: tuple[Action | None, ...]
    cost: float
    continuation: tuple[bool, ...]  # True where a note continues a tie (no new token)

    @property
    def unplayable(self) -> list[int]:
        """Indices of sounded notes with no action."""
        return [i for i, a in enumerate(self.actions) if a is None and not self.continuation[i]]


def _continuations(pitches: Sequence[int | None], tied: Sequence[bool] | None) -> list[bool]:
    """A tie continuation = tied, pitched, and the previous note has the same pitch."""
    out = [False] * len(pitches)
    if tied is None:
        return out
    if len(tied) != len(pitches):
        raise OptionError(f"tied has {len(tied)} flags for {len(pitches)} notes")
    for i in range(1, len(pitches)):
        out[i] = bool(tied[i]) and pitches[i] is not None and pitches[i] == pitches[i - 1]
    return out


def optimize(
    harmonica: Harmonica,
    pitches: Sequence[int | None],
    *,
    tied: Sequence[bool] | None = None,
    max_bend: int | None = None,
    overbends: bool = False,
    weights: Weights | dict | None = None,
) -> OptimizeResult:
    """Minimum-cost action per note, exactly, by dynamic programming.

    ``pitches``: MIDI per note, ``None`` for a rest. ``tied[i]``: note ``i`` continues
    a tie from note ``i - 1`` (same pitch): it keeps that action at no cost. Notes
    with no allowed action get ``None`` (the tab shows ``X``) and reset movement.
    """
    w = Weights.from_any(weights)
    harmonica.actions(max_bend, overbends)  # validates max_bend
    table = candidate_table(harmonica, max_bend, overbends, w.natural_first)
    cont = _continuations(pitches, tied)
    n = len(pitches)
    chosen: list[Action | None] = [None] * n
    total = 0.0
    # Split into independent segments at rests / unplayable notes (movement resets).
    segment: list[int] = []  # indices of sounded playable notes in the current segment

    def solve(seg: list[int]) -> float:
        if not seg:
            return 0.0
        first = table[pitches[seg[0]]]
        cost = [action_cost(a, w) for a in first]
        back: list[list[int]] = []
        prev = first
        for idx in seg[1:]:
            cur = table[pitches[idx]]
            new_cost = []
            ptr = []
            for b in cur:
                base = action_cost(b, w)
                best, arg = float("inf"), 0
                for j, a in enumerate(prev):
                    c = cost[j] + w.move * abs(a.hole - b.hole) + (
                        w.breath if a.breath != b.breath else 0.0)
                    if c < best:
                        best, arg = c, j
                new_cost.append(best + base)
                ptr.append(arg)
            back.append(ptr)
            cost, prev = new_cost, cur
        j = min(range(len(cost)), key=cost.__getitem__)
        best_cost = cost[j]
        for k in range(len(seg) - 1, -1, -1):
            chosen[seg[k]] = table[pitches[seg[k]]][j]
            if k:
                j = back[k - 1][j]
        return best_cost

    for i, p in enumerate(pitches):
        if cont[i]:
            continue  # filled in below from the previous note
        if p is None or p not in table:
            total += solve(segment)
            segment = []
            continue
        segment.append(i)
    total += solve(segment)
    for i in range(1, n):
        if cont[i]:
            chosen[i] = chosen[i - 1]
    return OptimizeResult(actions=tuple(chosen), cost=total, continuation=tuple(cont))


def path_cost(
    actions: Sequence[Action | None],
    pitches: Sequence[int | None],
    *,
    tied: Sequence[bool] | None = None,
    weights: Weights | dict | None = None,
) -> float:
    """Cost of a given assignment under the same model (for checks and tests)."""
    w = Weights.from_any(weights)
    cont = _continuations(pitches, tied)
    total, prev = 0.0, None
    for i, a in enumerate(actions):
        if cont[i]:
            continue
        if a is None or pitches[i] is None:
            prev = None
            continue
        total += action_cost(a, w)
        if prev is not None:
            total += transition_cost(prev, a, w)
        prev = a
    return total


def brute_force(
    harmonica: Harmonica,
    pitches: Sequence[int | None],
    *,
    tied: Sequence[bool] | None = None,
    max_bend: int | None = None,
    overbends: bool = False,
    weights: Weights | dict | None = None,
) -> float:
    """Minimum cost by trying every assignment (exponential: short melodies only)."""
    w = Weights.from_any(weights)
    cont = _continuations(pitches, tied)
    options: list[tuple[Action | None, ...]] = []
    for i, p in enumerate(pitches):
        acts = () if p is None or cont[i] else candidates(
            harmonica, p, max_bend=max_bend, overbends=overbends, weights=w)
        options.append(acts or (None,))
    return min(
        path_cost(combo, pitches, tied=tied, weights=w) for combo in itertools.product(*options)
    )
