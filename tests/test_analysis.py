"""Step ``analysis``: key (signature, estimate, song key) and range of real tunes."""

from __future__ import annotations

import pytest

from harptab_nb.errors import MelodyError
from harptab_nb.music import Melody, Note
from harptab_nb.pipeline.analysis import Analysis, analyze, histogram, tessitura
from harptab_nb.pipeline.melody import extract_melody
from harptab_nb.pipeline.ocr import read_score
from harptab_nb.tracker import ProgressTracker


def _run(source: str, **kw) -> tuple[Melody, Analysis]:
    res = read_score(source)
    mel = extract_melody(res, **kw)
    return mel, analyze(mel, score=res)


def test_aird_air_in_e_minor():
    mel, an = _run("corpus:airdsAirs/book1.abc#4")
    assert an.key_signature == "E minor"
    assert an.estimated_key == "E minor"
    assert an.song_key == "E minor"
    assert 0.8 < an.key_confidence <= 1.0
    assert (an.lowest, an.highest, an.span) == (62, 79, 17)  # D4 .. G5
    assert an.range_names == ("D4", "G5")
    assert sum(an.histogram.values()) == len(mel.pitches) == 87
    assert an.histogram[67] == 19 and an.histogram[64] == 17  # G4 and E4 dominate
    lo, hi = an.tessitura
    assert an.lowest <= lo <= hi <= an.highest
    assert an.tessitura == (64, 78)  # E4 .. F#5


def test_bach_chorale_f_sharp_minor_with_and_without_score():
    res = read_score("corpus:bach/bwv66.6")
    mel = extract_melody(res)
    with_score = analyze(mel, score=res)
    bare = analyze(mel)
    for an in (with_score, bare):
        assert an.key_signature == "F# minor"
        assert an.song_key == "F# minor"
        assert an.estimated_key == "F# minor"
    assert (with_score.lowest, with_score.highest) == (64, 76)


def test_song_key_follows_the_notes_when_a_signature_is_plainly_wrong():
    # this lead sheet is written without the flat of F major but is plainly in F
    mel, an = _run("corpus:leadSheet/fosterBrownHair.mxl")
    assert an.key_signature == "C major"
    assert an.estimated_key == "F major"
    assert an.song_key == "F major"


def test_song_key_picks_relative_minor_consistent_with_signature():
    # an A-minor arpeggio tune written with the C major / A minor signature
    mel = Melody.from_names("A4 C5 E5 A5 E5 C5 A4 B4 G#4 A4 E4 A4", title="a")
    mel = Melody(notes=mel.notes, key_signature="C major")
    an = analyze(mel)
    assert an.key_signature == "C major"
    assert an.song_key == "A minor"
    assert an.estimated_key in ("A minor", "A major")


def test_song_key_without_signature_is_the_estimate():
    mel = Melody.from_names("C4 D4 E4 F4 G4 A4 B4 C5 G4 E4 C4")
    an = analyze(mel)
    assert an.key_signature is None
    assert an.estimated_key == "C major" == an.song_key
    assert an.alternatives[0] == ("C major", pytest.approx(an.alternatives[0][1]))


def test_modal_signature_is_kept_as_song_key():
    mel = Melody.from_names("D4 E4 F4 G4 A4 B4 C5 D5 A4 F4 D4")
    mel = Melody(notes=mel.notes, key_signature="D dorian")
    an = analyze(mel)
    assert an.song_key == "D dorian"


def test_tessitura_is_the_middle_80_percent_of_time():
    # 10 beats: 1 beat of C4, 8 beats spread on E4..G4, 1 beat of C6
    notes = [Note(60, duration=1.0), Note(64, duration=4.0), Note(67, duration=4.0),
             Note(84, duration=1.0)]
    mel = Melody(notes=tuple(notes))
    assert tessitura(mel) == (64, 67)
    # a long low note pulls the tessitura down
    mel2 = Melody(notes=(Note(60, duration=8.0), Note(72, duration=1.0), Note(74, duration=1.0)))
    assert tessitura(mel2) == (60, 72)
    an = analyze(mel)
    assert (an.lowest, an.highest, an.span) == (60, 84, 24)


def test_histogram_counts_onsets_not_tie_continuations():
    mel = Melody(notes=(Note(60), Note(60, tied=True), Note(None), Note(62), Note(60)))
    assert histogram(mel) == {60: 2, 62: 1}


def test_humdrum_and_midi_analysis(tmp_path):
    from music21 import corpus

    fp = corpus.parse("bach/bwv66.6").write("midi", fp=tmp_path / "b.mid")
    _, an = _run(str(fp))
    assert an.song_key == "F# minor"
    _, an2 = _run("corpus:palestrina/Agnus_08.krn")
    assert an2.song_key == "C major"
    assert (an2.lowest, an2.highest) == (55, 69)


def test_summary_line_and_demo_tune():
    _, an = _run("demo:aloha_oe")
    assert an.song_key == "G major"
    assert an.range_names == ("D4", "C5")
    assert an.summary().startswith("key G major (signature G major")


def test_melody_without_notes_is_an_error():
    tr = ProgressTracker("t")
    with pytest.raises(MelodyError, match="no notes"):
        analyze(Melody(notes=(Note(None, duration=4.0),)), tracker=tr)
    step = next(s for s in tr.to_json()["steps"] if s["id"] == "analysis")
    assert step["status"] == "error"


def test_tracker_substeps_completed():
    tr = ProgressTracker("t")
    res = read_score("corpus:airdsAirs/book1.abc#4")
    analyze(extract_melody(res), score=res, tracker=tr)
    step = next(s for s in tr.to_json()["steps"] if s["id"] == "analysis")
    assert step["status"] == "completed"
    subs = {s["id"]: s for s in step["substeps"]}
    assert subs["analysis_key"]["status"] == "completed"
    assert subs["analysis_key"]["message"].startswith("E minor")
    assert subs["analysis_range"]["message"] == "D4-G5, 17 semitones"
