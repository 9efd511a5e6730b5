"""Local-feature matching (ORB + RANSAC) for edits that defeat global hashes.

PDQ compares whole frames, so a crop, a rotation, a picture-in-picture or a screen recording of the footage
moves it far from the original (about 100 of 256 bits, as far as unrelated footage). ORB keypoints survive
those edits: a query keypoint frame whose descriptors agree with a reference keypoint frame's under one
similarity transform (scale, rotation, shift; RANSAC) shows the same picture, and matching.py asks for
agreement across keypoint frames in time before it reports a video match.

Acceptance (``accept``) was set on the matching benchmark's stress test (benchmarks/keypoint_acceptance.py
--exhaustive, dev split: 99 queries, every query keypoint frame against every one of the 79 reference keypoint
frames with Lowe's ratio test inside each reference frame, so that far more unrelated pairs reach RANSAC than
the index's shortlist lets through): 16,869 unrelated fits, 539 right ones (a query against its own reference
within 3 s of the reused time). What separates them:

- Chance fits with many inliers are degenerate: unrelated fits reached 114 inliers, but with every inlier on
  one or two reference positions (scale ~0). Required: ``MIN_INLIERS`` inliers at distinct positions on *both*
  sides (one-to-one). No unrelated fit outside the interface case below had more than 9 distinct reference
  positions. Unrelated fits: median 4 inliers, p95 13; at most 20 at a plausible scale (0.2-5).
- Photometric agreement: the median Hamming distance of the inlier descriptor pairs (ORB descriptors are
  intensity comparisons inside each aligned patch, a binary stand-in for the patches' normalised
  cross-correlation; the reference's pixels are not stored). Right fits accepted: median 25, max 40 of 256
  bits; unrelated: median 51, p5 39. Required <= ``MAX_INLIER_DESCRIPTOR_DISTANCE``.
- Interfaces: unrelated footage inside the same phone-app interface as an indexed repost fitted the interface
  frame on frame (each picture covering the other whole, scale 0.8, no rotation) with 42-46 inliers and
  identical graphics (descriptor distance 29): every check above passes. But the reference's own footage,
  where most of its keypoints are, found no partner: only 0.37-0.47 of the reference keypoints inside the
  overlap lay in grid cells holding an inlier (``ref_support``). A frame-on-frame fit (``ALIGNED_OVERLAP``)
  must have ``MIN_REF_SUPPORT``: right frame-on-frame fits p5 0.58, median 0.94 (min 0.31: a montage's frames
  2 s apart under a lower third). Crops, insets and interfaces around the footage are not frame on frame, and
  there support says nothing (a 56% crop of a fast-cut montage fits at 0.27-0.70). This guards the benchmark's
  interfaces with a thin margin; an interface richer in keypoints than its footage could still pass: masking
  keypoints that stay put across a reference's keypoint frames at indexing would close that (not done).
- Overlays over the reference's footage (issue 12, dev split): indexing drops a reference's keypoints that stay
  put across its keypoint frames (``mask_static``), but keeps a frame whole where most are static, and a news
  template over smooth footage is 60-70% of such a frame. Stills of other photographs under the same lower third
  then fitted the recording's band text by a quarter tile (scale 1.00, 24-36 inliers). ``static_share``: the
  share of a fit's inliers on reference keypoints that stay put (``static_keypoints``, asked at matching time
  of up to 8 of the reference's stored frames). Dev fits the other checks accept: right ones p95 0.00, max 0.57
  (footage out of a phone-app recording), fits of the shared template 0.94-1.00. But a fixed camera's scene
  stays put too: quarter crops grabbed from one (a small part moving) fitted its still part at 0.78-1.00. An
  overlay is a small part of the picture: the template's fits covered <= 0.009 of the reference
  (``ref_spread``), those crops 0.067-0.10. Refused: over ``MAX_STATIC_SHARE`` within ``MAX_OVERLAY_SPREAD``.
- Quarter turns: a picture turned 90/180/270 degrees fits at that angle (within 1 degree on the suite); no
  unrelated fit near a quarter turn passed the other checks (48 had >= 16 inliers). Accepted: within
  ``MAX_ANGLE`` of upright, or within ``QUARTER_TURN_TOLERANCE`` of a quarter turn.

With these, no unrelated fit of the stress test is accepted (9 were before, all the phone-app interface) and
368 right fits are (341 before: quarter turns gained, two frame-on-frame fits under a lower third lost).

Keypoint frames are sampled frames kept at full detail for this, one every ``local_interval_s`` on a clip and
every ``reference_local_interval_s`` on a reference, plus shot changes (not codec keyframes); their descriptors
live in the workspace database and are searched exhaustively with a FAISS binary index.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import faiss
import numpy as np

import provenance.visual.search  # noqa: F401  (sets FAISS single-threaded, once per process)

ORB_FEATURES = 500  # per reference keypoint frame (stored)
QUERY_FEATURES = 1000  # per query keypoint frame: more, so that footage inset in a busy frame still gets its share
MIN_KEYPOINTS = 25  # fewer than this: too flat for local matching
RATIO = 0.8  # Lowe's ratio test on the two nearest descriptors within one reference keypoint frame
MAX_DESCRIPTOR_DISTANCE = 64  # of 256 bits
MIN_VOTES = 8  # shortlist votes, then ratio-test matches, a reference keypoint frame needs before RANSAC is tried
# Shortlisting (index.search_local): each query descriptor votes for the keypoint frames of its NEIGHBOURS nearest
# descriptors in the whole index. Several, not one: the same picture indexed k times (re-encoded copies from other
# sources, neighbouring keypoint frames of a still shot) takes k of them, and each copy must still get its vote.
NEIGHBOURS = 8
COPY_VOTE_SHARE = 0.5  # a further reference's best frame with this share of the top frame's votes is verified too
# the keypoint scan searches a reference's keypoint frames this far apart (plus shot changes); those between,
# kept to time a match (MatchingConfig.reference_local_interval_s), are verified only beside a hit (index.py)
SEARCH_INTERVAL_S = 2.0
MAX_CANDIDATES = 12  # verifications per query keypoint frame at most (each ~1 ms ratio test + a few ms RANSAC)
# The shortlist's neighbour search (index.search_local) is exact, a FAISS scan of every searched reference
# descriptor, below IVF_MIN_DESCRIPTORS, and through an inverted file above (issue 20): Hamming k-means cells over
# the index's own descriptors (search.binary_ivf), ``ivf_lists`` of them trained on IVF_TRAIN_PER_LIST sampled
# descriptors each, the IVF_NPROBE nearest cells scanned per query descriptor. Measured (2 cores, loaded; 1000
# query descriptors, 8 neighbours, single-threaded): exact 22 / 62 / 155 / 409 ms at 10^4 / 3x10^4 / 10^5 /
# 3x10^5 indexed descriptors, the inverted file 7 / 5 / 7 / 13 ms after a build of 0.2 / 0.3 / 0.8 / 1.7 s
# (paid once per index generation, then read from derived/). So it pays from about 10^4 descriptors (20
# reference keypoint frames) even for one 24-keypoint-frame clip; the exact scan is kept below 2x that, where
# it costs under 50 ms a query frame and nothing can be missed. On the matching benchmark's dev index (36,928
# searched descriptors) nprobe 1, 2, 4, 8, 16 and 64 over 256 or 1024 cells gave the very hits of the exact
# scan on all 357 query keypoint frames (750 hits): 8 keeps a margin for archives whose descriptors crowd more.
IVF_MIN_DESCRIPTORS = 20_000
IVF_NPROBE = 8
IVF_TRAIN_PER_LIST = 40  # FAISS wants >= 39 training rows per cell
IVF_MIN_ENV = "PROVENANCE_KEYPOINT_IVF_MIN"  # overrides IVF_MIN_DESCRIPTORS (0: always the inverted file)


def ivf_min_descriptors() -> int:
    """Searched reference descriptors from which the shortlist goes through the inverted file (env override)."""
    value = os.environ.get(IVF_MIN_ENV, "").strip()
    return int(value) if value.isdigit() else IVF_MIN_DESCRIPTORS


# Cells of the inverted file: FAISS's guidance is 4..16 x sqrt(n) cells for n vectors. A query descriptor costs
# one distance per cell (the flat quantizer, ~4 ns a pair here) plus the IVF_NPROBE cells' lists (~n / cells each),
# least at about sqrt(IVF_NPROBE x n) = 2.8 x sqrt(n) cells: IVF_CELLS_PER_ROOT x sqrt(n), a power of two. Up to
# IVF_KMEANS_MAX_LISTS the cells are Hamming k-means centroids (FAISS trains them as float k-means over the unpacked
# bits on IVF_TRAIN_PER_LIST rows a cell: 14 s for 1024 cells here, growing with cells^2: ~4 min at 4096); beyond,
# the cells are IVF_TRAIN_PER_LIST-free, a random sample of the descriptors (search.binary_ivf), so training
# costs nothing and the cells still follow where the descriptors are. At most IVF_MAX_LISTS: filling the file
# assigns every descriptor to its nearest cell, n x cells distances (measured 4-5 ns a pair single-threaded:
# 5x10^6 descriptors, 10^4 keypoint frames, into 8192 cells ~3 min; 5x10^7 ~30 min, once per index change).
# Recall against the exact scan at the match threshold: DESIGN.md (bench_scale.py --series keypoint).
IVF_CELLS_PER_ROOT = 4
IVF_KMEANS_MAX_LISTS = 1024
IVF_MAX_LISTS = 8192


def ivf_lists(descriptors: int) -> int:
    """Cells of the inverted file over ``descriptors`` reference descriptors: IVF_CELLS_PER_ROOT x sqrt(n) as a
    power of two, 16 to IVF_MAX_LISTS, and at most one cell per IVF_TRAIN_PER_LIST descriptors (k-means needs
    rows for every cell)."""
    root = IVF_CELLS_PER_ROOT * np.sqrt(max(1.0, float(descriptors)))
    lists = int(min(IVF_MAX_LISTS, max(16, 2 ** round(np.log2(root)))))
    return max(1, min(lists, descriptors // IVF_TRAIN_PER_LIST))


def ivf_sampled(lists: int) -> bool:
    """Whether an inverted file of ``lists`` cells takes a sample of the descriptors as its cells instead of
    training them by k-means (beyond IVF_KMEANS_MAX_LISTS)."""
    return lists > IVF_KMEANS_MAX_LISTS


MIN_INLIERS = 16  # at distinct positions on both sides; unrelated fits: median 4, max 20 at a plausible scale
MIN_SPREAD = 0.02  # inliers' bounding box as a share of the query picture's area
SCALE_RANGE = (0.2, 5.0)  # plausible resize between reference and query
MAX_ANGLE = 30.0  # degrees of rotation accepted
QUARTER_TURN_TOLERANCE = 10.0  # degrees around 90/180/270: pictures turned a quarter fit within 1 degree
MAX_INLIER_DESCRIPTOR_DISTANCE = 44  # median bits of 256 over the inliers; right fits max 40, unrelated median 51
MIN_REF_SUPPORT = 0.5  # Geometry.ref_support of a frame-on-frame fit; right ones p5 0.58, same interface 0.37-0.47
ALIGNED_OVERLAP = 0.9  # a fit is frame on frame when each picture covers this share of the other (interfaces: 1.0)
MAX_STATIC_SHARE = 0.75  # Geometry.static_share a fit may have: dev right fits max 0.57, on a shared template 0.94-1.00
MAX_OVERLAY_SPREAD = 0.025  # and its ref_spread at most: dev template fits <= 0.009, a tripod shot's crops >= 0.067


@dataclass
class LocalFeatures:
    points: np.ndarray  # (n, 2) float32 keypoint positions in pixels of the hashing-size frame
    descriptors: np.ndarray  # (n, 32) uint8 ORB descriptors
    width: int
    height: int

    def to_blobs(self) -> tuple[bytes, bytes]:
        return self.points.astype(np.float16).tobytes(), self.descriptors.tobytes()

    @classmethod
    def from_blobs(cls, points: bytes, descriptors: bytes, width: int, height: int) -> LocalFeatures:
        pts = np.frombuffer(points, dtype=np.float16).astype(np.float32).reshape(-1, 2)
        return cls(pts, np.frombuffer(descriptors, dtype=np.uint8).reshape(-1, 32), width, height)


@dataclass(frozen=True)
class Verification:
    inliers: int
    scale: float  # reference pixels per query pixel
    angle: float  # degrees
    spread: float  # inliers' bounding box / query area


_orb: dict[int, cv2.ORB] = {}
_PATCH = 31  # ORB's default patch size and edge threshold, in pixels
GRID = 4  # query keypoints are spread over a GRID x GRID lattice, so an inset is not starved by a busy frame


def _detector(n: int) -> cv2.ORB:
    if n not in _orb:
        _orb[n] = cv2.ORB_create(nfeatures=n, fastThreshold=10)
    return _orb[n]


def extract(rgb: np.ndarray, features: int = ORB_FEATURES, *, spread: bool = False,
            within: tuple[int, int, int, int] | None = None) -> LocalFeatures | None:
    """ORB keypoints and descriptors of a frame at hashing size, or None when it is too flat.

    ``spread`` keeps the strongest keypoints per grid cell instead of overall: footage shown small inside a
    textured frame (picture-in-picture) otherwise loses its keypoints to the surroundings. ``within`` (x0, y0,
    x1, y1 in pixels) looks for keypoints inside that box only (a reference's footage inside an interface);
    their positions stay in the whole frame's pixels.
    """
    if min(rgb.shape[:2]) < 2 * _PATCH:  # ORB describes a patch around each keypoint: a tiny picture has none
        return None
    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    if within is not None:
        mask = np.zeros(grey.shape, np.uint8)
        mask[within[1]:within[3], within[0]:within[2]] = 255
        keypoints, descriptors = _detector(features).detectAndCompute(grey, mask)
        if descriptors is None or len(keypoints) < MIN_KEYPOINTS:
            return None
        return LocalFeatures(np.array([k.pt for k in keypoints], dtype=np.float32), descriptors, rgb.shape[1],
                             rgb.shape[0])
    if spread:
        found = _detector(features * 4).detect(grey, None)
        keypoints, descriptors = _detector(features).compute(grey, spread_keypoints(found, grey.shape, features))
    else:
        keypoints, descriptors = _detector(features).detectAndCompute(grey, None)
    if descriptors is None or len(keypoints) < MIN_KEYPOINTS:
        return None
    points = cv2.KeyPoint_convert(keypoints).astype(np.float32).reshape(-1, 2)
    return LocalFeatures(points, descriptors, rgb.shape[1], rgb.shape[0])


_RESPONSE = operator.attrgetter("response")


def spread_keypoints(keypoints: Sequence[cv2.KeyPoint], shape: tuple[int, ...], features: int) -> list[cv2.KeyPoint]:
    """The strongest ``features // GRID**2`` keypoints of each cell of a GRID x GRID lattice over a picture of
    ``shape`` (rows, columns): cells in the order their first keypoint comes, each strongest first (ties in
    detection order). Sorted with NumPy: a Python sort of 4,000 keypoints a frame was 0.1-0.2 s of CPU over a
    clip's 24 keypoint frames (bench_frames, no match); the keypoints and their order are the same."""
    if not keypoints:
        return []
    h, w = shape[:2]
    xy = cv2.KeyPoint_convert(keypoints).astype(np.float64).reshape(-1, 2)
    cell = (xy[:, 0] * GRID / w).astype(np.int64) * (GRID + 1) + (xy[:, 1] * GRID / h).astype(np.int64)
    _, first, inverse = np.unique(cell, return_index=True, return_inverse=True)
    opened = first[inverse.reshape(-1)]  # each keypoint's cell, named by the index of its first keypoint
    response = np.fromiter(map(_RESPONSE, keypoints), np.float64, len(keypoints))  # C-level loop: 2x a genexpr
    order = np.lexsort((np.arange(len(keypoints)), -response, opened))
    grouped = opened[order]
    starts = np.r_[0, np.flatnonzero(grouped[1:] != grouped[:-1]) + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    per_cell = max(1, features // (GRID * GRID))
    return [keypoints[i] for i in order[rank < per_cell]]


def ratio_pairs(query: LocalFeatures, ref: LocalFeatures) -> np.ndarray:
    """(query index, ref index) pairs passing Lowe's ratio test within one reference keypoint frame.

    The test is per frame, as image retrieval does it after a shortlist: over a whole index, a second copy of
    the same frame (the footage from another source) is as near as the first, and every descriptor would fail.
    Exact Hamming search with FAISS (single-threaded, see search.py): about 2 ms for 1000 query x 500 reference
    descriptors on this machine, against 8-10 ms for OpenCV's BFMatcher.knnMatch (measured under load).
    """
    index = faiss.IndexBinaryFlat(256)  # ORB descriptors are 256 bits
    index.add(ref.descriptors)
    distances, rows = index.search(query.descriptors, 2)
    best, second = distances[:, 0], distances[:, 1]
    good = (rows[:, 1] >= 0) & (best <= MAX_DESCRIPTOR_DISTANCE) & (best < RATIO * second)
    return np.stack([np.nonzero(good)[0], rows[good, 0]], axis=1).astype(np.int64)


@dataclass(frozen=True)
class Geometry:
    """Everything measured about one RANSAC fit between a query and a reference keypoint frame, before acceptance.

    Kept apart from the acceptance rule so that the benchmark (benchmarks/keypoint_acceptance.py) can record the
    distributions on matching and unrelated pairs that the thresholds are set from.
    """

    votes: int  # ratio-test matches handed to RANSAC
    inliers: int
    scale: float  # reference pixels per query pixel
    angle: float  # degrees
    spread: float  # inliers' bounding box / query area
    ref_spread: float  # inliers' bounding box / reference area
    distinct: int  # inliers at distinct positions (4-px cells) in the query
    cells: int  # cells of a CELLS x CELLS grid over the query picture holding an inlier
    density: float  # inliers / query keypoints that the transform maps inside the reference picture
    descriptor_distance: float  # median Hamming distance (of 256 bits) of the inlier descriptor pairs
    ref_distinct: int  # inliers at distinct positions (4-px cells) in the reference
    cover: float  # share of the query's grid cells inside the overlap (with keypoints) that hold an inlier
    ref_cover: float  # the same on the reference side (its keypoints mapped back into the query picture)
    support: float  # share of the query keypoints inside the overlap that lie in a grid cell holding an inlier
    ref_support: float  # the same for the reference keypoints (its strongest 500: where its texture is)
    overlap: float  # share of the reference picture the query picture covers once mapped (bounding box)
    query_overlap: float  # share of the mapped query picture that falls inside the reference picture
    # share of the inliers on reference keypoints that stay put across the reference's keypoint frames
    # (static_keypoints: an interface or template drawn over its footage); 0.0 when not asked
    static_share: float = 0.0
    model: tuple[float, ...] = ()  # the fitted similarity, query -> reference pixels (2x3, row-major), for study

    @property
    def ratio(self) -> float:
        """Inliers per ratio-test match."""
        return self.inliers / max(1, self.votes)


CELLS = 8
_CELL_KEYPOINTS = 4  # a grid cell takes part in ``cover`` when this many keypoints of it fall in the overlap


def _cover(points: np.ndarray, inliers: np.ndarray, model: np.ndarray, width: int, height: int,
           other_w: int, other_h: int) -> tuple[float, float]:
    """Share of the picture's grid cells with keypoints inside the other picture (under ``model``) holding an inlier.

    Footage wrapped in the same interface as an indexed repost matches on the interface only: the footage's own
    cells, inside the overlap and full of keypoints, hold none. A real match leaves few textured cells out.
    """
    mapped = points @ model[:, :2].T + model[:, 2]
    inside = (mapped[:, 0] >= 0) & (mapped[:, 0] < other_w) & (mapped[:, 1] >= 0) & (mapped[:, 1] < other_h)
    cell = (np.clip((points[:, 1] * CELLS / height).astype(int), 0, CELLS - 1) * CELLS
            + np.clip((points[:, 0] * CELLS / width).astype(int), 0, CELLS - 1))
    counted = np.bincount(cell[inside], minlength=CELLS * CELLS) >= _CELL_KEYPOINTS
    held = np.zeros(CELLS * CELLS, bool)
    held[cell[inliers]] = True
    support = float(held[cell[inside]].mean()) if inside.any() else 0.0
    return float((held & counted).sum() / max(1, counted.sum())), support


def measure(query: LocalFeatures, ref: LocalFeatures, pairs: np.ndarray,
            static: Callable[[], np.ndarray] | None = None) -> Geometry | None:
    """Fit one similarity transform to matched keypoints (query index, ref index) and measure it; None: no fit.

    ``static`` gives, per reference keypoint, whether it stays put across the reference's keypoint frames
    (static_keypoints); asked only of a fit with MIN_INLIERS inliers (it costs a lookup in up to 8 frames)."""
    if len(pairs) < MIN_VOTES:
        return None
    src = query.points[pairs[:, 0]]
    dst = ref.points[pairs[:, 1]]
    model, mask = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=5.0,
                                              maxIters=2000, confidence=0.995)
    if model is None or mask is None:
        return None
    inl = mask.ravel().astype(bool)
    count = int(inl.sum())
    if count < 3:
        return None
    scale = float(np.hypot(model[0, 0], model[1, 0]))
    angle = float(np.degrees(np.arctan2(model[1, 0], model[0, 0])))
    pts, rpts = src[inl], dst[inl]
    spread = float(np.ptp(pts[:, 0]) * np.ptp(pts[:, 1])) / (query.width * query.height)
    ref_spread = float(np.ptp(rpts[:, 0]) * np.ptp(rpts[:, 1])) / (ref.width * ref.height)
    distinct = len({(round(x / 4), round(y / 4)) for x, y in pts})
    cells = len({(int(x * CELLS / query.width), int(y * CELLS / query.height)) for x, y in pts})
    mapped = query.points @ model[:, :2].T + model[:, 2]
    inside = int(np.count_nonzero((mapped[:, 0] >= 0) & (mapped[:, 0] < ref.width) & (mapped[:, 1] >= 0)
                                  & (mapped[:, 1] < ref.height)))
    qd = query.descriptors[pairs[inl, 0]]
    rd = ref.descriptors[pairs[inl, 1]]
    hamming = np.unpackbits(qd ^ rd, axis=1).sum(axis=1)
    ref_distinct = len({(round(x / 4), round(y / 4)) for x, y in rpts})
    cover, support = _cover(query.points, pairs[inl, 0], model, query.width, query.height, ref.width, ref.height)
    back = cv2.invertAffineTransform(model) if scale > 1e-6 else model
    ref_cover, ref_support = _cover(ref.points, pairs[inl, 1], back, ref.width, ref.height, query.width, query.height)
    corners = np.float32([[0, 0], [query.width, 0], [0, query.height], [query.width, query.height]])
    mc = corners @ model[:, :2].T + model[:, 2]
    (x0, y0), (x1, y1) = mc.min(axis=0), mc.max(axis=0)
    common = max(0.0, min(x1, ref.width) - max(x0, 0.0)) * max(0.0, min(y1, ref.height) - max(y0, 0.0))
    overlap = float(common / (ref.width * ref.height))
    query_overlap = float(common / max(1e-9, (x1 - x0) * (y1 - y0)))
    static_share = float(static()[pairs[inl, 1]].mean()) if static is not None and count >= MIN_INLIERS else 0.0
    return Geometry(len(pairs), count, scale, angle, spread, ref_spread, distinct, cells,
                    count / max(1, inside), float(np.median(hamming)), ref_distinct, cover, ref_cover,
                    support, ref_support, overlap, query_overlap, static_share, tuple(float(x) for x in model.ravel()))


def accept(g: Geometry) -> bool:
    """Whether a fit shows the same picture: the checks and their measured source in the module docstring."""
    if g.inliers < MIN_INLIERS or g.spread < MIN_SPREAD or not (SCALE_RANGE[0] <= g.scale <= SCALE_RANGE[1]):
        return False
    turn = abs(g.angle) % 90.0
    off_quarter = min(turn, 90.0 - turn)
    if abs(g.angle) > MAX_ANGLE and off_quarter > QUARTER_TURN_TOLERANCE:
        return False
    # one-to-one: repeated textures and degenerate fits pile many inliers onto a few positions
    if min(g.distinct, g.ref_distinct) < MIN_INLIERS * 0.75:
        return False
    if g.descriptor_distance > MAX_INLIER_DESCRIPTOR_DISTANCE:
        return False
    # a fit confined to a small part of the reference that stays put across it (a template's band, logo,
    # ticker) is of the overlay the query shares, not of the footage
    if g.static_share > MAX_STATIC_SHARE and g.ref_spread <= MAX_OVERLAY_SPREAD:
        return False
    # frame on frame (the same layout, as an interface shared by unrelated footage is): the reference's own
    # texture must agree too, not only the frame around it
    return min(g.overlap, g.query_overlap) < ALIGNED_OVERLAP or g.ref_support >= MIN_REF_SUPPORT


def verify(query: LocalFeatures, ref: LocalFeatures, pairs: np.ndarray,
           static: Callable[[], np.ndarray] | None = None) -> Verification | None:
    """Fit one similarity transform to matched keypoints (query index, ref index); None when it does not hold.
    ``static``: the reference keypoints that stay put across its keypoint frames (measure, MAX_STATIC_SHARE)."""
    g = measure(query, ref, pairs, static)
    if g is None or not accept(g):
        return None
    return Verification(g.inliers, round(g.scale, 3), round(g.angle, 2), round(g.spread, 3))


# A still shown stretched to fill another frame shape (a square or 4:3 photograph filled to 16:9, as pan-and-zoom
# editors and careless reposts do) is not a similarity transform of the still: the matching benchmark's
# held-out-3 pan over the square moon photograph, squashed 1.78x vertically to fill 16:9, fitted the still with
# 6-8 RANSAC inliers (20-33 ratio-test pairs) while the same frames resized back to square fitted with 65-139
# (accepted, descriptor distance 25). ORB descriptors are intensity comparisons in a square patch, so a
# stretched picture's descriptors drift; fitting an anisotropic transform to them would not bring the pairs back.
# So a still reference is verified a second time against the clip frame resized to the still's aspect ratio
# (``stretch_to``), with the acceptance above unchanged, and only where the normal search verified nothing
# (index.search_local). The aspect change looked for: within STRETCH_RANGE (4:3 or square filled to 16:9 is
# 1.33x and 1.78x; a portrait still filled to 16:9, 3.2x, is not looked for), and beyond MIN_STRETCH (a similarity
# fit absorbs less: a 5% stretch moves the far edge of a 512-px picture by 13 px, over RANSAC's 5-px threshold).
STRETCH_RANGE = (0.5, 2.0)  # still aspect / clip picture aspect, both as width / height
MIN_STRETCH = 1.05


def stretch_factor(picture: tuple[int, int], still: tuple[int, int]) -> float | None:
    """How much wider the still (width, height) is for its height than the clip's picture (width, height), when a
    stretched still is worth looking for there (``STRETCH_RANGE``, beyond ``MIN_STRETCH``); else None."""
    factor = (still[0] / still[1]) / (picture[0] / picture[1])
    if not STRETCH_RANGE[0] <= factor <= STRETCH_RANGE[1] or max(factor, 1 / factor) < MIN_STRETCH:
        return None
    return factor


def stretch_to(rgb: np.ndarray, factor: float) -> np.ndarray:
    """The picture resized so its width / height grows by ``factor``: one side stretched, the other kept, so no
    detail is thrown away (a 16:9 frame of a square still squashed to fill it: its rows stretched 1.78x)."""
    h, w = rgb.shape[:2]
    size = (round(w * factor), h) if factor >= 1 else (w, round(h / factor))
    return cv2.resize(np.ascontiguousarray(rgb), size, interpolation=cv2.INTER_LINEAR)


STATIC_SHARE = 0.6  # a keypoint found at the same place (same 4-px cell, near descriptor) in this share of frames
STATIC_MAX_SHARE = 0.6  # mask only when the rest of the frame moves: a frame this static keeps every keypoint
STILL_SCENE_SHARE = 0.9  # static_keypoints: a template over smooth footage 0.69-0.82 a frame, a held picture 0.99-1.00


def sampled(n: int, samples: int) -> list[int]:
    """Up to ``samples + 1`` positions spread over ``n`` keypoint frames (both ends included)."""
    return sorted({round(k) for k in np.linspace(0, n - 1, min(n, samples + 1))})


def mask_static(frames: list[tuple[float, LocalFeatures]], samples: int = 8) -> list[tuple[float, LocalFeatures]]:
    """Drop a reference's keypoints that stay put across its keypoint frames: an app's interface, a news
    template, a logo around the footage.

    Why: on the matching benchmark's held-out split, other footage inside the same phone-app interface as an
    indexed screen recording matched it on the interface alone (43 keypoint inliers). A keypoint counts as
    static when a keypoint within one 4-px cell with a descriptor within MAX_DESCRIPTOR_DISTANCE bits is found in
    ``STATIC_SHARE`` of up to ``samples`` other keypoint frames spread over the reference (bounded cost: one
    grid lookup per keypoint and sample); a frame where more than ``STATIC_MAX_SHARE`` of the keypoints are
    static (a tripod shot of a still scene) is kept whole, so still footage keeps its keypoints. Needs at least
    three keypoint frames of one size. A frame kept whole can still hold an interface's keypoints (footage with
    little texture under a news template: 60-70% static): ``static_keypoints`` asks again at matching time.
    """
    if len(frames) < 3 or len({(f.width, f.height) for _t, f in frames}) != 1:
        return frames
    width, height = frames[0][1].width, frames[0][1].height
    gw, gh = width // 4 + 3, height // 4 + 3
    picks = sampled(len(frames), samples)
    grids = {}
    for j in picks:
        grid = np.full((gh, gw), -1, np.int64)
        cells = np.clip(np.floor(frames[j][1].points / 4.0).astype(np.int64) + 1, 0, [gw - 1, gh - 1])
        grid[cells[:, 1], cells[:, 0]] = np.arange(len(cells))
        grids[j] = grid
    out = []
    for i, (t, f) in enumerate(frames):
        others = [j for j in picks if j != i]
        if len(f.points) == 0 or len(others) < 2:
            out.append((t, f))
            continue
        cells = np.clip(np.floor(f.points / 4.0).astype(np.int64) + 1, 1, [gw - 2, gh - 2])
        seen = np.zeros(len(f.points), np.int32)
        for j in others:
            od = frames[j][1].descriptors
            near = np.zeros(len(f.points), bool)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    hit = grids[j][cells[:, 1] + dy, cells[:, 0] + dx]
                    ok = hit >= 0
                    if ok.any():
                        dist = np.unpackbits(f.descriptors[ok] ^ od[hit[ok]], axis=1).sum(axis=1)
                        near[np.nonzero(ok)[0][dist <= MAX_DESCRIPTOR_DISTANCE]] = True
            seen += near
        static = seen >= STATIC_SHARE * len(others)
        if static.any() and static.mean() <= STATIC_MAX_SHARE and (~static).sum() >= MIN_KEYPOINTS:
            f = LocalFeatures(f.points[~static], f.descriptors[~static], f.width, f.height)
        out.append((t, f))
    return out


TWIN_PX = 4.0  # a keypoint within this many pixels of one in another frame is at the same spot (mask_static's cell)


def _twinned(frame: LocalFeatures, other: LocalFeatures) -> np.ndarray:
    """Per keypoint of ``frame``, whether ``other`` holds one within TWIN_PX px whose descriptor is within
    MAX_DESCRIPTOR_DISTANCE bits. Every keypoint near the spot is asked (mask_static's grid keeps one a cell,
    and ORB finds several at one corner over its scales: a picture held still scored 0.63 static there)."""
    found = np.zeros(len(frame.points), bool)
    if not len(frame.points) or not len(other.points):
        return found
    order = np.argsort(other.points[:, 0], kind="stable")  # compare within a TWIN_PX-wide band of x only
    ox, oy = other.points[order, 0], other.points[order, 1]
    lo = np.searchsorted(ox, frame.points[:, 0] - TWIN_PX, side="left")
    hi = np.searchsorted(ox, frame.points[:, 0] + TWIN_PX, side="right")
    counts = hi - lo
    q = np.repeat(np.arange(len(frame.points)), counts)
    r = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(lo, counts)
    near = (ox[r] - frame.points[q, 0]) ** 2 + (oy[r] - frame.points[q, 1]) ** 2 <= TWIN_PX ** 2
    q, r = q[near], order[r[near]]
    bits = np.unpackbits(frame.descriptors[q] ^ other.descriptors[r], axis=1).sum(axis=1)
    found[q[bits <= MAX_DESCRIPTOR_DISTANCE]] = True
    return found


def static_keypoints(frame: LocalFeatures, others: Sequence[LocalFeatures]) -> np.ndarray:
    """Per keypoint of ``frame`` (a reference's stored keypoint frame), whether it stays put across ``others`` (up
    to 8 other keypoint frames of the same reference, spread over it): ``mask_static``'s test, asked at matching
    time of the keypoints indexing kept.

    Nothing is flagged when fewer than two of ``others`` have the frame's size, or when more than
    ``STILL_SCENE_SHARE`` of the frame's keypoints are static: then the footage itself stands still (a picture
    held in a recording) and staying put says nothing of an overlay."""
    flags = np.zeros(len(frame.points), bool)
    same = [f for f in others if (f.width, f.height) == (frame.width, frame.height)]
    if len(same) < 2 or not len(frame.points):
        return flags
    seen = np.sum([_twinned(frame, f) for f in same], axis=0)
    static = seen >= STATIC_SHARE * len(same)
    return flags if static.mean() > STILL_SCENE_SHARE else static
