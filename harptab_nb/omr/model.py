"""Plain value objects of the recognizer: what was read on a page, and its doubts."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

__all__ = ["OmrWarning", "Glyph", "StaffReading", "PageReading"]


@dataclass(frozen=True)
class OmrWarning:
    """Something the recognizer was unsure of, with its place on the page (pixels)."""

    message: str
    page: int = 0
    staff: int | None = None
    x: float | None = None
    y: float | None = None
    kind: str = "uncertain"

    def __str__(self) -> str:
        parts = []
        if self.page:
            parts.append(f"page {self.page}")
        if self.staff is not None:
            parts.append(f"staff {self.staff + 1}")
        where = ", ".join(parts)
        if self.x is not None and self.y is not None:
            where += f" at ({self.x:.0f}, {self.y:.0f})"
        return f"{where}: {self.message}" if where else self.message


@dataclass
class Glyph:
    """One recognized symbol on a staff.

    ``kind`` is one of ``note``, ``rest``, ``bar``, ``clef``, ``key``, ``time``,
    ``accidental``, ``dot``, ``tie``. Boxes are ``(x0, y0, x1, y1)`` page pixels.
    """

    kind: str
    box: tuple[int, int, int, int]
    # notes
    step: int = 0  # staff position, 0 = bottom line, counted in half spaces
    head: str = ""  # filled | hollow | whole
    stem: int = 0  # +1 up, -1 down, 0 none
    beams: int = 0  # beams or flags
    dots: int = 0
    accidental: str | None = None  # sharp | flat | natural
    tie_start: bool = False
    duration: Fraction = Fraction(1)
    midi: int | None = None
    name: str = ""  # pitch name or clef/key/time text
    confident: bool = True
    value: object = None

    @property
    def cx(self) -> float:
        return (self.box[0] + self.box[2]) / 2.0

    @property
    def cy(self) -> float:
        return (self.box[1] + self.box[3]) / 2.0


@dataclass
class StaffReading:
    """Everything read on one staff, glyphs in left-to-right order."""

    page: int
    index: int
    lines: list[float]
    x0: int
    x1: int
    space: float
    clef: str = "treble"
    key_fifths: int | None = None
    time: tuple[int, int] | None = None
    time_symbol: str | None = None  # common | cut
    glyphs: list[Glyph] = field(default_factory=list)


@dataclass
class PageReading:
    """One page: its staves, the deskew angle and the image size."""

    number: int
    width: int
    height: int
    angle: float
    space: float
    staves: list[StaffReading] = field(default_factory=list)
    seconds: float = 0.0
