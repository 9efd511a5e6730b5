"""Frame sampling cost against plain decoding, in one process on one clip.

Builds a 60-s 1280x720 H.264 clip (x264 defaults: B-frames, keyframe every 250 frames) from the bundled
archive footage once, then times:
  baseline  PyAV decoding every frame (thread_type AUTO), nothing converted
  all+conv  decoding every frame, converting the ~1/s samples (what a naive sampler does)
  sample    provenance.visual.frames.sample_video (non-reference frames skipped, shot-change thumbnails)
  hashes    sampling + PDQ (with mirror) + pHash
  visual    the whole visual stage as verify runs it (content boxes, keypoint frames, thumbnails, matching):
            against an index holding the clip's source (a reuse: matched by hashes), and against an index of
            unrelated footage only (no match: local features are tried on every keypoint frame, the worst case)
Prints seconds, frames decoded and each ratio to the baseline. Usage: python benchmarks/bench_frames.py
"""

from __future__ import annotations

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


def _visual(media, pipeline, index):
    ctx = Context(media=media, pipeline=pipeline, workspace=index.workspace, index=index, config=pipeline.visual,
                  artefacts=Artefacts())
    return VisualStage().run(ctx)


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> int:
    clip = build_clip()
    media = probe(clip)
    cfg = FramesConfig()
    base_t, base_n = best_of(lambda: decode_all(clip))
    rows = [("baseline (decode all)", base_t, base_n, "")]
    t, n = best_of(lambda: decode_all(clip, cfg.interval_s))
    rows.append(("decode all + convert 1/s", t, n, ""))
    t, sample = best_of(lambda: sample_video(clip, cfg))
    rows.append(("sample_video (NONREF)", t, sample.frames_decoded, f"{len(sample.frames)} sampled"))
    t, fp = best_of(lambda: fingerprint(media, cfg, mirror=True))
    rows.append(("sample + PDQ x2 + pHash", t, fp.frames_decoded, f"{len(fp.frames)} hashed"))
    pipeline = load_pipeline("standard")
    with tempfile.TemporaryDirectory() as tmp:
        reuse = KnownImageryIndex(Workspace(Path(tmp) / "reuse"))
        reuse.add([ROOT / "sample_media" / "known"], frames=pipeline.visual.frames, matching=pipeline.visual.matching)
        other = KnownImageryIndex(Workspace(Path(tmp) / "other"))
        unrelated = [ROOT / "sample_media" / "clips" / "unrelated.mp4",
                     ROOT / "sample_media" / "known" / "photo_coins.jpg"]
        other.add(unrelated, frames=pipeline.visual.frames, matching=pipeline.visual.matching)
        for label, index in (("visual stage, reuse (matched)", reuse), ("visual stage, no match (worst)", other)):
            t, section = best_of(lambda index=index: _visual(media, pipeline, index))
            top = section.matches[0].reference_id if section.matches else "no match"
            rows.append((label, t, section.frames_decoded, top))
    print(f"clip: {clip.name}, {media.duration_s:.0f} s, {media.video.width}x{media.video.height}")
    print(f"{'step':34} {'seconds':>8} {'ratio':>6} {'decoded':>8}  note")
    for name, secs, frames, note in rows:
        print(f"{name:34} {secs:8.2f} {secs / base_t:6.2f} {frames:8d}  {note}")
    saved = 1 - sample.frames_decoded / base_n
    print(f"\nnon-reference skipping decodes {saved:.0%} fewer frames; sampling costs "
          f"{rows[2][1] / base_t:.2f}x a plain decode; the visual stage {rows[4][1] / base_t:.2f}x (reuse) and "
          f"{rows[5][1] / base_t:.2f}x (no match)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
