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
}

__all__ = sorted(_EXPORTS) + ["__version__"]


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
