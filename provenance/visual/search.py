"""Hamming range search over binary hashes: every indexed hash within a distance of each query.

One structure for every binary signal type (signals.py): a FAISS ``IndexBinaryFlat``, a brute-force XOR and
popcount scan, exact; from ``HASH_IVF_MIN_ROWS`` hashes an inverted file (``IndexBinaryIVF``, ``binary_ivf``)
that scans ``HASH_IVF_NPROBE`` of its ``HASH_IVF_LISTS`` cells per query (issue 20).

Measured (2 cores, loaded, single-threaded; benchmarks/bench_scale.py and the figures below): the exact scan
costs ~5 ns per query hash and indexed hash, 2.3 s for the 480 PDQ hashes of a 60-s clip against 10^6
indexed, 3.3x the whole match() against the sample index. The inverted file, on the matching benchmark's dev
index (259 real matchable PDQ frames) inside 10^6 random hashes, 940 dev query hashes (mirrors included):
at PDQ's 31 bits, 1024 cells, nprobe 1 / 8 / 32 / 128 found 36% / 81% / 96% / 100% of the exact search's 184
pairs in 0.00x / 0.01x / 0.05x / 0.15x its time, after 17 s of training (then saved with the index's
derived files); inside 4x10^6, nprobe 32 / 64 / 128 / 256 found 92% / 97% / 98.9% / 100% in 0.04x / 0.07x /
0.09x / 0.17x the exact search's 21-32 s (build 35 s): nprobe 256, a quarter of the cells, is the setting.
Random fill does not cluster as real frames do: it makes the cells arbitrary for real hashes (pessimistic for
recall), and spreads rows evenly over them (optimistic for time). 184 pairs is a small sample: below the
crossover the search stays exact, since a missed frame can be a confident "No match".
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np

from provenance.threads import faiss_single_thread

HASH_IVF_MIN_ROWS = 2_000_000  # exact below: at 5 ns a pair, under 5 s for a 60-s clip's 480 query hashes
HASH_IVF_LISTS = 1024  # cells; FAISS trains them on 40 hashes each (17 s for 1024 on this machine)
HASH_IVF_NPROBE = 256  # cells scanned per query: 184/184 pairs at 31 bits in 4x10^6, 0.17x the exact scan's time
HASH_IVF_MIN_ENV = "PROVENANCE_HASH_IVF_MIN"  # overrides HASH_IVF_MIN_ROWS (benchmarks, tests)


def hash_ivf_min_rows() -> int:
    """Indexed hashes from which the hash search goes through the inverted file (``HASH_IVF_MIN_ENV`` first)."""
    value = os.environ.get(HASH_IVF_MIN_ENV, "").strip()
    return int(value) if value.isdigit() else HASH_IVF_MIN_ROWS


def wants_ivf(rows: int) -> bool:
    """Whether a search over ``rows`` hashes goes through the inverted file (never with too few to train it)."""
    return rows >= max(hash_ivf_min_rows(), HASH_IVF_LISTS * 40)


class HashSearch:
    """Binary hashes, searched exactly by Hamming distance.

    Built from a uint8 array of shape (n, bits // 8), one hash per row; ``range`` names indexed hashes by their
    row in it. n may be 0; a wrong dtype or shape is a ValueError. Exact below ``hash_ivf_min_rows()`` hashes,
    an inverted file from there (``exact`` says which).
    """

    def __init__(self, hashes: np.ndarray) -> None:
        hashes = _rows(hashes, None)
        if wants_ivf(len(hashes)):
            self._index = binary_ivf(hashes, HASH_IVF_LISTS, train_rows=HASH_IVF_LISTS * 40)
        else:
            self._index = faiss.IndexBinaryFlat(hashes.shape[1] * 8)
            if len(hashes):
                self._index.add(hashes)

    @property
    def exact(self) -> bool:
        """Whether every hash within the distance is found (the flat scan), not most (the inverted file)."""
        return not isinstance(self._index, faiss.IndexBinaryIVF)

    @classmethod
    def load(cls, path: Path) -> HashSearch:
        """A search saved by ``save``, memory-mapped; raises RuntimeError (FAISS) when missing or unreadable.

        Mapped, not read (FAISS's ``IO_FLAG_MMAP_IFC``: the flat codes stay in the file): loading costs no time
        and no private memory whatever the archive's size, the pages a search touches are the page cache's,
        shared by every process that searches the same file (batch workers) and given back under memory
        pressure. Measured on 3x10^6 hashes (96 MB): load 0.27-0.42 s and +92 MB private memory read, 0.000 s
        and +0 MB mapped; a search of 300 hashes then maps the file's 96 MB (file-backed, not private). A file
        replaced on disk (``os.replace``, as the derived files are) leaves a mapped search reading the old one.
        ``IO_FLAG_MMAP`` alone still copies binary flat codes into private memory (FAISS 1.15).
        """
        search = cls.__new__(cls)
        search._index = faiss.read_index_binary(str(path), getattr(faiss, "IO_FLAG_MMAP_IFC", 0))
        return search

    def save(self, path: Path) -> None:
        """Write the hashes to ``path`` (FAISS's binary index format); raises RuntimeError when it cannot."""
        faiss.write_index_binary(self._index, str(path))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def nbytes(self) -> int:
        """Bytes per hash."""
        return int(self._index.code_size)

    def range(self, queries: np.ndarray, max_distance: int) -> list[tuple[int, int, int]]:
        """(query row, indexed row, Hamming distance) for every pair at distance <= ``max_distance``.

        ``queries`` is uint8 of shape (m, bits // 8), the indexed hashes' width (ValueError otherwise). Pairs
        come grouped by query row, in ascending query order; within a query the order is FAISS's.
        """
        queries = _rows(queries, self.nbytes)
        if not len(self) or not len(queries):
            return []
        faiss_single_thread()  # per calling thread: stages run in threads of their own (provenance/threads.py)
        if not self.exact:
            self._index.nprobe = min(HASH_IVF_NPROBE, self._index.nlist)
        # range_search keeps distances strictly below the radius; it returns uint64 limits and float32 distances
        limits, distances, rows = self._index.range_search(queries, max_distance + 1)
        query_rows = np.repeat(np.arange(len(queries)), np.diff(limits).astype(np.int64))
        return list(zip(query_rows.tolist(), rows.tolist(), distances.astype(np.int64).tolist(), strict=True))


def _rows(hashes: np.ndarray, nbytes: int | None) -> np.ndarray:
    """``hashes`` as a C-contiguous uint8 (n, nbytes) array, or ValueError naming the shape it has."""
    if hashes.dtype != np.uint8 or hashes.ndim != 2 or not hashes.shape[1] or nbytes not in (None, hashes.shape[1]):
        want = f"(n, {nbytes})" if nbytes else "(n, bits // 8)"
        raise ValueError(f"hashes must be a uint8 array of shape {want}, got {hashes.dtype} {hashes.shape}")
    return np.ascontiguousarray(hashes)


def binary_ivf(vectors: np.ndarray, lists: int, *, train_rows: int, seed: int = 0) -> faiss.IndexBinaryIVF:
    """An inverted file over binary vectors (uint8 rows): ``lists`` Hamming k-means cells, trained on a sample.

    Trained on ``train_rows`` rows drawn at random (``seed``: the same vectors give the same index) from
    ``vectors``, then filled with all of them in row order, so that FAISS's row ids are rows of ``vectors``.
    FAISS trains binary k-means as float k-means over the unpacked bits; it wants at least 39 rows per list.
    Searches set ``nprobe`` (how many nearest cells are scanned) on the returned index.
    """
    vectors = _rows(vectors, None)
    faiss_single_thread()
    quantizer = faiss.IndexBinaryFlat(vectors.shape[1] * 8)
    index = faiss.IndexBinaryIVF(quantizer, vectors.shape[1] * 8, lists)
    rng = np.random.default_rng(seed)
    sample = vectors[np.sort(rng.choice(len(vectors), min(len(vectors), train_rows), replace=False))]
    index.train(sample)
    index.add(vectors)
    return index
