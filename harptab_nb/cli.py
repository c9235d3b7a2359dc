"""``harptab`` command line: dispatches to the sub-command modules.

Sub-commands live beside this file (``cli_tab``: tab/keys/chart; ``cli_convert``:
convert/history) and each exposes ``register(subparsers)``. Every
:class:`~harptab_nb.errors.HarptabError` becomes one line on stderr and exit code 1;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import sys

_COMMAND_MODULES = ("harptab_nb.cli_tab", "harptab_nb.cli_convert", "harptab_nb.cli_songbook")


def choice(value: str, choices: tuple[str, ...], what: str) -> str:
    """The canonical spelling of ``value`` among ``choices`` (any case), else one clear error."""
    from .errors import OptionError

    for c in choices:
        if value.lower() == c.lower():
            return c
    raise OptionError(f"unknown {what} {value!r}; choose one of {', '.join(choices)}")


def int_choice(value: str | None, choices: tuple[int, ...], what: str) -> int | None:
    """``None`` stays ``None``; otherwise an int among ``choices``, else one clear error."""
    from .errors import OptionError

    if value is None:
        return None
    try:
        n = int(value)
    except ValueError:
        n = None
    if n not in choices:
        raise OptionError(f"{what} must be one of {', '.join(map(str, choices))}, not {value!r}")
    return n


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harptab", description="Sheet music to harmonica tablature."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for modname in _COMMAND_MODULES:
        try:
            mod = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name == modname:
                continue
            raise
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``harptab`` console script; returns the exit code."""
    from .errors import HarptabError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except HarptabError as exc:
        if args.debug:
            raise
        print(f"harptab: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("harptab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
