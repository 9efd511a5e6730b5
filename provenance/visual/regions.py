"""Find where the footage sits inside a repost's frame: letterbox and pillarbox bars, blurred fill, static UI.

Reposts wrap footage in things global hashes cannot see through: black bars (4:3 in 16:9), a vertical 9:16
frame padded with a blurred copy of itself, a screen recording's browser chrome and sidebar. The content box
found here is hashed as an extra variant of each frame (and is where local features are looked for), so the
footage inside matches its original.

Three cheap cues, combined: uniform rows and columns at the edges of each frame (bars), and over the whole
clip, edge rows and columns with far less gradient energy than the middle (blurred fill) and the region that
changes at all (static interface around a playing video).

Reposts draw captions and logos across the fill or the bars ("BREAKING", a channel's watermark). Trimming
fill from the edges inwards stopped at the first caption row and kept the fill between it and the footage;
so bars and fill are not trimmed from the edges but the footage is taken as the longest stretch of detailed
lines, stretches closer than ``JOIN_GAP`` of the frame joined (a dark band inside the footage does not split
it), and a caption or logo apart from the footage is left out.
"""

from __future__ import annotations

import numpy as np

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels of the frame (exclusive end)

BAR_STD = 3.0  # grey-level standard deviation under which a row or column is a uniform bar
FILL_ENERGY = 0.25  # edge lines with less than this share of the detailed lines' energy are blurred fill
DYNAMIC_STD = 6.0  # grey levels of temporal standard deviation that mark a pixel as changing
DYNAMIC_SHARE = 0.3  # a row or column is dynamic when this share of its pixels changes
STATIC_SHARE = 0.05  # a line where under this share of pixels changes over a moving clip is drawn-on, not footage
DRAWN_HELD = 0.93
DRAWN_PAD = 3
DRAWN_ENERGY = 1.0
EDGE_SLACK_PX = 6
EDGE_SHARE = 0.5
CENTRE_SLACK_PX = 2
SEAM_REACH = 0.2
SEAM_STEP = 5.0
MIN_SIDE = 0.3  # a content box narrower or lower than this share of the frame is not trusted
_MIN_PIXELS = 32  # pictures smaller than this on a side are taken whole
# a clip's box may be lower: 16:9 footage across a 9:16 frame is 31.6% of its height, and a banner over its edge
# (the matching benchmark's caption_blur_fill: 148 of 512 rows left, 29%) took it under MIN_SIDE, so the fill
# box found was dropped and the clip matched by keypoints alone, seconds off
CLIP_MIN_SIDE = 0.25
MAX_SIDE = 0.94  # a box wider and taller than this share is the whole frame: nothing to remove
# detailed stretches closer than this share of the frame's side are one stretch: a flat band inside the footage
# (night sky, a dark shot) is far thinner than the fill above or below 16:9 footage in 9:16 (34% of the height
# each side), and a caption drawn on the fill sits apart from the footage by more than this in the layouts tried
JOIN_GAP = 0.03
# only lines this flat (share of the detailed lines' 90th-percentile energy) part a caption from the footage: a
# 9:16 blur fill (sigma 12) with a caption across it measured 0.12-0.13 (the caption lifts the percentile), flat
# stretches inside real photographs 0.21 and up (skimage's astronaut, whose box must stay whole)
GAP_ENERGY = 0.15


def _grey(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def _greys(frames: list[np.ndarray], greys: list[np.ndarray] | None = None) -> list[np.ndarray]:
    """``greys`` when given, else each frame's ``_grey``. The half and quarter resolutions the looks below take
    are this grey's every 2nd or 4th pixel: the same values as the grey of the decimated RGB (per pixel the same
    three products), computed once instead of four times a frame, and faster than a grey of a strided view."""
    return greys if greys is not None else [_grey(f) for f in frames]


def _trim(profile: np.ndarray, is_border: np.ndarray) -> tuple[int, int]:
    """First and last index (exclusive) after dropping border lines from both ends."""
    n = len(profile)
    lo, hi = 0, n
    while lo < hi and is_border[lo]:
        lo += 1
    while hi > lo and is_border[hi - 1]:
        hi -= 1
    return lo, hi


def _main_run(is_border: np.ndarray, is_gap: np.ndarray | None = None) -> tuple[int, int]:
    """First and last index (exclusive) of the main stretch of lines: the longest one between ``is_gap`` lines
    (default: the border lines), stretches closer than ``JOIN_GAP`` of the lines joined, then trimmed of border
    lines at both ends; (0, 0) when every line is a gap.
    """
    gap = is_border if is_gap is None else is_gap
    n = len(gap)
    idx = np.flatnonzero(~gap)
    if not len(idx):
        return 0, 0
    join = max(1, round(JOIN_GAP * n))
    breaks = np.flatnonzero(np.diff(idx) > join)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(idx) - 1]])
    # each stretch as trimmed of border lines: the longest *detailed* stretch wins (with gaps other than the border
    # lines, a stretch of fill between two drawn-on captions is longer than a short clip's footage untrimmed)
    spans = [(lo + t[0], lo + t[1]) for lo, hi in zip(idx[starts].tolist(), (idx[ends] + 1).tolist(), strict=True)
             for t in [_trim(is_border[lo:hi], is_border[lo:hi])]]
    return max(spans, key=lambda s: (s[1] - s[0], -s[0]))


def bars_box(rgb: np.ndarray, grey: np.ndarray | None = None) -> Box:
    """The part of one frame inside uniform bars (the whole frame when there are none); a caption or logo on a
    bar is left out with the bar. ``grey``: the frame's ``_grey``, when the caller has it."""
    g = _grey(rgb) if grey is None else grey
    h, w = g.shape
    col_std, row_std = g.std(axis=0), g.std(axis=1)
    x0, x1 = _main_run(col_std < BAR_STD)
    y0, y1 = _main_run(row_std < BAR_STD)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return 0, 0, w, h
    return x0, y0, x1, y1


def _energy_profiles(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    g = grey[::2, ::2]  # half resolution: a blurred fill is smooth at any scale
    energy = np.abs(np.diff(g, axis=1))[:-1, :] + np.abs(np.diff(g, axis=0))[:, :-1]
    return energy.mean(axis=0), energy.mean(axis=1)


def fill_box(frames: list[np.ndarray], greys: list[np.ndarray] | None = None) -> Box | None:
    """Inside a blurred fill: the main stretch of rows and columns with far more detail than the fill, over the
    whole clip (captions and logos drawn on the fill apart from it).

    One frame's profile is noisy (a dark or soft shot looks like fill); the clip's average is not, and a
    blurred 9:16 frame keeps its layout for the whole clip. ``greys``: the frames' ``_grey``, when the caller has
    them (``content_boxes``).
    """
    if not frames or len({f.shape for f in frames}) != 1 or min(frames[0].shape[:2]) < _MIN_PIXELS:
        return None
    greys = _greys(frames, greys)
    profiles = [_energy_profiles(g) for g in greys]
    cols = np.mean([p[0] for p in profiles], axis=0)
    rows = np.mean([p[1] for p in profiles], axis=0)
    static_c, static_r = _static_lines(greys, len(cols), len(rows))
    drawn_c, drawn_r = _drawn_lines(greys, cols, rows, static_c, static_r)
    still_c, still_r = static_c, static_r  # lines whose pixels do not move at all (a page, a band)
    static_c, static_r = static_c | drawn_c, static_r | drawn_r
    # the detailed lines' level: a 9:16 frame's footage can be under a third of its height, below any median;
    # taken over the lines that change, so a caption's sharp text does not set it
    ref_c = np.percentile(cols[~static_c] if (~static_c).any() else cols, 90)
    ref_r = np.percentile(rows[~static_r] if (~static_r).any() else rows, 90)
    x0, x1 = _fill_run(cols, ref_c, static_c)
    y0, y1 = _fill_run(rows, ref_r, static_r)
    h, w = frames[0].shape[:2]
    if x1 - x0 < 4 or y1 - y0 < 4:
        return 2 * x0, 2 * y0, min(w, 2 * (x1 + 1)), min(h, 2 * (y1 + 1))
    grey = np.stack(greys)
    # each side's lines at full resolution, by the detail *along* the line (a row's across its columns), so the
    # step from fill to footage, itself an edge, does not count
    along_r = np.abs(np.diff(grey[:, :, 2 * x0:2 * x1], axis=2)).mean(axis=(0, 2))
    along_c = np.abs(np.diff(grey[:, 2 * y0:2 * y1, :], axis=1)).mean(axis=(0, 1))
    across_r = np.abs(np.diff(grey[:, :, 2 * x0:2 * x1], axis=1)).mean(axis=(0, 2))
    across_c = np.abs(np.diff(grey[:, 2 * y0:2 * y1, :], axis=2)).mean(axis=(0, 1))
    mean = grey.mean(axis=0)
    # ends beside a uniform bar, or beside lines that do not move (an app's page, a band), stay where they are:
    # only a moving fill hides where the footage starts
    bar_c = (mean.std(axis=0) < BAR_STD) | _full_lines(still_c, w)
    bar_r = (mean.std(axis=1) < BAR_STD) | _full_lines(still_r, h)
    bx0, bx1 = _edges(along_c, *_seam(along_c, across_c, 2 * x0, min(w, 2 * (x1 + 1)), bar_c), bar_c)
    by0, by1 = _edges(along_r, *_seam(along_r, across_r, 2 * y0, min(h, 2 * (y1 + 1)), bar_r), bar_r)
    # a band drawn across one edge of the footage (a banner over its bottom) hides where it ends: the footage of a
    # fill repost is centred, so the hidden edge mirrors the other one when only bands and fill lie between
    hidden_c = np.repeat(static_c | (cols < FILL_ENERGY * ref_c), 2)
    hidden_r = np.repeat(static_r | (rows < FILL_ENERGY * ref_r), 2)
    bx0, bx1 = _centred(bx0, bx1, w, hidden_c, static_c)
    by0, by1 = _centred(by0, by1, h, hidden_r, static_r)
    return bx0, by0, bx1, by1


def _full_lines(half: np.ndarray, n: int) -> np.ndarray:
    """A per-line flag at half resolution as ``n`` full-resolution lines (the last odd line unflagged)."""
    full = np.zeros(n, bool)
    doubled = np.repeat(half, 2)[:n]
    full[:len(doubled)] = doubled
    return full


def _seam(along: np.ndarray, across: np.ndarray, lo: int, hi: int, bar: np.ndarray) -> tuple[int, int]:
    """``lo, hi`` (full-resolution lines) moved in to the seam between fill and footage where the run found at
    half resolution took in a stretch of fill: the strongest step across lines (``across[y]``: from line y to
    y + 1) within SEAM_REACH of the run's length from its end, SEAM_STEP times the run's median step or more, with
    only fill-like lines (under EDGE_SHARE of the footage's median detail along them) between it and the end.
    A 4-s pan over skimage's camera in a 9:16 fill with a caption above: its run began 21 px of fill early (the
    fill beside the caption measured 0.25-0.30 of the footage's energy, over FILL_ENERGY) and its seam stepped
    20.8x the median; over the matching benchmark's dev fill and caption clips the seams measured 5.9-35x, the
    lines between seam and run end at most 0.39 of the footage's median detail. An end beside a uniform bar or
    a line that does not move at all (``bar``, per line: a phone app's page) stays, as in ``_edges``: only a
    moving fill hides the footage's edge, and a pan over wood in the app lost its bottom 4 px at the grain."""
    n = hi - lo
    reach = int(SEAM_REACH * n)
    if reach < 2:
        return lo, hi
    level = float(np.median(along[lo:hi]))
    step = SEAM_STEP * float(np.median(across[lo:hi - 1]))
    n_lines = len(along)
    s = lo + int(np.argmax(across[lo:lo + reach]))
    if not (lo > 0 and bar[lo - 1]) and across[s] >= step and along[lo:s + 1].max() < EDGE_SHARE * level:
        lo = s + 1
    s = hi - reach - 1 + int(np.argmax(across[hi - reach - 1:hi - 1]))
    if not (hi < n_lines and bar[hi]) and across[s] >= step and along[s + 1:hi].max() < EDGE_SHARE * level:
        hi = s + 1
    return lo, hi


def _edges(along: np.ndarray, lo: int, hi: int, bar: np.ndarray) -> tuple[int, int]:
    """The footage's first and last line (exclusive) at full resolution, near ``lo`` and ``hi`` (found at half
    resolution, up to EDGE_SLACK_PX off): the outermost lines with EDGE_SHARE of the inside lines' median detail.
    An edge beside a uniform bar (``bar``, per line) stays: the bar already ends exactly there, and footage flat
    along its own edge (skimage's astronaut's dark right side) would be cut.
    Measured on the matching benchmark's 9:16 fill (footage rows 175.2-336.8 at hashing size): the half-resolution
    box started at 172, and the clip's box then lay 38-50 bits from the reference frame against 28-44 at 175.
    """
    n = len(along)
    inside = along[lo + EDGE_SLACK_PX:hi - EDGE_SLACK_PX]
    if len(inside) < 2 * EDGE_SLACK_PX:
        return lo, min(hi, n)
    strong = along >= EDGE_SHARE * float(np.median(inside))
    near_lo = [y for y in range(max(0, lo - EDGE_SLACK_PX), min(n, lo + EDGE_SLACK_PX + 1)) if strong[y]]
    near_hi = [y for y in range(max(0, hi - EDGE_SLACK_PX - 1), min(n, hi + EDGE_SLACK_PX)) if strong[y]]
    new_lo = lo if (lo > 0 and bar[lo - 1]) or not near_lo else near_lo[0]
    new_hi = min(hi, n) if (hi < n and bar[hi]) or not near_hi else near_hi[-1] + 1
    return new_lo, new_hi


def _centred(lo: int, hi: int, n: int, hidden: np.ndarray, band: np.ndarray) -> tuple[int, int]:
    """``lo, hi`` with a side cut short by a drawn band moved out to mirror the other side (the footage centred in
    ``n`` lines), when the lines in between are all bands or fill (``hidden``, per full-resolution line) and a
    band (``band``, per half-resolution line) touches the short side; unchanged otherwise."""
    far_hi, far_lo = n - lo, n - hi
    if far_hi - hi > CENTRE_SLACK_PX and hi // 2 < len(band) and band[hi // 2:hi // 2 + 3].any() \
            and hidden[hi:min(far_hi, len(hidden))].all():
        return lo, far_hi
    if far_lo < lo - CENTRE_SLACK_PX and lo // 2 > 0 and band[max(0, lo // 2 - 3):lo // 2].any() \
            and hidden[far_lo:lo].all():
        return far_lo, hi
    return lo, hi


def _fill_run(energy: np.ndarray, ref: float, static: np.ndarray) -> tuple[int, int]:
    """The footage's lines among fill: the main run between flat lines, and between static ones only where
    there is fill to leave out beside them (static lines of a tripod shot with no fill are footage)."""
    if ref <= 1.0:
        return 0, len(energy)
    border, flat = energy < FILL_ENERGY * ref, energy < GAP_ENERGY * ref
    lo, hi = _main_run(border, flat | static)
    if not flat[:lo].any() and not flat[hi:].any():
        lo, hi = _main_run(border, flat)
    return lo, hi


def _static_lines(greys: list[np.ndarray], n_cols: int, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns and rows (at the energy profiles' half resolution) where almost nothing changes over the clip
    while the footage elsewhere does: a caption or logo drawn on the fill. None are static in a still, a short
    sample or a clip that barely moves (then there is nothing to tell them by).
    """
    none = np.zeros(n_cols, bool), np.zeros(n_rows, bool)
    if len(greys) < 3:
        return none
    std = np.stack([g[::2, ::2] for g in greys]).std(axis=0)[: n_rows, : n_cols]
    moving = (std > DYNAMIC_STD).mean(axis=1), (std > DYNAMIC_STD).mean(axis=0)
    if max(moving[0].max(), moving[1].max()) < DYNAMIC_SHARE:
        return none
    return moving[1] < STATIC_SHARE, moving[0] < STATIC_SHARE


def _drawn_lines(greys: list[np.ndarray], cols: np.ndarray, rows: np.ndarray, static_c: np.ndarray,
                 static_r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Detailed columns and rows (at the energy profiles' half resolution) whose detail does not move while the
    footage does: a caption drawn across a moving blurred fill. Its pixels are not static (the fill behind and
    between the letters changes, so ``_static_lines`` misses it), but its edges are: the clip's average frame
    keeps DRAWN_HELD of their energy, where moving footage's edges blur out. Widened by DRAWN_PAD lines for
    the letters' anti-aliased tops and bottoms. None in a still, a short sample or a clip that barely moves.
    """
    none = np.zeros(len(cols), bool), np.zeros(len(rows), bool)
    if len(greys) < 3:
        return none
    grey = np.stack([g[::2, ::2] for g in greys])
    std = grey.std(axis=0)
    moving = std > DYNAMIC_STD
    if max(moving.mean(axis=1).max(), moving.mean(axis=0).max()) < DYNAMIC_SHARE:
        return none
    mean = grey.mean(axis=0)
    # the detail *along* each line (a row's across its columns): the fixed step from fill to footage is an edge
    # across the boundary row that stays put too, and must not count as drawn-on (it cut 6 px off the footage)
    along_r = np.abs(np.diff(grey, axis=2)).mean(axis=(0, 2))[: len(rows)]
    along_c = np.abs(np.diff(grey, axis=1)).mean(axis=(0, 1))[: len(cols)]
    held_r = np.abs(np.diff(mean, axis=1)).mean(axis=1)[: len(rows)]
    held_c = np.abs(np.diff(mean, axis=0)).mean(axis=0)[: len(cols)]
    out = []
    for energy, held_line, static in ((along_c, held_c, static_c), (along_r, held_r, static_r)):
        ref = np.percentile(energy[~static] if (~static).any() else energy, 90)
        drawn = (energy >= DRAWN_ENERGY * ref) & (held_line >= DRAWN_HELD * energy)
        out.append(np.convolve(drawn, np.ones(2 * DRAWN_PAD + 1), mode="same") > 0)
    return out[0], out[1]


def dynamic_box(frames: list[np.ndarray], greys: list[np.ndarray] | None = None) -> Box | None:
    """The region that changes over the clip, or None when too little of it changes to tell."""
    if len(frames) < 3 or len({f.shape for f in frames}) != 1:
        return None
    step = 4  # a quarter-resolution grey stack keeps memory small on long clips
    std = np.stack([g[::step, ::step] for g in _greys(frames, greys)]).std(axis=0)
    dyn = std > DYNAMIC_STD
    if dyn.mean() < 0.05:  # a still or nearly static clip: no evidence either way
        return None
    x0, x1 = _trim(dyn.mean(axis=0), dyn.mean(axis=0) < DYNAMIC_SHARE)
    y0, y1 = _trim(dyn.mean(axis=1), dyn.mean(axis=1) < DYNAMIC_SHARE)
    h, w = frames[0].shape[:2]
    return (x0 * step, y0 * step, min(w, x1 * step), min(h, y1 * step)) if x1 > x0 and y1 > y0 else None


def content_boxes(frames: list[np.ndarray]) -> list[Box | None]:
    """Per frame, the content box worth hashing on its own, or None where it is (nearly) the whole frame."""
    if not frames or min(min(f.shape[:2]) for f in frames) < _MIN_PIXELS:
        return [None] * len(frames)  # a thumbnail-sized picture has no layout worth finding
    greys = _greys(frames)  # once: every look below reads the same grey frames (0.1 s of 60 at 512x288, issue 12)
    held = layout_box(frames[len(frames) // 2]) if _motionless(frames, greys) else None
    # a held picture inside an app or a page: its layout, from one frame (fill_box makes a sliver of such a clip)
    clip_boxes = [held] if held is not None else [
        b for b in (dynamic_box(frames, greys), fill_box(frames, greys)) if b is not None]
    out: list[Box | None] = []
    for rgb, grey in zip(frames, greys, strict=True):
        h, w = rgb.shape[:2]
        # the layout holds the bars already, and an app's captions and buttons outrun its picture as bars_box's
        # longest detailed stretch
        x0, y0, x1, y1 = held if held is not None else bars_box(rgb, grey)
        for clip in clip_boxes:
            x0, y0 = max(x0, clip[0]), max(y0, clip[1])
            x1, y1 = min(x1, clip[2]), min(y1, clip[3])
        bw, bh = x1 - x0, y1 - y0
        if bw < MIN_SIDE * w or bh < CLIP_MIN_SIDE * h or (bw > MAX_SIDE * w and bh > MAX_SIDE * h):
            out.append(None)
        else:
            out.append((int(x0), int(y0), int(x1), int(y1)))
    return out


# A reference's interface (hashing.reference_fingerprint): its pixels do not change at all while the footage inside
# plays, so a pixel counts as moving from INTERFACE_STD grey levels of temporal standard deviation over the
# reference's opening (encoding noise on a static interface re-encoded at CRF 20-30: under 0.5), and a line
# belongs to the footage when its share of moving pixels is INTERFACE_LINE_SHARE of the busiest line's. An
# absolute share (dynamic_box: 6 grey levels, 30% of the line) missed slow pans over smooth pictures inside a
# browser or a phone app (the matching benchmark's dev-2 references: footage 62% of the page wide, half of its
# pixels moving by 1-6 levels; a pan over a flat cartoon in a phone app: no box at all).
INTERFACE_STD = 1.0
INTERFACE_LINE_SHARE = 0.1
_INTERFACE_MIN_MOVING = 0.005  # of the frame's pixels: fewer moving is a still (no interface to tell apart)


def interface_box(frames: list[np.ndarray]) -> Box | None:
    """The footage's box inside a static interface, bars or a template over a reference's frames (at least three
    of one size), or None when nothing moves, the box is (nearly) the whole frame, or it is too small to trust."""
    if len(frames) < 3 or len({f.shape for f in frames}) != 1:
        return None
    h, w = frames[0].shape[:2]
    if min(h, w) < _MIN_PIXELS:
        return None
    step = 4
    moving = np.stack([_grey(f[::step, ::step]) for f in frames]).std(axis=0) > INTERFACE_STD
    if moving.mean() < _INTERFACE_MIN_MOVING:  # nothing moves: a held picture, told by its layout if at all
        return layout_box(frames[len(frames) // 2])
    cols, rows = moving.mean(axis=0), moving.mean(axis=1)
    x0, x1 = _trim(cols, cols < INTERFACE_LINE_SHARE * cols.max())
    y0, y1 = _trim(rows, rows < INTERFACE_LINE_SHARE * rows.max())
    bars = [bars_box(f) for f in frames]
    bx0, by0, bx1, by1 = max(set(bars), key=bars.count)
    x0, y0 = max(x0 * step, bx0), max(y0 * step, by0)
    x1, y1 = min(x1 * step, bx1, w), min(y1 * step, by1, h)
    x0, y0, x1, y1 = _without_bug(moving, frames, (x0, y0, x1, y1), step)
    bw, bh = x1 - x0, y1 - y0
    if bw < MIN_SIDE * w or bh < MIN_SIDE * h or (bw > MAX_SIDE * w and bh > MAX_SIDE * h):
        return None
    return int(x0), int(y0), int(x1), int(y1)


# A channel's logo (a "bug") drawn on the footage near an edge of its box never moves while the footage around it
# does, so the moving pixels' box takes it in: the matching benchmark's dev-2 news template has a "TV24" plate
# 115x55 px at the top right of 854x480 footage, and the bare footage then lay 66-84 bits from the box's hashes
# (8-26 with the box cut left of the plate). A static blob inside the box is such a bug when it is solid
# (BUG_SOLID of its bounding box static, at the 4-px step), holds detail (a plate with letters: its mean gradient
# in the clip's average frame BUG_DETAIL grey levels or more, where footage too flat to move, a clear sky, has
# next to none), covers BUG_MIN_CELLS cells or more (encoder flicker leaves single cells) and lies within
# BUG_EDGE of the box's side from an edge. The box is then cut along the side that keeps the most of it.
BUG_SOLID = 0.7
BUG_DETAIL = 8.0
BUG_MIN_CELLS = 12
BUG_EDGE = 0.12


def _without_bug(moving: np.ndarray, frames: list[np.ndarray], box: Box, step: int) -> Box:
    """``box`` (pixels) cut clear of the static logos near its edges (see BUG_SOLID), or as it is."""
    from scipy import ndimage  # only references with a moving box get here

    x0, y0, x1, y1 = box
    cx0, cy0, cx1, cy1 = -(-x0 // step), -(-y0 // step), x1 // step, y1 // step
    if cx1 - cx0 < 8 or cy1 - cy0 < 8:
        return box
    inside = ~moving[cy0:cy1, cx0:cx1]
    labels, n = ndimage.label(inside)
    if not n:
        return box
    mean = np.mean([_grey(f[::step, ::step]) for f in frames], axis=0)[cy0:cy1, cx0:cx1]
    grad = np.zeros_like(mean)
    grad[:, 1:] += np.abs(np.diff(mean, axis=1))
    grad[1:, :] += np.abs(np.diff(mean, axis=0))
    bw, bh = cx1 - cx0, cy1 - cy0
    lo_x, lo_y, hi_x, hi_y = 0, 0, bw, bh
    for k, sl in enumerate(ndimage.find_objects(labels), start=1):
        blob = labels[sl] == k
        cells = int(blob.sum())
        if cells < BUG_MIN_CELLS or cells < BUG_SOLID * blob.size or float(grad[sl][blob].mean()) < BUG_DETAIL:
            continue
        ys, xs = sl
        # one cell more: the plate's edge runs through a cell that also holds moving footage
        ys, xs = slice(max(0, ys.start - 1), min(bh, ys.stop + 1)), slice(max(0, xs.start - 1), min(bw, xs.stop + 1))
        cuts = []  # (kept area, new x0, y0, x1, y1) in cells, for each edge the blob is near
        if ys.start <= BUG_EDGE * bh:
            cuts.append((max(lo_y, ys.stop), "y0"))
        if bh - ys.stop <= BUG_EDGE * bh:
            cuts.append((min(hi_y, ys.start), "y1"))
        if xs.start <= BUG_EDGE * bw:
            cuts.append((max(lo_x, xs.stop), "x0"))
        if bw - xs.stop <= BUG_EDGE * bw:
            cuts.append((min(hi_x, xs.start), "x1"))
        best = None
        for v, side in cuts:
            c = {"x0": lo_x, "y0": lo_y, "x1": hi_x, "y1": hi_y} | {side: v}
            area = max(0, c["x1"] - c["x0"]) * max(0, c["y1"] - c["y0"])
            if best is None or area > best[0]:
                best = (area, c)
        if best is not None:
            lo_x, lo_y, hi_x, hi_y = best[1]["x0"], best[1]["y0"], best[1]["x1"], best[1]["y1"]
    if (lo_x, lo_y, hi_x, hi_y) == (0, 0, bw, bh):
        return box
    return (x0 if lo_x == 0 else (cx0 + lo_x) * step, y0 if lo_y == 0 else (cy0 + lo_y) * step,
            x1 if hi_x == bw else (cx0 + hi_x) * step, y1 if hi_y == bh else (cy0 + hi_y) * step)


# A reference's keypoints are looked for inside its interface box only when the picture around the box is
# drawn, not filmed: this share of the pixels outside the box do not move at all (INTERFACE_STD). An app, a
# page, bars or a template are static to the pixel (the benchmark's: 100%); a tripod shot's still background
# beside its moving part carries sensor noise and compression flicker, and its keypoints are footage to keep.
STATIC_OUTSIDE_SHARE = 0.98


def drawn_around(frames: list[np.ndarray], box: Box) -> bool:
    """Whether the pixels around ``box`` (at least STATIC_OUTSIDE_SHARE of them) never move over ``frames``."""
    step = 4
    moving = np.stack([_grey(f[::step, ::step]) for f in frames]).std(axis=0) > INTERFACE_STD
    outside = np.ones(moving.shape, bool)
    x0, y0, x1, y1 = box
    outside[y0 // step:-(-y1 // step), x0 // step:-(-x1 // step)] = False
    return bool(outside.any()) and float(moving[outside].mean()) <= 1 - STATIC_OUTSIDE_SHARE


# A held picture inside an app or a page (nothing moves, so interface_box has nothing to go by): the footage is the
# main stretch of lines where at least LAYOUT_DETAIL_SHARE of the pixels are not the page (the grey level most
# common on the frame's outer ring, within LAYOUT_PAGE_LEVELS, and flat: a gradient within as many levels), and
# it is an interface only when LAYOUT_PAGE_SHARE of the pixels around it are page. Measured at hashing size on
# the matching benchmark's interfaces around six pictures: the phone app's band and the letterbox's found for
# every light or textured one (page share 0.89 and 1.0), none in the browser (its page share 0.70) and none
# for dark smooth footage in the app (it looks like the page); bare photographs, both corpus videos' frames
# and a text page gave none, a dark smooth wallpaper and a title card did (0.94, 1.0): so it is asked only
# where nothing moves, and a box there makes whole-frame hits answer to it (matching._interface_suspects).
LAYOUT_PAGE_LEVELS = 6.0
LAYOUT_DETAIL_SHARE = 0.5
LAYOUT_PAGE_SHARE = 0.8
_MOTIONLESS_SHARE = 0.02
_RING = 4  # pixels of the frame's outer ring the page's grey level is read from


def layout_box(rgb: np.ndarray) -> Box | None:
    """The picture inside a flat page in one frame (a held still in an app, a page, bars), or None."""
    g = _grey(rgb)
    h, w = g.shape
    if min(h, w) < _MIN_PIXELS:
        return None
    ring = np.concatenate([g[:_RING].ravel(), g[-_RING:].ravel(), g[:, :_RING].ravel(), g[:, -_RING:].ravel()])
    levels, counts = np.unique(np.round(ring), return_counts=True)
    page = levels[np.argmax(counts)]
    grad = np.zeros_like(g)
    grad[1:-1, 1:-1] = np.abs(g[1:-1, 2:] - g[1:-1, :-2]) + np.abs(g[2:, 1:-1] - g[:-2, 1:-1])
    is_page = (np.abs(g - page) <= LAYOUT_PAGE_LEVELS) & (grad <= LAYOUT_PAGE_LEVELS)
    y0, y1 = _main_run((~is_page).mean(axis=1) < LAYOUT_DETAIL_SHARE)
    if y1 - y0 < 8:
        return None
    x0, x1 = _main_run((~is_page[y0:y1]).mean(axis=0) < LAYOUT_DETAIL_SHARE)
    bw, bh = x1 - x0, y1 - y0
    if bw < MIN_SIDE * w or bh < MIN_SIDE * h or (bw > MAX_SIDE * w and bh > MAX_SIDE * h):
        return None
    outside = np.ones_like(is_page)
    outside[y0:y1, x0:x1] = False
    if float(is_page[outside].mean()) < LAYOUT_PAGE_SHARE:
        return None
    return int(x0), int(y0), int(x1), int(y1)


def _motionless(frames: list[np.ndarray], greys: list[np.ndarray] | None = None) -> bool:
    """Three or more frames of one size in which almost nothing moves: under _MOTIONLESS_SHARE of the pixels by
    DYNAMIC_STD grey levels (a clip's encoder flickers: a held still at CRF 30 moved 0.7% of its pixels by 6
    levels and more, all on its first frame's edge)."""
    if len(frames) < 3 or len({f.shape for f in frames}) != 1:
        return False
    step = 4
    moving = np.stack([g[::step, ::step] for g in _greys(frames, greys)]).std(axis=0) > DYNAMIC_STD
    return bool(moving.mean() < _MOTIONLESS_SHARE)
