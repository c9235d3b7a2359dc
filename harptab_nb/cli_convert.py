"""``harptab convert`` (the whole pipeline with live progress) and ``harptab history``.

``convert`` runs the seven steps in a worker thread while the main thread shows the
tracker (or prints status JSON lines with ``--status-json``); Ctrl-C cancels at the next
step boundary. Every failure is one line on stderr and a non-zero exit code; ``--debug``
shows the traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from typing import Any

from .cli import choice, int_choice
from .errors import HarptabError, OptionError

HARMONICAS = ("diatonic", "chromatic")
LANGS = ("en", "fr")
PAGE_SIZES = ("A4", "Letter")
LAYOUTS = ("staff", "text")
EXIT_ERROR, EXIT_INTERNAL, EXIT_CANCELLED = 1, 2, 130


def register(subparsers: Any) -> None:
    """Add ``convert`` and ``history`` to the ``harptab`` command."""
    p = subparsers.add_parser(
        "convert", help="convert a score to harmonica tab (PDF, text, JSON) with live progress",
        description="Run the seven steps (ocr, melody, analysis, mapping_load, transpose, "
                    "tablature, pdf) and write OUTDIR/NAME.pdf, .txt and .json.")
    p.add_argument("input", metavar="INPUT",
                   help="MusicXML/MXL/MIDI/ABC/Humdrum file (FILE.abc#N for tune N), "
                        "corpus:NAME or demo:NAME")
    g = p.add_argument_group("harmonica")
    g.add_argument("--harmonica", default="diatonic", metavar="TYPE",
                   help="diatonic (default) or chromatic")
    g.add_argument("--holes", default=None, metavar="N", help="chromatic: 12 (default) or 16")
    g.add_argument("--tuning", default="richter", metavar="T",
                   help="diatonic tuning (richter, paddy_richter, country, natural_minor, "
                        "harmonic_minor, melody_maker, powerbender, powerdraw, all); "
                        "default richter")
    g.add_argument("--key", default="C", metavar="K",
                   help="harp key (C, Ab, 'Low F') or auto (default C)")
    g.add_argument("--layout", "--layout-file", dest="layout_file", default=None, metavar="FILE",
                   help="your own harp layout (TOML) instead of a built-in tuning")
    g.add_argument("--variants", action="store_true",
                   help="with --key auto, also try low/high harps (Low F, High G ...)")
    g.add_argument("--song-key", default=None, metavar="KEY",
                   help="key of the song (e.g. 'G major'); default: found by the analysis")
    g.add_argument("--transpose", default="auto", metavar="auto|none|N",
                   help="auto (default): best shift within two octaves; none; or N semitones")
    g.add_argument("--max-bend", default=None, metavar="0-3",
                   help="deepest bend you play (default: every bend the hole allows)")
    g.add_argument("--overbends", action="store_true", help="allow overblows and overdraws")
    m = p.add_argument_group("melody")
    m.add_argument("--part", default=None, help="part index or name holding the melody")
    m.add_argument("--tune", default=None, type=int, metavar="N",
                   help="tune number (X:) in a multi-tune ABC file")
    m.add_argument("--grace-notes", action="store_true", help="keep grace notes")
    m.add_argument("--expand-repeats", action="store_true", help="write out repeats")
    o = p.add_argument_group("output")
    o.add_argument("-o", "--output-dir", default=".", metavar="OUTDIR",
                   help="folder for NAME.pdf/.txt/.json (default: current folder)")
    o.add_argument("--name", default=None, help="file name stem (default: from the title)")
    o.add_argument("--page-size", default="A4", metavar="A4|Letter", help="PDF page size")
    o.add_argument("--pdf-layout", default="staff", metavar="staff|text",
                   help="staff: notes with the tab under them (default); text: tab lines")
    o.add_argument("--status-json", action="store_true",
                   help="print the status JSON, one line per change, instead of the display")
    o.add_argument("--lang", default="en", metavar="en|fr", help="step names language")
    o.add_argument("--no-history", action="store_true", help="do not record in the history")
    _add_debug(p)
    p.set_defaults(func=cmd_convert)

    h = subparsers.add_parser("history", help="list past conversions",
                              description="Past conversions, newest first.")
    h.add_argument("--limit", default=20, type=int, help="how many to list (default 20)")
    h.add_argument("--status", default=None, metavar="STATUS",
                   help="only completed, error or cancelled runs")
    h.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_debug(h)
    h.set_defaults(func=cmd_history)


def _add_debug(parser: argparse.ArgumentParser) -> None:
    """``--debug`` after the command too (``harptab convert X --debug``); SUPPRESS keeps
    the global ``harptab --debug`` value when it is not given here."""
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the traceback on errors")


def _convert_kwargs(args: argparse.Namespace) -> dict:
    part: Any = args.part
    if part is not None and part.isdigit():
        part = int(part)
    return dict(
        harmonica=choice(args.harmonica, HARMONICAS, "harmonica"),
        key=args.key, tuning=args.tuning, transpose=args.transpose,
        max_bend=int_choice(args.max_bend, (0, 1, 2, 3), "--max-bend"),
        overbends=args.overbends,
        holes=int_choice(args.holes, (10, 12, 16), "--holes"),
        layout_file=args.layout_file, variants=args.variants, song_key=args.song_key,
        part=part, tune=args.tune,
        grace_notes=args.grace_notes, expand_repeats=args.expand_repeats,
        output_dir=args.output_dir, name=args.name,
        page_size=choice(args.page_size, PAGE_SIZES, "page size"),
        layout=choice(args.pdf_layout, LAYOUTS, "PDF layout"),
        record_history=not args.no_history,
    )


def cmd_convert(args: argparse.Namespace) -> int:
    """``harptab convert``: run the pipeline under a live view; exit code 0 on success."""
    from .pipeline.runner import convert
    from .terminal import JsonLinesView, TerminalView
    from .tracker import ProgressTracker

    kwargs = _convert_kwargs(args)
    tracker = ProgressTracker(lang=choice(args.lang, LANGS, "language"))
    view = JsonLinesView(tracker, sys.stdout) if args.status_json else \
        TerminalView(tracker, sys.stderr)
    handle = None
    view.start()
    try:
        try:
            handle = convert(args.input, tracker=tracker, background=True,
                             raise_on_error=False, **kwargs)
            while not handle.wait(0.2):
                view.tick()  # held-back progress, and the live clock, keep moving
        except KeyboardInterrupt:
            if handle is None:  # interrupted before the run started
                tracker.cancel_step("ocr", "interrupted")
                print("harptab: cancelled", file=sys.stderr)
                return EXIT_CANCELLED
            handle.cancel()  # stops at the next step or substep boundary
            handle.wait()
    finally:
        view.close()
    res = handle.partial
    if res.status == "completed":
        for w in res.warnings:
            print(f"harptab: warning: {w}", file=sys.stderr)
        if not args.status_json:
            for path in (res.pdf, res.txt, res.json):
                if path is not None:
                    print(path)
        return 0
    exc = res.error
    if res.status == "cancelled":
        print("harptab: cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    if args.debug and exc is not None:
        raise exc
    if isinstance(exc, HarptabError):
        print(f"harptab: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    step = res.failed_step or "?"
    print(f"harptab: internal error in step {step}: {type(exc).__name__}: {exc} "
          "(run with --debug for the traceback)", file=sys.stderr)
    return EXIT_INTERNAL


def cmd_history(args: argparse.Namespace) -> int:
    """``harptab history``: a table (or JSON) of past conversions, newest first."""
    from .history import history_path, list_history

    if args.limit < 1:
        raise OptionError(f"--limit must be 1 or more, not {args.limit}")
    status = None if args.status is None else choice(
        args.status, ("completed", "error", "cancelled"), "status")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        entries = list_history(args.limit, status=status)
    for w in caught:
        print(f"harptab: warning: {w.message}", file=sys.stderr)
    if args.json:
        json.dump([e.to_dict() for e in entries], sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return 0
    if not entries:
        print(f"no conversions yet ({history_path()})")
        return 0
    rows = [("id", "finished (UTC)", "status", "title", "source", "result")]
    for e in entries:
        result = e.outputs.get("pdf") or (f"{e.failed_step}: {e.message}" if e.message else "")
        rows.append((str(e.id), (e.finished_at or e.started_at)[:19].replace("T", " "),
                     e.status, _short(e.title or "", 30), _short(e.source, 40),
                     _short(result, 70)))
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return 0


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
