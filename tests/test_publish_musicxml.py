"""MusicXML export: the tab as its own lyric verse, re-imported by music21."""

from __future__ import annotations

from pathlib import Path

import pytest
from publish_helpers import corpus_melody, make_tab, split_with_ties

from harptab_nb.publish.musicxml_export import (
    LYRIC_VERSE,
    TAB_VERSE,
    read_tab_verse,
    sounding_key,
    to_musicxml,
)

ROOT = Path(__file__).resolve().parent.parent


def _sounded_midis(tab) -> list[int]:
    return [n.midi for n in tab.notes if n.sounded]


@pytest.mark.parametrize("ref", ["airdsAirs/book1.abc#4", "airdsAirs/book1.abc#9",
                                 "essenFolksong/altdeu10#3"])
def test_round_trip_tab_verse_and_pitches(tmp_path, ref):
    mel = corpus_melody(ref)
    tab = make_tab(mel)
    path = tmp_path / "tune.musicxml"
    path.write_text(to_musicxml(tab, mel), encoding="utf-8")
    back = read_tab_verse(str(path))
    assert [t for _, t, _ in back] == tab.tokens
    # pitches equal the transposed melody (what the harp sounds), not the source
    assert [p for p, _, _ in back] == _sounded_midis(tab)
    assert [p for p, _, _ in back] == [p + tab.transpose_semitones for p in mel.pitches]


def test_lyrics_are_a_separate_verse():
    from harptab_nb.pipeline.melody import extract_melody
    from harptab_nb.pipeline.ocr import read_score

    mel = extract_melody(read_score(str(ROOT / "harptab_nb" / "data" / "aloha_oe.musicxml")))
    tab = make_tab(mel)
    xml = to_musicxml(tab, mel)
    assert f'number="{TAB_VERSE}"' in xml and f'number="{LYRIC_VERSE}"' in xml
    back = read_tab_verse(xml)
    assert [t for _, t, _ in back] == tab.tokens
    assert [w for _, _, w in back] == [(n.lyric or "").strip() or None
                                       for n in tab.notes if n.sounded]


def test_ties_round_trip_without_new_tokens():
    mel = split_with_ties(corpus_melody("airdsAirs/book1.abc#4"))
    tab = make_tab(mel)
    xml = to_musicxml(tab, mel)
    assert '<tie type="start"' in xml and '<tie type="stop"' in xml
    back = read_tab_verse(xml)
    assert [t for _, t, _ in back] == tab.tokens


def test_deterministic_and_key_follows_transposition():
    mel = corpus_melody("airdsAirs/book1.abc#4")
    tab = make_tab(mel)
    a, b = to_musicxml(tab, mel), to_musicxml(tab, mel)
    assert a == b
    assert "<encoding-date>2000-01-01</encoding-date>" in a
    k = sounding_key(tab, mel)
    assert k is not None
    # the key signature written is the song key as played on the harp
    assert f"<fifths>{k.sharps}</fifths>" in a
    assert k.tonic.name.replace("-", "b") == tab.song_key.split()[0]


@pytest.mark.parametrize("ref", ["airdsAirs/book1.abc#4", "airdsAirs/book1.abc#12",
                                 "essenFolksong/altdeu10#3", "oneills1850/0001-0050.abc#12"])
def test_fast_notation_matches_music21(ref):
    """The export skips music21's slow makeNotation pass; what it writes instead must
    agree with it: same pitched notes and accidentals shown, the same beams except in
    short bars (before a repeat, say), which music21 pads with rests and we leave short."""
    import re

    from music21.musicxml.m21ToXml import GeneralObjectExporter

    from harptab_nb.publish import musicxml_export as mx

    mel = corpus_melody(ref)
    tab = make_tab(mel)
    score = mx.to_score(tab, mel)
    mx._notate(score, mx.sounding_key(tab, mel))  # must not fall back
    fast = mx.to_musicxml(tab, mel)
    full = GeneralObjectExporter(mx.to_score(tab, mel)).parse().decode()

    def notes(xml):
        out = []
        for n in re.findall(r"<note\b.*?</note>", xml, flags=re.S):
            step = re.search(r"<step>(\w)</step>", n)
            acc = re.search(r"<accidental>([\w-]+)</accidental>", n)
            beams = re.findall(r'<beam number="1">(\w+)</beam>', n)
            if step:
                out.append((step.group(1), acc and acc.group(1), tuple(beams)))
        return out

    a, b = notes(fast), notes(full)
    assert [x[:2] for x in a] == [x[:2] for x in b]
    same_beams = sum(x[2] == y[2] for x, y in zip(a, b, strict=True))
    assert same_beams >= 0.9 * len(a)


def test_odd_rhythms_are_notated_and_round_trip():
    """A 1.25-beat note (tied quarter + sixteenth), triplets, a 2.5-beat note."""
    from harptab_nb.music import Melody, Note

    third = 1 / 3
    notes = [Note(60, 1, 0, 1.25), Note(62, 1, 1.25, 0.75), Note(64, 1, 2, third),
             Note(65, 1, 2 + third, third), Note(67, 1, 2 + 2 * third, third),
             Note(69, 1, 3, 1), Note(71, 2, 4, 2.5), Note(72, 2, 6.5, 1.5)]
    mel = Melody(notes=tuple(notes), title="Odd", time_signature="4/4",
                 key_signature="C major")
    tab = make_tab(mel)
    xml = to_musicxml(tab, mel)
    assert xml.count("<tuplet ") == 2  # one bracket: start and stop
    assert xml.count('<tie type="start"') == 2  # the two complex durations
    back = read_tab_verse(xml)
    assert [t for _, t, _ in back] == tab.tokens
    assert [p for p, _, _ in back] == _sounded_midis(tab)


def test_melody_without_bar_lines_is_barred_with_ties():
    """``Melody.from_names`` puts every note in measure 1: the export cuts it into 4/4
    bars, a note crossing a bar line tied over it and tabbed once."""
    from harptab_nb.music import Melody

    mel = Melody.from_names("C4 D4 E4 " * 10, title="No bars", duration=1.5)
    tab = make_tab(mel)
    xml = to_musicxml(tab, mel)
    assert xml.count("<measure ") == 12  # 45 beats of 4/4
    back = read_tab_verse(xml)
    assert [t for _, t, _ in back] == tab.tokens
    assert [p for p, _, _ in back] == _sounded_midis(tab)


def _measures(xml: str) -> list[str]:
    import re

    return re.findall(r"<measure\b.*?</measure>", xml, flags=re.S)


def test_intro_and_final_rests_print_no_empty_bars():
    """Aloha 'Oe's part starts with four bars of rest and ends on a 33-beat rest: the
    tab starts at the pickup and stops at the bar line after the last note."""
    from harptab_nb.pipeline.melody import extract_melody
    from harptab_nb.pipeline.ocr import read_score

    mel = extract_melody(read_score(str(ROOT / "harptab_nb" / "data" / "aloha_oe.musicxml")))
    assert mel.notes[0].midi is None and mel.notes[0].duration >= 16  # the intro
    assert mel.notes[-1].midi is None and mel.notes[-1].duration > 30  # the long end
    tab = make_tab(mel)
    xml = to_musicxml(tab, mel)
    bars = _measures(xml)
    assert all("<pitch>" in b for b in bars)  # no bar of rests only
    first_bar = [n.measure for n in tab.notes if n.midi is not None][0]
    last_bar = [n.measure for n in tab.notes if n.midi is not None][-1]
    assert len(bars) == last_bar - first_bar + 1
    assert "<rest" not in bars[0]  # the first bar is the pickup, not rest + pickup
    back = read_tab_verse(xml)
    assert [t for _, t, _ in back] == tab.tokens
    from music21 import converter

    score = converter.parse(xml, format="musicxml")
    last = list(score.recurse().getElementsByClass("Measure"))[-1]
    assert last.duration.quarterLength == 4.0  # the final rest completes the bar, no more


def test_trim_silence_keeps_rests_inside_the_tune():
    from harptab_nb.publish.musicxml_export import trim_silence

    mel = corpus_melody("airdsAirs/book1.abc#4")
    tab = make_tab(mel)
    assert trim_silence(tab.notes, 3.0) == list(tab.notes)  # nothing to trim


@pytest.mark.parametrize("ref,octave_change", [("airdsAirs/book1.abc#4", "1"),
                                               ("airdsAirs/book1.abc#7", None)])
def test_high_tunes_use_the_octave_treble_clef(ref, octave_change):
    """A tune high on the harp (holes 7-10) is written in the treble clef with an 8
    above, not on four ledger lines; pitches stay the sounding ones."""
    import re

    mel = corpus_melody(ref)
    tab = make_tab(mel)
    xml = to_musicxml(tab, mel)
    found = re.search(r"<clef-octave-change>(-?\d)</clef-octave-change>", xml)
    assert (found.group(1) if found else None) == octave_change
    assert [p for p, _, _ in read_tab_verse(xml)] == _sounded_midis(tab)
