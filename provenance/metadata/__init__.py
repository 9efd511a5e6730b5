"""The metadata stage: container tags, EXIF, XMP, GPS, device, encoder, C2PA and consistency checks.

``extract(path, kind)`` reads the original read-only through independent readers: PyAV for container and
stream tags, exifread for EXIF, box/chunk/element walkers of its own for ISO BMFF (MP4, MOV, 3GP, HEIF, AVIF,
CR3), RIFF (AVI, WAV, WebP), Matroska/WebM and the H.264 camera SEI, an XMP parser, ExifTool when installed,
and c2pa-python for Content Credentials. ``extract`` and ``MetadataError`` (in ``metadata.extraction``) load
on first use, so that a light reader (``metadata.reading``, ``xmp``) can be imported without PyAV.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from provenance._lazy import exports

if TYPE_CHECKING:
    from provenance.metadata.extraction import MetadataError, extract

__all__ = ["MetadataError", "extract"]

__getattr__, __dir__ = exports(__name__, {
    "MetadataError": "provenance.metadata.extraction",
    "extract": "provenance.metadata.extraction",
})  # fmt: skip
