"""Draw what the recognizer read over the page, so a user sees whether to trust it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import OmrWarning, PageReading

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["draw_overlay", "COLORS"]

COLORS = {
    "staff": (70, 130, 230),
    "note": (0, 160, 60),
    "rest": (150, 80, 200),
    "bar": (230, 140, 0),
    "accidental": (0, 150, 170),
    "clef": (120, 120, 120),
    "key": (0, 150, 170),
    "time": (120, 120, 120),
    "tie": (180, 180, 60),
    "uncertain": (230, 30, 30),
}


def draw_overlay(
    gray: np.ndarray,
    page: PageReading,
    warnings: list[OmrWarning] | None = None,
    *,
    scale: float = 0.5,
    labels: bool = True,
) -> Any:
    """A PIL RGB image of ``gray`` with staves, glyphs and pitch names drawn over it.

    Uncertain symbols (``warnings`` with a position on this page) are circled in red.
    """
    from PIL import Image, ImageDraw, ImageFont

    img = Image.fromarray(gray).convert("RGB")
    if scale != 1.0:
        img = img.resize((max(1, int(img.width * scale)), max(1, int(img.height * scale))))
    d = ImageDraw.Draw(img, "RGBA")
    try:
        font = ImageFont.load_default(size=max(10, int(28 * scale)))
    except TypeError:  # Pillow < 10.1
        font = ImageFont.load_default()

    def s(v: float) -> float:
        return v * scale

    for st in page.staves:
        for y in st.lines:
            d.line([(s(st.x0), s(y)), (s(st.x1), s(y))], fill=COLORS["staff"] + (110,), width=1)
        info = st.clef + (f" {st.key_fifths:+d}" if st.key_fifths else "")
        if st.time:
            info += f" {st.time[0]}/{st.time[1]}"
        if labels:
            d.text((s(st.x0), s(st.lines[0] - 3.2 * st.space)), info, fill=COLORS["staff"], font=font)
        for g in st.glyphs:
            color = COLORS.get(g.kind, (90, 90, 90))
            x0, y0, x1, y1 = (s(v) for v in g.box)
            if g.kind == "note":
                d.rectangle([x0, y0, x1, y1], outline=color, width=2)
                if labels and g.name:
                    text = g.name + ("." * g.dots)
                    d.text((x0, y1 + 2), text, fill=color, font=font)
            elif g.kind in ("rest", "bar", "accidental", "key", "clef", "time"):
                d.rectangle([x0, y0, x1, y1], outline=color, width=1)
                if labels and g.kind == "rest":
                    d.text((x0, y1 + 2), g.name, fill=color, font=font)
            elif g.kind == "tie":
                d.arc([x0, y0, x1, y1], 0, 360, fill=color, width=1)
            if not g.confident:
                d.ellipse([x0 - 6, y0 - 6, x1 + 6, y1 + 6], outline=COLORS["uncertain"], width=3)
    for w in warnings or []:
        if w.page == page.number and w.x is not None and w.y is not None and w.kind != "info":
            r = s(page.space * 1.5)
            d.ellipse(
                [s(w.x) - r, s(w.y) - r, s(w.x) + r, s(w.y) + r],
                outline=COLORS["uncertain"],
                width=3,
            )
    return img
