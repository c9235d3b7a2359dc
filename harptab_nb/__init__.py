"""harptab_nb: sheet music to harmonica tablature, step by step, with live progress.

The public names below are imported lazily (PEP 562) so that ``import harptab_nb``
stays fast and does not pull in music21, matplotlib or verovio.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # values and errors
    "Note": "harptab_nb.music",
    "Melody": "harptab_nb.music",
    "HarptabError": "harptab_nb.errors",
    "InputError": "harptab_nb.errors",
    "UnsupportedInput": "harptab_nb.errors",
    "ScoreReadError": "harptab_nb.errors",
    "EmptyScore": "harptab_nb.errors",
    "MelodyError": "harptab_nb.errors",
    "LayoutError": "harptab_nb.errors",
    "NotPlayable": "harptab_nb.errors",
    "OptionError": "harptab_nb.errors",
    "OutputError": "harptab_nb.errors",
    "TabParseError": "harptab_nb.errors",
    "Cancelled": "harptab_nb.errors",
    # instruments
    "Action": "harptab_nb.harmonica",
    "Harmonica": "harptab_nb.harmonica",
    "load_harmonica": "harptab_nb.harmonica",
    "tunings": "harptab_nb.harmonica",
    # progress
    "ProgressTracker": "harptab_nb.tracker",
    "create_tracker": "harptab_nb.tracker",
    "get_tracker": "harptab_nb.tracker",
    "remove_tracker": "harptab_nb.tracker",
    "step_scope": "harptab_nb.tracker",
    "STEPS": "harptab_nb.tracker",
    "list_trackers": "harptab_nb.tracker",
    # steps
    "read_score": "harptab_nb.pipeline.ocr",
    "ScoreResult": "harptab_nb.pipeline.ocr",
    "demo_tunes": "harptab_nb.pipeline.ocr",
    "supported_extensions": "harptab_nb.pipeline.ocr",
    "extract_melody": "harptab_nb.pipeline.melody",
    "analyze": "harptab_nb.pipeline.analysis",
    "Analysis": "harptab_nb.pipeline.analysis",
    # conversion and history
    "convert": "harptab_nb.pipeline.runner",
    "ConversionResult": "harptab_nb.pipeline.runner",
    "ConversionHandle": "harptab_nb.pipeline.runner",
    "history": "harptab_nb.history",
    "HistoryEntry": "harptab_nb.history",
    "list_history": "harptab_nb.history",
    # tablature engine
    "Tablature": "harptab_nb.tablature",
    "TabNote": "harptab_nb.tablature",
    "format_action": "harptab_nb.notation",
    "parse_tab": "harptab_nb.notation",
    "parse_token": "harptab_nb.notation",
    "tab_to_pitches": "harptab_nb.notation",
    "ParsedTab": "harptab_nb.notation",
    "harp_chart": "harptab_nb.chart",
    "chart_text": "harptab_nb.chart",
    "chart_html": "harptab_nb.chart",
    "HarpChart": "harptab_nb.chart",
    "optimize": "harptab_nb.optimize",
    "Weights": "harptab_nb.optimize",
    "HarpOption": "harptab_nb.transposition",
    "rank_placements": "harptab_nb.transposition",
    "position": "harptab_nb.transposition",
    "check_pitches": "harptab_nb.transposition",
    "load_mapping": "harptab_nb.pipeline.mapping_load",
    "HarpMapping": "harptab_nb.pipeline.mapping_load",
    "choose_transposition": "harptab_nb.pipeline.transpose",
    "TranspositionReport": "harptab_nb.pipeline.transpose",
    "make_tablature": "harptab_nb.pipeline.tablature",
    "standard_keys": "harptab_nb.harmonica",
    "DIATONIC_TUNINGS": "harptab_nb.harmonica",
    "VARIANT_KEYS": "harptab_nb.harmonica",
    # outputs
    "write_outputs": "harptab_nb.pipeline.pdf",
    "OutputFiles": "harptab_nb.pipeline.pdf",
    "write_songbook": "harptab_nb.publish",
    "render_pdf": "harptab_nb.publish",
    "to_musicxml": "harptab_nb.publish",
    # notebook views (ipywidgets, matplotlib and verovio load on first use)
    "TrackerWidget": "harptab_nb.widgets",
    "ResultsPanel": "harptab_nb.widgets",
    "LiveView": "harptab_nb.widgets",
    "ConverterApp": "harptab_nb.widgets",
    "RangeExplorer": "harptab_nb.widgets",
    "plot_range": "harptab_nb.plots",
    "play": "harptab_nb.audio",
    "melody_svg": "harptab_nb.notation_svg",
    "tablature_svg": "harptab_nb.notation_svg",
    "register_formatters": "harptab_nb.notebook",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def _register_notebook_formatters() -> None:
    """Inside a Jupyter kernel, give every step result a rich display at import time."""
    import sys

    if "ipykernel" in sys.modules:
        try:
            from . import notebook

            notebook.register_formatters()
        except Exception:  # noqa: BLE001 - a display nicety must never break the import
            pass


_register_notebook_formatters()


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'harptab_nb' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover
    from .errors import *  # noqa: F403
    from .harmonica import Action, Harmonica, load_harmonica, tunings  # noqa: F401
    from .music import Melody, Note  # noqa: F401
