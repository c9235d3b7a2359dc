"""Loading score pages as grayscale rasters: PNG/JPEG/TIFF images and PDF pages.

PDF pages are rendered at 300 dpi with pypdfium2. Every page is checked against a
pixel limit, and unreadable, corrupt or encrypted files raise typed
:class:`~harptab_nb.errors.InputError` subclasses with a message a musician can act on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError, ScoreReadError, UnsupportedInput

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = [
    "IMAGE_SUFFIXES",
    "PDF_SUFFIXES",
    "MAX_SIDE",
    "MAX_PIXELS",
    "MIN_SIDE",
    "PDF_DPI",
    "ImageTooLarge",
    "ImageTooSmall",
    "EncryptedPdf",
    "Page",
    "iter_pages",
    "page_count",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
PDF_SUFFIXES = (".pdf",)
#: longest side accepted, in pixels (A3 at 600 dpi is about 9,900 px)
MAX_SIDE = 20_000
#: most pixels accepted in one page (about 30 A4 pages at 300 dpi)
MAX_PIXELS = 120_000_000
#: a page narrower or lower than this cannot hold a readable staff
MIN_SIDE = 64
PDF_DPI = 300


class ImageTooLarge(InputError):
    """A page is over the pixel limit (decompression-bomb guard)."""


class ImageTooSmall(InputError):
    """A page is too small to hold a readable staff."""


class EncryptedPdf(InputError):
    """The PDF is password-protected."""


class Page:
    """One grayscale page: ``gray`` is a 2-D uint8 array (0 = black), ``number`` from 1."""

    __slots__ = ("gray", "number", "dpi", "source")

    def __init__(self, gray: np.ndarray, number: int, dpi: float | None, source: str) -> None:
        self.gray = gray
        self.number = number
        self.dpi = dpi
        self.source = source

    def __repr__(self) -> str:
        h, w = self.gray.shape
        return f"Page({self.source!r} #{self.number}, {w}x{h})"


def _check_size(width: int, height: int, what: str) -> None:
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageTooLarge(
            f"{what} is {width}x{height} pixels, over the limit of {MAX_SIDE} px a side and "
            f"{MAX_PIXELS // 1_000_000} megapixels: scan or export it at 300 dpi"
        )
    if width < MIN_SIDE or height < MIN_SIDE:
        raise ImageTooSmall(
            f"{what} is only {width}x{height} pixels: too small to hold a readable staff "
            f"(scan or export it at 300 dpi)"
        )


def _to_gray(img: object) -> np.ndarray:
    import numpy as np
    from PIL import Image

    assert isinstance(img, Image.Image)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        top = arr.max() or 1.0
        return (arr * (255.0 / top)).astype(np.uint8)
    if img.mode == "1":
        return np.asarray(img.convert("L"), dtype=np.uint8)
    return np.asarray(img.convert("L"), dtype=np.uint8)


def _image_pages(path: Path) -> Iterator[Page]:
    from PIL import Image, ImageSequence, UnidentifiedImageError

    old_limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # we check sizes ourselves, before decoding
    try:
        try:
            img = Image.open(path)
        except UnidentifiedImageError as exc:
            raise ScoreReadError(
                f"{path.name} is not a readable image (corrupt or not really "
                f"{path.suffix.lstrip('.').upper()})"
            ) from exc
        except OSError as exc:
            raise ScoreReadError(f"{path.name} could not be opened: {exc}") from exc
        with img:
            dpi = img.info.get("dpi")
            dpi_value = float(dpi[0]) if dpi and dpi[0] else None
            frames = ImageSequence.Iterator(img) if getattr(img, "n_frames", 1) > 1 else [img]
            for number, frame in enumerate(frames, start=1):
                w, h = frame.size
                _check_size(w, h, f"{path.name} page {number}" if number > 1 else path.name)
                try:
                    frame.load()
                    gray = _to_gray(frame)
                except (OSError, ValueError, SyntaxError) as exc:
                    raise ScoreReadError(
                        f"{path.name} is damaged and could not be decoded: {exc}"
                    ) from exc
                yield Page(gray, number, dpi_value, str(path))
    finally:
        Image.MAX_IMAGE_PIXELS = old_limit


def _open_pdf(path: Path) -> object:
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        text = str(exc).lower()
        if "password" in text or "security" in text:
            raise EncryptedPdf(
                f"{path.name} is password-protected: save an unprotected copy and try again"
            ) from exc
        raise ScoreReadError(f"{path.name} is not a readable PDF (corrupt or truncated)") from exc


def _pdf_pages(path: Path, dpi: float = PDF_DPI) -> Iterator[Page]:
    import numpy as np

    doc = _open_pdf(path)
    try:
        n = len(doc)  # type: ignore[arg-type]
        if n == 0:
            raise ScoreReadError(f"{path.name} has no pages")
        scale = dpi / 72.0
        for i in range(n):
            page = doc[i]  # type: ignore[index]
            try:
                w_pt, h_pt = page.get_size()
                w, h = int(round(w_pt * scale)), int(round(h_pt * scale))
                _check_size(w, h, f"{path.name} page {i + 1} at {int(dpi)} dpi")
                bitmap = page.render(scale=scale, grayscale=True, fill_color=(255, 255, 255, 255))
                arr = bitmap.to_numpy()
                if arr.ndim == 3:
                    arr = arr[..., :3].mean(axis=2) if arr.shape[2] >= 3 else arr[..., 0]
                gray = np.ascontiguousarray(arr, dtype=np.uint8)
            finally:
                page.close()
            yield Page(gray, i + 1, dpi, str(path))
    finally:
        doc.close()  # type: ignore[attr-defined]


def page_count(path: str | Path) -> int:
    """Number of pages in ``path`` (cheap; the pages are not decoded)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        doc = _open_pdf(path)
        try:
            return len(doc)  # type: ignore[arg-type]
        finally:
            doc.close()  # type: ignore[attr-defined]
    from PIL import Image

    try:
        with Image.open(path) as img:
            return int(getattr(img, "n_frames", 1))
    except Exception:  # noqa: BLE001 - decoded (and reported) properly by iter_pages
        return 1


def iter_pages(path: str | Path, *, dpi: float = PDF_DPI) -> Iterator[Page]:
    """Yield the pages of an image or PDF file as grayscale :class:`Page` objects."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a score file")
    if path.stat().st_size == 0:
        raise ScoreReadError(f"{path.name} is empty (0 bytes)")
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        yield from _pdf_pages(path, dpi)
    elif suffix in IMAGE_SUFFIXES:
        yield from _image_pages(path)
    else:
        raise UnsupportedInput(
            f"{path.name}: optical music recognition reads "
            f"{', '.join(s.lstrip('.') for s in IMAGE_SUFFIXES + PDF_SUFFIXES)} files"
        )
