"""Step ``melody``: part choice and the monophonic line, on real corpus tunes in every format."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harptab_nb.errors import MelodyError
from harptab_nb.music import Melody
from harptab_nb.pipeline.melody import extract_melody
from harptab_nb.pipeline.ocr import read_score
from harptab_nb.tracker import ProgressTracker

BWV66_SOPRANO = [73, 71, 69, 71, 73, 76]


def _corpus_file(name: str) -> Path:
    from music21 import corpus

    return Path(corpus.getWork(name))


def _assert_contiguous(mel: Melody) -> None:
    """A monophonic line: every event starts where the previous one ended."""
    notes = [n for n in mel.notes if n.duration > 0]
    for a, b in zip(notes, notes[1:], strict=False):
        assert b.offset == pytest.approx(a.offset + a.duration, abs=1e-4), (a, b)
    rests = [i for i, n in enumerate(mel.notes) if n.midi is None]
    assert all(j - i > 1 for i, j in zip(rests, rests[1:], strict=False)), "consecutive rests not merged"


@pytest.fixture(scope="module")
def bwv66():
    from music21 import corpus

    return corpus.parse("bach/bwv66.6")


# ------------------------------------------------------------------ formats


@pytest.mark.parametrize("fmt,ext", [("musicxml", ".musicxml"), ("mxl", ".mxl"),
                                     ("midi", ".mid")])
def test_bach_chorale_soprano_in_each_format(tmp_path, bwv66, fmt, ext):
    fp = bwv66.write(fmt, fp=tmp_path / f"bwv66{ext}")
    mel = extract_melody(read_score(fp))
    assert mel.part_name == "Soprano"
    assert mel.meta["part_reason"] == "named 'Soprano'"
    assert mel.pitches[:6] == BWV66_SOPRANO
    assert mel.time_signature == "4/4"
    assert mel.key_signature == "F# minor"  # MIDI keeps it as a key-signature event
    _assert_contiguous(mel)
    assert mel.notes[0].duration == 0.5 and mel.notes[2].duration == 1.0
    if fmt != "midi":  # MIDI has no pickup measure
        assert [n.measure for n in mel.notes[:3]] == [0, 0, 1]
    # a tie in the soprano (measure 8-9 area) is merged, never left as a continuation
    assert mel.meta["ties_merged"] >= 1
    assert not any(n.tied for n in mel.notes)


def test_abc_tune_notes_measures_offsets():
    mel = extract_melody(read_score("corpus:airdsAirs/book1.abc#4"))
    assert mel.title == "I'll Touzle your Kurchy."
    assert mel.key_signature == "E minor" and mel.time_signature == "6/8"
    got = [(n.name, n.measure, n.offset, n.duration) for n in mel.notes[:5]]
    assert got == [("B4", 0, 0.0, 0.5), ("E4", 1, 0.5, 0.75), ("G4", 1, 1.25, 0.25),
                   ("E4", 1, 1.5, 0.5), ("G4", 1, 2.0, 0.5)]
    assert len(mel.pitches) == 87
    assert mel.meta["part_reason"] == "only part"
    _assert_contiguous(mel)


def test_humdrum_palestrina_picks_soprano(tmp_path):
    fp = tmp_path / "agnus.krn"
    shutil.copy(_corpus_file("palestrina/Agnus_08.krn"), fp)
    mel = extract_melody(read_score(fp))
    assert mel.part_name == "Soprano"
    assert [n.name for n in mel.notes[:4]] == ["G4", "E4", "F4", "G4"]
    assert mel.notes[0].duration == 8.0  # a breve
    assert mel.meta["ties_merged"] == 7
    assert mel.composer.startswith("Palestrina")
    _assert_contiguous(mel)


def test_lyrics_kept_with_hyphens():
    mel = extract_melody(read_score("corpus:leadSheet/fosterBrownHair.mxl"))
    words = [(n.name, n.lyric) for n in mel.notes if n.lyric][:6]
    assert words == [("D5", "I"), ("C5", "dream"), ("A4", "of"), ("Bb4", "Jean-"),
                     ("A4", "nie"), ("G4", "with")]
    assert mel.notes[0].is_rest and mel.notes[0].duration == 2.0  # opening rest kept
    assert mel.title == "Jeanie With The Light Brown Hair"
    assert mel.composer == "Stephen Foster"


def test_demo_tune_with_lyrics():
    mel = extract_melody(read_score("demo:aloha_oe"))
    sung = [n for n in mel.notes if n.lyric]
    assert [n.lyric for n in sung[:3]] == ["Ha-", "a-", "heo"]
    assert [n.name for n in sung[:3]] == ["D4", "G4", "B4"]
    assert sung[0].measure == 4


def test_solo_voice_beats_choir_soprano():
    mel = extract_melody(read_score("corpus:liliuokalani/aloha_oe.mxl"))
    assert mel.part_name == "Solo Voice"
    assert mel.meta["part_reason"] == "named 'Solo Voice'"
    assert len(mel.meta["parts"]) == 7


# ------------------------------------------------------------------ reduction details


def _feature_score():
    """One part exercising lyrics, a grace note, a chord, a tie over the bar line,
    two rests in a row and two voices."""
    from music21 import chord, note, stream, tie

    p = stream.Part()
    p.partName = "Flute"
    m1 = stream.Measure(number=1)
    c = note.Note("C5")
    c.addLyric("Twin")
    c.lyrics[0].syllabic = "begin"
    m1.append(c)
    m1.append(note.Note("B4", quarterLength=1).getGrace())
    d = note.Note("D5")
    d.addLyric("kle")
    d.lyrics[0].syllabic = "end"
    m1.append(d)
    m1.append(chord.Chord(["E4", "G4", "E5"]))
    g1 = note.Note("G5")
    g1.tie = tie.Tie("start")
    m1.append(g1)
    m2 = stream.Measure(number=2)
    g2 = note.Note("G5", quarterLength=2)
    g2.tie = tie.Tie("stop")
    m2.append(g2)
    m2.append(note.Rest())
    m2.append(note.Rest())
    m3 = stream.Measure(number=3)
    v1, v2 = stream.Voice(), stream.Voice()
    for n in ("A5", "F5"):
        v1.append(note.Note(n, quarterLength=2))
    for n in ("C4", "D4", "E4", "F4"):
        v2.append(note.Note(n))
    m3.insert(0, v1)
    m3.insert(0, v2)
    for m in (m1, m2, m3):
        p.append(m)
    from music21 import meter

    m1.insert(0, meter.TimeSignature("4/4"))
    s = stream.Score()
    s.insert(0, p)
    return s


def test_ties_chords_voices_rests_lyrics_roundtrip(tmp_path):
    fp = _feature_score().write("musicxml", fp=tmp_path / "features.musicxml")
    mel = extract_melody(read_score(fp))
    got = [(n.name, n.measure, n.offset, n.duration, n.lyric) for n in mel.notes]
    assert got == [
        ("C5", 1, 0.0, 1.0, "Twin-"),
        ("D5", 1, 1.0, 1.0, "kle"),
        ("E5", 1, 2.0, 1.0, None),  # chord -> top note
        ("G5", 1, 3.0, 3.0, None),  # tie over the bar line merged: 1 + 2
        ("rest", 2, 6.0, 2.0, None),  # two quarter rests merged
        ("A5", 3, 8.0, 2.0, None),  # voice 1 over voice 2
        ("F5", 3, 10.0, 2.0, None),
    ]
    assert mel.meta["ties_merged"] == 1
    assert mel.meta["grace_notes_skipped"] == 1
    assert mel.meta["lower_notes_dropped"] == 2
    assert mel.time_signature == "4/4"


def test_grace_notes_on_request(tmp_path):
    fp = _feature_score().write("musicxml", fp=tmp_path / "features.musicxml")
    mel = extract_melody(read_score(fp), grace_notes=True)
    names = [(n.name, n.offset, n.duration) for n in mel.notes[:3]]
    assert names == [("C5", 0.0, 1.0), ("B4", 1.0, 0.0), ("D5", 1.0, 1.0)]
    assert mel.meta["grace_notes_skipped"] == 0


def test_expand_repeats_synthetic(tmp_path):
    from music21 import bar, note, stream

    p = stream.Part()
    for num, names in ((1, "C4 D4 E4 F4"), (2, "G4 A4 B4 C5")):
        m = stream.Measure(number=num)
        for n in names.split():
            m.append(note.Note(n))
        p.append(m)
    p.getElementsByClass(stream.Measure)[1].rightBarline = bar.Repeat(direction="end")
    s = stream.Score()
    s.insert(0, p)
    fp = s.write("musicxml", fp=tmp_path / "rep.musicxml")
    plain = extract_melody(read_score(fp))
    assert len(plain.pitches) == 8 and plain.meta["part_reason"] == "only part"
    full = extract_melody(read_score(fp), expand_repeats=True)
    assert full.pitches == plain.pitches * 2
    assert [n.measure for n in full.notes[::4]] == [1, 2, 1, 2]
    assert [n.offset for n in full.notes][-1] == 15.0
    assert full.meta["repeats_expanded"] is True
    _assert_contiguous(full)


def test_expand_repeats_abc_corpus_tune():
    res = read_score("corpus:airdsAirs/book1.abc#1")
    plain = extract_melody(res)
    full = extract_melody(res, expand_repeats=True)
    assert len(full.pitches) > len(plain.pitches)
    offsets = [n.offset for n in full.notes]
    assert offsets == sorted(offsets)
    measures = [n.measure for n in full.notes]
    assert any(b < a for a, b in zip(measures, measures[1:], strict=False))  # jumps back at a repeat
    _assert_contiguous(full)


# ------------------------------------------------------------------ part selection


def _two_parts(*, lower_lyrics=False, names=("", ""), bad_lower=False):
    from music21 import note, stream

    s = stream.Score()
    for i, (pitches, name) in enumerate(((["C5", "E5", "G5"], names[0]),
                                         (["C3", "E3", "G3"], names[1]))):
        p = stream.Part()
        p.partName = name
        m = stream.Measure(number=1)
        for pn in pitches:
            n = note.Note(pn)
            if i == 1 and lower_lyrics:
                n.addLyric("la")
            m.append(n)
        m.append(note.Rest())
        p.append(m)
        s.insert(0, p)
    return s


def test_select_highest_part_without_names_or_lyrics():
    mel = extract_melody(_two_parts())
    assert mel.pitches == [72, 76, 79]
    assert mel.meta["part_reason"] == "highest part"


def test_select_part_with_lyrics():
    mel = extract_melody(_two_parts(lower_lyrics=True))
    assert mel.pitches == [48, 52, 55]
    assert mel.meta["part_reason"] == "has lyrics"
    assert [n.lyric for n in mel.notes[:3]] == ["la"] * 3


def test_select_part_by_name_keyword():
    mel = extract_melody(_two_parts(names=("Violin", "Lead vocal")))
    assert mel.pitches == [48, 52, 55]
    assert mel.meta["part_reason"] == "named 'Lead vocal'"


@pytest.mark.parametrize("name", ["Voice", "Melody", "Soprano", "Lead", "Vocal",
                                  "Solo Voice", "Mélodie", "lead vocals"])
def test_select_part_named_like_a_melody(name):
    """A part named voice/melody/soprano/lead/vocal wins over a higher unnamed part."""
    mel = extract_melody(_two_parts(names=("Violin", name)))
    assert mel.pitches == [48, 52, 55]
    assert mel.meta["part_reason"] == f"named '{name}'"


def test_selection_order_name_then_lyrics_then_height():
    # a named part beats a part with lyrics
    mel = extract_melody(_two_parts(names=("Melody", ""), lower_lyrics=True))
    assert mel.pitches == [72, 76, 79] and mel.meta["part_reason"] == "named 'Melody'"
    # lyrics beat height
    mel = extract_melody(_two_parts(names=("Violin", "Cello"), lower_lyrics=True))
    assert mel.pitches == [48, 52, 55] and mel.meta["part_reason"] == "has lyrics"
    # the user beats everything
    mel = extract_melody(_two_parts(names=("Melody", ""), lower_lyrics=True), part=1)
    assert mel.pitches == [48, 52, 55] and mel.meta["part_reason"] == "chosen by the user"


def test_forced_part_by_index_and_name(bwv66):
    res = read_score(bwv66)
    bass = extract_melody(res, part=3)
    assert bass.part_name == "Bass"
    assert bass.meta["part_reason"] == "chosen by the user"
    assert extract_melody(res, part="alto").part_name == "Alto"
    assert extract_melody(res, part="2").part_name == "Tenor"
    assert extract_melody(res, part=-1).part_name == "Bass"


def test_forced_part_errors(bwv66):
    res = read_score(bwv66)
    with pytest.raises(MelodyError, match="no part 9.*0: Soprano"):
        extract_melody(res, part=9)
    with pytest.raises(MelodyError, match="no part named 'Kazoo'.*3: Bass"):
        extract_melody(res, part="Kazoo")


def test_wrong_input_type():
    with pytest.raises(MelodyError, match="read_score"):
        extract_melody("corpus:bach/bwv66.6")


def test_tracker_substeps(bwv66):
    tr = ProgressTracker("t")
    extract_melody(read_score(bwv66), tracker=tr)
    step = next(s for s in tr.to_json()["steps"] if s["id"] == "melody")
    assert step["status"] == "completed"
    subs = {s["id"]: s for s in step["substeps"]}
    assert subs["melody_select"]["status"] == "completed"
    assert "Soprano" in subs["melody_select"]["message"]
    assert subs["melody_extract"]["status"] == "completed"
    assert subs["melody_extract"]["message"].endswith("rests")


def test_error_marks_melody_step(bwv66):
    tr = ProgressTracker("t")
    with pytest.raises(MelodyError) as info:
        extract_melody(read_score(bwv66), part=42, tracker=tr)
    assert info.value.step == "melody"
    step = next(s for s in tr.to_json()["steps"] if s["id"] == "melody")
    assert step["status"] == "error" and "no part 42" in step["message"]


# ------------------------------------------------------------------ corpus sample


@pytest.mark.slow
def test_corpus_sample_of_abc_tunes_all_extract():
    """256 real folk tunes (two whole ABC books) give non-empty, monophonic melodies."""
    from music21 import corpus

    done = 0
    failures = []
    for name in ("airdsAirs/book1.abc", "miscFolk/americanfifeopus.abc"):
        opus = corpus.parse(name, forceSource=True)
        for sc in opus.scores:
            label = f"{name}#{sc.metadata.number if sc.metadata else '?'}"
            try:
                mel = extract_melody(read_score(sc), expand_repeats=done % 2 == 0)
                assert mel.pitches, "empty melody"
                assert all(0 < p < 128 for p in mel.pitches)
                _assert_contiguous(mel)
            except Exception as exc:  # collect all, report once
                failures.append(f"{label}: {type(exc).__name__}: {exc}")
            done += 1
    assert done >= 200
    assert not failures, failures[:10]
