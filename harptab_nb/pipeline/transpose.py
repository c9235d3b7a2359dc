"""Step ``transpose``: check the melody on the harp(s) and pick the placement.

``transpose_check`` ranks every candidate placement (harp x shift) with
:func:`harptab_nb.transposition.rank_placements`: ``transpose="auto"`` tries every
shift within two octaves, ``"none"`` keeps exact pitches, ``N`` shifts by N
semitones. ``transpose_apply`` applies the best placement and records, per note,
whether it is natural, bent, overbent, unplayable or a rest on the chosen harp.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..errors import NotPlayable, OptionError
from ..harmonica import Harmonica
from ..music import Melody
from ..pitch import midi_to_name
from ..tracker import ProgressTracker, step_scope
from ..transposition import (
    MAX_SHIFT,
    HarpOption,
    check_pitches,
    estimate_key,
    key_name,
    parse_song_key,
    parse_transpose,
    position_name,
    rank_placements,
)
from .mapping_load import HarpMapping

STEP_ID = "transpose"

__all__ = ["TranspositionReport", "choose_transposition", "STEP_ID"]


@dataclass(frozen=True)
class TranspositionReport:
    """The chosen placement, the shifted melody, per-note checks and ranked options.

    ``song_key`` is the key the player plays in (after the shift); ``source_key``
    the key as written. ``checks[i]`` describes ``melody.notes[i]``.
    """

    harmonica: Harmonica
    semitones: int
    position: int | None
    melody: Melody
    source_melody: Melody
    checks: tuple[str, ...]
    options: tuple[HarpOption, ...]
    song_key: str | None = None
    source_key: str | None = None
    max_bend: int | None = None
    overbends: bool = False
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def best(self) -> HarpOption:
        """The chosen placement (first of the ranked options)."""
        return self.options[0]

    def count(self, technique: str) -> int:
        """Sounded notes with ``technique`` (tie continuations not counted)."""
        return sum(
            1 for n, c in zip(self.melody.notes, self.checks, strict=True)
            if c == technique and not n.tied
        )


def _song_key(melody: Melody, song_key: str | None) -> str:
    if song_key:
        pc, mode = parse_song_key(song_key)
        return key_name(pc, mode)
    if melody.key_signature:
        try:
            pc, mode = parse_song_key(melody.key_signature)
            return key_name(pc, mode)
        except OptionError:  # an odd signature string: estimate instead
            pass
    return estimate_key([n.midi for n in melody.notes], [n.duration for n in melody.notes])


def choose_transposition(
    melody: Melody,
    mapping: HarpMapping,
    *,
    transpose: str | int = "auto",
    song_key: str | None = None,
    max_bend: int | None = None,
    overbends: bool = False,
    tracker: ProgressTracker | None = None,
) -> TranspositionReport:
    """Pick harp and shift for ``melody`` (see the module docstring).

    Raises :class:`~harptab_nb.errors.OptionError` for a bad ``transpose``,
    ``song_key`` or ``max_bend``, :class:`~harptab_nb.errors.NotPlayable` when the melody
    has no pitched note or none of its notes sounds on the chosen placement.
    """
    with step_scope(tracker, STEP_ID, "Choosing harp and transposition") as st:
        mode = parse_transpose(transpose)
        if mapping.harps:
            mapping.harps[0].actions(max_bend, overbends)  # validates max_bend early
        source_key = _song_key(melody, song_key)
        pitches = melody.pitches
        if not pitches:
            raise NotPlayable("the melody has no notes to play (only rests)")
        shifts = (
            list(range(-MAX_SHIFT, MAX_SHIFT + 1)) if mode == "auto"
            else [0] if mode == "none" else [int(mode)]
        )
        with st.substep("transpose_check", "Checking placements") as sub:
            options = rank_placements(
                pitches, mapping.harps, shifts, song_key=source_key,
                max_bend=max_bend, overbends=overbends, per_harp=len(mapping.harps) > 1,
                limit=None if len(mapping.harps) > 1 else 12,
            )
            best = options[0]
            sub.done(
                f"{len(mapping.harps)} harp{'s' if len(mapping.harps) > 1 else ''} x "
                f"{len(shifts)} shift{'s' if len(shifts) > 1 else ''} checked; best: "
                f"{best.harmonica.label or best.harmonica.key} {best.harmonica.tuning}, "
                f"{best.reason}"
            )
        if best.natural + best.bends + best.overbends == 0:
            lo, hi = midi_to_name(min(pitches)), midi_to_name(max(pitches))
            shift = "" if mode in ("auto", "none") else f" shifted {int(mode):+d} semitones"
            reach = [a.midi for h in mapping.harps for a in h.actions(max_bend, overbends)]
            several = len(mapping.harps) > 1
            where = f"any of the {len(mapping.harps)} harps searched" if several else str(best.harmonica)
            moved = ", even moved up or down two octaves" if mode == "auto" else ""
            span = f"{midi_to_name(min(reach))} to {midi_to_name(max(reach))}"
            hint = "" if mode == "auto" else "; try transpose='auto' to search every shift"
            raise NotPlayable(
                f"no note of the melody ({lo} to {hi}{shift}) is playable on {where}{moved} "
                f"({'the harps play' if several else 'it plays'} {span}){hint}"
            )
        with st.substep("transpose_apply", "Applying transposition") as sub:
            s = best.semitones
            shifted = melody.transposed(s) if s else melody
            checks = tuple(check_pitches(
                best.harmonica, [n.midi for n in shifted.notes],
                max_bend=max_bend, overbends=overbends,
            ))
            pc, kmode = parse_song_key(source_key)
            played_key = key_name((pc + s) % 12, kmode)
            report = TranspositionReport(
                harmonica=best.harmonica, semitones=s, position=best.position,
                melody=shifted, source_melody=melody, checks=checks,
                options=tuple(options), song_key=played_key, source_key=source_key,
                max_bend=max_bend, overbends=overbends,
            )
            tally = Counter(c for n, c in zip(shifted.notes, checks, strict=True)
                            if not n.tied)
            nat, bend, ob, unp = (tally[t] for t in ("natural", "bend", "overbend", "unplayable"))
            sub.done(
                f"{'no shift' if s == 0 else f'shifted {s:+d} semitones'}; "
                f"{nat} natural, {bend} bends, {ob} overbends, {unp} unplayable"
            )
        st.done(f"{best.harmonica}, {position_name(best.position)}, "
                f"{'as written' if s == 0 else f'{s:+d} semitones'}")
        return report
