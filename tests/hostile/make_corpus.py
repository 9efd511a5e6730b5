"""Generate the hostile-input corpus: broken, lying and malicious files a verification desk receives.

``python tests/hostile/make_corpus.py DIR`` writes every case into DIR and prints one line per case; the tests
call ``build(DIR)`` and get the cases back with what each may answer. Everything is made here, from a seed, in
about a second: small clips are encoded with PyAV, the rest is written byte by byte (headers that claim huge
pictures or durations, nested boxes and chunks, bombs). Batch-only cases (a FIFO, symbolic-link loops, an
unreadable file, a folder named like a clip) go into ``DIR/entries/``: they are about the folder, not the bytes.
A 17 GiB sparse file tests the size limit without using the disk.
"""

from __future__ import annotations

import functools
import io
import os
import random
import struct
import sys
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
from PIL import Image, TiffImagePlugin

OK, STAGE_ERROR, NO_REPORT = 0, 1, 2
ANY = frozenset({OK, STAGE_ERROR, NO_REPORT})
REPORT = frozenset({OK, STAGE_ERROR})
REFUSED = frozenset({NO_REPORT})
PARTLY_EXAMINED = r"visual stage partly examined: a TIFF of 2 pages: page 2 did not decode"
# 100 KB of what a forger puts in a tag: terminal escapes, bidi overrides, controls, markup, long runs.
NASTY = ("\x1b[31mRED\x1b[0m \u202eevil\u202c \x07\x08\x0b\x0c\r\x7f <script>alert(1)</script> "
         "{{ 7*7 }} ${jndi:x} \u0000\ufeff\u200b A" * 1200)[:100_000]


@dataclass(frozen=True)
class Case:
    name: str  # file name in the corpus folder (may hold spaces, quotes, newlines, non-UTF-8 bytes)
    what: str
    exits: frozenset[int] = ANY  # exit codes `verify` may give
    reason: str | None = None  # regex the one-line reason (stderr) must match
    pipeline: str = "quick"


@dataclass
class Corpus:
    root: Path
    cases: list[tuple[Case, Path]] = field(default_factory=list)


# -- clips ------------------------------------------------------------------------------------------------
def clip(seconds: float = 2.0, *, size: tuple[int, int] = (96, 64), fps: int = 10, seed: int = 0,
         audio: bool = False, faststart: bool = False, metadata: dict[str, str] | None = None,
         fmt: str = "mp4", keys: bool = False) -> bytes:
    """A small real H.264 clip (moving noise blocks, so PDQ has structure), optionally with AAC audio.

    ``keys``: ``metadata`` written as QuickTime Keys (mdta) items, as phones write ``com.android.*``."""
    rng = np.random.default_rng(seed)
    w, h = size
    flags = "+".join(f for f, on in (("faststart", faststart), ("use_metadata_tags", keys)) if on)
    options = {"movflags": flags} if flags else {}
    with tempfile.TemporaryDirectory() as tmp:  # faststart rewrites the file: a real file, not a buffer
        target = Path(tmp) / f"clip.{fmt}"
        _encode(target, rng, w, h, seconds, fps, audio, options, metadata, fmt)
        return target.read_bytes()


def _encode(target: Path, rng: np.random.Generator, w: int, h: int, seconds: float, fps: int, audio: bool,
            options: dict[str, str], metadata: dict[str, str] | None, fmt: str) -> None:
    with av.open(str(target), "w", format=fmt, options=options) as c:
        if metadata:
            c.metadata.update(metadata)
        v = c.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = w, h, "yuv420p"
        v.options = {"preset": "ultrafast", "g": str(fps)}
        a = c.add_stream("aac", rate=16000) if audio else None
        base = rng.integers(0, 255, (h // 8, w // 8, 3), dtype=np.uint8)
        for i in range(int(seconds * fps)):
            img = np.kron(np.roll(base, i, axis=1), np.ones((8, 8, 1), dtype=np.uint8))
            for packet in v.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(packet)
        for packet in v.encode():
            c.mux(packet)
        if a is not None:
            samples = (np.sin(np.arange(int(seconds * 16000)) * 0.05) * 0.3).astype(np.float32)[None, :]
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate = 16000
            for packet in [*a.encode(frame), *a.encode()]:
                c.mux(packet)


def android_slow_motion() -> bytes:
    """8 s at 25 fps tagged as Android writes a 120-fps slow-motion recording: ~1.7 s of real time."""
    return clip(8.0, fps=25, seed=17, keys=True, metadata={"com.android.capture.fps": "120.000000",
                                                          "com.android.version": "14"})


def broken_audio_clip(seed: int) -> bytes:
    """Good H.264 video beside an AAC track whose every packet is random bytes (valid container, bad bitstream)."""
    rng = random.Random(seed)
    src = av.open(io.BytesIO(clip(2.0, seed=seed)))
    buf = io.BytesIO()
    with src, av.open(buf, "w", format="mp4") as out:
        vin = src.streams.video[0]
        vout = out.add_stream_from_template(vin)
        aout = out.add_stream("aac", rate=44100)
        aout.codec_context.extradata = bytes([0x12, 0x10])  # AAC-LC 44.1 kHz stereo: looks right, decodes wrong
        for packet in src.demux(vin):
            if packet.dts is None:
                continue
            packet.stream = vout
            out.mux(packet)
        for i in range(80):
            junk = av.Packet(bytes(rng.getrandbits(8) for _ in range(200)))
            junk.stream, junk.time_base = aout, aout.time_base
            junk.pts = junk.dts = i * 1024
            junk.duration = 1024
            out.mux(junk)
    return buf.getvalue()


# -- real clips, damaged -----------------------------------------------------------------------------------
SAMPLE_CLIP = Path(__file__).resolve().parents[2] / "sample_media" / "clips" / "speech_en.mp4"  # 14.6 s, H.264+AAC


def _faststart(data: bytes) -> bytes:
    """The same streams remuxed with the moov box first (as phones and web uploads write MP4): a cut then keeps
    the index, so the cut file opens and decodes up to the cut."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "fast.mp4"
        with av.open(io.BytesIO(data)) as src, av.open(str(target), "w", options={"movflags": "faststart"}) as out:
            streams = {s.index: out.add_stream_from_template(s) for s in src.streams if s.type in ("video", "audio")}
            for packet in src.demux(*src.streams):
                if packet.dts is None or packet.stream.index not in streams:
                    continue
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
        return target.read_bytes()


def damaged_real_clip(damage: str, source: Path = SAMPLE_CLIP, seed: int = 21) -> bytes:
    """A real clip (speech over footage, 14.6 s) damaged as files arrive damaged, for decoded coverage.

    ``middle``: 40 KB of random bytes over the middle of ``mdat`` (a bad copy, a flipped sector): the video's
    decoder refuses ~2 s of packets and resumes at the next keyframe; the audio decoder stops there.
    ``truncated``: a faststart copy cut at 60% of its bytes (an interrupted download): both streams end early.
    ``audio``: the audio packets between 5 and 8 s replaced by random bytes, the video untouched.
    """
    rng = random.Random(seed)
    data = source.read_bytes()
    if damage == "middle":
        off, size = _find(data, [b"mdat"])
        out = bytearray(data)
        mid = off + size // 2
        out[mid - 20_000 : mid + 20_000] = rng.randbytes(40_000)
        return bytes(out)
    if damage == "truncated":
        fast = _faststart(data)
        return fast[: len(fast) * 6 // 10]
    if damage != "audio":
        raise ValueError(damage)
    buf = io.BytesIO()
    with av.open(io.BytesIO(data)) as src, av.open(buf, "w", format="mp4") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in src.streams if s.type in ("video", "audio")}
        for packet in src.demux(*src.streams):
            if packet.dts is None or packet.stream.index not in streams:
                continue
            target = streams[packet.stream.index]
            t = float(packet.pts * packet.time_base) if packet.pts is not None else 0.0
            if packet.stream.type == "audio" and 5.0 <= t < 8.0:
                junk = av.Packet(rng.randbytes(packet.size))
                junk.pts, junk.dts, junk.duration = packet.pts, packet.dts, packet.duration
                junk.time_base = packet.time_base
                packet = junk
            packet.stream = target
            out.mux(packet)
    return buf.getvalue()


# -- ISO BMFF surgery ------------------------------------------------------------------------------------
def _find(data: bytes | bytearray, path: list[bytes], off: int = 0, end: int | None = None) -> tuple[int, int]:
    end = len(data) if end is None else end
    while off + 8 <= end:
        size, kind = struct.unpack(">I4s", data[off : off + 8])
        if kind == path[0]:
            return (off, size) if len(path) == 1 else _find(data, path[1:], off + 8, off + size)
        if size < 8:
            break
        off += size
    raise KeyError(path)


_STBL = [b"moov", b"trak", b"mdia", b"minf", b"stbl"]


def ten_hours(data: bytes) -> bytes:
    """Every sample's duration (stts) and the headers' durations stretched so the clip declares 10 hours."""
    d = bytearray(data)
    off, _ = _find(d, [*_STBL, b"stts"])
    (entries,) = struct.unpack_from(">I", d, off + 12)
    frames = sum(struct.unpack_from(">I", d, off + 16 + 8 * i)[0] for i in range(entries))
    _, timescale = _mdhd(d)
    for i in range(entries):
        struct.pack_into(">I", d, off + 20 + 8 * i, 36000 * timescale // frames)
    try:  # the edit list would cut the presentation back to the real 2 s
        off, _ = _find(d, [b"moov", b"trak", b"edts"])
        d[off + 4 : off + 8] = b"free"
    except KeyError:
        pass
    off, _ = _find(d, [b"moov", b"mvhd"])
    (mv_scale,) = struct.unpack_from(">I", d, off + 20)
    struct.pack_into(">I", d, off + 24, 36000 * mv_scale)
    off, _ = _find(d, [b"moov", b"trak", b"mdia", b"mdhd"])
    struct.pack_into(">I", d, off + 24, 36000 * timescale)
    return bytes(d)


def declared_samples(data: bytes, count: int) -> bytes:
    """The clip's sample tables rewritten to declare ``count`` samples of 1 byte, all in its first chunk, each
    1/timescale long (so the declared duration stays under [limits]). 331 KB files like this (170 million
    samples) drove `verify --pipeline quick` to 8 GB: FFmpeg's MOV demuxer allocates an index entry per sample."""
    d = bytearray(data)
    off, _ = _find(d, [*_STBL, b"stsz"])
    struct.pack_into(">II", d, off + 12, 1, count)  # sample_size 1 (no table), sample_count
    off, _ = _find(d, [*_STBL, b"stts"])
    struct.pack_into(">III", d, off + 12, 1, count, 1)  # one run: count samples of duration 1
    off, _ = _find(d, [*_STBL, b"stsc"])
    struct.pack_into(">IIII", d, off + 12, 1, 1, count, 1)  # chunk 1 onwards: count samples per chunk
    off, _ = _mdhd(d)
    struct.pack_into(">I", d, off + 24, count)
    return bytes(d)


def xmp_flood(data: bytes, megabytes: float) -> bytes:
    """The clip with a top-level ``free`` box of ``<rdf:RDF `` repeated, no end tag (1 MB: the XMP scan took 17 s,
    2 MB: 68 s, and the metadata stage lost its budget with capture time, device, GPS and C2PA)."""
    payload = b"<rdf:RDF " * int(megabytes * (1 << 20) / 9)
    return data + struct.pack(">I4s", 8 + len(payload), b"free") + payload


def _mdhd(d: bytearray) -> tuple[int, int]:
    off, _ = _find(d, [b"moov", b"trak", b"mdia", b"mdhd"])
    return off, struct.unpack_from(">I", d, off + 20)[0]


def claimed_dims(data: bytes, width: int, height: int) -> bytes:
    """The sample entry and the track header claim ``width`` x ``height`` (the H.264 SPS still says otherwise)."""
    d = bytearray(data)
    off, _ = _find(d, [*_STBL, b"stsd"])
    struct.pack_into(">HH", d, off + 16 + 32, min(width, 65535), min(height, 65535))
    off, size = _find(d, [b"moov", b"trak", b"tkhd"])
    struct.pack_into(">II", d, off + size - 8, min(width, 65535) << 16, min(height, 65535) << 16)
    return bytes(d)


def raw_huge_dims(width: int = 16000, height: int = 10000) -> bytes:
    """Uncompressed video in MOV whose sample entry claims a 160-MP picture: FFmpeg believes the container."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="mov") as c:
        s = c.add_stream("rawvideo", rate=5)
        s.width, s.height, s.pix_fmt = 16, 16, "rgb24"
        for i in range(5):
            for packet in s.encode(av.VideoFrame.from_ndarray(np.full((16, 16, 3), i * 40, np.uint8), "rgb24")):
                c.mux(packet)
        for packet in s.encode():
            c.mux(packet)
    d = bytearray(buf.getvalue())
    off, _ = _find(d, [*_STBL, b"stsd"])
    struct.pack_into(">HH", d, off + 16 + 32, width, height)
    return bytes(d)


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def nested_boxes(depth: int, kind: bytes = b"moov") -> bytes:
    inner = box(b"free", b"")
    for _ in range(depth):
        inner = box(kind, inner)
    return box(b"ftyp", b"isom\x00\x00\x02\x00isommp41") + inner


def nested_in_valid_clip(data: bytes, depth: int, kind: bytes = b"udta") -> bytes:
    """A playable clip whose moov (last in the file) gains a chain of ``depth`` nested ``kind`` boxes: FFmpeg
    plays it, so the metadata readers must walk (or refuse to walk) the chain."""
    off, size = _find(data, [b"moov"])
    assert off + size == len(data), "moov must be last"
    chain = box(b"\xa9too", b"x")
    for _ in range(depth):
        chain = box(kind, chain)
    return data[:off] + struct.pack(">I4s", size + len(chain), b"moov") + data[off + 8 :] + chain


def lying_box_sizes() -> bytes:
    """A largesize box claiming 2^62 bytes, then boxes of size 1..7 (below their own header)."""
    ftyp = box(b"ftyp", b"isom\x00\x00\x02\x00isommp41")
    huge = struct.pack(">I4sQ", 1, b"moov", 1 << 62) + box(b"mvhd", bytes(100))
    tiny = b"".join(struct.pack(">I4s", n, b"trak") for n in range(1, 8))
    return ftyp + huge + tiny


# -- RIFF, Matroska, MP3 ----------------------------------------------------------------------------------
def riff_bomb(depth: int) -> bytes:
    """A WAV whose LIST chunks nest ``depth`` deep, each claiming the rest of the file, and no audio."""
    inner = b"INFOISFT" + struct.pack("<I", 6) + b"bomb\x00\x00"
    for _ in range(depth):
        inner = b"LIST" + struct.pack("<I", len(inner) + 4) + b"INFO" + inner
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8)
    body = b"WAVE" + fmt + inner
    return b"RIFF" + struct.pack("<I", len(body)) + body


def riff_bomb_in_valid_wav(depth: int) -> bytes:
    """A playable WAV (a second of a tone) with ``depth`` nested LIST chunks before its data."""
    inner = b"INFOISFT" + struct.pack("<I", 6) + b"bomb\x00\x00"
    for _ in range(depth):
        inner = b"LIST" + struct.pack("<I", len(inner) + 4) + b"INFO" + inner
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8)
    samples = bytes(128 + int(100 * np.sin(i * 0.3)) for i in range(8000))
    body = b"WAVE" + fmt + inner + b"data" + struct.pack("<I", len(samples)) + samples
    return b"RIFF" + struct.pack("<I", len(body)) + body


def wav_claiming_4gb() -> bytes:
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8)
    data = b"data" + struct.pack("<I", 0xFFFFFFF0) + bytes(range(256)) * 16
    return b"RIFF" + struct.pack("<I", 0xFFFFFFF0) + b"WAVE" + fmt + data


def _ebml_size(n: int) -> bytes:
    return bytes([0x01]) + n.to_bytes(7, "big")  # 8-byte size field


def matroska_nested(depth: int) -> bytes:
    header = bytes.fromhex("1A45DFA3") + _ebml_size(4) + bytes.fromhex("4282") + bytes([0x81]) + b"w"
    inner = b""
    for _ in range(depth):
        inner = bytes.fromhex("1254C367") + _ebml_size(len(inner)) + inner  # Tags in Tags in Tags ...
    segment = bytes.fromhex("18538067") + _ebml_size(len(inner)) + inner
    return header + segment


def matroska_duration(data: bytes, value_ms: float) -> bytes:
    """A Matroska clip whose segment Info Duration (an 8-byte float, in TimecodeScale units: ms) says ``value_ms``
    (-1e12 ms was reported as a duration of -1,000,000,000 s)."""
    d = bytearray(data)
    at = d.find(bytes.fromhex("448988"))  # Duration, size 8
    struct.pack_into(">d", d, at + 3, value_ms)
    return bytes(d)


def matroska_huge_element() -> bytes:
    header = bytes.fromhex("1A45DFA3") + _ebml_size(4) + bytes.fromhex("4282") + bytes([0x81]) + b"w"
    return header + bytes.fromhex("18538067") + bytes([0x01]) + (1 << 55).to_bytes(7, "big") + bytes(64)


def mp3_huge_id3() -> bytes:
    return b"ID3\x04\x00\x00" + bytes([0x7F, 0x7F, 0x7F, 0x7F]) + bytes(512)


# -- pictures ---------------------------------------------------------------------------------------------
def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_claiming(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(bytes(64))) + \
        _png_chunk(b"IEND", b"")


def png_bomb(side: int) -> bytes:
    """A real, valid 1-bit PNG of ``side`` x ``side`` white pixels: a few hundred KB that decode to GBs of RGB."""
    row = b"\x00" + b"\xff" * ((side + 7) // 8)
    z = zlib.compressobj(9)
    data = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b"")


@functools.lru_cache(maxsize=1)
def _inflating(megabytes: int) -> bytes:
    """``megabytes`` MiB of spaces, deflated (800 MiB: 815 KB, 2.4 s here); one shared by every text bomb."""
    z = zlib.compressobj(9)
    block = b" " * (1 << 20)
    return b"".join(z.compress(block) for _ in range(megabytes)) + z.flush()


def png_text_bomb(kind: str, megabytes: int = 800) -> bytes:
    """A real photograph (scikit-image's ``astronaut``, 64x64) as PNG with one chunk that inflates to
    ``megabytes`` MiB: ``"zTXt"`` (a comment), ``"iCCP"`` (an ICC profile) or ``"iTXt"`` (XMP whose xmp:CreateDate
    2020-01-01 sits in front of the spaces). Issue 14's tester: 828 KB files took FFmpeg's PNG probe to 1.7-3.3
    GB and ExifTool to 2.3 GB, and Pillow refused the picture ("MAX_TEXT_CHUNK") though its pixels are fine.
    """
    from skimage import data

    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).resize((64, 64)).save(buf, "PNG")
    png = buf.getvalue()
    if kind == "iTXt":
        head = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreateDate="2020-01-01T00:00:00"/>')
        z = zlib.compressobj(9)
        block = b" " * (1 << 20)
        body = z.compress(head) + b"".join(z.compress(block) for _ in range(megabytes))
        body += z.compress(b"</rdf:RDF></x:xmpmeta>")
        chunk = b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + body + z.flush()
    elif kind == "zTXt":
        chunk = b"Comment\x00\x00" + _inflating(megabytes)
    else:
        chunk = b"icc\x00\x00" + _inflating(megabytes)
    return png[:33] + _png_chunk(kind.encode(), chunk) + png[33:]  # after IHDR (8 + 25 bytes)


def apng_huge_frames(side: int = 9999, frames: int = 2) -> bytes:
    """An APNG of ``frames`` black ``side`` x ``side`` RGB frames (99 MP each) in a few hundred KB: FFmpeg plays
    it holding reference frames at full size (8 frames: 1.35 GB peak, 44 s, issue 14)."""
    row = b"\x00" + bytes(side * 3)
    z = zlib.compressobj(9)
    pixels = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    out = [b"\x89PNG\r\n\x1a\n", _png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)),
           _png_chunk(b"acTL", struct.pack(">II", frames, 0))]
    seq = 0
    for i in range(frames):
        out.append(_png_chunk(b"fcTL", struct.pack(">IIIIIHHBB", seq, side, side, 0, 0, 1, 2, 0, 0)))
        seq += 1
        if i == 0:
            out.append(_png_chunk(b"IDAT", pixels))
        else:
            out.append(_png_chunk(b"fdAT", struct.pack(">I", seq) + pixels))
            seq += 1
    out.append(_png_chunk(b"IEND", b""))
    return b"".join(out)


def big_webp(width: int = 12000, height: int = 5000) -> bytes:
    """A real photograph (``astronaut``) blown up to a 60 MP WebP of ~250 KB: Pillow's WebP decoder holds ~16
    bytes a pixel (60 MP: 1.04 GB peak, 98 MP: 1.64 GB, issue 14), under [limits] max_pixels."""
    from skimage import data

    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).resize((width, height), Image.Resampling.NEAREST).save(
        buf, "WEBP", quality=30, method=0)
    return buf.getvalue()


def png_rgba16_photo(side: int = 9999, *, exif: bool = False, grey: bool = False) -> bytes:
    """A real photograph (``astronaut``, 512 x 512) blown up (nearest) to a ``side`` x ``side`` 16-bit RGBA PNG:
    ~1 MB that Pillow decodes into 4 bytes a pixel plus its RGB copy, and FFmpeg into rgba64 (issue 14, round 2:
    the tester's 9999 x 9999 took `verify` to 1.34 GB). Rows are written as they go (filter "Up" for a row that
    repeats the one above it), so making it holds one row. ``grey``: 16-bit grey instead (Pillow's "I;16",
    which the 8-bit conversion once handled through a float copy: 1.5 GB, issue 14 round 4)."""
    from skimage import data

    photo = data.astronaut()
    if grey:
        photo = photo.mean(axis=2, keepdims=True).round().astype(np.uint8)
    rows = np.linspace(0, photo.shape[0] - 1, side).round().astype(int)
    cols = np.linspace(0, photo.shape[1] - 1, side).round().astype(int)
    alpha = np.full((side, 0 if grey else 1), 0xFFFF, ">u2")
    z = zlib.compressobj(6)
    repeat = b"\x02" + bytes(side * (2 if grey else 8))
    parts, previous = [], -1
    for r in rows:
        if r == previous:
            parts.append(z.compress(repeat))
            continue
        rgb = photo[r, cols].astype(">u2") * 257  # 8 bits to 16: 0xAB -> 0xABAB
        parts.append(z.compress(b"\x00" + np.hstack([rgb, alpha]).tobytes()))
        previous = r
    parts.append(z.flush())
    ihdr = struct.pack(">IIBBBBB", side, side, 16, 0 if grey else 6, 0, 0, 0)
    tags = _png_chunk(b"eXIf", _phone_exif()) if exif else b""
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + tags + _png_chunk(b"IDAT", b"".join(parts)) + \
        _png_chunk(b"IEND", b"")


def _phone_exif() -> bytes:
    """A phone's make, model and capture time as a bare TIFF-structured EXIF block (PNG eXIf, ISO 12234-2)."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0132] = "samsung", "SM-S928B", "2024:05:01 12:00:00"
    return exif.tobytes().removeprefix(b"Exif\x00\x00")


def flat_jpeg2000(width: int, height: int) -> bytes:
    """A flat-colour (40, 90, 160) JPEG 2000 of ``width`` x ``height`` in a few KB (untiled, irreversible, one
    quality layer, as the tester made it): OpenJPEG holds ~19.5 bytes a pixel decoding it whole (81 MP: 1.67 GB,
    issue 14 round 3, H2)."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(buf, "JPEG2000", quality_mode="rates",
                                                           quality_layers=[200], irreversible=True)
    return buf.getvalue()


def jpeg2000_photo(side: int) -> bytes:
    """A real photograph (``astronaut``) blown up (nearest) to a ``side`` x ``side`` JPEG 2000 in 1024-pixel tiles
    (tiled, so making it holds a tile's buffers: 36 MP in ~8 s), past the size OpenJPEG may decode whole within
    the decode bound at its measured 19.5 bytes a pixel."""
    from skimage import data

    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).resize((side, side), Image.Resampling.NEAREST).save(
        buf, "JPEG2000", quality_mode="rates", quality_layers=[200], irreversible=True, tile_size=(1024, 1024))
    return buf.getvalue()


def flat_jpeg_xl(width: int, height: int) -> bytes:
    """A flat-colour lossless JPEG XL (libjxl at effort 1: 49 MP in ~2 s, ~7 KB): libjxl's Pillow plugin decodes
    it whole when it opens it, ~15 bytes a pixel (98 MP: 1.59 GB, issue 14 round 3, H2)."""
    import pillow_jxl  # noqa: F401  (registers the JXL plugin)

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(buf, "JXL", lossless=True, effort=1)
    return buf.getvalue()


def openexr(width: int, height: int, pix_fmt: str = "gbrapf32le") -> bytes:
    """A black OpenEXR still from FFmpeg's own encoder (zip16): ~16 KB a MP, decoded only by FFmpeg, whole, at
    16 bytes a pixel for 32-bit float RGBA (70 MP: 1.28 GB, issue 14 round 3, H4)."""
    from fractions import Fraction

    codec = av.CodecContext.create("exr", "w")
    codec.width, codec.height, codec.pix_fmt, codec.time_base = width, height, pix_fmt, Fraction(1, 25)
    codec.options = {"compression": "zip16"}
    codec.open()
    packets = codec.encode(av.VideoFrame(width, height, pix_fmt)) + codec.encode(None)
    return b"".join(bytes(p) for p in packets)


def animated_webp(*, lossless: bool, size: tuple[int, int] = (320, 240)) -> bytes:
    """A 3-frame animated WebP of real photographs (``astronaut``, ``coffee``, ``chelsea``): FFmpeg's WebP
    decoder reads no animation ("video stream without dimensions", exit 2, issue 14 round 2), Pillow does."""
    from skimage import data

    frames = [Image.fromarray(f()).convert("RGB").resize(size) for f in (data.astronaut, data.coffee, data.chelsea)]
    buf = io.BytesIO()
    frames[0].save(buf, "WEBP", save_all=True, append_images=frames[1:], duration=200, loop=0,
                   lossless=lossless, quality=80)
    return buf.getvalue()


def jpeg_claiming(width: int, height: int) -> bytes:
    good = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 10, 10)).save(good, "JPEG")
    data = bytearray(good.getvalue())
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def motion_photo_claiming(width: int, height: int, video: bytes) -> bytes:
    """Issue 14 round 8, L2: a phone's motion photo (EXIF make and model, XMP GCamera:MotionPhoto=1, the MP4
    ``video`` appended) whose SOF claims ``width`` x ``height``: its still is refused as a bomb, its metadata read."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Google", "Pixel 8"
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           '<rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" GCamera:MotionPhoto="1"/>'
           '</rdf:RDF></x:xmpmeta>')
    good = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 10, 10)).save(good, "JPEG", exif=exif.tobytes(), xmp=xmp.encode())
    data = bytearray(good.getvalue())
    struct.pack_into(">HH", data, data.index(b"\xff\xc0") + 5, height, width)
    return bytes(data) + video


def gif_claiming(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0) + b",\x00\x00\x00\x00\x01\x00\x01\x00\x00" \
        + b"\x02\x02D\x01\x00;"


def png_with_text() -> bytes:
    buf = io.BytesIO()
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Description", NASTY.replace("\x00", ""))
    info.add_itxt("Comment", NASTY.replace("\x00", ""), zip=True)
    Image.new("RGB", (64, 48), (0, 90, 200)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def tiff_with_description() -> bytes:
    buf = io.BytesIO()
    ifd = TiffImagePlugin.ImageFileDirectory_v2()
    ifd[270] = NASTY.replace("\x00", "")  # ImageDescription
    ifd[305] = "\x1b]0;pwned\x07" * 1000  # Software: an OSC terminal-title escape
    Image.new("RGB", (32, 32), (30, 160, 30)).save(buf, "TIFF", tiffinfo=ifd)
    return buf.getvalue()


def jpeg_exif_loop() -> bytes:
    """EXIF whose IFD0 points to itself as the next IFD, with an entry count far past the segment's end."""
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) + struct.pack("<HHII", 0x010F, 2, 4, 0x4B4F) \
        + struct.pack("<I", 8)
    tiff += struct.pack("<H", 0xFFFF)
    app1 = b"Exif\x00\x00" + tiff
    good = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 10, 200)).save(good, "JPEG")
    body = good.getvalue()
    return body[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + body[2:]


def jpeg_gps_into_padding(*, padding: bytes = bytes(64)) -> bytes:
    """A JPEG photograph whose EXIF names a camera and points its GPS IFD into the zero padding at the end of the
    block: the GPS block exists but holds nothing readable (the report said "no GPS" with the EXIF reader "ok")."""
    from skimage import data

    make, model = b"Google\x00", b"Pixel 7\x00"
    ifd_at = 8
    entries = 3
    strings_at = ifd_at + 2 + 12 * entries + 4
    pad_at = strings_at + len(make) + len(model)
    tiff = b"II*\x00" + struct.pack("<I", ifd_at) + _ifd(
        [(0x010F, 2, len(make), strings_at), (0x0110, 2, len(model), strings_at + len(make)),
         (0x8825, 4, 1, pad_at)], 0) + make + model + padding
    app1 = b"Exif\x00\x00" + tiff
    body = io.BytesIO()
    Image.fromarray(data.coffee()).resize((200, 133)).save(body, "JPEG", quality=85)
    jpeg = body.getvalue()
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:]


def jpeg_comment_xmp() -> bytes:
    good = io.BytesIO()
    Image.new("RGB", (16, 16), (120, 120, 0)).save(good, "JPEG")
    body = good.getvalue()
    com = NASTY.replace("\x00", "").encode("utf-8", "replace")[:65000]
    xmp = (b"http://ns.adobe.com/xap/1.0/\x00<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>"
           b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</x:xmpmeta>")
    segments = b"\xff\xfe" + struct.pack(">H", len(com) + 2) + com
    segments += b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp
    return body[:2] + segments + body[2:]


def _ifd(entries: list[tuple[int, int, int, int]], next_ifd: int) -> bytes:
    """A little-endian TIFF IFD: (tag, type, count, value) entries and the offset of the next IFD."""
    return struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries) + \
        struct.pack("<I", next_ifd)


def tiff_second_ifd_without_dimensions() -> bytes:
    """153 bytes: a valid 1x1 grey page, then a second IFD with no ImageWidth/ImageLength (Pillow: TypeError
    "Missing dimensions" while counting pages; `verify` ended in "internal error: TypeError")."""
    first = [(256, 4, 1, 1), (257, 4, 1, 1), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1), (273, 4, 1, 0),
             (277, 3, 1, 1), (278, 4, 1, 1), (279, 4, 1, 1)]
    second = [(259, 3, 1, 1), (262, 3, 1, 1)]
    second_at = 8 + 2 + 12 * len(first) + 4
    pixels_at = second_at + 2 + 12 * len(second) + 4
    first = [(t, k, n, pixels_at if t == 273 else v) for t, k, n, v in first]
    return b"II*\x00" + struct.pack("<I", 8) + _ifd(first, second_at) + _ifd(second, 0) + b"\x80"


def tiff_second_page_unknown_compression() -> bytes:
    """A two-page TIFF whose second page names compression 12345 (Pillow: KeyError while counting pages)."""
    buf = io.BytesIO()
    page = Image.new("RGB", (4, 4), (9, 90, 200))
    page.save(buf, "TIFF", save_all=True, append_images=[page])
    data = bytearray(buf.getvalue())
    first = struct.unpack_from("<I", data, 4)[0]
    second = struct.unpack_from("<I", data, first + 2 + 12 * struct.unpack_from("<H", data, first)[0])[0]
    for i in range(struct.unpack_from("<H", data, second)[0]):
        if struct.unpack_from("<H", data, second + 2 + 12 * i)[0] == 259:
            struct.pack_into("<H", data, second + 2 + 12 * i + 8, 12345)
    return bytes(data)


def tiff_pages(count: int) -> bytes:
    """A TIFF of ``count`` 1x1 grey pages, one IFD each chained to the next (100,000 pages: 12.6 MB; counting
    them took the still probe 69 s, and exifread's IFD walk is quadratic)."""
    entries = 9
    ifd_len = 2 + 12 * entries + 4
    out = bytearray(b"II*\x00" + struct.pack("<I", 8))
    for i in range(count):
        at = 8 + i * (ifd_len + 2)
        pixel = at + ifd_len
        following = at + ifd_len + 2 if i + 1 < count else 0
        out += _ifd([(256, 4, 1, 1), (257, 4, 1, 1), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
                     (273, 4, 1, pixel), (277, 3, 1, 1), (278, 4, 1, 1), (279, 4, 1, 1)], following)
        out += b"\x80\x00"  # the pixel, padded to keep IFDs on word boundaries
    return bytes(out)


def photo_pages(count: int) -> bytes:
    """A TIFF of ``count`` 160x120 crops of scikit-image's astronaut, one a page (Pillow, uncompressed)."""
    from skimage import data

    source = Image.fromarray(data.astronaut())
    crops = [source.crop((x, y, x + 160, y + 120)) for x in range(0, 350, 50) for y in range(0, 390, 39)]
    crops = (crops * (count // len(crops) + 1))[:count]
    buf = io.BytesIO()
    crops[0].save(buf, "TIFF", save_all=True, append_images=crops[1:])
    return buf.getvalue()


def photo_pdf(cut: str | None = None) -> bytes:
    """A 3-page PDF of scikit-image's astronaut, coffee and cat (Pillow, creation date 2019-05-04 13:14:15), as a
    desk receives scans; ``cut="eof"``: cut before its final %%EOF, which ExifTool reads as "Invalid xref table"."""
    import time

    from skimage import data

    pages = [Image.fromarray(getattr(data, name)()) for name in ("astronaut", "coffee", "chelsea")]
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], title="Title X", author="Author Y",
                  creationDate=time.strptime("2019-05-04 13:14:15", "%Y-%m-%d %H:%M:%S"))
    pdf = buf.getvalue()
    return pdf[:pdf.rfind(b"%%EOF")] if cut == "eof" else pdf


def hand_pdf(*, encrypted: bool = False, camera_xmp: bool = False) -> bytes:
    """A one-page PDF written object by object (ISO 32000-1, 7.5): Info with a creation date 2020-01-01; with
    ``encrypted``, a Standard security handler in the trailer (no password given: ExifTool reads none of it);
    with ``camera_xmp``, an XMP stream whose exif:DateTimeOriginal and tiff:Make/Model a camera would write."""
    xmp = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
           b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
           b'xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
           b'xmlns:xmp="http://ns.adobe.com/xap/1.0/" exif:DateTimeOriginal="2018-03-03T10:00:00+01:00" '
           b'tiff:Make="Canon" tiff:Model="EOS 5D" xmp:CreateDate="2018-03-05T10:00:00+01:00"/></rdf:RDF>'
           b'</x:xmpmeta><?xpacket end="w"?>')
    meta = b" /Metadata 4 0 R" if camera_xmp else b""
    objs = [b"<< /Type /Catalog /Pages 2 0 R" + meta + b" >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
            (b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(xmp) + xmp + b"\nendstream")
            if camera_xmp else
            b"<< /Filter /Standard /V 2 /R 3 /Length 128 /P -4 /O <" + b"00" * 32 + b"> /U <" + b"00" * 32 + b"> >>",
            b"<< /Title (x) /CreationDate (D:20200101120000+02'00') /ModDate (D:20210101120000Z) /Producer (x) >>"]
    out, offsets = b"%PDF-1.6\n%\xe2\xe3\xcf\xd3\n", []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    lock = b" /Encrypt 4 0 R /ID [<00112233445566778899aabbccddeeff><00112233445566778899aabbccddeeff>]" \
        if encrypted else b""
    return out + (b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R" % (len(objs) + 1) + lock
                  + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref)


def dds_unknown_pixel_format() -> bytes:
    """A DDS texture whose pixel-format flags are 0 (Pillow: NotImplementedError at open)."""
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (9, 9, 9)).save(buf, "DDS")
    data = bytearray(buf.getvalue())
    struct.pack_into("<I", data, 80, 0)  # DDS_PIXELFORMAT.dwFlags (magic 4 + header offset 76)
    return bytes(data)


# -- phone photos (HEIC) ----------------------------------------------------------------------------------
def phone_heic(*, damage: str | None = None) -> bytes:
    """A HEIC as a Samsung Galaxy writes one: a real photograph (scikit-image's ``chelsea``) through libheif's x265
    encoder (pillow-heif), with the phone's EXIF: make, model, firmware, capture time with its +02:00 offset, GPS.

    ``damage="cut"``: the file cut at 90% of its bytes. ``"codec"``: the primary item's type renamed (``hvc1`` ->
    ``xxxx``), as a HEIC in a codec no reader here
    has: its pixels cannot be decoded, its metadata is intact. ``"pixels"``: the HEVC payload zeroed. ``"iloc"``:
    an item-location box claiming 2^32 - 1 items with zero-sized fields (exifread's HEIC walker: 194 s, found by
    tests/hostile/fuzz.py).
    """
    import pillow_heif
    from skimage import data

    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0131] = "samsung", "SM-S911B", "S911BXXU1AWBD"
    sub = exif.get_ifd(0x8769)
    sub[0x9003], sub[0x9011] = "2024:05:17 18:42:07", "+02:00"  # DateTimeOriginal, OffsetTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (52.0, 31.0, 12.5), "E", (13.0, 24.0, 3.0)
    buf = io.BytesIO()
    Image.fromarray(data.chelsea()).save(buf, format="HEIF", exif=exif.tobytes(), quality=80)
    out = bytearray(buf.getvalue())
    meta, size = _find(out, [b"meta"])
    if damage == "codec":
        at = out.index(b"hvc1", meta, meta + size)
        out[at : at + 4] = b"xxxx"
    elif damage == "iloc":  # version 2, every field size 0, 2^32 - 1 items: the extents loop reads nothing
        at = out.index(b"iloc", meta, meta + size) + 4
        out[at : at + 10] = bytes([2, 0, 0, 0, 0, 0]) + b"\xff\xff\xff\xff"
    elif damage == "cut":  # a download that stopped at 90%: the image item and the EXIF after it are cut off
        out = out[: len(out) * 9 // 10]
    elif damage == "pixels":
        mdat, length = _find(out, [b"mdat"])
        out[mdat + 16 : mdat + length - 400] = bytes(length - 416)  # the EXIF item sits at the end of mdat
    return bytes(out)


# -- the corpus -------------------------------------------------------------------------------------------
def _cases() -> list[tuple[Case, Callable[[], bytes]]]:
    rnd = random.Random(8)

    def noise(n: int) -> Callable[[], bytes]:
        data = rnd.randbytes(n)
        return lambda: data

    good = clip(2.0, seed=1)
    faststart = clip(3.0, seed=2, faststart=True)
    jpeg = io.BytesIO()
    Image.fromarray(np.random.default_rng(3).integers(0, 255, (64, 96, 3), dtype=np.uint8)).save(jpeg, "JPEG")
    png = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(png, "PNG")
    empty = "empty file"
    refused = (r"not a media file|incomplete or damaged|no video or audio stream|cannot decode|not a regular|"
               r"empty file")
    cases: list[tuple[Case, Callable[[], bytes]]] = [
        (Case("control_good_clip.mp4", "a valid small clip (control)", frozenset({OK})), lambda: good),
        (Case("empty.mp4", "zero bytes", REFUSED, empty), lambda: b""),
        (Case("empty.jpg", "zero bytes", REFUSED, empty), lambda: b""),
        (Case("empty.wav", "zero bytes", REFUSED, empty), lambda: b""),
        (Case("truncated_64_bytes.mp4", "an MP4 cut after 64 bytes", REFUSED, refused), lambda: good[:64]),
        (Case("truncated_no_moov.mp4", "an MP4 cut before its moov box", REFUSED, refused),
         lambda: good[: len(good) // 3]),
        (Case("truncated_tail.mp4", "a faststart MP4 cut in the middle of its frames"),
         lambda: faststart[: len(faststart) * 2 // 3]),
        (Case("truncated.jpg", "a JPEG cut in half"), lambda: jpeg.getvalue()[: len(jpeg.getvalue()) // 2]),
        (Case("truncated.png", "a PNG cut in half"), lambda: png.getvalue()[: len(png.getvalue()) // 2]),
        (Case("random.mp4", "64 KiB of random bytes", REFUSED, refused), noise(65536)),
        (Case("random.mov", "64 KiB of random bytes", REFUSED, refused), noise(65536)),
        (Case("random.mkv", "64 KiB of random bytes", REFUSED, refused), noise(65536)),
        (Case("random.jpg", "64 KiB of random bytes", REFUSED, refused), noise(65536)),
        (Case("random.png", "64 KiB of random bytes", REFUSED, refused), noise(65536)),
        (Case("random.wav", "64 KiB of random bytes", REFUSED, refused), noise(65536)),
        (Case("random_400k.bin", "400 KB of random bytes named .bin (FFmpeg: a 1280x2560 'bintext' video)", REFUSED,
              r"not a media file \(no known media signature; FFmpeg could only guess a raw 'bin'"), noise(409600)),
        (Case("random.al", "random bytes named .al (FFmpeg: A-law audio)", REFUSED, r"raw 'alaw'"), noise(65536)),
        (Case("random.nfo", "random bytes named .nfo (FFmpeg: an ANSI-art 'tty' video)", REFUSED, r"raw 'tty'"),
         noise(65536)),
        (Case("random.aac", "random bytes named .aac (FFmpeg opens them as AAC; nothing decodes)", REFUSED,
              r"guess 'aac' decodes to no frame"), noise(65536)),
        (Case("random_no_extension", "1 MiB of random bytes without a name extension", REFUSED, refused),
         noise(1 << 20)),
        (Case("text_named.mp4", "a text file named .mp4", REFUSED, refused), lambda: b"not a video\n" * 300),
        (Case("html_named.jpg", "an HTML page named .jpg", REFUSED, refused),
         lambda: b"<!doctype html><script>alert(1)</script>" * 50),
        (Case("png_claims_10gp.png", "a PNG header claiming 100000 x 100000", REFUSED, r"max_pixels"),
         lambda: png_claiming(100_000, 100_000)),
        (Case("png_bomb_144mp.png", "a valid 12000 x 12000 PNG, 18 KB compressed (decompression bomb)", REFUSED,
              r"max_pixels"), lambda: png_bomb(12_000)),
        (Case("jpeg_claims_4gp.jpg", "a JPEG SOF claiming 65500 x 65500", REFUSED, r"max_pixels"),
         lambda: jpeg_claiming(65_500, 65_500)),
        (Case("gif_claims_4gp.gif", "a GIF screen claiming 65535 x 65535"), lambda: gif_claiming(65_535, 65_535)),
        (Case("mov_claims_160mp.mov", "a MOV sample entry claiming 16000 x 10000", REFUSED, r"max_pixels"),
         raw_huge_dims),
        (Case("mp4_claims_65535.mp4", "MP4 tkhd/stsd claiming 65535 x 65535 over a small H.264 stream"),
         lambda: claimed_dims(good, 65_535, 65_535)),
        (Case("ten_hours.mp4", "a 2-s clip whose headers declare 10 hours", REFUSED, r"max_duration_s"),
         lambda: ten_hours(good)),
        (Case("samples_170m.mp4", "a 9 KB MP4 declaring 170 million samples (FFmpeg's index: ~10 GiB)", REFUSED,
              r"max_samples"), lambda: declared_samples(good, 170_000_000)),
        (Case("xmp_flood_2mb.mp4", "a clip with 2 MB of '<rdf:RDF ' in a free box (quadratic XMP scan)",
              frozenset({OK})), lambda: xmp_flood(good, 2)),
        (Case("tiff_100000_pages.tif", "a 11.6 MB TIFF of 100,000 1x1 pages (probe: 69 s, report: 35 MB)", REPORT),
         lambda: tiff_pages(100_000)),
        (Case("nested_moov_10000.mp4", "10 000 nested moov boxes", REFUSED, refused),
         lambda: nested_boxes(10_000)),
        (Case("nested_trak_100000.mov", "100 000 nested trak boxes", REFUSED, refused),
         lambda: nested_boxes(100_000, b"trak")),
        (Case("udta_nested_20000.mp4", "a clip with 20 000 nested udta boxes in its moov (FFmpeg refuses it)"),
         lambda: nested_in_valid_clip(good, 20_000)),
        (Case("meta_nested_20000.mp4", "a playable clip with 20 000 nested meta boxes in its moov", REPORT),
         lambda: nested_in_valid_clip(good, 20_000, b"meta")),
        (Case("riff_bomb_playable.wav", "a playable WAV behind 20 000 nested LIST chunks"),
         lambda: riff_bomb_in_valid_wav(20_000)),
        (Case("box_sizes_lie.mp4", "a largesize box of 2^62 bytes and boxes smaller than their header", REFUSED,
              refused), lying_box_sizes),
        (Case("riff_bomb_20000.wav", "20 000 nested RIFF LIST chunks"), lambda: riff_bomb(20_000)),
        (Case("wav_claims_4gb.wav", "a WAV whose RIFF and data chunks claim 4 GB (4 KB present)"),
         wav_claiming_4gb),
        (Case("matroska_nested_5000.mkv", "5000 nested Matroska master elements", REFUSED, refused),
         lambda: matroska_nested(5000)),
        (Case("android_slow_motion.mp4", "8 s at 25 fps tagged com.android.capture.fps = 120", frozenset({OK})),
         android_slow_motion),
        (Case("matroska_duration_minus_1e12.mkv", "a Matroska clip whose Duration is -1e12 ms", REPORT),
         lambda: matroska_duration(clip(2.0, seed=7, fmt="matroska"), -1e12)),
        (Case("matroska_huge_element.mkv", "a Matroska segment claiming 2^55 bytes", REFUSED, refused),
         matroska_huge_element),
        (Case("mp3_id3_256mb.mp3", "an ID3 tag claiming 256 MB", REFUSED, refused), mp3_huge_id3),
        (Case("broken_audio_good_video.mp4", "good video, an AAC track of random bytes", REPORT,
              pipeline="standard"), lambda: broken_audio_clip(4)),
        (Case("metadata_100kb.mp4", "100 KB container tags full of escapes and control characters", REPORT),
         lambda: clip(1.0, seed=5, metadata={"title": NASTY.replace("\x00", ""), "comment": NASTY[::-1].replace(
             "\x00", ""), "make": "\x1b[2J" * 200, "location": "+99.9999+999.9999/" * 50})),
        (Case("metadata_100kb.mkv", "100 KB Matroska tags", REPORT),
         lambda: clip(1.0, seed=6, fmt="matroska", metadata={"title": NASTY.replace("\x00", "")})),
        (Case("metadata_text_100kb.png", "100 KB PNG tEXt/iTXt of escapes", REPORT), png_with_text),
        (Case("metadata_100kb.tiff", "100 KB TIFF ImageDescription, OSC escapes in Software", REPORT),
         tiff_with_description),
        (Case("exif_ifd_loop.jpg", "EXIF IFD0 pointing at itself, 65535 entries claimed", REPORT), jpeg_exif_loop),
        (Case("exif_gps_into_padding.jpg", "EXIF whose GPS IFD points into zero padding", frozenset({OK})),
         jpeg_gps_into_padding),
        (Case("comment_xmp_nested.jpg", "a 64 KB COM segment and XMP nested 5000 deep", REPORT), jpeg_comment_xmp),
        (Case("tiff_ifd2_no_dimensions.tif", "a 153-byte TIFF whose second IFD lacks dimensions (Pillow TypeError)",
              frozenset({STAGE_ERROR}), PARTLY_EXAMINED), tiff_second_ifd_without_dimensions),
        (Case("tiff_page2_compression_12345.tif", "a TIFF whose second page has an unknown compression (KeyError)",
              frozenset({STAGE_ERROR}), PARTLY_EXAMINED), tiff_second_page_unknown_compression),
        (Case("tiff_70_photo_pages.tif", "a TIFF of 70 photo crops (pages after 64 not examined: exit 1, round 5 L4)",
              frozenset({STAGE_ERROR}), r"partly examined: a TIFF of more than 64 pages"), lambda: photo_pages(70)),
        (Case("pdf_no_eof.pdf", "a 3-photo PDF cut before its %%EOF (ExifTool: Invalid xref table)",
              frozenset({STAGE_ERROR}), r"PDF document"), lambda: photo_pdf(cut="eof")),
        (Case("pdf_encrypted.pdf", "a PDF whose trailer names a Standard /Encrypt (ExifTool: password protected)",
              frozenset({STAGE_ERROR}), r"PDF document"), lambda: hand_pdf(encrypted=True)),
        (Case("pdf_xmp_camera.pdf", "a PDF whose XMP holds exif:DateTimeOriginal and tiff:Make/Model",
              frozenset({STAGE_ERROR}), r"PDF document"), lambda: hand_pdf(camera_xmp=True)),
        (Case("dds_pixel_format_0.dds", "a DDS whose pixel-format flags are 0 (Pillow NotImplementedError)"),
         dds_unknown_pixel_format),
        (Case("phone_photo.heic", "a Samsung-style HEIC photo with EXIF (real photograph, libheif encoder)",
              frozenset({OK})), phone_heic),
        (Case("heic_unknown_codec.heic", "a HEIC whose image codec no reader has; EXIF intact: metadata-only report",
              frozenset({STAGE_ERROR})), lambda: phone_heic(damage="codec")),
        (Case("heic_iloc_flood.heic", "a HEIC whose iloc claims 2^32 - 1 items with zero-sized fields"),
         lambda: phone_heic(damage="iloc")),
        (Case("heic_cut_90pct.heic", "a HEIC cut at 90% (libheif filled the rest green, exit 0): pixels refused, "
              "EXIF unreadable", frozenset({STAGE_ERROR}), r"cut short: 1 of its 1 picture items"),
         lambda: phone_heic(damage="cut")),
        (Case("png_ztxt_bomb.png", "a photo PNG whose zTXt inflates to 800 MB (FFmpeg's probe: 3.3 GB)",
              frozenset({OK})), lambda: png_text_bomb("zTXt")),
        (Case("png_iccp_bomb.png", "a photo PNG whose iCCP inflates to 800 MB (1.75 GB)", frozenset({OK})),
         lambda: png_text_bomb("iCCP")),
        (Case("png_itxt_xmp_bomb.png", "a photo PNG whose XMP iTXt inflates to 800 MB (ExifTool: 2.3 GB)",
              frozenset({OK})), lambda: png_text_bomb("iTXt")),
        (Case("apng_2x99mp.png", "an APNG of two 9999x9999 frames (FFmpeg: 1.35 GB for 8)", REFUSED,
              r"a picture decode may use"), apng_huge_frames),
        (Case("webp_60mp.webp", "a 60 MP WebP photo of 250 KB (Pillow's decode: 1.04 GB)", frozenset({OK})),
         big_webp),
        (Case("png_rgba16_99mp.png", "a 9999x9999 16-bit RGBA photo PNG of 2.5 MB (FFmpeg's reduced decode: 1.34 "
              "GB); decoded reduced by OpenCV", frozenset({OK})), png_rgba16_photo),
        (Case("webp_animated_lossy.webp", "a 3-frame animated WebP of photos (FFmpeg reads no animation: exit 2)",
              frozenset({OK})), lambda: animated_webp(lossless=False)),
        (Case("webp_animated_lossless.webp", "the same, lossless", frozenset({OK})),
         lambda: animated_webp(lossless=True)),
        (Case("png16_150mp_exif.png", "a 150 MP 16-bit RGBA photo PNG with a phone's EXIF (the metadata stage's "
              "FFmpeg probe: 1.33 GB)", frozenset({STAGE_ERROR}), r"\[limits\] max_pixels"),
         lambda: png_rgba16_photo(12247, exif=True)),
        (Case("jxl_49mp.jxl", "a 49 MP flat JPEG XL of 7 KB (libjxl decodes it whole at open, ~15 B/px)",
              frozenset({STAGE_ERROR}), r"JPEG XL has no reduced decode"), lambda: flat_jpeg_xl(7000, 7000)),
        (Case("heic_zeroed_pixels.heic", "a HEIC whose HEVC payload is zeros; EXIF intact", REPORT),
         lambda: phone_heic(damage="pixels")),
        (Case("real_damaged_middle.mp4", "a real 14.6-s clip with 40 KB overwritten in the middle of its frames",
              frozenset({STAGE_ERROR}), r"visual stage partly decoded: video: 12\.\d s of 14\.6 s decoded; \d\.\d s in "
              r"the middle did not decode"), lambda: damaged_real_clip("middle")),
        (Case("real_truncated.mp4", "a real 14.6-s faststart clip cut at 60% of its bytes", frozenset({STAGE_ERROR}),
              r"visual stage partly decoded: video: .*decoding stopped at 8\.\d s of 14\.6 s"),
         lambda: damaged_real_clip("truncated")),
        (Case("real_damaged_audio.mp4", "a real 14.6-s clip whose audio packets from 5 to 8 s are random bytes",
              frozenset({STAGE_ERROR}), r"audio stage partly decoded: audio: .*decoding stopped at 5\.0 s of 14\.6 s",
              pipeline="standard"), lambda: damaged_real_clip("audio")),
        (Case("clip with spaces.mp4", "spaces in the name", frozenset({OK})), lambda: clip(1.0, seed=10)),
        (Case("quote\"s 'and' $(dollar) `tick`.mp4", "quotes and shell syntax", frozenset({OK})),
         lambda: clip(1.0, seed=11)),
        (Case("new\nline.mp4", "a newline in the name", frozenset({OK})), lambda: clip(1.0, seed=12)),
        (Case("видео 视频 فيديو 動画.mp4", "Cyrillic, Chinese, Arabic and Japanese", frozenset({OK})),
         lambda: clip(1.0, seed=13)),
        (Case("-starts-with-dash.mp4", "a name that looks like an option", frozenset({OK})),
         lambda: clip(1.0, seed=14)),
        (Case("not-utf8-\udcff\udcfe.mp4", "bytes that are not UTF-8 in the name", frozenset({OK})),
         lambda: clip(1.0, seed=15)),
        (Case("x" * 240 + ".mp4", "a 244-byte name", frozenset({OK})), lambda: clip(1.0, seed=16)),
        # issue 14 round 6: a name at NAME_MAX (its .info.json sidecar name would be too long: D4), and real
        # footage in raw or unusual wrappers (D1-D3, D5, D7); each must get a report
        (Case("y" * 251 + ".mp4", "a 255-byte name (its sidecar's name is past NAME_MAX)", frozenset({OK})),
         lambda: clip(1.0, seed=17)),
        *((Case(name, what, REPORT), make) for name, (what, make) in _round6_footage().items()),
        *((Case(name, what, exits, reason), make) for name, (what, exits, reason, make) in _round7_inputs().items()),
        *((Case(name, what, exits, reason), make) for name, (what, exits, reason, make) in _round8_inputs().items()),
    ]
    return cases


def _round6_footage() -> dict[str, tuple[str, Callable[[], bytes]]]:
    """Round 6's wrappers around real footage (skimage's coffee and astronaut, 160x104, 10 frames each)."""
    def small(name: str) -> np.ndarray:
        return np.asarray(Image.fromarray(_photo_rgb(name)).resize((160, 104)))

    def frames() -> list[np.ndarray]:
        return [small("astronaut")] * 10 + [small("coffee")] * 10

    def h264() -> bytes:
        return encode_raw("h264", "libx264", "yuv420p", frames())

    def mp4() -> bytes:
        return encode_raw("mp4", "libx264", "yuv420p", frames())

    return {
        "r6_cctv.mjpeg": ("raw MJPEG: JPEGs back to back (D1)", lambda: encode_raw("mjpeg", "mjpeg", "yuvj420p",
                                                                                    frames())),
        "r6_sei_pdf.h264": ("raw H.264 behind an SEI holding %PDF-1.4 (D2)", lambda: sei_pdf_h264(h264())),
        "r6_xcomment_pdf.y4m": ("Y4M whose header comment is %PDF-1.4 (D2)",
                                lambda: y4m(small("coffee"), 5, b"XCOMMENT=%PDF-1.4")),
        "r6_motion.MP.jpg": ("a motion photo: JPEG + MP4 appended (D3)", lambda: motion_photo(small("astronaut"),
                                                                                             mp4())),
        "r7_samsung_motion.jpg": ("a Samsung motion photo: JPEG, MotionPhoto_Data + MP4, SEFT trailer",
                                  lambda: samsung_motion_photo(small("astronaut"), mp4())),
        "r6_dvr.h264": ("raw H.264 elementary stream, no timestamps (D5)", h264),
        "r6_dvr.hevc": ("raw HEVC elementary stream (D5)", lambda: encode_raw("hevc", "libx265", "yuv420p",
                                                                              frames())),
        "r6_ipcam.mpjpeg": ("multipart MJPEG recording (D7)", lambda: encode_raw("mpjpeg", "mjpeg", "yuvj420p",
                                                                                 frames())),
        "r6_plain.y4m": ("Y4M raw video (D7)", lambda: y4m(small("coffee"), 5)),
    }


ENTRIES = {  # folder entries that are not plain readable files: name -> (what, exit codes, reason)
    "fifo.mp4": ("a named pipe (opening it blocks for ever)", REFUSED, r"not a regular file"),
    "self_loop.mp4": ("a symbolic link to itself", REFUSED, r"symbolic link"),
    "loop_a.mp4": ("two symbolic links pointing at each other", REFUSED, r"symbolic link"),
    "dangling.mp4": ("a symbolic link to nothing", REFUSED, r"symbolic link"),
    "folder.mp4": ("a folder named like a clip", REFUSED, r"not a regular file"),
    "dir_loop": ("a symbolic link to its own folder", REFUSED, r"not a regular file"),
    "unreadable.mp4": ("a clip without read permission (mode 000)", frozenset({OK, NO_REPORT}),
                       r"Permission denied"),
}
SPARSE_BYTES = 17 * 1024**3


def build(root: Path, *, shared: Path | None = None) -> Corpus:
    """Write every case under ``root`` (and the batch-only ones under ``root/batch_only``); return them."""
    root.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(root)
    for case, make in _cases():
        path = root / case.name  # a name with lone surrogates is written as the bytes they stand for
        path.write_bytes(make())
        corpus.cases.append((case, path))
    phone = Path(__file__).resolve().parents[1] / "data" / "phone" / "xiaomi.heic"
    if phone.is_file():  # a real phone's 2592x1944 grid HEIC cut short (FFmpeg: a 512x512 one-tile "video")
        cut = root / "xiaomi_cut.heic"
        cut.write_bytes(phone.read_bytes()[:89_601])
        corpus.cases.append((Case(cut.name, "a real Xiaomi grid HEIC cut at 89,601 bytes (read as a 512x512 video)",
                                  frozenset({STAGE_ERROR}), r"cut short: 23 of its 24 picture items"), cut))
    if shared is not None:
        for rel, case in _shared_cases().items():
            if (shared / rel).is_file():
                corpus.cases.append((case, shared / rel))
    sparse = root / "huge_sparse_17gib.mp4"
    with sparse.open("wb") as fh:
        fh.write(good_header())
        fh.truncate(SPARSE_BYTES)
    corpus.cases.append((Case(sparse.name, "17 GiB (sparse: no disk used)", REFUSED, r"max_file_bytes"), sparse))
    odd = root / "entries"
    odd.mkdir(exist_ok=True)
    os.mkfifo(odd / "fifo.mp4")
    os.symlink("self_loop.mp4", odd / "self_loop.mp4")
    os.symlink("loop_b.mp4", odd / "loop_a.mp4")
    os.symlink("loop_a.mp4", odd / "loop_b.mp4")
    os.symlink("nowhere.mp4", odd / "dangling.mp4")
    (odd / "folder.mp4").mkdir()
    os.symlink(".", odd / "dir_loop")
    unreadable = odd / "unreadable.mp4"
    unreadable.write_bytes(clip(1.0, seed=20))
    unreadable.chmod(0)
    for name, (what, exits, reason) in ENTRIES.items():
        corpus.cases.append((Case(name, what, exits, reason), odd / name))
    return corpus


# -- issue 14 round 6: real footage in raw or unusual wrappers (the tester's mkround6.py, from skimage photos) ----
def _photo_rgb(name: str) -> np.ndarray:
    """skimage's ``name`` photograph cut to 600x400 (every round-6 encode is 600x400)."""
    from skimage import data

    return np.ascontiguousarray(getattr(data, name)()[:400, :600])


def encode_raw(fmt: str, codec: str, pix_fmt: str, frames: list[np.ndarray], rate: int = 25) -> bytes:
    """``frames`` encoded with PyAV into the (raw or container) format ``fmt``: ``mjpeg`` (concatenated JPEGs, an
    IP camera's .mjpeg), ``mpjpeg`` (HTTP multipart/x-mixed-replace), ``h264``/``hevc`` (Annex-B elementary
    streams: a DVR export), ``mp4``."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"clip.{fmt}"
        out = av.open(str(target), "w", format=fmt)
        stream = out.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], pix_fmt
        for im in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(im, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        out.close()
        return target.read_bytes()


def y4m(frame: np.ndarray, count: int, comment: bytes = b"XCOMMENT=hello") -> bytes:
    """A YUV4MPEG2 file of ``count`` copies of ``frame`` (4:2:0, 25 fps), with ``comment`` in its header line."""
    ycc = Image.fromarray(frame).convert("YCbCr")
    y, cb, cr = (np.asarray(c) for c in ycc.split())
    h, w = y.shape
    body = b"FRAME\n" + y.tobytes() + cb[::2, ::2].tobytes() + cr[::2, ::2].tobytes()
    return f"YUV4MPEG2 W{w} H{h} F25:1 Ip A1:1 C420jpeg ".encode() + comment + b"\n" + body * count


def sei_pdf_h264(stream: bytes) -> bytes:
    """An H.264 elementary stream behind a 30-byte SEI NAL unit whose payload holds ``%PDF-1.4`` (D2)."""
    payload = b"\x11" * 16 + b"%PDF-1.4 ok"
    return b"\x00\x00\x00\x01\x06" + bytes([5, len(payload)]) + payload + b"\x80" + stream


def motion_photo(still: np.ndarray, video: bytes) -> bytes:
    """A Google motion photo: a JPEG whose XMP says GCamera:MotionPhoto=1, with the MP4 ``video`` appended (D3)."""
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           '<rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" GCamera:MotionPhoto="1" '
           'GCamera:MotionPhotoVersion="1" GCamera:MotionPhotoPresentationTimestampUs="0"/></rdf:RDF></x:xmpmeta>')
    out = io.BytesIO()
    Image.fromarray(still).save(out, "JPEG", quality=90, xmp=xmp.encode())
    return out.getvalue() + video


def samsung_motion_photo(still: np.ndarray, video: bytes) -> bytes:
    """A Samsung motion photo: a JPEG, then the MP4 ``video`` in Samsung's trailer (``sef_trailer``)."""
    out = io.BytesIO()
    Image.fromarray(still).save(out, "JPEG", quality=90)
    return out.getvalue() + sef_trailer(video)


def sef_trailer(video: bytes) -> bytes:
    """Samsung's trailer holding ``video``: a SEF data block (a 4-byte marker 00 00 30 0A, the name's length,
    "MotionPhoto_Data", the MP4), then the SEF directory that indexes it ("SEFH", version, count, one entry: type,
    offset back from SEFH, length; the directory's length and "SEFT"), as ExifTool's Samsung trailer reader
    documents it (Image::ExifTool::Samsung, ProcessSamsung)."""
    import struct

    name = b"MotionPhoto_Data"
    block = b"\x00\x00\x30\x0a" + struct.pack("<I", len(name)) + name + video
    directory = b"SEFH" + struct.pack("<II", 106, 1) + b"\x00\x00\x30\x0a" + struct.pack("<II", len(block),
                                                                                            len(block))
    return block + directory + struct.pack("<I", len(directory)) + b"SEFT"


def samsung_mpf_motion_photo(still: np.ndarray, second: np.ndarray, video: bytes) -> bytes:
    """Issue 14 round 8, H1: a Samsung motion photo whose JPEG carries a second picture in its MPF index (a preview
    or a gain map without ``hdrgm`` XMP: Pillow opens it as MPO), then the clip in Samsung's trailer."""
    return stereo_mpo(still, second) + sef_trailer(video)


def heic_motion_photo(still: np.ndarray, video: bytes) -> bytes:
    """Issue 14 round 8, H2: a HEIC (libheif's x265 through pillow-heif) whose XMP declares a motion photo and its
    clip's Container:Item length (Google's Motion Photo 1.0 items, as Samsung's HEIC motion photos carry), with the
    MP4 ``video`` appended after the HEIF's boxes."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           '<rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" '
           'xmlns:Container="http://ns.google.com/photos/1.0/container/" '
           'xmlns:Item="http://ns.google.com/photos/1.0/container/item/" GCamera:MotionPhoto="1" '
           'GCamera:MotionPhotoVersion="1"><Container:Directory><rdf:Seq><rdf:li rdf:parseType="Resource">'
           '<Container:Item Item:Mime="image/heic" Item:Semantic="Primary" Item:Length="0"/></rdf:li>'
           '<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto" '
           f'Item:Length="{len(video)}"/></rdf:li></rdf:Seq></Container:Directory></rdf:Description></rdf:RDF>'
           '</x:xmpmeta>')
    buf = io.BytesIO()
    Image.fromarray(still).save(buf, format="HEIF", quality=80, xmp=xmp.encode())
    return buf.getvalue() + video


def good_header() -> bytes:
    return clip(1.0, seed=30, faststart=True)[:4096]


def _shared_cases() -> dict[str, Case]:
    """The malformed files of ../shared/corpus (see its README), by path relative to it."""
    return {
        "c2pa/nested_moov_1000.mp4": Case("nested_moov_1000.mp4", "shared: 1000 nested moov boxes"),
        "c2pa/riff_bomb_1000.wav": Case("riff_bomb_1000.wav", "shared: RIFF bomb"),
        "c2pa/tiff_poc.tiff": Case("tiff_poc.tiff", "shared: malformed TIFF"),
        "c2pa/sample3.invalid.wav": Case("sample3.invalid.wav", "shared: invalid WAV"),
        "c2pa/id3v23_compression_underflow.mp3": Case("id3v23_compression_underflow.mp3", "shared: ID3 underflow"),
        "c2pa/cloud_manifest.c2pa": Case("cloud_manifest.c2pa", "shared: a C2PA sidecar, not media"),
    }


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile_corpus")
    made = build(target)
    for c, p in made.cases:
        print(f"{sorted(c.exits)}\t{c.what}\t{p!s:.80}")
    print(f"{len(made.cases)} cases in {target}")


# -- issue 14 round 7 (the round-7 tester's N1-N7, /tmp/t14g/w/mk*.py), from skimage photos at 600x400 ---------------
def photo_600(name: str) -> np.ndarray:
    """skimage's ``name`` photograph resized to 600x400 (chelsea is 451x300: cropping would not reach that)."""
    from skimage import data

    return np.asarray(Image.fromarray(getattr(data, name)()).convert("RGB").resize((600, 400)))


def short_shot_clip() -> bytes:
    """N1: 8 s at 25 fps, astronaut 127 frames, coffee 20 frames (5.08-5.88 s), chelsea 53: a 0.8-s shot that
    starts one frame after a 1-s sample."""
    astro, coffee, cat = photo_600("astronaut"), photo_600("coffee"), photo_600("chelsea")
    return encode_raw("mp4", "libx264", "yuv420p", [astro] * 127 + [coffee] * 20 + [cat] * 53)


def jpeg_bytes(frame: np.ndarray, quality: int = 90, **params: object) -> bytes:
    out = io.BytesIO()
    Image.fromarray(frame).save(out, "JPEG", quality=quality, **params)
    return out.getvalue()


def ultrahdr_motion_photo(still: np.ndarray, video: bytes, *, clip_at_end: bool = True) -> bytes:
    """N2: a Pixel Ultra HDR motion photo: the primary JPEG (XMP GCamera:MotionPhoto=1 and a Container:Directory
    declaring the gain map's and the clip's Item:Length), a grey gain-map JPEG of noise (~240 KB: the clip starts
    far past 64 KiB after the first EOI), then the MP4 ``video``. ``clip_at_end`` False: the declared clip is
    not there (zeros of its length instead)."""
    rng = np.random.default_rng(7)
    gain = jpeg_bytes(np.repeat((rng.random((400, 600, 1)) * 255).astype(np.uint8), 3, axis=2), 95)
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           '<rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" '
           'xmlns:Container="http://ns.google.com/photos/1.0/container/" '
           'xmlns:Item="http://ns.google.com/photos/1.0/container/item/" GCamera:MotionPhoto="1" '
           'GCamera:MotionPhotoVersion="1" GCamera:MotionPhotoPresentationTimestampUs="0"><Container:Directory>'
           '<rdf:Seq><rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary" '
           'Item:Length="0"/></rdf:li><rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" '
           f'Item:Semantic="GainMap" Item:Length="{len(gain)}"/></rdf:li><rdf:li rdf:parseType="Resource">'
           f'<Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto" Item:Length="{len(video)}"/>'
           '</rdf:li></rdf:Seq></Container:Directory></rdf:Description></rdf:RDF></x:xmpmeta>')
    return jpeg_bytes(still, xmp=xmp.encode()) + gain + (video if clip_at_end else bytes(len(video)))


def stereo_mpo(left: np.ndarray, right: np.ndarray) -> bytes:
    """N5: an MPO (CIPA DC-007 multi-picture file, as Fujifilm's and the 3DS's stereo cameras write) of two
    pictures, written by Pillow's MPO writer."""
    out = io.BytesIO()
    Image.fromarray(left).save(out, "MPO", save_all=True, append_images=[Image.fromarray(right)], quality=90)
    return out.getvalue()


def y4m_header(width: str, height: str, rate: str = "25:1") -> bytes:
    """N7: a Y4M header line declaring ``width``x``height`` (as written: "60000", "-600"), one short frame after."""
    return f"YUV4MPEG2 W{width} H{height} F{rate} Ip A1:1 C420jpeg\n".encode() + b"FRAME\n" + bytes(4096)


def y4m_rate(frame: np.ndarray, count: int, rate: str) -> bytes:
    """N4: ``y4m`` with its frame rate declared as ``rate`` ("1000000:1")."""
    return y4m(frame, count).replace(b" F25:1 ", f" F{rate} ".encode(), 1)


STILL_DAMAGE = r"partly decoded: video: .*damaged data the decoder concealed"


def _round7_inputs() -> dict[str, tuple[str, frozenset[int], str | None, Callable[[], bytes]]]:
    """Round 7's inputs: name -> (what, exit codes, reason regex, builder)."""
    def coffee_h264() -> bytes:
        return encode_raw("h264", "libx264", "yuv420p", [photo_600("coffee")] * 50)

    def coffee_mp4() -> bytes:
        return encode_raw("mp4", "libx264", "yuv420p", [photo_600("coffee")] * 75)

    return {
        "r7_short_shot.mp4": ("a 0.8-s shot between two cuts, just after a sample (N1)", frozenset({OK}), None,
                              short_shot_clip),
        "r7_ultrahdr_motion.jpg": ("Ultra HDR motion photo: JPEG, 240-KB gain map, MP4 (N2)", frozenset({OK}), None,
                                   lambda: ultrahdr_motion_photo(photo_600("astronaut"), coffee_mp4())),
        "r7_motion_missing.jpg": ("motion photo XMP whose declared clip is zeros (N2)", frozenset({STAGE_ERROR}),
                                  None, lambda: ultrahdr_motion_photo(photo_600("astronaut"), coffee_mp4(),
                                                                      clip_at_end=False)),
        "r7_rate_fast.y4m": ("Y4M declaring 1,000,000 fps (N4)", frozenset({OK}), None,
                             lambda: y4m_rate(photo_600("coffee"), 10, "1000000:1")),
        "r7_stereo.mpo": ("MPO of two pictures, astronaut then coffee (N5)", frozenset({OK}), None,
                          lambda: stereo_mpo(photo_600("astronaut"), photo_600("coffee"))),
        "r7_cut_first_frame.h264": ("raw H.264 cut inside its first frame (N6)", frozenset({STAGE_ERROR}),
                                    STILL_DAMAGE, lambda: coffee_h264()[:4000]),
        "r7_huge.y4m": ("Y4M header W60000 H60000 (N7)", REFUSED, r"declared picture size 60000x60000",
                        lambda: y4m_header("60000", "60000")),
        "r7_negative.y4m": ("Y4M header W-600 (N7)", REFUSED, r"invalid Y4M header: width -600",
                            lambda: y4m_header("-600", "400")),
    }


# -- round 8 lows: damaged tails, a JPEG with a JPEG appended -------------------------------------------------
def damaged_tail(data: bytes, how: str, fraction: float = 0.1) -> bytes:
    """``data`` with its last ``fraction`` of bytes ``cut`` off (a download or copy that stopped) or overwritten
    with ``zeros`` (a recording never finished, a preallocated file): the ends a decoder takes for the stream's."""
    keep = len(data) - int(len(data) * fraction)
    if how == "cut":
        return data[:keep]
    if how == "zeros":
        return data[:keep] + bytes(len(data) - keep)
    raise ValueError(how)


def tail_clip(fmt: str = "mp4") -> bytes:
    """A 10-s real H.264 + AAC clip (moving noise blocks) written as phones and web uploads write it: an MP4 with
    its index first (faststart), or Matroska; cut, it still opens and decodes up to the cut."""
    return clip(10.0, size=(160, 96), fps=10, seed=31, audio=True, faststart=fmt == "mp4", fmt=fmt)


def multipart_recording(frames: list[np.ndarray]) -> bytes:
    """An IP camera's multipart MJPEG recording (HTTP multipart/x-mixed-replace) of ``frames`` at 25 fps, written
    by FFmpeg's mpjpeg muxer: a boundary line, MIME headers and a JPEG per part."""
    return encode_raw("mpjpeg", "mjpeg", "yuvj420p", frames)


def _round8_inputs() -> dict[str, tuple[str, frozenset[int], str | None, Callable[[], bytes]]]:
    """Round 8's lows: name -> (what, exit codes, reason regex, builder)."""
    def small(name: str) -> np.ndarray:
        return np.asarray(Image.fromarray(_photo_rgb(name)).resize((160, 104)))

    cut = r"visual stage partly decoded: .*the file is (cut|cut or its end overwritten):"
    return {
        "r8_cut_tail.mp4": ("a faststart MP4 cut by its last 10% (d)", frozenset({STAGE_ERROR}), cut,
                            lambda: damaged_tail(tail_clip("mp4"), "cut")),
        "r8_cut_tail.mkv": ("a Matroska file cut by its last 10% (d)", frozenset({STAGE_ERROR}), cut,
                            lambda: damaged_tail(tail_clip("matroska"), "cut")),
        "r8_zero_tail.jpg": ("a JPEG photo whose last 10% is zeros (d)", frozenset({STAGE_ERROR}),
                             r"no end-of-image marker; its last [\d,]+ bytes are zeros",
                             lambda: damaged_tail(jpeg_bytes(small("astronaut")), "zeros")),
        "r8_cut_part.mpjpeg": ("a multipart MJPEG recording cut inside its last part", frozenset({STAGE_ERROR}), cut,
                               lambda: damaged_tail(multipart_recording([small("coffee")] * 10), "cut", 0.03)),
        "r8_appended.jpg": ("a JPEG with a smaller JPEG appended: a still, not a video (a)", frozenset({OK}), None,
                            lambda: jpeg_bytes(small("astronaut")) + jpeg_bytes(small("coffee")[:52, :80])),
    }

