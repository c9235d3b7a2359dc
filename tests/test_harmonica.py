"""Built-in layouts checked note by note against the harmonica facts (HARMONICA.md,
copied here), the physics rules for every layout and key, and the layout loader."""

from __future__ import annotations

import pytest

from harptab_nb.errors import LayoutError, OptionError
from harptab_nb.harmonica import (
    STANDARD_HOLE1,
    load_harmonica,
    standard_keys,
    tunings,
)
from harptab_nb.notation import format_action
from harptab_nb.pitch import name_to_midi as N
from harptab_nb.pitch import pitch_class

# --------------------------------------------------------------------------- facts
# Richter in C, from the reference table: token -> pitch.
RICHTER_C = {
    "1": "C4", "2": "E4", "3": "G4", "4": "C5", "5": "E5", "6": "G5", "7": "C6", "8": "E6",
    "9": "G6", "10": "C7",
    "-1": "D4", "-2": "G4", "-3": "B4", "-4": "D5", "-5": "F5", "-6": "A5", "-7": "B5",
    "-8": "D6", "-9": "F6", "-10": "A6",
    "-1'": "C#4", "-2'": "F#4", "-2''": "F4", "-3'": "Bb4", "-3''": "A4", "-3'''": "Ab4",
    "-4'": "C#5", "-6'": "Ab5", "8'": "Eb6", "9'": "F#6", "10'": "B6", "10''": "Bb6",
}
RICHTER_C_OVERBENDS = {
    "1o": "Eb4", "4o": "Eb5", "5o": "F#5", "6o": "Bb5", "-7o": "C#6", "-9o": "Ab6",
    "-10o": "C#7",
}

C_ROWS = {  # tuning -> (blow, draw), key of C
    "richter": ("C4 E4 G4 C5 E5 G5 C6 E6 G6 C7", "D4 G4 B4 D5 F5 A5 B5 D6 F6 A6"),
    "paddy_richter": ("C4 E4 A4 C5 E5 G5 C6 E6 G6 C7", "D4 G4 B4 D5 F5 A5 B5 D6 F6 A6"),
    "country": ("C4 E4 G4 C5 E5 G5 C6 E6 G6 C7", "D4 G4 B4 D5 F#5 A5 B5 D6 F6 A6"),
    "natural_minor": ("C4 Eb4 G4 C5 Eb5 G5 C6 Eb6 G6 C7", "D4 G4 Bb4 D5 F5 A5 Bb5 D6 F6 A6"),
    "harmonic_minor": ("C4 Eb4 G4 C5 Eb5 G5 C6 Eb6 G6 C7", "D4 G4 B4 D5 F5 Ab5 B5 D6 F6 Ab6"),
    "melody_maker": ("C4 E4 A4 C5 E5 G5 C6 E6 G6 C7", "D4 G4 B4 D5 F#5 A5 B5 D6 F#6 A6"),
    "powerbender": ("C4 E4 G4 C5 D5 F5 A5 C6 E6 A6", "D4 G4 B4 D5 E5 G5 B5 D6 G6 C7"),
    "powerdraw": ("C4 E4 G4 C5 E5 G5 A5 C6 E6 A6", "D4 G4 B4 D5 F5 A5 B5 D6 G6 C7"),
}

# Standard-octave hole-1 blow: G..B below middle C, C..F# from C4.
STANDARD = {"G": "G3", "Ab": "Ab3", "A": "A3", "Bb": "Bb3", "B": "B3", "C": "C4",
            "Db": "Db4", "D": "D4", "Eb": "Eb4", "E": "E4", "F": "F4", "F#": "F#4"}
VARIANTS = {"Low F": "F3", "Low D": "D3", "Low C": "C3", "High G": "G4"}


def _rows(h):
    return list(h.blow), list(h.draw)


def _names(text):
    return [N(x) for x in text.split()]


def test_richter_c_every_action_matches_the_table():
    h = load_harmonica("richter", "C")
    got = {format_action(a): a.midi for a in h.actions(overbends=False)}
    assert got == {t: N(p) for t, p in RICHTER_C.items()}
    got_ob = {format_action(a): a.midi for a in h.actions(overbends=True) if a.overbend}
    assert got_ob == {t: N(p) for t, p in RICHTER_C_OVERBENDS.items()}


def test_richter_duplicate_overbends_are_left_out():
    h = load_harmonica("richter", "C")
    holes = {a.hole for a in h.actions(overbends=True) if a.overbend}
    assert holes == {1, 4, 5, 6, 7, 9, 10}  # not 2 (G#4 = -3'''), 3 (C5 = 4), 8 (F6 = -9)


@pytest.mark.parametrize("tuning", sorted(C_ROWS))
def test_reed_rows_in_c(tuning):
    h = load_harmonica(tuning, "C")
    blow, draw = C_ROWS[tuning]
    assert _rows(h) == (_names(blow), _names(draw))
    assert h.holes == 10 and h.type == "diatonic" and h.hole1_midi == 60


def test_all_eight_diatonic_tunings_are_built_in():
    assert tunings("diatonic") == [
        "richter", "paddy_richter", "country", "natural_minor", "harmonic_minor",
        "melody_maker", "powerbender", "powerdraw",
    ]
    assert tunings("chromatic") == ["solo"]


def test_tuning_specific_consequences():
    paddy = load_harmonica("paddy_richter", "C")
    assert [format_action(a) for a in paddy.actions() if a.hole == 3 and a.bend] == ["-3'"]
    assert {format_action(a) for a in paddy.actions_for(N("G4"))} == {"-2"}
    country = load_harmonica("country", "C")
    assert [format_action(a) for a in country.actions_for(N("F5"))] == ["-5'"]
    assert not [a for a in country.actions(overbends=True) if a.overbend and a.hole == 5]


# Every bend and overbend of every built-in tuning in C, worked out by hand from the reed
# rows and the physics rules (an independent table, not the code's own derivation).
# Overbends that repeat an easier note are absent: Paddy keeps 2o (G#4) because its
# hole 3 (A4/B4) bends only to Bb4; natural minor drops 1o (Eb4 = 2 blow).
C_BENDS_OVERBENDS = {
    "richter": {**{t: p for t, p in RICHTER_C.items() if "'" in t}, **RICHTER_C_OVERBENDS},
    "paddy_richter": {
        "-1'": "C#4", "-2'": "F#4", "-2''": "F4", "-3'": "Bb4", "-4'": "C#5", "-6'": "Ab5",
        "8'": "Eb6", "9'": "F#6", "10'": "B6", "10''": "Bb6",
        "1o": "Eb4", "2o": "G#4", "4o": "Eb5", "5o": "F#5", "6o": "Bb5", "-7o": "C#6",
        "-9o": "Ab6", "-10o": "C#7"},
    "country": {
        "-1'": "C#4", "-2'": "F#4", "-2''": "F4", "-3'": "Bb4", "-3''": "A4", "-3'''": "Ab4",
        "-4'": "C#5", "-5'": "F5", "-6'": "Ab5", "8'": "Eb6", "9'": "F#6", "10'": "B6",
        "10''": "Bb6",
        "1o": "Eb4", "4o": "Eb5", "6o": "Bb5", "-7o": "C#6", "-9o": "Ab6", "-10o": "C#7"},
    "natural_minor": {
        "-1'": "C#4", "-2'": "F#4", "-2''": "F4", "-2'''": "E4", "-3'": "A4", "-3''": "Ab4",
        "-4'": "C#5", "-5'": "E5", "-6'": "Ab5", "7'": "B5", "9'": "F#6", "10'": "B6",
        "10''": "Bb6",
        "3o": "B4", "5o": "F#5", "-7o": "C#6", "-8o": "E6", "-9o": "Ab6", "-10o": "C#7"},
    "harmonic_minor": {
        "-1'": "C#4", "-2'": "F#4", "-2''": "F4", "-2'''": "E4", "-3'": "Bb4", "-3''": "A4",
        "-3'''": "Ab4", "-4'": "C#5", "-5'": "E5", "9'": "F#6", "10'": "B6", "10''": "Bb6",
        "10'''": "A6",
        "5o": "F#5", "6o": "A5", "-7o": "C#6", "-8o": "E6", "-10o": "C#7"},
    "melody_maker": {
        "-1'": "C#4", "-2'": "F#4", "-2''": "F4", "-3'": "Bb4", "-4'": "C#5", "-5'": "F5",
        "-6'": "G#5", "8'": "Eb6", "10'": "B6", "10''": "Bb6",
        "1o": "Eb4", "2o": "G#4", "4o": "Eb5", "6o": "Bb5", "-7o": "C#6", "-8o": "F6",
        "-9o": "G#6", "-10o": "C#7"},
    "powerbender": {
        "-1'": "C#4", "-2'": "F#4", "-2''": "F4", "-3'": "Bb4", "-3''": "A4", "-3'''": "Ab4",
        "-4'": "C#5", "-5'": "Eb5", "-6'": "F#5", "-7'": "Bb5", "-8'": "C#6", "-9'": "F#6",
        "-9''": "F6", "-10'": "B6", "-10''": "Bb6",
        "1o": "Eb4", "6o": "G#5", "8o": "Eb6", "9o": "G#6", "10o": "C#7"},
    "powerdraw": {
        "-1'": "C#4", "-2'": "F#4", "-2''": "F4", "-3'": "Bb4", "-3''": "A4", "-3'''": "Ab4",
        "-4'": "C#5", "-6'": "Ab5", "-7'": "Bb5", "-8'": "C#6", "-9'": "F#6", "-9''": "F6",
        "-10'": "B6", "-10''": "Bb6",
        "1o": "Eb4", "4o": "Eb5", "5o": "F#5", "8o": "Eb6", "9o": "G#6", "10o": "C#7"},
}


@pytest.mark.parametrize("tuning", sorted(C_ROWS))
def test_every_bend_and_overbend_of_every_tuning_in_c(tuning):
    h = load_harmonica(tuning, "C")
    got = {format_action(a): a.midi for a in h.actions(overbends=True)
           if a.technique != "natural"}
    assert got == {t: N(p) for t, p in C_BENDS_OVERBENDS[tuning].items()}
    # the natural actions are exactly the reed rows
    nat = sorted(a.midi for a in h.actions() if a.technique == "natural")
    assert nat == sorted(h.blow + h.draw)


@pytest.mark.parametrize("tuning", sorted(C_ROWS))
@pytest.mark.parametrize("key", sorted(STANDARD))
def test_physics_for_every_layout_and_key(tuning, key):
    """Bends: the higher reed down by 1..interval-1; overbend: higher reed + 1, no dups."""
    h = load_harmonica(tuning, key)
    acts = h.actions(overbends=True)
    plain = {a.midi for a in acts if not a.overbend}
    for i, (b, d) in enumerate(zip(h.blow, h.draw, strict=True), start=1):
        hole = [a for a in acts if a.hole == i]
        bends = sorted(a.midi for a in hole if a.bend)
        hi, lo, breath = (d, b, "draw") if d > b else (b, d, "blow")
        assert bends == list(range(lo + 1, hi))
        assert all(a.breath == breath for a in hole if a.bend)
        obs = [a for a in hole if a.overbend]
        if hi + 1 in plain:
            assert obs == []
        else:
            assert [(a.midi, a.breath) for a in obs] == [(hi + 1, "blow" if breath == "draw" else "draw")]


@pytest.mark.parametrize("key", sorted(STANDARD))
def test_twelve_keys_at_standard_octave(key):
    h = load_harmonica("richter", key)
    assert h.hole1_midi == N(STANDARD[key])
    assert h.key == key and h.label == key
    shift = N(STANDARD[key]) - 60
    c = load_harmonica("richter", "C")
    assert [(format_action(a), a.midi) for a in h.actions(overbends=True)] == [
        (format_action(a), a.midi + shift) for a in c.actions(overbends=True)
    ]


@pytest.mark.parametrize("label", sorted(VARIANTS))
def test_low_and_high_variants(label):
    h = load_harmonica("richter", label)
    assert h.hole1_midi == N(VARIANTS[label])
    assert h.label == label
    assert h.blow[3] == h.hole1_midi + 12 and h.draw[0] == h.hole1_midi + 2


def test_key_given_as_hole1_pitch_and_shop_shorthand():
    assert load_harmonica("richter", "F3").label == "Low F"
    assert load_harmonica("richter", "LF").hole1_midi == N("F3")
    assert load_harmonica("richter", "Bb").hole1_midi == N("Bb3")
    assert standard_keys()[0] == "G" and standard_keys()[-1] == "F#"
    assert all(STANDARD_HOLE1[pitch_class(k)] == N(v) for k, v in STANDARD.items())


def test_chromatic_12_in_c():
    h = load_harmonica("solo", "C", type="chromatic", holes=12)
    assert list(h.blow) == _names("C4 E4 G4 C5 C5 E5 G5 C6 C6 E6 G6 C7")
    assert list(h.draw) == _names("D4 F4 A4 B4 D5 F5 A5 B5 D6 F6 A6 B6")
    # the slide gives each reed's semitone-higher twin, except hole 12 draw: D7 on most
    # 12-hole models (HARMONICA.md), so the range is C4-D7
    assert list(h.slide_blow) == [p + 1 for p in h.blow]
    assert list(h.slide_draw[:11]) == [p + 1 for p in h.draw[:11]]
    assert h.slide_draw[11] == N("D7")
    assert format_action(h.actions_for(N("D7"))[0]) == "-12<"
    c5 = {format_action(a) for a in h.actions_for(N("C5"))}
    assert c5 == {"4", "5", "-4<"}
    assert not any(a.bend or a.overbend for a in h.actions(overbends=True))
    # fully chromatic from C4 to D7
    assert set(range(N("C4"), N("D7") + 1)) == {a.midi for a in h.actions()}


def test_chromatic_16_has_four_holes_below():
    h = load_harmonica("solo", "C", type="chromatic", holes=16)
    assert h.holes == 16 and h.hole1_midi == N("C3")
    assert list(h.blow[:4]) == _names("C3 E3 G3 C4")
    assert list(h.draw[:4]) == _names("D3 F3 A3 B3")
    h12 = load_harmonica("solo", "C", type="chromatic", holes=12)
    assert h.blow[4:] == h12.blow and h.draw[4:] == h12.draw
    assert h.slide_draw[4:] == h12.slide_draw and h.slide_draw[15] == N("D7")


@pytest.mark.parametrize("holes", [12, 16])
@pytest.mark.parametrize("key", ["G", "F#", "Bb", "D"])
def test_chromatic_in_any_key(key, holes):
    h = load_harmonica("solo", key, type="chromatic", holes=holes)
    c = load_harmonica("solo", "C", type="chromatic", holes=holes)
    shift = N(STANDARD[key]) - 60
    assert h.hole1_midi == c.hole1_midi + shift and h.label == key and h.holes == holes
    assert [(format_action(a), a.midi) for a in h.actions()] == [
        (format_action(a), a.midi + shift) for a in c.actions()]
    # with the slide every semitone of the range is there, slide tokens end in '<'
    slid = [a for a in h.actions() if a.slide]
    assert len(slid) == 2 * holes and all(format_action(a).endswith("<") for a in slid)
    assert {a.midi for a in h.actions()} == set(range(h.hole1_midi, h.highest + 1))
    assert h.highest == h.draw[-1] + 3  # top hole draw with the slide in: D7 in C


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(tuning="nope"), ["nope", "richter", "powerdraw"]),
        (dict(tuning="richter", key="H"), ["'H'", "Low F"]),
        (dict(tuning="solo", type="chromatic", holes=14), ["12 or 16"]),
        (dict(tuning="richter", holes=12), ["10 holes"]),
        (dict(tuning="richter", type="bagpipe"), ["diatonic", "chromatic"]),
        (dict(tuning="richter", key="C1"), ["hole 1 at C1", "Low F", "C2 to C6"]),
        (dict(tuning="richter", key="Double Low G"), ["hole 1 at G1"]),
    ],
)
def test_bad_options_name_the_choices(kwargs, words):
    with pytest.raises(OptionError) as exc:
        load_harmonica(**kwargs)
    for w in words:
        assert w in str(exc.value)


def test_max_bend_is_validated():
    h = load_harmonica()
    with pytest.raises(OptionError, match="between 0 and 3"):
        h.actions(max_bend=4)
    assert not any(a.bend for a in h.actions(max_bend=0))
    assert max(a.bend for a in h.actions(max_bend=2)) == 2


# --------------------------------------------------------------------------- loader

GOOD = """\
type = "diatonic"
tuning = "my_tuning"
name = "Mine"
reference_key = "C"
holes = 10
blow = ["C4", "E4", "G4", "C5", "E5", "G5", "C6", "E6", "G6", "C7"]
draw = ["D4", "G4", "B4", "D5", "F5", "A5", "B5", "D6", "F6", "A6"]
"""


def _write(tmp_path, text, name="harp.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_user_layout_loads_in_any_key(tmp_path):
    p = _write(tmp_path, GOOD)
    h = load_harmonica(path=p, key="A")
    assert h.tuning == "my_tuning" and h.hole1_midi == N("A3") and h.name == "Mine"
    assert h.source == str(p)


@pytest.mark.parametrize(
    "edit, field",
    [
        (lambda t: t.replace('type = "diatonic"\n', ""), "type"),
        (lambda t: t.replace('"diatonic"', '"tremolo"'), "type"),
        (lambda t: t.replace('"my_tuning"', '"My Tuning"'), "tuning"),
        (lambda t: t.replace('"E5", "G5"', '"E5", "Q5"', 1), "blow"),
        (lambda t: t.replace(', "A6"]', "]"), "draw"),
        (lambda t: t.replace("holes = 10", "holes = 9"), "holes"),
        (lambda t: t.replace('reference_key = "C"', 'reference_key = "D"'), "reference_key"),
        (lambda t: t.replace('reference_key = "C"', 'reference_key = "Z"'), "reference_key"),
        (lambda t: t + 'slide_blow = ["C#4"]\n', "slide_blow"),
        (lambda t: t + 'draww = ["D4"]\n', "draww"),
        (lambda t: t.replace('draw = ["D4"', 'draw = ["C4"'), "draw"),
        (lambda t: t.replace("holes = 10", 'holes = "ten"'), "holes"),
        (lambda t: t.replace('blow = [', "blow = 5 #["), "blow"),
    ],
)
def test_malformed_layout_names_file_and_field(tmp_path, edit, field):
    p = _write(tmp_path, edit(GOOD))
    with pytest.raises(LayoutError) as exc:
        load_harmonica(path=p)
    msg = str(exc.value)
    assert str(p) in msg and f"'{field}'" in msg
    assert exc.value.step == "mapping_load"


def test_invalid_toml_and_missing_file(tmp_path):
    p = _write(tmp_path, "type = diatonic\n")
    with pytest.raises(LayoutError, match="not valid TOML") as exc:
        load_harmonica(path=p)
    assert str(p) in str(exc.value)
    with pytest.raises(LayoutError, match="cannot read"):
        load_harmonica(path=tmp_path / "missing.toml")


def test_vendor_labels_follow_the_key():
    assert load_harmonica("natural_minor", "C").vendor_label() == "G minor (2nd position)"
    assert load_harmonica("natural_minor", "D").vendor_label("lee_oskar") == "A minor (2nd position)"
    assert load_harmonica("melody_maker", "Low F").vendor_label() == "C (Melody Maker)"
    assert load_harmonica("harmonic_minor", "A").vendor_label() == "A harmonic minor"
    assert load_harmonica("richter", "C").vendor_label() is None
    assert load_harmonica("natural_minor", "C").vendor_label("hohner") is None


# --------------------------------------------------------------------------- chart

def test_chart_of_richter_c_as_text_and_html():
    from harptab_nb.chart import chart_html, harp_chart

    h = load_harmonica("richter", "C")
    chart = harp_chart(h)
    rows = {r.label: [format_action(a) if a else "" for a in r.cells] for r in chart.rows}
    assert [r.label for r in chart.rows] == [
        "overdraw", "blow''", "blow'", "blow", "hole", "draw", "draw'", "draw''", "draw'''",
        "overblow"]
    assert rows["overblow"] == ["1o", "", "", "4o", "5o", "6o", "", "", "", ""]
    assert rows["overdraw"] == ["", "", "", "", "", "", "-7o", "", "-9o", "-10o"]
    assert rows["draw'''"] == ["", "", "-3'''", "", "", "", "", "", "", ""]
    assert rows["blow'"] == ["", "", "", "", "", "", "", "8'", "9'", "10'"]
    # every action of the harp is in exactly one cell
    cells = [a for r in chart.rows if r.label != "hole" for a in r.cells if a]
    assert sorted(cells, key=lambda a: (a.hole, a.midi)) == list(h.actions(overbends=True))
    text = chart.to_text(tokens=True)
    assert "Ab4=-3'''" in text and "Eb4=1o" in text and text.splitlines()[0].endswith("= C4)")
    html = chart_html(h)
    assert html.startswith("<table") and html.count("<tr>") == len(chart.rows)
    assert "-3&#x27;&#x27;&#x27;" in html and "-10o" in html
    # the player's limits: no overbend rows, bends only one deep
    plain = harp_chart(h, max_bend=1, overbends=False)
    assert [r.label for r in plain.rows] == ["blow'", "blow", "hole", "draw", "draw'"]


def test_chart_of_chromatic_shows_the_slide_rows():
    from harptab_nb.chart import harp_chart

    h = load_harmonica("solo", "C", type="chromatic", holes=12)
    chart = harp_chart(h)
    assert [r.label for r in chart.rows] == ["blow+slide", "blow", "hole", "draw", "draw+slide"]
    top = {r.label: r.cells[3] for r in chart.rows if r.label != "hole"}
    assert format_action(top["draw+slide"]) == "-4<" and top["draw+slide"].midi == N("C5")
