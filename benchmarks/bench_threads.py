"""Keypoint search under load: idle vs. while another CPU-bound process runs, per OpenMP thread setting.

Issue 20 measured the keypoint search on the sample index at 0.10-0.16 s idle and 13-21 s per clip while a
second CPU-bound process ran (OpenMP threads busy-waiting). This runs, for each setting a user might leave at its
default (nothing set: the project's defaults; ``OMP_WAIT_POLICY=ACTIVE``; ``OMP_NUM_THREADS`` = all cores), a
fresh child process that indexes the bundled known imagery, fingerprints a cropped repost of the archive
footage (hashes cannot explain it: every keypoint frame is searched), and times ``match()`` in a worker thread,
as the visual stage runs it: first idle, then with a competitor process burning every core (numpy matrix
products on all cores, as a second batch worker would). Prints per setting the median and range over repeats
and the loaded/idle ratio (target <= 1.5x).

Usage: python benchmarks/bench_threads.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {
    "defaults": {},
    "OMP_WAIT_POLICY=ACTIVE": {"OMP_WAIT_POLICY": "ACTIVE"},
    f"OMP_NUM_THREADS={os.cpu_count()}": {"OMP_NUM_THREADS": str(os.cpu_count())},
}
BURN = """
import os, time, numpy as np
a = np.random.default_rng(0).random((700, 700))
end = time.time() + float(os.environ["BURN_S"])
while time.time() < end:
    a = (a @ a) / 700.0
"""


def child(repeats: int, loaded_for: float) -> None:
    """In a fresh process: build the index and the query, then time match() idle and under a burner."""
    import threading

    import cv2

    from provenance.media import probe
    from provenance.visual.config import VisualConfig
    from provenance.visual.index import KnownImageryIndex
    from provenance.visual.matching import match
    from provenance.visual.stage import query_fingerprint
    from provenance.workspace import Workspace

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import read_frames, write_clip

    tmp = Path(tempfile.mkdtemp())
    index = KnownImageryIndex(Workspace(tmp / "ws"))
    index.add([ROOT / "sample_media" / "known"])
    frames, fps = read_frames(ROOT / "sample_media" / "known" / "archive_footage.mp4")
    h, w = frames[0].shape[:2]
    crop = [cv2.resize(f[int(h * .1):int(h * .85), 0:int(w * .7)], (w, h)) for f in frames]
    clip = write_clip(tmp / "cropped.mp4", crop, fps)
    cfg = VisualConfig()
    fp = query_fingerprint(probe(clip), cfg)

    def once() -> float:
        out: list[float] = []

        def work() -> None:
            start = time.perf_counter()
            matches, _ = match(fp, index, cfg.matching)
            out.append(time.perf_counter() - start)
            assert matches, "the cropped repost must match"

        t = threading.Thread(target=work)  # stages run in threads of their own
        t.start()
        t.join()
        return out[0]

    once()  # load the tables
    idle = [once() for _ in range(repeats)]
    burner = subprocess.Popen([sys.executable, "-c", BURN], env={**os.environ, "BURN_S": str(loaded_for)})
    time.sleep(1.0)
    loaded = [once() for _ in range(repeats)]
    burner.kill()
    burner.wait()
    print(json.dumps({"idle": idle, "loaded": loaded}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.repeats, 600.0)
        return 0
    print(f"keypoint search (match() of a cropped repost vs the sample index), {os.cpu_count()} cores, "
          f"{args.repeats} repeats; a competitor process burns every core during 'loaded'")
    print(f"{'setting':<28}{'idle s (median, range)':<28}{'loaded s (median, range)':<28}loaded/idle")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "KMP_"))}
    for name, extra in SETTINGS.items():
        proc = subprocess.run([sys.executable, __file__, "--child", "--repeats", str(args.repeats)],
                              env={**base, **extra}, capture_output=True, text=True, timeout=1800)
        if proc.returncode:
            print(f"{name:<28}failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        idle, loaded = statistics.median(r["idle"]), statistics.median(r["loaded"])
        print(f"{name:<28}{idle:6.3f} ({min(r['idle']):.3f}-{max(r['idle']):.3f}){'':9}"
              f"{loaded:6.3f} ({min(r['loaded']):.3f}-{max(r['loaded']):.3f}){'':9}{loaded / idle:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
