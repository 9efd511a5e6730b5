"""Keyframes for a reverse image search: one full-resolution frame per shot, and one every N seconds of a long one.

The frames an analyst takes to a reverse image search (Google Lens, Yandex, TinEye) are the first frame of every
shot at the resolution of the source: the report's 160-px thumbnails find nothing. Shots are found by the visual
stage's own detector (``frames.sample_video``: grey-thumbnail differences against ``[visual.frames]
shot_threshold``), so the keyframes are the shot changes the report lists; a shot longer than ``every_s`` gets
another frame each ``every_s``. Only those frames are converted at full size (swscale) and encoded as JPEG
(quality 95: what search engines accept, ~10x cheaper to write than PNG at 720p); the decoder skips
non-reference frames as the visual stage does, so the whole run stays within the cost of a plain decode
(``benchmarks/bench_keyframes.py``).

Two users, one :class:`Collector` (so the frames are the same, byte for byte, for the same settings):

- ``provenance keyframes FILE --out DIR`` (:func:`extract`): a new folder ``<out>/<stem>-keyframes-<UTC
  time>-<random>/`` (never an existing one: built aside as ``.building-*`` and renamed into place whole), holding
  ``frame-NNN-<m>m<ss.sss>s.jpg`` per keyframe, ``contact-sheet.jpg`` (every keyframe small, with its time),
  ``index.html`` (each frame with its time and whether it opens a shot) and ``keyframes.json`` (the same, for
  tools).
- ``verify`` (:class:`ReportKeyframes`, run by the visual stage from the frames it decodes anyway): the same
  frames, contact sheet and index page in the report's run folder as ``keyframes/``, each listed in
  ``visual.keyframes`` with its time, size and SHA-256 (so the report's digest and signature cover them and
  ``report check`` finds a swapped one), and report.html / report.md link each shot's thumbnail to its frame.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from provenance.errors import ProvenanceError
from provenance.fileio import atomic_write, umask
from provenance.limits import Limits
from provenance.media import MediaFile, display_path, probe
from provenance.report.model import KeyframeFile, Keyframes, VisualSection
from provenance.report.view import fmt_t, render_partial
from provenance.visual.config import FramesConfig
from provenance.visual.frames import SampledFrame, sample_video

if TYPE_CHECKING:
    from provenance.visual.config import VisualConfig

JPEG_QUALITY = 95  # visually lossless for search engines; 720p frames of the bench clip: ~150-250 KB each
SHEET_THUMB_W = 320  # contact-sheet cell width (px): a frame stays recognisable, 4 per row fit a laptop screen
SHEET_COLUMNS = 4
EVERY_S = 10.0  # default spacing of extra keyframes in a long shot (seconds): a 60-s single take gives 6 frames
SHEET_MAX = 120  # frames on the contact sheet (30 rows of 4, ~6,000 px tall); more are chosen evenly, and said
MAX_KEYFRAMES = 2000  # full-resolution frames written at most (~400 MB of 720p JPEG): a 6-h clip cut every 2 s
# would write 10,800; past the cap the rest are left out and the result says so (``capped_at_s``)
REPORT_FOLDER = "keyframes"  # in a report's run folder, beside report.json
SHEET_FILE, INDEX_FILE = "contact-sheet.jpg", "index.html"


class KeyframeError(ProvenanceError):
    """Keyframes cannot be taken from this file; one line for the user."""


@dataclass
class Keyframe:
    t: float  # presentation time (s)
    file: str  # file name in the folder
    shot_change: bool  # the first frame of a shot (else: a frame of a long shot, or the clip's first frame)
    width: int
    height: int
    size_bytes: int = 0
    sha256: str = ""


@dataclass
class KeyframeSet:
    # the file's name only: the folder is made to be shared, and a local path can name a case or a source (the
    # SHA-256 identifies the file)
    source: str
    sha256: str
    duration_s: float | None
    every_s: float
    shot_threshold: float
    frames: list[Keyframe] = field(default_factory=list)
    folder: str = ""
    frames_decoded: int = 0
    capped_at_s: float | None = None  # the frame cap reached at this time: no keyframe after it was written
    sheet_frames: int = 0  # how many of the frames the contact sheet shows (all, up to SHEET_MAX)
    report: bool = False  # the keyframes folder of a report: its index page links back to report.html


def spacing(every_s: float, frames: FramesConfig) -> float:
    """The spacing (s) of the extra frames within a shot: ``every_s``, but never closer than the sampled frames
    they are taken from (``[visual.frames] interval_s``, 1 s: ``--every 0.5`` would give the frames of 1)."""
    return max(every_s, frames.interval_s)


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


class Collector:
    """Keeps the keyframes of one decode (``frames.sample_video``'s ``on_sample``): the clip's first sampled
    frame, every sampled frame that opens a shot, and one each ``every_s`` within a shot, at most ``max_frames``
    of at most ``max_bytes`` in all (past either, ``capped_at_s`` says from when none was kept).

    Each kept frame is converted at the source's size, encoded as JPEG and handed to ``write(name, jpeg)`` at
    once, with a small copy kept for the contact sheet (~10 KB): memory stays bounded on long clips.
    """

    def __init__(self, write: Callable[[str, bytes], None], *, every_s: float = EVERY_S,
                 max_frames: int = MAX_KEYFRAMES, max_bytes: float = math.inf) -> None:
        self.write, self.every_s, self.max_frames, self.max_bytes = write, every_s, max_frames, max_bytes
        self.size_bytes = 0  # of the frames written
        self.frames: list[Keyframe] = []
        self.thumbs: list[tuple[float, bytes]] = []  # (time, small JPEG) per frame
        self.capped_at_s: float | None = None
        self._last = -math.inf

    def __call__(self, frame: SampledFrame, full: Callable[[], np.ndarray]) -> None:
        if self.capped_at_s is not None or not (frame.shot_change or frame.t - self._last >= self.every_s - 1e-6):
            return
        if len(self.frames) >= self.max_frames:
            self.capped_at_s = frame.t
            return
        rgb = full()
        name, jpeg = _name(len(self.frames) + 1, frame.t), _jpeg(rgb)
        if self.size_bytes + len(jpeg) > self.max_bytes:
            self.capped_at_s = frame.t
            return
        self.size_bytes += len(jpeg)
        self.write(name, jpeg)
        self.frames.append(Keyframe(frame.t, name, frame.shot_change, int(rgb.shape[1]), int(rgb.shape[0]),
                                    len(jpeg), hashlib.sha256(jpeg).hexdigest()))
        self._last = frame.t
        h = max(2, round(rgb.shape[0] * SHEET_THUMB_W / rgb.shape[1]))
        self.thumbs.append((frame.t, _jpeg(cv2.resize(rgb, (SHEET_THUMB_W, h), interpolation=cv2.INTER_AREA), 85)))

    def pages(self, result: KeyframeSet) -> dict[str, bytes]:
        """The contact sheet and the index page of ``result`` (whose frames are this collector's)."""
        thumbs = self.thumbs
        shown = [thumbs[round(i * (len(thumbs) - 1) / max(1, SHEET_MAX - 1))] for i in range(SHEET_MAX)] \
            if len(thumbs) > SHEET_MAX else thumbs
        result.sheet_frames = len(shown)
        sheet = contact_sheet([(t, cv2.cvtColor(cv2.imdecode(np.frombuffer(j, np.uint8), cv2.IMREAD_COLOR),
                                                cv2.COLOR_BGR2RGB)) for t, j in shown])
        page = str(render_partial("provenance.visual", "keyframes.html.j2", k=result, fmt_t=fmt_t))
        return {SHEET_FILE: _jpeg(sheet, 85), INDEX_FILE: page.encode("utf-8")}


class ReportKeyframes:
    """The keyframes of a verify, taken by the visual stage from its own decode (``on_sample``) and kept in
    memory (at most ``[visual.keyframes] max_frames`` JPEGs) until the report folder is written."""

    def __init__(self, media: MediaFile, config: VisualConfig) -> None:
        self.media, self.config = media, config
        self.jpegs: dict[str, bytes] = {}
        self.collect = Collector(self.jpegs.__setitem__, every_s=spacing(config.keyframes.every_s, config.frames),
                                 max_frames=config.keyframes.max_frames, max_bytes=config.keyframes.max_mb * 1e6)

    def finish(self, files: dict[str, bytes], frames_decoded: int) -> Keyframes | None:
        """Add the folder's files to ``files`` (the report's ``Artefacts.files``) and return the section's record;
        None when no frame was kept."""
        c = self.collect
        if not c.frames:
            return None
        k = KeyframeSet(source=display_path(Path(self.media.path).name), sha256=self.media.sha256,
                        duration_s=self.media.duration_s, every_s=c.every_s,
                        shot_threshold=self.config.frames.shot_threshold, frames=c.frames, folder=REPORT_FOLDER,
                        frames_decoded=frames_decoded, capped_at_s=c.capped_at_s, report=True)
        pages = c.pages(k)
        folder = f"{REPORT_FOLDER}/"
        files.update({folder + name: jpeg for name, jpeg in self.jpegs.items()})
        files.update({folder + name: data for name, data in pages.items()})
        return Keyframes(
            folder=REPORT_FOLDER, every_s=c.every_s, capped_at_s=c.capped_at_s,
            frames=[KeyframeFile(f.t, folder + f.file, f.shot_change, f.width, f.height, f.size_bytes, f.sha256)
                    for f in c.frames],
            files={folder + name: hashlib.sha256(data).hexdigest() for name, data in pages.items()})


FILE_MAX_BYTES = 64 << 20  # a keyframe read back: an 8K frame at quality 95 is ~10 MB


def carried_files(section: VisualSection, run: Path) -> dict[str, bytes]:
    """The keyframes folder of the earlier run ``run`` (a report that passed ``read_verified``), read back for a
    report re-matched from it (batch/rematch.py): the frames are the same frames of the same file, so the new
    run folder carries them, each checked against the SHA-256 the section lists. ``FingerprintError`` when one
    is gone or changed since (the file is then verified in full, as for a fingerprint that fails)."""
    from provenance.report.integrity import IntegrityError, read_regular
    from provenance.visual.store import FingerprintError

    k = section.keyframes
    if k is None:
        return {}
    out = {}
    for path, sha in [*((f.path, f.sha256) for f in k.frames), *k.files.items()]:
        try:
            data = read_regular(run / path, FILE_MAX_BYTES)
        except (OSError, IntegrityError) as exc:
            raise FingerprintError(f"the earlier run's {path} cannot be read ({exc})") from exc
        if hashlib.sha256(data).hexdigest() != sha:
            raise FingerprintError(f"the earlier run's {path} differs from the one its report lists")
        out[path] = data
    return out


def _folder_name(path: Path) -> str:
    stem = re.sub(r"[^\w.-]+", "_", path.stem, flags=re.UNICODE).lstrip("._-").rstrip("._")[:80] or "media"
    return f"{stem}-keyframes-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def extract(path: str | Path, out: str | Path, *, every_s: float = EVERY_S, frames: FramesConfig | None = None,
            limits: Limits | None = None) -> KeyframeSet:
    """Write the keyframes of the video at ``path`` into a new folder under ``out``; return what was written
    (``every_s`` as used: see :func:`spacing`)."""
    path, out = Path(path), Path(out)
    if not every_s > 0 or not math.isfinite(every_s):
        raise KeyframeError(f"--every {every_s!r}: give a number of seconds above 0")
    frames = frames or FramesConfig()
    media = probe(path, limits or Limits())
    if media.kind != "video" or media.video is None:
        why = ("a photo is its own keyframe" if media.kind == "image" else
               media.pixels_refused if media.kind == "document" else "it has no pictures")
        article = "an" if media.kind[:1] in "aeiou" else "a"
        raise KeyframeError(f"{display_path(path)}: not a video ({article} {media.kind} file): {why}")
    every_s = spacing(every_s, frames)
    result = KeyframeSet(source=display_path(path.name), sha256=media.sha256, duration_s=media.duration_s,
                         every_s=every_s, shot_threshold=frames.shot_threshold)
    if out.exists() and not out.is_dir():
        raise KeyframeError(f"--out {display_path(out)}: a file, not a folder: give a folder to write the keyframes "
                            "into")
    out.mkdir(parents=True, exist_ok=True)
    final = out / _folder_name(path)
    aside = out / f".building-{final.name}"
    aside.mkdir()
    try:
        collect = Collector(lambda name, jpeg: atomic_write(aside / name, jpeg), every_s=every_s,
                            max_frames=MAX_KEYFRAMES)
        # streamed (on_frame): no [visual.frames] max_frames cap, nothing held per sampled frame
        sample = sample_video(path, frames, limits=limits, on_frame=lambda _frame: None, on_sample=collect)
        result.frames, result.capped_at_s, result.frames_decoded = collect.frames, collect.capped_at_s, \
            sample.frames_decoded
        if not result.frames:
            raise KeyframeError(f"{display_path(path)}: no frame decoded")
        for name, data in collect.pages(result).items():
            atomic_write(aside / name, data)
        atomic_write(aside / "keyframes.json", json.dumps(asdict(result) | {"folder": final.name}, indent=2,
                                                          ensure_ascii=False) + "\n")
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
