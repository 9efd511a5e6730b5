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


# PDQ of skimage's astronaut at half size (astronaut()[::2, ::2], 256x256) as ThreatExchange's reference Python
# hasher computes it (pdq/python/pdqhashing: PDQHasher.pdqHash256FromFloatLuma, Hash256.__str__), run on the same
# pixels once (evidence for DESIGN.md "PDQ bit order"); the bit-reversed hex provenance wrote before migration 11
# is 120 bits away from it
THREATEXCHANGE_ASTRONAUT = "4d6b1af3ad56cf29c79ca352506fa83494196c899edd04de0a26b855fc99b724"


def test_pdq_hex_is_threatexchanges_for_a_real_photograph() -> None:
    from skimage import data

    pdq, quality = PDQ.compute(np.ascontiguousarray(data.astronaut()[::2, ::2]))
    assert pdq.hex() == THREATEXCHANGE_ASTRONAUT and quality == 100
    assert PDQ.distance(PDQ.reverse_bits(pdq), pdq) == 120  # the order provenance used before: far apart


def test_pdq_packs_pdqhash_vectors_most_significant_bit_first() -> None:
    """pdqhash's vector holds ThreatExchange's bit 255 first (``hash_to_vector`` ends with ``[::-1]``); the hex
    writes bit 255 first (``Hash256`` word 15 first), so element i is bit 255 - i of the number."""
    for i, hex_ in ((0, "8" + "0" * 63), (15, "0001" + "0" * 60), (255, "0" * 63 + "1")):
        bits = np.zeros(256, dtype=np.uint8)
        bits[i] = 1
        assert PDQ.pack(bits).hex() == hex_
        assert PDQ.reverse_bits(PDQ.pack(bits)) == PDQ.pack(bits[::-1])


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
