"""Real tunes and tabs for the publication tests (no mocks: corpus + engine)."""

from __future__ import annotations

import functools

from harptab_nb.music import Melody
from harptab_nb.tablature import Tablature


@functools.lru_cache(maxsize=64)
def corpus_melody(ref: str = "airdsAirs/book1.abc#4") -> Melody:
    """A melody read from music21's bundled corpus through the real ocr + melody steps."""
    from harptab_nb.pipeline.melody import extract_melody
    from harptab_nb.pipeline.ocr import read_score

    return extract_melody(read_score(f"corpus:{ref}"))


def make_tab(melody: Melody, key: str = "C", tuning: str = "richter") -> Tablature:
    """Tab ``melody`` with the real engine (mapping_load, transpose, tablature)."""
    from harptab_nb.pipeline.mapping_load import load_mapping
    from harptab_nb.pipeline.tablature import make_tablature
    from harptab_nb.pipeline.transpose import choose_transposition

    report = choose_transposition(melody, load_mapping("diatonic", tuning=tuning, key=key))
    return make_tablature(report)


# ----------------------------------------------------------------------------- PDF reading
def pdf_chars(data: bytes) -> list[list]:
    """Per page, the LTChar objects in content-stream order (no layout regrouping)."""
    import io

    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LTChar
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    rm = PDFResourceManager()
    dev = PDFPageAggregator(rm, laparams=None)
    interp = PDFPageInterpreter(rm, dev)
    pages = []
    for page in PDFPage.get_pages(io.BytesIO(data)):
        interp.process_page(page)
        out: list = []

        def walk(obj, out=out):
            if isinstance(obj, LTChar):
                out.append(obj)
            elif hasattr(obj, "__iter__"):
                for child in obj:
                    walk(child)

        walk(dev.get_result())
        pages.append(out)
    return pages


def words_in_font(data: bytes, font: str) -> list[str]:
    """Words drawn in ``font`` (subset prefix ignored), in drawing order, all pages.

    A word ends at a space, a jump in x or y, or a character in another font.
    """
    words: list[str] = []
    for chars in pdf_chars(data):
        cur, last = "", None
        for ch in chars:
            name = ch.fontname.split("+")[-1]
            ok = name == font and ch.get_text().strip()
            if ok and cur and last is not None and (
                abs(ch.y0 - last.y0) > 0.5 or ch.x0 - last.x1 > 0.8 or ch.x0 < last.x0
            ):
                words.append(cur)
                cur = ""
            if ok:
                cur += ch.get_text()
                last = ch
            elif cur:
                words.append(cur)
                cur, last = "", None
        if cur:
            words.append(cur)
    return words


def word_boxes(data: bytes, font: str) -> list[tuple[str, int, float, float, float, float]]:
    """Like :func:`words_in_font`, with where each word is drawn:
    ``(word, page index, x0, x1, y0, y1)`` in PDF points (origin bottom left)."""
    out: list = []
    for page, chars in enumerate(pdf_chars(data)):
        cur: list = []
        for ch in chars + [None]:
            ok = ch is not None and ch.fontname.split("+")[-1] == font and ch.get_text().strip()
            last = cur[-1] if cur else None
            if cur and (not ok or abs(ch.y0 - last.y0) > 0.5 or ch.x0 - last.x1 > 0.8
                        or ch.x0 < last.x0):
                out.append(("".join(c.get_text() for c in cur), page, cur[0].x0, cur[-1].x1,
                            min(c.y0 for c in cur), max(c.y1 for c in cur)))
                cur = []
            if ok:
                cur.append(ch)
    return out


def fonts_of(data: bytes) -> dict[str, bool]:
    """Every font a PDF's pages use, and whether its font file is embedded (pdfminer)."""
    import io

    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import resolve1

    out: dict[str, bool] = {}
    doc = PDFDocument(PDFParser(io.BytesIO(data)))
    for page in PDFPage.create_pages(doc):
        for font in resolve1(resolve1(page.resources).get("Font", {})).values():
            font = resolve1(font)
            parts = [font] + [resolve1(f) for f in resolve1(font.get("DescendantFonts", []))]
            name = str(resolve1(font.get("BaseFont"))).strip("/'").split("+")[-1]
            embedded = any(k in resolve1(f.get("FontDescriptor", {}))
                           for f in parts for k in ("FontFile", "FontFile2", "FontFile3"))
            out[name] = out.get(name, False) or embedded
    return out


def page_texts(data: bytes) -> list[str]:
    """Text of every page (pypdfium2, stream order)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def long_melody(min_notes: int = 500) -> Melody:
    """Real tunes of Aird's Airs strung into one medley of at least ``min_notes``."""
    from dataclasses import replace

    from harptab_nb.music import Note

    notes: list[Note] = []
    offset, measure = 0.0, 0
    number = 4
    first = None
    while len(notes) < min_notes:
        mel = corpus_melody(f"airdsAirs/book1.abc#{number}")
        number += 1
        if first is None:
            first = mel
        if mel.time_signature != first.time_signature:
            continue
        base_m = None
        for n in mel.notes:
            if base_m is None or n.measure != base_m[0]:
                measure += 1
                base_m = (n.measure, measure)
            notes.append(replace(n, offset=offset + n.offset, measure=base_m[1]))
        offset = notes[-1].offset + notes[-1].duration
    return replace(first, notes=tuple(notes), title="Aird's Airs medley")


def split_with_ties(mel: Melody, every: int = 5) -> Melody:
    """``mel`` with every ``every``-th long-enough note split in two tied halves
    (the second a tie continuation), as a score with ties spells it."""
    from dataclasses import replace

    out = []
    for i, n in enumerate(mel.notes):
        if n.midi is not None and i % every == 0 and n.duration >= 1.0:
            half = n.duration / 2
            out.append(replace(n, duration=half))
            out.append(replace(n, offset=n.offset + half, duration=half, lyric=None, tied=True))
        else:
            out.append(n)
    return replace(mel, notes=tuple(out))
