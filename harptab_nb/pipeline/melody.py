"""Step ``melody``: pick the melody part of a score and reduce it to one monophonic line.

A harmonica plays one note at a time, so everything after this step works on a plain
:class:`~harptab_nb.music.Melody`: ties merged into one longer note, chords and
simultaneous voices reduced to their top note (the "skyline"), grace notes skipped
unless asked for, rests kept (consecutive rests merged), lyrics kept.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from ..errors import MelodyError
from ..music import Melody, Note
from ..tracker import ProgressTracker, step_scope

STEP_ID = "melody"

#: Part names that announce the tune (matched as words, case-insensitive), strongest
#: first: a "Solo Voice" beats the "Soprano" of the choir accompanying it.
MELODY_NAMES = (
    ("melody", "melodie", "mélodie", "tune", "lead", "leadsheet"),
    ("solo", "voice", "vocal", "vocals", "voce", "vox", "singer", "chant"),
    ("soprano", "canto", "cantus", "superius", "treble"),
)
_NAME_RES = tuple(
    re.compile(r"\b(" + "|".join(words) + r")\b", re.IGNORECASE) for words in MELODY_NAMES
)
_EPS = 1e-6


def extract_melody(
    score_result: Any,
    *,
    part: int | str | None = None,
    grace_notes: bool = False,
    expand_repeats: bool = False,
    tracker: ProgressTracker | None = None,
) -> Melody:
    """One monophonic :class:`Melody` from a ``ScoreResult`` (or a music21 score).

    Tied notes come out as one note with the summed duration (so ``Note.tied`` stays
    False here); ``meta`` also counts ties merged, chords reduced, lower notes dropped
    and grace notes skipped.

    ``part`` forces a part by 0-based index or by (part of its) name; otherwise the
    part is chosen by name, then lyrics, then pitch height, and ``meta["part_reason"]``
    says why. ``grace_notes=True`` keeps grace notes (duration 0, just before their
    main note); ``expand_repeats=True`` writes out repeats and voltas.
    """
    with step_scope(tracker, STEP_ID, "Extracting the melody") as st:
        score, source, title, composer = _unpack(score_result)
        with st.substep("melody_select", "Choosing the melody part") as sub:
            candidates = list_parts(score)
            index, reason = select_part(candidates, part)
            chosen = candidates[index]
            sub.done(f"{chosen.label} ({reason})")
        with st.substep("melody_extract", "Reducing to one line") as sub:
            m21part = chosen.part
            meta: dict[str, Any] = {
                "part_reason": reason,
                "part_index": index,
                "parts": [c.label for c in candidates],
            }
            if expand_repeats:
                m21part, expanded, problem = _expand(m21part)
                meta["repeats_expanded"] = expanded
                if problem:
                    meta.setdefault("warnings", []).append(problem)
            notes, stats = _line(m21part, grace_notes=grace_notes)
            meta.update(stats)
            if not any(n.midi is not None for n in notes):
                raise MelodyError(
                    f"part {chosen.label!r} has no pitched notes; choose another part "
                    f"({', '.join(c.label for c in candidates)})"
                )
            key_sig, time_sig = _signatures(m21part, score)
            melody = Melody(
                notes=tuple(notes),
                title=title,
                composer=composer,
                key_signature=key_sig,
                time_signature=time_sig,
                part_name=chosen.name or None,
                source=source,
                meta=meta,
            )
            n_sounded = len(melody.pitches)
            sub.done(f"{n_sounded} notes, {stats['rests']} rests")
        st.done(f"{n_sounded} melody notes from {chosen.label}")
        return melody


# --------------------------------------------------------------------- part choice


@dataclass
class PartInfo:
    """What part selection looks at, per part."""

    index: int
    name: str
    part: Any
    n_notes: int
    n_lyrics: int
    mean_midi: float
    percussion: bool

    @property
    def label(self) -> str:
        """"part 0 'Soprano'": how messages name the part."""
        return f"part {self.index}" + (f" '{self.name}'" if self.name else "")


def list_parts(score: Any) -> list[PartInfo]:
    """Every part of ``score`` with the numbers part selection needs."""
    from music21 import chord, harmony, note, percussion, stream

    parts = list(score.parts) if isinstance(score, stream.Score) else []
    if not parts:
        parts = [score]
    out = []
    for i, p in enumerate(parts):
        n_notes = n_lyrics = n_unpitched = 0
        total = 0.0
        for el in p.recurse().notes:
            if isinstance(el, harmony.Harmony):
                continue
            if isinstance(el, (note.Unpitched, percussion.PercussionChord)):
                n_unpitched += 1
                continue
            if isinstance(el, chord.Chord):
                if not el.pitches:
                    continue
                total += max(pp.midi for pp in el.pitches)
            elif isinstance(el, note.Note):
                total += el.pitch.midi
            else:
                continue
            n_notes += 1
            if el.lyrics and any((ly.text or "").strip() for ly in el.lyrics):
                n_lyrics += 1
        name = _part_name(p)
        out.append(PartInfo(
            index=i, name=name, part=p, n_notes=n_notes, n_lyrics=n_lyrics,
            mean_midi=total / n_notes if n_notes else float("-inf"),
            percussion=n_notes == 0 and n_unpitched > 0,
        ))
    return out


def _part_name(p: Any) -> str:
    name = (getattr(p, "partName", None) or "").strip()
    if not name:
        inst = p.getInstrument(returnDefault=False) if hasattr(p, "getInstrument") else None
        if inst is not None:
            name = (inst.partName or inst.instrumentName or "").strip()
    return name


def select_part(parts: list[PartInfo], forced: int | str | None = None) -> tuple[int, str]:
    """(index, reason): forced part, else a melody name, else lyrics, else the highest."""
    listing = ", ".join(f"{p.index}: {p.name or '(unnamed)'}" for p in parts)
    if forced is not None:
        idx = _forced_index(parts, forced, listing)
        if parts[idx].n_notes == 0:
            raise MelodyError(f"{parts[idx].label} has no pitched notes; parts are {listing}")
        return idx, "chosen by the user"
    playable = [p for p in parts if p.n_notes > 0]
    if not playable:
        raise MelodyError("no part of the score has pitched notes")
    if len(playable) == 1:
        only = playable[0]
        return only.index, "only part with notes" if len(parts) > 1 else "only part"
    for name_re in _NAME_RES:
        named = [p for p in playable if name_re.search(p.name)]
        if named:
            best = max(named, key=lambda p: (p.n_notes, -p.index))
            return best.index, f"named '{best.name}'"
    with_lyrics = [p for p in playable if p.n_lyrics > 0]
    if with_lyrics:
        best = max(with_lyrics, key=lambda p: (p.n_lyrics / p.n_notes, p.mean_midi, -p.index))
        return best.index, "has lyrics"
    best = max(playable, key=lambda p: (p.mean_midi, -p.index))
    return best.index, "highest part"


def _forced_index(parts: list[PartInfo], forced: int | str, listing: str) -> int:
    if isinstance(forced, bool):
        raise MelodyError(f"part must be an index or a name, not {forced!r}")
    if isinstance(forced, str) and forced.strip().lstrip("-").isdigit():
        forced = int(forced.strip())
    if isinstance(forced, int):
        if -len(parts) <= forced < len(parts):
            return forced % len(parts)
        raise MelodyError(f"there is no part {forced}; the score has {listing}")
    want = str(forced).strip().lower()
    for exact in (True, False):
        for p in parts:
            name = p.name.lower()
            if (name == want) if exact else (want and want in name):
                return p.index
    raise MelodyError(f"no part named {forced!r}; the score has {listing}")


# --------------------------------------------------------------------- extraction


def _unpack(score_result: Any) -> tuple[Any, str, str, str]:
    """(score, source, title, composer) from a ScoreResult or a bare music21 stream."""
    if hasattr(score_result, "score") and hasattr(score_result, "format"):
        return (score_result.score, str(score_result.source or ""),
                score_result.title or "", score_result.composer or "")
    from music21 import stream

    if isinstance(score_result, stream.Stream):
        from .ocr import score_titles

        title, composer = score_titles(score_result)
        return score_result, "music21 stream", title, composer
    raise MelodyError(
        f"extract_melody needs the result of read_score (or a music21 score), "
        f"not a {type(score_result).__name__}"
    )


def _expand(part: Any) -> tuple[Any, bool, str | None]:
    """(part with repeats written out, expanded?, problem): unchanged when it has no
    repeats or they are malformed (then ``problem`` says so for the user)."""
    from music21 import bar, repeat, spanner

    has = any(isinstance(b, bar.Repeat) for b in part.recurse().getElementsByClass(bar.Barline))
    has = has or bool(part.recurse().getElementsByClass(repeat.RepeatExpression))
    has = has or bool(part.recurse().getElementsByClass(spanner.RepeatBracket))
    if not has:
        return part, False, None
    try:
        return part.expandRepeats(), True, None
    except Exception as exc:  # malformed repeat marks: keep the written order
        return part, False, f"repeats left as written: the repeat marks do not pair up ({exc})"


@dataclass
class _Event:
    offset: float
    measure: int
    midi: int | None  # top pitch; None for a rest
    duration: float
    lyric: str | None
    tie: str | None  # music21 tie type of the top note: start/continue/stop/None
    grace: bool
    order: int


def _events(part: Any, grace_notes: bool) -> tuple[list[_Event], int]:
    """All notes, chords and rests of ``part`` with absolute offsets and measure numbers."""
    from music21 import chord, harmony, note, percussion, stream

    measures = list(part.getElementsByClass(stream.Measure))
    if not measures:
        measures = [part]
    events: list[_Event] = []
    graces_skipped = 0
    order = 0
    for m in measures:
        m_off = float(m.getOffsetInHierarchy(part)) if m is not part else 0.0
        m_num = int(getattr(m, "number", 1) or 0) if m is not part else 1
        for el in m.recurse().notesAndRests:
            if isinstance(el, (harmony.Harmony, note.Unpitched, percussion.PercussionChord)):
                continue
            grace = bool(el.duration.isGrace)
            if grace and not grace_notes:
                if not isinstance(el, note.Rest):
                    graces_skipped += 1
                continue
            if m is part:
                mm = el.measureNumber
                num = int(mm) if mm is not None else 1
                off = float(el.getOffsetInHierarchy(part))
            else:
                num = m_num
                off = m_off + float(el.getOffsetInHierarchy(m))
            dur = 0.0 if grace else float(el.duration.quarterLength)
            if isinstance(el, note.Rest):
                if dur > _EPS:
                    events.append(_Event(off, num, None, dur, None, None, False, order))
                    order += 1
                continue
            if isinstance(el, chord.Chord):
                if not el.pitches:
                    continue
                top = max(el.notes, key=lambda n: n.pitch.ps)
                midi = top.pitch.midi
                tie = (top.tie or el.tie)
            elif isinstance(el, note.Note):
                midi = el.pitch.midi
                tie = el.tie
            else:
                continue
            if not grace and dur <= _EPS:
                continue
            events.append(_Event(off, num, int(midi), dur, _lyric(el),
                                 tie.type if tie is not None else None, grace, order))
            order += 1
    return events, graces_skipped


def _lyric(el: Any) -> str | None:
    """First verse's syllable, with a trailing hyphen when the word goes on ("Twin-")."""
    for ly in el.lyrics or ():
        text = (ly.text or "").strip()
        if text:
            if getattr(ly, "syllabic", None) in ("begin", "middle") and not text.endswith("-"):
                text += "-"
            return text
    return None


def _line(part: Any, *, grace_notes: bool) -> tuple[list[Note], dict[str, int]]:
    """The skyline of ``part``: at each onset the top note, unless a higher one still sounds.

    Ties become one note with the summed duration; gaps become rests, so consecutive
    written rests come out as one rest.
    """
    events, graces_skipped = _events(part, grace_notes)
    events.sort(key=lambda e: (e.offset, not e.grace, e.order))
    # group simultaneous onsets (graces keep their own slot, before the main note)
    groups: list[list[_Event]] = []
    for ev in events:
        if ev.midi is None:
            continue
        last = groups[-1] if groups else None
        if (last and not ev.grace and not last[0].grace
                and abs(last[0].offset - ev.offset) < _EPS):
            last.append(ev)
        else:
            groups.append([ev])

    # sounding segments: [start, end, midi, measure, lyric, tie]
    segs: list[dict[str, Any]] = []
    ties_merged = chords_reduced = dropped = 0
    for group in groups:
        top = max(group, key=lambda e: (e.midi, e.tie is not None, -e.order))
        if len(group) > 1:
            chords_reduced += 1
        lyric = top.lyric or next((e.lyric for e in group if e.lyric), None)
        t = top.offset
        cur = segs[-1] if segs else None
        if cur is not None and top.grace:
            segs.append(dict(start=t, end=t, midi=top.midi, measure=top.measure,
                             lyric=lyric, grace=True))
            continue
        if (cur is not None and not cur.get("grace") and top.tie in ("continue", "stop")
                and cur["midi"] == top.midi and abs(cur["end"] - t) < 1e-3):
            cur["end"] = t + top.duration
            ties_merged += 1
            continue
        if cur is not None and not cur.get("grace") and cur["end"] > t + _EPS:
            if top.midi < cur["midi"]:
                # a lower voice moving under a held melody note
                dropped += 1
                if t + top.duration > cur["end"] + _EPS:
                    pass  # it outlasts the melody note; its later part is not an onset
                continue
            cur["end"] = t  # the new, higher (or equal) note cuts the held one
        segs.append(dict(start=t, end=t + top.duration, midi=top.midi,
                         measure=top.measure, lyric=lyric, grace=top.grace))

    # measure lookup for rests: the measure of the last event at or before the gap
    marks = sorted(((e.offset, e.order), e.measure) for e in events)
    mark_offsets = [m[0][0] for m in marks]
    first_offset = events[0].offset if events else 0.0

    def measure_at(t: float) -> int:
        i = bisect.bisect_right(mark_offsets, t + _EPS) - 1
        return marks[max(i, 0)][1] if marks else 1

    notes: list[Note] = []
    rests = 0
    pos = first_offset
    for seg in segs:
        if seg["start"] > pos + _EPS:
            notes.append(Note(midi=None, measure=measure_at(pos), offset=_r(pos),
                              duration=_r(seg["start"] - pos)))
            rests += 1
        dur = 0.0 if seg["grace"] else seg["end"] - seg["start"]
        notes.append(Note(midi=seg["midi"], measure=seg["measure"], offset=_r(seg["start"]),
                          duration=_r(dur), lyric=seg["lyric"]))
        pos = max(pos, seg["end"])
    # a written rest after the last note (a final bar of silence) is kept too
    end_of_rests = max((e.offset + e.duration for e in events if e.midi is None), default=pos)
    if segs and end_of_rests > pos + _EPS:
        notes.append(Note(midi=None, measure=measure_at(pos), offset=_r(pos),
                          duration=_r(end_of_rests - pos)))
        rests += 1
    stats = {"rests": rests, "ties_merged": ties_merged, "chords_reduced": chords_reduced,
             "lower_notes_dropped": dropped, "grace_notes_skipped": graces_skipped}
    return notes, stats


def _r(x: float) -> float:
    """Round quarter lengths so triplets stay readable and sums stay exact enough."""
    return round(float(x), 6)


def _signatures(part: Any, score: Any) -> tuple[str | None, str | None]:
    """("G major", "6/8") from the first key and time signature of the part or score."""
    from music21 import key, meter

    key_sig = time_sig = None
    for where in (part, score):
        if key_sig is None:
            ks = next(iter(where.recurse().getElementsByClass(key.KeySignature)), None)
            if ks is not None:
                key_sig = key_name(ks)
        if time_sig is None:
            ts = next(iter(where.recurse().getElementsByClass(meter.TimeSignature)), None)
            if ts is not None:
                time_sig = ts.ratioString
    return key_sig, time_sig


def key_name(k: Any) -> str:
    """"G major" / "F# minor" / "Bb major" from a music21 Key or KeySignature."""
    from music21 import key

    if not isinstance(k, key.Key):
        mode = "minor" if getattr(k, "mode", None) == "minor" else "major"
        k = k.asKey(mode)
    tonic = k.tonic.name.replace("-", "b")
    return f"{tonic} {k.mode}"
