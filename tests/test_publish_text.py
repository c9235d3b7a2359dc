"""Plain text, Markdown and HTML tab pages."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from publish_helpers import corpus_melody, make_tab

from harptab_nb.notation import parse_tab
from harptab_nb.publish import text_export


@pytest.fixture(scope="module")
def tab():
    return make_tab(corpus_melody("airdsAirs/book1.abc#4"))


def test_text_parses_back_to_the_same_tokens(tab):
    text = text_export.to_text(tab, width=60)
    assert all(len(line) <= 60 for line in text.splitlines() if not line.startswith("#"))
    assert parse_tab(text, tab.harmonica).tokens == tab.tokens
    assert "# Legend:" in text


def test_markdown(tab):
    md = text_export.to_markdown(tab)
    assert md.startswith("# I'll Touzle your Kurchy.")
    assert "**Harmonica:** Diatonic Richter harmonica in C" in md
    block = md.split("```")[1]
    assert parse_tab(block, tab.harmonica).tokens == tab.tokens
    assert "| `-4` | draw hole 4 |" in md


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tokens, self.classes, self._in = [], [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div" and (a.get("class") or "").split()[:1] == ["n"]:
            self.classes.append(a["class"])
        self._in = tag == "span" and a.get("class") == "t"

    def handle_data(self, data):
        if self._in:
            self.tokens.append(data)
            self._in = False


def test_html_page(tab):
    page = text_export.to_html(tab)
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    p = _Cells()
    p.feed(page)
    assert p.tokens == tab.tokens
    bends = [c for c in p.classes if "bend" in c.split()]
    assert len(bends) == tab.bends
    assert re.search(r"<title>I&#x27;ll Touzle your Kurchy.</title>", page)


def test_harp_line_and_systems(tab):
    line = text_export.harp_line(tab)
    assert line.startswith("Diatonic Richter harmonica in C")
    assert "position" in line and "transposed" in line
    systems = text_export.tab_systems(tab, width=40)
    cells = [c.token for s in systems for m in s for c in m]
    assert cells == tab.tokens
    for s in systems:
        t, _ = text_export.system_lines(s)
        assert t.startswith("|") and t.rstrip().endswith("|")


def test_ordinal_and_unicode_titles(tab):
    from dataclasses import replace

    t = replace(tab, title="Frère Jacques <&>", composer="Ständchen")
    assert "Frère Jacques &lt;&amp;&gt;" in text_export.to_html(t)
    assert text_export.to_markdown(t).startswith("# Frère Jacques <&>")
    assert text_export.ordinal(2) == "2nd" and text_export.ordinal(12) == "12th"


def test_publish_imports_stay_light():
    """``import harptab_nb`` (and the publish package, and the pdf step module) loads
    none of reportlab, svglib, verovio, music21: they load when a PDF is made."""
    import subprocess
    import sys

    code = ("import sys, harptab_nb, harptab_nb.publish, harptab_nb.pipeline.pdf\n"
            "heavy = ('reportlab', 'svglib', 'verovio', 'music21', 'pypdfium2', 'lxml')\n"
            "print(','.join(m for m in heavy if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""
