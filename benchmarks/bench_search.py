"""Matching one 60-s clip against 10^4, 10^5 and 10^6 indexed frames: FAISS binary scan vs numpy popcount.

The index is filled with the frames of a real reference (the bundled archive footage) plus random PDQ hashes
(what the issue allows for scale). The query is a 60-s clip that reuses the archive footage, fingerprinted
once; then, at each size, in this one process:
  numpy     exact brute force: XOR and popcount over (N, 4) uint64 words, one query hash at a time
  faiss     the index's search over all query hashes at once (KnownImageryIndex.search: FAISS's flat
            range_search below search.HASH_MIH_MIN_ROWS, multi-index hashing beyond)
  match()   provenance.visual.matching.match end to end (hash search + alignment, local features off: a clean reuse)
  cold      the same in a new index object: the hashes mapped from the derived files (workspace/derived/pdq-q*/,
            index_files.py) that the first process after the fill brought up to date, as a fresh verify would
Prints seconds and each ratio to the numpy baseline. Usage: python benchmarks/bench_search.py [--max 1000000]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from provenance.config import load_pipeline
from provenance.media import probe
from provenance.visual.config import MatchingConfig
from provenance.visual.hashing import fingerprint
from provenance.visual.index import KnownImageryIndex
from provenance.visual.matching import match
from provenance.workspace import Workspace

from bench_frames import build_clip

ROOT = Path(__file__).resolve().parents[1]


def fill(db: Path, total: int, rng: np.random.Generator) -> None:
    """Top the index up to ``total`` frames with random hashes under fake references of 600 frames each."""
    conn = sqlite3.connect(db)
    have = conn.execute("SELECT COUNT(*) FROM frame").fetchone()[0]
    need = total - have
    with conn:
        for start in range(0, need, 600):
            rid = f"random_{have + start:08d}"
            n = min(600, need - start)
            conn.execute(
                "INSERT INTO reference (id, path, sha256, kind, frames, added_at) VALUES (?,?,?,?,?,?)",
                (rid, "/dev/null", "0" * 64, "video", n, "2026-01-01T00:00:00+00:00"),
            )
            hashes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
            conn.executemany(
                "INSERT INTO frame (reference_id, t, pdq, quality, phash) VALUES (?,?,?,?,?)",
                [(rid, float(i), hashes[i].tobytes(), 100, "0" * 16) for i in range(n)],
            )
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'index_generation'")
    conn.close()


def numpy_search(db: Path, queries: list[bytes], max_distance: int, min_quality: int) -> int:
    conn = sqlite3.connect(db)
    blob = b"".join(r[0] for r in conn.execute("SELECT pdq FROM frame WHERE quality >= ?", (min_quality,)))
    conn.close()
    words = np.frombuffer(blob, dtype=">u8").astype(np.uint64).reshape(-1, 4)
    t0 = time.perf_counter()
    q = np.frombuffer(b"".join(queries), dtype=">u8").astype(np.uint64).reshape(-1, 4)
    hits = 0
    for row in q:
        hits += int((np.bitwise_count(words ^ row).sum(axis=1) <= max_distance).sum())
    numpy_search.seconds = time.perf_counter() - t0  # type: ignore[attr-defined]
    return hits


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max", type=int, default=1_000_000)
    args = ap.parse_args()
    pipeline = load_pipeline("standard")
    cfg = MatchingConfig(local_features=False)
    clip = build_clip(60)
    fp = fingerprint(probe(clip), pipeline.visual.frames, mirror=True)
    queries = [h for f in fp.frames for h in (f.hashes.pdq, f.hashes.pdq_mirror)
               if f.hashes.quality >= cfg.min_quality]
    rng = np.random.default_rng(1)
    print(f"query: {clip.name}, {len(fp.frames)} frames, {len(queries)} hashes (with mirrors)")
    print(f"{'indexed':>9} {'numpy s':>8} {'faiss s':>8} {'ratio':>6} {'match() s':>9} {'ratio':>6} "
          f"{'cold s':>7} {'ratio':>6}  top match")
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(tmp)
        index = KnownImageryIndex(ws)
        index.add([ROOT / "sample_media" / "known" / "archive_footage.mp4"], id="archive",
                  frames=pipeline.visual.frames, matching=cfg)
        for size in (10**4, 10**5, 10**6):
            if size > args.max:
                break
            fill(ws.db_path, size, rng)
            numpy_search(ws.db_path, queries, cfg.max_distance, cfg.min_quality)
            base = numpy_search.seconds  # type: ignore[attr-defined]
            KnownImageryIndex(ws).frame_counts(cfg.min_quality)  # the first process after the fill appends the rows
            cold_index = KnownImageryIndex(ws)
            t0 = time.perf_counter()
            match(fp, cold_index, cfg)
            cold = time.perf_counter() - t0
            assert cold_index.stats().frames == size
            t0 = time.perf_counter()
            cold_index.search(queries, max_distance=cfg.max_distance, min_quality=cfg.min_quality)
            faiss_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            matches, _ = match(fp, cold_index, cfg)
            warm = time.perf_counter() - t0
            top = f"{matches[0].reference_id} {matches[0].query_coverage:.2f}" if matches else "none"
            print(f"{size:9d} {base:8.3f} {faiss_s:8.3f} {faiss_s / base:6.3f} {warm:9.3f} {warm / base:6.3f} "
                  f"{cold:7.3f} {cold / base:6.3f}  {top}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
