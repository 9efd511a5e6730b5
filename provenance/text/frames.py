"""The frames the text stage reads: every shot change and a frame about every ``interval_s`` between them.

The shot changes are the visual stage's (``VisualSection.shot_changes``, handed over by the pipeline: the
visual stage runs first and decodes every reference frame anyway). Decoding is then planned from the packets:
every keyframe is decoded (cheap: no other frame is), and a group of pictures is decoded beyond its keyframe
only as far as a shot change in it, or a point of the ``interval_s`` grid no keyframe is within half a step of.
The 60-s 720p bench clip (a keyframe every ~2 s and at each cut) then costs its keyframes' decode alone; a
long-GOP clip costs up to a full decode. Without the visual stage's cuts (stage off or failed, the text stage
run alone), they are found here as the visual stage finds them (``provenance.visual.frames``: a 32x18 grey thumbnail of
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
    source_size: tuple[int, int] | None = None  # a still's own (width, height) px, upright, before shrinking


# a still far wider (or taller) than 16:9 is read with its short side at up to SHORT_SIDE_SHARE of ``frame_size``
# (720 px for 1280, a 720p frame's height), its long side up to WIDE_MAX times ``frame_size``, not shrunk to
# ``frame_size`` whole: the issue 18 round-4 tester's 6000x800 panorama read at 1280x171 lost its 40-px signs
# (7 px) and its 300-px sign was not found at all. Read at 5120x683 and searched in tiles (detect.tiles): 11.8 MB
# of RGB instead of 0.7, the detector's cost about five frames'
SHORT_SIDE_SHARE = 9 / 16
WIDE_MAX = 4


def read_long_side(size: tuple[int, int] | None, frame_size: int) -> int:
    """The long side (px) a still of ``size`` (width, height) is read at: ``frame_size``, or more for a panorama
    or a long screenshot (see ``SHORT_SIDE_SHARE``); never more than its own."""
    from provenance.text.detect import TILE_WIDER

    if not size or min(size) <= 0:
        return frame_size
    long, short = max(size), min(size)
    if long <= TILE_WIDER * short:
        return frame_size
    wanted = round(min(short, SHORT_SIDE_SHARE * frame_size) * long / short)
    return max(frame_size, min(wanted, long, WIDE_MAX * frame_size))


def load_still(path: Path, frame_size: int, pixels_refused: str | None = None,
               max_pixels: int | None = None) -> TextFrames:
    """A still image upright per its EXIF orientation, long side at most ``frame_size``.

    Decoded by the visual stage's still decoder (``visual.frames.load_image``) at ``frame_size``, so it is bounded
    alike (issue 14 round 3: decoded here whole with Pillow, a 98 MP WebP took 1.81 GB, and a 150 MP one the
    visual stage refused 2.52 GB): not decoded over ``[limits] max_pixels`` (``pixels_refused``, from ingest,
    or ``max_pixels``), decoded reduced past the decode bound, a still only FFmpeg decodes (OpenEXR, DDS
    variants) from FFmpeg's picture, 16-bit grey scaled to 8 bits.
    """
    from PIL import Image

    from provenance.media import register_still_decoders
    from provenance.visual.frames import load_image, refuse_before_open

    if pixels_refused:
        raise FrameError(f"picture not decoded: {pixels_refused}; only its metadata is reported")
    register_still_decoders()
    refuse_before_open(path, max_pixels)
    size = None
    try:  # the picture's own size, upright, for the shrunk-read notice: a header read, no decode
        with Image.open(path) as img:
            turned = img.getexif().get(0x0112) in (5, 6, 7, 8)
            size = (img.height, img.width) if turned else img.size
    except Exception:  # Pillow does not read it (FFmpeg may): the notice then goes by the decoded size
        size = None
    try:
        rgb = load_image(path, max_pixels=max_pixels, long_side=read_long_side(size, frame_size))
    except FrameError:
        raise
    except MemoryError as exc:
        raise FrameError("cannot decode image: out of memory ([limits] max_memory_mb)") from exc
    if size is None:
        size = (rgb.shape[1], rgb.shape[0])
    return TextFrames([(0.0, np.ascontiguousarray(rgb))], "image", source_size=size)


def load_still_page(path: Path, page: int, frame_size: int, max_pixels: int | None = None) -> TextFrames:
    """Page ``page`` (0-based) of a multi-page TIFF as ``load_still`` reads page 1, its one frame at ``t`` = page
    (the visual stage's numbering, ``visual.frames.still_pages``): decoded by the visual stage's page decoder
    (``visual.frames.load_page``), alone and bounded as it is; ``FrameError`` when that page does not decode."""
    from PIL import Image

    from provenance.visual.frames import load_page

    if page == 0:
        first = load_still(path, frame_size, max_pixels=max_pixels)
        return TextFrames([(0.0, first.frames[0][1])], "image", source_size=first.source_size)
    size = None
    try:  # the page's own size for the shrunk-read notice and a panorama's read size: a header read
        with Image.open(path) as img:
            img.seek(page)
            size = img.size
    except Exception:  # load_page says why the page does not open
        size = None
    rgb = load_page(path, page, max_pixels=max_pixels, long_side=read_long_side(size, frame_size))
    if size is None:
        size = (rgb.shape[1], rgb.shape[0])
    return TextFrames([(float(page), np.ascontiguousarray(rgb))], "image", source_size=size)


def sample(path: Path, duration_s: float | None, *, frame_size: int, max_frames: int, interval_s: float,
           shot_threshold: float, shot_changes: list[float] | None = None) -> TextFrames:
    """The first frame of every shot and about one every ``interval_s`` (see the module doc), at most
    ``max_frames``; ``shot_changes`` (s) the visual stage's cuts, None to find them here."""
    if shot_changes is not None:
        return _planned(path, duration_s, sorted(shot_changes), frame_size=frame_size, max_frames=max_frames,
                        interval_s=interval_s)
    return _scan(path, duration_s, frame_size=frame_size, max_frames=max_frames, interval_s=interval_s,
                 shot_threshold=shot_threshold)


def _scan(path: Path, duration_s: float | None, *, frame_size: int, max_frames: int, interval_s: float,
          shot_threshold: float) -> TextFrames:
    """Every reference frame decoded, cuts found as the visual stage finds them, the cuts and a grid kept."""
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


def _targets(keys: list[float], cuts: list[float], end: float, interval_s: float) -> list[float]:
    """Times (s) a keyframe does not stand for: each cut not on a keyframe, and each point of the interval grid
    no keyframe is within half a step of."""
    import bisect

    def near(t: float, within: float) -> bool:
        i = bisect.bisect_left(keys, t - within)
        return i < len(keys) and keys[i] <= t + within

    grid = [n * interval_s for n in range(int(end / interval_s + 1e-6) + 1)]
    out = [c for c in cuts if not near(c, CUT_ON_KEY_S)] + [g for g in grid if not near(g, interval_s / 2)]
    return sorted(set(out))


PLAN_FALLBACK_THRESHOLD = 0.15  # the visual stage's default shot threshold ([visual.frames] shot_threshold)
# a cut this close to a keyframe (s) is that keyframe: the visual stage's cut time is the first reference frame
# of the new shot, a frame or two after a keyframe x264's scenecut put on its first frame at 25-30 fps
CUT_ON_KEY_S = 0.09


def _planned(path: Path, duration_s: float | None, cuts: list[float], *, frame_size: int, max_frames: int,
             interval_s: float) -> TextFrames:
    """Keyframes, and the frames at ``_targets``: a group of pictures is fed to the decoder past its keyframe
    only up to the last target in it (the module doc)."""
    import bisect

    import av

    deadline = current_deadline()
    out = TextFrames(interval_s=interval_s, shot_changes=[round(c, 3) for c in cuts])
    with video_stream(path, skip_frame="NONREF") as (container, stream):
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        base = float(stream.time_base) if stream.time_base else 0.0
        keys, last = [], 0.0
        for packet in container.demux(stream):  # the packets' times only: no decoding
            if packet.pts is not None and base:
                t = float(packet.pts) * base - start
                last = max(last, t)
                if packet.is_keyframe:
                    keys.append(t)
    end = max(duration_s or 0.0, last)
    keys = sorted(set(keys))
    if not keys:  # no packet times (a raw elementary stream): nothing to plan from, every reference frame decoded
        return _scan(path, duration_s, frame_size=frame_size, max_frames=max_frames, interval_s=interval_s,
                     shot_threshold=PLAN_FALLBACK_THRESHOLD)
    targets = _targets(keys, cuts, end, interval_s)
    until: dict[int, float] = {}  # group of pictures (index of its keyframe) -> the last target in it
    for t in targets:
        gop = max(0, bisect.bisect_right(keys, t + 1e-6) - 1)
        until[gop] = max(until.get(gop, 0.0), t)
    with video_stream(path, skip_frame="NONREF") as (container, stream):
        size = turns = None
        pending = list(targets)
        feeding, gop = False, -1
        try:
            for packet in container.demux(stream):
                deadline.check()
                if packet.is_keyframe and packet.pts is not None:
                    t = float(packet.pts) * base - start
                    gop = max(0, bisect.bisect_right(keys, t + 1e-6) - 1)
                    feeding = gop in until
                elif not feeding and packet.size:
                    continue  # a frame between keyframes no target needs: not decoded
                for frame in packet.decode():
                    if frame.time is None:
                        continue
                    t = max(0.0, float(frame.time) - start)
                    hit = False
                    while pending and pending[0] <= t + 1e-3:
                        pending.pop(0)
                        hit = True
                    if feeding and t >= until.get(gop, -1.0) - 1e-3:
                        feeding = False  # the rest of this group of pictures is not needed
                    if not (hit or frame.key_frame):
                        continue
                    if size is None:
                        size, turns = target_size(frame.width, frame.height, frame_size), display_turns(frame)
                    rgb = frame.to_ndarray(width=size[0], height=size[1], format="rgb24", interpolation="AREA")
                    out.frames.append((round(t, 3), upright(rgb, turns or 0)))
                    if len(out.frames) >= max_frames:
                        out.stopped = True
                        break
                if out.stopped:
                    break
        except av.FFmpegError as exc:
            if not out.frames:
                raise FrameError(f"cannot decode video: {exc}") from exc
    out.frames.sort(key=lambda f: f[0])
    out.end_s = round(end if not out.stopped else out.frames[-1][0], 3)
    out.max_gap_s = max_gap(out, out.end_s)
    return out


def max_gap(sample: TextFrames, duration_s: float | None) -> float | None:
    times = [t for t, _ in sample.frames]
    if not times:
        return None
    end = max(duration_s or 0.0, times[-1])
    edges = [times[0], *(b - a for a, b in itertools.pairwise(times)), end - times[-1]]
    return round(max(edges), 3)
