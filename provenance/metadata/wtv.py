"""WTV: Windows Media Center's TV recordings. FFmpeg's demuxer fails on many, and only ExifTool (optional) read
their tags; this reader takes the descriptive ones itself, so a recording gets a report without ExifTool.

The recording's attributes are records of the metadata GUID (below), a type (uint32: 0 int32, 1 UTF-16 string,
3 bool, 4 int64 (times in ticks), 6 GUID), the value's length (uint32), the name (UTF-16LE, NUL-terminated) and the
value, little-endian (as ExifTool's WTV module and FFmpeg's wtvdec read them). ``WM/WMRVEncodeTime`` is when
the recording was made, in 100-ns ticks since 0001-01-01 UTC (.NET DateTime ticks, not a FILETIME's 1601: the
corpus file then reads 2018-05-25 18:44:43Z, as ExifTool's gold has it).
"""

from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path

from provenance.sniff import sniff as _sniff

from .reading import Reading, Tagged, read_head

_METADATA_GUID = bytes.fromhex("5afed76dc81d8f4a9922fab11c381453")
SCAN_BYTES = 8 << 20  # the attribute table sits in the file's first sectors (the corpus file: at 1.9 KB); 8 MiB
RECORDS_MAX = 512  # attribute records read at most (the corpus file holds 75)
VALUE_MAX = 4096  # bytes of one value (a description runs to a few hundred)
_NAME_MAX = 256  # bytes of a name (UTF-16: 128 characters)
_DESCRIPTIVE = {"Title", "WM/SubTitle", "WM/SubTitleDescription", "WM/Genre", "WM/MediaStationCallSign",
                "WM/MediaStationName", "WM/MediaNetworkAffiliation", "WM/WMRVEncodeTime", "WM/WMRVEndTime",
                "WM/Provider", "WM/MediaCredits", "WM/Language"}
_TICKS_EPOCH = dt.datetime(1, 1, 1, tzinfo=dt.UTC)  # .NET DateTime ticks count from year 1


def sniff(head: bytes) -> bool:
    return _sniff(head) == "wtv"


def read(path: Path) -> Reading:
    out = Reading(name="wtv")
    if (data := read_head(path, SCAN_BYTES, out)) is None:
        return out
    at, records = data.find(_METADATA_GUID), 0
    while at >= 0 and records < RECORDS_MAX:  # each find starts past the last: linear in the bytes scanned
        records += 1
        start = at + 16
        nxt = data.find(_METADATA_GUID, start)
        if start + 8 <= len(data):
            kind, length = struct.unpack_from("<II", data, start)
            name_end = _utf16_end(data, start + 8, start + 8 + _NAME_MAX)
            if name_end is not None and length <= VALUE_MAX:
                name = data[start + 8:name_end].decode("utf-16-le", "replace")
                value = data[name_end + 2:name_end + 2 + length]
                if name in _DESCRIPTIVE and len(value) == length:
                    _take(out, name, kind, value)
        at = nxt
    return out


def _utf16_end(data: bytes, start: int, stop: int) -> int | None:
    """Offset of the UTF-16 NUL ending the string at ``start`` (2-byte aligned), or None before ``stop``."""
    for i in range(start, min(stop, len(data) - 1), 2):
        if data[i] == 0 and data[i + 1] == 0:
            return i
    return None


def _take(out: Reading, name: str, kind: int, value: bytes) -> None:
    short = name.removeprefix("WM/").removeprefix("WMRV")
    if kind == 1:
        text = value.decode("utf-16-le", "replace").rstrip("\0").strip()
        if text and text.strip(";"):
            out.put("WTV", short, text)
    elif kind == 4 and len(value) == 8 and name in ("WM/WMRVEncodeTime", "WM/WMRVEndTime"):
        ticks = struct.unpack("<q", value)[0]
        if ticks <= 0:
            return
        try:
            when = _TICKS_EPOCH + dt.timedelta(microseconds=ticks // 10)
        except OverflowError:
            return
        stamp = when.strftime("%Y:%m:%d %H:%M:%S") + "Z"
        out.put("WTV", short, stamp)
        if name == "WM/WMRVEncodeTime":  # the recording's start: when it was made, in UTC
            out.created.append(Tagged("WTV:EncodeTime", stamp, utc=True))
