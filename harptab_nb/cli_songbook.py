"""``harptab songbook``: several tunes into one PDF with a contents page.

Wire it by adding ``"harptab_nb.cli_songbook"`` to ``cli._COMMAND_MODULES``.
"""

from __future__ import annotations

import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add ``songbook`` to the ``harptab`` command."""
    p = subparsers.add_parser(
        "songbook", help="several tunes into one PDF with a table of contents",
        description="Tab every tune (files, every X: tune of an ABC file, corpus:NAME) for "
                    "the same harp settings and write OUTDIR/TITLE.pdf: a contents page "
                    "with page numbers, then each tune with its own harp line.")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="score files (FILE.abc = all its tunes, FILE.abc#N = tune N) or "
                        "corpus:NAME")
    p.add_argument("-t", "--title", default="Songbook", help="title of the book")
    p.add_argument("-o", "--output-dir", default=".", metavar="OUTDIR")
    p.add_argument("--name", default=None, help="file name stem (default: from the title)")
    p.add_argument("--harmonica", default="diatonic", metavar="TYPE")
    p.add_argument("--holes", default=None, type=int, metavar="N")
    p.add_argument("--tuning", default="richter", metavar="T")
    p.add_argument("--key", default="C", metavar="K", help="harp key or auto (per tune)")
    p.add_argument("--transpose", default="auto", metavar="auto|none|N")
    p.add_argument("--max-bend", default=None, type=int, metavar="0-3")
    p.add_argument("--overbends", action="store_true")
    p.add_argument("--page-size", default="A4", metavar="A4|Letter")
    p.add_argument("--pdf-layout", default="staff", metavar="staff|text",
                   help="staff: notes with the tab under them (default); text: tab lines")
    p.add_argument("--skip-errors", action="store_true",
                   help="leave out tunes that cannot be read or played (listed on stderr)")
    p.set_defaults(func=run)


def run(args: Any) -> int:
    """Build the songbook; print its path (and any tune left out) and return 0."""
    from .publish.songbook import write_songbook

    transpose: str | int = args.transpose
    if isinstance(transpose, str) and transpose.lstrip("+-").isdigit():
        transpose = int(transpose)
    warnings: list[str] = []
    path = write_songbook(
        args.inputs, output_dir=args.output_dir, title=args.title, name=args.name,
        page_size=args.page_size, layout=args.pdf_layout, harmonica=args.harmonica,
        key=args.key, tuning=args.tuning, transpose=transpose, max_bend=args.max_bend,
        overbends=args.overbends, holes=args.holes, skip_errors=args.skip_errors,
        warnings=warnings)
    for w in warnings:
        print(f"harptab: warning: {w}", file=sys.stderr)
    print(path)
    return 0
