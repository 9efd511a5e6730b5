"""Perceptual hashes of sampled frames: PDQ (matching) with its quality and mirror, pHash (interoperability).

PDQ is Meta's 256-bit hash for media matching; its quality score (0-100) says whether a frame has enough
structure to match at all. Frames are hashed at ``frames.HASH_SIZE`` on both the index and the query side,
because PDQ of a full frame and of a pre-scaled one differ by several bits.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import imagehash
import numpy as np
import pdqhash
from PIL import Image

from provenance.config import FramesConfig
from provenance.frames import load_image, sample_video
from provenance.media import MediaFile

PDQ_BITS = 256
THUMB_SIZE = 160  # long side of report thumbnails


@dataclass(frozen=True)
class FrameHashes:
    pdq: bytes  # 32 bytes, PDQ bit i at word i // 16, bit i % 16 (ThreatExchange order)
    quality: int
    pdq_mirror: bytes | None
    phash: str  # 16 hex digits, imagehash order

    @property
    def pdq_hex(self) -> str:
        return self.pdq.hex()


def _pack(bits: np.ndarray) -> bytes:
    """Pack PDQ's 256-bit vector as ThreatExchange's hex: 16-bit words, most significant word first."""
    words = bits.astype(np.uint32).reshape(16, 16) << np.arange(16, dtype=np.uint32)
    values = words.sum(axis=1)[::-1].astype(">u2")
    return values.tobytes()


def hash_frame(rgb: np.ndarray, *, mirror: bool = True) -> FrameHashes:
    """PDQ with its quality, PDQ of the left-right mirror when asked, and pHash.

    The mirror is hashed from the flipped pixels: pdqhash's dihedral shortcut gave hashes up to 46 bits away
    from the hash of the actually flipped frame (tests/test_ingest_frames.py), too far to match a mirrored repost.
    """
    rgb = np.ascontiguousarray(rgb)
    vector, quality = pdqhash.compute(rgb)
    pdq_mirror = _pack(pdqhash.compute(np.ascontiguousarray(rgb[:, ::-1]))[0]) if mirror else None
    pdq, quality = _pack(vector), int(quality)
    phash = str(imagehash.phash(Image.fromarray(rgb)))
    return FrameHashes(pdq=pdq, quality=quality, pdq_mirror=pdq_mirror, phash=phash)


def hamming(a: bytes, b: bytes) -> int:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


@dataclass
class HashedFrame:
    t: float
    hashes: FrameHashes
    shot_change: bool = False
    thumbnail: bytes | None = None  # JPEG, long side THUMB_SIZE, for reports (only when asked)


@dataclass
class Fingerprint:
    """A media file's sampled frames and their hashes: what is indexed, and what is matched."""

    frames: list[HashedFrame]
    frames_decoded: int
    shot_changes: list[float]
    truncated: bool = False


def thumbnail_jpeg(rgb: np.ndarray, size: int = THUMB_SIZE) -> bytes:
    img = Image.fromarray(rgb)
    img.thumbnail((size, size), Image.Resampling.BOX)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def fingerprint(
    media: MediaFile, config: FramesConfig | None = None, *, mirror: bool = False, thumbnails: bool = False
) -> Fingerprint:
    """Sample and hash a video's frames, or hash a still image as one frame at t=0."""
    if media.kind == "image":
        rgb = load_image(media.path)
        frame = HashedFrame(0.0, hash_frame(rgb, mirror=mirror), thumbnail=thumbnail_jpeg(rgb) if thumbnails else None)
        return Fingerprint(frames=[frame], frames_decoded=1, shot_changes=[])
    if media.kind != "video":
        raise ValueError(f"no frames in {media.kind} media")
    sample = sample_video(media.path, config)
    frames = [
        HashedFrame(f.t, hash_frame(f.rgb, mirror=mirror), f.shot_change,
                    thumbnail_jpeg(f.rgb) if thumbnails else None)
        for f in sample.frames
    ]
    return Fingerprint(frames, sample.frames_decoded, sample.shot_changes, sample.truncated)
