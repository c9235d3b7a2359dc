"""Harmonica tab notation: actions <-> tokens, and tab text back to pitches.

The common convention (see the README, "Tab notation"): ``4`` blow, ``-4`` draw
(``+4`` with ``style="plus"``), one ``'`` per semitone of bend (``-3''``, ``10'``),
suffix ``o`` for an overblow/overdraw (``6o``, ``-7o``), suffix ``<`` for the chromatic
slide (``4<``), ``(4 5 6)`` for a chord, ``X`` for a note no allowed action reaches and
``|`` for a bar line. Parsing is strict on purpose: a tab that is checked or moved to
another harp must not lose a note silently, so every malformed token raises
:class:`~harptab_nb.errors.TabParseError` naming the line and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import OptionError, TabParseError

if TYPE_CHECKING:  # harmonica imports this module lazily: no import cycle at run time
    from .harmonica import Action, Harmonica
    from .music import Melody

STYLES = ("plain", "plus")
UNPLAYABLE = "X"
BAR = "|"

# any number of bend marks: a user layout may have reeds further apart than Richter's
_TOKEN_RE = re.compile(r"^([+-]?)(\d{1,2})('*)(o?)(<?)$")
#: Apostrophe look-alikes that word processors substitute for ``'``.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2032": "'", "`": "'", "\u00b4": "'"})


def _check_style(style: str) -> None:
    if style not in STYLES:
        raise OptionError(f"unknown tab style {style!r}; choose one of {', '.join(STYLES)}")


def format_action(action: Action | None, style: str = "plain") -> str:
    """Tab token of one :class:`~harptab_nb.harmonica.Action` (``None`` -> ``"X"``).

    ``style="plus"`` writes blows as ``+4`` for players who learned that way.
    """
    _check_style(style)
    if action is None:
        return UNPLAYABLE
    if action.breath == "draw":
        sign = "-"
    elif action.breath == "blow":
        sign = "+" if style == "plus" else ""
    else:
        raise OptionError(f"breath must be blow or draw, not {action.breath!r}")
    return (
        f"{sign}{action.hole}{chr(39) * action.bend}"
        f"{'o' if action.overbend else ''}{'<' if action.slide else ''}"
    )


def format_chord(actions: Iterable[Action], style: str = "plain") -> str:
    """``(4 5 6)``: several holes sounded at once."""
    return "(" + " ".join(format_action(a, style) for a in actions) + ")"


@dataclass(frozen=True)
class TokenSpec:
    """What a token says, before a harp gives it a pitch."""

    hole: int
    breath: str
    bend: int = 0
    overbend: bool = False
    slide: bool = False


def split_token(token: str) -> TokenSpec | None:
    """Parse one token to its parts (``None`` for ``X``); no harp needed."""
    tok = token.strip().translate(_APOSTROPHES)
    if tok.upper() == UNPLAYABLE:
        return None
    m = _TOKEN_RE.match(tok)
    if not m:
        raise TabParseError(
            f"{token!r} is not a tab token; expected e.g. 4, -4, +4, -3'', 6o, -7o, 4<, X"
        )
    sign, hole, bends, ob, slide = m.groups()
    if int(hole) < 1:
        raise TabParseError(f"{token!r}: holes are numbered from 1")
    if ob and bends:
        raise TabParseError(f"{token!r}: an overbend cannot also be bent down")
    return TokenSpec(
        hole=int(hole),
        breath="draw" if sign == "-" else "blow",
        bend=len(bends),
        overbend=bool(ob),
        slide=bool(slide),
    )


def parse_token(token: str, harmonica: Harmonica) -> Action | None:
    """The :class:`~harptab_nb.harmonica.Action` a token names on ``harmonica``.

    ``X`` gives ``None``. A token the harp cannot play (hole 11 on a diatonic,
    ``-5'`` on a Richter harp, ``6o`` on a chromatic) raises :class:`TabParseError`.
    """
    spec = split_token(token)
    if spec is None:
        return None
    if spec.hole > harmonica.holes:
        raise TabParseError(f"{token!r}: {harmonica} has only {harmonica.holes} holes")
    for a in harmonica.actions(overbends=True):
        if (a.hole, a.breath, a.bend, a.overbend, a.slide) == (
            spec.hole, spec.breath, spec.bend, spec.overbend, spec.slide
        ):
            return a
    what = {(True, False): "overbend", (False, True): "slide"}.get(
        (spec.overbend, spec.slide), f"{spec.breath} bent {spec.bend} semitone(s)"
    )
    offered = ", ".join(
        format_action(a) for a in harmonica.actions(overbends=True) if a.hole == spec.hole
    )
    raise TabParseError(
        f"{token!r}: hole {spec.hole} of {harmonica} has no {what}; it offers {offered}"
    )


@dataclass(frozen=True)
class TabEvent:
    """One item of a tab text: a note, a chord, an unplayable ``X`` or a bar line."""

    kind: str  # "note" | "chord" | "unplayable" | "bar"
    actions: tuple = ()
    token: str = ""
    line: int = 0
    column: int = 0

    @property
    def midi(self) -> int | None:
        """Sounded pitch; the top note of a chord; ``None`` for X and bar lines."""
        if not self.actions:
            return None
        return max(a.midi for a in self.actions)


@dataclass(frozen=True)
class ParsedTab:
    """A tab text read back against one harp."""

    harmonica: object
    events: tuple[TabEvent, ...]
    lyric_lines: tuple[str, ...] = ()

    @property
    def tokens(self) -> list[str]:
        """Sounded tokens in order (bar lines left out), normalised to plain style."""
        out = []
        for e in self.events:
            if e.kind == "note":
                out.append(format_action(e.actions[0]))
            elif e.kind == "chord":
                out.append(format_chord(e.actions))
            elif e.kind == "unplayable":
                out.append(UNPLAYABLE)
        return out

    @property
    def actions(self) -> list:
        """One entry per sounded event: an Action, a tuple (chord) or ``None`` (X)."""
        out = []
        for e in self.events:
            if e.kind == "note":
                out.append(e.actions[0])
            elif e.kind == "chord":
                out.append(e.actions)
            elif e.kind == "unplayable":
                out.append(None)
        return out

    @property
    def pitches(self) -> list[int | None]:
        """MIDI per sounded event (chord -> top note, X -> ``None``)."""
        return [e.midi for e in self.events if e.kind != "bar"]

    @property
    def measures(self) -> int:
        """Number of bars holding notes (runs of bar lines count as one)."""
        notes = self.to_melody().notes
        return notes[-1].measure if notes else 0

    def to_melody(self, title: str = "") -> Melody:
        """A :class:`~harptab_nb.music.Melody` of the sounded pitches, one beat each,
        measures from the bar lines, so the engine can re-tab it on another harp.
        ``X`` becomes a rest: its pitch is unknown."""
        from .music import Melody, Note

        notes, measure, seen = [], 1, False
        for e in self.events:
            if e.kind == "bar":
                if seen:
                    measure += 1
                    seen = False
                continue
            seen = True
            notes.append(Note(midi=e.midi, measure=measure, offset=float(len(notes))))
        return Melody(notes=tuple(notes), title=title)


def _items(line: str) -> list[tuple[str, int]]:
    """Split a line into items with their 1-based column; ``(``/``)``/``|`` stand alone."""
    out, i = [], 0
    while i < len(line):
        ch = line[i]
        if ch.isspace():
            i += 1
        elif ch in "()|":
            out.append((ch, i + 1))
            i += 1
        else:
            j = i
            while j < len(line) and not line[j].isspace() and line[j] not in "()|":
                j += 1
            out.append((line[i:j], i + 1))
            i = j
    return out


def _is_token(item: str) -> bool:
    if item in "()|":
        return True
    try:
        split_token(item)
    except TabParseError:
        return False
    return True


def _is_lyric_line(items: list[tuple[str, int]]) -> bool:
    """No item of the line is tab (a verse number like ``1.`` is not a token)."""
    return bool(items) and not any(_is_token(t) for t, _ in items)


def parse_tab(text: str, harmonica: Harmonica) -> ParsedTab:
    """Read a whole tab text: tokens, chords ``(4 5 6)``, ``X`` and bar lines ``|``.

    Lines starting with ``#`` are comments (``to_text`` writes its header that way).
    A line right under a tab line in which nothing looks like tab is a lyric line
    (what ``Tablature.to_text`` prints); anything else malformed raises
    :class:`TabParseError` with line and column.
    """
    events: list[TabEvent] = []
    lyrics: list[str] = []
    prev_tab = False
    for ln, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            prev_tab = False
            continue
        items = _items(line)
        if prev_tab and _is_lyric_line(items):
            lyrics.append(line)
            prev_tab = False
            continue
        chord: list | None = None
        chord_col = 0
        for tok, col in items:
            where = f"line {ln}, column {col}"
            if tok == "(":
                if chord is not None:
                    raise TabParseError(f"{where}: nested '(' in a chord")
                chord, chord_col = [], col
            elif tok == ")":
                if chord is None:
                    raise TabParseError(f"{where}: ')' without '('")
                if not chord:
                    raise TabParseError(f"{where}: empty chord '()'")
                acts = tuple(chord)
                tok_text = format_chord(acts)
                if len(acts) == 1:
                    events.append(TabEvent("note", acts, tok_text, ln, chord_col))
                else:
                    events.append(TabEvent("chord", acts, tok_text, ln, chord_col))
                chord = None
            elif tok == BAR:
                if chord is not None:
                    raise TabParseError(f"{where}: bar line inside a chord")
                events.append(TabEvent("bar", (), BAR, ln, col))
            else:
                try:
                    action = parse_token(tok, harmonica)
                except TabParseError as exc:
                    raise TabParseError(f"{where}: {exc}") from None
                if chord is not None:
                    if action is None:
                        raise TabParseError(f"{where}: X inside a chord")
                    chord.append(action)
                elif action is None:
                    events.append(TabEvent("unplayable", (), UNPLAYABLE, ln, col))
                else:
                    events.append(TabEvent("note", (action,), tok, ln, col))
        if chord is not None:
            raise TabParseError(f"line {ln}, column {chord_col}: '(' without ')'")
        prev_tab = True
    return ParsedTab(harmonica=harmonica, events=tuple(events), lyric_lines=tuple(lyrics))


def tab_to_pitches(text: str, harmonica: Harmonica) -> list[int | None]:
    """MIDI numbers a tab text sounds on ``harmonica`` (chord -> top note, X -> None)."""
    return parse_tab(text, harmonica).pitches
