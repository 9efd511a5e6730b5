"""Files of the shared corpus FFmpeg cannot read: each gets a report when it is media, or a named reason.

Issue 14: a camcorder's MOI index (capture time only ExifTool read), a Windows Media Center recording (WTV) and a
JPEG XL photo were refused with exit 2 ("not a media file FFmpeg can read", "no video or audio stream"), and a
batch put MOI, WTV and a standalone C2PA manifest silently among "other files ignored".
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest

from provenance import verify
from provenance.media import MediaError, probe
from provenance.metadata import exiftool
from provenance.metadata import moi as moi_reader
from provenance.metadata import wtv as wtv_reader
from provenance.sniff import identify, sniff, why_ignored

from conftest import CORPUS, SAMPLES, cli

needs_corpus = pytest.mark.skipif(not (CORPUS / "index.json").is_file(), reason=f"corpus not found at {CORPUS}")
needs_exiftool = pytest.mark.skipif(exiftool.status() != "ok", reason="ExifTool not installed or disabled")


@needs_corpus
def test_moi_index_gets_a_report_with_its_capture_time_without_exiftool(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The MOI reader is the project's own: the capture time holds with ExifTool off (ExifTool's gold:
    MOI:DateTimeOriginal 2011:05:15 17:58:48.000, Duration 8.16 s)."""
    monkeypatch.setenv("PROVENANCE_EXIFTOOL", "0")
    path = CORPUS / "exiftool" / "MOI.moi"
    assert identify(path) == "signature:moi"
    report = verify(path, pipeline="quick")
    assert report.metadata.status == "ok"
    assert report.metadata.capture_time == "2011-05-15T17:58:48"
    assert report.metadata.raw["MOI"]["Duration"] == "8.16 s"
    assert report.visual.status == "error"  # an index holds no pictures: a stage error, not "ok"
    assert report.media.kind == "index" and report.media.video is None  # issue 14 L3: not "video" without one


@needs_corpus
def test_wtv_recording_gets_a_report_with_its_title_and_encode_time_without_exiftool(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ExifTool's gold: WTV:Title "Stargate SG-1", WTV:EncodeTime 2018:05:25 18:44:43Z; the own reader reads both."""
    path = tmp_path / "WTV.wtv"
    shutil.copyfile(CORPUS / "exiftool" / "WTV.wtv", path)
    monkeypatch.setenv("PROVENANCE_EXIFTOOL", "0")
    code, out, err = cli("verify", path, "--pipeline", "quick", "--json", "--out", tmp_path / "out")
    assert code == 1, err  # a report with a failed stage, never exit 2
    report = json.loads(out)
    assert report["media"]["container"] == "wtv"
    wtv = report["metadata"]["raw"]["WTV"]
    assert wtv["Title"] == "Stargate SG-1" and wtv["EncodeTime"] == "2018:05:25 18:44:43Z"
    assert report["metadata"]["capture_time"] == "2018-05-25T18:44:43Z"
    assert report["metadata"]["capture_time_source"] == "WTV:EncodeTime"
    assert report["visual"]["status"] == "error"


@needs_corpus
@needs_exiftool
def test_wtv_with_exiftool_agrees_with_the_own_reader(tmp_path: Path) -> None:
    report = verify(CORPUS / "exiftool" / "WTV.wtv", pipeline="quick")
    assert report.metadata.raw["ExifTool:WTV"]["Title"] == report.metadata.raw["WTV"]["Title"] == "Stargate SG-1"
    assert report.metadata.capture_time == "2018-05-25T18:44:43Z"


@needs_corpus
def test_jpeg_xl_photo_is_decoded() -> None:
    report = verify(CORPUS / "c2pa" / "sample1.jxl", pipeline="quick")
    assert (report.media.kind, report.media.container) == ("image", "jxl")
    assert (report.media.video.width, report.media.video.height) == (896, 1080)
    assert report.visual.status == "ok" and report.visual.frames_sampled == 1


@needs_corpus
@pytest.mark.parametrize(("name", "reason"), [
    ("c2pa/nested_moov_1000.mp4", "incomplete or damaged MP4"),
    ("c2pa/tiff_poc.tiff", "a damaged or malformed TIFF picture"),
    ("c2pa/id3v23_compression_underflow.mp3", "incomplete or damaged MP3"),
])
def test_parser_proofs_of_concept_without_media_or_metadata_are_refused_with_a_reason(name: str, reason: str) -> None:
    """c2pa-rs's hostile fixtures: a header, then structure built to crash parsers, no picture, sound or
    descriptive tag (ExifTool's gold holds brands, a warning, or an MPEG header with sample rate 0)."""
    with pytest.raises(MediaError, match=reason):
        probe(CORPUS / name)


def test_a_cut_mp4_with_only_its_brands_is_still_refused(tmp_path: Path) -> None:
    """Brands and a data size are structure, not metadata: a cut download stays exit 2 (ExifTool reads them)."""
    path = tmp_path / "cut.mp4"
    path.write_bytes((SAMPLES / "clips" / "unrelated.mp4").read_bytes()[:30_000])
    with pytest.raises(MediaError, match="incomplete or damaged MP4"):
        probe(path)


def _moi(year: int, month: int, day: int, hour: int, minute: int, ms: int, duration_ms: int) -> bytes:
    head = b"V6" + struct.pack(">I", 320) + struct.pack(">HBBBBH", year, month, day, hour, minute, ms)
    return (head + struct.pack(">I", duration_ms)).ljust(320, b"\0")


def test_made_moi_is_read_and_text_starting_v6_is_not(tmp_path: Path) -> None:
    path = tmp_path / "MOV0A1.MOI"
    path.write_bytes(_moi(2009, 12, 31, 23, 59, 59_500, 61_000))
    reading = moi_reader.read(path)
    assert [t.value for t in reading.capture] == ["2009:12:31 23:59:59.500"]
    assert reading.raw["MOI"]["Duration"] == "61 s"
    assert sniff(b"V6 engine notes: 2009 model, 12 cylinders\n" * 4) is None  # text is not an MOI
    assert sniff(_moi(2009, 13, 1, 0, 0, 0, 0)) is None  # month 13: not a date


@needs_corpus
def test_batch_reports_moi_and_wtv_and_names_why_a_c2pa_manifest_is_ignored(tmp_path: Path) -> None:
    folder = tmp_path / "desk"
    folder.mkdir()
    for name in ("exiftool/MOI.moi", "exiftool/WTV.wtv", "c2pa/cloud_manifest.c2pa"):
        shutil.copyfile(CORPUS / name, folder / Path(name).name)
    (folder / "notes.txt").write_text("who sent this?\n")
    assert why_ignored(folder / "cloud_manifest.c2pa").startswith("C2PA manifest store, not media")
    out = tmp_path / "out"
    code, _stdout, err = cli("batch", folder, "--pipeline", "quick", "--workers", "0", "--out", out)
    assert code in (0, 1), err
    summary = json.loads((out / "summary.json").read_text())
    verified = {Path(f["path"]).name for f in summary["files"] if f.get("report")}
    assert "MOI.moi" in verified
    if exiftool.status() == "ok":
        assert "WTV.wtv" in verified
    why = {Path(p).name: reason for p, reason in summary["ignored_why"].items()}
    assert why["cloud_manifest.c2pa"].startswith("C2PA manifest store, not media")
    assert why["notes.txt"] == "text, not media"
    page = (out / "index.html").read_text()
    assert "C2PA manifest store, not media" in page


def test_wtv_reader_is_bounded_on_made_records(tmp_path: Path) -> None:
    """Records that lie (a 4 GB length, a name with no end, a truncated tail) are skipped; a good one is read."""
    guid = bytes.fromhex("5afed76dc81d8f4a9922fab11c381453")
    header = bytes.fromhex("b7d800203749da11a64e0007e95ead8d").ljust(64, b"\0")

    def record(name: str, kind: int, value: bytes, length: int | None = None) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return guid + struct.pack("<II", kind, len(value) if length is None else length) + raw + value

    title = "Новини 21:00".encode("utf-16-le") + b"\0\0"
    body = (record("Title", 1, b"x" * 8, length=0xFFFFFFFF) + guid + struct.pack("<II", 1, 4) + b"A\0" * 300
            + record("Title", 1, title) + record("WM/WMRVEncodeTime", 4, b"\0" * 8) + guid + b"\x01\0")
    path = tmp_path / "rec.wtv"
    path.write_bytes(header + body * 200)  # 200 copies: more records than RECORDS_MAX
    assert sniff(path.read_bytes()[:512]) == "wtv"
    reading = wtv_reader.read(path)
    assert reading.error is None and reading.raw["WTV"] == {"Title": "Новини 21:00"}
    assert reading.created == []  # a zero encode time is no time
