"""The metadata stage: container tags, EXIF, GPS, device, encoder, C2PA and consistency checks.

``extract(path, kind)`` reads the original read-only through independent readers (PyAV for container and
stream tags, exifread for EXIF, c2pa-python for Content Credentials). A reader that fails costs only its own
tags: its message goes into ``raw["Errors"]`` and the others still count. Only when nothing at all could be
read does it raise ``MetadataError``, which the pipeline records as the stage error.
"""

from __future__ import annotations

import re
from pathlib import Path

from provenance.errors import ProvenanceError
from provenance.report.model import MetadataSection

from . import c2pa, consistency, container, exif, normalise

__all__ = ["MetadataError", "extract"]

_KINDS = ("video", "image", "audio")
# exifread's way of saying "no EXIF here": expected for most video and audio, not worth a note.
_NO_EXIF = re.compile(r"format not recognized|does not have exif", re.IGNORECASE)


class MetadataError(ProvenanceError):
    """Nothing could be read from the file; the message says what each reader reported."""


def extract(path: Path, kind: str) -> MetadataSection:
    """Read and normalise the file's metadata into the report's section (status "ok")."""
    path = Path(path)
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {', '.join(_KINDS)}, not {kind!r}")
    if not path.is_file():
        raise MetadataError(f"not a readable file: {path}")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise MetadataError(f"cannot open {path.name}: {exc.strerror or exc}") from exc

    box = container.read(path, scan_bitstream=kind == "video")
    tags = exif.read(path)
    credentials, c2pa_raw = c2pa.read(path)

    errors = {
        name: message
        for name, message in (("container", box.error), ("exif", tags.error), ("c2pa", c2pa_raw.get("error")))
        if message
    }
    if box.error and not tags.tags and not credentials.present:
        detail = "; ".join(f"{name}: {message}" for name, message in errors.items())
        raise MetadataError(f"no metadata could be read from {path.name} ({detail})")

    facts = normalise.facts(kind, box, tags)
    raw = normalise.raw_groups(box, tags)
    if c2pa_raw:
        raw["C2PA"] = c2pa_raw
    if errors:
        raw["Errors"] = errors
    notes = [n for n in dict.fromkeys(tags.notes) if not _NO_EXIF.search(n)]
    if notes:
        raw["Notes"] = {f"exif{i}": note for i, note in enumerate(notes[:20], 1)}

    capture = facts.capture
    return MetadataSection(
        status="ok",
        capture_time=capture.iso if capture else None,
        capture_time_source=capture.source if capture else None,
        timezone=capture.tz if capture else None,
        device=facts.device,
        gps=facts.gps,
        encoder=facts.encoder,
        c2pa=credentials,
        consistency=consistency.check(facts),
        raw=raw,
    )
