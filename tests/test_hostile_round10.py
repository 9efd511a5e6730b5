"""Issue 14, round 8 tester's lows: damaged tails that were silent, a cut multipart MJPEG recording, a JPEG with a
second JPEG appended called a 2-frame video, folder-derived reference ids, motion photos in `index list`.

Files are made by tests/hostile/make_corpus.py's builders (real encoders: PyAV's libx264/AAC/MJPEG, Pillow) from
scikit-image's photographs; each CLI case runs the real console script in a child process
(tests/test_hostile.py's launcher) against a real workspace, and asserts what the desk sees: the printed lines,
the exit code, report.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from test_hostile import _env, run_cli
from test_hostile_round9 import _finding, _index_coffee, _verify

from provenance.truncation import cut_reason, still_jpeg_cut

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import make_corpus

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.mark.parametrize("fmt, box", [("mp4", "'mdat' box"), ("mkv", "Matroska Segment")])
def test_a_clip_cut_by_its_last_tenth_says_where_decoding_stopped(tmp_path: Path, fmt: str, box: str) -> None:
    """(d) A faststart MP4 / a Matroska file cut by its last 10% decoded to 9.0 of 10.0 s, inside the 1-s tail
    allowance: exit 0, no word. The container declares more bytes than the file has: the report says the file
    is cut, where decoding stopped against the declared duration, and exits 1."""
    data = make_corpus.tail_clip("matroska" if fmt == "mkv" else fmt)
    code, report, said, err = _verify(tmp_path, f"cut.{fmt}", make_corpus.damaged_tail(data, "cut"))
    assert code == 1, (said, err)
    warning = _finding(report, "decoded_coverage")
    assert warning is not None and "the file is cut" in warning["message"] and box in warning["message"], said
    coverage = report["visual"]["coverage"]
    assert coverage["ended_at_s"] is not None and coverage["ended_at_s"] < coverage["declared_s"], coverage
    assert any(e["stage"] == "visual" and "partly decoded" in e["message"] for e in report["errors"]), report["errors"]


def test_a_jpeg_whose_last_tenth_is_zeros_is_said_damaged(tmp_path: Path) -> None:
    """(d) A photo whose last 10% is zeros decoded without an error (the zeros are coded data: a grey band) and was
    compared as if whole, exit 0. Its picture has no end-of-image marker: said, with the zeros, exit 1; a cut one
    says the same (it said Pillow's "image file is truncated (161 bytes not processed)")."""
    photo = make_corpus.jpeg_bytes(make_corpus.photo_600("astronaut"))
    code, report, said, err = _verify(tmp_path, "zeros.jpg", make_corpus.damaged_tail(photo, "zeros"))
    assert code == 1, (said, err)
    error = next(e["message"] for e in report["errors"] if e["stage"] == "visual")
    assert "no end-of-image marker" in error and "bytes are zeros" in error, error
    assert "No match" not in said
    code, report, said, err = _verify(tmp_path, "cut.jpg", make_corpus.damaged_tail(photo, "cut"))
    assert code == 1 and "no end-of-image marker" in err, (said, err)


def test_a_multipart_recording_cut_mid_part_is_said_cut(tmp_path: Path) -> None:
    """A multipart MJPEG recording cut in the middle of its last part gave exit 0 and no warning. Its last
    picture has no end: a decoded_coverage warning naming the byte it started at, exit 1."""
    frames = [make_corpus.photo_600("astronaut")] * 20 + [make_corpus.photo_600("coffee")] * 20
    data = make_corpus.multipart_recording(frames)
    last_part = data.rfind(b"\xff\xd8\xff")
    code, report, said, err = _verify(tmp_path, "cam.mjpg", data[: (last_part + len(data)) // 2])
    assert code == 1, (said, err)
    warning = _finding(report, "decoded_coverage")
    assert warning is not None and f"last picture (from byte {last_part:,})" in warning["message"], said
    added = run_cli("index", "add", tmp_path / "cam.mjpg", env=_env(tmp_path))  # and `index add` says so
    assert added.code == 0 and "(its length unknown) missing (the file is cut" in added.stderr, added.stderr


def test_whole_files_are_not_called_cut(tmp_path: Path) -> None:
    """The rule's other side, on the same encoders' whole files and every JPEG of the shared corpus: nothing
    cut, nothing said."""
    for fmt, name in (("mp4", "mov"), ("matroska", "matroska")):
        path = tmp_path / f"whole.{fmt}"
        path.write_bytes(make_corpus.tail_clip(fmt))
        assert cut_reason(path, name) is None, fmt
    path = tmp_path / "whole.mjpg"
    path.write_bytes(make_corpus.multipart_recording([make_corpus.photo_600("coffee")] * 5))
    assert cut_reason(path, "mpjpeg") is None
    jpegs = [p for p in CORPUS.rglob("*") if p.is_file() and p.open("rb").read(3) == b"\xff\xd8\xff"]
    if not jpegs:
        pytest.skip("the shared corpus is not here")
    assert [p for p in jpegs if still_jpeg_cut(p) is not None] == []  # 67 phone and camera JPEGs


def test_a_jpeg_with_another_appended_is_a_still_with_trailing_data(tmp_path: Path) -> None:
    """(a) The astronaut JPEG with a smaller coffee JPEG appended after its end (no MPF header, no motion-photo
    XMP, no MP4) was a 2-frame 25 fps "video". It is a still: the report says which bytes trail the picture and
    that they are another JPEG (its size), compares that picture too, as an MPO's are, and says "picture 2"."""
    from PIL import Image

    _index_coffee(tmp_path)
    first = make_corpus.jpeg_bytes(make_corpus.photo_600("astronaut"))
    second = make_corpus.jpeg_bytes(np.asarray(Image.fromarray(make_corpus.photo_600("coffee")).resize((300, 200))))
    code, report, said, err = _verify(tmp_path, "pasted.jpg", first + second)
    assert code == 0, err
    assert report["media"]["kind"] == "image" and report["media"]["duration_s"] is None, report["media"]
    assert "video" not in report["media"]["kind"] and "fps" not in said
    trailing = _finding(report, "appended_pictures")
    assert trailing is not None, said
    assert trailing["evidence"]["first_picture_ends"] == len(first)
    assert trailing["evidence"]["appended"] == [[len(first), len(first) + len(second), [300, 200]]]
    assert trailing["evidence"]["matched"] == [2], trailing
    assert f"{len(second):,} bytes after its end" in trailing["message"] and "(300x200)" in trailing["message"]
    assert "Reuses known imagery 'coffee'" in said and "No match" not in said


def test_three_frames_of_one_size_stay_a_clip(tmp_path: Path) -> None:
    """The rule's other side: JPEGs back to back of one size, three or more, are a raw MJPEG clip (FFmpeg's
    mjpeg demuxer), not a still with pictures appended."""
    from provenance.media import probe

    path = tmp_path / "three.mjpeg"
    path.write_bytes(make_corpus.encode_raw("mjpeg", "mjpeg", "yuvj420p", [make_corpus.photo_600("coffee")] * 3))
    media = probe(path)
    assert media.kind == "video" and media.container == "mjpeg", media


def test_folder_ids_are_unique_stable_readable_and_said(tmp_path: Path) -> None:
    """(b) `index add a/` with x.jpg in two sub-folders gave "x" to the first and "sub2/x" to the second (which
    got the bare stem hung on the walk's order), and names with a tab, "$(" or an escape sequence gave ids a
    shell cannot take back unquoted ("bad_xffname\\x1b[31m" held a backslash). Each same-named file is named by
    its folder, every id is letters, digits and -_.+@/ only, each is said on its "added:" line, and adding the
    folder again finds them under the same ids."""
    import re

    folder = tmp_path / "a"
    for sub in ("sub1", "sub2", "we ird"):
        (folder / sub).mkdir(parents=True)
    photos = ("astronaut", "coffee", "chelsea", "rocket")
    (folder / "sub1" / "x.jpg").write_bytes(make_corpus.jpeg_bytes(make_corpus.photo_600(photos[0])))
    (folder / "sub2" / "x.jpg").write_bytes(make_corpus.jpeg_bytes(make_corpus.photo_600(photos[1])))
    (folder / "we ird" / "$(rm) é\ttab.jpg").write_bytes(make_corpus.jpeg_bytes(make_corpus.photo_600(photos[2])))
    odd = bytes(folder / "sub1") + b"/bad\xffname\x1b[31m.jpg"
    Path(odd.decode("utf-8", "surrogateescape")).write_bytes(make_corpus.jpeg_bytes(make_corpus.photo_600(photos[3])))
    added = run_cli("index", "add", folder, env=_env(tmp_path))
    assert added.code == 0, added.stderr
    ids = re.findall(r"^added: (\S+) \(image", added.stdout, re.M)
    assert sorted(ids) == ["bad_name_31m", "rm_é_tab", "sub1/x", "sub2/x"], added.stdout
    assert all(re.fullmatch(r"[\w.+@/-]+", i) for i in ids)
    # the path on an "added:" line shows a byte that is not UTF-8 as \xff, as every other line does (was \udcff)
    assert "bad\\xffname\\x1b[31m.jpg" in added.stdout and "udcff" not in added.stdout, added.stdout
    again = run_cli("index", "add", folder, env=_env(tmp_path))
    assert sorted(re.findall(r"^unchanged: (\S+) ", again.stdout, re.M)) == sorted(ids), again.stdout
    listed = json.loads(run_cli("index", "list", "--json", env=_env(tmp_path)).stdout)
    assert sorted(r["id"] for r in listed) == sorted(ids)


def test_index_list_marks_a_motion_photo(tmp_path: Path) -> None:
    """`index list` showed a motion photo indexed with its clip as a plain "video" of N frames beside a .jpg path.
    It says "motion photo: still + 3.0 s clip", and --json says motion_photo; a plain photo is not marked."""
    mp4 = make_corpus.clip(3.0, size=(160, 96), fps=10, seed=5)
    photo = tmp_path / "PXL.MP.jpg"
    photo.write_bytes(make_corpus.motion_photo(make_corpus.photo_600("astronaut"), mp4))
    plain = tmp_path / "plain.jpg"
    plain.write_bytes(make_corpus.jpeg_bytes(make_corpus.photo_600("coffee")))
    assert run_cli("index", "add", photo, plain, env=_env(tmp_path)).code == 0
    listed = run_cli("index", "list", env=_env(tmp_path)).stdout
    line = next(x for x in listed.splitlines() if x.startswith("PXL.MP "))
    assert "motion photo: still + 3.0 s clip" in line, listed
    assert "motion photo" not in next(x for x in listed.splitlines() if x.startswith("plain "))
    as_json = {r["id"]: r["motion_photo"] for r in json.loads(run_cli("index", "list", "--json",
                                                                      env=_env(tmp_path)).stdout)}
    assert as_json == {"PXL.MP": True, "plain": False}


@pytest.mark.parametrize("how, said", [("cut", "the file is cut: its 'mdat' box declares"),
                                       ("zeros", "where a box should start, it is zeros")])
def test_an_mp4_whose_index_was_at_the_lost_end_says_how_it_ends(tmp_path: Path, how: str, said: str) -> None:
    """An MP4 written with its index (moov) last, cut or zeroed by its last 10%, cannot be opened (no report,
    as before); the one-line reason now says what its structure shows: the mdat box running past the end, or
    zeros where the next box should start."""
    from provenance.media import MediaError, probe

    path = tmp_path / f"{how}.mp4"
    path.write_bytes(make_corpus.damaged_tail(make_corpus.clip(10.0, size=(160, 96), fps=10, seed=31), how))
    with pytest.raises(MediaError, match="incomplete or damaged MP4 file") as raised:
        probe(path)
    assert said in str(raised.value), raised.value
