"""Ground truth for tests and benchmarks: real corpus tunes engraved by independent engravers.

A music21 corpus tune is exported to MusicXML once; that file is both the truth (re-read
by music21) and the input of the engravers: verovio (several SMuFL fonts, SVG
rasterised by cairosvg) and LilyPond (``musicxml2ly`` + ``lilypond --png``). Scores are
compared note by note with an edit distance (:func:`accuracy`).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

__all__ = [
    "VEROVIO_FONTS",
    "corpus_tunes",
    "to_musicxml",
    "events",
    "render_verovio",
    "render_lilypond",
    "lilypond_available",
    "edit_distance",
    "accuracy",
]

VEROVIO_FONTS = ("Leipzig", "Bravura", "Petaluma", "Leland", "Gootville")

#: corpus collections with many single-line tunes
COLLECTIONS = {
    "airds": "airdsAirs",
    "oneills": "oneills1850",
    "essen": "essenFolksong",
}

Event = tuple[int | None, Fraction]


def _tune_numbers(path: Path) -> list[int]:
    text = path.read_text(encoding="latin-1")
    return [int(m) for m in re.findall(r"^X:\s*(\d+)", text, flags=re.M)]


def corpus_tunes(collection: str, limit: int | None = None) -> Iterator[tuple[str, Any]]:
    """Yield ``(name, music21 score)`` for single-part tunes of a corpus collection."""
    from music21 import corpus

    paths = sorted(corpus.getPaths(fileExtensions=("abc",)), key=str)
    key = COLLECTIONS.get(collection, collection)
    paths = [Path(p) for p in paths if key in str(p)]
    count = 0
    for p in paths:
        for n in _tune_numbers(p):
            try:
                s = corpus.parse(str(p), number=n)
            except Exception:  # noqa: BLE001 - a tune music21 cannot read is skipped
                continue
            if s is None or not hasattr(s, "parts") or len(s.parts) != 1:
                continue
            if not list(s.recurse().notes):
                continue
            yield f"{p.stem}#{n}", s
            count += 1
            if limit is not None and count >= limit:
                return


def to_musicxml(score: Any) -> str:
    """MusicXML text of ``score`` without metronome marks (engraver fonts lack their glyphs)."""
    from music21 import tempo
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    s = score
    for mm in list(s.recurse().getElementsByClass(tempo.MetronomeMark)):
        site = mm.activeSite
        if site is not None:
            site.remove(mm)
    # ties between different pitches (ABC '-' misread) are drawn by engravers as
    # lines across the page: drop them
    for part in getattr(s, "parts", [s]):
        notes = [n for n in part.recurse().notes if not n.duration.isGrace]
        for a, b in zip(notes, notes[1:] + [None], strict=True):
            if a.tie is not None and a.tie.type in ("start", "continue"):
                if b is None or getattr(b, "pitches", None) != a.pitches:
                    a.tie = None if a.tie.type == "start" else a.tie.__class__("stop")
    # printed accidentals must agree with the pitches (ABC imports may leave them unset)
    for part in getattr(s, "parts", [s]):
        prev = None
        for m in part.getElementsByClass("Measure"):
            m.makeAccidentals(
                inPlace=True,
                overrideStatus=True,
                cautionaryNotImmediateRepeat=False,
                pitchPastMeasure=prev,
            )
            notes = list(m.recurse().notes)
            prev = [p for n in notes[-1:] for p in n.pitches] if notes else None
    return GeneralObjectExporter(s).parse().decode("utf-8")


def events(score: Any) -> list[Event]:
    """Written notes and rests in order: ``(midi or None, quarter length)``; top note of chords."""
    out: list[Event] = []
    parts = list(getattr(score, "parts", [])) or [score]
    for n in parts[0].recurse().notesAndRests:
        if n.duration.isGrace or getattr(n.style, "hideObjectOnPrint", False):
            continue  # not on the page
        ql = Fraction(n.duration.quarterLength).limit_denominator(96)
        if n.isRest:
            if ql == 0:
                continue
            out.append((None, ql))
        elif n.isChord:
            out.append((max(p.midi for p in n.pitches), ql))
        else:
            out.append((n.pitch.midi, ql))
    return out


def render_verovio(xml: str, font: str = "Leipzig", dpi: int = 300) -> list[Any]:
    """Grayscale pages (numpy uint8) of ``xml`` engraved by verovio with ``font``, A4."""
    import cairosvg
    import numpy as np
    import verovio
    from PIL import Image

    tk = verovio.toolkit()
    tk.setOptions(
        {
            "pageWidth": 2100,
            "pageHeight": 2970,
            "scale": 100,
            "font": font,
            "footer": "none",
            "breaks": "auto",
        }
    )
    if not tk.loadData(xml):
        raise RuntimeError("verovio could not load the MusicXML")
    width = int(round(8.2677 * dpi))
    pages = []
    for i in range(1, tk.getPageCount() + 1):
        svg = tk.renderToSVG(i)
        png = cairosvg.svg2png(bytestring=svg.encode(), output_width=width, background_color="white")
        pages.append(np.asarray(Image.open(io.BytesIO(png)).convert("L")))
    return pages


def lilypond_available() -> bool:
    return shutil.which("lilypond") is not None and shutil.which("musicxml2ly") is not None


def render_lilypond(xml: str, dpi: int = 300, workdir: str | Path | None = None) -> list[Any]:
    """Grayscale pages of ``xml`` engraved by LilyPond (``musicxml2ly``, ``lilypond --png``)."""
    import numpy as np
    from PIL import Image

    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        t = Path(tmp)
        (t / "in.xml").write_text(xml, encoding="utf-8")
        subprocess.run(
            ["musicxml2ly", "--no-beaming", "-o", "in.ly", "in.xml"],
            cwd=t,
            check=True,
            capture_output=True,
            timeout=120,
        )
        ly = (t / "in.ly").read_text(encoding="utf-8")
        ly = '#(set-default-paper-size "a4")\n' + ly
        (t / "in.ly").write_text(ly, encoding="utf-8")
        subprocess.run(
            ["lilypond", "--png", f"-dresolution={dpi}", "-o", "out", "in.ly"],
            cwd=t,
            check=True,
            capture_output=True,
            timeout=300,
        )
        files = sorted(t.glob("out*.png"), key=lambda p: (len(p.name), p.name))
        return [np.asarray(Image.open(f).convert("L")) for f in files]


def edit_distance(a: Sequence[Any], b: Sequence[Any]) -> int:
    """Levenshtein distance between two sequences (insert, delete, substitute cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


def accuracy(truth: Sequence[Event], found: Sequence[Event]) -> tuple[float, float]:
    """(pitch accuracy, pitch+duration accuracy) = 1 - edit distance / len(truth), >= 0."""
    if not truth:
        return (1.0 if not found else 0.0, 1.0 if not found else 0.0)
    p_t = [m for m, _ in truth]
    p_f = [m for m, _ in found]
    pitch = 1 - edit_distance(p_t, p_f) / len(truth)
    both = 1 - edit_distance(list(truth), list(found)) / len(truth)
    return max(0.0, pitch), max(0.0, both)
