"""A motion photo's embedded clip (a JPEG with an MP4 appended: Google MicroVideo / MotionPhoto, Samsung
MotionPhoto), copied out of the file so FFmpeg reads it as a file of its own.

Verify samples and matches it (``visual.stage``, ``visual.embedded_video``), `index add` indexes it with the still
as one reference (``visual.index``), and a batch re-match matches its stored fingerprint again
(``batch.rematch``): issue 14 round 6, D3, and round 7. Where the clip starts is ``sniff.embedded_video_offset``.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from provenance.errors import ProvenanceError
from provenance.limits import Limits
from provenance.media import MediaFile, probe
from provenance.sniff import embedded_video_offset


def offset(media: MediaFile) -> int | None:
    """Where ``media``'s embedded clip starts (bytes), or None: only a JPEG still can be a motion photo."""
    if media.kind != "image" or media.container != "jpeg":
        return None
    return embedded_video_offset(media.path)


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
