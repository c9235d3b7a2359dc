"""Step ``analysis``: the key of the tune and the range a harmonica must cover.

``analysis_key`` reads the written key signature and estimates the key from a pitch
profile (music21's Krumhansl-style correlation, weighted by durations); ``song_key`` is
the best-correlated key that agrees with the signature (unless the notes plainly
contradict the signature), which is what choosing a harp key and position needs. ``analysis_range`` gives lowest/highest notes, span, tessitura (where
the middle 80% of the sounding time lies) and a histogram of pitches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import MelodyError
from ..music import Melody
from ..pitch import midi_to_name
from ..tracker import ProgressTracker, step_scope

STEP_ID = "analysis"

#: Share of the sounding time the tessitura holds (the middle 80%).
TESSITURA_SHARE = 0.8
#: The estimate overrules the written signature when it correlates this much better
#: than every key sharing that signature.
SIGNATURE_OVERRULE = 0.2


@dataclass(frozen=True)
class Analysis:
    """Key and range of a melody.

    ``key_signature`` is the written signature ("G major", or ``None``),
    ``estimated_key`` the pitch-profile estimate with ``key_confidence`` in 0..1,
    ``song_key`` the signature-consistent best guess. ``lowest``/``highest`` are MIDI
    numbers, ``span`` the semitones between them, ``tessitura`` a (low, high) MIDI pair
    holding the middle 80% of sounding time, ``histogram`` MIDI -> number of notes.
    """

    key_signature: str | None
    estimated_key: str
    key_confidence: float
    song_key: str
    lowest: int
    highest: int
    span: int
    tessitura: tuple[int, int]
    histogram: dict[int, int] = field(default_factory=dict)
    alternatives: tuple[tuple[str, float], ...] = ()

    @property
    def range_names(self) -> tuple[str, str]:
        """("D4", "B5"): the lowest and highest note as names."""
        return midi_to_name(self.lowest), midi_to_name(self.highest)

    @property
    def tessitura_names(self) -> tuple[str, str]:
        """("E4", "F#5"): the tessitura as note names."""
        return midi_to_name(self.tessitura[0]), midi_to_name(self.tessitura[1])

    def summary(self) -> str:
        """One line for a log or a notebook cell."""
        lo, hi = self.range_names
        tlo, thi = self.tessitura_names
        sig = self.key_signature or "none"
        return (
            f"key {self.song_key} (signature {sig}, estimate {self.estimated_key} "
            f"{self.key_confidence:.2f}); range {lo}-{hi} ({self.span} semitones), "
            f"tessitura {tlo}-{thi}"
        )


def analyze(
    melody: Melody,
    *,
    score: Any = None,
    tracker: ProgressTracker | None = None,
) -> Analysis:
    """Key and range of ``melody``.

    ``score`` (a ``ScoreResult`` or music21 score) is optional: when given, its key
    signature fills in a melody without one, and the key estimate also hears the
    accompaniment, which makes it steadier than the bare tune.
    """
    with step_scope(tracker, STEP_ID, "Analysing the melody") as st:
        sounded = [n for n in melody.notes if n.midi is not None]
        if not sounded:
            raise MelodyError("the melody has no notes to analyse")
        m21score = getattr(score, "score", score)
        with st.substep("analysis_key", "Finding the key") as sub:
            key_sig = melody.key_signature or _score_signature(m21score)
            estimate, confidence, ranked = estimate_key(melody, m21score)
            song = _song_key(key_sig, estimate, ranked)
            sub.done(f"{song} (estimate {estimate}, confidence {confidence:.2f})")
        with st.substep("analysis_range", "Measuring the range") as sub:
            lowest = min(n.midi for n in sounded)
            highest = max(n.midi for n in sounded)
            tess = tessitura(melody)
            hist = histogram(melody)
            sub.done(f"{midi_to_name(lowest)}-{midi_to_name(highest)}, "
                     f"{highest - lowest} semitones")
        result = Analysis(
            key_signature=key_sig,
            estimated_key=estimate,
            key_confidence=confidence,
            song_key=song,
            lowest=lowest,
            highest=highest,
            span=highest - lowest,
            tessitura=tess,
            histogram=hist,
            alternatives=tuple(ranked[:6]),
        )
        st.done(f"{song}, {midi_to_name(lowest)}-{midi_to_name(highest)}")
        return result


# --------------------------------------------------------------------- key


def estimate_key(melody: Melody, score: Any = None) -> tuple[str, float, list[tuple[str, float]]]:
    """(best key, confidence 0..1, [(key, correlation), ...] best first).

    Uses music21's key analysis on the melody's pitches weighted by duration (plus the
    full score when given and it has notes).
    """
    from music21 import stream

    target = None
    if score is not None and isinstance(score, stream.Stream):
        if any(True for _ in score.recurse().notes):
            target = score
    if target is None:
        target = _melody_stream(melody)
    try:
        k = target.analyze("key")
    except Exception as exc:  # music21 raises on degenerate input (e.g. no pitches)
        raise MelodyError(f"could not estimate the key of the melody ({exc})") from exc
    ranked = [(_key_str(k), float(k.correlationCoefficient))]
    for alt in getattr(k, "alternateInterpretations", None) or ():
        name = _key_str(alt)
        if all(name != r[0] for r in ranked):
            ranked.append((name, float(alt.correlationCoefficient)))
    ranked.sort(key=lambda kv: -kv[1])
    best, coeff = ranked[0]
    return best, round(max(0.0, min(1.0, coeff)), 3), ranked


def _melody_stream(melody: Melody) -> Any:
    from music21 import note, stream

    s = stream.Stream()
    for n in melody.notes:
        if n.midi is None or n.duration <= 0:
            continue
        nn = note.Note(n.midi)
        nn.quarterLength = n.duration
        s.insert(n.offset, nn)
    if not len(s):  # only grace notes: count each once
        for n in melody.notes:
            if n.midi is not None:
                s.append(note.Note(n.midi))
    return s


def _key_str(k: Any) -> str:
    tonic = k.tonic.name.replace("-", "b")
    return f"{tonic} {k.mode}"


def _song_key(key_sig: str | None, estimate: str, ranked: list[tuple[str, float]]) -> str:
    """The best-correlated key that has the written signature (else the estimate).

    A signature with one sharp means G major or E minor (or a mode on another degree);
    the profile decides which, so a tune in E minor is not called G major.
    """
    if not key_sig:
        return estimate
    if not key_sig.endswith(("major", "minor")):
        return key_sig  # the score names a church mode ("A dorian"): trust it
    wanted = _sharps(key_sig)
    if wanted is None:
        return key_sig
    best_corr = ranked[0][1] if ranked else 0.0
    for name, corr in ranked:
        if _sharps(name) == wanted:
            # a signature the notes plainly contradict (a lead sheet that forgot its
            # flat, a folk encoding whose K: names only the tonic): trust the notes
            return name if best_corr - corr <= SIGNATURE_OVERRULE else estimate
    return key_sig


_MODE_SHIFT = {"major": 0, "ionian": 0, "minor": -3, "aeolian": -3, "dorian": -2,
               "phrygian": -4, "lydian": 1, "mixolydian": -1, "locrian": -5}


def _sharps(key_text: str) -> int | None:
    """Number of sharps (negative: flats) of "G major", "E minor", "A dorian"."""
    from music21 import key

    try:
        tonic, mode = key_text.split()
        mode = mode.lower()
        shift = _MODE_SHIFT[mode]
        major = key.Key(tonic.replace("b", "-") if len(tonic) > 1 else tonic, "major")
    except (ValueError, KeyError, Exception):
        return None
    return major.sharps + shift


def _score_signature(score: Any) -> str | None:
    if score is None:
        return None
    from music21 import key, stream

    if not isinstance(score, stream.Stream):
        return None
    ks = next(iter(score.recurse().getElementsByClass(key.KeySignature)), None)
    if ks is None:
        return None
    from .melody import key_name

    return key_name(ks)


# --------------------------------------------------------------------- range


def tessitura(melody: Melody, share: float = TESSITURA_SHARE) -> tuple[int, int]:
    """(low, high) MIDI holding the middle ``share`` of sounding time.

    Durations weight the notes (a held note counts more than a passing one); the
    lowest and highest ``(1 - share) / 2`` of the time are cut off.
    """
    weights: dict[int, float] = {}
    for n in melody.notes:
        if n.midi is not None:
            weights[n.midi] = weights.get(n.midi, 0.0) + max(n.duration, 0.0)
    if not weights:
        raise MelodyError("the melody has no notes to measure")
    total = sum(weights.values())
    if total <= 0:  # only grace notes: count notes instead
        weights = {m: 1.0 for m in weights}
        total = float(len(weights))
    cut = total * (1.0 - share) / 2.0
    ordered = sorted(weights.items())
    low = _quantile(ordered, cut)
    high = _quantile(list(reversed(ordered)), cut)
    return low, max(low, high)


def _quantile(ordered: list[tuple[int, float]], cut: float) -> int:
    acc = 0.0
    for midi, w in ordered:
        acc += w
        if acc > cut + 1e-9:
            return midi
    return ordered[-1][0]


def histogram(melody: Melody) -> dict[int, int]:
    """MIDI -> how many times it is played (tie continuations not counted), sorted by pitch."""
    counts: dict[int, int] = {}
    for n in melody.notes:
        if n.midi is not None and not n.tied:
            counts[n.midi] = counts.get(n.midi, 0) + 1
    return dict(sorted(counts.items()))
