"""Keypoint verification (ORB + RANSAC) accepts reposts of a picture and refuses pictures that only share a frame.

Real photographs (the shared corpus' camera JPEGs) in the interfaces of the matching benchmark
(benchmarks/match_suite.py), at the sizes the index and queries use: reference keypoint frames at the hashing
size (512 px long side), query ones as sampled. Pairs come from Lowe's ratio test within the one reference
frame, as a shortlist is verified.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from provenance.visual import local_features as lf

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import match_suite as suite  # the benchmark's interfaces, not a copy of them


def _pairs(query: lf.LocalFeatures, ref: lf.LocalFeatures) -> np.ndarray:
    knn = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(query.descriptors, ref.descriptors, k=2)
    return np.array([(m[0].queryIdx, m[0].trainIdx) for m in knn if len(m) == 2
                     and m[0].distance <= lf.MAX_DESCRIPTOR_DISTANCE and m[0].distance < lf.RATIO * m[1].distance],
                    dtype=np.int64).reshape(-1, 2)


PHOTOS = {"window": "P1000827.jpg", "bridge": "ocsp.jpg", "ribbons": "IMG_0003.jpg", "coast": "no_alg.jpg",
          "earth": "earth_apollo17.jpg", "text": "no_manifest.jpg"}  # distinct pictures (C*.jpg are one gradient)


@pytest.fixture(scope="module")
def photos(corpus: Path) -> dict[str, np.ndarray]:
    return {name: cv2.cvtColor(cv2.imread(str(corpus / "c2pa" / f)), cv2.COLOR_BGR2RGB) for name, f in PHOTOS.items()}


def _frame(photo: np.ndarray, seed: int) -> np.ndarray:
    """A 854x480 frame of a slow pan over the photograph, as the benchmark's clips start."""
    return suite.ken_burns(photo, 0.04, seed)[0]


def _as_reference(rgb: np.ndarray) -> lf.LocalFeatures:
    h, w = rgb.shape[:2]
    s = 512 / max(h, w)
    features = lf.extract(cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA))
    assert features is not None
    return features


def _verify(query_rgb: np.ndarray, ref: lf.LocalFeatures) -> lf.Verification | None:
    query = lf.extract(query_rgb, lf.QUERY_FEATURES, spread=True)
    assert query is not None
    return lf.verify(query, ref, _pairs(query, ref))


@pytest.mark.parametrize("photo", ["window", "bridge"])
def test_reposts_of_the_picture_verify(photos: dict[str, np.ndarray], photo: str) -> None:
    """A 25% crop, a news overlay, the picture turned a quarter, and the picture inside a phone app all verify."""
    frame = _frame(photos[photo], 1)
    ref = _as_reference(frame)
    crop = suite.e_crop25([frame], np.random.default_rng(3), [])[0]
    for edited in (crop, suite.e_overlay([frame], np.random.default_rng(0), [])[0],
                   np.ascontiguousarray(np.rot90(frame)), suite.phone_app([frame])[0]):
        v = _verify(edited, ref)
        assert v is not None and v.inliers >= lf.MIN_INLIERS
    turned = _verify(np.ascontiguousarray(np.rot90(frame)), ref)
    assert turned is not None and abs(abs(turned.angle) - 90) < 2


@pytest.mark.parametrize(("indexed", "other"), [("window", "ribbons"), ("bridge", "coast")])
def test_other_footage_in_the_same_interface_is_refused(photos: dict[str, np.ndarray], indexed: str,
                                                        other: str) -> None:
    """An indexed phone-app repost and unrelated footage in the same app share ~50 interface keypoints: refused.

    Before the reference-support check such fits passed with 51-52 inliers, enough for one keypoint frame to
    report "published before" on its own (matching.STRONG_INLIERS).
    """
    ref = _as_reference(suite.phone_app([_frame(photos[indexed], 1)])[0])
    query = lf.extract(suite.phone_app([_frame(photos[other], 2)])[0], lf.QUERY_FEATURES, spread=True)
    assert query is not None
    g = lf.measure(query, ref, _pairs(query, ref))
    assert g is not None and g.inliers >= lf.MIN_INLIERS  # the interface does line up
    assert g.ref_support < lf.MIN_REF_SUPPORT
    assert lf.verify(query, ref, _pairs(query, ref)) is None


@pytest.mark.slow
def test_unrelated_photographs_do_not_verify(photos: dict[str, np.ndarray]) -> None:
    """Photographs of other scenes never verify against each other, in either direction."""
    names = list(photos)
    frames = {n: _frame(photos[n], i) for i, n in enumerate(names)}
    refs = {n: _as_reference(f) for n, f in frames.items()}
    for a in names:
        for b in names:
            if a != b:
                assert _verify(frames[a], refs[b]) is None, (a, b)


def test_an_interface_around_the_footage_is_masked_a_still_scene_is_not() -> None:
    """Reference keypoints that stay put across its keypoint frames (an app's interface around changing footage)
    are not indexed; a shot of a still scene keeps every keypoint (mask_static)."""
    import cv2
    import skimage.data as data

    from provenance.visual.local_features import extract, mask_static

    frame_ui = cv2.resize(data.astronaut(), (512, 512))  # the "interface": the same picture around every frame
    inner = (slice(128, 384), slice(128, 384))
    footage = [data.coffee(), data.chelsea(), data.rocket(), data.immunohistochemistry()]
    frames = []
    for i, photo in enumerate(footage):
        rgb = frame_ui.copy()
        rgb[inner] = cv2.resize(photo, (256, 256))
        frames.append((float(i), extract(rgb)))
    masked = mask_static(frames)

    def inside(f) -> np.ndarray:  # the footage and 20 px around it (an ORB patch there still sees the footage)
        p = f.points
        return (p[:, 0] >= 108) & (p[:, 0] < 404) & (p[:, 1] >= 108) & (p[:, 1] < 404)

    for (_t, before), (_t2, after) in zip(frames, masked, strict=True):
        # measured: 169-218 interface keypoints, 49-80 left (ORB keeps its strongest 500 per frame, so some
        # interface corners are not found in enough of the other frames); footage keeps 92-95%
        assert (~inside(after)).sum() < 0.4 * (~inside(before)).sum()  # most of the interface's keypoints go
        assert inside(after).sum() >= 0.85 * inside(before).sum()  # the footage's stay
    still = [(float(i), extract(frame_ui)) for i in range(4)]  # a tripod shot of a still scene
    assert [len(f.points) for _t, f in mask_static(still)] == [len(f.points) for _t, f in still]
