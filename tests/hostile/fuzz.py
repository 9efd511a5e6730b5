"""A bounded, seeded mutation fuzzer for the project's own parsers: the still-image probe and decoder and the
metadata readers (EXIF, ISO BMFF and its declared-sample count, RIFF, Matroska, H.264 SEI, XMP), the cut-tail
readers (truncation.py) and the JPEG picture walk (sniff.jpeg_pictures).

``python tests/hostile/fuzz.py [MUTATIONS] [SEED]`` runs it and prints the tally; the test suite calls
``run()``. Seeds are real, small files made here (a photograph from scikit-image in JPEG, PNG, TIFF, WebP,
GIF, BMP, DDS and HEIC with EXIF, GPS and XMP; H.264 clips in MP4 and Matroska with tags; a WAV with a RIFF
INFO list); each mutation flips bits, writes boundary integers (0, 1, 2^31 - 1, 2^32 - 1) over 1-4 bytes,
truncates, duplicates or inserts a slice. A parser may refuse a file in its documented way (a reading's
``error``, ``None``, ``FrameError``, ``MediaLimitError``); any other exception escaping is a finding, and so is
one call slower than ``SLOW_S``.
"""

from __future__ import annotations

import io
import random
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
import make_corpus

SLOW_S = 5.0  # one call on < 100 KB: real ones take ms, the worst fuzzed 0.6-2.3 s on a loaded machine
_INTERESTING = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)


@dataclass
class Tally:
    mutations: int = 0
    calls: int = 0
    refusals: int = 0  # documented refusals (reading errors, None, FrameError...)
    escapes: list[str] = field(default_factory=list)  # "target seed#n: TypeError: ..." (deduplicated by kind)
    slowest: tuple[float, str] = (0.0, "")
    seconds: float = 0.0


def _photo() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut()).resize((96, 96))


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0132] = "Canon", "Canon EOS 5D", "2021:04:01 10:00:00"
    exif.get_ifd(0x8769)[0x9003] = "2021:04:01 09:59:58"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (48.0, 51.0, 29.0), "E", (2.0, 17.0, 40.0)
    return exif


_XMP = (b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
        b"<rdf:Description xmlns:xmp='http://ns.adobe.com/xap/1.0/' xmp:CreateDate='2021-04-01T10:00:00+02:00' "
        b"xmp:CreatorTool='Fuzz 1.0'/></rdf:RDF></x:xmpmeta>")


def seeds() -> dict[str, bytes]:
    """Small valid files, by the name (and so extension) they are written under."""
    photo, exif = _photo(), _exif()
    out: dict[str, bytes] = {}
    for name, fmt, extra in (("photo.jpg", "JPEG", {"exif": exif, "xmp": _XMP}), ("photo.png", "PNG", {"exif": exif}),
                             ("photo.webp", "WEBP", {"exif": exif, "xmp": _XMP}), ("photo.bmp", "BMP", {}),
                             ("photo.dds", "DDS", {})):
        buf = io.BytesIO()
        photo.save(buf, fmt, **extra)
        out[name] = buf.getvalue()
    buf = io.BytesIO()
    photo.save(buf, "TIFF", exif=exif, save_all=True, append_images=[photo.rotate(90)])
    out["pages.tif"] = buf.getvalue()
    buf = io.BytesIO()
    frames = [photo.rotate(a).convert("P") for a in (0, 20, 40)]
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100)
    out["anim.gif"] = buf.getvalue()
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_itxt("XML:com.adobe.xmp", _XMP.decode(), zip=True)  # compressed XMP: xmp.png_packets inflates it
    text.add_text("Comment", "fuzz " * 200, zip=True)
    buf = io.BytesIO()
    photo.save(buf, "PNG", pnginfo=text)
    out["xmp.png"] = buf.getvalue()
    out["phone.heic"] = make_corpus.phone_heic()
    tags = {"title": "fuzz", "make": "Apple", "model": "iPhone 12", "location": "+48.8577+002.2950/",
            "creation_time": "2021-04-01T08:00:00Z"}
    out["clip.mp4"] = make_corpus.clip(0.5, seed=40, faststart=True, metadata=tags)
    out["clip.mkv"] = make_corpus.clip(0.5, seed=41, fmt="matroska", metadata=tags)
    out["sound.wav"] = _wav()
    buf = io.BytesIO()
    photo.save(buf, "JPEG")  # a phone's motion photo: the JPEG, then its MP4 (visual.embedded; issue 14 round 7)
    out["motion.jpg"] = buf.getvalue() + make_corpus.clip(0.5, seed=42)
    # Samsung's: the clip in a MotionPhoto_Data block indexed by the SEF trailer at the file's end (round 8, H1)
    out["samsung.jpg"] = buf.getvalue() + make_corpus.sef_trailer(make_corpus.clip(0.5, seed=43))
    return out


def _wav() -> bytes:
    info = b"INFO" + b"ICRD" + struct.pack("<I", 10) + b"2021-04-01" + b"ISFT" + struct.pack("<I", 6) + b"Lavf\x00\x00"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
    samples = (np.sin(np.arange(800) * 0.1) * 8000).astype("<i2").tobytes()
    body = b"WAVE" + fmt + b"LIST" + struct.pack("<I", len(info)) + info + b"data" + struct.pack("<I", len(samples)) \
        + samples
    return b"RIFF" + struct.pack("<I", len(body)) + body


def mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        at = rng.randrange(max(1, len(out)))
        if op == 0:  # bit flips
            for _ in range(rng.randint(1, 8)):
                i = rng.randrange(len(out))
                out[i] ^= 1 << rng.randrange(8)
        elif op == 1:  # a boundary integer over 1, 2 or 4 bytes (size and count fields)
            width = rng.choice((1, 2, 4))
            value = rng.choice(_INTERESTING) & ((1 << (8 * width)) - 1)
            out[at : at + width] = value.to_bytes(width, rng.choice(("big", "little")))
        elif op == 2:  # truncate
            del out[max(8, at) :]
        elif op == 3:  # duplicate a slice
            n = rng.randint(1, 256)
            out[at:at] = out[at : at + n]
        elif op == 4:  # insert random bytes
            out[at:at] = rng.randbytes(rng.randint(1, 64))
        else:  # zero a run
            n = rng.randint(1, 64)
            out[at : at + n] = bytes(len(out[at : at + n]))
    return bytes(out)


def targets() -> dict[str, Callable[[Path], object]]:
    from provenance import sniff, truncation
    from provenance.media import MediaLimitError, _probe_still, register_still_decoders
    from provenance.metadata import asf, dv, exif, h264, iptc, isobmff, matroska, mxf, riff, xmp
    from provenance.visual import embedded
    from provenance.visual.frames import FrameError, load_image
    from provenance.visual.heif_integrity import damage

    register_still_decoders()

    def still(path: Path) -> object:
        try:
            return _probe_still(path)
        except MediaLimitError:
            return None

    def decode(path: Path) -> object:
        try:
            return load_image(path)
        except FrameError:
            return None

    def errors(reading: object) -> object:
        return getattr(reading, "error", None)

    return {
        "still probe": still,
        "still decode": decode,
        "exif": lambda p: exif.read(p).error,
        "isobmff": lambda p: errors(isobmff.read(p)),
        "isobmff samples": lambda p: isobmff.declared_samples(p) or None,
        "riff": lambda p: errors(riff.read(p)),
        "matroska": lambda p: errors(matroska.read(p)),
        "h264": lambda p: errors(h264.read(p)),
        "xmp": lambda p: errors(xmp.read(xmp.scan(p))),
        "png xmp": lambda p: xmp.png_packets(p)[1],
        "heif cut items": isobmff.cut_items,
        "heif integrity": damage,
        "iptc": lambda p: errors(iptc.read(p)),
        "jpeg extended xmp": lambda p: xmp.jpeg_extended(p)[1],
        "asf": lambda p: errors(asf.read(p)),
        "dv": lambda p: errors(dv.read(p)),
        "mxf": lambda p: errors(mxf.read(p)),
        # where a motion photo's clip starts (JPEG markers walked by length: sniff.jpeg_end), and raw MJPEG
        "motion photo": lambda p: sniff.embedded_video_offset(p) if not sniff.is_mjpeg(p) else None,
        # a clip further on, where the photo's XMP declares it (visual.embedded: an Ultra HDR motion photo)
        "motion photo xmp": lambda p: embedded.motion_photo_xmp(p),
        # Samsung's trailer (SEF directory walked back from the end) and a HEIC's top-level boxes (round 8, H1, H2)
        "samsung trailer": embedded.sef_clip,
        "heif boxes": lambda p: embedded.heif_boxes(p)[0],
        # a cut or overwritten tail by each reader of truncation.py (MP4 boxes, Matroska Segment, JPEG EOI)
        "cut tail": lambda p: [truncation.cut_reason(p, f) for f in ("mov", "matroska", "mjpeg")],
        # JPEGs back to back: a still with pictures appended, or a clip (sniff.jpeg_pictures, jpeg_size)
        "appended pictures": lambda p: sniff.appended_jpegs(p, 64) or None,
    }


def run(mutations: int = 1200, seed: int = 14, *, workdir: Path | None = None) -> Tally:
    """``mutations`` mutated files spread over the seeds, every target on each; deterministic for one seed."""
    started = time.monotonic()
    rng = random.Random(seed)
    base = seeds()
    calls = targets()
    tally = Tally()
    seen: set[str] = set()
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        names = sorted(base)
        for n in range(mutations):
            name = names[n % len(names)]
            path = Path(tmp) / name
            path.write_bytes(mutate(base[name], rng))
            tally.mutations += 1
            for target, call in calls.items():
                t0 = time.monotonic()
                try:
                    if call(path) is None:
                        tally.refusals += 1
                except Exception as exc:  # the finding: an exception the parser's contract does not allow
                    kind = f"{target}: {type(exc).__name__}"
                    if kind not in seen:
                        seen.add(kind)
                        tally.escapes.append(f"{kind} on {name} mutation #{n}: {str(exc)[:120]}")
                spent = time.monotonic() - t0
                tally.calls += 1
                if spent > tally.slowest[0]:
                    tally.slowest = (spent, f"{target} on {name} mutation #{n}")
    tally.seconds = time.monotonic() - started
    return tally


if __name__ == "__main__":
    result = run(int(sys.argv[1]) if len(sys.argv) > 1 else 1200, int(sys.argv[2]) if len(sys.argv) > 2 else 14)
    print(f"{result.mutations} mutations, {result.calls} calls, {result.refusals} refusals, "
          f"{result.seconds:.1f} s, slowest {result.slowest[0] * 1000:.0f} ms ({result.slowest[1]})")
    for line in result.escapes:
        print("ESCAPED", line)
