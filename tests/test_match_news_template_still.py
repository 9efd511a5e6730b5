"""A still under the news lower third is matched on its picture, never on the lower third alone.

The matching benchmark's dev split (benchmarks/match_suite.build_dev_4, hard case ``wrapper_news_template``): stills
of photographs nothing indexes, zoomed under the suite's news lower third (band, headline, logo), matched dev-2's
indexed news-template recording by keypoints alone: the bottom-left quarter of the still (the tile search) fitted
the recording's band text at scale 1.00 with 24-36 inliers. The recording's footage (a smooth wallpaper) has so few
keypoints that the template's are 60-70% of each keypoint frame, and indexing keeps such a frame whole
(lf.STATIC_MAX_SHARE): every inlier was on a keypoint that stays put across the recording (lf.MAX_STATIC_SHARE).
The same layout over an indexed photograph is a repost of that photograph and still matches it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from provenance.media import probe
from provenance.visual.index import KnownImageryIndex
from provenance.visual.matching import match
from provenance.visual.stage import query_fingerprint
from provenance.workspace import Workspace

from conftest import index_reference

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import match_suite as suite  # the benchmark's makers and edits, not a copy of them


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory, pipeline):
    """An index holding a news-template recording of a pan over MATE's smooth FloatIntoMate wallpaper (as dev-2
    indexes it), the GreenMeadow photograph as a still, and a recording holding the ColorfulCups photograph still."""
    try:
        wallpaper, meadow = suite._photo("FloatIntoMate"), suite._photo("GreenMeadow")
        cups = suite._photo("ColorfulCups")
    except suite.MissingImagery as e:  # the Debian wallpaper packages are not installed here
        pytest.skip(str(e))
    tmp = tmp_path_factory.mktemp("news")
    recording, still, held = tmp / "news_recording.mp4", tmp / "meadow.jpg", tmp / "cups_held.mp4"
    suite.write_video(recording, suite.WRAPPERS["news_template"](suite.ken_burns(wallpaper, 6, 503)))
    suite.write_still(still, suite._fit(meadow))
    picture, noise = suite._middle_16_9(cups).astype(np.int16), np.random.default_rng(1)  # a camera's sensor noise
    suite.write_video(held, [np.clip(picture + noise.normal(0, 3, picture.shape), 0, 255).astype(np.uint8)
                             for _ in range(6 * suite.FPS)], crf=28)
    index = KnownImageryIndex(Workspace(tmp / "ws"))
    index_reference(index, recording, "news_recording", "2021-03-01", pipeline)
    index_reference(index, still, "meadow", "2017-01-01", pipeline)
    index_reference(index, held, "cups_held", "2019-05-01", pipeline)
    return tmp, meadow, index


def _under_the_band(picture: np.ndarray, seed: int, keep: float = 0.35) -> np.ndarray:
    """The picture's middle 16:9 cut, ``keep`` of its area blown up to fill the frame, under the news lower third."""
    rng = np.random.default_rng(seed)
    return suite.e_overlay(suite._crop([suite._middle_16_9(picture)], rng, keep), rng, [])[0]


@pytest.mark.parametrize("photo", ["Wood", "Autumn", "Blinds"])
def test_an_unindexed_still_under_the_news_lower_third_does_not_match_the_template_recording(
        news, pipeline, photo: str) -> None:
    tmp, _, index = news
    try:
        picture = suite._photo(photo)
    except suite.MissingImagery as e:
        pytest.skip(str(e))
    still = tmp / f"news_{photo}.jpg"
    suite.write_still(still, _under_the_band(picture, 4404))
    fp = query_fingerprint(probe(still), pipeline.visual)
    assert match(fp, index, pipeline.visual.matching)[0] == []


def test_an_indexed_photograph_under_the_news_lower_third_still_matches_it(news, pipeline) -> None:
    tmp, meadow, index = news
    still = tmp / "news_meadow.jpg"
    suite.write_still(still, _under_the_band(meadow, 4404, keep=0.5))
    fp = query_fingerprint(probe(still), pipeline.visual)
    (m,) = match(fp, index, pipeline.visual.matching)[0]
    assert m.reference_id == "meadow" and m.first_seen == "2017-01-01"
    assert m.methods == ["local"] and m.min_distance > pipeline.visual.matching.max_distance  # keypoints alone


def test_a_crop_of_a_picture_held_still_in_a_recording_still_matches_the_recording(news, pipeline) -> None:
    """Every keypoint of a picture held still (under sensor noise, so no two keypoint frames are the same bytes)
    stays put across the recording (1.00 of each keypoint frame): that is the footage standing still, not an
    overlay over it (lf.STILL_SCENE_SHARE), and its crops still match."""
    tmp, _, index = news
    still = tmp / "cups_zoomed.jpg"
    cups = suite._middle_16_9(suite._photo("ColorfulCups"))
    suite.write_still(still, suite._plain_caption(suite._crop([cups], np.random.default_rng(7), 0.5)[0]))
    fp = query_fingerprint(probe(still), pipeline.visual)
    (m,) = match(fp, index, pipeline.visual.matching)[0]
    assert m.reference_id == "cups_held" and m.first_seen == "2019-05-01"
    assert m.methods == ["local"] and m.min_distance > pipeline.visual.matching.max_distance  # keypoints alone


def test_a_crop_grabbed_from_a_fixed_camera_recording_still_matches_it(tmp_path: Path, pipeline) -> None:
    """A fixed camera: the meadow stays put (0.68-0.74 of each stored keypoint frame static) while a small part of
    the picture moves (a pan over another photograph, 8% of the frame). A quarter of a frame grabbed between
    keypoint frames fits the still part only (static share 0.78-0.90), like a template's band, but over a
    quarter of the picture (ref_spread 0.067-0.10, a band's fits <= 0.009): footage, not an overlay
    (lf.MAX_OVERLAY_SPREAD)."""
    try:
        meadow, kite = suite._photo("GreenMeadow"), suite._photo("Kite")
    except suite.MissingImagery as e:
        pytest.skip(str(e))
    scene = suite._resize(meadow, suite.W, suite.H)
    frames = []
    for f in suite.ken_burns(kite, 6, 7):
        g = scene.copy()
        g[60:195, 80:320] = suite._resize(f, 240, 135)
        frames.append(g)
    recording = tmp_path / "fixed_camera.mp4"
    suite.write_video(recording, frames)
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    index_reference(index, recording, "fixed_camera", "2020-01-01", pipeline)
    still = tmp_path / "grab.jpg"
    grabbed = suite._crop([frames[3 * suite.FPS]], np.random.default_rng(5), 0.25)[0]  # 3.0 s: between keypoint frames
    suite.write_still(still, suite._plain_caption(grabbed))
    fp = query_fingerprint(probe(still), pipeline.visual)
    (m,) = match(fp, index, pipeline.visual.matching)[0]
    assert m.reference_id == "fixed_camera" and m.first_seen == "2020-01-01"
    assert m.methods == ["local"]
