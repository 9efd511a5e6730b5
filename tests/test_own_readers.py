"""The project's own readers for what only ExifTool read before (issue 14, N6): IPTC IIM and JPEG Extended XMP,
on real photographs (scikit-image's astronaut through Pillow) with the records newsroom tools write, and with
ExifTool off (PROVENANCE_EXIFTOOL=0), as a user without the optional tool runs. The shared corpus's files (IPTC
in ExifTool.tif and PhotoMechanic.jpg, ExtendedXMP.jpg, ASF, DV, MXF) are compared with ExifTool's gold in
test_metadata.py and test_exiftool_agreement.py.
"""

from __future__ import annotations

import io
import struct
import time
from pathlib import Path

import pytest
from PIL import Image
from skimage import data

from provenance.metadata import extract

GUID = b"0123456789ABCDEF0123456789ABCDEF"
EXTENSION = b"http://ns.adobe.com/xmp/extension/\x00"


@pytest.fixture(autouse=True)
def _no_exiftool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVENANCE_EXIFTOOL", "0")


def _jpeg_with(segments: list[bytes]) -> bytes:
    """A real photograph as JPEG with ``segments`` (whole marker segments) right after its SOI."""
    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buf, "JPEG", quality=85)
    jpeg = buf.getvalue()
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def _segment(marker: int, body: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(body) + 2) + body


def _iim(*datasets: tuple[int, bytes]) -> bytes:
    return b"".join(b"\x1c\x02" + bytes([number]) + struct.pack(">H", len(value)) + value for number, value in datasets)


def _app13(iim: bytes) -> bytes:
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim)) + iim
    resource += b"\x00" * (len(iim) & 1)
    return _segment(0xED, b"Photoshop 3.0\x00" + resource)


def test_iptc_date_and_time_created_are_the_capture_time(tmp_path: Path) -> None:
    """Photo Mechanic's record: DateCreated 2:55 + TimeCreated 2:60 with its offset; By-line and City kept raw."""
    path = tmp_path / "agency.jpg"
    path.write_bytes(_jpeg_with([_app13(_iim((55, b"20240315"), (60, b"143005+0200"), (80, b"Staff Photographer"),
                                            (90, b"Kharkiv")))]))
    section = extract(path, "image")
    assert section.capture_time == "2024-03-15T14:30:05+02:00"
    assert section.capture_time_source == "IPTC:DateCreated"
    assert section.raw["IPTC"]["By-line"] == "Staff Photographer" and section.raw["IPTC"]["City"] == "Kharkiv"


def test_iptc_date_alone_is_a_day_and_a_full_exif_time_outranks_it(tmp_path: Path) -> None:
    path = tmp_path / "day.jpg"
    path.write_bytes(_jpeg_with([_app13(_iim((55, b"20040220")))]))
    assert extract(path, "image").capture_time == "2004-02-20"
    exif = Image.Exif()
    exif[0x8769] = {0x9003: "2004:02:20 08:07:49"}  # ExifIFD DateTimeOriginal
    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buf, "JPEG", exif=exif.tobytes())
    jpeg = buf.getvalue()
    both = tmp_path / "both.jpg"
    both.write_bytes(jpeg[:2] + _app13(_iim((55, b"20040220"))) + jpeg[2:])
    section = extract(both, "image")
    assert section.capture_time == "2004-02-20T08:07:49" and section.capture_time_source == "EXIF:DateTimeOriginal"


def test_a_damaged_iim_record_costs_only_itself(tmp_path: Path) -> None:
    """A dataset whose length runs past the record: what came before it is read, nothing raises."""
    iim = _iim((55, b"20240315")) + b"\x1c\x02\x3c\xff\xf0" + b"1430"
    path = tmp_path / "cut.jpg"
    path.write_bytes(_jpeg_with([_app13(iim)]))
    assert extract(path, "image").capture_time == "2024-03-15"


def _extended(packet: bytes, chunk: int, *, order: list[int] | None = None, declared: int | None = None) -> list[bytes]:
    pieces = [(offset, packet[offset : offset + chunk]) for offset in range(0, len(packet), chunk)]
    if order is not None:
        pieces = [pieces[i] for i in order]
    total = declared if declared is not None else len(packet)
    return [_segment(0xE1, EXTENSION + GUID + struct.pack(">II", total, offset) + piece) for offset, piece in pieces]


_MAIN = (b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF "
         b"xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description rdf:about='' "
         b"xmlns:xmpNote='http://ns.adobe.com/xmp/note/' xmpNote:HasExtendedXMP='" + GUID + b"'/></rdf:RDF>"
         b"</x:xmpmeta>")
_EXTENDED = (b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
             b"<rdf:Description rdf:about='' xmlns:exif='http://ns.adobe.com/exif/1.0/' "
             b"exif:DateTimeOriginal='2023-06-06T05:47:12+03:00'><exif:UserComment>" + b"x" * 3000 +
             b"</exif:UserComment></rdf:Description></rdf:RDF></x:xmpmeta>")


def test_extended_xmp_is_reassembled_in_any_chunk_order(tmp_path: Path) -> None:
    """The capture time sits in Extended XMP split over three APP1 segments, written out of order."""
    path = tmp_path / "extended.jpg"
    path.write_bytes(_jpeg_with([_segment(0xE1, _MAIN), *_extended(_EXTENDED, 1200, order=[2, 0, 1])]))
    section = extract(path, "image")
    assert section.capture_time == "2023-06-06T05:47:12+03:00"
    assert section.capture_time_source == "XMP:exif:DateTimeOriginal"


def test_extended_xmp_declaring_4_gb_is_not_read_and_says_so(tmp_path: Path) -> None:
    """A hostile JPEG declares 4 GB of Extended XMP (ExifTool took 242 MB on the tester's): not read, said."""
    path = tmp_path / "bomb.jpg"
    path.write_bytes(_jpeg_with([_segment(0xE1, _MAIN), *_extended(_EXTENDED, 1200, declared=2**32 - 16)]))
    started = time.monotonic()
    section = extract(path, "image")
    assert time.monotonic() - started < 5
    assert section.capture_time is None
    assert "Extended XMP too large: not read" in section.raw["Errors"]["xmp"]
