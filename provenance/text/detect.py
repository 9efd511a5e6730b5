"""Where a frame may hold text: a cheap detector, so only text-like regions reach the recogniser.

Text is rows of strokes: dense, high-contrast edges in a band as tall as its letters and several times wider.
The morphological gradient of the grey frame, thresholded, then closed along the row, joins a line's letters
into one blob; blobs with a text line's shape and stroke density are kept (the classic gradient-and-close
detector, e.g. OpenCV's text samples and the sliding-window baselines before EAST). It costs ~4-8 ms per 960-px
frame. EAST or DB detectors need model files no Debian or PyPI package here ships, and MSER took 5-10x longer
in a first measurement for no better recall on caption lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DETECT_WIDTH = 960  # px: frames are searched at this width (a 720p caption's letters stay 15+ px tall)
# edge strength (morphological gradient, of 255) a letter's outline must reach: captions (white with a dark
# outline or box) reach 200+; textured photographs (skimage astronaut and coffee, the bench clip's footage)
# gave 137 false regions over 32 frames at 60 and none at 120 (bench_text.py, detector notes); 100 keeps
# painted signs of moderate contrast. Faint scene text below it is not read.
EDGE_MIN = 100
MIN_HEIGHT = 9  # px at DETECT_WIDTH: smaller lines cannot be read anyway
MAX_HEIGHT_SHARE = 0.2  # a line taller than this share of the frame is a shape, not text
MIN_ASPECT = 2.0  # width / height of a merged line: two letters and up
MIN_FILL = 0.35  # share of a blob's box its closed strokes cover
# Otsu's between-class share of a line's grey variance: text is two tones (caption lines 0.68-0.92, outlined
# text on fur 0.68)
MIN_SEPARATION = 0.65
# a line's rows have at least this share of the edge density of its densest row (letters' ascenders and
# descenders included: measured 0.3-0.5 at the top and bottom of caption lines, under 0.2 for a photo's edges)
BAND_SHARE = 0.25
RULE_SHARE = 0.85  # a row this full of edges is a drawn line (a sign's border), not letters (0.6 at most)
# a band of rows under this share of its blob's height is an edge beside the line, not the line (_tighten); its
# rows are set aside and the next densest row tried, THIN_TRIES times at most. Lines fill 0.6-0.9 of their blob
THIN_BAND = 0.2
THIN_TRIES = 3
MAX_REGIONS = 12  # regions per frame, largest first: a frame full of texture is not read whole
# a still is one frame read once: a page or a screenshot of up to this many lines is read whole (the issue 18
# round-3 tester's 40-line page at 32 px gave 40 candidates, 12 read); what is left is said in the report
MAX_REGIONS_STILL = 64


@dataclass(frozen=True)
class Region:
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the frame's pixels

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]


# large lines are looked for again at this share of DETECT_WIDTH: the close joins strokes 11 px apart, so
# letters over ~40 px tall at DETECT_WIDTH (a 60-px Hangul sign in a 1280-px frame) stay apart and were missed
LARGE_SCALE = 0.5
SAME_LINE_IOU = 0.3
# ... and kept only when at least this tall at DETECT_WIDTH (px, with its padding): smaller lines are found at full
# scale, and at half scale the photographs' texture gave 5 more false regions on the astronaut, 4 on page()
LARGE_MIN_HEIGHT = 40  # a large-scale region overlapping a full-scale one this much is that line


def find_text(rgb: np.ndarray) -> list[Region]:
    """Text-line candidates of an RGB frame, in reading order (top to bottom, left to right): found at
    ``DETECT_WIDTH``, and at ``LARGE_SCALE`` of it for lines too large to be joined there."""
    return find_text_counted(rgb)[0]


# huge lines (a 160-200-px sign in a 720-px frame: letters 50-75 px at half scale, 11-px close too short to join
# them, and the line 0.22-0.28 of the frame's height) are looked for at this share of DETECT_WIDTH, kept when at
# least HUGE_MIN_HEIGHT tall at DETECT_WIDTH, and may be up to HUGE_HEIGHT_SHARE of the frame's height (the
# issue 18 round-4 tester's 200-px "Обмін валют" over the astronaut gave two pieces of it, read "Юм")
HUGE_SCALE = 0.25
HUGE_MIN_HEIGHT = 120
HUGE_HEIGHT_SHARE = 0.4
# ... its blobs need cover only this share of their box (MIN_FILL elsewhere): a huge letter's edges are its outline,
# and the 300-px "금지" of the tester's panorama covered 0.31 of its box at HUGE_SCALE once closed
HUGE_MIN_FILL = 0.25
# a huge line's blob, taken whole, is padded by 1/HUGE_PAD of its height (a tightened line by a quarter): its blob
# already holds the panel round the letters, and a quarter more took in the cup under a 240-px "Аптека" on
# skimage's coffee, read "IAnTeka" at 0.08
HUGE_PAD = 10
# a frame wider than this (width / height) is searched in tiles of TILE_ASPECT, overlapping by TILE_OVERLAP of
# a tile: searched whole at DETECT_WIDTH, a 6000x800 panorama read at 1280x171 gave its 300-px sign no region
# (the line was 0.4 of the frame's height, a "shape"), and 40-px signs shrink under MIN_HEIGHT. 16:9 frames and
# phone screenshots (9:16) are searched whole, as before
TILE_ASPECT = 16 / 9
TILE_WIDER = 2.2  # ... frames wider than 2.2:1 (21:9 film frames are 2.33-2.39: tiled in two)
TILE_OVERLAP = 0.25


def tiles(width: int, height: int) -> list[tuple[int, int]]:
    """The column spans (x0, x1) a frame of ``width`` x ``height`` px is searched in: itself, or overlapping
    tiles of ``TILE_ASPECT`` (see ``TILE_WIDER``), the last flush with the right edge."""
    if width <= TILE_WIDER * height:
        return [(0, width)]
    tile = round(TILE_ASPECT * height)
    step = max(1, round(tile * (1 - TILE_OVERLAP)))
    starts = [*range(0, width - tile, step), width - tile]
    return [(x, x + tile) for x in starts]


def find_text_counted(rgb: np.ndarray, max_regions: int = MAX_REGIONS) -> tuple[list[Region], int]:
    """``find_text``'s regions, at most ``max_regions``, and how many candidates were found before the cap kept
    the largest: a page of 40 lines gave 12 regions and nothing said the rest were not read (issue 18 round 3).
    A wide frame is searched tile by tile (``tiles``) at the fine and large scales, a line cut by a tile's edge
    joined with its other part(s) found in the tile beside it; huge lines are looked for in the whole frame at
    the scale its tiles were searched at (a 300-px sign cut by tiles' edges was read "Обмін валюти-з", the picture
    beyond it joined)."""
    import cv2

    if min(rgb.shape[:2]) < MIN_HEIGHT:  # no readable line fits (a 1x1 page of a hostile TIFF failed the stage in
        return [], 0                     # OpenCV's resize: "inv_scale_x > 0")
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    spans = tiles(grey.shape[1], grey.shape[0])
    found: list[Region] = []
    total = 0
    for x0, x1 in spans:
        got, n = _find_scales(grey[:, x0:x1], max_regions)
        found += [Region((b[0] + x0, b[1], b[2] + x0, b[3])) for b in (r.box for r in got)]
        total += n
    if len(spans) > 1:  # a line found in two tiles is one candidate
        before = len(found)
        found = _join_tiles(found, spans)
        total -= before - len(found)
    full = min(1.0, DETECT_WIDTH / (spans[0][1] - spans[0][0]))  # the fine scale of a tile, or of the frame
    found, total = _add_huge(grey, found, total, full, max_regions)
    found.sort(key=lambda r: (r.box[1], r.box[0]))
    if len(found) > max_regions:  # the largest, as _find keeps them
        found = sorted(sorted(found, key=lambda r: -(r.box[2] - r.box[0]) * r.height)[:max_regions],
                       key=lambda r: (r.box[1], r.box[0]))
    return found, max(total, len(found))


def _find_scales(grey: np.ndarray, max_regions: int) -> tuple[list[Region], int]:
    """Regions of one grey frame (or tile) found at ``DETECT_WIDTH``, then large lines at ``LARGE_SCALE`` where
    the fine scale found no such line."""
    found, total = _find(grey, DETECT_WIDTH, max_regions)
    full = min(1.0, DETECT_WIDTH / grey.shape[1])
    for region in _find(grey, round(DETECT_WIDTH * LARGE_SCALE), max_regions)[0]:
        if region.height * full < LARGE_MIN_HEIGHT:
            continue
        # a fine region that is a part of this line (inside it, which is at least 1.5x as wide or as tall) gives
        # way to the whole line: a 120-px "Обмін валют" was read "Обм" alone, a 60-px "출입 금지" from its lower
        # half ("추인 그"), the line's region dropped as the same line (IoU 0.32-0.5)
        words = [r for r in found if _inside(r.box, region.box) and (
            region.box[2] - region.box[0] >= 1.5 * (r.box[2] - r.box[0]) or region.height >= 1.5 * r.height)]
        if all(_iou(region.box, r.box) < SAME_LINE_IOU for r in found if r not in words):
            found = [r for r in found if r not in words] + [region]
            total += 1 - len(words)
    return found, total


def _inside(small: tuple[int, ...], big: tuple[int, ...]) -> bool:
    """Whether most (0.8) of ``small`` lies in ``big``."""
    ix = max(0, min(small[2], big[2]) - max(small[0], big[0]))
    iy = max(0, min(small[3], big[3]) - max(small[1], big[1]))
    return ix * iy >= 0.8 * (small[2] - small[0]) * (small[3] - small[1])


def _add_huge(grey: np.ndarray, found: list[Region], total: int, full: float,
              max_regions: int) -> tuple[list[Region], int]:
    """``found`` with the huge lines (``HUGE_SCALE`` of the fine scale ``full``) no finer scale found whole.

    A huge line's blob is taken whole, not tightened: its letters' edges are their outlines alone, sparser than
    a panel's edges above and below them, and tightening cut the 300-px sign of the tester's panorama to its
    panel's edge. Lines found at finer scales inside it are kept: such a blob also closes a 64-px sign with the
    picture round it (read "년 з" whole, the sign right alone), so a huge line's letters found apart may be read
    too (the tester's 200-px sign: "Юм" beside "Обмін валю…")."""
    width = round(grey.shape[1] * full * HUGE_SCALE)
    for region in _find(grey, width, max_regions, HUGE_HEIGHT_SHARE, False, HUGE_MIN_FILL)[0]:
        if region.height * full >= HUGE_MIN_HEIGHT and all(_iou(region.box, r.box) < SAME_LINE_IOU for r in found):
            found.append(region)
            total += 1
    return found, total


# two parts of a line in one row of a tiled frame whose gap holds a tile's edge are joined across a gap of up to
# this many line heights (elsewhere half a height: a word space): a line longer than a tile is found in parts,
# and the letters at a tile's edge are in neither. The issue 18 round-5 tester's 6000x800 panorama: a 110-px
# "Военная комендатура города Курска" (2091 px at the read scale, tiles 1214 px) gave "Военная комендатур" and
# "города Курска", 0.82 of a height apart across the tile edge at x 1820, and `search "комендатура города"` 0 hits
SEAM_GAP = 1.2


def _join_tiles(regions: list[Region], spans: list[tuple[int, int]] | None = None) -> list[Region]:
    """Regions of overlapping tiles as lines of the whole frame: two that share rows (by half the smaller's
    height) and overlap along them, or lie within half that height of each other (``SEAM_GAP`` heights across a
    tile's edge, ``spans``), are one line, cut by a tile's edge (the letters astride it found in neither tile)
    or found twice."""
    edges = sorted({x for x0, x1 in (spans or [])[1:] for x in (x0,)} | {x1 for _, x1 in (spans or [])[:-1]})
    boxes = [list(r.box) for r in sorted(regions, key=lambda r: r.box[0])]
    merged: list[list[int]] = []
    for b in boxes:
        for m in merged:
            rows = min(b[3], m[3]) - max(b[1], m[1])
            short = min(b[3] - b[1], m[3] - m[1])
            gap = b[0] - m[2]
            seam = any(m[2] - short <= e <= b[0] + short for e in edges)
            reach = (SEAM_GAP if seam else 0.5) * short
            if rows >= 0.5 * short and gap <= reach and max(b[3] - b[1], m[3] - m[1]) <= 2 * short:
                m[0], m[1], m[2], m[3] = min(m[0], b[0]), min(m[1], b[1]), max(m[2], b[2]), max(m[3], b[3])
                break
        else:
            merged.append(b)
    return [Region((a, b, c, d)) for a, b, c, d in merged]


def _iou(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union if union > 0 else 0.0


def _find(grey: np.ndarray, width: int, max_regions: int = MAX_REGIONS,
          height_share: float = MAX_HEIGHT_SHARE, tighten: bool = True, min_fill: float = MIN_FILL
          ) -> tuple[list[Region], int]:
    import cv2

    h, w = grey.shape[:2]
    scale = min(1.0, width / w)
    small = cv2.resize(grey, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else grey
    sh = small.shape[0]
    grad = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    otsu, _ = cv2.threshold(grad, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    _, edges = cv2.threshold(grad, max(otsu, float(EDGE_MIN)), 255, cv2.THRESH_BINARY)
    closed = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (11, 3)))
    closed = cv2.morphologyEx(closed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    blobs: list[tuple[int, int, int, int]] = []
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if MIN_HEIGHT <= bh <= height_share * sh and area >= min_fill * bw * bh:
            blobs.append((x, y, x + bw, y + bh))
    lines = [_tighten(b, edges) if tighten else b for b in _merge_lines(blobs, alike=not tighten)]
    found = [b for b in lines if b[2] - b[0] >= MIN_ASPECT * (b[3] - b[1]) and b[3] - b[1] >= MIN_HEIGHT
             and _two_tone(small[b[1]:b[3], b[0]:b[2]])]
    found.sort(key=lambda b: (b[2] - b[0]) * (b[3] - b[1]), reverse=True)
    out = []
    for x0, y0, x1, y1 in found[:max_regions]:
        pad = max(2, (y1 - y0) // (4 if tighten else HUGE_PAD))
        out.append(Region((max(0, round((x0 - pad) / scale)), max(0, round((y0 - pad) / scale)),
                           min(w, round((x1 + pad) / scale)), min(h, round((y1 + pad) / scale)))))
    return out, len(found)


def _tighten(box: tuple[int, int, int, int], edges: np.ndarray) -> tuple[int, int, int, int]:
    """The rows of a blob that hold the line: a caption's blob often takes in edges of the picture above or below
    it (a suit, a cup's rim), which makes the crop twice as tall and the letters half as large to the reader.
    Keeps the run of rows around the densest one whose edge share is at least ``BAND_SHARE`` of its. A run under
    ``THIN_BAND`` of the blob's height is an edge, not a line: the next densest row outside it is tried (a panel's
    lower edge against the fur of skimage's chelsea, 0.58 of the row two rows past a gap of 0.1 under the
    letters' 0.2-0.56, cut a 56-px "출입 금지" to two rows and the sign was not read: issue 18 rounds 3-4)."""
    x0, y0, x1, y1 = box
    rows = (edges[y0:y1, x0:x1] > 0).mean(axis=1)
    rows[rows > RULE_SHARE] = 0.0  # a panel's border or a rule under the line: not letters
    first = None
    for _ in range(THIN_TRIES):
        peak = int(np.argmax(rows))
        if rows[peak] <= 0:
            break
        keep = rows >= BAND_SHARE * rows[peak]
        top = bottom = peak
        while top > 0 and keep[top - 1]:
            top -= 1
        while bottom < len(rows) - 1 and keep[bottom + 1]:
            bottom += 1
        first = first or (top, bottom)
        if bottom + 1 - top >= THIN_BAND * len(rows):
            return x0, y0 + top, x1, y0 + bottom + 1
        rows = rows.copy()
        rows[top:bottom + 1] = 0.0
    top, bottom = first or (0, len(rows) - 1)
    return x0, y0 + top, x1, y0 + bottom + 1


def _two_tone(crop: np.ndarray) -> bool:
    """Whether a grey crop splits into two tones (Otsu's between-class variance share >= MIN_SEPARATION)."""
    import cv2

    var = float(crop.var())
    if var <= 0:
        return False
    t, _ = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    hi, lo = crop[crop > t], crop[crop <= t]
    if not hi.size or not lo.size:
        return False
    share = hi.size * lo.size / crop.size**2 * (float(hi.mean()) - float(lo.mean())) ** 2 / var
    return share >= MIN_SEPARATION


def _merge_lines(boxes: list[tuple[int, int, int, int]], alike: bool = False) -> list[tuple[int, int, int, int]]:
    """Join blobs of one line (words the close did not bridge): rows overlapping by half, a gap under a height;
    with ``alike``, of heights within 2x of each other too (huge lines: a 300-px sign's blob took in a 40-px sign
    beside it)."""
    boxes = sorted(boxes)
    merged: list[list[int]] = []
    for x0, y0, x1, y1 in boxes:
        for m in merged:
            overlap = min(y1, m[3]) - max(y0, m[1])
            height = min(y1 - y0, m[3] - m[1])
            if alike and max(y1 - y0, m[3] - m[1]) > 2 * height:
                continue
            if overlap >= 0.5 * height and x0 - m[2] <= 1.2 * max(y1 - y0, m[3] - m[1]):
                m[0], m[1], m[2], m[3] = min(m[0], x0), min(m[1], y0), max(m[2], x1), max(m[3], y1)
                break
        else:
            merged.append([x0, y0, x1, y1])
    return [(a, b, c, d) for a, b, c, d in merged]
