"""Hear the melody: a small reed-like synthesizer to WAV, numpy only, no soundfont.

Playback must work offline and give the same bytes on every machine (the WAV is
embedded in notebooks that nbval compares). So the tone is read from a wavetable
rounded to integers once, with integer phase accumulators and integer envelopes:
no per-sample floating-point ``sin`` whose last bits vary with the CPU's SIMD path.
"""

from __future__ import annotations

import io
import wave
from typing import Any

import numpy as np

_TABLE_BITS = 11  # 2048-entry wavetable
_PHASE_BITS = 32  # phase accumulator fraction bits
#: Harmonic amplitudes (in 1/64) of a soft, reedy tone.
_HARMONICS = (64, 30, 18, 10, 6, 3)


def _wavetable() -> np.ndarray:
    n = 1 << _TABLE_BITS
    t = np.arange(n) * (2 * np.pi / n)
    wave_ = sum(a * np.sin(k * t) for k, a in enumerate(_HARMONICS, start=1))
    wave_ = wave_ / np.abs(wave_).max()
    return np.round(wave_ * 16000).astype(np.int64)


_TABLE = _wavetable()


def _increment(midi: int, rate: int) -> int:
    freq = 440.0 * 2.0 ** ((midi - 69) / 12.0)
    return int(round(freq * (1 << (_TABLE_BITS + _PHASE_BITS)) / rate))


def synthesize(melody: Any, *, tempo: float = 100.0, rate: int = 8000,
               max_seconds: float | None = None, volume: int = 90) -> np.ndarray:
    """int16 samples of ``melody`` (``music.Note``s or ``TabNote``s) at ``tempo`` quarter
    notes per minute. Tied continuations extend the previous tone; rests are silent."""
    if rate <= 0 or tempo <= 0:
        raise ValueError("rate and tempo must be positive")
    spq = rate * 60.0 / tempo  # samples per quarter note
    notes = list(melody.notes)
    if not notes:
        return np.zeros(0, dtype=np.int16)
    start0 = notes[0].offset
    events: list[tuple[int, int, int]] = []  # (start sample, length, midi)
    for n in notes:
        s = int(round((n.offset - start0) * spq))
        length = int(round(n.duration * spq))
        if n.midi is None or length <= 0:
            continue
        if getattr(n, "tied", False) and events and events[-1][2] == n.midi:
            ps, _pl, pm = events[-1]
            events[-1] = (ps, s + length - ps, pm)
        else:
            events.append((s, length, n.midi))
    total = max((s + n for s, n, _ in events), default=0)
    if max_seconds is not None:
        total = min(total, int(max_seconds * rate))
    out = np.zeros(total, dtype=np.int64)
    attack, release = rate // 100, rate // 25  # 10 ms in, 40 ms out
    mask = (1 << _TABLE_BITS) - 1
    for s, length, midi in events:
        if s >= total:
            break
        length = min(length, total - s)
        idx = np.arange(length, dtype=np.int64)
        phase = (idx * _increment(midi, rate)) >> _PHASE_BITS
        tone = _TABLE[phase & mask]
        env = np.full(length, 1024, dtype=np.int64)
        a = min(attack, length)
        env[:a] = (np.arange(a) * 1024) // max(a, 1)
        r = min(release, length - a)
        if r > 0:
            env[length - r:] = np.minimum(env[length - r:], (np.arange(r, 0, -1) * 1024) // r)
        out[s:s + length] += (tone * env) >> 10
    out = (out * volume) // 100
    return np.clip(out, -32767, 32767).astype(np.int16)


def to_wav(samples: np.ndarray, rate: int = 8000, bits: int = 16) -> bytes:
    """Mono PCM WAV bytes, 16-bit or 8-bit (8-bit halves the size of an embedded player)."""
    if bits not in (8, 16):
        raise ValueError(f"bits must be 8 or 16, not {bits}")
    data = np.asarray(samples, dtype=np.int64)
    if bits == 8:
        frames = ((data + 32768) >> 8).astype(np.uint8).tobytes()
    else:
        frames = data.astype("<i2").tobytes()
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(bits // 8)
        w.setframerate(rate)
        w.writeframes(frames)
    return buf.getvalue()


def melody_wav(melody: Any, *, tempo: float = 100.0, rate: int = 8000,
               max_seconds: float | None = None, bits: int = 16) -> bytes:
    """WAV bytes of the melody (8 kHz keeps notebooks small; a harp's range fits)."""
    samples = synthesize(melody, tempo=tempo, rate=rate, max_seconds=max_seconds)
    return to_wav(samples, rate, bits)


def play(melody: Any, *, tempo: float = 100.0, rate: int = 8000,
         max_seconds: float | None = None, bits: int = 16) -> Any:
    """An ``IPython.display.Audio`` player of the melody (the transposed one: pass
    ``report.melody`` or the ``Tablature``), embedded, no file written."""
    from IPython.display import Audio

    wav = melody_wav(melody, tempo=tempo, rate=rate, max_seconds=max_seconds, bits=bits)
    return Audio(data=wav)
