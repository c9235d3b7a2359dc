"""The melody as plain data: what every step after ``melody`` works on.

Kept free of music21 so the tablature engine, the tracker and the notebook views stay
import-light and easy to test; ``pipeline.melody`` builds these from a music21 score.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .pitch import midi_to_name, name_to_midi


@dataclass(frozen=True)
class Note:
    """One event of a monophonic line.

    ``midi`` is ``None`` for a rest. ``offset`` counts quarter lengths from the start
    of the piece; ``measure`` is the printed measure number. ``tied`` marks the
    continuation of a tie: it sounds on from the previous note and gets no new tab token.
    """

    midi: int | None
    measure: int = 1
    offset: float = 0.0
    duration: float = 1.0
    lyric: str | None = None
    tied: bool = False

    @property
    def is_rest(self) -> bool:
        return self.midi is None

    @property
    def name(self) -> str:
        return "rest" if self.midi is None else midi_to_name(self.midi)


@dataclass(frozen=True)
class Melody:
    """A monophonic line plus what a title line needs."""

    notes: tuple[Note, ...]
    title: str = ""
    composer: str = ""
    key_signature: str | None = None  # e.g. "G major", from the score's signature
    time_signature: str | None = None  # e.g. "6/8"
    part_name: str | None = None
    source: str = ""
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def pitches(self) -> list[int]:
        """MIDI numbers of the sounded notes (rests and tie continuations left out)."""
        return [n.midi for n in self.notes if n.midi is not None and not n.tied]

    def transposed(self, semitones: int) -> Melody:
        """The same line shifted by ``semitones`` (rests unchanged)."""
        if semitones == 0:
            return self
        # Note(...) directly: dataclasses.replace per note was a quarter of a fixed-key tab.
        notes = tuple(
            n if n.midi is None
            else Note(n.midi + semitones, n.measure, n.offset, n.duration, n.lyric, n.tied)
            for n in self.notes
        )
        return replace(self, notes=notes)

    @classmethod
    def from_names(cls, text: str, *, title: str = "", duration: float = 1.0) -> Melody:
        """Build a melody from ``"C4 D4 E4 r F4"`` (``r`` or ``rest`` for a rest)."""
        notes = []
        for i, tok in enumerate(text.split()):
            midi = None if tok.lower() in ("r", "rest") else name_to_midi(tok)
            notes.append(Note(midi=midi, measure=1, offset=i * duration, duration=duration))
        return cls(notes=tuple(notes), title=title)

    @classmethod
    def from_midi(cls, pitches, *, title: str = "", duration: float = 1.0) -> Melody:
        """Build a melody from MIDI numbers (``None`` for a rest), one beat each."""
        notes = tuple(
            Note(midi=p, measure=1, offset=i * duration, duration=duration)
            for i, p in enumerate(pitches)
        )
        return cls(notes=notes, title=title)

    def __len__(self) -> int:
        return len(self.notes)
