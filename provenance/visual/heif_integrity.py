"""Damaged coded data in a HEIF/AVIF still: each picture item's HEVC/AV1 bitstream decoded on its own, with
the decoder's error detection on (issue 14, N3).

Why: libheif (HEIC) and libavif (AVIF) decode an overwritten file without an error. A tester overwrote 4 KB
with random bytes at 50% and 80% of the file (or zeroed 8 KB at 60%): every copy was analysed as complete,
2-58% of its pixels off by more than 32 levels, and an indexed photo got "No match". A JPEG with the same
damage fails its decode ("broken data stream"). HEIF has no checksum; what tells damage is the coded data
itself. Each item of the shown picture (the primary item, and a grid's tiles) is decoded on its own:

- HEVC with libde265, the decoder libheif itself uses (pillow-heif's bundled copy, through ctypes): an error, or
  a warning about the data ("CTB outside of image area", "end_of_sub_stream_one_bit not set", "premature end of
  slice segment"...), is damage. Garbage can also decode an early end-of-slice flag, leaving the rest of the
  tile undecoded without a word; so each slice is decoded a second time with 16 bytes near its end inverted:
  a slice read to its end then decodes differently, one that stopped early does not (FFmpeg's HEVC decoder
  reports neither: without libde265 it is the fallback, catching broken NAL framing only).
- AV1 with dav1d through FFmpeg, ``err_detect=explode`` and ``strict=very``.

Measured on 27 clean files (the phone set, the corpus, skimage photos encoded by x265 and libavif) and 324
damaged copies: no false positive, all 270 copies whose damage shows found (DESIGN.md, "Damaged HEIF/AVIF").

Bounds: at most ``MAX_ITEMS`` picture items and ``MAX_ITEM_BYTES`` per item are checked (a 200 MP phone HEIC
has 817 tiles of < 1 MB), items whose declared size needs more than the decode memory bound are not; one
decoder context at a time, freed after each item; the stage's deadline is checked between items.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import hashlib
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from provenance.limits import DECODE_MEMORY_BYTES, current_deadline, decode_bytes

MAX_ITEMS = 4096  # picture items checked: a 200 MP HEIC (Galaxy S24 Ultra, tests/data/phone) has 817 tiles
MAX_ITEM_BYTES = 64 << 20  # one coded item: a 100 MP single-item AVIF at high quality is ~30 MB
MAX_META_BYTES = 16 << 20  # the meta box (item tables, properties); phones write < 100 KB
MAX_BOXES = 65536  # boxes listed at one level of the meta box (a 200 MP HEIC: 817 tiles, ~1,700 properties)
_CODECS = {b"hvc1": b"hvcC", b"av01": b"av1C"}  # picture item type -> its decoder configuration property
# Peak bytes a pixel of the check's decode: libde265 3.1 (a 51 MP single-item HEIC: 159 MB over the interpreter),
# dav1d 1.7 (a 36 MP AVIF: 60 MB); items whose ispe says more than the decode bound allows are not checked.
CHECK_BYTES_PER_PIXEL = 4
# The read-to-the-end probe (see _hevc_error): PROBE_BYTES inverted, ending PROBE_END_SHARE of the slice (at least
# PROBE_END_MIN bytes) before its end; slices under PROBE_MIN_SLICE bytes are not probed (a flat 512x512 tile:
# ~300 bytes, where the probe's margin would reach the slice header).
PROBE_BYTES = 16
PROBE_END_SHARE = 1 / 32
PROBE_END_MIN = 256
PROBE_MIN_SLICE = 1024
MAX_SLICES_PROBED = 4  # slices of one item probed (phones write one slice a tile)


@dataclass
class _Items:
    types: dict[int, bytes] = field(default_factory=dict)
    extents: dict[int, tuple[int, list[tuple[int, int]]]] = field(default_factory=dict)  # id -> (method, spans)
    properties: list[tuple[bytes, bytes]] = field(default_factory=list)  # ipco, in order (1-based in ipma)
    associations: dict[int, list[int]] = field(default_factory=dict)
    idat: bytes = b""
    primary: int | None = None  # pitm
    derived: dict[int, list[int]] = field(default_factory=dict)  # iref dimg: a grid/overlay item -> its tiles


@dataclass(frozen=True)
class Damage:
    """Which picture items of a HEIF/AVIF file failed to decode, and the first decoder error, in plain words."""

    checked: int  # picture items decoded
    damaged: int  # ... of which failed
    first_error: str

    def reason(self) -> str:
        return (f"its coded picture data is damaged: {self.damaged} of its {self.checked} picture items "
                f"(tiles) fail to decode ({self.first_error}); decoders show such a picture with garbled or "
                "smeared areas and no error, so its pixels are not compared")


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[bytes, int, int]]:
    """(type, body start, body end) of the boxes in ``data[start:end]``; stops at the first bad size."""
    end = len(data) if end is None else end
    out = []
    pos = start
    while pos + 8 <= end and len(out) < MAX_BOXES:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = pos + 8
        if size == 1 and pos + 16 <= end:
            size, body = struct.unpack(">Q", data[pos + 8 : pos + 16])[0], pos + 16
        elif size == 0:
            size = end - pos
        if size < body - pos or pos + size > end:
            break
        out.append((kind, body, pos + size))
        pos += size
    return out


def _uint(data: bytes, pos: int, size: int) -> int:
    if pos + size > len(data):
        raise ValueError("table runs past its box")
    return int.from_bytes(data[pos : pos + size], "big")


def _parse_meta(meta: bytes) -> _Items:
    items = _Items()
    for kind, start, end in _boxes(meta, 4):  # meta is a full box
        body = meta[start:end]
        if kind == b"iinf":
            first = 6 if body[:1] == b"\x00" else 8
            for ekind, estart, eend in _boxes(body, first):
                entry = body[estart:eend]
                if ekind == b"infe" and entry[:1] in (b"\x02", b"\x03"):
                    id_len = 2 if entry[0] == 2 else 4
                    items.types[_uint(entry, 4, id_len)] = entry[4 + id_len + 2 : 4 + id_len + 6]
        elif kind == b"iloc":
            _parse_iloc(body, items)
        elif kind == b"iprp":
            for pkind, pstart, pend in _boxes(body):
                if pkind == b"ipco":
                    items.properties = [(k, body[s:e]) for k, s, e in _boxes(body, pstart, pend)]
                elif pkind == b"ipma":
                    _parse_ipma(body[pstart:pend], items)
        elif kind == b"idat":
            items.idat = body
        elif kind == b"pitm":
            items.primary = _uint(body, 4, 2 if body[0] == 0 else 4)
        elif kind == b"iref":
            id_len = 2 if body[0] == 0 else 4
            for rkind, rstart, rend in _boxes(body, 4):
                if rkind == b"dimg":
                    ref = body[rstart:rend]
                    count = _uint(ref, id_len, 2)
                    items.derived[_uint(ref, 0, id_len)] = [
                        _uint(ref, id_len + 2 + i * id_len, id_len) for i in range(min(count, MAX_ITEMS))]
    return items


def _parse_iloc(body: bytes, items: _Items) -> None:
    version = body[0]
    off_size, len_size, base_size = body[4] >> 4, body[4] & 15, body[5] >> 4
    index_size = body[5] & 15 if version in (1, 2) else 0
    id_len = 4 if version == 2 else 2
    count, pos = _uint(body, 6, id_len), 6 + id_len
    for _ in range(min(count, MAX_ITEMS * 2)):
        item_id = _uint(body, pos, id_len)
        pos += id_len
        method = 0
        if version in (1, 2):
            method = _uint(body, pos, 2) & 15
            pos += 2
        pos += 2  # data reference index
        base = _uint(body, pos, base_size) if base_size else 0
        pos += base_size
        extents = _uint(body, pos, 2)
        pos += 2
        spans = []
        for _ in range(extents):
            pos += index_size
            offset = _uint(body, pos, off_size) if off_size else 0
            pos += off_size
            length = _uint(body, pos, len_size) if len_size else 0
            pos += len_size
            spans.append((base + offset, length))
        items.extents[item_id] = (method, spans)


def _parse_ipma(body: bytes, items: _Items) -> None:
    version, flags = body[0], _uint(body, 1, 3)
    id_len = 2 if version < 1 else 4
    wide = flags & 1
    count, pos = _uint(body, 4, 4), 8
    for _ in range(min(count, MAX_ITEMS * 2)):
        item_id = _uint(body, pos, id_len)
        pos += id_len
        n = _uint(body, pos, 1)
        pos += 1
        indices = []
        for _ in range(n):
            if wide:
                indices.append(_uint(body, pos, 2) & 0x7FFF)
                pos += 2
            else:
                indices.append(_uint(body, pos, 1) & 0x7F)
                pos += 1
        items.associations[item_id] = indices


def _read_items(path: Path) -> tuple[_Items, int]:
    """The item tables of the file's top-level meta box, and the file size."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        pos = 0
        while pos + 8 <= size:
            fh.seek(pos)
            head = fh.read(16)
            box_size, kind = struct.unpack(">I4s", head[:8])
            body = pos + 8
            if box_size == 1 and len(head) >= 16:
                box_size, body = struct.unpack(">Q", head[8:16])[0], pos + 16
            elif box_size == 0:
                box_size = size - pos
            if box_size < body - pos:
                break
            if kind == b"meta":
                length = min(pos + box_size, size) - body
                if length > MAX_META_BYTES:
                    raise ValueError(f"meta box of {length:,} bytes")
                fh.seek(body)
                return _parse_meta(fh.read(length)), size
            pos += box_size
    return _Items(), size


def damage(path: Path) -> Damage | None:
    """Decode every HEVC/AV1 picture item of ``path`` with error detection; a ``Damage`` when any fails.

    None when every checked item decodes, when the file has no such items, or when its item tables cannot be
    read (the picture's own decode then says what is wrong). Items whose data lies past the end of the file are
    the truncation check's (``media._cut_heif``), not this one's. Checks the running stage's deadline between
    items (``BudgetExceeded``).
    """
    try:
        items, size = _read_items(path)
    except (OSError, ValueError, struct.error, IndexError):
        return None
    deadline = current_deadline()
    checked = damaged = 0
    first = ""
    shown = _shown(items)
    with path.open("rb") as fh:
        for item_id, item_type in sorted(items.types.items()):
            if item_type not in _CODECS or checked >= MAX_ITEMS or (shown is not None and item_id not in shown):
                continue
            found = _item(fh, items, item_id, item_type, size)
            if found is None:
                continue
            config, data = found
            deadline.check()
            checked += 1
            error = _hevc_error(config, data) if item_type == b"hvc1" else _av1_error(config, data)
            if error:
                damaged += 1
                first = first or error
    return Damage(checked, damaged, first) if damaged else None


def _shown(items: _Items) -> set[int] | None:
    """The items the picture is made of: the primary item and, for a grid or overlay, its tiles (thumbnails,
    depth and gain maps are not the picture a desk compares); None (check all) when no primary item is named."""
    if items.primary is None or items.primary not in items.types:
        return None
    shown, todo = set(), [items.primary]
    while todo and len(shown) < MAX_ITEMS:
        item = todo.pop()
        if item not in shown:
            shown.add(item)
            todo += items.derived.get(item, [])
    return shown


def _item(fh: BinaryIO, items: _Items, item_id: int, item_type: bytes, size: int) -> tuple[bytes, bytes] | None:
    """(decoder configuration, coded data) of one picture item; None when it is not checked (see ``damage``)."""
    config_type = _CODECS[item_type]
    props = [items.properties[i - 1] for i in items.associations.get(item_id, []) if 0 < i <= len(items.properties)]
    config = next((body for kind, body in props if kind == config_type), None)
    ispe = next((body for kind, body in props if kind == b"ispe" and len(body) >= 12), None)
    if ispe is not None:
        width, height = struct.unpack(">II", ispe[4:12])
        if decode_bytes(width, height, CHECK_BYTES_PER_PIXEL) > DECODE_MEMORY_BYTES:
            return None  # the picture's own decode is reduced or refused; a full-size check would break the bound
    method, spans = items.extents.get(item_id, (None, []))
    if config is None or method not in (0, 1) or not spans or sum(n for _, n in spans) > MAX_ITEM_BYTES:
        return None
    if method == 0:
        if any(offset + length > size or length == 0 for offset, length in spans):
            return None  # cut short: media._cut_heif's finding; 0 = "to the end": not written by HEIF muxers
        chunks = []
        for offset, length in spans:
            fh.seek(offset)
            chunks.append(fh.read(length))
        return config, b"".join(chunks)
    return config, b"".join(items.idat[offset : offset + length] for offset, length in spans)


# -- HEVC: libde265, the decoder libheif shows the picture with --------------------------------------------------
# libde265's codes (libde265/de265.h): the decode loop's "need more input" and "output queue full" are flow, not
# errors; of its warnings, those about threads, memory or its own limits say nothing about the coded data.
_DE265_OK, _DE265_QUEUE_FULL, _DE265_OUT_OF_MEMORY, _DE265_WAITING, _DE265_SIZE_LIMIT = 0, 9, 7, 13, 19
_DE265_BENIGN = {1000, 1001, 1022, 1024, 1025, 1036}  # WPP/threads, warning queue full, threads, SAO memory, SEI


@functools.cache
def _libde265() -> ctypes.CDLL | None:
    """pillow-heif's own libde265 (its wheel bundles it; libheif decodes HEIC with it), or None."""
    try:
        import pillow_heif
    except ImportError:
        return None
    package = Path(pillow_heif.__file__).parent  # wheels bundle it: pillow_heif.libs (Linux), .dylibs (macOS)
    libs = sorted([*(package.parent / "pillow_heif.libs").glob("libde265*.so*"),
                   *(package / ".dylibs").glob("libde265*.dylib")])
    found = libs[0] if libs else ctypes.util.find_library("de265")
    if not found:
        return None
    try:
        lib = ctypes.CDLL(str(found))
    except OSError:
        return None
    ptr = ctypes.c_void_p
    lib.de265_new_decoder.restype = ptr
    lib.de265_free_decoder.argtypes = [ptr]
    lib.de265_push_NAL.argtypes = [ptr, ctypes.c_char_p, ctypes.c_int, ctypes.c_int64, ptr]
    lib.de265_flush_data.argtypes = [ptr]
    lib.de265_decode.argtypes = [ptr, ctypes.POINTER(ctypes.c_int)]
    lib.de265_peek_next_picture.argtypes = [ptr]
    lib.de265_peek_next_picture.restype = ptr
    lib.de265_release_next_picture.argtypes = [ptr]
    lib.de265_get_image_plane.argtypes = [ptr, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.de265_get_image_plane.restype = ptr
    for name in ("de265_get_image_width", "de265_get_image_height", "de265_get_bits_per_pixel"):
        getattr(lib, name).argtypes = [ptr, ctypes.c_int]
    lib.de265_get_warning.argtypes = [ptr]
    lib.de265_get_error_text.restype = ctypes.c_char_p
    return lib


def _hvcc_nals(config: bytes) -> tuple[list[bytes], int]:
    """The parameter-set NAL units of an ``hvcC`` box body and the byte length of the item's NAL size prefixes
    (ISO/IEC 14496-15, 8.3.3.1)."""
    if len(config) < 23:
        raise ValueError("hvcC shorter than its fixed part")
    nals, pos = [], 23
    for _ in range(config[22]):
        count = _uint(config, pos + 1, 2)
        pos += 3
        for _ in range(count):
            length = _uint(config, pos, 2)
            nals.append(config[pos + 2 : pos + 2 + length])
            pos += 2 + length
    return nals, (config[21] & 3) + 1


def _hevc_error(config: bytes, data: bytes) -> str | None:
    lib = _libde265()
    if lib is None:  # FFmpeg's HEVC decoder: it reports broken NAL framing, not a desynchronised slice
        return _ffmpeg_error("hevc", config, data)
    try:
        params, prefix = _hvcc_nals(config)
    except ValueError as exc:
        return str(exc)
    nals: list[bytes] = []
    pos = 0
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + prefix], "big")
        pos += prefix
        if length == 0 or pos + length > len(data):
            return f"a NAL unit declares {length:,} bytes where {max(0, len(data) - pos):,} are left"
        nals.append(data[pos : pos + length])
        pos += length
    error, picture = _de265(lib, params + nals)
    if error or picture is None:
        return error
    # A slice whose coded data was overwritten usually decodes to a wrong end: libde265 warns. But the garbage can
    # also decode an early end-of-slice flag, leaving the rest of the picture undecoded without a word (11 of 265
    # damaged copies measured). The slice's later bytes are then never read: changing them changes nothing. The
    # probe sits before the slice's last PROBE_END_SHARE, not at its very end: a Samsung HEIC's auxiliary image
    # ends its slice with 21 bytes no decoder reads (cabac_zero_words and padding), which a healthy file may do.
    slices = [i for i, nal in enumerate(nals) if (nal[0] >> 1) & 63 < 32 and len(nal) >= PROBE_MIN_SLICE]
    for index in slices[-MAX_SLICES_PROBED:]:
        nal = nals[index]
        end = len(nal) - max(PROBE_END_MIN, int(len(nal) * PROBE_END_SHARE))
        probe = list(nals)
        probe[index] = nal[: end - PROBE_BYTES] + bytes(b ^ 0xFF for b in nal[end - PROBE_BYTES : end]) + nal[end:]
        error, changed = _de265(lib, params + probe)
        if not error and changed == picture:
            return (f"a slice ends before its data does ({len(nal) - end + PROBE_BYTES:,} or more of its "
                    f"{len(nal):,} bytes are never read: the picture after the damage is not decoded)")
    return None


def _de265(lib: ctypes.CDLL, nals: list[bytes]) -> tuple[str | None, str | None]:
    """Decode NAL units with libde265: (the first error or data warning, a digest of the decoded picture)."""
    ctx = lib.de265_new_decoder()
    if not ctx:
        return None, None
    digest = hashlib.blake2b(digest_size=16)
    try:
        for nal in nals:
            lib.de265_push_NAL(ctx, nal, len(nal), 0, None)
        lib.de265_flush_data(ctx)
        more, pictures = ctypes.c_int(1), 0
        while more.value:
            code = lib.de265_decode(ctx, ctypes.byref(more))
            while image := lib.de265_peek_next_picture(ctx):
                pictures += 1
                _hash_planes(lib, image, digest)
                lib.de265_release_next_picture(ctx)
            if code == _DE265_WAITING:
                break
            if code in (_DE265_OUT_OF_MEMORY, _DE265_SIZE_LIMIT):
                return None, None  # not about the data; the picture's own decode meets the same limit
            if code not in (_DE265_OK, _DE265_QUEUE_FULL):
                return lib.de265_get_error_text(code).decode("ascii", "replace"), None
        warnings = []
        while (code := lib.de265_get_warning(ctx)) != _DE265_OK and len(warnings) < 64:
            if code not in _DE265_BENIGN:
                warnings.append(lib.de265_get_error_text(code).decode("ascii", "replace"))
        if warnings:
            return warnings[0], None
        return (None, digest.hexdigest()) if pictures else ("no picture decoded", None)
    finally:
        lib.de265_free_decoder(ctx)


def _hash_planes(lib: ctypes.CDLL, image: int, digest: hashlib._Hash) -> None:
    import numpy as np

    for channel in range(3):
        width, height = lib.de265_get_image_width(image, channel), lib.de265_get_image_height(image, channel)
        stride = ctypes.c_int(0)
        plane = lib.de265_get_image_plane(image, channel, ctypes.byref(stride))
        if not plane or width <= 0 or height <= 0 or stride.value <= 0:
            continue
        row = width * ((lib.de265_get_bits_per_pixel(image, channel) + 7) // 8)
        rows = np.ctypeslib.as_array(ctypes.cast(plane, ctypes.POINTER(ctypes.c_uint8)), shape=(height, stride.value))
        digest.update(np.ascontiguousarray(rows[:, :row]).tobytes())


# -- AV1: dav1d through FFmpeg -----------------------------------------------------------------------------------
def _av1_error(config: bytes, data: bytes) -> str | None:
    return _ffmpeg_error("libdav1d", config, data)


def _ffmpeg_error(codec: str, config: bytes, data: bytes) -> str | None:
    """Decode one coded picture with FFmpeg's ``codec`` and error detection on: ``err_detect=explode`` makes a
    detected error fail the decode instead of being concealed, ``strict=very`` lets dav1d refuse what the AV1
    specification forbids (it then also checks what follows the coded data)."""
    import av

    ctx = av.CodecContext.create(codec, "r")
    ctx.extradata = config
    ctx.thread_count = 1
    ctx.options = {"err_detect": "explode", "strict": "very"}
    try:
        frames = list(ctx.decode(av.Packet(data)))
        frames += list(ctx.decode(None))
    except av.error.MemoryError:
        return None
    except av.error.FFmpegError as exc:
        return f"the {codec} decoder rejects it: {exc.strerror or type(exc).__name__}"
    if not frames:
        return "no picture decoded"
    return "the decoder marks the picture corrupt" if any(f.is_corrupt for f in frames) else None


def check_still(path: Path) -> None:
    """Raise ``FrameError`` (the visual stage's error: exit 1, a ``stage_error`` finding) when ``path`` is a
    HEIF/AVIF still whose coded picture data is damaged; nothing for any other file."""
    from provenance.sniff import sniff
    from provenance.visual.frames import FrameError

    try:
        with path.open("rb") as fh:
            if sniff(fh.read(512)) != "heif":
                return
    except OSError:
        return
    found = damage(path)
    if found is not None:
        raise FrameError(f"picture not compared: {found.reason()}")
