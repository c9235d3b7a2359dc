"""History of conversions: parameters, final status and outputs, in a SQLite file.

The file lives in the user data folder (``$HARPTAB_HOME`` when set, else the platform's
data folder, e.g. ``~/.local/share/harptab``) so it survives restarts. Recording never
blocks a conversion: a corrupt file is moved aside and a fresh one started; any other
failure (read-only folder, locked file) is logged and the conversion goes on.

``harptab_nb.history()`` (this module is callable) returns the entries, newest first.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
import threading
import time
import types
import warnings
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["HistoryEntry", "data_dir", "history_path", "record", "history", "list_history",
           "clear_history"]

log = logging.getLogger(__name__)

DB_NAME = "history.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    elapsed REAL,
    source TEXT NOT NULL,
    title TEXT,
    status TEXT NOT NULL,
    failed_step TEXT,
    message TEXT,
    params TEXT NOT NULL,
    outputs TEXT NOT NULL
)
"""
_COLUMNS = ("id", "session_id", "started_at", "finished_at", "elapsed", "source", "title",
            "status", "failed_step", "message", "params", "outputs")
_write_lock = threading.Lock()  # one writer per process; SQLite handles other processes


@dataclass(frozen=True)
class HistoryEntry:
    """One past conversion. ``params`` and ``outputs`` are plain dicts (paths as text)."""

    id: int
    session_id: str
    started_at: str
    finished_at: str | None
    elapsed: float | None
    source: str
    title: str | None
    status: str
    failed_step: str | None
    message: str | None
    params: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The entry as a JSON-ready dict."""
        return asdict(self)


def data_dir() -> Path:
    """The user data folder: ``$HARPTAB_HOME`` or the platform default."""
    env = os.environ.get("HARPTAB_HOME")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "harptab"


def history_path() -> Path:
    """Path of the SQLite history file."""
    return data_dir() / DB_NAME


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=10.0)
    conn.execute(_SCHEMA)  # raises DatabaseError on a corrupt file
    return conn


def _jsonable(value: Any) -> Any:
    """Parameters as JSON-friendly values (paths and odd objects become text)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)


def _now_iso(ts: float | None = None) -> str:
    return datetime.fromtimestamp(ts if ts is not None else time.time(), tz=timezone.utc
                                  ).isoformat(timespec="seconds")


def record(
    *,
    session_id: str,
    source: str,
    status: str,
    params: dict | None = None,
    outputs: dict | None = None,
    title: str | None = None,
    failed_step: str | None = None,
    message: str | None = None,
    started_at: float | None = None,
    elapsed: float | None = None,
) -> int | None:
    """Append one conversion; returns its id, or None if it could not be stored.

    Never raises: a corrupt history file is renamed ``history.sqlite3.corrupt-<time>``
    and a fresh file started; other failures are logged as warnings.
    """
    row = (
        session_id, _now_iso(started_at), _now_iso(), elapsed, str(source), title, status,
        failed_step, message, json.dumps(_jsonable(params or {}), ensure_ascii=False),
        json.dumps(_jsonable(outputs or {}), ensure_ascii=False),
    )
    sql = ("INSERT INTO conversions (session_id, started_at, finished_at, elapsed, source, "
           "title, status, failed_step, message, params, outputs) "
           "VALUES (?,?,?,?,?,?,?,?,?,?,?)")
    try:
        path = history_path()
        with _write_lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            for attempt in (1, 2):
                try:
                    conn = _connect(path)
                    try:
                        with conn:
                            cur = conn.execute(sql, row)
                        return int(cur.lastrowid)
                    finally:
                        conn.close()
                except sqlite3.DatabaseError as exc:
                    if attempt == 2 or not _is_corrupt(exc):
                        raise
                    _move_aside(path)
    except Exception as exc:  # history must never block a conversion
        log.warning("harptab: could not record the conversion in the history (%s)", exc)
    return None


_CORRUPT_WORDS = ("not a database", "malformed", "corrupt",
                  # a SQLite file of another program (or an old layout) under our name
                  "has no column named", "no such column")


def _is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    """True when the file is not a history we can use (then it is moved aside)."""
    text = str(exc).lower()
    return any(w in text for w in _CORRUPT_WORDS)


def _move_aside(path: Path) -> None:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    log.warning("harptab: history file %s is corrupt; moved to %s", path, target.name)
    for suffix in ("-journal", "-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.unlink()
    path.replace(target)


def list_history(limit: int | None = None, *, status: str | None = None
                 ) -> list[HistoryEntry]:
    """Past conversions, newest first (``limit`` most recent; optional ``status`` filter).

    A missing file gives ``[]``; a corrupt one gives ``[]`` with a warning (the next
    conversion replaces it).
    """
    path = history_path()
    if not path.exists():
        return []
    sql = f"SELECT {', '.join(_COLUMNS)} FROM conversions"
    args: list[Any] = []
    if status is not None:
        sql += " WHERE status = ?"
        args.append(status)
    sql += " ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(int(limit))
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10.0)
        try:
            rows = conn.execute(sql, args).fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        warnings.warn(f"harptab history file {path} is unreadable ({exc}); "
                      "it will be replaced by the next conversion", stacklevel=2)
        return []
    out = []
    for r in rows:
        d = dict(zip(_COLUMNS, r, strict=True))
        d["params"] = _loads(d["params"])
        d["outputs"] = _loads(d["outputs"])
        out.append(HistoryEntry(**d))
    return out


def _loads(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def clear_history() -> int:
    """Delete every entry; returns how many went."""
    path = history_path()
    if not path.exists():
        return 0
    with _write_lock:
        conn = _connect(path)
        try:
            with conn:
                n = conn.execute("DELETE FROM conversions").rowcount
        finally:
            conn.close()
    return int(n)


class _CallableModule(types.ModuleType):
    """Makes ``harptab_nb.history()`` work although ``harptab_nb.history`` is this module."""

    def __call__(self, limit: int | None = None, *, status: str | None = None
                 ) -> list[HistoryEntry]:
        """Past conversions, newest first (see :func:`list_history`)."""
        return list_history(limit, status=status)


sys.modules[__name__].__class__ = _CallableModule
#: ``history`` is this (callable) module itself, so ``harptab_nb.history``,
#: ``from harptab_nb.history import history`` and ``import harptab_nb.history`` all name
#: the same object, whichever way the package exports it.
history = sys.modules[__name__]
