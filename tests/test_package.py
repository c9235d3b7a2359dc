"""Package-level promises: light import, every public name resolves."""

import subprocess
import sys

import harptab_nb


def test_import_is_light():
    code = (
        "import sys, harptab_nb\n"
        "heavy = [m for m in ('music21', 'matplotlib', 'verovio', 'ipywidgets', 'reportlab')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_public_name_resolves():
    for name in harptab_nb.__all__:
        assert getattr(harptab_nb, name) is not None, name


def test_unknown_name_is_attribute_error():
    import pytest

    with pytest.raises(AttributeError):
        harptab_nb.no_such_thing  # noqa: B018
