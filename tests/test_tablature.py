"""The tablature step and value object on real corpus tunes of every input format."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harptab_nb.errors import NotPlayable
from harptab_nb.harmonica import load_harmonica
from harptab_nb.music import Melody, Note
from harptab_nb.notation import parse_tab
from harptab_nb.pipeline.mapping_load import load_mapping
from harptab_nb.pipeline.tablature import make_tablature
from harptab_nb.pipeline.transpose import choose_transposition
from harptab_nb.pitch import name_to_midi as N
from harptab_nb.tablature import Tablature
from harptab_nb.tracker import ProgressTracker

TOP_KEYS = {"harmonica", "transpose_semitones", "position", "song_key", "notes", "unplayable",
            "bends", "overbends", "cost"}
HARP_KEYS = {"type", "tuning", "key", "hole1_midi", "holes"}
NOTE_KEYS = {"index", "measure", "offset", "duration", "source_midi", "midi", "tab", "hole",
             "action", "bend", "overbend", "slide", "lyric"}


def run(melody, *, key="C", tuning="richter", harmonica="diatonic", holes=None,
        transpose="auto", tracker=None, **kw):
    mp = load_mapping(harmonica, key=key, tuning=tuning, holes=holes, tracker=tracker)
    rep = choose_transposition(melody, mp, transpose=transpose, tracker=tracker,
                               max_bend=kw.get("max_bend"), overbends=kw.get("overbends", False))
    return rep, make_tablature(rep, tracker=tracker, style=kw.get("style", "plain"))


def _is(value, *types) -> bool:
    """Exact JSON types: ``bool`` is not an int, numpy scalars are not ints or floats."""
    return type(value) in types


def assert_json_types(d: dict) -> None:
    """The value types of the issue-2 JSON example, for every key and every note."""
    h = d["harmonica"]
    assert _is(h["type"], str) and h["type"] in ("diatonic", "chromatic")
    assert _is(h["tuning"], str) and _is(h["key"], str)
    assert _is(h["hole1_midi"], int) and _is(h["holes"], int)
    assert _is(d["transpose_semitones"], int)
    assert d["position"] is None or (_is(d["position"], int) and 1 <= d["position"] <= 12)
    assert d["song_key"] is None or _is(d["song_key"], str)
    for k in ("unplayable", "bends", "overbends"):
        assert _is(d[k], int)
    assert _is(d["cost"], float) and _is(d["notes"], list)
    for n in d["notes"]:
        assert _is(n["index"], int) and _is(n["measure"], int)
        assert _is(n["offset"], float) and _is(n["duration"], float)
        for k in ("source_midi", "midi", "hole"):
            assert n[k] is None or _is(n[k], int)
        assert _is(n["tab"], str) and _is(n["bend"], int)
        assert _is(n["overbend"], bool) and _is(n["slide"], bool)
        assert n["action"] in ("blow", "draw", None)
        assert n["lyric"] is None or _is(n["lyric"], str)
        if n["tab"] == "X":
            assert n["hole"] is None and n["action"] is None and n["midi"] is not None
        if n["midi"] is None:
            assert n["tab"] == "" and n["hole"] is None


def assert_valid(tab: Tablature, melody: Melody, semitones: int) -> None:
    """Every sounded note: right pitch, its action sounds it, token matches; JSON shape."""
    assert len(tab.notes) == len(melody.notes)
    allowed = set(tab.harmonica.actions(overbends=True))
    for tn, n in zip(tab.notes, melody.notes, strict=True):
        assert tn.source_midi == n.midi
        assert tn.midi == (None if n.midi is None else n.midi + semitones)
        assert (tn.measure, tn.offset, tn.duration, tn.lyric) == (
            n.measure, n.offset, n.duration, n.lyric)
        if tn.midi is None:
            assert tn.token == "" and tn.action is None
        elif tn.tied:
            assert tn.token == ""
        elif tn.action is None:
            assert tn.token == "X"
        else:
            assert tn.action in allowed and tn.action.midi == tn.midi
            assert tn.token == tn.action.token(tab.style)
    assert_json_types(tab.to_json())
    d = json.loads(json.dumps(tab.to_json()))
    assert set(d) == TOP_KEYS and set(d["harmonica"]) == HARP_KEYS
    assert all(set(x) == NOTE_KEYS for x in d["notes"])
    assert d["unplayable"] == tab.unplayable == sum(1 for t in tab.tokens if t == "X")
    # text round trip: the same tokens and pitches come back, measure by measure
    parsed = parse_tab(tab.to_text(width=60), tab.harmonica)
    assert parsed.tokens == [t.replace("+", "") for t in tab.tokens]
    assert parsed.pitches == [n.midi if n.action else None for n in tab.sounded]


CORPUS = [
    ("corpus:airdsAirs/book1.abc#4", "abc"),
    ("corpus:airdsAirs/book1.abc#12", "abc"),
    ("corpus:bach/bwv66.6.mxl", "mxl"),
    ("corpus:bach/bwv67.4.xml", "musicxml"),
    ("corpus:beach/prayer_of_a_tired_child.musicxml", "musicxml"),
    ("corpus:bach/bwv277.krn", "humdrum"),
    ("demo:aloha_oe", "musicxml"),
]


def _melody(source):
    from harptab_nb.pipeline.melody import extract_melody
    from harptab_nb.pipeline.ocr import read_score

    return extract_melody(read_score(source))


@pytest.mark.parametrize("source, fmt", CORPUS)
def test_corpus_tunes_give_valid_tabs(source, fmt):
    m = _melody(source)
    assert len(m.pitches) > 10
    for key, tuning in (("C", "richter"), ("auto", "all")):
        rep, tab = run(m, key=key, tuning=tuning)
        assert_valid(tab, m, rep.semitones)
        assert tab.tokens and len(tab.tokens) == len(m.pitches)
        assert rep.options[0].unplayable == tab.unplayable
        assert rep.options[0].bends == tab.bends and rep.options[0].overbends == tab.overbends


def test_midi_file_from_the_corpus(tmp_path):
    from music21 import corpus

    path = tmp_path / "air4.mid"
    corpus.parse("airdsAirs/book1.abc", number=4).write("midi", fp=str(path))
    m = _melody(str(path))
    abc = _melody("corpus:airdsAirs/book1.abc#4")
    # the MIDI writer plays the repeats out: same start, same pitch set
    assert m.pitches[:40] == abc.pitches[:40] and set(m.pitches) == set(abc.pitches)
    rep, tab = run(m)
    assert_valid(tab, m, rep.semitones)


def test_aird_air_4_on_c_richter_known_facts():
    m = _melody("corpus:airdsAirs/book1.abc#4")
    rep, tab = run(m, key="C")
    # counts agree with the per-note checks of the transpose step
    assert tab.bends == rep.count("bend") and tab.unplayable == rep.count("unplayable")
    # with key=auto over all tunings a bend-free harp exists for this air
    rep2, tab2 = run(m, key="auto", tuning="all")
    assert tab2.bends == tab2.overbends == tab2.unplayable == 0


def test_lyrics_under_the_tab_line():
    m = _melody("demo:aloha_oe")
    assert any(n.lyric for n in m.notes)
    _, tab = run(m, key="auto")
    text = tab.to_text(width=70)
    lines = text.splitlines()
    first_lyric = next(n.lyric for n in tab.sounded if n.lyric)
    i = next(k for k, ln in enumerate(lines) if first_lyric in ln and not ln.startswith("#"))
    assert lines[i - 1].startswith("|")  # the tab line is right above
    assert all(len(ln) <= 70 for ln in lines if not ln.startswith("#"))
    html = tab._repr_html_()
    assert first_lyric in html and tab.tokens[0] in html


def test_ties_rests_and_unplayable_in_one_melody():
    notes = (
        Note(N("C5"), 1, 0.0, 1.0, lyric="la"), Note(N("C5"), 1, 1.0, 1.0, tied=True),
        Note(None, 1, 2.0, 1.0), Note(N("Eb5"), 2, 3.0, 1.0), Note(N("D5"), 2, 4.0, 1.0),
    )
    m = Melody(notes=notes, title="t")
    tr = ProgressTracker("tab")
    rep, tab = run(m, transpose="none", tracker=tr)
    assert [n.token for n in tab.notes] == ["4", "", "", "X", "-4"]
    assert tab.notes[1].action == tab.notes[0].action and tab.notes[1].tied
    assert tab.tokens == ["4", "X", "-4"] and tab.unplayable == 1
    assert rep.checks == ("natural", "natural", "rest", "unplayable", "natural")
    d = tab.to_json()
    assert d["notes"][3]["tab"] == "X" and d["notes"][3]["hole"] is None
    assert d["notes"][0] == {
        "index": 0, "measure": 1, "offset": 0.0, "duration": 1.0, "source_midi": 72,
        "midi": 72, "tab": "4", "hole": 4, "action": "blow", "bend": 0, "overbend": False,
        "slide": False, "lyric": "la"}
    for sub in ("tablature_map", "tablature_optimize"):
        assert tr.substep_status("tablature", sub) == "completed"
    assert tr.step_status("tablature") == "completed"
    # overbends on: Eb5 becomes 4o
    _, tab_ob = run(m, transpose="none", overbends=True)
    assert tab_ob.tokens == ["4", "4o", "-4"] and tab_ob.overbends == 1


def test_plus_style_and_json_round_trip():
    m = Melody.from_names("C5 D5 E5 F5 G5")
    _, tab = run(m, transpose="none", style="plus")
    assert tab.tokens == ["+4", "-4", "+5", "-5", "+6"]
    again = Tablature.from_json(tab.to_json(), style="plus")
    assert again.to_json() == tab.to_json()


def test_chromatic_tab_with_slide():
    m = Melody.from_names("C4 C#4 D4 D#4 E4 F4 F#4 G4")
    rep, tab = run(m, harmonica="chromatic", key="C", holes=12, transpose="none")
    assert tab.tokens == ["1", "1<", "-1", "-1<", "2", "-2", "-2<", "3"]
    assert_valid(tab, m, 0)
    assert tab.to_json()["harmonica"] == {"type": "chromatic", "tuning": "solo", "key": "C",
                                          "hole1_midi": 60, "holes": 12}


def test_max_bend_limit_reaches_the_tab():
    m = Melody.from_names("Ab4 A4")
    _, tab = run(m, transpose="none", max_bend=2)
    assert tab.tokens == ["X", "-3''"]
    assert tab.header_lines()[-1] == "2 notes, 1 bend, 0 overbends, 1 unplayable (X)"
    h = load_harmonica()
    with pytest.raises(Exception, match="between 0 and 3"):
        h.actions(max_bend=-1)


def test_long_measure_wraps_between_tokens_and_reads_back():
    notes = tuple(
        Note(N("C5") + (0, 2, 4, 5, 7)[i % 5], measure=1 if i < 30 else 2, offset=float(i),
             lyric="1." if i == 0 else ("la" if i % 3 == 0 else None))
        for i in range(40)
    )
    m = Melody(notes=notes)
    _, tab = run(m, transpose="none")
    text = tab.to_text(width=30, header=False)
    assert all(len(ln) <= 30 for ln in text.splitlines())
    parsed = parse_tab(text, tab.harmonica)
    assert parsed.tokens == tab.tokens and parsed.measures == 2
    assert parsed.lyric_lines[0].split()[0] == "1."  # a verse number is a lyric, not tab


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.one_of(st.integers(36, 100), st.none()), min_size=1, max_size=40),
    st.sampled_from([("C", "richter", "diatonic"), ("auto", "all", "diatonic"),
                     ("auto", "richter", "chromatic")]),
    st.sampled_from(["auto", "none", "-7"]),
    st.sampled_from([None, 0, 2]),
    st.booleans(),
)
def test_property_every_token_sounds_its_note(pitches, harp, transpose, max_bend, overbends):
    if all(p is None for p in pitches):
        pitches = [60, *pitches]
    key, tuning, kind = harp
    m = Melody.from_midi(pitches)
    try:
        rep, tab = run(m, key=key, tuning=tuning, harmonica=kind, transpose=transpose,
                       max_bend=max_bend, overbends=overbends)
    except NotPlayable:  # only when no note at all can be reached
        shift = 0 if transpose == "none" else int(transpose) if transpose != "auto" else None
        assert shift is not None
        return
    assert_valid(tab, m, rep.semitones)
    assert tab.unplayable == rep.options[0].unplayable
    # with default weights a bend only where the note has no natural action
    for n in tab.sounded:
        if n.action is not None and n.action.technique != "natural":
            assert not [a for a in tab.harmonica.actions_for(n.midi, max_bend, overbends)
                        if a.technique == "natural"]


def test_step_functions_raise_the_documented_errors():
    from harptab_nb.errors import OptionError

    m = Melody.from_names("C5 D5")
    mp = load_mapping(key="C")
    for kwargs, words in [(dict(transpose="up"), "auto, none"),
                          (dict(song_key="Q major"), "G major"),
                          (dict(max_bend=5), "between 0 and 3")]:
        with pytest.raises(OptionError, match=words) as exc:
            choose_transposition(m, mp, **kwargs)
        assert "\n" not in str(exc.value)
    rep = choose_transposition(m, mp)
    for kwargs, words in [(dict(style="fancy"), "plain, plus"),
                          (dict(weights={"speed": 1}), "unknown weight 'speed'"),
                          (dict(max_bend=-1), "between 0 and 3")]:
        with pytest.raises(OptionError, match=words):
            make_tablature(rep, **kwargs)
