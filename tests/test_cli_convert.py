"""``harptab convert`` / ``harptab history`` and the terminal views they use."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harptab_nb.cli import main
from harptab_nb.terminal import JsonLinesView, TerminalView, render_tree
from harptab_nb.tracker import STEPS, ProgressTracker, step_name, step_scope

ROOT = Path(__file__).resolve().parent.parent
TUNE = str(ROOT / "harptab_nb" / "data" / "aloha_oe.musicxml")
TOP_KEYS = {"session_id", "overall_progress", "elapsed_time", "current_step", "steps"}


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HARPTAB_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def run_cli(*args: str, env_home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HARPTAB_HOME": str(env_home), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "harptab_nb.cli", *args], capture_output=True,
                          text=True, env=env, timeout=120, cwd=ROOT)


def test_convert_writes_pdf_txt_json_and_shows_progress(tmp_path, home):
    out = tmp_path / "out"
    proc = run_cli("convert", TUNE, "-o", str(out), "--key", "auto", env_home=home)
    assert proc.returncode == 0, proc.stderr
    files = sorted(p.name for p in out.iterdir())
    assert files == ["Aloha_ʻOe.json", "Aloha_ʻOe.pdf", "Aloha_ʻOe.txt"]
    assert proc.stdout.splitlines() == [str((out / f).resolve()) for f in
                                        ("Aloha_ʻOe.pdf", "Aloha_ʻOe.txt", "Aloha_ʻOe.json")]
    assert (out / "Aloha_ʻOe.pdf").read_bytes().startswith(b"%PDF")
    data = json.loads((out / "Aloha_ʻOe.json").read_text(encoding="utf-8"))
    assert data["status"]["overall_progress"] == 100
    assert all(s["status"] == "completed" for s in data["status"]["steps"])
    assert data["harmonica"]["type"] == "diatonic" and data["notes"]
    # not a TTY: plain lines, one per status change, every step ticked, no escape codes
    err = proc.stderr
    assert "\x1b[" not in err
    for _sid, name, subs in STEPS:
        assert f"✓ {name}" in err
        for sub in subs:
            assert f"    ✓ {step_name(sub)}" in err
    assert "[100%] completed in" in err
    assert "Traceback" not in err


def test_status_json_lines(tmp_path, home):
    proc = run_cli("convert", TUNE, "-o", str(tmp_path / "o"), "--status-json", "--lang", "fr",
                   env_home=home)
    assert proc.returncode == 0, proc.stderr
    docs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(docs) >= 8
    for doc in docs:
        assert set(doc) == TOP_KEYS
    progress = [d["overall_progress"] for d in docs]
    assert progress == sorted(progress) and progress[0] < 100 and progress[-1] == 100
    assert docs[-1]["steps"][6]["name"] == "Génération PDF"
    assert all(s["status"] == "completed" for s in docs[-1]["steps"])
    assert len({d["session_id"] for d in docs}) == 1


def test_failure_is_one_line_and_nonzero(tmp_path, home):
    proc = run_cli("convert", str(tmp_path / "missing.abc"), "-o", str(tmp_path / "o"),
                   env_home=home)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("harptab: error: score file not found")
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()
    # --debug shows the traceback
    proc = run_cli("--debug", "convert", str(tmp_path / "missing.abc"), "-o",
                   str(tmp_path / "o"), env_home=home)
    assert proc.returncode != 0 and "Traceback" in proc.stderr
    assert "InputError" in proc.stderr


@pytest.mark.parametrize("args, words", [
    (["--harmonica", "banjo"], "unknown harmonica 'banjo'; choose one of diatonic, chromatic"),
    (["--max-bend", "7"], "--max-bend must be one of 0, 1, 2, 3"),
    (["--page-size", "A3"], "unknown page size 'A3'"),
    (["--key", "H#"], "H#"),
    (["--transpose", "sideways"], "transpose"),
])
def test_bad_options_one_line(args, words, tmp_path, capsys):
    rc = main(["convert", TUNE, "-o", str(tmp_path / "o"), *args])
    err = capsys.readouterr().err
    assert rc == 1
    lines = [ln for ln in err.splitlines() if ln.startswith("harptab:")]
    assert len(lines) == 1 and words in lines[0]
    assert not (tmp_path / "o").exists()


def _corrupt_xml(d: Path) -> Path:
    p = d / "cut.musicxml"
    text = Path(TUNE).read_text(encoding="utf-8")
    p.write_text(text[: len(text) // 3], encoding="utf-8")
    return p


def _blank_page_png(d: Path) -> Path:
    from PIL import Image

    p = d / "blank.png"
    Image.new("L", (600, 400), 255).save(p)
    return p


def _junk_png(d: Path) -> Path:
    p = d / "junk.png"
    p.write_bytes(b"\x89PNG not really" + bytes(range(256)) * 4)
    return p


@pytest.mark.parametrize("make, words", [
    (lambda d: d / "nonexistent.xml", "score file not found"),
    (_corrupt_xml, "could not be read as MusicXML"),
    (_blank_page_png, "blank.png"),
    (_junk_png, "junk.png"),
], ids=["missing", "corrupt-xml", "image-without-score", "corrupt-image"])
def test_failures_are_one_clear_line_traceback_only_with_debug(make, words, tmp_path, capsys):
    """What a user types by hand: each failure exits non-zero with one ``harptab:`` line
    naming the file, no traceback, nothing written; ``--debug`` (before or after the
    command) raises the typed error instead."""
    from harptab_nb.errors import HarptabError

    src = make(tmp_path)
    out = tmp_path / "o"
    rc = main(["convert", str(src), "-o", str(out)])
    err = capsys.readouterr().err
    assert rc != 0
    lines = [ln for ln in err.splitlines() if ln.startswith("harptab:")]
    assert len(lines) == 1 and lines[0].startswith("harptab: error: "), err
    assert words in lines[0] and err.strip().splitlines()[-1] == lines[0]
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())
    for argv in (["--debug", "convert", str(src), "-o", str(out)],
                 ["convert", str(src), "-o", str(out), "--debug"]):
        with pytest.raises(HarptabError) as info:
            main(argv)
        assert words in str(info.value)
    capsys.readouterr()


def test_status_json_failure_ends_with_the_error_status(tmp_path, capsys):
    rc = main(["convert", str(tmp_path / "gone.musicxml"), "--status-json",
               "-o", str(tmp_path / "o")])
    out, err = capsys.readouterr()
    assert rc == 1
    docs = [json.loads(line) for line in out.splitlines()]  # stdout: JSON lines only
    assert docs and all(set(d) == TOP_KEYS for d in docs)
    ocr = docs[-1]["steps"][0]
    assert ocr["status"] == "error" and "score file not found" in ocr["message"]
    assert all(s["status"] == "pending" for s in docs[-1]["steps"][1:])
    assert err.strip().splitlines() == [f"harptab: error: {ocr['message']}"]


def test_bad_input_in_process_names_the_step(tmp_path, capsys):
    bad = tmp_path / "bad.mxl"
    bad.write_text("not a zip")
    rc = main(["convert", str(bad), "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 1
    assert "✗ Music OCR" in err
    assert err.strip().splitlines()[-1].startswith("harptab: error: bad.mxl is not a valid .mxl")


def test_history_command(tmp_path, home, capsys):
    assert main(["history"]) == 0
    assert "no conversions yet" in capsys.readouterr().out
    assert main(["convert", TUNE, "-o", str(tmp_path / "o")]) == 0
    assert main(["convert", str(tmp_path / "nope.xml"), "-o", str(tmp_path / "o")]) == 1
    capsys.readouterr()
    assert main(["history"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["id", "finished", "(UTC)"]
    assert "error" in out[1] and "ocr: score file not found" in out[1]
    assert "completed" in out[2] and "Aloha_ʻOe.pdf" in out[2]
    assert main(["history", "--json", "--status", "completed"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["status"] for e in entries] == ["completed"]
    assert entries[0]["params"]["output_dir"] == str(tmp_path / "o")
    # a corrupt file: a warning, exit 0, and the next conversion still works
    (home / "history.sqlite3").write_bytes(b"garbage" * 100)
    assert main(["history"]) == 0
    captured = capsys.readouterr()
    assert "harptab: warning:" in captured.err and "no conversions yet" in captured.out
    assert main(["convert", TUNE, "-o", str(tmp_path / "o2")]) == 0


def test_ctrl_c_cancels_and_writes_nothing(tmp_path, home):
    out = tmp_path / "o"
    env = {**os.environ, "HARPTAB_HOME": str(home), "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "harptab_nb.cli", "convert", "corpus:airdsAirs/book1.abc#4",
         "-o", str(out), "--status-json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        while True:  # wait until the run is inside its first step
            doc = json.loads(proc.stdout.readline())
            if doc["current_step"] is not None:
                break
        assert doc["overall_progress"] < 100
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "harptab: cancelled"
    last = json.loads(stdout.strip().splitlines()[-1])
    assert any(s["status"] == "cancelled" for s in last["steps"])
    assert last["overall_progress"] < 100
    assert not out.exists() or not any(out.iterdir())


# ------------------------------------------------------------------ terminal views

def _full_run(tracker: ProgressTracker, *, fail_at: str | None = None) -> None:
    for sid, _name, subs in STEPS:
        with step_scope(tracker, sid, f"{sid} running") as st:
            for sub in subs:
                with st.substep(sub) as h:
                    h.done(f"{sub} done")
            if sid == fail_at:
                from harptab_nb.errors import HarptabError

                raise HarptabError("it broke here")
            st.done(f"{sid} done")


def test_live_view_redraws_in_place_and_ends_with_every_tick():
    tracker = ProgressTracker()
    buf = io.StringIO()
    with TerminalView(tracker, buf, live=True, colour=False) as view:
        _full_run(tracker)
    text = buf.getvalue()
    assert "\x1b[" in text  # cursor movement: redrawn in place
    last_frame = text.rsplit("\x1b[", 1)[0].split("F")[-1]
    final = render_tree(tracker.to_json(), durations=view.durations)
    assert final[0].startswith("harptab 100%")
    assert sum(line.lstrip().startswith("✓") for line in final) == 7 + 13
    assert "harptab 100%" in text and last_frame
    assert view.draws >= 2


def test_view_throttles_progress_but_not_status_changes():
    tracker = ProgressTracker()
    buf = io.StringIO()
    with TerminalView(tracker, buf, live=True) as view:
        tracker.start_step("ocr")
        tracker.start_substep("ocr", "ocr_process")
        start = view.draws
        t0 = time.monotonic()
        for i in range(10_000):
            tracker.update_substep_progress("ocr", "ocr_process", i % 100)
        elapsed = time.monotonic() - t0
        progress_draws = view.draws - start
        tracker.complete_substep("ocr", "ocr_process")
        assert view.draws == start + progress_draws + 1  # a status change always draws
    assert progress_draws <= elapsed / view.interval + 2
    assert progress_draws <= 50


def test_tick_shows_held_back_progress_and_moves_the_live_clock():
    tracker = ProgressTracker()
    buf = io.StringIO()
    with TerminalView(tracker, buf, live=True, interval=60) as view:
        tracker.start_step("ocr")
        tracker.start_substep("ocr", "ocr_process")
        tracker.update_substep_progress("ocr", "ocr_process", 37)  # throttled: not drawn
        assert "37%" not in buf.getvalue()
        view.tick()
        assert "37%" in buf.getvalue()  # the last progress shows
        n = view.draws
        view.tick()
        assert view.draws == n  # nothing new, clock shown is fresh: no redraw
        view._last_draw -= 1.5  # a long, silent substep: the shown clock is stale
        tracker._start -= 3
        view.tick()
        assert view.draws == n + 1 and "harptab   1%  3." in buf.getvalue()
    # a plain (log) view never prints a line for a tick
    log = io.StringIO()
    with TerminalView(tracker, log, live=False, interval=60) as plain:
        before = log.getvalue()
        tracker.update_substep_progress("ocr", "ocr_process", 80)
        plain.tick()
        assert log.getvalue() == before


def test_plain_view_error_and_ascii_fallback():
    tracker = ProgressTracker()
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", errors="strict")
    with pytest.raises(Exception, match="it broke"), TerminalView(tracker, stream) as view:
        _full_run(tracker, fail_at="analysis")
    stream.flush()
    text = raw.getvalue().decode("ascii")
    assert not view.live and "\x1b[" not in text
    assert "+ Music OCR" in text and "x Music Analysis" in text and "it broke here" in text
    assert "Loading Mapping" not in text  # pending steps are not printed
    assert text.strip().splitlines()[-1].startswith("[ 42%] error in")


def test_json_lines_view_final_line_is_the_final_status():
    tracker = ProgressTracker("jl")
    buf = io.StringIO()
    with JsonLinesView(tracker, buf):
        _full_run(tracker)
    lines = [json.loads(x) for x in buf.getvalue().splitlines()]
    assert lines[-1] == tracker.to_json()
    assert len(lines) == len({json.dumps(x) for x in lines})  # no duplicate lines


def test_engine_options_match_harptab_tab(tmp_path, capsys):
    """Same option names as ``harptab tab``: a user layout file, chromatic, fixed key."""
    layout = Path(__file__).resolve().parent.parent / "harptab_nb" / "layouts" / "country.toml"
    out = tmp_path / "o"
    assert main(["convert", TUNE, "-o", str(out), "--layout", str(layout), "--key", "G",
                 "--max-bend", "1", "--transpose", "none", "--name", "mine"]) == 0
    data = json.loads((out / "mine.json").read_text(encoding="utf-8"))
    assert data["harmonica"]["tuning"] == "country" and data["harmonica"]["key"] == "G"
    assert data["transpose_semitones"] == 0
    assert main(["convert", TUNE, "-o", str(out), "--harmonica", "chromatic", "--holes", "16",
                 "--name", "chrom"]) == 0
    data = json.loads((out / "chrom.json").read_text(encoding="utf-8"))
    assert data["harmonica"]["type"] == "chromatic" and data["harmonica"]["holes"] == 16
