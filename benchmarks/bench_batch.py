"""Batch throughput on a local Dask cluster: files per minute with one and with two workers, same folder.

Issue 20's acceptance: ``batch --workers 2`` gives at least 1.7x the files per minute of ``--workers 1`` on 2
cores (12 clips, standard pipeline), with identical reports, and no stage over its budget. This prints exactly
that, last, on one ACCEPTANCE line.

Each run verifies the folder from scratch (fresh report folder; the known-imagery index is the bundled sample
references, indexed once) with ``provenance.batch.run_batch``. Two figures per run:
  total   wall time of the whole batch: cluster start, discovery, hashing, verification, links, summary (the
          files per minute a user gets: the acceptance figure)
  verify  the verification phase alone (first task submitted to last report written)
Reports are compared file by file with the first run's, every field but those that differ run to run whatever
the workers (``VOLATILE``: when it was made, how long stages took, the seal over those); a stage over its budget
is a stage error naming the time budget, or a section whose ``budget_exhausted`` is set, or a speech region not
transcribed for time. On a shared machine the figures are noisy: run with ``--repeat`` and read the best; the
load average before and after is printed with them, and the CPU seconds of each run (this process and the
cluster's): equal CPU for one and two workers means the second worker wastes nothing (no spinning, no
oversubscription), whatever the machine's load does to the wall time.

Usage: python benchmarks/bench_batch.py [DIR ...] [--pipeline standard] [--workers 1 2] [--repeat 1]
Default folders: sample_media/ and ../shared/corpus/video/ (12 media files).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

from provenance import KnownImageryIndex, Workspace
from provenance.batch import BatchOptions, Progress, run_batch

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIRS = [ROOT / "sample_media", ROOT.parent / "shared" / "corpus" / "video"]
# report fields that differ between two runs of the same file on the same machine: when, how long, the seal
VOLATILE = {"created_at", "timings", "integrity", "real_time_factor"}


def index_samples(ws: Workspace) -> None:
    index = KnownImageryIndex(ws)
    known = ROOT / "sample_media" / "known"
    for ref in tomllib.loads((known / "references.toml").read_text())["reference"]:
        index.add([known / ref["file"]], id=ref["id"], title=ref["title"], first_seen=ref["first_seen"])


def comparable(value: Any) -> Any:
    """A report's JSON without the VOLATILE fields, at any depth."""
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    return value


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Paths at which two comparable reports differ (the first few matter: they say what moved)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [path or "."]


def over_budget(report: dict) -> list[str]:
    """What in a report says a stage ran out of time."""
    found = [f"{e['stage']}: {e['message'][:80]}" for e in report.get("errors", []) if "budget" in e["message"]]

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            if value.get("budget_exhausted") is True:
                found.append(f"{path}: budget_exhausted")
            if value.get("transcribed") is False:
                found.append(f"{path}: a speech region not transcribed")
            for k, v in value.items():
                walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")

    walk(report, "")
    return found


def one_run(dirs: list[Path], pipeline: str, workers: int, ws: Workspace, scratch: Path
            ) -> tuple[int, float, float, dict[str, dict], float]:
    """(files verified, total seconds, verification-phase seconds, report JSON by file path, CPU seconds)."""
    marks: dict[str, float] = {}

    def on_progress(p: Progress) -> None:
        now = time.perf_counter()
        if p.phase == "verify":
            marks.setdefault("start", now)
            marks["end"] = now

    out = Path(tempfile.mkdtemp(dir=scratch, prefix=f"w{workers}-"))
    cpu0 = _cpu()
    t0 = time.perf_counter()
    result = run_batch(dirs, pipeline=pipeline, workspace=ws,
                       options=BatchOptions(out=out, workers=workers, redo=True), on_progress=on_progress)
    total = time.perf_counter() - t0
    marks["cpu"] = _cpu() - cpu0
    reports = {}
    for item in result.items:
        if item.report and item.action != "duplicate":
            reports[item.path] = json.loads((out / item.report / "report.json").read_text())
        else:
            reports[item.path] = {"status": item.status, "message": item.message}
    return result.counts.verified, total, marks["end"] - marks["start"], reports, marks["cpu"]


def _cpu() -> float:
    """CPU seconds of this process and its finished descendants (the cluster's nannies and workers, once closed)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dirs", nargs="*", type=Path, default=DEFAULT_DIRS)
    ap.add_argument("--pipeline", default="standard")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=1, help="runs per worker count; the best is reported")
    args = ap.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        scratch = Path(tmp)
        ws = Workspace(scratch / "ws")
        index_samples(ws)
        print(f"folders: {', '.join(map(str, args.dirs))}; pipeline {args.pipeline}; {len(os.sched_getaffinity(0))} "
              f"CPU cores; load average {load_before[0]:.1f} {load_before[1]:.1f} {load_before[2]:.1f}", flush=True)
        print(f"{'workers':>7}  {'files':>5}  {'total s':>8}  {'files/min':>9}  {'verify s':>8}  {'files/min':>9}  "
              f"{'CPU s':>7}  reports")
        best: dict[int, tuple[int, float, float]] = {}
        first: dict[str, dict] | None = None
        differing: dict[str, list[str]] = {}
        late: dict[str, list[str]] = {}
        for _ in range(args.repeat):
            for workers in args.workers:
                files, total, phase, reports, cpu = one_run(args.dirs, args.pipeline, workers, ws, scratch)
                if first is None:
                    first = reports
                moved = {Path(p).name: d for p, r in reports.items()
                         if (d := differences(comparable(first.get(p)), comparable(r)))}
                differing |= {f"{k} (workers {workers})": v for k, v in moved.items()}
                late |= {f"{Path(p).name} (workers {workers})": b for p, r in reports.items() if (b := over_budget(r))}
                print(f"{workers:>7}  {files:>5}  {total:>8.2f}  {60 * files / total:>9.1f}  {phase:>8.2f}  "
                      f"{60 * files / phase:>9.1f}  {cpu:>7.1f}  "
                      f"{'identical' if not moved else f'{len(moved)} differ'}", flush=True)
                if workers not in best or total < best[workers][1]:
                    best[workers] = (files, total, phase)
        for name, paths in differing.items():
            print(f"  differs: {name}: {', '.join(paths[:4])}{' ...' if len(paths) > 4 else ''}")
        for name, what in late.items():
            print(f"  over budget: {name}: {'; '.join(what[:3])}")
        load_after = os.getloadavg()
        lo, hi = args.workers[0], args.workers[-1]
        if lo != hi:
            (f1, t1, v1), (f2, t2, v2) = best[lo], best[hi]
            ratio = (f2 / t2) / (f1 / t1)
            print(f"ACCEPTANCE: --workers {hi} gives {ratio:.2f}x the files/min of --workers {lo} (best runs, whole "
                  f"batch; target >= 1.7; verify phase alone {(f2 / v2) / (f1 / v1):.2f}x); reports "
                  f"{'IDENTICAL' if not differing else f'DIFFER ({len(differing)})'}; stages over budget: "
                  f"{len(late) or 'none'}; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after "
                  f"({'noisy: the machine is shared' if max(load_before[0], load_after[0]) > 0.5 else 'quiet'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
