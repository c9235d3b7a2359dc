"""``harptab tab``, ``harptab keys`` and ``harptab chart``: the engine on the command line.

Options are validated here rather than by argparse ``choices`` so that a bad value
gives one line naming the valid choices (``harptab: error: unknown tab style 'x';
choose one of plain, plus``), like every other :class:`HarptabError`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .cli import choice, int_choice
from .errors import OptionError

HARMONICAS = ("diatonic", "chromatic")
FORMATS_TAB = ("text", "json")
FORMATS_CHART = ("text", "html")
STYLES = ("plain", "plus")


def _add_harp_options(p: argparse.ArgumentParser, *, key_default: str, tuning_default: str) -> None:
    p.add_argument("--harmonica", default="diatonic", metavar="TYPE",
                   help="diatonic (default) or chromatic")
    p.add_argument("--holes", default=None, metavar="N",
                   help="chromatic: 12 (default) or 16 holes")
    p.add_argument("--tuning", default=tuning_default, metavar="T",
                   help="diatonic tuning: richter, paddy_richter, country, natural_minor, "
                        f"harmonic_minor, melody_maker, powerbender, powerdraw, all "
                        f"(default {tuning_default})")
    p.add_argument("--key", default=key_default, metavar="K",
                   help=f"harp key (C, Ab, 'Low F', 'High G', F3) or auto (default {key_default})")
    p.add_argument("--layout", default=None, metavar="FILE",
                   help="your own harp layout file (TOML) instead of a built-in tuning")


def _add_input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", nargs="?", metavar="INPUT",
                   help="MusicXML/MXL/MIDI/ABC file, corpus:NAME or demo:NAME")
    p.add_argument("--notes", default=None, metavar="'C4 D4 E4'",
                   help="the melody as pitch names instead of a file (r = rest)")
    p.add_argument("--part", default=None, help="part index or name to take the melody from")
    p.add_argument("--song-key", default=None, metavar="KEY",
                   help="key of the song (e.g. 'G major'); default: from the score")
    p.add_argument("--transpose", default="auto", metavar="auto|none|N",
                   help="auto (default): best shift within two octaves; none; or N semitones")
    p.add_argument("--max-bend", default=None, metavar="0-3",
                   help="deepest bend you play (default: every bend the hole allows)")
    p.add_argument("--overbends", action="store_true", help="allow overblows and overdraws")


def register(subparsers: Any) -> None:
    """Add ``tab``, ``keys`` and ``chart`` to the ``harptab`` command."""
    p = subparsers.add_parser("tab", help="print the harmonica tab of a melody",
                              description="Print the harmonica tab of a score or of --notes.")
    _add_input_options(p)
    _add_harp_options(p, key_default="C", tuning_default="richter")
    p.add_argument("--style", default="plain", metavar="plain|plus",
                   help="blow tokens as 4 (plain, default) or +4 (plus)")
    p.add_argument("--format", default="text", metavar="text|json", help="output format")
    p.add_argument("--width", default="72", metavar="N",
                   help="text line width, at least 16 (default 72)")
    p.add_argument("--variants", action="store_true",
                   help="with --key auto, also try low/high harps (Low F, Low D, High G ...)")
    p.set_defaults(func=cmd_tab)

    k = subparsers.add_parser("keys", help="rank the harps (key, tuning, shift) for a melody",
                              description="Rank harps, shifts and positions for a melody.")
    _add_input_options(k)
    _add_harp_options(k, key_default="auto", tuning_default="all")
    k.add_argument("--top", default="12", metavar="N",
                   help="how many options to list (default 12)")
    k.add_argument("--variants", action="store_true",
                   help="also try low/high harps (Low F, Low D, High G ...)")
    k.add_argument("--format", default="text", metavar="text|json", help="output format")
    k.set_defaults(func=cmd_keys)

    c = subparsers.add_parser("chart", help="print the note chart of a harp",
                              description="Every note of every hole of a harp, by action.")
    _add_harp_options(c, key_default="C", tuning_default="richter")
    c.add_argument("--max-bend", default=None, metavar="0-3", help="deepest bend to show")
    c.add_argument("--no-overbends", action="store_true", help="leave out overblows/overdraws")
    c.add_argument("--tokens", action="store_true", help="show the tab token next to each note")
    c.add_argument("--format", default="text", metavar="text|html", help="output format")
    c.set_defaults(func=cmd_chart)


# --------------------------------------------------------------------------- helpers

def _read_melody(args: argparse.Namespace) -> tuple[Any, str | None]:
    """(melody, song key or None) from ``--notes`` or INPUT."""
    from .music import Melody

    if args.notes is not None and args.input is not None:
        raise OptionError("give either INPUT or --notes, not both")
    if args.notes is not None:
        melody = Melody.from_names(args.notes, title="")
        if not melody.pitches:
            raise OptionError("--notes has no pitches; write e.g. --notes 'C4 D4 E4'")
        return melody, args.song_key
    if args.input is None:
        raise OptionError("no melody: give an INPUT file (MusicXML, MXL, MIDI, ABC) or --notes")
    from .pipeline.melody import extract_melody
    from .pipeline.ocr import read_score

    part = args.part
    if part is not None and part.isdigit():
        part = int(part)
    score = read_score(args.input)
    melody = extract_melody(score, part=part)
    song_key = args.song_key
    if song_key is None:
        try:
            from .pipeline.analysis import analyze
        except ImportError:  # analysis step not installed: transpose estimates the key
            analyze = None
        if analyze is not None:
            song_key = analyze(melody, score=score.score).song_key
    return melody, song_key


def _mapping(args: argparse.Namespace, *, key: str | None = None) -> Any:
    from .pipeline.mapping_load import load_mapping

    harmonica = choice(args.harmonica, HARMONICAS, "harmonica")
    holes = int_choice(args.holes, (10, 12, 16), "--holes")
    return load_mapping(harmonica, tuning=args.tuning, key=key or args.key, holes=holes,
                        layout_file=args.layout, variants=getattr(args, "variants", False))


def _max_bend(args: argparse.Namespace) -> int | None:
    return int_choice(args.max_bend, (0, 1, 2, 3), "--max-bend")


def _whole_number(value: str | int, what: str, minimum: int) -> int:
    """``value`` as an int >= ``minimum``, else one line naming the option."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = None
    if n is None or n < minimum:
        raise OptionError(f"{what} must be a whole number, {minimum} or more, not {value!r}")
    return n


# --------------------------------------------------------------------------- commands

def cmd_tab(args: argparse.Namespace) -> int:
    """``harptab tab``: tab text or JSON on stdout."""
    from .pipeline.tablature import make_tablature
    from .pipeline.transpose import choose_transposition

    style = choice(args.style, STYLES, "tab style")
    fmt = choice(args.format, FORMATS_TAB, "format")
    width = _whole_number(args.width, "--width", 16)
    max_bend = _max_bend(args)
    mapping = _mapping(args)
    melody, song_key = _read_melody(args)
    report = choose_transposition(melody, mapping, transpose=args.transpose, song_key=song_key,
                                  max_bend=max_bend, overbends=args.overbends)
    tab = make_tablature(report, style=style)
    if fmt == "json":
        json.dump(tab.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(tab.to_text(width=width))
    return 0


def keys_table(options: Any, top: int | None = None) -> str:
    """The ranked options as a fixed-width table."""
    from .transposition import position_name

    rows = [("#", "harp", "tuning", "shift", "position", "bends", "overb.", "X", "reason")]
    for i, o in enumerate(options[:top] if top else options, start=1):
        h = o.harmonica
        rows.append((str(i), h.label or h.key, h.tuning, f"{o.semitones:+d}",
                     position_name(o.position).split(" (")[0], str(o.bends),
                     str(o.overbends), str(o.unplayable), o.reason.split(";")[0]))
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ) + "\n"


def cmd_keys(args: argparse.Namespace) -> int:
    """``harptab keys``: the ranked list of harps for the melody."""
    from .pipeline.transpose import choose_transposition

    fmt = choice(args.format, FORMATS_TAB, "format")
    top = _whole_number(args.top, "--top", 1)
    max_bend = _max_bend(args)
    mapping = _mapping(args)
    melody, song_key = _read_melody(args)
    report = choose_transposition(melody, mapping, transpose=args.transpose, song_key=song_key,
                                  max_bend=max_bend, overbends=args.overbends)
    if fmt == "json":
        json.dump({"song_key": report.source_key,
                   "options": [o.to_json() for o in report.options[:top]]},
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        title = melody.title or "melody"
        sys.stdout.write(f"# {title}: {len(melody.pitches)} notes, song in {report.source_key}\n")
        sys.stdout.write(keys_table(report.options, top))
    return 0


def cmd_chart(args: argparse.Namespace) -> int:
    """``harptab chart``: the note chart of one harp."""
    from .chart import harp_chart

    fmt = choice(args.format, FORMATS_CHART, "format")
    if isinstance(args.key, str) and args.key.strip().lower() == "auto":
        raise OptionError("a chart needs one harp key, e.g. --key C or --key 'Low F'")
    if args.tuning in ("all", "auto"):
        raise OptionError("a chart needs one tuning, e.g. --tuning richter")
    mapping = _mapping(args)
    chart = harp_chart(mapping.harmonica, max_bend=_max_bend(args),
                       overbends=not args.no_overbends)
    sys.stdout.write(chart.to_html() + "\n" if fmt == "html" else chart.to_text(tokens=args.tokens))
    return 0
