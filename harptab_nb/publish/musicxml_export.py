"""MusicXML with the tab as a lyric verse, so the tab opens in any notation program.

Verse 1 (named ``tab``) holds the tab token under every sounded note and verse 2
(``lyrics``) the song's own words, so MuseScore shows both lines and a player can
edit either. Pitches are the sounding (transposed) pitches the harp plays. Tied
continuations get no token; bends, overbends and unplayable notes are coloured
(notehead and token) like in the PDF. The file re-imports in music21 with the same
pitches and tokens (see the tests), and the same tab gives the same bytes: music21's
``<encoding-date>`` is fixed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .text_export import TECHNIQUE_COLORS, technique

if TYPE_CHECKING:
    from ..music import Melody
    from ..tablature import Tablature, TabNote

TAB_VERSE = 1
LYRIC_VERSE = 2
TAB_NAME = "tab"
LYRIC_NAME = "lyrics"
_FIXED_DATE = "2000-01-01"
_ENCODING_DATE = re.compile(r"<encoding-date>[^<]*</encoding-date>")

_SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLAT_NAMES = ("C", "D-", "D", "E-", "E", "F", "G-", "G", "A-", "A", "B-", "B")


def _ql(x: float) -> Fraction | float:
    """Quarter length as an exact fraction (0.333333 -> 1/3) so tuplets export cleanly."""
    from music21.common.numberTools import opFrac

    return opFrac(Fraction(float(x)).limit_denominator(96))


def sounding_key(tablature: Tablature, melody: Melody | None = None) -> Any:
    """The music21 Key the tab sounds in (song key moved by the transposition).

    The tab's ``song_key`` (the engine sets it to the key as played), else
    ``melody.key_signature`` (moved by the tab's transposition when the melody is the
    untransposed source). Spelled with the fewest accidentals so a shift never yields
    seven sharps.
    """
    from music21 import key, pitch

    semis = 0
    name = tablature.song_key  # the engine's key of the song as played (after the shift)
    if not name and melody is not None and melody.key_signature:
        name = melody.key_signature
        if [n.midi for n in melody.notes] == [n.source_midi for n in tablature.notes]:
            semis = int(tablature.transpose_semitones or 0)  # the untransposed source
    if not name:
        return None
    parts = str(name).replace("b", "-").split()
    tonic, mode = parts[0], (parts[1] if len(parts) > 1 else "major")
    try:
        pc = (pitch.Pitch(tonic).pitchClass + semis) % 12
    except Exception:
        return None
    mode = mode if mode in ("major", "minor") else "major"
    best = None
    for names in (_SHARP_NAMES, _FLAT_NAMES):
        k = key.Key(names[pc], mode)
        if best is None or abs(k.sharps) < abs(best.sharps):
            best = k
    return best


def _time_signature(tablature: Tablature, melody: Melody | None = None) -> str:
    if melody is not None and melody.time_signature:
        return melody.time_signature
    totals: Counter = Counter()
    cur, total = object(), 0.0
    for n in tablature.notes:
        if n.measure != cur:
            if total:
                totals[round(total, 3)] += 1
            cur, total = n.measure, 0.0
        total += n.duration
    if total:
        totals[round(total, 3)] += 1
    bar = totals.most_common(1)[0][0] if totals else 4.0
    return {1.0: "1/4", 1.5: "3/8", 2.0: "2/4", 2.5: "5/8", 3.0: "3/4", 4.0: "4/4",
            4.5: "9/8", 5.0: "5/4", 6.0: "6/4", 3.5: "7/8"}.get(bar, "4/4")


def _spell(midi: int, flats: bool):
    from music21 import pitch

    names = _FLAT_NAMES if flats else _SHARP_NAMES
    return pitch.Pitch(f"{names[midi % 12]}{midi // 12 - 1}")


def to_score(tablature: Tablature, melody: Melody | None = None, *,
             part_name: str | None = None, token_pad: str = "") -> Any:
    """A music21 Score of the sounding melody with tab (verse 1) and lyrics (verse 2).

    ``token_pad`` is put on both sides of each tab token (the engraver pads with a
    no-break space so neighbouring tokens never touch).
    """
    from music21 import metadata, meter, note, stream, tie

    k = sounding_key(tablature, melody)
    ts = meter.TimeSignature(_time_signature(tablature, melody))
    bar = float(ts.barDuration.quarterLength)
    flats = k is not None and k.sharps < 0
    score = stream.Score()
    md = metadata.Metadata()
    md.title = tablature.title or (melody.title if melody is not None else "") or "Untitled"
    if tablature.composer:
        md.composer = tablature.composer
    score.metadata = md
    part = stream.Part()
    harp = tablature.harmonica
    part.partName = (part_name if part_name is not None
                     else f"Harmonica ({harp.label or harp.key})")
    runs: list[list] = []
    last = object()
    for n in trim_silence(tablature.notes, bar):
        if n.measure != last:
            runs.append([])
            last = n.measure
        runs[-1].append(n)
    prev_note = None
    for i, (number, segments, pad) in enumerate(_bars(runs, bar)):
        m = stream.Measure(number=number)
        if i == 0:
            m.insert(0, staff_clef(_mean_pitch(tablature)))
            if k is not None:
                m.insert(0, k.asKey() if hasattr(k, "asKey") else k)
            m.insert(0, ts)
        if pad:
            m.paddingLeft = _ql(pad)
        for tn, rel, dur, first in segments:
            ql = _ql(dur)
            if tn.midi is None:
                el = note.Rest(quarterLength=ql)
                prev_note = None
            else:
                el = note.Note(_spell(tn.midi, flats), quarterLength=ql)
                tech = technique(tn)
                if (not first or tn.tied) and prev_note is not None:
                    prev_t = prev_note.tie.type if prev_note.tie is not None else None
                    prev_note.tie = tie.Tie("continue" if prev_t in ("stop", "continue") else "start")
                    el.tie = tie.Tie("stop")
                if tech != "natural" and tn.token:
                    el.style.color = TECHNIQUE_COLORS[tech]
                if first and tn.token and not tn.tied:
                    ly = note.Lyric(f"{token_pad}{tn.token}{token_pad}", number=TAB_VERSE,
                                    identifier=TAB_NAME, applyRaw=True)
                    if tech != "natural":
                        ly.style.color = TECHNIQUE_COLORS[tech]
                    el.lyrics.append(ly)
                    if tn.lyric and tn.lyric.strip():
                        words = note.Lyric(tn.lyric.strip(), number=LYRIC_VERSE,
                                           identifier=LYRIC_NAME, applyRaw=True)
                        if tech != "natural":  # keep the words black under a coloured note
                            words.style.color = TECHNIQUE_COLORS["natural"]
                        el.lyrics.append(words)
                prev_note = el
            m.insert(_ql(rel), el)
        part.append(m)
    score.insert(0, part)
    return score


def _notate(score: Any, key: Any) -> None:
    """What music21's ``makeNotation`` would do for a one-voice line, ~10x faster.

    Complex durations split into tied notes, beams by the time signature, accidentals
    shown against the key signature and earlier notes of the bar. Lets the export run
    with ``makeNotation=False`` (that pass copies the whole score and dominated the
    time of a PDF).
    """
    from music21 import pitch as m21pitch
    from music21 import stream
    from music21.stream.makeNotation import makeTupletBrackets

    key_alter = {}
    if key is not None:
        for p in key.alteredPitches:
            key_alter[p.step] = p.alter
    for part in score.parts:
        last_bar: dict = {}
        for m in part.getElementsByClass(stream.Measure):
            for el in list(m.notesAndRests):
                if el.duration.type in ("complex", "inexpressible"):
                    _split_complex(m, el)
            makeTupletBrackets(m, inPlace=True)
            seen: dict = {}
            for el in m.notes:
                p = el.pitch
                alter = p.alter
                step = (p.step, p.octave)
                expected = seen.get(step, key_alter.get(p.step, 0.0))
                continued = el.tie is not None and el.tie.type in ("stop", "continue")
                # courtesy accidental: the same note was altered otherwise in the last bar
                courtesy = step not in seen and last_bar.get(step, alter) != alter
                if (alter != expected or courtesy) and not continued:
                    if p.accidental is None:
                        p.accidental = m21pitch.Accidental("natural")
                    p.accidental.displayStatus = True
                elif p.accidental is not None:
                    p.accidental.displayStatus = False
                seen[step] = alter
            last_bar = seen
        part.makeBeams(inPlace=True)


def _bars(runs: list[list], bar: float):
    """``(measure number, [(tab note, offset in bar, duration, first piece)], padding)``.

    A run of notes with one measure number normally makes one bar (the first one,
    when short, is a pickup). A run longer than the time signature allows (a melody
    typed without bar lines, say) is cut into bars, a note crossing a bar line split
    into tied pieces, and every bar is then numbered afresh.
    """
    eps = 1e-6
    overfull = any(sum(x.duration for x in run) > bar + eps for run in runs)
    out = []
    number = runs[0][0].measure if runs else 1
    for i, run in enumerate(runs):
        start = run[0].offset
        content = sum(x.duration for x in run)
        pad = bar - content if i == 0 and len(runs) > 1 and content < bar - eps else 0.0
        if content <= bar + eps:
            segs = [(tn, tn.offset - start, tn.duration, True) for tn in run]
            out.append((number if overfull else run[0].measure, segs, pad))
            number += 1
            continue
        segs, limit = [], bar
        for tn in run:
            pos, left, first = tn.offset - start, tn.duration, True
            while left > eps:
                if pos >= limit - eps:
                    out.append((number, segs, 0.0))
                    number += 1
                    segs = []
                    limit += bar
                piece = min(left, limit - pos)
                segs.append((tn, pos - (limit - bar), piece, first))
                pos, left, first = pos + piece, left - piece, False
        if segs:
            out.append((number, segs, 0.0))
            number += 1
    return out


def _split_complex(measure: Any, el: Any) -> None:
    """Replace a note of a complex duration (1.25 = quarter + sixteenth) by tied notes."""
    from music21 import tie

    start = measure.elementOffset(el)
    old_tie = el.tie.type if el.isNote and el.tie is not None else None
    pieces = list(el.splitAtDurations())
    if len(pieces) < 2:
        raise ValueError(f"cannot notate a duration of {el.quarterLength}")
    measure.remove(el)
    offset = start
    for i, piece in enumerate(pieces):
        if i:
            piece.lyrics = []
        if el.isNote:
            first, last = i == 0, i == len(pieces) - 1
            if first:
                kind = "continue" if old_tie in ("stop", "continue") else "start"
            elif last:
                kind = "continue" if old_tie in ("start", "continue") else "stop"
            else:
                kind = "continue"
            piece.tie = tie.Tie(kind)
        measure.insert(offset, piece)
        offset += piece.quarterLength


#: Mean pitch (MIDI) from which the melody is written in the treble clef with an 8 above
#: (sounding an octave higher than written): a harp tune high on a C harp (holes 7-10)
#: otherwise sits on three to five ledger lines. Below ``BASS_BELOW``: bass clef.
TREBLE_8VA_FROM = 84
BASS_BELOW = 55


def staff_clef(mean_midi: float) -> Any:
    """The music21 clef a melody of this mean pitch reads best in."""
    from music21 import clef

    if mean_midi >= TREBLE_8VA_FROM:
        return clef.Treble8vaClef()
    if mean_midi < BASS_BELOW:
        return clef.BassClef()
    return clef.TrebleClef()


def trim_silence(notes: Iterable[TabNote], bar: float) -> list:
    """``notes`` without the empty bars before the first and after the last sounded note.

    A score's intro (bars of rest while the band plays) and a long final rest would print
    as rows of empty bars; a player wants the tune. Rests before the first sounded note
    in other bars go, and so do whole bars of rest inside its bar; rests after the last
    sounded note are kept only up to the next bar line (they complete the last bar).
    """
    from dataclasses import replace

    notes = list(notes)
    sounded = [i for i, n in enumerate(notes) if n.midi is not None]
    if not sounded:
        return notes
    first, last = sounded[0], sounded[-1]
    start = first  # the bar of the first sounded note starts at notes[start]
    while start > 0 and notes[start - 1].measure == notes[first].measure:
        start -= 1
    lead = notes[start:first]
    extra = sum(n.duration for n in lead) // bar * bar  # whole bars of rest: drop them
    while lead and extra > 1e-6:
        n = lead.pop(0)
        if n.duration > extra + 1e-6:
            lead.insert(0, replace(n, offset=n.offset + extra, duration=n.duration - extra))
        extra -= min(n.duration, extra)
    tail: list = []
    end_measure = notes[last].measure
    begin = last  # the bar of the last sounded note starts at notes[begin]
    while begin > 0 and notes[begin - 1].measure == end_measure:
        begin -= 1
    run = notes[begin:last + 1]
    room = (bar - sum(n.duration for n in run) % bar) % bar  # to the next bar line
    for n in notes[last + 1:]:
        if n.measure != end_measure or room < 1e-6:
            break
        tail.append(replace(n, duration=min(n.duration, room)))
        room -= tail[-1].duration
    return lead + notes[first:last + 1] + tail


def _mean_pitch(tablature: Tablature) -> float:
    ps = [n.midi for n in tablature.notes if n.midi is not None]
    return sum(ps) / len(ps) if ps else 60.0


def to_musicxml(tablature: Tablature, melody: Melody | None = None, *, part_name: str | None = None,
                token_pad: str = "") -> str:
    """MusicXML text (UTF-8) of :func:`to_score`, deterministic from run to run."""
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    score = to_score(tablature, melody, part_name=part_name, token_pad=token_pad)
    try:
        _notate(score, sounding_key(tablature, melody))
        exporter = GeneralObjectExporter(score)
        exporter.makeNotation = False
        xml = exporter.parse().decode("utf-8")
    except Exception:  # unusual rhythm: let music21 do the full notation pass
        score = to_score(tablature, melody, part_name=part_name, token_pad=token_pad)
        xml = GeneralObjectExporter(score).parse().decode("utf-8")
    xml = _ENCODING_DATE.sub(f"<encoding-date>{_FIXED_DATE}</encoding-date>", xml)
    # music21 derives the part id from an object id that changes between runs.
    for pid in set(_PART_ID.findall(xml)):
        xml = xml.replace(f'"{pid}"', '"P1"')
    return xml


_PART_ID = re.compile(r'<score-part id="([^"]+)"')


def read_tab_verse(path_or_text: str) -> list[tuple[int, str | None, str | None]]:
    """Re-import a MusicXML file: ``[(midi, tab_token_or_None, lyric_or_None), ...]``.

    Used by the tests and by anyone checking an edited file; tied continuations are
    skipped (they carry no token).
    """
    from music21 import converter

    score = converter.parse(path_or_text, format="musicxml")
    out = []
    for n in score.recurse().notes:
        if n.tie is not None and n.tie.type in ("stop", "continue"):
            continue
        tab = lyr = None
        for ly in n.lyrics:
            if ly.number == TAB_VERSE or ly.identifier == TAB_NAME:
                tab = ly.rawText
            elif ly.number == LYRIC_VERSE or ly.identifier == LYRIC_NAME:
                lyr = ly.rawText
        out.append((n.pitch.midi, tab, lyr))
    return out
