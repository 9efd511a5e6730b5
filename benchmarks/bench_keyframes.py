"""`provenance keyframes` against a plain decode of the same clip, in one process (issue 19: within 1.2x).

The clip is bench_frames' 60-s 1280x720 H.264 clip (built once from the bundled archive footage, cached). Runs
alternate: a plain decode of every frame (PyAV, thread_type AUTO, nothing converted: bench_frames' baseline) and
``visual.keyframes.extract`` (shot detection, full-resolution JPEG keyframes, contact sheet, index page, all
written to a new folder). Prints wall and CPU seconds (all threads: the machine is shared, so CPU is the steadier
figure) of each run, and the best and median ratio. Usage: python benchmarks/bench_keyframes.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_frames import build_clip, decode_all
from provenance.visual.keyframes import extract


def timed(fn) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    clip = build_clip(60)
    decode_all(clip)  # warm the file cache and the codec libraries
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            base = timed(lambda: decode_all(clip))
            kept: list = []
            ours = timed(lambda kept=kept: kept.append(extract(clip, Path(tmp))))
            rows.append((base, ours, len(kept[0].frames)))
            print(f"decode {base[0]:.2f} s wall {base[1]:.2f} s CPU | keyframes {ours[0]:.2f} s wall {ours[1]:.2f} s "
                  f"CPU ({rows[-1][2]} frames) | ratio wall {ours[0] / base[0]:.2f} CPU {ours[1] / base[1]:.2f}")
    for i, what in ((0, "wall"), (1, "CPU")):
        ratios = [o[i] / b[i] for b, o, _ in rows]
        print(f"{what}: best {min(ratios):.2f}x, median {statistics.median(ratios):.2f}x of a plain decode")


if __name__ == "__main__":
    main()
