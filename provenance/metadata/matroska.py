"""Matroska and WebM: the segment's ``DateUTC``, muxing/writing applications, title and simple tags.

FFmpeg maps these when it can open the file, but not for a truncated or damaged one; an EBML walk that seeks
over clusters reads them from any file whose header survives. ``DateUTC`` is when the file was muxed (a camera
that writes Matroska muxes while recording), nanoseconds from 2001-01-01 UTC.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from provenance.limits import current_deadline

from .reading import Reading, Tagged, text

_EBML, _SEGMENT, _INFO, _TAGS, _TAG, _SIMPLE = 0x1A45DFA3, 0x18538067, 0x1549A966, 0x1254C367, 0x7373, 0x67C8
_DOCTYPE, _DATE, _TITLE, _MUXING, _WRITING = 0x4282, 0x4461, 0x7BA9, 0x4D80, 0x5741
_TAG_NAME, _TAG_STRING = 0x45A3, 0x4487
_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
_MAX_ELEMENTS = 100_000
_TEXT_MAX = 64 << 10


def sniff(head: bytes) -> bool:
    return head[:4] == b"\x1a\x45\xdf\xa3"


def _vint(fh: BinaryIO, keep_marker: bool) -> tuple[int, int] | None:
    first = fh.read(1)
    if not first:
        return None
    byte = first[0]
    length = next((i + 1 for i in range(8) if byte & (0x80 >> i)), 0)
    if length == 0:
        raise ValueError("invalid EBML variable-length integer")
    rest = fh.read(length - 1)
    if len(rest) < length - 1:
        return None
    value = byte if keep_marker else byte & (0xFF >> length)
    for b in rest:
        value = (value << 8) | b
    return value, length


def read(path: Path) -> Reading:
    out = Reading(name="matroska")
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            if not sniff(fh.read(4)):
                return out
            fh.seek(0)
            _walk(fh, 0, size, out, [0], depth=0)
    except (OSError, ValueError, struct.error, OverflowError) as exc:
        out.error = f"{type(exc).__name__}: {exc}"
    return out


def _walk(fh: BinaryIO, start: int, end: int, out: Reading, count: list[int], depth: int) -> None:
    offset = start
    pending_name: str | None = None
    deadline = current_deadline()
    while offset < end:
        deadline.check()
        count[0] += 1
        if count[0] > _MAX_ELEMENTS or depth > 8:
            raise ValueError("too many or too deeply nested EBML elements")
        fh.seek(offset)
        ident = _vint(fh, keep_marker=True)
        size = _vint(fh, keep_marker=False) if ident else None
        if ident is None or size is None:
            return
        body = fh.tell()
        length = size[0]
        if length == (1 << (7 * size[1])) - 1:  # unknown size: runs to the end of the parent
            length = end - body
        stop = min(body + length, end)
        element = ident[0]
        if element in (_EBML, _SEGMENT, _INFO, _TAGS, _TAG, _SIMPLE):
            _walk(fh, body, stop, out, count, depth + 1)
        elif element in (_DOCTYPE, _TITLE, _MUXING, _WRITING, _TAG_NAME, _TAG_STRING):
            value = text(fh.read(min(stop - body, _TEXT_MAX)))
            if element == _TAG_NAME:
                pending_name = value
            elif element == _TAG_STRING:
                if not pending_name:  # a value without its name (damaged or hostile): nothing to file it under
                    offset = stop
                    continue
                out.put("Matroska", pending_name, value)
                if pending_name.upper() in ("DATE_RECORDED", "DATE_ENCODED"):
                    out.capture.append(Tagged(f"Matroska:{pending_name}", value))
                elif pending_name.upper() in ("ENCODER", "ENCODED_BY"):
                    out.writers.append(Tagged(f"Matroska:{pending_name}", value))
            else:
                tag = {_DOCTYPE: "DocType", _TITLE: "Title", _MUXING: "MuxingApp", _WRITING: "WritingApp"}[element]
                out.put("Matroska", tag, value)
                if element in (_MUXING, _WRITING) and value:
                    out.writers.append(Tagged(f"Matroska:{tag}", value))
                    if element == _WRITING:
                        out.software.append(Tagged(f"Matroska:{tag}", value))
        elif element == _DATE and length == 8:
            nanoseconds = struct.unpack(">q", fh.read(8))[0]
            when = _EPOCH + timedelta(microseconds=nanoseconds // 1000)
            stamp = when.strftime("%Y:%m:%d %H:%M:%S")
            out.put("Matroska", "DateTimeOriginal", stamp + "Z")
            out.created.append(Tagged("Matroska:DateUTC", stamp, offset="Z"))
        offset = stop
