"""The frames the text stage reads: the stream's keyframes, decoded alone, or frames every ``interval_s``.

Stages do not share decoded frames (each runs in a context of its own), and the visual stage's frames are
512 px: too small for a 720p caption. Decoding keyframes alone skips everything between them: the 60-s 720p
bench clip's 32 keyframes decode in 0.3 s against 4.5 s for every frame (2.6 s with non-reference frames
skipped, the visual stage's way). x264 and most platform encoders put a keyframe at every cut (scenecut) and
at least every keyint, so keyframes are the shot-change frames plus a sparse sample between them. When they
are further apart than ``max_keyframe_gap_s`` (a long GOP: text shown between two of them would be missed),
frames are decoded every ``interval_s`` instead, at the full decoding cost.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from provenance.limits import current_deadline
from provenance.visual.frames import FrameError, display_turns, target_size, upright, video_stream


@dataclass
class TextFrames:
    frames: list[tuple[float, np.ndarray]] = field(default_factory=list)  # (time s, RGB long side <= frame_size)
    sampling: str = "keyframes"  # or "interval", or "image"
    max_gap_s: float | None = None  # longest gap between samples (and to the clip's ends)
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
            return TextFrames([(0.0, np.asarray(rgb))], "image", None)
    except MemoryError as exc:
        raise FrameError("cannot decode image: out of memory ([limits] max_memory_mb)") from exc
    except Exception as exc:  # the visual stage reports an undecodable still; here it is one line
        raise FrameError(f"cannot decode image: {' '.join(str(exc).split())[:200] or type(exc).__name__}") from exc


def _decode(path: Path, frame_size: int, max_frames: int, *, keyframes: bool, interval_s: float) -> TextFrames:
    import av

    deadline = current_deadline()
    out = TextFrames(sampling="keyframes" if keyframes else "interval")
    with video_stream(path, skip_frame="NONKEY" if keyframes else "NONREF") as (container, stream):
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        next_t = 0.0
        size = turns = None
        try:
            for frame in container.decode(stream):
                deadline.check()
                if frame.time is None:
                    continue
                t = max(0.0, float(frame.time) - start)
                if not keyframes and t < next_t:
                    continue
                if size is None:
                    size, turns = target_size(frame.width, frame.height, frame_size), display_turns(frame)
                rgb = frame.to_ndarray(width=size[0], height=size[1], format="rgb24", interpolation="AREA")
                out.frames.append((round(t, 3), upright(rgb, turns or 0)))
                next_t = (int(t / interval_s) + 1) * interval_s
                if len(out.frames) >= max_frames:
                    out.stopped = True
                    break
        except av.FFmpegError as exc:
            if not out.frames:
                raise FrameError(f"cannot decode video: {exc}") from exc
    return out


def sample(path: Path, duration_s: float | None, *, frame_size: int, max_frames: int, max_keyframe_gap_s: float,
           interval_s: float) -> TextFrames:
    """Keyframes when they are close enough together, else frames every ``interval_s`` (see the module doc)."""
    out = _decode(path, frame_size, max_frames, keyframes=True, interval_s=interval_s)
    out.max_gap_s = max_gap(out, duration_s)
    if out.max_gap_s is not None and out.max_gap_s > max_keyframe_gap_s and not out.stopped:
        out = _decode(path, frame_size, max_frames, keyframes=False, interval_s=interval_s)
        out.max_gap_s = max_gap(out, duration_s)
    return out


def max_gap(sample: TextFrames, duration_s: float | None) -> float | None:
    times = [t for t, _ in sample.frames]
    if not times:
        return None
    end = max(duration_s or 0.0, times[-1])
    edges = [times[0], *(b - a for a, b in itertools.pairwise(times)), end - times[-1]]
    return round(max(edges), 3)
