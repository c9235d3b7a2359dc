"""What to show for each step's result: a list of displayable parts (HTML, PNG).

One place decides the content of a result panel, and three places show it: plain
``display()`` in a notebook cell (static, compared by nbval), HTML/Image widgets in the
converter app (live from a background thread), and rich reprs of result objects.
Parts are tiny objects with ``_repr_html_`` / ``_repr_png_`` so no IPython import is
needed here; the heavy renderers (verovio, matplotlib, pdfium) are imported lazily
and a failing extra view never hides the basic table.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import views

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HTMLPart:
    """An HTML fragment; ``label`` is its short, stable text repr."""

    html: str
    label: str = "html"

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"<{self.label}>"


@dataclass(frozen=True)
class PNGPart:
    """A PNG image (range plot, PDF thumbnail); nbval does not compare PNGs."""

    png: bytes
    label: str = "image"

    def _repr_png_(self) -> bytes:
        return self.png

    def __repr__(self) -> str:
        return f"<{self.label}>"


def _try(what: str, fn: Any, *args: Any, **kw: Any) -> Any:
    try:
        return fn(*args, **kw)
    except Exception as exc:  # noqa: BLE001 - an extra view must not hide the result
        log.warning("could not render %s: %s", what, exc)
        return HTMLPart(f"<div style='color:#ef6c00'>({views.esc(what)} not shown: "
                        f"{views.esc(type(exc).__name__)}: {views.esc(str(exc))})</div>",
                        f"{what} failed")


def melody_parts(melody: Any, *, svg: bool = True) -> list[Any]:
    def build() -> HTMLPart:
        from .notation_svg import melody_svg

        return HTMLPart(views.melody_html(melody, svg=melody_svg(melody) if svg else None),
                        "melody")
    return [_try("melody notation", build)]


def range_plot_part(melody: Any, harmonica: Any, **kw: Any) -> Any:
    """The range plot as a PNG part (after transposition: pass ``report.melody``)."""
    def build() -> PNGPart:
        from .plots import plot_range

        plot = plot_range(melody, harmonica, **kw)
        try:
            return PNGPart(plot.to_png(), "range plot")
        finally:
            plot.figure.clear()
    return _try("range plot", build)


def tablature_parts(tab: Any, *, melody: Any = None, svg: bool = True) -> list[Any]:
    parts: list[Any] = [HTMLPart(views.tab_html(tab), "tab table")]
    if svg:
        def build() -> HTMLPart:
            from .notation_svg import tablature_svg

            ts = getattr(melody, "time_signature", None)
            body = tablature_svg(tab, time_signature=ts)
            return HTMLPart(f"<div class='harptab-notation' style='overflow-x:auto'>{body}</div>",
                            "tab notation")
        parts.append(_try("tab notation", build))
    return parts


def pdf_thumbnail(path: Any, *, width: int = 200) -> bytes:
    """Page 1 of a PDF as a small PNG (pypdfium2, no external program)."""
    import io

    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        page = pdf[0]
        scale = width / page.get_width()
        img = page.render(scale=scale).to_pil()
        buf = io.BytesIO()
        img.convert("RGB").quantize(32).save(buf, format="PNG", optimize=True)  # small
        return buf.getvalue()
    finally:
        pdf.close()


def outputs_parts(outputs: Any, *, thumbnail: bool = True) -> list[Any]:
    parts: list[Any] = [HTMLPart(views.outputs_html(outputs), "files")]
    pdf = getattr(outputs, "pdf", None)
    if thumbnail and pdf:
        parts.append(_try("PDF thumbnail", lambda: PNGPart(pdf_thumbnail(pdf), "PDF page 1")))
    return parts


def ocr_parts(score_result: Any, *, overlay: bool = True) -> list[Any]:
    """The score summary; for a printed page read by optical recognition, also page 1
    with what the reader saw drawn over it (can the reading be trusted?)."""
    parts: list[Any] = [HTMLPart(views.score_html(score_result), "ocr")]
    src = getattr(score_result, "source", None)
    if overlay and getattr(score_result, "format", "") == "omr" and src is not None:
        from pathlib import Path

        path = Path(str(src))
        if path.is_file():
            def build() -> PNGPart:
                import io

                from PIL import ImageOps

                from .omr import overlay_image

                img = overlay_image(path, 1, scale=0.4)
                box = ImageOps.invert(img.convert("L")).getbbox()  # drop the empty margin
                if box:
                    pad = 8
                    img = img.crop((max(box[0] - pad, 0), max(box[1] - pad, 0),
                                    min(box[2] + pad, img.width), min(box[3] + pad, img.height)))
                buf = io.BytesIO()
                img.convert("RGB").quantize(32).save(buf, format="PNG", optimize=True)
                return PNGPart(buf.getvalue(), "recognized page 1")
            parts.append(_try("recognition overlay", build))
    return parts


def step_parts(step_id: str, value: Any, *, svg: bool = True, plots: bool = True,
               thumbnail: bool = True, melody: Any = None) -> list[Any]:
    """Parts showing one step's result. ``melody`` (the extracted one) lets the tab
    notation carry the key and time signature."""
    if step_id == "ocr":
        return ocr_parts(value, overlay=plots)
    if step_id == "melody":
        return melody_parts(value, svg=svg)
    if step_id == "transpose":
        parts: list[Any] = [HTMLPart(views.options_html(value), "transposition options")]
        if len({o.harmonica.hole1_midi for o in getattr(value, "options", ())}) > 1:
            # the harp was chosen among several keys: show the chart of the chosen one
            parts.append(HTMLPart(views.chart_html(value.harmonica), "harp chart"))
        if plots:
            parts.append(range_plot_part(value.melody, value.harmonica,
                                         max_bend=getattr(value, "max_bend", None),
                                         overbends=getattr(value, "overbends", False)))
        return parts
    if step_id == "tablature":
        return tablature_parts(value, melody=melody, svg=svg)
    if step_id == "pdf":
        return outputs_parts(value, thumbnail=thumbnail)
    return [HTMLPart(views.step_result_html(step_id, value), step_id)]


#: (step id, ConversionResult attribute) in run order; mirrors pipeline.runner.
STEP_ATTRS = (
    ("ocr", "score"), ("melody", "melody"), ("analysis", "analysis"),
    ("mapping_load", "mapping"), ("transpose", "transposition"),
    ("tablature", "tablature"), ("pdf", "outputs"),
)


def conversion_parts(result: Any, **kw: Any) -> list[Any]:
    """Parts of every step a conversion result holds, in run order."""
    out: list[Any] = []
    for step_id, attr in STEP_ATTRS:
        value = getattr(result, attr, None)
        if value is not None:
            out.extend(step_parts(step_id, value, melody=getattr(result, "melody", None), **kw))
    return out


def summary_html(status: dict, outputs: Any = None) -> str:
    """One static line closing a run: state, steps done, percent (no time: stable)."""
    state = views.run_state(status)
    steps = status.get("steps", ())
    done = sum(1 for s in steps if s.get("status") == "completed")
    colour = views.COLOURS.get(state, "#000")
    text = f"{views.SYMBOLS.get(state, '')} {state}: {done}/{len(steps)} steps, " \
           f"{status.get('overall_progress', 0)}%"
    bad = [s for s in steps if s.get("status") in ("error", "cancelled")]
    if bad:
        text += f" - {bad[0].get('name')}: {bad[0].get('message')}"
    pdf = getattr(outputs, "pdf", None)
    link = (f" <a class='harptab-download harptab-pdf' href='{views.esc(views.display_path(pdf))}'"
            f" download target='_blank'>{views.esc(views.display_path(pdf))}</a>") if pdf else ""
    return (f"<div class='harptab-summary' data-state='{state}' style='color:{colour};"
            f"font:bold 13px sans-serif;margin:6px 0'>{views.esc(text)}{link}</div>")


def iter_html(parts: Iterable[Any]) -> str:
    """The HTML parts joined (PNG parts inlined as data URIs) - for a single HTML view."""
    import base64

    out = []
    for p in parts:
        if isinstance(p, PNGPart):
            b64 = base64.b64encode(p.png).decode("ascii")
            out.append(f"<img alt='{views.esc(p.label)}' class='harptab-png' "
                       f"src='data:image/png;base64,{b64}'>")
        else:
            out.append(p._repr_html_())
    return "".join(out)
