"""Step ``tablature``: candidate actions per note, then the exact cheapest path.

``tablature_map`` lists, per note, every action the player's limits allow
(:func:`harptab_nb.optimize.candidates`); a note none reaches is marked unplayable
(``X``), never dropped or moved. ``tablature_optimize`` runs the dynamic program of
:mod:`harptab_nb.optimize` over the whole melody and builds the
:class:`~harptab_nb.tablature.Tablature`.
"""

from __future__ import annotations

from ..errors import OptionError
from ..notation import STYLES, format_action
from ..optimize import Weights, candidate_table, optimize
from ..tablature import Tablature, TabNote
from ..tracker import ProgressTracker, step_scope
from .transpose import TranspositionReport

STEP_ID = "tablature"

__all__ = ["make_tablature", "STEP_ID"]


def make_tablature(
    report: TranspositionReport,
    *,
    max_bend: int | None = None,
    overbends: bool | None = None,
    weights: Weights | dict | None = None,
    style: str = "plain",
    tracker: ProgressTracker | None = None,
) -> Tablature:
    """Tab ``report.melody`` on ``report.harmonica``.

    ``max_bend`` / ``overbends`` default to the limits the transpose step used.
    Raises :class:`~harptab_nb.errors.OptionError` for a bad style, ``max_bend`` or
    weights. A note no allowed action reaches is not an error: its token is ``X``.
    """
    with step_scope(tracker, STEP_ID, "Generating tablature") as st:
        if style not in STYLES:
            raise OptionError(f"unknown tab style {style!r}; choose one of {', '.join(STYLES)}")
        if max_bend is None:
            max_bend = report.max_bend
        if overbends is None:
            overbends = report.overbends
        w = Weights.from_any(weights)
        harp = report.harmonica
        harp.actions(max_bend, overbends)  # validates max_bend
        melody = report.melody
        pitches = [n.midi for n in melody.notes]
        tied = [n.tied for n in melody.notes]
        with st.substep("tablature_map", "Finding actions per note") as sub:
            # every action the player's limits allow, per note; the optimizer then keeps
            # the natural ones where a note has any (``Weights.natural_first``)
            reach = candidate_table(harp, max_bend, overbends, natural_first=False)
            kept = candidate_table(harp, max_bend, overbends, w.natural_first)
            n_all = [len(reach.get(p, ())) for p in pitches if p is not None]
            n_used = sum(len(kept.get(p, ())) for p in pitches if p is not None)
            unp = sum(1 for k in n_all if k == 0)
            sub.done(
                f"{len(n_all)} pitched notes, {sum(n_all)} candidate actions "
                f"({n_used} kept by the cost rules), {unp} unplayable"
            )
        with st.substep("tablature_optimize", "Choosing the easiest holes") as sub:
            res = optimize(harp, pitches, tied=tied, max_bend=max_bend,
                           overbends=overbends, weights=w)
            src_notes = report.source_melody.notes
            n_src = len(src_notes)
            token_of: dict = {None: "X"}  # one format_action per distinct action
            notes = []
            n_tok = n_bend = n_ob = n_x = 0
            for i, (n, a, cont) in enumerate(zip(melody.notes, res.actions, res.continuation,
                                                 strict=True)):
                if n.midi is None or cont:
                    token = ""
                else:
                    token = token_of.get(a)
                    if token is None:
                        token = token_of[a] = format_action(a, style)
                    n_tok += 1
                    if a is None:
                        n_x += 1
                    elif a.overbend:
                        n_ob += 1
                    elif a.bend:
                        n_bend += 1
                notes.append(TabNote(
                    index=i, measure=n.measure, offset=float(n.offset),
                    duration=float(n.duration),
                    source_midi=src_notes[i].midi if i < n_src else None, midi=n.midi,
                    action=a if n.midi is not None else None, token=token,
                    lyric=n.lyric, tied=cont,
                ))
            tab = Tablature(
                harmonica=harp, notes=tuple(notes), transpose_semitones=report.semitones,
                position=report.position, song_key=report.song_key, cost=res.cost,
                style=style, title=melody.title, composer=melody.composer,
            )
            sub.done(f"{n_tok} tokens, {n_bend} bends, {n_ob} overbends, "
                     f"{n_x} unplayable, cost {res.cost:g}")
        st.done(f"{n_tok} tokens on {harp}")
        return tab
