"""Keyframes for a reverse image search: one full-resolution frame per shot, and one every N seconds of a long one.

The frames an analyst takes to a reverse image search (Google Lens, Yandex, TinEye) are the first frame of every
shot at the resolution of the source: the report's 160-px thumbnails find nothing. Shots are found by the visual
stage's own detector (``frames.sample_video``: grey-thumbnail differences against ``[visual.frames]
shot_threshold``), so the keyframes are the shot changes the report lists; a shot longer than ``every_s`` gets
another frame each ``every_s``. Only those frames are converted at full size (swscale) and encoded as JPEG
(quality 95: what search engines accept, ~10x cheaper to write than PNG at 720p); the decoder skips
non-reference frames as the visual stage does, so the whole run stays within the cost of a plain decode
(``benchmarks/bench_keyframes.py``).

Output: a new folder ``<out>/<stem>-keyframes-<UTC time>-<random>/`` (never an existing one: built aside as
``.building-*`` and renamed into place whole), holding ``frame-NNN-<m>m<ss.sss>s.jpg`` per keyframe,
``contact-sheet.jpg`` (every keyframe small, with its time), ``index.html`` (each frame with its time and
whether it opens a shot) and ``keyframes.json`` (the same, for tools).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from provenance.errors import ProvenanceError
from provenance.fileio import atomic_write, umask
from provenance.limits import Limits
from provenance.media import display_path, probe
from provenance.report.view import fmt_t, render_partial
from provenance.visual.config import FramesConfig
from provenance.visual.frames import SampledFrame, sample_video

JPEG_QUALITY = 95  # visually lossless for search engines; 720p frames of the bench clip: ~150-250 KB each
SHEET_THUMB_W = 320  # contact-sheet cell width (px): a frame stays recognisable, 4 per row fit a laptop screen
SHEET_COLUMNS = 4
EVERY_S = 10.0  # default spacing of extra keyframes in a long shot (seconds): a 60-s single take gives 6 frames
SHEET_MAX = 120  # frames on the contact sheet (30 rows of 4, ~6,000 px tall); more are chosen evenly, and said
MAX_KEYFRAMES = 2000  # full-resolution frames written at most (~400 MB of 720p JPEG): a 6-h clip cut every 2 s
# would write 10,800; past the cap the rest are left out and the result says so (``capped_at_s``)


class KeyframeError(ProvenanceError):
    """Keyframes cannot be taken from this file; one line for the user."""


@dataclass
class Keyframe:
    t: float  # presentation time (s)
    file: str  # file name in the folder
    shot_change: bool  # the first frame of a shot (else: a frame of a long shot, or the clip's first frame)
    width: int
    height: int


@dataclass
class KeyframeSet:
    source: str
    sha256: str
    duration_s: float | None
    every_s: float
    shot_threshold: float
    frames: list[Keyframe] = field(default_factory=list)
    folder: str = ""
    frames_decoded: int = 0
    capped_at_s: float | None = None  # MAX_KEYFRAMES reached at this time: no keyframe after it was written
    sheet_frames: int = 0  # how many of the frames the contact sheet shows (all, up to SHEET_MAX)


def _name(i: int, t: float) -> str:
    minutes, seconds = divmod(t, 60.0)
    return f"frame-{i:03d}-{int(minutes)}m{seconds:06.3f}s.jpg"


def _jpeg(rgb: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise KeyframeError("cannot encode a frame as JPEG")
    return buf.tobytes()


def contact_sheet(thumbs: list[tuple[float, np.ndarray]], columns: int = SHEET_COLUMNS) -> np.ndarray:
    """The keyframes small, left to right, top to bottom, each time written under it (RGB)."""
    cell_h = max(t.shape[0] for _, t in thumbs)
    label_h, pad = 22, 6
    rows = math.ceil(len(thumbs) / columns)
    sheet = np.full((rows * (cell_h + label_h + pad) + pad, columns * (SHEET_THUMB_W + pad) + pad, 3), 255, np.uint8)
    for i, (t, thumb) in enumerate(thumbs):
        r, c = divmod(i, columns)
        y, x = pad + r * (cell_h + label_h + pad), pad + c * (SHEET_THUMB_W + pad)
        sheet[y:y + thumb.shape[0], x:x + thumb.shape[1]] = thumb
        cv2.putText(sheet, fmt_t(t), (x + 2, y + cell_h + 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1,
                    cv2.LINE_AA)
    return sheet


def _folder_name(path: Path) -> str:
    stem = re.sub(r"[^\w.-]+", "_", path.stem, flags=re.UNICODE).lstrip("._-").rstrip("._")[:80] or "media"
    return f"{stem}-keyframes-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def extract(path: str | Path, out: str | Path, *, every_s: float = EVERY_S, frames: FramesConfig | None = None,
            limits: Limits | None = None) -> KeyframeSet:
    """Write the keyframes of the video at ``path`` into a new folder under ``out``; return what was written."""
    path, out = Path(path), Path(out)
    if not every_s > 0 or not math.isfinite(every_s):
        raise KeyframeError(f"--every {every_s!r}: give a number of seconds above 0")
    frames = frames or FramesConfig()
    media = probe(path, limits or Limits())
    if media.kind != "video" or media.video is None:
        why = "a photo is its own keyframe" if media.kind == "image" else "it has no pictures"
        raise KeyframeError(f"{display_path(path)}: not a video (an {media.kind} file): {why}")
    result = KeyframeSet(source=display_path(path), sha256=media.sha256, duration_s=media.duration_s, every_s=every_s,
                         shot_threshold=frames.shot_threshold)
    if out.exists() and not out.is_dir():
        raise KeyframeError(f"--out {display_path(out)}: a file, not a folder: give a folder to write the keyframes "
                            "into")
    out.mkdir(parents=True, exist_ok=True)
    final = out / _folder_name(path)
    aside = out / f".building-{final.name}"
    aside.mkdir()
    thumbs: list[tuple[float, bytes]] = []  # small JPEGs (~10 KB each): memory stays bounded on long clips
    try:
        def keep(frame: SampledFrame) -> None:
            if frame.detail is None or result.capped_at_s is not None:
                return
            if len(result.frames) >= MAX_KEYFRAMES:
                result.capped_at_s = frame.t
                return
            rgb = frame.detail
            name = _name(len(result.frames) + 1, frame.t)
            atomic_write(aside / name, _jpeg(rgb))
            result.frames.append(Keyframe(frame.t, name, frame.shot_change, int(rgb.shape[1]), int(rgb.shape[0])))
            h = max(2, round(rgb.shape[0] * SHEET_THUMB_W / rgb.shape[1]))
            thumbs.append((frame.t, _jpeg(cv2.resize(rgb, (SHEET_THUMB_W, h), interpolation=cv2.INTER_AREA), 85)))

        long_side = max(media.video.width or 0, media.video.height or 0) or 1 << 15
        sample = sample_video(path, frames, detail_every_s=every_s, detail_size=long_side, limits=limits,
                              on_frame=keep)
        result.frames_decoded = sample.frames_decoded
        if not result.frames:
            raise KeyframeError(f"{display_path(path)}: no frame decoded")
        shown = [thumbs[round(i * (len(thumbs) - 1) / max(1, SHEET_MAX - 1))] for i in range(SHEET_MAX)] \
            if len(thumbs) > SHEET_MAX else thumbs
        result.sheet_frames = len(shown)
        sheet = contact_sheet([(t, cv2.cvtColor(cv2.imdecode(np.frombuffer(j, np.uint8), cv2.IMREAD_COLOR),
                                                cv2.COLOR_BGR2RGB)) for t, j in shown])
        atomic_write(aside / "contact-sheet.jpg", _jpeg(sheet, 85))
        atomic_write(aside / "keyframes.json", json.dumps(asdict(result) | {"folder": final.name}, indent=2,
                                                          ensure_ascii=False) + "\n")
        atomic_write(aside / "index.html", str(render_partial("provenance.visual", "keyframes.html.j2", k=result,
                                                                  fmt_t=fmt_t)))
        os.chmod(aside, 0o777 & ~umask())
        os.rename(aside, final)  # a new name: an existing folder is never replaced (rename onto one fails)
    except BaseException:
        for leftover in aside.iterdir() if aside.exists() else []:
            leftover.unlink()
        if aside.exists():
            aside.rmdir()
        raise
    result.folder = str(final)
    return result
