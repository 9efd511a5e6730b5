"""Local-feature matching (ORB + RANSAC) for edits that defeat global hashes.

PDQ compares whole frames, so a crop, a rotation, a picture-in-picture or a screen recording of the footage
moves it far from the original (about 100 of 256 bits, as far as unrelated footage). ORB keypoints survive
those edits: a query keypoint frame whose descriptors agree with a reference keypoint frame's under one
similarity transform (scale, rotation, shift; RANSAC) shows the same picture. Unrelated frames can still line up
a few dozen keypoints by chance, so a verification also needs the inliers spread over the picture, and
matching.py asks for agreement across keypoint frames in time before it reports a video match.

Keypoint frames are sampled frames kept at full detail for this, one every ``local_interval_s`` plus shot
changes (not codec keyframes); their descriptors live in the workspace database and are searched exhaustively
with a FAISS binary index.
"""

from __future__ import annotations

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
MAX_CANDIDATES = 12  # verifications per query keypoint frame at most (each ~1 ms ratio test + a few ms RANSAC)
MIN_INLIERS = 16  # wrong references reached 4 inliers on the benchmark suite; right ones a median of 70
MIN_SPREAD = 0.02  # inliers' bounding box as a share of the query picture's area
SCALE_RANGE = (0.2, 5.0)  # plausible resize between reference and query
MAX_ANGLE = 30.0  # degrees of rotation accepted


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


def extract(rgb: np.ndarray, features: int = ORB_FEATURES, *, spread: bool = False) -> LocalFeatures | None:
    """ORB keypoints and descriptors of a frame at hashing size, or None when it is too flat.

    ``spread`` keeps the strongest keypoints per grid cell instead of overall: footage shown small inside a
    textured frame (picture-in-picture) otherwise loses its keypoints to the surroundings.
    """
    if min(rgb.shape[:2]) < 2 * _PATCH:  # ORB describes a patch around each keypoint: a tiny picture has none
        return None
    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    if spread:
        keypoints = _detector(features * 4).detect(grey, None)
        h, w = grey.shape
        cells: dict[tuple[int, int], list[cv2.KeyPoint]] = {}
        for k in keypoints:
            cells.setdefault((int(k.pt[0] * GRID / w), int(k.pt[1] * GRID / h)), []).append(k)
        per_cell = max(1, features // (GRID * GRID))
        keypoints = [k for cell in cells.values() for k in sorted(cell, key=lambda k: -k.response)[:per_cell]]
        keypoints, descriptors = _detector(features).compute(grey, keypoints)
    else:
        keypoints, descriptors = _detector(features).detectAndCompute(grey, None)
    if descriptors is None or len(keypoints) < MIN_KEYPOINTS:
        return None
    points = np.array([k.pt for k in keypoints], dtype=np.float32)
    return LocalFeatures(points, descriptors, rgb.shape[1], rgb.shape[0])


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


def verify(query: LocalFeatures, ref: LocalFeatures, pairs: np.ndarray) -> Verification | None:
    """Fit one similarity transform to matched keypoints (query index, ref index); None when it does not hold."""
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
    if count < MIN_INLIERS:
        return None
    scale = float(np.hypot(model[0, 0], model[1, 0]))
    angle = float(np.degrees(np.arctan2(model[1, 0], model[0, 0])))
    pts = src[inl]
    spread = float(np.ptp(pts[:, 0]) * np.ptp(pts[:, 1])) / (query.width * query.height)
    # repeated textures can also pile every inlier onto one keypoint pair region: require distinct positions
    distinct = len({(round(x / 4), round(y / 4)) for x, y in pts})
    if not (SCALE_RANGE[0] <= scale <= SCALE_RANGE[1]) or abs(angle) > MAX_ANGLE or spread < MIN_SPREAD:
        return None
    if distinct < MIN_INLIERS * 0.75:
        return None
    return Verification(count, round(scale, 3), round(angle, 2), round(spread, 3))
