"""Step ``pdf``: write the tab to disk (PDF, text, JSON and optional exporters).

Substeps: ``pdf_format`` lays out every requested output in memory (PDF bytes, text,
JSON, MusicXML, Markdown, HTML) and ``pdf_compile`` writes them, all through temp files
renamed into place, so a failed run leaves the previous good outputs and no half file.
File names come from the tune's title, sanitized (see ``publish.safe_write``); a re-run
with the same title replaces its own earlier outputs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import HarptabError, OptionError, OutputError
from ..tracker import step_scope

if TYPE_CHECKING:
    from ..music import Melody
    from ..tablature import Tablature
    from ..tracker import ProgressTracker

STEP_ID = "pdf"

#: Output formats and their file suffixes.
FORMATS = {
    "pdf": ".pdf",
    "txt": ".txt",
    "json": ".json",
    "musicxml": ".musicxml",
    "md": ".md",
    "html": ".html",
}
DEFAULT_FORMATS = ("pdf", "txt", "json")


@dataclass(frozen=True)
class OutputFiles:
    """Paths of the files written (``None`` for a format not asked for)."""

    pdf: Path | None
    txt: Path | None
    json: Path | None
    musicxml: Path | None = None
    extra: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def paths(self) -> list[Path]:
        """Every written path, in a stable order."""
        return [p for p in (self.pdf, self.txt, self.json, self.musicxml) if p] + list(self.extra)


def _check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    if isinstance(formats, str):
        formats = (formats,)
    out = []
    for f in formats:
        f = str(f).lower().lstrip(".")
        f = {"xml": "musicxml", "markdown": "md", "text": "txt"}.get(f, f)
        if f not in FORMATS:
            raise OptionError(f"unknown output format {f!r}; choose from {', '.join(FORMATS)}")
        if f not in out:
            out.append(f)
    if not out:
        raise OptionError("no output format asked for; choose from " + ", ".join(FORMATS))
    return tuple(out)


def write_outputs(
    tablature: Tablature,
    *,
    output_dir: str | os.PathLike,
    name: str | None = None,
    melody: Melody | None = None,
    tracker: ProgressTracker | None = None,
    page_size: str = "A4",
    layout: str = "staff",
    formats: Sequence[str] = DEFAULT_FORMATS,
    json_extra: Mapping | None = None,
) -> OutputFiles:
    """Write the tab as ``output_dir/NAME.{pdf,txt,json,...}`` and return the paths.

    ``name`` defaults to the (sanitized) title. ``melody`` (optional) supplies the
    time signature and key for engraving; the tab alone is enough otherwise.
    ``layout="staff"`` engraves the melody with the tab under it, ``"text"`` prints tab
    lines only. ``json_extra`` adds top-level keys to the JSON file (the runner puts the
    final status there); the tab keys of issue 2 are never changed.
    """
    from ..publish import safe_write
    from ..publish.pdf_layout import check_layout
    from ..publish.pdf_layout import page_size as _page_size

    formats = _check_formats(formats)
    check_layout(layout)
    _page_size(page_size)
    with step_scope(tracker, STEP_ID, "Writing the outputs") as st:
        warnings: list[str] = []
        with st.substep("pdf_format", "Laying out the pages") as sub:
            stem = safe_write.safe_name(name or tablature.title or getattr(melody, "title", ""))
            blobs: dict[str, bytes] = {}
            for i, fmt in enumerate(formats):
                blobs[fmt] = _render(fmt, tablature, melody=melody, page_size=page_size,
                                     layout=layout, json_extra=json_extra, warnings=warnings)
                sub.progress(100 * (i + 1) / len(formats), f"{fmt} laid out")
            sub.done(f"{', '.join(formats)} laid out")
        with st.substep("pdf_compile", "Writing the files") as sub:
            folder = safe_write.ensure_folder(output_dir)
            paths = {fmt: safe_write.output_path(folder, stem, FORMATS[fmt]) for fmt in formats}
            safe_write.write_all((paths[f], blobs[f]) for f in formats)
            sizes = sum(len(b) for b in blobs.values())
            sub.done(f"{len(paths)} files written to {folder} ({sizes // 1024} KiB)")
        st.done(f"{stem}: {', '.join(formats)}")
    return OutputFiles(
        pdf=paths.get("pdf"), txt=paths.get("txt"), json=paths.get("json"),
        musicxml=paths.get("musicxml"),
        extra=tuple(paths[f] for f in formats if f not in ("pdf", "txt", "json", "musicxml")),
        warnings=tuple(warnings),
    )


def _render(fmt: str, tablature: Tablature, *, melody: Melody | None, page_size: str,
            layout: str, json_extra: Mapping | None, warnings: list[str]) -> bytes:
    """The bytes of one output format (a staff PDF the engraver fails on: text layout)."""
    from ..publish import text_export

    if fmt == "pdf":
        from ..publish.pdf_layout import render_pdf

        try:
            return render_pdf(tablature, melody=melody, page_size=page_size, layout=layout)
        except HarptabError:
            raise
        except Exception as exc:  # engraving libraries failing on odd input
            if layout != "staff":
                raise OutputError(f"could not lay out the PDF: {exc}") from exc
            warnings.append(f"staff engraving failed ({type(exc).__name__}: {exc}); "
                            "the PDF uses the text layout")
            return render_pdf(tablature, melody=melody, page_size=page_size, layout="text")
    if fmt == "txt":
        return text_export.to_text(tablature).encode("utf-8")
    if fmt == "json":
        data = tablature.to_json()
        if json_extra:
            clash = set(json_extra) & set(data)
            if clash:
                raise OptionError(f"json_extra may not replace tab keys: {sorted(clash)}")
            data = {**data, **dict(json_extra)}
        return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    if fmt == "md":
        return text_export.to_markdown(tablature).encode("utf-8")
    if fmt == "html":
        return text_export.to_html(tablature).encode("utf-8")
    if fmt == "musicxml":
        from ..publish.musicxml_export import to_musicxml

        return to_musicxml(tablature, melody=melody).encode("utf-8")
    raise OptionError(f"unknown output format {fmt!r}")  # pragma: no cover
