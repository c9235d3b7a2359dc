"""Typed errors whose messages a musician can act on.

Every error raised on purpose by harptab_nb derives from :class:`HarptabError`.
The pipeline marks the failing step ``error`` with ``str(exc)``; the CLI prints that
one line (a traceback only with ``--debug``).
"""

from __future__ import annotations


class HarptabError(Exception):
    """Base class. ``step`` names the pipeline step that failed, when known."""

    step: str | None = None

    def __init__(self, message: str, *, step: str | None = None) -> None:
        super().__init__(message)
        if step is not None:
            self.step = step


class OptionError(HarptabError, ValueError):
    """A parameter has a value we do not know; the message lists the valid choices."""


class InputError(HarptabError):
    """The input score cannot be used (missing, unsupported, corrupt, empty)."""

    step = "ocr"


class UnsupportedInput(InputError):
    """The file type is not one we can read (yet)."""


class ScoreReadError(InputError):
    """The file exists and has a known type but could not be parsed."""


class EmptyScore(InputError):
    """The score parsed but holds no pitched notes to play."""


class MelodyError(HarptabError):
    """No usable melody line could be extracted."""

    step = "melody"


class LayoutError(HarptabError):
    """A harmonica layout file is malformed; the message names the file and the field."""

    step = "mapping_load"


class NotPlayable(HarptabError):
    """No harmonica placement can play the melody."""

    step = "transpose"


class TabParseError(HarptabError, ValueError):
    """Tab text that does not follow the notation."""


class OutputError(HarptabError):
    """An output file could not be written (read-only or full folder, bad name)."""

    step = "pdf"


class Cancelled(HarptabError):
    """The run was cancelled; raised at the next step or substep boundary."""
