"""``harptab convert page.png`` and ``harptab convert score.pdf``: a printed page to a tab.

The page is a real corpus tune engraved by verovio; the test reads the tab JSON the CLI
wrote and checks that its source pitches follow the tune as written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("cairosvg")

from harptab_nb.cli import main  # noqa: E402
from harptab_nb.omr import groundtruth as gt  # noqa: E402


@pytest.fixture(scope="module")
def page_and_truth():
    from music21 import converter

    _name, score = next(gt.corpus_tunes("airds", limit=1))
    xml = gt.to_musicxml(score)
    truth = [m for m, _ in gt.events(converter.parseData(xml, format="musicxml")) if m is not None]
    return gt.render_verovio(xml, "Leipzig")[0], truth


def _pitch_accuracy(truth: list[int], found: list[int]) -> float:
    return gt.accuracy([(m, 1.0) for m in truth], [(m, 1.0) for m in found])[0]


@pytest.mark.parametrize("suffix", ["png", "pdf"])
def test_convert_printed_page_gives_a_tab(page_and_truth, suffix, tmp_path: Path, capsys,
                                          monkeypatch) -> None:
    from PIL import Image

    monkeypatch.setenv("HARPTAB_HOME", str(tmp_path / "home"))
    gray, truth = page_and_truth
    src = tmp_path / f"page.{suffix}"
    Image.fromarray(gray).save(src, **({"resolution": 300.0} if suffix == "pdf" else {}))
    out = tmp_path / "out"
    code = main(["convert", str(src), "--key", "auto", "-o", str(out), "--name", "tune"])
    assert code == 0, capsys.readouterr().err
    assert {p.name for p in out.iterdir()} == {"tune.pdf", "tune.txt", "tune.json"}
    doc = json.loads((out / "tune.json").read_text("utf-8"))
    assert doc["status"]["overall_progress"] == 100
    assert {s["status"] for s in doc["status"]["steps"]} == {"completed"}
    sounded = [n["source_midi"] for n in doc["notes"] if n["tab"]]
    assert _pitch_accuracy(truth, sounded) >= 0.98
    assert all(n["tab"] != "X" for n in doc["notes"])  # key=auto finds a harp for it all
    assert (out / "tune.pdf").read_bytes().startswith(b"%PDF")
