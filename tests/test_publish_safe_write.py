"""Safe output writing: sanitized names, atomic replace, clear errors, no half files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harptab_nb.errors import OutputError
from harptab_nb.publish.safe_write import (
    atomic_path,
    ensure_folder,
    output_path,
    safe_name,
    write_all,
    write_bytes,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("title,expected", [
    ("Frère Jacques", "Frère_Jacques"),
    ("Ständchen (D 957/4)", "Ständchen_(D_957_4)"),
    ("../../etc/passwd", "etc_passwd"),
    ("a/b\\c:d*e?f", "a_b_c_d_e_f"),
    ("..", "tablature"),
    ("", "tablature"),
    ("   ", "tablature"),
    (".hidden", "hidden"),
    ("CON", "CON_tablature"),
    ("I'll Touzle your Kurchy.", "I'll_Touzle_your_Kurchy"),
    ("Fête / ../Test", "Fête_Test"),
    ("Op. 3 No. 2", "Op._3_No._2"),
])
def test_safe_name(title, expected):
    name = safe_name(title)
    assert name == expected
    assert "/" not in name and "\\" not in name and ".." not in name


def test_long_titles_are_cut_to_a_valid_name():
    name = safe_name("é" * 400)
    assert 0 < len(name.encode()) <= 120


@pytest.mark.parametrize("title", ["../escape", "../../x/../../y", "/abs/path", "a/../../b",
                                   "..\\..\\win", "\x00nul\x1fctl"])
def test_unsafe_titles_stay_in_the_folder(tmp_path, title):
    out = tmp_path / "out"
    path = output_path(ensure_folder(out), title, ".pdf")
    assert path.parent == out.resolve()
    write_bytes(path, b"data")
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [path.name]


def test_atomic_write_replaces_and_failure_keeps_previous(tmp_path):
    target = tmp_path / "tune.pdf"
    write_bytes(target, b"first")
    write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half a fi")
            raise RuntimeError("crash while writing")
    assert target.read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["tune.pdf"]


def test_write_all_is_all_or_nothing(tmp_path):
    a, b = tmp_path / "t.pdf", tmp_path / "t.txt"
    write_all([(a, b"A1"), (b, b"B1")])

    def files():
        yield a, b"A2"
        raise RuntimeError("the second file could not be laid out")

    with pytest.raises(RuntimeError):
        write_all(files())
    assert (a.read_bytes(), b.read_bytes()) == (b"A1", b"B1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.pdf", "t.txt"]


def _make_read_only(folder: Path) -> bool:
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return True
    chattr = shutil.which("chattr")  # root ignores permission bits: use the immutable flag
    if chattr and subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode == 0:
        return True
    return False


def _undo_read_only(folder: Path) -> None:
    if os.geteuid() != 0:
        folder.chmod(0o755)
    else:
        subprocess.run([shutil.which("chattr") or "chattr", "-i", str(folder)],
                       capture_output=True)


def test_read_only_folder_gives_clear_error_and_no_partial_file(tmp_path):
    import json
    import sys as _sys

    _sys.path.insert(0, str(ROOT / "tests"))
    from publish_helpers import corpus_melody, make_tab

    from harptab_nb.pipeline.pdf import write_outputs

    mel = corpus_melody("airdsAirs/book1.abc#4")
    tab = make_tab(mel)
    out = tmp_path / "out"
    first = write_outputs(tab, output_dir=out, melody=mel, layout="text")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    if not _make_read_only(out):
        pytest.skip("cannot make a folder read-only here (root without chattr)")
    try:
        with pytest.raises(OutputError) as err:
            write_outputs(tab, output_dir=out, melody=mel, layout="text",
                          json_extra={"run": 2})
        msg = str(err.value)
        assert str(out) in msg and ("read-only" in msg or "permission" in msg)
        assert err.value.step == "pdf"
    finally:
        _undo_read_only(out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert "run" not in json.loads(first.json.read_text())


def test_full_disk_gives_clear_error_and_keeps_previous_outputs(tmp_path):
    """A real write failure: the process file-size limit makes the OS refuse (EFBIG)
    past 20 KB, as a full disk would; run in a child process."""
    out = tmp_path / "out"
    code = f"""
import resource, signal, sys, json
sys.path.insert(0, {str(ROOT / 'tests')!r})
from publish_helpers import corpus_melody, make_tab
from harptab_nb.pipeline.pdf import write_outputs
from harptab_nb.errors import OutputError
mel = corpus_melody('airdsAirs/book1.abc#4'); tab = make_tab(mel)
write_outputs(tab, output_dir={str(out)!r}, melody=mel, layout='text')
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
try:
    write_outputs(tab, output_dir={str(out)!r}, melody=mel, layout='staff')
except OutputError as exc:
    print('ERROR', exc)
"""
    before_names = None
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ERROR"), proc.stdout
    assert "disk is full or a file size limit" in proc.stdout
    names = sorted(p.name for p in out.iterdir())
    before_names = ["I'll_Touzle_your_Kurchy.json", "I'll_Touzle_your_Kurchy.pdf",
                    "I'll_Touzle_your_Kurchy.txt"]
    assert names == before_names  # no .part file left, previous outputs kept
    from pypdfium2 import PdfDocument

    assert len(PdfDocument(out / "I'll_Touzle_your_Kurchy.pdf")) == 1  # still the good one
