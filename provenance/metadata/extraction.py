"""The metadata stage's readers run together: ``extract(path, kind)`` builds the report's section.

See the package docstring for the readers. A reader that fails costs only its own tags: its message goes into
``raw["Errors"]`` and the others still count. Only when nothing at all could be read from a video or audio file
(which FFmpeg opened at ingest) does it raise ``MetadataError``, which the pipeline records as the stage error; a
still with no tag any reader finds has no metadata, which is "unknown", not a failure.
"""

from __future__ import annotations

import re
from pathlib import Path

from provenance.errors import ProvenanceError
from provenance.limits import current_deadline
from provenance.report.model import MetadataSection

from . import (
    asf,
    c2pa,
    consistency,
    container,
    dv,
    exif,
    exiftool,
    h264,
    iptc,
    isobmff,
    matroska,
    moi,
    mxf,
    normalise,
    riff,
    wtv,
    xmp,
)
from .reading import Reading

__all__ = ["MetadataError", "extract", "reads_metadata"]

_KINDS = ("video", "image", "audio", "index", "document")
# exifread's way of saying "no EXIF here": expected for most video and audio, not worth a note.
_NO_EXIF = re.compile(r"format not recognized|does not have exif", re.IGNORECASE)


class MetadataError(ProvenanceError):
    """Nothing could be read from the file; the message says what each reader reported."""


def extract(path: Path, kind: str, *, skip_container: str | None = None) -> MetadataSection:
    """Read and normalise the file's metadata into the report's section (status "ok").

    ``skip_container``: why FFmpeg's container reader is not run (a still its probe would decode past the memory
    bound: ``stage._container_unsafe``); the reason is reported as that reader's note."""
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

    # Readers keep their own failures (a bad file is a note, not a crash), the stage's deadline included: it is
    # checked again between readers, so a stage past its budget stops after the reader it interrupted.
    check = current_deadline().check
    box = (container.ContainerTags(error=skip_container) if skip_container
           else container.read(path, scan_bitstream=kind == "video"))
    check()
    tags = exif.read(path)
    check()
    readings = _format_readings(path, kind)
    check()
    blocks = {k: v for r in readings for k, v in r.embedded.items()}
    exif.add_blocks(tags, blocks)
    check()
    packets = xmp.scan(path)
    if (block := blocks.get("xmp")) and not any(p in block or block in p for p in packets):
        packets += xmp.packets(block)
    compressed, xmp_error = xmp.png_packets(path)
    extended, extended_error = xmp.jpeg_extended(path)
    xmp_reading = xmp.read(packets + compressed + extended)
    # an XMP packet too large to read is not "no XMP"
    xmp_reading.error = xmp_reading.error or xmp_error or extended_error
    readings.append(xmp_reading)
    check()
    tool = exiftool.read(path)
    readings.append(tool)
    check()
    credentials, c2pa_raw = c2pa.read(path)
    check()

    errors = {
        name: message
        for name, message in (
            ("container", box.error),
            ("exif", tags.error),
            *((r.name, r.error) for r in readings),
            ("c2pa", c2pa_raw.get("error")),
        )
        if message
    }
    # The C2PA SDK checking a file of a format it knows (even to find no manifest) is an answer the report
    # should carry; for bytes of no known format its "no manifest" says nothing.
    checked = credentials.validation is not None and _known_format(path)
    found_any = bool(tags.tags) or checked or any(r.found for r in readings)
    # A still (or a document, an index) that ingest opened and in which no reader finds a tag has no metadata:
    # "unknown", reported as such (no_capture_metadata), not a failed stage. A .dib, .icns or .im that FFmpeg does
    # not read and ExifTool calls "Unknown file type" failed the stage, exit 1 (issue 14 round 4 M3). Video and
    # audio went through FFmpeg at ingest: its container reader failing on them now is a real read error.
    if box.error and not found_any and kind in ("video", "audio"):
        detail = "; ".join(f"{name}: {message}" for name, message in errors.items())
        raise MetadataError(f"no metadata could be read from {path.name} ({detail})")

    facts = normalise.facts(kind, box, tags, readings)
    raw = normalise.raw_groups(box, tags, readings)
    if c2pa_raw:
        raw["C2PA"] = c2pa_raw
    if errors:
        raw["Errors"] = {k: normalise.clean(v)[: normalise.RAW_VALUE_MAX] for k, v in errors.items()}
    notes = [n for n in dict.fromkeys(tags.notes) if not _NO_EXIF.search(n)]
    if notes:
        raw["Notes"] = {f"exif{i}": normalise.clean(note)[:500] for i, note in enumerate(notes[:20], 1)}

    capture, modify = facts.capture, facts.modify
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
        modify_time=modify.iso if modify else None,
        modify_time_source=modify.source if modify else None,
        document_created=facts.created.iso if facts.created else None,
        document_created_source=facts.created.source if facts.created else None,
        sources=facts.sources,
        brands=facts.brands,
        handlers=facts.handlers,
        rotation=facts.rotation,
        history=facts.history,
        readers=_reader_status(box.error, tags.error, readings, tool, c2pa_raw),
    )


# EXIF tags that say when, where or with what a picture was taken (exifread keys).
_CAPTURE_EXIF = ("EXIF DateTimeOriginal", "EXIF DateTimeDigitized", "Image DateTime", "Image Make", "Image Model",
                 "Image Software", "GPS GPSLatitude")
_ZERO_TIME = "0000:00:00 00:00:00"
# ExifTool's time-out when ingest asks it about a file no decoder opened: it answers the stubs of the shared
# corpus in 0.2-0.4 s; a malformed TIFF (c2pa tiff_poc.tiff) took it 6.7 s, which the metadata stage spends anyway.
INGEST_EXIFTOOL_S = 3.0


# ExifTool tags that describe the recording (when, what, by whom, from which station) rather than its structure:
# a file's header alone gives structural ones (brands, data sizes, picture dimensions, a Matroska DocType), which
# bytes that only start like media have too (measured on the hostile corpus: truncated MP4s, PNG/JPEG headers
# claiming huge sizes, nested Matroska elements). WTV's Title and EncodeTime, an ID3 title, a QuickTime
# CreationDate are descriptive.
_DESCRIPTIVE = re.compile(r"DateTime|EncodeTime|CreateDate|CreationDate|ModifyDate|Title|Artist|Author|Creator|"
                          r"Copyright|Description|Comment|StationName|CallSign|Album|Producer|Director")
_EMPTY = re.compile(r"^[\s0:.;-]*(Z|[+-]00:?00)?$")  # "", "0", ";;;", "0000:00:00 00:00:00", "0001:01:01 00:00:00Z"


def reads_metadata(path: Path) -> bool:
    """Whether a metadata reader reads something that describes the recording: a capture time, device, software
    or position (EXIF and the format's box or chunk reader first), or a descriptive tag of the format's own that
    ExifTool reads (WTV's title and encode time, an ID3 title...; structural tags such as brands, sizes and
    dimensions do not count). Ingest asks it of files no decoder opens, to tell a photo or clip whose pixels
    cannot be decoded (worth a report with its metadata) from bytes that only start like media (refused)."""
    tags = exif.read(path)
    blocks: dict[str, bytes] = {}
    for reading in _format_readings(path, "image"):
        blocks.update(reading.embedded)
        stamps = [t for t in (*reading.capture, *reading.created) if t.value and t.value != _ZERO_TIME]
        if stamps or reading.make or reading.model or reading.software or reading.gps:
            return True
    exif.add_blocks(tags, blocks)
    if any(tags.text(key) for key in _CAPTURE_EXIF):
        return True
    # Formats only ExifTool reads (ASF, ID3, RealMedia, R3D, WTV...), when it is installed: one process, ~0.3 s,
    # asked only of files no decoder opened.
    tool = exiftool.read(path, max_s=INGEST_EXIFTOOL_S)
    stamps = [t for t in (*tool.capture, *tool.created) if t.value and not t.value.startswith("0000")]
    if stamps or tool.make or tool.model or tool.gps:
        return True
    return any(_DESCRIPTIVE.search(tag) and not _EMPTY.match(value)
               for group, found in tool.raw.items() if group != "ExifTool" for tag, value in found.items())


def _format_readings(path: Path, kind: str) -> list[Reading]:
    """The readers that know the file's format by its first bytes, in the order normalisation trusts them."""
    try:
        with path.open("rb") as fh:
            head = fh.read(max(moi.HEAD, 16))
    except OSError:
        return []
    out = [isobmff.read(path)] if isobmff.sniff(head) else []
    if kind == "video":
        out.append(h264.read(path))  # AVCHD SEI in MTS/M2TS (and any stream that carries it)
    # IPTC last: JPEG, TIFF: IPTC IIM, the newsroom's own record (before XMP in trust)
    out += [reader.read(path) for reader in (riff, matroska, moi, wtv, mxf, asf, dv, iptc) if reader.sniff(head)]
    return out


_MAGIC = (
    b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"II*\x00", b"MM\x00*", b"RIFF", b"ID3", b"fLaC", b"OggS",
    b"\x1a\x45\xdf\xa3", b"\xff\x0a", b"\x00\x00\x00\x0cJXL ",
)  # fmt: skip


def _known_format(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return head.startswith(_MAGIC) or isobmff.sniff(head)


def _reader_status(box_error: str | None, exif_error: str | None, readings: list[Reading], tool: Reading,
                   c2pa_raw: dict[str, str]) -> dict:
    status = {"container": box_error or "ok", "exif": exif_error or "ok"}
    status.update({r.name: r.error or "ok" for r in readings if r.name != "exiftool"})
    state = exiftool.status()
    version = tool.raw.get("ExifTool", {}).get("ExifToolVersion", "version unknown")
    # ExifTool's Warning said on the reader in one line: "metadata unreadable: Invalid xref table" when it read
    # nothing (exiftool.unreadable), else beside "ok" (issue 14 round 5, N8)
    warning = tool.warning
    if tool.error or state != "ok":
        status["exiftool"] = tool.error or state
    elif exiftool.unreadable(warning):
        status["exiftool"] = f"metadata unreadable: {warning} (ExifTool {version})"
    else:
        status["exiftool"] = f"ok (ExifTool {version}" + (f"; its warning: {warning})" if warning else ")")
    # the SDK's failure or the reason it was not run, never "ok" over an error (issue 14 round 5, N3)
    status["c2pa"] = c2pa_raw.get("error") or c2pa_raw.get("note") or "ok"
    return {k: normalise.clean(str(v))[:300] for k, v in status.items()}
