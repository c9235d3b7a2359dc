"""Songbooks: one PDF, a contents page whose page numbers are right, a harp line per tune."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from publish_helpers import fonts_of, page_texts, words_in_font

from harptab_nb.errors import InputError
from harptab_nb.publish.pdf_layout import tab_pdf_fonts
from harptab_nb.publish.songbook import (
    expand_sources,
    make_entries,
    render_songbook,
    write_songbook,
)

TUNES = [f"corpus:airdsAirs/book1.abc#{n}" for n in (4, 5, 6, 7, 8, 9, 10, 11, 12, 13)]


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HARPTAB_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _contents(first_page: str, n: int) -> list[int]:
    """Page numbers of the contents lines ``"i. Title  harp  page"``."""
    pages = []
    for i in range(1, n + 1):
        m = re.search(rf"(?m)^{i}\. .*?\s(\d+)\s*$", first_page.replace("\r\n", "\n"))
        assert m, f"contents line {i} missing"
        pages.append(int(m.group(1)))
    return pages


@pytest.fixture(scope="module")
def book():
    entries = make_entries(TUNES)
    return entries, render_songbook(entries, title="Aird's Airs, book 1")


def test_ten_tunes_with_correct_contents(book):
    import pypdfium2 as pdfium

    entries, data = book
    texts = page_texts(data)
    assert texts[0].splitlines()[1].strip() == "Aird's Airs, book 1"  # after the footer
    starts = _contents(texts[0], len(entries))
    assert starts == sorted(starts) and starts[0] == 2
    for e, start in zip(entries, starts, strict=True):
        page = texts[start - 1]
        lines = [ln.strip() for ln in page.splitlines()]
        assert e.title.strip() in lines[1:4], (e.title, lines[:4])  # the tune starts here
        assert "harmonica in" in page  # its own harp line
        assert e.title.strip() not in [ln.strip() for ln in texts[start - 2].splitlines()[1:4]]
    pdf = pdfium.PdfDocument(data)
    try:  # the outline (bookmarks) agrees
        marks = [(b.get_title(), b.get_dest().get_index() + 1) for b in pdf.get_toc()]
    finally:
        pdf.close()
    assert marks == [(e.title, s) for e, s in zip(entries, starts, strict=True)]
    for i, text in enumerate(texts, start=1):
        assert f"page {i} of {len(texts)}" in text


def test_contents_count_the_pages_of_a_long_tune():
    """A tune of two pages or more between two short ones: the contents skip its pages."""
    from publish_helpers import long_melody, make_tab

    mel = long_melody(500)
    entries = make_entries([TUNES[0], (make_tab(mel), mel), TUNES[1]])
    texts = page_texts(render_songbook(entries, title="Long and short"))
    starts = _contents(texts[0], 3)
    assert starts[0] == 2 and starts[2] - starts[1] >= 2
    assert starts[2] == len(texts)  # the last tune is one page, after the long one
    for e, start in zip(entries, starts, strict=True):
        assert e.title.strip() in [ln.strip() for ln in texts[start - 1].splitlines()[1:4]]
    middle = texts[starts[1]:starts[2] - 1]  # the long tune's later pages
    assert middle and all("harmonica in" not in t for t in middle)


def test_songbook_fonts_are_embedded(book):
    _, data = book
    fonts = fonts_of(data)
    assert fonts and all(fonts.values()), fonts


def test_every_tune_is_tabbed_in_order(book):
    entries, data = book
    words = words_in_font(data, tab_pdf_fonts()["staff"])
    assert words == [t for e in entries for t in e.tablature.tokens]


def test_multi_tune_abc_file_results_and_tabs(tmp_path):
    from music21 import corpus

    from harptab_nb.pipeline.runner import convert

    text = Path(corpus.getWork("airdsAirs/book1.abc")).read_text(encoding="utf-8",
                                                                   errors="replace")
    starts = [m.start() for m in re.finditer(r"(?m)^X:", text)]
    abc = tmp_path / "three.abc"
    abc.write_text(text[:starts[0]] + text[starts[3]:starts[6]], encoding="utf-8")
    assert len(expand_sources([abc])) == 3

    result = convert("corpus:airdsAirs/book1.abc#20", output_dir=tmp_path / "conv",
                     formats=("json",))
    entries = make_entries([abc, result, result.tablature])
    assert len(entries) == 5 and entries[3].tablature is result.tablature
    path = write_songbook([abc, result], output_dir=tmp_path / "out", title="../My Book",
                          layout="text", key="G")
    assert path.parent == (tmp_path / "out").resolve() and path.name == "My_Book.pdf"
    texts = page_texts(path.read_bytes())
    assert len(_contents(texts[0], 4)) == 4
    assert "harmonica in G" in texts[1]


def test_empty_songbook_is_an_error():
    with pytest.raises(InputError, match="at least one tune"):
        make_entries([])


def test_a_bad_tune_raises_or_is_left_out(tmp_path):
    from harptab_nb.errors import UnsupportedInput

    bad = tmp_path / "notes.txt"
    bad.write_text("not music")
    with pytest.raises(UnsupportedInput):
        make_entries([TUNES[0], bad])
    warnings: list[str] = []
    entries = make_entries([TUNES[0], bad], skip_errors=True, warnings=warnings)
    assert len(entries) == 1 and len(warnings) == 1 and "notes.txt" in warnings[0]


def test_songbook_command(tmp_path, capsys):
    import argparse

    from harptab_nb import cli_songbook

    parser = argparse.ArgumentParser(prog="harptab")
    cli_songbook.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["songbook", TUNES[0], TUNES[1], "-t", "Two tunes",
                              "-o", str(tmp_path), "--pdf-layout", "text", "--key", "G"])
    assert args.func(args) == 0
    out = Path(capsys.readouterr().out.strip())
    assert out == (tmp_path / "Two_tunes.pdf").resolve()
    texts = page_texts(out.read_bytes())
    assert len(texts) == 3 and "harmonica in G" in texts[1]


def test_same_songbook_same_bytes(book):
    entries, data = book
    assert render_songbook(entries, title="Aird's Airs, book 1") == data


def test_songbook_into_a_read_only_folder_keeps_the_previous_book(tmp_path):
    """Writing a book goes through a temp file too: a folder that refuses the write
    gives an OutputError naming it and the earlier book stays whole."""
    from test_publish_safe_write import _make_read_only, _undo_read_only

    from harptab_nb.errors import OutputError

    out = tmp_path / "out"
    first = write_songbook(TUNES[:2], output_dir=out, title="Two", layout="text")
    before = first.read_bytes()
    if not _make_read_only(out):
        pytest.skip("cannot make a folder read-only here (root without chattr)")
    try:
        with pytest.raises(OutputError, match="read-only|permission") as err:
            write_songbook(TUNES[:3], output_dir=out, title="Two", layout="text")
        assert str(out) in str(err.value)
    finally:
        _undo_read_only(out)
    assert [p.name for p in out.iterdir()] == ["Two.pdf"] and first.read_bytes() == before
