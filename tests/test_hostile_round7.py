"""Issue 14, round 7 (the round-6 tester's defects): real footage in raw or unusual wrappers, and file names
at the file system's limit.

Each case runs the real CLI in a child process (tests/test_hostile.py's launcher) on files made from
scikit-image's photographs (tests/hostile/make_corpus.py's round-6 builders), against a real workspace: what
the desk sees is asserted.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from PIL import Image
from test_hostile import _env, run_cli

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import make_corpus


def _index_coffee(tmp_path: Path) -> None:
    """The coffee photo (600x400, as every round-6 clip is cut) in the workspace's index as ``coffee``."""
    path = tmp_path / "coffee.png"
    Image.fromarray(make_corpus._photo_rgb("coffee")).save(path)
    added = run_cli("index", "add", path, "--id", "coffee", env=_env(tmp_path))
    assert added.code == 0, added.stderr


def test_a_name_at_the_file_system_limit_is_indexed_with_its_folder(tmp_path: Path) -> None:
    """D4: a 254-byte file name made the sidecar probe ``<stem>.info.json`` too long (ENAMETOOLONG), which aborted
    `index add FOLDER` with nothing indexed, and verify said "sidecar stage failed: OSError". Such a sidecar
    cannot exist: both files are indexed, and verify finds the long-named one in the index with no stage error."""
    folder = tmp_path / "longname"
    folder.mkdir()
    coffee = make_corpus._photo_rgb("coffee")
    Image.fromarray(coffee).save(folder / "ok.jpg")
    long_name = folder / ("x" * 250 + ".png")
    Image.fromarray(make_corpus._photo_rgb("astronaut")).save(long_name)
    added = run_cli("index", "add", folder, env=_env(tmp_path))
    assert added.code == 0, added.stderr
    assert "added: ok (image, 1 frame)" in added.stdout and "added: xxxxxxxx" in added.stdout, added.stdout
    verified = run_cli("verify", long_name, "--pipeline", "quick", "--out", tmp_path / "out", env=_env(tmp_path))
    assert verified.code == 0, verified.stderr + verified.stdout
    assert "Reuses known imagery 'xxxxxxxx" in verified.stdout, verified.stdout
    assert "OSError" not in verified.stdout + verified.stderr and "sidecar stage failed" not in verified.stdout


def _coffee_clips() -> dict[str, bytes]:
    """The round-6 footage of the coffee photo (50 frames, 2 s at 25 fps) in each raw or unusual wrapper."""
    coffee = make_corpus._photo_rgb("coffee")
    h264 = make_corpus.encode_raw("h264", "libx264", "yuv420p", [coffee] * 50)
    return {
        "coffee.h264": h264,  # D5: Annex-B, no timestamps
        "coffee.hevc": make_corpus.encode_raw("hevc", "libx265", "yuv420p", [coffee] * 50),  # D5
        "coffee_sei_pdf.h264": make_corpus.sei_pdf_h264(h264),  # D2: "%PDF-1.4" in an SEI at byte 7
        "coffee_xcomment_pdf.y4m": make_corpus.y4m(coffee, 50, b"XCOMMENT=%PDF-1.4"),  # D2
        "coffee_plain.y4m": make_corpus.y4m(coffee, 50),  # D7
        "coffee.mpjpeg": make_corpus.encode_raw("mpjpeg", "mjpeg", "yuvj420p", [coffee] * 50),  # D7
    }


def test_footage_in_raw_wrappers_is_decoded_and_matched(tmp_path: Path) -> None:
    """D2, D5, D7: raw H.264/HEVC (no timestamps: "no decodable video frames"), the same behind an SEI holding
    "%PDF-1.4" or a Y4M header comment "%PDF-1.4" (both were "a PDF document, not footage"), a plain Y4M and a
    multipart MJPEG recording ("FFmpeg could only guess"): each is footage of the indexed coffee photo, and
    verify says it reuses it, as video, with no visual-stage failure."""
    _index_coffee(tmp_path)
    for name, data in _coffee_clips().items():
        clip = tmp_path / name
        clip.write_bytes(data)
        run = run_cli("verify", clip, "--pipeline", "quick", "--json", "--out", tmp_path / "out",
                  env=_env(tmp_path))
        assert run.code == 0, (name, run.code, run.stderr, run.stdout[-2000:])
        report = json.loads(run.stdout)
        assert report["media"]["kind"] == "video", (name, report["media"])
        said = " ".join(f["message"] for f in report["findings"])
        assert "Reuses known imagery 'coffee'" in said, (name, said)
        assert "PDF" not in said and "visual stage failed" not in said, (name, said)
        untimed = [f["message"] for f in report["findings"] if f["code"] == "frames_untimed"]
        if name.endswith((".h264", ".hevc", ".mpjpeg")):  # no timestamps: the report says how its times were made
            assert untimed and "count frames at 25 fps" in untimed[0], (name, untimed)
        else:
            assert not untimed, (name, untimed)


def test_sniff_pdf_prefix_rule_keeps_tolerated_prefixes_only() -> None:
    """D2 at the sniffer: a BOM, NULs or one text line before "%PDF-" stay a document (round 5, N1); binary bytes,
    an Annex-B start code or a Y4M header line before it do not."""
    from provenance.sniff import sniff

    assert sniff(b"\xef\xbb\xbf%PDF-1.4\n") == "pdf"
    assert sniff(b"\x00" * 321 + b"%PDF-1.4\n") == "pdf"
    assert sniff(b"garbage line\r\n%PDF-1.4\n") == "pdf"
    assert sniff(b"two\nlines\n%PDF-1.4\n") is None
    assert sniff(b"\x00\x00\x00\x01\x06\x05\x1b" + b"\x11" * 16 + b"%PDF-1.4 ok") is None
    assert sniff(b"YUV4MPEG2 W600 H400 XCOMMENT=%PDF-1.4\n") == "y4m"


def test_a_raw_mjpeg_clip_is_footage_not_its_first_picture(tmp_path: Path) -> None:
    """D1: an IP camera's .mjpeg (50 astronaut then 50 coffee JPEGs back to back) was one JPEG still of the
    astronaut, "No match" for the indexed coffee photo, and `index add` of it indexed 1 frame. Now it is a video
    whose coffee part (2.0-4.0 s) matches, and indexing it keeps more than one frame."""
    _index_coffee(tmp_path)
    astronaut, coffee = make_corpus._photo_rgb("astronaut"), make_corpus._photo_rgb("coffee")
    clip = tmp_path / "astro_then_coffee.mjpeg"
    clip.write_bytes(make_corpus.encode_raw("mjpeg", "mjpeg", "yuvj420p", [astronaut] * 50 + [coffee] * 50))
    run = run_cli("verify", clip, "--pipeline", "quick", "--json", "--out", tmp_path / "out",
                  env=_env(tmp_path))
    assert run.code == 0, (run.stderr, run.stdout[-2000:])
    report = json.loads(run.stdout)
    assert report["media"]["kind"] == "video", report["media"]
    said = " ".join(f["message"] for f in report["findings"])
    assert "Reuses known imagery 'coffee'" in said and "0:02.0" in said, said
    added = run_cli("index", "add", clip, "--id", "cctv", env=_env(tmp_path))
    assert added.code == 0 and "added: cctv (video," in added.stdout, added.stdout + added.stderr


def test_a_motion_photos_embedded_video_is_examined_too(tmp_path: Path) -> None:
    """D3: a Pixel motion photo (an astronaut JPEG, then a 3 s MP4 of the coffee photo; XMP GCamera:MotionPhoto=1)
    was examined as the still only and got a plain "No match". Its embedded clip is now matched as well: a
    warning names the coffee reference and the clip's length, and the "No match" is said of the still alone. A
    plain JPEG keeps no such finding."""
    _index_coffee(tmp_path)
    coffee = make_corpus._photo_rgb("coffee")
    mp4 = make_corpus.encode_raw("mp4", "libx264", "yuv420p", [coffee] * 90, rate=30)
    photo = tmp_path / "PXL_motion.MP.jpg"
    photo.write_bytes(make_corpus.motion_photo(make_corpus._photo_rgb("astronaut"), mp4))
    run = run_cli("verify", photo, "--pipeline", "quick", "--json", "--out", tmp_path / "out",
                  env=_env(tmp_path))
    assert run.code == 0, (run.stderr, run.stdout[-2000:])
    report = json.loads(run.stdout)
    assert report["media"]["kind"] == "image"
    by_code = {f["code"]: f["message"] for f in report["findings"]}
    assert "embedded video (3.0 s, a motion photo) reuses known imagery 'coffee'" in by_code["embedded_video_match"]
    assert "for the still picture" in by_code["no_known_match"], by_code
    plain = tmp_path / "astronaut.jpg"
    Image.fromarray(make_corpus._photo_rgb("astronaut")).save(plain)
    run = run_cli("verify", plain, "--pipeline", "quick", "--json", "--out", tmp_path / "out",
                  env=_env(tmp_path))
    assert not any(f["code"].startswith("embedded") for f in json.loads(run.stdout)["findings"])


def test_a_motion_photo_whose_clip_is_damaged_is_partly_examined(tmp_path: Path) -> None:
    """D3's floor: when the embedded clip cannot be read (its MP4 cut after 2 KB: no moov), the report says the
    video was not examined and exits 1, never a plain "No match" with exit 0."""
    _index_coffee(tmp_path)
    coffee = make_corpus._photo_rgb("coffee")
    mp4 = make_corpus.encode_raw("mp4", "libx264", "yuv420p", [coffee] * 30, rate=30)
    photo = tmp_path / "cut_motion.jpg"
    photo.write_bytes(make_corpus.motion_photo(make_corpus._photo_rgb("astronaut"), mp4[:2048]))
    run = run_cli("verify", photo, "--pipeline", "quick", "--json", "--out", tmp_path / "out",
                  env=_env(tmp_path))
    assert run.code == 1, (run.code, run.stderr)
    report = json.loads(run.stdout)
    by_code = {f["code"]: f["message"] for f in report["findings"]}
    assert "which was not examined" in by_code["embedded_video_not_examined"], by_code
    assert "for the still picture" in by_code["no_known_match"], by_code


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="ExifTool not installed")
@pytest.mark.parametrize("prefix", [b"\x00" * 321, b"\xef\xbb\xbf", b"garbage line\n"], ids=["nuls", "bom", "text"])
def test_a_pdf_with_bytes_before_its_header_keeps_its_dates(prefix: bytes, tmp_path: Path) -> None:
    """D6: ExifTool looks for "%PDF-" at byte 0 and read a PDF with 321 NULs before it as "JPEG-like data": the
    report said "No creation or modification date". It now reads the document from its header, and the report
    gives the document's creation date (2019-05-04), as for the same PDF without the prefix."""
    pdf = tmp_path / "prefixed.pdf"
    pdf.write_bytes(prefix + make_corpus.photo_pdf())
    run = run_cli("verify", pdf, "--pipeline", "quick", "--json", "--out", tmp_path / "out",
                  env=_env(tmp_path))
    report = json.loads(run.stdout)
    said = " ".join(f["message"] for f in report["findings"])
    assert "Document created 2019-05-04" in said, said
    assert "No creation or modification date" not in said


def test_index_add_of_a_pdf_says_to_index_its_pictures(tmp_path: Path) -> None:
    """Low (c)/L5: `index add` of a PDF told the desk to "verify each" of its pictures; it is refused with the
    advice for indexing ("extract them ... and index each")."""
    pdf = tmp_path / "p3.pdf"
    pdf.write_bytes(make_corpus.photo_pdf())
    added = run_cli("index", "add", pdf, env=_env(tmp_path))
    assert added.code != 0
    assert "and index each" in added.stderr and "verify each" not in added.stderr, added.stderr


def test_a_multi_picture_jpeg_stays_a_photo(tmp_path: Path) -> None:
    """D1's boundary: a camera's Multi-Picture Format JPEG (an APP2 "MPF" segment, its preview JPEG after the
    primary's EOI: Pillow writes one as MPO) holds pictures of one shot, not a clip: still an image."""
    astronaut = Image.fromarray(make_corpus._photo_rgb("astronaut"))
    mpo = tmp_path / "camera.jpg"
    astronaut.save(mpo, "MPO", save_all=True, append_images=[astronaut.resize((300, 200))])
    run = run_cli("verify", mpo, "--pipeline", "quick", "--json", "--out", tmp_path / "out",
                  env=_env(tmp_path))
    assert run.code in (0, 1), run.stderr
    assert json.loads(run.stdout)["media"]["kind"] == "image"
