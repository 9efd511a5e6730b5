"""Frame sampling by presentation time, about one a second plus the first frame of every shot.

Decoding is the cost of the visual stage, so the decoder skips frames no other frame refers to
(``skip_frame="NONREF"``): they are never sampled precisely enough to matter at one frame a second, and with
B-frames they are a third or more of the stream. Only sampled frames are converted to RGB, straight to the
hashing size, by swscale.

Frames are turned upright before anything looks at them: a phone stores portrait video as a landscape stream
with a display matrix (``rotate`` 90/270), and a player turns it. The turn is read here, from each decoded
frame's display-matrix side data (PyAV ``VideoFrame.rotation``), not from the metadata stage, so hashes and
keypoints of the index and the query see the picture as it is shown. Turning the sampled frame (at most
512 px) costs about 0.1 ms.

Shot changes (``ShotDetector``): a 32x18 grey thumbnail of every decoded frame, from every k-th luma pixel. Whether
the picture changed is decided on thumbnails 0.2 s apart, as it always was (so the frames sampled, hashed and
matched are those of before); the change is then placed at the decoded frame it happens on, and a shot that
starts and ends between two such thumbnails (5 frames at 25 fps) is found from the frame-to-frame steps and
sampled (issue 18 D7: cuts came 0.1-0.2 s late, such shots were missed, and the text stage reads at these cuts).
A cut between two pictures of like tone that stays under the threshold is found as a step that stands out of the
calm ones before it and changes much of the picture (a soft cut: issue 12 round 7 H1, ``_SOFT_CUT_MIN``).
"""

from __future__ import annotations

import contextlib
import functools
import re
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import av
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter
from PIL import Image, ImageOps

from provenance.coverage import measure
from provenance.errors import ProvenanceError
from provenance.limits import BudgetExceeded, Deadline, Limits, current_deadline, decode_bound, shrunk_before_rgb
from provenance.report.model import StreamCoverage
from provenance.threads import decoder_threads, share
from provenance.truncation import cut_reason, still_jpeg_cut
from provenance.visual.config import FramesConfig

if TYPE_CHECKING:
    from types import ModuleType

    from provenance.media import MediaFile
    from provenance.sniff import Picture

cv2.setNumThreads(share())  # OpenCV's pool: this process's share of the cores (provenance/threads.py)
# OpenCV's own log ("[ WARN:0@0.255] global grfmt_tiff.cpp:811 ... can not handle images with 32-bit samples")
# went to stderr raw (issue 14 round 4 M2): a decoder it cannot read is reported in words by the caller
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)

HASH_SIZE = 512  # long side of the frames handed to hashing; index and query must use the same
DETAIL_SIZE = 1024  # long side of query keypoint frames (local features): footage inset at half size keeps detail
_THUMB = (32, 18)  # grey thumbnail compared between frames to find shot changes
_PLANAR_YUV = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12"}
# Luma samples per thumbnail cell and axis: the thumbnail averages every k-th luma pixel (k chosen so each cell
# still averages 8x8 = 64 of them), not all of them. On bench_frames' 720p clip that is 0.08 ms a frame against
# 2 ms for the full area average, at most 1.5 grey levels (0.006 of the 0-1 scale) from it: cheap enough to take
# a thumbnail of every decoded frame, so a cut is placed at the decoded frame it happens on.
_THUMB_SAMPLES = 8
# A change spread over frames (a dissolve, a whip pan) shows in no pair of neighbouring frames: thumbnails this
# far apart are compared too (the granularity of the detector before issue 18's D7, kept for these changes).
_THUMB_EVERY_S = 0.2
# Packets refused in a row before decoding gives up: a damaged stretch of a few seconds at 25-60 fps is 50-200
# packets (overwritten bytes in a 14.6-s clip: 49 refused over 2 s, then the next keyframe decoded); the same
# bound as the audio decoder's, and it keeps a file of garbage from being read to its end.
MAX_BAD_PACKETS = 200


class FrameError(ProvenanceError):
    """Frames could not be read; the message is one line for the user."""


@dataclass
class SampledFrame:
    t: float  # presentation time in seconds from the stream start
    rgb: np.ndarray  # HxWx3 uint8, long side <= HASH_SIZE
    shot_change: bool = False
    detail: np.ndarray | None = None  # keypoint frames only: RGB with long side <= DETAIL_SIZE, for local features


# Why sampling ended before the end of the stream: the [frames] max_frames cap on sampled frames, the [limits]
# max_frames_decoded cap on decoded frames, or an FFmpeg error after some frames had decoded (a damaged tail).
StopReason = Literal["max_frames", "max_frames_decoded", "decode_error"]


@dataclass
class FrameSample:
    frames: list[SampledFrame] = field(default_factory=list)  # empty when streamed (sample_video's on_frame)
    frames_sampled: int = 0
    rotation: int = 0  # display rotation applied to the frames, degrees counter-clockwise: 0, 90, 180 or 270
    frames_decoded: int = 0
    shot_changes: list[float] = field(default_factory=list)
    stopped_by: StopReason | None = None  # None: the whole stream was read
    stopped_at_s: float | None = None  # when stopped: presentation time of the last frame decoded (s)
    decode_error: str | None = None  # stopped_by "decode_error": FFmpeg's message, one line
    coverage: StreamCoverage | None = None  # the time ranges that decoded, against the declared duration
    # frames had no timestamps (a raw elementary stream): how they were timed, "25 fps (the stream's rate)" or
    # "25 fps (assumed: the stream declares no rate)"; None when they had timestamps
    untimed: str | None = None


def target_size(width: int, height: int, long_side: int = HASH_SIZE) -> tuple[int, int]:
    """Scale (width, height) so the long side is at most ``long_side``, keeping even dimensions."""
    scale = min(1.0, long_side / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def rgb8(img: Image.Image) -> Image.Image:
    """``img`` as 8-bit RGB. Pillow's ``convert("RGB")`` clips the 16-bit grey modes ("I;16", "I") at 255 instead
    of scaling them (issue 18 round 3: a 16-bit PNG sign came out 99.99% white); those modes and 32-bit float
    "F" are scaled to 0-255 by their range (65535 for 16 bits, 1.0 for floats at most 1), then converted."""
    if img.mode.startswith("I") or img.mode == "F":
        values = np.asarray(img, dtype=np.float32)
        top = float(values.max()) if values.size else 0.0
        full = 1.0 if img.mode == "F" and top <= 1.0 else 255.0 if top <= 255 else 65535.0 if top <= 65535 else top
        grey = np.clip(values * (255.0 / full), 0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    return img.convert("RGB")


def refuse_before_open(path: Path, max_pixels: int | None = None) -> None:
    """``FrameError`` for a still that opening alone would decode past the bounds: Pillow's JPEG XL opener decodes
    the whole picture to open it (98 MP: 1.46 GB), so its header's size is checked against ``max_pixels`` and
    the decode bound first. Any stage that opens stills with Pillow calls this before ``Image.open``."""
    from provenance.media import jxl_declared, jxl_opens

    if (declared := jxl_declared(path)) is not None:
        _check_pixels(*declared, max_pixels)
        if not jxl_opens(*declared):
            width, height = declared
            raise FrameError(f"cannot decode image: {width}x{height} ({width * height / 1e6:.0f} MP) JPEG XL would "
                             f"take more memory to decode than {decode_bound()}, or than what [limits] max_memory_mb "
                             "leaves, and JPEG XL has no reduced decode here")


def load_image(path: Path, *, max_pixels: int | None = None, long_side: int = HASH_SIZE) -> np.ndarray:
    """A still image as RGB with its long side at most ``long_side`` (hashing size; the text stage reads at its
    ``frame_size``), upright per its EXIF orientation (HEIC/HEIF through pillow-heif).

    Bounded by itself, whichever stage calls it: a picture whose header declares more than ``max_pixels``
    (``[limits] max_pixels``; None: the default profile's, 0: no limit) is refused with a ``FrameError`` naming
    the setting before anything is decoded, and so is one over Pillow's own decompression-bomb size.

    The decoder is chosen by what it would cost (``_plan``): Pillow when a full decode fits the decode memory
    bound, else one that decodes reduced; past the bound, or past what ``[limits] max_memory_mb`` leaves, the
    picture is refused with a ``FrameError`` naming the bound or the setting. A decoder failing under that
    setting on a picture near what it leaves is reported as out of memory, never as damaged data.
    Any decoder failure on hostile or truncated data (Pillow's plugins raise ``EOFError``, ``TypeError``,
    ``KeyError``...) is a ``FrameError``: the visual stage fails with one line, never an internal error.
    """
    from provenance.limits import memory_headroom
    from provenance.media import register_still_decoders

    register_still_decoders()
    refuse_before_open(path, max_pixels)
    if (cut := still_jpeg_cut(path)) is not None:  # decoded without an error into a grey band (truncation.py)
        raise FrameError(f"cannot decode image: {cut}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as img:
                _check_pixels(img.width, img.height, max_pixels)
                headroom = memory_headroom()
                plan = _plan(img, headroom)
                if headroom is not None and plan.need > headroom:  # the decoder would fail part-way, and
                    # libjpeg, libwebp and zlib report a failed allocation as a broken data stream
                    raise FrameError(_out_of_memory(img, plan, headroom))
                try:
                    return _decode(path, img, plan, long_side)
                except FrameError:
                    raise
                except Exception as exc:
                    if isinstance(exc, MemoryError) or (headroom is not None and plan.need * 1.5 >= headroom):
                        raise FrameError(_out_of_memory(img, plan, headroom)) from exc
                    raise
    except FrameError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow refuses twice its MAX_IMAGE_PIXELS (179 MP) at open
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(found.group(1)) / 1e6:.0f} MP" if found else "its size"
        raise FrameError(f"cannot decode image: its declared picture size of {size} is over the limit of "
                         f"{_pixel_limit(max_pixels) / 1e6:g} MP ([limits] max_pixels)") from None
    except Image.UnidentifiedImageError as exc:
        # a still FFmpeg decodes and Pillow does not (DDS variants, OpenEXR ...)
        rgb = _ffmpeg_picture(path, max_pixels, long_side)
        if rgb is None:
            raise FrameError("cannot decode image: no decoder reads its pixels (Pillow, pillow-heif, FFmpeg)") from exc
        return rgb
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        if isinstance(exc, OSError) and _is_webp(path):
            # Pillow's WebP plugin allocates libwebp's whole canvas when it opens the file (4 bytes a pixel):
            # under [limits] max_memory_mb a 98 MP one failed as "could not create decoder object". FFmpeg
            # decodes it scaled (limits.FFMPEG_STILL_BYTES_PER_PIXEL; ingest bounds its size by max_pixels).
            if (rgb := _ffmpeg_picture(path, max_pixels, long_side)) is not None:
                return rgb
            from provenance.limits import applied_memory_mb, memory_limit_note

            if applied_memory_mb():
                raise FrameError(f"cannot decode image: neither Pillow's WebP decoder nor FFmpeg's could start "
                                 f"under the memory limit ({memory_limit_note()}); raise it (or set 0) to compare "
                                 "its pixels") from exc
        if "ghostscript" in str(exc).lower():  # Pillow's "Unable to locate Ghostscript on paths" (round 4 L4)
            raise FrameError("cannot decode image: an EPS/PostScript picture is drawn by Ghostscript, which is not "
                             "installed here; install it (Debian: ghostscript) or export the picture as PNG or "
                             "JPEG and verify that") from exc
        raise FrameError(f"cannot decode image: {' '.join(str(exc).split())[:200] or type(exc).__name__}") from exc
    except MemoryError as exc:
        from provenance.limits import memory_limit_note

        raise FrameError(f"cannot decode image: out of memory ({memory_limit_note()})") from exc
    except Exception as exc:  # a plugin's failure on malformed data: not a bug of ours to show as one
        rgb = _ffmpeg_picture(path, max_pixels, long_side)
        if rgb is None:
            raise FrameError("cannot decode image: its data is malformed (the decoder failed)") from exc
        return rgb


# Stills whose pictures are pages of their own: a multi-page TIFF, an MPO, a JPEG with JPEGs appended after its
# end (``sniff.appended_jpegs``)
PAGED_CONTAINERS = ("tiff", "mpo", "jpeg")


def still_pages(media: MediaFile) -> range:
    """The pages of a still the visual stage examines (0-based): every page of a multi-page TIFF up to
    ``limits.MAX_STILL_PAGES`` (its page count is ``media.video.frames``, counted at ingest), else the one picture
    (an animated WebP's first frame: ``animated_first_frame_only``)."""
    from provenance.limits import MAX_STILL_PAGES

    pages = media.video.frames if media.video is not None and media.video.frames else 1
    return range(min(pages, MAX_STILL_PAGES)) if media.container in PAGED_CONTAINERS else range(1)


def load_page(path: Path, page: int, *, max_pixels: int | None = None, long_side: int = HASH_SIZE) -> np.ndarray:
    """Page ``page`` (0-based) of a multi-page TIFF as ``load_image`` gives page 1: RGB, long side at most
    ``long_side``, upright, bounded the same way (``max_pixels``, the decode plan, what ``[limits] max_memory_mb``
    leaves). Only Pillow seeks to a page: a later page too big to decode whole is refused (``FrameError``) rather
    than handed to OpenCV or FFmpeg, which read a file's first page."""
    from provenance.limits import memory_headroom

    if (cut := _tiff_cut_strips(path, page)) is not None:
        raise FrameError(f"cannot decode {f'page {page + 1}' if page else 'image'}: {cut}")  # "image": as load_image
    if page == 0:
        return load_image(path, max_pixels=max_pixels, long_side=long_side)
    if (appended := _appended_page(path, page)) is not None:
        with tempfile.TemporaryDirectory(prefix="provenance-picture-") as tmp:
            picture = Path(tmp) / "picture.jpg"
            with path.open("rb") as src:
                src.seek(appended.start)
                picture.write_bytes(src.read((appended.end or appended.start) - appended.start))
            try:
                return load_image(picture, max_pixels=max_pixels, long_side=long_side)
            except FrameError as exc:
                raise FrameError(str(exc).replace("cannot decode image", f"cannot decode picture {page + 1}", 1)) \
                    from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as img:
                img.seek(page)
                _check_pixels(img.width, img.height, max_pixels)
                headroom = memory_headroom()
                plan = _plan(img, headroom)
                if plan.decoder not in ("pillow", "pillow_channels") or (headroom is not None
                                                                         and plan.need > headroom):
                    raise FrameError(f"cannot decode page {page + 1}: {img.mode} {img.width}x{img.height} "
                                     f"({img.width * img.height / 1e6:.0f} MP) is too big to decode whole, and the "
                                     "decoders that reduce a picture read only a file's first page")
                return _decode(path, img, plan, long_side)
    except FrameError:
        raise
    except MemoryError as exc:
        from provenance.limits import memory_limit_note

        raise FrameError(f"cannot decode page {page + 1}: out of memory ({memory_limit_note()})") from exc
    except Exception as exc:  # a plugin's failure on a malformed page: that page's, one line
        said = " ".join(str(exc).split())[:200] or type(exc).__name__
        # Pillow: "unknown pixel mode"; a KeyError naming only an unknown compression's number ("12345")
        layout = _tiff_layout(path, page) if "mode" in said or isinstance(exc, KeyError) else None
        raise FrameError(f"cannot decode page {page + 1}: " + (f"{layout} is not a layout Pillow decodes ({said})"
                                                               if layout else said)) from exc


def _appended_page(path: Path, page: int) -> Picture | None:
    """Picture ``page`` (0-based, 1 or more) of a JPEG still with JPEGs appended after its own end
    (``sniff.appended_jpegs``), or None for any other file: Pillow reads only a JPEG's first picture, so the
    appended one is decoded from its own bytes, as a still of its own (issue 14 round 8, low a)."""
    from provenance.sniff import appended_jpegs

    try:
        with path.open("rb") as fh:
            if fh.read(3) != b"\xff\xd8\xff":
                return None
    except OSError:
        return None
    pictures = appended_jpegs(path, page)
    return pictures[page - 1] if len(pictures) >= page else None


def _quiet_tifffile() -> ModuleType:
    """tifffile, its log silenced: it logs malformed tags ("missing data offset tag") as warnings, which reached
    stderr between the CLI's lines; what matters of a page is said by the caller in the report."""
    import logging

    import tifffile

    logging.getLogger("tifffile").setLevel(logging.CRITICAL)
    return tifffile


def _tiff_cut_strips(path: Path, page: int) -> str | None:
    """Why a TIFF page's pixel data is cut short, or None (not a TIFF, tiled, or whole). Its strips must hold
    rows x ceil(width x samples x bits / 8) bytes when uncompressed (TIFF 6.0, section 3: StripByteCounts), and
    none may reach past the end of the file. Pillow reads an uncompressed strip whose StripByteCounts is short
    on into whatever follows it (the next page's pixels) without an error, so a page cut to 100 of its 30,000
    bytes was hashed and compared as if whole (issue 14 round 5, L2); a truncated JPEG is refused, so is this."""
    try:
        with path.open("rb") as fh:
            if fh.read(4) not in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
                return None
        size = path.stat().st_size
        tifffile = _quiet_tifffile()

        with tifffile.TiffFile(path) as tif:
            ifd = tif.pages[page]
            if ifd.is_tiled:
                return None
            counts, offsets = list(ifd.databytecounts), list(ifd.dataoffsets)
            if any(o + c > size for o, c in zip(offsets, counts, strict=False)):
                return "its pixel data is cut short by the end of the file; not compared"
            if ifd.compression != 1 or ifd.planarconfig != 1:
                return None
            bits = ifd.bitspersample if isinstance(ifd.bitspersample, int) else max(ifd.bitspersample)
            need = ifd.imagelength * -(-ifd.imagewidth * ifd.samplesperpixel * bits // 8)
            have = sum(counts)
    except Exception:  # a page tifffile cannot read: Pillow decides, as before
        return None
    if have >= need:
        return None
    return (f"its pixel data is cut short ({have:,} of the {need:,} bytes its strips must hold); not compared, as a "
            "truncated JPEG is not")


def _tiff_layout(path: Path, page: int) -> str | None:
    """A TIFF page's pixel layout in words ("BitsPerSample 7, 1 sample, photometric MINISBLACK"), read from its
    IFD by tifffile (tags only, no pixels), to name why Pillow has no mode for it (its own message is "unknown
    pixel mode": issue 14 round 5, N7); None when tifffile cannot read that IFD either."""
    try:
        tifffile = _quiet_tifffile()
        with tifffile.TiffFile(path) as tif:
            ifd = tif.pages[page]
            photometric = getattr(ifd.photometric, "name", ifd.photometric)
            samples = ifd.samplesperpixel
            compression = getattr(ifd.compression, "name", ifd.compression)
            packed = f", compression {compression}" if compression not in ("NONE", 1) else ""
            return (f"BitsPerSample {ifd.bitspersample}, {samples} sample{'s' if samples != 1 else ''}, "
                    f"photometric {photometric}{packed}")
    except Exception:  # a page tifffile cannot read: Pillow's words stand alone
        return None


def _pixel_limit(max_pixels: int | None) -> int:
    from provenance.limits import Limits

    return Limits().max_pixels if max_pixels is None else max_pixels


def _check_pixels(width: int, height: int, max_pixels: int | None) -> None:
    """Refuse a declared ``width`` x ``height`` over ``[limits] max_pixels`` (``FrameError`` naming it)."""
    limit = _pixel_limit(max_pixels)
    if limit and width * height > limit:
        raise FrameError(f"cannot decode image: declared picture size {width}x{height} "
                         f"({width * height / 1e6:.0f} MP) is over the limit of {limit / 1e6:g} MP "
                         "([limits] max_pixels)")


def _is_webp(path: Path) -> bool:
    from provenance.sniff import sniff

    try:
        with path.open("rb") as fh:
            return sniff(fh.read(512)) == "webp"
    except OSError:
        return False


Decoder = Literal["pillow", "pillow_channels", "jpeg_draft", "jp2_reduce", "opencv", "heif", "ffmpeg"]
_PILLOW_DECODERS = ("pillow", "pillow_channels", "jpeg_draft", "jp2_reduce")  # Pillow decodes, on its open image
# Modes whose RGB picture is a choice of their channels (alpha or padding dropped, grey copied): each channel can be
# taken and shrunk alone (limits.CHANNEL_BYTES_PER_PIXEL), the same pixels as converting first, without the
# full-size RGB copy (Pillow's own reduce and resize premultiply alpha, making one). For formats only Pillow reads
# (TGA, SGI, PCX...): a 99 MP RLE RGBA TGA needed 755 MiB converted whole and was refused (issue 14 round 4 M2).
_CHANNELS = {"RGBA": "RGB", "RGBX": "RGB", "LA": "LLL"}
# Pillow formats no decoder here reads reduced: over the bound whole, refused (why, for the message)
_NO_REDUCED = {"JXL": "JPEG XL has no reduced decode here"}
_JP2_MAX_REDUCTION = 5  # OpenJPEG's default code-stream has 6 resolution levels (5 decompositions): 2^5 at most
# Pillow formats OpenCV decodes row by row into 8-bit BGR (limits.OPENCV_BYTES_PER_PIXEL)
_OPENCV_FORMATS = frozenset({"PNG", "TIFF", "BMP", "PPM"})
_OPENCV_REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                   8: cv2.IMREAD_REDUCED_COLOR_8}


@dataclass(frozen=True)
class _Plan:
    """How a still is decoded and the peak memory that decode is estimated to take (bytes; limits.py)."""

    decoder: Decoder
    need: int


def _plan(img: Image.Image, headroom: int | None = None) -> _Plan:
    """The cheapest decode of ``img`` that keeps within the decode memory bound (``limits.DECODE_MEMORY_BYTES``,
    from the 1 GiB peak of issue 14), by the measured bytes a pixel of each decoder and of the picture's mode
    (limits.py): Pillow at full size when that fits; else JPEG through libjpeg's DCT scaling (``draft``),
    HEIF through pillow-heif into NumPy, PNG/TIFF/BMP/PNM through OpenCV's reduced read, others (WebP) through
    FFmpeg scaled straight to hashing size. A picture no decoder keeps within the bound is refused
    (``FrameError`` naming it) rather than decoded past it. ``headroom`` (what ``[limits] max_memory_mb`` leaves,
    bytes) also sends a picture whose full decode it cannot hold to the reduced decoder.
    """
    from provenance.limits import (
        CHANNEL_BYTES_PER_PIXEL,
        DECODE_MEMORY_BYTES,
        FFMPEG_STILL_BYTES_PER_PIXEL,
        HEIF_NUMPY_BYTES_PER_PIXEL,
        JPEG2000_REDUCED_OVERHEAD,
        OPENCV_BYTES_PER_PIXEL,
        PILLOW_DECODER_BYTES_PER_PIXEL,
        VIDEO_BYTES_PER_PIXEL,
        decode_bytes,
        jpeg_coefficient_bytes_per_pixel,
        pillow_bytes_per_pixel,
        still_bytes_per_pixel,
    )

    fmt, (width, height) = img.format or "", img.size
    jpeg = fmt in ("JPEG", "MPO")
    progressive = (jpeg_coefficient_bytes_per_pixel(getattr(img, "layer", None))
                   if jpeg and (img.info.get("progressive") or img.info.get("progression")) else 0.0)
    full = decode_bytes(width, height, still_bytes_per_pixel(fmt, img.mode, progressive=progressive))
    if full <= min(DECODE_MEMORY_BYTES, headroom if headroom is not None else DECODE_MEMORY_BYTES):
        return _Plan("pillow", full)
    if jpeg:  # the output at 1/8 (RGB, 4 bytes) and a progressive file's coefficients at full size
        plan = _Plan("jpeg_draft", decode_bytes(width, height, progressive + 4 / 64))
    elif fmt == "HEIF":
        plan = _Plan("heif", decode_bytes(width, height, HEIF_NUMPY_BYTES_PER_PIXEL))
    elif fmt == "JPEG2000":  # OpenJPEG's resolution reduction (Pillow's ``reduce``), 4^r fewer pixels
        per_pixel = PILLOW_DECODER_BYTES_PER_PIXEL[fmt] / 4 ** _jp2_reduction(width, height)
        plan = _Plan("jp2_reduce", decode_bytes(width, height, per_pixel + JPEG2000_REDUCED_OVERHEAD))
    elif fmt in _NO_REDUCED:
        plan = _Plan("pillow", full)
    elif fmt in _OPENCV_FORMATS:
        plan = _Plan("opencv", decode_bytes(width, height, OPENCV_BYTES_PER_PIXEL))
    elif img.mode in _CHANNELS:
        plan = _Plan("pillow_channels", decode_bytes(width, height, pillow_bytes_per_pixel(img.mode)
                                                     + CHANNEL_BYTES_PER_PIXEL))
    else:
        plan = _Plan("ffmpeg", decode_bytes(width, height, FFMPEG_STILL_BYTES_PER_PIXEL.get(fmt,
                                                                                         VIDEO_BYTES_PER_PIXEL)))
    if plan.need > full:
        plan = _Plan("pillow", full)  # only [limits] max_memory_mb kept it from Pillow: the caller names it
    if plan.need > DECODE_MEMORY_BYTES:
        why = (" (a progressive JPEG keeps every DCT coefficient until its last scan)" if progressive else
               f" ({_NO_REDUCED[fmt]})" if fmt in _NO_REDUCED else "")
        raise FrameError(f"cannot decode image: {width}x{height} ({width * height / 1e6:.0f} MP, {img.mode}) would "
                         f"take about {plan.need / 2**20:,.0f} MiB to decode even reduced{why}, over "
                         f"{decode_bound()}")
    return plan


def _jp2_reduction(width: int, height: int, long_side: int = HASH_SIZE) -> int:
    """OpenJPEG's reduction r (2^r smaller each way) keeping the long side at least ``long_side``."""
    r = 0
    while r < _JP2_MAX_REDUCTION and max(width, height) >> (r + 1) >= long_side:
        r += 1
    return r


def _out_of_memory(img: Image.Image, plan: _Plan, headroom: int | None) -> str:
    from provenance.limits import memory_limit_note

    left = f", {max(0, headroom) / 2**20:,.0f} MiB were left under it" if headroom is not None else ""
    return (f"cannot decode image: out of memory ({memory_limit_note()}): its {img.width}x{img.height} pixels take "
            f"about {plan.need / 2**20:,.0f} MiB to decode{left}; raise the setting (or set 0) to decode them")


def _decode(path: Path, img: Image.Image, plan: _Plan, long_side: int = HASH_SIZE) -> np.ndarray:
    """``img`` (open on ``path``) decoded as ``plan`` says, RGB with its long side at most ``long_side``, upright.

    The EXIF turn is applied to the picture at hashing size, never at full size: ``exif_transpose`` copies the
    whole picture (a 100 MP JPEG with Orientation 6 took `verify` to 988 MB, issue 14 round 4 M1). Shrinking a
    turned picture and turning a shrunk one give the same size, and pixels within a grey level (BOX averages)."""
    # as exif_transpose reads it; but Pillow's PNG plugin decodes every pixel to look for an eXIf chunk after
    # them (a 100 MP 16-bit PNG: 400 MB), so for the reduced decoders a PNG's counts only when it comes first
    reduced = plan.decoder not in _PILLOW_DECODERS
    orientation = None if reduced and img.format == "PNG" and "exif" not in img.info else img.getexif().get(0x0112)
    if not reduced:
        if plan.decoder == "jpeg_draft":
            img.draft("RGB", (long_side, long_side))  # the smallest DCT scale still >= long_side
        elif plan.decoder == "jp2_reduce":
            img.reduce = _jp2_reduction(img.width, img.height, long_side)  # type: ignore[method-assign]
        # decoded now, at the scale chosen above, as exif_transpose decoded it before the turn moved after the
        # shrink: thumbnail's own JPEG draft would change the pixels, and every indexed JPEG's hash with them
        img.load()
        if shrunk_before_rgb(img.mode):  # 16/32-bit grey: shrunk before its 8-bit conversion,
            img.thumbnail((long_side, long_side), Image.Resampling.BOX, reducing_gap=None)  # (reduce() refuses I;16)
            return _turned(np.asarray(rgb8(img)), orientation)  # a float copy of 99 MP took 1.5 GB (round 4 H1)
        if plan.decoder == "pillow_channels":
            return _turned(_by_channel(img, long_side), orientation)
        # no conversion of what is RGB already: each copy of a 51 MP HEIC is 153 MB
        rgb = img if img.mode == "RGB" else img.convert("RGB")
        rgb.thumbnail((long_side, long_side), Image.Resampling.BOX)
        return _turned(np.asarray(rgb), orientation)
    if plan.decoder == "heif":
        import pillow_heif

        heif = pillow_heif.open_heif(path, convert_hdr_to_8bit=True)  # the primary picture, as Pillow's opener
        picture = _hash_size(np.asarray(heif)[:, :, :3], long_side)
        del heif
    elif plan.decoder == "opencv":
        picture = _opencv_reduced(path, img.width, img.height, long_side)
    else:
        picture = _ffmpeg_picture(path, 0, long_side)  # (its pixels were checked against max_pixels by the caller)
    if picture is None:
        raise FrameError(f"cannot decode image: {img.width}x{img.height} ({img.width * img.height / 1e6:.0f} MP) is "
                         f"too big to decode whole, and the decoder that reduces it ({plan.decoder}) cannot read it")
    return _turned(picture, orientation)  # OpenCV and FFmpeg are told nothing of EXIF: turned as Pillow would


def _by_channel(img: Image.Image, long_side: int) -> np.ndarray:
    """``img`` (a ``_CHANNELS`` mode) as RGB at hashing size, one channel at a time: each taken (1 byte a pixel)
    and reduced by the integer factor that keeps its long side at least twice ``long_side`` before the next, then
    merged and brought to size as ``thumbnail`` brings a picture (BOX)."""
    img.load()
    factor = max(1, max(img.size) // (2 * long_side))
    small = {}
    for band in dict.fromkeys(_CHANNELS[img.mode]):
        channel = img.getchannel(band)
        small[band] = channel.reduce(factor) if factor > 1 else channel
        del channel
    rgb = Image.merge("RGB", [small[band] for band in _CHANNELS[img.mode]])
    rgb.thumbnail((long_side, long_side), Image.Resampling.BOX)
    return np.asarray(rgb)


def _turned(picture: np.ndarray, orientation: int | None) -> np.ndarray:
    """``picture`` turned per its EXIF ``orientation`` (2-8) as ``ImageOps.exif_transpose`` turns one."""
    if not orientation or orientation == 1:
        return picture
    shown = Image.fromarray(picture)
    shown.getexif()[0x0112] = orientation
    shown.info["exif"] = shown.getexif().tobytes()
    return np.asarray(ImageOps.exif_transpose(shown))


def _hash_size(rgb: np.ndarray, long_side: int = HASH_SIZE) -> np.ndarray:
    """A big RGB array brought to hashing size as Pillow's decode path brings a picture (``thumbnail``, BOX):
    OpenCV's area average first to about twice the size (no copy at full size), then Pillow's thumbnail."""
    h, w = rgb.shape[:2]
    k = max(w, h) // (2 * long_side)
    if k > 1:
        rgb = cv2.resize(rgb, (max(1, round(w / k)), max(1, round(h / k))), interpolation=cv2.INTER_AREA)
    small = Image.fromarray(np.ascontiguousarray(rgb))
    small.thumbnail((long_side, long_side), Image.Resampling.BOX)
    return np.asarray(small)


def _opencv_reduced(path: Path, width: int, height: int, long_side: int = HASH_SIZE) -> np.ndarray | None:
    """A PNG/TIFF/BMP/PNM read by OpenCV straight into 8-bit BGR at 1/2-1/8 size (the largest reduction that keeps
    the long side >= hashing size), at hashing size as RGB; None when OpenCV cannot read it. OpenCV takes the
    file's name as UTF-8: a name that is not is read from memory (the file's bytes, bounded by max_file_bytes)."""
    factor = next(f for f in (8, 4, 2, 1) if max(width, height) // f >= long_side or f == 1)
    flags = _OPENCV_REDUCED[factor] | cv2.IMREAD_IGNORE_ORIENTATION
    name = str(path)
    try:
        try:
            name.encode("utf-8")
            bgr = cv2.imread(name, flags)
        except UnicodeEncodeError:
            bgr = cv2.imdecode(np.fromfile(path, np.uint8), flags)
    except cv2.error:
        return None
    if bgr is None or bgr.ndim != 3:
        return None
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    del bgr
    return _hash_size(rgb, long_side)


def _ffmpeg_picture(path: Path, max_pixels: int | None = None, long_side: int = HASH_SIZE) -> np.ndarray | None:
    """The first picture FFmpeg decodes from a still Pillow cannot open, at hashing size; None when it cannot.

    FFmpeg decodes it whole: its declared size is checked against ``max_pixels``, and its decode against the decode
    memory bound and what ``[limits] max_memory_mb`` leaves (``limits.ffmpeg_still_refusal``, the check ingest
    makes too), and a picture past either is refused with a ``FrameError`` naming it rather than decoded.
    """
    from provenance.limits import ffmpeg_still_refusal

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except Exception:  # FFmpeg refusing it too: the caller says no decoder reads it
        return None
    try:
        with container:
            stream = next(iter(container.streams.video), None)
            if stream is None:
                return None
            cc = stream.codec_context
            _check_pixels(cc.width or 0, cc.height or 0, max_pixels)
            if (why := ffmpeg_still_refusal(stream)) is not None:
                raise FrameError(f"cannot decode image: {why}")
            for frame in container.decode(stream):
                w, h = target_size(frame.width, frame.height, long_side)
                return frame.to_ndarray(width=w, height=h, format="rgb24", interpolation="AREA")
    except FrameError:
        raise
    except Exception:  # FFmpeg refusing it too: the caller says no decoder reads it
        return None
    return None


def display_turns(frame: av.VideoFrame) -> int:
    """Counter-clockwise quarter turns (0-3) that show a decoded frame as players do, from its display matrix.

    PyAV gives the matrix's rotation in degrees counter-clockwise, -180 to 180 (FFmpeg
    ``av_display_rotation_get``); ``np.rot90(rgb, turns)`` applies it. A flip in the matrix is left out: the
    mirror is matched anyway. Angles that are not quarter turns (never written by cameras) round to the nearest.
    """
    try:
        degrees = frame.rotation
    except (AttributeError, ValueError, TypeError):  # no or malformed display matrix
        return 0
    return round((degrees or 0) / 90) % 4


def upright(rgb: np.ndarray, turns: int) -> np.ndarray:
    """``rgb`` turned ``turns`` quarter turns counter-clockwise (C-contiguous, as the hashers want it)."""
    return np.ascontiguousarray(np.rot90(rgb, turns)) if turns else rgb


def full_size(frame: av.VideoFrame, turns: int, rgb: RgbConverter | None = None) -> np.ndarray:
    """``frame`` as RGB at the size it was coded at (swscale: colour conversion only), turned upright; ``rgb``:
    the sampler's converter, when it has one."""
    return upright((rgb or RgbConverter())(frame, frame.width, frame.height), turns)


class RgbConverter:
    """Decoded frames as RGB (swscale, area interpolation) at a given size, one swscale context per size kept
    across frames. ``VideoFrame.to_ndarray`` gives each decoded frame a context of its own, so swscale set its
    scaling up again for every sampled frame: measured on bench_frames' 720p clip (20 frames, load 36), 2.1-3.0 ms
    of CPU a conversion to 512x288 that way against 1.3-2.1 ms with the context kept; the same call and
    parameters (PyAV's ``VideoReformatter.reformat``), so the same pixels."""

    def __init__(self) -> None:
        self._by_size: dict[tuple[int, int], VideoReformatter] = {}

    def __call__(self, frame: av.VideoFrame, width: int, height: int) -> np.ndarray:
        if (reformatter := self._by_size.get((width, height))) is None:
            reformatter = self._by_size[width, height] = VideoReformatter()
        return reformatter.reformat(frame, width=width, height=height, format="rgb24",
                                    interpolation="AREA").to_ndarray()


def _grey_thumb(frame: av.VideoFrame) -> np.ndarray:
    """A tiny grey thumbnail for cut detection (``_THUMB``, int16 grey levels): straight from the luma plane,
    every k-th pixel of it (``_THUMB_SAMPLES``), 25x cheaper than an area average of all of them at 720p."""
    if frame.format.name in _PLANAR_YUV:
        plane = frame.planes[0]
        luma = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]
        step = max(1, min(plane.width // (_THUMB[0] * _THUMB_SAMPLES), plane.height // (_THUMB[1] * _THUMB_SAMPLES)))
        if step > 1:
            luma = np.ascontiguousarray(luma[::step, ::step])
        return cv2.resize(luma, _THUMB, interpolation=cv2.INTER_AREA).astype(np.int16)
    return frame.to_ndarray(width=_THUMB[0], height=_THUMB[1], format="gray").astype(np.int16)


def _thumb_diff(a: np.ndarray, b: np.ndarray, box: tuple[slice, slice] | None = None) -> float:
    """Mean absolute difference of two grey thumbnails, 0-1 (what ``FramesConfig.shot_threshold`` is set in),
    over ``box`` (rows, columns of the thumbnail) only when given: the part of the frame that ever changes."""
    if box is not None:
        a, b = a[box], b[box]
    return float(np.abs(a - b).mean()) / 255.0


# A thumbnail row or column whose grey level has never moved by more than this (grey levels, 0-255) over the
# clip so far is frame furniture: letterbox/pillarbox bars, a news template's static parts. Measured: bars of an
# x264 crf 26-28 encode move by 0-2 levels on the 32x18 area-averaged thumbnail, a still photo's pixels by <= 4.
_LIVE_LEVELS = 6
# The changing part is never taken smaller than this share of the thumbnail's area, so motion in a small corner
# of a still shot (a mouth, a ticker) is not blown up into a cut. 0.25: a 16:9 picture letterboxed in a 9:16 frame
# is 0.32 of it (the tester's 1080x1920 news-template case, issue 12 round 6 D2).
_LIVE_MIN_SHARE = 0.25


# A hard cut between two pictures of like tone stays under the threshold over a smoothly changing picture: issue 12
# round 7 H1, a slow pan over skimage's retina cut to one over chelsea (320x180, 5 fps) stepped 0.093 on the
# thumbnail, while the pans' own frame-to-frame steps were 0.003-0.009 (x264 noise on a still: <= 0.008). Not the
# 1-fps sampling: every decoded frame is compared. So a step is also a cut (a soft cut) when it is at least
# _SOFT_CUT_MIN and _SOFT_CUT_RATIO times every one of the _SOFT_CUT_CONTEXT steps before it (fast motion raises
# those, and is no cut), it changed _SOFT_CUT_SHARE of the whole thumbnail's cells by more than _SOFT_CUT_LEVELS
# grey levels (the retina cut: 0.51-0.55 at 640x360 and 320x180; a cut inside footage inset at half size over a
# still photo, which must stay one shot with it: 0.21, tests/test_geometry_matching's bikes inset at 0.72 s, step
# 0.121; 0.4 lies between), and the next check still differs from the last by _SOFT_CUT_MIN (a lasting change,
# not a flash). Over the corpus' videos and sample_media it adds one cut: the bikes montage's at 5.48 s (step
# 0.143, 0.70 of the picture, after steps <= 0.003), a real one.
_SOFT_CUT_MIN = 0.05
_SOFT_CUT_RATIO = 6.0
_SOFT_CUT_CONTEXT = 8
_SOFT_CUT_LEVELS = 16
_SOFT_CUT_SHARE = 0.4


@dataclass
class Shots:
    """What ``ShotDetector`` saw at one decoded frame."""

    cuts: list[float] = field(default_factory=list)  # shot changes (s) found now: each at its first decoded frame
    here: bool = False  # the frame at hand opens the shot(s) in ``cuts`` (the first frame sampled from it)
    # a shot that began and ended between two checks: its first decoded frame, to sample it (None: no such shot)
    within: av.VideoFrame | None = None


@dataclass
class ShotDetector:
    """Shot changes, each placed at the decoded frame it happens on, short shots included (issue 18 D7).

    Whether the shot changed is decided as before: thumbnails ``_THUMB_EVERY_S`` apart (and at each frame the
    sampler takes) differ by ``threshold`` or more, so a change spread over several frames (a dissolve, a whip
    pan) is found, and what is sampled, hashed and matched stays as it was. Every decoded frame's thumbnail is
    also compared with the previous one's, and a change is placed at the steepest of those steps since the last
    check: the first decoded frame of the new shot, not the check after it (cuts came 0.1-0.2 s late). A shot
    that begins and ends between two checks (5 frames at 25 fps) leaves both thumbnails alike; two steps over the
    threshold between them are its two cuts, and its first decoded frame is handed back to be sampled.
    """

    threshold: float  # FramesConfig.shot_threshold, 0-1
    anchor: np.ndarray | None = None  # the last check's thumbnail
    anchor_t: float = -1e9
    previous: np.ndarray | None = None  # the last decoded frame's thumbnail
    steepest: tuple[float, float] = (-1.0, 0.0)  # (step, t) of the largest frame-to-frame step since the check
    steps: list[float] = field(default_factory=list)  # times of the steps over the threshold since the check
    first: av.VideoFrame | None = None  # the decoded frame after the first such step
    low: np.ndarray | None = None  # each thumbnail pixel's lowest grey level so far
    high: np.ndarray | None = None  # and its highest
    recent: list[float] = field(default_factory=list)  # the last _SOFT_CUT_CONTEXT frame-to-frame steps
    soft: float | None = None  # time of the first soft cut since the check (_SOFT_CUT_MIN)

    def _live(self, thumb: np.ndarray) -> tuple[slice, slice] | None:
        """The band of rows (or of columns) of the thumbnail that has changed over the clip so far, this frame included
        (issue 12 round 6 D2: two hard cuts between unrelated photos inside a 9:16 letterbox differed by less than
        the threshold over the whole frame, two thirds of it constant bars, and were not found); None (the whole
        frame) when that box is everything or would be under ``_LIVE_MIN_SHARE`` of the frame."""
        if self.low is None or self.high is None:
            self.low, self.high = thumb.copy(), thumb.copy()
            return None
        np.minimum(self.low, thumb, out=self.low)
        np.maximum(self.high, thumb, out=self.high)
        moved = (self.high - self.low) > _LIVE_LEVELS
        rows, cols = np.flatnonzero(moved.any(axis=1)), np.flatnonzero(moved.any(axis=0))
        if not len(rows) or not len(cols):
            return None
        h, w = thumb.shape
        box_rows, box_cols = rows[-1] + 1 - rows[0], cols[-1] + 1 - cols[0]
        # bands across the whole frame only, the way that leaves out more: bars, a template's header or side panel.
        # Not both: footage inset in a still picture (picture in picture) would be measured alone, and its own
        # fast motion taken for cuts (tests/test_geometry_matching.py's bikes inset: a "cut" at 0.72 s).
        if box_rows * w <= h * box_cols:
            if box_rows == h or box_rows * w < _LIVE_MIN_SHARE * h * w:
                return None
            return slice(int(rows[0]), int(rows[-1]) + 1), slice(0, w)
        if box_cols == w or h * box_cols < _LIVE_MIN_SHARE * h * w:
            return None
        return slice(0, h), slice(int(cols[0]), int(cols[-1]) + 1)

    def __call__(self, frame: av.VideoFrame, t: float, *, check: bool = False) -> Shots:
        """Look at ``frame`` (at ``t`` s from the stream start); ``check`` also compares it with the last check's
        thumbnail now, as a frame the sampler takes always was. Differences are taken over the part of the frame
        that changes in the clip (``_live``), so constant bars and template parts do not water a cut down."""
        thumb = _grey_thumb(frame)
        box = self._live(thumb)
        if self.previous is not None:
            step = _thumb_diff(self.previous, thumb, box)
            if step > self.steepest[0]:
                self.steepest = (step, t)
            if step >= self.threshold:
                self.steps.append(t)
                if self.first is None:
                    self.first = frame
            elif (self.soft is None and step >= _SOFT_CUT_MIN and len(self.recent) >= _SOFT_CUT_CONTEXT
                  and step >= _SOFT_CUT_RATIO * max(self.recent)
                  and float((np.abs(self.previous - thumb) > _SOFT_CUT_LEVELS).mean()) >= _SOFT_CUT_SHARE):
                self.soft = t
            self.recent = [*self.recent[1 - _SOFT_CUT_CONTEXT:], step]
        self.previous = thumb
        if self.anchor is not None and not check and t - self.anchor_t < _THUMB_EVERY_S:
            return Shots()
        found = Shots()
        if self.anchor is not None:
            change = _thumb_diff(self.anchor, thumb, box)
            if change >= self.threshold:
                found = Shots(cuts=list(self.steps) or [self.steepest[1]], here=True)
            elif len(self.steps) >= 2:  # in and out again between two checks: a short shot
                found = Shots(cuts=list(self.steps), within=self.first)
            elif self.soft is not None and change >= _SOFT_CUT_MIN:  # a cut between two pictures of like tone
                found = Shots(cuts=[self.soft], here=True)
        self.anchor, self.anchor_t = thumb, t
        self.steepest, self.steps, self.first, self.soft = (-1.0, 0.0), [], None, None
        return found


def _declared_s(container: av.container.InputContainer, stream: av.VideoStream, start: float) -> float | None:
    """The stream's declared duration from its own start (s): its own header's, else the container's less the
    stream's offset in it; None when not declared or impossible (as ingest reads it, ``media._duration``)."""
    if stream.duration and stream.duration > 0 and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration and container.duration > 0:
        offset = start - (container.start_time or 0) / av.time_base
        return max(0.0, container.duration / av.time_base - max(0.0, offset))
    return None


def _frame_t(frame: av.VideoFrame, start: float, fallback: float) -> float:
    """``frame``'s presentation time (s from the stream's ``start``); ``fallback`` for a frame without one (a raw
    elementary stream's: timed by packet order, within a check, 0.2 s, of the frame at hand)."""
    return max(0.0, float(frame.time) - start) if frame.time is not None else fallback


# Frame rate assumed for a stream whose frames carry no timestamps and which declares no rate: 25 fps, PAL's and
# FFmpeg's own default for raw H.264/HEVC (its h264/hevc demuxers' "framerate" option)
ASSUMED_FPS = 25.0


def _assumed_rate(path: Path, fmt: str) -> str | None:
    """How the frames of a stream FFmpeg times at its own 25 fps without saying so are timed (for
    ``FrameSample.untimed``), or None: a multipart MJPEG recording (no frame times; a 10-fps camera's 50 frames
    read as 2.0 s: issue 14 round 8, L3), a Y4M whose header's F field is no rate (F1:0, F0:0, F-25:1; L6)."""
    if fmt == "mpjpeg":
        return f"{ASSUMED_FPS:g} fps (assumed: a multipart MJPEG recording carries no frame times)"
    if fmt != "yuv4mpegpipe":
        return None
    try:
        with path.open("rb") as fh:
            line = fh.read(256).split(b"\n", 1)[0]
    except OSError:
        return None
    field = next((token[1:] for token in line.split()[1:] if token[:1] == b"F"), None)
    if field is None:
        return None
    num, _, den = field.partition(b":")
    try:
        if int(num) > 0 and int(den) > 0:
            return None
    except ValueError:
        pass
    shown = field.decode("ascii", "replace")[:24]
    return f"{ASSUMED_FPS:g} fps (assumed: its Y4M header declares F{shown}, no possible frame rate)"


@dataclass
class _Demuxed:
    """What the decode loop saw besides frames: packet times (coverage) and the packets the decoder refused."""

    start: float
    time_base: float | None
    packets: list[float] = field(default_factory=list)  # presentation times (s from the stream's start)
    bad: int = 0
    seen: int = 0  # packets demuxed: the clock of a stream whose frames carry no timestamps
    refused: list[float] = field(default_factory=list)  # presentation times of the packets the decoder refused
    first_error: str | None = None
    end: int | None = None  # byte offset just past the last packet demuxed, when the demuxer says where it was

    def frames(self, container: av.container.InputContainer, stream: av.VideoStream) -> Iterator[av.VideoFrame]:
        """``container.decode(stream)`` (the same demux-then-decode loop), noting each packet's time and going on
        past packets the decoder refuses: a damaged stretch in the middle costs that stretch, not the rest of the
        clip (the decoder resumes at the next keyframe). ``MAX_BAD_PACKETS`` refused in a row end it."""
        run = 0
        for packet in container.demux(stream):
            t = packet.pts * self.time_base - self.start if packet.pts is not None and self.time_base else None
            self.seen += 1
            if packet.pos is not None and packet.pos >= 0:
                self.end = packet.pos + packet.size
            if t is not None:
                self.packets.append(t)
            try:
                decoded = packet.decode()
            except av.InvalidDataError as exc:
                self.bad, run = self.bad + 1, run + 1
                if t is not None:
                    self.refused.append(t)
                self.first_error = self.first_error or exc.strerror or " ".join(str(exc).split())
                if run > MAX_BAD_PACKETS:
                    raise
                continue
            run = 0
            yield from decoded



def _multipart_end(path: Path, container: av.container.InputContainer, demuxed: _Demuxed) -> bool:
    """Whether a demuxer error is only a multipart MJPEG recording's last boundary line: FFmpeg's mpjpeg demuxer
    fails ("Invalid data found") on the "--boundary" its own muxer, and IP cameras, write after every picture,
    when no part follows it. The end, not damage, when the bytes after the last packet hold no JPEG start (SOI,
    FF D8), so no picture was left unread (issue 14 round 7: `index add` said a complete recording was "indexed
    only up to" its last frame, "stopped by a decode error")."""
    if container.format.name != "mpjpeg" or demuxed.end is None:
        return False
    try:
        with path.open("rb") as fh:
            fh.seek(demuxed.end)
            rest = fh.read(_MULTIPART_TAIL + 1)
    except OSError:
        return False
    return len(rest) <= _MULTIPART_TAIL and b"\xff\xd8" not in rest


# Bytes a multipart recording may end with after its last picture and still be whole: a boundary line and MIME
# headers are tens of bytes (FFmpeg writes 12); more is data a demuxer failed on
_MULTIPART_TAIL = 1024


# Raw elementary streams (FFmpeg demuxer names): no container, so no packet is ever refused for damage; the
# decoder conceals a cut or overwritten frame and says so only in its log (issue 14 round 7, N6)
_RAW_STREAMS = frozenset({"h264", "hevc", "mpegvideo", "m4v"})
_CONCEALED_SHOWN = 3  # decoder messages quoted in StreamCoverage.concealed


@contextlib.contextmanager
def _decoder_errors(watch: bool) -> Iterator[list]:
    """FFmpeg's error-level log lines while the block runs (``watch``; else none), from every thread: the
    decoder's frame threads write them. The log level is put back after."""
    if not watch:
        yield []
        return
    import av.logging

    before = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)
    try:
        with av.logging.Capture(local=False) as logs:
            yield logs
    finally:
        av.logging.set_level(before)


def _concealed_words(logs: list, corrupt: int) -> str | None:
    """``StreamCoverage.concealed`` from the decoder's error lines and its count of frames marked corrupt."""
    said = list(dict.fromkeys(" ".join(str(line[2]).split()) for line in logs if line[0] <= 16))  # AV_LOG_ERROR
    if not said and not corrupt:
        return None
    parts = [f"{corrupt} frame{'s' if corrupt != 1 else ''} marked corrupt"] if corrupt else []
    if said:
        parts.append("FFmpeg: " + "; ".join(said[:_CONCEALED_SHOWN]) + (" ..." if len(said) > _CONCEALED_SHOWN else ""))
    return "; ".join(parts)


@contextlib.contextmanager
def video_stream(path: Path, *, skip_frame: str) -> Iterator[tuple[av.container.InputContainer, av.VideoStream]]:
    """The open container and its first video stream FFmpeg can decode, FFmpeg's threads on and frames of the
    ``skip_frame`` kind (``NONREF``: decode only reference frames' dependants; ``NONKEY``: keyframes only)
    skipped; ``FrameError`` when the file does not open or has no such stream. Closed when the block ends."""
    from provenance.sniff import ffmpeg_format

    try:  # JPEGs back to back (raw MJPEG) need FFmpeg's mjpeg demuxer named: its prober sees one picture
        container = av.open(str(path), format=ffmpeg_format(path), metadata_errors="ignore")
    except av.FFmpegError as exc:  # FFmpeg's strerror, not "[Errno 1094995529] ... '/the/path'"
        raise FrameError(f"cannot open video: FFmpeg: {(exc.strerror or type(exc).__name__).lower()} (damaged, or a "
                         "variant of the format FFmpeg does not read)") from exc
    with container:
        stream = next((s for s in container.streams.video if s.codec_context is not None), None)
        if stream is None:
            raise FrameError("no video stream FFmpeg can decode")
        stream.thread_type = "AUTO"
        stream.thread_count = decoder_threads()  # this process's share of the cores (threads.py)
        stream.codec_context.skip_frame = skip_frame
        yield container, stream

def sample_video(
    path: Path,
    config: FramesConfig | None = None,
    *,
    detail_every_s: float | None = None,
    detail_size: int = DETAIL_SIZE,
    detail_max: int = 60,
    interval_s: float | None = None,
    limits: Limits | None = None,
    deadline: Deadline | None = None,
    on_frame: Callable[[SampledFrame], None] | None = None,
    max_frames_decoded: int | None = None,
    on_sample: Callable[[SampledFrame, Callable[[], np.ndarray]], None] | None = None,
) -> FrameSample:
    """Sample frames of the first video stream by presentation time.

    ``detail_every_s`` also keeps the pixels of keypoint frames (sampled frames at least that far apart, and
    shot changes; at most ``detail_max``) with their long side up to ``detail_size``, for local-feature matching.
    Frames are turned upright per their display matrix (``FrameSample.rotation`` says by how much).
    ``interval_s`` overrides ``config.interval_s`` (references are sampled more densely than queries), and the
    ``config.max_frames`` cap then scales with it, so it still bounds the same duration.
    Sampling stops early at ``config.max_frames`` sampled frames, after ``limits.max_frames_decoded`` decoded
    frames, or at a decode error once some frames have decoded: a partial sample, ``stopped_by`` says which and
    ``stopped_at_s`` how far it got. It raises ``BudgetExceeded`` once ``deadline`` (default: the running
    stage's) has passed; the decoded-frame and deadline checks cost a comparison and a clock read per frame.

    ``on_frame`` streams: each sampled frame goes to it instead of into ``FrameSample.frames`` (which stays
    empty; ``frames_sampled`` counts them), and there is no ``max_frames`` cap: the archive side indexes a
    reference whole in constant memory (an hour sampled every 0.5 s would hold 7,200 frames, 3 GB of pixels).
    ``max_frames_decoded`` overrides ``limits.max_frames_decoded`` (references: see index.py).

    ``on_sample`` sees every sampled frame with a function that converts that decoded frame at the source's own
    size (RGB, upright): the keyframes of a report or of ``provenance keyframes`` (visual/keyframes.py) come from
    the decode the stage makes anyway, and only the frames it keeps are converted at full size.
    """
    config = config or FramesConfig()
    interval = interval_s or config.interval_s
    max_frames = float("inf") if on_frame else max(1, round(config.max_frames * config.interval_s / interval))
    max_decoded = max_frames_decoded or (limits or Limits()).max_frames_decoded or float("inf")
    detail_cap = float("inf") if on_frame else detail_max
    deadline = deadline or current_deadline()
    deadline_at = deadline.at
    now = time.monotonic
    last_detail = -1e9
    details = 0
    out = FrameSample()
    with video_stream(path, skip_frame="NONREF") as (container, stream), _decoder_errors(
            container.format.name in _RAW_STREAMS) as decoder_log:
        watched = container.format.name in _RAW_STREAMS
        out.untimed = _assumed_rate(path, container.format.name)
        corrupt = 0
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        demuxed = _Demuxed(start, float(stream.time_base) if stream.time_base else None)
        frame_s = 1.0 / float(stream.average_rate) if stream.average_rate else 0.04  # a frame's span on screen
        # Frames without a presentation time (raw H.264/HEVC elementary streams: no container, no timestamps;
        # issue 14 round 6, D5) are timed from the packets demuxed and the stream's frame rate, or 25 fps when
        # FFmpeg knows none (ASSUMED_FPS, said in ``FrameSample.untimed``); decode order may put a frame a
        # reorder depth (1-3 frames, 0.04-0.12 s at 25 fps) off its display time, far below the sampling interval.
        rate = stream.average_rate or stream.guessed_rate
        untimed_s = 1.0 / float(rate) if rate else 1.0 / ASSUMED_FPS
        untimed_words = (f"{float(rate):g} fps (the stream's rate)" if rate else
                         f"{ASSUMED_FPS:g} fps (assumed: the stream declares no rate)")
        untimed_from: int | None = None
        spans: list[tuple[float, float]] = []  # (start, end) of every decoded frame: decoded coverage (coverage.py)
        next_t = 0.0
        last_sample_t = -1e9
        cut = ShotDetector(config.shot_threshold)
        convert = RgbConverter()
        size: tuple[int, int] | None = None
        turns: int | None = None
        last_t: float | None = None  # presentation time of the last decoded frame with one

        def keep(frame: av.VideoFrame, t: float, shot: bool) -> bool:
            """Sample ``frame`` (at ``t`` s); True when that reaches ``max_frames``."""
            nonlocal size, turns, last_detail, details, last_sample_t, next_t
            if size is None:
                size = target_size(frame.width, frame.height)
            if turns is None:  # the stream's display matrix, carried by every decoded frame
                turns = display_turns(frame)
                out.rotation = 90 * turns
            rgb = upright(convert(frame, *size), turns)
            detail = None
            if detail_every_s and details < detail_cap and (shot or t - last_detail >= detail_every_s - 1e-6):
                dw, dh = target_size(frame.width, frame.height, detail_size)
                detail = rgb if (dw, dh) == size else upright(convert(frame, dw, dh), turns)
                last_detail, details = t, details + 1
            sampled = SampledFrame(t=round(t, 3), rgb=rgb, shot_change=shot, detail=detail)
            if on_sample is not None:
                on_sample(sampled, functools.partial(full_size, frame, turns, convert))
            if on_frame is None:
                out.frames.append(sampled)
            else:
                on_frame(sampled)
            out.frames_sampled += 1
            last_sample_t = t
            next_t = (int(t / interval) + 1) * interval
            if out.frames_sampled >= max_frames:
                out.stopped_by = "max_frames"
                return True
            return False

        try:
            for frame in demuxed.frames(container, stream):
                out.frames_decoded += 1
                if deadline_at is not None and now() >= deadline_at:
                    raise BudgetExceeded(deadline.message())
                if out.frames_decoded > max_decoded:
                    out.frames_decoded -= 1
                    out.stopped_by = "max_frames_decoded"
                    break
                if frame.time is not None:
                    t = last_t = max(0.0, float(frame.time) - start)
                else:  # a raw elementary stream (.h264/.hevc from a DVR): no timestamps, timed by packet order
                    untimed_from = demuxed.seen if untimed_from is None else untimed_from
                    out.untimed = untimed_words
                    t = last_t = (demuxed.seen - untimed_from) * untimed_s
                spans.append((t, t + frame_s))
                corrupt += watched and frame.is_corrupt
                take = t >= next_t
                shots = cut(frame, t, check=take)
                out.shot_changes.extend(round(c, 3) for c in shots.cuts)
                if shots.within is not None and keep(shots.within, _frame_t(shots.within, start, t), True):
                    break
                if shots.here:  # every shot gets a sample: its first checked frame, unless one was taken in it
                    take = take or last_sample_t < max(shots.cuts)
                if take and keep(frame, t, shots.here):
                    break
            else:
                # The stream ended less than a check after a cut (a 2-picture MJPEG, a shot in the last 0.2 s): the
                # last frame is checked now, so that shot gets its sample too (issue 14 round 7, N1).
                if last_t is not None and last_sample_t < last_t:
                    shots = cut(frame, last_t, check=True)
                    out.shot_changes.extend(round(c, 3) for c in shots.cuts)
                    if shots.within is not None:
                        keep(shots.within, _frame_t(shots.within, start, last_t), True)
                    elif shots.here and last_sample_t < max(shots.cuts):
                        keep(frame, last_t, True)
        except av.FFmpegError as exc:
            if not out.frames_sampled:
                raise FrameError(f"cannot decode video: {exc}") from exc
            if not _multipart_end(path, container, demuxed):
                # A damaged tail: keep what decoded. The caller reports the sample as partial.
                out.stopped_by, out.decode_error = "decode_error", " ".join(str(exc).split())
        if out.stopped_by is not None:
            out.stopped_at_s = None if last_t is None else round(last_t, 3)
        declared = _declared_s(container, stream, start)
        limit = {"max_frames": "[visual.frames] max_frames", "max_frames_decoded": "[limits] max_frames_decoded"}
        out.coverage = measure("video", spans, declared, packets=demuxed.packets, refused=demuxed.refused,
                               bad_packets=demuxed.bad,
                               limit=limit.get(out.stopped_by or ""), error=out.decode_error or demuxed.first_error,
                               frames_decoded=out.frames_decoded,
                               frames_sampled=out.frames_sampled,
                               concealed=_concealed_words(list(decoder_log), corrupt),
                               cut=cut_reason(path, container.format.name))
    if not out.frames_sampled:
        if out.stopped_by == "max_frames_decoded":
            raise FrameError(f"no frame with a timestamp in the first {out.frames_decoded} decoded frames "
                             "([limits] max_frames_decoded)")
        raise FrameError("no decodable video frames")
    return out
