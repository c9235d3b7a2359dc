"""Pitch names <-> MIDI numbers without music21 (import-light).

Scientific notation: C4 = middle C = MIDI 60. Sharps ``#`` and flats ``b`` (or ``-``,
music21's spelling) are accepted; names are produced with the harmonica-key spelling
(Db, Eb, F#, Ab, Bb) unless asked otherwise.
"""

from __future__ import annotations

import re

from .errors import OptionError

#: Pitch-class names as harmonica keys are usually sold.
PITCH_CLASSES: tuple[str, ...] = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_SHARPS: tuple[str, ...] = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLATS: tuple[str, ...] = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
_STEP = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_NAME_RE = re.compile(r"^\s*([A-Ga-g])([#b\-♯♭]*)(-?\d+)?\s*$")


def pitch_class(name: str) -> int:
    """Pitch class 0-11 of a name like ``"F#"``, ``"Bb"``, ``"e-"``."""
    m = _NAME_RE.match(name)
    if not m or m.group(3) is not None:
        raise OptionError(f"{name!r} is not a pitch class; use a name like C, F#, Bb")
    return (_STEP[m.group(1).upper()] + _accidental(m.group(2))) % 12


def _accidental(acc: str) -> int:
    return sum(1 if ch in "#♯" else -1 for ch in acc)


def name_to_midi(name: str) -> int:
    """MIDI number of ``"C4"``, ``"F#3"``, ``"Bb5"``, ``"E-4"``."""
    m = _NAME_RE.match(name)
    if not m or m.group(3) is None:
        raise OptionError(f"{name!r} is not a pitch; use a name with an octave like C4, F#3, Bb5")
    octave = int(m.group(3))
    return 12 * (octave + 1) + _STEP[m.group(1).upper()] + _accidental(m.group(2))


def midi_to_name(midi: int, *, spelling: str = "harp") -> str:
    """``60 -> "C4"``. ``spelling``: ``harp`` (Db Eb F# Ab Bb), ``sharp`` or ``flat``."""
    names = {"harp": PITCH_CLASSES, "sharp": _SHARPS, "flat": _FLATS}.get(spelling)
    if names is None:
        raise OptionError(f"unknown spelling {spelling!r}; choose harp, sharp or flat")
    return f"{names[midi % 12]}{midi // 12 - 1}"


def pc_name(pc: int) -> str:
    """Harp-style name of a pitch class (0 -> "C", 6 -> "F#")."""
    return PITCH_CLASSES[pc % 12]
