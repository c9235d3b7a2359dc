"""Optical music recognition: printed score pages (PNG/JPEG/TIFF/PDF) to a music21 Score.

Entry point: :func:`recognize`. Two backends:

* ``builtin`` - a geometric recognizer (numpy/scipy, no model, no network) for clean
  engraved single-staff melody pages: staff detection and removal, noteheads, stems,
  beams/flags, dots, accidentals, rests, bar lines, ties, clef, key and time signature.
* ``audiveris`` - the Audiveris program when it is installed (on ``PATH`` or named by
  ``HARPTAB_AUDIVERIS``).

``backend="auto"`` uses Audiveris when it is found, else the built-in recognizer.
Nothing heavy is imported until :func:`recognize` runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .model import Glyph, OmrWarning, PageReading, StaffReading

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = [
    "BACKENDS",
    "OmrWarning",
    "Glyph",
    "PageReading",
    "StaffReading",
    "recognize",
    "read_page",
    "read_pages",
    "recognize_pages",
    "last_readings",
    "overlay_image",
]

BACKENDS = ("auto", "builtin", "audiveris")

Progress = Callable[[float, str], None]

#: page readings of the most recent built-in recognition (for overlays), by path
_LAST: dict[str, list[PageReading]] = {}


def last_readings(path: str | Path) -> list[PageReading]:
    """Page readings kept from the last built-in :func:`recognize` of ``path``."""
    return _LAST.get(str(Path(path)), [])


def overlay_image(
    path: str | Path, page: int = 1, *, scale: float = 0.5, warnings: list[OmrWarning] | None = None
) -> Any:
    """PIL image of page ``page`` of ``path`` with what the built-in reader saw drawn over it.

    Uses the readings kept from the last :func:`recognize` of ``path`` when there are
    some, else reads the page now. Staves in blue, notes in green with their pitch,
    rests, bar lines and accidentals boxed, uncertain symbols circled in red.
    """
    from .overlay import draw_overlay
    from .raster import iter_pages

    for pg in iter_pages(path):
        if pg.number != page:
            continue
        readings = {r.number: r for r in last_readings(path)}
        reading = readings.get(page)
        if reading is None:
            warnings = [] if warnings is None else warnings
            reading = read_page(pg.gray, page, warnings)
            from .assemble import build_score

            build_score(reading.staves, warnings)  # names the notes
        return draw_overlay(pg.gray, reading, warnings, scale=scale)
    raise IndexError(f"{Path(path).name} has no page {page}")


def read_page(gray: np.ndarray, number: int = 1, warnings: list[OmrWarning] | None = None) -> PageReading:
    """Read one grayscale page (2-D uint8, 0 = black) into staves and glyphs."""
    import time

    from . import staff as staffmod
    from .symbols import read_staff

    t0 = time.perf_counter()
    warnings = warnings if warnings is not None else []
    h, w = gray.shape
    ink = staffmod.binarize(gray)
    if ink.mean() > 0.5:
        raise staffmod.NoStaffFound(f"page {number} is mostly black: no staff can be read")
    ink = staffmod.despeckle(ink)
    ink, angle = staffmod.deskew(ink)
    staves, space, _thick = staffmod.find_staves(ink)
    noline = staffmod.remove_staff_lines(ink, staves)
    page = PageReading(number=number, width=w, height=h, angle=angle, space=space)
    if abs(angle) >= 0.03:
        warnings.append(
            OmrWarning(f"page straightened by {angle:.2f} degrees", page=number, kind="info")
        )
    for i, st in enumerate(staves):
        top_lim = 0 if i == 0 else int((staves[i - 1].bottom + st.top) / 2)
        bot_lim = h if i == len(staves) - 1 else int((st.bottom + staves[i + 1].top) / 2)
        y0 = max(top_lim, int(st.top - 7 * st.space))
        y1 = min(bot_lim, int(st.bottom + 7 * st.space))
        page.staves.append(read_staff(ink, noline, st, i, number, (y0, y1), warnings))
    page.seconds = time.perf_counter() - t0
    return page


def read_pages(
    path: str | Path, *, progress: Progress | None = None, warnings: list[OmrWarning] | None = None
) -> list[PageReading]:
    """Read every page of an image or PDF file (built-in recognizer)."""
    from .raster import iter_pages, page_count
    from .staff import NoStaffFound

    warnings = warnings if warnings is not None else []
    total = max(1, page_count(path))
    pages: list[PageReading] = []
    no_staff: list[int] = []
    if progress:
        progress(0.0, f"reading {total} page{'s' if total != 1 else ''}")
    for page in iter_pages(path):
        try:
            pages.append(read_page(page.gray, page.number, warnings))
        except NoStaffFound:
            if total == 1:
                raise
            no_staff.append(page.number)
            warnings.append(
                OmrWarning("no staff found on this page, skipped", page=page.number, kind="page")
            )
        if progress:
            progress(100.0 * page.number / total, f"page {page.number} of {total} read")
    if not pages:
        raise NoStaffFound(f"{Path(path).name}: no five-line staff found on any page")
    return pages


def recognize_pages(
    grays: list[np.ndarray], *, progress: Progress | None = None
) -> tuple[Any, list[OmrWarning], list[PageReading]]:
    """Built-in recognizer on in-memory grayscale pages: (score, warnings, page readings)."""
    from .assemble import build_score

    warnings: list[OmrWarning] = []
    pages = []
    for i, g in enumerate(grays, start=1):
        pages.append(read_page(g, i, warnings))
        if progress:
            progress(100.0 * i / len(grays), f"page {i} of {len(grays)} read")
    score = build_score([st for p in pages for st in p.staves], warnings)
    return score, warnings, pages


def _recognize_builtin(path: Path, progress: Progress | None) -> tuple[Any, list[OmrWarning]]:
    from ..errors import EmptyScore
    from .assemble import build_score

    warnings: list[OmrWarning] = []
    pages = read_pages(path, progress=progress, warnings=warnings)
    staves = [st for p in pages for st in p.staves]
    score = build_score(staves, warnings)
    _LAST.clear()
    _LAST[str(path)] = pages
    if not any(True for _ in score.recurse().notes):
        raise EmptyScore(f"{path.name}: staves found but no notes could be read")
    return score, warnings


def recognize(
    path: str | Path,
    *,
    backend: str = "auto",
    progress: Progress | None = None,
) -> tuple[Any, list[OmrWarning]]:
    """Read a printed score image or PDF into ``(music21 Score, warnings)``.

    ``progress(pct, msg)`` is called as pages are read. Bad inputs raise
    :class:`~harptab_nb.errors.InputError` subclasses (step ``ocr``).
    """
    from ..errors import OptionError

    if backend not in BACKENDS:
        raise OptionError(
            f"unknown OCR backend {backend!r}: choose one of {', '.join(BACKENDS)}", step="ocr"
        )
    path = Path(path)
    if backend in ("auto", "audiveris"):
        from . import audiveris

        exe = audiveris.find_audiveris()
        if exe is not None:
            return audiveris.recognize_audiveris(path, executable=exe, progress=progress)
        if backend == "audiveris":
            raise audiveris.AudiverisMissing(audiveris.MISSING_MESSAGE)
        score, warnings = _recognize_builtin(path, progress)
        warnings.insert(
            0,
            OmrWarning(
                "Audiveris not found (install it, or set HARPTAB_AUDIVERIS): "
                "built-in recognizer used",
                kind="backend",
            ),
        )
        return score, warnings
    return _recognize_builtin(path, progress)
