"""Progress model of a conversion: seven steps, their substeps, one status JSON.

PROVISIONAL minimal version (API contract only); the full thread-safe tracker with
events, cancellation and the expiring registry replaces the internals, keeping
these names.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from .errors import Cancelled, HarptabError

STEPS = (
    ("ocr", "Music OCR", ("ocr_init", "ocr_process", "ocr_parse")),
    ("melody", "Melody Extraction", ("melody_select", "melody_extract")),
    ("analysis", "Music Analysis", ("analysis_key", "analysis_range")),
    ("mapping_load", "Loading Mapping", ()),
    ("transpose", "Transposition", ("transpose_check", "transpose_apply")),
    ("tablature", "Tablature Generation", ("tablature_map", "tablature_optimize")),
    ("pdf", "PDF Generation", ("pdf_format", "pdf_compile")),
)


class ProgressTracker:
    def __init__(self, session_id: str = "local", lang: str = "en") -> None:
        self.session_id = session_id
        self._lock = threading.RLock()
        self._start = time.monotonic()
        self._cancel = threading.Event()
        self.steps = {
            sid: {"id": sid, "name": name, "status": "pending", "progress": 0, "message": "",
                  "substeps": {s: {"id": s, "name": s, "status": "pending", "progress": 0,
                                   "message": ""} for s in subs}}
            for sid, name, subs in STEPS
        }
        self.current_step = None

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise Cancelled("conversion cancelled")

    def cancel(self) -> None:
        self._cancel.set()

    def start_step(self, step_id, message=""):
        with self._lock:
            self.steps[step_id].update(status="in_progress", message=message)
            self.current_step = step_id

    def complete_step(self, step_id, message=""):
        with self._lock:
            self.steps[step_id].update(status="completed", message=message, progress=100)

    def error_step(self, step_id, message=""):
        with self._lock:
            self.steps[step_id].update(status="error", message=message)

    def start_substep(self, step_id, sub_id, message=""):
        with self._lock:
            self.steps[step_id]["substeps"][sub_id].update(status="in_progress", message=message)

    def complete_substep(self, step_id, sub_id, message=""):
        with self._lock:
            self.steps[step_id]["substeps"][sub_id].update(
                status="completed", message=message, progress=100)

    def error_substep(self, step_id, sub_id, message=""):
        with self._lock:
            self.steps[step_id]["substeps"][sub_id].update(status="error", message=message)

    def update_substep_progress(self, step_id, sub_id, progress, message=None):
        with self._lock:
            d = self.steps[step_id]["substeps"][sub_id]
            d["progress"] = int(progress)
            if message is not None:
                d["message"] = message


class _SubHandle:
    def __init__(self, tracker, step_id, sub_id):
        self.tracker, self.step_id, self.sub_id = tracker, step_id, sub_id
        self.message = ""

    def done(self, message: str) -> None:
        """Message shown when the substep completes ("47 notes read")."""
        self.message = message

    def progress(self, percent: float, message: str | None = None) -> None:
        self.tracker.update_substep_progress(self.step_id, self.sub_id, percent, message)


class _StepHandle:
    def __init__(self, tracker, step_id):
        self.tracker, self.step_id = tracker, step_id
        self.message = ""

    def done(self, message: str) -> None:
        self.message = message

    @contextmanager
    def substep(self, sub_id: str, message: str = ""):
        self.tracker.check_cancelled()
        self.tracker.start_substep(self.step_id, sub_id, message)
        h = _SubHandle(self.tracker, self.step_id, sub_id)
        try:
            yield h
        except HarptabError as exc:
            self.tracker.error_substep(self.step_id, sub_id, str(exc))
            raise
        self.tracker.complete_substep(self.step_id, sub_id, h.message or message)


@contextmanager
def step_scope(tracker: ProgressTracker | None, step_id: str, message: str = ""):
    """Run one step under ``tracker``: start, substeps, complete, or error + re-raise.

    A :class:`HarptabError` inside marks the step ``error`` with its message and
    propagates; :class:`Cancelled` marks it ``cancelled``. With ``tracker=None`` a
    private tracker is used, so step code is the same either way.
    """
    tracker = tracker if tracker is not None else ProgressTracker("standalone")
    tracker.check_cancelled()
    tracker.start_step(step_id, message)
    h = _StepHandle(tracker, step_id)
    try:
        yield h
    except HarptabError as exc:
        if exc.step is None or exc.step != step_id:
            exc.step = step_id
        tracker.error_step(step_id, str(exc))
        raise
    tracker.complete_step(step_id, h.message or message)
