"""Content boxes under what reposts draw across them (issue 12 round 7, M1 and M2).

M2: a 9:16 blurred-fill repost with a caption across the fill above the footage and a banner over its bottom
edge (the matching benchmark's ``caption_blur_fill``) matched by keypoints alone, its start untold: the box
took in the caption, or stopped at the banner. The box is now the footage's own (the caption's edges stay put
in the clip's average frame while the footage's blur out; the side under the banner mirrors the other), so the
clip matches by hash and says where it starts.

M1: a news template's channel plate ("TV24", static, near the footage's top right) widened the box found around
a wrapped reference's footage; it is cut out of it now.

Real imagery: scikit-image photographs under the benchmark's own pan and edit makers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from provenance.media import probe
from provenance.visual import regions
from provenance.visual.index import KnownImageryIndex
from provenance.visual.matching import (
    METHOD_LOW_DETAIL_RUN,
    SMOOTH_RUN_MAX_DISTANCE,
    SMOOTH_RUN_MIN_FRAMES,
    match,
)
from provenance.visual.stage import query_fingerprint
from provenance.workspace import Workspace

from conftest import index_reference

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import match_suite as suite  # the benchmark's edits and imagery, not a copy of them

FPS = suite.FPS


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, pipeline):
    """An index holding two real photographs' pans (the benchmark's kb_astronaut and kb_coffee openings)."""
    tmp = tmp_path_factory.mktemp("round12")
    index = KnownImageryIndex(Workspace(tmp / "ws"))
    pans = {"astronaut": suite.ken_burns(suite._photo("astronaut"), 6, 0),
            "camera": suite.ken_burns(suite._photo("camera"), 6, 2)}
    for name, frames in pans.items():
        path = tmp / f"{name}.mp4"
        suite.write_video(path, frames)
        index_reference(index, path, name, "2019-05-02", pipeline)
    return tmp, pans, index


@pytest.mark.parametrize(("name", "start_s"), [("astronaut", 1.12), ("camera", 1.6)])
def test_caption_across_a_blurred_fill_matches_by_hash_with_its_start_told(indexed, pipeline, name: str,
                                                                           start_s: float) -> None:
    tmp, pans, index = indexed
    start = round(start_s * FPS)
    clip = tmp / f"caption_{name}.mp4"
    suite.write_video(clip, suite.e_caption_fill(pans[name][start:start + 4 * FPS], np.random.default_rng(0), []),
                      crf=30)
    fp = query_fingerprint(probe(clip), pipeline.visual)
    # the footage's own box: 16:9 across the 9:16 frame's middle (rows 175.2-336.8 at hashing size), neither the
    # caption above it nor the banner over its bottom edge
    # (each frame's box is in its own pixels: the larger keypoint-frame size, else hashing size, 288x512)
    for f in fp.frames:
        assert f.box is not None
        height = f.frame_size[1] if f.frame_size is not None else 512
        top, bottom = f.box[1] / height, f.box[3] / height
        assert abs(top - 175.2 / 512) <= 2 / 512 and abs(bottom - 336.8 / 512) <= 2 / 512, (f.box, f.frame_size)
    matches, _ = match(fp, index, pipeline.visual.matching)
    assert [m.reference_id for m in matches] == [name]
    (m,) = matches
    assert "pdq" in m.methods  # by hash, not by keypoints alone
    seg = max(m.segments, key=lambda s: s.query_end - s.query_start)
    assert seg.reference_window is None  # the start is told
    assert abs(seg.query_start) <= 0.5 and abs(seg.reference_start - start / FPS) <= 0.5


def test_a_channel_plate_near_the_edge_is_cut_out_of_a_wrapped_reference_box(pipeline) -> None:
    pan = suite.ken_burns(suite._photo("coffee"), 6, 1)
    wrapped = suite.WRAPPERS["news_template"](pan)  # red lower third, "TV24" plate at the top right
    frames = [suite._resize(f, 512, 288) for f in wrapped[:: FPS // 2][:24]]  # the reference's opening samples
    box = regions.interface_box(frames)
    assert box is not None
    x0, y0, x1, y1 = box
    # the plate covers x 724-839, y 15-70 of the 854x480 frame: 434-503, 9-42 at 512x288
    assert x1 <= 434 or y0 >= 42, box
    assert (x1 - x0) * (y1 - y0) >= 0.6 * 512 * 288, box  # and most of the footage stays in


def test_the_bare_pan_keeps_its_whole_frame(pipeline) -> None:
    """No plate, no cut: the same pan shown full frame has no box (nothing static to take out)."""
    pan = suite.ken_burns(suite._photo("coffee"), 6, 1)
    frames = [suite._resize(f, 512, 288) for f in pan[:: FPS // 2][:24]]
    assert regions.interface_box(frames) is None


# -- smooth footage out of a news template (issue 12 round 12: matching's smooth runs) ------------------------------
@pytest.fixture(scope="module")
def in_template(tmp_path_factory: pytest.TempPathFactory, pipeline):
    """Dev-2's news-template reference: a smooth wallpaper's pan under the template's band and channel plate."""
    tmp = tmp_path_factory.mktemp("template")
    try:
        footage = suite.ken_burns(suite._photo("FloatIntoMate"), 6, 503)
    except suite.MissingImagery as e:  # the Debian wallpaper package is not installed here
        pytest.skip(str(e))
    ref = tmp / "in_template.mp4"
    suite.write_video(ref, suite.WRAPPERS["news_template"](footage))
    index = KnownImageryIndex(Workspace(tmp / "ws"))
    index_reference(index, ref, "in_template", "2021-03-01", pipeline)
    assert "in_template" in index.box_geometries()  # the template was found around the footage
    return tmp, footage, index


def test_smooth_footage_out_of_a_news_template_matches_as_a_smooth_run(in_template, pipeline) -> None:
    tmp, footage, index = in_template
    start = round(1.48 * FPS)  # dev-2's excerpt (d2_out_of_d2wrap_news_template)
    clip = tmp / "bare.mp4"
    suite.write_video(clip, footage[start:start + 4 * FPS])
    fp = query_fingerprint(probe(clip), pipeline.visual)
    matches, _ = match(fp, index, pipeline.visual.matching)
    # the box is smooth on both sides: the reference's box rows are under the gate (a low-detail run compares
    # usable box rows only) and so is the clip cropped alike (27-31: never looked up), so only a smooth run finds it
    assert all(q < pipeline.visual.matching.min_quality for _t, _h, q, _p in index.box_rows("in_template", 0))
    place = tuple(round(v, 2) for v in index.box_geometries()["in_template"])
    crops = [f.box_crops[place][1] for f in fp.frames if place in f.box_crops]
    assert crops and max(crops) < pipeline.visual.matching.min_quality, crops
    assert [m.reference_id for m in matches] == ["in_template"]
    (m,) = matches
    assert m.methods == [METHOD_LOW_DETAIL_RUN] and len(m.frames) >= SMOOTH_RUN_MIN_FRAMES
    assert max(f.distance for f in m.frames) <= SMOOTH_RUN_MAX_DISTANCE
    seg = m.segments[0]
    assert abs((seg.reference_start - seg.query_start) - start / FPS) <= 0.5  # on the footage's own offset


def test_other_smooth_footage_bare_or_in_the_template_does_not_match_it(in_template, pipeline) -> None:
    tmp, _, index = in_template
    for k, name in enumerate(("UbuntuMateDark", "Blinds", "AdwaitaLight")):  # smooth, none of it indexed here
        frames = suite.ken_burns(suite._photo(name), 4, 900 + k)
        for kind, shown in (("bare", frames), ("template", suite.WRAPPERS["news_template"](frames))):
            clip = tmp / f"other_{kind}_{k}.mp4"
            suite.write_video(clip, shown)
            fp = query_fingerprint(probe(clip), pipeline.visual)
            assert match(fp, index, pipeline.visual.matching)[0] == [], (name, kind)
