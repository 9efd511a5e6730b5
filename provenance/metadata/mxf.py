"""MXF (SMPTE 377-1) header metadata: the material package's creation date, as ExifTool's MXF:CreateDate.

Why: broadcast cameras and newsroom systems hand footage over as MXF, and FFmpeg rejects some files it cannot
play (the corpus's exiftool/MXF.mxf stub); without ExifTool their date was not read (issue 14, N6).
Layout (SMPTE 377-1): KLV triplets, 16-byte universal-label keys starting 06 0E 2B 34, BER lengths; header
metadata sets are local sets (key byte 5 = 0x53: 2-byte local tags and lengths). Package sets (Material 01 36,
Source 01 37) carry PackageCreationDate (tag 0x4405) and PackageModifiedDate (0x4404); the Preface (01 2F)
LastModifiedDate (0x3B02). A TimeStamp is year (2 bytes), month, day, hour, minute, second, 1/250 s (1 byte each).
"""

from __future__ import annotations

from pathlib import Path

from .reading import Reading, Tagged, read_head

HEADER_MAX = 4 << 20  # bytes of the header partition read (its metadata: a few KB to hundreds of KB)
KLV_MAX = 100_000  # triplets walked
_PREFIX = bytes.fromhex("060e2b34")
_SET = bytes.fromhex("060e2b34025301010d01010101")  # a header-metadata local set; two bytes name which
_MATERIAL, _SOURCE, _PREFACE = b"\x01\x36", b"\x01\x37", b"\x01\x2f"


def sniff(head: bytes) -> bool:
    """A header partition pack at the start (run-in before it is allowed by the standard, not met in practice)."""
    return head[:4] == _PREFIX and head[4:5] == b"\x02" and head[5:6] == b"\x05"


def _timestamp(value: bytes) -> str | None:
    if len(value) != 8:
        return None
    year = int.from_bytes(value[:2], "big")
    month, day, hour, minute, second, quarter_ms = value[2:]
    if not (1900 < year < 2200 and 1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60
            and second < 60 and quarter_ms < 250):
        return None
    return f"{year:04d}:{month:02d}:{day:02d} {hour:02d}:{minute:02d}:{second:02d}.{quarter_ms * 4:03d}"


def read(path: Path) -> Reading:
    """The MXF reading; never raises for a bad file (the error is kept in the reading)."""
    out = Reading(name="mxf")
    if (data := read_head(path, HEADER_MAX, out)) is None:
        return out
    pos, walked = 0, 0
    found: dict[str, str] = {}
    while pos + 17 <= len(data) and data[pos : pos + 4] == _PREFIX and walked < KLV_MAX:
        walked += 1
        key, first = data[pos : pos + 16], data[pos + 16]
        pos += 17
        length = first
        if first & 0x80:  # BER long form: the low bits give the size of the length
            size = first & 0x7F
            if size > 8:
                break
            length = int.from_bytes(data[pos : pos + size], "big")
            pos += size
        value = data[pos : pos + length]
        pos += length
        if key[:13] == _SET and key[13:15] in (_MATERIAL, _SOURCE, _PREFACE):
            _local_set(key[13:15], value, found)
    for name, source in (("CreateDate", "MXF:PackageCreationDate"), ("ModifyDate", "MXF:PackageModifiedDate"),
                         ("LastModifiedDate", "MXF:LastModifiedDate")):
        if name in found:
            out.put("MXF", name, found[name])
            bucket = out.created if name == "CreateDate" else out.modified
            bucket.append(Tagged(source, found[name]))
    return out


def _local_set(kind: bytes, value: bytes, found: dict[str, str]) -> None:
    """The dates of one set; a material package's come before a source package's (setdefault keeps the first)."""
    tags = {0x4405: "CreateDate", 0x4404: "ModifyDate"} if kind != _PREFACE else {0x3B02: "LastModifiedDate"}
    pos = 0
    while pos + 4 <= len(value):
        tag, length = int.from_bytes(value[pos : pos + 2], "big"), int.from_bytes(value[pos + 2 : pos + 4], "big")
        pos += 4
        if tag in tags and (stamp := _timestamp(value[pos : pos + length])):
            if kind == _MATERIAL:
                found[tags[tag]] = stamp  # the material package is the clip as delivered: it wins
            else:
                found.setdefault(tags[tag], stamp)
        pos += length
