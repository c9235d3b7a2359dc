"""Step ``pdf`` (write_outputs): files, substeps, formats, re-runs, errors."""

from __future__ import annotations

import json

import pytest
from publish_helpers import corpus_melody, make_tab, page_texts

from harptab_nb.errors import OptionError, OutputError
from harptab_nb.pipeline.pdf import OutputFiles, write_outputs
from harptab_nb.tracker import ProgressTracker


@pytest.fixture(scope="module")
def tune():
    mel = corpus_melody("airdsAirs/book1.abc#4")
    return make_tab(mel), mel


def test_default_outputs_and_substeps(tmp_path, tune):
    tab, mel = tune
    tracker = ProgressTracker("pdf-test")
    out = write_outputs(tab, output_dir=tmp_path / "out", melody=mel, tracker=tracker)
    assert isinstance(out, OutputFiles)
    assert out.pdf.name == "I'll_Touzle_your_Kurchy.pdf" and out.musicxml is None
    assert out.pdf.parent == (tmp_path / "out").resolve()
    assert out.warnings == ()
    assert out.pdf.read_bytes().startswith(b"%PDF-")
    assert "I'll Touzle your Kurchy." in page_texts(out.pdf.read_bytes())[0]
    assert json.loads(out.json.read_text()) == tab.to_json()
    assert out.txt.read_text().startswith("# I'll Touzle your Kurchy.")
    step = next(s for s in tracker.to_json()["steps"] if s["id"] == "pdf")
    assert step["status"] == "completed"
    assert [s["id"] for s in step["substeps"]] == ["pdf_format", "pdf_compile"]
    assert all(s["status"] == "completed" and s["message"] for s in step["substeps"])


def test_all_formats_and_name(tmp_path, tune):
    tab, mel = tune
    out = write_outputs(tab, output_dir=tmp_path, name="../my tune", melody=mel,
                        layout="text", formats=("pdf", "txt", "json", "musicxml", "md", "html"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"my_tune.{ext}" for ext in ("pdf", "txt", "json", "musicxml", "md", "html"))
    assert out.musicxml.read_text().lstrip().startswith("<?xml")
    assert [p.suffix for p in out.extra] == [".md", ".html"]
    assert out.paths == [out.pdf, out.txt, out.json, out.musicxml, *out.extra]


def test_rerun_replaces_own_outputs(tmp_path, tune):
    tab, mel = tune
    first = write_outputs(tab, output_dir=tmp_path, melody=mel, layout="text",
                          json_extra={"status": {"run": 1}})
    second = write_outputs(tab, output_dir=tmp_path, melody=mel, layout="text",
                           json_extra={"status": {"run": 2}})
    assert first.paths == second.paths
    assert json.loads(second.json.read_text())["status"] == {"run": 2}
    assert len(list(tmp_path.iterdir())) == 3  # no temp files, no duplicates


def test_bad_options_fail_before_writing(tmp_path, tune):
    tab, mel = tune
    tracker = ProgressTracker("bad")
    for kwargs, match in (({"formats": ("pdf", "docx")}, "docx"),
                          ({"layout": "pretty"}, "staff, text"),
                          ({"page_size": "A3"}, "A4, Letter"),
                          ({"json_extra": {"notes": []}}, "notes")):
        with pytest.raises(OptionError, match=match):
            write_outputs(tab, output_dir=tmp_path / "o", melody=mel, tracker=tracker, **kwargs)
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_output_dir_that_is_a_file(tmp_path, tune):
    tab, _ = tune
    blocker = tmp_path / "file"
    blocker.write_text("x")
    tracker = ProgressTracker("blocked")
    with pytest.raises(OutputError, match="cannot write|not a folder"):
        write_outputs(tab, output_dir=blocker, tracker=tracker, layout="text")
    step = next(s for s in tracker.to_json()["steps"] if s["id"] == "pdf")
    assert step["status"] == "error" and step["message"]


def test_works_without_melody(tmp_path, tune):
    tab, _ = tune
    out = write_outputs(tab, output_dir=tmp_path, formats=("pdf",))
    assert out.txt is None and out.json is None
    assert out.pdf.stat().st_size > 10_000 and out.warnings == ()


@pytest.mark.parametrize("title", ["../../escape", "AC/DC: Back/Forth", "..", "/etc/passwd"])
def test_titles_with_path_characters_stay_in_the_folder(tmp_path, tune, title):
    """The file name comes from the score's title, which nobody checked: it can never
    point outside the output folder nor be a hidden or empty name."""
    from dataclasses import replace

    tab, _ = tune
    out = tmp_path / "out"
    files = write_outputs(replace(tab, title=title), output_dir=out, layout="text")
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert sorted(written) == sorted(files.paths)
    for p in files.paths:
        assert p.parent == out.resolve() and not p.name.startswith(".")
        assert "/" not in p.stem and ".." not in p.stem
