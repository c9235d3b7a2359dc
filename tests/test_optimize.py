"""The optimizer: right pitches, exact minimum (vs brute force), documented cost rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harptab_nb.errors import OptionError
from harptab_nb.harmonica import Action, load_harmonica
from harptab_nb.notation import format_action
from harptab_nb.optimize import (
    Weights,
    action_cost,
    brute_force,
    candidates,
    optimize,
    path_cost,
)
from harptab_nb.pitch import name_to_midi as N

HARPS = [
    load_harmonica("richter", "C"),
    load_harmonica("richter", "Low F"),
    load_harmonica("paddy_richter", "D"),
    load_harmonica("country", "G"),
    load_harmonica("powerbender", "A"),
    load_harmonica("solo", "C", type="chromatic", holes=12),
    load_harmonica("solo", "Bb", type="chromatic", holes=16),
]


def tokens(res):
    return [format_action(a) if a else "X" for a in res.actions]


@st.composite
def melodies(draw, max_len=7):
    harp = draw(st.sampled_from(HARPS))
    lo, hi = harp.lowest - 2, harp.highest + 2
    n = draw(st.integers(1, max_len))
    pitches = draw(st.lists(st.one_of(st.integers(lo, hi), st.none()), min_size=n, max_size=n))
    tied = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    max_bend = draw(st.sampled_from([None, 0, 1, 2, 3]))
    overbends = draw(st.booleans())
    weights = draw(st.sampled_from([
        None,
        Weights(move=2.0, breath=3.0),
        Weights(move=0.3, natural_first=False, bend=(0, 1, 2, 3), overbend=2),
    ]))
    return harp, pitches, tied, max_bend, overbends, weights


@settings(max_examples=80, deadline=None)
@given(melodies())
def test_every_chosen_action_sounds_the_target_pitch(case):
    harp, pitches, tied, max_bend, overbends, weights = case
    res = optimize(harp, pitches, tied=tied, max_bend=max_bend, overbends=overbends,
                   weights=weights)
    allowed = set(harp.actions(max_bend, overbends))
    for i, (p, a, cont) in enumerate(zip(pitches, res.actions, res.continuation, strict=True)):
        if cont:  # a tie continuation holds the previous note's action (or its X)
            assert p == pitches[i - 1] and a is res.actions[i - 1]
        elif p is None:
            assert a is None
        elif a is not None:
            assert a.midi == p and a in allowed
        else:  # unplayable: truly no allowed action
            assert not harp.actions_for(p, max_bend, overbends)


@settings(max_examples=80, deadline=None)
@given(melodies(max_len=6))
def test_optimizer_equals_brute_force(case):
    harp, pitches, tied, max_bend, overbends, weights = case
    res = optimize(harp, pitches, tied=tied, max_bend=max_bend, overbends=overbends,
                   weights=weights)
    best = brute_force(harp, pitches, tied=tied, max_bend=max_bend, overbends=overbends,
                       weights=weights)
    assert res.cost == pytest.approx(best)
    assert path_cost(res.actions, pitches, tied=tied, weights=weights) == pytest.approx(res.cost)


@settings(max_examples=60, deadline=None)
@given(melodies(max_len=12))
def test_default_weights_bend_only_without_natural_action(case):
    harp, pitches, tied, max_bend, overbends, _ = case
    res = optimize(harp, pitches, tied=tied, max_bend=max_bend, overbends=overbends)
    for p, a in zip(pitches, res.actions, strict=True):
        if a is not None and a.technique != "natural":
            assert not [x for x in harp.actions_for(p, max_bend, overbends)
                        if x.technique == "natural"]


@settings(max_examples=40, deadline=None)
@given(melodies(max_len=6))
def test_default_bend_cost_beats_any_movement_saving_without_the_filter(case):
    """The documented claim: on a 10-hole harp the default bend/overbend costs alone
    keep bends for notes with no natural action, even without ``natural_first``."""
    harp, pitches, tied, max_bend, overbends, _ = case
    if harp.holes != 10:
        return
    w = Weights(natural_first=False)
    res = optimize(harp, pitches, tied=tied, max_bend=max_bend, overbends=overbends, weights=w)
    for p, a in zip(pitches, res.actions, strict=True):
        if a is not None and a.technique != "natural":
            assert not [x for x in harp.actions_for(p, max_bend, overbends)
                        if x.technique == "natural"]


C = load_harmonica("richter", "C")


def test_g4_prefers_the_hole_that_avoids_movement():
    # G4 is both 3 blow and -2 draw: after 2 (E4) the draw on hole 2 wins (no move),
    # after 3-hole neighbours the blow on 3.
    up = optimize(C, [N("E4"), N("G4")])
    assert tokens(up) == ["2", "-2"]
    assert up.cost == pytest.approx(0.5)  # one breath change, no movement
    nb = optimize(C, [N("B4"), N("G4"), N("B4")])
    assert tokens(nb) == ["-3", "3", "-3"]
    assert nb.cost == pytest.approx(1.0)  # two breath changes


def test_documented_cost_of_a_known_path():
    res = optimize(C, [N("C4"), N("F4"), N("A4")])  # 1, -2'', -3''
    assert tokens(res) == ["1", "-2''", "-3''"]
    w = Weights()
    expect = (w.bend[2] + w.low_deep_bend) * 2 + (1 * w.move + w.breath) + 1 * w.move
    assert res.cost == pytest.approx(expect)


def test_tied_continuation_keeps_the_action_and_costs_nothing():
    p = [N("C5"), N("C5"), N("D5")]
    res = optimize(C, p, tied=[False, True, False])
    assert res.continuation == (False, True, False)
    assert res.actions[1] is res.actions[0]
    assert res.cost == pytest.approx(optimize(C, [N("C5"), N("D5")]).cost)
    # a "tie" to a different pitch is not a continuation (malformed input)
    bad = optimize(C, [N("C5"), N("D5")], tied=[False, True])
    assert bad.continuation == (False, False)


def test_rests_and_unplayable_notes_reset_movement():
    far = optimize(C, [N("C4"), N("C7")])
    assert far.cost == pytest.approx(9 * Weights().move)
    rest = optimize(C, [N("C4"), None, N("C7")])
    assert rest.cost == 0.0 and tokens(rest) == ["1", "X", "10"]  # X here is the rest
    x = optimize(C, [N("C4"), N("C3"), N("C7")])
    assert x.cost == 0.0 and x.unplayable == [1]


def test_max_bend_and_overbends_limits():
    assert tokens(optimize(C, [N("Ab4")])) == ["-3'''"]
    assert tokens(optimize(C, [N("Ab4")], max_bend=2)) == ["X"]
    assert tokens(optimize(C, [N("Eb5")])) == ["X"]
    assert tokens(optimize(C, [N("Eb5")], overbends=True)) == ["4o"]
    assert candidates(C, N("Eb5"), overbends=True)[0].overbend
    with pytest.raises(OptionError, match="between 0 and 3"):
        optimize(C, [60], max_bend=5)


def test_chromatic_prefers_no_slide_and_no_movement():
    ch = load_harmonica("solo", "C", type="chromatic", holes=12)
    res = optimize(ch, [N("C5"), N("D5")])
    assert tokens(res) == ["5", "-5"]  # C5 on 5 blow: no move to D5 (not 4 or -4<)
    assert res.cost == pytest.approx(Weights().breath)
    # B4 C5 D5: -4 -4< -5 (slide 0.5 + 1 hole) beats -4 5 -5 (1 hole + 2 breath changes)
    res = optimize(ch, [N("B4"), N("C5"), N("D5")])
    assert tokens(res) == ["-4", "-4<", "-5"]
    assert res.cost == pytest.approx(1.5)
    assert tokens(optimize(ch, [N("C#5")])) in (["4<"], ["5<"])


def test_action_cost_table():
    w = Weights()
    assert action_cost(Action(4, "blow", 72), w) == 0
    assert action_cost(Action(4, "draw", 73, bend=1), w) == w.bend[1]
    assert action_cost(Action(3, "draw", 68, bend=3), w) == w.bend[3] + w.low_deep_bend
    assert action_cost(Action(10, "blow", 94, bend=2), w) == w.bend[2]
    assert action_cost(Action(6, "blow", 82, overbend=True), w) == w.overbend
    assert action_cost(Action(4, "blow", 73, slide=True), w) == w.slide


@pytest.mark.parametrize(
    "weights, match",
    [({"mvoe": 1}, "unknown weight 'mvoe'"), ({"move": -1}, "move must be >= 0"),
     ({"bend": [0, 1]}, "4 costs"), ("heavy", "Weights or a dict")],
)
def test_bad_weights(weights, match):
    with pytest.raises(OptionError, match=match):
        optimize(C, [60], weights=weights)
