"""Issue 14, round 5 (a fresh tester's report): a document with bytes before its header, a C2PA check that read
whole files into memory, and multi-page TIFFs with a page Pillow cannot read.

Each case runs the real CLI in a child process (tests/test_hostile.py's launcher) on files made from
scikit-image's photographs, against a real index made with `index add`: what the desk sees is asserted.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from test_hostile import _env, run_cli
from test_hostile_documents import _codes, _index, _photo, _verify


@pytest.mark.parametrize("prefix", [b"\xef\xbb\xbf", b"\x00" * 16, b"garbage line\n"], ids=["bom", "nuls", "text"])
def test_a_pdf_with_bytes_before_its_header_is_still_a_document(prefix: bytes, tmp_path: Path) -> None:
    """N1: PDF readers accept "%PDF-" within the first 1,024 bytes; with a BOM, NULs or a text line before it the
    3-page PDF was a 25 fps MJPEG "video" of page 1 and the indexed coffee on page 2 got "No match"."""
    _index(tmp_path, "coffee")
    buf = io.BytesIO()
    _photo("astronaut").save(buf, "PDF", save_all=True, append_images=[_photo("coffee"), _photo("chelsea")])
    pdf = tmp_path / "prefixed.pdf"
    pdf.write_bytes(prefix + buf.getvalue())
    run, report = _verify(pdf, tmp_path)
    assert report["media"]["kind"] == "document" and report["media"]["container"] == "pdf"
    assert "its embedded pictures are not examined" in run.stderr, run.stderr
    assert "No match" not in run.stdout + run.stderr
    assert "no_known_match" not in _codes(report)
    added = run_cli("index", "add", pdf, "--id", "doc", env=_env(tmp_path))
    assert added.code != 0 and "(video" not in added.stdout


def test_a_jpeg_found_inside_other_bytes_is_not_a_video(tmp_path: Path) -> None:
    """N1, in general: FFmpeg's raw MJPEG demuxer finds a JPEG anywhere in a file, so any file holding one (here
    after 2,000 bytes of a text header) opened as a one-picture "video". A JPEG stream starts with FF D8."""
    jpg = io.BytesIO()
    _photo("coffee").save(jpg, "JPEG")
    odd = tmp_path / "wrapped.dat"
    odd.write_bytes(b"an archive header line\n" * 90 + jpg.getvalue())
    run = run_cli("verify", odd, "--pipeline", "quick", "--out", tmp_path / "out", env=_env(tmp_path))
    assert run.code == 2, (run.code, run.stdout, run.stderr)
    assert "not a media file" in run.stderr and "'mjpeg'" in run.stderr, run.stderr


def test_sniff_finds_a_pdf_header_within_1024_bytes_only_where_nothing_else_is_announced() -> None:
    from provenance.sniff import PDF_HEADER_WINDOW, raw_guess, sniff

    assert sniff(b"\x00" * 1000 + b"%PDF-1.4\n") == "pdf"
    assert sniff(b"\x00" * PDF_HEADER_WINDOW + b"%PDF-1.4\n") is None  # past the window: not a header
    assert sniff(b"\xff\xd8\xff\xe0" + b"%PDF-1.4") == "jpeg"  # a JPEG stays a JPEG whatever its comment says
    assert raw_guess("mjpeg", b"\x00" * 600) == "mjpeg"


def test_a_jpeg_too_big_for_the_c2pa_sdk_is_named_not_checked_not_no_manifest(tmp_path: Path) -> None:
    """N3: the C2PA SDK reads a JPEG or PDF whole (a 700 MB JPEG peaked at 1.9 GB; under max_memory_mb it failed
    as "IO error" while readers.c2pa said "ok"). Over c2pa.MAX_WHOLE_READ_MB it is not run: Content Credentials
    are unknown with the reason, never "no manifest", and FFmpeg's still demuxer (the whole file as one packet)
    is not run either. The tail is a sparse hole: no disk is spent."""
    from provenance.metadata.c2pa import MAX_WHOLE_READ_MB

    jpg = io.BytesIO()
    _photo("coffee").save(jpg, "JPEG")
    big = tmp_path / "big.jpg"
    with big.open("wb") as fh:
        fh.write(jpg.getvalue())
        fh.truncate((MAX_WHOLE_READ_MB + 1) * 2**20)
    _run, report = _verify(big, tmp_path)
    meta = report["metadata"]
    assert meta["status"] == "ok"
    assert meta["c2pa"]["present"] is None and meta["c2pa"]["validation"] is None
    assert meta["c2pa"]["note"].startswith(f"not checked: file over {MAX_WHOLE_READ_MB} MB")
    assert meta["readers"]["c2pa"].startswith("not checked: file over")
    assert meta["readers"]["container"].startswith("not read: FFmpeg's still demuxer reads the whole")
    md = (next((tmp_path / "out").rglob("report.md"))).read_text()
    assert "not checked" in md and "no manifest" not in md


@pytest.mark.skipif(not Path("/work/shared/corpus/c2pa/no_alg.jpg").exists(), reason="shared corpus absent")
def test_a_c2pa_read_error_is_not_reported_as_an_ok_reader() -> None:
    """N3: readers.c2pa said "ok" whatever the SDK answered; a manifest the SDK fails on (an unknown algorithm,
    c2pa-rs's own test file) now shows its error there, as in raw.Errors.c2pa."""
    pytest.importorskip("c2pa")
    from provenance.metadata.extraction import extract

    section = extract(Path("/work/shared/corpus/c2pa/no_alg.jpg"), "image")
    assert section.c2pa.validation == "error"
    assert section.readers["c2pa"] != "ok" and "unknown algorithm" in section.readers["c2pa"]
