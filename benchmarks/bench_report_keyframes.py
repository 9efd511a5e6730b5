"""What the report's keyframes folder costs a verify: the same run with ``[visual.keyframes]`` on and off.

The clip is bench_frames' 60-s 1280x720 H.264 clip (built once from the bundled archive footage, cached), matched
against an index of the bundled known imagery (it reuses it). Runs alternate: ``verify`` with the quick profile
(visual + metadata: the stages that decode pictures; audio and on-screen text cost the same either way) and the
keyframes off, then on, each written as a report folder (``write_report``). Prints per run the visual stage's
wall seconds, the whole verify + write in wall and CPU seconds (all threads: the machine is shared, so CPU is
the steadier figure), and the bytes of the run folder and of its ``keyframes/``; then the medians and the ratios.
Usage: python benchmarks/bench_report_keyframes.py [--runs N]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_frames import ROOT, build_clip
from provenance.config import load_pipeline
from provenance.pipeline import verify
from provenance.report.writer import write_report
from provenance.visual.index import KnownImageryIndex
from provenance.workspace import Workspace


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    clip = build_clip(60)
    quick = load_pipeline("quick")
    visual = quick.stages["visual"]
    off = dataclasses.replace(quick, stages={**quick.stages, "visual": dataclasses.replace(
        visual, keyframes=dataclasses.replace(visual.keyframes, enabled=False))})
    rows: dict[str, list[tuple[float, float, float, int, int]]] = {"off": [], "on": []}
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp) / "ws")
        index = KnownImageryIndex(ws)
        index.add([ROOT / "sample_media" / "known"], frames=visual.frames, matching=visual.matching)
        verify(clip, pipeline=off, workspace=ws, index=index)  # warm caches, libraries, the index's search tables
        for run in range(args.runs):
            for label, pipeline in (("off", off), ("on", quick)):
                wall, cpu = time.perf_counter(), time.process_time()
                report = verify(clip, pipeline=pipeline, workspace=ws, index=index)
                folder = write_report(report, Path(tmp) / f"reports-{label}-{run}").resolve()
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                keys = folder / "keyframes"
                rows[label].append((report.timings["visual"], wall, cpu, folder_bytes(folder),
                                    folder_bytes(keys) if keys.exists() else 0))
                frames = len(report.visual.keyframes.frames) if report.visual.keyframes else 0
                print(f"keyframes {label:3}: visual {rows[label][-1][0]:.2f} s, verify+write {wall:.2f} s wall "
                      f"{cpu:.2f} s CPU, folder {rows[label][-1][3] / 1e6:.2f} MB (keyframes/ "
                      f"{rows[label][-1][4] / 1e6:.2f} MB, {frames} frames)")
    med = {k: [statistics.median(r[i] for r in v) for i in range(5)] for k, v in rows.items()}
    for i, what in ((0, "visual stage wall"), (1, "verify+write wall"), (2, "verify+write CPU")):
        print(f"{what}: off {med['off'][i]:.2f} s, on {med['on'][i]:.2f} s: +{med['on'][i] - med['off'][i]:.2f} s "
              f"({med['on'][i] / med['off'][i]:.2f}x)")
    print(f"run folder: off {med['off'][3] / 1e6:.2f} MB, on {med['on'][3] / 1e6:.2f} MB "
          f"(keyframes/ {med['on'][4] / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
