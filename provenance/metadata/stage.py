"""The metadata stage: when, where and with what the file says it was recorded, and what touched it since.

Container tags, EXIF, XMP, GPS, device, encoder, C2PA and consistency checks (``provenance.metadata.extract``).
Missing metadata is "unknown", never evidence of editing: platforms strip it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from provenance.metadata.view import MetadataView
from provenance.report.model import Finding, MetadataSection, Report
from provenance.stage import Context, Stage, StageConfig


@dataclass
class MetadataConfig(StageConfig):
    """The metadata stage's profile table ``[metadata]``."""

    budget_s: float = 120.0  # readers and ExifTool (its own time-out is 30 s) on one file


class MetadataStage(Stage):
    name = "metadata"
    config_type = MetadataConfig
    section_type = MetadataSection
    kinds: ClassVar = frozenset({"video", "image", "audio", "index", "document"})
    view = MetadataView()

    def run(self, ctx: Context) -> MetadataSection:
        from provenance.metadata.extraction import extract

        return extract(ctx.media.path, ctx.media.kind, skip_container=_container_unsafe(ctx))

    def findings(self, report: Report) -> list[Finding]:
        meta: MetadataSection = report.metadata
        if meta.status != "ok":
            return []
        out = []
        # a block that is there but cut off (a truncated file) or too large to read: unreadable is not absent
        cut = [status for status in (meta.readers or {}).values()
               if "cut off" in status or "too large" in status or status.startswith(UNREADABLE)]
        if report.media.kind == "document":
            out.append(_document_dates(meta, cut[0] if cut else None))
        elif meta.capture_time is None and cut:
            out.append(Finding("capture_metadata_unreadable", "warning",
                               f"No capture time could be read: {cut[0]}. What that metadata says is unknown; "
                               "this is not a file without metadata.", {"reader": cut[0]}))
        elif meta.capture_time is None:
            nodevice = not (meta.device.make or meta.device.model)
            out.append(Finding("no_capture_metadata", "notice",
                               "No capture time" + (" and no camera make or model" if nodevice else "")
                               + " in the metadata: when it was recorded is unknown. Messaging and social-media "
                               "re-uploads, screenshots and exports strip it; absence is not evidence of editing.",
                               {"device_known": not nodevice}))
        else:
            out.append(Finding("capture_time", "info",
                               f"Capture time {meta.capture_time} (from {meta.capture_time_source}).",
                               {"capture_time": meta.capture_time, "source": meta.capture_time_source,
                                "timezone": meta.timezone}))
        device = meta.device
        if device.make or device.model:
            name = " ".join(x for x in (device.make, device.model) if x)
            sw = f", software {device.software}" if device.software else ""
            out.append(Finding("device", "info", f"Recording device {name}{sw}.",
                               {"make": device.make, "model": device.model, "software": device.software}))
        if meta.gps is not None:
            g = meta.gps
            out.append(Finding("gps_present", "notice",
                               f"GPS position {g.lat:.5f}, {g.lon:.5f} (from {g.source}).",
                               {"lat": g.lat, "lon": g.lon, "alt": g.alt, "source": g.source}))
        for check in meta.consistency:
            out.append(Finding(check.code, "notice", check.message, dict(check.evidence)))
        c2pa = meta.c2pa
        if c2pa.present:
            severity = "warning" if c2pa.state in ("invalid", "error") else "info"
            out.append(Finding("c2pa", severity,
                               f"Content Credentials (C2PA) manifest: {c2pa.state}"
                               + (f", signed by {c2pa.signer}" if c2pa.signer else "")
                               + (" (not from a trusted signer)" if c2pa.state == "valid" else "") + ".",
                               {"state": c2pa.state, "signer": c2pa.signer, "claim_generator": c2pa.claim_generator}))
        return out


# Largest still FFmpeg's container reader opens (MiB): its image demuxers read the file as one packet, so a 700 MB
# JPEG (coffee + zeros) took container.read to 757,476 KB RSS (issue 14 round 5, N3); 64 MiB matches the C2PA
# reader's whole-read bound (c2pa.MAX_WHOLE_READ_MB). FFmpeg finds no tags in a still that the other readers miss.
STILL_PACKET_MAX_MB = 64


def _container_unsafe(ctx: Context) -> str | None:
    """Why FFmpeg's container reader must not open this still, or None: ``av.open`` decodes a still's first
    picture whole to learn its pixel format (``limits.FFMPEG_PROBE_BYTES_PER_PIXEL``), so a still whose pixels
    ingest refused (``[limits] max_pixels``) or whose probe would pass the decode memory bound or what
    ``[limits] max_memory_mb`` leaves is not opened (a 150 MP 16-bit PNG took the stage to 1.33 GB, issue 14 H3).
    A still's tags are read by the EXIF/XMP/format readers and ExifTool, none of which decodes pixels."""
    from provenance.limits import DECODE_MEMORY_BYTES, FFMPEG_PROBE_BYTES_PER_PIXEL, decode_bytes, memory_headroom

    media = ctx.media
    if media.kind == "document":  # FFmpeg reads no document: it guesses a raw stream from an embedded picture
        return "not read: a document, which FFmpeg does not read (ExifTool reads its Info dictionary and XMP)"
    if media.kind != "image":
        return None
    if media.pixels_refused:
        return "not read: FFmpeg's container probe decodes the picture, whose pixels are refused ([limits] max_pixels)"
    if media.size_bytes > STILL_PACKET_MAX_MB * 2**20:
        return (f"not read: FFmpeg's still demuxer reads the whole {media.size_bytes / 2**20:,.0f} MiB file as one "
                f"packet (over {STILL_PACKET_MAX_MB} MiB); a still's tags are read by the other readers")
    video = media.video
    if video is None or not video.width or not video.height:
        return None
    need = decode_bytes(video.width, video.height, FFMPEG_PROBE_BYTES_PER_PIXEL)
    headroom = memory_headroom()
    if need > DECODE_MEMORY_BYTES or (headroom is not None and need > headroom):
        return (f"not read: FFmpeg's container probe decodes the whole {video.width}x{video.height} picture (about "
                f"{need / 2**20:,.0f} MiB), past the memory a decode may use")
    return None


# How a reader's status starts when it read none of the file's metadata (extraction._reader_status)
UNREADABLE = "metadata unreadable: "


def _document_dates(meta: MetadataSection, unread: str | None = None) -> Finding:
    """A document's (a PDF's) creation and modification times, named as the document's: they say when the file was
    made and last saved, not when any picture in it was taken (it may be far older), so none is a capture time.
    ``unread``: a reader's status saying the metadata could not be read (a PDF's xref table cut, a password): its
    dates are then unknown, never "no date" (issue 14 round 5, N8)."""
    if unread is not None and not (meta.document_created or meta.modify_time):
        why = unread.removeprefix(UNREADABLE)
        return Finding("document_metadata_unreadable", "warning",
                       f"The document's metadata could not be read: {why}. When it was created or modified is "
                       "unknown; this is not a document without dates.", {"reader": unread})
    said = []
    if meta.document_created:
        said.append(f"created {meta.document_created} (from {meta.document_created_source})")
    if meta.modify_time:
        said.append(f"last modified {meta.modify_time} (from {meta.modify_time_source})")
    evidence = {"document_created": meta.document_created, "created_source": meta.document_created_source,
                "modify_time": meta.modify_time, "modify_source": meta.modify_time_source}
    if not said:
        return Finding("document_dates", "info", "No creation or modification date in the document's metadata. "
                       "A document has no capture time: when the pictures in it were taken is unknown.", evidence)
    return Finding("document_dates", "info",
                   f"Document {' and '.join(said)}: when the document was made, not when the pictures in it were "
                   "taken (they may be older); a document has no capture time.", evidence)
