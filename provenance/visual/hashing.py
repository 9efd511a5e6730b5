"""Perceptual hashes of sampled frames: PDQ (matching) with its quality and mirror, pHash (interoperability).

The hashes themselves are signal types (signals.py); this module samples a file's frames and hashes each.
Frames are hashed at ``frames.HASH_SIZE`` on both the index and the query side, because PDQ of a full frame and
of a pre-scaled one differ by several bits.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from provenance.errors import ProvenanceError
from provenance.limits import Limits, current_deadline
from provenance.media import MediaFile
from provenance.report.model import StreamCoverage
from provenance.visual.config import FramesConfig
from provenance.visual.frames import (
    DETAIL_SIZE,
    HASH_SIZE,
    FrameError,
    SampledFrame,
    StopReason,
    load_page,
    sample_video,
    still_pages,
)
from provenance.visual.local_features import QUERY_FEATURES, LocalFeatures, extract
from provenance.visual.regions import content_boxes, drawn_around, interface_box
from provenance.visual.signals import PDQ, PHASH


class FingerprintError(ProvenanceError):
    """A stored fingerprint cannot be used; the message is one line for the user (the file is verified again).
    Defined here, beside the frames that raise it, so that ``visual.store`` (which re-exports it) and this module
    do not import each other."""

THUMB_SIZE = 160  # long side of report thumbnails


@dataclass(frozen=True)
class FrameHashes:
    pdq: bytes  # 32 bytes, PDQ bit i at word i // 16, bit i % 16 (ThreatExchange order: signals.PdqSignal.pack)
    quality: int  # PDQ quality, 0-100
    pdq_mirror: bytes | None
    phash: str  # 16 hex digits, imagehash order (signals.PHASH's bytes as hex)
    content: tuple[bytes, bytes | None] | None = None  # PDQ (and mirror) of the content box, when one was found
    # with the mirror: PDQ of all eight rotations and mirrors of the frame, in signals.DIHEDRAL order (the first
    # is ``pdq``, the fifth ``pdq_mirror``), so a repost turned by quarter turns is looked up as a mirror is
    dihedral: tuple[bytes, ...] | None = None

    @property
    def pdq_hex(self) -> str:
        return self.pdq.hex()


def crop_box(rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The content box, scaled so its long side is the hashing size again (as the reference was hashed)."""
    x0, y0, x1, y1 = box
    crop = rgb[y0:y1, x0:x1]
    scale = HASH_SIZE / max(crop.shape[:2])
    size = (max(2, round(crop.shape[1] * scale)), max(2, round(crop.shape[0] * scale)))
    return cv2.resize(crop, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def _pdq(rgb: np.ndarray, mirror: bool) -> tuple[bytes, int, tuple[bytes, ...] | None]:
    """PDQ and quality, with all eight dihedral variants when the mirror is asked for (the same two pdqhash calls
    for a 16:9 frame: signals.PdqSignal.compute_dihedral)."""
    if not mirror:
        pdq, quality = PDQ.compute(rgb)
        return pdq, quality, None
    variants, quality = PDQ.compute_dihedral(rgb)
    return variants[0], quality, tuple(variants)


def _pdq_mirror(rgb: np.ndarray, mirror: bool) -> tuple[bytes, int, bytes | None]:
    """PDQ, quality and the mirror's PDQ only: content boxes are looked up plain and mirrored, not turned."""
    pdq, quality = PDQ.compute(rgb)
    return pdq, quality, PDQ.compute_mirror(rgb) if mirror else None


def hash_frame(rgb: np.ndarray, *, mirror: bool = True, box: tuple[int, int, int, int] | None = None) -> FrameHashes:
    """PDQ with its quality, PDQ of the left-right mirror and of the quarter turns when asked, and pHash; with
    ``box``, also PDQ (and mirror) of the content box, kept only when it passes PDQ's quality gate.
    """
    rgb = np.ascontiguousarray(rgb)
    pdq, quality, dihedral = _pdq(rgb, mirror)
    content = None
    if box is not None:
        c_pdq, c_quality, c_mirror = _pdq_mirror(crop_box(rgb, box), mirror)
        content = (c_pdq, c_mirror) if PDQ.usable(c_quality) else None
    phash = PHASH.compute(rgb)[0].hex()
    return FrameHashes(pdq=pdq, quality=quality, pdq_mirror=dihedral[4] if dihedral else None, phash=phash,
                       content=content, dihedral=dihedral)


@dataclass
class HashedFrame:
    t: float
    hashes: FrameHashes
    shot_change: bool = False
    thumbnail: bytes | None = None  # JPEG, long side THUMB_SIZE, for reports (only when asked)
    pixels: np.ndarray | None = field(default=None, repr=False)  # RGB, kept for keypoint frames only
    box: tuple[int, int, int, int] | None = None  # content box (bars, blurred fill, static UI) in ``pixels``
    # a keypoint frame's ORB features as matching uses them, kept once extracted (keypoint_features): a stored
    # fingerprint (visual/store.py) brings them instead of ``pixels``; none found: an empty LocalFeatures
    features: LocalFeatures | None = field(default=None, repr=False)
    # the same picture's features mirrored left-right (matching._mirrored_local_pairs), kept once extracted and
    # stored with the fingerprint alike, so that a re-match from it searches what a fresh verify would
    mirror_features: LocalFeatures | None = field(default=None, repr=False)
    # (width, height) of ``pixels``: a stored fingerprint keeps the size without the pixels (matching._box_lookups
    # needs the clip frame's aspect to tell whether a wrapped reference's box is a place to crop to)
    pixels_size: tuple[int, int] | None = None
    # PDQ, quality and mirror PDQ (None: not computed) of the picture cropped to a wrapped reference's box place
    # (x0, y0, x1, y1 as shares, the reference frame's aspect; matching._box_lookups), kept and stored alike
    box_crops: dict[tuple[float, ...], tuple[bytes, int, bytes | None]] = field(default_factory=dict, repr=False)
    # its keypoints stretched to a still's aspect (matching._stretcher): (0 whole picture / 1 content box, factor)
    stretched: dict[tuple[int, float], LocalFeatures | None] = field(default_factory=dict, repr=False)
    # its keypoints in tiles of the picture (matching.TILES: footage inset over moving footage), by tile number
    tiles: dict[int, LocalFeatures | None] = field(default_factory=dict, repr=False)

    @property
    def keypoint_frame(self) -> bool:
        """Kept for local-feature matching: its pixels were kept, or its features were stored."""
        return self.pixels is not None or self.features is not None

    def keypoint_features(self) -> LocalFeatures | None:
        """The query-side ORB features of this keypoint frame (inside its content box, QUERY_FEATURES spread over
        the picture), extracted once; None when it is too flat, or not a keypoint frame."""
        if self.features is None and self.pixels is not None:
            pixels = crop_box(self.pixels, self.box) if self.box else self.pixels
            self.features = extract(pixels, QUERY_FEATURES, spread=True) or LocalFeatures(
                np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), pixels.shape[1], pixels.shape[0])
        return self.features if self.features is not None and len(self.features.points) else None

    def mirrored_keypoint_features(self) -> LocalFeatures | None:
        """The ORB features of this keypoint frame's picture (its content box, as ``keypoint_features``) mirrored
        left-right, extracted once; None when too flat or not a keypoint frame. A stored fingerprint brings them
        where the run that wrote it extracted them; where it did not, reading them raises (store._NotStored)."""
        if self.mirror_features is None and self.pixels is not None:
            pixels = crop_box(self.pixels, self.box) if self.box else self.pixels
            mirrored = np.ascontiguousarray(pixels[:, ::-1])
            self.mirror_features = extract(mirrored, QUERY_FEATURES, spread=True) or LocalFeatures(
                np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), pixels.shape[1], pixels.shape[0])
        found = self.mirror_features
        return found if found is not None and len(found.points) else None

    def tile_keypoint_features(self, k: int, tile: tuple[float, float, float, float]) -> LocalFeatures | None:
        """ORB features (QUERY_FEATURES, spread) of tile ``k`` of the kept pixels (``tile``: x0, y0, x1, y1 as
        shares of the frame), extracted once; None when too flat. A stored fingerprint brings the tiles its run
        extracted; asked for another, it raises store.FingerprintError (the file is then verified in full)."""
        if k not in self.tiles:
            if self.pixels is None:
                if self.features is None:
                    return None
                raise FingerprintError(f"matching now needs the pixels of the frame at {self.t:.1f} s for a "
                                       "search by tiles, which a stored fingerprint does not keep")
            h, w = self.pixels.shape[:2]
            x0, y0, x1, y1 = round(tile[0] * w), round(tile[1] * h), round(tile[2] * w), round(tile[3] * h)
            self.tiles[k] = extract(np.ascontiguousarray(self.pixels[y0:y1, x0:x1]), QUERY_FEATURES, spread=True)
        return self.tiles[k]

    @property
    def frame_size(self) -> tuple[int, int] | None:
        """(width, height) of the kept pixels, or of the pixels a stored fingerprint's keypoint frame had."""
        return (self.pixels.shape[1], self.pixels.shape[0]) if self.pixels is not None else self.pixels_size


@dataclass
class Fingerprint:
    """A media file's sampled frames and their hashes: what is indexed, and what is matched.

    When sampling stopped before the end of a video (frames.sample_video), ``stopped_by`` says why and
    ``stopped_at_s`` how far into the clip it got: frames after that time were neither hashed nor matched.
    """

    frames: list[HashedFrame]
    frames_decoded: int
    shot_changes: list[float]
    stopped_by: StopReason | None = None  # None: sampling reached the end of what decodes (a still: always)
    stopped_at_s: float | None = None  # when stopped: presentation time of the last frame decoded (s)
    decode_error: str | None = None  # stopped_by "decode_error": FFmpeg's message, one line
    rotation: int = 0  # display rotation applied before hashing, degrees counter-clockwise (frames.display_turns)
    coverage: StreamCoverage | None = None  # a video's decoded time ranges against its declared duration
    # a multi-page TIFF's pages that did not decode: page number (1-based) -> FrameError's reason (issue 14 N7)
    page_errors: dict[int, str] = field(default_factory=dict)
    untimed: str | None = None  # frames without timestamps: how they were timed (frames.FrameSample.untimed)
    # a still (a photograph, a multi-page TIFF's pages at t = page - 1): its frames are pictures of their own, not a
    # timeline; matching pairs each page on its own (matching._per_page, issue 12 round 7 H2)
    still: bool = False


def thumbnail_jpeg(rgb: np.ndarray, size: int = THUMB_SIZE) -> bytes:
    img = Image.fromarray(rgb)
    img.thumbnail((size, size), Image.Resampling.BOX)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def _hashed(f: SampledFrame, *, mirror: bool = False, box: tuple[int, int, int, int] | None = None,
            thumbnails: bool = False, keep_pixels: bool = True) -> HashedFrame:
    """One sampled frame hashed (its content box too, when given), as the query and the archive side both do.

    ``keep_pixels`` keeps a keypoint frame's pixels (``SampledFrame.detail``) with the box scaled into them; the
    archive side extracts its features as it goes and keeps none.
    """
    pixels = f.detail if keep_pixels else None
    pixels_box = box
    if pixels is not None and box is not None:  # the box in the keypoint frame's own pixels
        sx, sy = pixels.shape[1] / f.rgb.shape[1], pixels.shape[0] / f.rgb.shape[0]
        pixels_box = (round(box[0] * sx), round(box[1] * sy), round(box[2] * sx), round(box[3] * sy))
    return HashedFrame(f.t, hash_frame(f.rgb, mirror=mirror, box=box), f.shot_change,
                       thumbnail_jpeg(f.rgb) if thumbnails else None, pixels, pixels_box)


def fingerprint(
    media: MediaFile,
    config: FramesConfig | None = None,
    *,
    mirror: bool = False,
    thumbnails: bool = False,
    keypoint_frames_s: float | None = None,
    keypoint_frame_size: int = HASH_SIZE,
    content: bool = False,
    interval_s: float | None = None,
    limits: Limits | None = None,
    on_sample: Callable[[SampledFrame, Callable[[], np.ndarray]], None] | None = None,
) -> Fingerprint:
    """Sample and hash a video's frames, or hash a still image as one frame at t=0.

    ``keypoint_frames_s`` keeps the pixels of keypoint frames, about that far apart plus shot changes (long
    side ``keypoint_frame_size``), for local-feature matching: queries use DETAIL_SIZE, so footage inset at half
    size keeps its keypoints, references the hashing size;
    ``content`` also hashes each frame's content box (regions.py): query side only, the index keeps whole frames.
    ``interval_s`` overrides the sampling interval (references: ``FramesConfig.reference_interval_s``).
    ``limits`` bound the decoding (frames.sample_video); the running stage's deadline is checked per frame.
    ``on_sample`` is handed to frames.sample_video (a video's full-size keyframes, visual/keyframes.py).
    """
    if media.kind == "image":  # one frame at t=0; a multi-page TIFF's pages at t = page - 1 (frames.still_pages)
        max_pixels = limits.max_pixels if limits is not None else None
        pages: list[HashedFrame] = []
        page_errors: dict[int, str] = {}
        for page in still_pages(media):
            current_deadline().check()
            try:
                rgb = load_page(media.path, page, max_pixels=max_pixels)
            except FrameError as exc:
                if len(still_pages(media)) == 1:
                    raise
                # a page that does not decode (page 1 over max_pixels too: media._tiff_past_page_1): left out,
                # and the visual stage names it with this reason
                page_errors[page + 1] = str(exc)
                continue
            box = content_boxes([rgb])[0] if content else None
            pages.append(HashedFrame(float(page), hash_frame(rgb, mirror=mirror, box=box),
                                     thumbnail=thumbnail_jpeg(rgb) if thumbnails else None,
                                     pixels=rgb if keypoint_frames_s else None, box=box))
        if not pages:  # no page decoded: the stage fails with page 1's reason
            raise FrameError(next(iter(page_errors.values())))
        return Fingerprint(frames=pages, frames_decoded=len(pages), shot_changes=[], page_errors=page_errors,
                           still=True)
    if media.kind != "video":
        raise ValueError(f"no frames in {media.kind} media")
    sample = sample_video(media.path, config, detail_every_s=keypoint_frames_s, detail_size=keypoint_frame_size,
                          interval_s=interval_s, limits=limits, on_sample=on_sample)
    boxes = content_boxes([f.rgb for f in sample.frames]) if content else [None] * len(sample.frames)
    frames = []
    deadline = current_deadline()
    for f, box in zip(sample.frames, boxes, strict=True):
        deadline.check()
        frames.append(_hashed(f, mirror=mirror, box=box, thumbnails=thumbnails))
    return Fingerprint(frames, sample.frames_decoded, sample.shot_changes, sample.stopped_by, sample.stopped_at_s,
                       sample.decode_error, sample.rotation, sample.coverage, untimed=sample.untimed)


# Sampled frames a reference's content box is found from (regions.interface_box over them): its first 12 s at the
# 0.5-s reference interval. An interface (browser, phone app, news template, bars) around footage stays put for
# the whole recording, so its opening shows it; the frames are kept at hashing size until then (24 x 442 kB at
# 512x288), and every later frame is hashed in the box found.
REFERENCE_BOX_FRAMES = 24


@dataclass(frozen=True)
class BoxHash:
    """PDQ of a reference frame's content box (the footage inside an interface), indexed beside the frame's own
    hash at the same time: a clip of the bare footage then matches the wrapped reference by hash."""

    t: float
    pdq: bytes
    quality: int
    phash: str


@dataclass
class ReferenceBox:
    """A reference video's content box (pixels of its hashing-size frames) and the box hashes of its frames."""

    box: tuple[int, int, int, int] | None = None
    frame_size: tuple[int, int] | None = None  # (width, height) of the frames the box is in
    hashes: list[BoxHash] = field(default_factory=list)
    drawn_around: bool = False  # nothing around the box moves (regions.drawn_around): keypoints inside it only

    def features(self, detail: np.ndarray) -> LocalFeatures | None:
        """A keypoint frame's ORB features, looked for inside the box only when there is one and nothing around
        it moves: the stored keypoints are then all the footage's (an interface's own must not match other
        footage shown in it), and footage drawn small inside a busy interface still gets its share of them."""
        if self.box is None or self.frame_size is None or not self.drawn_around:
            return extract(detail)
        sx, sy = detail.shape[1] / self.frame_size[0], detail.shape[0] / self.frame_size[1]
        x0, y0, x1, y1 = self.box
        return extract(detail, within=(round(x0 * sx), round(y0 * sy), round(x1 * sx), round(y1 * sy)))


# Pixels trimmed off each side of a reference's content box before its hash (at hashing size): the box's edge
# line takes in the interface's border around the footage. Measured on the matching benchmark's dev-2 browser
# page (issue 12 round 8): the bare footage came within 22-30 bits of the untrimmed box, 16-22 of the box trimmed
# 1 px; the border line alone lifted the box's PDQ quality to 82-97 against the footage's own 39-47.
BOX_HASH_TRIM_PX = 1


# When the trimmed box is too smooth to hash (quality under the gate), the box is hashed as found: a still picture
# held in a flat phone-app page (dev-3's d3wrap_phone_app_still) lost every box row trimmed, its whole-frame hits
# were no longer checked against its box (matching._interface_suspects), and 5 dev negatives (other footage in
# that app) matched it falsely. When neither is usable the better of the two is kept anyway (the quality stored beside
# it): every reader of box rows asks for usable ones (index.box_hashes), but matching's smooth runs
# (matching.SMOOTH_RUN_MIN_QUALITY) compare a smooth clip with a smooth box (issue 12 round 12: dev-2's footage
# in the news template, box quality 27-34, had no box row, and its bare footage got "No match").


def _box_hash(t: float, rgb: np.ndarray, box: tuple[int, int, int, int]) -> BoxHash | None:
    x0, y0, x1, y1 = box
    boxes = [box]
    if min(x1 - x0, y1 - y0) > 2 * BOX_HASH_TRIM_PX + 32:  # a box too small to trim is hashed as found
        boxes.insert(0, (x0 + BOX_HASH_TRIM_PX, y0 + BOX_HASH_TRIM_PX, x1 - BOX_HASH_TRIM_PX, y1 - BOX_HASH_TRIM_PX))
    smooth: BoxHash | None = None
    for b in boxes:
        crop = np.ascontiguousarray(crop_box(rgb, b))
        pdq, quality = PDQ.compute(crop)
        if PDQ.usable(quality):
            return BoxHash(t, pdq, quality, PHASH.compute(crop)[0].hex())
        if smooth is None or quality > smooth.quality:
            smooth = BoxHash(t, pdq, quality, PHASH.compute(crop)[0].hex())
    return smooth


# A still reference's keypoints are found at DETAIL_SIZE, STILL_FEATURES of them spread over the picture, not at the
# hashing size's ORB_FEATURES as a video reference's keypoint frames are: a still is one keypoint frame (its cost in
# the index is one frame's), and a repost zoomed into part of a photograph (a 25-50% crop blown up to fill the
# frame) has detail the 512-px picture's 500 keypoints never resolve. Measured on the matching benchmark's dev
# zoomed crops (8 photographs x 3 crops, query keypoints as the stage finds them): at 512 x 500 keypoints 5 of 24
# fits accepted by nothing (cam_P1000827 at 25%: 5 inliers), at 1024 x 1500 spread every one whose picture has
# keypoints at all but the kite's small-spread fits (cam_P1000827 at 25%: 83 inliers); 1024 x 2000 unspread left
# the 25% crop at 19. Storage: 1500 x 32 B descriptors a still instead of 500.
STILL_FEATURES = 1500


def _still_features(media: MediaFile, frame: HashedFrame, limits: Limits | None) -> LocalFeatures | None:
    """A still page's reference keypoints: STILL_FEATURES spread over the page decoded at DETAIL_SIZE (a smaller
    picture is not enlarged: frames.load_page)."""
    try:
        rgb = load_page(media.path, int(frame.t), max_pixels=limits.max_pixels if limits is not None else None,
                        long_side=DETAIL_SIZE)
    except FrameError:  # the page decoded at hashing size (fingerprint), so this is not expected: keep that one
        return extract(frame.pixels) if frame.pixels is not None else None
    return extract(rgb, STILL_FEATURES, spread=True)


def reference_fingerprint(
    media: MediaFile,
    config: FramesConfig | None = None,
    *,
    keypoint_frames_s: float | None,
    interval_s: float | None = None,
    limits: Limits | None = None,
    max_frames_decoded: int | None = None,
    box: ReferenceBox | None = None,
) -> tuple[Fingerprint, list[tuple[float, LocalFeatures]]]:
    """A reference's frames, hashed as they decode, and its keypoint frames' ORB features: the whole video.

    The archive side has no ``max_frames`` cap (that bounds a query's cost, and a cap here made everything after
    15:00 of a long reference unmatchable, silently) and keeps no pixels: each sampled frame is hashed, and each
    keypoint frame's features extracted, as it decodes, so memory does not grow with the reference's length.
    ``Fingerprint.stopped_by`` says when the decoded-frame cap or a decode error still cut it short.

    ``box`` (a video's) is filled with its content box, found from its first ``REFERENCE_BOX_FRAMES`` sampled
    frames, and the PDQ of that box in every frame: a reference that is itself a repost (footage inside a
    browser, an app, a news template or bars: regions.interface_box) then matches a clip of the bare footage by
    hash, as a query's content box matches bare references; when nothing around the box moves (a drawn
    interface, regions.drawn_around), its keypoints are looked for inside the box only.
    """
    if media.kind == "image":
        fp = fingerprint(media, config, keypoint_frames_s=keypoint_frames_s, limits=limits)
        return fp, [(f.t, feat) for f in fp.frames
                    if f.pixels is not None and (feat := _still_features(media, f, limits))]
    if media.kind != "video":
        raise ValueError(f"no frames in {media.kind} media")
    frames: list[HashedFrame] = []
    keypoints: list[tuple[float, LocalFeatures]] = []
    deadline = current_deadline()
    box = box if box is not None else ReferenceBox()
    opening: list[SampledFrame] = []  # frames kept until the content box is decided (their keypoints wait too)
    decided = False

    def boxed(f: SampledFrame) -> None:
        if f.detail is not None and (feat := box.features(f.detail)):
            keypoints.append((f.t, feat))
        if (box.box is not None and f.rgb.shape[1::-1] == box.frame_size
                and (h := _box_hash(f.t, f.rgb, box.box)) is not None):
            box.hashes.append(h)

    def decide() -> None:
        nonlocal decided
        decided = True
        found = interface_box([f.rgb for f in opening])
        if found is not None:
            box.box, box.frame_size = found, (opening[0].rgb.shape[1], opening[0].rgb.shape[0])
            box.drawn_around = drawn_around([f.rgb for f in opening], found)
        for f in opening:
            boxed(f)
        opening.clear()

    def take(f: SampledFrame) -> None:
        deadline.check()
        frames.append(_hashed(f, keep_pixels=False))
        if decided:
            boxed(f)
            return
        opening.append(f)
        if len(opening) >= REFERENCE_BOX_FRAMES:
            decide()

    sample = sample_video(media.path, config, detail_every_s=keypoint_frames_s, detail_size=HASH_SIZE,
                          interval_s=interval_s, limits=limits, on_frame=take, max_frames_decoded=max_frames_decoded)
    if not decided:
        decide()
    keypoints.sort(key=lambda k: k[0])
    return (Fingerprint(frames, sample.frames_decoded, sample.shot_changes, sample.stopped_by, sample.stopped_at_s,
                        sample.decode_error, sample.rotation, sample.coverage, untimed=sample.untimed), keypoints)
