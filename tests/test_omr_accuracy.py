"""Built-in recognizer accuracy on real corpus tunes engraved by independent engravers.

A small fixed sample (the first tunes of Aird's Airs book 1 and of the Essen folk
songs) is rendered by verovio with three SMuFL fonts and by LilyPond, read back, and
compared note by note (edit distance) with the tune. Floors: 98 % pitch, 95 % pitch
and duration, per engraver. The full benchmark is ``bench/omr/bench_omr.py``.
"""

from __future__ import annotations

import pytest

from harptab_nb.omr import groundtruth as gt
from harptab_nb.omr import recognize_pages

pytestmark = pytest.mark.slow

SAMPLE = [("airds", 4), ("essen", 2)]


@pytest.fixture(scope="module")
def sample() -> list[tuple[str, str, list]]:
    from music21 import converter

    out = []
    for coll, n in SAMPLE:
        for name, score in gt.corpus_tunes(coll, limit=n):
            xml = gt.to_musicxml(score)
            out.append((name, xml, gt.events(converter.parseData(xml, format="musicxml"))))
    return out


def _pooled(sample, render) -> tuple[float, float, list[str]]:
    notes = pitch_err = both_err = 0
    report = []
    for name, xml, truth in sample:
        score, _warnings, _pages = recognize_pages(render(xml))
        p, b = gt.accuracy(truth, gt.events(score))
        notes += len(truth)
        pitch_err += round((1 - p) * len(truth))
        both_err += round((1 - b) * len(truth))
        report.append(f"{name}: pitch {p:.3f} p+d {b:.3f}")
    return 1 - pitch_err / notes, 1 - both_err / notes, report


@pytest.mark.parametrize("font", ["Leipzig", "Bravura", "Leland"])
def test_verovio_fonts_above_floors(sample, font: str) -> None:
    pitch, both, report = _pooled(sample, lambda xml: gt.render_verovio(xml, font))
    assert pitch >= 0.98, report
    assert both >= 0.95, report


def test_lilypond_above_floors(sample) -> None:
    if not gt.lilypond_available():
        pytest.skip("LilyPond is not installed (apt-get install lilypond; .ci/run does it)")
    pitch, both, report = _pooled(sample, gt.render_lilypond)
    assert pitch >= 0.98, report
    assert both >= 0.95, report


def test_robustness_set_does_not_crash(sample) -> None:
    """Rotated 1.5 degrees, speckled, and at 150 dpi: figures may drop, nothing crashes."""
    import numpy as np
    from PIL import Image

    name, xml, truth = sample[0]
    page = gt.render_verovio(xml, "Leipzig")[0]
    rng = np.random.default_rng(1)
    speckled = page.copy()
    noise = rng.random(page.shape)
    speckled[noise < 0.002] = 0
    speckled[noise > 0.998] = 255
    variants = {
        "rotated": np.asarray(
            Image.fromarray(page).rotate(1.5, resample=Image.BILINEAR, expand=True, fillcolor=255)
        ),
        "speckle": speckled,
        "150dpi": np.asarray(
            Image.fromarray(page).resize((page.shape[1] // 2, page.shape[0] // 2), Image.LANCZOS)
        ),
    }
    for label, gray in variants.items():
        score, warnings, pages = recognize_pages([gray])
        pitch, _both = gt.accuracy(truth, gt.events(score))
        assert pages[0].staves, label
        assert pitch > 0.5, (label, pitch)
    assert any("straightened" in w.message for w in recognize_pages([variants["rotated"]])[1])


def test_edit_distance_scoring() -> None:
    from fractions import Fraction as F

    truth = [(60, F(1)), (62, F(1)), (64, F(1, 2)), (None, F(1))]
    assert gt.accuracy(truth, truth) == (1.0, 1.0)
    # one wrong duration: pitch intact
    assert gt.accuracy(truth, [(60, F(1)), (62, F(1)), (64, F(1)), (None, F(1))]) == (1.0, 0.75)
    # one note missing, one extra
    assert gt.accuracy(truth, [(60, F(1)), (64, F(1, 2)), (None, F(1)), (67, F(1))]) == (0.5, 0.5)
    assert gt.edit_distance("kitten", "sitting") == 3
