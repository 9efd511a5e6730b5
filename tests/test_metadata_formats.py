"""The metadata stage on files written here: forged clips, boxes cameras and phones add, XMP, hostile values.

Every file is a real file on disk made in tmp_path: a clip encoded with PyAV (FFmpeg's own libraries, as the
``ffmpeg`` command line uses them), then, where a test needs what a phone or camera writes, the boxes added to
its ``moov`` the way the device writes them. The readers under test see nothing but the bytes.
"""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from provenance.metadata import MetadataError, extract, h264, xmp
from provenance.metadata.normalise import parse_time
from provenance.metadata.reading import VALUE_MAX, Reading
from provenance.metadata.riff import _idit

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not (CORPUS / "index.json").is_file(), reason=f"corpus not found at {CORPUS}")


@pytest.fixture(autouse=True)
def _no_exiftool(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the project's own readers; the corpus tests cover ExifTool both ways."""
    monkeypatch.setenv("PROVENANCE_EXIFTOOL", "0")


def _clip(path: Path, tags: dict[str, str] | None = None, *, use_metadata_tags: bool = True) -> Path:
    """Five 64x64 frames through libx264, tags set as ``ffmpeg -metadata KEY=VALUE`` sets them."""
    options = {"movflags": "use_metadata_tags"} if use_metadata_tags else {}
    with av.open(str(path), "w", options=options) as out:
        out.metadata.update(tags or {})
        stream = out.add_stream("libx264", rate=25)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuv420p"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i * 40, np.uint8), format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _add_to_moov(path: Path, *boxes: bytes) -> Path:
    """Append boxes inside the top-level moov (which PyAV writes last, so no chunk offset moves)."""
    data = bytearray(path.read_bytes())
    offset = 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if kind == b"moov":
            assert offset + size == len(data), "moov must be the last box"
            data += b"".join(boxes)
            data[offset : offset + 4] = struct.pack(">I", size + sum(len(b) for b in boxes))
            path.write_bytes(bytes(data))
            return path
        offset += size
    raise AssertionError("no moov box")


def _qt_text(kind: bytes, value: str) -> bytes:
    """A QuickTime udta text atom: 16-bit length, 16-bit language, text."""
    raw = value.encode()
    return _box(kind, struct.pack(">HH", len(raw), 0x55C4) + raw)


def _loci(name: str, lat: float, lon: float, alt: float) -> bytes:
    """3GPP TS 26.244 LocationInformation box, as Android and 3GP cameras write it."""
    fixed = struct.pack(">iii", round(lon * 65536), round(lat * 65536), round(alt * 65536))
    return _box(b"loci", b"\x00\x00\x00\x00" + struct.pack(">H", 0x15C7) + name.encode() + b"\x00" + b"\x00" + fixed
                + b"Earth\x00" + b"\x00")  # fmt: skip


def _keys_meta(items: dict[str, str]) -> bytes:
    """A QuickTime meta box with mdta keys and their UTF-8 values, as Apple and Android devices write it."""
    hdlr = _box(b"hdlr", b"\x00" * 8 + b"mdta" + b"\x00" * 12 + b"\x00")
    keys = _box(b"keys", b"\x00\x00\x00\x00" + struct.pack(">I", len(items))
                + b"".join(_box(b"mdta", k.encode()) for k in items))  # fmt: skip
    values = b"".join(
        _box(struct.pack(">I", i), _box(b"data", struct.pack(">II", 1, 0) + v.encode()))
        for i, v in enumerate(items.values(), 1)
    )
    return _box(b"meta", hdlr + keys + _box(b"ilst", values))


def _rotate(path: Path, degrees: int) -> Path:
    """Set the video track's tkhd matrix to a rotation, as a phone held upright records it."""
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd") + 4
    assert data[at] == 0, "tkhd version 0 expected"
    cos, sin = {0: (1, 0), 90: (0, 1), 180: (-1, 0), 270: (0, -1)}[degrees]
    data[at + 40 : at + 60] = struct.pack(">iiiii", cos << 16, sin << 16, 0, -sin << 16, cos << 16)
    path.write_bytes(bytes(data))
    return path


# --- the forged clip of the acceptance criteria --------------------------------------------------------

FORGED = {"make": "Apple", "model": "iPhone 13", "creation_time": "2024-03-01T10:00:00Z"}


@pytest.mark.parametrize("use_metadata_tags", [True, False])
def test_ffmpeg_metadata_forgery_is_flagged(tmp_path: Path, use_metadata_tags: bool) -> None:
    """``ffmpeg -i camera.mp4 -c:v libx264 -metadata make=Apple -metadata model=... -metadata creation_time=...``"""
    section = extract(_clip(tmp_path / "forged.mp4", FORGED, use_metadata_tags=use_metadata_tags), "video")
    assert section.capture_time == "2024-03-01T10:00:00Z"
    codes = {c.code: c for c in section.consistency}
    assert "reencode_trace" in codes
    if use_metadata_tags:  # without the flag FFmpeg drops make/model: no device claim to contradict
        assert (section.device.make, section.device.model) == ("Apple", "iPhone 13")
        mismatch = codes["brand_mismatch"]
        assert mismatch.evidence["brands"][0] == "isom" and mismatch.evidence["minor_version"] == "512"
        assert mismatch.evidence["device_sources"]["make"] == "QuickTime:make"
    assert section.brands == ["isom", "iso2", "avc1", "mp41"] and section.handlers == ["VideoHandler"]


# --- boxes that devices write ---------------------------------------------------------------------------


def test_udta_make_model_and_3gpp_location(tmp_path: Path) -> None:
    path = _add_to_moov(
        _clip(tmp_path / "camera.mp4"),
        _box(
            b"udta",
            _qt_text(b"\xa9mak", "Canon")
            + _qt_text(b"\xa9mod", "PowerShot SX740")
            + _loci("Tel Aviv", 32.0929, 34.862, 10.0),
        ),
    )
    section = extract(path, "video")
    assert (section.device.make, section.device.model) == ("Canon", "PowerShot SX740")
    assert section.sources["device.make"] == "QuickTime:make"  # FFmpeg maps ©mak too; our box reader agrees
    assert section.raw["UserData"]["Make"] == "Canon"
    assert section.gps is not None and section.gps.source == "UserData:LocationInformation"
    assert (round(section.gps.lat, 4), round(section.gps.lon, 4), round(section.gps.alt or 0, 2)) == (
        32.0929,
        34.862,
        10.0,
    )
    assert "Tel Aviv" in section.raw["UserData"]["LocationInformation"]


def test_android_keys_gps_coordinates_and_rotation(tmp_path: Path) -> None:
    path = _rotate(_clip(tmp_path / "phone.mp4"), 90)
    path = _add_to_moov(
        path,
        _box(b"udta", _qt_text(b"\xa9xyz", "+48.8584+002.2945/")),
        _keys_meta({"com.android.version": "14", "com.android.manufacturer": "Google", "com.android.model": "Pixel 8"}),
    )
    section = extract(path, "video")
    assert (section.device.make, section.device.model, section.device.software) == ("Google", "Pixel 8", "14")
    assert section.sources["device.model"] == "Keys:com.android.model"
    assert section.gps is not None and (round(section.gps.lat, 4), round(section.gps.lon, 4)) == (48.8584, 2.2945)
    assert section.rotation == 90
    # Re-encoded by FFmpeg and dressed as a phone: the traces and the brand still show.
    assert {"reencode_trace", "brand_mismatch"} <= {c.code for c in section.consistency}


def test_malformed_location_is_reported_not_used(tmp_path: Path) -> None:
    path = _add_to_moov(_clip(tmp_path / "bad.mp4"), _box(b"udta", _qt_text(b"\xa9xyz", "<script>alert(1)</script>")))
    section = extract(path, "video")
    assert section.gps is None
    bad = next(c for c in section.consistency if c.code == "gps_invalid")
    assert any(t["source"] == "UserData:GPSCoordinates" for t in bad.evidence["tags"])


def test_hostile_values_stay_text_and_short(tmp_path: Path) -> None:
    hostile = "<img src=x onerror=alert(1)>\x00\x01\x1b[31m" + "A" * 60_000  # a QuickTime text atom holds up to 64 KiB
    path = _add_to_moov(
        _clip(tmp_path / "hostile.mp4", {"comment": hostile}),
        _box(b"udta", _qt_text(b"\xa9mak", hostile)),
        _keys_meta({"com.apple.quicktime.model": hostile + "B" * 100_000}),
    )
    section = extract(path, "video")
    assert section.device.make is not None and len(section.device.make) <= VALUE_MAX
    assert "\x00" not in section.device.make and "\x1b" not in section.device.make
    assert section.device.make.startswith("<img src=x onerror=alert(1)>")  # kept as text, escaped by the writers
    text = json.dumps(section.raw)
    assert all(len(v) <= VALUE_MAX for tags in section.raw.values() for v in tags.values())
    assert len(text) < 200_000


def test_deeply_nested_and_truncated_boxes_give_a_clear_result(tmp_path: Path) -> None:
    nested = b"".join(struct.pack(">I4s", 8 * (200 - i), b"moov") for i in range(200))
    path = tmp_path / "nested.mp4"
    path.write_bytes(_box(b"ftyp", b"isom\x00\x00\x02\x00isom") + nested)
    try:
        section = extract(path, "video")
    except MetadataError as exc:
        assert "nested.mp4" in str(exc)
    else:
        assert "deeper" in section.raw["Errors"]["isobmff"]
    camera = _clip(tmp_path / "whole.mp4", FORGED)
    for cut in (16, 200, len(camera.read_bytes()) - 50):
        part = tmp_path / f"cut{cut}.mp4"
        part.write_bytes(camera.read_bytes()[:cut])
        try:
            result = extract(part, "video")
        except MetadataError as exc:
            assert part.name in str(exc)
        else:
            assert result.status == "ok"


# --- XMP: dates, editing history, hostile packets --------------------------------------------------------

HISTORY_XMP = """<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
 xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#" xmlns:exif="http://ns.adobe.com/exif/1.0/"
 xmp:CreateDate="2023-05-01T09:00:00+02:00" xmp:ModifyDate="2024-02-10T18:30:00+01:00"
 xmp:CreatorTool="Adobe Photoshop 25.0 (Windows)" exif:DateTimeOriginal="2023-05-01T09:00:00+02:00"
 exif:GPSLatitude="50,27.06N" exif:GPSLongitude="30,31.38E">
<xmpMM:History><rdf:Seq>
<rdf:li stEvt:action="created" stEvt:when="2023-05-01T09:00:00+02:00" stEvt:softwareAgent="Camera"/>
<rdf:li stEvt:action="saved" stEvt:when="2024-02-10T18:30:00+01:00" stEvt:softwareAgent="Adobe Photoshop 25.0 (Windows)"
 stEvt:changed="/"/>
</rdf:Seq></xmpMM:History></rdf:Description></rdf:RDF></x:xmpmeta>"""


def _jpeg_with_app1(path: Path, payload: bytes) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 120, 150)).save(buffer, "JPEG")
    jpeg = buffer.getvalue()
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    path.write_bytes(jpeg[:2] + segment + jpeg[2:])
    return path


def test_xmp_dates_history_and_gps_in_jpeg(tmp_path: Path) -> None:
    path = _jpeg_with_app1(tmp_path / "edited.jpg", b"http://ns.adobe.com/xap/1.0/\x00" + HISTORY_XMP.encode())
    section = extract(path, "image")
    assert (section.capture_time, section.capture_time_source) == (
        "2023-05-01T09:00:00+02:00",
        "XMP:exif:DateTimeOriginal",
    )
    assert (section.modify_time, section.modify_time_source) == ("2024-02-10T18:30:00+01:00", "XMP:xmp:ModifyDate")
    assert [h["action"] for h in section.history] == ["created", "saved"]
    assert section.gps is not None and round(section.gps.lat, 4) == 50.451 and round(section.gps.lon, 3) == 30.523
    codes = {c.code: c for c in section.consistency}
    assert {"editing_history", "editing_software", "modified_after_capture"} <= set(codes)
    assert codes["editing_history"].evidence["history"][0]["software"] == "Adobe Photoshop 25.0 (Windows)"


def test_xmp_with_entities_is_refused_without_expansion(tmp_path: Path) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="&b;"/></rdf:RDF></x:xmpmeta>'
    )
    reading = xmp.read([bomb])
    assert reading.error and "refused" in reading.error and not reading.writers
    broken = xmp.read([b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>unclosed</x:xmpmeta>'])
    assert broken.error and broken.error.startswith("XMP packet not parsed")


# --- readers' parsing, on bytes as devices write them ----------------------------------------------------


def test_mdpm_sei_with_sony_model_and_offsets() -> None:
    records = bytes([6]) + b"".join(
        [
            bytes([0x18, 0x2B, 0x20, 0x19, 0x07]),  # -05:30 (sign 0x20, 5 h, half hour), 2019-07
            bytes([0x19, 0x04, 0x13, 0x45, 0x10]),  # 4th, 13:45:10
            bytes([0xE0, 0x01, 0x08, 0x00, 0x00]),  # Sony
            bytes([0xE4]) + b"HDR-",
            bytes([0xE5]) + b"CX40",
            bytes([0xE6]) + b"5\x00\x00\x00",
        ]
    )
    out = Reading(name="h264")
    h264.parse(records, out)
    assert [(t.value, t.offset) for t in out.capture] == [("2019:07:04 13:45:10", "-05:30")]
    assert [t.value for t in out.make] == ["Sony"] and [t.value for t in out.model] == ["HDR-CX405"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon Mar 10 15:04:43 2003\n", "2003:03:10 15:04:43"),
        ("2009/10/27 12:14:34", "2009:10:27 12:14:34"),
        ("garbage", None),
    ],
)
def test_avi_idit_dates(text: str, expected: str | None) -> None:
    assert _idit(text) == expected


def test_date_only_values_keep_their_precision() -> None:
    stamp = parse_time("2004:02:20", "IPTC:DateCreated")
    assert stamp is not None and stamp.date_only and stamp.iso == "2004-02-20"


@needs_corpus
def test_avif_and_heif_read_brands_and_handler() -> None:
    avif = extract(CORPUS / "c2pa" / "sample1.avif", "image")
    assert avif.brands[:2] == ["avif", "mif1"]
    assert avif.handlers == ["cavif - https://github.com/link-u/cavif"]
    heic = extract(CORPUS / "c2pa" / "sample1.heic", "image")
    assert heic.brands == ["heic", "mif1"] and heic.consistency == []


@needs_corpus
def test_cr3_exif_is_read_from_its_cmt_boxes() -> None:
    section = extract(CORPUS / "exiftool" / "CanonRaw.cr3", "image")
    assert (section.device.make, section.device.model) == ("Canon", "Canon EOS M50")
    assert section.sources["device.make"] == "EXIF:Make"


@needs_corpus
def test_truncated_corpus_files_never_crash(tmp_path: Path) -> None:
    for rel in ("c2pa/c.mov", "exiftool/M2TS.mts", "exiftool/Matroska.mkv", "exiftool/RIFF.avi", "c2pa/C.dng"):
        data = (CORPUS / rel).read_bytes()
        for cut in (4, 64, len(data) // 2):
            part = tmp_path / f"{cut}-{Path(rel).name}"
            part.write_bytes(data[:cut])
            try:
                section = extract(part, "image" if rel.endswith(".dng") else "video")
            except MetadataError as exc:
                assert part.name in str(exc) and "Traceback" not in str(exc)
            else:
                json.dumps(section.raw)
