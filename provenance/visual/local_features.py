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
import numpy as np

ORB_FEATURES = 500  # per reference keypoint frame (stored)
QUERY_FEATURES = 1000  # per query keypoint frame: more, so that footage inset in a busy frame still gets its share
MIN_KEYPOINTS = 25  # fewer than this: too flat for local matching
RATIO = 0.8  # Lowe's ratio test on the two nearest descriptors
MAX_DESCRIPTOR_DISTANCE = 64  # of 256 bits
MIN_VOTES = 8  # ratio-test matches a reference keypoint frame needs before RANSAC is tried
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

    @property
    def ratio(self) -> float:
        """Inliers per ratio-test match."""
        return self.inliers / max(1, self.votes)


CELLS = 8


def measure(query: LocalFeatures, ref: LocalFeatures, pairs: np.ndarray) -> Geometry | None:
    """Fit one similarity transform to matched keypoints (query index, ref index) and measure it; None: no fit."""
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
    return Geometry(len(pairs), count, scale, angle, spread, ref_spread, distinct, cells,
                    count / max(1, inside), float(np.median(hamming)))


def accept(g: Geometry) -> bool:
    """Whether a fit shows the same picture (the thresholds above; their source in the module docstring)."""
    if g.inliers < MIN_INLIERS:
        return False
    if not (SCALE_RANGE[0] <= g.scale <= SCALE_RANGE[1]) or abs(g.angle) > MAX_ANGLE or g.spread < MIN_SPREAD:
        return False
    # repeated textures can also pile every inlier onto one keypoint pair region: require distinct positions
    return g.distinct >= MIN_INLIERS * 0.75


def verify(query: LocalFeatures, ref: LocalFeatures, pairs: np.ndarray) -> Verification | None:
    """Fit one similarity transform to matched keypoints (query index, ref index); None when it does not hold."""
    g = measure(query, ref, pairs)
    if g is None or not accept(g):
        return None
    return Verification(g.inliers, round(g.scale, 3), round(g.angle, 2), round(g.spread, 3))
