"""Real tunes and tabs for the publication tests (no mocks: corpus + engine)."""

from __future__ import annotations

import functools

from harptab_nb.music import Melody
from harptab_nb.tablature import Tablature


@functools.lru_cache(maxsize=64)
def corpus_melody(ref: str = "airdsAirs/book1.abc#4") -> Melody:
    """A melody read from music21's bundled corpus through the real ocr + melody steps."""
    from harptab_nb.pipeline.melody import extract_melody
    from harptab_nb.pipeline.ocr import read_score

    return extract_melody(read_score(f"corpus:{ref}"))


def make_tab(melody: Melody, key: str = "C", tuning: str = "richter") -> Tablature:
    """Tab ``melody`` with the real engine (mapping_load, transpose, tablature)."""
    from harptab_nb.pipeline.mapping_load import load_mapping
    from harptab_nb.pipeline.tablature import make_tablature
    from harptab_nb.pipeline.transpose import choose_transposition

    report = choose_transposition(melody, load_mapping("diatonic", tuning=tuning, key=key))
    return make_tablature(report)
