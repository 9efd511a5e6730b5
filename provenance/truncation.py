"""Whether a file's own structure says its end is missing: cut short (a download or copy that stopped) or its
last part overwritten (zeros where a recording was never finished).

A decoder meets a cut tail as the end of the stream, without an error: a faststart MP4 or a Matroska file cut by
its last 10% decoded to 9.0 s of 10.0 s, within ``coverage.TAIL_S`` of the declared end, and a JPEG whose last
10% is zeros decoded into a picture with a grey band; all three reports read as complete (issue 14, round 8
lows). The container says more: an MP4's top-level box, or a Matroska Segment, declares a size that runs past
the file's end; a JPEG picture (a still, a raw MJPEG frame, a multipart recording's part) has no end-of-image
marker. Those are read here from a few headers and the file's tail, linear in neither the file nor its boxes
(``_MAX_TOP_BOXES``): the visual stage says the file is cut where its decoder stopped (``coverage.measure``'s
``cut``) and a still's pixels are refused as a JPEG with a broken data stream is.

Light: standard library only (sniff and the visual stage import it).
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path

# Top-level ISO BMFF boxes read before giving up (an MP4 has a handful: ftyp, moov, mdat, free, uuid; a
# fragmented one two per fragment, ~1 a second): a bound on the walk, not a limit a real file reaches
_MAX_TOP_BOXES = 100_000
# Bytes read from a JPEG-based file's end for its last picture's markers: a 4K MJPEG frame is 1-2 MB
_JPEG_TAIL = 8 << 20
# Bytes after a multipart recording's last picture that are its closing boundary and headers, not data: the
# visual stage's rule (``visual.frames._MULTIPART_TAIL``, tens of bytes written; 1 KiB allowed)
_CLOSING_BYTES = 1024
# A run of NUL bytes this long at a file's end is said (overwritten, or space allocated and never written): no
# container ends in one, and a JPEG's data never holds 512 zero bytes in a row after its last marker
_ZERO_RUN = 512


def cut_reason(path: Path, fmt: str | None) -> str | None:
    """Why ``path`` (of FFmpeg demuxer or sniffed format ``fmt``) is cut short or has its end overwritten, in
    one phrase ("the file is cut: its 'mdat' box declares ... past the file's end at byte ..."), or None when its
    structure says nothing is missing (or says nothing: a format without a declared size)."""
    name = (fmt or "").split(",")[0]
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            if name in ("mov", "mp4", "iso-bmff", "quicktime"):
                why = _isobmff(fh, size)
            elif name in ("matroska", "webm"):
                why = _matroska(fh, size)
            elif name in ("mjpeg", "mpjpeg", "jpeg", "jpeg_pipe"):
                why = _jpeg_tail(fh, size)
            else:
                return None
            if why is None:
                return None
            zeros = _zero_run(fh, size)
    except (OSError, ValueError, struct.error):
        return None
    if zeros < _ZERO_RUN:
        return why
    return (why.replace("the file is cut:", "the file is cut or its end overwritten:", 1)
            + f"; its last {zeros:,} bytes are zeros (overwritten, or never written)")


def _isobmff(fh, size: int) -> str | None:  # type: ignore[no-untyped-def]
    """A top-level box whose declared size runs past the file's end (ISO/IEC 14496-12, 4.2: size 1 is a 64-bit
    size after the type, size 0 runs to the end of the file)."""
    offset = boxes = 0
    while offset + 8 <= size and boxes < _MAX_TOP_BOXES:
        fh.seek(offset)
        head = fh.read(16)
        if head[:8] == bytes(8) and size - offset >= _ZERO_RUN and _zero_run(fh, size) >= size - offset:
            # no box is 8 NUL bytes (a size of 0 runs to the end, but a type is four characters): the file's
            # last part, its index (moov) among it when written last, is zeros
            return (f"the file is cut or its end overwritten: from byte {offset:,}, where a box should start, it "
                    "is zeros")
        box_size, kind = struct.unpack(">I4s", head[:8])
        if box_size == 1:
            if len(head) < 16:
                return None
            box_size = struct.unpack(">Q", head[8:16])[0]
        elif box_size == 0:
            return None
        if box_size < 8:
            return None  # not a box: damage the demuxer reports, not a cut
        if offset + box_size > size:
            shown = kind.decode("latin-1") if kind.isascii() and kind.isalnum() else kind.hex()
            return (f"the file is cut: its '{shown}' box declares {box_size:,} bytes from byte {offset:,}, "
                    f"{offset + box_size - size:,} past the file's end at byte {size:,}")
        offset += box_size
        boxes += 1
    return None


_EBML_ID, _SEGMENT_ID = b"\x1a\x45\xdf\xa3", b"\x18\x53\x80\x67"


def _vint(data: bytes, at: int) -> tuple[int, int, bool] | None:
    """An EBML variable-size integer at ``at``: (value, its length, all value bits set: "unknown size")."""
    if at >= len(data) or data[at] == 0:
        return None
    length = 9 - data[at].bit_length()
    if at + length > len(data):
        return None
    value = data[at] & (0xFF >> length)
    for b in data[at + 1:at + length]:
        value = (value << 8) | b
    return value, length, value == (1 << (7 * length)) - 1


def _matroska(fh, size: int) -> str | None:  # type: ignore[no-untyped-def]
    """A Segment whose declared size runs past the file's end (Matroska: the EBML header, then the Segment; a
    live recording writes an unknown size, which says nothing)."""
    head = fh.read(4096)
    if not head.startswith(_EBML_ID):
        return None
    ebml = _vint(head, 4)
    if ebml is None:
        return None
    at = 4 + ebml[1] + ebml[0]
    if head[at:at + 4] != _SEGMENT_ID:
        return None
    seg = _vint(head, at + 4)
    if seg is None or seg[2]:
        return None
    start = at + 4 + seg[1]
    if start + seg[0] <= size:
        return None
    return (f"the file is cut: its Matroska Segment declares {seg[0]:,} bytes from byte {start:,}, "
            f"{start + seg[0] - size:,} past the file's end at byte {size:,}")


def _jpeg_tail(fh, size: int) -> str | None:  # type: ignore[no-untyped-def]
    """The last JPEG picture in the file (a still, a raw MJPEG clip's last frame, a multipart recording's last
    part) has no end-of-image marker (EOI, FF D9; ITU-T T.81 B.2.1), or more than a closing boundary follows it.

    Inside entropy-coded data an FF byte is always followed by 00 or a restart marker (B.1.1.5), so the last
    FF D9 in the file is the last picture's end and an SOI (FF D8 FF) after it starts a picture that never ends.
    """
    start = max(0, size - _JPEG_TAIL)
    fh.seek(start)
    tail = fh.read()
    eoi = tail.rfind(b"\xff\xd9")
    soi = tail.rfind(b"\xff\xd8\xff")
    if eoi < 0 and soi < 0:
        return None  # the last picture is longer than the window: not judged
    if soi > eoi:
        return (f"the file is cut: its last picture (from byte {start + soi:,}) has no end-of-image marker: its "
                f"data stops at the file's end at byte {size:,}")
    after = tail[eoi + 2:]
    if len(after) > _CLOSING_BYTES and not after.strip(b"\x00"):
        return f"{len(after):,} bytes of zeros follow its last picture (at byte {start + eoi + 2:,})"
    return None


def _zero_run(fh, size: int) -> int:  # type: ignore[no-untyped-def]
    """How many NUL bytes the file ends with (counted over its last 16 MiB at most)."""
    window = min(size, 16 << 20)
    if window == 0:
        return 0
    with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        tail = data[size - window:]
    return len(tail) - len(tail.rstrip(b"\x00"))


def still_jpeg_cut(path: Path) -> str | None:
    """Why a JPEG still's first picture is cut or overwritten, or None: its data runs to the end of the file
    without an end-of-image marker (``sniff.jpeg_end`` finds none). Pillow decodes a picture whose last part is
    zeros without an error (the zeros are valid coded data: a grey band), so it was hashed as if whole."""
    from provenance.sniff import jpeg_end

    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            if fh.read(3) != b"\xff\xd8\xff":
                return None
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
                if jpeg_end(data) is not None:
                    return None
            zeros = _zero_run(fh, size)
    except (OSError, ValueError):
        return None
    said = f"; its last {zeros:,} bytes are zeros (overwritten, or never written)" if zeros >= _ZERO_RUN else ""
    return f"the picture is cut or its end overwritten: its data runs to the file's end at byte {size:,} with no " \
           f"end-of-image marker{said}"
