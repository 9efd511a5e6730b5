"""Issue 14, round 7 tester's defects (N1-N7): a short shot never sampled, a motion photo with its clip past a gain
map, match ranges past what decoded, an MPO's second picture, damaged raw H.264, absurd Y4M headers.

Each case runs the real CLI in a child process (tests/test_hostile.py's launcher) on files made from
scikit-image's photographs by tests/hostile/make_corpus.py's round-7 builders, against a real workspace holding
the coffee photo: what the desk sees (the printed lines, the exit code, report.json) is asserted.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from PIL import Image
from test_hostile import _env, run_cli

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import make_corpus


def _index_coffee(tmp_path: Path) -> None:
    """The coffee photo at 600x400 (as every round-7 clip is cut) in the workspace's index as ``coffee``."""
    path = tmp_path / "coffee.png"
    Image.fromarray(make_corpus.photo_600("coffee")).save(path)
    added = run_cli("index", "add", path, "--id", "coffee", env=_env(tmp_path))
    assert added.code == 0, added.stderr


def _verify(tmp_path: Path, name: str, data: bytes) -> tuple[int, dict, str, str]:
    """verify ``data`` saved as ``name``: (exit code, report.json, the printed lines, stderr)."""
    path = tmp_path / name
    path.write_bytes(data)
    out = tmp_path / "out" / name
    run = run_cli("verify", path, "--pipeline", "quick", "--out", out, env=_env(tmp_path))
    written = sorted(out.rglob("report.json"))
    report = json.loads(written[0].read_text()) if written else {}
    return run.code, report, run.stdout, run.stderr


def _finding(report: dict, kind: str) -> dict | None:
    return next((f for f in report.get("findings", []) if f["code"] == kind), None)


def _clip_ranges(line: str) -> list[tuple[float, float]]:
    """The "Clip m:ss.s–m:ss.s" ranges a match line gives, in seconds."""
    def s(text: str) -> float:
        minutes, seconds = text.split(":")
        return int(minutes) * 60 + float(seconds)

    return [(s(a), s(b)) for a, b in re.findall(r"[Cc]lip (\d+:\d+\.\d)–(\d+:\d+\.\d)", line)]


def test_a_short_shot_just_after_a_sample_is_sampled_and_matched(tmp_path: Path) -> None:
    """N1: 0.8 s of the indexed coffee photo between two cuts (5.08-5.88 s), starting one frame after a 1-s
    sample, was never hashed: "No match". Every shot gets a sample now; the match is said, and its clip range
    ends at the shot's end, not a whole second into the next shot."""
    _index_coffee(tmp_path)
    code, report, said, err = _verify(tmp_path, "short_shot.mp4", make_corpus.short_shot_clip())
    assert code == 0, err
    visual = report["visual"]
    assert any(abs(c - 5.08) < 0.05 for c in visual["shot_changes"]), visual["shot_changes"]
    assert any(5.08 <= f["t"] < 5.88 for f in visual["frames"]), [f["t"] for f in visual["frames"]]
    line = next((x for x in said.splitlines() if "Reuses known imagery 'coffee'" in x), "")
    assert line, said
    (start, end), = _clip_ranges(line)
    assert 5.0 <= start <= 5.3 and end <= 5.9, line


def test_two_pictures_back_to_back_are_both_compared(tmp_path: Path) -> None:
    """N1 (and low a): the astronaut JPEG with the coffee JPEG appended (a 2-picture MJPEG to FFmpeg) compared
    the first picture only ("No match"): the second shot, shorter than any check, is sampled at the stream's end."""
    _index_coffee(tmp_path)
    data = make_corpus.jpeg_bytes(make_corpus.photo_600("astronaut")) + make_corpus.jpeg_bytes(
        make_corpus.photo_600("coffee"))
    code, _, said, err = _verify(tmp_path, "astro_plus_coffee.jpg", data)
    assert code == 0, err
    assert "Reuses known imagery 'coffee'" in said, said


def test_an_ultra_hdr_motion_photo_has_its_clip_found_past_the_gain_map(tmp_path: Path) -> None:
    """N2: a Pixel Ultra HDR motion photo (primary JPEG, a 240-KB gain-map JPEG, then the MP4 of the coffee photo)
    was read as a 2-frame MJPEG "video" and got "No match". The XMP's declared lengths locate the clip: the still
    is a still, and its embedded video is said to reuse the coffee photo."""
    _index_coffee(tmp_path)
    mp4 = make_corpus.encode_raw("mp4", "libx264", "yuv420p", [make_corpus.photo_600("coffee")] * 75)
    data = make_corpus.ultrahdr_motion_photo(make_corpus.photo_600("astronaut"), mp4)
    assert len(data) - len(mp4) > 100_000  # the clip starts past the 64 KiB searched after the first picture
    code, report, said, err = _verify(tmp_path, "PXL_ultrahdr.MP.jpg", data)
    assert code == 0, err
    assert report["media"]["kind"] == "image", report["media"]
    found = _finding(report, "embedded_video_match")
    assert found is not None and "'coffee'" in found["message"], said
    assert found["evidence"]["offset"] == len(data) - len(mp4), found["evidence"]


def test_a_declared_motion_photo_whose_clip_is_not_there_is_said_not_examined(tmp_path: Path) -> None:
    """N2: the XMP declares a motion photo and the clip's length, and the bytes there hold no MP4: a notice that
    the embedded video was not examined, and exit 1, never a plain "No match"."""
    _index_coffee(tmp_path)
    mp4 = make_corpus.encode_raw("mp4", "libx264", "yuv420p", [make_corpus.photo_600("coffee")] * 75)
    data = make_corpus.ultrahdr_motion_photo(make_corpus.photo_600("astronaut"), mp4, clip_at_end=False)
    code, report, said, err = _verify(tmp_path, "PXL_missing.MP.jpg", data)
    assert code == 1, (code, err)
    found = _finding(report, "embedded_video_not_examined")
    assert found is not None and "GCamera:MotionPhoto=1" in found["message"], said
    assert "not examined" in err, err


def test_a_million_fps_y4m_is_flagged_and_its_range_kept_to_what_decoded(tmp_path: Path) -> None:
    """N4: a Y4M declaring 1,000,000 fps (10 frames in 10 µs, duration 0.0) was said to match "1.0 s ... Clip
    0:00.0–0:01.0" with no word about the rate. The rate gets a notice, and no range runs past the decoded span."""
    _index_coffee(tmp_path)
    code, report, said, err = _verify(tmp_path, "rate_fast.y4m",
                                      make_corpus.y4m_rate(make_corpus.photo_600("coffee"), 10, "1000000:1"))
    assert code == 0, err
    rate = _finding(report, "implausible_frame_rate")
    assert rate is not None and "1,000,000 frames a second" in rate["message"], said
    line = next((x for x in said.splitlines() if "Reuses known imagery 'coffee'" in x), "")
    assert _clip_ranges(line) == [(0.0, 0.0)], line


def test_a_truncated_mjpeg_match_range_ends_where_decoding_did(tmp_path: Path) -> None:
    """N4: raw MJPEG (no declared duration), 2 s astronaut then 2 s coffee, cut at 60%: the coffee match was
    "Clip 0:02.0–0:03.0" with only 2.4 s decoded. The range ends at the decoded span's end."""
    _index_coffee(tmp_path)
    frames = [make_corpus.photo_600("astronaut")] * 50 + [make_corpus.photo_600("coffee")] * 50
    mjpeg = make_corpus.encode_raw("mjpeg", "mjpeg", "yuvj420p", frames)
    code, report, said, err = _verify(tmp_path, "trunc.mjpeg", mjpeg[: int(len(mjpeg) * 0.6)])
    assert code in (0, 1), err
    visual = report["visual"]
    decoded_end = visual["coverage"]["decoded"][-1]["end"]
    line = next((x for x in said.splitlines() if "Reuses known imagery 'coffee'" in x), "")
    ranges = _clip_ranges(line)
    assert ranges and all(end <= decoded_end + 0.05 for _, end in ranges), (line, decoded_end)
    assert f"of {decoded_end:.1f} s" in line, line


def test_the_second_picture_of_an_mpo_is_compared(tmp_path: Path) -> None:
    """N5: an MPO whose second picture is the indexed coffee photo (the first the astronaut) got "No match" with
    no word of the second picture. Both are compared; the report says which matched."""
    _index_coffee(tmp_path)
    data = make_corpus.stereo_mpo(make_corpus.photo_600("astronaut"), make_corpus.photo_600("coffee"))
    code, report, said, err = _verify(tmp_path, "stereo.mpo", data)
    assert code == 0, err
    assert "Reuses known imagery 'coffee'" in said, said
    pictures = _finding(report, "mpo_pictures")
    assert pictures is not None and pictures["evidence"]["matched"] == [2], said
    assert "No match" not in said
    # an MPO's pictures are pictures, not pages (round 8, L1)
    assert "1 of the file's 2 pictures matches" in said and "Picture 2 of the file matches" in said, said
    assert "pages" not in said, said


def test_damaged_raw_h264_says_so_and_exits_1(tmp_path: Path) -> None:
    """N6: raw H.264 cut inside its first frame (4,000 of ~60,000 bytes) or with 3 KB overwritten decoded
    "silently" (concealed frames hashed, exit 0). A decoded_coverage warning names the concealed damage, exit 1."""
    _index_coffee(tmp_path)
    stream = make_corpus.encode_raw("h264", "libx264", "yuv420p", [make_corpus.photo_600("coffee")] * 50)
    overwritten = bytearray(stream)
    middle = len(stream) // 2
    overwritten[middle:middle + 3000] = bytes(range(256)) * 11 + bytes(184)
    for name, data in (("cut.h264", stream[:4000]), ("overwritten.h264", bytes(overwritten))):
        code, report, said, err = _verify(tmp_path, name, data)
        assert code == 1, (name, code, err)
        warning = _finding(report, "decoded_coverage")
        assert warning is not None and "concealed" in warning["message"], (name, said)
    clean = _verify(tmp_path, "clean.h264", stream)
    assert clean[0] == 0 and _finding(clean[1], "decoded_coverage") is None, clean[2]


def test_absurd_y4m_dimensions_get_a_clear_reason(tmp_path: Path) -> None:
    """N7: Y4M headers declaring 60000x60000 or a width of -600 were refused as "incomplete or damaged Y4M file
    ... (Device or resource busy)": the reason names the declared size."""
    for name, (w, h), reason in (("huge.y4m", ("60000", "60000"), "declared picture size 60000x60000"),
                                 ("negative.y4m", ("-600", "400"), "invalid Y4M header: width -600")):
        code, _, _, err = _verify(tmp_path, name, make_corpus.y4m_header(w, h))
        assert code == 2, (name, code, err)
        assert reason in err and "Device or resource busy" not in err, err
        assert len(err.strip().splitlines()) <= 2, err
