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

Where the cores go (issue 20: one worker already used ~1.3 cores of 2, which caps what a second can add):
  --threads      every run also samples its worker processes' threads (/proc, every 0.2 s) and prints their CPU
                 seconds by thread kind: FFmpeg's decoder threads (``av:*``: named by FFmpeg), the process's
                 other threads (Python's, Dask's, CTranslate2's OpenMP, OpenCV's: all named ``python``), each
                 with how many threads took more than 0.05 s, and the worker CPU over the batch's wall time.
  --stages       before the batch runs, verify the files one after the other in this process (what one worker
                 does, without Dask) and print per stage: wall seconds, CPU seconds of the whole process while it
                 ran (stages run one after the other, so the process's CPU is the stage's), their ratio (the
                 cores the stage kept busy; wall, so only on a quiet machine), the FFmpeg decoder threads' part
                 and that of every other thread but the busiest one (the stage's own): the native pools' helpers.
  --timeline     every run also prints which file ran on which worker and when (seconds from the batch's start),
                 each worker process's spawn, first task and last task, and the seconds a worker sat idle
                 between its spawn and the batch's last report (its start, gaps between tasks, the tail).
  --pool-workers N  size every native pool as if N workers shared the cores (threads.worker_environment(N))
                 whatever --workers is: ``--workers 1 --pool-workers 2`` is one worker with one thread per pool,
                 to see what the pools' second thread gives a lone worker.

Usage: python benchmarks/bench_batch.py [DIR ...] [--pipeline standard] [--workers 1 2] [--repeat 1]
       [--threads] [--stages] [--pool-workers N]
Default folders: sample_media/ and ../shared/corpus/video/ (12 media files).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import logging
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


def one_run(dirs: list[Path], pipeline: str, workers: int, ws: Workspace, scratch: Path, threads: bool = False,
            timeline: bool = False) -> tuple[int, float, float, dict[str, dict], float]:
    """(files verified, total seconds, verification-phase seconds, report JSON by file path, CPU seconds)."""
    marks: dict[str, float] = {}

    def on_progress(p: Progress) -> None:
        now = time.perf_counter()
        if p.phase == "verify":
            marks.setdefault("start", now)
            marks["end"] = now

    out = Path(tempfile.mkdtemp(dir=scratch, prefix=f"w{workers}-"))
    cpu0 = _cpu()
    t0, epoch0 = time.perf_counter(), time.time()
    with (ThreadSampler() if threads else contextlib.nullcontext() as sampler,
          Timeline() if timeline else contextlib.nullcontext() as tl):
        result = run_batch(dirs, pipeline=pipeline, workspace=ws,
                           options=BatchOptions(out=out, workers=workers, redo=True), on_progress=on_progress)
    total = time.perf_counter() - t0
    if sampler is not None:
        print(f"  --workers {workers}: {sampler.summary(total)}", flush=True)
    if tl is not None:
        print(tl.summary(epoch0, total), flush=True)
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


def _descendants(root: int) -> list[int]:
    """Every live process below ``root`` (the cluster's worker processes), from /proc's parent links."""
    parent: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parent[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [root]
    while todo:
        me = todo.pop()
        kids = [pid for pid, pp in parent.items() if pp == me]
        out += kids
        todo += kids
    return out


def _thread_cpu(pids: list[int]) -> dict[tuple[int, int], tuple[str, float]]:
    """CPU seconds (user + system) of every thread of ``pids``, by (pid, tid), with the thread's name."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                name, rest = task.joinpath("stat").read_text().split("(", 1)[1].rsplit(")", 1)
                fields = rest.split()
                out[(pid, int(task.name))] = (name, (int(fields[11]) + int(fields[12])) / tick)
            except (OSError, IndexError, ValueError):
                continue
    return out


class ThreadSampler:
    """Samples the worker processes' threads while a batch runs: each thread's last CPU seconds seen.

    A thread that ends between two samples loses at most 0.2 s of its CPU from the figures (its last sample is
    kept); the totals are checked against the run's CPU seconds (rusage of the finished workers)."""

    def __init__(self, every_s: float = 0.2, own: bool = False) -> None:
        import threading

        self.own = own  # this process's threads, not its descendants'
        self.seen: dict[tuple[int, int], tuple[str, float]] = {}
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> ThreadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self.every_s):
            self.seen |= _thread_cpu([me] if self.own else _descendants(me))

    def summary(self, wall: float) -> str:
        kinds: dict[str, list[float]] = {}
        for name, cpu in self.seen.values():
            kinds.setdefault("FFmpeg decoder (av:*)" if name.startswith("av:") else f"other ({name})", []).append(cpu)
        total = sum(sum(v) for v in kinds.values())
        parts = [f"{k}: {sum(v):.1f} s in {sum(c > 0.05 for c in v)} threads (busiest {max(v):.1f} s)"
                 for k, v in sorted(kinds.items())]
        return f"workers' threads: {total:.1f} CPU s over {wall:.1f} s wall = {total / wall:.2f} cores; " + \
            "; ".join(parts)


class Timeline(logging.Handler):
    """Collects ``provenance.batch.run.timeline`` records (one per file: worker, start, seconds) and the spawn time
    of every worker process (psutil, sampled every 0.1 s), for --timeline."""

    def __init__(self) -> None:
        import threading

        super().__init__(logging.DEBUG)
        self.rows: list[tuple[str, str, float, float]] = []
        self.spawned: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._logger = logging.getLogger("provenance.batch.run.timeline")

    def emit(self, record: logging.LogRecord) -> None:
        self.rows.append((record.file, record.worker, record.started_at, record.seconds))  # type: ignore[attr-defined]

    def __enter__(self) -> Timeline:
        self._saved = self._logger.level, self._logger.propagate
        self._logger.setLevel(logging.DEBUG)
        self._logger.propagate = False
        self._logger.addHandler(self)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._logger.removeHandler(self)
        self._logger.setLevel(self._saved[0])
        self._logger.propagate = self._saved[1]

    def _loop(self) -> None:
        import psutil

        while not self._stop.wait(0.1):
            for pid in _descendants(os.getpid()):
                if pid not in self.spawned:
                    with contextlib.suppress(psutil.Error):
                        self.spawned[pid] = psutil.Process(pid).create_time()

    def summary(self, epoch0: float, total: float) -> str:
        by_worker: dict[str, list[tuple[float, float, str]]] = {}
        for file, worker, start, seconds in self.rows:
            by_worker.setdefault(worker, []).append((start - epoch0, start - epoch0 + seconds, Path(file).name))
        lines = []
        last_end = max((e for rows in by_worker.values() for _s, e, _n in rows), default=0.0)
        for n, (worker, rows) in enumerate(sorted(by_worker.items()), start=1):
            rows.sort()
            pid = int(worker.rsplit(":", 1)[-1]) if worker.rsplit(":", 1)[-1].isdigit() else -1
            spawn = self.spawned.get(pid)
            gaps = sum(max(0.0, b[0] - a[1]) for a, b in itertools.pairwise(rows))
            busy = sum(e - s for s, e, _n in rows)
            lines.append(f"    worker {n} (pid {pid}): spawned at {spawn - epoch0:.1f} s, " if spawn else
                         f"    worker {n} ({worker}): spawn not seen, ")
            lines[-1] += (f"first task at {rows[0][0]:.1f} s, last done at {rows[-1][1]:.1f} s; {len(rows)} files, "
                          f"busy {busy:.1f} s, gaps between tasks {gaps:.1f} s, idle at the end "
                          f"{last_end - rows[-1][1]:.1f} s")
            lines += [f"      {s:6.1f} -> {e:6.1f}  ({e - s:5.1f} s)  {name}" for s, e, name in rows]
        head = f"  timeline (seconds from the batch's start; batch {total:.1f} s, last report at {last_end:.1f} s):"
        return "\n".join([head, *lines])


def stage_profile(dirs: list[Path], pipeline: str, ws: Workspace) -> None:
    """Verify each file one after the other in this process and print CPU against wall per stage (see --stages)."""
    import provenance.pipeline as pl
    from provenance.batch.discovery import discover

    rows: dict[str, list[float]] = {}
    slept = [0.0]  # the waits for the sampler, taken out of the wall time
    run_stage = pl._run_stage

    def timed(stage, ctx, report):  # the real stage, timed around: wall, process CPU, its threads' CPU
        seen0, c0, t0 = dict(sampler.seen), time.process_time(), time.perf_counter()
        run_stage(stage, ctx, report)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        time.sleep(0.25)  # the sampler's next look: threads that ended are counted at their last sample
        slept[0] += 0.25
        delta = {k: (n, c - seen0.get(k, (n, 0.0))[1]) for k, (n, c) in sampler.seen.items()}
        busy = sorted((c for n, c in delta.values() if not n.startswith("av:")), reverse=True)
        row = rows.setdefault(stage.name, [0.0, 0.0, 0.0, 0.0, 0.0])
        row[0] += wall
        row[1] += cpu
        row[2] += sum(c for n, c in delta.values() if n.startswith("av:"))  # FFmpeg's decoder threads
        row[3] += sum(busy[1:])  # every other thread but the busiest (the stage's own): pools, Dask, GC
        row[4] = max(row[4], sum(c > 0.05 for c in busy))

    index = KnownImageryIndex(ws)
    files = [c.path for c in discover(dirs).files]
    pl._run_stage = timed
    sampler = ThreadSampler(every_s=0.1, own=True)
    try:
        sampler.__enter__()
        c0, t0 = time.process_time(), time.perf_counter()
        for path in files:
            try:
                pl.verify(path, pipeline=pipeline, index=index)
            except Exception as exc:  # refused media: as batch reports it, not a stage
                print(f"  {Path(path).name}: {type(exc).__name__}")
        wall, cpu = time.perf_counter() - t0 - slept[0], time.process_time() - c0
    finally:
        pl._run_stage = run_stage
        sampler.__exit__()
    print(f"stages, {len(files)} files verified one after the other in one process (threads sized for "
          f"{os.environ.get('PROVENANCE_WORKERS', '1')} worker(s)): {wall:.1f} s wall, {cpu:.1f} CPU s, "
          f"{cpu / wall:.2f} cores")
    for name, (w, c, av, others, n) in rows.items():
        print(f"  {name:10} {w:7.1f} s wall {c:7.1f} CPU s  {c / w if w else 0:5.2f} cores  FFmpeg decoder threads "
              f"{av:5.1f} s, other threads but the busiest {others:5.1f} s (up to {n} threads over 0.05 s a file)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dirs", nargs="*", type=Path, default=DEFAULT_DIRS)
    ap.add_argument("--pipeline", default="standard")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=1, help="runs per worker count; the best is reported")
    ap.add_argument("--threads", action="store_true", help="CPU of the workers' threads by kind, per run")
    ap.add_argument("--timeline", action="store_true", help="per run, which file ran on which worker and when")
    ap.add_argument("--stages", action="store_true", help="first, CPU against wall per stage in one process")
    ap.add_argument("--pool-workers", type=int, help="size the native pools as if this many workers ran")
    args = ap.parse_args()
    if args.pool_workers:
        import provenance.batch.run as batch_run
        from provenance.threads import worker_environment

        batch_run.worker_environment = lambda workers: worker_environment(args.pool_workers)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        scratch = Path(tmp)
        ws = Workspace(scratch / "ws")
        index_samples(ws)
        if args.stages:
            stage_profile(args.dirs, args.pipeline, ws)
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
                files, total, phase, reports, cpu = one_run(args.dirs, args.pipeline, workers, ws, scratch,
                                                            args.threads, args.timeline)
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
