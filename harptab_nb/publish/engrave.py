"""Engrave the melody with verovio and turn its SVG pages into vector drawings.

The MusicXML from :mod:`.musicxml_export` (tab as verse 1, lyrics as verse 2) goes
through verovio, which lays out systems and pages and puts each verse under the
notes; svglib turns each SVG page into a reportlab Drawing, so the PDF stays vector
(sharp at any zoom, text selectable). The SVG is cleaned first: verovio's CSS becomes
plain attributes, hidden placeholders go, the tab verse gets its own bold face
(``TAB_FONT``) and everything else the embedded DejaVu Serif. ``xmlIdSeed`` makes the
SVG identical from run to run.
"""

from __future__ import annotations

import functools
import re
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..music import Melody
    from ..tablature import Tablature

SVG_NS = "http://www.w3.org/2000/svg"
PX_TO_PT = 0.75  # svglib: 1 CSS px = 0.75 pt
#: Verovio scale (percent): staff size on paper. 40 gives a ~6 mm staff.
DEFAULT_SCALE = 40
#: Fonts of the engraved text. Verovio spaces notes and centres syllables with Times
#: metrics, so the text is set in STIX (Times-compatible metrics, wide Unicode
#: coverage, shipped with matplotlib): the tab verse in bold under its own name, so
#: it is told apart from every other text of the PDF.
TAB_FONT = "HarptabTab"
TEXT_FONT = "HarptabMusicText"
TEXT_FONT_ITALIC = "HarptabMusicText-Italic"
#: The tab verse is drawn this much smaller than verovio spaced it for (bold is wider
#: than the regular face verovio measures), centred on verovio's centre of the token,
#: so neighbouring tokens never touch.
TAB_SHRINK = 0.86
_STIX = {TAB_FONT: "STIXGeneralBol.ttf", TEXT_FONT: "STIXGeneral.ttf",
         TEXT_FONT_ITALIC: "STIXGeneralItalic.ttf"}
_SEGMENT = re.compile(r"^\s*M\s*(-?[\d.]+)[ ,](-?[\d.]+)\s*L\s*(-?[\d.]+)[ ,](-?[\d.]+)\s*$")
_SHAPES = ("path", "ellipse", "polygon", "polyline", "rect", "line", "circle")


_LOCK = threading.Lock()  # one verovio toolkit, shared by conversions in threads


@functools.lru_cache(maxsize=1)
def _toolkit():
    import verovio

    if hasattr(verovio, "enableLog"):
        verovio.enableLog(verovio.LOG_OFF)
    return verovio.toolkit()


def verovio_options(width_pt: float, height_pt: float, scale: int = DEFAULT_SCALE) -> dict:
    """Options so that one verovio page is ``width_pt`` x ``height_pt`` once in the PDF."""
    unit = 100.0 / scale / PX_TO_PT  # verovio units per point
    return {
        "xmlIdSeed": 1,
        "scale": scale,
        "pageWidth": int(width_pt * unit),
        "pageHeight": int(height_pt * unit),
        "pageMarginLeft": 0,
        "pageMarginRight": 0,
        "pageMarginTop": 40,
        "pageMarginBottom": 40,
        "adjustPageHeight": True,
        "breaks": "auto",
        "header": "none",
        "footer": "none",
        "lyricSize": 5.0,
        "lyricTopMinMargin": 3.0,
        "spacingSystem": 6,
        "svgAdditionalAttribute": ["verse@n"],
    }


def engrave_svgs(tablature: Tablature, melody: Melody | None = None, *, width: float,
                 height: float, scale: int = DEFAULT_SCALE) -> list[str]:
    """SVG pages of the engraved melody, each fitting ``width`` x ``height`` points."""
    from .musicxml_export import to_musicxml

    xml = to_musicxml(tablature, melody, part_name="")  # the harp line says it already
    with _LOCK:
        tk = _toolkit()
        if hasattr(tk, "resetOptions"):
            tk.resetOptions()
        tk.setOptions(verovio_options(width, height, scale))
        if not tk.loadData(xml):
            raise ValueError("verovio could not read the MusicXML of the tab")
        return [tk.renderToSVG(i) for i in range(1, tk.getPageCount() + 1)]


def _clean_svg(svg: str):
    """lxml tree of a verovio SVG that svglib converts quickly and faithfully."""
    from lxml import etree

    root = etree.fromstring(svg.encode("utf-8"))
    ns = f"{{{SVG_NS}}}"
    for el in list(root.iter(ns + "style", ns + "title", ns + "desc")):
        el.getparent().remove(el)
    for g in list(root.iter(ns + "g")):
        cls = g.get("class", "")
        if "placeholder" in cls.split() or cls == "cursor":
            g.getparent().remove(g)
    for el in root.iter(ns + "path"):  # stems, staff and bar lines: plain lines
        m = _SEGMENT.match(el.get("d", ""))
        if m and el.get("transform") is None:
            el.tag = ns + "line"
            del el.attrib["d"]
            for k, v in zip(("x1", "y1", "x2", "y2"), m.groups(), strict=True):
                el.set(k, v)
    for el in root.iter(*(ns + s for s in _SHAPES)):  # what verovio's CSS did
        if el.get("stroke") is None:
            el.set("stroke", "currentColor")
    # <text><tspan><tspan font-size=..>8</tspan></tspan></text> -> <text font-size=..>8
    for t in list(root.iter(ns + "text")):
        leaves = [el for el in t.iter(ns + "tspan") if len(el) == 0]
        texts = [el for el in t.iter() if el.text and el.text.strip()]
        if len(leaves) == 1 and texts == leaves and not (t.text or "").strip():
            leaf = leaves[0]
            for k, v in leaf.attrib.items():
                if k not in ("id", "class"):
                    t.set(k, v)
            t.text = leaf.text
            for ch in list(t):
                t.remove(ch)
        elif not texts:
            t.getparent().remove(t)
    for el in root.iter(ns + "svg"):
        if el.get("font-family"):
            el.set("font-family", TEXT_FONT)
    for g in root.iter(ns + "g"):
        cls = g.get("class", "")
        if cls == "verse" and g.get("data-n") == "1":
            for t in g.iter(ns + "text"):
                t.set("font-family", TAB_FONT)
                _recentre(t)
        elif cls in ("mNum", "mNum autogenerated"):
            for t in g.iter(ns + "text"):
                t.set("font-style", "italic")
    for t in root.iter(ns + "text"):  # words STIX has no glyph for: DejaVu Serif
        if t.text and t.get("font-family") != TAB_FONT and not _stix_covers(t.text):
            from .pdf_layout import SERIF

            t.set("font-family", SERIF)
    # Unwrap groups that only carry an id/class: fewer ancestors for svglib to search.
    for g in list(root.iter(ns + "g")):
        if set(g.attrib) - {"id", "class", "data-n"}:
            continue
        parent = g.getparent()
        if parent is None or parent.tag == ns + "defs":
            continue
        idx = parent.index(g)
        for i, ch in enumerate(list(g)):
            parent.insert(idx + i, ch)
        parent.remove(g)
    for el in root.iter():
        if isinstance(el.tag, str):
            el.attrib.pop("class", None)
            el.attrib.pop("data-n", None)
    _merge_lines(root, ns)
    return root


@functools.lru_cache(maxsize=1)
def _stix_chars() -> frozenset[int]:
    from reportlab.pdfbase import pdfmetrics

    _register_music_fonts()
    return frozenset(pdfmetrics.getFont(TEXT_FONT).face.charToGlyph)


def _stix_covers(text: str) -> bool:
    """True when STIX has a glyph for every character of ``text`` (polytonic Greek,
    say, it has not; DejaVu Serif has)."""
    chars = _stix_chars()
    return all(ord(c) in chars or c.isspace() for c in text)


def _merge_lines(root, ns: str) -> None:
    """Sibling lines with the same style become one path (staff lines, stems, bars):
    a tenth of the shapes for svglib to style and for the PDF to draw."""
    for parent in list(root.iter()):
        groups: dict = {}
        for ch in parent:
            if ch.tag == ns + "line" and ch.get("transform") is None:
                style = tuple(sorted((k, v) for k, v in ch.attrib.items()
                                     if k not in ("x1", "y1", "x2", "y2")))
                groups.setdefault(style, []).append(ch)
        for lines in groups.values():
            if len(lines) < 2:
                continue
            first = lines[0]
            d = " ".join(f"M{ln.get('x1')} {ln.get('y1')} L{ln.get('x2')} {ln.get('y2')}"
                         for ln in lines)
            path = first.makeelement(ns + "path", {k: v for k, v in first.attrib.items()
                                                   if k not in ("x1", "y1", "x2", "y2")})
            path.set("d", d)
            path.set("fill", "none")
            parent.replace(first, path)
            for ln in lines[1:]:
                parent.remove(ln)


def _recentre(text_el) -> None:
    """Centre a (collapsed) tab token on the point verovio centred it on, smaller."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    size = text_el.get("font-size", "")
    if not size.endswith("px") or text_el.text is None or text_el.get("x") is None:
        return
    px = float(size[:-2])
    width = stringWidth(text_el.text, "Times-Roman", px)  # verovio measures with Times
    text_el.set("x", f"{float(text_el.get('x')) + width / 2:.1f}")
    text_el.set("text-anchor", "middle")
    text_el.set("font-size", f"{px * TAB_SHRINK:.1f}px")


def svg_to_drawing(svg: str):
    """A reportlab Drawing (vector) of one verovio SVG page."""
    from .pdf_layout import register_fonts

    register_fonts()
    _register_music_fonts()
    drawing = _renderer_class()("verovio.svg").render(_clean_svg(svg))
    # reportlab's renderer selects its default font (Helvetica, not embedded) before
    # the first string; start from the embedded engraving font instead.
    drawing.initialFontName = TEXT_FONT
    return _crop(drawing)


@functools.lru_cache(maxsize=1)
def _renderer_class():
    """svglib's renderer that converts each music glyph once per page.

    Verovio draws every notehead, clef and accidental as a ``<use>`` of a glyph in
    ``<defs>``; svglib re-parses the glyph's path for every use, which dominated the
    run time. Here the converted glyph is kept (per glyph and colour) and shared.
    """
    from reportlab.graphics.shapes import Group
    from svglib.svglib import SvgRenderer

    xlink = "{http://www.w3.org/1999/xlink}href"

    class VerovioRenderer(SvgRenderer):
        def __init__(self, path, *args, **kwargs):
            super().__init__(path, *args, **kwargs)
            self._glyphs: dict = {}
            # Inherited style look-ups walk up to the root for every attribute of every
            # shape; the tree does not change while rendering, so remember answers.
            find, cache = self.attrConverter.findAttr, {}

            def cached_find(node, name):
                key = (getattr(node, "etree_element", node), name)
                value = cache.get(key)
                if value is None:
                    value = cache[key] = find(node, name)
                return value

            self.attrConverter.findAttr = cached_find

        def renderUse(self, node, group=None, clipping=None):  # noqa: N802 - svglib API
            el = node.etree_element
            href = el.get(xlink) or el.get("href")
            if clipping is not None or not href or len(el):
                return super().renderUse(node, group, clipping)
            find = self.attrConverter.findAttr
            key = (href, find(node, "color"), find(node, "fill"), find(node, "stroke"))
            inner = self._glyphs.get(key)
            if inner is None:
                fresh = super().renderUse(node, Group(), clipping)
                if fresh is None:
                    return group
                inner = self._glyphs[key] = list(fresh.contents)
            out = group if group is not None else Group()
            for shape in inner:
                out.add(shape)
            self.apply_node_attr_to_group(node, out)
            return out

    return VerovioRenderer


def _crop(drawing, pad: float = 2.0):
    """Trim the empty band verovio leaves under the last system."""
    from reportlab.graphics.shapes import Group

    _x0, y0, _x1, y1 = drawing.getBounds()
    if y0 > pad:  # drawing coordinates grow upwards: the content spans y0..y1
        shifted = Group(*drawing.contents)
        shifted.transform = (1, 0, 0, 1, 0, -(y0 - pad))
        drawing.contents = [shifted]
        drawing.height = min(drawing.height, y1) - y0 + 2 * pad
    return drawing


@functools.lru_cache(maxsize=1)
def _register_music_fonts() -> None:
    import os

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from svglib.fonts import get_global_font_map

    from .pdf_layout import font_dir

    for name, file in _STIX.items():
        pdfmetrics.registerFont(TTFont(name, os.path.join(font_dir(), file)))
    fmap = get_global_font_map()
    for family, italic in ((TAB_FONT, TAB_FONT), (TEXT_FONT, TEXT_FONT_ITALIC)):
        for weight in ("normal", "bold"):
            for style in ("normal", "italic"):
                rl = italic if style == "italic" else family
                fmap._map[fmap.build_internal_name(family, weight, style)] = {
                    "svg_family": family, "svg_weight": weight, "svg_style": style,
                    "rlgFont": rl, "exact": True}
        fmap._family_index.setdefault(family.lower(), family)


#: Verovio page height (points) small enough that every page holds one system: each
#: system becomes its own drawing and the PDF layout flows systems onto pages.
SYSTEM_PAGE_HEIGHT = 60.0


def engrave_drawings(tablature: Tablature, melody: Melody | None = None, *, width: float,
                     scale: int = DEFAULT_SCALE) -> list:
    """One vector drawing per system of the engraved melody, ``width`` points wide.

    Verovio breaks the line into systems; the PDF layout then fills each page with
    as many systems as fit (page breaks fall between systems, never inside one).
    """
    drawings = []
    for svg in engrave_svgs(tablature, melody, width=width, height=SYSTEM_PAGE_HEIGHT,
                            scale=scale):
        d = svg_to_drawing(svg)
        if d.width > width + 0.5:  # never wider than the frame
            f = width / d.width
            d.scale(f, f)
            d.width, d.height = d.width * f, d.height * f
        drawings.append(d)
    return drawings
