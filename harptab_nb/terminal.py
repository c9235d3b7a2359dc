"""Terminal views of a :class:`~harptab_nb.tracker.ProgressTracker`.

:class:`TerminalView` subscribes to the tracker and shows the nested step tree (steps,
substeps, ✓/✗, messages, elapsed time). On a TTY it redraws in place, at most about 10
times a second but always on a status change; elsewhere (pipes, CI logs) it prints one
plain line per status change. :class:`JsonLinesView` prints the status JSON as one line
per change for other front ends (``harptab convert --status-json``).
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
from typing import IO, Any

from .tracker import ProgressTracker, Subscription

__all__ = ["TerminalView", "JsonLinesView", "render_tree", "SYMBOLS", "ASCII_SYMBOLS"]

SYMBOLS = {"pending": "○", "in_progress": "►", "completed": "✓", "error": "✗",
           "cancelled": "⊘"}
ASCII_SYMBOLS = {"pending": "o", "in_progress": ">", "completed": "+", "error": "x",
                 "cancelled": "-"}
_RED, _GREEN, _YELLOW, _DIM, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[2m", "\x1b[0m"
_COLOURS = {"error": _RED, "completed": _GREEN, "cancelled": _YELLOW, "pending": _DIM}


def _symbols_for(stream: IO[str]) -> dict[str, str]:
    """Unicode symbols when the stream can encode them, ASCII otherwise."""
    enc = getattr(stream, "encoding", None) or "ascii"
    try:
        "".join(SYMBOLS.values()).encode(enc)
    except (UnicodeEncodeError, LookupError):
        return ASCII_SYMBOLS
    return SYMBOLS


def _fmt_elapsed(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"


def render_tree(
    status: dict,
    *,
    symbols: dict[str, str] = SYMBOLS,
    durations: dict[str, float] | None = None,
    colour: bool = False,
    width: int | None = None,
    sep: str = " — ",
) -> list[str]:
    """The status JSON as text lines: a header, one line per step, substeps indented.

    ``durations`` maps step ids to seconds (shown after finished steps).
    """
    durations = durations or {}

    def paint(text: str, state: str) -> str:
        c = _COLOURS.get(state) if colour else None
        return f"{c}{text}{_RESET}" if c else text

    def cut(text: str) -> str:
        if width and len(text) > width:
            return text[: max(1, width - 1)] + "…"
        return text

    lines = [cut(f"harptab {status['overall_progress']:3d}%  "
                 f"{_fmt_elapsed(status['elapsed_time'])}")]
    for step in status["steps"]:
        st = step["status"]
        text = f" {symbols[st]} {step['name']}"
        if st == "in_progress" and 0 < step["progress"] < 100:
            text += f" {step['progress']}%"
        if step["id"] in durations and st in ("completed", "error", "cancelled"):
            text += f" ({_fmt_elapsed(durations[step['id']])})"
        if step["message"] and st != "pending":
            text += f"{sep}{step['message']}"
        lines.append(paint(cut(text), st))
        if st == "pending":
            continue
        for sub in step["substeps"]:
            s = sub["status"]
            text = f"     {symbols[s]} {sub['name']}"
            if s == "in_progress" and 0 < sub["progress"] < 100:
                text += f" {sub['progress']}%"
            if sub["message"] and s != "pending":
                text += f"{sep}{sub['message']}"
            lines.append(paint(cut(text), s))
    return lines


class _ThrottledView:
    """Subscribe, redraw at most ``1 / interval`` times a second, always on a status
    change; ``close()`` draws the final state once more."""

    def __init__(self, tracker: ProgressTracker, interval: float) -> None:
        self.tracker = tracker
        self.interval = interval
        self._lock = threading.Lock()
        self._last_draw = 0.0
        self._dirty = False
        self._sub: Subscription | None = None
        self.draws = 0

    def start(self) -> Any:
        """Subscribe to the tracker and draw the current state."""
        if self._sub is None:
            self._sub = self.tracker.subscribe(self._on_event)
            self._draw_now(force=True)
        return self

    def close(self) -> None:
        """Unsubscribe and draw the final state."""
        if self._sub is not None:
            self._sub.unsubscribe()
            self._sub = None
            self._draw_now(force=True, final=True)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _on_event(self, event: dict) -> None:
        self._note(event)
        status_change = "status" in event.get("changes", {}) or "status" in event
        now = time.monotonic()
        if status_change or now - self._last_draw >= self.interval:
            self._draw_now(force=status_change)
        else:
            self._dirty = True

    def tick(self) -> None:
        """Called now and then by the owner (``harptab convert`` polls every 0.2 s):
        draws a change the throttle held back, so the last progress always shows.
        The owner's call rate bounds the redraws (one per call at most)."""
        if self._sub is not None and self._dirty:
            self._draw_now(force=True)

    def _note(self, event: dict) -> None:
        """Hook: remember per-event facts (timings) before drawing."""

    def _draw_now(self, *, force: bool, final: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last_draw < self.interval:
                return
            self._last_draw = now
            self._dirty = False
            self.draws += 1
            self._draw(self.tracker.to_json(), final)

    def _draw(self, status: dict, final: bool) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class TerminalView(_ThrottledView):
    """Live nested progress on a terminal; plain lines when ``stream`` is not a TTY.

    ``live=None`` decides from ``stream.isatty()``. Use as a context manager around
    the run (or ``start()`` / ``close()``).
    """

    def __init__(self, tracker: ProgressTracker, stream: IO[str] | None = None, *,
                 live: bool | None = None, interval: float = 0.1,
                 colour: bool | None = None) -> None:
        super().__init__(tracker, interval)
        self.stream = stream if stream is not None else sys.stderr
        isatty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.live = isatty if live is None else live
        self.colour = (isatty and self.live) if colour is None else colour
        self.symbols = _symbols_for(self.stream)
        self.sep = " — " if self.symbols is SYMBOLS else " - "
        self._encoding = getattr(self.stream, "encoding", None) or "utf-8"
        self._lines_drawn = 0
        self._started: dict[str, float] = {}
        self.durations: dict[str, float] = {}
        self._printed: dict[tuple[str, str | None], tuple[str, str]] = {}

    def tick(self) -> None:
        """Also redraw a live display once the shown elapsed time is stale, so the
        clock moves during a long substep that reports no progress."""
        if (self._sub is not None and self.live and not self.tracker.finished
                and time.monotonic() - self._last_draw >= 1.0):
            self._dirty = True
        super().tick()

    def _note(self, event: dict) -> None:
        step, sub = event.get("step"), event.get("substep")
        state = event.get("changes", {}).get("status")
        if step and sub is None and state:
            now = time.monotonic()
            if state == "in_progress":
                self._started[step] = now
                self.durations.pop(step, None)
            elif step in self._started:
                self.durations[step] = now - self._started[step]

    def _draw(self, status: dict, final: bool) -> None:
        if self.live:
            self._draw_live(status)
        else:
            self._draw_plain(status, final)
        self.stream.flush()

    def _draw_live(self, status: dict) -> None:
        width = shutil.get_terminal_size((100, 24)).columns - 1
        lines = render_tree(status, symbols=self.symbols, durations=self.durations,
                            colour=self.colour, width=width, sep=self.sep)
        out = []
        if self._lines_drawn:
            out.append(f"\x1b[{self._lines_drawn}F")  # back to the first line we drew
        for line in lines:
            out.append(f"\x1b[2K{line}\n")
        for _ in range(self._lines_drawn - len(lines)):
            out.append("\x1b[2K\n")
        self._write("".join(out))
        self._lines_drawn = max(len(lines), self._lines_drawn)

    def _write(self, text: str) -> None:
        """Write, replacing what the stream's encoding cannot show (titles, names)."""
        try:
            self.stream.write(text)
        except UnicodeEncodeError:
            self.stream.write(text.encode(self._encoding, "replace").decode(self._encoding))

    def _draw_plain(self, status: dict, final: bool) -> None:
        """One line per step or substep whose status changed since the last draw."""
        sym = self.symbols
        pct = status["overall_progress"]
        for step in status["steps"]:
            items = [(step, None)] + [(s, step["id"]) for s in step["substeps"]]
            for item, parent in items:
                key = (parent or item["id"], item["id"] if parent else None)
                state = (item["status"], item["message"])
                if item["status"] == "pending" or self._printed.get(key) == state:
                    continue
                if item["status"] == "in_progress" and self._printed.get(key, ("",))[0] == \
                        "in_progress":
                    continue  # message-only change while running: not worth a line
                self._printed[key] = state
                indent = "    " if parent else ""
                text = f"[{pct:3d}%] {indent}{sym[item['status']]} {item['name']}"
                if not parent and item["id"] in self.durations and \
                        item["status"] in ("completed", "error", "cancelled"):
                    text += f" ({_fmt_elapsed(self.durations[item['id']])})"
                if item["message"]:
                    text += f"{self.sep}{item['message']}"
                self._write(text + "\n")
        if final:
            self._write(f"[{pct:3d}%] {self.tracker.status} in "
                              f"{_fmt_elapsed(self.tracker.elapsed)}\n")


class JsonLinesView(_ThrottledView):
    """The status JSON, one compact line per change (throttled like the live view;
    every status change and the final state always printed)."""

    def __init__(self, tracker: ProgressTracker, stream: IO[str] | None = None, *,
                 interval: float = 0.1) -> None:
        super().__init__(tracker, interval)
        self.stream = stream if stream is not None else sys.stdout
        self._last_line = ""

    def _draw(self, status: dict, final: bool) -> None:
        line = json.dumps(status, ensure_ascii=False, separators=(",", ":"))
        if line != self._last_line:
            self._last_line = line
            self.stream.write(line + "\n")
            self.stream.flush()
