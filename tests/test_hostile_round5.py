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


def _tiff_with_odd_page_2(path: Path, tag: str, value: int) -> None:
    """astronaut, a grey 100x100 page, coffee (Pillow, uncompressed), then page 2's ``tag`` rewritten in place
    to ``value`` (a short stored in the IFD entry itself): a layout Pillow has no mode for."""
    import tifffile
    from PIL import Image

    grey = Image.new("L", (100, 100), 90)
    _photo("astronaut").save(path, save_all=True, append_images=[grey, _photo("coffee")])
    with tifffile.TiffFile(path) as tif:
        offset = tif.pages[1].tags[tag].valueoffset
    with path.open("r+b") as fh:
        fh.seek(offset)
        fh.write(value.to_bytes(2, "little"))


@pytest.mark.parametrize(("tag", "value", "named"), [("BitsPerSample", 7, "BitsPerSample 7"),
                                                     ("PhotometricInterpretation", 32844, "photometric LOGL")])
def test_a_tiff_page_pillow_cannot_read_does_not_hide_the_pages_after_it(tag: str, value: int, named: str,
                                                                         tmp_path: Path) -> None:
    """N2/N7: a page Pillow cannot set up (BitsPerSample 7, LogL) ended the page count: the 3-page file was
    taken as 1 page and the indexed coffee on page 3 got "No match". Pages are counted from the IFD chain; page 3
    matches, and page 2 is named with why it was not checked."""
    _index(tmp_path, "coffee")
    tiff = tmp_path / "odd2.tif"
    _tiff_with_odd_page_2(tiff, tag, value)
    run, report = _verify(tiff, tmp_path)
    assert report["media"]["video"]["frames"] == 3
    codes = _codes(report)
    notice = codes["tiff_pages_not_examined"]
    assert notice.startswith("A TIFF of 3 pages: 2 examined"), notice
    assert "page 3 matched known imagery" in notice
    assert "page 2 was not checked: BitsPerSample" in notice and named in notice and "Pillow" in notice, notice
    assert "No match" not in run.stdout + run.stderr
    assert report["visual"]["matches"] and report["visual"]["pages_not_decoded"].keys() == {"2"}
    added = run_cli("index", "add", tiff, "--id", "odd", env=_env(tmp_path))
    assert added.code == 0 and "(image, 2 of 3 pages; page 2 not indexed: BitsPerSample" in added.stdout, added.stdout


def test_tiff_pages_are_counted_from_the_ifd_chain_and_a_loop_ends_it(tmp_path: Path) -> None:
    from provenance.limits import MAX_STILL_PAGES
    from provenance.media import tiff_pages

    tiff = tmp_path / "odd2.tif"
    _tiff_with_odd_page_2(tiff, "BitsPerSample", 7)
    assert tiff_pages(tiff) == 3
    import tifffile

    with tifffile.TiffFile(tiff) as tif:  # point page 2's next-IFD offset back at page 1: a loop
        first, second = tif.pages[0].offset, tif.pages[1]
        end = second.offset + 2 + 12 * len(second.tags)
    with tiff.open("r+b") as fh:
        fh.seek(end)
        fh.write(first.to_bytes(4, "little"))
    assert tiff_pages(tiff) == 2
    many = tmp_path / "many.tif"
    grey = [_photo("camera").resize((16, 16))] * (MAX_STILL_PAGES + 10)
    grey[0].save(many, save_all=True, append_images=grey[1:])
    assert tiff_pages(many) == MAX_STILL_PAGES + 1  # bounded: more than examined is all that is needed


def test_a_tiff_whose_first_page_is_over_the_pixel_limit_still_gets_its_other_pages_examined(tmp_path: Path) -> None:
    """N9: a first page over [limits] max_pixels refused the whole file (exit 2, no report) and the indexed coffee
    on page 2 was never examined. Now page 2 matches and page 1 is named with the limit. The big page is a
    deflated flat grey (150 MP declared, a few hundred kB on disk, never decoded)."""
    from PIL import Image

    _index(tmp_path, "coffee")
    tiff = tmp_path / "first150mp.tif"
    Image.new("L", (15000, 10000), 7).save(tiff, save_all=True, append_images=[_photo("coffee")],
                                           compression="tiff_adobe_deflate")
    run, report = _verify(tiff, tmp_path)
    assert run.code == 1, run.stderr  # a report, partly examined (round 5 L4)
    assert "visual stage partly examined: a TIFF of 2 pages: page 1 did not decode" in run.stderr, run.stderr
    notice = _codes(report)["tiff_pages_not_examined"]
    assert "page 2 matched known imagery" in notice, notice
    assert "page 1 was not checked: declared picture size 15000x10000 (150 MP) is over the limit" in notice, notice
    assert "No match" not in run.stdout + run.stderr
