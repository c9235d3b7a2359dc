"""Real tunes and tabs for the publication tests (no mocks: corpus + engine)."""

from __future__ import annotations

import functools

from harptab_nb.harmonica import load_harmonica
from harptab_nb.music import Melody
from harptab_nb.tablature import Tablature, TabNote, token_for


@functools.lru_cache(maxsize=64)
def corpus_melody(ref: str = "airdsAirs/book1.abc#4") -> Melody:
    """A melody read from music21's bundled corpus through the real ocr + melody steps."""
    from harptab_nb.pipeline.melody import extract_melody
    from harptab_nb.pipeline.ocr import read_score

    return extract_melody(read_score(f"corpus:{ref}"))


def _greedy(melody: Melody, harp, semitones: int) -> Tablature:
    notes = []
    for i, n in enumerate(melody.notes):
        midi = None if n.midi is None else n.midi + semitones
        action, token = None, ""
        if midi is not None:
            acts = sorted(harp.actions_for(midi), key=lambda a: (a.technique != "natural",
                                                                  a.bend, a.hole))
            action = acts[0] if acts else None
            token = "" if n.tied else token_for(action)
        notes.append(TabNote(index=i, measure=n.measure, offset=n.offset, duration=n.duration,
                             source_midi=n.midi, midi=midi, action=action, token=token,
                             lyric=n.lyric, tied=n.tied))
    return Tablature(harmonica=harp, notes=tuple(notes), transpose_semitones=semitones,
                     position=1, song_key=melody.key_signature, title=melody.title,
                     composer=melody.composer)


def make_tab(melody: Melody, key: str = "C", tuning: str = "richter") -> Tablature:
    """Tab ``melody`` with the real engine when it is there, else a simple real placement."""
    try:
        from harptab_nb.pipeline.mapping_load import load_mapping
        from harptab_nb.pipeline.tablature import make_tablature
        from harptab_nb.pipeline.transpose import choose_transposition
    except ImportError:
        harp = load_harmonica(tuning, key)
        best = min((_greedy(melody, harp, s) for s in range(-24, 25)),
                   key=lambda t: (t.unplayable, t.bends + 2 * t.overbends,
                                  t.transpose_semitones % 12 != 0,
                                  abs(t.transpose_semitones)))
        return best
    report = choose_transposition(melody, load_mapping("diatonic", tuning=tuning, key=key))
    return make_tablature(report)
