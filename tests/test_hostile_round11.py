"""Issue 14, round 8 tester's motion-photo defects: H1 (a JPEG whose MPF index holds a second picture, read as MPO,
had its clip never looked for), H2 (a HEIC motion photo's clip ignored), M2 (`index add` silent on a declared
clip not found), M1 (a short shot at the clip's very end said to last a whole second past it).

Each case runs the real CLI in a child process (tests/test_hostile.py's launcher) on files made from
scikit-image's photographs by tests/hostile/make_corpus.py, in a real workspace holding the coffee photo.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from test_hostile import _env, run_cli
from test_hostile_round9 import _clip_ranges, _finding, _index_coffee, _verify

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import make_corpus


@pytest.fixture(scope="module")
def coffee_mp4() -> bytes:
    """2 s of the coffee photo at 30 fps (600x400 H.264 MP4): the clip a phone appends to its still."""
    return make_corpus.encode_raw("mp4", "libx264", "yuv420p", [make_corpus.photo_600("coffee")] * 60, rate=30)


def test_a_samsung_motion_photo_read_as_mpo_has_its_clip_examined_and_indexed(coffee_mp4: bytes,
                                                                              tmp_path: Path) -> None:
    """H1: the astronaut JPEG with a second MPF picture (Pillow opens it as MPO), then the coffee clip in Samsung's
    trailer: verify said "No match" and never looked at the clip. The clip is found from the trailer's
    MotionPhoto_Data block and matched; `index add` indexes it with the still, so the clip posted alone matches."""
    _index_coffee(tmp_path)
    data = make_corpus.samsung_mpf_motion_photo(make_corpus.photo_600("astronaut"), make_corpus.photo_600("camera"),
                                                coffee_mp4)
    code, report, said, err = _verify(tmp_path, "20240703_samsung.jpg", data)
    assert code == 0, err
    assert report["media"]["container"] == "mpo", report["media"]
    found = _finding(report, "embedded_video_match")
    assert found is not None and "'coffee'" in found["message"], said
    assert found["evidence"]["offset"] == data.index(coffee_mp4), found["evidence"]
    photo = tmp_path / "20240703_samsung.jpg"
    added = run_cli("index", "add", photo, "--id", "sam", env=_env(tmp_path))
    assert added.code == 0, added.stderr
    assert "added: sam (motion photo: the still and its 2.0 s embedded video, " in added.stdout, added.stdout


def test_a_heic_motion_photo_has_its_clip_examined(coffee_mp4: bytes, tmp_path: Path) -> None:
    """H2: a HEIC whose XMP declares a motion photo and its clip's length, the MP4 after the HEIF's boxes: exit 0
    "No match", the clip ignored. It is found where the XMP's lengths put it and matched."""
    _index_coffee(tmp_path)
    data = make_corpus.heic_motion_photo(make_corpus.photo_600("astronaut"), coffee_mp4)
    code, report, said, err = _verify(tmp_path, "20240502_091403.heic", data)
    assert code == 0, err
    assert report["media"]["container"] == "heif", report["media"]
    found = _finding(report, "embedded_video_match")
    assert found is not None and "'coffee'" in found["message"], said
    assert found["evidence"]["offset"] == len(data) - len(coffee_mp4), found["evidence"]


def test_a_heic_declaring_a_clip_not_there_is_said_not_examined(coffee_mp4: bytes, tmp_path: Path) -> None:
    """H2 (at the least): the XMP declares a clip and the bytes where its lengths point hold none: notice, exit 1."""
    _index_coffee(tmp_path)
    data = make_corpus.heic_motion_photo(make_corpus.photo_600("astronaut"), bytes(len(coffee_mp4)))
    code, report, said, err = _verify(tmp_path, "20240502_missing.heic", data)
    assert code == 1, (code, err)
    found = _finding(report, "embedded_video_not_examined")
    assert found is not None and "GCamera:MotionPhoto=1" in found["message"], said


def test_index_add_of_a_declared_clip_not_found_warns(coffee_mp4: bytes, tmp_path: Path) -> None:
    """M2: `index add` of a motion photo whose XMP declares a clip that is not where declared said only "added:
    (image, 1 frame)"; it warns as for a damaged clip: the clip posted alone cannot match it."""
    photo = tmp_path / "PXL_missing.MP.jpg"
    photo.write_bytes(make_corpus.ultrahdr_motion_photo(make_corpus.photo_600("astronaut"), coffee_mp4,
                                                        clip_at_end=False))
    added = run_cli("index", "add", photo, "--id", "pxl", env=_env(tmp_path))
    assert added.code == 0, added.stderr
    assert "added: pxl (image, 1 frame)" in added.stdout, added.stdout
    assert "its embedded video (a motion photo) was not indexed: the file declares a motion photo " \
           "(GCamera:MotionPhoto=1)" in added.stderr, added.stderr


def test_a_short_shot_at_the_clips_end_is_said_to_its_end_only(tmp_path: Path) -> None:
    """M1: 4 frames of the coffee photo at the end of a 10-s 30-fps clip (9.867-10.0 s), sampled at its last frame,
    read "1.0 s of 10.0 s ... Clip 0:10.0–0:10.0". The shot's start to the clip's end: 0.1 s, 0:09.9–0:10.0."""
    _index_coffee(tmp_path)
    frames = [make_corpus.photo_600("astronaut")] * 296 + [make_corpus.photo_600("coffee")] * 4
    code, _, said, err = _verify(tmp_path, "end_shot.mp4",
                                 make_corpus.encode_raw("mp4", "libx264", "yuv420p", frames, rate=30))
    assert code == 0, err
    line = next((x for x in said.splitlines() if "Reuses known imagery 'coffee'" in x), "")
    assert "0.1 s of 10.0 s match" in line, said
    assert _clip_ranges(line) == [(9.9, 10.0)], line


def test_a_rate_below_one_frame_a_second_is_said_as_read(tmp_path: Path) -> None:
    """L5: an MP4 at one frame every 200 s got the implausible-rate notice worded "declares 0 frames a second"."""
    from fractions import Fraction

    frames = [make_corpus.photo_600("astronaut")] * 3
    code, report, said, err = _verify(tmp_path, "slow.mp4", make_corpus.encode_raw(
        "mp4", "libx264", "yuv420p", frames, rate=Fraction(1, 200)))  # type: ignore[arg-type]
    found = _finding(report, "implausible_frame_rate")
    assert found is not None and "declares one frame every 200 s, which no camera records" in found["message"], \
        (code, said, err)


@pytest.mark.parametrize("rate", ["1:0", "-25:1"])
def test_a_y4m_with_no_possible_rate_says_25_fps_was_assumed(rate: str, tmp_path: Path) -> None:
    """L6: a Y4M declaring F1:0, F0:0 or F-25:1 was timed at 25 fps (FFmpeg's default) as if declared: the
    report says the header's rate is impossible and 25 fps assumed."""
    _index_coffee(tmp_path)
    code, report, said, err = _verify(tmp_path, "bad_rate.y4m",
                                      make_corpus.y4m_rate(make_corpus.photo_600("coffee"), 10, rate))
    assert code == 0, err
    found = _finding(report, "frames_untimed")
    assert found is not None, said
    assert f"25 fps (assumed: its Y4M header declares F{rate}, no possible frame rate)" in found["message"], said


def test_a_multipart_mjpeg_says_its_times_are_assumed(tmp_path: Path) -> None:
    """L3: a multipart MJPEG recording (no frame times) was timed at FFmpeg's 25 fps without a word."""
    _index_coffee(tmp_path)
    frames = [make_corpus.photo_600("coffee")] * 20
    code, report, said, err = _verify(tmp_path, "cam.mjpg",
                                      make_corpus.encode_raw("mpjpeg", "mjpeg", "yuvj420p", frames))
    assert code == 0, err
    found = _finding(report, "frames_untimed")
    assert found is not None and "multipart MJPEG" in found["message"], said
    assert "25 fps (assumed" in found["message"], said


def test_a_motion_photo_whose_still_is_refused_names_its_clip(coffee_mp4: bytes, tmp_path: Path) -> None:
    """L2: a motion photo whose SOF claims 65500x65500 (refused as a bomb, its metadata reported) failed the visual
    stage without a word of its embedded clip: the reason says the clip was not examined either (exit 1)."""
    code, _, said, err = _verify(tmp_path, "PXL_bomb.MP.jpg",
                                 make_corpus.motion_photo_claiming(65500, 65500, coffee_mp4))
    assert code == 1, (code, err)
    assert "decompression-bomb limit" in said + err, said
    assert "its embedded video (a motion photo, " in said + err and "was not examined either" in said + err, said


def test_index_add_of_a_heic_motion_photo_indexes_its_clip(coffee_mp4: bytes, tmp_path: Path) -> None:
    """H2, `index add`: a HEIC motion photo is indexed with its clip, and `index list` marks it a motion photo."""
    photo = tmp_path / "20240502_091403.heic"
    photo.write_bytes(make_corpus.heic_motion_photo(make_corpus.photo_600("astronaut"), coffee_mp4))
    added = run_cli("index", "add", photo, "--id", "sam", env=_env(tmp_path))
    assert added.code == 0, added.stderr
    assert "added: sam (motion photo: the still and its 2.0 s embedded video, " in added.stdout, added.stdout
    listed = run_cli("index", "list", env=_env(tmp_path)).stdout
    assert "motion photo: still + 2.0 s clip" in listed, listed


def _lying_entry(trailer: bytes, length: int) -> bytes:
    """``make_corpus.sef_trailer``'s bytes with the clip entry's length set to ``length`` (the round-8 recheck
    tester's s1: 10^9; ExifTool stops at such an entry too)."""
    import struct

    at = trailer.rindex(b"SEFH") + 12 + 8  # the first entry's length field
    return trailer[:at] + struct.pack("<I", length) + trailer[at + 4:]


def test_a_heic_whose_trailer_entry_lies_still_has_its_clip_examined(coffee_mp4: bytes, tmp_path: Path) -> None:
    """Issue 14 recheck N1: a HEIC, then Samsung's trailer holding the coffee clip intact but its entry's length
    10^9: exit 0 "No match", the clip not looked at. The clip right after the HEIF's boxes is found and matched."""
    import io

    import pillow_heif
    from PIL import Image

    _index_coffee(tmp_path)
    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    Image.fromarray(make_corpus.photo_600("astronaut")).save(buf, format="HEIF", quality=80)
    data = buf.getvalue() + _lying_entry(make_corpus.sef_trailer(coffee_mp4), 10**9)
    code, report, said, err = _verify(tmp_path, "20240502_s1.heic", data)
    assert code == 0, err
    found = _finding(report, "embedded_video_match")
    assert found is not None and "'coffee'" in found["message"], said

    # the same trailer holding no MP4: its clip is said not examined (exit 1), never a plain "No match"
    data = buf.getvalue() + _lying_entry(make_corpus.sef_trailer(bytes(len(coffee_mp4))), 10**9)
    code, report, said, err = _verify(tmp_path, "20240502_s2.heic", data)
    assert code == 1 and "Samsung trailer names a MotionPhoto_Data block" in said, said

    # the whole file cut short (a download that did not finish: the trailer gone, nothing declares the clip any
    # more): the clip right after the HEIF's boxes is found, and said cut, exit 1 (was "No match" for the still)
    whole = buf.getvalue() + make_corpus.sef_trailer(coffee_mp4)
    code, report, said, err = _verify(tmp_path, "20240502_cut.heic", whole[:len(whole) - len(coffee_mp4) // 3])
    assert code == 1 and _finding(report, "embedded_video_not_examined") is not None, said
    assert "the file is cut" in _finding(report, "embedded_video_not_examined")["message"], said
