"""Pure views: tracker status and step results -> HTML/text (no ipywidgets, no kernel)."""

from __future__ import annotations

import re

import pytest

from harptab_nb import views
from harptab_nb.tracker import ProgressTracker, step_scope


def _rows(html: str, kind: str) -> list[tuple[str, str, str]]:
    """(id, status, symbol) of each ``kind`` row of a rendered tracker."""
    pat = (rf"<tr class='{kind} harptab-status-(\w+)' data-id='(\w+)'>"
           r"<td class='harptab-symbol' style='color:(#\w+)'[^>]*>(.)</td>")
    return [(m[2], m[1], m[4], m[3]) for m in re.finditer(pat, html)]


def test_fresh_tracker_all_pending_in_step_order():
    t = ProgressTracker("v1")
    html = views.render_status_html(t)
    steps = _rows(html, "harptab-step")
    assert [s[0] for s in steps] == ["ocr", "melody", "analysis", "mapping_load", "transpose",
                                     "tablature", "pdf"]
    assert {s[2] for s in steps} == {"○"}
    assert "<span class='harptab-percent'>0%</span>" in html


def test_symbols_and_colours_for_every_status():
    t = ProgressTracker("v2")
    t.start_step("ocr")
    t.complete_step("ocr", "47 notes read")
    t.start_step("melody")
    t.cancel_step("melody")
    t.start_step("analysis")
    t.error_step("analysis", "no key <here>")
    t.start_step("mapping_load")
    rows = {r[0]: r for r in _rows(views.render_status_html(t), "harptab-step")}
    assert rows["ocr"][1:3] == ("completed", "✓")
    assert rows["melody"][1:3] == ("cancelled", "⊘")
    assert rows["analysis"][1:3] == ("error", "✗")
    assert rows["mapping_load"][1:3] == ("in_progress", "►")
    assert rows["pdf"][1:3] == ("pending", "○")
    for sid, r in rows.items():
        assert r[3] == views.COLOURS[r[1]], sid
    assert len(set(views.SYMBOLS.values())) == 5


def test_error_message_shown_in_red_and_escaped():
    t = ProgressTracker("v3")
    from harptab_nb.errors import ScoreReadError

    with pytest.raises(ScoreReadError), step_scope(t, "ocr", "reading") as st:
        with st.substep("ocr_init"):
            raise ScoreReadError("corrupt <xml> & more")
    html = views.render_status_html(t)
    red = views.COLOURS["error"]
    assert f"<td class='harptab-message' style='color:{red}'>corrupt &lt;xml&gt; &amp; more" in html
    # the substep that failed is red too, and nested under its step
    subs = _rows(html, "harptab-substep")
    assert ("ocr_init", "error", "✗", red) in subs
    text = views.render_status_text(t)
    assert "✗ Music OCR - corrupt <xml> & more" in text
    assert "\n    ✗ Choosing the reader" in text
    assert views.run_state(views.status_of(t)) == "error"


def test_substeps_nested_under_their_step_in_text_and_html():
    t = ProgressTracker("v4")
    t.start_step("ocr")
    t.start_substep("ocr", "ocr_init")
    t.update_substep_progress("ocr", "ocr_init", 40, "loading")
    text = views.render_status_text(t, elapsed=False).splitlines()
    i = text.index("► Music OCR (13%)")
    assert text[i + 1] == "    ► Choosing the reader (40%) - loading"
    assert text[i + 2] == "    ○ Reading the score"
    html = views.render_status_html(t)
    order = re.findall(r"data-id='(\w+)'", html)
    assert order[:4] == ["ocr", "ocr_init", "ocr_process", "ocr_parse"]
    assert order[4] == "melody"


def test_full_run_shows_seven_checks_and_100_percent():
    t = ProgressTracker("v5")
    for sid, _name, subs in __import__("harptab_nb.tracker", fromlist=["STEPS"]).STEPS:
        with step_scope(t, sid) as st:
            for sub in subs:
                with st.substep(sub):
                    pass
    html = views.render_status_html(t)
    steps = _rows(html, "harptab-step")
    assert [s[2] for s in steps] == ["✓"] * 7
    assert "<span class='harptab-percent'>100%</span>" in html
    assert views.render_status_text(t, elapsed=False).startswith("█" * 20 + " 100%  ✓ completed")


def test_text_without_elapsed_is_deterministic_and_elapsed_formats():
    a, b = ProgressTracker("same"), ProgressTracker("same")
    for t in (a, b):
        t.start_step("ocr", "go")
    assert views.render_status_text(a, elapsed=False) == views.render_status_text(b, elapsed=False)
    assert views.format_elapsed(4) == "4 s"
    assert views.format_elapsed(75) == "1:15"
    assert "harptab-elapsed" not in views.render_status_html(a, elapsed=False)


def test_status_signature_changes_only_on_status():
    t = ProgressTracker("v6")
    t.start_step("ocr")
    t.start_substep("ocr", "ocr_init")
    s1 = views.status_signature(t.to_json())
    t.update_substep_progress("ocr", "ocr_init", 50)
    assert views.status_signature(t.to_json()) == s1
    t.complete_substep("ocr", "ocr_init")
    assert views.status_signature(t.to_json()) != s1


# ------------------------------------------------------------------ step results

@pytest.fixture(scope="module")
def conversion(tmp_path_factory):
    import os

    home = tmp_path_factory.mktemp("home")
    old = os.environ.get("HARPTAB_HOME")
    os.environ["HARPTAB_HOME"] = str(home)
    try:
        from harptab_nb.pipeline.runner import convert

        out = tmp_path_factory.mktemp("out")
        yield convert("corpus:airdsAirs/book1.abc#4", key="auto", output_dir=out,
                      record_history=False)
    finally:
        if old is None:
            os.environ.pop("HARPTAB_HOME", None)
        else:
            os.environ["HARPTAB_HOME"] = old


def test_score_and_melody_views(conversion):
    html = views.score_html(conversion.score)
    assert "Touzle" in html and "<td style='text-align:left'>abc</td>" in html
    mh = views.melody_html(conversion.melody)
    n = len(conversion.melody.pitches)
    assert f"{n} sounded" in mh
    lo, hi = min(conversion.melody.pitches), max(conversion.melody.pitches)
    assert f"{views.note_name(lo)} - {views.note_name(hi)}" in mh


def test_analysis_view(conversion):
    html = views.analysis_html(conversion.analysis)
    a = conversion.analysis
    assert a.estimated_key in html and f"{a.span} semitones" in html
    assert f"confidence {a.key_confidence:.2f}" in html


def test_options_view_ranks_and_marks_the_chosen(conversion):
    rep = conversion.transposition
    html = views.options_html(rep)
    rows = re.findall(r"<tr( style='font-weight:bold')?><td>(\d+)</td>", html)
    assert [int(r[1]) for r in rows] == list(range(1, min(10, len(rep.options)) + 1))
    assert any(r[0] for r in rows)  # the chosen placement is in bold
    assert f"{rep.count('natural')} natural" in html


def test_tab_table_aligns_notes_tokens_and_lyrics(conversion):
    tab = conversion.tablature
    html = views.tab_html(tab)
    tokens = re.findall(r"<td style='[^']*font:bold 14px monospace'>([^<]*)</td>", html)
    assert tokens == [views.esc(t) for t in tab.tokens]
    notes = re.findall(r"<tr class='harptab-notes'>(.*?)</tr>", html)
    n_cells = sum(c.count("<td") for c in notes)
    assert n_cells == len(tab.tokens)
    assert html.count("harptab-tab-table") >= 2


def test_tab_table_lyrics_row(tmp_path, monkeypatch):
    monkeypatch.setenv("HARPTAB_HOME", str(tmp_path))
    from harptab_nb.pipeline.ocr import demo_tunes
    from harptab_nb.pipeline.runner import convert

    res = convert(demo_tunes()["aloha_oe"], output_dir=tmp_path, record_history=False)
    html = views.tab_html(res.tablature)
    lyrics = [n.lyric for n in res.tablature.notes if n.sounded and n.lyric]
    assert lyrics and "harptab-lyrics" in html
    assert views.esc(lyrics[0]) in html


def test_outputs_view_links_relative_when_inside_cwd(conversion, monkeypatch):
    outdir = conversion.outputs.pdf.parent
    monkeypatch.chdir(outdir.parent)
    html = views.outputs_html(conversion.outputs)
    rel = f"{outdir.name}/{conversion.outputs.pdf.name}"
    assert f"href='{views.esc(rel)}'" in html
    assert "harptab-download harptab-pdf" in html


def test_chart_and_history_views(conversion):
    html = views.mapping_html(conversion.mapping)  # key="auto": every key is a candidate
    assert "12 Richter harps to try: G, Ab," in html
    from harptab_nb.pipeline.mapping_load import load_mapping

    chart = views.mapping_html(load_mapping("diatonic", key="C"))
    assert "harptab-chart" in chart and "C4" in chart and "-3&#x27;&#x27;" in chart
    h = views.history_html([{"source": "a.xml", "status": "error", "finished_at": "t"}])
    assert "✗ error" in h and views.COLOURS["error"] in h
    assert "No conversions yet" in views.history_html([])
