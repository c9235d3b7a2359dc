"""Notebook views (ipywidgets): live tracker, result panels, converter app, range explorer.

A thin view layer: the tracker model knows nothing of widgets; these classes subscribe
to it and render with :mod:`harptab_nb.views` / :mod:`harptab_nb.results`. Each view is
one HTML widget (plus Image widgets for PNGs) so model counts and notebooks stay small,
and every text repr is deterministic (nbval compares ``text/plain`` of widgets).
Everything works from a background thread: redraws are throttled (about 10 per second,
always on a status change, the final state always shown) and serialized by a lock.
"""

from __future__ import annotations

import base64
import logging
import math
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import ipywidgets as W

from . import results, views

log = logging.getLogger(__name__)

__all__ = [
    "TrackerWidget",
    "ResultsPanel",
    "LiveView",
    "ConverterApp",
    "RangeExplorer",
    "BUNDLED_TUNES",
]


def _is_status_event(event: Any) -> bool:
    """Events that change a step/substep/run status, or ask to cancel: draw at once."""
    if not isinstance(event, dict):
        return True
    if event.get("type") == "snapshot" or "status" in event:
        return True
    changes = event.get("changes") or {}
    return "status" in changes or "cancel_requested" in changes


class TrackerWidget(W.HTML):
    """Live view of a :class:`~harptab_nb.tracker.ProgressTracker`.

    Overall bar with percent and elapsed time, one row per step (○ ► ✓ ✗ ⊘), substeps
    nested under it, errors in red. ``redraws`` counts renders (for tests and
    benchmarks); ``flush()`` draws a pending update now.
    """

    def __init__(self, tracker: Any, *, max_rate: float = 10.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tracker = tracker
        self.min_interval = 1.0 / max_rate if max_rate > 0 else 0.0
        self.redraws = 0
        self.events = 0
        self.status: dict = {}
        self._lock = threading.RLock()
        self._last_draw = -math.inf
        self._dirty = False
        self._timer: threading.Timer | None = None
        self._closed = False
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self.add_class("harptab-tracker-widget")
        self.redraw()
        self._subscription = tracker.subscribe(self._on_event)
        self._start_ticker()

    # -- events -------------------------------------------------------------
    def _start_ticker(self) -> None:
        """While the run is going, redraw once a second so the elapsed time moves even
        during a long step without events."""
        if self._ticker is not None or getattr(self.tracker, "status", "") != "running":
            return
        self._ticker = threading.Thread(target=self._tick, name="harptab-tracker-tick",
                                        daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            if getattr(self.tracker, "finished", False):
                break
            self.redraw()

    def _on_event(self, event: Any) -> None:
        if self._ticker is None and isinstance(event, dict) and event.get("status") == "running":
            self._start_ticker()
        with self._lock:
            if self._closed:
                return
            self.events += 1
            now = time.monotonic()
            wait = self._last_draw + self.min_interval - now
            if _is_status_event(event) or wait <= 0:
                self._draw_locked(now)
                return
            self._dirty = True
            if self._timer is None:  # trailing redraw: the last update is never lost
                self._timer = threading.Timer(wait, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        """Draw now if an update is pending (called by the trailing timer)."""
        with self._lock:
            self._timer = None
            if self._dirty and not self._closed:
                self._draw_locked(time.monotonic())

    def redraw(self) -> None:
        """Draw the current state unconditionally (unless closed)."""
        with self._lock:
            if not self._closed:
                self._draw_locked(time.monotonic())

    def _draw_locked(self, now: float) -> None:
        self._dirty = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.status = views.status_of(self.tracker)
        html = views.render_status_html(self.status)
        with self.hold_sync():
            self.value = html
        self.redraws += 1
        self._last_draw = now

    # -- lifecycle ----------------------------------------------------------
    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        sub = getattr(self, "_subscription", None)
        if sub is not None:
            sub.unsubscribe()
        super().close()

    @property
    def text(self) -> str:
        """The shown state as text (with the elapsed time)."""
        return views.render_status_text(self.status)

    def __repr__(self) -> str:
        return "TrackerWidget\n" + views.render_status_text(self.status, elapsed=False)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        # ipywidgets cuts text/plain at 110 characters; the saved notebook keeps it all.
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = repr(self)
        return bundle


def _part_widget(part: Any) -> W.Widget:
    if isinstance(part, results.PNGPart):
        return W.Image(value=part.png, format="png",
                       layout=W.Layout(max_width="100%", width="auto"))
    return W.HTML(value=part._repr_html_())


def _audio_widget(tab: Any) -> W.Widget:
    """A player of the tab's (transposed) melody, synthesized locally."""
    from .audio import melody_wav

    return W.Audio(value=melody_wav(tab), format="wav", autoplay=False, loop=False)


class ResultsPanel(W.VBox):
    """One box per finished step, in run order, filled as results arrive (any thread)."""

    def __init__(self, *, svg: bool = True, plots: bool = True, thumbnail: bool = True,
                 audio: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.options = {"svg": svg, "plots": plots, "thumbnail": thumbnail}
        self.audio = audio
        self.shown: dict[str, list[W.Widget]] = {}
        self.melody: Any = None
        self._lock = threading.Lock()
        self.add_class("harptab-results")

    def show(self, step_id: str, value: Any) -> None:
        """Render ``value`` (the result of ``step_id``) and put it in its place."""
        if step_id == "melody":
            self.melody = value
        parts = results.step_parts(step_id, value, melody=self.melody, **self.options)
        boxes = [_part_widget(p) for p in parts]
        if step_id == "tablature" and self.audio:
            boxes.append(_audio_widget(value))
        with self._lock:
            old = self.shown.pop(step_id, [])
            self.shown[step_id] = boxes
            order = [s for s, _ in results.STEP_ATTRS]
            children = [w for s in order for w in self.shown.get(s, ())]
            children += [w for s, ws in self.shown.items() if s not in order for w in ws]
            self.children = tuple(children)
        for w in old:
            w.close()

    def clear(self) -> None:
        with self._lock:
            old = [w for ws in self.shown.values() for w in ws]
            self.shown = {}
            self.melody = None
            self.children = ()
        for w in old:
            w.close()

    def __repr__(self) -> str:
        order = [s for s, _ in results.STEP_ATTRS]
        shown = sorted(self.shown, key=lambda s: order.index(s) if s in order else len(order))
        return f"ResultsPanel({', '.join(shown) or 'empty'})"


class LiveView:
    """Tracker and results of one conversion, shown in the notebook as it runs.

    ``mode="display"`` (a foreground run in a cell): results are appended to the
    cell with ``display()`` - static HTML/PNG that stays in the saved notebook and
    that nbval compares - plus a closing summary line. ``mode="widgets"`` (a background
    run): results go into a :class:`ResultsPanel`, updated from the worker thread.
    """

    def __init__(self, tracker: Any, *, mode: str = "display", **options: Any) -> None:
        if mode not in ("display", "widgets"):
            raise ValueError(f"mode must be 'display' or 'widgets', not {mode!r}")
        self.tracker = tracker
        self.mode = mode
        self.options = options
        self.widget = TrackerWidget(tracker)
        self.panel = ResultsPanel(**options) if mode == "widgets" else None
        self.summary = W.HTML() if mode == "widgets" else None
        self.melody: Any = None
        self.outputs: Any = None
        self._ended = False
        self._subscription = tracker.subscribe(self._on_event)

    def show(self) -> LiveView:
        from IPython.display import display

        if self.mode == "widgets":
            display(W.VBox([self.widget, self.panel, self.summary]))
        else:
            display(self.widget)
        return self

    def on_result(self, step_id: str, value: Any) -> None:
        """The ``on_result`` callback of :func:`~harptab_nb.pipeline.runner.convert`."""
        if step_id == "melody":
            self.melody = value
        if step_id == "pdf":
            self.outputs = value
        if self.panel is not None:
            self.panel.show(step_id, value)
            return
        from IPython.display import display

        for part in results.step_parts(step_id, value, melody=self.melody, **self.options):
            display(part)
        if step_id == "pdf":
            self._end()

    def _on_event(self, event: dict) -> None:
        if event.get("status") in ("error", "cancelled"):
            self._end()
        elif event.get("status") == "completed" and self.mode == "widgets":
            self._end()

    def _end(self) -> None:
        if self._ended:
            return
        self._ended = True
        self.widget.flush()
        html = results.summary_html(self.tracker.to_json(), self.outputs)
        if self.summary is not None:
            self.summary.value = html
        else:
            from IPython.display import display

            display(results.HTMLPart(html, "summary"))
        self._subscription.unsubscribe()


# --------------------------------------------------------------------------- app

#: Tunes offered by the converter app and the range explorer (bundled or music21 corpus).
BUNDLED_TUNES: dict[str, str] = {
    "I'll Touzle your Kurchy (Aird)": "corpus:airdsAirs/book1.abc#4",
    "Aloha 'Oe (with lyrics)": "demo:aloha_oe",
    "The Enchanted Valley (O'Neill)": "corpus:oneills1850/0001-0050.abc#1",
    "Jeanie with the Light Brown Hair (Foster)": "corpus:leadSheet/fosterBrownHair.mxl",
}


def resolve_tune(source: str) -> str:
    """``demo:NAME`` -> the bundled file's path; anything else unchanged."""
    if source.startswith("demo:"):
        from .pipeline.ocr import demo_tunes

        return str(demo_tunes()[source[5:]])
    return source


def _data_link(path: Path, label: str, mime: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f"<a class='harptab-download harptab-{label.lower()}' download='{views.esc(path.name)}'"
            f" href='data:{mime};base64,{data}' style='margin-right:14px'>"
            f"⬇ {views.esc(label)}</a>")


_MIME = {"pdf": "application/pdf", "musicxml": "application/vnd.recordare.musicxml+xml",
         "txt": "text/plain;charset=utf-8", "json": "application/json"}


class ConverterApp(W.VBox):
    """Upload (or name) a score, pick the harp, Convert in the background, watch the
    tracker, see the results, download PDF / MusicXML / text, browse the history."""

    def __init__(self, *, output_dir: str | Path | None = None,
                 tunes: dict[str, str] | None = None, history_rows: int = 10) -> None:
        from .harmonica import PITCH_CLASSES, VARIANT_KEYS, tunings

        self.output_dir = Path(output_dir) if output_dir is not None else \
            Path(tempfile.mkdtemp(prefix="harptab-app-"))
        self.tunes = dict(tunes or BUNDLED_TUNES)
        self.history_rows = history_rows
        self.handle: Any = None
        self.result: Any = None
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._finished.set()

        style = {"description_width": "110px"}
        self.upload = W.FileUpload(accept=".musicxml,.xml,.mxl,.mid,.midi,.abc,.krn",
                                   multiple=False, description="Upload score")
        self.tune = W.Dropdown(options=[("(none)", "")] + list(self.tunes.items()),
                               value=next(iter(self.tunes.values()), ""),
                               description="Bundled tune", style=style)
        self.path = W.Text(placeholder="path or corpus:airdsAirs/book1.abc#4",
                           description="or path", style=style)
        self.kind = W.Dropdown(options=["diatonic", "chromatic"], value="diatonic",
                               description="Harmonica", style=style)
        self.tuning = W.Dropdown(options=tunings("diatonic"), value="richter",
                                 description="Tuning", style=style)
        self.key = W.Dropdown(options=["auto", *PITCH_CLASSES, *VARIANT_KEYS], value="auto",
                              description="Key", style=style)
        self.transpose = W.Dropdown(
            options=["auto", "none"] + [f"{s:+d}" for s in range(-12, 13) if s],
            value="auto", description="Transpose", style=style)
        # -1 stands for "no limit" (a Dropdown value of None means "nothing selected")
        self.max_bend = W.Dropdown(options=[("every bend", -1), ("none", 0), ("1", 1),
                                            ("2", 2), ("3", 3)],
                                   value=-1, description="Max bend", style=style)
        self.overbends = W.Checkbox(value=False, description="Overbends", indent=False)
        self.convert_button = W.Button(description="Convert", button_style="primary",
                                       icon="play")
        self.cancel_button = W.Button(description="Cancel", button_style="warning",
                                      icon="stop", disabled=True)
        self.tracker_box = W.VBox()
        self.panel = ResultsPanel()
        self.downloads = W.HTML()
        self.downloads.add_class("harptab-downloads")
        self.message = W.HTML()
        self.history = W.HTML()
        self.kind.observe(self._on_kind, names="value")
        self.convert_button.on_click(lambda _b: self.convert())
        self.cancel_button.on_click(lambda _b: self.cancel())
        form = W.VBox([
            W.HBox([self.tune, self.upload]), self.path,
            W.HBox([self.kind, self.tuning]), W.HBox([self.key, self.transpose]),
            W.HBox([self.max_bend, self.overbends]),
            W.HBox([self.convert_button, self.cancel_button]),
        ])
        super().__init__([form, self.message, self.tracker_box, self.downloads, self.panel,
                          W.HTML("<b>Past conversions</b>"), self.history])
        self.add_class("harptab-converter-app")
        self.refresh_history()

    def _on_kind(self, change: dict) -> None:
        from .harmonica import tunings

        kind = change["new"]
        opts = tunings(kind) if kind == "diatonic" else ["solo"]
        self.tuning.options = opts
        self.tuning.value = opts[0] if kind != "diatonic" else "richter"

    # -- running ------------------------------------------------------------
    def source(self) -> str:
        """The score to convert: the upload, else the path, else the bundled tune."""
        if self.upload.value:
            f = self.upload.value[0]
            up = self.output_dir / "uploads"
            up.mkdir(parents=True, exist_ok=True)
            dest = up / Path(f["name"]).name
            dest.write_bytes(bytes(f["content"]))
            return str(dest)
        if self.path.value.strip():
            return self.path.value.strip()
        if self.tune.value:
            return resolve_tune(self.tune.value)
        raise ValueError("choose a bundled tune, type a path or upload a score")

    def params(self) -> dict:
        t = self.transpose.value
        return {
            "harmonica": self.kind.value,
            "tuning": self.tuning.value if self.kind.value == "diatonic" else "richter",
            "key": self.key.value,
            "transpose": t if t in ("auto", "none") else int(t),
            "max_bend": None if self.max_bend.value < 0 else self.max_bend.value,
            "overbends": self.overbends.value,
        }

    def convert(self) -> Any:
        """Start a conversion in a background thread (what the Convert button does)."""
        from .pipeline.runner import convert
        from .tracker import create_tracker

        with self._lock:
            if not self._finished.is_set():
                return self.handle
            try:
                source = self.source()
            except Exception as exc:  # noqa: BLE001 - shown to the user, not raised
                self.message.value = f"<span style='color:{views.COLOURS['error']}'>" \
                                     f"{views.esc(str(exc))}</span>"
                return None
            self._finished.clear()
            self.message.value = ""
            self.downloads.value = ""
            self.panel.clear()
            for w in self.tracker_box.children:
                w.close()
            tracker = create_tracker()
            self.tracker_box.children = (TrackerWidget(tracker),)
            self._subscription = tracker.subscribe(self._on_event)
            self.convert_button.disabled = True
            self.cancel_button.disabled = False
            try:
                self.handle = convert(
                    source, tracker=tracker, background=True, raise_on_error=False,
                    output_dir=self.output_dir,
                    formats=("pdf", "musicxml", "txt", "json"),
                    on_result=self.panel.show, show=False, **self.params())
            except Exception as exc:  # noqa: BLE001 - bad option: say it, stay usable
                self._done_ui(f"<span style='color:{views.COLOURS['error']}'>"
                              f"{views.esc(str(exc))}</span>")
                return None
            return self.handle

    def _on_event(self, event: dict) -> None:
        if event.get("status") in ("completed", "error", "cancelled"):
            threading.Thread(target=self._after_run, daemon=True).start()

    def _after_run(self) -> None:
        with self._lock:  # convert() may still be storing the handle of this run
            handle = self.handle
        if handle is not None:
            handle.wait(60)
            self.result = handle.partial
        res = self.result
        links = ""
        if res is not None and res.outputs is not None:
            for fmt, label in (("pdf", "PDF"), ("musicxml", "MusicXML"), ("txt", "Text"),
                               ("json", "JSON")):
                p = getattr(res.outputs, fmt, None)
                if p is not None and Path(p).exists():
                    links += _data_link(Path(p), label, _MIME[fmt])
        msg = ""
        if res is not None and res.error is not None:
            msg = (f"<span style='color:{views.COLOURS['error']}'>{views.SYMBOLS['error']} "
                   f"{views.esc(str(res.error))}</span>")
        self.downloads.value = links
        self._done_ui(msg)

    def _done_ui(self, message: str) -> None:
        sub = getattr(self, "_subscription", None)
        if sub is not None:
            sub.unsubscribe()
        self.message.value = message
        self.convert_button.disabled = False
        self.cancel_button.disabled = True
        self.refresh_history()
        self._finished.set()

    def cancel(self) -> None:
        """Stop the running conversion at the next step boundary."""
        if self.handle is not None:
            self.handle.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the current run ended and the app shows it (tests, scripts)."""
        return self._finished.wait(timeout)

    def refresh_history(self) -> None:
        try:
            from .history import history

            rows = [e.to_dict() for e in history(limit=self.history_rows)]
        except Exception as exc:  # noqa: BLE001 - a broken history must not break the app
            log.warning("history unavailable: %s", exc)
            rows = []
        for r in rows:
            outs = r.get("outputs") or {}
            r["pdf"] = Path(outs["pdf"]).name if outs.get("pdf") else ""
            r["source"] = r.get("title") or r.get("source")
        self.history.value = views.history_html(rows, limit=self.history_rows)

    def __repr__(self) -> str:
        return f"ConverterApp(tunes={len(self.tunes)}, key={self.key.value!r})"


# --------------------------------------------------------------------------- explorer

class RangeExplorer(W.VBox):
    """Pick a tune and a harp; the range plot and a fit table across tunings follow."""

    def __init__(self, tunes: dict[str, Any] | None = None, *, key: str = "C",
                 tuning: str = "richter", transpose: str = "auto") -> None:
        from .harmonica import PITCH_CLASSES, VARIANT_KEYS, tunings

        self.tunes = dict(tunes or BUNDLED_TUNES)
        self._melodies: dict[str, Any] = {}
        style = {"description_width": "80px"}
        self.tune = W.Dropdown(options=list(self.tunes), description="Tune", style=style)
        self.kind = W.Dropdown(options=["diatonic", "chromatic"], description="Harmonica",
                               style=style)
        self.tuning = W.Dropdown(options=tunings("diatonic"), value=tuning,
                                 description="Tuning", style=style)
        self.key = W.Dropdown(options=[*PITCH_CLASSES, *VARIANT_KEYS], value=key,
                              description="Key", style=style)
        self.transpose = W.Dropdown(options=["auto", "none"], value=transpose,
                                    description="Transpose", style=style)
        self.plot = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.info = W.HTML()
        self.table = W.HTML()
        self.last: Any = None
        for w in (self.tune, self.kind, self.tuning, self.key, self.transpose):
            w.observe(self._changed, names="value")
        super().__init__([W.HBox([self.tune, self.kind]), W.HBox([self.tuning, self.key,
                         self.transpose]), self.info, self.plot, self.table])
        self.add_class("harptab-range-explorer")
        self.update()

    def melody(self, name: str) -> Any:
        """The melody of a tune (read once, then cached)."""
        if name not in self._melodies:
            value = self.tunes[name]
            if hasattr(value, "notes"):
                self._melodies[name] = value
            else:
                from .pipeline.melody import extract_melody
                from .pipeline.ocr import read_score

                self._melodies[name] = extract_melody(read_score(resolve_tune(value)))
        return self._melodies[name]

    def _changed(self, change: dict) -> None:
        if change["owner"] is self.kind:
            self.tuning.options = (
                __import__("harptab_nb.harmonica", fromlist=["tunings"]).tunings("diatonic")
                if change["new"] == "diatonic" else ["solo"])
        self.update()

    def update(self) -> None:
        """Recompute the placement and redraw the plot and the fit table."""
        from .pipeline.mapping_load import load_mapping
        from .pipeline.transpose import choose_transposition
        from .plots import plot_range

        mel = self.melody(self.tune.value)
        kind = self.kind.value
        tuning = self.tuning.value if kind == "diatonic" else "richter"
        report = choose_transposition(
            mel, load_mapping(kind, tuning=tuning, key=self.key.value),
            transpose=self.transpose.value)
        plot = plot_range(report.melody, report.harmonica)
        self.plot.value = plot.to_png()
        plot.figure.clear()
        self.last = report
        self.info.value = views.options_html(report, limit=0)
        self.table.value = fit_table_html(mel, key=self.key.value,
                                          transpose=self.transpose.value, kind=kind)

    def __repr__(self) -> str:
        return (f"RangeExplorer(tune={self.tune.value!r}, {self.kind.value} "
                f"{self.tuning.value} in {self.key.value}, transpose={self.transpose.value!r})")


def fit_table(melody: Any, *, key: str = "C", transpose: str | int = "auto",
              kind: str = "diatonic") -> list[dict]:
    """How one song fits every tuning of a harp type in ``key``: best shift, position,
    notes per technique (rows in the built-in tuning order)."""
    from .harmonica import tunings
    from .pipeline.mapping_load import load_mapping
    from .pipeline.transpose import choose_transposition

    rows = []
    for tuning in (tunings("diatonic") if kind == "diatonic" else ["solo"]):
        mapping = load_mapping(kind, tuning=tuning, key=key)
        r = choose_transposition(melody, mapping, transpose=transpose)
        rows.append({
            "tuning": r.harmonica.name or tuning, "harp": r.harmonica.label or r.harmonica.key,
            "shift": r.semitones, "position": r.position,
            **{t: r.count(t) for t in ("natural", "bend", "overbend", "unplayable")},
        })
    return rows


def fit_table_html(melody: Any, **kw: Any) -> str:
    """:func:`fit_table` as an HTML table, the counts coloured by technique."""
    rows = fit_table(melody, **kw)
    head = ("<tr><th>tuning</th><th>harp</th><th>shift</th><th>position</th><th>natural</th>"
            "<th>bend</th><th>overbend</th><th>unplayable</th></tr>")
    body = "".join(
        f"<tr><td style='text-align:left'>{views.esc(r['tuning'])}</td>"
        f"<td>{views.esc(r['harp'])}</td><td>{r['shift']:+d}</td>"
        f"<td>{views.esc(views.ordinal(r['position']))}</td>"
        + "".join(f"<td style='color:{views.TECHNIQUE_COLOURS[t]}'>{r[t]}</td>"
                  for t in ("natural", "bend", "overbend", "unplayable"))
        + "</tr>" for r in rows)
    return f"<table class='harptab-fit-table'>{head}{body}</table>"
