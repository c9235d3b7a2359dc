"""Jupyter integration that costs nothing outside a kernel.

* :func:`attach` - the hook a runner calls: inside a Jupyter kernel it shows a live
  tracker and each step's result as it arrives and returns the ``on_result`` callback
  to pass on; outside a kernel it returns the given callback unchanged and imports
  nothing. It is idempotent per tracker.
* :func:`convert` - an alias of :func:`harptab_nb.pipeline.runner.convert`, which calls
  :func:`attach` itself, so ``convert("tune.musicxml")`` shows tracker and results.
* :func:`register_formatters` - rich HTML reprs for every step result (score, melody,
  analysis, mapping, transposition report, output files, conversion result), and a
  text repr of the conversion result without machine-specific absolute paths.
"""

from __future__ import annotations

import sys
import weakref
from typing import Any

_views: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_registered: set[int] = set()


def _ipython() -> Any:
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return get_ipython()


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Notebook, Voila, nbval, nbconvert)."""
    ip = _ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


def attach(tracker: Any, on_result: Any = None, *, background: bool = False,
           **options: Any) -> Any:
    """Show ``tracker`` live (and the step results) when running in a notebook.

    Returns the ``on_result(step_id, value)`` callback for the runner: the view's,
    chained with ``on_result`` if one was given. Outside a notebook returns
    ``on_result`` as is. ``background=True`` puts results in widgets (a worker thread
    cannot append outputs to a cell reliably); otherwise they are displayed statically.
    """
    if not in_notebook():
        return on_result
    view = _views.get(tracker)
    if view is None:
        register_formatters()
        from .widgets import LiveView

        view = LiveView(tracker, mode="widgets" if background else "display", **options)
        _views[tracker] = view
        view.show()
    if on_result is None or on_result == view.on_result:
        return view.on_result

    def both(step_id: str, value: Any) -> None:
        view.on_result(step_id, value)
        on_result(step_id, value)

    return both


def convert(source: Any, *, show: bool | None = None, **kwargs: Any) -> Any:
    """Same as :func:`harptab_nb.convert`, which shows the tracker and every step's
    result under the cell by itself in a notebook (kept for older notebooks)."""
    from .pipeline.runner import convert as run

    return run(source, show=show, **kwargs)


def _html(render: Any) -> Any:
    def fmt(obj: Any) -> str:
        return render(obj)
    return fmt


def register_formatters(ip: Any = None) -> bool:
    """Register HTML reprs for the step results in IPython (idempotent). Returns
    False when not running under IPython."""
    ip = ip if ip is not None else _ipython()
    if ip is None:
        return False
    if id(ip) in _registered:
        return True
    from . import results, views

    def melody(obj: Any) -> str:
        return results.melody_parts(obj)[0]._repr_html_()

    def report(obj: Any) -> str:
        return results.iter_html([results.HTMLPart(views.options_html(obj))])

    def conversion(obj: Any) -> str:
        return results.summary_html(obj.tracker.to_json(), obj.outputs)

    def outputs(obj: Any) -> str:
        return views.outputs_html(obj)

    html = ip.display_formatter.formatters["text/html"]
    for module, name, fn in (
        ("harptab_nb.pipeline.ocr", "ScoreResult", views.score_html),
        ("harptab_nb.music", "Melody", melody),
        ("harptab_nb.pipeline.analysis", "Analysis", views.analysis_html),
        ("harptab_nb.pipeline.mapping_load", "HarpMapping", views.mapping_html),
        ("harptab_nb.harmonica", "Harmonica", views.chart_html),
        ("harptab_nb.pipeline.transpose", "TranspositionReport", report),
        ("harptab_nb.pipeline.pdf", "OutputFiles", outputs),
        ("harptab_nb.pipeline.runner", "ConversionResult", conversion),
    ):
        html.for_type_by_name(module, name, fn)

    def conversion_text(obj: Any, p: Any, cycle: bool) -> None:
        pdf = views.display_path(obj.pdf) if obj.pdf else None
        tail = f" failed at {obj.failed_step}: {obj.message}" if obj.error else ""
        p.text(f"<ConversionResult {obj.source!r} {obj.status}"
               f"{' -> ' + pdf if pdf else ''}{tail}>")

    def short(fn: Any) -> Any:
        def printer(obj: Any, p: Any, cycle: bool) -> None:
            p.text(fn(obj))
        return printer

    def harps(obj: Any) -> str:
        names = ", ".join(h.label or h.key for h in obj.harps)
        return f"<HarpMapping {len(obj.harps)} harp(s): {names}>"

    def report_text(obj: Any) -> str:
        return (f"<TranspositionReport {obj.harmonica} shift {obj.semitones:+d}, "
                f"{views.ordinal(obj.position)} position, {len(obj.options)} options>")

    def analysis_text(obj: Any) -> str:
        lo, hi = views.note_name(obj.lowest), views.note_name(obj.highest)
        return f"<Analysis song in {obj.song_key}, range {lo}-{hi} ({obj.span} semitones)>"

    def outputs_text(obj: Any) -> str:
        files = [views.display_path(p) for p in obj.paths]
        return f"<OutputFiles {', '.join(files)}>"

    def tab_text(obj: Any) -> str:
        return "\n".join(obj.header_lines())

    # Short, stable text reprs instead of whole note lists (notebook size, nbval).
    text = ip.display_formatter.formatters["text/plain"]
    for module, name, fn in (
        ("harptab_nb.pipeline.runner", "ConversionResult", conversion_text),
        ("harptab_nb.music", "Melody", short(
            lambda m: f"<Melody {m.title!r}: {len(m.pitches)} notes>")),
        ("harptab_nb.pipeline.mapping_load", "HarpMapping", short(harps)),
        ("harptab_nb.pipeline.transpose", "TranspositionReport", short(report_text)),
        ("harptab_nb.pipeline.analysis", "Analysis", short(analysis_text)),
        ("harptab_nb.tablature", "Tablature", short(tab_text)),
        ("harptab_nb.harmonica", "Harmonica", short(str)),
        ("harptab_nb.pipeline.pdf", "OutputFiles", short(outputs_text)),
    ):
        text.for_type_by_name(module, name, fn)
    _registered.add(id(ip))
    return True


def load_ipython_extension(ip: Any) -> None:
    """``%load_ext harptab_nb.notebook``: register the rich reprs."""
    register_formatters(ip)
