"""The finished tab as plain values: what the PDF, the notebook and other tools read.

:class:`Tablature` keeps, per note, the source pitch (as written), the sounding pitch
(after transposition), the chosen :class:`~harptab_nb.harmonica.Action`, its token,
measure, offset, duration and lyric, so every output (text, HTML, JSON, PDF) is drawn
from the same data. The JSON shape is a contract with other tools (issue 2): change
it only together with every reader.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from .harmonica import Action, Harmonica
from .notation import BAR, UNPLAYABLE, format_action

__all__ = ["TabNote", "Tablature", "ordinal"]


def ordinal(n: int | None) -> str:
    """``1 -> "1st"``, ``2 -> "2nd"``, ``12 -> "12th"`` (positions)."""
    if n is None:
        return "?"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class TabNote:
    """One note of the melody with the action that plays it.

    ``token`` is ``""`` for a rest (``midi is None``) and for a tied continuation
    (which keeps the previous note's action), ``"X"`` when no allowed action sounds
    ``midi`` (``action is None``).
    """

    index: int
    measure: int
    offset: float
    duration: float
    source_midi: int | None
    midi: int | None
    action: Action | None
    token: str
    lyric: str | None = None
    tied: bool = False

    @property
    def is_rest(self) -> bool:
        """True for a rest (no pitch)."""
        return self.midi is None

    @property
    def sounded(self) -> bool:
        """True for a note that gets its own token (not a rest, not a tie continuation)."""
        return self.midi is not None and not self.tied

    @property
    def unplayable(self) -> bool:
        """True for a sounded note no allowed action reaches (token ``X``)."""
        return self.sounded and self.action is None

    def to_json(self) -> dict:
        """The per-note JSON record (keys fixed by issue 2)."""
        a = self.action
        return {
            "index": self.index,
            "measure": self.measure,
            "offset": float(self.offset),
            "duration": float(self.duration),
            "source_midi": self.source_midi,
            "midi": self.midi,
            "tab": self.token,
            "hole": a.hole if a else None,
            "action": a.breath if a else None,
            "bend": a.bend if a else 0,
            "overbend": bool(a.overbend) if a else False,
            "slide": bool(a.slide) if a else False,
            "lyric": self.lyric,
        }


@dataclass(frozen=True)
class Tablature:
    """A melody tabbed for one harp: notes, placement and the cost the optimizer paid."""

    harmonica: Harmonica
    notes: tuple[TabNote, ...]
    transpose_semitones: int = 0
    position: int | None = None
    song_key: str | None = None
    cost: float = 0.0
    style: str = "plain"
    title: str = ""
    composer: str = ""
    meta: dict = field(default_factory=dict, compare=False)

    # ------------------------------------------------------------------ counts
    @property
    def sounded(self) -> list[TabNote]:
        """Notes that get a token (rests and tie continuations left out)."""
        return [n for n in self.notes if n.sounded]

    @property
    def tokens(self) -> list[str]:
        """Tokens of the sounded notes, in order (``X`` included)."""
        return [n.token for n in self.notes if n.sounded]

    @property
    def unplayable(self) -> int:
        """Number of sounded notes no allowed action reaches (shown as ``X``)."""
        return sum(1 for n in self.notes if n.unplayable)

    @property
    def bends(self) -> int:
        """Number of sounded notes played with a bend (overbends not included)."""
        return sum(1 for n in self.notes if n.sounded and n.action and n.action.technique == "bend")

    @property
    def overbends(self) -> int:
        """Number of sounded notes played with an overblow or overdraw."""
        return sum(1 for n in self.notes if n.sounded and n.action and n.action.overbend)

    @property
    def measures(self) -> list[int]:
        """Measure numbers in order of appearance."""
        out: list[int] = []
        for n in self.notes:
            if not out or out[-1] != n.measure:
                out.append(n.measure)
        return out

    def __len__(self) -> int:
        return len(self.notes)

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict:
        """JSON-ready dict with exactly the keys of issue 2."""
        h = self.harmonica
        return {
            "harmonica": {
                "type": h.type,
                "tuning": h.tuning,
                "key": h.key,
                "hole1_midi": h.hole1_midi,
                "holes": h.holes,
            },
            "transpose_semitones": self.transpose_semitones,
            "position": self.position,
            "song_key": self.song_key,
            "notes": [n.to_json() for n in self.notes],
            "unplayable": self.unplayable,
            "bends": self.bends,
            "overbends": self.overbends,
            "cost": float(round(self.cost, 6)),
        }

    @classmethod
    def from_json(cls, data: dict, *, style: str = "plain") -> Tablature:
        """Rebuild a tab from :meth:`to_json` output (built-in tunings only)."""
        from .harmonica import load_harmonica
        from .pitch import midi_to_name

        hd = data["harmonica"]
        harp = load_harmonica(
            hd["tuning"] if hd["type"] == "diatonic" else "solo",
            midi_to_name(hd["hole1_midi"]),
            type=hd["type"],
            holes=hd["holes"],
        )
        by_key = {(a.hole, a.breath, a.bend, a.overbend, a.slide): a
                  for a in harp.actions(overbends=True)}
        notes = []
        for d in data["notes"]:
            action = None
            if d["hole"] is not None:
                action = by_key[(d["hole"], d["action"], d["bend"], d["overbend"], d["slide"])]
            notes.append(TabNote(
                index=d["index"], measure=d["measure"], offset=d["offset"],
                duration=d["duration"], source_midi=d["source_midi"], midi=d["midi"],
                action=action, token=d["tab"], lyric=d["lyric"],
                tied=bool(d["midi"] is not None and d["tab"] == ""),
            ))
        return cls(harmonica=harp, notes=tuple(notes),
                   transpose_semitones=data["transpose_semitones"],
                   position=data["position"], song_key=data["song_key"],
                   cost=data["cost"], style=style)

    # ------------------------------------------------------------------ text
    def header_lines(self) -> list[str]:
        """One-line descriptions: title, harp, position, transposition, counts."""
        lines = []
        names = [" ".join(str(x).split()) for x in (self.title, self.composer) if x]
        if any(names):
            lines.append(" - ".join(x for x in names if x))
        parts = [str(self.harmonica)]
        vendor = getattr(self.harmonica, "vendor_label", lambda: None)()
        if vendor:
            parts[0] += f" [sold as {vendor}]"
        if self.position is not None:
            parts.append(f"{ordinal(self.position)} position")
        if self.song_key:
            parts.append(f"song in {self.song_key}")
        if self.transpose_semitones:
            parts.append(f"transposed {self.transpose_semitones:+d} semitones")
        lines.append(", ".join(parts))
        counts = ", ".join(_count(k, w) for k, w in (
            (len(self.sounded), "note"), (self.bends, "bend"), (self.overbends, "overbend")))
        if self.unplayable:
            counts += f", {self.unplayable} unplayable (X)"
        lines.append(counts)
        return lines

    def _measure_cells(self) -> list[tuple[int, list[tuple[str, str]]]]:
        """Per measure: (measure number, [(token, lyric)]) for sounded notes."""
        out: list[tuple[int, list[tuple[str, str]]]] = []
        for n in self.notes:
            if not out or out[-1][0] != n.measure:
                out.append((n.measure, []))
            if n.sounded:
                out[-1][1].append((n.token, n.lyric or ""))
        return out

    def to_text(self, width: int = 72, *, header: bool = True) -> str:
        """Plain-text tab: ``#`` header lines, bar lines, lyrics under the tab line.

        Lines wrap at bar lines to fit ``width``; a measure wider than ``width`` is
        split between tokens (the continuation line starts without a bar line, so it
        reads back as the same measure). :func:`harptab_nb.notation.parse_tab` reads
        the result back.
        """
        width = max(int(width), 16)
        out = [f"# {h}" for h in self.header_lines()] if header else []
        lines: list[tuple[str, str]] = []
        tab, lyr = BAR, " "

        def flush(new_tab: str) -> None:
            nonlocal tab, lyr
            if tab.strip(" " + BAR) or tab.count(BAR) > 1:
                lines.append((tab, lyr))
            tab, lyr = new_tab, " " * len(new_tab)

        for _measure, cells in self._measure_cells():
            parts = []
            for token, lyric in cells:
                w = max(len(token), len(lyric))
                parts.append((" " + token.ljust(w), " " + lyric.ljust(w)))
            m_tab = "".join(t for t, _ in parts) + " " + BAR
            if len(tab) + len(m_tab) > width and len(tab) > 1:
                flush(BAR)
            if len(tab) + len(m_tab) <= width:
                tab += m_tab
                lyr += "".join(ly for _, ly in parts) + "  "
                continue
            for t, ly in parts:  # a measure longer than a line: split between tokens
                if len(tab) + len(t) > width and tab.strip(" " + BAR):
                    flush(" ")
                tab += t
                lyr += ly
            tab += " " + BAR
            lyr += "  "
        flush(BAR)
        for t, ly in lines:
            out.append(t.rstrip())
            if ly.strip():
                out.append(ly.rstrip())
        return "\n".join(out) + "\n"

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        """Notebook view: header, then one box per measure with tokens over lyrics."""
        esc = html.escape
        head = "<br>".join(esc(h) for h in self.header_lines())
        boxes = []
        for measure, cells in self._measure_cells():
            cols = []
            for token, lyric in cells:
                color = "#b00020" if token == UNPLAYABLE else (
                    "#1565c0" if token.startswith("-") else "#222")
                cols.append(
                    f"<td style='padding:0 4px;text-align:center'>"
                    f"<div style='font:bold 15px monospace;color:{color}'>{esc(token)}</div>"
                    f"<div style='font:12px sans-serif;color:#555'>{esc(lyric) or '&nbsp;'}</div></td>"
                )
            boxes.append(
                "<div style='display:inline-block;border-left:1px solid #999;margin:4px 0;"
                "vertical-align:top'><div style='font:9px sans-serif;color:#999;padding-left:2px'>"
                f"{measure}</div><table style='border-collapse:collapse'><tr>{''.join(cols)}"
                "</tr></table></div>"
            )
        return (
            "<div class='harptab-tablature'>"
            f"<div style='font:13px sans-serif;margin-bottom:6px'>{head}</div>"
            f"<div style='border-right:1px solid #999;display:inline'>{''.join(boxes)}</div></div>"
        )


def _count(n: int, word: str) -> str:
    """``1 bend``, ``2 bends``, ``0 overbends``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def token_for(action: Action | None, style: str = "plain") -> str:
    """Token of one chosen action (``X`` for ``None``) in the tab's style."""
    return format_action(action, style=style) if action is not None else UNPLAYABLE
