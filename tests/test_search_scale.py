"""The PDQ search's saved file is memory-mapped (issue 20): no private memory per process for the archive."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from provenance.visual.search import HashSearch


def _private_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("RssAnon:")[1].split()[0]) / 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_a_saved_search_is_mapped_not_copied_and_answers_as_the_built_one(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    hashes = rng.integers(0, 256, (1_000_000, 32), dtype=np.uint8)  # 32 MB of PDQ-sized hashes
    rows = rng.choice(len(hashes), 50, replace=False)
    queries = hashes[rows].copy()
    queries[:, 0] ^= 0b111  # 3 bits off each indexed hash
    built = HashSearch(hashes)
    path = tmp_path / "pdq.faiss"
    built.save(path)
    expected = sorted(built.range(queries, 31))
    del built, hashes

    before = _private_mb()
    loaded = HashSearch.load(path)
    assert _private_mb() - before < 8  # read into memory, it would take 32 MB more
    assert len(loaded) == 1_000_000 and sorted(loaded.range(queries, 31)) == expected
    assert {(q, int(r), 3) for q, r in enumerate(rows)} <= set(expected)  # each query finds its own hash

    # the derived files are replaced whole (os.replace): a search already mapped keeps answering from the old one
    HashSearch(queries).save(tmp_path / "new.faiss")
    os.replace(tmp_path / "new.faiss", path)
    assert sorted(loaded.range(queries, 31)) == expected
    assert len(HashSearch.load(path)) == 50
