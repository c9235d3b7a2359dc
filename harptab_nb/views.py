"""Pure renderers: tracker status and step results -> deterministic HTML / text.

Kept free of ipywidgets, IPython, matplotlib and verovio so every view can be tested
in plain pytest and reused by the widgets, the ``_repr_html_`` of result objects, the
converter app and a web front end alike. Output depends only on the input (no time,
no addresses, no random ids), which keeps nbval comparisons stable.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable
from typing import Any

from .pitch import midi_to_name

#: Status -> symbol (all render in DejaVu Sans, the fallback font of headless Chromium).
SYMBOLS: dict[str, str] = {
    "pending": "○",
    "in_progress": "►",
    "completed": "✓",
    "error": "✗",
    "cancelled": "⊘",
}

#: Status -> CSS colour of the symbol (and of the message for errors).
COLOURS: dict[str, str] = {
    "pending": "#9e9e9e",
    "in_progress": "#1565c0",
    "completed": "#2e7d32",
    "error": "#c62828",
    "cancelled": "#ef6c00",
}

#: Technique -> colour, shared by the range plot, the tab table and the option table.
TECHNIQUE_COLOURS: dict[str, str] = {
    "natural": "#2e7d32",
    "bend": "#ef6c00",
    "overbend": "#6a1b9a",
    "missing": "#c62828",
    "unplayable": "#c62828",
}

STATUSES = tuple(SYMBOLS)

esc = html.escape


# --------------------------------------------------------------------------- tracker

def status_of(source: Any) -> dict:
    """The status JSON of a tracker (``to_json()`` / ``to_dict()``), or ``source``
    itself if a dict. The fallback reads a ``steps`` mapping of the same shape."""
    if isinstance(source, dict):
        return source
    for name in ("to_json", "to_dict"):
        fn = getattr(source, name, None)
        if callable(fn):
            return fn()
    steps = []
    for st in getattr(source, "steps", {}).values():
        d = dict(st)
        subs = d.get("substeps", {})
        d["substeps"] = [dict(s) for s in (subs.values() if isinstance(subs, dict) else subs)]
        steps.append(d)
    done = sum(1 for s in steps if s["status"] == "completed")
    return {
        "session_id": getattr(source, "session_id", ""),
        "overall_progress": int(100 * done / len(steps)) if steps else 0,
        "elapsed_time": 0,
        "current_step": getattr(source, "current_step", None),
        "steps": steps,
    }


def status_signature(status: dict) -> tuple:
    """Every step and substep status, in order: a redraw is due when this changes."""
    return tuple(
        (s.get("status"), tuple(u.get("status") for u in s.get("substeps", ())))
        for s in status.get("steps", ())
    )


def run_state(status: dict) -> str:
    """One word for the whole run: pending, in_progress, completed, error or cancelled."""
    states = [s.get("status", "pending") for s in status.get("steps", ())]
    if "error" in states:
        return "error"
    if "cancelled" in states:
        return "cancelled"
    if states and all(s == "completed" for s in states):
        return "completed"
    if any(s != "pending" for s in states):
        return "in_progress"
    return "pending"


def format_elapsed(seconds: float | int | None) -> str:
    """``75 -> "1:15"``, ``4 -> "4 s"``: short, stable text for the overall line."""
    s = int(seconds or 0)
    if s < 60:
        return f"{s} s"
    return f"{s // 60}:{s % 60:02d}"


def _text_bar(pct: int, width: int = 20) -> str:
    full = round(width * max(0, min(100, pct)) / 100)
    return "█" * full + "░" * (width - full)


def render_status_text(source: Any, *, elapsed: bool = True, substeps: bool = True) -> str:
    """The step tree as plain text (terminal, ``repr`` of the widget, logs).

    ``elapsed=False`` leaves the time out, for reprs that must not change between runs.
    """
    st = status_of(source)
    pct = int(st.get("overall_progress", 0))
    head = f"{_text_bar(pct)} {pct:3d}%  {SYMBOLS.get(run_state(st), '?')} {run_state(st)}"
    if elapsed:
        head += f"  {format_elapsed(st.get('elapsed_time'))}"
    lines = [head]
    for step in st.get("steps", ()):
        lines.append(_text_row(step, indent=""))
        if substeps:
            lines.extend(_text_row(sub, indent="    ") for sub in step.get("substeps", ()))
    return "\n".join(lines)


def _text_row(row: dict, indent: str) -> str:
    status = row.get("status", "pending")
    line = f"{indent}{SYMBOLS.get(status, '?')} {row.get('name') or row.get('id')}"
    if status == "in_progress" and row.get("progress"):
        line += f" ({int(row['progress'])}%)"
    msg = row.get("message")
    if msg:
        line += f" - {msg}"
    return line


_TRACKER_CSS = (
    "<style>"
    ".harptab-tracker{font:13px/1.45 'DejaVu Sans',sans-serif;max-width:760px}"
    ".harptab-tracker table{border-collapse:collapse;width:100%}"
    ".harptab-tracker td{padding:1px 6px;vertical-align:top;text-align:left}"
    ".harptab-bar{background:#e0e0e0;border-radius:3px;height:10px;width:100%;overflow:hidden}"
    ".harptab-bar>div{height:100%}"
    ".harptab-substep td{font-size:12px;color:#555}"
    ".harptab-substep .harptab-name{padding-left:26px}"
    ".harptab-symbol{width:1.3em;text-align:center;font-weight:bold}"
    "</style>"
)


def render_status_html(source: Any, *, elapsed: bool = True, css: bool = True) -> str:
    """The step tree as HTML: overall bar with percent and time, one row per step and
    substep with symbol, name, progress bar and message; errors in red."""
    st = status_of(source)
    pct = max(0, min(100, int(st.get("overall_progress", 0))))
    state = run_state(st)
    colour = COLOURS[state] if state in ("error", "cancelled") else COLOURS["completed"]
    time_html = (
        f" <span class='harptab-elapsed'>{esc(format_elapsed(st.get('elapsed_time')))}</span>"
        if elapsed else ""
    )
    parts = [
        _TRACKER_CSS if css else "",
        f"<div class='harptab-tracker' data-state='{state}'>",
        "<div class='harptab-overall' style='display:flex;align-items:center;gap:8px;"
        "margin-bottom:4px'>",
        f"<div class='harptab-bar' style='flex:1'><div style='width:{pct}%;"
        f"background:{colour}'></div></div>",
        f"<span class='harptab-percent'>{pct}%</span>{time_html}</div>",
        "<table>",
    ]
    for step in st.get("steps", ()):
        parts.append(_html_row(step, "harptab-step"))
        for sub in step.get("substeps", ()):
            parts.append(_html_row(sub, "harptab-substep"))
    parts.append("</table></div>")
    return "".join(parts)


def _html_row(row: dict, kind: str) -> str:
    status = row.get("status", "pending")
    colour = COLOURS.get(status, "#000")
    prog = max(0, min(100, int(row.get("progress") or 0)))
    msg = esc(str(row.get("message") or ""))
    msg_style = f" style='color:{COLOURS['error']}'" if status == "error" else ""
    bar = (
        f"<div class='harptab-bar' style='height:6px;width:60px;margin-top:6px'>"
        f"<div style='width:{prog}%;background:{colour}'></div></div>"
    )
    return (
        f"<tr class='{kind} harptab-status-{esc(status)}' data-id='{esc(str(row.get('id')))}'>"
        f"<td class='harptab-symbol' style='color:{colour}' title='{esc(status)}'>"
        f"{SYMBOLS.get(status, '?')}</td>"
        f"<td class='harptab-name'>{esc(str(row.get('name') or row.get('id')))}</td>"
        f"<td>{bar}</td><td class='harptab-message'{msg_style}>{msg}</td></tr>"
    )


# --------------------------------------------------------------------------- helpers

def _table(rows: Iterable[tuple[str, Any]], cls: str) -> str:
    body = "".join(
        f"<tr><th style='text-align:left;padding:1px 10px 1px 0'>{esc(k)}</th>"
        f"<td style='text-align:left'>{esc(str(v))}</td></tr>"
        for k, v in rows if v not in (None, "")
    )
    return f"<table class='{cls}'>{body}</table>"


def _section(title: str, body: str, cls: str) -> str:
    return (
        f"<div class='harptab-result {cls}' style='margin:6px 0'>"
        f"<div style='font:bold 13px sans-serif;margin-bottom:3px'>{esc(title)}</div>{body}</div>"
    )


def note_name(midi: int | None) -> str:
    return "rest" if midi is None else midi_to_name(midi)


def display_path(path: Any) -> str:
    """A path as shown and linked: relative to the working folder when inside it, so
    the same notebook gives the same HTML on every machine."""
    p = os.fspath(path)
    try:
        rel = os.path.relpath(p)
    except ValueError:  # other drive on Windows
        return p.replace(os.sep, "/")
    return (p if rel.startswith("..") else rel).replace(os.sep, "/")


# --------------------------------------------------------------------------- results

def score_html(sr: Any) -> str:
    """ocr: what was read (title, format, parts, notes) and the reader's warnings."""
    src = getattr(sr, "source", "")
    rows = [
        ("Title", getattr(sr, "title", "")),
        ("Composer", getattr(sr, "composer", "")),
        ("Source", display_path(src) if isinstance(src, os.PathLike) or os.path.isabs(str(src))
         else src),
        ("Format", getattr(sr, "format", "")),
        ("Parts", getattr(sr, "n_parts", "")),
        ("Notes", getattr(sr, "n_notes", "")),
    ]
    body = _table(rows, "harptab-score")
    warnings = list(getattr(sr, "warnings", ()) or ())
    if warnings:
        body += "<ul style='color:#ef6c00;margin:2px 0'>" + "".join(
            f"<li>{esc(str(w))}</li>" for w in warnings) + "</ul>"
    return _section("Score", body, "harptab-score-result")


def melody_summary(melody: Any) -> list[tuple[str, Any]]:
    """Key facts of a melody as (label, value) rows."""
    pitches = list(getattr(melody, "pitches", ()))
    notes = getattr(melody, "notes", ())
    rows: list[tuple[str, Any]] = [
        ("Title", getattr(melody, "title", "")),
        ("Composer", getattr(melody, "composer", "")),
        ("Part", getattr(melody, "part_name", "")),
        ("Why this part", (getattr(melody, "meta", {}) or {}).get("part_reason", "")),
        ("Key signature", getattr(melody, "key_signature", "")),
        ("Time signature", getattr(melody, "time_signature", "")),
        ("Notes", f"{len(pitches)} sounded, {sum(1 for n in notes if n.midi is None)} rests"),
    ]
    if pitches:
        rows.append(("Range", f"{note_name(min(pitches))} - {note_name(max(pitches))} "
                              f"({max(pitches) - min(pitches)} semitones)"))
    lyrics = sum(1 for n in notes if getattr(n, "lyric", None))
    if lyrics:
        rows.append(("Lyrics", f"{lyrics} syllables"))
    return rows


def melody_html(melody: Any, *, svg: str | None = None) -> str:
    """melody: summary table, plus the engraved notation when ``svg`` is given."""
    body = _table(melody_summary(melody), "harptab-melody")
    if svg:
        body += f"<div class='harptab-notation' style='overflow-x:auto'>{svg}</div>"
    return _section("Melody", body, "harptab-melody-result")


def analysis_html(an: Any) -> str:
    """analysis: key (signature and estimate with confidence) and range table."""
    conf = getattr(an, "key_confidence", None)
    est = getattr(an, "estimated_key", "")
    if est and isinstance(conf, (int, float)):
        est = f"{est} (confidence {conf:.2f})"
    low, high = getattr(an, "lowest", None), getattr(an, "highest", None)
    tess = getattr(an, "tessitura", None)
    if isinstance(tess, (tuple, list)) and len(tess) == 2 and all(isinstance(t, int) for t in tess):
        tess = f"{note_name(tess[0])} - {note_name(tess[1])}"
    rows = [
        ("Key signature", getattr(an, "key_signature", "")),
        ("Estimated key", est),
        ("Song key", getattr(an, "song_key", "")),
        ("Lowest", note_name(low) if isinstance(low, int) else low),
        ("Highest", note_name(high) if isinstance(high, int) else high),
        ("Span", f"{an.span} semitones" if isinstance(getattr(an, "span", None), int) else ""),
        ("Tessitura", tess),
    ]
    return _section("Key and range", _table(rows, "harptab-analysis"), "harptab-analysis-result")


def chart_html(harmonica: Any, *, max_bend: int | None = None, overbends: bool = True) -> str:
    """mapping_load: the engine's harp chart (holes x blow/draw/bends/overbends)."""
    from .chart import chart_html as engine_chart

    body = engine_chart(harmonica, max_bend=max_bend, overbends=overbends)
    return _section("Harp chart", body, "harptab-chart-result")


def mapping_html(mapping: Any) -> str:
    """mapping_load: the chart of the chosen harp, or the list of candidate harps."""
    harps = list(getattr(mapping, "harps", ()) or ())
    if len(harps) == 1:
        return chart_html(harps[0])
    names = ", ".join(getattr(h, "label", "") or getattr(h, "key", "") for h in harps)
    tuning = getattr(harps[0], "name", "") if harps else ""
    body = f"<div>{len(harps)} {esc(tuning)} harps to try: {esc(names)}</div>"
    return _section("Harmonicas", body, "harptab-mapping-result")


def ordinal(n: int | None) -> str:
    if n is None:
        return ""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def options_html(report: Any, *, limit: int = 10) -> str:
    """transpose: the ranked placements (harp, shift, position, counts, reason);
    the chosen one first and in bold."""
    options = list(getattr(report, "options", ()) or ())[:limit]
    head = ("<tr><th>#</th><th>harp</th><th>shift</th><th>position</th><th>natural</th>"
            "<th>bends</th><th>overbends</th><th>unplayable</th><th>why</th></tr>")
    chosen = (getattr(getattr(report, "harmonica", None), "hole1_midi", None),
              getattr(report, "semitones", None))
    rows = []
    for i, o in enumerate(options, start=1):
        h = o.harmonica
        is_chosen = (h.hole1_midi, o.semitones) == chosen
        style = " style='font-weight:bold'" if is_chosen else ""
        unpl = f"<span style='color:{TECHNIQUE_COLOURS['missing']}'>{o.unplayable}</span>" \
            if o.unplayable else "0"
        rows.append(
            f"<tr{style}><td>{i}</td><td>{esc(h.label or h.key)} {esc(h.name or h.tuning)}</td>"
            f"<td>{o.semitones:+d}</td><td>{esc(ordinal(o.position))}</td><td>{o.natural}</td>"
            f"<td>{o.bends}</td><td>{o.overbends}</td><td>{unpl}</td>"
            f"<td style='text-align:left'>{esc(str(o.reason or ''))}</td></tr>")
    checks = list(getattr(report, "checks", ()) or ())
    counts = {k: checks.count(k) for k in ("natural", "bend", "overbend", "unplayable")}
    harp = getattr(report, "harmonica", None)
    summary = (
        f"<div>Chosen: {esc(getattr(harp, 'title', str(harp)))}, shift "
        f"{getattr(report, 'semitones', 0):+d} semitones, "
        f"{esc(ordinal(getattr(report, 'position', None)))} position: "
        + ", ".join(f"{v} {k}" for k, v in counts.items()) + "</div>"
    )
    table = (f"<table class='harptab-options' style='border-collapse:collapse'>{head}"
             f"{''.join(rows)}</table>") if rows else ""
    return _section("Transposition", summary + table, "harptab-transpose-result")


def tab_html(tab: Any, *, per_row: int = 4) -> str:
    """tablature: an HTML table per line of ``per_row`` measures: note names, tab tokens
    (coloured bend / overbend / unplayable) and lyrics, aligned column by column."""
    measures: list[tuple[int, list[Any]]] = []
    for n in tab.notes:
        if not measures or measures[-1][0] != n.measure:
            measures.append((n.measure, []))
        if n.midi is not None and not n.tied:
            measures[-1][1].append(n)
    has_lyrics = any(n.lyric for _, ns in measures for n in ns)
    blocks = []
    for start in range(0, len(measures), per_row):
        chunk = measures[start:start + per_row]
        notes_row, tab_row, lyr_row = [], [], []
        for j, (num, ns) in enumerate(chunk):
            bar = "border-left:1px solid #888;" if j else ""
            for k, n in enumerate(ns):
                left = bar if k == 0 else ""
                technique = ("unplayable" if n.action is None else n.action.technique)
                colour = TECHNIQUE_COLOURS[technique] if technique != "natural" else "#222"
                label = f"<sup style='color:#999'>{num}</sup>" if k == 0 else ""
                notes_row.append(f"<td style='{left}'>{label}{esc(note_name(n.midi))}</td>")
                tab_row.append(f"<td style='{left}color:{colour};font:bold 14px monospace'>"
                               f"{esc(n.token)}</td>")
                lyr_row.append(f"<td style='{left}font-style:italic'>{esc(n.lyric or '')}</td>")
        rows = [f"<tr class='harptab-notes'>{''.join(notes_row)}</tr>",
                f"<tr class='harptab-tokens'>{''.join(tab_row)}</tr>"]
        if has_lyrics:
            rows.append(f"<tr class='harptab-lyrics'>{''.join(lyr_row)}</tr>")
        blocks.append(
            "<table class='harptab-tab-table' style='border-collapse:collapse;margin:4px 0;"
            "font:12px sans-serif;text-align:center'>" + "".join(rows) + "</table>")
    head = "<br>".join(esc(h) for h in tab.header_lines()) if hasattr(tab, "header_lines") else ""
    return _section("Tablature", f"<div style='font-size:12px'>{head}</div>" + "".join(blocks),
                    "harptab-tab-result")


def outputs_html(outputs: Any, *, thumbnail_png_b64: str | None = None) -> str:
    """pdf: links to every written file (relative paths), and page 1 as a thumbnail."""
    links = []
    for label in ("pdf", "musicxml", "txt", "json"):
        p = getattr(outputs, label, None)
        if p:
            shown = display_path(p)
            links.append(f"<li><a class='harptab-download harptab-{label}' href='{esc(shown)}' "
                         f"download target='_blank'>{esc(shown)}</a></li>")
    for p in getattr(outputs, "extra", ()) or ():
        shown = display_path(p)
        links.append(f"<li><a href='{esc(shown)}' download target='_blank'>{esc(shown)}</a></li>")
    body = f"<ul style='margin:2px 0'>{''.join(links)}</ul>"
    if thumbnail_png_b64:
        body += (f"<img class='harptab-thumbnail' alt='page 1' style='border:1px solid #ccc;"
                 f"max-width:240px' src='data:image/png;base64,{thumbnail_png_b64}'>")
    return _section("Files", body, "harptab-outputs-result")


#: Step id -> renderer of that step's result (used by the results panel).
STEP_RENDERERS = {
    "ocr": score_html,
    "melody": melody_html,
    "analysis": analysis_html,
    "mapping_load": mapping_html,
    "transpose": options_html,
    "tablature": tab_html,
    "pdf": outputs_html,
}


def step_result_html(step_id: str, value: Any) -> str:
    """HTML of one step's result (without the heavy extras: SVG, plots, thumbnails)."""
    render = STEP_RENDERERS.get(step_id)
    if render is None:
        return f"<pre>{esc(repr(value))}</pre>"
    return render(value)


def history_html(rows: Iterable[Any], *, limit: int = 20) -> str:
    """Past conversions (dicts or objects with when/source/status/outputs)."""
    def get(r: Any, k: str) -> Any:
        return r.get(k) if isinstance(r, dict) else getattr(r, k, None)

    out = []
    for r in list(rows)[:limit]:
        status = str(get(r, "status") or "")
        colour = COLOURS.get(status, "#000")
        when = get(r, "finished_at") or get(r, "started_at") or get(r, "when") or ""
        out.append(
            f"<tr><td>{esc(str(when))}</td><td>{esc(str(get(r, 'source') or ''))}</td>"
            f"<td style='color:{colour}'>{SYMBOLS.get(status, '')} {esc(status)}</td>"
            f"<td>{esc(str(get(r, 'pdf') or get(r, 'output_dir') or ''))}</td></tr>")
    if not out:
        return "<div class='harptab-history'><i>No conversions yet.</i></div>"
    return ("<table class='harptab-history'><tr><th>when</th><th>source</th><th>status</th>"
            "<th>output</th></tr>" + "".join(out) + "</table>")
