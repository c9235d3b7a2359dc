"""Jupyter hooks outside a kernel: attach is a no-op, formatters give rich HTML."""

from __future__ import annotations

import pytest

from harptab_nb import notebook

IPython = pytest.importorskip("IPython")


def test_attach_outside_a_kernel_changes_nothing():
    from harptab_nb.tracker import ProgressTracker

    def cb(step, value):
        return None

    assert not notebook.in_notebook()
    assert notebook.attach(ProgressTracker("x"), cb) is cb
    assert notebook.attach(ProgressTracker("y")) is None


def test_formatters_render_every_step_result(tmp_path, monkeypatch):
    monkeypatch.setenv("HARPTAB_HOME", str(tmp_path))
    from IPython.core.interactiveshell import InteractiveShell

    from harptab_nb.pipeline.runner import convert

    shell = InteractiveShell.instance()
    try:
        assert notebook.register_formatters(shell)
        monkeypatch.chdir(tmp_path)
        res = convert("corpus:airdsAirs/book1.abc#4", key="G", output_dir="out",
                      record_history=False)
        fmt = shell.display_formatter.format
        expected = {
            "score": "harptab-score-result", "melody": "harptab-melody-svg",
            "analysis": "harptab-analysis-result", "mapping": "harptab-chart",
            "transposition": "harptab-transpose-result", "outputs": "harptab-outputs-result",
        }
        for attr, cls in expected.items():
            data, _meta = fmt(getattr(res, attr))
            assert cls in data["text/html"], attr
        data, _ = fmt(res)
        assert data["text/plain"] == ("<ConversionResult 'corpus:airdsAirs/book1.abc#4' "
                                      "completed -> out/I'll_Touzle_your_Kurchy.pdf>")
        assert "✓ completed: 7/7 steps, 100%" in data["text/html"]
        assert fmt(res.melody)[0]["text/plain"] == "<Melody \"I'll Touzle your Kurchy.\": 87 notes>"
    finally:
        InteractiveShell.clear_instance()
