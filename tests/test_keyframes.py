"""`provenance keyframes`: full-resolution frames at shot changes (and every N s of a long shot), a contact
sheet and an index page, in a new folder each run. Clips are built from real photographs (scikit-image)."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from provenance.cli import main
from provenance.visual.keyframes import extract

from conftest import SAMPLES, read_frames, write_clip

skdata = pytest.importorskip("skimage.data")

W, H, FPS = 960, 540, 25
# three shots: 2 s, 2 s, then a 12-s single take slowly panning over a photograph
CUTS = (2.0, 4.0)


def _fit(img: np.ndarray) -> np.ndarray:
    img = img if img.ndim == 3 else np.stack([img] * 3, axis=-1)
    return cv2.resize(img[..., :3], (W, H), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    astronaut, coffee = _fit(skdata.astronaut()), _fit(skdata.coffee())
    wide = cv2.resize(skdata.chelsea(), (W * 2, H), interpolation=cv2.INTER_AREA)
    frames = [astronaut] * int(CUTS[0] * FPS) + [coffee] * int((CUTS[1] - CUTS[0]) * FPS)
    frames += [np.ascontiguousarray(wide[:, i * 3:i * 3 + W]) for i in range(12 * FPS)]  # a pan: 3 px a frame
    return write_clip(tmp_path_factory.mktemp("kf") / "three shots.mp4", frames, FPS, crf=20)


def test_one_full_resolution_frame_per_shot_and_more_in_a_long_shot(clip: Path, tmp_path: Path) -> None:
    result = extract(clip, tmp_path / "out", every_s=5.0)
    folder = Path(result.folder)
    assert folder.parent == tmp_path / "out" and folder.name.startswith("three_shots-keyframes-")
    times = [f.t for f in result.frames]
    shots = [f.t for f in result.frames if f.shot_change]
    assert times[0] == 0.0 and len(shots) == 2
    assert all(abs(s - c) <= 0.25 for s, c in zip(shots, CUTS, strict=True))  # thumbnails every 0.2 s
    extra = [t for t in times if t > CUTS[1] + 0.5]
    assert len(extra) == 2 and all(abs(t - e) <= 0.25 for t, e in zip(extra, (9.0, 14.0), strict=True))
    decoded, _ = read_frames(clip)
    for f in result.frames:
        assert (f.width, f.height) == (W, H)
        jpeg = cv2.cvtColor(cv2.imread(str(folder / f.file)), cv2.COLOR_BGR2RGB)
        assert jpeg.shape == (H, W, 3)
        source = decoded[round(f.t * FPS)]
        assert float(np.abs(jpeg.astype(int) - source.astype(int)).mean()) < 3.0  # that very frame, near-lossless
    sheet = cv2.imread(str(folder / "contact-sheet.jpg"))
    assert sheet is not None and sheet.shape[1] > 4 * 320
    html = (folder / "index.html").read_text()
    for f in result.frames:
        assert f'src="{f.file}"' in html
    assert "0:02.0" in html and "shot change" in html and "within a shot" in html
    data = json.loads((folder / "keyframes.json").read_text())
    assert [f["t"] for f in data["frames"]] == times and data["sha256"] == result.sha256
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [folder.name]  # nothing left aside


def test_each_run_is_a_new_folder_and_nothing_is_overwritten(clip: Path, tmp_path: Path, capsys) -> None:
    code = main(["keyframes", str(clip), "--out", str(tmp_path), "--every", "30"])
    first = capsys.readouterr().out
    assert code == 0 and "3 keyframes (2 at shot changes, 960x540) written to" in first
    (folder,) = tmp_path.iterdir()
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert main(["keyframes", str(clip), "--out", str(tmp_path), "--every", "30"]) == 0
    assert len(list(tmp_path.iterdir())) == 2
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before


def test_a_photo_or_a_non_video_is_refused_in_one_line(tmp_path: Path, capsys) -> None:
    code = main(["keyframes", str(SAMPLES / "clips" / "photo_reuse.jpg"), "--out", str(tmp_path / "k")])
    err = capsys.readouterr().err
    assert code == 2 and "not a video" in err and err.count("\n") == 1
    (tmp_path / "x.mp4").write_bytes(os.urandom(4096))
    code = main(["keyframes", str(tmp_path / "x.mp4"), "--out", str(tmp_path / "k")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "k").exists() or not any((tmp_path / "k").iterdir())


def test_a_long_clip_is_capped_and_says_so(clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The caps that bound disk and memory on hours of footage, lowered to this clip's size."""
    import provenance.visual.keyframes as kf

    monkeypatch.setattr(kf, "MAX_KEYFRAMES", 3)
    monkeypatch.setattr(kf, "SHEET_MAX", 2)
    result = extract(clip, tmp_path, every_s=2.0)
    assert len(result.frames) == 3 and result.capped_at_s is not None and result.capped_at_s > result.frames[-1].t
    assert result.sheet_frames == 2
    html = (Path(result.folder) / "index.html").read_text()
    assert "Stopped at 3 frames" in html and "2 of them, evenly spaced" in html
    assert len(list(Path(result.folder).glob("frame-*.jpg"))) == 3


def test_spacing_below_the_sampling_is_said_and_the_first_frame_is_named(clip: Path, tmp_path: Path, capsys) -> None:
    """Frames within a shot come from the once-a-second sample: --every 0.5 gives them 1 s apart, and says so
    (tester report 19, defect 13); the clip's first frame is called that, not "within a shot"."""
    code = main(["keyframes", str(clip), "--out", str(tmp_path), "--every", "0.5"])
    err = capsys.readouterr().err
    assert code == 0 and "--every 0.5: frames are sampled every 1 s" in err
    (folder,) = tmp_path.iterdir()
    data = json.loads((folder / "keyframes.json").read_text())
    assert data["every_s"] == 1.0
    pan = [f["t"] for f in data["frames"] if f["t"] > CUTS[1] + 0.5]
    assert len(pan) >= 10 and min(b - a for a, b in itertools.pairwise(pan)) >= 0.99
    html = (folder / "index.html").read_text()
    assert "one every 1 s within" in html and "0.0 s" not in html.split("one every")[1][:10]
    first = html.split("<figure>")[1]
    assert "the clip&#39;s first frame" in first and "within a shot" not in first
    assert main(["keyframes", str(clip), "--out", str(tmp_path), "--every", "5"]) == 0
    assert "note" not in capsys.readouterr().err
    # the folder is made to be shared: it names the file, not where it sits on this machine
    for page in ("index.html", "keyframes.json"):
        text = (folder / page).read_text()
        assert "three shots.mp4" in text and str(clip.parent) not in text
