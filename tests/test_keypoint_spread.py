"""Query keypoints spread over a grid (local_features.spread_keypoints) on real photographs."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from provenance.visual import local_features as lf


def _grey(name: str) -> np.ndarray:
    img = getattr(data, name)()
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


@pytest.mark.parametrize("name", ["astronaut", "coffee", "camera", "text", "grass"])
def test_strongest_per_cell_in_first_seen_cell_order(name: str) -> None:
    grey = _grey(name)
    h, w = grey.shape
    found = lf._detector(lf.QUERY_FEATURES * 4).detect(grey, None)
    kept = lf.spread_keypoints(found, grey.shape, lf.QUERY_FEATURES)
    per_cell = lf.QUERY_FEATURES // lf.GRID**2

    def cell(k: cv2.KeyPoint) -> tuple[int, int]:
        return int(k.pt[0] * lf.GRID / w), int(k.pt[1] * lf.GRID / h)

    cells: dict[tuple[int, int], list[cv2.KeyPoint]] = {}
    for k in found:  # every cell in the order its first keypoint was detected, strongest first, ties as detected
        cells.setdefault(cell(k), []).append(k)
    expected = [k for ks in cells.values() for k in sorted(ks, key=lambda k: -k.response)[:per_cell]]
    assert [(k.pt, k.response) for k in kept] == [(k.pt, k.response) for k in expected]
    # a busy part of the picture does not take the share of a quiet one: no cell over its share, and a cell
    # with fewer keypoints than its share keeps them all
    counts = {c: sum(cell(k) == c for k in kept) for c in cells}
    assert all(counts[c] == min(per_cell, len(ks)) for c, ks in cells.items())
    assert len(kept) < len(found)


def test_no_keypoints() -> None:
    assert lf.spread_keypoints([], (100, 100), lf.QUERY_FEATURES) == []
    assert lf.extract(np.full((200, 300, 3), 128, np.uint8), lf.QUERY_FEATURES, spread=True) is None
