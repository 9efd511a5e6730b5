"""Footage a desk meets bare that the archive holds only wrapped: cut to 2.39:1 between bars (a letterbox).

The wrapped reference's footage box is hashed beside its frames, but bars cut the footage: the bare 16:9 frame
hashed 56-70 bits from the letterboxed frame and 106-116 from its box, so only keypoints could find it, with an
untold start, and held-out-4's letterboxed splatter wallpaper got "No match". Cropped to where the reference shows
its footage (``index.box_geometries``), the bare frame is within 12-16 bits of the box. Real imagery, with the
matching benchmark's own makers (benchmarks/match_suite.py): scikit-image photographs under a slow pan.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from provenance.config import load_pipeline
from provenance.media import probe
from provenance.visual.index import KnownImageryIndex
from provenance.visual.matching import match
from provenance.visual.stage import query_fingerprint
from provenance.workspace import Workspace

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import match_suite as suite  # the benchmark's interfaces and edits, not a copy of them

FPS = suite.FPS


@pytest.fixture(scope="module")
def pipeline():
    return load_pipeline("standard")


@pytest.fixture(scope="module")
def letterboxed(tmp_path_factory: pytest.TempPathFactory, pipeline):
    """An index holding a letterboxed pan over skimage's coffee and rocket, and that footage bare."""
    tmp = tmp_path_factory.mktemp("letterbox")
    footage = suite.ken_burns(suite._photo("coffee"), 4, 61) + suite.ken_burns(suite._photo("rocket"), 4, 62)
    ref = tmp / "wrapped.mp4"
    suite.write_video(ref, suite.letterbox(footage), crf=20)
    index = KnownImageryIndex(Workspace(tmp / "ws"))
    (added,) = index.add([ref], id="letterboxed", first_seen="2020-02-02", frames=pipeline.visual.frames,
                         matching=pipeline.visual.matching)
    assert added.status == "added", added.message
    return tmp, footage, index


def test_bare_footage_out_of_a_letterbox_matches_by_hash_with_its_start(letterboxed, pipeline) -> None:
    tmp, footage, index = letterboxed
    assert index.box_geometries()["letterboxed"][1] > 0.1  # the bars were found and where the footage sits kept
    start = 2 * FPS + 13  # 2.52 s
    clip = tmp / "bare.mp4"
    suite.write_video(clip, footage[start:start + 4 * FPS], crf=30)
    fp = query_fingerprint(probe(clip), pipeline.visual)
    (m,) = match(fp, index, pipeline.visual.matching)[0]
    assert m.reference_id == "letterboxed" and m.first_seen == "2020-02-02"
    assert "pdq" in m.methods  # by hash: the report says "match by PDQ hash", not "keypoints only", and a start
    seg = max(m.segments, key=lambda s: s.query_end - s.query_start)
    assert seg.reference_window is None  # its start is told
    assert abs(seg.query_start) <= 0.5 and abs(seg.reference_start - start / FPS) <= 0.5, seg


def test_other_bare_footage_does_not_match_the_letterboxed_reference(letterboxed, pipeline) -> None:
    tmp, _, index = letterboxed
    clip = tmp / "other.mp4"
    suite.write_video(clip, suite.ken_burns(suite._photo("chelsea"), 4, 63), crf=30)
    fp = query_fingerprint(probe(clip), pipeline.visual)
    assert match(fp, index, pipeline.visual.matching)[0] == []
