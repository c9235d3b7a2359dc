"""A harp chart: every note each hole gives, by action, as text or HTML.

Rows, top to bottom, in the layout players know from method books: overdraws, blow
bends (deepest on top), blow, hole numbers, draw, draw bends (deepest at the bottom),
overblows. Chromatic harps show blow/draw with and without the slide instead.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from .harmonica import Action, Harmonica
from .notation import format_action
from .pitch import midi_to_name

__all__ = ["HarpChart", "harp_chart", "chart_text", "chart_html"]


@dataclass(frozen=True)
class ChartRow:
    label: str
    cells: tuple[Action | None, ...]  # one per hole


@dataclass(frozen=True)
class HarpChart:
    """Chart rows of one harp (text via ``str()``, HTML in notebooks)."""

    harmonica: Harmonica
    rows: tuple[ChartRow, ...]

    def to_text(self, *, tokens: bool = False) -> str:
        """Fixed-width chart; ``tokens=True`` adds the tab token to each pitch."""
        h = self.harmonica
        cell = (lambda a: f"{midi_to_name(a.midi)}") if not tokens else (
            lambda a: f"{midi_to_name(a.midi)}={format_action(a)}")
        texts = [
            [str(i) for i in range(1, h.holes + 1)] if r.label == "hole"
            else [cell(a) if a else "" for a in r.cells]
            for r in self.rows
        ]
        w = max([len(t) for row in texts for t in row] + [3]) + 1
        lw = max(len(r.label) for r in self.rows) + 1
        lines = [f"{h} (hole 1 blow = {midi_to_name(h.hole1_midi)})"]
        for r, row in zip(self.rows, texts, strict=True):
            lines.append(r.label.ljust(lw) + "".join(t.rjust(w) for t in row).rstrip())
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_text()

    def to_html(self) -> str:
        """An HTML table (hole numbers bold, bends blue, overbends red)."""
        h = self.harmonica
        out = [
            "<table class='harptab-chart' style='border-collapse:collapse;font:13px monospace'>",
            f"<caption style='font:bold 13px sans-serif;text-align:left'>{html.escape(str(h))}"
            f" (hole 1 blow = {midi_to_name(h.hole1_midi)})</caption>",
        ]
        for r in self.rows:
            is_hole = r.label == "hole"
            tds = [f"<th style='text-align:left;padding:2px 6px;color:#666'>{html.escape(r.label)}</th>"]
            for i, a in enumerate(r.cells, start=1):
                if is_hole:
                    txt, color = str(i), "#000"
                elif a is None:
                    txt, color = "", "#000"
                else:
                    txt = f"{midi_to_name(a.midi)}<br><small>{html.escape(format_action(a))}</small>"
                    color = "#b00020" if a.overbend else "#1565c0" if a.bend else "#222"
                weight = "bold" if is_hole else "normal"
                border = "border-top:2px solid #444;border-bottom:2px solid #444;" if is_hole else ""
                tds.append(f"<td style='text-align:center;padding:2px 6px;color:{color};"
                           f"font-weight:{weight};{border}'>{txt}</td>")
            out.append("<tr>" + "".join(tds) + "</tr>")
        out.append("</table>")
        return "".join(out)

    def _repr_html_(self) -> str:
        return self.to_html()


def harp_chart(
    harmonica: Harmonica, *, max_bend: int | None = None, overbends: bool = True
) -> HarpChart:
    """Build the chart rows of ``harmonica`` under the given limits."""
    acts = harmonica.actions(max_bend, overbends)
    n = harmonica.holes
    by = {(a.hole, a.breath, a.bend, a.overbend, a.slide): a for a in acts}

    def row(label: str, breath: str, bend: int = 0, ob: bool = False, slide: bool = False):
        cells = tuple(by.get((i, breath, bend, ob, slide)) for i in range(1, n + 1))
        return ChartRow(label, cells)

    hole_row = ChartRow("hole", tuple(None for _ in range(n)))
    if harmonica.type == "chromatic":
        rows = [row("blow+slide", "blow", slide=True), row("blow", "blow"), hole_row,
                row("draw", "draw"), row("draw+slide", "draw", slide=True)]
        return HarpChart(harmonica, tuple(rows))
    deep_blow = max([a.bend for a in acts if a.breath == "blow"] + [0])
    deep_draw = max([a.bend for a in acts if a.breath == "draw"] + [0])
    rows = []
    if overbends:
        rows.append(row("overdraw", "draw", ob=True))
    rows += [row("blow" + "'" * k, "blow", bend=k) for k in range(deep_blow, 0, -1)]
    rows += [row("blow", "blow"), hole_row, row("draw", "draw")]
    rows += [row("draw" + "'" * k, "draw", bend=k) for k in range(1, deep_draw + 1)]
    if overbends:
        rows.append(row("overblow", "blow", ob=True))
    rows = [r for r in rows if r is hole_row or any(r.cells)]
    return HarpChart(harmonica, tuple(rows))


def chart_text(harmonica: Harmonica, **kw) -> str:
    """Text chart of ``harmonica`` (see :func:`harp_chart` for the options)."""
    return harp_chart(harmonica, **kw).to_text()


def chart_html(harmonica: Harmonica, **kw) -> str:
    """HTML chart of ``harmonica``."""
    return harp_chart(harmonica, **kw).to_html()
