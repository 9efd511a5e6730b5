"""Issue 12 round 6: recycled footage the tester found mis-told (tester-report-12-20-round.md).

Real imagery only: the sample archive footage, scikit-image photographs, PyAV/x264 encodes; the verify command a
desk runs, read as the desk reads it (the report's visual findings).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from provenance.visual.frames import sample_video

from conftest import cli_in_process, read_frames, write_clip


def _letterbox(frame: np.ndarray) -> np.ndarray:
    """A 16:9 frame shown in the middle of a 9:16 portrait frame with black bars (a phone repost), 270x480."""
    canvas = np.zeros((480, 270, 3), np.uint8)
    canvas[164:316] = np.asarray(Image.fromarray(frame).resize((270, 152)))
    return canvas


def _cell_pan(frames: int) -> list[np.ndarray]:
    """A slow pan over skimage's ``cell`` (a photograph not in the index), 320x180 frames."""
    cell = np.asarray(Image.fromarray(data.cell()).convert("RGB").resize((400, 225)))
    return [cell[20:200, i:i + 320] for i in range(frames)]


@pytest.fixture(scope="module")
def recycled(tmp_path_factory: pytest.TempPathFactory, samples: Path) -> Path:
    """3 s of an unindexed photograph, then a hard cut to the archive footage's 7-11 s, letterboxed 9:16."""
    tmp = tmp_path_factory.mktemp("d2")
    ref, _fps = read_frames(samples / "known" / "archive_footage.mp4", 7.0, 11.0)
    small = [np.asarray(Image.fromarray(f).resize((320, 180))) for f in ref]
    return write_clip(tmp / "letterboxed_cut.mp4", [_letterbox(f) for f in _cell_pan(75) + small], crf=26)


def test_a_hard_cut_inside_a_letterbox_is_a_shot_change(recycled: Path) -> None:
    """Two thirds of the frame are constant bars: the cut from the unindexed photo to the footage at 3.0 s
    is still found (it was not: shot_changes [], so the match reached back over the unindexed photo)."""
    cuts = sample_video(recycled).shot_changes
    assert any(abs(c - 3.0) <= 0.04 for c in cuts), cuts
    assert not [c for c in cuts if c < 2.9], cuts  # the pan over the photo alone is no cut


def test_letterboxed_recycled_footage_starts_at_the_cut(recycled: Path, samples: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """The desk is told the footage starts at clip 0:03 = reference 0:07, not that the unindexed photo before
    the cut is reuse (was "Clip 0:00.0-0:06.0 = reference from somewhere in 0:04.0-0:07.0")."""
    ws = tmp_path / "ws"
    assert cli_in_process(capsys, "init", ws)[0] == 0
    code, _out, err = cli_in_process(capsys, "--workspace", ws, "index", "add",
                                     samples / "known" / "archive_footage.mp4")
    assert code == 0, err
    code, _out, err = cli_in_process(capsys, "--workspace", ws, "verify", recycled, "--pipeline", "quick",
                                     "--out", tmp_path / "rep")
    assert code in (0, 1), err
    report = json.loads(next((tmp_path / "rep").rglob("report.json")).read_text())
    segments = [s for m in report["visual"]["matches"] for s in m["segments"]]
    assert segments, report["visual"]["matches"]
    first = min(segments, key=lambda s: s["query_start"])
    assert 2.5 <= first["query_start"] <= 3.5, first
    assert abs(first["reference_start"] - 7.0) <= 0.6 or (
        first.get("reference_window") and first["reference_window"][0] <= 7.0 <= first["reference_window"][1]), first


def test_a_crop_of_page_two_of_an_indexed_tiff_is_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 3-page TIFF (horse, retina, IHC photographs) indexed; a 1000-px JPEG crop of page 2 is reported as that
    TIFF's imagery by keypoints, on page 2 (was "No match": the keypoint scan searched pages one in two, as it does
    a video's one-second keypoint frames)."""
    pages = [Image.fromarray(data.horse().astype(np.uint8) * 255).convert("RGB"), Image.fromarray(data.retina()),
             Image.fromarray(data.immunohistochemistry())]
    tiff = tmp_path / "plates.tif"
    pages[0].save(tiff, save_all=True, append_images=pages[1:])
    crop = tmp_path / "page2_crop.jpg"
    pages[1].crop((200, 200, 1200, 1200)).save(crop, quality=85)
    ws = tmp_path / "ws"
    assert cli_in_process(capsys, "init", ws)[0] == 0
    assert cli_in_process(capsys, "--workspace", ws, "index", "add", tiff)[0] == 0
    code, out, err = cli_in_process(capsys, "--workspace", ws, "verify", crop, "--pipeline", "quick",
                                    "--out", tmp_path / "rep")
    assert code in (0, 1), err
    report = json.loads(next((tmp_path / "rep").rglob("report.json")).read_text())
    matches = report["visual"]["matches"]
    assert [m["reference_id"] for m in matches] == ["plates"], out
    assert matches[0]["local_inliers"] >= 40
    assert {f["reference_t"] for f in matches[0]["frames"]} == {1.0}  # page 2 (t = page - 1)


def test_mirrored_and_cropped_footage_is_found_mirrored(samples: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """The archive footage's 4.6-10.6 s, cropped to its centre 80%, flipped left-right and re-encoded at 480x270:
    reported as that footage, mirrored (was "No match": keypoints never tried the mirror); the same clip of the
    unindexed ``cell`` photograph, mirrored too, matches nothing."""
    ref, _fps = read_frames(samples / "known" / "archive_footage.mp4", 4.6, 10.6)

    def crop_mirror(f: np.ndarray) -> np.ndarray:
        h, w = f.shape[:2]
        return np.asarray(Image.fromarray(f[h // 10:h * 9 // 10, w // 10:w * 9 // 10][:, ::-1]).resize((480, 270)))

    clip = write_clip(tmp_path / "mirror_crop.mp4", [crop_mirror(f) for f in ref], crf=28)
    other = write_clip(tmp_path / "cell_mirror.mp4",
                       [np.asarray(Image.fromarray(f[:, ::-1]).resize((480, 270))) for f in _cell_pan(150)], crf=28)
    ws = tmp_path / "ws"
    assert cli_in_process(capsys, "init", ws)[0] == 0
    assert cli_in_process(capsys, "--workspace", ws, "index", "add", samples / "known" / "archive_footage.mp4")[0] == 0
    found = {}
    for q in (clip, other):
        code, _out, err = cli_in_process(capsys, "--workspace", ws, "verify", q, "--pipeline", "quick",
                                        "--out", tmp_path / q.stem)
        assert code in (0, 1), err
        found[q.stem] = json.loads(next((tmp_path / q.stem).rglob("report.json")).read_text())["visual"]["matches"]
    matches = found["mirror_crop"]
    assert [m["reference_id"] for m in matches] == ["archive_footage"]
    assert matches[0]["query_coverage"] >= 0.5
    assert all(f["mirrored"] for f in matches[0]["frames"])
    assert found["cell_mirror"] == []
