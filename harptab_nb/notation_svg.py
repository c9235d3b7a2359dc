"""Engrave a melody (optionally with its tab under each note) to SVG with verovio.

music21's ``show()`` needs MuseScore or a CDN; verovio renders locally in ~0.05 s.
The option ``xmlIdSeed`` makes element ids, hence the whole SVG, identical from run
to run, which nbval needs; music21's export date is stripped for the same reason.
music21 and verovio are imported inside the functions (``import harptab_nb`` stays light).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

#: verovio layout used for notebook views: a page width that fits a JupyterLab cell.
DEFAULT_OPTIONS: dict[str, Any] = {
    "pageWidth": 1800,
    "pageHeight": 60000,
    "pageMarginTop": 40,
    "pageMarginBottom": 40,
    "pageMarginLeft": 40,
    "pageMarginRight": 40,
    "scale": 38,
    "adjustPageHeight": True,
    "breaks": "auto",
    "header": "none",
    "footer": "none",
    "svgViewBox": True,
    "svgRemoveXlink": True,
    "svgFormatRaw": True,  # no indentation: half the size in saved notebooks
    "lyricSize": 4.0,
    "xmlIdSeed": 1,
}

_DESC = re.compile(r"<desc>Engraved by Verovio[^<]*</desc>")
_ENCODING_DATE = re.compile(r"<encoding-date>[^<]*</encoding-date>\s*")


def _key_signature(text: str | None) -> Any:
    """``"G major"`` / ``"E minor"`` -> a music21 Key, or ``None`` if unreadable."""
    if not text:
        return None
    from music21 import key

    parts = text.split()
    try:
        return key.Key(parts[0].replace("b", "-") if len(parts[0]) > 1 else parts[0],
                       parts[1] if len(parts) > 1 else "major")
    except Exception:  # noqa: BLE001 - an odd key name only costs the signature
        return None


def _note(midi: int, flats: bool) -> Any:
    """A music21 note spelled for the key (flats in flat keys), no courtesy natural."""
    from music21 import note

    el = note.Note(midi)
    acc = el.pitch.accidental
    if acc is not None and acc.alter == 0:
        el.pitch.accidental = None
    elif acc is not None and flats and acc.alter > 0:
        el.pitch = el.pitch.getEnharmonic()
    return el


def _bar_length(time_signature: str | None) -> float:
    """Quarter lengths per bar (4/4 when unknown)."""
    if time_signature:
        from music21 import meter

        try:
            return float(meter.TimeSignature(time_signature).barDuration.quarterLength)
        except Exception:  # noqa: BLE001 - unusual meter text: fall back to 4/4
            pass
    return 4.0


def _pieces(notes: Sequence[Any], bar: float) -> tuple[float, list[tuple[int, float, float, int, str | None]]]:
    """Cut every note at the barlines: (bar index, offset in bar, length, note index,
    tie part) pieces. The barline phase comes from the first change of measure number
    (the melody may start with a pickup; long rests may span several bars)."""
    eps = 1e-6
    start = notes[0].offset
    phase = 0.0
    for n in notes[1:]:
        if n.measure != notes[0].measure:
            phase = (n.offset - start) % bar
            break
    if abs(phase - bar) < eps:
        phase = 0.0
    pickup = phase if phase > eps else 0.0
    out: list[tuple[int, float, float, int, str | None]] = []
    for i, n in enumerate(notes):
        o, end = n.offset - start, n.offset - start + n.duration
        cuts = []
        while end - o > eps:
            # bar index: 0 is the pickup (if any), bars then run from ``pickup``
            k = 0 if o < pickup - eps else int((o - pickup + eps) // bar) + (1 if pickup else 0)
            bar_start = 0.0 if (pickup and k == 0) else pickup + (k - (1 if pickup else 0)) * bar
            bar_end = pickup if (pickup and k == 0) else bar_start + bar
            piece_end = min(end, bar_end)
            cuts.append((k, o - bar_start, piece_end - o))
            o = piece_end
        for j, (k, off, dur) in enumerate(cuts):
            part = None
            if len(cuts) > 1:
                part = "start" if j == 0 else "stop" if j == len(cuts) - 1 else "continue"
            out.append((k, off, dur, i, part))
    return bar - pickup if pickup else 0.0, out


def melody_stream(
    notes: Sequence[Any],
    *,
    title: str = "",
    composer: str = "",
    key_signature: str | None = None,
    time_signature: str | None = None,
    tokens: Sequence[str] | None = None,
) -> Any:
    """A music21 score of ``notes`` (``music.Note`` or ``TabNote``), cut into bars of the
    time signature (notes across a barline become tied notes); ``tokens[i]`` (if given)
    becomes verse 1 under note i and the song's lyric verse 2, so the tab sits right
    under the staff."""
    from music21 import clef, metadata, meter, note, stream, tie

    score = stream.Score()
    score.metadata = metadata.Metadata()
    score.metadata.title = title or ""
    score.metadata.composer = composer or ""
    part = stream.Part()
    if not notes:
        score.insert(0, part)
        return score
    ks = _key_signature(key_signature)
    flats = ks is not None and ks.sharps < 0
    bar = _bar_length(time_signature)
    padding, pieces = _pieces(notes, bar)
    first_number = notes[0].measure
    measures: dict[int, Any] = {}
    for k, off, dur, i, split in pieces:
        m = measures.get(k)
        if m is None:
            m = measures[k] = stream.Measure(number=first_number + k)
        n = notes[i]
        el = note.Rest() if n.midi is None else _note(n.midi, flats)
        el.quarterLength = dur
        if n.midi is not None:
            nxt = notes[i + 1] if i + 1 < len(notes) else None
            cont = nxt is not None and nxt.midi == n.midi and getattr(nxt, "tied", False)
            starts = split in (None, "start")
            ends = split in (None, "stop")
            before = getattr(n, "tied", False) or not starts
            after = cont or not ends
            if before or after:
                el.tie = tie.Tie("continue" if before and after else "stop" if before else "start")
            if starts:
                token = tokens[i] if tokens is not None else ""
                if token:
                    el.addLyric(token, applyRaw=True)  # "-4" is a draw, not a hyphen
                if getattr(n, "lyric", None):
                    if not token:
                        el.addLyric("")
                    el.addLyric(n.lyric)
        m.insert(off, el)
    for j, k in enumerate(sorted(measures)):
        m = measures[k]
        if j == 0:
            pitched = [n.midi for n in notes if n.midi is not None]
            low = sorted(pitched)[len(pitched) // 10] if pitched else 60
            m.insert(0, clef.TrebleClef() if low >= 53 else clef.BassClef())
            if ks is not None:
                m.insert(0, ks)
            if time_signature:
                try:
                    m.insert(0, meter.TimeSignature(time_signature))
                except Exception:  # noqa: BLE001 - unusual meter text: leave it out
                    pass
            if k == 0 and padding:
                m.paddingLeft = padding
        part.append(m)
    part.makeAccidentals(inPlace=True)
    score.insert(0, part)
    return score


def to_musicxml(score: Any) -> str:
    """MusicXML text of a music21 stream, without the run-dependent encoding date."""
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    xml = GeneralObjectExporter(score).parse().decode("utf-8")
    return _ENCODING_DATE.sub("", xml)


def render_svg(musicxml: str, *, options: dict[str, Any] | None = None) -> list[str]:
    """verovio SVG pages of a MusicXML text (a fresh toolkit, seeded ids)."""
    import verovio

    tk = verovio.toolkit()
    tk.setOptions({**DEFAULT_OPTIONS, **(options or {})})
    if not tk.loadData(musicxml):
        raise ValueError("verovio could not read the MusicXML")
    return [tk.renderToSVG(p) for p in range(1, tk.getPageCount() + 1)]


def _join(pages: list[str], cls: str) -> str:
    # Strip the XML declaration (inlined in HTML) and the engraver's version line.
    body = "".join(_DESC.sub("", re.sub(r"^<\?xml[^>]*>\s*", "", p)) for p in pages)
    return f"<div class='{cls}'>{body}</div>"


def melody_svg(melody: Any, *, options: dict[str, Any] | None = None) -> str:
    """The melody engraved (all pages in one ``<div>``), lyrics under the notes."""
    score = melody_stream(
        melody.notes, title=melody.title, composer=melody.composer,
        key_signature=melody.key_signature, time_signature=melody.time_signature)
    return _join(render_svg(to_musicxml(score), options=options), "harptab-melody-svg")


def tablature_svg(tab: Any, *, key_signature: str | None = None,
                  time_signature: str | None = None,
                  options: dict[str, Any] | None = None) -> str:
    """The notes the player sounds, engraved, with the tab token under each note and
    the lyrics under the tab. The key signature defaults to the key the player plays
    in (``tab.song_key``, after transposition)."""
    meta = getattr(tab, "meta", {}) or {}
    score = melody_stream(
        tab.notes, title=tab.title, composer=tab.composer,
        key_signature=key_signature or getattr(tab, "song_key", None),
        time_signature=time_signature or meta.get("time_signature"),
        tokens=[n.token for n in tab.notes])
    return _join(render_svg(to_musicxml(score), options=options), "harptab-tab-svg")


class SVG:
    """A rendered SVG fragment that displays itself in a notebook."""

    def __init__(self, svg: str, label: str = "notation") -> None:
        self.svg, self.label = svg, label

    def _repr_html_(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        return f"<SVG {self.label}: {self.svg.count('<svg')} page(s)>"
