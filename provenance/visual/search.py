"""Exact Hamming range search over binary hashes (FAISS binary flat index: a brute-force scan, no training).

Stub until the signal-types branch lands with the full module; the API is the agreed one.
"""

from __future__ import annotations

import faiss
import numpy as np

# FAISS's OpenMP threads busy-wait for each other on a loaded 2-core machine (see visual/index.py).
faiss.omp_set_num_threads(1)


class HashSearch:
    """``hashes``: uint8 array of shape (n, bytes per hash), e.g. (n, 32) for 256-bit PDQ."""

    def __init__(self, hashes: np.ndarray) -> None:
        hashes = np.ascontiguousarray(hashes, dtype=np.uint8)
        self._index = faiss.IndexBinaryFlat(hashes.shape[1] * 8)
        if len(hashes):
            self._index.add(hashes)

    def range(self, queries: np.ndarray, max_distance: int) -> list[tuple[int, int, int]]:
        """(query row, indexed row, Hamming distance) of every pair at distance <= ``max_distance``.

        Pairs come grouped by query row; within a query, in no particular order.
        """
        queries = np.ascontiguousarray(queries, dtype=np.uint8)
        if not self._index.ntotal or not len(queries):
            return []
        # range_search keeps distances strictly below the radius
        limits, distances, rows = self._index.range_search(queries, max_distance + 1)
        owner = np.repeat(np.arange(len(queries)), np.diff(limits).astype(np.int64))
        return list(zip(owner.tolist(), rows.tolist(), distances.tolist(), strict=True))
