"""Symbol detection and classification on one staff, by geometry in staff spaces.

No templates: noteheads are found by a morphological opening of the line-free image
(after filling the small holes of hollow heads), stems by vertical runs beside the
head, beams and flags by counting thick runs next to the stem tip, and the other
symbols (rests, bar lines, accidentals, dots, clefs, time-signature digits, ties) by
the size, fill and stroke structure of their connected components.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import ndimage

from .model import Glyph, OmrWarning, StaffReading
from .staff import Staff

__all__ = ["read_staff"]


@dataclass
class _Comp:
    y0: int
    x0: int
    y1: int  # exclusive
    x1: int  # exclusive
    mask: np.ndarray  # bool crop
    used: bool = False
    joined: bool = False  # pieced together: its holes say nothing

    @property
    def w(self) -> int:
        return self.x1 - self.x0

    @property
    def h(self) -> int:
        return self.y1 - self.y0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2.0

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2.0

    @property
    def fill(self) -> float:
        return float(self.mask.mean()) if self.mask.size else 0.0

    def box(self, oy: int) -> tuple[int, int, int, int]:
        return (self.x0, self.y0 + oy, self.x1, self.y1 + oy)


def _union(parts: list[_Comp]) -> np.ndarray:
    x0 = min(p.x0 for p in parts)
    y0 = min(p.y0 for p in parts)
    x1 = max(p.x1 for p in parts)
    y1 = max(p.y1 for p in parts)
    out = np.zeros((y1 - y0, x1 - x0), dtype=bool)
    for p in parts:
        out[p.y0 - y0 : p.y1 - y0, p.x0 - x0 : p.x1 - x0] |= p.mask
    return out


def _holes(mask: np.ndarray) -> int:
    """Number of enclosed background regions in a binary crop."""
    if mask.size == 0:
        return 0
    pad = np.pad(~mask, 1, constant_values=True)
    lab, n = ndimage.label(pad)
    if n <= 1:
        return 0
    outside = lab[0, 0]
    sizes = ndimage.sum(np.ones_like(lab), lab, np.arange(1, n + 1))
    # ignore one- or two-pixel pinholes (noise, anti-aliasing)
    return int(sum(1 for i, s in enumerate(sizes, start=1) if i != outside and s > 2))


def _run_maps(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every pixel, the first and last row of its vertical ink run (any value off ink)."""
    h, w = img.shape
    rows = np.arange(h, dtype=np.int32)[:, None]
    prev = np.zeros_like(img)
    prev[1:] = img[:-1]
    nxt = np.zeros_like(img)
    nxt[:-1] = img[1:]
    start = img & ~prev
    end = img & ~nxt
    top = np.where(start, rows, 0).astype(np.int32)
    np.maximum.accumulate(top, axis=0, out=top)
    bot = np.where(end, rows, h).astype(np.int32)
    bot = np.minimum.accumulate(bot[::-1], axis=0)[::-1]
    return top, bot


def _vertical_strokes(mask: np.ndarray, min_len: float) -> list[tuple[int, int, int, int]]:
    """Groups of adjacent columns holding a vertical run >= min_len: (x0, x1, top, bot)."""
    h, w = mask.shape
    if h == 0 or w == 0:
        return []
    top, bot = _run_maps(mask)
    length = np.where(mask, bot - top + 1, 0)
    arg = length.argmax(axis=0)
    cols_idx = np.arange(w)
    best_len = length[arg, cols_idx]
    best_top = top[arg, cols_idx]
    cols = best_len >= min_len
    groups = []
    x = 0
    while x < w:
        if cols[x]:
            x0 = x
            while x < w and cols[x]:
                x += 1
            seg = slice(x0, x)
            k = x0 + int(np.argmax(best_len[seg]))
            groups.append((x0, x, int(best_top[k]), int(best_top[k] + best_len[k])))
        else:
            x += 1
    return groups


def _classify_accidental(mask: np.ndarray, sp: float) -> str | None:
    """sharp | flat | natural | None from a component crop."""
    h, w = mask.shape
    if not (1.4 * sp <= h <= 3.8 * sp and 0.35 * sp <= w <= 1.8 * sp):
        return None
    if _has_head(mask, sp):
        return None  # a flagged note (stem and flag look like a sharp's strokes)
    found = _accidental_strokes(mask, sp)
    if found is None:
        # hand-written fonts slant their strokes: thicken them sideways and retry
        k = max(3, int(round(0.15 * sp)))
        fat = ndimage.maximum_filter1d(mask.view(np.uint8), size=k, axis=1).astype(bool)
        found = _accidental_strokes(fat, sp, 1.0, 0.35 * sp + k + 1)
    return found


def _has_head(mask: np.ndarray, sp: float) -> bool:
    """A solid notehead-sized area (no accidental stroke or beam is that thick)."""
    kh = max(3, int(round(0.55 * sp)))
    kw = max(3, int(round(0.75 * sp)))
    if mask.shape[0] < kh or mask.shape[1] < kw:
        return False
    return bool(ndimage.minimum_filter(mask.view(np.uint8), size=(kh, kw)).any())


def _accidental_strokes(
    mask: np.ndarray, sp: float, min_gap: float | None = None, max_w: float | None = None
) -> str | None:
    h, w = mask.shape
    min_gap = 0.2 * sp if min_gap is None else max(1.0, min_gap)
    max_w = 0.35 * sp + 2 if max_w is None else max_w
    strokes = _vertical_strokes(mask, 1.3 * sp)
    strokes = [s for s in strokes if s[1] - s[0] <= max_w]
    if len(strokes) == 1:
        x0, x1, top, bot = strokes[0]
        # flat: stroke on the left, belly on the lower right, top of stroke high
        right_ink = mask[:, x1:].sum()
        if x0 <= 0.3 * w and right_ink > 0:
            lower = mask[h // 2 :, x1:].sum()
            if lower > 0.6 * right_ink:
                return "flat"
        return None
    if len(strokes) == 2:
        (a0, a1, at, ab), (b0, b1, bt, bb) = strokes
        if b0 - a1 < min_gap:
            return None
        if at < bt - 0.45 * sp and ab < bb - 0.45 * sp:
            return "natural"
        overlap = min(ab, bb) - max(at, bt)
        if overlap < 0.7 * min(ab - at, bb - bt):
            return None  # two strokes that do not run side by side: not a sharp
        return "sharp"
    return None


def _time_change(c: _Comp, others: list[_Comp], top: float, bottom: float, sp: float) -> bool:
    """A time signature in mid-staff: two digits stacked over the whole staff height."""
    if _time_change_digits(c, others, top, bottom, sp):
        return True
    # digits touching each other, or cut in pieces by line removal
    if not (c.y0 >= top - 0.7 * sp and c.y1 <= bottom + 0.7 * sp and 0.3 * sp <= c.w <= 2.6 * sp):
        return False
    near = [
        o
        for o in others
        if not o.used
        and o.x0 < c.x1 + 0.3 * sp
        and o.x1 > c.x0 - 0.3 * sp
        and o.y0 >= top - 0.7 * sp
        and o.y1 <= bottom + 0.7 * sp
    ]
    if c not in near:
        near.append(c)
    near.sort(key=lambda o: o.x0)
    if near[0] is not c:
        return False  # judged from the leftmost piece
    pair = _joined_time_digits(near, top, bottom, (top + bottom) / 2.0, sp)
    if pair is None:
        return False
    for o in pair[1]:
        o.used = True
    return True


def _time_change_digits(c: _Comp, others: list[_Comp], top: float, bottom: float, sp: float) -> bool:
    hs, ws = c.h / sp, c.w / sp
    if not (c.y0 >= top - 0.6 * sp and c.y1 <= bottom + 0.6 * sp and 0.6 <= ws <= 2.6):
        return False
    mid = (top + bottom) / 2.0
    if 3.3 <= hs <= 4.6:
        rows = c.mask.sum(axis=1)
        cut = int(round(mid - c.y0))
        lo, hi = max(1, cut - int(0.4 * sp)), min(c.h - 1, cut + int(0.4 * sp))
        # digits touching at the middle line: a waist there, and each digit as wide
        # as the pair somewhere (a bar fragment or a stem is not)
        if (
            hi > lo
            and rows[lo:hi].min() <= 0.7 * c.w
            and c.w >= 0.9 * sp
            and rows[:lo].max(initial=0) >= 0.7 * c.w
            and rows[hi:].max(initial=0) >= 0.7 * c.w
        ):
            for o in others:  # pieces of the digits cut off by line removal
                if o is not c and o.x0 >= c.x0 - 0.2 * sp and o.x1 <= c.x1 + 0.2 * sp and o.y0 >= c.y0 - 0.6 * sp and o.y1 <= c.y1 + 0.6 * sp:
                    o.used = True
            return True
        return False
    if 1.5 <= hs <= 2.4:
        upper = c.y1 <= mid + 0.4 * sp
        lower = c.y0 >= mid - 0.4 * sp
        if not (upper or lower):
            return False
        for o in others:
            if o is c or not (1.5 * sp <= o.h <= 2.4 * sp):
                continue
            ov = min(o.x1, c.x1) - max(o.x0, c.x0)
            if ov < 0.5 * min(o.w, c.w):
                continue
            if (upper and o.y0 >= mid - 0.4 * sp) or (lower and o.y1 <= mid + 0.4 * sp):
                o.used = True
                return True
    return False


def _rest_kind(c: _Comp, st: Staff, sp: float, by0: int) -> str | None:
    """Return whole | half | quarter | eighth | 16th | 32nd | None."""
    h, w = c.h / sp, c.w / sp
    if 0.3 <= h <= 0.8 and 0.7 <= w <= 2.3 and c.fill > 0.75:
        line2 = st.line_y(1, c.cx)
        line3 = st.line_y(2, c.cx)
        # whole rest hangs from the 4th line (2nd from top), half rest sits on the middle
        if abs(c.y0 + by0 - line2) < abs(c.y1 + by0 - line3):
            return "whole"
        return "half"
    strokes = _vertical_strokes(c.mask, 2.0 * sp)
    if c.w < 0.5 * sp or any(b - t >= 0.85 * c.h for _x0, _x1, t, b in strokes):
        return None  # a stem or a bar fragment, not a rest
    if 0.9 <= w <= 1.6 and h < 0.9:
        return None
    # flag heads: round blobs on the left
    k = max(2, int(round(0.3 * sp)))
    opened = ndimage.binary_opening(c.mask, structure=np.ones((k, k), dtype=bool))
    lab, nheads = ndimage.label(opened)
    if 1.2 <= h <= 2.3 and 0.5 <= w <= 1.3 and c.fill < 0.6:
        return "eighth"
    if 2.2 <= h <= 3.6 and 0.5 <= w <= 1.5:
        if nheads >= 2:
            sizes = ndimage.sum(opened, lab, np.arange(1, nheads + 1))
            big = int(np.sum(sizes > 0.08 * sp * sp))
            tops = ndimage.find_objects(lab)
            if big >= 2 and all(t is not None for t in tops):
                cs = [
                    ((s[0].start + s[0].stop) / 2.0, (s[1].start + s[1].stop) / 2.0)
                    for s, z in zip(tops, sizes, strict=True)
                    if z > 0.08 * sp * sp
                ]
                ys = sorted(y for y, _ in cs)
                zs = sorted(float(z) for z in sizes if z > 0.08 * sp * sp)
                # flag heads: alike, stacked on the upper left of the rest
                if (
                    zs[-1] <= 2.2 * zs[0]
                    and ys[-1] - ys[0] > 0.7 * sp
                    and max(x for _, x in cs) <= 0.65 * c.w
                    and ys[-1] <= 0.75 * c.h
                ):
                    return "16th"
        return "quarter"
    if 3.4 < h <= 4.6 and 0.6 <= w <= 1.8 and nheads >= 3:
        return "32nd"
    return None


REST_QL = {
    "whole": Fraction(4),
    "half": Fraction(2),
    "quarter": Fraction(1),
    "eighth": Fraction(1, 2),
    "16th": Fraction(1, 4),
    "32nd": Fraction(1, 8),
}


def _components(img: np.ndarray) -> list[_Comp]:
    lab, n = ndimage.label(img, structure=np.ones((3, 3), dtype=bool))
    out = []
    for i, sl in enumerate(ndimage.find_objects(lab), start=1):
        if sl is None:
            continue
        m = lab[sl] == i
        out.append(_Comp(sl[0].start, sl[1].start, sl[0].stop, sl[1].stop, m))
    return out


def _find_stem(
    maps: tuple[np.ndarray, np.ndarray, np.ndarray], hx0: int, hx1: int, cy: int, sp: float
) -> tuple[int, int, int, int]:
    """(direction, stem x, tip y, length) for a head box in band coordinates."""
    img, top, bot = maps
    h, w = img.shape
    best = (0, 0, 0, 0)
    # stem up on the right side, stem down on the left side (engraving convention)
    for direction, xa, xb in (
        (1, int(hx1 - 0.45 * sp), int(hx1 + 0.3 * sp) + 1),
        (-1, int(hx0 - 0.3 * sp), int(hx0 + 0.45 * sp) + 1),
    ):
        xa, xb = max(0, xa), min(w, xb)
        if xb <= xa:
            continue
        lo = int(cy - 0.6 * sp) if direction == 1 else int(cy - 0.25 * sp)
        hi = int(cy + 0.25 * sp) if direction == 1 else int(cy + 0.6 * sp)
        lo, hi = max(0, lo), min(h, hi)
        if hi <= lo:
            continue
        win = img[lo:hi, xa:xb]
        if not win.any():
            continue
        if direction == 1:
            t = np.where(win, top[lo:hi, xa:xb], h)
            k = np.unravel_index(int(np.argmin(t)), t.shape)
            tip = int(t[k])
            length = cy - tip
        else:
            t = np.where(win, bot[lo:hi, xa:xb], -1)
            k = np.unravel_index(int(np.argmax(t)), t.shape)
            tip = int(t[k])
            length = tip + 1 - cy
        if length > best[3]:
            best = (direction, xa + int(k[1]), tip, length)
    if best[3] < 2.0 * sp:
        return (0, 0, 0, 0)
    return best


def _stems_both_sides(
    img: np.ndarray, hx0: int, hx1: int, hy0: int, hy1: int, direction: int, sp: float
) -> bool:
    """True when vertical strokes leave both ends of the blob the same way (a beam)."""
    h, w = img.shape
    reach = int(2.0 * sp)

    def stroke(xs: range) -> bool:
        for x in xs:
            if not 0 <= x < w:
                continue
            if direction == 1:
                seg = img[max(0, hy0 - reach) : hy0 + 1, x]
            else:
                seg = img[hy1 - 1 : min(h, hy1 + reach), x]
            if seg.size and seg.all():
                return True
        return False

    k = int(round(0.25 * sp))
    return stroke(range(hx0 - 1, hx0 + k + 1)) and stroke(range(hx1 - k - 1, hx1 + 1))


def _count_beams(img: np.ndarray, stem: tuple[int, int, int, int], sp: float) -> int:
    direction, sx, tip, length = stem
    h, w = img.shape
    reach = min(2.6 * sp, length - 1.0 * sp)
    if direction == 1:
        y0, y1 = int(tip - 0.3 * sp), int(tip + reach)
    else:
        y0, y1 = int(tip - reach), int(tip + 0.3 * sp) + 1
    y0, y1 = max(0, y0), min(h, y1)
    best = 0
    for d in (0.3, 0.45):
        for sgn in (-1, 1):
            x = int(round(sx + sgn * d * sp))
            if not 0 <= x < w:
                continue
            col = img[y0:y1, x]
            if not col.any():
                continue
            pad = np.zeros(col.size + 2, dtype=np.int8)
            pad[1:-1] = col
            dd = np.diff(pad)
            lens = np.nonzero(dd == -1)[0] - np.nonzero(dd == 1)[0]
            best = max(best, int(np.sum(lens >= 0.28 * sp)))
    return min(best, 4)


def _notehead_blobs(
    band: np.ndarray, ink: np.ndarray, sp: float
) -> tuple[np.ndarray, int, np.ndarray]:
    """Label image of notehead-shaped blobs (hollow heads filled first), and the holes.

    The holes (background pixels inside heads) tell a hollow head whose hole is
    mostly covered by a ledger line through it.

    Holes are looked for in the image *with* staff lines, where the rings of hollow
    heads are still closed (line removal can open them where they touch a line).
    """
    hl, hn = ndimage.label(~ink)
    holes = np.zeros(band.shape, dtype=bool)
    if hn:
        sizes = np.bincount(hl.ravel(), minlength=hn + 1)
        small = sizes <= 0.6 * sp * sp
        small[0] = False
        # background touching the band's border is outside, not a hole
        small[np.unique(np.concatenate((hl[0], hl[-1], hl[:, 0], hl[:, -1])))] = False
        # head holes are wider than tall; gaps closed by stems and lines are not
        for j, sl in enumerate(ndimage.find_objects(hl), start=1):
            if small[j] and sl is not None:
                hh = sl[0].stop - sl[0].start
                ww = sl[1].stop - sl[1].start
                if (
                    (ww < 0.8 * hh and ww < 0.5 * sp)
                    or ww < 0.2 * sp
                    or ww > 1.25 * sp
                    or hh > 0.95 * sp
                ):
                    small[j] = False
        # a hole with a flat side lies against a staff line: it is a head's only if
        # the head sits on that line (another half-hole across it); else a flag or
        # slur closed by the line
        objs = ndimage.find_objects(hl)
        boxes = {j: objs[j - 1] for j in range(1, hn + 1) if small[j] and objs[j - 1] is not None}
        # ledger lines are thicker than staff lines in some engravers (LilyPond)
        gap = max(3, int(round(0.3 * sp)))
        for j, sl in list(boxes.items()):
            m = hl[sl] == j
            ww = m.shape[1]
            top_flat = m[0].sum() >= 0.6 * ww and m.shape[0] > 1
            bot_flat = m[-1].sum() >= 0.6 * ww and m.shape[0] > 1
            if not (top_flat or bot_flat):
                continue
            partner = False
            for o, osl in boxes.items():
                if o == j:
                    continue
                if max(m.shape[0], osl[0].stop - osl[0].start) > 0.55 * sp:
                    continue
                ov = min(sl[1].stop, osl[1].stop) - max(sl[1].start, osl[1].start)
                if ov < 0.25 * min(ww, osl[1].stop - osl[1].start):
                    continue
                if top_flat and 0 <= sl[0].start - osl[0].stop <= gap:
                    partner = True
                if bot_flat and 0 <= osl[0].start - sl[0].stop <= gap:
                    partner = True
            if not partner:
                small[j] = False
        sh = small[hl]
        holes = sh
        # a staff line crossing a hollow head splits its hole in two: bridge it
        k = max(3, int(0.35 * sp))  # rounded down: 3 px at 150 dpi, or holes merge
        sh = ndimage.minimum_filter1d(
            ndimage.maximum_filter1d(sh.view(np.uint8), k, axis=0), k, axis=0
        ).astype(bool)
        # the ring around a hole: line removal may have cut it where it runs along a line
        r = 2 * max(1, int(round(0.2 * sp))) + 1
        ring = ndimage.maximum_filter(sh.view(np.uint8), size=r).astype(bool) & ink
        band = band | sh | ring
    hr = max(3, int(round(0.62 * sp)))
    wr = max(3, int(round(0.72 * sp)))
    er = ndimage.minimum_filter(band.view(np.uint8), size=(hr, wr))
    op = ndimage.maximum_filter(er, size=(hr, wr)).astype(bool) & band
    lab, n = ndimage.label(op)
    return lab, n, holes


def read_staff(
    ink: np.ndarray,
    noline: np.ndarray,
    st: Staff,
    index: int,
    page: int,
    band: tuple[int, int],
    warnings: list[OmrWarning],
) -> StaffReading:
    """Read one staff from the line-free image within rows ``band``."""
    sp = st.space
    by0, by1 = band
    img = noline[by0:by1]
    reading = StaffReading(
        page=page,
        index=index,
        lines=[float(v) for v in st.lines],
        x0=st.x0,
        x1=st.x1,
        space=sp,
    )

    def warn(msg: str, x: float, y: float, kind: str = "uncertain") -> None:
        warnings.append(OmrWarning(msg, page=page, staff=index, x=x, y=y, kind=kind))

    top = st.top - by0
    bottom = st.bottom - by0
    comps = _components(img)
    glyphs: list[Glyph] = []
    header_end = _read_header(comps, st, sp, by0, reading, glyphs, warn)
    # accidentals first: they stand close to heads and must not merge with them
    src = img
    ink_band = ink[by0:by1]
    acc_removed = False
    by_x = sorted((c for c in comps if not c.used), key=lambda c: c.x0)
    for ci, c in enumerate(by_x):
        if c.used or not (1.4 * sp <= c.h <= 4.6 * sp and c.w <= 1.8 * sp):
            continue
        if c.cy < top - 3.5 * sp or c.cy > bottom + 3.5 * sp:
            continue  # text above or below the staff
        parts = [c]
        if (
            c.w <= 0.9 * sp
            and abs(c.y0 - top) <= 0.5 * sp
            and abs(c.y1 - 1 - bottom) <= 0.5 * sp
            and c.fill > 0.7
        ):
            glyphs.append(Glyph("bar", c.box(by0), name="thick" if c.w > 0.35 * sp else "thin"))
            acc = "bar"
        elif c.h > 3.8 * sp:
            continue
        else:
            acc = _classify_accidental(c.mask, sp)
            if acc is None and c.w <= 0.35 * sp:
                # a flat or sharp split by line removal: join the small pieces beside it
                for o in by_x[ci + 1 :]:
                    if o.x0 > c.x1 + 0.7 * sp:
                        break
                    if not o.used and o.h <= 1.6 * sp and o.w <= 1.0 * sp and o.y0 >= c.y0 - 0.3 * sp and o.y1 <= c.y1 + 0.3 * sp:
                        parts.append(o)
                if len(parts) > 1:
                    acc = _classify_accidental(_union(parts), sp)
            if acc is None:
                continue
            x0 = min(p.x0 for p in parts)
            y0 = min(p.y0 for p in parts)
            x1 = max(p.x1 for p in parts)
            y1 = max(p.y1 for p in parts)
            glyphs.append(Glyph("accidental", (x0, y0 + by0, x1, y1 + by0), name=acc))
        if not acc_removed:
            src = img.copy()
            ink_band = ink_band.copy()
            acc_removed = True
        for p in parts:
            p.used = True
            region = (slice(p.y0, p.y1), slice(p.x0, p.x1))
            src[region] &= ~p.mask
            ink_band[region] &= ~p.mask
    lab, n, holes = _notehead_blobs(src, ink_band, sp)
    maps = (img, *_run_maps(img))
    heads: list[Glyph] = []
    head_boxes = []
    for i, sl in enumerate(ndimage.find_objects(lab), start=1):
        if sl is None:
            continue
        hy0, hy1 = sl[0].start, sl[0].stop
        hx0, hx1 = sl[1].start, sl[1].stop
        hh, hw = (hy1 - hy0) / sp, (hx1 - hx0) / sp
        m = lab[sl] == i
        area = m.sum() / (sp * sp)
        if not (0.5 <= hh <= 1.45 and 0.7 <= hw <= 2.4 and area >= 0.4):
            continue
        if hx0 <= header_end or hx0 > st.x1 + sp:
            continue
        cy = (hy0 + hy1) / 2.0
        # noteheads sit within the staff or on ledger lines near it
        if cy < top - 6 * sp or cy > bottom + 6 * sp:
            continue
        ink_frac = float(img[sl][m].mean())
        # a ledger line through a small (LilyPond) hole covers most of it
        hole_frac = float(holes[sl][m].mean())
        hollow = ink_frac < 0.88 or hole_frac >= 0.04
        # the opening shaves the head: measure its real extent on the image
        pad = int(round(0.2 * sp))
        r0, r1 = hy0 + (hy1 - hy0) // 4, hy1 - (hy1 - hy0) // 4
        xs0 = max(0, hx0 - pad)
        colink = img[r0:r1, xs0 : hx1 + pad].any(axis=0)
        a = hx0 - xs0
        while a > 0 and colink[a - 1]:
            a -= 1
        b = hx1 - xs0
        while b < colink.size and colink[b]:
            b += 1
        hx0, hx1 = xs0 + a, xs0 + b
        hw = (hx1 - hx0) / sp
        if hw < 0.9:
            continue
        stem = _find_stem(maps, hx0, hx1, int(round(cy)), sp)
        if stem[0] != 0 and _stems_both_sides(img, hx0, hx1, hy0, hy1, stem[0], sp):
            continue  # a stretch of beams between two stems, not a head
        if stem[0] == 0:
            if not hollow:
                # filled head without stem: most likely not a note (clef, digit, text)
                continue
            if hw < 1.25 or not -7 <= st.step_of((hx0 + hx1) / 2, cy + by0) <= 15:
                continue
            kind, base = "whole", Fraction(4)
        elif hollow:
            kind, base = "hollow", Fraction(2)
        else:
            kind, base = "filled", Fraction(1)
        beams = _count_beams(src, stem, sp) if kind == "filled" else 0
        if kind == "filled" and 1.45 < hh:
            warn("notehead taller than usual (two heads?)", (hx0 + hx1) / 2, cy + by0)
        x_page = (hx0 + hx1) / 2.0
        g = Glyph(
            "note",
            (hx0, hy0 + by0, hx1, hy1 + by0),
            step=st.step_of(x_page, cy + by0),
            head=kind,
            stem=stem[0],
            beams=beams,
            duration=base / (2**beams),
            value={"stem_x": stem[1], "tip": stem[2] + by0, "area": area, "label": i},
        )
        heads.append(g)
        head_boxes.append((hx0, hy0, hx1, hy1))

    # a "head" whose stem ends in another head is a flag curl or a tie loop: drop it
    if heads:
        kept = []
        for g in heads:
            if g.stem != 0:
                sx = g.value["stem_x"]  # type: ignore[index]
                tip = g.value["tip"] - by0  # type: ignore[index]
                r = int(0.5 * sp)
                ya, yb = max(0, tip - r), min(lab.shape[0], tip + r + 1)
                xa, xb = max(0, sx - r), min(lab.shape[1], sx + r + 1)
                own = lab[int(g.cy - by0), int(g.cx)]
                region = lab[ya:yb, xa:xb]
                others = region[(region > 0) & (region != own)]
                if others.size and g.head == "hollow":
                    continue
            kept.append(g)
        heads = kept
    # grace notes are small: drop heads much smaller than the typical head
    if heads:
        areas = np.array([g.value["area"] for g in heads])  # type: ignore[index]
        med = float(np.median(areas))
        kept = []
        for g, a in zip(heads, areas, strict=True):
            if a < 0.62 * med and g.head == "filled":
                continue
            kept.append(g)
        heads = kept

    # components touching a notehead belong to the note (stem, beam, flag, ledger)
    accepted = np.zeros(n + 1, dtype=bool)
    for g in heads:
        accepted[g.value["label"]] = True  # type: ignore[index]
    head_mask = accepted[lab]
    note_comp: list[_Comp] = []
    others: list[_Comp] = []
    for c in comps:
        if head_mask[c.y0 : c.y1, c.x0 : c.x1][c.mask].any():
            note_comp.append(c)
        else:
            others.append(c)

    glyphs.extend(heads)
    tiny = 0.12 * sp
    dots: list[_Comp] = []
    others.sort(key=lambda c: c.x0)
    for c in others:
        if c.used or (c.w < tiny and c.h < tiny):
            continue
        hs, ws = c.h / sp, c.w / sp
        # outside the staff band proper: only ties/slurs and dots matter there
        if c.y1 < top - 4.5 * sp or c.y0 > bottom + 4.5 * sp:
            continue
        if 0.2 <= hs <= 0.75 and 0.2 <= ws <= 0.75 and c.fill > 0.55 and 0.6 < c.h / max(c.w, 1) < 1.6:
            dots.append(c)
            continue
        acc = _classify_accidental(c.mask, sp)
        if acc is not None:
            glyphs.append(Glyph("accidental", c.box(by0), name=acc))
            continue
        if _time_change(c, others, top, bottom, sp):
            glyphs.append(Glyph("time", c.box(by0), name="change"))
            continue
        if c.y0 >= top - 1.5 * sp and c.y1 <= bottom + 1.5 * sp:
            rk = _rest_kind(c, st, sp, by0)
            if rk is not None:
                glyphs.append(Glyph("rest", c.box(by0), name=rk, duration=REST_QL[rk]))
                continue
        if 0.9 <= hs <= 1.7 and 0.4 <= ws <= 1.2 and c.fill >= 0.25:
            glyphs.append(Glyph("digit", c.box(by0), value=_holes(c.mask)))
            continue
        if ws >= 0.9 and hs <= 1.6 and c.fill < 0.6:
            glyphs.append(Glyph("tie", c.box(by0)))
            continue

    # augmentation dots and repeat dots
    bars = [g for g in glyphs if g.kind == "bar"]
    notes_sorted = sorted((g for g in glyphs if g.kind in ("note", "rest")), key=lambda g: g.box[0])
    for d in dots:
        dcy = d.cy + by0
        # repeat dots sit in the two middle spaces right next to a bar line
        near_bar = any(
            min(abs(d.x1 - b.box[0]), abs(d.x0 - b.box[2])) < 0.9 * sp for b in bars
        )
        mid = st.middle
        if near_bar and abs(abs(dcy - mid) - 0.5 * sp) < 0.3 * sp:
            continue
        target = None
        for g in notes_sorted:
            gap = d.x0 - g.box[2]
            if -0.1 * sp <= gap <= 1.3 * sp + 0.9 * sp * g.dots and abs(dcy - g.cy) <= 0.85 * sp:
                target = g
        if target is not None:
            if target.kind == "rest" or target.head:
                target.dots += 1
        else:
            glyphs.append(Glyph("dot", (d.x0, d.y0 + by0, d.x1, d.y1 + by0)))

    glyphs.sort(key=lambda g: (g.box[0], g.box[1]))
    reading.glyphs = glyphs
    return reading


def _read_header(
    comps: list[_Comp],
    st: Staff,
    sp: float,
    by0: int,
    reading: StaffReading,
    glyphs: list[Glyph],
    warn,
) -> int:
    """Clef, key signature and time signature at the start of a staff.

    Returns the x (band coordinates are page columns) where the header ends; the
    components it used are marked ``used``.
    """
    top = st.top - by0
    bottom = st.bottom - by0
    mid = st.middle - by0
    cand = sorted(
        (
            c
            for c in comps
            if (c.w >= 0.3 * sp or c.h >= 0.3 * sp)
            and c.y1 > top - 3 * sp
            and c.y0 < bottom + 3 * sp
            and c.x1 > st.x0 - sp
        ),
        key=lambda c: c.x0,
    )
    end = st.x0
    clef_found = False
    key: list[str] = []
    k = 0
    # the clef: first symbol, near the start of the staff
    while k < len(cand) and cand[k].x0 < st.x0 + 4 * sp:
        c = cand[k]
        hs, ws = c.h / sp, c.w / sp
        if c.y1 < top - 0.2 * sp or c.y0 > bottom + 0.2 * sp:
            k += 1  # measure numbers, text
            continue
        if hs >= 4.5 and c.y0 < top and c.y1 > bottom and ws >= 1.2:
            reading.clef = "treble"
        elif 2.2 <= hs <= 4.3 and c.y0 <= top + 0.7 * sp and 1.2 <= ws <= 3.2:
            reading.clef = "bass"
        elif hs < 0.9 and ws < 0.9:
            k += 1
            continue
        else:
            break
        clef_found = True
        c.used = True
        glyphs.append(Glyph("clef", c.box(by0), name=reading.clef))
        end = c.x1
        k += 1
        # bass clef dots and clef fragments
        while k < len(cand) and cand[k].x0 < end + 0.8 * sp and cand[k].h < 1.2 * sp:
            cand[k].used = True
            end = max(end, cand[k].x1)
            k += 1
        break
    if not clef_found:
        warn("no clef found at the start of the staff, treble assumed", st.x0, st.middle)
    digits: list[_Comp] = []
    end_before_digits = end
    while k < len(cand):
        c = cand[k]
        if c.x0 > end + 3.5 * sp:
            break
        hs, ws = c.h / sp, c.w / sp
        acc = _classify_accidental(c.mask, sp)
        parts = [c]
        if acc is None and c.w <= 0.35 * sp and 1.4 * sp <= c.h <= 3.8 * sp:
            for o in cand[k + 1 :]:
                if o.x0 > c.x1 + 0.7 * sp:
                    break
                if o.h <= 1.6 * sp and o.w <= 1.0 * sp and o.y0 >= c.y0 - 0.3 * sp and o.y1 <= c.y1 + 0.3 * sp:
                    parts.append(o)
            if len(parts) > 1:
                acc = _classify_accidental(_union(parts), sp)
        if acc in ("sharp", "flat") and not digits and (not key or c.x0 - end <= 0.7 * sp):
            key.append(acc)
            x0 = min(p.x0 for p in parts)
            y0 = min(p.y0 for p in parts)
            x1 = max(p.x1 for p in parts)
            y1 = max(p.y1 for p in parts)
            glyphs.append(Glyph("key", (x0, y0 + by0, x1, y1 + by0), name=acc))
            for p in parts:
                p.used = True
            end = x1
            end_before_digits = end
            k += len(parts)
            continue
        in_staff = c.y0 >= top - 0.7 * sp and c.y1 <= bottom + 0.7 * sp
        # time-signature digits: upper and lower half of the staff
        if in_staff and 1.3 <= hs <= 2.7 and 0.5 <= ws <= 2.6 and (
            c.y1 <= mid + 0.5 * sp or c.y0 >= mid - 0.5 * sp or abs(c.cy - mid) >= 0.6 * sp
        ):
            digits.append(c)
            c.used = True
            end = max(end, c.x1)
            k += 1
            continue
        # common time C, cut time: one symbol across the middle line
        if (
            in_staff
            and 1.6 <= hs <= 4.2
            and 1.0 <= ws <= 2.4
            and c.y0 < mid - 0.5 * sp
            and c.y1 > mid + 0.5 * sp
            and not digits
        ):
            strokes = _vertical_strokes(c.mask, 2.2 * sp)
            # tall: a cut C (a stroke through its middle, as tall as the glyph) or two
            # digits touching at the middle line (strokes, if any, a digit's height)
            if not strokes or (
                hs > 2.8 and (all(_cut_stroke(s_, c) for s_ in strokes) or all(b - t < 0.6 * c.h for _, _, t, b in strokes))
            ):
                digits.append(c)
                c.used = True
                end = max(end, c.x1)
                k += 1
                break
        if in_staff and len(digits) <= 2 and all(d.x1 > c.x0 and d.x0 < c.x1 for d in digits):
            pair = _joined_time_digits(sorted(digits + cand[k:], key=lambda o: o.x0), top, bottom, mid, sp)
            if pair is not None:
                digits[:] = pair[0]
                for o in pair[1]:
                    o.used = True
                    end = max(end, o.x1)
        break
    if key:
        sharps = key.count("sharp")
        flats = key.count("flat")
        reading.key_fifths = sharps if sharps >= flats else -flats
    else:
        reading.key_fifths = 0
    if digits:
        mid_y = st.middle - by0
        up = any(c.cy < mid_y - 0.1 * sp for c in digits)
        low = any(c.cy > mid_y + 0.1 * sp for c in digits)
        across = any(c.y0 < mid_y - 0.5 * sp and c.y1 > mid_y + 0.5 * sp for c in digits)
        if (up and low) or across:
            _read_time(digits, st, sp, by0, reading, glyphs, warn)
        else:
            # a lone symbol is no time signature: give it back to the notes
            for c in digits:
                c.used = False
            end = end_before_digits
    return int(end)


def _cut_stroke(stroke: tuple[int, int, int, int], c: _Comp) -> bool:
    """The vertical stroke of a cut C: in the middle, about as tall as the glyph."""
    s0, s1, t, b = stroke
    return 0.25 * c.w < (s0 + s1) / 2 < 0.75 * c.w and b - t >= 0.75 * c.h


def _joined_time_digits(
    cand: list[_Comp], top: float, bottom: float, mid: float, sp: float
) -> tuple[list[_Comp], list[_Comp]] | None:
    """Time-signature digits touching each other or cut by line removal (LilyPond's
    digits reach the middle line and sit on lines): the pieces stacked at the start of
    ``cand`` filling the staff height, cut at the middle line into an upper and a lower
    digit. Returns (the two digits, the pieces used) or None."""
    if not cand:
        return None
    first = cand[0]
    group = [first]
    for o in cand[1:]:
        if o.x0 > first.x1 + 0.3 * sp:
            break
        ov = min(o.x1, first.x1) - max(o.x0, first.x0)
        if ov >= 0.5 * min(o.w, first.w) and o.y0 >= top - 0.7 * sp and o.y1 <= bottom + 0.7 * sp:
            group.append(o)
    y0 = min(o.y0 for o in group)
    y1 = max(o.y1 for o in group)
    x0 = min(o.x0 for o in group)
    x1 = max(o.x1 for o in group)
    if not (
        3.3 * sp <= y1 - y0 <= 4.8 * sp
        and y0 >= top - 0.7 * sp
        and y1 <= bottom + 0.7 * sp
        and 0.8 * sp <= x1 - x0 <= 2.6 * sp
    ):
        return None
    u = _union(group)
    cut = int(round(mid)) - y0
    halves = []
    for m, oy in ((u[:cut], y0), (u[cut:], y0 + cut)):
        rows = np.nonzero(m.any(axis=1))[0]
        cols = np.nonzero(m.any(axis=0))[0]
        if rows.size == 0:
            return None
        m = m[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        # each half a digit: wide and inked (a stem beside a head is not)
        if m.shape[1] < 0.6 * sp or m.shape[0] < 1.2 * sp or m.mean() < 0.25:
            return None
        halves.append(_Comp(oy + int(rows[0]), x0 + int(cols[0]), oy + int(rows[-1]) + 1,
                            x0 + int(cols[-1]) + 1, m, joined=True))
    return halves, group


def _read_time(digits, st, sp, by0, reading, glyphs, warn) -> None:
    mid = st.middle - by0
    uppers = [c for c in digits if c.cy < mid - 0.1 * sp]
    lowers = [c for c in digits if c.cy > mid + 0.1 * sp]
    centered = [c for c in digits if c.y0 < mid - 0.5 * sp and c.y1 > mid + 0.5 * sp]
    x0 = min(c.x0 for c in digits)
    x1 = max(c.x1 for c in digits)
    y0 = min(c.y0 for c in digits) + by0
    y1 = max(c.y1 for c in digits) + by0
    if centered and len(digits) == 1 and digits[0].h > 3.0 * sp:
        # two digits touching at the middle line: split them there
        c = digits[0]
        cut = int(round(mid - c.y0))
        rows = c.mask.sum(axis=1)
        lo_r, hi_r = max(1, cut - int(0.4 * sp)), min(c.h - 1, cut + int(0.4 * sp))
        if hi_r > lo_r:
            cut = lo_r + int(np.argmin(rows[lo_r:hi_r]))
            thin = rows[cut] <= 0.7 * c.w and 1.3 * sp <= cut <= 2.6 * sp
            strokes = _vertical_strokes(c.mask, 2.2 * sp)
            crossed = any(_cut_stroke(s_, c) for s_ in strokes)
            # a cut C is crossed by a stroke and lower than the staff; digits fill it
            if (thin and not crossed) or (c.h > 3.4 * sp and not crossed):
                up = _Comp(c.y0, c.x0, c.y0 + cut, c.x1, c.mask[:cut])
                lo = _Comp(c.y0 + cut, c.x0, c.y1, c.x1, c.mask[cut:])
                uppers, lowers, centered = [up], [lo], []
    if centered and not (uppers and lowers and len(centered) < len(digits)):
        c = centered[0]
        if c.h > 2.8 * sp:
            reading.time_symbol = "cut"
            reading.time = (2, 2)
        else:
            reading.time_symbol = "common"
            reading.time = (4, 4)
        glyphs.append(Glyph("time", (x0, y0, x1, y1), name=reading.time_symbol))
        return
    if not uppers or not lowers:
        warn("time signature not recognised", (x0 + x1) / 2, (y0 + y1) / 2)
        return
    # holes tell the digits apart in part; the bar lengths decide the rest (assembly)
    # -1: unknown (digits pieced together after line removal lost their holes)
    up_holes = tuple(-1 if c.joined else _holes(c.mask) for c in sorted(uppers, key=lambda c: c.x0))
    lo_holes = tuple(-1 if c.joined else _holes(c.mask) for c in sorted(lowers, key=lambda c: c.x0))
    reading.time = None
    glyphs.append(
        Glyph("time", (x0, y0, x1, y1), name="digits", value={"upper": up_holes, "lower": lo_holes})
    )
