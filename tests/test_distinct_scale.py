"""The sort-based stand-ins for ``np.unique`` on arrays that grow with the archive (issue 20) give its results.

``np.unique(..., axis=0)`` on 10^7 frame rows took 14-20 s (record sort) and NumPy >= 2.3's hash-table path for
1-D integers 4-7 s on 10^6 values; search.distinct_counts / distinct_pairs / run_starts / sorted_unique replaced
them in reference coverage (frame_counts, index_files._count), shard planning and keypoint voting. Same answers
or the coverage denominators and the shortlist change: compared here against ``np.unique`` itself.
"""

from __future__ import annotations

import numpy as np

from provenance.visual import search


def _frame_rows(rng: np.random.Generator, n: int, refs: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame rows as the index holds them: int32 reference rows (not all in order), times in s at 0.5 s steps
    with repeats (a reference's content-box hash shares its frame's time, hashing.ReferenceBox), -0.0 and 0.0."""
    ref = rng.integers(0, refs, n).astype(np.int32)
    times = rng.integers(0, 400, n) / 2.0
    times[rng.random(n) < 0.01] = -0.0
    return ref, times


def test_distinct_counts_are_numpys_moments_per_reference() -> None:
    rng = np.random.default_rng(20)
    ref, times = _frame_rows(rng, 200_000, 3_000)
    ref_before, times_before = ref.copy(), times.copy()
    moments = np.unique(np.column_stack([ref.astype(np.float64), times]), axis=0)
    expected = np.bincount(moments[:, 0].astype(np.int64), minlength=3_100)
    got = search.distinct_counts(ref, times, 3_100)
    assert np.array_equal(got, expected)
    assert len(got) == 3_100 and got[3_000:].sum() == 0  # references without rows count 0 moments
    assert np.array_equal(ref, ref_before) and np.array_equal(times, times_before)  # the mapped files stay as read
    assert search.distinct_counts(np.zeros(0, np.int32), np.zeros(0), 4).tolist() == [0, 0, 0, 0]


def test_distinct_pairs_and_run_starts_are_numpys() -> None:
    rng = np.random.default_rng(21)
    slot = rng.integers(0, 40_000, 150_000).astype(np.int32)  # keypoint frames, many stored once for copies
    ref = rng.integers(0, 2**31 - 1, 150_000).astype(np.int32) % 5_000
    expected = np.unique(np.column_stack([slot.astype(np.int64), ref]), axis=0)
    pairs = search.distinct_pairs(slot, ref)
    assert np.array_equal(pairs, expected)
    _keys, first, count = np.unique(expected[:, 0], return_index=True, return_counts=True)
    starts, lengths = search.run_starts(pairs[:, 0])
    assert np.array_equal(starts, first) and np.array_equal(lengths, count)
    assert search.distinct_pairs(np.zeros(0, np.int32), np.zeros(0, np.int32)).shape == (0, 2)
    assert [a.tolist() for a in search.run_starts(np.zeros(0, np.int64))] == [[], []]
    big = search.distinct_pairs(np.array([2**31 - 1, 0], np.int32), np.array([2**31 - 1, 5], np.int32))
    assert big.tolist() == [[0, 5], [2**31 - 1, 2**31 - 1]]  # the int32 range packs into one int64 losslessly


def test_keypoint_voters_are_numpys() -> None:
    """One vote per query descriptor row and keypoint frame: 1,000 descriptors x 8 neighbours over 10^5 frames."""
    rng = np.random.default_rng(22)
    near = rng.random((1_000, 8)) < 0.6
    owner = rng.integers(0, 100_000, 2_000_000)
    rows = rng.integers(0, 2_000_000, (1_000, 8))
    rows[:, 1] = rows[:, 0]  # a descriptor's neighbours in the same frame: one vote, not two
    keys = np.nonzero(near)[0] * 100_000 + owner[rows[near]]
    assert np.array_equal(search.sorted_unique(keys.copy()), np.unique(keys))
