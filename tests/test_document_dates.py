"""Issue 14: a PDF's CreateDate/ModifyDate are the document's dates, never its "capture time".

A PDF made today from a photograph taken years ago carries today's CreationDate: reported as the capture time,
it would "support" a claim dated today and read as when the pictures were taken. A real PDF written by Pillow's
PDF writer from skimage's astronaut photograph, its Info dictionary dated, read by the real ExifTool."""

from __future__ import annotations

import calendar
import shutil
import time
from pathlib import Path

import pytest
import skimage.data
from PIL import Image

from provenance.claims import Claim, check_capture_time
from provenance.pipeline import Pipeline, verify
from provenance.report.markdown import render_markdown

needs_exiftool = pytest.mark.skipif(shutil.which("exiftool") is None, reason="ExifTool not installed")


def _pdf(path: Path) -> Path:
    created = time.gmtime(calendar.timegm((2020, 5, 1, 10, 0, 0)))
    modified = time.gmtime(calendar.timegm((2021, 6, 2, 11, 0, 0)))
    Image.fromarray(skimage.data.astronaut()).save(path, title="t", creationDate=created, modDate=modified)
    assert path.read_bytes().startswith(b"%PDF-")
    return path


@needs_exiftool
def test_a_pdfs_dates_are_the_documents_not_a_capture_time(tmp_path: Path) -> None:
    report = verify(_pdf(tmp_path / "doc.pdf"), pipeline=Pipeline.from_dict({"audio": {"enabled": False}},
                                                                           name="doc-test"))
    meta = report.metadata
    assert report.media.kind == "document" and meta.status == "ok"
    assert meta.capture_time is None and meta.capture_time_source is None, meta
    assert meta.document_created == "2020-05-01T10:00:00Z" and meta.document_created_source.endswith("CreateDate")
    assert meta.modify_time == "2021-06-02T11:00:00Z"
    codes = {f.code: f for f in report.findings}
    assert "capture_time" not in codes and "modified_after_capture" not in codes, codes
    dates = codes["document_dates"]
    assert "created 2020-05-01T10:00:00Z" in dates.message and "not when the pictures" in dates.message
    md = render_markdown(report)
    assert "Capture time" not in md and "Document created (not a capture time):** 2020-05-01T10:00:00Z" in md, md
    # a claim dated the day the PDF was made is neither supported nor contradicted by the document's date
    check = check_capture_time(Claim(id="c", statement="s", claimed_date="2020-05-01"), report)
    assert check.result == "unknown" and "document has no capture time" in check.detail, check.detail


@pytest.mark.parametrize("reader", ["asf", "dv", "h264", "moi", "mxf", "wtv"])
def test_a_format_reader_names_an_unreadable_file_in_one_line(tmp_path: Path, reader: str) -> None:
    """The bounded head read the format readers share (``reading.read_head``): a path that cannot be read (here a
    folder) is the reading's one-line error, never an exception that would cost the whole metadata stage."""
    import importlib

    out = importlib.import_module(f"provenance.metadata.{reader}").read(tmp_path)
    assert out.error is not None and out.error.startswith("cannot read: ") and "\n" not in out.error, out.error
    assert not out.found
