"""IPTC IIM (the "IPTC-NAA" record newsroom tools such as Photo Mechanic write) in JPEG and TIFF.

Why: a news photo's creation date and time often live only here: IPTC DateCreated (2:55, CCYYMMDD) and
TimeCreated (2:60, HHMMSS+HHMM), which ExifTool reads and combines into DateTimeCreated/DateTimeOriginal. Without
ExifTool the report said "no capture time" for such files (issue 14, N6: exiftool/ExifTool.tif and
PhotoMechanic.jpg of the shared corpus).

Where it lives: in a JPEG, Photoshop image resource 0x0404 inside APP13 "Photoshop 3.0" segments; in a TIFF,
IFD0 tag 33723 (IPTC-NAA, often typed LONG though it is a byte stream) or the resources of tag 34377
(Photoshop). The record format: IPTC-NAA Information Interchange Model 4.2, section 1.5 (a 0x1C tag marker,
record and dataset numbers, a 2-byte length or an extended length).
"""

from __future__ import annotations

import struct
from pathlib import Path

from .reading import Reading, Tagged, text

HEAD_MAX = 1 << 20  # bytes of a JPEG's header segments walked for APP13 (real ones: < 64 KB)
IIM_MAX = 1 << 20  # bytes of one IIM block read (a full caption set is a few KB)
DATASETS_MAX = 4096  # datasets parsed from one block
_IPTC_RESOURCE = 0x0404
_TIFF_IPTC, _TIFF_PHOTOSHOP = 33723, 34377
# (record 2 dataset) -> raw tag name, as ExifTool names them
_NAMES = {5: "ObjectName", 25: "Keywords", 55: "DateCreated", 60: "TimeCreated", 62: "DigitalCreationDate",
          63: "DigitalCreationTime", 80: "By-line", 85: "By-lineTitle", 90: "City", 95: "Province-State",
          101: "Country-PrimaryLocationName", 105: "Headline", 110: "Credit", 115: "Source",
          116: "CopyrightNotice", 120: "Caption-Abstract"}


def sniff(head: bytes) -> bool:
    return head[:3] == b"\xff\xd8\xff" or head[:4] in (b"II*\x00", b"MM\x00*")


def read(path: Path) -> Reading:
    """The IPTC reading of a JPEG or TIFF; never raises for a bad file (the error is kept in the reading)."""
    out = Reading(name="iptc")
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_MAX)
        block = _jpeg(head) if head[:2] == b"\xff\xd8" else _tiff(path, head)
        if block:
            _parse(block, out)
    except (OSError, ValueError, struct.error, IndexError) as exc:
        out.error = f"{type(exc).__name__}: {exc}"
    return out


def _jpeg(head: bytes) -> bytes:
    """The IIM block of the JPEG's APP13 segments (concatenated: a long record is split across several)."""
    resources = b""
    pos = 2
    while pos + 4 <= len(head) and head[pos] == 0xFF:
        marker = head[pos + 1]
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no header segments after
            break
        length = int.from_bytes(head[pos + 2 : pos + 4], "big")
        if length < 2:
            break
        body = head[pos + 4 : pos + 2 + length]
        if marker == 0xED and body.startswith(b"Photoshop 3.0\x00"):
            resources += body[14:]
        pos += 2 + length
    return _resource(resources, _IPTC_RESOURCE)


def _resource(data: bytes, wanted: int) -> bytes:
    """One Photoshop image resource ("8BIM", id, Pascal name padded to even, size, data padded to even)."""
    pos = 0
    while pos + 12 <= len(data) and data[pos : pos + 4] == b"8BIM":
        ident = int.from_bytes(data[pos + 4 : pos + 6], "big")
        name_len = data[pos + 6]
        pos += 6 + name_len + 1 + ((name_len + 1) & 1)
        size = int.from_bytes(data[pos : pos + 4], "big")
        pos += 4
        if ident == wanted:
            return data[pos : pos + min(size, IIM_MAX)]
        pos += size + (size & 1)
    return b""


def _tiff(path: Path, head: bytes) -> bytes:
    """IFD0's IPTC-NAA tag (or the IPTC resource of its Photoshop tag) as raw bytes."""
    order = "<" if head[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", head[4:8])
    with path.open("rb") as fh:
        fh.seek(ifd)
        (count,) = struct.unpack(order + "H", fh.read(2))
        entries = fh.read(12 * min(count, 4096))
        found: dict[int, tuple[int, int]] = {}
        for i in range(len(entries) // 12):
            tag, kind, n, value = struct.unpack(order + "HHII", entries[12 * i : 12 * i + 12])
            if tag in (_TIFF_IPTC, _TIFF_PHOTOSHOP):
                size = n * {1: 1, 2: 1, 3: 2, 4: 4, 7: 1}.get(kind, 1)
                found[tag] = (value, size)
        for tag in (_TIFF_IPTC, _TIFF_PHOTOSHOP):
            if tag not in found:
                continue
            offset, size = found[tag]
            if size <= 4:
                continue  # a record that fits in the entry itself holds no dataset worth reading
            fh.seek(offset)
            data = fh.read(min(size, IIM_MAX))
            return data if tag == _TIFF_IPTC else _resource(data, _IPTC_RESOURCE)
    return b""


def datasets(block: bytes) -> list[tuple[int, int, bytes]]:
    """(record, dataset, value) of an IIM block, in order; stops at the first byte that is not a tag marker."""
    out = []
    pos = 0
    while pos + 5 <= len(block) and block[pos] == 0x1C and len(out) < DATASETS_MAX:
        record, number = block[pos + 1], block[pos + 2]
        length = int.from_bytes(block[pos + 3 : pos + 5], "big")
        pos += 5
        if length & 0x8000:  # extended dataset: the low bits give the size of the length field
            size = length & 0x7FFF
            if size > 4:
                break
            length = int.from_bytes(block[pos : pos + size], "big")
            pos += size
        out.append((record, number, block[pos : pos + length]))
        pos += length
    return out


def _parse(block: bytes, out: Reading) -> None:
    values: dict[int, str] = {}
    for record, number, raw in datasets(block):
        if record != 2 or number not in _NAMES:
            continue
        value = text(raw)
        if number == 25 and number in values:  # keywords repeat: one line
            values[number] += ", " + value
        else:
            values.setdefault(number, value)
    for number, value in values.items():
        out.put("IPTC", _NAMES[number], value)
    for date_key, time_key, bucket in ((55, 60, out.capture), (62, 63, out.created)):
        stamp = _stamp(values.get(date_key, ""), values.get(time_key, ""))
        if stamp is not None:
            name = "DateCreated" if date_key == 55 else "DigitalCreationDate"
            bucket.append(Tagged(f"IPTC:{name}", stamp[0], offset=stamp[1]))


def _stamp(date: str, time: str) -> tuple[str, str | None] | None:
    """IIM CCYYMMDD and HHMMSS+HHMM as ("YYYY:MM:DD[ hh:mm:ss]", "+hh:mm" or None); None when no valid date.

    A date alone is a day (the report says so); a time without a date means nothing here."""
    if len(date) != 8 or not date.isdigit() or date == "00000000":
        return None
    day = f"{date[:4]}:{date[4:6]}:{date[6:8]}"
    if len(time) >= 6 and time[:6].isdigit():
        zone = time[6:11]
        offset = f"{zone[:3]}:{zone[3:]}" if len(zone) == 5 and zone[0] in "+-" and zone[1:].isdigit() else None
        return f"{day} {time[:2]}:{time[2:4]}:{time[4:6]}", offset
    return day, None

