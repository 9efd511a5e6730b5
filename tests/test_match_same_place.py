"""The same place under another light is not the indexed picture; a heavy or zoomed crop of the picture is.

Held-out-8 of the matching benchmark had its only two false matches here: Extreme Tux Racer's mountains indexed at
evening, the same mountains cloudy or at night matched by keypoints alone (45 and 59 RANSAC inliers, whole frames
76-82 PDQ bits apart). GNOME's licorice wallpaper is one render under two lights (the dev split's
``same_place_other_light`` negatives, benchmarks/match_suite.build_dev_4): a slow pan over the dark render fits
the indexed light (square) still with 19-30 inliers through the stretched-still search (lf.stretch_to: with it
off, nothing fits), every acceptance check passes, and it is reported as a keypoint match.
The dark render's still matches the light one by whole-frame PDQ (12 bits). No second check separated either from
true reposts on dev (DESIGN.md, "The same place under another light": keypoint agreement, descriptor distance,
keypoint sizes, and the aligned overlap's photometric agreement, benchmarks/photometric_agreement.py): both false
matches stand as strict expected failures, and the reposts a check must keep (a colour grade, crops) are tested.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
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
def licorice(tmp_path_factory: pytest.TempPathFactory, pipeline):
    """An index holding GNOME's light licorice render as a still (as the benchmark indexes it), and both renders."""
    try:
        light, dark = suite._photo("GnomeLicoriceLight"), suite._photo("GnomeLicoriceDark")
    except suite.MissingImagery as e:  # the Debian wallpaper package is not installed here
        pytest.skip(str(e))
    tmp = tmp_path_factory.mktemp("licorice")
    ref = tmp / "licorice_light.jpg"
    cv2.imwrite(str(ref), cv2.cvtColor(suite._fit(light), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    index = KnownImageryIndex(Workspace(tmp / "ws"))
    index_reference(index, ref, "licorice_light", "2023-09-01", pipeline)
    return tmp, light, dark, index


@pytest.mark.xfail(strict=True, reason="known false match (issue 12): keypoints alone fit the same render under "
                   "another light (19-30 inliers, stretched-still search); no second check separated it from zoomed "
                   "crops on dev, nor the aligned overlap's tone map (R^2 0.74-0.82, true reposts from 0.33)")
@pytest.mark.parametrize("seed", [924, 925])
def test_a_pan_over_the_same_scene_under_another_light_does_not_match(licorice, pipeline, seed: int) -> None:
    tmp, _, dark, index = licorice
    clip = tmp / f"dark_pan_{seed}.mp4"
    suite.write_video(clip, suite.ken_burns(dark, 4, seed), crf=30)
    fp = query_fingerprint(probe(clip), pipeline.visual)
    assert match(fp, index, pipeline.visual.matching)[0] == []


@pytest.mark.xfail(strict=True, reason="known false match (issue 12): the other light's still matches the indexed "
                   "still by whole-frame PDQ at 12 bits; a global tone map explains R^2 0.88 of it, as much as or more "
                   "than of 11 of dev's 64 true keypoint matches: no photometric check is merged (DESIGN.md)")
def test_the_same_scene_under_another_light_as_a_still_does_not_match(licorice, pipeline) -> None:
    tmp, _, dark, index = licorice
    still = tmp / "licorice_dark.jpg"
    suite.write_still(still, suite._fit(dark))
    fp = query_fingerprint(probe(still), pipeline.visual)
    assert match(fp, index, pipeline.visual.matching)[0] == []


def test_a_colour_graded_repost_of_the_picture_matches(licorice, pipeline) -> None:
    """A grade (a gamma, warmer channels, more saturation: the suite's e_grade) is one global map of the picture,
    which a desk must still find: what any photometric check for the other light has to keep."""
    tmp, light, _, index = licorice
    still = tmp / "licorice_graded.jpg"
    suite.write_still(still, suite.e_grade([suite._fit(light)], np.random.default_rng(12), [])[0])
    fp = query_fingerprint(probe(still), pipeline.visual)
    (m,) = match(fp, index, pipeline.visual.matching)[0]
    assert m.reference_id == "licorice_light" and m.first_seen == "2023-09-01"


def test_a_heavy_crop_of_the_picture_under_a_caption_still_matches_by_keypoints(licorice, pipeline) -> None:
    tmp, light, _, index = licorice
    still = tmp / "crop_caption.jpg"
    picture = suite._resize(light, suite.W, suite.H)
    suite.write_still(still, suite._heavy_crop_caption([picture], np.random.default_rng(4404))[0])
    fp = query_fingerprint(probe(still), pipeline.visual)
    (m,) = match(fp, index, pipeline.visual.matching)[0]
    assert m.reference_id == "licorice_light" and m.first_seen == "2023-09-01"
    assert m.methods == ["local"] and m.min_distance > pipeline.visual.matching.max_distance  # keypoints alone


def test_a_zoomed_crop_of_a_photograph_under_a_caption_matches_by_keypoints(tmp_path: Path, pipeline) -> None:
    """A quarter of a meadow photograph blown up to fill the frame (2x) under a caption: whole frames 128 bits
    apart, keypoints alone find it. The check tried for the relit pictures above scored such crops as low as them
    (0.15-0.37 against 0.19-0.26), so this guards recall against a check that cannot tell them apart."""
    try:
        meadow = suite._photo("GreenMeadow")
    except suite.MissingImagery as e:
        pytest.skip(str(e))
    ref = tmp_path / "meadow.jpg"
    cv2.imwrite(str(ref), cv2.cvtColor(suite._fit(meadow), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    index_reference(index, ref, "meadow", "2017-01-01", pipeline)
    picture = suite._middle_16_9(meadow)
    still = tmp_path / "zoomed.jpg"
    suite.write_still(still, suite._plain_caption(suite._crop([picture], np.random.default_rng(7), 0.25)[0]))
    fp = query_fingerprint(probe(still), pipeline.visual)
    (m,) = match(fp, index, pipeline.visual.matching)[0]
    assert m.reference_id == "meadow" and m.first_seen == "2017-01-01"
    assert m.methods == ["local"] and m.min_distance > pipeline.visual.matching.max_distance  # keypoints alone



@pytest.mark.parametrize(("name", "keep"), [("cam_P1000827", 0.25), ("ColorfulCups", 0.25)])
def test_a_photograph_zoomed_into_a_quarter_matches_its_indexed_still(tmp_path: Path, pipeline, name: str,
                                                                      keep: float) -> None:
    """Four quarters of a photograph (a corpus camera JPEG, a wallpaper) each blown up 2x under a caption match
    the indexed still by keypoints. With a still's keypoints found at hashing size (512 px, 500 of them) 1 and 2
    of the 4 matched; they are found at 1024 px, 1500 spread over it (hashing.STILL_FEATURES): all 4 (and 8 of
    8 at seeds 0-7 for both)."""
    try:
        photo = suite._photo(name)
    except suite.MissingImagery as e:
        pytest.skip(str(e))
    ref = tmp_path / f"{name}.jpg"
    cv2.imwrite(str(ref), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    index_reference(index, ref, name, "2019-05-01", pipeline)
    picture = suite._middle_16_9(photo)
    for seed in range(4):
        still = tmp_path / f"zoomed_{seed}.jpg"
        suite.write_still(still, suite._plain_caption(suite._crop([picture], np.random.default_rng(seed), keep)[0]))
        found = match(query_fingerprint(probe(still), pipeline.visual), index, pipeline.visual.matching)[0]
        assert [(m.reference_id, m.first_seen, m.methods) for m in found] == [(name, "2019-05-01", ["local"])], seed
