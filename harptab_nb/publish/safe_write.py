"""Write output files safely: sanitized names, temp file + rename, clear errors.

Notebook users re-run conversions all the time, and titles come from untrusted score
files. So a name derived from a title can never leave the output folder, a file is
either the complete new version or the previous good one (never half written), and a
read-only or full folder raises :class:`~harptab_nb.errors.OutputError` saying which
folder and why.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import OutputError

#: Longest file stem we produce (bytes are what file systems limit: 255 per name).
MAX_STEM_BYTES = 120

_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
             *(f"lpt{i}" for i in range(1, 10))}
_BAD_CHARS = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_SPACES = re.compile(r"[\s_]+")


def safe_name(title: str | None, default: str = "tablature") -> str:
    """A file stem made from ``title`` that is safe on every OS and stays in its folder.

    Keeps letters with accents (``"Frère Jacques"`` -> ``"Frère_Jacques"``), drops path
    separators, control characters and characters Windows forbids, collapses dots so
    ``..`` cannot appear, and never returns an empty, hidden or reserved name.
    """
    text = unicodedata.normalize("NFC", str(title or ""))
    text = _BAD_CHARS.sub(" ", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = re.sub(r"(^|\s)\.+(?=\s|$)", r"\1", text)  # a lone dot left of "a/../b"
    text = _SPACES.sub("_", text.strip())
    text = text.strip("._- ")
    while len(text.encode("utf-8")) > MAX_STEM_BYTES:
        text = text[:-1]
    text = text.rstrip("._- ")
    if not text or text.lower() in _RESERVED:
        text = default if text.lower() not in _RESERVED else f"{text}_{default}"
    return text


def output_path(output_dir: str | os.PathLike, stem: str, suffix: str) -> Path:
    """``output_dir/stem.suffix`` after checking it really lies inside ``output_dir``."""
    folder = Path(output_dir).resolve()
    path = (folder / f"{safe_name(stem)}{suffix}").resolve()
    if path.parent != folder:
        raise OutputError(f"refusing to write {path}: outside the output folder {folder}")
    return path


def ensure_folder(output_dir: str | os.PathLike) -> Path:
    """Create the output folder if needed and check we may write in it."""
    folder = Path(output_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(_explain(exc, folder)) from exc
    if not folder.is_dir():
        raise OutputError(f"output folder {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write to output folder {folder}: it is read-only")
    return folder


def _explain(exc: OSError, where: Path) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return (f"cannot write to {where}: the disk is full or a file size limit was "
                f"reached ({exc.strerror})")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write to {where}: permission denied / read-only ({exc.strerror})"
    return f"cannot write to {where}: {exc.strerror or exc}"


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success rename it over ``path``.

    The temp file lives in the same folder (so the rename is atomic on one file
    system). If the block raises, the temp file is removed and ``path`` is untouched.
    """
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise OutputError(_explain(exc, target.parent)) from exc
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    except OSError as exc:
        _unlink(tmp_path)
        raise OutputError(_explain(exc, target)) from exc
    except BaseException:
        _unlink(tmp_path)
        raise


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file, fsync, rename)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return write_bytes(path, text.encode("utf-8"))


def write_all(files: Iterable[tuple[str | os.PathLike, bytes]]) -> list[Path]:
    """Write several files so that either all new versions land or none does.

    Every file is first written to its temp name; only when all succeeded are they
    renamed into place. On a failure the temp files are removed and the previous
    outputs stay as they were.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files:
            target = Path(path)
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                           dir=target.parent)
            except OSError as exc:
                raise OutputError(_explain(exc, target.parent)) from exc
            staged.append((Path(tmp), target))
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(tmp, 0o644)
            except OSError as exc:
                raise OutputError(_explain(exc, target)) from exc
        for tmp, target in staged:
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise OutputError(_explain(exc, target)) from exc
    except BaseException:
        for tmp, _ in staged:
            _unlink(tmp)
        raise
    return [t for _, t in staged]


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError:  # pragma: no cover - nothing more we can do
        pass
