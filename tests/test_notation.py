"""Tab notation: tokens per the convention, parsing back, round trips, errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harptab_nb.errors import TabParseError
from harptab_nb.harmonica import Action, load_harmonica
from harptab_nb.notation import (
    format_action,
    format_chord,
    parse_tab,
    parse_token,
    split_token,
    tab_to_pitches,
)
from harptab_nb.pitch import name_to_midi as N

C = load_harmonica("richter", "C")
CHROM = load_harmonica("solo", "C", type="chromatic", holes=12)


@pytest.mark.parametrize(
    "action, plain, plus",
    [
        (Action(4, "blow", 72), "4", "+4"),
        (Action(4, "draw", 74), "-4", "-4"),
        (Action(3, "draw", 69, bend=2), "-3''", "-3''"),
        (Action(10, "blow", 94, bend=2), "10''", "+10''"),
        (Action(6, "blow", 82, overbend=True), "6o", "+6o"),
        (Action(7, "draw", 85, overbend=True), "-7o", "-7o"),
        (Action(4, "blow", 73, slide=True), "4<", "+4<"),
        (Action(4, "draw", 72, slide=True), "-4<", "-4<"),
        (None, "X", "X"),
    ],
)
def test_format_action(action, plain, plus):
    assert format_action(action) == plain
    assert format_action(action, style="plus") == plus


def test_unknown_style():
    with pytest.raises(ValueError, match="plain, plus"):
        format_action(Action(1, "blow", 60), style="fancy")


@pytest.mark.parametrize(
    "token, pitch",
    [("4", "C5"), ("+4", "C5"), ("-4", "D5"), ("-3'''", "Ab4"), ("-2''", "F4"),
     ("10''", "Bb6"), ("6o", "Bb5"), ("-7o", "C#6"), ("-3\u2019", "Bb4"), ("x", None)],
)
def test_parse_token_on_richter_c(token, pitch):
    a = parse_token(token, C)
    assert (a.midi if a else None) == (N(pitch) if pitch else None)


@pytest.mark.parametrize(
    "token, why",
    [("-5'", "hole 5"), ("11", "only 10 holes"), ("4<", "no slide"), ("-3''''", "bent 4 semitone"),
     ("-3'''x", "not a tab token"),
     ("7o", "hole 7"), ("0", "numbered from 1"), ("4'o", "cannot also be bent"), ("abc", "tab token")],
)
def test_parse_token_errors(token, why):
    with pytest.raises(TabParseError, match=why):
        parse_token(token, C)


def test_chromatic_tokens():
    assert parse_token("-4<", CHROM).midi == N("C5")
    assert parse_token("12", CHROM).midi == N("C7")
    with pytest.raises(TabParseError):
        parse_token("-3'", CHROM)


def test_whole_tab_with_chords_x_bars_comments_and_lyrics():
    text = (
        "# a comment\n"
        "| 4 -4 5 | (4 5 6) X -3' |\n"
        "  Twin-kle lit-tle star\n"
        "| +6 -6o |\n"
    )
    with pytest.raises(TabParseError, match="hole 6"):
        parse_tab(text, C)  # -6o does not exist on Richter (hole 6 overblows)
    parsed = parse_tab(text.replace("-6o", "6o"), C)
    assert parsed.tokens == ["4", "-4", "5", "(4 5 6)", "X", "-3'", "6", "6o"]
    assert parsed.pitches == [N(p) if p else None for p in
                              ["C5", "D5", "E5", "G5", None, "Bb4", "G5", "Bb5"]]
    assert [e.kind for e in parsed.events if e.kind != "bar"] == [
        "note", "note", "note", "chord", "unplayable", "note", "note", "note"]
    assert parsed.lyric_lines == ("  Twin-kle lit-tle star",)
    assert parsed.measures == 3
    m = parsed.to_melody()
    assert [n.measure for n in m.notes] == [1, 1, 1, 2, 2, 2, 3, 3]
    assert m.notes[4].midi is None  # X is unknown: a rest, not a guess


@pytest.mark.parametrize(
    "text, where",
    [("4 (5 6", "line 1, column 3"), ("4 5)", "line 1, column 4"), ("()", "empty chord"),
     ("(4 (5))", "nested"), ("4\n-4 Q", "line 2, column 4"), ("(4 X)", "X inside"),
     ("(4 | 5)", "bar line inside")],
)
def test_tab_parse_errors_name_line_and_column(text, where):
    with pytest.raises(TabParseError, match=where.replace("(", r"\(").replace(")", r"\)")):
        parse_tab(text, C)


def test_mixed_garbage_line_is_an_error_not_a_lyric():
    with pytest.raises(TabParseError, match="line 2"):
        parse_tab("4 5 6\n4 five 6\n", C)


def test_move_a_tab_to_another_harp_key():
    """Same pitches, other harp: parse on C, re-tab on G via the engine."""
    from harptab_nb.optimize import optimize

    pitches = tab_to_pitches("4 -4 5 -5 6 -6 -7 7", C)
    assert pitches == [N(p) for p in "C5 D5 E5 F5 G5 A5 B5 C6".split()]
    g = load_harmonica("richter", "G")
    res = optimize(g, pitches)
    # F5 has no natural or bent action on a G harp (only the 6 overblow): X
    assert [format_action(a) for a in res.actions] == ["-5", "6", "-6", "X", "7", "-8", "8", "-9"]
    assert [a.midi for a in res.actions if a] == [p for p in pitches if p != N("F5")]
    res_ob = optimize(g, pitches, overbends=True)
    assert format_action(res_ob.actions[3]) == "6o"


ALL_ACTIONS = {
    "richter C": load_harmonica("richter", "C").actions(overbends=True),
    "paddy Low D": load_harmonica("paddy_richter", "Low D").actions(overbends=True),
    "chromatic 16 G": load_harmonica("solo", "G", type="chromatic", holes=16).actions(),
}
HARPS = {
    "richter C": load_harmonica("richter", "C"),
    "paddy Low D": load_harmonica("paddy_richter", "Low D"),
    "chromatic 16 G": load_harmonica("solo", "G", type="chromatic", holes=16),
}


@st.composite
def tab_texts(draw):
    name = draw(st.sampled_from(sorted(HARPS)))
    acts = ALL_ACTIONS[name]
    items = draw(st.lists(
        st.one_of(
            st.sampled_from(acts).map(lambda a: ("a", (a,))),
            st.lists(st.sampled_from(acts), min_size=2, max_size=3).map(lambda x: ("c", tuple(x))),
            st.just(("x", ())),
            st.just(("|", ())),
        ),
        min_size=1, max_size=25,
    ))
    style = draw(st.sampled_from(["plain", "plus"]))
    return name, items, style


@settings(max_examples=60, deadline=None)
@given(tab_texts())
def test_round_trip_text_actions_pitches(case):
    name, items, style = case
    harp = HARPS[name]
    words = []
    for kind, acts in items:
        words.append(
            format_action(acts[0], style) if kind == "a" else format_chord(acts, style)
            if kind == "c" else "X" if kind == "x" else "|"
        )
    text = " ".join(words)
    parsed = parse_tab(text, harp)
    sounded = [(k, a) for k, a in items if k != "|"]
    assert len(parsed.actions) == len(sounded)
    for (kind, acts), got in zip(sounded, parsed.actions, strict=True):
        if kind == "a":
            assert got == acts[0]
        elif kind == "c":
            assert got == acts
        else:
            assert got is None
    assert parsed.pitches == [
        max(a.midi for a in acts) if acts else None for _k, acts in sounded
    ]
    # normalised tokens parse back to the same thing
    again = parse_tab(" ".join(parsed.tokens), harp)
    assert again.actions == parsed.actions


def test_split_token_without_harp():
    spec = split_token("-3''")
    assert (spec.hole, spec.breath, spec.bend, spec.overbend, spec.slide) == (3, "draw", 2, False, False)
    assert split_token("X") is None


def test_deep_bends_of_a_user_layout_round_trip(tmp_path):
    """Reeds a fifth apart (C4 blow, G4 draw) bend down 6 semitones: 6 marks, read back."""
    p = tmp_path / "wide.toml"
    p.write_text('type = "diatonic"\ntuning = "wide"\nreference_key = "C"\n'
                 'blow = ["C4", "C5"]\ndraw = ["G4", "D5"]\n', encoding="utf-8")
    harp = load_harmonica(path=p)
    deep = [a for a in harp.actions() if a.hole == 1 and a.bend]
    assert sorted(a.bend for a in deep) == [1, 2, 3, 4, 5, 6]
    text = " ".join(format_action(a) for a in deep)
    assert "-1" + "'" * 6 in text.split()
    assert parse_tab(text, harp).actions == deep
