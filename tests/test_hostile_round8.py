"""Issue 14, round 7 follow-up: a phone's motion photo (a JPEG with its MP4 appended) is indexed with its clip,
and a batch re-match of its report covers the clip as verify does.

`index add` indexed the still only, so the clip posted on its own (what a desk receives from a social network
that split it) got "No match" against the desk's own motion photo; and a batch re-run after the index changed
matched the still's stored frames only, keeping the clip's old matches. Each case runs the real CLI in a child
process on files made from scikit-image's photographs (tests/hostile/make_corpus.py) in a real workspace.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from PIL import Image
from test_hostile import _env, run_cli

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import make_corpus


@pytest.fixture(scope="module")
def coffee_mp4() -> bytes:
    """3 s of the coffee photo at 30 fps (600x400 H.264 MP4): the clip a phone appends to its still."""
    return make_corpus.encode_raw("mp4", "libx264", "yuv420p", [make_corpus._photo_rgb("coffee")] * 90, rate=30)


@pytest.mark.parametrize("maker", ["google", "samsung"])
def test_index_add_of_a_motion_photo_indexes_its_clip_and_says_so(maker: str, coffee_mp4: bytes,
                                                                  tmp_path: Path) -> None:
    """The added line names what was indexed (the still and its 3.0 s embedded video); the clip posted alone
    then matches the motion photo's reference, and so does the still. Google's layout (XMP MotionPhoto, the MP4
    right after the JPEG) and Samsung's (a MotionPhoto_Data block, then a SEFT trailer after the MP4) alike."""
    build = make_corpus.motion_photo if maker == "google" else make_corpus.samsung_motion_photo
    photo = tmp_path / "motion.jpg"
    photo.write_bytes(build(make_corpus._photo_rgb("astronaut"), coffee_mp4))
    added = run_cli("index", "add", photo, "--id", "pxl", env=_env(tmp_path))
    assert added.code == 0, added.stderr
    assert "added: pxl (motion photo: the still and its 3.0 s embedded video, " in added.stdout, added.stdout
    assert "warning" not in added.stderr, added.stderr
    clip = tmp_path / "posted.mp4"
    clip.write_bytes(coffee_mp4)
    run = run_cli("verify", clip, "--pipeline", "quick", "--json", "--out", tmp_path / "out", env=_env(tmp_path))
    assert run.code == 0, (run.stderr, run.stdout[-2000:])
    report = json.loads(run.stdout)
    assert [m["reference_id"] for m in report["visual"]["matches"]] == ["pxl"], report["visual"]["matches"]
    said = " ".join(f["message"] for f in report["findings"])
    assert "Reuses known imagery 'motion'" in said and "No match" not in said, said  # its title: the stem
    still = tmp_path / "astronaut.jpg"
    Image.fromarray(make_corpus._photo_rgb("astronaut")).save(still, quality=90)
    run = run_cli("verify", still, "--pipeline", "quick", "--json", "--out", tmp_path / "out", env=_env(tmp_path))
    assert run.code == 0, run.stderr
    assert [m["reference_id"] for m in json.loads(run.stdout)["visual"]["matches"]] == ["pxl"]


def test_a_motion_photo_whose_clip_is_damaged_is_indexed_as_the_still_only_and_says_so(
        coffee_mp4: bytes, tmp_path: Path) -> None:
    """A clip that cannot be read (its MP4 cut after 2 KB) leaves the still indexed alone: the warning and
    `index list` say the embedded video was not indexed and why, never a silent 1-frame image."""
    photo = tmp_path / "cut.jpg"
    photo.write_bytes(make_corpus.motion_photo(make_corpus._photo_rgb("astronaut"), coffee_mp4[:2048]))
    added = run_cli("index", "add", photo, env=_env(tmp_path))
    assert added.code == 0, added.stderr
    assert "added: cut (image, 1 frame)" in added.stdout, added.stdout
    assert "its embedded video (a motion photo) was not indexed: the embedded clip: incomplete or damaged MP4" \
        in added.stderr, added.stderr
    listed = run_cli("index", "list", env=_env(tmp_path))
    assert "1 frame, partly indexed" in listed.stdout and "was not indexed" in listed.stdout, listed.stdout
    assert "provenance-embedded-" not in added.stderr + listed.stdout  # the temporary copy is never named


def test_batch_rematch_of_a_motion_photo_matches_its_clip_again(coffee_mp4: bytes, tmp_path: Path) -> None:
    """A batch report of a motion photo made before the coffee footage was indexed, re-run after: it is matched
    again from its stored frames (nothing decoded), and the clip's frames are among them: the new run reports
    the embedded video's match, as a fresh verify does."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "PXL.MP.jpg").write_bytes(make_corpus.motion_photo(make_corpus._photo_rgb("astronaut"), coffee_mp4))
    astronaut = tmp_path / "astronaut.png"
    Image.fromarray(make_corpus._photo_rgb("astronaut")).save(astronaut)
    assert run_cli("index", "add", astronaut, "--id", "astro", env=_env(tmp_path)).code == 0
    out = tmp_path / "out"
    args = ("batch", folder, "--pipeline", "quick", "--out", out, "--workers", "1")
    first = run_cli(*args, env=_env(tmp_path))
    assert first.code == 0, first.stderr
    report_path = next(out.glob("PXL.MP-*/report.json"))
    before = json.loads(report_path.read_text())
    assert before["visual"]["embedded_video"]["matches"] == []
    coffee = tmp_path / "coffee.png"
    Image.fromarray(make_corpus._photo_rgb("coffee")).save(coffee)
    assert run_cli("index", "add", coffee, "--id", "coffee", env=_env(tmp_path)).code == 0
    again = run_cli(*args, env=_env(tmp_path))
    assert again.code == 0, again.stderr
    assert "1 re-matched against the changed index" in again.stderr + again.stdout, again.stderr
    after = json.loads(report_path.read_text())
    assert after["visual"]["rematched"] is not None
    assert [m["reference_id"] for m in after["visual"]["embedded_video"]["matches"]] == ["coffee"]
    by_code = {f["code"]: f["message"] for f in after["findings"]}
    assert "embedded video (3.0 s, a motion photo) reuses known imagery 'coffee'" in by_code["embedded_video_match"]
    # the same seconds as a fresh verify (round 8, M3: the clip was re-matched as the still's pages, "0.0 s")
    fresh = run_cli("verify", folder / "PXL.MP.jpg", "--pipeline", "quick", "--json", "--out", tmp_path / "v",
                    env=_env(tmp_path))
    verified = {f["code"]: f["message"] for f in json.loads(fresh.stdout)["findings"]}
    assert by_code["embedded_video_match"] == verified["embedded_video_match"], (by_code, verified)
    assert "0.0 s of it match" not in by_code["embedded_video_match"]


def test_index_add_of_a_whole_multipart_mjpeg_recording_is_not_partly_indexed(tmp_path: Path) -> None:
    """FFmpeg's mpjpeg demuxer fails ("Invalid data found") on the boundary line written after the last picture:
    `index add` of a complete 4-s recording said "indexed only up to 4.0 s, stopped by a decode error" and `index
    list` "partly indexed". Nothing is missing: no warning, and the recording's coffee half matches the photo."""
    astronaut, coffee = make_corpus._photo_rgb("astronaut"), make_corpus._photo_rgb("coffee")
    rec = tmp_path / "ipcam.mpjpeg"
    rec.write_bytes(make_corpus.encode_raw("mpjpeg", "mjpeg", "yuvj420p", [astronaut] * 50 + [coffee] * 50))
    added = run_cli("index", "add", rec, env=_env(tmp_path))
    assert added.code == 0, added.stderr
    assert "added: ipcam (video, " in added.stdout, added.stdout
    assert "decode error" not in added.stderr and "warning" not in added.stderr, added.stderr
    listed = run_cli("index", "list", env=_env(tmp_path))
    assert "partly indexed" not in listed.stdout, listed.stdout
    photo = tmp_path / "coffee.png"
    Image.fromarray(coffee).save(photo)
    run = run_cli("verify", photo, "--pipeline", "quick", "--json", "--out", tmp_path / "out", env=_env(tmp_path))
    assert [m["reference_id"] for m in json.loads(run.stdout)["visual"]["matches"]] == ["ipcam"]


def test_index_add_of_a_folder_of_pdfs_gives_the_advice_once(tmp_path: Path) -> None:
    """Round 6, low (c): `index add pdf/` repeated the whole "extract them ... and index each" advice for every
    PDF. Each file still gets its own error line naming it; the advice is said once."""
    folder = tmp_path / "pdf"
    folder.mkdir()
    for n in range(3):
        (folder / f"p{n}.pdf").write_bytes(make_corpus.photo_pdf())
    added = run_cli("index", "add", folder, env=_env(tmp_path))
    assert added.code != 0
    errors = [line for line in added.stderr.splitlines() if line.startswith("provenance: error:")]
    assert len(errors) == 3 and all(f"p{n}.pdf: a PDF document" in errors[n] for n in range(3)), errors
    assert added.stderr.count("and index each") == 1 and errors[1].endswith("(as above)"), errors
