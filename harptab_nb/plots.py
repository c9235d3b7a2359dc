"""Range plot: does this song fit this harp, and with which techniques?

The melody's pitch histogram is drawn against the harp's notes; each pitch is coloured
by the easiest way the harp sounds it (natural / bend / overbend) or red when the harp
has no such note. The data (:func:`range_rows`) is plain Python so it can be tested
and tabulated; matplotlib is imported only to draw (OO API, no pyplot global state, so
it is safe from a background thread).
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from typing import Any

from .pitch import midi_to_name
from .views import TECHNIQUE_COLOURS

_RANK = {"natural": 0, "bend": 1, "overbend": 2}


def harp_techniques(harmonica: Any, *, max_bend: int | None = None,
                    overbends: bool = True) -> dict[int, str]:
    """MIDI -> easiest technique that sounds it on ``harmonica`` under the limits."""
    out: dict[int, str] = {}
    for a in harmonica.actions(max_bend=max_bend, overbends=overbends):
        t = a.technique
        if a.midi not in out or _RANK[t] < _RANK[out[a.midi]]:
            out[a.midi] = t
    return out


@dataclass(frozen=True)
class RangeRow:
    """One pitch of the plot: how often the melody uses it, how the harp plays it."""

    midi: int
    count: int  # sounded notes of the melody at this pitch
    technique: str  # natural | bend | overbend | missing (not on the harp)

    @property
    def name(self) -> str:
        return midi_to_name(self.midi)


def range_rows(melody: Any, harmonica: Any, *, max_bend: int | None = None,
               overbends: bool = True) -> list[RangeRow]:
    """Every pitch from the lowest to the highest of melody and harp together."""
    counts = Counter(melody.pitches)
    tech = harp_techniques(harmonica, max_bend=max_bend, overbends=overbends)
    pitches = set(counts) | set(tech)
    if not pitches:
        return []
    return [RangeRow(m, counts.get(m, 0), tech.get(m, "missing"))
            for m in range(min(pitches), max(pitches) + 1)]


def fit_summary(rows: list[RangeRow]) -> dict[str, int]:
    """Sounded melody notes per technique (``missing`` = not playable on the harp)."""
    out = {"natural": 0, "bend": 0, "overbend": 0, "missing": 0}
    for r in rows:
        out[r.technique] += r.count
    return out


@dataclass
class RangePlot:
    """A drawn range plot: ``figure`` (matplotlib), ``rows`` (the data), and a PNG
    repr so it displays in a notebook without pyplot or an inline backend."""

    figure: Any
    rows: list[RangeRow]
    title: str

    @property
    def summary(self) -> dict[str, int]:
        return fit_summary(self.rows)

    def to_png(self, dpi: int = 72) -> bytes:
        """PNG bytes (no software/date metadata, so the same plot gives the same bytes)."""
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
        return buf.getvalue()

    def _repr_png_(self) -> bytes:
        return self.to_png()

    def __repr__(self) -> str:
        s = self.summary
        return (f"<RangePlot {self.title}: {s['natural']} natural, {s['bend']} bend, "
                f"{s['overbend']} overbend, {s['missing']} missing notes>")


def plot_range(melody: Any, harmonica: Any, *, max_bend: int | None = None,
               overbends: bool = True, title: str | None = None,
               figsize: tuple[float, float] = (9.0, 3.0)) -> RangePlot:
    """Histogram of the melody's pitches over the harp's notes, coloured by technique.

    Pass the melody *as played* (after transposition, e.g. ``report.melody``). The
    strip under the bars shows every note the harp offers; red bars are melody notes
    the harp cannot play under the given limits.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    rows = range_rows(melody, harmonica, max_bend=max_bend, overbends=overbends)
    harp_name = getattr(harmonica, "title", str(harmonica))
    if title is None:
        title = f"{getattr(melody, 'title', '') or 'melody'} on {harp_name}"
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    xs = [r.midi for r in rows]
    top = max([r.count for r in rows] + [1])
    strip = -0.08 * top
    for r in rows:
        colour = TECHNIQUE_COLOURS[r.technique]
        if r.technique != "missing":
            ax.bar(r.midi, 0.06 * top, bottom=strip - 0.03 * top, width=0.9, color=colour,
                   alpha=0.45, linewidth=0)
        if r.count:
            ax.bar(r.midi, r.count, width=0.8, color=colour,
                   hatch="//" if r.technique == "missing" else None,
                   edgecolor="black" if r.technique == "missing" else colour, linewidth=0.5)
    ax.axhline(0, color="#444", linewidth=0.6)
    ax.set_xlim(min(xs, default=60) - 0.8, max(xs, default=72) + 0.8)
    ax.set_ylim(strip - 0.06 * top, top * 1.12)
    ticks = [m for m in xs if m % 12 in (0, 4, 7)]
    ax.set_xticks(ticks, [midi_to_name(m) for m in ticks], fontsize=8)
    ax.set_ylabel("notes in melody", fontsize=9)
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    handles = [Patch(color=TECHNIQUE_COLOURS[t], label=t) for t in ("natural", "bend", "overbend")]
    handles.append(Patch(facecolor=TECHNIQUE_COLOURS["missing"], hatch="//", edgecolor="black",
                         label="missing"))
    ax.legend(handles=handles, fontsize=8, loc="upper right", frameon=False, ncols=4)
    return RangePlot(figure=fig, rows=rows, title=title)
