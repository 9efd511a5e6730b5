"""Hamming range search over binary hashes: every indexed hash within a distance of each query, exactly.

Two exact structures for every binary signal type (signals.py):
  - ``HashSearch``: a FAISS ``IndexBinaryFlat``, a brute-force XOR and popcount scan; ~5 ns per query hash and
    indexed hash on this machine (2.3 s for a 60-s clip's 480 PDQ hashes against 10^6 indexed, 28.5 s at 10^7);
  - ``MultiIndexHash``: multi-index hashing (Norouzi, Punjani and Fleet, "Fast search in Hamming space with
    multi-index hashing", CVPR 2012), from ``hash_mih_min_rows()`` indexed hashes. A 256-bit hash is cut into
    ``len(MIH_SLICES)`` (11) disjoint bit slices of 23-24 bits; a hash within ``max_distance`` <= 32 of a query
    differs from it by at most 2 bits in at least one slice (pigeonhole: 11 slices each 3 bits or more off are
    33 bits or more off), so looking up every slice value within 2 bits of the query's (277-301 per slice,
    3,119 in all) in a table of rows sorted by that slice finds every hash within the distance, and a full
    popcount of those candidates keeps exactly those. Nothing is approximate: same pairs as the flat scan.
    Measured, 480 queries 8% of bits off random indexed hashes (2 cores, load 4-13): 0.41 s at 10^6 against the
    flat scan's 3.2 s, 1.64 s at 10^7 against 28.5 s, the same 472 and 478 pairs; 16-bit slices within 1 bit
    (16 tables) took 7.6 s at 10^7 (152 rows a bucket: 20x the candidates). Tables are plain arrays, saved as
    files and memory-mapped (index_files.py): 4 bytes per hash and slice for the row order, and bucket offsets
    addressed by about log2(rows) leading bits of each slice (``mih_bucket_bits``: 92 MB at 2x10^6, 448 MB from
    ~10^7). Below ``HASH_MIH_MIN_ROWS`` the flat scan is as fast and needs no tables.
The inverted file that came before it for PDQ (FAISS ``IndexBinaryIVF``, 256 of 1024 cells probed) was 4x faster
than the flat scan at 10^7 (7.3 s) and approximate; it stays for ORB keypoint descriptors (``binary_ivf``), whose
votes are a shortlist checked by RANSAC, not the match itself.
"""

from __future__ import annotations

import itertools
import mmap
import os
from pathlib import Path

import faiss
import numpy as np

from provenance.threads import faiss_single_thread

# flat below: bench_scale --crossover (one process, alternating, load 6-15): flat/multi-index 0.38-0.46x at 10^5,
# 1.06-1.28x at 3x10^5, 1.09-1.66x at 5x10^5, 2.9-5.2x at 10^6, 19x at 10^7 (DESIGN.md, issue 20)
HASH_MIH_MIN_ROWS = 500_000
HASH_MIH_MIN_ENV = "PROVENANCE_HASH_MIH_MIN"  # overrides HASH_MIH_MIN_ROWS (benchmarks, tests)
MIH_SLICES = (23,) * 8 + (24,) * 3  # bits per slice, 256 in all; slices in bit order from the first byte's MSB
MIH_SLICE_RADIUS = 2  # bits looked up around each query slice: exact for max_distance <= 11 * 3 - 1
MIH_MAX_DISTANCE = len(MIH_SLICES) * (MIH_SLICE_RADIUS + 1) - 1  # 32: PDQ matches at <= 31 (signals.PDQ)
# query hashes looked up at once: bounds the candidate arrays (~3,700 candidates a query at 10^7 rows: ~60 MB of
# keys and rows for a chunk) and is more than a 60-s clip's 480, so a clip maps each table once
MIH_QUERY_CHUNK = 2048
MIH_HASH_WINDOW = 1 << 20  # candidate rows checked per window of the hashes (32 MB mapped at most, then released)
_CHECK_BLOCK = 1 << 18  # candidates whose hashes are gathered and compared at once
_FAULT_AROUND = 64 * 1024  # Linux maps up to 16 cached pages around a faulting one (fault_around_bytes)


def hash_mih_min_rows() -> int:
    """Indexed hashes from which the hash search goes through multi-index hashing (``HASH_MIH_MIN_ENV`` first)."""
    value = os.environ.get(HASH_MIH_MIN_ENV, "").strip()
    return int(value) if value.isdigit() else HASH_MIH_MIN_ROWS


def wants_mih(rows: int) -> bool:
    """Whether a search over ``rows`` 256-bit hashes goes through multi-index hashing (the tables pay off)."""
    return rows >= max(1, hash_mih_min_rows())


def _slice_starts() -> list[int]:
    return [int(x) for x in np.cumsum((0, *MIH_SLICES[:-1]))]


def slice_keys(hashes: np.ndarray, slice_no: int) -> np.ndarray:
    """The value of bit slice ``slice_no`` of each 256-bit hash (uint8 rows of 32), as int64."""
    start, bits = _slice_starts()[slice_no], MIH_SLICES[slice_no]
    words = np.ascontiguousarray(hashes).view(">u8")  # bit 0 = the first byte's most significant bit
    word, offset = divmod(start, 64)
    if offset + bits <= 64:
        out = (words[:, word] >> np.uint64(64 - offset - bits)) & np.uint64((1 << bits) - 1)
    else:
        high, low = 64 - offset, bits - (64 - offset)
        out = ((words[:, word] & np.uint64((1 << high) - 1)) << np.uint64(low)) | (words[:, word + 1]
                                                                                     >> np.uint64(64 - low))
    return out.astype(np.int64)


def _flips(bits: int) -> np.ndarray:
    """Every XOR mask of up to MIH_SLICE_RADIUS set bits within ``bits`` bits."""
    masks = [sum(1 << b for b in combo) for r in range(MIH_SLICE_RADIUS + 1)
             for combo in itertools.combinations(range(bits), r)]
    return np.array(masks, np.int64)


def mih_bucket_bits(rows: int, slice_no: int) -> int:
    """Leading bits of a slice that address its bucket offsets: about log2(rows) (a row or two a bucket), at most
    the slice's width. Fewer bits than the slice only widen buckets (more candidates, all checked in full): a
    small index keeps small tables (offsets are 4 bytes x 2^bits)."""
    return int(min(MIH_SLICES[slice_no], max(10, int(np.ceil(np.log2(max(rows, 2)))))))


def mih_tables(hashes: np.ndarray, slice_no: int) -> tuple[np.ndarray, np.ndarray]:
    """(row order sorted by the slice's bucket, int32; bucket offsets into it, int32, 2^bucket_bits + 1)."""
    bucket_bits = mih_bucket_bits(len(hashes), slice_no)
    keys = slice_keys(hashes, slice_no) >> (MIH_SLICES[slice_no] - bucket_bits)
    order = np.argsort(keys, kind="stable").astype(np.int32)
    offsets = np.zeros((1 << bucket_bits) + 1, np.int32)
    np.cumsum(np.bincount(keys, minlength=1 << bucket_bits), out=offsets[1:])
    return order, offsets


class MultiIndexHash:
    """Exact Hamming range search (``max_distance`` <= MIH_MAX_DISTANCE) over 256-bit hashes by multi-index hashing.

    ``hashes`` (uint8, (n, 32)) and the per-slice ``orders`` and ``offsets`` (``mih_tables``) may be memory-mapped:
    a search reads the buckets its queries fall in and the candidate rows' hashes, nothing else.
    """

    def __init__(self, hashes: np.ndarray, orders: list[np.ndarray], offsets: list[np.ndarray]) -> None:
        if hashes.dtype != np.uint8 or hashes.ndim != 2 or hashes.shape[1] * 8 != sum(MIH_SLICES):
            raise ValueError(f"multi-index hashing takes uint8 (n, 32) hashes, got {hashes.dtype} {hashes.shape}")
        if len(orders) != len(MIH_SLICES) or len(offsets) != len(MIH_SLICES):
            raise ValueError("one row order and one offset table per slice")
        self.hashes, self.orders, self.offsets = hashes, orders, offsets
        self._flips = {bits: _flips(bits) for bits in set(MIH_SLICES)}
        # bits each slice's probes drop to address its bucket (mih_bucket_bits)
        self._shift = [bits - (len(o) - 1).bit_length() + 1 for bits, o in zip(MIH_SLICES, offsets, strict=True)]

    @classmethod
    def build(cls, hashes: np.ndarray) -> MultiIndexHash:
        tables = [mih_tables(hashes, j) for j in range(len(MIH_SLICES))]
        return cls(hashes, [t[0] for t in tables], [t[1] for t in tables])

    def __len__(self) -> int:
        return len(self.hashes)

    def range(self, queries: np.ndarray, max_distance: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query rows, indexed rows, distances) of every pair at distance <= ``max_distance``, sorted by query
        then indexed row. ValueError beyond MIH_MAX_DISTANCE (the pigeonhole no longer holds).

        Table by table, so that a process never holds more of the mapped files than one table's pages: for
        ``MIH_QUERY_CHUNK`` queries at a time, each slice's bucket offsets and row order are read for every
        query, then given back (``release``); the candidates of all slices, sorted by row, are then checked
        against the hashes ``MIH_HASH_WINDOW`` rows at a time, each window given back once checked. At 10^7
        rows a clip's 480 queries touch nearly every page of every table (1.5x10^6 random probes), so mapped
        and kept they made 1.2 GB of the process's resident memory (VmHWM 1.52 GB); this way at most one
        slice's tables (104 MB) or one window of hashes (32 MB) is mapped at once, and the pages stay in the
        page cache for the next search (and every other process).
        """
        if max_distance > MIH_MAX_DISTANCE:
            raise ValueError(f"multi-index hashing is exact up to {MIH_MAX_DISTANCE} bits, not {max_distance}")
        queries = _rows(queries, self.hashes.shape[1])
        empty = np.zeros(0, np.int64)
        if not len(self) or not len(queries):
            return empty, empty, empty
        out_q, out_r, out_d = [], [], []
        for begin in range(0, len(queries), MIH_QUERY_CHUNK):
            chunk = queries[begin:begin + MIH_QUERY_CHUNK]
            q, r, d = self._check(chunk, self._candidates(chunk), max_distance)
            out_q.append(q + begin)
            out_r.append(r)
            out_d.append(d)
        q, r, d = np.concatenate(out_q), np.concatenate(out_r), np.concatenate(out_d)
        order = np.lexsort((r, q))
        return q[order], r[order], d[order]

    def _candidates(self, chunk: np.ndarray) -> np.ndarray:
        """Every (row, query) whose slice lies within MIH_SLICE_RADIUS of the query's in some slice, as sorted
        unique keys ``row * len(chunk) + query``."""
        keys = []
        for j, bits in enumerate(MIH_SLICES):
            probes = (slice_keys(chunk, j)[:, None] ^ self._flips[bits][None, :]) >> self._shift[j]
            if self._shift[j]:  # several masks fall in one bucket: look it up once per query
                probes = np.sort(probes, axis=1)
                probes = np.where(np.diff(probes, axis=1, prepend=-1) == 0, -1, probes)
            valid = probes >= 0
            probes = np.where(valid, probes, 0)
            offsets = self.offsets[j]
            starts = offsets[probes].astype(np.int64)
            lengths = np.where(valid, offsets[probes + 1] - starts, 0).ravel()
            release(offsets)
            total = int(lengths.sum())
            if total:
                gather = np.repeat(starts.ravel() - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
                rows = self.orders[j][gather].astype(np.int64)
                release(self.orders[j])
                qrows = np.repeat(np.arange(len(chunk)), lengths.reshape(len(chunk), -1).sum(axis=1))
                keys.append(rows * len(chunk) + qrows)
        return sorted_unique(np.concatenate(keys)) if keys else np.zeros(0, np.int64)  # found in several slices: once

    def _check(self, chunk: np.ndarray, keys: np.ndarray, max_distance: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The candidates (``_candidates``' keys, sorted by row) within ``max_distance``: (query, row, distance)."""
        rows, qrows = np.divmod(keys, len(chunk))
        words, query_words = self.hashes.view(np.uint64), chunk.view(np.uint64)
        bounds = np.searchsorted(rows, np.arange(0, len(self) + MIH_HASH_WINDOW, MIH_HASH_WINDOW))
        out_q, out_r, out_d = [], [], []
        for w, (first, last) in enumerate(itertools.pairwise(bounds.tolist())):
            for a in range(first, last, _CHECK_BLOCK):  # bounds the gathered copies (4 x 8 MB)
                b = min(last, a + _CHECK_BLOCK)
                distances = np.bitwise_count(words[rows[a:b]] ^ query_words[qrows[a:b]]).sum(axis=1, dtype=np.int64)
                keep = distances <= max_distance
                out_q.append(qrows[a:b][keep])
                out_r.append(rows[a:b][keep])
                out_d.append(distances[keep])
            if last > first:
                release(self.hashes, w * MIH_HASH_WINDOW, (w + 1) * MIH_HASH_WINDOW)
        if not out_q:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(out_q), np.concatenate(out_r), np.concatenate(out_d)


def sorted_unique(keys: np.ndarray) -> np.ndarray:
    """The distinct values of a 1-D integer array, ascending; sorts ``keys`` in place (a fresh array is expected).

    Why not ``np.unique``: from NumPy 2.3 it finds distinct values through a hash table and sorts only those, which
    on a clip's ~10^6 multi-index candidate keys (random int64, a table far beyond the caches) took 4.4-6.6 s on 2
    loaded cores against 0.16-0.26 s for a sort and a neighbour comparison (NumPy 2.4.6, measured 2026-12-01,
    issue 20): it made multi-index hashing slower than the flat scan at 10^5-10^6 rows.
    """
    keys.sort()
    if len(keys) < 2:
        return keys
    keep = np.empty(len(keys), bool)
    keep[0] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys[keep]


def distinct_counts(groups: np.ndarray, values: np.ndarray, minlength: int) -> np.ndarray:
    """Per group id (non-negative int32: a reference's row), how many distinct ``values`` (e.g. frame times, s)
    its rows carry; ``minlength`` entries at least. The same counts as ``np.unique`` of the (group, value) rows
    with ``axis=0`` and a ``np.bincount`` of the first column; neither argument is modified.

    How: the values are ranked (sorted_unique, then a binary search), each row packed into one int64
    ``group * len(levels) + rank`` (below 2^62 for int32 groups and up to 2^31 rows) and those sorted once.
    Why: ``np.unique(..., axis=0)`` sorts the rows as records, which on 10^7 frame rows took 18-20 s on 2
    loaded cores against 2.4-3.4 s this way (NumPy 2.4.6, measured 2026-12-01, issue 20; ``np.lexsort`` of the
    two columns alone took 3.4-4.9 s).
    """
    if not len(groups):
        return np.zeros(minlength, np.int64)
    levels = sorted_unique(np.array(values))
    keys = np.asarray(groups).astype(np.int64) * len(levels) + np.searchsorted(levels, values)
    return np.bincount(sorted_unique(keys) // len(levels), minlength=minlength)


def distinct_pairs(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The distinct (first, second) rows of two non-negative int32-range integer columns as an (n, 2) int64
    array, sorted by first then second: what ``np.unique(np.column_stack([first, second]), axis=0)`` gives.

    Why: that record sort took 14 s on 10^7 rows against 0.8 s for one int64 key per row through sorted_unique
    (NumPy 2.4.6, measured 2026-12-01 on 2 loaded cores, issue 20).
    """
    keys = sorted_unique((np.asarray(first).astype(np.int64) << 32) | np.asarray(second).astype(np.int64))
    return np.column_stack([keys >> 32, keys & 0xFFFFFFFF])


def run_starts(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal values starts in an ascending 1-D array, and how long it is: ``np.unique``'s
    ``return_index`` and ``return_counts`` for an array already sorted, without sorting it again."""
    if not len(sorted_keys):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]]))
    return starts, np.diff(np.append(starts, len(sorted_keys)))


def release(array: np.ndarray, start: int = 0, stop: int | None = None) -> None:
    """Give back this process's pages of rows [start, stop) of a memory-mapped array (``madvise(MADV_DONTNEED)``
    on a read-only shared file mapping: the page-table entries go, the pages stay in the page cache, and the next
    touch maps them again without reading the disk). Nothing for an array in memory.

    Why: pages of a mapped file that a process touched count in its resident memory (VmHWM) until it unmaps
    them, though they are the page cache's (shared, dropped under memory pressure); a search that touches
    nearly every page of 1.2 GB of tables once per clip needs none of them after (search.MultiIndexHash).
    """
    mapped = array.base
    while isinstance(mapped, np.ndarray):
        mapped = mapped.base
    if isinstance(mapped, memoryview):  # np.frombuffer(mmap) keeps a memoryview of it
        mapped = mapped.obj
    if not isinstance(mapped, mmap.mmap) or not len(array) or not len(mapped):
        return
    row_bytes = array.strides[0]
    first = array.__array_interface__["data"][0] - np.frombuffer(mapped, np.uint8, 1).__array_interface__["data"][0]
    stop = len(array) if stop is None else min(stop, len(array))
    begin = (first + start * row_bytes) // mmap.PAGESIZE * mmap.PAGESIZE
    end = min(len(mapped), first + stop * row_bytes + _FAULT_AROUND)  # pages mapped around the last fault too
    begin = max(0, begin - _FAULT_AROUND)
    if end > begin:
        mapped.madvise(mmap.MADV_DONTNEED, begin, end - begin)


class HashSearch:
    """Binary hashes, searched exactly by Hamming distance (a flat scan).

    Built from a uint8 array of shape (n, bits // 8), one hash per row; ``range`` names indexed hashes by their
    row in it. n may be 0; a wrong dtype or shape is a ValueError.
    """

    def __init__(self, hashes: np.ndarray) -> None:
        hashes = _rows(hashes, None)
        self._index = faiss.IndexBinaryFlat(hashes.shape[1] * 8)
        if len(hashes):
            self._index.add(hashes)

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


def binary_ivf(vectors: np.ndarray, lists: int, *, train_rows: int, seed: int = 0,
               sampled: bool = False) -> faiss.IndexBinaryIVF:
    """An inverted file over binary vectors (uint8 rows): ``lists`` cells, then filled with all of them in row
    order, so that FAISS's row ids are rows of ``vectors``.

    Cells: Hamming k-means trained on ``train_rows`` rows drawn at random (``seed``: the same vectors give the same
    index; FAISS trains binary k-means as float k-means over the unpacked bits and wants at least 39 rows per
    list), or with ``sampled``, ``lists`` distinct rows drawn at random taken as the cells as they are (no
    training: k-means costs grow with cells^2, local_features.IVF_KMEANS_MAX_LISTS). Searches set ``nprobe``
    (how many nearest cells are scanned) on the returned index.
    """
    vectors = _rows(vectors, None)
    faiss_single_thread()
    quantizer = faiss.IndexBinaryFlat(vectors.shape[1] * 8)
    index = faiss.IndexBinaryIVF(quantizer, vectors.shape[1] * 8, lists)
    rng = np.random.default_rng(seed)
    if sampled and len(vectors) >= lists:
        quantizer.add(np.ascontiguousarray(vectors[np.sort(rng.choice(len(vectors), lists, replace=False))]))
        index.is_trained = True
    else:
        sample = vectors[np.sort(rng.choice(len(vectors), min(len(vectors), train_rows), replace=False))]
        index.train(sample)
    for start in range(0, len(vectors), 1 << 20):  # a mapped array is read a part at a time
        index.add(np.ascontiguousarray(vectors[start:start + (1 << 20)]))
    return index
