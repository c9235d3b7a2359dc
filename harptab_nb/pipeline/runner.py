"""Run the seven steps of a conversion, in the foreground or in a background thread.

:func:`convert` chains ``ocr -> melody -> analysis -> mapping_load -> transpose ->
tablature -> pdf`` under one :class:`~harptab_nb.tracker.ProgressTracker` and keeps every
intermediate in a :class:`ConversionResult`, so a notebook can inspect (and re-run) any
step. Each run is recorded in the history (never blocking the run). A failure or a
cancel leaves no output file: outputs are written only by the last step, atomically.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import HarptabError
from ..tracker import ProgressTracker, create_tracker

__all__ = ["ConversionResult", "ConversionHandle", "convert", "DEFAULT_OUTPUT_DIR"]

log = logging.getLogger(__name__)

#: Where outputs go when ``output_dir`` is not given (relative to the working folder).
DEFAULT_OUTPUT_DIR = "out"

#: ConversionResult attribute filled by each step, in run order
STEP_RESULTS = (
    ("ocr", "score"),
    ("melody", "melody"),
    ("analysis", "analysis"),
    ("mapping_load", "mapping"),
    ("transpose", "transposition"),
    ("tablature", "tablature"),
    ("pdf", "outputs"),
)


@dataclass
class ConversionResult:
    """Everything one conversion produced, step by step, plus its final status.

    ``status`` is ``running`` while the run goes on, then ``completed``, ``error`` or
    ``cancelled``; ``error`` holds the exception of a failed run and ``failed_step``
    its step. Intermediates stay ``None`` for steps that did not run.
    """

    source: str
    params: dict
    tracker: ProgressTracker
    status: str = "pending"
    error: BaseException | None = None
    failed_step: str | None = None
    score: Any = None  # pipeline.ocr.ScoreResult
    melody: Any = None  # music.Melody
    analysis: Any = None  # pipeline.analysis.Analysis
    mapping: Any = None  # pipeline.mapping_load.HarpMapping
    transposition: Any = None  # pipeline.transpose.TranspositionReport
    tablature: Any = None  # tablature.Tablature
    outputs: Any = None  # pipeline.pdf.OutputFiles
    history_id: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def session_id(self) -> str:
        """The tracker's session id."""
        return self.tracker.session_id

    @property
    def ok(self) -> bool:
        """True when the run completed."""
        return self.status == "completed"

    @property
    def message(self) -> str | None:
        """The error message of a failed or cancelled run."""
        return None if self.error is None else str(self.error)

    @property
    def harmonica(self) -> Any:
        """The harmonica the tab is for (after transposition), or None."""
        if self.transposition is not None:
            return self.transposition.harmonica
        if self.tablature is not None:
            return self.tablature.harmonica
        return None

    @property
    def pdf(self) -> Path | None:
        """The PDF written, or None."""
        return None if self.outputs is None else self.outputs.pdf

    @property
    def txt(self) -> Path | None:
        """The text tab written, or None."""
        return None if self.outputs is None else self.outputs.txt

    @property
    def json(self) -> Path | None:
        """The JSON (tab and final status) written, or None."""
        return None if self.outputs is None else self.outputs.json

    @property
    def elapsed(self) -> float:
        """Seconds the run took (so far)."""
        return self.tracker.elapsed

    def status_json(self) -> dict:
        """The tracker's status JSON."""
        return self.tracker.to_json()

    def output_paths(self) -> dict[str, str]:
        """Written files by format, as text (empty unless the run completed)."""
        if self.outputs is None:
            return {}
        out = {}
        for fmt in ("pdf", "txt", "json", "musicxml"):
            p = getattr(self.outputs, fmt, None)
            if p is not None:
                out[fmt] = str(p)
        for p in getattr(self.outputs, "extra", ()) or ():
            out[Path(p).suffix.lstrip(".") or str(p)] = str(p)
        return out

    def summary(self) -> dict:
        """A small JSON-ready summary: status, failed step, message, outputs, title."""
        return {
            "session_id": self.session_id,
            "source": self.source,
            "status": self.status,
            "failed_step": self.failed_step,
            "message": self.message,
            "title": self.title,
            "outputs": self.output_paths(),
            "elapsed": round(self.elapsed, 3),
        }

    @property
    def title(self) -> str | None:
        """The tune's title, from the latest step that knows it."""
        for obj in (self.tablature, self.melody, self.score):
            t = getattr(obj, "title", None)
            if t:
                return str(t)
        return None

    def __repr__(self) -> str:
        tail = f" failed at {self.failed_step}: {self.message}" if self.error else ""
        outs = f" -> {self.pdf}" if self.pdf else ""
        return f"<ConversionResult {self.source!r} {self.status}{outs}{tail}>"


class ConversionHandle:
    """A conversion running in a background thread (``convert(..., background=True)``).

    ``tracker`` is live from the start; ``partial`` is the result being filled in.
    """

    def __init__(self, result: ConversionResult, thread: threading.Thread,
                 finished: threading.Event, raise_on_error: bool) -> None:
        self.tracker = result.tracker
        self.partial = result
        self._thread = thread
        # an Event, not thread.join(): a join interrupted by Ctrl-C can leave the thread
        # looking stopped while it still runs (CPython gh-90882)
        self._finished = finished
        self._raise = raise_on_error

    @property
    def session_id(self) -> str:
        """The tracker's session id."""
        return self.tracker.session_id

    def done(self) -> bool:
        """True once the run ended (completed, failed or cancelled)."""
        return self._finished.is_set()

    def cancel(self) -> None:
        """Stop at the next step or substep boundary; the status becomes ``cancelled``."""
        self.tracker.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ends; False if ``timeout`` passed first."""
        return self._finished.wait(timeout)

    def result(self, timeout: float | None = None) -> ConversionResult:
        """Wait for the end and return the result; re-raises the run's error (unless
        ``convert(..., raise_on_error=False)``). ``TimeoutError`` if not done in time."""
        if not self.wait(timeout):
            raise TimeoutError(f"conversion {self.session_id} still running after {timeout} s")
        res = self.partial
        if res.error is not None and self._raise:
            raise res.error
        return res

    def __repr__(self) -> str:
        state = "done" if self.done() else "running"
        return f"<ConversionHandle {self.session_id} {state} {self.tracker.overall_progress}%>"


def convert(
    source: Any,
    *,
    harmonica: str = "diatonic",
    key: str = "C",
    tuning: str = "richter",
    transpose: str | int = "auto",
    max_bend: int | None = None,
    overbends: bool = False,
    holes: int | None = None,
    layout_file: str | Path | None = None,
    variants: bool = False,
    song_key: str | None = None,
    part: int | str | None = None,
    tune: int | None = None,
    grace_notes: bool = False,
    expand_repeats: bool = False,
    weights: Mapping | None = None,
    ocr_backend: str = "auto",
    output_dir: str | Path | None = None,
    name: str | None = None,
    page_size: str = "A4",
    layout: str = "staff",
    formats: Sequence[str] = ("pdf", "txt", "json"),
    tracker: ProgressTracker | None = None,
    session_id: str | None = None,
    lang: str = "en",
    background: bool = False,
    raise_on_error: bool = True,
    record_history: bool = True,
    on_result: Callable[[str, Any], Any] | None = None,
    show: bool | None = None,
) -> ConversionResult | ConversionHandle:
    """Convert a score to harmonica tab: run all seven steps and write the outputs.

    ``source`` is a file (MusicXML, .mxl, MIDI, ABC, Humdrum), a corpus name such as
    ``"corpus:airdsAirs/book1.abc#4"`` or a music21 stream. Outputs go to
    ``output_dir/NAME.pdf|.txt|.json`` (``./out`` by default; the .json holds the tab and
    the final status). ``tracker`` defaults to a new registered tracker (``session_id``,
    ``lang``). ``on_result(step_id, value)`` is called as each step's result is ready.
    ``song_key`` overrides the key found by the analysis; ``variants=True`` adds low and
    high harps to a ``key="auto"`` search. In a Jupyter kernel the live tracker and each
    step's result appear under the cell by themselves (``show=False`` turns that off;
    outside a kernel nothing is displayed and nothing more is imported).

    Foreground: returns a :class:`ConversionResult`; a failure raises its typed error
    (with ``exc.result`` set) unless ``raise_on_error=False``. ``background=True``
    returns a :class:`ConversionHandle` at once.
    """
    if tracker is None:
        tracker = create_tracker(session_id, lang)
    if show is not False:
        from .. import notebook  # light: imports nothing outside a kernel

        on_result = notebook.attach(tracker, on_result, background=background)
    params = {
        "harmonica": harmonica, "key": key, "tuning": tuning, "transpose": transpose,
        "max_bend": max_bend, "overbends": overbends, "holes": holes,
        "layout_file": None if layout_file is None else str(layout_file),
        "variants": variants, "song_key": song_key,
        "part": part, "tune": tune, "grace_notes": grace_notes,
        "expand_repeats": expand_repeats, "weights": dict(weights) if weights else None,
        "ocr_backend": ocr_backend,
        "output_dir": str(output_dir if output_dir is not None else DEFAULT_OUTPUT_DIR),
        "name": name, "page_size": page_size, "layout": layout, "formats": list(formats),
    }
    result = ConversionResult(source=_source_label(source), params=params, tracker=tracker)
    run = _Run(source, result, record_history=record_history, on_result=on_result)
    if not background:
        run()
        if result.error is not None and raise_on_error:
            raise result.error
        return result
    finished = threading.Event()

    def target() -> None:
        try:
            run()
        finally:
            finished.set()

    thread = threading.Thread(target=target, name=f"harptab-convert-{tracker.session_id}",
                              daemon=True)
    handle = ConversionHandle(result, thread, finished, raise_on_error)
    thread.start()
    return handle


def _mark_failure(tracker: ProgressTracker, exc: BaseException) -> None:
    """Mark the step that was about to run (or ``exc.step``) as failed, so the status
    JSON never shows a failed run as still running."""
    from ..errors import Cancelled
    from ..tracker import STEP_IDS

    step = getattr(exc, "step", None)
    if step not in STEP_IDS:
        doc = tracker.to_json()
        step = next((s["id"] for s in doc["steps"] if s["status"] != "completed"), STEP_IDS[-1])
        if isinstance(exc, HarptabError):
            exc.step = step
    if isinstance(exc, (Cancelled, KeyboardInterrupt)):
        tracker.cancel_step(step, str(exc) or "cancelled")
    else:
        text = str(exc)
        tracker.error_step(step, text if isinstance(exc, HarptabError) or not text
                           else f"{type(exc).__name__}: {text}")


def _source_label(source: Any) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    return f"<{type(source).__name__}>"


class _Run:
    """One execution of the seven steps, filling ``result`` as it goes."""

    def __init__(self, source: Any, result: ConversionResult, *, record_history: bool,
                 on_result: Callable[[str, Any], Any] | None) -> None:
        self.source = source
        self.result = result
        self.record_history = record_history
        self.on_result = on_result

    def _set(self, step_id: str, attr: str, value: Any) -> Any:
        setattr(self.result, attr, value)
        if self.on_result is not None:
            try:
                self.on_result(step_id, value)
            except Exception:  # a view's callback must not break the run
                log.exception("on_result callback raised for step %s; ignored", step_id)
        return value

    def __call__(self) -> None:
        res, p, tracker = self.result, self.result.params, self.result.tracker
        res.status = "running"
        started = time.time()
        try:
            from . import analysis as analysis_step
            from . import mapping_load, melody, ocr, pdf, tablature, transpose

            score = self._set("ocr", "score", ocr.read_score(
                self.source, tune=p["tune"], ocr_backend=p["ocr_backend"], tracker=tracker))
            res.warnings.extend(getattr(score, "warnings", []) or [])
            mel = self._set("melody", "melody", melody.extract_melody(
                score, part=p["part"], grace_notes=p["grace_notes"],
                expand_repeats=p["expand_repeats"], tracker=tracker))
            ana = self._set("analysis", "analysis", analysis_step.analyze(
                mel, score=score.score, tracker=tracker))
            mapping = self._set("mapping_load", "mapping", mapping_load.load_mapping(
                p["harmonica"], tuning=p["tuning"], key=p["key"], holes=p["holes"],
                layout_file=p["layout_file"], variants=p["variants"], tracker=tracker))
            report = self._set("transpose", "transposition", transpose.choose_transposition(
                mel, mapping, transpose=p["transpose"], song_key=p["song_key"] or ana.song_key,
                max_bend=p["max_bend"], overbends=p["overbends"], tracker=tracker))
            tab = self._set("tablature", "tablature", tablature.make_tablature(
                report, max_bend=p["max_bend"], overbends=p["overbends"],
                weights=p["weights"], tracker=tracker))
            outputs = pdf.write_outputs(
                tab, output_dir=p["output_dir"], name=p["name"], melody=report.melody,
                tracker=tracker, page_size=p["page_size"], layout=p["layout"],
                formats=p["formats"])
            res.warnings.extend(getattr(outputs, "warnings", ()) or ())
            self._finish_json(outputs, tab)
            self._set("pdf", "outputs", outputs)
        except BaseException as exc:
            res.error = exc
            if tracker.status not in ("error", "cancelled"):
                _mark_failure(tracker, exc)  # raised outside any step_scope
            res.failed_step = getattr(exc, "step", None) or tracker.current_step
            if isinstance(exc, HarptabError):
                exc.result = res  # type: ignore[attr-defined]
            res.status = tracker.status if tracker.status in ("error", "cancelled") else "error"
            if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit
                self._record(started)
                raise
        else:
            res.status = tracker.status if tracker.status == "completed" else "completed"
        self._record(started)

    def _finish_json(self, outputs: Any, tab: Any) -> None:
        """Put the final status into the .json output (the run has completed by then:
        the pdf step was the last one)."""
        path = getattr(outputs, "json", None)
        if path is None:
            return
        from ..publish import safe_write

        try:
            data = tab.to_json()
            data["status"] = self.result.tracker.to_json()
            safe_write.write_bytes(
                path, (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
        except Exception as exc:  # the tab JSON is already there; say so, keep going
            self.result.warnings.append(f"could not add the final status to {path}: {exc}")

    def _record(self, started: float) -> None:
        if not self.record_history:
            return
        from .. import history

        res = self.result
        res.history_id = history.record(
            session_id=res.session_id, source=res.source, status=res.status,
            params=res.params, outputs=res.output_paths(), title=res.title,
            failed_step=res.failed_step if res.error is not None else None,
            message=res.message, started_at=started, elapsed=res.elapsed,
        )
