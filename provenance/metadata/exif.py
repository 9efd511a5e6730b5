"""EXIF through exifread: JPEG, TIFF/DNG, PNG, WebP and JPEG XL; in ISO BMFF files (HEIC, AVIF, CR3, MP4) the
box reader finds the Exif item or blocks and ``add_blocks`` reads them (exifread's own HEIC walker trusts its
item and extent counts: a mutated HEIC kept it busy for 194 s).

exifread reports trouble through its logger ("File format not recognized", "Possibly corrupted field"); those
messages are collected per call and returned as notes instead of reaching the user's console.
"""

from __future__ import annotations

import contextvars
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import exifread
from exifread.core.exif_header import ExifHeader

from provenance.limits import current_deadline

# exifread key prefix -> ExifTool's family-1 group name, so raw tags read like ExifTool's output.
_GROUPS = {
    "Image": "IFD0",
    "Thumbnail": "IFD1",
    "EXIF": "ExifIFD",
    "GPS": "GPS",
    "Interoperability": "InteropIFD",
    "MakerNote": "MakerNotes",
}

_MAX_JPEG_SEGMENTS = 256

_notes: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("exifread_notes", default=None)


class _Collect(logging.Filter):
    """Route exifread's log records into the current call's notes (per thread/task, via a context var)."""

    def filter(self, record: logging.LogRecord) -> bool:
        notes = _notes.get()
        if notes is None:
            return True
        if record.levelno >= logging.WARNING:
            notes.append(record.getMessage())
        return False


logging.getLogger("exifread").addFilter(_Collect())

# IFDs read from one TIFF chain: IFD0 (the picture), IFD1 (its thumbnail) and a few more pages. exifread walks
# and dumps every IFD of the chain, with no limit of its own: a TIFF of 100,000 1x1 pages (11.6 MB) took 33 s and
# gave 900,000 tags. Further pages repeat page-layout tags; capture metadata lives in IFD0 and its sub-IFDs.
_MAX_IFDS = 16


def _capped_list_ifd(self: ExifHeader) -> list[int]:
    """``ExifHeader.list_ifd`` stopping after ``_MAX_IFDS`` IFDs (and at a loop, as the original does)."""
    first, following = getattr(self, "_first_ifd", None), getattr(self, "_next_ifd", None)
    if first is None or following is None:  # another exifread release: cut the original's list
        return _LIST_IFD(self)[:_MAX_IFDS]
    out: list[int] = []
    offset = first()
    while offset and len(out) < _MAX_IFDS and offset not in out:
        out.append(offset)
        offset = following(offset)
    return out


_LIST_IFD = ExifHeader.list_ifd
ExifHeader.list_ifd = _capped_list_ifd  # exifread is used only through this module


@dataclass
class ExifTags:
    tags: dict[str, Any] = field(default_factory=dict)  # exifread key ("Image Make") -> IfdTag
    notes: list[str] = field(default_factory=list)  # exifread's warnings, e.g. "Possibly corrupted field"
    error: str | None = None

    def get(self, key: str) -> Any:
        return self.tags.get(key)

    def text(self, key: str) -> str | None:
        """A tag's value as clean text (NULs and padding stripped), or None when absent or empty."""
        tag = self.tags.get(key)
        if tag is None:
            return None
        value = tag.values if isinstance(getattr(tag, "values", None), str) else str(tag)
        value = value.replace("\x00", " ").strip()
        return value or None


def group_of(key: str) -> tuple[str, str]:
    """Split an exifread key into (ExifTool-style group, tag): "IFD 2 Software" -> ("IFD2", "Software")."""
    prefix, _, name = key.rpartition(" ")
    if not prefix:
        return "EXIF", key
    if prefix.startswith("IFD "):
        return "IFD" + prefix[4:].strip(), name
    return _GROUPS.get(prefix, prefix.replace(" ", "")), name


# Reads exifread may make of one file, and reads past its end: a runaway loop, not a parse. exifread's own
# parsers loop on counts they never check against the file (a HEIC iloc claiming 2^32 items read past the end
# for 194 s, found by tests/hostile/fuzz.py). Parsing a camera JPEG takes a few hundred reads; the 65,535-entry
# IFD of the hostile corpus about 260,000.
_MAX_READS = 1_000_000
_MAX_READS_PAST_END = 1_000


class _Bounded:
    """The file as exifread sees it, counting its reads; raises EOFError once a bound above is passed."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh, self._reads, self._past_end = fh, 0, 0
        self._deadline = current_deadline()

    def read(self, size: int = -1) -> bytes:
        self._reads += 1
        self._deadline.check()
        data = self._fh.read(size)
        if size and not data:
            self._past_end += 1
        if self._reads > _MAX_READS or self._past_end > _MAX_READS_PAST_END:
            raise EOFError("EXIF parse abandoned: it kept reading (a count in the file exceeds its contents)")
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        return self._fh.tell()


def read(path: Path) -> ExifTags:
    """Read EXIF without maker notes or thumbnails; never raises for a bad file."""
    result = ExifTags()
    token = _notes.set(result.notes)
    try:
        with path.open("rb") as raw:
            if raw.read(12)[4:8] == b"ftyp":  # ISO BMFF: the box reader hands over the Exif item (add_blocks)
                return result
            raw.seek(0)
            fh = _Bounded(raw)
            result.tags = dict(exifread.process_file(fh, details=False, extract_thumbnail=False))
            if not result.tags and (payload := _jpeg_exif_payload(raw)):
                block = _Bounded(io.BytesIO(payload))
                result.tags = dict(exifread.process_file(block, details=False, extract_thumbnail=False))
    except Exception as exc:  # exifread raises EOFError, struct.error, IndexError... on truncated files
        result.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    finally:
        _notes.reset(token)
    result.tags = {k: v for k, v in result.tags.items() if k not in ("JPEGThumbnail", "TIFFThumbnail")}
    return result


def _jpeg_exif_payload(fh: BinaryIO) -> bytes | None:
    """The TIFF block of a JPEG's APP1 Exif segment, found by walking the markers ourselves.

    exifread gives up on JPEGs whose first segment is not APP0/APP1, which is how C2PA signers write them
    (APP11 JUMBF first); ExifTool reads those, and so must we.
    """
    fh.seek(0)
    if fh.read(2) != b"\xff\xd8":
        return None
    for _ in range(_MAX_JPEG_SEGMENTS):
        header = fh.read(4)
        if len(header) < 4 or header[0] != 0xFF or header[1] in (0xD9, 0xDA):  # EOI, start of scan
            return None
        length = int.from_bytes(header[2:4], "big")
        if length < 2:
            return None
        if header[1] == 0xE1:
            body = fh.read(length - 2)
            if body.startswith(b"Exif\x00\x00"):
                return body[6:]
        else:
            fh.seek(length - 2, io.SEEK_CUR)
    return None


# CR3 keeps IFD0, the Exif IFD and the GPS IFD as three separate TIFF blocks, each read as its own "IFD0".
_BLOCK_PREFIX = {"exif": None, "tiff:CMT1": None, "tiff:CMT2": "EXIF", "tiff:CMT4": "GPS"}


def add_blocks(result: ExifTags, blocks: dict[str, bytes]) -> None:
    """Read EXIF that other readers found embedded (HEIF/AVIF Exif items, WebP chunks, CR3 CMT boxes).

    Tags already read from the file itself are kept; a block only fills what is missing.
    """
    for name, prefix in _BLOCK_PREFIX.items():
        data = blocks.get(name)
        if not data:
            continue
        token = _notes.set(result.notes)
        try:
            tags = exifread.process_file(_Bounded(io.BytesIO(data)), details=False, extract_thumbnail=False)
        except Exception as exc:  # same failure modes as read(): truncated or hostile blocks
            result.notes.append(f"embedded EXIF ({name}) not read: {type(exc).__name__}")
            continue
        finally:
            _notes.reset(token)
        for key, tag in tags.items():
            if key in ("JPEGThumbnail", "TIFFThumbnail"):
                continue
            if prefix and key.startswith("Image "):
                key = f"{prefix} {key[6:]}"
            result.tags.setdefault(key, tag)
