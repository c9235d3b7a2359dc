"""Audiveris backend contract, driven by a stand-in executable.

The stand-in follows Audiveris' documented batch command line
(``audiveris -batch -export -output DIR -- FILE``) and writes a real compressed
MusicXML (.mxl) file made from a corpus tune; environment variables make it fail the
ways Audiveris can fail.
"""

from __future__ import annotations

import os
import stat
import sys
import zipfile
from pathlib import Path

import pytest

from harptab_nb import omr
from harptab_nb.omr import audiveris
from harptab_nb.omr import groundtruth as gt

STANDIN = r'''#!{python}
import os, sys, time, zipfile
from pathlib import Path
args = sys.argv[1:]
if len(args) != 6 or args[:3] != ["-batch", "-export", "-output"] or args[4] != "--":
    print("usage: audiveris -batch -export -output DIR -- FILE", file=sys.stderr)
    sys.exit(2)
out, src = Path(args[3]), Path(args[5])
mode = os.environ.get("STANDIN_MODE", "ok")
if not src.exists():
    print("no such input " + str(src), file=sys.stderr)
    sys.exit(1)
if mode.startswith("exit"):
    print("OMR failed: no staff detected", file=sys.stderr)
    sys.exit(int(mode[4:]))
if mode == "sleep":
    time.sleep(30)
if mode == "noexport":
    (out / src.stem).mkdir(parents=True, exist_ok=True)
    (out / src.stem / (src.stem + ".omr")).write_text("project")
    sys.exit(0)
xml = Path(os.environ["STANDIN_XML"]).read_text(encoding="utf-8")
movements = 2 if mode == "book" else 1
for k in range(1, movements + 1):
    name = src.stem + (".mvt%d" % k if movements > 1 else "")
    folder = out / src.stem / "book" if mode == "book" else out / src.stem
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / (name + ".mxl"), "w") as z:
        z.writestr("META-INF/container.xml",
            '<?xml version="1.0" encoding="UTF-8"?><container><rootfiles>'
            '<rootfile full-path="%s.xml" media-type="application/vnd.recordare.musicxml+xml"/>'
            '</rootfiles></container>' % name)
        z.writestr(name + ".xml", xml)
print("exported")
'''


@pytest.fixture()
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from music21 import converter

    _name, score = next(gt.corpus_tunes("airds", limit=1))
    xml = gt.to_musicxml(score)
    (tmp_path / "tune.xml").write_text(xml, encoding="utf-8")
    exe = tmp_path / "bin" / "audiveris"
    exe.parent.mkdir()
    exe.write_text(STANDIN.replace("{python}", sys.executable), encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    monkeypatch.setenv("STANDIN_XML", str(tmp_path / "tune.xml"))
    monkeypatch.setenv("STANDIN_MODE", "ok")
    page = tmp_path / "page.png"
    page.write_bytes(b"\x89PNG\r\n\x1a\n")  # the stand-in does not look inside
    truth = gt.events(converter.parseData(xml, format="musicxml"))
    return exe, page, truth


def test_env_var_names_the_program(standin, monkeypatch: pytest.MonkeyPatch) -> None:
    exe, page, truth = standin
    monkeypatch.setenv("HARPTAB_AUDIVERIS", str(exe))
    assert audiveris.find_audiveris() == str(exe)
    seen = []
    score, warnings = omr.recognize(page, backend="audiveris", progress=lambda p, m: seen.append(p))
    assert gt.events(score) == truth
    assert seen[0] == 0.0 and seen[-1] == 100.0
    # auto prefers Audiveris when it is there
    score2, _ = omr.recognize(page, backend="auto")
    assert gt.events(score2) == truth


def test_found_on_path(standin, monkeypatch: pytest.MonkeyPatch) -> None:
    exe, page, truth = standin
    monkeypatch.delenv("HARPTAB_AUDIVERIS", raising=False)
    monkeypatch.setenv("PATH", str(exe.parent) + os.pathsep + os.environ.get("PATH", ""))
    assert audiveris.find_audiveris() == str(exe)
    score, _ = omr.recognize(page, backend="audiveris")
    assert len(gt.events(score)) == len(truth)


@pytest.mark.parametrize("code", [1, 2, 3])
def test_exit_codes_are_clear_errors(standin, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    exe, page, _ = standin
    monkeypatch.setenv("HARPTAB_AUDIVERIS", str(exe))
    monkeypatch.setenv("STANDIN_MODE", f"exit{code}")
    with pytest.raises(audiveris.AudiverisFailed, match=f"exit code {code}") as exc:
        omr.recognize(page, backend="audiveris")
    assert "no staff detected" in str(exc.value)
    assert exc.value.step == "ocr"


def test_missing_export(standin, monkeypatch: pytest.MonkeyPatch) -> None:
    exe, page, _ = standin
    monkeypatch.setenv("HARPTAB_AUDIVERIS", str(exe))
    monkeypatch.setenv("STANDIN_MODE", "noexport")
    with pytest.raises(audiveris.AudiverisNoOutput, match=r"no MusicXML \(\.mxl\)"):
        omr.recognize(page, backend="audiveris")


def test_timeout(standin, monkeypatch: pytest.MonkeyPatch) -> None:
    exe, page, _ = standin
    monkeypatch.setenv("STANDIN_MODE", "sleep")
    with pytest.raises(audiveris.AudiverisTimeout, match="within 1 s"):
        audiveris.recognize_audiveris(page, executable=str(exe), timeout=1)


def test_several_movements_found_deep_in_the_output(standin, monkeypatch: pytest.MonkeyPatch) -> None:
    exe, page, truth = standin
    monkeypatch.setenv("STANDIN_MODE", "book")
    score, warnings = audiveris.recognize_audiveris(page, executable=str(exe))
    assert len(gt.events(score)) == 2 * len(truth)
    assert any("2 movements" in w.message for w in warnings)


def test_absent_is_reported_and_builtin_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    monkeypatch.delenv("HARPTAB_AUDIVERIS", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert audiveris.find_audiveris() is None
    _name, score = next(gt.corpus_tunes("airds", limit=1))
    page = tmp_path / "page.png"
    Image.fromarray(gt.render_verovio(gt.to_musicxml(score))[0]).save(page)
    with pytest.raises(audiveris.AudiverisMissing, match="Audiveris is not installed"):
        omr.recognize(page, backend="audiveris")
    result, warnings = omr.recognize(page, backend="auto")
    assert "Audiveris not found" in warnings[0].message
    assert len(list(result.recurse().notes)) > 20
    monkeypatch.setenv("HARPTAB_AUDIVERIS", str(tmp_path / "no-such-program"))
    assert audiveris.find_audiveris() is None


def test_standin_writes_a_real_mxl(standin, tmp_path: Path) -> None:
    exe, page, _ = standin
    import subprocess

    out = tmp_path / "out"
    out.mkdir()
    subprocess.run([str(exe), "-batch", "-export", "-output", str(out), "--", str(page)], check=True)
    (mxl,) = list(out.rglob("*.mxl"))
    with zipfile.ZipFile(mxl) as z:
        assert "<score-partwise" in z.read("page.xml").decode()
    bad = subprocess.run([str(exe), "-export", str(page)], capture_output=True)
    assert bad.returncode == 2
