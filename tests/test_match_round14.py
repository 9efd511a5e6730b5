"""Issue 12, correctness leftovers (m12p): a repost's freeze frame (speed 0) and a speed the alignment cannot tell.

Both on real encodes of sample_media's archive footage: what the report states must agree with its own frame
pairs. A held frame is a segment of its own ("= reference 0:07.6 (held frame)"); a 0.1x copy whose pairs fit
0.075-0.125x alike says its speed is not told and gives that range, not "at 0.104x speed".
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from provenance import KnownImageryIndex, Workspace, verify
from provenance.visual.matching import SPEED_TOLD_WITHIN

from conftest import read_frames, write_clip

sys.path.insert(0, str(Path(__file__).parent))
from test_match_round13 import _slowed  # the tester's ffmpeg slow-motion recipe, not a copy of it

FPS = 25
_SPAN = re.compile(r"clip (\d+):(\d+\.\d)–(\d+):(\d+\.\d) = reference (\d+):(\d+\.\d)(?:–(\d+):(\d+\.\d))?",
                   re.IGNORECASE)


@pytest.fixture(scope="module")
def index(samples: Path, tmp_path_factory: pytest.TempPathFactory) -> KnownImageryIndex:
    index = KnownImageryIndex(Workspace(tmp_path_factory.mktemp("r14") / "ws"))
    (added,) = index.add([samples / "known" / "archive_footage.mp4"], id="archive", first_seen="2019-03-14")
    assert added.status == "added"
    return index


def _said_ranges(text: str) -> list[tuple[float, float, float, float | None]]:
    """(clip from, clip to, reference from, reference to or None for a held frame) of each range in the finding."""
    out = []
    for g in _SPAN.findall(text):
        v = [int(g[k]) * 60 + float(g[k + 1]) if g[k] else None for k in (0, 2, 4, 6)]
        out.append((v[0], v[1], v[2], v[3]))
    return out


def test_a_held_frame_is_a_segment_of_its_own_and_no_range_said_contradicts_the_pairs(
    samples: Path, index: KnownImageryIndex, tmp_path: Path
) -> None:
    """4-12 s of the archive with its frame at 7.2 s held for 2 s (ffmpeg's ``loop`` filter's freeze), 640x360.
    Before: one segment "clip 0:00.0–0:10.0 = reference 0:04.6–0:11.2 (at 0.667x speed)", the hold bending the
    line, every pair around it off; a 1x line through them runs 1.0 s off. Now: 1x up to the freeze, the held
    frame ("held frame", speed 0, at the moment held), 1x after it; every hash pair within 0.5 s of the range
    the finding states for its clip time (pairs are placed to the reference's 0.5-s samples)."""
    archive, _fps = read_frames(samples / "known" / "archive_footage.mp4", 4.0, 12.0)
    small = [np.ascontiguousarray(f[::2, ::2]) for f in archive]
    k = round((7.2 - 4.0) * FPS)
    clip = write_clip(tmp_path / "freeze.mp4", small[:k] + [small[k]] * 2 * FPS + small[k:], FPS, crf=26)
    report = verify(clip, pipeline="quick", index=index)
    (m,) = report.visual.matches
    held = [s for s in m.segments if s.speed == 0]
    assert len(held) == 1, m.segments
    assert held[0].query_start >= 3.0 and held[0].query_end <= 5.5, held
    assert held[0].reference_start == pytest.approx(7.2, abs=0.5) and held[0].reference_end == held[0].reference_start
    for s in m.segments:
        if s is not held[0]:
            assert s.speed == pytest.approx(1.0, abs=0.1), m.segments
    said = next(f.message for f in report.findings if f.code == "known_imagery_match")
    assert "(held frame)" in said and "x speed" not in said, said
    ranges = _said_ranges(said)
    assert len(ranges) == 3, said
    hashed = [p for p in m.frames if not p.inliers]
    assert len(hashed) >= 8
    for p in (p for p in hashed if p.query_t >= 1.0):  # the pan's first second barely moves: 4.0-4.56 s alike
        inside = [r for r in ranges if r[0] - 1e-6 <= p.query_t < r[1] - 1e-6]
        assert len(inside) == 1, (p, said)
        c0, c1, r0, r1 = inside[0]
        stated = r0 if r1 is None else r0 + (r1 - r0) * (p.query_t - c0) / (c1 - c0)
        assert abs(stated - p.reference_t) <= 0.5 + 0.05, (p, said)  # + the text's 0.1-s rounding


def test_a_tenth_speed_copy_says_its_speed_is_not_told_and_the_range_its_pairs_fit(
    samples: Path, index: KnownImageryIndex, tmp_path: Path
) -> None:
    """4.0-6.0 s of the archive at 0.1x (setpts=10*PTS, frames repeated to 25 fps): 2 s of reference over 20 s of
    clip, each pair's reference time known to 0.25 s, so any speed from about 0.075x to 0.125x fits alike. The
    report said "at 0.104x speed"; now the segment's ``speed_range`` holds that range (the truth, 0.1, in it,
    wider than SPEED_TOLD_WITHIN either side), the words say the speed is not told, and the reference range
    stated is the 2 s the pairs are sure of (within a second either end)."""
    clip = _slowed(samples / "known" / "archive_footage.mp4", tmp_path / "slow10.mp4", 4.0, 2.0, 10, False)
    report = verify(clip, pipeline="quick", index=index)
    (m,) = report.visual.matches
    (seg,) = m.segments
    assert seg.speed_range is not None, seg
    lo, hi = seg.speed_range
    assert lo <= 0.1 <= hi and hi - lo > 2 * SPEED_TOLD_WITHIN * seg.speed, seg
    assert hi < 0.2, seg  # still slow motion: the range is what the pairs allow, not "anything"
    said = next(f.message for f in report.findings if f.code == "known_imagery_match")
    assert "speed not told" in said and f"at {seg.speed:g}x speed" not in said, said
    ((_c0, _c1, r0, r1),) = _said_ranges(said)
    assert r0 == pytest.approx(4.0, abs=1.0) and r1 == pytest.approx(6.0, abs=1.0), said
