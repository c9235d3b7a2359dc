"""Songbooks: several tunes in one PDF with a table of contents.

A player's session set or a club's tune list lives in one printed book: a contents
page (title, harp, page), then each tune on its own pages with its own harp line
(tunes in one book often need different harps or positions). Tunes come from files,
from every tune of a multi-tune ABC file, from corpus names, or from finished
conversions (``convert()`` results or ``Tablature`` objects).

The contents page numbers are exact: the book is laid out once with the drawings
replaced by same-sized blanks to learn where each tune starts (cheap), then for
real with those numbers; the contents page has the same size both times, so the
numbers cannot shift. PDF outline bookmarks point at each tune.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import HarptabError, InputError
from .pdf_layout import (
    build_story,
    check_layout,
    frame_size,
    legend_flowable,
    styles,
    tune_flowables,
)

if TYPE_CHECKING:
    from ..tablature import Tablature
    from ..tracker import ProgressTracker

_ABC_REF = re.compile(r"^X:\s*(\d+)", re.MULTILINE)


@dataclass(frozen=True)
class SongbookEntry:
    """One tune of the book: its tab, and the melody it came from (for engraving)."""

    tablature: object
    melody: object = None
    source: str = ""

    @property
    def title(self) -> str:
        return self.tablature.title or "Untitled"


def expand_sources(sources: Iterable) -> list:
    """Files, ``path.abc`` (every ``X:`` tune), ``corpus:`` names, or finished results.

    A multi-tune ABC file becomes ``"path#N"`` for each of its tunes; anything else is
    passed through unchanged.
    """
    out: list = []
    for src in sources:
        if isinstance(src, (str, os.PathLike)) and "#" not in str(src):
            p = Path(src)
            if p.suffix.lower() == ".abc" and p.is_file():
                refs = _ABC_REF.findall(p.read_text(encoding="utf-8", errors="replace"))
                if len(refs) > 1:
                    out += [f"{p}#{r}" for r in refs]
                    continue
        out.append(src)
    return out


def _tune_ref(src: Any) -> tuple[object, int | None]:
    text = str(src)
    if isinstance(src, (str, os.PathLike)) and "#" in text and not text.startswith("corpus:"):
        path, _, num = text.rpartition("#")
        if num.isdigit():
            return path, int(num)
    return src, None


def make_entries(sources: Iterable, *, harmonica: str = "diatonic", key: str = "C",
                 tuning: str = "richter", transpose: str | int = "auto",
                 max_bend: int | None = None, overbends: bool = False,
                 holes: int | None = None, tracker: ProgressTracker | None = None,
                 skip_errors: bool = False,
                 warnings: list[str] | None = None) -> list[SongbookEntry]:
    """Run the engine steps (ocr .. tablature) for each source; results pass through.

    A ``ConversionResult`` (from ``convert()``) or a ``Tablature`` is used as it is;
    a ``(tablature, melody)`` pair too. Files and corpus names are read and tabbed with
    the same harp settings for every tune (``key="auto"`` lets each tune pick its harp).
    A tune that cannot be read or played raises its typed error, or with
    ``skip_errors=True`` is left out with a line in ``warnings`` (a list to fill).
    """
    from ..pipeline.analysis import analyze
    from ..pipeline.mapping_load import load_mapping
    from ..pipeline.melody import extract_melody
    from ..pipeline.ocr import read_score
    from ..pipeline.tablature import make_tablature
    from ..pipeline.transpose import choose_transposition

    mapping = None
    entries: list[SongbookEntry] = []
    for src in expand_sources(sources):
        if hasattr(src, "tablature") and hasattr(src, "transposition"):  # ConversionResult
            if src.tablature is None:
                raise InputError(f"conversion of {src.source} has no tablature ({src.status})")
            mel = src.transposition.melody if src.transposition is not None else src.melody
            entries.append(SongbookEntry(src.tablature, mel, str(src.source)))
            continue
        if hasattr(src, "notes") and hasattr(src, "harmonica"):  # Tablature
            entries.append(SongbookEntry(src, None, src.title))
            continue
        if isinstance(src, tuple) and len(src) == 2:
            entries.append(SongbookEntry(src[0], src[1], getattr(src[0], "title", "")))
            continue
        if mapping is None:
            mapping = load_mapping(harmonica, tuning=tuning, key=key, holes=holes)
        path, tune = _tune_ref(src)
        try:
            score = read_score(path, tune=tune, tracker=tracker)
            mel = extract_melody(score, tracker=tracker)
            ana = analyze(mel, score=score.score)
            report = choose_transposition(mel, mapping, transpose=transpose,
                                          song_key=ana.song_key, max_bend=max_bend,
                                          overbends=overbends)
            tab = make_tablature(report, max_bend=max_bend, overbends=overbends)
        except HarptabError as exc:
            if not skip_errors:
                raise
            if warnings is not None:
                warnings.append(f"{src}: left out ({exc})")
            continue
        entries.append(SongbookEntry(tab, report.melody, str(src)))
    if not entries:
        raise InputError("a songbook needs at least one tune")
    return entries


def _short_harp(tab: Tablature) -> str:
    h = tab.harmonica
    bits = [f"{h.label or h.key} {h.name or h.tuning}"]
    if tab.position:
        from ..tablature import ordinal

        bits.append(f"{ordinal(int(tab.position))} pos.")
    if tab.transpose_semitones:
        bits.append(f"{tab.transpose_semitones:+d}")
    return " · ".join(bits)


class _Blank:
    """Factory of a same-size blank for a flowable (the cheap first layout pass)."""

    @staticmethod
    def of(flowable: Any):
        from reportlab.graphics.shapes import Drawing
        from reportlab.platypus import Spacer

        if isinstance(flowable, Drawing):
            return Spacer(flowable.width, flowable.height)
        return flowable


def _contents(entries: Sequence[SongbookEntry], pages: Sequence[int], width: float):
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, Table, TableStyle

    from .pdf_layout import SANS, SERIF

    st_t = ParagraphStyle("toc_t", fontName=SERIF, fontSize=11, leading=13)
    st_h = ParagraphStyle("toc_h", fontName=SANS, fontSize=8, leading=10, textColor="#444444")
    rows = []
    for i, (e, page) in enumerate(zip(entries, pages, strict=True), start=1):
        rows.append([f"{i}.", Paragraph(html.escape(e.title), st_t),
                     Paragraph(html.escape(_short_harp(e.tablature)), st_h), str(page)])
    table = Table(rows, colWidths=[22, width * 0.55, width * 0.45 - 22 - 34, 34],
                  repeatRows=0)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), SANS, 9),  # every cell: no Helvetica default
        ("FONT", (3, 0), (3, -1), SANS, 10),
        ("ALIGN", (3, 0), (3, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def render_songbook(entries: Sequence[SongbookEntry], *, title: str = "Songbook",
                    page_size: str = "A4", layout: str = "staff") -> bytes:
    """The songbook PDF bytes: contents page(s), then each tune from a new page."""
    from reportlab.platypus import PageBreak, Paragraph, Spacer

    check_layout(layout)
    entries = list(entries)
    fw, fh = frame_size(page_size)
    # Engrave every tune once (the expensive part); the layout passes reuse the drawings.
    flows = [tune_flowables(e.tablature, melody=e.melody, layout=layout, frame_width=fw,
                            frame_height=fh, bookmark=f"tune{i}")
             for i, e in enumerate(entries)]
    st = styles()

    def story(pages):
        out: list = [Paragraph(html.escape(title), st.toc_title),
                     Paragraph("Contents", st.harp), Spacer(1, 6),
                     _contents(entries, pages, fw), Spacer(1, 10), legend_flowable(layout)]
        for flow in flows:
            out.append(PageBreak())
            out += flow
        return out

    def bookmark(doc, flowable: Any, real):
        key = getattr(flowable, "_bookmark", None)
        if real and key is not None:
            doc.canv.bookmarkPage(key)
            doc.canv.addOutlineEntry(entries[int(key[4:])].title, key, level=0)

    # The contents table has the same size whatever the numbers (one line per tune,
    # numbers right-aligned), so page numbers found with placeholders are final.
    _, found, total = build_story(story([999] * len(entries)), size=page_size, title=title,
                                  subject="Harmonica songbook", count_only=True)
    pages = [found.get(f"tune{i}", 0) for i in range(len(entries))]
    data, found2, _ = build_story(story(pages), size=page_size, title=title, total=total,
                                  subject="Harmonica songbook", after_flowable=bookmark)
    if [found2.get(f"tune{i}", 0) for i in range(len(entries))] != pages:  # pragma: no cover
        raise RuntimeError("songbook contents page numbers moved between layout passes")
    return data


def write_songbook(sources: Iterable, *, output_dir: str | os.PathLike,
                   title: str = "Songbook", name: str | None = None,
                   page_size: str = "A4", layout: str = "staff", **engine) -> Path:
    """Build a songbook from ``sources`` (see :func:`make_entries`) and write the PDF.

    Returns the path of ``output_dir/NAME.pdf`` (NAME from the book title). Engine
    options (``key``, ``tuning``, ``transpose`` ...) apply to every tune.
    """
    from . import safe_write

    entries = make_entries(sources, **engine)
    data = render_songbook(entries, title=title, page_size=page_size, layout=layout)
    folder = safe_write.ensure_folder(output_dir)
    path = safe_write.output_path(folder, name or title, ".pdf")
    safe_write.write_bytes(path, data)
    return path


__all__ = ["SongbookEntry", "expand_sources", "make_entries", "render_songbook",
           "write_songbook"]
