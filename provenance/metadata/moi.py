"""MOI: the index file JVC, Canon and Panasonic camcorders write beside each MOD/TOD clip (``MOV001.MOI``).

The clip's capture time is only here (the MPEG-PS it indexes carries none), so a desk handed the ``.MOI`` gets
its capture time and length. Layout (big-endian, as ExifTool's MOI module reads it): ``V6`` version at 0, the
file's size (uint32) at 2, year (uint16), month, day, hour, minute (one byte each) and milliseconds of the
minute (uint16) at 6, the clip's duration in ms (uint32) at 14. Local camera time, no zone.
"""

from __future__ import annotations

import struct
from pathlib import Path

from provenance.sniff import is_moi

from .reading import Reading, Tagged, read_head

HEAD = 18  # bytes read: version, size, date and duration (``is_moi`` needs the first 14)


def sniff(head: bytes) -> bool:
    return is_moi(head)


def read(path: Path) -> Reading:
    out = Reading(name="moi")
    if (head := read_head(path, HEAD, out)) is None:
        return out
    if not sniff(head):
        out.error = "not an MOI index file"
        return out
    year, month, day, hour, minute, ms = struct.unpack(">HBBBBH", head[6:14])
    stamp = f"{year:04d}:{month:02d}:{day:02d} {hour:02d}:{minute:02d}:{ms // 1000:02d}.{ms % 1000:03d}"
    out.capture.append(Tagged("MOI:DateTimeOriginal", stamp))
    out.put("MOI", "MOIVersion", "V6")
    out.put("MOI", "DateTimeOriginal", stamp)
    duration_ms = struct.unpack(">I", head[14:18])[0]
    out.put("MOI", "Duration", f"{duration_ms / 1000:g} s")
    return out
