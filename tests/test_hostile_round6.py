"""Issue 14, round 6 (the round-5 tester's items still open): what `index add` leaves out of a multi-page TIFF,
unreadable document metadata, and a file only partly examined exiting 1.

Each case runs the real CLI in a child process (tests/test_hostile.py's launcher) on files made from
scikit-image's photographs, against a real workspace: what the desk sees is asserted.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from PIL import Image
from test_hostile import _env, run_cli
from test_hostile_documents import _photo

from provenance.report.model import Report

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import make_corpus

needs_exiftool = pytest.mark.skipif(shutil.which("exiftool") is None, reason="ExifTool not installed")


def _pages_tiff(path: Path, pages: int, coffee_at: int) -> None:
    """A TIFF of ``pages`` small crops of the astronaut, the coffee photo on page ``coffee_at`` (1-based)."""
    source = _photo("astronaut")
    crops = [source.crop((x, y, x + 160, y + 120)) for x in range(0, 350, 50) for y in range(0, 390, 39)][:pages]
    crops[coffee_at - 1] = _photo("coffee").resize((160, 120))
    crops[0].save(path, save_all=True, append_images=crops[1:])


def test_index_add_names_the_tiff_pages_it_did_not_index(tmp_path: Path) -> None:
    """N6: `index add` of a 70-page TIFF said "(image, 64 frames)": pages 65-70 were dropped without a word, and
    the desk's own photo on page 66 then got "No match". The added line and `index list` now say which pages
    were not indexed and why."""
    from provenance.limits import MAX_STILL_PAGES

    tiff = tmp_path / "p70.tif"
    _pages_tiff(tiff, 70, coffee_at=66)
    added = run_cli("index", "add", tiff, "--id", "p70", env=_env(tmp_path))
    assert added.code == 0, added.stderr
    assert (f"added: p70 (image, {MAX_STILL_PAGES} of 70 pages; pages {MAX_STILL_PAGES + 1}-70 not indexed: past "
            f"the {MAX_STILL_PAGES} pages examined in one file") in added.stdout, added.stdout
    listed = run_cli("index", "list", env=_env(tmp_path))
    assert f"{MAX_STILL_PAGES} frames, partly indexed" in listed.stdout, listed.stdout
    assert f"p70: partly indexed: {MAX_STILL_PAGES} of 70 pages; pages {MAX_STILL_PAGES + 1}-70" in listed.stdout


def test_index_add_names_a_page_over_the_pixel_limit_with_its_reason(tmp_path: Path) -> None:
    """N6/N7/N9 at `index add`: a TIFF whose page 1 is over [limits] max_pixels (150 MP declared, a deflated flat
    grey never decoded) is indexed from page 2, and the line names page 1 and the limit; a one-page TIFF keeps
    the plain "1 frame"."""
    tiff = tmp_path / "first150mp.tif"
    Image.new("L", (15000, 10000), 7).save(tiff, save_all=True, append_images=[_photo("coffee")],
                                           compression="tiff_adobe_deflate")
    added = run_cli("index", "add", tiff, "--id", "big1", env=_env(tmp_path))
    assert added.code == 0, added.stderr
    assert ("(image, 1 of 2 pages; page 1 not indexed: declared picture size 15000x10000 (150 MP) is over the "
            "limit of 100 MP ([limits] max_pixels))") in added.stdout, added.stdout
    single = tmp_path / "single.tif"
    _photo("chelsea").save(single)
    added = run_cli("index", "add", single, "--id", "one", env=_env(tmp_path))
    assert "added: one (image, 1 frame)" in added.stdout, added.stdout
    listed = run_cli("index", "list", env=_env(tmp_path))
    assert "big1: partly indexed: 1 of 2 pages" in listed.stdout and "one:" not in listed.stdout, listed.stdout


# -- N8, L3, L5: documents ------------------------------------------------------------------------------------
def _report(path: Path) -> Report:
    from provenance.pipeline import Pipeline, verify

    return verify(path, pipeline=Pipeline.from_dict({"audio": {"enabled": False}, "text": {"enabled": False}},
                                                    name="round6"))


@needs_exiftool
@pytest.mark.parametrize(("make", "said"), [(lambda: make_corpus.photo_pdf(cut="eof"), "Invalid xref table"),
                                            (lambda: make_corpus.hand_pdf(encrypted=True),
                                             "Document is password protected")], ids=["no_eof", "encrypted"])
def test_a_pdf_whose_metadata_cannot_be_read_says_so_not_no_date(make, said: str, tmp_path: Path) -> None:
    """N8: a PDF cut before %%EOF (the scans' dates then lost) or encrypted read as "No creation or modification
    date" with readers.exiftool "ok"; ExifTool's warning was only in raw. Now the reader says "metadata
    unreadable: <its warning>" and the finding says the dates are unknown, not absent."""
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(make())
    report = _report(pdf)
    meta = report.metadata
    assert report.media.kind == "document" and meta.status == "ok"
    assert meta.readers["exiftool"].startswith(f"metadata unreadable: {said}"), meta.readers
    codes = {f.code: f.message for f in report.findings}
    assert "document_dates" not in codes and "no_capture_metadata" not in codes, codes
    assert codes["document_metadata_unreadable"].startswith(f"The document's metadata could not be read: {said}")
    assert not any("absence is not evidence" in f.message for f in report.findings)


@needs_exiftool
def test_the_intact_pdf_and_a_pdf_with_a_cameras_xmp_keep_document_dates(tmp_path: Path) -> None:
    """The same 3-photo PDF whole reads its creation date with ExifTool "ok". L3: a PDF whose XMP holds a camera's
    exif:DateTimeOriginal and tiff:Make/Model (a picture's, copied by the tool that made it) gave a document
    "created" at the photo's time and a "Recording device Canon EOS 5D": the document's XMP CreateDate is its
    creation, and no device is reported."""
    whole = tmp_path / "whole.pdf"
    whole.write_bytes(make_corpus.photo_pdf())
    report = _report(whole)
    assert report.metadata.readers["exiftool"].startswith("ok (ExifTool ")
    assert report.metadata.document_created == "2019-05-04T13:14:15Z", report.metadata
    camera = tmp_path / "camera.pdf"
    camera.write_bytes(make_corpus.hand_pdf(camera_xmp=True))
    meta = _report(camera).metadata
    assert meta.document_created == "2018-03-05T10:00:00+01:00", meta.document_created
    assert "DateTimeOriginal" not in (meta.document_created_source or "")
    assert meta.capture_time is None and meta.device.make is None and meta.device.model is None, meta.device


def test_exiftool_warnings_that_mean_nothing_was_read() -> None:
    """The PDF module's read failures (ExifTool 12.57 PDF.pm: %pdfWarning, DecryptInit) are "unreadable"; warnings
    that come with tags read (the shared corpus's: MakerNotes, PNG chunk order, IPTC digest) are not."""
    from provenance.metadata.exiftool import unreadable

    for warning in ("Invalid xref table", "Error reading trailer", "Document is password protected (use Password "
                    "option)", "Encryption filter Foo currently not supported", "Invalid xref stream in main "
                    "dictionary"):
        assert unreadable(warning), warning
    for warning in ("[minor] Suspicious MakerNotes offset for tag 0x0200", "IPTCDigest is not current. XMP may be "
                    "out of sync", "[minor] Text/EXIF chunk(s) found after PNG IDAT (may be ignored by some readers)",
                    "Short TIT2 frame", None, ""):
        assert not unreadable(warning), warning


CORPUS = Path("/work/shared/corpus")


@needs_exiftool
@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus absent")
@pytest.mark.parametrize(("rel", "kind", "capture"), [("exiftool/GE.jpg", "image", "2008-09-17T04:18:57"),
                                                      ("exiftool/GoPro.jpg", "image", None),
                                                      ("c2pa/test.tiff", "image", None),
                                                      ("c2pa/sample1.png", "image", None)])
def test_corpus_files_exiftool_warns_on_keep_their_metadata(rel: str, kind: str, capture: str | None) -> None:
    """The shared corpus's files ExifTool warns on: the warning is said beside "ok" on the reader, and what was
    read stays (GE.jpg's capture time)."""
    from provenance.metadata.extraction import extract

    section = extract(CORPUS / rel, kind)
    status = section.readers["exiftool"]
    assert status.startswith("ok (ExifTool ") and "; its warning: " in status, status
    if capture is not None:
        assert section.capture_time == capture


def test_index_add_of_a_pdf_says_why_in_words(tmp_path: Path) -> None:
    """L5: `index add` of a PDF said "picture not decoded: a PDF document, not footage: ..."; it now gives the
    document's reason alone, naming the file, and indexes nothing (exit 2)."""
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(make_corpus.photo_pdf())
    added = run_cli("index", "add", pdf, env=_env(tmp_path))
    assert added.code == 2 and "added" not in added.stdout
    assert "scan.pdf: a PDF document, not footage: its embedded pictures are not examined" in added.stderr
    assert "picture not decoded" not in added.stderr


# -- L1: the applied memory limit reaches the processes the CLI starts ------------------------------------------
def test_a_child_process_knows_the_memory_limit_it_inherits(tmp_path: Path) -> None:
    """L1: batch's workers said "[limits] max_memory_mb, no limit here" where verify said "8,192 MiB here": they
    inherit RLIMIT_DATA but not the module's record of it, so their decode plans ignored the limit too. A process
    that applies the limit (as the CLI does) starts a real child: the child names the limit. A variable naming a
    limit that is not in force names nothing."""
    import os
    import subprocess

    from provenance.limits import MEMORY_ENV

    probe = ("from provenance.limits import apply_memory_limit, Limits; import subprocess, sys\n"
             "apply_memory_limit(Limits(max_memory_mb=4096))\n"
             "sys.exit(subprocess.run([sys.executable, '-c', 'from provenance.limits import decode_bound, "
             "applied_memory_mb; print(applied_memory_mb()); print(decode_bound())']).returncode)")
    env = {k: v for k, v in os.environ.items() if k != MEMORY_ENV}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "4096" and "4,096 MiB here" in done.stdout, done.stdout
    env[MEMORY_ENV] = "4096"  # said, but no limit set: not believed
    done = subprocess.run([sys.executable, "-c", "from provenance.limits import decode_bound; print(decode_bound())"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert "no limit here" in done.stdout, done.stdout + done.stderr


# -- L2: a TIFF page whose strips are cut short ------------------------------------------------------------------
def test_a_tiff_page_cut_short_is_named_not_compared(tmp_path: Path) -> None:
    """L2: page 2's StripByteCounts says 100 of its 10,000 bytes; Pillow read on into page 3's pixels without an
    error and the page was hashed and compared as whole ("3 pages: 3 examined"). Now it is named as cut short and
    not compared (exit 1, partly examined), the other pages still are: the indexed coffee on page 3 matches."""
    from test_hostile_documents import _codes, _index, _verify
    from test_hostile_round5 import _tiff_with_odd_page_2

    _index(tmp_path, "coffee")
    tiff = tmp_path / "short2.tif"
    _tiff_with_odd_page_2(tiff, "StripByteCounts", 100)
    run, report = _verify(tiff, tmp_path)
    assert run.code == 1, run.stderr
    notice = _codes(report)["tiff_pages_not_examined"]
    assert "page 2 was not checked: its pixel data is cut short (100 of the 10,000 bytes" in notice, notice
    assert "page 3 matched known imagery" in notice
    assert "partly examined: a TIFF of 3 pages: page 2 did not decode" in run.stderr
