"""Signal types (PDQ, pHash) and the exact Hamming range search they share."""

from __future__ import annotations

from pathlib import Path

import imagehash
import numpy as np
import pytest
from PIL import Image

from provenance.visual.config import MatchingConfig
from provenance.visual.search import HashSearch
from provenance.visual.signals import PDQ, PHASH


def test_thresholds_live_on_the_signal_types() -> None:
    assert (PDQ.bits, PDQ.max_distance, PDQ.min_quality) == (256, 31, 50)
    assert (PHASH.bits, PHASH.max_distance, PHASH.min_quality) == (64, 10, None)
    assert (MatchingConfig().max_distance, MatchingConfig().min_quality) == (PDQ.max_distance, PDQ.min_quality)
    assert PDQ.usable(50) and not PDQ.usable(49) and PHASH.usable(None)


def test_pdq_packs_bits_in_threatexchange_order() -> None:
    """Bit i sits in 16-bit word i // 16 at position i % 16, the most significant word first."""
    for i, hex_ in ((0, "0" * 63 + "1"), (17, "0" * 56 + "0002" + "0" * 4), (255, "8" + "0" * 63)):
        bits = np.zeros(256, dtype=np.uint8)
        bits[i] = 1
        assert PDQ.pack(bits).hex() == hex_


def test_phash_is_imagehash_bit_for_bit_and_distances_are_hamming() -> None:
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (90, 160, 3), dtype=np.uint8)
    value, quality = PHASH.compute(rgb)
    assert value.hex() == str(imagehash.phash(Image.fromarray(rgb))) and quality is None
    pdq, quality = PDQ.compute(rgb)
    assert len(pdq) == 32 and 0 <= quality <= 100
    flipped = bytes(b ^ 0xFF for b in pdq[:2]) + pdq[2:]
    assert PDQ.distance(pdq, flipped) == PDQ.distance(flipped, pdq) == 16 and PDQ.distance(pdq, pdq) == 0
    with pytest.raises(ValueError, match="32 bytes"):
        PDQ.distance(pdq, value)


def _brute(hashes: np.ndarray, queries: np.ndarray, max_distance: int) -> set[tuple[int, int, int]]:
    d = np.unpackbits(queries[:, None, :] ^ hashes[None, :, :], axis=2).sum(axis=2)
    return {(int(q), int(r), int(d[q, r])) for q, r in zip(*np.nonzero(d <= max_distance), strict=True)}


@pytest.mark.parametrize("nbytes", [8, 32])
def test_range_search_is_exact_and_inclusive(nbytes: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(nbytes)
    hashes = rng.integers(0, 256, (300, nbytes), dtype=np.uint8)
    queries = hashes[:40].copy()
    for k, q in enumerate(queries):  # flip k % (bits // 2) bits: distances from 0 up to beyond any threshold
        bits = np.unpackbits(q)
        bits[rng.choice(len(bits), k % (len(bits) // 2), replace=False)] ^= 1
        queries[k] = np.packbits(bits)
    search = HashSearch(hashes)
    assert len(search) == 300
    for max_distance in (0, 5, 10, 31, nbytes * 8 // 2):
        found = search.range(queries, max_distance)
        assert len(found) == len(set(found)) and set(found) == _brute(hashes, queries, max_distance)
        assert all(type(x) is int for pair in found for x in pair)
        assert [q for q, _, _ in found] == sorted(q for q, _, _ in found)
    search.save(tmp_path / "hashes.faiss")
    assert HashSearch.load(tmp_path / "hashes.faiss").range(queries, 10) == search.range(queries, 10)


def test_range_search_edges() -> None:
    empty = HashSearch(np.zeros((0, 32), dtype=np.uint8))
    assert len(empty) == 0 and empty.range(np.zeros((3, 32), dtype=np.uint8), 31) == []
    search = HashSearch(np.zeros((2, 32), dtype=np.uint8))
    assert search.range(np.zeros((0, 32), dtype=np.uint8), 31) == []
    with pytest.raises(ValueError, match=r"\(n, 32\)"):
        search.range(np.zeros((1, 8), dtype=np.uint8), 31)
    with pytest.raises(ValueError):
        HashSearch(np.zeros((2, 32), dtype=np.int64))
