"""Container and stream tags through PyAV: the same tags ffprobe shows, without a process start.

Covers QuickTime/MP4 (mvhd ``creation_time``, udta ``©xyz`` location, Apple ``com.apple.quicktime.*`` keys),
Matroska, AVI/WAV (RIFF INFO), FLV, MXF, ASF and the rest of FFmpeg's demuxers. Reading tags never decodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import av

# PyAV format name -> the group name ExifTool uses for the same tags, so sources read alike in reports.
_FAMILIES = {
    "mov": "QuickTime",
    "mp4": "QuickTime",
    "avi": "RIFF",
    "wav": "RIFF",
    "matroska": "Matroska",
    "asf": "ASF",
    "flv": "FLV",
    "mxf": "MXF",
    "mpegts": "M2TS",
    "mp3": "ID3",
    "flac": "Vorbis",
    "ogg": "Vorbis",
}

# Strings that software encoders leave inside the elementary stream (H.264/H.265 SEI, MPEG-4 user data).
# Phones and cameras use hardware encoders that write none of these.
_BITSTREAM_SIGNATURES = {
    b"x264 - core": "x264",
    b"x265 (build": "x265",
    b"HandBrake": "HandBrake",
}
_SCAN_BYTES = 1 << 20


@dataclass
class StreamTags:
    index: int
    type: str
    codec: str | None
    tags: dict[str, str] = field(default_factory=dict)
    fps: float | None = None  # video: the stream's average frame rate (playback speed)


@dataclass
class ContainerTags:
    """What the demuxer saw; ``error`` says why it saw nothing (a stub, a truncated or unknown file)."""

    format: str | None = None
    family: str = "Container"
    tags: dict[str, str] = field(default_factory=dict)
    streams: list[StreamTags] = field(default_factory=list)
    duration_s: float | None = None
    impossible_duration_s: float | None = None  # a negative declared duration (refused as the duration)
    bitstream: list[str] = field(default_factory=list)  # software encoder signatures found in the payload
    error: str | None = None


def family_of(format_name: str | None) -> str:
    for name in (format_name or "").split(","):
        if name in _FAMILIES:
            return _FAMILIES[name]
    return "Container"


def read(path: Path, *, scan_bitstream: bool = True) -> ContainerTags:
    """Read format- and stream-level tags; never raises for a bad file, the error is returned instead."""
    result = ContainerTags()
    try:
        # metadata_errors="replace": a tag in a broken encoding must not cost the other tags.
        with av.open(str(path), mode="r", metadata_errors="replace") as container:
            result.format = container.format.name
            result.family = family_of(result.format)
            result.tags = {str(k): str(v) for k, v in container.metadata.items()}
            if container.duration is not None and container.duration > 0:
                result.duration_s = container.duration / av.time_base
            elif container.duration is not None and container.duration < 0:  # a header that lies: flagged
                result.impossible_duration_s = container.duration / av.time_base
            for stream in container.streams:
                try:
                    codec = getattr(stream.codec_context, "name", None)
                except Exception:  # a stream FFmpeg knows no codec for still has tags worth keeping
                    codec = None
                rate = getattr(stream, "average_rate", None) if stream.type == "video" else None
                result.streams.append(
                    StreamTags(
                        index=stream.index,
                        type=stream.type,
                        codec=codec,
                        tags={str(k): str(v) for k, v in stream.metadata.items()},
                        fps=float(rate) if rate else None,
                    )
                )
    except Exception as exc:  # PyAV raises many types (InvalidDataError, EOFError, OSError...) on bad input
        result.error = _describe(exc)
    if scan_bitstream and result.error is None and any(s.type == "video" for s in result.streams):
        result.bitstream = _scan_signatures(path)
    return result


def _scan_signatures(path: Path) -> list[str]:
    """Software-encoder strings in the first MiB: survive a forger's rewrite of every container tag."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_SCAN_BYTES)
    except OSError:
        return []
    found = []
    for signature, name in _BITSTREAM_SIGNATURES.items():
        at = head.find(signature)
        if at >= 0:
            end = head.find(b"\x00", at, at + 120)
            text = head[at : end if end > 0 else at + 60].decode("latin-1")
            found.append(f"{name}: {''.join(c for c in text if c.isprintable())}")
    return found


def _describe(exc: BaseException) -> str:
    # PyAV errors read "[Errno N] message: 'path'"; keep the message, drop the path the user already knows.
    message = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {message}"
