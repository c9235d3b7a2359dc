"""Optical music recognition: page loading, bad inputs and the recognize() contract."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from harptab_nb.errors import InputError, OptionError, ScoreReadError, UnsupportedInput

PIL = pytest.importorskip("PIL")
from PIL import Image, ImageDraw  # noqa: E402

from harptab_nb import omr  # noqa: E402
from harptab_nb.omr import groundtruth as gt  # noqa: E402
from harptab_nb.omr.raster import (  # noqa: E402
    EncryptedPdf,
    ImageTooLarge,
    ImageTooSmall,
    iter_pages,
)
from harptab_nb.omr.staff import NoStaffFound  # noqa: E402


@pytest.fixture(scope="module")
def tune_page() -> tuple[np.ndarray, list]:
    """One real corpus tune engraved by verovio (Leipzig), and its true notes."""
    from music21 import converter

    name, score = next(gt.corpus_tunes("airds", limit=1))
    xml = gt.to_musicxml(score)
    truth = gt.events(converter.parseData(xml, format="musicxml"))
    pages = gt.render_verovio(xml, "Leipzig")
    return pages[0], truth


def _read(path: Path):
    return omr.recognize(path, backend="builtin")


def test_png_page_reads_the_tune(tmp_path: Path, tune_page) -> None:
    gray, truth = tune_page
    p = tmp_path / "page.png"
    Image.fromarray(gray).save(p)
    seen: list[tuple[float, str]] = []
    score, warnings = omr.recognize(p, backend="builtin", progress=lambda pct, msg: seen.append((pct, msg)))
    pitch, both = gt.accuracy(truth, gt.events(score))
    assert pitch >= 0.98 and both >= 0.95
    assert seen and seen[-1][0] == 100.0
    assert len(score.parts) == 1 and len(score.parts[0].getElementsByClass("Measure")) > 4
    assert all(isinstance(w, omr.OmrWarning) for w in warnings)


def test_jpeg_and_tiff(tmp_path: Path, tune_page) -> None:
    gray, truth = tune_page
    for name in ("page.jpg", "page.tiff"):
        p = tmp_path / name
        Image.fromarray(gray).save(p, quality=90) if name.endswith("jpg") else Image.fromarray(gray).save(p)
        score, _ = _read(p)
        assert gt.accuracy(truth, gt.events(score))[0] >= 0.95


def test_pdf_pages_at_300_dpi_with_a_blank_page(tmp_path: Path, tune_page) -> None:
    gray, truth = tune_page
    blank = Image.new("L", (gray.shape[1], gray.shape[0]), 255)
    p = tmp_path / "score.pdf"
    blank.save(p, save_all=True, append_images=[Image.fromarray(gray)], resolution=300.0)
    pages = list(iter_pages(p))
    assert [pg.number for pg in pages] == [1, 2]
    assert abs(pages[1].gray.shape[1] - gray.shape[1]) <= 2  # rendered at 300 dpi
    score, warnings = _read(p)
    assert gt.accuracy(truth, gt.events(score))[0] >= 0.98
    assert any(w.page == 1 and "no staff" in w.message for w in warnings)


def test_blank_image_is_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "blank.png"
    Image.new("L", (1200, 1600), 255).save(p)
    with pytest.raises(NoStaffFound, match="staff") as exc:
        _read(p)
    assert isinstance(exc.value, InputError) and exc.value.step == "ocr"


def test_image_without_staff(tmp_path: Path) -> None:
    img = Image.new("L", (1200, 1600), 255)
    d = ImageDraw.Draw(img)
    for i in range(12):
        d.text((100, 100 + 110 * i), "Lorem ipsum dolor sit amet " * 3, fill=0)
        d.ellipse((900, 100 + 110 * i, 960, 160 + 110 * i), outline=0, width=4)
    d.rectangle((50, 50, 1150, 1550), outline=0, width=3)
    p = tmp_path / "letter.png"
    img.save(p)
    with pytest.raises(NoStaffFound) as exc:
        _read(p)
    assert exc.value.step == "ocr"


def test_tiny_image(tmp_path: Path) -> None:
    p = tmp_path / "tiny.png"
    Image.new("L", (40, 30), 255).save(p)
    with pytest.raises(ImageTooSmall, match="too small"):
        _read(p)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height but holds one tiny row (decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\xff")) + chunk(b"IEND", b"")


def test_30000_pixel_image_is_refused_before_decoding(tmp_path: Path) -> None:
    p = tmp_path / "huge.png"
    p.write_bytes(_png_header_only(30_000, 30_000))
    with pytest.raises(ImageTooLarge, match="30000x30000"):
        _read(p)
    wide = tmp_path / "wide.png"
    Image.new("1", (30_000, 200), 1).save(wide)
    with pytest.raises(ImageTooLarge):
        _read(wide)


def test_corrupt_pdf_and_image(tmp_path: Path) -> None:
    p = tmp_path / "broken.pdf"
    p.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ngarbage\n")
    with pytest.raises(ScoreReadError, match="not a readable PDF"):
        _read(p)
    q = tmp_path / "broken.png"
    q.write_bytes(b"\x89PNG\r\n\x1a\nthis is not a png")
    with pytest.raises(ScoreReadError):
        _read(q)
    e = tmp_path / "empty.pdf"
    e.write_bytes(b"")
    with pytest.raises(ScoreReadError, match="empty"):
        _read(e)


def test_encrypted_pdf(tmp_path: Path) -> None:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    p = tmp_path / "locked.pdf"
    c = canvas.Canvas(str(p), encrypt=pdfencrypt.StandardEncryption("secret", "owner"))
    c.drawString(100, 700, "locked score")
    c.save()
    with pytest.raises(EncryptedPdf, match="password") as exc:
        _read(p)
    assert exc.value.step == "ocr"


def test_unsupported_and_missing(tmp_path: Path) -> None:
    p = tmp_path / "score.bmp"
    p.write_bytes(b"BM")
    with pytest.raises(UnsupportedInput):
        _read(p)
    with pytest.raises(InputError, match="does not exist"):
        _read(tmp_path / "nope.png")
    with pytest.raises(OptionError, match="builtin"):
        omr.recognize(tmp_path / "x.png", backend="magic")


def test_import_is_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, harptab_nb.omr, harptab_nb.omr.raster, harptab_nb.omr.audiveris;"
        "bad=[m for m in ('music21','scipy','numpy','verovio','PIL') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_overlay_shows_what_was_read(tmp_path: Path, tune_page) -> None:
    gray, _truth = tune_page
    p = tmp_path / "page.png"
    Image.fromarray(gray).save(p)
    score, warnings = _read(p)
    img = omr.overlay_image(p, 1, scale=0.5, warnings=warnings)
    assert img.size == (gray.shape[1] // 2, gray.shape[0] // 2)
    arr = np.asarray(img)
    green = (arr[..., 1] > 120) & (arr[..., 0] < 60) & (arr[..., 2] < 120)
    assert green.sum() > 500  # note boxes and pitch names
    readings = omr.last_readings(p)
    notes = [g for st in readings[0].staves for g in st.glyphs if g.kind == "note"]
    assert notes and all(g.name for g in notes)
    with pytest.raises(IndexError):
        omr.overlay_image(p, 2)
