"""Step ``mapping_load``: load and validate the harmonica layout(s) to tab for.

A fixed ``key`` gives one harp; ``key="auto"`` gives the harps the transpose step
searches: all 12 standard-octave keys (plus the common low/high variants with
``variants=True``) of the chosen tuning, or of every built-in tuning of the type with
``tuning="all"``. A user layout file (``layout_file``) is validated here, so a
malformed file fails at this step with an error naming the file and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import OptionError
from ..harmonica import (
    HARMONICA_TYPES,
    VARIANT_KEYS,
    Harmonica,
    load_harmonica,
    standard_keys,
    tunings,
)
from ..tracker import ProgressTracker, step_scope

STEP_ID = "mapping_load"
ALL_TUNINGS = ("all", "auto")

__all__ = ["HarpMapping", "load_mapping", "STEP_ID"]


@dataclass(frozen=True)
class HarpMapping:
    """The harps a melody may be placed on; ``auto_key`` = the key is to be searched."""

    harps: tuple[Harmonica, ...]
    auto_key: bool = False

    @property
    def harmonica(self) -> Harmonica:
        """The harp when the key is fixed (exactly one harp loaded)."""
        if len(self.harps) != 1:
            raise OptionError(
                f"{len(self.harps)} harps are loaded (key=auto); pick one from the ranked options"
            )
        return self.harps[0]

    def __len__(self) -> int:
        return len(self.harps)


def _harp_list(harmonica: str, tuning: str, key: str, holes: int | None,
               layout_file: str | Path | None, variants: bool) -> tuple[Harmonica, ...]:
    if harmonica not in HARMONICA_TYPES:
        raise OptionError(
            f"unknown harmonica {harmonica!r}; choose one of {', '.join(HARMONICA_TYPES)}"
        )
    auto = isinstance(key, str) and key.strip().lower() == "auto"
    if layout_file is not None:
        base = load_harmonica(path=layout_file, key=None if auto else key)
        if not auto:
            return (base,)
        return tuple(_keys_of(lambda k: load_harmonica(path=layout_file, key=k), variants))
    if harmonica == "chromatic":
        if tuning not in ("solo", "chromatic", *ALL_TUNINGS, "richter"):
            raise OptionError(f"unknown chromatic tuning {tuning!r}; choose solo")
        holes = holes or 12
        if holes not in (12, 16):
            raise OptionError(f"chromatic harps have 12 or 16 holes, not {holes}; choose 12 or 16")
        make = lambda k: load_harmonica("solo", k, type="chromatic", holes=holes)  # noqa: E731
        return (make(key),) if not auto else tuple(_keys_of(make, variants))
    if holes not in (None, 10):
        raise OptionError(f"diatonic harps have 10 holes, not {holes}; leave --holes out")
    known = tunings("diatonic")
    if tuning in ALL_TUNINGS:
        chosen = known
    elif tuning in known:
        chosen = [tuning]
    else:
        raise OptionError(
            f"unknown diatonic tuning {tuning!r}; choose one of {', '.join(known)} or all"
        )
    if not auto:
        return tuple(load_harmonica(t, key, type="diatonic") for t in chosen)
    out: list[Harmonica] = []
    for t in chosen:
        out += _keys_of(lambda k, t=t: load_harmonica(t, k, type="diatonic"), variants)
    return tuple(out)


def _keys_of(make, variants: bool) -> list[Harmonica]:
    keys = list(standard_keys()) + (list(VARIANT_KEYS) if variants else [])
    return [make(k) for k in keys]


def load_mapping(
    harmonica: str = "diatonic",
    *,
    tuning: str = "richter",
    key: str = "C",
    holes: int | None = None,
    layout_file: str | Path | None = None,
    variants: bool = False,
    tracker: ProgressTracker | None = None,
) -> HarpMapping:
    """Load the harp(s) for the transpose step (see the module docstring).

    Raises :class:`~harptab_nb.errors.OptionError` for an unknown harmonica, tuning,
    key or hole count (listing the choices), :class:`~harptab_nb.errors.LayoutError`
    for a malformed ``layout_file``.
    """
    with step_scope(tracker, STEP_ID, "Loading harmonica layout") as st:
        harps = _harp_list(harmonica, tuning, key, holes, layout_file, variants)
        auto = isinstance(key, str) and key.strip().lower() == "auto"
        mapping = HarpMapping(harps=harps, auto_key=auto or len(harps) > 1)
        if len(harps) == 1:
            h = harps[0]
            st.done(f"{h} (hole 1 = {_name(h.hole1_midi)}, {len(h.actions())} actions)")
        else:
            n_t = len({h.tuning for h in harps})
            st.done(f"{len(harps)} harps loaded ({n_t} tuning{'s' if n_t > 1 else ''}, all keys)")
        return mapping


def _name(midi: int) -> str:
    from ..pitch import midi_to_name

    return midi_to_name(midi)
