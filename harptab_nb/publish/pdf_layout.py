"""The tab as a printable PDF (reportlab): header, engraved staff or text tab, legend.

What a player wants on paper: the title and composer, one line naming the harp to take
(type, tuning, key, position, transposition applied), the melody engraved on a staff
with the tab under every sounded note and the lyrics under the tab, and a short legend.
Long tunes flow onto more pages, numbered "page n of N". ``layout="text"`` prints the
tab lines with bar lines and lyrics, no staff.

Fonts: DejaVu (from matplotlib's data folder, so no font file is committed here) is
embedded, so any title ("Frère Jacques", "Ständchen", Cyrillic, Greek) prints. The
PDF bytes are identical from run to run: reportlab's invariant mode fixes the dates
and the document id.
"""

from __future__ import annotations

import functools
import html
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import OptionError
from .text_export import (
    LEGEND,
    TECHNIQUE_COLORS,
    counts_line,
    harp_line,
    has_lyrics,
    tab_systems,
)

if TYPE_CHECKING:
    from ..music import Melody
    from ..tablature import Tablature

LAYOUTS = ("staff", "text")
PAGE_SIZES = ("A4", "Letter")
MARGIN = 42.0  # points (~15 mm)

#: Registered reportlab font names (DejaVu TTFs, embedded as subsets).
SANS, SANS_BOLD, SANS_ITALIC = "HarptabSans", "HarptabSans-Bold", "HarptabSans-Oblique"
SERIF, SERIF_BOLD, SERIF_ITALIC = "HarptabSerif", "HarptabSerif-Bold", "HarptabSerif-Italic"
MONO, MONO_BOLD = "HarptabMono", "HarptabMono-Bold"
#: The tab line of the text layout: DejaVu Sans Mono Bold under its own name, so a
#: reader of the PDF (and the tests) can tell tab tokens from every other text.
TAB_MONO = "HarptabTabMono"


def tab_pdf_fonts() -> dict[str, str]:
    """PostScript name of the font the tab tokens are drawn in, per layout.

    No other text of a tune's PDF uses these faces, so a reader of the PDF (the tests,
    a script) can pick the tab out of the text layer by font.
    """
    from .engrave import TAB_FONT, _register_music_fonts

    register_fonts()
    _register_music_fonts()
    return {"staff": _face(TAB_FONT), "text": _face(TAB_MONO)}


def _face(name: str) -> str:
    from reportlab.pdfbase import pdfmetrics

    face = pdfmetrics.getFont(name).face.name
    return face.decode() if isinstance(face, bytes) else face


def page_size(name: str) -> tuple[float, float]:
    """Width and height in points of ``"A4"`` or ``"Letter"`` (case-insensitive)."""
    from reportlab.lib.pagesizes import A4, LETTER

    sizes = {"a4": A4, "letter": LETTER}
    try:
        return sizes[str(name).lower()]
    except KeyError:
        raise OptionError(
            f"unknown page size {name!r}; choose one of {', '.join(PAGE_SIZES)}") from None


def check_layout(layout: str) -> str:
    if layout not in LAYOUTS:
        raise OptionError(f"unknown PDF layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    return layout


def font_dir() -> str:
    """matplotlib's bundled TTF folder (DejaVu Sans/Serif/Mono, Bitstream Vera licence)."""
    import matplotlib

    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf")


@functools.lru_cache(maxsize=1)
def register_fonts() -> tuple[str, ...]:
    """Register the DejaVu faces with reportlab (and svglib's font map) once."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = font_dir()
    faces = {
        SANS: "DejaVuSans.ttf", SANS_BOLD: "DejaVuSans-Bold.ttf",
        SANS_ITALIC: "DejaVuSans-Oblique.ttf",
        SERIF: "DejaVuSerif.ttf", SERIF_BOLD: "DejaVuSerif-Bold.ttf",
        SERIF_ITALIC: "DejaVuSerif-Italic.ttf",
        MONO: "DejaVuSansMono.ttf", MONO_BOLD: "DejaVuSansMono-Bold.ttf",
        TAB_MONO: "DejaVuSansMono-Bold.ttf",
    }
    for name, file in faces.items():
        pdfmetrics.registerFont(TTFont(name, os.path.join(folder, file)))
    for family, normal, bold, italic in ((SANS, SANS, SANS_BOLD, SANS_ITALIC),
                                         (SERIF, SERIF, SERIF_BOLD, SERIF_ITALIC)):
        addMapping(family, 0, 0, normal)
        addMapping(family, 1, 0, bold)
        addMapping(family, 0, 1, italic)
        addMapping(family, 1, 1, bold)
    addMapping(MONO, 0, 0, MONO)
    addMapping(MONO, 1, 0, MONO_BOLD)
    addMapping(MONO, 0, 1, MONO)
    addMapping(MONO, 1, 1, MONO_BOLD)
    try:  # svglib maps SVG font-family names through its own table
        from svglib.fonts import get_global_font_map

        fmap = get_global_font_map()
        for svg_name, (normal, bold, italic) in {
            SERIF: (SERIF, SERIF_BOLD, SERIF_ITALIC),
            SANS: (SANS, SANS_BOLD, SANS_ITALIC),
        }.items():
            for weight, style, rl in (("normal", "normal", normal), ("bold", "normal", bold),
                                      ("normal", "italic", italic), ("bold", "italic", bold)):
                fmap._map[fmap.build_internal_name(svg_name, weight, style)] = {
                    "svg_family": svg_name, "svg_weight": weight, "svg_style": style,
                    "rlgFont": rl, "exact": True}
            fmap._family_index.setdefault(svg_name.lower(), svg_name)
    except ImportError:  # pragma: no cover - svglib is a dependency
        pass
    return tuple(faces)


# --------------------------------------------------------------------------- styles
@dataclass(frozen=True)
class Styles:
    title: object
    composer: object
    harp: object
    counts: object
    small: object
    toc_title: object


@functools.lru_cache(maxsize=1)
def styles() -> Styles:
    """Paragraph styles, all in the embedded DejaVu faces."""
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle

    register_fonts()
    return Styles(
        title=ParagraphStyle("title", fontName=SERIF_BOLD, fontSize=20, leading=24,
                             alignment=TA_CENTER, spaceAfter=2),
        composer=ParagraphStyle("composer", fontName=SERIF_ITALIC, fontSize=11, leading=14,
                                alignment=TA_CENTER, spaceAfter=4),
        harp=ParagraphStyle("harp", fontName=SANS_BOLD, fontSize=9, leading=11.5,
                            alignment=TA_CENTER, spaceAfter=1),
        counts=ParagraphStyle("counts", fontName=SANS, fontSize=8, leading=10,
                              alignment=TA_CENTER, textColor="#555555", spaceAfter=6),
        small=ParagraphStyle("small", fontName=SANS, fontSize=7.5, leading=9.5),
        toc_title=ParagraphStyle("toc_title", fontName=SERIF_BOLD, fontSize=20, leading=24,
                                 alignment=TA_CENTER, spaceAfter=12),
    )


# --------------------------------------------------------------------------- pieces
def header_flowables(tablature: Tablature, *, title: str | None = None,
                     composer: str | None = None, heading_style: Any = None,
                     width: float | None = None) -> list:
    """Title, composer, the harp line and the counts line.

    A harp line wider than ``width`` breaks at the ``·`` nearest its middle, never
    inside a phrase ("song in / G major").
    """
    from reportlab.platypus import Paragraph

    st = styles()
    esc = html.escape
    out = [Paragraph(esc(title or tablature.title or "Untitled"), heading_style or st.title)]
    if composer or tablature.composer:
        out.append(Paragraph(esc(composer or tablature.composer), st.composer))
    out.append(Paragraph(_harp_markup(harp_line(tablature), st.harp, width), st.harp))
    out.append(Paragraph(esc(counts_line(tablature)), st.counts))
    return out


def _harp_markup(line: str, style: Any, width: float | None) -> str:
    """The escaped harp line, with a ``<br/>`` at the best separator if it is too wide."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    parts = line.split(" · ")

    def w(text: str) -> float:
        return stringWidth(text, style.fontName, style.fontSize)

    if width is None or w(line) <= width or len(parts) < 2:
        return html.escape(line)
    best = min(range(1, len(parts)), key=lambda k: max(w(" · ".join(parts[:k])),
                                                       w(" · ".join(parts[k:]))))
    return (html.escape(" · ".join(parts[:best])) + " ·<br/>"
            + html.escape(" · ".join(parts[best:])))


def legend_flowable(layout: str = "staff") -> Any:
    """The notation legend, with the colours used for bends, overbends and X."""
    from reportlab.platypus import Paragraph

    st = styles()
    bits = [f"<font name='{SANS_BOLD}'>{html.escape(k)}</font> {html.escape(v)}"
            for k, v in LEGEND]
    colours = (f"Colours: <font color='{TECHNIQUE_COLORS['bend']}'>bend</font>, "
               f"<font color='{TECHNIQUE_COLORS['overbend']}'>overbend</font>, "
               f"<font color='{TECHNIQUE_COLORS['unplayable']}'>not playable (X)</font>.")
    where = ("Tab under each note, lyrics under the tab; a tied note is not tabbed again."
             if layout == "staff" else "Tab line over the lyrics; | is a bar line.")
    text = "<b>Legend</b> — " + " · ".join(bits) + ". " + colours + " " + where
    return Paragraph(text, st.small)


def text_tab_flowables(tablature: Tablature, frame_width: float, font_size: float = 10.0) -> list:
    """Text layout: one two-line block (tab over lyrics) per system, bars kept whole."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import KeepTogether, Spacer, XPreformatted

    register_fonts()
    char_w = stringWidth("0", MONO, font_size)
    width = max(20, int(frame_width / char_w) - 1)
    tab_style = ParagraphStyle("tab", fontName=TAB_MONO, fontSize=font_size,
                               leading=font_size * 1.25)
    lyr_style = ParagraphStyle("lyr", fontName=MONO, fontSize=font_size,  # same columns
                               leading=font_size * 1.2, textColor="#333333")
    lyrics = has_lyrics(tablature)
    out = []
    for system in tab_systems(tablature, width):
        bar = f"<font name='{MONO}'>|</font>"
        tab, lyr = [bar], [" "]
        for measure in system:
            for c in measure:
                w = max(len(c.token), len(c.lyric)) + 1
                tok = html.escape(c.token)
                if c.technique != "natural":
                    tok = f"<font color='{TECHNIQUE_COLORS[c.technique]}'>{tok}</font>"
                tab.append(" " + tok + " " * (w - 1 - len(c.token)))
                lyr.append(" " + html.escape(c.lyric) + " " * (w - 1 - len(c.lyric)))
            tab.append(" " + bar)
            lyr.append("  ")
        block = [XPreformatted("".join(tab), tab_style)]
        if lyrics:
            block.append(XPreformatted("".join(lyr), lyr_style))
        block.append(Spacer(1, font_size * 0.8))
        out.append(KeepTogether(block))
    return out


def staff_flowables(tablature: Tablature, *, melody: Melody | None = None, frame_width: float,
                    system_gap: float = 10.0) -> list:
    """Staff layout: one vector drawing per engraved system, a little space between."""
    from reportlab.platypus import Spacer

    from .engrave import engrave_drawings

    out: list = []
    for d in engrave_drawings(tablature, melody=melody, width=frame_width):
        if out:
            out.append(Spacer(1, system_gap))
        out.append(d)
    return out


def tune_flowables(tablature: Tablature, *, melody: Melody | None = None, layout: str = "staff",
                   frame_width: float, frame_height: float,
                   heading_style: Any = None, bookmark: str | None = None) -> list:
    """Everything one tune puts on the page, in order (header, music, legend)."""
    from reportlab.platypus import Spacer

    check_layout(layout)
    head = header_flowables(tablature, heading_style=heading_style, width=frame_width)
    if bookmark is not None:
        head[0]._bookmark = bookmark
    out = list(head) + [Spacer(1, 4)]
    if layout == "text":
        out += text_tab_flowables(tablature, frame_width)
    else:
        out += staff_flowables(tablature, melody=melody, frame_width=frame_width)
    out += [Spacer(1, 6), legend_flowable(layout)]
    return out


# --------------------------------------------------------------------------- document
def _footer(title: str, total: int | None):
    """onPage callback drawing "page n of N", the title and the program name."""

    def draw(canvas, doc) -> None:
        w, _h = canvas._pagesize
        canvas.saveState()
        canvas.setFont(SANS, 8)
        canvas.setFillColor("#555555")
        n = canvas.getPageNumber()
        canvas.drawCentredString(w / 2, MARGIN / 2,
                                 f"page {n} of {total}" if total else f"page {n}")
        if title:
            canvas.drawString(MARGIN, MARGIN / 2, title[:80])
        canvas.drawRightString(w - MARGIN, MARGIN / 2, "harptab_nb")
        canvas.restoreState()

    return draw


def blank_of(flowable: Any) -> Any:
    """A same-size stand-in for an engraved drawing (for the page-counting pass)."""
    from reportlab.graphics.shapes import Drawing
    from reportlab.platypus import Spacer

    if isinstance(flowable, Drawing):
        return Spacer(flowable.width, flowable.height)
    return flowable


def build_story(story: Sequence, *, size: str = "A4", title: str = "", author: str = "",
                subject: str = "Harmonica tablature", footer: str | None = None,
                after_flowable: Callable[[Any, Any, bool], None] | None = None,
                total: int | None = None,
                count_only: bool = False) -> tuple[bytes | None, dict, int]:
    """Lay out ``story``: first with blanks for the drawings (cheap) to count the pages
    and note where marked flowables land, then for real with "page n of N".

    Returns ``(pdf bytes, {bookmark key: page}, page count)``. The counting pass is
    skipped when ``total`` is given; ``count_only`` stops after it (bytes ``None``).
    ``after_flowable(doc, flowable, real)`` is called for each flowable laid out (the
    songbook adds its bookmarks there).
    """
    import io

    footer = title if footer is None else footer
    found: dict[str, int] = {}
    passes = ([False] if total is None else []) + ([] if count_only else [True])
    data = None
    for real in passes:
        buf = io.BytesIO()
        doc = doc_template(buf, size=size, title=title, author=author, subject=subject)

        def after(flowable: Any, doc=doc, real=real):
            key = getattr(flowable, "_bookmark", None)
            if key is not None and key not in found:
                found[key] = doc.page
            if after_flowable is not None:
                after_flowable(doc, flowable, real)

        doc.afterFlowable = after
        deco = _footer(footer, total if real else None)
        doc.build([f if real else blank_of(f) for f in story], onFirstPage=deco,
                  onLaterPages=deco)
        if real:
            data = buf.getvalue()
        else:
            total = doc.page
            found_blank = dict(found)
            found.clear()
    if count_only:
        return None, found_blank, total
    return data, found, total


def doc_template(buffer: Any, *, size: str = "A4", title: str = "", author: str = "",
                 subject: str = "Harmonica tablature") -> Any:
    """A deterministic (invariant) SimpleDocTemplate with our margins and metadata.

    The canvas' initial font is the embedded DejaVu Sans: reportlab's default
    (Helvetica, selected at the top of every page though no text uses it) would put a
    non-embedded font in the PDF, which print shops' preflight checks reject.
    """
    from reportlab.platypus import SimpleDocTemplate

    register_fonts()
    return SimpleDocTemplate(
        buffer, pagesize=page_size(size), leftMargin=MARGIN, rightMargin=MARGIN,
        topMargin=MARGIN, bottomMargin=MARGIN, title=title, author=author,
        subject=subject, creator="harptab_nb", producer="harptab_nb (reportlab)",
        invariant=1, pageCompression=1, initialFontName=SANS,
    )


def frame_size(size: str = "A4") -> tuple[float, float]:
    """Usable width and height inside the margins (minus reportlab's frame padding)."""
    w, h = page_size(size)
    return w - 2 * MARGIN - 12, h - 2 * MARGIN - 12


def page_png(pdf: bytes, page: int = 0, scale: float = 1.0) -> bytes:
    """PNG bytes of one page of a PDF (pypdfium2), for notebooks and previews."""
    import io

    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        img = doc[page].render(scale=scale).to_pil()
    finally:
        doc.close()
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def render_pdf(tablature: Tablature, *, melody: Melody | None = None, page_size: str = "A4",
               layout: str = "staff", title: str | None = None) -> bytes:
    """The PDF bytes of one tune (see the module docstring for what is on the page)."""
    check_layout(layout)
    fw, fh = frame_size(page_size)
    name = title or tablature.title or "Untitled"
    story = tune_flowables(tablature, melody=melody, layout=layout,
                           frame_width=fw, frame_height=fh)
    data, _, _ = build_story(story, size=page_size, title=name,
                             author=tablature.composer or "")
    return data
