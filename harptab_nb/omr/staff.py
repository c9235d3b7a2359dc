"""Binarisation, deskew, staff detection and staff-line removal.

Everything is measured in *staff spaces* (distance between two staff lines), which the
page itself tells us through its run lengths, so the recognizer does not depend on dpi.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from ..errors import InputError

__all__ = [
    "NoStaffFound",
    "Staff",
    "binarize",
    "despeckle",
    "deskew",
    "run_lengths",
    "find_staves",
    "remove_staff_lines",
]


class NoStaffFound(InputError):
    """The page holds no five-line staff the recognizer can see."""


@dataclass
class Staff:
    """A five-line staff. ``lines`` are y (top to bottom) at ``x0``; ``slope`` dy/dx."""

    lines: np.ndarray  # shape (5,), float
    x0: int
    x1: int
    space: float
    thickness: float
    offsets: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))  # per x

    @property
    def top(self) -> float:
        return float(self.lines[0])

    @property
    def bottom(self) -> float:
        return float(self.lines[4])

    @property
    def middle(self) -> float:
        return float(self.lines[2])

    def dy(self, x: float) -> float:
        """Vertical offset of the staff at column ``x`` (bent or slightly tilted lines)."""
        if self.offsets.size == 0:
            return 0.0
        xi = int(min(max(x - self.x0, 0), self.offsets.size - 1))
        return float(self.offsets[xi])

    def line_y(self, i: int, x: float) -> float:
        return float(self.lines[i]) + self.dy(x)

    def step_of(self, x: float, y: float) -> int:
        """Staff position of ``y``: 0 = bottom line, 1 = first space, 8 = top line."""
        return int(round((self.bottom + self.dy(x) - y) / (self.space / 2.0)))


def binarize(gray: np.ndarray) -> np.ndarray:
    """Ink mask (True = black) with Otsu's threshold, clamped to sensible values."""
    sample = gray[::2, ::2] if gray.size > 1_000_000 else gray
    hist = np.bincount(sample.ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    if total == 0:
        return np.zeros_like(gray, dtype=bool)
    levels = np.arange(256, dtype=np.float64)
    w0 = np.cumsum(hist)
    w1 = total - w0
    m0 = np.cumsum(hist * levels)
    mt = m0[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mt * w0 / total - m0) ** 2 / (w0 * w1)
    between = np.nan_to_num(between)
    thr = int(np.argmax(between))
    thr = min(max(thr, 60), 200)
    return gray <= thr


def despeckle(ink: np.ndarray) -> np.ndarray:
    """Drop isolated black pixels and fill isolated white ones (scanner noise)."""
    u = ink.view(np.uint8)
    box = ndimage.correlate1d(
        ndimage.correlate1d(u, [1, 1, 1], axis=0, mode="constant"),
        [1, 1, 1],
        axis=1,
        mode="constant",
    )
    out = ink & (box > 1)
    out |= ~ink & (box >= 8)
    return out


def run_lengths(ink: np.ndarray, step: int = 4) -> tuple[float, float]:
    """(most common black run, most common black+white period) down sampled columns."""
    cols = ink[:, ::step]
    if cols.size == 0:
        return 0.0, 0.0
    padded = np.zeros((cols.shape[0] + 2, cols.shape[1]), dtype=np.int8)
    padded[1:-1] = cols
    diff = np.diff(padded, axis=0)
    starts_r, starts_c = np.nonzero(diff == 1)
    ends_r, ends_c = np.nonzero(diff == -1)
    # order by column then row so starts and ends pair up
    so = np.lexsort((starts_r, starts_c))
    eo = np.lexsort((ends_r, ends_c))
    starts_r, starts_c = starts_r[so], starts_c[so]
    ends_r = ends_r[eo]
    black = ends_r - starts_r
    if black.size < 10:
        return 0.0, 0.0
    same_col = starts_c[1:] == starts_c[:-1]
    white = (starts_r[1:] - ends_r[:-1])[same_col]
    black_hist = np.bincount(black[black < 64])
    t = int(np.argmax(black_hist)) if black_hist.size else 0
    # period = black + following white, counted on runs of the most common thicknesses
    nb = black[:-1][same_col]
    ok = (np.abs(nb - t) <= max(1, t // 2)) & (white < 200)
    period = nb[ok] + white[ok]
    if period.size == 0:
        return float(t), 0.0
    ph = np.bincount(period)
    # smooth a little: staff spaces vary by a pixel
    ph = np.convolve(ph, [1, 2, 1], mode="same")
    p = int(np.argmax(ph))
    # refine thickness as the mean black run of similar runs
    tsel = black[(black >= max(1, t - 1)) & (black <= t + 1)]
    tmean = float(tsel.mean()) if tsel.size else float(t)
    return tmean, float(p)


def _skew_score(ys: np.ndarray, xs: np.ndarray, angle_deg: float, h: int) -> float:
    shift = np.round(xs * np.tan(np.radians(angle_deg))).astype(np.int64)
    rows = ys - shift
    rows = rows - rows.min()
    counts = np.bincount(rows)
    return float(np.dot(counts.astype(np.float64), counts))


def deskew(ink: np.ndarray, max_angle: float = 4.0) -> tuple[np.ndarray, float]:
    """Straighten a slightly rotated page by a vertical shear; returns (ink, angle°)."""
    h, w = ink.shape
    f = 2 if max(h, w) > 1500 else 1
    small = ink[::f, ::f]
    ys, xs = np.nonzero(small)
    if ys.size < 100:
        return ink, 0.0
    if ys.size > 400_000:
        sel = np.random.default_rng(0).choice(ys.size, 400_000, replace=False)
        ys, xs = ys[sel], xs[sel]
    best, best_a = -1.0, 0.0
    for a in np.arange(-max_angle, max_angle + 1e-9, 0.25):
        s = _skew_score(ys, xs, a, h)
        if s > best:
            best, best_a = s, float(a)
    center = best_a
    for a in np.arange(center - 0.25, center + 0.25 + 1e-9, 0.025):
        s = _skew_score(ys, xs, a, h)
        if s > best:
            best, best_a = s, float(a)
    if abs(best_a) < 0.03:
        return ink, 0.0
    # shear columns: new[y, x] = old[y + x*tan(a) - c, x]
    shift = np.round(np.arange(w) * np.tan(np.radians(best_a))).astype(np.int64)
    shift -= int(np.round(shift.mean()))
    out = np.zeros_like(ink)
    for s in np.unique(shift):
        cols = np.nonzero(shift == s)[0]
        c0, c1 = cols[0], cols[-1] + 1
        if s >= 0:
            out[: h - s if s else h, c0:c1] = ink[s:, c0:c1]
        else:
            out[-s:, c0:c1] = ink[: h + s, c0:c1]
    if abs(best_a) >= 0.3:
        out = _straighten_verticals(out, best_a)
    return out, best_a


def _hshear(ink: np.ndarray, t: float) -> np.ndarray:
    """new[y, x] = old[y, x + (y - h/2) * t] (whole pixels)."""
    h, w = ink.shape
    shift = np.round((np.arange(h) - h / 2.0) * t).astype(np.int64)
    out = np.zeros_like(ink)
    for s in np.unique(shift):
        rows = np.nonzero(shift == s)[0]
        r0, r1 = rows[0], rows[-1] + 1
        if s >= 0:
            out[r0:r1, : w - s if s else w] = ink[r0:r1, s:]
        else:
            out[r0:r1, -s:] = ink[r0:r1, : w + s]
    return out


def _straighten_verticals(ink: np.ndarray, angle: float) -> np.ndarray:
    """Finish the rotation: shear rows so stems and bar lines stand upright again."""
    t = np.tan(np.radians(angle))
    small = ink[::2, ::2]

    def energy(img: np.ndarray) -> float:
        c = img.sum(axis=0).astype(np.float64)
        return float(np.dot(c, c))

    best, best_t = energy(small), 0.0
    for cand in (t, -t):
        e = energy(_hshear(small, cand))
        if e > best:
            best, best_t = e, cand
    return _hshear(ink, best_t) if best_t else ink


def _long_horizontal(ink: np.ndarray, length: int) -> np.ndarray:
    """Pixels that belong to horizontal runs of at least ``length`` (approx. opening)."""
    er = ndimage.minimum_filter1d(ink.view(np.uint8), size=length, axis=1)
    return ndimage.maximum_filter1d(er, size=length, axis=1).astype(bool)


def find_staves(ink: np.ndarray) -> tuple[list[Staff], float, float]:
    """Find every five-line staff; returns (staves top to bottom, space, line thickness)."""
    h, w = ink.shape
    thick, period = run_lengths(ink)
    if period < 5 or thick <= 0:
        raise NoStaffFound("no staff lines found on the page (is it a score?)")
    space = period
    seg = max(8, int(round(space * 2)))
    # lines left slightly stepped by a rotation: tolerate one row up or down
    grown = ndimage.maximum_filter1d(ink.view(np.uint8), size=3, axis=0).astype(bool)
    longh = _long_horizontal(grown, seg) & ink
    proj = longh.sum(axis=1).astype(np.float64)
    if proj.max() < space * 6:
        raise NoStaffFound("no staff lines found on the page (is it a score?)")
    thr = max(space * 4, 0.15 * np.percentile(proj[proj > 0], 99) if np.any(proj > 0) else 0)
    cand = proj >= thr
    # a beam or a slur lying along a line widens its row group: keep the strong rows
    lab, n = ndimage.label(cand)
    if n:
        gmax = ndimage.maximum(proj, lab, np.arange(1, n + 1))
        strong = np.zeros(n + 1)
        strong[1:] = 0.6 * np.asarray(gmax)
        cand = cand & (proj >= strong[lab])
    # group consecutive rows into line candidates
    lab, n = ndimage.label(cand)
    if n == 0:
        raise NoStaffFound("no staff lines found on the page (is it a score?)")
    idx = np.arange(1, n + 1)
    rows = np.arange(h, dtype=np.float64)
    weight = ndimage.sum(proj, lab, idx)
    centers = ndimage.sum(proj * rows, lab, idx) / np.maximum(weight, 1)
    heights = ndimage.sum(np.ones(h), lab, idx)
    strength = ndimage.maximum(proj, lab, idx)
    lines = [
        (float(c), float(s))
        for c, hh, s in zip(centers, heights, strength, strict=True)
        if hh <= max(3 * thick, thick + 4)
    ]
    # chain lines into groups of five with regular spacing
    staves: list[Staff] = []
    used = set()
    i = 0
    tol = max(2.0, 0.2 * space)
    while i < len(lines):
        if i in used:
            i += 1
            continue
        chain = [i]
        j = i + 1
        while j < len(lines) and len(chain) < 9:
            d = lines[j][0] - lines[chain[-1]][0]
            if abs(d - space) <= tol:
                chain.append(j)
            elif d > space + tol:
                break
            j += 1
        if len(chain) > 5:
            # text or a beam line up with the staff: keep the five strongest in a row
            best_k = max(
                range(len(chain) - 4),
                key=lambda k: min(lines[c][1] for c in chain[k : k + 5]),
            )
            chain = chain[best_k : best_k + 5]
        if len(chain) == 5:
            ys = np.array([lines[k][0] for k in chain])
            sp = float(np.mean(np.diff(ys)))
            band = longh[int(ys[0]) - 1 : int(ys[4]) + 2]
            colcount = band.sum(axis=0)
            xs = np.nonzero(colcount >= 3)[0]
            if xs.size and xs[-1] - xs[0] > 8 * sp:
                x0, x1 = int(xs[0]), int(xs[-1])
                staves.append(Staff(ys, x0, x1, sp, thick))
                used.update(chain)
                i = chain[-1] + 1
                continue
        i += 1
    if not staves:
        raise NoStaffFound("no five-line staff found on the page (is it a score?)")
    for st in staves:
        _track_lines(ink, st)
    space = float(np.median([s.space for s in staves]))
    return staves, space, thick


def _track_lines(ink: np.ndarray, st: Staff) -> None:
    """Measure how the staff bends along x, in chunks, into ``st.offsets``."""
    h = ink.shape[0]
    width = st.x1 - st.x0 + 1
    chunk = max(16, int(st.space * 6))
    r = int(max(2, round(st.space * 0.35)))
    centers, offs = [], []
    for c0 in range(st.x0, st.x1 + 1, chunk):
        c1 = min(st.x1 + 1, c0 + chunk)
        y0 = int(st.lines[0]) - r
        y1 = int(st.lines[4]) + r + 1
        if y0 < 0 or y1 > h:
            continue
        prof = ink[y0:y1, c0:c1].sum(axis=1).astype(np.float64)
        best, best_d = -1.0, 0
        for d in range(-r, r + 1):
            s = 0.0
            for ly in st.lines:
                yy = int(round(ly)) + d - y0
                if 0 <= yy < prof.size:
                    s += prof[yy]
            if s > best:
                best, best_d = s, d
        if best > 0.5 * 5 * (c1 - c0):
            centers.append((c0 + c1) / 2.0)
            offs.append(best_d)
    if len(centers) >= 2:
        off = np.interp(np.arange(st.x0, st.x0 + width), centers, offs)
        st.offsets = ndimage.uniform_filter1d(off, size=max(3, chunk // 2))
    else:
        st.offsets = np.zeros(width)


def remove_staff_lines(ink: np.ndarray, staves: list[Staff]) -> np.ndarray:
    """Erase staff-line pixels where nothing crosses them (runs no taller than a line)."""
    out = ink.copy()
    h, _w = ink.shape
    for st in staves:
        tmax = int(np.ceil(st.thickness * 1.6 + 1))
        m = tmax + 1
        xs = np.arange(st.x0, st.x1 + 1)
        for ly in st.lines:
            yc = np.round(ly + st.offsets[: xs.size] if st.offsets.size else ly).astype(np.int64)
            rows = yc[None, :] + np.arange(-m, m + 1)[:, None]
            valid = (rows >= 0) & (rows < h)
            rows_c = np.clip(rows, 0, h - 1)
            win = ink[rows_c, xs[None, :]] & valid  # (2m+1, n)
            # snap center to nearest ink within ±1 row
            c = m
            center = win[c].copy()
            alt_up = ~center & win[c - 1]
            alt_dn = ~center & ~alt_up & win[c + 1]
            cidx = np.full(xs.size, c)
            cidx[alt_up] = c - 1
            cidx[alt_dn] = c + 1
            has = center | alt_up | alt_dn
            # extent up and down from cidx
            n = win.shape[0]
            ar = np.arange(n)[:, None]
            # first white above cidx
            white = ~win
            above = np.where((ar < cidx[None, :]) & white, ar, -1).max(axis=0)
            below = np.where((ar > cidx[None, :]) & white, ar, n).min(axis=0)
            top = above + 1
            bot = below - 1
            length = bot - top + 1
            erase = has & (above >= 0) & (below < n) & (length <= tmax)
            mask = erase[None, :] & (ar >= top[None, :]) & (ar <= bot[None, :])
            rr, kk = np.nonzero(mask)
            out[rows[rr, kk], xs[kk]] = False
    return out
