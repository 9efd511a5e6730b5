"""What a stage budget costs: frame sampling run plainly against the same run under ``limits.run_with_budget``.

A budgeted stage runs in its own thread and checks its deadline once per decoded frame (``sample_video``); the
stage budgets are on by default, so this is paid on every verify. Times ``sample_video`` on the 60-s 720p clip of
``bench_frames.py`` (built once under benchmarks/.cache): ``plain`` in the calling thread with no deadline,
``budgeted`` under a 600-s budget (thread start, deadline checks), in alternating rounds so that the machine's
load falls on both alike. Prints the median seconds of each and the median budgeted/plain ratio with its spread
over the rounds (wall and CPU time). It replaced a test that timed the two (tests do not time things: it failed
under a concurrent load in a CI dry run, 0.18 s against 0.29 s).
Usage: python benchmarks/bench_budget.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time

from provenance.limits import run_with_budget
from provenance.visual.frames import sample_video

from bench_frames import build_clip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    args = parser.parse_args()
    clip = build_clip()
    runs: dict[str, list[tuple[float, float]]] = {"plain": [], "budgeted": []}
    for _ in range(args.rounds):
        for name, budget in (("plain", None), ("budgeted", 600.0)):
            wall, cpu = time.perf_counter(), time.process_time()
            outcome = run_with_budget(lambda: sample_video(clip), budget, "visual")
            runs[name].append((time.perf_counter() - wall, time.process_time() - cpu))
            assert outcome.error is None and outcome.value is not None, outcome.error
    for name, got in runs.items():
        wall, cpu = statistics.median(w for w, _ in got), statistics.median(c for _, c in got)
        print(f"{name:9s} wall {wall:6.3f} s  cpu {cpu:6.3f} s")
    for i, kind in enumerate(("wall", "cpu")):
        ratios = [b[i] / a[i] for a, b in zip(runs["plain"], runs["budgeted"], strict=True)]
        print(f"budgeted/plain {kind}: median {statistics.median(ratios):.3f}x"
              f" (range {min(ratios):.3f}-{max(ratios):.3f}, {args.rounds} rounds)")


if __name__ == "__main__":
    main()
