"""From glyphs to music: pitches, durations, bar-long accidentals, measures, a music21 Score."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from typing import Any

from .model import Glyph, OmrWarning, StaffReading

__all__ = ["resolve_staff", "build_score", "CLEF_BOTTOM_LINE"]

#: diatonic number (octave * 7 + letter index) of each clef's bottom line
CLEF_BOTTOM_LINE = {"treble": 4 * 7 + 2, "bass": 2 * 7 + 4}
LETTERS = "CDEFGAB"
SHARP_ORDER = "FCGDAEB"
ALTER = {"sharp": 1, "flat": -1, "natural": 0}
NATURAL_MIDI = [0, 2, 4, 5, 7, 9, 11]
#: hole counts of engraved digits 0-9
DIGIT_HOLES = {0: 1, 1: 0, 2: 0, 3: 0, 4: 1, 5: 0, 6: 1, 7: 0, 8: 2, 9: 1}


def key_alter(fifths: int, letter: int) -> int:
    name = LETTERS[letter]
    if fifths > 0 and name in SHARP_ORDER[:fifths]:
        return 1
    if fifths < 0 and name in SHARP_ORDER[::-1][: -fifths]:
        return -1
    return 0


def _dur(g: Glyph) -> Fraction:
    d = g.duration
    if isinstance(g.value, dict) and "tuplet" in g.value:
        d = d * g.value["tuplet"]
    total = d
    add = d
    for _ in range(g.dots):
        add /= 2
        total += add
    return total


def _attach_accidentals(st: StaffReading, warnings: list[OmrWarning]) -> None:
    sp = st.space
    notes = [g for g in st.glyphs if g.kind == "note"]
    for a in [g for g in st.glyphs if g.kind == "accidental"]:
        body_y = a.box[3] - 0.55 * sp if a.name == "flat" else a.cy
        best, best_gap = None, None
        for n in notes:
            gap = n.box[0] - a.box[2]
            if -0.3 * sp <= gap <= 1.6 * sp and abs(n.cy - body_y) <= 0.7 * sp:
                if best_gap is None or gap < best_gap:
                    best, best_gap = n, gap
        if best is None:
            warnings.append(
                OmrWarning(
                    f"{a.name} sign with no note beside it, ignored",
                    page=st.page,
                    staff=st.index,
                    x=a.cx,
                    y=a.cy,
                )
            )
            a.value = "orphan"
            continue
        best.accidental = a.name


def _attach_ties(st: StaffReading, order: list[Glyph]) -> None:
    sp = st.space
    notes = [g for g in order if g.kind == "note"]
    for t in [g for g in st.glyphs if g.kind == "tie"]:
        for a, b in zip(notes, notes[1:], strict=False):
            if a.step != b.step:
                continue
            if (
                t.box[0] >= a.box[0] - 0.2 * sp
                and t.box[0] <= a.box[2] + 0.6 * sp
                and t.box[2] >= b.box[0] - 0.6 * sp
                and t.box[2] <= b.box[2] + 0.3 * sp
                and abs(t.cy - a.cy) <= 2.0 * sp
            ):
                a.tie_start = True
                break


def resolve_staff(st: StaffReading, warnings: list[OmrWarning]) -> list[Glyph]:
    """Notes, rests and bars of one staff in reading order, with chords reduced."""
    _attach_accidentals(st, warnings)
    sp = st.space
    events = sorted(
        (g for g in st.glyphs if g.kind in ("note", "rest", "bar")), key=lambda g: g.cx
    )
    out: list[Glyph] = []
    for g in events:
        if g.kind == "bar":
            if out and out[-1].kind == "bar" and g.box[0] - out[-1].box[2] < 1.3 * sp:
                continue
            out.append(g)
            continue
        if g.kind == "note" and out and out[-1].kind == "note":
            prev = out[-1]
            same_stem = prev.stem == g.stem and abs(
                prev.value["stem_x"] - g.value["stem_x"]  # type: ignore[index]
            ) <= 0.4 * sp
            if same_stem and abs(prev.cx - g.cx) < 1.6 * sp:
                # a chord: keep the top note (the melody), say so
                warnings.append(
                    OmrWarning(
                        "chord read: only its top note kept",
                        page=st.page,
                        staff=st.index,
                        x=g.cx,
                        y=g.cy,
                        kind="chord",
                    )
                )
                if g.step > prev.step:
                    g.beams = max(g.beams, prev.beams)
                    out[-1] = g
                continue
        out.append(g)
    _attach_ties(st, out)
    _attach_tuplets(st, out, warnings)
    return out


def _attach_tuplets(st: StaffReading, events: list[Glyph], warnings: list[OmrWarning]) -> None:
    """A small "3" centred over three equal notes makes them a triplet."""
    sp = st.space
    digits = [g for g in st.glyphs if g.kind == "digit" and g.value == 0]
    if not digits:
        return
    for d in digits:
        best, best_k = None, -1
        for k, g in enumerate(events):
            if g.kind != "note":
                continue
            dist = abs(g.cx - d.cx)
            if best is None or dist < best:
                best, best_k = dist, k
        if best is None or best > 1.3 * sp or best_k <= 0 or best_k >= len(events) - 1:
            continue
        trio = events[best_k - 1 : best_k + 2]
        if any(g.kind != "note" for g in trio):
            continue
        counts = Counter(_dur(g) for g in trio)
        common, n_common = counts.most_common(1)[0]
        tips = [g.value["tip"] for g in trio if isinstance(g.value, dict) and g.value.get("tip")]
        near = any(abs(d.cy - t) <= 2.5 * sp for t in tips) or abs(d.cy - trio[1].cy) <= 4 * sp
        if n_common < 2 or common > 1 or not near:
            continue
        # the number stands beyond the stems (or heads), over the middle of the group
        stems = {g.stem for g in trio}
        if not trio[0].box[0] - 0.3 * sp <= d.cx <= trio[2].box[2] + 0.3 * sp:
            continue
        if stems == {1} and tips and d.box[3] > min(tips) + 0.3 * sp:
            continue
        if stems == {-1} and tips and d.box[1] < max(tips) - 0.3 * sp:
            continue
        for g in trio:
            if _dur(g) != common and g.dots == 0:
                # one beam misread inside a triplet: the other two tell the value
                g.duration = common
                warnings.append(
                    OmrWarning(
                        "note value taken from its triplet neighbours",
                        page=st.page,
                        staff=st.index,
                        x=g.cx,
                        y=g.cy,
                    )
                )
        if any(isinstance(g.value, dict) and "tuplet" in g.value for g in trio):
            continue
        for g in trio:
            if isinstance(g.value, dict):
                g.value["tuplet"] = Fraction(2, 3)


REST_VALUES = (Fraction(4), Fraction(2), Fraction(1), Fraction(1, 2), Fraction(1, 4), Fraction(1, 8))


def _bars(
    staves: list[tuple[StaffReading, list[Glyph]]],
) -> list[list[tuple[StaffReading, Glyph]]]:
    """The glyphs between bar lines, across staves, each with the staff it stands on."""
    bars: list[list[tuple[StaffReading, Glyph]]] = [[]]
    for st, events in staves:
        for g in events:
            if g.kind == "bar":
                if bars[-1]:
                    bars.append([])
            else:
                bars[-1].append((st, g))
    return bars


def _repair_rests(
    staves: list[tuple[StaffReading, list[Glyph]]], measure_ql: Fraction, warnings: list[OmrWarning]
) -> None:
    """In a bar (not the first or last) that does not add up, a rest whose other value
    would make it add up exactly (quarter and 16th rests look alike) takes that value."""
    bars = [b for b in _bars(staves) if b]
    for bar in bars[1:-1]:
        total = sum((_dur(g) for _st, g in bar), Fraction(0))
        diff = measure_ql - total
        if diff == 0:
            continue
        rests = [(st, g) for st, g in bar if g.kind == "rest" and g.dots == 0]
        if len(rests) != 1:
            continue
        st, g = rests[0]
        want = g.duration + diff
        if want in REST_VALUES and want != g.duration and not (g.duration >= 2 or want >= 2):
            warnings.append(
                OmrWarning(
                    f"rest read as {g.duration} quarter note(s) long, taken as {want}: the bar adds up so",
                    page=st.page,
                    staff=st.index,
                    x=g.cx,
                    y=g.cy,
                )
            )
            g.duration = want


def _unmarked_triplets(
    staves: list[tuple[StaffReading, list[Glyph]]], measure_ql: Fraction, warnings: list[OmrWarning]
) -> None:
    """Bars one or more triplets too long, whose "3" was not read: make the triplets.

    Only when turning k runs of three equal notes into triplets makes the bar add up
    exactly (each run of three d-notes then lasts 2d).
    """
    bars = _bars(staves)
    for bar in bars:
        total = sum((_dur(g) for _st, g in bar), Fraction(0))
        excess = total - measure_ql
        if excess <= 0:
            continue
        notes = [(st, g) for st, g in bar]
        for d in sorted({_dur(g) for _st, g in notes if g.kind == "note"}):
            if d > 1 or (excess / d).denominator != 1:
                continue
            k = int(excess / d)
            picked: list[list[tuple[StaffReading, Glyph]]] = []
            i = 0
            while i + 2 < len(notes) and len(picked) < k:
                trio = notes[i : i + 3]
                if all(
                    g.kind == "note"
                    and _dur(g) == d
                    and g.dots == 0
                    and isinstance(g.value, dict)
                    and "tuplet" not in g.value
                    for _st, g in trio
                ) and len({g.beams for _st, g in trio}) == 1:
                    picked.append(trio)
                    i += 3
                else:
                    i += 1
            if len(picked) == k:
                for trio in picked:
                    for _st, g in trio:
                        g.value["tuplet"] = Fraction(2, 3)  # type: ignore[index]
                    st0, g0 = trio[0]
                    warnings.append(
                        OmrWarning(
                            "triplet assumed: the bar is too long without it",
                            page=st0.page,
                            staff=st0.index,
                            x=g0.cx,
                            y=g0.cy,
                        )
                    )
                break
        else:
            # one triplet with one beam misread: two equal notes tell the value
            for i in range(len(notes) - 2):
                trio = [g for _st, g in notes[i : i + 3]]
                if any(g.kind != "note" or g.dots or not isinstance(g.value, dict) for g in trio):
                    continue
                counts = Counter(_dur(g) for g in trio)
                d, n_d = counts.most_common(1)[0]
                if n_d != 2 or d > 1 or max(_dur(g) for g in trio) > 1:
                    continue
                if sum((_dur(g) for g in trio), Fraction(0)) - 2 * d != excess:
                    continue
                for g in trio:
                    g.duration = d
                    g.value["tuplet"] = Fraction(2, 3)  # type: ignore[index]
                st0 = notes[i][0]
                warnings.append(
                    OmrWarning(
                        "triplet assumed and one note value corrected: the bar adds up so",
                        page=st0.page,
                        staff=st0.index,
                        x=trio[0].cx,
                        y=trio[0].cy,
                    )
                )
                break


def _time_from_bars(tg: Glyph | None, bar_ql: Fraction | None) -> tuple[int, int] | None:
    lowers = {0: [2], 1: [4], 2: [8], -1: [4, 8, 2]}
    if tg is None or not isinstance(tg.value, dict):
        return None
    lo = tg.value["lower"]
    up = tg.value["upper"]
    if len(lo) == 2:
        dens = [16]
    else:
        dens = lowers.get(lo[0], [4])
    if len(up) == 2:
        nums = [12] if up[1] == 1 or True else [12]
        if up == (0, 0):
            nums = [11]
        elif up == (0, 1):
            nums = [12, 10]
    else:
        nums = [n for n, hh in DIGIT_HOLES.items() if hh == up[0] and n >= 2]
    if bar_ql is not None:
        for den in dens:
            num = bar_ql * den / 4
            if num.denominator == 1 and int(num) in nums:
                return int(num), den
        for den in dens:
            num = bar_ql * den / 4
            if num.denominator == 1 and 1 <= num <= 16:
                return int(num), den
    # no bars to go by: the most common signatures first
    for guess in ((3, 4), (2, 4), (4, 4), (6, 8), (9, 8), (12, 8), (3, 8), (2, 2), (3, 2)):
        if guess[0] in nums and guess[1] in dens:
            return guess
    return None


def build_score(readings: list[StaffReading], warnings: list[OmrWarning], title: str = "") -> Any:
    """A music21 Score (one part, measures) from every staff read on every page."""
    from music21 import clef as m21clef
    from music21 import key as m21key
    from music21 import meter, note, stream, tie

    staves = [(st, resolve_staff(st, warnings)) for st in readings]
    # measure lengths in quarter notes, to settle time-signature digits
    lengths: list[Fraction] = []
    for _st, ev in staves:
        cur = Fraction(0)
        for g in ev:
            if g.kind == "bar":
                if cur:
                    lengths.append(cur)
                cur = Fraction(0)
            else:
                cur += _dur(g)
    full = lengths[1:-1] if len(lengths) > 2 else lengths
    bar_ql = Counter(full).most_common(1)[0][0] if full else None

    first = next((st for st in readings), None)
    time_sig: tuple[int, int] | None = None
    symbol = None
    for st in readings:
        tg = next((g for g in st.glyphs if g.kind == "time"), None)
        if tg is None:
            continue
        if st.time is not None:
            time_sig, symbol = st.time, st.time_symbol
        else:
            time_sig = _time_from_bars(tg, bar_ql)
        break
    if time_sig is None and bar_ql is not None:
        q = bar_ql
        time_sig = (int(q), 4) if q.denominator == 1 else (int(q * 2), 8)
        if first is not None:
            warnings.append(
                OmrWarning(
                    f"time signature not read, {time_sig[0]}/{time_sig[1]} guessed from bar lengths",
                    page=first.page,
                    staff=first.index,
                    kind="time",
                )
            )
    measure_ql = Fraction(time_sig[0] * 4, time_sig[1]) if time_sig else None
    if measure_ql is not None and bar_ql == measure_ql:
        # most bars add up to the time signature: the odd ones may be repaired
        _unmarked_triplets(staves, measure_ql, warnings)
        _repair_rests(staves, measure_ql, warnings)

    score = stream.Score()
    if title:
        from music21 import metadata

        score.metadata = metadata.Metadata(title=title)
    part = stream.Part(id="P1")
    part.partName = "Melody"
    score.insert(0, part)

    number = 1
    measure = stream.Measure(number=number)
    cur_clef = None
    cur_key: int | None = None
    measure_acc: dict[int, int] = {}
    pending_tie: tuple[Any, int] | None = None  # (note, diatonic) of a tie start
    n_measures_content = 0
    if time_sig:
        ts = meter.TimeSignature(f"{time_sig[0]}/{time_sig[1]}")
        if symbol:
            ts.symbol = symbol
        measure.insert(0, ts)

    first_pos: dict[int, tuple[int, int, float, float]] = {}

    def close_measure() -> None:
        nonlocal measure, number, measure_acc, n_measures_content
        if measure.notesAndRests:
            rests = list(measure.notesAndRests)
            if (
                measure_ql is not None
                and len(rests) == 1
                and rests[0].isRest
                and rests[0].quarterLength == 4
                and measure_ql != 4
            ):
                rests[0].quarterLength = measure_ql  # a whole-bar rest
            part.append(measure)
            number += 1
            measure = stream.Measure(number=number)
            n_measures_content += 1
        measure_acc = {}

    for st, events in staves:
        if st.clef != cur_clef:
            measure.insert(0 if not measure.notesAndRests else measure.highestTime,
                           m21clef.TrebleClef() if st.clef == "treble" else m21clef.BassClef())
            cur_clef = st.clef
        fifths = st.key_fifths if st.key_fifths is not None else (cur_key or 0)
        if fifths != cur_key:
            measure.insert(0 if not measure.notesAndRests else measure.highestTime,
                           m21key.KeySignature(fifths))
            cur_key = fifths
        base = CLEF_BOTTOM_LINE[st.clef]
        for g in events:
            if g.kind == "bar":
                close_measure()
                continue
            first_pos.setdefault(number, (st.page, st.index, g.cx, g.cy))
            if g.kind == "rest":
                r = note.Rest(quarterLength=_dur(g))
                measure.append(r)
                pending_tie = None
                continue
            diat = base + g.step
            letter = diat % 7
            octave = diat // 7
            if pending_tie is not None and pending_tie[1] == diat:
                midi = pending_tie[0].pitch.midi
                alter = None
            else:
                if g.accidental is not None:
                    alter = ALTER[g.accidental]
                    measure_acc[diat] = alter
                elif diat in measure_acc:
                    alter = measure_acc[diat]
                else:
                    alter = key_alter(fifths, letter)
                midi = (octave + 1) * 12 + NATURAL_MIDI[letter] + alter
            n = note.Note(quarterLength=_dur(g))
            n.pitch.midi = midi
            if alter is not None:
                from music21 import pitch as m21pitch

                n.pitch = m21pitch.Pitch(step=LETTERS[letter], octave=octave)
                if alter:
                    n.pitch.accidental = alter
            if pending_tie is not None and pending_tie[1] == diat:
                n.pitch = pending_tie[0].pitch
                prev_note = pending_tie[0]
                prev_note.tie = tie.Tie("start" if prev_note.tie is None else "continue")
                n.tie = tie.Tie("stop")
            g.midi = n.pitch.midi
            g.name = n.pitch.nameWithOctave
            measure.append(n)
            pending_tie = (n, diat) if g.tie_start else None
    close_measure()
    if len(part.getElementsByClass("Measure")) == 0:
        return score
    measures = list(part.getElementsByClass("Measure"))
    if measure_ql is not None:
        # bars that do not add up: a note value or a rest was probably misread
        for m in measures[1:-1]:
            got = Fraction(m.duration.quarterLength).limit_denominator(96)
            if got != measure_ql and m.number in first_pos:
                pg, si, x, y = first_pos[m.number]
                warnings.append(
                    OmrWarning(
                        f"bar {m.number} holds {float(got):g} quarter notes, "
                        f"{float(measure_ql):g} expected: a note value may be misread",
                        page=pg,
                        staff=si,
                        x=x,
                        y=y,
                        kind="bar",
                    )
                )
    m1 = measures[0]
    if measure_ql is not None and m1.duration.quarterLength < measure_ql:
        m1.paddingLeft = float(measure_ql - Fraction(m1.duration.quarterLength).limit_denominator(64))
    return score
