"""Multi-index hashing over memory-mapped tables: the flat scan's pairs, and a bounded share of the files resident.

At 10^7 indexed frames a clip's search touched nearly every page of 1.2 GB of mapped tables and kept them in the
process's resident memory (VmHWM 1.52 GB against the 1 GiB target, issue 20); each table's pages are now given
back once read (search.release). Real files, really mapped (index_files._map), in a fresh process for the peak.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from provenance.visual import search
from provenance.visual.index_files import _map
from provenance.visual.search import MIH_SLICES, HashSearch, MultiIndexHash, mih_bucket_bits, mih_tables

ROOT = Path(__file__).resolve().parents[1]


def _write_tables(folder: Path, hashes: np.ndarray) -> None:
    hashes.tofile(folder / "hashes.u8")
    for j in range(len(MIH_SLICES)):
        order, offsets = mih_tables(hashes, j)
        order.tofile(folder / f"order{j}.i32")
        offsets.tofile(folder / f"offsets{j}.i32")


def _mapped(folder: Path, rows: int) -> MultiIndexHash:
    hashes = _map(folder / "hashes.u8", np.uint8, rows * 32).reshape(-1, 32)
    orders = [_map(folder / f"order{j}.i32", np.int32, rows) for j in range(len(MIH_SLICES))]
    offsets = [_map(folder / f"offsets{j}.i32", np.int32, (1 << mih_bucket_bits(rows, j)) + 1)
               for j in range(len(MIH_SLICES))]
    return MultiIndexHash(hashes, orders, offsets)


def _queries(hashes: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indexed hashes with 0-40 random bits flipped (some within the match threshold, some beyond), and noise."""
    picked = hashes[rng.choice(len(hashes), n, replace=False)].copy()
    bits = np.unpackbits(picked, axis=1)
    for row, flips in zip(bits, rng.integers(0, 41, n), strict=True):
        row[rng.choice(256, flips, replace=False)] ^= 1
    return np.concatenate([np.packbits(bits, axis=1), rng.integers(0, 256, (20, 32), dtype=np.uint8)])


def test_mapped_multi_index_hashing_gives_the_flat_scans_pairs(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(20)
    hashes = rng.integers(0, 256, (200_000, 32), dtype=np.uint8)
    _write_tables(tmp_path, hashes)
    mih = _mapped(tmp_path, len(hashes))
    queries = _queries(hashes, 300, rng)
    flat = HashSearch(hashes)
    monkeypatch.setattr(search, "MIH_QUERY_CHUNK", 128)  # several chunks of queries
    monkeypatch.setattr(search, "MIH_HASH_WINDOW", 1 << 14)  # and of hashes, each released after its check
    for distance, at_least in ((0, 1), (8, 40), (31, 200), (32, 200)):
        q, r, d = mih.range(queries, distance)
        want = sorted(flat.range(queries, distance))
        assert list(zip(q.tolist(), r.tolist(), d.tolist(), strict=True)) == want  # sorted by query, then row
        assert len(want) >= at_least  # queries 0-40 bits from their row: about (distance + 1) / 41 find it
    with pytest.raises(ValueError):
        mih.range(queries, 33)


_PEAK = """
import json, sys
from pathlib import Path
import numpy as np
sys.path.insert(0, sys.argv[2])
from test_search_mapped import _mapped, _queries
from provenance.visual import search
from provenance.visual.search import HashSearch

search.MIH_HASH_WINDOW = 1 << 18  # 8 MB of hashes a window: 2x10^6 rows are 8 windows, as 10^7 are 10 of 32 MB

def status(key):
    return int(Path("/proc/self/status").read_text().split(key + ":")[1].split()[0]) / 1024

folder, rows = Path(sys.argv[1]), int(sys.argv[3])
mih = _mapped(folder, rows)
queries = _queries(np.asarray(mih.hashes), 480, np.random.default_rng(5))  # a 60-s clip's queries
np.asarray(queries)
before = status("VmHWM")
q, r, d = mih.range(queries, 31)
peak = status("VmHWM") - before
flat = sorted(HashSearch(np.fromfile(folder / "hashes.u8", np.uint8).reshape(-1, 32)).range(queries, 31))
print(json.dumps({"peak_mb": peak, "file_mb": status("RssFile"), "pairs": len(q),
                  "same": list(zip(q.tolist(), r.tolist(), d.tolist())) == flat}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_a_search_does_not_keep_the_mapped_tables_resident(tmp_path: Path) -> None:
    """2x10^6 rows: 240 MB of hashes and tables, nearly every page touched by 480 queries; the search's peak
    resident memory grows by about one slice's tables or one window of hashes, not by the files."""
    rows = 2_000_000
    rng = np.random.default_rng(7)
    _write_tables(tmp_path, rng.integers(0, 256, (rows, 32), dtype=np.uint8))
    files_mb = sum(p.stat().st_size for p in tmp_path.iterdir()) / 2**20
    out = subprocess.run([sys.executable, "-c", _PEAK, str(tmp_path), str(Path(__file__).parent), str(rows)],
                         capture_output=True, text=True, check=True, timeout=300,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["same"] and found["pairs"] >= 200  # the flat scan's pairs (queries within 31 bits find theirs)
    assert files_mb > 230
    assert found["peak_mb"] < 0.4 * files_mb, found  # kept mapped, the search added them all (~290 MB)


def test_sorted_unique_gives_numpys_distinct_values() -> None:
    """The multi-index candidates' de-duplication (search.sorted_unique, which replaced np.unique's hash table)."""
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 5_000, 20_000)  # ~4x repeated, like a candidate found in several slices
    assert np.array_equal(search.sorted_unique(keys.copy()), np.unique(keys))
    assert search.sorted_unique(np.zeros(0, np.int64)).tolist() == []
    assert search.sorted_unique(np.array([7], np.int64)).tolist() == [7]
