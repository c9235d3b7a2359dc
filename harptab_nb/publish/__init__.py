"""Publication outputs: engraved PDF, text/Markdown/HTML tab, MusicXML, songbooks.

One module per idea (``engrave``, ``pdf_layout``, ``musicxml_export``, ``text_export``,
``songbook``, ``safe_write``). Nothing heavy is imported here: reportlab, svglib,
verovio and music21 load only inside the functions that need them, so
``import harptab_nb`` stays fast. The names below load their module on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "render_pdf": "pdf_layout",
    "tab_pdf_fonts": "pdf_layout",
    "page_png": "pdf_layout",
    "to_musicxml": "musicxml_export",
    "read_tab_verse": "musicxml_export",
    "to_text": "text_export",
    "to_markdown": "text_export",
    "to_html": "text_export",
    "harp_line": "text_export",
    "write_songbook": "songbook",
    "render_songbook": "songbook",
    "make_entries": "songbook",
    "SongbookEntry": "songbook",
    "safe_name": "safe_write",
    "engrave_svgs": "engrave",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'harptab_nb.publish' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
