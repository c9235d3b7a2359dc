"""The tab as plain text, Markdown and a standalone HTML page.

A player who has no PDF viewer at hand (a phone, a forum post, a chat) still wants the
tab with bar lines and the lyrics under it, plus the line saying which harp to take.
The same system layout (:func:`tab_systems`) feeds the text-only PDF layout, so every
rendering breaks lines at the same bars.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..tablature import ordinal

if TYPE_CHECKING:
    from ..tablature import Tablature, TabNote

#: Colours per technique, shared by the HTML page, the PDF and the engraving.
TECHNIQUE_COLORS = {
    "natural": "#000000",
    "bend": "#c0392b",
    "overbend": "#7d3c98",
    "unplayable": "#1f6fb2",
}

LEGEND = (
    ("4", "blow hole 4"),
    ("-4", "draw hole 4"),
    ("-3'", "draw bend, one ' per semitone"),
    ("8'", "blow bend"),
    ("6o / -7o", "overblow / overdraw"),
    ("4<", "chromatic: slide pressed"),
    ("X", "not playable on this harp"),
)

def technique(note: TabNote) -> str:
    """``natural``, ``bend``, ``overbend`` or ``unplayable`` for a sounded TabNote."""
    action = getattr(note, "action", None)
    if action is None:
        return "unplayable"
    return action.technique


def _count(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    return len(value)


def harp_line(tablature: Tablature) -> str:
    """One line naming the harp: type, tuning, key, position, transposition applied."""
    harp = tablature.harmonica
    parts = [harp.title if hasattr(harp, "title") else str(harp)]
    position = getattr(tablature, "position", None)
    if position:
        parts.append(f"{ordinal(int(position))} position")
    semis = int(getattr(tablature, "transpose_semitones", 0) or 0)
    if semis == 0:
        parts.append("not transposed")
    else:
        octs, rest = divmod(abs(semis), 12)
        sign = "+" if semis > 0 else "-"
        what = f"{sign}{abs(semis)} semitone{'s' if abs(semis) != 1 else ''}"
        if rest == 0:
            what += f" ({octs} octave{'s' if octs != 1 else ''} {'up' if semis > 0 else 'down'})"
        parts.append(f"transposed {what}")
    song_key = getattr(tablature, "song_key", None)
    if song_key:
        parts.append(f"song in {song_key}")
    return " · ".join(parts)


def counts_line(tablature: Tablature) -> str:
    """``"64 notes · 2 bends · 0 overbends · 1 unplayable"`` (``"1 bend"``, singular)."""

    def n(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    return (f"{n(len(tablature.tokens), 'note')} · {n(_count(tablature.bends), 'bend')} · "
            f"{n(_count(tablature.overbends), 'overbend')} · "
            f"{_count(tablature.unplayable)} unplayable")


@dataclass(frozen=True)
class Cell:
    """One sounded note in a text system: its token, lyric and technique."""

    token: str
    lyric: str
    technique: str
    index: int


def _measures(tablature: Tablature) -> list[list[Cell]]:
    """Sounded notes grouped by consecutive measure number (repeats stay separate)."""
    out: list[list[Cell]] = []
    last = object()
    for n in tablature.notes:
        if n.measure != last:
            out.append([])
            last = n.measure
        if n.midi is None or n.tied or not n.token:
            continue
        out[-1].append(Cell(n.token, (n.lyric or "").strip(), technique(n), n.index))
    return [m for m in out if m]


def tab_systems(tablature: Tablature, width: int = 72) -> list[list[list[Cell]]]:
    """Lines of measures that fit ``width`` characters (a long bar is split)."""
    systems: list[list[list[Cell]]] = []
    line: list[list[Cell]] = []
    used = 1
    for measure in _measures(tablature):
        w = sum(_cell_width(c) for c in measure) + 2
        if line and used + w > width:
            systems.append(line)
            line, used = [], 1
        if w > width:  # a bar too long for one line: split it
            chunk: list[Cell] = []
            cw = 2
            for c in measure:
                if chunk and cw + _cell_width(c) > width:
                    systems.append([chunk])
                    chunk, cw = [], 2
                chunk.append(c)
                cw += _cell_width(c)
            line, used = [chunk], cw + 1
            continue
        line.append(measure)
        used += w
    if line:
        systems.append(line)
    return systems


def _cell_width(c: Cell) -> int:
    return max(len(c.token), len(c.lyric)) + 1


def system_lines(system: list[list[Cell]]) -> tuple[str, str]:
    """The tab line and the lyric line of one system, aligned under each other."""
    tab, lyr = ["|"], ["|"]
    for measure in system:
        for c in measure:
            w = _cell_width(c)
            tab.append(" " + c.token.ljust(w - 1))
            lyr.append(" " + c.lyric.ljust(w - 1))
        tab.append(" |")
        lyr.append(" |")
    return "".join(tab), "".join(lyr)


def has_lyrics(tablature: Tablature) -> bool:
    """True when some sounded note carries a lyric (the text layouts add a lyric line)."""
    return any((n.lyric or "").strip() for n in tablature.notes if n.midi is not None)


def to_text(tablature: Tablature, width: int = 72, *, header: bool = True) -> str:
    """Plain-text tab: the engine's text (``#`` header, bar lines, lyrics) plus a legend.

    The legend goes in ``#`` comment lines so ``notation.parse_tab`` still reads the
    file back to the same tokens.
    """
    text = tablature.to_text(width=width, header=header)
    legend = "\n".join(f"#   {k:<9} {v}" for k, v in LEGEND)
    return f"{text}\n# Legend:\n{legend}\n"


def to_markdown(tablature: Tablature, width: int = 72) -> str:
    """Markdown: a title heading, the harp line, the tab in a code block, the legend."""
    title = tablature.title or "Untitled"
    lines = [f"# {title}", ""]
    if tablature.composer:
        lines += [f"*{tablature.composer}*", ""]
    lines += [f"**Harmonica:** {harp_line(tablature)}  ", counts_line(tablature), "", "```"]
    lines.append(tablature.to_text(width=width, header=False).rstrip())
    lines += ["```", "", "| token | meaning |", "|---|---|"]
    lines += [f"| `{k}` | {v} |" for k, v in LEGEND]
    return "\n".join(lines) + "\n"


_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:2em;color:#111}
h1{margin-bottom:0} .composer{font-style:italic;margin-top:.2em}
.harp{margin:.6em 0;font-weight:bold} .counts{color:#555}
.system{display:flex;flex-wrap:wrap;margin:1.2em 0;font-family:"DejaVu Sans Mono",monospace}
.bar{border-left:1px solid #333;padding:0 .4em;display:flex}
.bar:last-child{border-right:1px solid #333}
.n{display:flex;flex-direction:column;align-items:center;margin:0 .25em;min-width:1.6em}
.t{font-weight:bold} .l{color:#444;font-family:"DejaVu Sans",sans-serif;font-size:.9em}
.bend{color:%(bend)s} .overbend{color:%(overbend)s} .unplayable{color:%(unplayable)s}
table.legend{border-collapse:collapse;margin-top:2em} .legend td{padding:.1em .8em}
"""


def to_html(tablature: Tablature, width: int = 72) -> str:
    """A standalone HTML page: header, systems of bars with tab over lyrics, legend."""
    e = html.escape
    title = tablature.title or "Untitled"
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{e(title)}</title><style>{_CSS % TECHNIQUE_COLORS}</style></head><body>",
             f"<h1>{e(title)}</h1>"]
    if tablature.composer:
        parts.append(f'<p class="composer">{e(tablature.composer)}</p>')
    parts.append(f'<p class="harp">{e(harp_line(tablature))}</p>')
    parts.append(f'<p class="counts">{e(counts_line(tablature))}</p>')
    for system in tab_systems(tablature, width):
        parts.append('<div class="system">')
        for measure in system:
            parts.append('<div class="bar">')
            for c in measure:
                cls = "" if c.technique == "natural" else f" {c.technique}"
                parts.append(f'<div class="n{cls}" data-index="{c.index}"><span class="t">'
                             f'{e(c.token)}</span><span class="l">{e(c.lyric) or "&nbsp;"}'
                             "</span></div>")
            parts.append("</div>")
        parts.append("</div>")
    parts.append('<table class="legend"><tr><th>token</th><th>meaning</th></tr>')
    parts += [f"<tr><td><code>{e(k)}</code></td><td>{e(v)}</td></tr>" for k, v in LEGEND]
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"
