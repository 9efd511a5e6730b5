"""Keypoint frames that repeat one already searched in vain are not searched again (matching.REPEAT_BITS), on real
footage: a looped clip of other footage costs one search per picture, and a looped keypoint-only reuse still
matches across every loop (only repeats of frames that found nothing are skipped)."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from provenance.media import probe
from provenance.visual.frames import DETAIL_SIZE
from provenance.visual.hashing import fingerprint
from provenance.visual.index import KnownImageryIndex
from provenance.visual.matching import match
from provenance.workspace import Workspace

from conftest import write_clip

FPS = 25


def _frames(path: Path, start_s: float, seconds: float, size: tuple[int, int]) -> list[np.ndarray]:
    first, count = round(start_s * FPS), round(seconds * FPS)
    with av.open(str(path)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(c.streams.video[0])]
    return [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames[first:first + count]]


class _Counting(KnownImageryIndex):
    """The real index, counting its keypoint searches (what the skip saves)."""

    searches = 0

    def search_local(self, *args, **kwargs):
        self.searches += 1
        return super().search_local(*args, **kwargs)


@pytest.fixture(scope="module")
def archive_index(samples: Path, tmp_path_factory: pytest.TempPathFactory) -> _Counting:
    index = _Counting(Workspace(tmp_path_factory.mktemp("repeats") / "ws"))
    (added,) = index.add([samples / "known" / "archive_footage.mp4"], id="archive", first_seen="2016-04-02")
    assert added.status == "added"
    return index


def _query(path: Path):
    return fingerprint(probe(path), mirror=True, keypoint_frames_s=2.0, keypoint_frame_size=DETAIL_SIZE, content=True)


def test_a_looped_clip_of_other_footage_searches_each_picture_once(samples: Path, archive_index: _Counting,
                                                                   tmp_path: Path) -> None:
    loop = _frames(samples / "clips" / "unrelated.mp4", 0.0, 6.0, (640, 272))
    clip = write_clip(tmp_path / "loop.mp4", loop * 3, FPS)  # 18 s: the same 6 s three times
    fp = _query(clip)
    keypoint = [f for f in fp.frames if f.keypoint_frame]
    archive_index.searches = 0
    matches, _ = match(fp, archive_index)
    assert matches == []
    whole = archive_index.searches
    archive_index.searches = 0
    once = _query(write_clip(tmp_path / "once.mp4", loop, FPS))
    assert match(once, archive_index)[0] == []
    # the loop searches (whole frames, then 3 mirrored and 3 x 5 tile probes) little more than one pass does;
    # before, every one of its keypoint frames was searched
    assert len(keypoint) >= 9
    assert whole <= archive_index.searches + 3 + 2 * 3 * 6, (whole, archive_index.searches, len(keypoint))
    assert whole - 3 * 6 < len(keypoint)


def test_a_looped_crop_still_matches_in_every_loop(samples: Path, archive_index: _Counting, tmp_path: Path) -> None:
    """A crop to half the area (keypoints only: PDQ does not survive it) of 3 s of the archive's pan over the coffee
    photograph, looped three times: each loop's keypoint frames found the footage, so none is skipped as a repeat,
    and the match spans every loop."""
    frames = _frames(samples / "known" / "archive_footage.mp4", 4.2, 3.0, (480, 270))
    crop = [cv2.resize(f[40:230, 70:410], (480, 270), interpolation=cv2.INTER_AREA) for f in frames]
    clip = write_clip(tmp_path / "crop_loop.mp4", crop * 3, FPS, crf=26)
    matches, _ = match(_query(clip), archive_index)
    assert [m.reference_id for m in matches] == ["archive"], matches
    assert matches[0].methods == ["local"], matches[0].methods
    frames_matched = sorted(f.query_t for f in matches[0].frames)
    assert frames_matched[0] < 3.0 and frames_matched[-1] >= 6.0, frames_matched
