"""Conversion history in SQLite: survives restarts, never blocks a conversion."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest

import harptab_nb
from harptab_nb import history as hist


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HARPTAB_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _rec(**kw):
    args = dict(session_id="s1", source="tune.abc", status="completed",
                params={"key": "C", "path": Path("/x/y")}, outputs={"pdf": "/o/t.pdf"},
                title="Tune", elapsed=0.5)
    args.update(kw)
    return hist.record(**args)


def test_record_and_list_newest_first(home):
    assert hist.history() == []
    a = _rec(session_id="a")
    b = _rec(session_id="b", status="error", failed_step="ocr", message="score file not found")
    assert a is not None and b == a + 1
    assert hist.history_path() == home / "history.sqlite3"
    entries = hist.history()
    assert [e.session_id for e in entries] == ["b", "a"]
    e = entries[0]
    assert e.status == "error" and e.failed_step == "ocr"
    assert e.message == "score file not found"
    assert entries[1].params == {"key": "C", "path": "/x/y"}
    assert entries[1].outputs == {"pdf": "/o/t.pdf"}
    assert e.started_at.endswith("+00:00") and e.elapsed == 0.5
    assert [x.session_id for x in hist.history(limit=1)] == ["b"]
    assert [x.session_id for x in hist.history(status="completed")] == ["a"]
    json.dumps(e.to_dict())


def test_package_level_history_is_callable(home):
    _rec(session_id="pkg")
    # harptab_nb.history is the submodule (imported above) and is callable
    entries = harptab_nb.history()
    assert [e.session_id for e in entries] == ["pkg"]
    # every way of naming it gives the same callable object
    from harptab_nb.history import history as by_name

    assert by_name is hist and hist.history is hist and callable(hist)
    assert hist.list_history() == entries
    assert harptab_nb.history(limit=1)[0].session_id == "pkg"


def test_survives_a_restart(home):
    _rec(session_id="before-restart")
    code = ("import harptab_nb.history as h; "
            "print([e.session_id for e in h.history()])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "['before-restart']"


def test_corrupt_file_is_moved_aside_and_recording_goes_on(home):
    home.mkdir(parents=True)
    path = home / "history.sqlite3"
    path.write_bytes(b"this is not a sqlite database" * 100)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert hist.history() == []
    assert any("unreadable" in str(w.message) for w in caught)
    new_id = _rec(session_id="after-corruption")
    assert new_id == 1
    assert [e.session_id for e in hist.history()] == ["after-corruption"]
    aside = list(home.glob("history.sqlite3.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not")


def test_a_foreign_sqlite_file_is_moved_aside_too(home):
    """A valid SQLite file without our columns (another program's, an old layout):
    listing warns, the next record moves it aside and starts a fresh history."""
    import sqlite3

    home.mkdir(parents=True)
    conn = sqlite3.connect(home / "history.sqlite3")
    conn.execute("CREATE TABLE conversions (x TEXT)")
    conn.commit()
    conn.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert hist.history() == []
    assert any("replaced by the next conversion" in str(w.message) for w in caught)
    assert _rec(session_id="fresh") == 1
    assert [e.session_id for e in hist.history()] == ["fresh"]
    assert len(list(home.glob("history.sqlite3.corrupt-*"))) == 1


def test_unwritable_home_never_raises(tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("HARPTAB_HOME", str(blocker / "sub"))
    assert _rec() is None
    assert "could not record" in caplog.text
    assert hist.history() == []


def test_default_folder_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv("HARPTAB_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert hist.data_dir() == tmp_path / "xdg" / "harptab"


def test_concurrent_records_all_stored(home):
    def work(i: int) -> None:
        for j in range(10):
            assert _rec(session_id=f"t{i}-{j}") is not None

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = {e.session_id for e in hist.history()}
    assert ids == {f"t{i}-{j}" for i in range(8) for j in range(10)}


def test_clear_history(home):
    _rec()
    _rec()
    assert hist.clear_history() == 2
    assert hist.history() == []


def test_tests_never_touch_the_real_user_history():
    """tests/conftest.py gives every test its own HARPTAB_HOME, also for subprocesses."""
    import os

    real = Path.home() / ".local" / "share" / "harptab"
    assert hist.data_dir() != real
    assert not str(hist.history_path()).startswith(str(real))
    code = "import harptab_nb.history as h; print(h.history_path())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == str(Path(os.environ["HARPTAB_HOME"]) / "history.sqlite3")


def test_a_conversion_records_in_harptab_home_and_the_next_process_lists_it(home, tmp_path):
    from harptab_nb.pipeline.runner import convert

    res = convert("demo:aloha_oe", output_dir=tmp_path / "o")
    assert (home / "history.sqlite3").exists()
    code = ("import harptab_nb, json; e = harptab_nb.history()[0]; "
            "print(json.dumps([e.session_id, e.status, e.outputs['pdf']]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert json.loads(out) == [res.session_id, "completed", str(res.pdf)]
