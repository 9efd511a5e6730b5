"""Batch throughput on a local Dask cluster: files per minute with one and with two workers, same folder.

Each run verifies the folder from scratch (fresh report folder; the known-imagery index is the bundled sample
references, indexed once) with ``provenance.batch.run_batch``. Two figures per run:
  total   wall time of the whole batch: cluster start, discovery, hashing, verification, links, summary
  verify  the verification phase alone (first task submitted to last report written): the scaling figure
Prints files per minute for each worker count and the ratio of the last to the first. On a shared or small
machine the figures are noisy: run with --repeat and read the best.

Usage: python benchmarks/bench_batch.py [DIR ...] [--pipeline quick] [--workers 1 2] [--repeat 1]
Default folders: sample_media/ and ../shared/corpus/video/ (12 media files).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from provenance import KnownImageryIndex, Workspace
from provenance.batch import BatchOptions, Progress, run_batch

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIRS = [ROOT / "sample_media", ROOT.parent / "shared" / "corpus" / "video"]


def index_samples(ws: Workspace) -> None:
    index = KnownImageryIndex(ws)
    known = ROOT / "sample_media" / "known"
    for ref in tomllib.loads((known / "references.toml").read_text())["reference"]:
        index.add([known / ref["file"]], id=ref["id"], title=ref["title"], first_seen=ref["first_seen"])


def one_run(dirs: list[Path], pipeline: str, workers: int, ws: Workspace, scratch: Path) -> tuple[int, float, float]:
    """(files verified, total seconds, verification-phase seconds)."""
    marks: dict[str, float] = {}

    def on_progress(p: Progress) -> None:
        now = time.perf_counter()
        if p.phase == "verify":
            marks.setdefault("start", now)
            marks["end"] = now

    out = Path(tempfile.mkdtemp(dir=scratch, prefix=f"w{workers}-"))
    t0 = time.perf_counter()
    result = run_batch(dirs, pipeline=pipeline, workspace=ws,
                       options=BatchOptions(out=out, workers=workers, redo=True), on_progress=on_progress)
    total = time.perf_counter() - t0
    return result.counts.verified, total, marks["end"] - marks["start"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dirs", nargs="*", type=Path, default=DEFAULT_DIRS)
    ap.add_argument("--pipeline", default="quick")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=1, help="runs per worker count; the best is reported")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        scratch = Path(tmp)
        ws = Workspace(scratch / "ws")
        index_samples(ws)
        print(f"folders: {', '.join(map(str, args.dirs))}; pipeline {args.pipeline}; {os.cpu_count()} CPU cores")
        print(f"{'workers':>7}  {'files':>5}  {'total s':>8}  {'files/min':>9}  {'verify s':>8}  {'files/min':>9}")
        best: dict[int, tuple[int, float, float]] = {}
        for _ in range(args.repeat):
            for workers in args.workers:
                files, total, phase = one_run(args.dirs, args.pipeline, workers, ws, scratch)
                print(f"{workers:>7}  {files:>5}  {total:>8.2f}  {60 * files / total:>9.1f}  {phase:>8.2f}  "
                      f"{60 * files / phase:>9.1f}", flush=True)
                if workers not in best or phase < best[workers][2]:
                    best[workers] = (files, total, phase)
        first, last = args.workers[0], args.workers[-1]
        if first != last:
            (_, t1, v1), (_, t2, v2) = best[first], best[last]
            print(f"ratio {last} vs {first} workers (best runs): total {t1 / t2:.2f}x, verify phase {v1 / v2:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
