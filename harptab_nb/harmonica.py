"""Harmonica models: which pitches each hole gives, and by which action.

A layout file (TOML, shipped in ``harptab_nb/layouts`` or the user's own) lists the
blow and draw reeds of a harp written in some reference key. :func:`load_harmonica`
moves it to the wanted key and octave and validates it; :meth:`Harmonica.actions`
derives every action the physics allows (see the README, "Supported harmonicas").

Physics of a diatonic hole: the higher reed bends down by up to (interval - 1)
semitones (draw bends where draw > blow, blow bends where blow > draw); the overbend
sounds the higher reed + 1 semitone (overblow where draw is higher, overdraw where blow
is higher) and is left out when an easier action of the same harp already gives that
pitch. Chromatic harps (valved) are modelled without bends; the slide raises a reed by
one semitone unless the layout lists the slide rows itself.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path

from .errors import LayoutError, OptionError
from .pitch import PITCH_CLASSES, midi_to_name, name_to_midi, pc_name, pitch_class

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HARMONICA_TYPES = ("diatonic", "chromatic")

#: MIDI of hole-1 blow for a standard-octave harp, by pitch class: G..B start below
#: middle C (G3..B3), C..F# start at C4..F#4.
STANDARD_HOLE1 = {pc: (60 + pc if pc <= 6 else 48 + pc) for pc in range(12)}

#: Lowest and highest hole-1 blow pitch accepted for a key (C2..C6: from below the
#: double-low harps to above the high ones).
HOLE1_RANGE = (36, 84)

#: Named low/high variants sold in shops, with the octave shift from standard.
VARIANT_PREFIXES = {"low": -12, "ll": -24, "lowlow": -24, "high": 12, "h": 12, "l": -12}


@dataclass(frozen=True)
class Action:
    """One way to sound one pitch: hole, breath, bend depth, overbend, slide."""

    hole: int
    breath: str  # "blow" | "draw"
    midi: int
    bend: int = 0  # semitones bent down (0 = natural)
    overbend: bool = False  # overblow (breath "blow") or overdraw (breath "draw")
    slide: bool = False  # chromatic slide pressed

    @property
    def technique(self) -> str:
        """``natural``, ``bend`` or ``overbend`` (the slide counts as natural)."""
        if self.overbend:
            return "overbend"
        return "bend" if self.bend else "natural"

    def token(self, style: str = "plain") -> str:
        """Tab token per the notation (``4``, ``-4``, ``-3''``, ``6o``, ``-7o``, ``4<``)."""
        from .notation import format_action

        return format_action(self, style=style)


@dataclass(frozen=True)
class Harmonica:
    """A harp in one key and octave: reeds per hole, and the actions they allow."""

    type: str
    tuning: str
    key: str  # pitch-class name of hole-1 blow
    hole1_midi: int
    blow: tuple[int, ...]
    draw: tuple[int, ...]
    slide_blow: tuple[int, ...] | None = None
    slide_draw: tuple[int, ...] | None = None
    label: str = ""  # what a shop calls it: "C", "Low F", "High G"
    name: str = ""  # tuning display name: "Richter", "Paddy Richter"
    vendor_labels: dict = field(default_factory=dict, compare=False, hash=False)
    source: str = ""  # the layout file it came from

    @property
    def holes(self) -> int:
        """Number of holes (10 on a diatonic, 12 or 16 on a chromatic)."""
        return len(self.blow)

    @property
    def title(self) -> str:
        """``"Diatonic Richter harmonica in C"`` style description."""
        kind = self.type.capitalize()
        holes = f" {self.holes}-hole" if self.type == "chromatic" else ""
        return f"{kind}{holes} {self.name or self.tuning} harmonica in {self.label or self.key}"

    def __str__(self) -> str:
        return self.title

    def __repr__(self) -> str:  # the reed rows are long; show what a player names
        return (f"<Harmonica {self.type} {self.tuning} {self.label or self.key} "
                f"hole1={midi_to_name(self.hole1_midi)} holes={self.holes}>")

    def _repr_html_(self) -> str:
        """The harp chart, so a harp displays as what it plays in a notebook."""
        from .chart import chart_html

        return chart_html(self)

    @cached_property
    def _all_actions(self) -> tuple[Action, ...]:
        return _derive_actions(self)

    def actions(self, max_bend: int | None = None, overbends: bool = False) -> tuple[Action, ...]:
        """Every action the player's limits allow, ordered by hole then pitch.

        ``max_bend``: deepest bend the player uses (0-3; ``None`` = every bend the hole
        allows). ``overbends``: include overblows/overdraws.
        """
        if max_bend is not None and not 0 <= max_bend <= 3:
            raise OptionError(f"max_bend must be between 0 and 3, not {max_bend}")
        return tuple(
            a
            for a in self._all_actions
            if (overbends or not a.overbend) and (max_bend is None or a.bend <= max_bend)
        )

    def actions_for(
        self, midi: int, max_bend: int | None = None, overbends: bool = False
    ) -> tuple[Action, ...]:
        """All allowed actions sounding ``midi`` (empty when unplayable)."""
        return tuple(a for a in self.actions(max_bend, overbends) if a.midi == midi)

    def pitch_map(self, max_bend: int | None = None, overbends: bool = False) -> dict[int, tuple[Action, ...]]:
        """MIDI -> allowed actions, for fast look-ups."""
        out: dict[int, list[Action]] = {}
        for a in self.actions(max_bend, overbends):
            out.setdefault(a.midi, []).append(a)
        return {k: tuple(v) for k, v in sorted(out.items())}

    @property
    def lowest(self) -> int:
        """Lowest MIDI note of any action (overbends included)."""
        return min(a.midi for a in self._all_actions)

    @property
    def highest(self) -> int:
        """Highest MIDI note of any action (overbends included)."""
        return max(a.midi for a in self._all_actions)

    def transposed(self, semitones: int, label: str | None = None) -> Harmonica:
        """The same tuning moved by ``semitones`` (another key or octave)."""
        shift = lambda row: None if row is None else tuple(p + semitones for p in row)  # noqa: E731
        h1 = self.hole1_midi + semitones
        return Harmonica(
            type=self.type,
            tuning=self.tuning,
            key=pc_name(h1),
            hole1_midi=h1,
            blow=shift(self.blow),
            draw=shift(self.draw),
            slide_blow=shift(self.slide_blow),
            slide_draw=shift(self.slide_draw),
            label=label if label is not None else _default_label(self.type, h1, len(self.blow)),
            name=self.name,
            vendor_labels={k: _shift_label(v, semitones) for k, v in self.vendor_labels.items()},
            source=self.source,
        )

    def vendor_label(self, vendor: str | None = None) -> str | None:
        """What a vendor calls this harp (``"G minor (2nd position)"`` for a Lee Oskar
        natural minor whose hole 1 is C); ``None`` when the layout names none."""
        if not self.vendor_labels:
            return None
        if vendor is None:
            return next(iter(self.vendor_labels.values()))
        return self.vendor_labels.get(vendor)


_LABEL_KEY_RE = re.compile(r"^([A-G][#b]?)(?![A-Za-z0-9])")


def _shift_label(label: str, semitones: int) -> str:
    """Move the key a vendor label starts with (``"G minor"``) along with the harp."""
    m = _LABEL_KEY_RE.match(label)
    if not m or semitones % 12 == 0:
        return label
    return pc_name(pitch_class(m.group(1)) + semitones) + label[m.end():]


def _default_label(kind: str, hole1: int, holes: int) -> str:
    pc = hole1 % 12
    standard = STANDARD_HOLE1[pc] - (12 if kind == "chromatic" and holes >= 16 else 0)
    diff = hole1 - standard
    name = pc_name(pc)
    if diff == 0:
        return name
    if diff == -12:
        return f"Low {name}"
    if diff == 12:
        return f"High {name}"
    if diff == -24:
        return f"Double Low {name}"
    return f"{name} ({midi_to_name(hole1)})"


def _derive_actions(h: Harmonica) -> tuple[Action, ...]:
    actions: list[Action] = []
    for i, (b, d) in enumerate(zip(h.blow, h.draw, strict=True), start=1):
        actions.append(Action(i, "blow", b))
        actions.append(Action(i, "draw", d))
        if h.type == "chromatic":
            sb = h.slide_blow[i - 1] if h.slide_blow else b + 1
            sd = h.slide_draw[i - 1] if h.slide_draw else d + 1
            actions.append(Action(i, "blow", sb, slide=True))
            actions.append(Action(i, "draw", sd, slide=True))
            continue
        if d > b:
            actions += [Action(i, "draw", d - k, bend=k) for k in range(1, d - b)]
        elif b > d:
            actions += [Action(i, "blow", b - k, bend=k) for k in range(1, b - d)]
    if h.type == "diatonic":
        easy = {a.midi for a in actions}
        for i, (b, d) in enumerate(zip(h.blow, h.draw, strict=True), start=1):
            if d > b and d + 1 not in easy:
                actions.append(Action(i, "blow", d + 1, overbend=True))
            elif b > d and b + 1 not in easy:
                actions.append(Action(i, "draw", b + 1, overbend=True))
    actions.sort(key=lambda a: (a.hole, a.midi, a.slide))
    return tuple(actions)


# --------------------------------------------------------------------------- loading

_LAYOUT_DIR = "layouts"
_LAYOUT_FIELDS = (
    "type", "tuning", "name", "reference_key", "holes", "blow", "draw",
    "slide_blow", "slide_draw", "vendor_labels",
)


def builtin_layouts() -> dict[str, str]:
    """Built-in layout names -> file names (``richter``, ``chromatic12`` ...)."""
    files = resources.files("harptab_nb").joinpath(_LAYOUT_DIR)
    return {
        p.name[:-5]: p.name for p in files.iterdir() if p.name.endswith(".toml")
    }


#: Built-in diatonic tunings in display order (the standard Richter first).
DIATONIC_TUNINGS = (
    "richter", "paddy_richter", "country", "natural_minor", "harmonic_minor",
    "melody_maker", "powerbender", "powerdraw",
)


def tunings(kind: str = "diatonic") -> list[str]:
    """Names of the built-in tunings of one harmonica type (Richter first)."""
    if kind not in HARMONICA_TYPES:
        raise OptionError(f"unknown harmonica type {kind!r}; choose {' or '.join(HARMONICA_TYPES)}")
    out: list[str] = []
    for name in sorted(builtin_layouts()):
        spec = _read_builtin(name)
        if spec["type"] == kind and spec["tuning"] not in out:
            out.append(spec["tuning"])
    order = {t: i for i, t in enumerate(DIATONIC_TUNINGS)}
    return sorted(out, key=lambda t: (order.get(t, len(order)), t))


def _read_builtin(name: str) -> dict:
    return dict(_read_builtin_cached(name))


@cache
def _read_builtin_cached(name: str) -> dict:
    fname = builtin_layouts().get(name)
    if fname is None:
        raise OptionError(
            f"unknown layout {name!r}; built-in layouts: {', '.join(sorted(builtin_layouts()))}"
        )
    text = resources.files("harptab_nb").joinpath(_LAYOUT_DIR, fname).read_text("utf-8")
    return _parse_layout(text, f"{_LAYOUT_DIR}/{fname}")


def _parse_layout(text: str, origin: str) -> dict:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"{origin}: not valid TOML ({exc})") from None
    return _validate(data, origin)


def _validate(data: dict, origin: str) -> dict:
    def bad(fld: str, why: str) -> LayoutError:
        return LayoutError(f"{origin}: field '{fld}': {why}")

    for fld in ("type", "tuning", "reference_key", "blow", "draw"):
        if fld not in data:
            raise bad(fld, "missing")
    for fld in data:
        if fld not in _LAYOUT_FIELDS:
            raise bad(fld, f"unknown field; known fields: {', '.join(_LAYOUT_FIELDS)}")
    for fld in ("name", "reference_key"):
        if fld in data and not isinstance(data[fld], str):
            raise bad(fld, "must be a string")
    if "holes" in data and (not isinstance(data["holes"], int) or isinstance(data["holes"], bool)):
        raise bad("holes", f"must be a whole number, not {data['holes']!r}")
    if "vendor_labels" in data and not (
        isinstance(data["vendor_labels"], dict)
        and all(isinstance(v, str) for v in data["vendor_labels"].values())
    ):
        raise bad("vendor_labels", "must be a table of vendor = \"label\" strings")
    if data["type"] not in HARMONICA_TYPES:
        raise bad("type", f"must be one of {', '.join(HARMONICA_TYPES)}, not {data['type']!r}")
    if not isinstance(data["tuning"], str) or not re.fullmatch(r"[a-z0-9_]+", data["tuning"]):
        raise bad("tuning", "must be a lower-case name like 'richter'")
    try:
        pitch_class(str(data["reference_key"]))
    except OptionError:
        raise bad("reference_key", f"{data['reference_key']!r} is not a pitch class") from None
    rows = {}
    for fld in ("blow", "draw", "slide_blow", "slide_draw"):
        if fld not in data:
            continue
        row = data[fld]
        if not isinstance(row, list) or not row:
            raise bad(fld, "must be a non-empty list of pitch names like \"C4\"")
        vals = []
        for j, p in enumerate(row, start=1):
            try:
                vals.append(name_to_midi(str(p)))
            except OptionError:
                raise bad(fld, f"hole {j}: {p!r} is not a pitch like C4 or Bb5") from None
        if not all(0 <= v <= 127 for v in vals):
            raise bad(fld, "pitches must lie in the MIDI range C-1..G9")
        rows[fld] = tuple(vals)
    n = len(rows["blow"])
    if not 1 <= n <= 24:
        raise bad("blow", f"lists {n} holes; a harmonica has 1 to 24")
    for fld, vals in rows.items():
        if len(vals) != n:
            raise bad(fld, f"has {len(vals)} holes but 'blow' has {n}")
    if "holes" in data and data["holes"] != n:
        raise bad("holes", f"says {data['holes']} but 'blow' lists {n} holes")
    for fld in ("slide_blow", "slide_draw"):
        if data["type"] == "diatonic" and fld in rows:
            raise bad(fld, "only chromatic harps have a slide")
    if data["type"] == "diatonic":
        for j, (b, d) in enumerate(zip(rows["blow"], rows["draw"], strict=True), start=1):
            if b == d:
                raise bad("draw", f"hole {j}: blow and draw reeds are both {midi_to_name(b)}")
    if pc_name(rows["blow"][0]) != pc_name(pitch_class(str(data["reference_key"]))):
        raise bad("reference_key", f"hole 1 blow is {midi_to_name(rows['blow'][0])}, "
                  f"which is not {data['reference_key']}")
    out = dict(data)
    out.update(rows)
    out["origin"] = origin
    return out


def _key_spec(key: str | int | None, kind: str, holes: int) -> tuple[int, str | None]:
    """Parse ``"C"``, ``"Low F"``, ``"High G"``, ``"LF"`` or a hole-1 pitch ``"F3"``."""
    low16 = -12 if kind == "chromatic" and holes >= 16 else 0
    if key is None:
        key = "C"
    if isinstance(key, int):
        return key, None
    text = key.strip()
    m = re.fullmatch(r"(?i)(low\s*low|double\s*low|low|high|ll|l|h)?\s*([A-Ga-g][#b♯♭]?)", text)
    if m:
        prefix = (m.group(1) or "").lower().replace(" ", "")
        shift = {"": 0, "low": -12, "l": -12, "lowlow": -24, "doublelow": -24, "ll": -24,
                 "high": 12, "h": 12}[prefix]
        pc = pitch_class(m.group(2))
        return STANDARD_HOLE1[pc] + shift + low16, None
    try:
        return name_to_midi(text), None
    except OptionError:
        raise OptionError(
            f"unknown harp key {key!r}; use a key like {', '.join(PITCH_CLASSES)}, "
            "a variant like 'Low F' or 'High G', or hole 1's pitch like 'F3'"
        ) from None


def load_harmonica(
    tuning: str = "richter",
    key: str | int | None = "C",
    *,
    type: str | None = None,  # noqa: A002 - mirrors the layout field
    holes: int | None = None,
    path: str | Path | None = None,
) -> Harmonica:
    """Load a harp: a built-in tuning (or a layout file at ``path``) in ``key``.

    ``key`` is a pitch class (standard octave), a shop variant (``"Low F"``,
    ``"High G"``) or hole 1's exact pitch (``"F3"``). For chromatic harps pick the
    built-in layout with ``holes`` (12 or 16).

    Raises :class:`OptionError` (unknown tuning, key, type or hole count; the message
    lists the choices) and :class:`LayoutError` (a malformed or unreadable layout file;
    the message names the file and the field).
    """
    if path is not None:
        p = Path(path)
        try:
            text = p.read_text("utf-8")
        except OSError as exc:
            raise LayoutError(f"{p}: cannot read layout file ({exc.strerror})") from None
        spec = _parse_layout(text, str(p))
    else:
        kind = type or ("chromatic" if tuning in ("solo", "chromatic") else "diatonic")
        if kind not in HARMONICA_TYPES:
            raise OptionError(f"unknown harmonica type {kind!r}; choose diatonic or chromatic")
        if kind == "chromatic":
            holes = holes or 12
            if holes not in (12, 16):
                raise OptionError(f"chromatic harps have 12 or 16 holes, not {holes}")
            name = f"chromatic{holes}"
        else:
            if holes not in (None, 10):
                raise OptionError(f"diatonic harps have 10 holes, not {holes}")
            name = tuning
            known = tunings("diatonic")
            if tuning not in known:
                raise OptionError(
                    f"unknown diatonic tuning {tuning!r}; choose one of {', '.join(known)}"
                )
        spec = _read_builtin(name)
    n = len(spec["blow"])
    hole1, label = _key_spec(key, spec["type"], n)
    if not HOLE1_RANGE[0] <= hole1 <= HOLE1_RANGE[1]:
        raise OptionError(
            f"no harp has hole 1 at {midi_to_name(hole1)}; give a key like C, 'Low F' or "
            f"'High G', or a hole-1 pitch from {midi_to_name(HOLE1_RANGE[0])} "
            f"to {midi_to_name(HOLE1_RANGE[1])}"
        )
    base = Harmonica(
        type=spec["type"],
        tuning=spec["tuning"],
        key=pc_name(spec["blow"][0]),
        hole1_midi=spec["blow"][0],
        blow=spec["blow"],
        draw=spec["draw"],
        slide_blow=spec.get("slide_blow"),
        slide_draw=spec.get("slide_draw"),
        name=spec.get("name", spec["tuning"]),
        vendor_labels=dict(spec.get("vendor_labels", {})),
        source=spec["origin"],
    )
    return base.transposed(hole1 - base.hole1_midi, label=label)


def standard_keys(kind: str = "diatonic", holes: int = 10) -> list[str]:
    """The 12 standard-octave keys, lowest hole-1 first (G, Ab, ... F#)."""
    return sorted(PITCH_CLASSES, key=lambda k: STANDARD_HOLE1[pitch_class(k)])


#: Low and high variants commonly sold (at least Low F, Low D, Low C, High G).
VARIANT_KEYS = ("Low F", "Low E", "Low Eb", "Low D", "Low Db", "Low C", "High G", "High A")
