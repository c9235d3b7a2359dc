"""From recognized glyphs to music: pitches, bar-long accidentals, ties, triplets, warnings."""

from __future__ import annotations

from fractions import Fraction as F

from harptab_nb.omr.assemble import build_score
from harptab_nb.omr.model import Glyph, OmrWarning, StaffReading

SP = 20.0
LINES = [100.0, 120.0, 140.0, 160.0, 180.0]


def _note(x: float, step: int, dur: F = F(1), **kw) -> Glyph:
    y = LINES[4] - step * SP / 2
    return Glyph(
        "note",
        (int(x), int(y - 10), int(x + 26), int(y + 10)),
        step=step,
        head="filled",
        stem=1,
        duration=dur,
        value={"stem_x": int(x + 25), "tip": int(y - 70), "area": 1.0, "label": 0},
        **kw,
    )


def _bar(x: float) -> Glyph:
    return Glyph("bar", (int(x), 100, int(x + 3), 181), name="thin")


def _staff(glyphs: list[Glyph], clef: str = "treble", fifths: int = 0) -> StaffReading:
    st = StaffReading(page=1, index=0, lines=LINES, x0=0, x1=3000, space=SP)
    st.clef, st.key_fifths, st.time = clef, fifths, (2, 4)
    st.glyphs = [Glyph("time", (40, 100, 60, 180), name="digits")] + glyphs
    return st


def _events(score) -> list[tuple[int | None, F]]:
    return [
        (None if n.isRest else n.pitch.midi, F(n.quarterLength).limit_denominator(64))
        for n in score.recurse().notesAndRests
    ]


def test_pitches_keys_and_bar_long_accidentals() -> None:
    sharp = Glyph("accidental", (300, 120, 316, 175), name="sharp")
    glyphs = [
        _note(100, 2), _note(200, 1), _bar(290),  # G4, F#4 (key)
        sharp, _note(330, 3), _note(430, 3), _bar(520),  # A#4 then A#4 again in the bar
        _note(560, 3), _note(660, -2), _bar(750),  # A4 after the bar line; C4 below
    ]
    warnings: list[OmrWarning] = []
    score = build_score([_staff(glyphs, fifths=1)], warnings)
    assert [m for m, _ in _events(score)] == [67, 66, 70, 70, 69, 60]
    measures = list(score.parts[0].getElementsByClass("Measure"))
    assert len(measures) == 3
    assert measures[0].timeSignature.ratioString == "2/4"
    assert measures[0].keySignature.sharps == 1
    assert not [w for w in warnings if w.kind == "bar"]


def test_bass_clef_ties_keep_the_pitch_across_the_bar() -> None:
    sharp = Glyph("accidental", (170, 112, 186, 168), name="sharp")
    tie = Glyph("tie", (230, 150, 320, 165))
    glyphs = [_note(100, 0), sharp, _note(200, 4), tie, _bar(290), _note(320, 4), _note(420, 0), _bar(510)]
    score = build_score([_staff(glyphs, clef="bass")], [])
    # G2, D#3 tied over the bar line to D#3 (no sign needed), then G2
    assert [m for m, _ in _events(score)] == [43, 51, 51, 43]
    notes = list(score.recurse().notes)
    assert notes[1].tie is not None and notes[1].tie.type == "start"
    assert notes[2].tie is not None and notes[2].tie.type == "stop"


def test_dots_triplets_and_a_bar_that_does_not_add_up() -> None:
    three = Glyph("digit", (258, 20, 274, 45), value=0)
    dotted = _note(100, 2, F(1, 2))
    dotted.dots = 1
    glyphs = [
        dotted, _note(160, 4, F(1, 2)),  # dotted eighth + ... (0.75 + 0.5, bar short)
        _note(200, 2, F(1, 2)), _note(250, 3, F(1, 2)), _note(300, 4, F(1, 2)), three,
        _bar(360),
        _note(400, 2), _note(500, 2), _bar(600),
        _note(640, 2), _note(740, 2), _bar(840),
    ]
    warnings: list[OmrWarning] = []
    score = build_score([_staff(glyphs)], warnings)
    ev = _events(score)
    assert ev[0] == (67, F(3, 4))
    assert [d for _, d in ev[2:5]] == [F(1, 3)] * 3
    # the first bar is read as a pickup; the bars after it add up
    assert not [w for w in warnings if w.kind == "bar"]
    # a bar one eighth short in the middle is reported where it starts
    glyphs2 = [
        _note(100, 2), _note(200, 2), _bar(290),
        _note(330, 2), _note(430, 2, F(1, 2)), _bar(520),
        _note(560, 2), _note(660, 2), _bar(750),
    ]
    warnings2: list[OmrWarning] = []
    build_score([_staff(glyphs2)], warnings2)
    (w,) = [w for w in warnings2 if w.kind == "bar"]
    assert "bar 2 holds 1.5 quarter notes, 2 expected" in w.message
    assert w.x is not None and 330 <= w.x <= 360 and w.staff == 0


def test_chord_keeps_its_top_note_with_a_warning() -> None:
    low, high = _note(100, 0), _note(102, 4)
    high.value["stem_x"] = low.value["stem_x"]  # type: ignore[index]
    warnings: list[OmrWarning] = []
    score = build_score([_staff([low, high, _note(200, 2), _bar(290)])], warnings)
    assert [m for m, _ in _events(score)] == [71, 67]
    assert any(w.kind == "chord" for w in warnings)
