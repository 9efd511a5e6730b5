"""Frame sampling cost against plain decoding, in one process on one clip.

Builds a 60-s 1280x720 H.264 clip (x264 defaults: B-frames, keyframe every 250 frames) from the bundled
archive footage once, then times:
  baseline  PyAV decoding every frame (thread_type AUTO), nothing converted
  all+conv  decoding every frame, converting the ~1/s samples (what a naive sampler does)
  nonref    the sampler's decode alone (non-reference frames skipped, its threads), nothing looked at
  +shots    that decode with the shot detector's thumbnail of every decoded frame (frames.ShotDetector)
  sample    provenance.visual.frames.sample_video (non-reference frames skipped, shot-change thumbnails)
  hashes    sampling + PDQ (with mirror) + pHash
  visual    the whole visual stage as verify runs it (content boxes, keypoint frames, thumbnails, matching):
            against an index holding the clip's source (a reuse: matched by hashes), and against an index of
            unrelated footage only (no match: local features are tried on every keypoint frame, the worst case)
The steps run in rounds (``--rounds``, default 3), each round every step once in this order, so a change in the
machine's load falls on all of them alike; each step's ratio is taken to the same round's baseline, in wall time
and in CPU time (the process's, FFmpeg's decoder threads included: on a loaded machine the wall ratio swings
with what the other processes do, the CPU ratio much less). Prints per step the median ratio over the rounds
with its spread (min-max), the median seconds and frames decoded.
Usage: python benchmarks/bench_frames.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av

from provenance.config import load_pipeline
from provenance.media import probe
from provenance.report.model import Artefacts
from provenance.stage import Context
from provenance.visual.config import FramesConfig
from provenance.visual.frames import sample_video, target_size
from provenance.visual.hashing import fingerprint
from provenance.visual.index import KnownImageryIndex
from provenance.visual.stage import VisualStage
from provenance.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"


def build_clip(seconds: int = 60) -> Path:
    out = CACHE / f"bench_{seconds}s_720p.mp4"
    if out.exists():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    src = ROOT / "sample_media" / "known" / "archive_footage.mp4"
    frames = []
    with av.open(str(src)) as c:
        for f in c.decode(video=0):
            frames.append(f.reformat(width=1280, height=720, format="yuv420p"))
    tmp = out.with_suffix(".tmp.mp4")
    with av.open(str(tmp), "w") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 1280, 720, "yuv420p"
        s.options = {"preset": "veryfast", "crf": "23"}
        for i in range(seconds * 25):
            f = frames[i % len(frames)]
            f.pts, f.time_base = i, Fraction(1, 25)
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    tmp.rename(out)
    return out


def decode_all(path: Path, convert_every_s: float | None = None) -> int:
    n = 0
    next_t = 0.0
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        size = target_size(s.codec_context.width, s.codec_context.height)
        for f in c.decode(s):
            n += 1
            if convert_every_s and f.time >= next_t:
                f.to_ndarray(width=size[0], height=size[1], format="rgb24", interpolation="AREA")
                next_t += convert_every_s
    return n


def decode_nonref(path: Path, shots: float | None = None) -> int:
    """The sampler's decode (frames.video_stream: NONREF, its thread count) and, with ``shots`` (the shot
    threshold), its shot detector on every decoded frame: the parts of sample_video before any conversion."""
    from provenance.visual.frames import ShotDetector, _Demuxed, video_stream

    n = 0
    with video_stream(path, skip_frame="NONREF") as (container, stream):
        cut = ShotDetector(shots) if shots is not None else None
        for frame in _Demuxed(0.0, float(stream.time_base)).frames(container, stream):
            n += 1
            if cut is not None:
                cut(frame, float(frame.time or 0.0))
    return n


def _visual(media, pipeline, index):
    ctx = Context(media=media, pipeline=pipeline, workspace=index.workspace, index=index, config=pipeline.visual,
                  artefacts=Artefacts())
    return VisualStage().run(ctx)


def timed(fn) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result) of one call."""
    w0, c0 = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - w0, time.process_time() - c0, result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3, help="rounds of every step (default 3)")
    rounds = max(1, ap.parse_args().rounds)
    clip = build_clip()
    media = probe(clip)
    cfg = FramesConfig()
    pipeline = load_pipeline("standard")
    with tempfile.TemporaryDirectory() as tmp:
        reuse = KnownImageryIndex(Workspace(Path(tmp) / "reuse"))
        reuse.add([ROOT / "sample_media" / "known"], frames=pipeline.visual.frames, matching=pipeline.visual.matching)
        other = KnownImageryIndex(Workspace(Path(tmp) / "other"))
        unrelated = [ROOT / "sample_media" / "clips" / "unrelated.mp4",
                     ROOT / "sample_media" / "known" / "photo_coins.jpg"]
        other.add(unrelated, frames=pipeline.visual.frames, matching=pipeline.visual.matching)

        def frames_of(x: object) -> int:
            return x if isinstance(x, int) else x.frames_decoded

        steps = {
            "baseline (decode all)": lambda: decode_all(clip),
            "decode all + convert 1/s": lambda: decode_all(clip, cfg.interval_s),
            "decode NONREF (sampler's)": lambda: decode_nonref(clip),
            "decode NONREF + shot thumbs": lambda: decode_nonref(clip, cfg.shot_threshold),
            "sample_video (NONREF)": lambda: sample_video(clip, cfg),
            "sample + PDQ x2 + pHash": lambda: fingerprint(media, cfg, mirror=True),
            "visual stage, reuse (matched)": lambda: _visual(media, pipeline, reuse),
            "visual stage, no match (worst)": lambda: _visual(media, pipeline, other),
        }
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in steps}
        notes: dict[str, str] = {}
        decoded: dict[str, int] = {}
        for r in range(rounds):
            for name, fn in steps.items():
                wall, cpu, result = timed(fn)
                runs[name].append((wall, cpu))
                decoded[name] = frames_of(result)
                if hasattr(result, "matches"):
                    notes[name] = result.matches[0].reference_id if result.matches else "no match"
                elif hasattr(result, "frames"):
                    notes[name] = f"{len(result.frames)} sampled"
            print(f"round {r + 1}/{rounds}: " + ", ".join(
                f"{name.split(' (')[0]} {runs[name][-1][0] / runs['baseline (decode all)'][-1][0]:.2f}"
                for name in steps), file=sys.stderr)
    base = runs["baseline (decode all)"]
    print(f"clip: {clip.name}, {media.duration_s:.0f} s, {media.video.width}x{media.video.height}; {rounds} rounds")
    print(f"{'step':32} {'wall s':>7} {'wall ratio (min-max)':>21} {'CPU ratio (min-max)':>20} {'decoded':>8}  note")
    summary = {}
    for name in steps:
        wall = [w / b[0] for (w, _), b in zip(runs[name], base, strict=True)]
        cpu = [c / b[1] for (_, c), b in zip(runs[name], base, strict=True)]
        summary[name] = (statistics.median(wall), statistics.median(cpu))
        print(f"{name:32} {statistics.median(w for w, _ in runs[name]):7.2f} "
              f"{statistics.median(wall):6.2f} ({min(wall):.2f}-{max(wall):.2f})    "
              f"{statistics.median(cpu):5.2f} ({min(cpu):.2f}-{max(cpu):.2f})  {decoded[name]:8d}  "
              f"{notes.get(name, '')}")
    reuse_r, worst_r = summary["visual stage, reuse (matched)"], summary["visual stage, no match (worst)"]
    print(f"\nthe visual stage against a plain decode, median of {rounds}: {reuse_r[0]:.2f}x wall / "
          f"{reuse_r[1]:.2f}x CPU (reuse), {worst_r[0]:.2f}x wall / {worst_r[1]:.2f}x CPU (no match)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
