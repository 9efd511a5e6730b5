"""DV (IEC 61834) recording date and time from the VAUX packs of the first frame.

Why: a DV camcorder writes when it recorded into every frame's video auxiliary data (packs 0x62 "rec date" and
0x63 "rec time"), which ExifTool reports as DV:DateTimeOriginal; FFmpeg does not expose it, and without ExifTool
a DV clip had no capture time (issue 14, N6). Layout: IEC 61834-4 (pack layout, BCD digits, 0xFF = no data);
DIF blocks of 80 bytes, a VAUX block's section type 2 in the top three bits of its first byte, then 15 packs of
5 bytes from its fourth byte (SMPTE 314M 4.4).
"""

from __future__ import annotations

from pathlib import Path

from .reading import Reading, Tagged, read_head

FRAME_MAX = 144_000  # bytes of the first frame read (a PAL DV25 frame; NTSC's is 120,000)
_BLOCK = 80


def sniff(head: bytes) -> bool:
    """A raw DV stream starts with its header DIF block: section type 0, sequence 0 ("\\x1f\\x07\\x00")."""
    return head[:3] == b"\x1f\x07\x00"


def _bcd(byte: int, mask: int) -> int | None:
    value = byte & mask
    tens, units = value >> 4, value & 15
    return None if units > 9 or tens > 9 else tens * 10 + units


def read(path: Path) -> Reading:
    """The DV reading; never raises for a bad file (the error is kept in the reading)."""
    out = Reading(name="dv")
    if (data := read_head(path, FRAME_MAX, out)) is None:
        return out
    date = time = None
    for start in range(0, len(data) - _BLOCK + 1, _BLOCK):
        if data[start] >> 5 != 2:  # not a VAUX block
            continue
        for pack in range(start + 3, start + 3 + 15 * 5, 5):
            kind, body = data[pack], data[pack + 1 : pack + 5]
            if kind == 0x62 and date is None and body[1:] != b"\xff\xff\xff":
                day, month, year = _bcd(body[1], 0x3F), _bcd(body[2], 0x1F), _bcd(body[3], 0xFF)
                if day and month and year is not None and month <= 12:
                    date = f"{1900 + year if year >= 75 else 2000 + year:04d}:{month:02d}:{day:02d}"
            elif kind == 0x63 and time is None and body[1:] != b"\xff\xff\xff":
                second, minute, hour = _bcd(body[1], 0x7F), _bcd(body[2], 0x7F), _bcd(body[3], 0x3F)
                if None not in (second, minute, hour) and hour < 24 and minute < 60 and second < 60:
                    time = f"{hour:02d}:{minute:02d}:{second:02d}"
        if date and time:
            break
    if date:
        value = f"{date} {time}" if time else date
        out.put("DV", "DateTimeOriginal", value)
        out.capture.append(Tagged("DV:DateTimeOriginal", value))
    return out
