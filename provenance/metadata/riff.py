"""RIFF files (AVI, WAV, WebP): the INFO list, the AVI ``IDIT`` capture date and the camera ``exif`` list.

Cameras that record AVI (Canon, Pentax, Casio) write the capture date into ``IDIT`` and their name into INFO
``ISFT``; Pentax WAV voice memos carry make and model in an ``exif`` list. FFmpeg maps only some of these, and
not at all when the payload is cut or damaged, so the chunks are walked here, bounded in count and depth.
"""

from __future__ import annotations

import re
import struct
from datetime import datetime
from pathlib import Path

from provenance.limits import current_deadline

from .reading import Reading, Tagged, text

_MAX_CHUNKS = 4096
_MAX_DEPTH = 8
_CHUNK_MAX = 1 << 20  # bytes read from one metadata chunk
_INFO = {
    b"ISFT": "Software",
    b"ICRD": "DateCreated",
    b"IART": "Artist",
    b"INAM": "Title",
    b"ICMT": "Comment",
    b"ICOP": "Copyright",
    b"ISRC": "Source",
    b"IENG": "Engineer",
}
_EXIF = {b"ecor": "Make", b"emdl": "Model", b"etim": "TimeCreated", b"edat": "DateCreated", b"erel": "RelatedImageFile"}


def sniff(head: bytes) -> bool:
    return head[:4] in (b"RIFF", b"RF64") and len(head) >= 12


def read(path: Path) -> Reading:
    out = Reading(name="riff")
    found: dict[str, str] = {}
    try:
        with path.open("rb") as fh:
            head = fh.read(12)
            if not sniff(head):
                return out
            form = head[8:12].decode("latin-1")
            out.put("RIFF", "Format", form)
            size = path.stat().st_size
            count = [0]
            _walk(fh, 12, size, 0, found, out, count)
    except (OSError, ValueError, struct.error) as exc:
        out.error = f"{type(exc).__name__}: {exc}"
    for tag, value in found.items():
        out.put("RIFF", tag, value)
    if value := found.get("DateTimeOriginal"):
        out.capture.append(Tagged("RIFF:DateTimeOriginal", value))
    created = found.get("DateCreated")
    if created:
        when = created if not found.get("TimeCreated") else f"{created[:10]} {found['TimeCreated']}"
        out.created.append(Tagged("RIFF:DateCreated", when))
    for tag, bucket in (("Make", out.make), ("Model", out.model), ("Software", out.software)):
        if value := found.get(tag):
            bucket.append(Tagged(f"RIFF:{tag}", value))
    if value := found.get("Software"):
        out.writers.append(Tagged("RIFF:Software", value))
    return out


def _walk(fh, start: int, end: int, depth: int, found: dict[str, str], out: Reading, count: list[int]) -> None:
    if depth > _MAX_DEPTH:
        raise ValueError(f"RIFF lists nested deeper than {_MAX_DEPTH}")
    offset = start
    deadline = current_deadline()
    while offset + 8 <= end:
        deadline.check()
        count[0] += 1
        if count[0] > _MAX_CHUNKS:
            raise ValueError(f"more than {_MAX_CHUNKS} RIFF chunks")
        fh.seek(offset)
        header = fh.read(12)
        if len(header) < 8:
            return
        kind, size = header[:4], struct.unpack("<I", header[4:8])[0]
        body = offset + 8
        stop = min(body + size, end)
        if kind == b"LIST" and len(header) >= 12:
            if header[8:12] != b"movi":  # the media data: nothing to read there
                _walk(fh, body + 4, stop, depth + 1, found, out, count)
        elif kind in _INFO or kind in _EXIF or kind in (b"IDIT", b"EXIF", b"XMP "):
            fh.seek(body)
            data = fh.read(min(stop - body, _CHUNK_MAX))
            if kind == b"EXIF":  # WebP
                out.embedded.setdefault("exif", data[6:] if data.startswith(b"Exif\x00\x00") else data)
            elif kind == b"XMP ":
                out.embedded.setdefault("xmp", data)
            elif kind == b"IDIT":
                value = text(data)
                found["DateTimeOriginal"] = _idit(value) or value
            else:
                found.setdefault((_INFO.get(kind) or _EXIF[kind]), text(data))
        offset = body + size + (size & 1)  # chunks are padded to an even length


def _idit(value: str) -> str | None:
    """AVI IDIT as cameras write it: "Mon Mar 10 15:04:43 2003" or "2009/10/27 12:14:34"."""
    value = value.strip()
    for fmt in ("%a %b %d %H:%M:%S %Y", "%Y/%m/%d %H:%M:%S", "%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(value, fmt).strftime("%Y:%m:%d %H:%M:%S")
        except ValueError:
            continue
    match = re.search(r"(\d{4})[/:-](\d{2})[/:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})", value)
    return ":".join(match.groups()[:3]) + " " + ":".join(match.groups()[3:]) if match else None
