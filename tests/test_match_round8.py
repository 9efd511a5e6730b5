"""Footage the archive holds only inside a browser page, met bare and smooth: a run of low-detail frames.

The dev split's browser-wrapped AdwaitaLight pan (benchmarks/match_suite.build_dev_2) is smooth: its bare frames
have PDQ quality 39-47, under the gate of 50, so no frame was looked up and the desk got "No match". Its box inside
the page is hashed (quality 82-97 with the page border trimmed off, hashing.BOX_HASH_TRIM_PX), and the bare
frames come within 8-30 bits of it one after another on one offset: ``matching._low_detail_runs``. Other smooth
footage in the same page must not match on the page. Real imagery, with the benchmark's own makers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from provenance import verify
from provenance.media import probe
from provenance.report.markdown import render_markdown
from provenance.report.model import Match
from provenance.report.writer import render_html
from provenance.visual.index import KnownImageryIndex
from provenance.visual.matching import METHOD_LOW_DETAIL_RUN, RUN_MIN_FRAMES, match
from provenance.visual.stage import query_fingerprint
from provenance.workspace import Workspace

from conftest import index_reference

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import match_suite as suite  # the benchmark's interfaces and imagery, not a copy of them

FPS = suite.FPS


@pytest.fixture(scope="module")
def wrapped(tmp_path_factory: pytest.TempPathFactory, pipeline):
    """An index holding a smooth wallpaper's pan shown in a browser page (dev-2's reference), and its footage."""
    tmp = tmp_path_factory.mktemp("browser")
    try:
        footage = suite.ken_burns(suite._photo("AdwaitaLight"), 6, 501)
    except suite.MissingImagery as e:  # the Debian wallpaper package is not installed here
        pytest.skip(str(e))
    ref = tmp / "wrapped.mp4"
    suite.write_video(ref, suite.browser(footage))
    index = KnownImageryIndex(Workspace(tmp / "ws"))
    index_reference(index, ref, "in_browser", "2021-03-01", pipeline)
    assert "in_browser" in index.box_geometries()  # the page was found around the footage
    return tmp, footage, index


def _match(path: Path, index: KnownImageryIndex, pipeline) -> tuple[list[Match], list[int]]:
    fp = query_fingerprint(probe(path), pipeline.visual)
    return match(fp, index, pipeline.visual.matching)[0], [f.hashes.quality for f in fp.frames]


def test_bare_smooth_footage_out_of_a_browser_page_matches_as_a_low_detail_run(wrapped, pipeline) -> None:
    tmp, footage, index = wrapped
    start = 2 * FPS  # 2.0 s: its later frames fall between the reference's samples, 26 bits off (RUN_MAX_DISTANCE)
    clip = tmp / "bare.mp4"
    suite.write_video(clip, footage[start:start + 4 * FPS])
    matches, qualities = _match(clip, index, pipeline)
    assert max(qualities) < pipeline.visual.matching.min_quality  # every frame too smooth to be looked up
    (m,) = matches
    assert m.reference_id == "in_browser" and m.first_seen == "2021-03-01"
    assert m.methods == [METHOD_LOW_DETAIL_RUN] and len(m.frames) >= RUN_MIN_FRAMES
    seg = m.segments[0]
    assert abs((seg.reference_start - seg.query_start) - start / FPS) <= 0.5  # on the footage's own offset


def test_other_smooth_footage_in_the_same_browser_page_does_not_match(wrapped, pipeline) -> None:
    tmp, _, index = wrapped
    for k, name in enumerate(("UbuntuMateDark", "Blinds")):  # dev imagery nothing indexed here holds, smooth
        frames = suite.ken_burns(suite._photo(name), 4, 900 + k)
        clip = tmp / f"other_{k}.mp4"
        suite.write_video(clip, suite.browser(frames))
        assert _match(clip, index, pipeline)[0] == [], name
        bare = tmp / f"other_bare_{k}.mp4"
        suite.write_video(bare, frames)
        assert _match(bare, index, pipeline)[0] == [], name


def test_a_low_detail_run_is_worded_apart_from_a_hash_match(wrapped, pipeline) -> None:
    tmp, footage, index = wrapped
    clip = tmp / "bare_for_report.mp4"
    suite.write_video(clip, footage[12:4 * FPS + 12])
    report = verify(clip, pipeline="quick", index=index)
    (f,) = [f for f in report.findings if f.code == "known_imagery_match"]
    assert f.evidence["reference_id"] == "in_browser" and f.evidence["method"] == METHOD_LOW_DETAIL_RUN
    assert "Low-detail frames only: a run of " in f.message and "weaker evidence" in f.message, f.message
    assert "match by PDQ hash" not in f.message
    assert "Low-detail frames only" in render_markdown(report)
    assert "a run of low-detail frames on one offset" in render_html(report)
