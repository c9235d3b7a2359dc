"""Symbol geometry on synthetic shapes (staff space 20 px): causes of LilyPond misreadings."""

from __future__ import annotations

import numpy as np

from harptab_nb.omr.symbols import (
    _classify_accidental,
    _Comp,
    _cut_stroke,
    _has_head,
    _joined_time_digits,
    _notehead_blobs,
    _time_change,
)

SP = 20.0


def _ellipse(h: int, w: int, cy: float, cx: float, ry: float, rx: float) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0


def _sharp() -> np.ndarray:
    m = np.zeros((56, 24), dtype=bool)
    m[0:52, 5:8] = True
    m[4:56, 16:19] = True
    for y0 in (16, 32):  # two slanted beams, 0.35 sp thick
        for x in range(24):
            y = y0 - x // 4
            m[y : y + 7, x] = True
    return m


def _flagged_eighth_stem_down() -> np.ndarray:
    """Head at the top, stem down on its left, the flag curling back up on the right."""
    m = np.zeros((74, 28), dtype=bool)
    m[0:20] |= _ellipse(20, 28, 10, 14, 9.5, 13.5)
    m[8:74, 1:4] = True  # stem
    m[44:70, 16:19] = True  # the flag's near-vertical stroke
    for y in range(50, 74):
        m[y, 3 : 3 + (74 - y) // 2] = True
    return m


def test_a_flagged_note_is_not_a_sharp() -> None:
    assert _classify_accidental(_sharp(), SP) == "sharp"
    note = _flagged_eighth_stem_down()
    assert _has_head(note, SP)
    assert not _has_head(_sharp(), SP)
    assert _classify_accidental(note, SP) is None


def _comp(mask: np.ndarray, y0: int, x0: int) -> _Comp:
    return _Comp(y0, x0, y0 + mask.shape[0], x0 + mask.shape[1], mask)


def _digit(h: int, w: int) -> np.ndarray:
    m = np.zeros((h, w), dtype=bool)
    m[:4] = True
    m[-6:] = True
    m[:, -5:] = True
    m[h // 2 - 2 : h // 2 + 2, w // 3 :] = True
    return m


def test_time_digits_touching_at_the_middle_line_are_split() -> None:
    top, bottom = 100.0, 180.0
    # upper digit 100..140 and lower digit 140..180 touch: one component, 4 spaces tall
    both = np.vstack([_digit(40, 28), _digit(40, 28)])
    pieces = [_comp(both, 100, 500)]
    got = _joined_time_digits(pieces, top, bottom, 140.0, SP)
    assert got is not None
    (up, lo), used = got
    assert up.y1 <= 141 and lo.y0 >= 139 and up.joined and lo.joined
    # a lone piece cut off by line removal is gathered with the rest
    top_piece = np.ones((6, 8), dtype=bool)
    pieces2 = [_comp(top_piece, 96, 498), _comp(both[6:], 106, 500)]
    assert _joined_time_digits(pieces2, top, bottom, 140.0, SP) is not None
    # and a mid-staff time change made of them is recognised
    c = _comp(both, 100, 500)
    assert _time_change(c, [c], top, bottom, SP)


def test_a_note_with_its_stem_is_no_time_signature() -> None:
    m = np.zeros((76, 28), dtype=bool)
    m[56:76] |= _ellipse(20, 28, 10, 14, 9.5, 13.5)
    m[0:66, 25:28] = True
    c = _comp(m, 104, 500)
    assert _joined_time_digits([c], 100.0, 180.0, 140.0, SP) is None
    assert not _time_change(c, [c], 100.0, 180.0, SP)
    # a cut C's stroke runs through its middle, the whole height
    assert _cut_stroke((13, 16, 0, 76), c)
    assert not _cut_stroke((25, 28, 0, 66), c)


def test_hollow_head_crossed_by_a_thick_ledger_line() -> None:
    """LilyPond's ledger lines are thicker than the staff lines: the head's hole is
    cut in two halves further apart; the head must still be one hollow blob."""
    h, w = 60, 60
    ink = _ellipse(h, w, 30, 30, 10, 14) & ~_ellipse(h, w, 30, 30, 5.5, 9)
    ink[28:34, 10:50] = True  # ledger line 0.3 sp thick through the middle of the hole
    lab, n, holes = _notehead_blobs(ink.copy(), ink, SP)
    labels = set(np.unique(lab[20:41, 18:43])) - {0}
    assert len(labels) == 1
    blob = lab == labels.pop()
    assert holes[blob].mean() >= 0.04
