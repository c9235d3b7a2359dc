"""Per-note checks, the placement ranking rules, positions, and the transpose step."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harptab_nb.errors import NotPlayable, OptionError
from harptab_nb.harmonica import load_harmonica
from harptab_nb.music import Melody, Note
from harptab_nb.pipeline.mapping_load import load_mapping
from harptab_nb.pipeline.transpose import choose_transposition
from harptab_nb.pitch import name_to_midi as N
from harptab_nb.tracker import ProgressTracker
from harptab_nb.transposition import (
    check_pitches,
    estimate_key,
    parse_song_key,
    parse_transpose,
    position,
    position_name,
    rank_placements,
)

C = load_harmonica("richter", "C")


def mel(text: str, **kw) -> Melody:
    return Melody.from_names(text, **kw)


# ------------------------------------------------------------------ positions
@pytest.mark.parametrize(
    "song, harp, p",
    [("C", "C", 1), ("G", "C", 2), ("D", "C", 3), ("F", "C", 12), ("A", "C", 4),
     ("E", "C", 5), ("D", "G", 2), ("A", "D", 2), ("F", "Bb", 2), ("Bb", "F", 12), ("C", "F", 2)],
)
def test_position_formula(song, harp, p):
    from harptab_nb.pitch import pitch_class

    assert position(pitch_class(song), pitch_class(harp)) == p
    assert p == 1 + (7 * (pitch_class(song) - pitch_class(harp))) % 12


def test_position_names():
    assert position_name(2) == "2nd position (cross harp)"
    assert position_name(12) == "12th position"
    assert position_name(3).startswith("3rd")


# ------------------------------------------------------------------ checks
def test_per_note_checks_on_richter_c():
    got = check_pitches(C, [N("C4"), N("F4"), N("Eb5"), N("C3"), None, N("A6")])
    assert got == ["natural", "bend", "unplayable", "unplayable", "rest", "natural"]
    got = check_pitches(C, [N("Eb5"), N("Ab4")], overbends=True, max_bend=2)
    assert got == ["overbend", "unplayable"]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(40, 100), min_size=1, max_size=20), st.sampled_from([None, 1, 3]),
       st.booleans())
def test_ranking_counts_equal_a_naive_count(pitches, max_bend, overbends):
    harps = [load_harmonica(t, k) for t in ("richter", "country") for k in ("C", "G", "Low D")]
    opts = rank_placements(pitches, harps, range(-24, 25), max_bend=max_bend,
                           overbends=overbends, per_harp=False)
    assert len(opts) == len(harps) * 49
    for o in opts[:: 37]:
        shifted = [p + o.semitones for p in pitches]
        checks = check_pitches(o.harmonica, shifted, max_bend=max_bend, overbends=overbends)
        naive = {t: 0 for t in ("natural", "bend", "overbend", "unplayable")}
        for p in shifted:
            acts = o.harmonica.actions_for(p, max_bend, overbends)
            t = ("unplayable" if not acts else "natural"
                 if any(a.technique == "natural" for a in acts)
                 else "bend" if any(a.technique == "bend" for a in acts) else "overbend")
            naive[t] += 1
        assert (o.natural, o.bends, o.overbends, o.unplayable) == (
            naive["natural"], naive["bend"], naive["overbend"], naive["unplayable"])
        assert checks.count("bend") == o.bends
    # sorted by the ranking rules
    keys = [(o.unplayable, o.bends + o.overbends) for o in opts]
    assert keys == sorted(keys)


# ------------------------------------------------------------------ ranking rules
def test_bend_free_octave_up_beats_bends_in_place():
    # C major scale from C4: in place needs -2'' (F4) and -3' ... an octave up is all natural
    m = mel("C4 D4 E4 F4 G4 A4 B4 C5")
    opts = rank_placements(m.pitches, [C], range(-24, 25), song_key="C major", per_harp=False)
    best = opts[0]
    assert (best.semitones, best.bends, best.unplayable) == (12, 0, 0)
    in_place = next(o for o in opts if o.semitones == 0)
    assert in_place.bends == 2 and opts.index(in_place) > 0


def test_octave_shift_before_other_shifts_before_bigger_shift():
    m = mel("E5 F5 G5")  # natural at 0, +12 (-> E6 F6 G6), and at other shifts
    opts = rank_placements(m.pitches, [C], range(-24, 25), song_key="C major", per_harp=False)
    natural = [o.semitones for o in opts if o.bends == 0 and o.unplayable == 0]
    assert natural[:2] == [0, 12]
    # among non-octave natural shifts the smaller comes first
    others = [s for s in natural if s % 12]
    assert [abs(s) for s in others] == sorted(abs(s) for s in others)


def test_fewest_unplayable_then_fewest_bends():
    m = mel("C4 D4 E4 G4 C7 C8")  # four octaves: some notes unplayable in every placement
    opts = rank_placements(m.pitches, [C], range(-24, 25), per_harp=False)
    u = [o.unplayable for o in opts]
    assert u == sorted(u)
    for a, b in zip(opts, opts[1:], strict=False):
        if a.unplayable == b.unplayable:
            assert a.bends + a.overbends <= b.bends + b.overbends


def test_easier_bends_rank_first_at_equal_counts():
    # one bent note either way: a 1-semitone bend (-4' C#5) beats a 3-semitone one (-3''')
    opts = rank_placements([N("C#5")], [C], [0, -5], per_harp=False)
    assert opts[0].semitones == 0 and opts[0].bends == 1  # C#5 = -4'
    assert opts[1].semitones == -5  # G#4 = -3''' : harder
    assert opts[0].score < opts[1].score


def test_key_auto_over_keys_and_tunings_with_reasons():
    m = mel("D4 E4 F#4 G4 A4 B4 C#5 D5", title="D scale")
    mp = load_mapping(key="auto", tuning="all")
    assert len(mp.harps) == 12 * 8
    rep = choose_transposition(m, mp, song_key="D major")
    # as written beats an octave shift: the Melody Maker in G plays it in place
    first = rep.options[0]
    assert (first.harmonica.key, first.harmonica.tuning, first.semitones) == ("G", "melody_maker", 0)
    assert first.position == 2 and first.bends == 0
    assert rep.harmonica == first.harmonica and rep.song_key == "D major"
    best = next(o for o in rep.options if o.harmonica.tuning == "richter")
    assert best.harmonica.key == "D" and best.harmonica.tuning == "richter"
    assert best.semitones == 12 and best.position == 1 and best.bends == 0
    assert "all 8 notes natural" in best.reason and "one octave up" in best.reason
    assert len({(o.harmonica.key, o.harmonica.tuning) for o in rep.options}) == len(rep.options)
    richter = choose_transposition(m, load_mapping(key="auto"), song_key="D major")
    assert richter.options[0] == best
    with pytest.raises(OptionError, match="key=auto"):
        _ = mp.harmonica


def test_transpose_none_and_n():
    m = mel("C4 D4 E4 F4")
    mp = load_mapping(key="C")
    none = choose_transposition(m, mp, transpose="none")
    assert none.semitones == 0 and none.melody.pitches == m.pitches
    assert none.checks == ("natural", "natural", "natural", "bend")
    seven = choose_transposition(m, mp, transpose="+7", song_key="C major")
    assert seven.semitones == 7 and seven.melody.pitches == [p + 7 for p in m.pitches]
    assert seven.song_key == "G major" and seven.source_key == "C major"
    assert seven.position == 2


def test_transpose_step_tracker_and_not_playable():
    tr = ProgressTracker("t")
    m = Melody(notes=(Note(N("C4")), Note(None, offset=1), Note(N("G4"), offset=2),
                      Note(N("G4"), offset=3, tied=True)))
    rep = choose_transposition(m, load_mapping(key="C", tracker=tr), tracker=tr)
    assert tr.step_status("mapping_load") == "completed"
    assert tr.step_status("transpose") == "completed"
    for sub in ("transpose_check", "transpose_apply"):
        assert tr.substep_status("transpose", sub) == "completed"
    assert rep.checks[1] == "rest" and len(rep.checks) == 4
    with pytest.raises(NotPlayable) as exc:
        choose_transposition(mel("C1 D1"), load_mapping(key="C", tracker=tr),
                             transpose="none", tracker=tr)
    assert exc.value.step == "transpose" and tr.step_status("transpose") == "error"
    with pytest.raises(NotPlayable, match="no notes"):
        choose_transposition(mel("r r"), load_mapping(key="C"))


@pytest.mark.parametrize("bad", ["up", "1.5", "99", True])
def test_bad_transpose(bad):
    with pytest.raises(OptionError, match="auto, none"):
        parse_transpose(bad)


def test_parse_transpose_values():
    assert parse_transpose("AUTO") == "auto" and parse_transpose("none") == "none"
    assert parse_transpose("-5") == -5 and parse_transpose(12) == 12


def test_song_keys():
    assert parse_song_key("G major") == (7, "major")
    assert parse_song_key("e minor") == (4, "minor")
    assert parse_song_key("b- major") == (10, "major")
    with pytest.raises(OptionError, match="not a key"):
        parse_song_key("Q major")
    assert estimate_key([N(x) for x in "G4 A4 B4 C5 D5 E5 F#5 G5 D5 B4 G4".split()]) == "G major"
    assert estimate_key([N(x) for x in "A4 C5 E5 A4 B4 C5 D5 E5 A4 E4 A4".split()]) == "A minor"


def test_mapping_options():
    assert len(load_mapping(key="auto")) == 12
    assert len(load_mapping(key="auto", variants=True)) == 20
    ch = load_mapping("chromatic", key="C", holes=16).harmonica
    assert ch.holes == 16 and ch.hole1_midi == N("C3")
    for kwargs, match in [
        (dict(harmonica="tremolo"), "diatonic, chromatic"),
        (dict(tuning="weird"), "richter"),
        (dict(harmonica="chromatic", holes=10), "12 or 16"),
        (dict(holes=16), "10 holes"),
    ]:
        with pytest.raises(OptionError, match=match):
            load_mapping(**kwargs)


def test_chromatic_plays_the_song_where_written_the_slide_is_no_bend():
    """A chromatic plays every key: in range, "auto" keeps the written pitches even when
    the slide is needed, instead of moving the song to a key with fewer sharps."""
    m = mel("F#4 G#4 A4 B4 C#5 D5 E5 F#5 E#5 F#5")  # F# minor, inside C4..C7
    ch = load_mapping("chromatic", key="C")
    rep = choose_transposition(m, ch, song_key="F# minor")
    assert rep.semitones == 0 and rep.melody.pitches == m.pitches
    assert rep.best.bends == rep.best.overbends == rep.best.unplayable == 0
    # too low for the harp: the octave up, still in F# minor
    low = mel("F#3 G#3 A3 B3 C#4")
    assert choose_transposition(low, ch, song_key="F# minor").semitones == 12
    # key=auto: every key plays it in place; the one needing the least slide comes first
    auto = choose_transposition(m, load_mapping("chromatic", key="auto"), song_key="F# minor")
    assert auto.semitones == 0 and auto.harmonica.key in ("A", "E", "D")
    def needs_slide(harp):
        return sum(1 for p in m.pitches if all(a.slide for a in harp.actions_for(p)))

    assert needs_slide(auto.harmonica) == min(needs_slide(h.harmonica) for h in auto.options)
    assert needs_slide(auto.harmonica) < needs_slide(ch.harmonica)


def _rank_key(o):
    """The issue-2 order: unplayable, bent notes, their difficulty, octave first, |shift|."""
    nonoct = o.semitones % 12 != 0
    diff = o.score - 1000 * o.unplayable - 0.5 * nonoct - 0.01 * abs(o.semitones)
    return (o.unplayable, o.bends + o.overbends, round(diff, 4), nonoct, abs(o.semitones))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(45, 96), min_size=1, max_size=24), st.booleans(),
       st.sampled_from([None, 1, 2]))
def test_property_ranking_follows_the_four_rules_in_order(pitches, overbends, max_bend):
    harps = [load_harmonica("richter", "C"), load_harmonica("paddy_richter", "G"),
             load_harmonica("natural_minor", "Low D")]
    opts = rank_placements(pitches, harps, range(-24, 25), overbends=overbends,
                           max_bend=max_bend, per_harp=False)
    keys = [_rank_key(o) for o in opts]
    assert keys == sorted(keys)
    # per harp, the first option is that harp's best placement
    best = rank_placements(pitches, harps, range(-24, 25), overbends=overbends,
                           max_bend=max_bend)
    for o in best:
        assert _rank_key(o) == min(_rank_key(x) for x in opts if x.harmonica == o.harmonica)
