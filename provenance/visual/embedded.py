"""A motion photo's embedded clip (a JPEG with an MP4 appended: Google MicroVideo / MotionPhoto, Samsung
MotionPhoto), copied out of the file so FFmpeg reads it as a file of its own.

Verify samples and matches it (``visual.stage``, ``visual.embedded_video``), `index add` indexes it with the still
as one reference (``visual.index``), and a batch re-match matches its stored fingerprint again
(``batch.rematch``): issue 14 round 6, D3, and round 7. Where the clip starts is ``sniff.embedded_video_offset``
(right after the picture) or, further on, where the photo's XMP puts it (:func:`offset`).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from provenance.errors import ProvenanceError
from provenance.limits import Limits
from provenance.media import MediaFile, probe
from provenance.sniff import after_jpeg, embedded_video_offset

if TYPE_CHECKING:
    from provenance.metadata.xmp import MotionPhotoXmp

# The first picture's header read for its XMP: APP1 segments are 64 KiB each; a header with Extended XMP over
# several is still well under this (bytes)
_JPEG_HEADER_MAX = 1 << 20


def offset(media: MediaFile) -> int | None:
    """Where ``media``'s embedded clip starts (bytes), or None: only a JPEG still can be a motion photo."""
    if media.kind != "image" or media.container != "jpeg":
        return None
    at = embedded_video_offset(media.path)
    if at is not None:
        return at
    # Further on (a Pixel's Ultra HDR motion photo: the primary JPEG, a gain-map JPEG of 100-300 KB, then the
    # clip): where the XMP's declared lengths put it, counted from the file's end (issue 14 round 7, N2)
    declared = motion_photo_xmp(media.path)
    if declared is None or not declared.from_end:
        return None
    start = media.size_bytes - declared.from_end
    found = after_jpeg(media.path)
    return start if found is not None and start >= found[0] and _ftyp_at(media.path, start) else None


def jpeg_xmp(path: Path) -> list[bytes]:
    """The XMP packets in the first picture's header of a JPEG (the segments before its first scan, at most
    ``_JPEG_HEADER_MAX`` bytes); [] for anything else or a file that cannot be read."""
    from provenance.metadata.xmp import packets

    try:
        with path.open("rb") as fh:
            head = fh.read(_JPEG_HEADER_MAX)
    except OSError:
        return []
    if not head.startswith(b"\xff\xd8\xff"):
        return []
    sos = head.find(b"\xff\xda")
    return packets(head[:sos] if sos > 0 else head)


def motion_photo_xmp(path: Path) -> MotionPhotoXmp | None:
    """What the first picture's XMP declares of a motion photo's clip (``xmp.motion_photo``), or None."""
    from provenance.metadata.xmp import motion_photo

    blocks = jpeg_xmp(path)
    return motion_photo(blocks) if blocks else None


def _ftyp_at(path: Path, offset: int) -> bool:
    """An ISO BMFF ``ftyp`` box (a size of 16 or more, then a printable major brand) starts at ``offset``."""
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            box = fh.read(12)
    except (OSError, ValueError):
        return False
    return len(box) == 12 and box[4:8] == b"ftyp" and int.from_bytes(box[:4], "big") >= 16 and box[8:].isascii()


@contextlib.contextmanager
def clip_media(media: MediaFile, at: int, limits: Limits | None) -> Iterator[MediaFile]:
    """The clip that starts at byte ``at`` of ``media``, copied to a temporary file and probed under ``limits``
    (removed on leaving). Raises ``ProvenanceError`` when it cannot be read or holds no video stream; the message
    names "the embedded clip", not the temporary path."""
    with tempfile.TemporaryDirectory(prefix="provenance-embedded-") as tmp:
        clip = Path(tmp) / "embedded.mp4"
        try:
            with media.path.open("rb") as src, clip.open("wb") as dst:
                src.seek(at)
                shutil.copyfileobj(src, dst, 1 << 20)
            found = probe(clip, limits)
            if found.kind != "video":
                raise ProvenanceError(f"it holds no video stream (read as {found.kind})")
        except (ProvenanceError, OSError) as exc:
            raise ProvenanceError(named(exc, clip)) from None
        yield found


def named(exc: BaseException, clip: Path) -> str:
    """``exc``'s message with the temporary file's path said as "the embedded clip"."""
    return str(exc).replace(str(clip), "the embedded clip")
