"""Which files are media, by content: walking folders, magic bytes, extension, and an FFmpeg probe.

Names lie (a clip saved as ``.dat``, a text file called ``.mp4``), so a file is judged first by its first bytes,
then by its extension, and an unknown binary file last by FFmpeg's prober. Nothing here decodes pictures:
``media.probe`` does that for the files that are verified. Light to import: PyAV loads only for the probe.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

_VIDEO_EXT = "mp4 m4v mov qt 3gp 3g2 mkv webm avi wmv asf flv f4v ts mts m2ts mpg mpeg vob ogv mxf dv rm r3d wtv moi"
_IMAGE_EXT = "jpg jpeg jpe png gif bmp tif tiff webp heic heif avif dng jp2 cr3 jxl"
_AUDIO_EXT = "mp3 m4a aac wav flac ogg oga opus wma amr aif aiff caf"
_EXTENSIONS = frozenset(f"{_VIDEO_EXT} {_IMAGE_EXT} {_AUDIO_EXT}".split())
_FTYP_STILL = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}
# Bytes read to identify a file: every signature below (MPEG-TS's third sync byte at 376) and a PDF header
# anywhere in the first 1,024 bytes (PDF_HEADER_WINDOW)
HEAD_BYTES = 1024
# an unknown binary file shorter than this is not asked of FFmpeg (every container's header fits in it)
_ASK_FFMPEG_MIN_BYTES = 512
# PDF readers accept the "%PDF-" header anywhere in a file's first 1,024 bytes (Adobe's PDF Reference,
# Appendix H "Implementation notes", note on section 3.4.1; Acrobat and poppler alike): a BOM, NULs or a text line
# before it leave a document any reader opens (issue 14 round 5, N1: such a PDF was a 25 fps MJPEG "video")
PDF_HEADER_WINDOW = 1024


# The WTV header GUID (Windows Media Center's "WTV_FILE" identifier, as FFmpeg's wtv demuxer and ExifTool test it).
_WTV_GUID = bytes.fromhex("b7d800203749da11a64e0007e95ead8d")
MOI_HEAD = 14  # bytes ``is_moi`` needs: version, file size, date


def is_moi(head: bytes) -> bool:
    """An MOI index (JVC, Canon, Panasonic camcorders): ``V6``, the size (uint32) at 2, then year (uint16), month,
    day, hour, minute and ms-of-minute (uint16), big-endian, as ExifTool's MOI module reads them. ``V6`` alone would
    match text; the date fields leave a random match about 1 in 10^4 after it."""
    if len(head) < MOI_HEAD or head[:2] != b"V6":
        return False
    year, month, day, hour, minute = int.from_bytes(head[6:8], "big"), head[8], head[9], head[10], head[11]
    ms = int.from_bytes(head[12:14], "big")
    return 1990 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and ms < 60000


def is_c2pa_store(head: bytes) -> bool:
    """A standalone C2PA manifest store (``.c2pa``): a JUMBF superbox whose description box is labelled ``c2pa``
    (C2PA 2.1, section 11.1.4). It describes media held elsewhere; it holds none."""
    return len(head) >= 24 and head[4:8] == b"jumb" and head[12:16] == b"jumd" and head[16:20] == b"c2pa"


def is_multipart_jpeg(head: bytes) -> bool:
    """A multipart MJPEG recording (RFC 2046 multipart as IP cameras stream it, HTTP multipart/x-mixed-replace):
    a boundary line "--name", MIME header lines, one of them "Content-Type: image/jpeg", a blank line, then a JPEG
    (SOI, FF D8). The header and the JPEG start are the structure FFmpeg's mpjpeg demuxer reads; text alone is not
    enough."""
    if not head.startswith(b"--") or (b"\r\n\r\n" not in head[:512] and b"\n\n" not in head[:512]):
        return False
    end = head.find(b"\r\n\r\n")
    end, skip = (end, 4) if end >= 0 else (head.find(b"\n\n"), 2)
    header = head[:end].lower()
    return b"content-type: image/jpeg" in header and head[end + skip:end + skip + 2] == b"\xff\xd8"


# Bytes read after a JPEG's end for what follows it: Samsung writes a "MotionPhoto_Data" marker and padding
# before its clip; Google's clip starts right at the end (MicroVideoOffset). 64 KiB covers both with room.
_TRAILER_SEARCH = 65536


def jpeg_end(data: bytes | memoryview | object, start: int = 0) -> int | None:
    """The offset just past the EOI marker of the JPEG starting at ``start`` in ``data`` (bytes or an mmap, SOI
    there), or None when it has none: marker segments are skipped by their lengths and entropy-coded data to
    the next marker that is neither a stuffed FF 00 nor a restart (ITU-T T.81, B.1.1.2-B.1.1.5), so an EOI
    inside an EXIF thumbnail or a scan's bytes is never taken for the end."""
    find = data.find  # type: ignore[attr-defined]
    n = len(data)  # type: ignore[arg-type]
    if n < start + 4 or data[start] != 0xFF or data[start + 1] != 0xD8:  # type: ignore[index]
        return None
    pos = start + 2
    while pos + 2 <= n:
        if data[pos] != 0xFF:  # type: ignore[index]
            return None
        marker = data[pos + 1]  # type: ignore[index]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return pos + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        if pos + 4 > n:
            return None
        length = int.from_bytes(data[pos + 2:pos + 4], "big")  # type: ignore[index]
        if length < 2:
            return None
        pos += 2 + length
        if marker == 0xDA:  # a scan: its entropy-coded data runs to the next real marker
            while True:
                pos = find(b"\xff", pos)
                if pos < 0 or pos + 1 >= n:
                    return None
                nxt = data[pos + 1]  # type: ignore[index]
                if nxt == 0 or 0xD0 <= nxt <= 0xD7 or nxt == 0xFF:
                    pos += 1 if nxt == 0xFF else 2
                    continue
                break
    return None


def after_jpeg(path: Path) -> tuple[int, bytes] | None:
    """For a file that starts as a JPEG: (offset of the first JPEG's end, the next 16 bytes there), or None when
    it is no JPEG, has no complete first picture or cannot be read. What follows tells a concatenated-JPEG MJPEG
    clip (another SOI) and a motion photo (an MP4's ``ftyp`` box) from a still with padding."""
    import mmap

    try:
        with path.open("rb") as fh:
            if fh.read(3) != b"\xff\xd8\xff":
                return None
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
                end = jpeg_end(data)
                if end is None:
                    return None
                sos = data.find(b"\xff\xda", 0, end)
                if data.find(b"MPF\x00", 0, sos if sos > 0 else end) >= 0:
                    # CIPA DC-007 Multi-Picture Format (an APP2 "MPF" segment): the JPEGs after this one are the
                    # camera's own previews or a stereo pair (MPO), pictures of one shot, not frames of a clip
                    return end, b""
                return end, bytes(data[end:end + _TRAILER_SEARCH])
    except (OSError, ValueError):
        return None


def embedded_video_offset(path: Path) -> int | None:
    """Where an MP4 appended to a JPEG starts (a phone's motion photo: Google's MicroVideo / MotionPhoto, Samsung's
    MotionPhoto, the clip right after the picture or after a short marker), or None: an ISO BMFF ``ftyp`` box
    within ``_TRAILER_SEARCH`` bytes after the first picture's EOI (issue 14 round 6, D3: the clip was never
    examined and the file got a plain "No match"). A clip further on, where the photo's XMP puts it, is
    ``visual.embedded.offset``'s: reading XMP is the metadata package's, which imports this module."""
    found = after_jpeg(path)
    if found is None:
        return None
    end, tail = found
    at = _first_ftyp(tail)
    return None if at is None else end + at


def ftyp_after(path: Path, start: int) -> int | None:
    """Where an ISO BMFF ``ftyp`` box starts within ``_TRAILER_SEARCH`` bytes from byte ``start`` of ``path``, or
    None: a motion photo's clip after the last of an MPF file's pictures (its gain map or preview)."""
    try:
        with path.open("rb") as fh:
            fh.seek(start)
            tail = fh.read(_TRAILER_SEARCH)
    except (OSError, ValueError):
        return None
    at = _first_ftyp(tail)
    return None if at is None else start + at


def _first_ftyp(tail: bytes) -> int | None:
    """The offset in ``tail`` of the first ``ftyp`` box: a box size of 16 or more, then a printable major brand."""
    at = tail.find(b"ftyp")
    while at >= 4:
        size = int.from_bytes(tail[at - 4:at], "big")
        if size >= 16 and tail[at + 4:at + 8].isascii():
            return at - 4
        at = tail.find(b"ftyp", at + 1)
    return None


@dataclass(frozen=True)
class Picture:
    """One JPEG picture of a file of JPEGs back to back: its bytes [start, end) (end None: it has no EOI before
    the file's end) and its frame size from its SOF header (None when unread)."""

    start: int
    end: int | None
    size: tuple[int, int] | None


# JPEGs back to back that make a clip: a raw MJPEG is a stream of frames of one size, hundreds of them; a still
# with one more picture appended (a preview, a second photo pasted on by a tool) is two. Three of one size are a
# clip; fewer, or a second picture of another size, are a still with pictures appended (issue 14 round 8, low a:
# a JPEG with another appended was reported as a 2-frame 25 fps video)
CLIP_MIN_PICTURES = 3


def jpeg_pictures(path: Path, most: int) -> list[Picture]:
    """The JPEG pictures of ``path`` back to back from its first byte (each starting, FF D8 FF, where the one
    before ended), at most ``most``; the last may be incomplete (``Picture.end`` None). [] for a file that is no
    JPEG or cannot be read. Linear in the pictures read (``jpeg_end``)."""
    import mmap

    out: list[Picture] = []
    try:
        with path.open("rb") as fh:
            if fh.read(3) != b"\xff\xd8\xff":
                return []
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
                at = 0
                while len(out) < most and data[at:at + 3] == b"\xff\xd8\xff":
                    end = jpeg_end(data, at)
                    out.append(Picture(at, end, jpeg_size(data, at)))
                    if end is None:
                        break
                    at = end
    except (OSError, ValueError):
        return out
    return out


def jpeg_size(data: bytes | object, start: int = 0) -> tuple[int, int] | None:
    """(width, height) from the first SOF marker of the JPEG starting at ``data[start]`` (bytes or an mmap; ITU-T
    T.81, B.2.2: SOF0-SOF15 but DHT C4, JPG C8 and DAC CC), or None when its header has none before the first
    scan."""
    pos, n = start + 2, len(data)  # type: ignore[arg-type]
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xD9, 0xDA) or 0xD0 <= marker <= 0xD7:
            return None
        length = int.from_bytes(bytes(data[pos + 2:pos + 4]), "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if pos + 9 > n:
                return None
            height = int.from_bytes(bytes(data[pos + 5:pos + 7]), "big")
            width = int.from_bytes(bytes(data[pos + 7:pos + 9]), "big")
            return (width, height) if width and height else None
        if length < 2:
            return None
        pos += 2 + length
    return None


def appended_jpegs(path: Path, most: int) -> list[Picture]:
    """The JPEG pictures appended after a still's own (at most ``most``), complete ones only: a still, when
    they are fewer than ``CLIP_MIN_PICTURES`` in all or not of its size (else ``is_mjpeg``). [] when none follow,
    and when the first picture declares what follows it (an MPO's MPF header: its own pictures, which Pillow
    reads; Google's Container: an Ultra HDR gain map)."""
    found = after_jpeg(path)
    if found is None or not found[1].startswith(b"\xff\xd8\xff") or _declares_container(path):
        return []
    pictures = jpeg_pictures(path, most + 1)
    if _is_clip(pictures):
        return []
    return [p for p in pictures[1:] if p.end is not None]


def _is_clip(pictures: list[Picture]) -> bool:
    """JPEGs back to back are a clip: at least ``CLIP_MIN_PICTURES`` of them (the last may be cut), the first
    ones all of one frame size."""
    if len(pictures) < CLIP_MIN_PICTURES:
        return False
    sizes = {p.size for p in pictures[:CLIP_MIN_PICTURES]}
    return len(sizes) == 1 and None not in sizes


def is_mjpeg(path: Path) -> bool:
    """A raw MJPEG clip (an IP camera's or CCTV export's ``.mjpeg``: JPEGs back to back): a JPEG whose first
    picture is followed by others that start a JPEG (FF D8 FF), ``CLIP_MIN_PICTURES`` of one size at least (fewer
    are a still with pictures appended: ``appended_jpegs``). Pillow reads only the first picture as a still;
    FFmpeg's mjpeg demuxer reads every one (issue 14 round 6, D1). Not when the first picture's XMP declares a
    container of items (Google's Container:Directory: an Ultra HDR gain map, a motion photo's clip): the JPEG
    after it is the same shot's gain map, not a frame (issue 14 round 7, N2)."""
    found = after_jpeg(path)
    return (found is not None and found[1].startswith(b"\xff\xd8\xff")
            and not _declares_container(path) and _is_clip(jpeg_pictures(path, CLIP_MIN_PICTURES)))


# Google's Container namespace: a JPEG whose XMP uses it declares the items appended after it (Motion Photo 1.0,
# Ultra HDR 1.0); read only from the first picture's header, at most this many bytes (APP1 segments are 64 KiB
# each; a header with Extended XMP over several is still well under it)
_CONTAINER_NS = b"http://ns.google.com/photos/1.0/container/"
_JPEG_HEADER_MAX = 1 << 20


def _declares_container(path: Path) -> bool:
    """Whether the first picture's header (the segments before its first scan, at most ``_JPEG_HEADER_MAX``
    bytes) names Google's Container namespace. A byte search, not an XMP parse: the namespace URI is written out
    in any XMP packet that uses it, and this module stays below the metadata package (which imports it)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_JPEG_HEADER_MAX)
    except OSError:
        return False
    sos = head.find(b"\xff\xda")
    return _CONTAINER_NS in (head[:sos] if sos > 0 else head)


def ffmpeg_format(path: Path) -> str | None:
    """The demuxer FFmpeg must be told to use for ``path`` (None: its own probe decides). FFmpeg's prober takes a
    file of concatenated JPEGs for one picture (``jpeg_pipe``); it is a clip for the ``mjpeg`` demuxer."""
    return "mjpeg" if is_mjpeg(path) else None


def why_ignored(path: Path) -> str:
    """Why ``identify`` found no media in ``path``, in a few words for a batch's list of ignored files. Reads the
    first bytes only (no FFmpeg): the list may hold thousands of files."""
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if is_c2pa_store(head):
        return "C2PA manifest store, not media (it describes a media file kept elsewhere)"
    if not head:
        return "empty file, not media"
    if b"\x00" not in head:
        return "text, not media"
    return "not a media file (no media signature, and FFmpeg finds no stream that decodes)"


def sniff(head: bytes) -> str | None:
    """The container format the first bytes announce (magic numbers), or None when nothing media-like."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"crx ":
            return "cr3"  # Canon raw photo: ISO BMFF boxes around CRAW tracks FFmpeg has no decoder for
        return "heif" if brand in _FTYP_STILL else "m4a" if brand in (b"M4A ", b"M4B ") else "iso-bmff"
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "quicktime"
    signatures = (
        (b"\xff\xd8\xff", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
        (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"), (b"\x1aE\xdf\xa3", "matroska"), (b"FLV\x01", "flv"),
        (b"OggS", "ogg"), (b"fLaC", "flac"), (b"ID3", "mp3"), (b"#!AMR", "amr"), (b"caff", "caf"),
        (b"\x00\x00\x01\xba", "mpeg-ps"), (b"\x00\x00\x01\xb3", "mpeg-video"), (b"\x06\x0e\x2b\x34", "mxf"),
        (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "asf"), (b"\x00\x00\x00\x0cjP  ", "jpeg2000"),
        (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "jxl"), (b"\xff\x0a", "jxl"), (b".RMF\x00", "realmedia"),
        (b"\x76\x2f\x31\x01", "openexr"),  # OpenEXR's magic number (openexr.com, "OpenEXR File Layout")
    )
    for magic, name in signatures:
        if head.startswith(magic):
            return name
    if head.startswith(b"%PDF-"):
        # a PDF document (ISO 32000-1, 7.5.2: the header line "%PDF-1.n"): FFmpeg's prober guesses a raw MJPEG
        # stream from its first embedded JPEG, and the document was verified as a 25 fps "video" of one picture
        # (issue 14 round 4, H2); media.probe reports it as a document whose pictures are not examined
        return "pdf"
    if head.startswith(b"YUV4MPEG2 "):
        return "y4m"  # YUV4MPEG2 raw video: its header line is the magic (FFmpeg's yuv4mpegpipe demuxer probes it)
    if is_multipart_jpeg(head):
        return "mpjpeg"  # an IP camera's HTTP multipart/x-mixed-replace recording (issue 14 round 6, D7)
    if head.startswith(_WTV_GUID):
        return "wtv"  # Windows Media Center recording: FFmpeg's demuxer fails on many; ExifTool reads its tags
    if is_moi(head):
        return "moi"  # a camcorder's MOD/TOD index: the clip's capture time and length, no pictures
    if len(head) >= 8 and head[4:8] in (b"RED1", b"RED2"):
        return "r3d"  # RED camera raw video
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {b"AVI ": "avi", b"WAVE": "wav", b"WEBP": "webp"}.get(head[8:12])
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if len(head) > 376 and head[0] == head[188] == head[376] == 0x47:
        return "mpeg-ts"
    if len(head) > 388 and head[4] == head[196] == head[388] == 0x47:  # M2TS/MTS/AVCHD: 4-byte timecode first
        return "mpeg-ts"
    at = head.find(b"%PDF-", 0, PDF_HEADER_WINDOW)
    if at > 0 and pdf_prefix_tolerated(head[:at]):
        return "pdf"  # bytes before the header (PDF_HEADER_WINDOW): a document all the same
    if len(head) >= 3 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:  # an audio frame sync
        version, layer, bitrate = (head[1] >> 3) & 3, (head[1] >> 1) & 3, head[2] >> 4
        if layer == 0 and head[1] & 0xF6 == 0xF0:
            return "aac-adts"
        if version != 1 and layer != 0 and bitrate not in (0, 15):
            return "mpeg-audio"
    return None


_BOMS = (b"\xef\xbb\xbf", b"\xfe\xff", b"\xff\xfe")
_BLANK = b"\x00 \t\r\n\f"


def pdf_prefix_tolerated(prefix: bytes) -> bool:
    """Whether ``prefix``, the bytes before a "%PDF-" header, are what PDF readers skip: a byte-order mark, NULs,
    whitespace and at most one line of printable text ended by a line break (a mail or HTTP header line, an
    editor's BOM). Anything else before it (binary data, a header the line continues: "YUV4MPEG2 ... XCOMMENT=
    %PDF-1.4") is not a prefix but the content of some other format, which FFmpeg judges (issue 14 round 6, D2:
    raw H.264 behind a 30-byte SEI holding "%PDF-1.4" was called a document and its frames never compared)."""
    if prefix.startswith((b"YUV4MPEG2", b"\x00\x00\x00\x01", b"\x00\x00\x01")):
        return False  # a Y4M header or an Annex-B start code (ITU-T H.264, B.2) at byte 0: footage's own magic
    for bom in _BOMS:
        if prefix.startswith(bom):
            prefix = prefix[len(bom):]
            break
    text = prefix.strip(_BLANK)
    if not text:
        return True
    if any((b < 0x20 and b != 0x09) or b == 0x7F for b in text):
        return False  # a control byte or a second line break inside: binary data or more than one line
    after = prefix[prefix.rindex(text) + len(text):]
    return b"\n" in after or b"\r" in after


def sniff_path(path: Path) -> str | None:
    """``sniff`` of the file's first ``HEAD_BYTES``; None when it names nothing or the file cannot be read."""
    try:
        with path.open("rb") as fh:
            return sniff(fh.read(HEAD_BYTES))
    except OSError:
        return None


def identify(path: Path) -> str | None:
    """How ``path`` is known to be media (``signature:jpeg``, ``extension:.mp4``, ``ffmpeg:<format>``), or None.

    A media extension is enough (a broken ``.mp4`` must become an error row, not vanish); an unknown binary file
    is asked of FFmpeg. Never raises: a file that cannot be read is judged by its name.
    """
    try:
        regular = stat.S_ISREG(path.stat().st_mode)
    except OSError:
        regular = False  # a broken or looping link: the extension decides, and hashing will report why
    head = b""
    if regular:  # never open a pipe or a device: the open itself can block for ever
        try:
            with path.open("rb") as fh:
                head = fh.read(HEAD_BYTES)
        except OSError:
            head = b""  # unreadable: the extension decides, and hashing will report why
    fmt = sniff(head)
    if fmt is not None:
        return f"signature:{fmt}"
    ext = path.suffix.lower().lstrip(".")
    if ext in _EXTENSIONS:
        return f"extension:.{ext}"
    if len(head) >= _ASK_FFMPEG_MIN_BYTES and b"\x00" in head:  # binary, unknown signature: ask FFmpeg
        return _ffmpeg_recognises(path, head)
    return None


# FFmpeg demuxers that judge a file by its structure (headers, sync words, box or chunk trees). Every other
# demuxer FFmpeg may pick for bytes without a known signature is a guess: raw formats chosen from the file's
# extension (``.bin`` -> "bintext", ``.al`` -> A-law audio, ``.nfo`` -> "tty") or a weak match of a few bytes
# (raw H.263), which turn any bytes into "video" or "audio". Measured on random bytes (300 files, 3 names
# each, and 64 KiB under each of FFmpeg 8.1's ~300 extensions): 114 opened with a stream, all through demuxers
# outside this set or ones whose first packets decode to no frame (``first_frame_decodes``).
_STRUCTURAL = """mov mp4 matroska webm avi asf flv mpegts mpegtsraw mpeg mpegvideo mxf mxf_d10 dv nut rm gxf ogg wav w64
    aiff caf au flac mp3 aac ac3 eac3 dts amr amrnb amrwb loas wv ape tta mpc mpc8 h264 hevc m4v vc1 mjpeg ivf obu
    image2 gif webm_dash_manifest"""
CONTENT_DEMUXERS = frozenset(_STRUCTURAL.split())
# Demuxers that find JPEG pictures by scanning the bytes: structural only when the file starts as a JPEG
_JPEG_SCANNERS = frozenset({"mjpeg", "mpjpeg", "jpeg_pipe"})
# Packets read for the first decodable frame: a raw H.264 export cut mid-GOP reaches its first keyframe within
# a GOP (2-10 s at 25 fps: 50-250 packets); random bytes give a few hundred packets per MB at most.
PROBE_PACKETS = 300


def raw_guess(format_name: str | None, head: bytes) -> str | None:
    """The demuxer's name when FFmpeg opened bytes without a known signature through a guessing demuxer, else None.

    Image pipes (``png_pipe``, ``tiff_pipe``...) probe the picture's own header and count as structural.
    """
    if sniff(head) is not None:
        return None
    name = (format_name or "").split(",")[0]
    if name in _JPEG_SCANNERS and not head.startswith(b"\xff\xd8"):
        # FFmpeg's raw MJPEG demuxer scans for an SOI marker anywhere: any file holding a JPEG (a document, an
        # archive) opens as a 25 fps "video" of it, the rest unseen (issue 14 round 5, N1). A JPEG stream starts
        # with SOI, FF D8 (ITU-T T.81, B.1.1.3)
        return name
    if name in CONTENT_DEMUXERS or name.endswith("_pipe"):
        return None
    return name or "unknown"


def first_frame_decodes(container: object, stream: object) -> bool:
    """Whether one frame of ``stream`` decodes within its first ``PROBE_PACKETS`` packets (errors count as none).

    For bytes FFmpeg accepted without a known signature: random data parsed as AAC, AC-3, DTS, MPEG-4 or VC-1
    packets opens, but decodes to nothing (measured: 0 frames on every random file tried).
    """
    import av

    try:
        for i, packet in enumerate(container.demux(stream)):  # type: ignore[attr-defined]
            if i >= PROBE_PACKETS:
                return False
            try:
                if packet.decode():
                    return True
            except (av.FFmpegError, ValueError):
                continue
        flushed = stream.codec_context.decode(None)  # type: ignore[attr-defined]
        return bool(flushed)
    except Exception:  # a demuxer failing on hostile bytes: no frame
        return False


def _ffmpeg_recognises(path: Path, head: bytes) -> str | None:
    """A last resort for unknown binary files: does FFmpeg's prober find a video or audio stream that decodes,
    through a demuxer that looked at the bytes' structure (not a raw format guessed from the name)?"""
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as c:
            stream = next((s for s in (*c.streams.video, *c.streams.audio) if s.codec_context is not None), None)
            if stream is None or raw_guess(c.format.name, head) is not None:
                return None
            if not first_frame_decodes(c, stream):
                return None
            return f"ffmpeg:{c.format.name.split(',')[0]}"
    except Exception:  # any failure means "not media we recognise"
        return None


def walk(folder: Path, skip: Iterable[Path] = ()) -> Iterator[Path]:
    """Files under ``folder``, recursively, sorted by name per folder; hidden entries skipped, and folders whose
    resolved path is in ``skip``. Symlinked folders are not followed (``os.walk``'s default)."""
    skip = set(skip)
    for here_name, dirs, files in os.walk(folder):
        here = Path(here_name)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (not skip or (here / d).resolve() not in skip))
        for name in sorted(files):
            if not name.startswith("."):
                yield here / name


# JPEG XL SizeHeader (ISO/IEC 18181-1, SizeHeader): U32 distributions of height/width minus 1, and the aspect
# ratios the 3-bit ``ratio`` field selects (1 to 7) as width = height * num // den.
_JXL_U32 = (9, 13, 18, 30)
_JXL_RATIOS = {1: (1, 1), 2: (12, 10), 3: (4, 3), 4: (3, 2), 5: (16, 9), 6: (5, 4), 7: (2, 1)}


def jxl_size(data: bytes) -> tuple[int, int] | None:
    """A JPEG XL file's declared (width, height) from its first bytes (the bare code stream, or the ``jxlc`` /
    first ``jxlp`` box of the container), without decoding: libjxl's Pillow plugin decodes the whole picture when
    it opens a file (98 MP: 1.46 GB), so the size must be known before Pillow sees it. None when not readable."""
    stream = data
    if data.startswith(b"\x00\x00\x00\x0cJXL \r\n\x87\n"):
        pos, stream = 0, b""
        while pos + 8 <= len(data):
            size, kind = int.from_bytes(data[pos:pos + 4], "big"), data[pos + 4:pos + 8]
            header = 8
            if size == 1 and pos + 16 <= len(data):
                size, header = int.from_bytes(data[pos + 8:pos + 16], "big"), 16
            if kind in (b"jxlc", b"jxlp"):
                stream = data[pos + header + (4 if kind == b"jxlp" else 0):]
                break
            if size < header:
                return None
            pos += size
    if not stream.startswith(b"\xff\x0a") or len(stream) < 12:
        return None
    bits = int.from_bytes(stream[2:12], "little")
    at = 0

    def u(n: int) -> int:
        nonlocal at
        value = (bits >> at) & ((1 << n) - 1)
        at += n
        return value

    def u32() -> int:
        return u(_JXL_U32[u(2)])

    small = u(1)
    height = (u(5) + 1) * 8 if small else u32() + 1
    ratio = u(3)
    if ratio:
        num, den = _JXL_RATIOS[ratio]
        width = height * num // den
    else:
        width = (u(5) + 1) * 8 if small else u32() + 1
    return width, height
