"""Melody synthesis: right pitches and lengths, ties and rests, stable bytes."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from harptab_nb import audio
from harptab_nb.music import Melody, Note


def _peak_hz(x: np.ndarray, rate: int) -> float:
    spec = np.abs(np.fft.rfft(x.astype(float) * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spec)])


@pytest.mark.parametrize("name,hz", [("A4", 440.0), ("C4", 261.63), ("E6", 1318.51)])
def test_pitch_of_a_note(name, hz):
    x = audio.synthesize(Melody.from_names(name), tempo=60, rate=8000)
    assert len(x) == 8000  # one quarter at 60 bpm = 1 s
    assert abs(_peak_hz(x, 8000) - hz) < 2.0


def test_rests_are_silent_and_tempo_sets_length():
    x = audio.synthesize(Melody.from_names("C4 r E4"), tempo=120, rate=8000)
    assert len(x) == 3 * 4000
    assert np.all(x[4000:8000] == 0)
    assert np.abs(x[:4000]).max() > 1000 and np.abs(x[8000:]).max() > 1000


def test_tied_continuation_sustains_without_a_new_attack():
    tied = Melody(notes=(Note(60, 1, 0.0, 1.0), Note(60, 2, 1.0, 1.0, tied=True)))
    two = Melody(notes=(Note(60, 1, 0.0, 1.0), Note(60, 2, 1.0, 1.0)))
    a = audio.synthesize(tied, tempo=60, rate=8000)
    b = audio.synthesize(two, tempo=60, rate=8000)
    edge = slice(7950, 8050)  # around the boundary: the repeated note fades out and in
    assert np.abs(a[edge]).min() > np.abs(b[edge]).min()
    assert np.abs(b[7990:8000]).max() < 0.3 * np.abs(a[7990:8000]).max()


def test_wav_bytes_are_valid_and_deterministic():
    mel = Melody.from_names("C4 D4 E4 F4 G4")
    w1 = audio.melody_wav(mel, rate=8000)
    assert w1 == audio.melody_wav(mel, rate=8000)
    with wave.open(io.BytesIO(w1)) as r:
        assert (r.getnchannels(), r.getsampwidth(), r.getframerate()) == (1, 2, 8000)
        assert r.getnframes() == 5 * 4800  # 100 bpm default
    w8 = audio.melody_wav(mel, bits=8, max_seconds=1)
    with wave.open(io.BytesIO(w8)) as r:
        assert (r.getsampwidth(), r.getnframes()) == (1, 8000)
    with pytest.raises(ValueError):
        audio.to_wav(np.zeros(4, dtype=np.int16), bits=12)


def test_play_returns_an_embedded_player():
    pytest.importorskip("IPython")
    player = audio.play(Melody.from_names("C4 E4 G4"), max_seconds=1, bits=8)
    html = player._repr_html_()
    assert "data:audio/wav;base64," in html
