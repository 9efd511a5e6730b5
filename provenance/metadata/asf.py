"""ASF (WMV/WMA) header: the File Properties Object's creation date.

Why: FFmpeg rejects some ASF files it cannot play (the corpus's exiftool/ASF.wmv stub), and without ExifTool their
metadata was not read at all (issue 14, N6). The date is the one ExifTool reports as ASF:CreationDate.
Layout: Microsoft's ASF specification 1.20, 3.1 (Header Object: GUID, 64-bit size, 32-bit object count, two
reserved bytes, then objects) and 3.2 (File Properties Object: file ID GUID, 64-bit file size, then the creation
date as a FILETIME: 100-ns intervals since 1601-01-01 UTC).
"""

from __future__ import annotations

import struct
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from .reading import Reading, Tagged, read_head

HEADER_MAX = 1 << 20  # bytes of the Header Object read (real ones: a few KB; its objects come before the data)
_HEADER = uuid.UUID("75B22630-668E-11CF-A6D9-00AA0062CE6C").bytes_le
_FILE_PROPERTIES = uuid.UUID("8CABDCA1-A947-11CF-8EE4-00C00C205365").bytes_le
_EPOCH = datetime(1601, 1, 1)


def sniff(head: bytes) -> bool:
    return head[:16] == _HEADER


def read(path: Path) -> Reading:
    """The ASF reading; never raises for a bad file (the error is kept in the reading)."""
    out = Reading(name="asf")
    if (data := read_head(path, HEADER_MAX, out)) is None:
        return out
    try:
        if not sniff(data):
            return out
        size = min(struct.unpack("<Q", data[16:24])[0], len(data))
        pos = 30
        while pos + 24 <= size:
            guid, length = data[pos : pos + 16], struct.unpack("<Q", data[pos + 16 : pos + 24])[0]
            if length < 24:
                break
            if guid == _FILE_PROPERTIES and pos + 56 <= size:
                (filetime,) = struct.unpack("<Q", data[pos + 48 : pos + 56])
                if filetime:
                    when = _EPOCH + timedelta(microseconds=filetime // 10)
                    value = when.strftime("%Y:%m:%d %H:%M:%S") + "Z"
                    out.put("ASF", "CreationDate", value)
                    out.created.append(Tagged("ASF:CreationDate", value, utc=True))
            pos += length
    except (ValueError, struct.error, OverflowError) as exc:
        out.error = f"{type(exc).__name__}: {exc}"
    return out
