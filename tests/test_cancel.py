"""Cancelling a conversion: it stops at the next boundary, ends ``cancelled``, writes nothing."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from harptab_nb.errors import Cancelled
from harptab_nb.pipeline.runner import convert
from harptab_nb.tracker import STEP_IDS, STEPS, ProgressTracker

TUNE = str(Path(__file__).resolve().parent.parent / "harptab_nb" / "data" / "aloha_oe.musicxml")
SUBSTEPS = dict((sid, subs) for sid, _n, subs in STEPS)


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HARPTAB_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _cancel_when(tracker: ProgressTracker, step: str, substep: str | None = None) -> None:
    """Cancel from inside the run, the moment ``step`` (or its ``substep``) starts."""

    def listener(event: dict) -> None:
        if (event["step"] == step and event["substep"] == substep
                and event["changes"].get("status") == "in_progress"):
            tracker.cancel()

    tracker.subscribe(listener)


def _assert_cancelled(res, out: Path, stopped_at: str) -> None:
    doc = res.tracker.to_json()
    status = {s["id"]: s["status"] for s in doc["steps"]}
    i = STEP_IDS.index(stopped_at)
    assert res.status == "cancelled" and isinstance(res.error, Cancelled)
    assert res.failed_step == stopped_at
    assert status[stopped_at] == "cancelled"
    assert all(status[s] == "completed" for s in STEP_IDS[:i])
    assert all(status[s] == "pending" for s in STEP_IDS[i + 1:])
    assert res.tracker.status == "cancelled" and res.tracker.finished
    assert doc["overall_progress"] < 100
    assert not any(sub["status"] == "in_progress" for s in doc["steps"] for sub in s["substeps"])
    assert not out.exists() or not any(out.iterdir()), "a cancelled run wrote files"
    assert res.outputs is None


@pytest.mark.parametrize("step", STEP_IDS)
def test_cancel_at_each_step_stops_at_the_next_boundary(step, tmp_path):
    tracker = ProgressTracker(f"cancel-{step}")
    _cancel_when(tracker, step)
    out = tmp_path / "out"
    res = convert(TUNE, output_dir=out, tracker=tracker, raise_on_error=False)
    # a step with substeps stops at its first substep; mapping_load has none, so the
    # next boundary is the start of transpose
    stopped_at = step if SUBSTEPS[step] else STEP_IDS[STEP_IDS.index(step) + 1]
    _assert_cancelled(res, out, stopped_at)
    if SUBSTEPS[stopped_at]:
        subs = res.tracker.to_json()["steps"][STEP_IDS.index(stopped_at)]["substeps"]
        assert all(s["status"] == "pending" for s in subs)


def test_cancel_between_pdf_layout_and_writing_leaves_no_file(tmp_path):
    tracker = ProgressTracker()
    _cancel_when(tracker, "pdf", "pdf_format")
    out = tmp_path / "out"
    res = convert(TUNE, output_dir=out, tracker=tracker, raise_on_error=False)
    _assert_cancelled(res, out, "pdf")
    subs = {s["id"]: s["status"] for s in res.tracker.to_json()["steps"][6]["substeps"]}
    assert subs == {"pdf_format": "completed", "pdf_compile": "pending"}


def test_cancel_from_another_thread_mid_run(tmp_path, home):
    """The UI thread cancels while the worker is inside the melody step."""
    tracker = ProgressTracker("ui-cancel")
    in_melody = threading.Event()
    cancelled = threading.Event()

    def listener(event: dict) -> None:
        if event["substep"] == "melody_select" and event["changes"].get("status") == "in_progress":
            in_melody.set()
            assert cancelled.wait(10)  # hold the worker until the UI has cancelled

    tracker.subscribe(listener)
    out = tmp_path / "out"
    handle = convert(TUNE, output_dir=out, tracker=tracker, background=True)
    assert in_melody.wait(30)
    assert not handle.done()
    handle.cancel()
    cancelled.set()
    with pytest.raises(Cancelled) as info:
        handle.result(timeout=30)
    assert handle.done()
    res = info.value.result
    assert res is handle.partial
    # melody_select was already running: it finishes, melody_extract never starts
    _assert_cancelled(res, out, "melody")
    subs = res.tracker.to_json()["steps"][1]["substeps"]
    assert [s["status"] for s in subs] == ["completed", "pending"]
    from harptab_nb import history

    entry = history.history(limit=1)[0]
    assert entry.status == "cancelled" and entry.failed_step == "melody"
    assert entry.outputs == {}


def test_cancel_before_start(tmp_path):
    tracker = ProgressTracker()
    tracker.cancel()
    with pytest.raises(Cancelled):
        convert(TUNE, output_dir=tmp_path / "out", tracker=tracker)
    assert tracker.step_status("ocr") == "cancelled"
    assert all(tracker.step_status(s) == "pending" for s in STEP_IDS[1:])


def test_cancel_after_the_end_changes_nothing(tmp_path):
    handle = convert(TUNE, output_dir=tmp_path / "out", background=True)
    res = handle.result(timeout=60)
    handle.cancel()
    assert res.status == "completed" and handle.tracker.status == "completed"
    assert res.pdf.exists()
