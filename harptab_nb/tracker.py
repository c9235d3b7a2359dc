"""Progress model of a conversion: seven steps, their substeps, one status JSON.

A :class:`ProgressTracker` is a thread-safe model, nothing more: it never draws.
Views (terminal, notebook widget, ``--status-json``) call :meth:`ProgressTracker.subscribe`
and receive small events that carry only what changed, or read the whole status with
:meth:`ProgressTracker.to_json`. Steps record their work through :func:`step_scope`.

The module-level registry (:func:`create_tracker`, :func:`get_tracker`,
:func:`remove_tracker`) keeps one tracker per session; finished trackers expire after
their keep time, swept lazily on registry access (no timer thread).
"""

from __future__ import annotations

import collections
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .errors import Cancelled, HarptabError

__all__ = [
    "STEPS",
    "STEP_IDS",
    "STATUSES",
    "ProgressTracker",
    "Subscription",
    "step_scope",
    "step_name",
    "create_tracker",
    "get_tracker",
    "remove_tracker",
    "list_trackers",
    "expire_trackers",
    "DEFAULT_KEEP_SECONDS",
]

log = logging.getLogger(__name__)

#: (step id, English name, substep ids) in run order. Ids are a contract.
STEPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("ocr", "Music OCR", ("ocr_init", "ocr_process", "ocr_parse")),
    ("melody", "Melody Extraction", ("melody_select", "melody_extract")),
    ("analysis", "Music Analysis", ("analysis_key", "analysis_range")),
    ("mapping_load", "Loading Mapping", ()),
    ("transpose", "Transposition", ("transpose_check", "transpose_apply")),
    ("tablature", "Tablature Generation", ("tablature_map", "tablature_optimize")),
    ("pdf", "PDF Generation", ("pdf_format", "pdf_compile")),
)
STEP_IDS: tuple[str, ...] = tuple(s[0] for s in STEPS)

#: display names per language, for steps and substeps
NAMES: dict[str, dict[str, str]] = {
    "en": {
        "ocr": "Music OCR",
        "melody": "Melody Extraction",
        "analysis": "Music Analysis",
        "mapping_load": "Loading Mapping",
        "transpose": "Transposition",
        "tablature": "Tablature Generation",
        "pdf": "PDF Generation",
        "ocr_init": "Choosing the reader",
        "ocr_process": "Reading the score",
        "ocr_parse": "Building and counting",
        "melody_select": "Choosing the melody part",
        "melody_extract": "Extracting the line",
        "analysis_key": "Key",
        "analysis_range": "Range",
        "transpose_check": "Checking harps and keys",
        "transpose_apply": "Transposing",
        "tablature_map": "Mapping notes to holes",
        "tablature_optimize": "Optimizing the path",
        "pdf_format": "Layout",
        "pdf_compile": "Writing files",
    },
    "fr": {
        "ocr": "OCR Musical",
        "melody": "Extraction Mélodie",
        "analysis": "Analyse Musicale",
        "mapping_load": "Chargement Mapping",
        "transpose": "Transposition",
        "tablature": "Génération Tablature",
        "pdf": "Génération PDF",
        "ocr_init": "Choix du lecteur",
        "ocr_process": "Lecture de la partition",
        "ocr_parse": "Construction et comptage",
        "melody_select": "Choix de la voix mélodique",
        "melody_extract": "Extraction de la ligne",
        "analysis_key": "Tonalité",
        "analysis_range": "Tessiture",
        "transpose_check": "Vérification des harmonicas et tonalités",
        "transpose_apply": "Transposition",
        "tablature_map": "Correspondance notes-trous",
        "tablature_optimize": "Optimisation du jeu",
        "pdf_format": "Mise en page",
        "pdf_compile": "Écriture des fichiers",
    },
}

PENDING, IN_PROGRESS, COMPLETED, ERROR, CANCELLED = (
    "pending", "in_progress", "completed", "error", "cancelled",
)
STATUSES: tuple[str, ...] = (PENDING, IN_PROGRESS, COMPLETED, ERROR, CANCELLED)
#: run-level statuses (``ProgressTracker.status``)
RUN_STATUSES: tuple[str, ...] = ("pending", "running", "completed", "error", "cancelled")

DEFAULT_KEEP_SECONDS = 300.0

Listener = Callable[[dict], Any]


def step_name(item_id: str, lang: str = "en") -> str:
    """Display name of a step or substep id in ``lang`` ("en" or "fr")."""
    table = NAMES.get(lang)
    if table is None:
        from .errors import OptionError

        raise OptionError(f"unknown language {lang!r}; choose one of: {', '.join(NAMES)}")
    return table.get(item_id, item_id)


class Subscription:
    """Handle returned by :meth:`ProgressTracker.subscribe`; call it (or ``.unsubscribe()``)
    to stop receiving events. Also a context manager."""

    __slots__ = ("_tracker", "_token", "active")

    def __init__(self, tracker: ProgressTracker, token: int) -> None:
        self._tracker = tracker
        self._token = token
        self.active = True

    def unsubscribe(self) -> None:
        """Stop the events (idempotent)."""
        if self.active:
            self._tracker._unsubscribe(self._token)
            self.active = False

    __call__ = unsubscribe

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.unsubscribe()


class ProgressTracker:
    """Thread-safe progress of one conversion: 7 steps, their substeps, one status JSON.

    Every mutating method may be called from any thread. Listeners are called outside
    the state lock, in event order (``seq``), possibly from whichever thread produced
    a later event; a listener that raises is logged and skipped, never breaks the run.
    """

    def __init__(
        self,
        session_id: str | None = None,
        lang: str = "en",
        *,
        keep_seconds: float = DEFAULT_KEEP_SECONDS,
    ) -> None:
        step_name("ocr", lang)  # validates lang
        self.session_id = session_id if session_id is not None else uuid.uuid4().hex[:12]
        self.lang = lang
        self.keep_seconds = float(keep_seconds)
        self._lock = threading.Lock()
        self._dispatch_lock = threading.Lock()
        # queued events, each with the tokens of the listeners subscribed when it happened
        self._pending_events: collections.deque[tuple[dict, tuple[int, ...]]] = (
            collections.deque())
        self._listeners: dict[int, Listener] = {}
        self._next_token = 0
        self._cancel = threading.Event()
        self._ended = threading.Event()
        self._start = time.monotonic()
        self._ended_at: float | None = None
        self._version = 0
        self._seq = 0
        self._status = "pending"
        self.current_step: str | None = None
        self._steps: dict[str, dict] = {}
        self._subs: dict[tuple[str, str], dict] = {}
        for sid, _name, subs in STEPS:
            step = {
                "id": sid, "name": step_name(sid, lang), "status": PENDING,
                "progress": 0, "message": "", "substeps": [],
            }
            for sub in subs:
                d = {"id": sub, "name": step_name(sub, lang), "status": PENDING,
                     "progress": 0, "message": ""}
                step["substeps"].append(d)
                self._subs[(sid, sub)] = d
            self._steps[sid] = step
        self._last_overall = 0

    # ----------------------------------------------------------------- reading
    def __repr__(self) -> str:
        return (f"<ProgressTracker {self.session_id!r} {self.status} "
                f"{self.overall_progress}%>")

    @property
    def status(self) -> str:
        """Run status: pending, running, completed, error or cancelled."""
        return self._status

    @property
    def finished(self) -> bool:
        """True once the run ended (all steps completed, an error, or cancelled)."""
        return self._ended.is_set()

    @property
    def cancel_requested(self) -> bool:
        """True once :meth:`cancel` was called (until :meth:`reset_cancel`)."""
        return self._cancel.is_set()

    @property
    def version(self) -> int:
        """Number of state changes so far (each change bumps it by exactly one)."""
        return self._version

    @property
    def elapsed(self) -> float:
        """Seconds since the tracker was created, frozen when the run ended."""
        end = self._ended_at if self._ended_at is not None else time.monotonic()
        return max(0.0, end - self._start)

    @property
    def overall_progress(self) -> int:
        """Progress of the whole run, 0-100 (mean of the seven steps)."""
        with self._lock:
            return self._overall_locked()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ends; returns False on timeout."""
        return self._ended.wait(timeout)

    def to_json(self) -> dict:
        """The status JSON (a fresh dict, safe to keep or ``json.dumps``)."""
        with self._lock:
            return self._json_locked()

    get_status = to_json

    def _json_locked(self) -> dict:
        steps = [
            {"id": st["id"], "name": st["name"], "status": st["status"],
             "progress": self._step_progress_locked(st), "message": st["message"],
             "substeps": [dict(s) for s in st["substeps"]]}
            for st in self._steps.values()
        ]
        return {
            "session_id": self.session_id,
            "overall_progress": self._overall_locked(),
            "elapsed_time": int(self.elapsed),
            "current_step": self.current_step,
            "steps": steps,
        }

    def step_status(self, step_id: str) -> str:
        """Status of one step (pending, in_progress, completed, error, cancelled)."""
        with self._lock:
            return self._step(step_id)["status"]

    def substep_status(self, step_id: str, sub_id: str) -> str:
        """Status of one substep."""
        with self._lock:
            return self._sub(step_id, sub_id)["status"]

    # ------------------------------------------------------------ progress math
    @staticmethod
    def _step_progress_locked(st: dict) -> int:
        if st["status"] == COMPLETED:
            return 100
        subs = st["substeps"]
        if not subs:
            return st["progress"]
        total = 0
        for s in subs:
            total += 100 if s["status"] == COMPLETED else s["progress"]
        return total // len(subs)

    def _overall_locked(self) -> int:
        total = 0
        for st in self._steps.values():
            total += self._step_progress_locked(st)
        return total // len(self._steps)

    # ------------------------------------------------------------ subscription
    def subscribe(self, callback: Listener, *, replay: bool = False) -> Subscription:
        """Call ``callback(event)`` on every change; returns the unsubscribe handle.

        An event is a dict: ``seq``, ``session_id``, ``type`` ("step", "substep" or
        "run"), ``step`` and ``substep`` ids (or None), ``changes`` (only the fields that
        changed) and, when they changed, ``overall_progress``, ``current_step``,
        ``status`` (run status) and ``elapsed_time`` (when the run ends). With
        ``replay=True`` a first ``type="snapshot"`` event carries the whole status; it is
        taken atomically with the subscription, so the events that follow are exactly
        the changes since the snapshot, even while other threads update the tracker.
        """
        with self._lock:
            token = self._next_token
            self._next_token += 1
            self._listeners[token] = callback
            self._last_overall = self._overall_locked()  # events report changes from now
            if replay:
                snap = {"seq": self._seq, "session_id": self.session_id, "type": "snapshot",
                        "step": None, "substep": None, "changes": {},
                        "status_json": self._json_locked(), "status": self._status}
                self._pending_events.append((snap, (token,)))
        if replay:
            self._after()
        return Subscription(self, token)

    def _unsubscribe(self, token: int) -> None:
        with self._lock:
            self._listeners.pop(token, None)

    @staticmethod
    def _call(cb: Listener, event: dict) -> None:
        try:
            cb(event)
        except Exception:  # a broken view must never break the conversion
            log.exception("tracker listener %r raised; ignored", cb)

    def _queue(self, event: dict) -> None:
        """Queue ``event`` for the listeners subscribed now. Call with the lock held."""
        self._pending_events.append((event, tuple(self._listeners)))

    def _dispatch(self) -> None:
        """Deliver queued events in order; one thread delivers at a time. Each event
        goes to the listeners subscribed when it happened and still subscribed."""
        while self._pending_events:
            if not self._dispatch_lock.acquire(blocking=False):
                return  # the thread holding it delivers our event too
            try:
                while True:
                    with self._lock:
                        if not self._pending_events:
                            break
                        batch = list(self._pending_events)
                        self._pending_events.clear()
                        listeners = dict(self._listeners)
                    for event, tokens in batch:
                        for token in tokens:
                            cb = listeners.get(token)
                            if cb is not None and token in self._listeners:
                                self._call(cb, event)
            finally:
                self._dispatch_lock.release()

    # ----------------------------------------------------------------- mutation
    def _step(self, step_id: str) -> dict:
        try:
            return self._steps[step_id]
        except KeyError:
            from .errors import OptionError

            raise OptionError(
                f"unknown step {step_id!r}; steps are: {', '.join(STEP_IDS)}"
            ) from None

    def _sub(self, step_id: str, sub_id: str) -> dict:
        try:
            return self._subs[(step_id, sub_id)]
        except KeyError:
            self._step(step_id)
            from .errors import OptionError

            valid = ", ".join(s for (p, s) in self._subs if p == step_id) or "(none)"
            raise OptionError(
                f"unknown substep {sub_id!r} of step {step_id!r}; substeps are: {valid}"
            ) from None

    def _apply(
        self,
        target: dict,
        changes: dict,
        kind: str,
        step_id: str | None,
        sub_id: str | None,
        *,
        current_step: str | None = None,
        run_status: str | None = None,
    ) -> None:
        """Apply ``changes`` to ``target`` (under the lock) and queue an event if anything
        changed. Must be called with ``self._lock`` held."""
        changed = {k: v for k, v in changes.items() if target.get(k) != v}
        run: dict[str, Any] = {}
        if current_step is not None and current_step != self.current_step:
            self.current_step = current_step
            run["current_step"] = current_step
        if run_status is not None and run_status != self._status:
            self._status = run_status
            run["status"] = run_status
            if run_status in ("completed", "error", "cancelled"):
                if self._ended_at is None:
                    self._ended_at = time.monotonic()
                run["elapsed_time"] = int(self.elapsed)
                self._ended.set()
            elif run_status == "running" and self._ended.is_set():
                self._ended_at = None  # a step re-run after the end: the clock runs again
                self._ended.clear()
        if not changed and not run:
            return
        target.update(changed)
        self._version += 1
        if not self._listeners:
            return
        self._seq += 1
        overall = self._overall_locked()
        if overall != self._last_overall:
            self._last_overall = overall
            run["overall_progress"] = overall
        event = {"seq": self._seq, "session_id": self.session_id, "type": kind,
                 "step": step_id, "substep": sub_id, "changes": changed}
        event.update(run)
        self._queue(event)

    def _after(self) -> None:
        if self._pending_events:
            self._dispatch()

    def start_step(self, step_id: str, message: str = "") -> None:
        """Mark ``step_id`` in progress (the run starts or continues).

        Starting a step again (a re-run in a notebook) resets its progress and substeps.
        """
        with self._lock:
            st = self._step(step_id)
            for sub in st["substeps"]:
                self._apply(sub, {"status": PENDING, "progress": 0, "message": ""},
                            "substep", step_id, sub["id"])
            self._apply(st, {"status": IN_PROGRESS, "message": message, "progress": 0},
                        "step", step_id, None, current_step=step_id, run_status="running")
        self._after()

    def update_step_progress(self, step_id: str, progress: float,
                             message: str | None = None) -> None:
        """Progress (0-100) of a step without substeps (e.g. ``mapping_load``).

        The progress of a step with substeps is theirs, and a completed step stays at
        100: for those only the message changes (the JSON and the events agree).
        """
        changes: dict[str, Any] = {"progress": _clamp(progress)}
        if message is not None:
            changes["message"] = message
        with self._lock:
            st = self._step(step_id)
            if st["substeps"] or st["status"] == COMPLETED:
                del changes["progress"]
            self._apply(st, changes, "step", step_id, None)
        self._after()

    def complete_step(self, step_id: str, message: str = "") -> None:
        """Mark ``step_id`` completed; when all seven are, the run is completed."""
        with self._lock:
            st = self._step(step_id)
            all_done = all(s["status"] == COMPLETED or s is st for s in self._steps.values())
            self._apply(st, {"status": COMPLETED, "message": message, "progress": 100},
                        "step", step_id, None,
                        run_status="completed" if all_done else None)
        self._after()

    def error_step(self, step_id: str, message: str = "") -> None:
        """Mark ``step_id`` failed with ``message``; the run ends in error."""
        with self._lock:
            st = self._step(step_id)
            self._apply(st, {"status": ERROR, "message": message}, "step", step_id, None,
                        current_step=step_id, run_status="error")
        self._after()

    def cancel_step(self, step_id: str, message: str = "cancelled") -> None:
        """Mark ``step_id`` (and its running substeps) cancelled; the run ends cancelled."""
        with self._lock:
            st = self._step(step_id)
            for sub in st["substeps"]:
                if sub["status"] == IN_PROGRESS:
                    self._apply(sub, {"status": CANCELLED}, "substep", step_id, sub["id"])
            self._apply(st, {"status": CANCELLED, "message": message}, "step", step_id, None,
                        current_step=step_id, run_status="cancelled")
        self._after()

    def start_substep(self, step_id: str, sub_id: str, message: str = "") -> None:
        """Mark substep ``sub_id`` of ``step_id`` in progress."""
        with self._lock:
            sub = self._sub(step_id, sub_id)
            self._apply(sub, {"status": IN_PROGRESS, "message": message, "progress": 0},
                        "substep", step_id, sub_id)
        self._after()

    def update_substep_progress(self, step_id: str, sub_id: str, progress: float,
                                message: str | None = None) -> None:
        """Progress (0-100) inside a long substep, optionally with a new message.

        A completed substep stays at 100 (only its message can still change)."""
        changes: dict[str, Any] = {"progress": _clamp(progress)}
        if message is not None:
            changes["message"] = message
        with self._lock:
            sub = self._sub(step_id, sub_id)
            if sub["status"] == COMPLETED:
                del changes["progress"]
            self._apply(sub, changes, "substep", step_id, sub_id)
        self._after()

    def complete_substep(self, step_id: str, sub_id: str, message: str = "") -> None:
        """Mark a substep completed (progress 100) with its result ``message``."""
        with self._lock:
            self._apply(self._sub(step_id, sub_id),
                        {"status": COMPLETED, "message": message, "progress": 100},
                        "substep", step_id, sub_id)
        self._after()

    def error_substep(self, step_id: str, sub_id: str, message: str = "") -> None:
        """Mark a substep failed with ``message`` (the step reports the error itself)."""
        with self._lock:
            self._apply(self._sub(step_id, sub_id), {"status": ERROR, "message": message},
                        "substep", step_id, sub_id)
        self._after()

    # ------------------------------------------------------------- cancellation
    def cancel(self) -> None:
        """Ask the run to stop: :class:`Cancelled` is raised at the next step or substep
        boundary (:meth:`check_cancelled`). No effect once the run has ended."""
        if self._cancel.is_set() or self._ended.is_set():
            return
        self._cancel.set()
        with self._lock:
            self._version += 1
            if self._listeners:
                self._seq += 1
                self._queue(
                    {"seq": self._seq, "session_id": self.session_id, "type": "run",
                     "step": None, "substep": None, "changes": {"cancel_requested": True}})
        self._after()

    def check_cancelled(self) -> None:
        """Raise :class:`Cancelled` if :meth:`cancel` was called."""
        if self._cancel.is_set():
            raise Cancelled("conversion cancelled")

    def reset_cancel(self) -> None:
        """Clear a cancel request (before re-running steps on the same tracker)."""
        self._cancel.clear()


def _clamp(value: float) -> int:
    v = int(value)
    return 0 if v < 0 else 100 if v > 100 else v


# --------------------------------------------------------------------- step API
class _SubHandle:
    """What a step sees inside ``st.substep(...)``."""

    __slots__ = ("tracker", "step_id", "sub_id", "message")

    def __init__(self, tracker: ProgressTracker, step_id: str, sub_id: str) -> None:
        self.tracker, self.step_id, self.sub_id = tracker, step_id, sub_id
        self.message = ""

    def done(self, message: str) -> None:
        """Message shown when the substep completes ("47 notes read")."""
        self.message = message

    def progress(self, percent: float, message: str | None = None) -> None:
        """Progress inside a long substep (0-100)."""
        self.tracker.update_substep_progress(self.step_id, self.sub_id, percent, message)


class _StepHandle:
    """What a step sees inside ``step_scope(...)``."""

    __slots__ = ("tracker", "step_id", "message")

    def __init__(self, tracker: ProgressTracker, step_id: str) -> None:
        self.tracker, self.step_id = tracker, step_id
        self.message = ""

    def done(self, message: str) -> None:
        """Message shown when the step completes."""
        self.message = message

    def progress(self, percent: float, message: str | None = None) -> None:
        """Progress of a step without substeps (0-100)."""
        self.tracker.update_step_progress(self.step_id, percent, message)

    @contextmanager
    def substep(self, sub_id: str, message: str = "") -> Iterator[_SubHandle]:
        """Run one substep: cancellation is checked first; an exception marks it error
        (or cancelled) and propagates to the step."""
        tracker = self.tracker
        tracker._sub(self.step_id, sub_id)  # unknown id -> OptionError before anything
        tracker.check_cancelled()
        tracker.start_substep(self.step_id, sub_id, message)
        h = _SubHandle(tracker, self.step_id, sub_id)
        try:
            yield h
        except Cancelled:
            raise  # step_scope marks the step and its running substeps cancelled
        except BaseException as exc:
            tracker.error_substep(self.step_id, sub_id, _message(exc))
            raise
        tracker.complete_substep(self.step_id, sub_id, h.message or message)


def _message(exc: BaseException) -> str:
    if isinstance(exc, HarptabError):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@contextmanager
def step_scope(
    tracker: ProgressTracker | None, step_id: str, message: str = ""
) -> Iterator[_StepHandle]:
    """Run one step under ``tracker``: start, substeps, complete, or error + re-raise.

    A :class:`HarptabError` inside marks the step ``error`` with its message and
    propagates (``exc.step`` is set to this step); :class:`Cancelled` marks it
    ``cancelled``; any other exception also marks it ``error`` so no step is left
    ``in_progress``. With ``tracker=None`` a private tracker is used, so step code is
    the same either way.
    """
    tracker = tracker if tracker is not None else ProgressTracker("standalone")
    tracker._step(step_id)
    try:
        tracker.check_cancelled()
    except Cancelled as exc:
        exc.step = step_id
        tracker.cancel_step(step_id)
        raise
    tracker.start_step(step_id, message)
    h = _StepHandle(tracker, step_id)
    try:
        yield h
    except Cancelled as exc:
        exc.step = step_id
        tracker.cancel_step(step_id)
        raise
    except HarptabError as exc:
        exc.step = step_id
        tracker.error_step(step_id, str(exc))
        raise
    except KeyboardInterrupt:
        tracker.cancel_step(step_id, "interrupted")
        raise
    except BaseException as exc:
        tracker.error_step(step_id, _message(exc))
        raise
    tracker.complete_step(step_id, h.message or message)


# --------------------------------------------------------------------- registry
_registry: dict[str, ProgressTracker] = {}
_registry_lock = threading.Lock()


def _sweep_locked(now: float) -> int:
    expired = [
        sid for sid, t in _registry.items()
        if t._ended_at is not None and now - t._ended_at >= t.keep_seconds
    ]
    for sid in expired:
        del _registry[sid]
    return len(expired)


def expire_trackers(now: float | None = None) -> int:
    """Drop finished trackers older than their keep time; returns how many went.

    Called on every registry access, so no timer thread is needed; ``now`` is a
    ``time.monotonic()`` value (tests pass a future time).
    """
    with _registry_lock:
        return _sweep_locked(time.monotonic() if now is None else now)


def create_tracker(
    session_id: str | None = None,
    lang: str = "en",
    *,
    keep_seconds: float = DEFAULT_KEEP_SECONDS,
) -> ProgressTracker:
    """Create and register the tracker of ``session_id`` (a fresh id when None).

    An existing tracker with the same id is replaced.
    """
    tracker = ProgressTracker(session_id, lang, keep_seconds=keep_seconds)
    with _registry_lock:
        _sweep_locked(time.monotonic())
        _registry[tracker.session_id] = tracker
    return tracker


def get_tracker(session_id: str) -> ProgressTracker | None:
    """The registered tracker of ``session_id``, or None (unknown or expired)."""
    with _registry_lock:
        _sweep_locked(time.monotonic())
        return _registry.get(session_id)


def remove_tracker(session_id: str) -> bool:
    """Forget the tracker of ``session_id``; True if there was one."""
    with _registry_lock:
        _sweep_locked(time.monotonic())
        return _registry.pop(session_id, None) is not None


def list_trackers() -> list[str]:
    """Session ids currently registered (after expiring old finished ones)."""
    with _registry_lock:
        _sweep_locked(time.monotonic())
        return list(_registry)
