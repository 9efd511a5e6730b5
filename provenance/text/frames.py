"""The frames the text stage reads: every shot change and a frame every ``interval_s`` between them.

Shot changes are found as the visual stage finds them (``provenance.visual.frames``: a 32x18 grey thumbnail of
the luma plane every 0.2 s, a mean absolute difference >= ``[visual.frames] shot_threshold`` marks a cut), in
the stream itself, whatever the encoder did: a cut need not fall on a keyframe (a PyAV/libx264 clip of two
2-s shots has one keyframe, at 0 s; x264's scenecut only adds one when the new shot is cheaper coded intra),
so reading the keyframes alone missed every later shot. Non-reference frames are skipped, as the visual stage
skips them (a cut is then seen at most a frame or two late). Stages share no decoded frames, and the visual
stage's are 512 px: too small for a 720p caption, so the frames kept are converted at ``frame_size``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from provenance.limits import current_deadline
from provenance.visual.frames import FrameError, _grey_thumb, display_turns, target_size, upright, video_stream

THUMB_EVERY_S = 0.2  # the visual stage's shot-change check granularity (visual/frames.py _THUMB_EVERY_S)


@dataclass
class TextFrames:
    frames: list[tuple[float, np.ndarray]] = field(default_factory=list)  # (time s, RGB long side <= frame_size)
    sampling: str = "shots+interval"  # or "image"
    interval_s: float | None = None  # the fixed step between samples (besides shot changes)
    shot_changes: list[float] = field(default_factory=list)  # times (s) of the cuts found, each sampled
    max_gap_s: float | None = None  # longest gap between samples (and to the clip's ends)
    end_s: float | None = None  # the clip's end: the last decoded frame's time, or the declared duration
    stopped: bool = False  # max_frames reached before the end


def load_still(path: Path, frame_size: int) -> TextFrames:
    """A still image upright per its EXIF orientation, long side at most ``frame_size``."""
    from PIL import Image, ImageOps

    from provenance.media import register_still_decoders

    register_still_decoders()
    try:
        with Image.open(path) as img:
            ImageOps.exif_transpose(img, in_place=True)
            img.thumbnail((frame_size, frame_size), Image.Resampling.LANCZOS)  # before any copy: 100 MP stills
            rgb = img if img.mode == "RGB" else img.convert("RGB")
            return TextFrames([(0.0, np.asarray(rgb))], "image")
    except MemoryError as exc:
        raise FrameError("cannot decode image: out of memory ([limits] max_memory_mb)") from exc
    except Exception as exc:  # the visual stage reports an undecodable still; here it is one line
        raise FrameError(f"cannot decode image: {' '.join(str(exc).split())[:200] or type(exc).__name__}") from exc


def sample(path: Path, duration_s: float | None, *, frame_size: int, max_frames: int, interval_s: float,
           shot_threshold: float) -> TextFrames:
    """The first frame of every shot and one every ``interval_s`` (see the module doc), at most ``max_frames``."""
    import av

    deadline = current_deadline()
    out = TextFrames(interval_s=interval_s)
    with video_stream(path, skip_frame="NONREF") as (container, stream):
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        next_t = 0.0
        thumb_t = -1e9
        prev_thumb: np.ndarray | None = None
        size = turns = None
        last_t = 0.0
        try:
            for frame in container.decode(stream):
                deadline.check()
                if frame.time is None:
                    continue
                t = last_t = max(0.0, float(frame.time) - start)
                take, shot = t >= next_t - 1e-6, False
                if take or t - thumb_t >= THUMB_EVERY_S - 1e-6:
                    thumb = _grey_thumb(frame)
                    if prev_thumb is not None:
                        shot = float(np.abs(thumb - prev_thumb).mean()) / 255.0 >= shot_threshold
                    prev_thumb, thumb_t = thumb, t
                if shot:
                    out.shot_changes.append(round(t, 3))
                if not (take or shot):
                    continue
                if size is None:
                    size, turns = target_size(frame.width, frame.height, frame_size), display_turns(frame)
                rgb = frame.to_ndarray(width=size[0], height=size[1], format="rgb24", interpolation="AREA")
                out.frames.append((round(t, 3), upright(rgb, turns or 0)))
                next_t = (int(t / interval_s + 1e-6) + 1) * interval_s
                if len(out.frames) >= max_frames:
                    out.stopped = True
                    break
        except av.FFmpegError as exc:
            if not out.frames:
                raise FrameError(f"cannot decode video: {exc}") from exc
    out.end_s = round(last_t if out.stopped else max(duration_s or 0.0, last_t), 3)
    out.max_gap_s = max_gap(out, out.end_s)
    return out


def max_gap(sample: TextFrames, duration_s: float | None) -> float | None:
    times = [t for t, _ in sample.frames]
    if not times:
        return None
    end = max(duration_s or 0.0, times[-1])
    edges = [times[0], *(b - a for a, b in itertools.pairwise(times)), end - times[-1]]
    return round(max(edges), 3)
