"""Range plot: the data per pitch and the drawn figure (matplotlib, Agg, no pyplot)."""

from __future__ import annotations

import pytest

from harptab_nb.harmonica import load_harmonica
from harptab_nb.music import Melody
from harptab_nb.plots import fit_summary, harp_techniques, plot_range, range_rows
from harptab_nb.views import TECHNIQUE_COLOURS

pytest.importorskip("matplotlib")


def test_techniques_on_a_c_richter():
    c = load_harmonica("richter", "C")
    tech = harp_techniques(c, overbends=True)
    assert tech[60] == "natural"  # 1 blow
    assert tech[65] == "bend"  # -2'' F4
    assert tech[63] == "overbend"  # 1o Eb4
    assert tech[67] == "natural"  # 2 draw = 3 blow, natural wins
    assert 63 not in harp_techniques(c, overbends=False)
    assert 68 not in harp_techniques(c, max_bend=2)  # Ab4 needs -3'''


def test_range_rows_count_and_colour_every_pitch():
    c = load_harmonica("richter", "C")
    mel = Melody.from_names("C4 C4 E4 F4 Eb4 r C#4 A6 C8")
    rows = {r.midi: r for r in range_rows(mel, c, overbends=True)}
    assert (rows[60].count, rows[60].technique) == (2, "natural")
    assert (rows[65].count, rows[65].technique) == (1, "bend")
    assert (rows[63].count, rows[63].technique) == (1, "overbend")
    assert (rows[61].count, rows[61].technique) == (1, "bend")
    assert (rows[108].count, rows[108].technique) == (1, "missing")  # C8: above the harp
    assert min(rows) == 60 and max(rows) == 108
    assert fit_summary(list(rows.values())) == {"natural": 4, "bend": 2, "overbend": 1,
                                                "missing": 1}
    # without overbends the Eb4 is missing
    rows2 = {r.midi: r for r in range_rows(mel, c, overbends=False)}
    assert rows2[63].technique == "missing"


def test_plot_bars_match_the_data_and_png_is_stable():
    from matplotlib.colors import to_hex

    c = load_harmonica("richter", "C")
    mel = Melody.from_names("C4 C4 E4 F4 Eb4 C8", title="Test tune")
    plot = plot_range(mel, c, overbends=True)
    ax = plot.figure.axes[0]
    tall = {round(p.get_x() + p.get_width() / 2): (p.get_height(), to_hex(p.get_facecolor()))
            for p in ax.patches if p.get_height() >= 1}
    assert tall[60] == (2, TECHNIQUE_COLOURS["natural"])
    assert tall[65] == (1, TECHNIQUE_COLOURS["bend"])
    assert tall[63] == (1, TECHNIQUE_COLOURS["overbend"])
    assert tall[108] == (1, TECHNIQUE_COLOURS["missing"])
    assert ax.get_title() == "Test tune on Diatonic Richter harmonica in C"
    png = plot.to_png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png == plot.to_png()
    assert plot._repr_png_() == png
    assert repr(plot) == ("<RangePlot Test tune on Diatonic Richter harmonica in C: "
                          "3 natural, 1 bend, 1 overbend, 1 missing notes>")


def test_plot_of_a_real_tune_after_transposition(tmp_path, monkeypatch):
    monkeypatch.setenv("HARPTAB_HOME", str(tmp_path))
    from harptab_nb.pipeline.mapping_load import load_mapping
    from harptab_nb.pipeline.melody import extract_melody
    from harptab_nb.pipeline.ocr import read_score
    from harptab_nb.pipeline.transpose import choose_transposition

    mel = extract_melody(read_score("corpus:airdsAirs/book1.abc#4"))
    rep = choose_transposition(mel, load_mapping("diatonic", key="G"))
    plot = plot_range(rep.melody, rep.harmonica, overbends=rep.overbends)
    s = plot.summary
    assert sum(s.values()) == len(rep.melody.pitches)
    assert s["missing"] == rep.count("unplayable")
    assert s["bend"] == rep.count("bend")
