"""Audiveris backend: run the Audiveris program in batch mode and read its MusicXML.

Contract (Audiveris 5.x command line)::

    audiveris -batch -export -output TMPDIR -- FILE

then every ``.mxl`` found anywhere under ``TMPDIR`` (layouts differ between versions;
a book with several movements gives several files, joined here in name order).
The program is ``HARPTAB_AUDIVERIS`` when set, else ``audiveris`` on ``PATH``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import InputError, ScoreReadError
from .model import OmrWarning

__all__ = [
    "ENV_VAR",
    "DEFAULT_TIMEOUT",
    "MISSING_MESSAGE",
    "AudiverisError",
    "AudiverisMissing",
    "AudiverisFailed",
    "AudiverisTimeout",
    "AudiverisNoOutput",
    "find_audiveris",
    "recognize_audiveris",
]

ENV_VAR = "HARPTAB_AUDIVERIS"
DEFAULT_TIMEOUT = 600.0
MISSING_MESSAGE = (
    "Audiveris is not installed: put 'audiveris' on PATH or set HARPTAB_AUDIVERIS to the "
    "program (it needs Java), or use the built-in reader with ocr_backend='builtin'"
)


class AudiverisError(ScoreReadError):
    """Audiveris could not read the score."""


class AudiverisMissing(InputError):
    """The Audiveris backend was asked for but the program is not there."""


class AudiverisFailed(AudiverisError):
    """Audiveris ended with an error exit code."""


class AudiverisTimeout(AudiverisError):
    """Audiveris did not finish in time."""


class AudiverisNoOutput(AudiverisError):
    """Audiveris ended normally but exported no MusicXML."""


#: what Audiveris' batch exit codes mean, as far as a user can act on them
EXIT_MEANINGS = {
    1: "it reported an error while reading the score",
    2: "its command line or a file it needed was refused",
    3: "it could not transcribe the score",
}


def find_audiveris() -> str | None:
    """Path of the Audiveris program, or None when it is not installed."""
    named = os.environ.get(ENV_VAR, "").strip()
    if named:
        p = Path(named).expanduser()
        if p.is_file() and os.access(p, os.X_OK):
            return str(p)
        found = shutil.which(named)
        return found
    return shutil.which("audiveris")


def _join(scores: list[Any]) -> Any:
    """One score from several movements: the first part of each, one after the other."""
    from music21 import stream

    if len(scores) == 1:
        return scores[0]
    out = stream.Score()
    part = stream.Part(id="P1")
    number = 1
    for s in scores:
        parts = list(s.parts) or [s]
        for m in parts[0].getElementsByClass(stream.Measure):
            m.number = number
            number += 1
            part.append(m)
    out.insert(0, part)
    return out


def recognize_audiveris(
    path: str | Path,
    *,
    executable: str | None = None,
    progress: Callable[[float, str], None] | None = None,
    timeout: float | None = None,
) -> tuple[Any, list[OmrWarning]]:
    """Run Audiveris on ``path``; returns ``(music21 Score, warnings)``."""
    from music21 import converter

    exe = executable or find_audiveris()
    if exe is None:
        raise AudiverisMissing(MISSING_MESSAGE)
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist")
    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    warnings: list[OmrWarning] = []
    if progress:
        progress(0.0, f"Audiveris reading {path.name}")
    with tempfile.TemporaryDirectory(prefix="harptab-audiveris-") as tmp:
        cmd = [exe, "-batch", "-export", "-output", tmp, "--", str(path)]
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired as exc:
            raise AudiverisTimeout(
                f"Audiveris did not finish reading {path.name} within {timeout:g} s"
            ) from exc
        except OSError as exc:
            raise AudiverisFailed(f"Audiveris could not be started ({exe}): {exc}") from exc
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout or "").strip().splitlines()
            detail = f": {tail[-1]}" if tail else ""
            meaning = EXIT_MEANINGS.get(proc.returncode, "it failed")
            raise AudiverisFailed(
                f"Audiveris could not read {path.name} (exit code {proc.returncode}, "
                f"{meaning}){detail}"
            )
        files = sorted(Path(tmp).rglob("*.mxl"))
        if not files:
            raise AudiverisNoOutput(
                f"Audiveris exported no MusicXML (.mxl) for {path.name}: "
                "it found no music it could transcribe"
            )
        scores = []
        for f in files:
            try:
                scores.append(converter.parse(str(f), format="musicxml"))
            except Exception as exc:  # noqa: BLE001 - any parse failure is the same to the user
                raise AudiverisError(
                    f"Audiveris wrote {f.name} but it could not be read: {exc}"
                ) from exc
    if len(scores) > 1:
        warnings.append(
            OmrWarning(f"Audiveris found {len(scores)} movements: joined in order", kind="backend")
        )
    if progress:
        progress(100.0, f"Audiveris read {path.name}")
    return _join(scores), warnings
