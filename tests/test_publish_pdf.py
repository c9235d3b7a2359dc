"""The printed PDF read back: text layer, ink on the staff, pages, fonts, determinism."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from publish_helpers import (
    corpus_melody,
    fonts_of,
    long_melody,
    make_tab,
    page_texts,
    split_with_ties,
    word_boxes,
    words_in_font,
)

from harptab_nb.errors import OptionError
from harptab_nb.publish.pdf_layout import page_size, render_pdf, tab_pdf_fonts

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tune():
    mel = corpus_melody("airdsAirs/book1.abc#4")
    return make_tab(mel), mel


@pytest.fixture(scope="module")
def staff_pdf(tune) -> bytes:
    tab, mel = tune
    return render_pdf(tab, melody=mel)


def _gray(data: bytes, page: int = 0, scale: float = 1.0):
    import numpy as np
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        img = pdf[page].render(scale=scale).to_pil().convert("L")
    finally:
        pdf.close()
    return np.asarray(img)


def _staff_rows(gray, top: int) -> int:
    """Rows below ``top`` where dark pixels run across most of the frame: staff lines."""
    dark = gray[top:] < 128
    return int(((dark.sum(axis=1)) > 0.5 * gray.shape[1]).sum())


def test_text_layer_has_title_harp_and_every_token_in_order(tune, staff_pdf):
    tab, _ = tune
    text = page_texts(staff_pdf)[0]
    assert "I'll Touzle your Kurchy." in text
    assert "Diatonic Richter harmonica in C" in text and "position" in text
    assert f"transposed {tab.transpose_semitones:+d} semitones" in text
    assert words_in_font(staff_pdf, tab_pdf_fonts()["staff"]) == tab.tokens
    assert "Legend" in text and "page 1 of 1" in text
    legend = " ".join(text[text.index("Legend"):].split())
    for mark in ("-4 draw hole 4", "-3' draw bend, one ' per semitone", "overblow / overdraw",
                 "X not playable", "a tied note is not tabbed again"):
        assert mark in legend, mark


def test_staff_is_engraved_as_vector_ink(staff_pdf):
    import pypdfium2 as pdfium

    gray = _gray(staff_pdf)
    assert _staff_rows(gray, top=130) >= 10  # at least two staves of five lines
    pdf = pdfium.PdfDocument(staff_pdf)
    try:  # vector: no bitmap anywhere on the page
        kinds = {obj.type for obj in pdf[0].get_objects(max_depth=5)}
        assert pdfium.raw.FPDF_PAGEOBJ_IMAGE not in kinds
        assert pdfium.raw.FPDF_PAGEOBJ_PATH in kinds
    finally:
        pdf.close()


def test_bends_are_marked_in_colour(tune, staff_pdf):
    import numpy as np

    tab, _ = tune
    assert tab.bends > 0
    rgb = np.asarray(__import__("pypdfium2").PdfDocument(staff_pdf)[0].render(scale=2)
                     .to_pil().convert("RGB")).astype(int)
    red = (rgb[..., 0] > 150) & (rgb[..., 1] < 90) & (rgb[..., 2] < 90)
    assert red.sum() > 50  # bend tokens and noteheads in the bend colour


def test_text_layout_has_tokens_and_no_staff(tune):
    tab, mel = tune
    data = render_pdf(tab, melody=mel, layout="text")
    assert words_in_font(data, tab_pdf_fonts()["text"]) == tab.tokens
    assert _staff_rows(_gray(data), top=130) == 0


def test_lyrics_print_under_the_tab():
    from harptab_nb.pipeline.melody import extract_melody
    from harptab_nb.pipeline.ocr import read_score

    mel = extract_melody(read_score(str(ROOT / "harptab_nb" / "data" / "aloha_oe.musicxml")))
    tab = make_tab(mel)
    data = render_pdf(tab, melody=mel)
    assert words_in_font(data, tab_pdf_fonts()["staff"]) == tab.tokens
    text = page_texts(data)[0]
    for word in ("heo", "pali", "nihi"):
        assert word in text


def test_tied_continuations_are_not_tabbed_again():
    mel = split_with_ties(corpus_melody("airdsAirs/book1.abc#4"))
    tab = make_tab(mel)
    tied = [n for n in tab.notes if n.tied]
    assert tied and all(n.token == "" for n in tied)
    data = render_pdf(tab, melody=mel)
    assert words_in_font(data, tab_pdf_fonts()["staff"]) == tab.tokens


def test_long_tune_flows_onto_numbered_pages():
    mel = long_melody(500)
    tab = make_tab(mel)
    assert len(tab.tokens) >= 450
    data = render_pdf(tab, melody=mel)
    pages = page_texts(data)
    assert len(pages) >= 2
    for i, text in enumerate(pages, start=1):
        assert f"page {i} of {len(pages)}" in text
    assert words_in_font(data, tab_pdf_fonts()["staff"]) == tab.tokens


@pytest.mark.parametrize("title,composer,layout", [("Frère Jacques", "trad.", "staff"),
                                                   ("Ständchen", "Franz Schubert", "text"),
                                                   ("Ὦ Παῖ — Ёлочка", "Ærø Ŵ", "text")])
def test_unicode_titles_print(tune, title, composer, layout):
    tab, mel = tune
    tab = replace(tab, title=title, composer=composer)
    data = render_pdf(tab, melody=mel, layout=layout)
    text = page_texts(data)[0]
    assert title in text and composer in text


def test_accented_lyrics_print_under_the_staff(tune):
    """Words of a song in French or German print in the engraved lyric line too."""
    tab, mel = tune
    words = iter(["Frè-", "re", "Jac-", "ques", "Stän-", "dchen", "Ὦ", "Ёлочка"])
    notes = [replace(n, lyric=next(words, None)) if n.sounded else n for n in tab.notes]
    data = render_pdf(replace(tab, title="Frère Jacques", notes=notes), melody=mel)
    lyrics = words_in_font(data, "STIXGeneral-Regular")
    assert lyrics[:7] == ["Frè-", "re", "Jac-", "ques", "Stän-", "dchen", "Ёлочка"]
    # polytonic Greek is not in STIX: that word falls back to the page's DejaVu Serif
    assert words_in_font(data, "DejaVuSerif") == ["Ὦ"]
    assert all(fonts_of(data).values())


@pytest.mark.parametrize("layout", ["staff", "text"])
def test_every_font_is_embedded(tune, layout):
    """No font left for the reader's machine to substitute (not even reportlab's
    default Helvetica, which it selects at the top of every page)."""
    tab, mel = tune
    fonts = fonts_of(render_pdf(tab, melody=mel, layout=layout))
    assert fonts and all(fonts.values()), fonts
    assert tab_pdf_fonts()[layout] in fonts


def test_letter_and_a4_sizes(tune):
    import pypdfium2 as pdfium

    tab, mel = tune
    for name, (w, h) in (("Letter", (612, 792)), ("A4", (595, 842))):
        for layout in ("staff", "text"):
            data = render_pdf(tab, melody=mel, page_size=name, layout=layout)
            pdf = pdfium.PdfDocument(data)
            assert tuple(round(x) for x in pdf[0].get_size()) == (w, h)
            pdf.close()
            # the music fits the page width: nothing drawn in the right margin
            right = [b for b in word_boxes(data, tab_pdf_fonts()[layout]) if b[3] > w - 36]
            assert right == [], (name, layout)
            gray = _gray(data)
            assert (gray[:, int(w - 30):] < 128).sum() == 0, (name, layout)
    with pytest.raises(OptionError, match="A4, Letter"):
        page_size("A5")
    with pytest.raises(OptionError, match="staff, text"):
        render_pdf(tab, layout="fancy")


def test_same_input_same_bytes(tune, staff_pdf):
    tab, mel = tune
    assert render_pdf(tab, melody=mel) == staff_pdf
    # ... and in a fresh process too (no state-dependent ids, dates or font prefixes)
    code = (
        "import sys, hashlib; sys.path.insert(0, 'tests')\n"
        "from publish_helpers import corpus_melody, make_tab\n"
        "from harptab_nb.publish.pdf_layout import render_pdf\n"
        "m = corpus_melody('airdsAirs/book1.abc#4')\n"
        "print(hashlib.sha256(render_pdf(make_tab(m), melody=m)).hexdigest())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=300)
    assert out.stdout.strip() == hashlib.sha256(staff_pdf).hexdigest()


def _marks_tab():
    from harptab_nb.music import Melody
    from harptab_nb.pipeline.mapping_load import load_mapping
    from harptab_nb.pipeline.tablature import make_tablature
    from harptab_nb.pipeline.transpose import choose_transposition

    mel = Melody.from_names("C5 D5 Eb5 E5 Db5 C3 C5", title="Marks")
    report = choose_transposition(mel, load_mapping("diatonic", key="C"), transpose="none",
                                  overbends=True)
    return make_tablature(report, overbends=True), report.melody


@pytest.mark.parametrize("layout", ["staff", "text"])
def test_overbends_bends_and_unplayable_are_marked(layout):
    import numpy as np

    from harptab_nb.publish.text_export import TECHNIQUE_COLORS

    tab, mel = _marks_tab()
    assert tab.tokens == ["4", "-4", "4o", "5", "-4'", "X", "4"]
    data = render_pdf(tab, melody=mel, layout=layout)
    assert words_in_font(data, tab_pdf_fonts()[layout]) == tab.tokens
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    page = pdf[0]
    text = page.get_textpage()
    found = text.search("Legend").get_next()
    legend_top = text.get_charbox(found[0])[3]  # PDF points from the bottom
    rgb = np.asarray(page.render(scale=2).to_pil().convert("RGB")).astype(int)
    rgb = rgb[: int((page.get_height() - legend_top) * 2)]  # the music, not the legend
    pdf.close()
    for tech in ("bend", "overbend", "unplayable"):
        r, g, b = (int(TECHNIQUE_COLORS[tech][i:i + 2], 16) for i in (1, 3, 5))
        near = (abs(rgb[..., 0] - r) < 40) & (abs(rgb[..., 1] - g) < 40) & (abs(rgb[..., 2] - b) < 40)
        assert near.sum() > 10, tech


def test_threads_render_the_same_bytes():
    """Background conversions render in threads: the shared verovio toolkit and font
    registrations must not mix tunes up."""
    from concurrent.futures import ThreadPoolExecutor

    tunes = []
    for n in (4, 5, 6, 7):
        mel = corpus_melody(f"airdsAirs/book1.abc#{n}")
        tunes.append((make_tab(mel), mel))
    serial = [render_pdf(t, melody=m) for t, m in tunes]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda tm: render_pdf(tm[0], melody=tm[1]), tunes * 2))
    assert parallel == serial * 2


def test_chromatic_slide_tokens_print_and_round_trip():
    from harptab_nb.pipeline.mapping_load import load_mapping
    from harptab_nb.pipeline.tablature import make_tablature
    from harptab_nb.pipeline.transpose import choose_transposition
    from harptab_nb.publish.musicxml_export import read_tab_verse, to_musicxml

    mel = corpus_melody("airdsAirs/book1.abc#12")
    report = choose_transposition(mel, load_mapping("chromatic", key="C", holes=12),
                                  transpose="none")
    tab = make_tablature(report)
    assert any(t.endswith("<") for t in tab.tokens)
    data = render_pdf(tab, melody=report.melody)
    assert "Chromatic 12-hole" in page_texts(data)[0]
    assert words_in_font(data, tab_pdf_fonts()["staff"]) == tab.tokens
    assert [t for _, t, _ in read_tab_verse(to_musicxml(tab, report.melody))] == tab.tokens


def test_page_png_preview(staff_pdf):
    from harptab_nb.publish import page_png

    png = page_png(staff_pdf, scale=0.5)
    assert png.startswith(b"\x89PNG") and len(png) > 5_000


def test_text_layout_lyrics_align_under_their_tokens():
    from publish_helpers import pdf_chars

    from harptab_nb.pipeline.melody import extract_melody
    from harptab_nb.pipeline.ocr import read_score

    mel = extract_melody(read_score(str(ROOT / "harptab_nb" / "data" / "aloha_oe.musicxml")))
    tab = make_tab(mel)
    data = render_pdf(tab, melody=mel, layout="text")

    def starts(font):  # x of the first character of each word drawn in ``font``
        out, prev = [], None
        for ch in pdf_chars(data)[0]:
            ok = ch.fontname.split("+")[-1] == font and ch.get_text().strip() not in ("", "|")
            if ok and (prev is None or abs(ch.x0 - prev.x1) > 0.5 or abs(ch.y0 - prev.y0) > 0.5):
                out.append((round(ch.y0), ch.x0))
            prev = ch if ok else None
        return out

    tokens = starts(tab_pdf_fonts()["text"])
    lyrics = starts("DejaVuSansMono")
    sounded = [n for n in tab.notes if n.sounded]
    assert len(tokens) == len(sounded)
    lyric_x = iter(lyrics)
    for n, (_, x) in zip(sounded, tokens, strict=True):
        if (n.lyric or "").strip():
            assert abs(next(lyric_x)[1] - x) < 0.5, n


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def test_marked_tokens_sit_under_their_own_notes():
    """Each bend / overbend / X token has its coloured note (head and stem) right above
    it, and no natural token has a coloured note above it: a token shifted by one
    note would fail."""
    import numpy as np
    import pypdfium2 as pdfium

    from harptab_nb.publish.text_export import TECHNIQUE_COLORS, technique

    tab, mel = _marks_tab()
    data = render_pdf(tab, melody=mel)
    words = word_boxes(data, tab_pdf_fonts()["staff"])
    assert [w[0] for w in words] == tab.tokens
    scale = 3
    pdf = pdfium.PdfDocument(data)
    height = pdf[0].get_height()
    rgb = np.asarray(pdf[0].render(scale=scale).to_pil().convert("RGB")).astype(int)
    pdf.close()

    def ink(colour, x0: float, x1: float, y_top: float) -> int:
        """Pixels of ``colour`` in the band x0..x1 from y_top up 45 points."""
        r, g, b = _rgb(colour)
        band = rgb[int((height - y_top - 45) * scale):int((height - y_top) * scale),
                   int(x0 * scale):int(x1 * scale)]
        return int(((abs(band[..., 0] - r) < 40) & (abs(band[..., 1] - g) < 40)
                    & (abs(band[..., 2] - b) < 40)).sum())

    techs = [technique(n) for n in tab.notes if n.sounded]
    assert {"bend", "overbend", "unplayable"} <= set(techs)
    for (word, _, x0, x1, _y0, y1), tech in zip(words, techs, strict=True):
        cx = (x0 + x1) / 2
        for name in ("bend", "overbend", "unplayable"):
            found = ink(TECHNIQUE_COLORS[name], cx - 2, cx + 2, y1)
            if name == tech:
                assert found > 20, (word, name, found)
            else:
                assert found == 0, (word, name, found)


def test_lyrics_sit_under_their_tab_tokens_on_the_staff():
    """Staff layout: each syllable is printed just below the tab token of its note
    (same system, the token's centre within the syllable's width)."""
    from harptab_nb.pipeline.melody import extract_melody
    from harptab_nb.pipeline.ocr import read_score

    mel = extract_melody(read_score(str(ROOT / "harptab_nb" / "data" / "aloha_oe.musicxml")))
    tab = make_tab(mel)
    data = render_pdf(tab, melody=mel)
    tokens = word_boxes(data, tab_pdf_fonts()["staff"])
    lyrics = iter(word_boxes(data, "STIXGeneral-Regular"))
    sounded = [n for n in tab.notes if n.sounded]
    assert [t[0] for t in tokens] == [n.token for n in sounded]
    checked = 0
    for n, (_, page, x0, x1, y0, _y1) in zip(sounded, tokens, strict=True):
        if not (n.lyric or "").strip():
            continue
        word, lpage, lx0, lx1, _ly0, ly1 = next(lyrics)
        assert word == n.lyric.strip()
        assert lpage == page and 0 <= y0 - ly1 < 8, (n.token, word)  # just below
        assert lx0 - 1 <= (x0 + x1) / 2 <= lx1 + 1, (n.token, word)
        checked += 1
    assert checked >= 30 and next(lyrics, None) is None



def test_a_long_harp_line_breaks_between_its_phrases():
    """A harp line too wide for the page breaks at a '·', never inside a phrase."""
    from harptab_nb.publish.text_export import harp_line

    tab, mel = _marks_tab()
    tab = replace(tab, transpose_semitones=24, song_key="G major")  # a longer line
    line = harp_line(tab)
    parts = line.split(" · ")
    assert len(parts) >= 4
    data = render_pdf(tab, melody=mel, layout="text", page_size="Letter")
    lines = [ln.strip() for ln in page_texts(data)[0].splitlines()]
    start = next(i for i, ln in enumerate(lines) if ln.startswith(parts[0]))
    shown: list[str] = []
    for ln in lines[start:]:
        if "unplayable" in ln:  # the counts line
            break
        shown += [p for p in ln.rstrip(" ·").split(" · ")]
    assert shown == parts
    # the same line on a wide enough frame stays whole
    from harptab_nb.publish.pdf_layout import header_flowables

    assert "<br/>" not in header_flowables(tab, width=2000)[1].text
    assert "<br/>" in header_flowables(tab, width=300)[1].text
    assert "7 notes · 1 bend · 1 overbend · 1 unplayable" in lines
