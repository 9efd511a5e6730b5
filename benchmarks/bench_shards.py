"""Sharded search (provenance.visual.sharded) against one process, at a size: identical matches, time, memory.

The index: the sample references (sample_media/known) topped up with random PDQ frames (``--frames``) and random
keypoint frames (``--keypoint-frames``), as benchmarks/bench_scale.py fills it (random fill never matches: the
real references decide the matches; the fill sets the cost). The query: bench_scale's cropped 60-s 720p clip
(every keypoint frame goes to the keypoint search), plus its uncropped original (hash hits).

For one process and for ``--shards`` shards on as many local Dask workers, prints match() time per query
(best of ``--repeats``), whether the match lists are identical (every field), each shard's cold start (cutting
its own derived files from the workspace's when this state has none, else mapping them), private table bytes,
mapped file bytes and worker RSS, and the search cost per query hash x indexed frame of its own and per query
descriptor x searched descriptor of its own that the 10^8-frame sizing is made from. Workers share the machine's
2 cores here: per-shard query time is measured, the cluster's wall time is not what N machines would give.

Usage: python benchmarks/bench_shards.py [--frames 1000000] [--keypoint-frames 1000] [--shards 2] [--repeats 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import shutil
import sys
import time
from pathlib import Path

import numpy as np
from bench_scale import _base_workspace, _crop_clip, _fill_keypoint_frames
from bench_search import fill

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"


def _workspace(frames: int, keypoint_frames: int) -> Path:
    root = CACHE / f"shards-{frames}-{keypoint_frames}"
    if root.exists():
        return root
    tmp = root.with_name(root.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    _base_workspace(tmp)
    rng = np.random.default_rng(20)
    fill(tmp / "provenance.db", frames, rng)
    _fill_keypoint_frames(tmp / "provenance.db", keypoint_frames, rng)
    tmp.rename(root)
    return root


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=1_000_000)
    ap.add_argument("--keypoint-frames", type=int, default=1_000)
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()

    from provenance.batch.model import BatchOptions
    from provenance.batch.run import dask_client
    from provenance.config import load_pipeline
    from provenance.media import probe
    from provenance.visual.index import KnownImageryIndex
    from provenance.visual.matching import match
    from provenance.visual.sharded import sharded_index
    from provenance.visual.stage import query_fingerprint
    from provenance.workspace import Workspace

    from bench_frames import build_clip

    t = time.perf_counter()
    ws = Workspace(_workspace(args.frames, args.keypoint_frames))
    cropped = CACHE / "bench_60s_720p_cropped.mp4"
    clips = [build_clip(60), cropped if cropped.exists() else _crop_clip(cropped)]
    print(f"index and clips ready in {time.perf_counter() - t:.0f} s ({ws.root.name})", flush=True)
    cfg = load_pipeline("standard").visual
    fps = [query_fingerprint(probe(c), cfg) for c in clips]

    def timed(index: KnownImageryIndex) -> tuple[list[float], list[list[dict]]]:
        best = [float("inf")] * len(fps)
        out: list[list[dict]] = []
        for _ in range(args.repeats):
            out = []
            for i, fp in enumerate(fps):
                t = time.perf_counter()
                matches, _ = match(fp, index, cfg.matching)
                best[i] = min(best[i], time.perf_counter() - t)
                out.append([dataclasses.asdict(m) for m in matches])
        return best, out

    single = KnownImageryIndex(ws)
    t = time.perf_counter()
    single.state(cfg.matching.min_quality)
    match(fps[0], single, cfg.matching)
    match(fps[1], single, cfg.matching)
    single_load = time.perf_counter() - t
    one_t, one = timed(single)
    frames = single.matchable_frames(cfg.matching.min_quality)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"one process: {frames} matchable frames; first match (tables loaded) {single_load:.2f} s; match() "
          f"uncropped {one_t[0]:.3f} s, cropped {one_t[1]:.3f} s; peak RSS {rss:.0f} MiB", flush=True)

    t = time.perf_counter()
    with dask_client(BatchOptions(workers=args.shards)) as client:
        sharded = sharded_index(client, ws, args.shards)
        sharded.state(cfg.matching.min_quality)
        started = time.perf_counter() - t
        many_t, many = timed(sharded)
        infos = sharded.infos()
        # one shard's own search cost, on its worker: the figure a node of a real cluster pays per query
        per_shard = [min((_shard_cost(s, fps, cfg) for _ in range(args.repeats)), key=lambda c: c[0] + c[1])
                     for s in sharded.shards]  # best of the repeats: the machine is shared
        searched_total = sharded.shards[0].searched_total().result()
    same = many == one
    print(f"{args.shards} shards on {args.shards} local Dask workers (cluster up and shards loaded in "
          f"{started:.1f} s): match() uncropped {many_t[0]:.3f} s, cropped {many_t[1]:.3f} s; matches "
          f"{'IDENTICAL' if same else 'DIFFERENT'} to one process ({[len(m) for m in one]} matches)")
    for n, (info, cost) in enumerate(zip(infos, per_shard, strict=True)):
        print(f"  shard {n}: {info.frames} frames, {info.keypoint_frames} keypoint frames, {info.descriptors} "
              f"searched descriptors; opened in {info.load_s:.2f} s (its own files cut in {info.cut_s:.2f} s of "
              f"it; 0: mapped), private tables {info.table_bytes / 2**20:.1f} "
              f"MiB, derived files mapped {info.mapped_bytes / 2**20:.0f} MiB, worker RSS after opening "
              f"{info.rss_bytes / 2**20:.0f} MiB (peak {info.peak_rss_bytes / 2**20:.0f} MiB); its searches for "
              f"the two clips: PDQ {cost[0]:.3f} s ({cost[2]} query hashes), keypoints {cost[1]:.3f} s "
              f"({cost[3]} query descriptors)")
    # each shard searches its own rows and descriptors (its own derived files): cost per unit of its share
    pdq_ns = 1e9 * sum(c[0] for c in per_shard) / max(1, per_shard[0][2] * sum(i.frames for i in infos))
    kp_ns = 1e9 * sum(c[1] for c in per_shard) / max(1, per_shard[0][3] * sum(i.descriptors for i in infos))
    print(f"per-unit figures: PDQ search {pdq_ns:.3f} ns per query hash x indexed frame; keypoint search "
          f"{kp_ns:.3f} ns per query descriptor x searched descriptor (each shard over its own share; "
          f"{searched_total} searched descriptors in all)")
    return 0 if same else 1


def _shard_cost(shard: object, fps: list, cfg: object) -> tuple[float, float, int, int]:
    """Seconds one shard spends on the two clips' hash queries and the cropped clip's keypoint neighbours."""
    from provenance.visual.signals import PDQ

    hashes = [f.hashes.pdq for fp in fps for f in fp.frames if f.hashes.quality >= PDQ.min_quality]
    q = np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(-1, PDQ.nbytes)
    t = time.perf_counter()
    shard.search(q, PDQ.max_distance).result()
    pdq_s = time.perf_counter() - t
    feats = [f.keypoint_features() for f in fps[1].frames if f.keypoint_frame]
    feats = [f for f in feats if f is not None]
    t = time.perf_counter()
    for n, f in enumerate(feats):
        shard.neighbours(f"bench-{n}", f, 8).result()
    kp_s = time.perf_counter() - t
    if feats:  # a shard keeps the last query's features for its verification: let them go
        shard.verify_chosen(f"bench-{len(feats) - 1}", []).result()
    return pdq_s, kp_s, len(q), sum(len(f.descriptors) for f in feats)


if __name__ == "__main__":
    sys.exit(main())
