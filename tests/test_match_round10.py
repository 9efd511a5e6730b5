"""Issue 12 round 7 H1: unindexed footage before indexed footage must not be reported as reuse.

The tester's case, from real photographs (scikit-image) encoded with x264: a reference pans over four photos, 6 s
each (chelsea at 12-18 s); a clip pans slowly over retina (never indexed), then cuts to a slow pan over chelsea.
The hard cut stepped only 0.093 on the shot detector's thumbnails (threshold 0.15; the pans 0.003-0.009), so it
was missed, and the hash segment reached back over the whole retina stretch: "Clip 0:48.2-1:01.0 = reference from
somewhere in 0:00.2-0:12.0". Now the detector finds it (a soft cut, frames._SOFT_CUT_MIN), and where no cut is
found (a dissolve) the reach-back's backstop stops at the unindexed footage. Verified as a desk runs it, read
from the report.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from provenance import KnownImageryIndex, Workspace
from provenance.service import verify_to_folder

from conftest import write_clip


def _rgb(a: np.ndarray) -> np.ndarray:
    return a if a.ndim == 3 else np.stack([a] * 3, -1)


def _pan(photo: np.ndarray, w: int, h: int, n: int) -> list[np.ndarray]:
    """The tester's pan (gen.py): across the photo scaled 1.3x past the frame, with a sine in y, ``n`` frames."""
    im = Image.fromarray(_rgb(photo)[..., :3])
    s = max(w / im.width, h / im.height) * 1.3
    a = np.asarray(im.resize((int(im.width * s) + 1, int(im.height * s) + 1), Image.Resampling.LANCZOS))
    mx, my = a.shape[1] - w, a.shape[0] - h
    out = []
    for i in range(n):
        f = i / max(n - 1, 1)
        x, y = int(mx * f), int(my * (0.5 + 0.5 * np.sin(6.28 * f)) * 0.9)
        out.append(a[y:y + h, x:x + w])
    return out


def _pan_ref() -> list[np.ndarray]:
    """The tester's pan_ref frames: pans over astronaut, coffee, chelsea, rocket, 6 s each at 25 fps, 640x360."""
    return [f for name in ("astronaut", "coffee", "chelsea", "rocket")
            for f in _pan(getattr(data, name)(), 640, 360, 6 * 25)]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A workspace holding the tester's pan_ref: pans over astronaut, coffee, chelsea, rocket, 6 s each, 25 fps."""
    tmp = tmp_path_factory.mktemp("ref")
    write_clip(tmp / "pan_ref.mp4", _pan_ref(), 25, crf=23)
    ws = Workspace(tmp / "ws")
    KnownImageryIndex(ws).add([tmp / "pan_ref.mp4"], id="pan_ref", first_seen="2018-06-01")
    return ws


def _verify(clip: list[np.ndarray], ws: Workspace, tmp_path: Path) -> tuple[dict, str]:
    write_clip(tmp_path / "clip.mp4", clip, 5, crf=23)
    report, _folder = verify_to_folder(tmp_path / "clip.mp4", pipeline="quick", workspace=ws, out=tmp_path / "out")
    text = "\n".join(p.read_text() for p in (tmp_path / "out").rglob("report.md"))
    return json.loads(json.dumps(report.to_dict()))["visual"], text


def _first_segment(visual: dict) -> dict:
    (match,) = [m for m in visual["matches"] if m["reference_id"] == "pan_ref"]
    return min(match["segments"], key=lambda s: s["query_start"])


def test_a_slow_pan_over_unindexed_footage_before_a_cut_is_not_reported_as_reuse(
    indexed: Workspace, tmp_path: Path
) -> None:
    # 30 s of retina (not indexed), then 20 s of chelsea (the reference's 12-18 s), 320x180 at 5 fps
    clip = _pan(data.retina(), 320, 180, 30 * 5) + _pan(data.chelsea(), 320, 180, 20 * 5)
    visual, text = _verify(clip, indexed, tmp_path)
    assert [round(t) for t in visual["shot_changes"]] == [30], visual["shot_changes"]  # the cut, found
    first = _first_segment(visual)
    # what the user reads: the reuse starts at the cut (clip 0:30 = reference 0:12), never in the retina stretch
    assert 29.8 <= first["query_start"] <= 30.5, first
    assert abs(first["reference_start"] - 12.0) <= 0.5, first
    window = first.get("reference_window")
    assert window is None or window[0] <= 12.0 <= window[1] + 0.5, window
    assert "Clip 0:30" in text and "Clip 0:1" not in text and "Clip 0:2" not in text


def test_reach_back_stops_at_unindexed_footage_when_no_cut_is_found(indexed: Workspace, tmp_path: Path) -> None:
    """A one-second dissolve from retina into chelsea is no cut to the shot detector either (each step is small); the
    segment still must not reach back over the retina frames: they are far from the first matched frame and from
    every reference frame the line crosses (the reach-back's backstop)."""
    retina = _pan(data.retina(), 320, 180, 30 * 5)
    chelsea = _pan(data.chelsea(), 320, 180, 20 * 5)
    fade = [(retina[-1] * (1 - k / 6) + chelsea[0] * (k / 6)).astype(np.uint8) for k in range(1, 6)]
    visual, text = _verify(retina[:-5] + fade + chelsea, indexed, tmp_path)
    assert not any(28.0 <= t <= 30.2 for t in visual["shot_changes"]), visual["shot_changes"]  # still missed
    first = _first_segment(visual)
    assert first["query_start"] >= 28.8, first  # the dissolve's last frames at most, never the retina pan
    starts = [int(m) for m in re.findall(r"Clip 0:(\d\d)", text)]
    assert starts and min(starts) >= 28, starts


def _seconds(m: re.Match, at: int) -> float:
    return int(m.group(at)) * 60 + float(m.group(at + 1))


def test_clip_and_reference_ranges_name_the_same_seconds_at_1x(indexed: Workspace, tmp_path: Path) -> None:
    """Round 7 L1: the tester's 8-s excerpt of pan_ref from 5 s read "8.0 s of 8.0 s ... Clip 0:00.0-0:08.0 =
    reference 0:05.0-0:12.0": the clip range ended where its last sample's second ends, the reference range at
    its last sample, so at 1x they named 8 and 7 seconds. Both end a sample's second on now: the truth."""
    clip = tmp_path / "excerpt.mp4"
    write_clip(clip, _pan_ref()[5 * 25:13 * 25], 25, crf=23)
    verify_to_folder(clip, pipeline="quick", workspace=indexed, out=tmp_path / "out")
    text = next((tmp_path / "out").rglob("report.md")).read_text()
    assert "8.0 s of 8.0 s" in text, text
    told = re.search(r"Clip (\d+):(\d\d\.\d)–(\d+):(\d\d\.\d) = reference (\d+):(\d\d\.\d)–(\d+):(\d\d\.\d)\.", text)
    assert told, text
    clip_range = (_seconds(told, 1), _seconds(told, 3))
    ref_range = (_seconds(told, 5), _seconds(told, 7))
    assert clip_range == (0.0, 8.0) and ref_range == (5.0, 13.0), told.group(0)
