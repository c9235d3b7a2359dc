"""Shared test set-up: no test ever touches the real user data folder.

Every test runs with ``HARPTAB_HOME`` pointing at its own temporary folder, so
conversions record their history there and never in ``~/.local/share/harptab``.
Subprocesses started by a test inherit the variable through ``os.environ``.
A test file may still set its own ``HARPTAB_HOME`` (its fixture runs after this one).
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_harptab_home(tmp_path_factory: pytest.TempPathFactory,
                          monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``HARPTAB_HOME`` (and XDG_DATA_HOME, in case a test unsets the first) at a
    fresh temporary folder for the duration of one test."""
    home = tmp_path_factory.mktemp("harptab_home")
    monkeypatch.setenv("HARPTAB_HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg"))
    return home
