"""The frame fingerprint kept beside a report (``fingerprint.npz``), so that matching can run again without decoding.

When references are added to the index, or a reference's first-seen date is corrected, a report's matches are
stale while its frames are not: ``batch`` matches again from this file (sampled frames' PDQ, quality, mirror and
content-box hashes, the keypoint frames' ORB features, the report's thumbnails) instead of decoding the clip and
transcribing its audio again. The file is written into the report's run folder with the report, and covered by
the report's folder manifest (``integrity.files``).

Keypoint features are stored for the keypoint frames matching extracted them for: the frames no hash explained,
up to ``local_max_frames``. Extracting the others only to store them would cost about 40% of the clip's decoding
time per keypoint frame (ORB at DETAIL_SIZE, 58 ms, against 139 ms of decoding per 2 s of 720p: measured with the
60-s bench clip), on every verify. Matching again after references are added or edited needs no others (a frame a
hash explained stays explained, the same frames are selected) unless the selection moves (more unexplained
keypoint frames than the budget); after references are removed it may. A keypoint frame stored without its
features says so, and a match that needs it raises :class:`FingerprintError`: the file is then verified in full,
never matched on a different selection of frames than a fresh verify would use.

It is read back as untrusted input: only from a report that passed ``read_verified``, only when its bytes have
the SHA-256 that report's manifest records, only as a NumPy archive of stored (uncompressed) members without
pickles, and only when its frames are the report's own frames (times and PDQ hashes) of the report's media file.
Anything else is a :class:`FingerprintError` with a one-line reason, and the caller verifies the file again.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from provenance.report.model import Report
from provenance.visual.hashing import Fingerprint, FingerprintError, FrameHashes, HashedFrame
from provenance.visual.local_features import LocalFeatures
from provenance.visual.signals import DIHEDRAL, PDQ

FINGERPRINT_FILE = "fingerprint.npz"
# a motion photo's embedded clip (report ``visual.embedded_video``), checked against that clip's frames
EMBEDDED_FINGERPRINT_FILE = "embedded_fingerprint.npz"
FORMAT = "provenance.fingerprint/4"  # 2: the eight rotations and mirrors of each frame (0.3); 3: PDQ hashes in
# ThreatExchange's bit order (signals.PdqSignal.pack; workspace migration 11); 4: each keypoint frame's mirrored
# features where matching extracted them, its picture's size and content box, its crops' hashes to wrapped
# references' boxes, its stretched features and its tiles' features (matching._mirrored_local_pairs,
# _box_lookups, _stretcher, _tiled_local_pairs)
_OLD_BIT_ORDER = "provenance.fingerprint/2"  # PDQ hashes bit-reversed against ThreatExchange: never matched again
_NO_MIRRORS = "provenance.fingerprint/3"  # no mirrored keypoints: a re-match could not search what verify does
_PHASH_BYTES = 8  # pHash: 64 bits (signals.PHASH)
_ORB_BYTES = 32  # ORB descriptors: 256 bits (local_features)
# ours hold about 40 kB per keypoint frame and 5 kB per sampled frame (21 MB for 900 frames): a bigger one is not
MAX_BYTES = 256 << 20


def _ragged(chunks: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Variable-length byte strings as one uint8 array and n+1 offsets."""
    offsets = np.zeros(len(chunks) + 1, np.int64)
    offsets[1:] = np.cumsum([len(c) for c in chunks]) if chunks else []
    return np.frombuffer(b"".join(chunks), np.uint8), offsets


def pack(fp: Fingerprint, media_sha256: str) -> bytes:
    """The fingerprint, after matching, as ``fingerprint.npz`` bytes: keypoint features where matching extracted
    them (``kp_count`` -1: a keypoint frame whose features were not extracted, so not stored)."""
    frames = fp.frames
    n = len(frames)
    zero = bytes(PDQ.nbytes)

    def hashes(get: Callable[[FrameHashes], bytes | None]) -> tuple[np.ndarray, np.ndarray]:
        values = [get(f.hashes) for f in frames]
        data = np.frombuffer(b"".join(v or zero for v in values), np.uint8).reshape(n, PDQ.nbytes)
        return data, np.array([v is not None for v in values], bool)

    pdq, _ = hashes(lambda h: h.pdq)
    mirror, has_mirror = hashes(lambda h: h.pdq_mirror)
    content, has_content = hashes(lambda h: h.content[0] if h.content else None)
    content_mirror, has_content_mirror = hashes(lambda h: h.content[1] if h.content else None)
    turns = len(DIHEDRAL)
    dihedral = np.frombuffer(b"".join(b"".join(f.hashes.dihedral) if f.hashes.dihedral else zero * turns
                                      for f in frames), np.uint8).reshape(n, turns, PDQ.nbytes)
    has_dihedral = np.array([f.hashes.dihedral is not None for f in frames], bool).reshape(n)
    keypoint = [i for i, f in enumerate(frames) if f.keypoint_frame]
    sizes = [frames[i].features for i in keypoint]  # None: not extracted; no points: extracted, too flat
    features = [f if f is not None and len(f.points) else None for f in sizes]
    mirror_sizes = [frames[i].mirror_features for i in keypoint]
    mirror_features = [f if f is not None and len(f.points) else None for f in mirror_sizes]
    crops = [(i, place, c) for i, f in enumerate(frames) for place, c in sorted(f.box_crops.items())]
    stretched = [(i, key, feats) for i, f in enumerate(frames) for key, feats in sorted(f.stretched.items())]
    thumbs, thumb_offsets = _ragged([f.thumbnail or b"" for f in frames])
    buf = io.BytesIO()
    np.savez(  # not savez_compressed: members stored as is, so the file's size bounds what reading it allocates
        buf,
        format=np.array(FORMAT), media_sha256=np.array(media_sha256),
        t=np.array([f.t for f in frames], np.float64).reshape(n),
        shot_change=np.array([f.shot_change for f in frames], bool).reshape(n),
        pdq=pdq, quality=np.array([f.hashes.quality for f in frames], np.int16).reshape(n),
        phash=np.frombuffer(b"".join(bytes.fromhex(f.hashes.phash) for f in frames), np.uint8).reshape(n, _PHASH_BYTES),
        mirror=mirror, has_mirror=has_mirror, content=content, has_content=has_content,
        content_mirror=content_mirror, has_content_mirror=has_content_mirror,
        dihedral=dihedral, has_dihedral=has_dihedral,
        thumbs=thumbs, thumb_offsets=thumb_offsets,
        frames_decoded=np.array(fp.frames_decoded, np.int64),
        shot_changes=np.array(fp.shot_changes, np.float64),
        kp_frame=np.array(keypoint, np.int32),
        kp_count=np.array([-1 if s is None else len(s.points) for s in sizes], np.int32),
        kp_size=np.array([(s.width, s.height) if s else (0, 0) for s in sizes], np.int32).reshape(-1, 2),
        kp_points=np.concatenate([f.points for f in features if f is not None] or [np.zeros((0, 2))]
                                 ).astype(np.float32),
        kp_descriptors=np.concatenate([f.descriptors for f in features if f is not None]
                                      or [np.zeros((0, _ORB_BYTES), np.uint8)]).astype(np.uint8),
        crop_frame=np.array([i for i, _place, _c in crops], np.int32),
        crop_place=np.array([place for _i, place, _c in crops], np.float64).reshape(-1, 5),
        crop_pdq=np.frombuffer(b"".join(c[0] for _i, _p, c in crops), np.uint8).reshape(-1, PDQ.nbytes),
        crop_quality=np.array([c[1] for _i, _p, c in crops], np.int16),
        crop_mirror=np.frombuffer(b"".join(c[2] or zero for _i, _p, c in crops), np.uint8).reshape(-1, PDQ.nbytes),
        has_crop_mirror=np.array([c[2] is not None for _i, _p, c in crops], bool),
        kp_box=np.array([frames[i].box or (-1, -1, -1, -1) for i in keypoint], np.int32).reshape(-1, 4),
        **_pack_keyed("st", [(i, (float(k[0]), k[1]), f) for i, k, f in stretched]),
        **_pack_keyed("tl", [(i, (float(k), 0.0), f) for i, fr in enumerate(frames)
                             for k, f in sorted(fr.tiles.items())]),
        kp_frame_size=np.array([frames[i].frame_size or (0, 0) for i in keypoint], np.int32).reshape(-1, 2),
        kpm_count=np.array([-1 if s is None else len(s.points) for s in mirror_sizes], np.int32),
        kpm_size=np.array([(s.width, s.height) if s else (0, 0) for s in mirror_sizes], np.int32).reshape(-1, 2),
        kpm_points=np.concatenate([f.points for f in mirror_features if f is not None] or [np.zeros((0, 2))]
                                  ).astype(np.float32),
        kpm_descriptors=np.concatenate([f.descriptors for f in mirror_features if f is not None]
                                       or [np.zeros((0, _ORB_BYTES), np.uint8)]).astype(np.uint8),
    )
    return buf.getvalue()


def _pack_keyed(prefix: str, entries: list[tuple[int, tuple[float, float], LocalFeatures | None]]
                ) -> dict[str, np.ndarray]:
    """Keypoint features a frame keeps under a key of two numbers (a stretch: picture and factor; a tile: its
    number and 0), as ``<prefix>_*`` arrays: frame, key, count (-1: extracted, too flat; a key not listed was
    not extracted), size, points, descriptors."""
    found = [f for _i, _k, f in entries if f is not None]
    return {
        f"{prefix}_frame": np.array([i for i, _k, _f in entries], np.int32),
        f"{prefix}_key": np.array([k for _i, k, _f in entries], np.float64).reshape(-1, 2),
        f"{prefix}_count": np.array([-1 if f is None else len(f.points) for _i, _k, f in entries], np.int32),
        f"{prefix}_size": np.array([(f.width, f.height) if f else (0, 0) for _i, _k, f in entries],
                                   np.int32).reshape(-1, 2),
        f"{prefix}_points": np.concatenate([f.points for f in found] or [np.zeros((0, 2))]).astype(np.float32),
        f"{prefix}_descriptors": np.concatenate([f.descriptors for f in found]
                                                or [np.zeros((0, _ORB_BYTES), np.uint8)]).astype(np.uint8),
    }


def _read_keyed(a: dict[str, np.ndarray], prefix: str, n: int
                ) -> list[tuple[int, tuple[float, float], LocalFeatures | None]]:
    """What ``_pack_keyed`` wrote, checked as untrusted input (``_need``: ValueError, a FingerprintError above)."""
    frame = _array(a, f"{prefix}_frame", np.int32, (None,))
    m = len(frame)
    key = _array(a, f"{prefix}_key", np.float64, (m, 2))
    count = _array(a, f"{prefix}_count", np.int32, (m,))
    size = _array(a, f"{prefix}_size", np.int32, (m, 2))
    total = int(np.maximum(count, 0).astype(np.int64).sum())
    points = _array(a, f"{prefix}_points", np.float32, (total, 2))
    descriptors = _array(a, f"{prefix}_descriptors", np.uint8, (total, _ORB_BYTES))
    _need(bool(np.all((frame >= 0) & (frame < n))) and bool(np.all(count >= -1)) and bool(np.all(size >= 0))
          and bool(np.all(np.isfinite(key))) and bool(np.all(np.isfinite(points))), f"{prefix} keypoints out of range")
    out, start = [], 0
    for j in range(m):
        feats = None
        if count[j] >= 0:
            c = int(count[j])
            feats = LocalFeatures(points[start:start + c], descriptors[start:start + c], int(size[j][0]),
                                  int(size[j][1]))
            start += c
        out.append((int(frame[j]), (float(key[j][0]), float(key[j][1])), feats))
    return out


def load(report: Report, folder: str | Path, *, embedded: bool = False) -> tuple[Fingerprint, bytes]:
    """The fingerprint stored with ``report`` (which must have passed ``read_verified``) in its run ``folder``;
    with ``embedded``, its motion photo's embedded clip's (``EMBEDDED_FINGERPRINT_FILE``).

    Returns it with the file's bytes (a re-matched report carries them on). Raises :class:`FingerprintError`.
    """
    name = EMBEDDED_FINGERPRINT_FILE if embedded else FINGERPRINT_FILE
    manifest = (report.integrity.files or {}) if report.integrity is not None else {}
    expected = manifest.get(name)
    if expected is None:
        raise FingerprintError(f"no stored fingerprint to match again from (the report, written by provenance "
                               f"{report.tool.version or 'unknown'}, does not list {name})")
    path = Path(folder) / name
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise FingerprintError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:  # read once, checked as read: the bytes parsed are the bytes checked
        raise FingerprintError(f"{path}: differs from the one written with the report (SHA-256 {actual[:16]}…, "
                               f"written {expected[:16]}…)")
    try:
        return unpack(data, report, embedded=embedded), data
    except FingerprintError as exc:
        raise FingerprintError(f"{path}: {exc}") from None


def unpack(data: bytes, report: Report, *, embedded: bool = False) -> Fingerprint:
    """Read ``fingerprint.npz`` bytes, refusing any that are not the fingerprint of ``report``'s frames (with
    ``embedded``: of its motion photo's embedded clip's frames, ``visual.embedded_video.frames``)."""
    if len(data) > MAX_BYTES:
        raise FingerprintError(f"larger than {MAX_BYTES >> 20} MB: not a fingerprint written by provenance")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if any(info.compress_type != zipfile.ZIP_STORED for info in archive.infolist()):
                raise FingerprintError("compressed members: not a fingerprint written by provenance")
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            a = {name: npz[name] for name in npz.files}
    except FingerprintError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise FingerprintError(f"not a readable NumPy archive ({' '.join(str(exc).split())[:120]})") from exc
    try:
        return _fingerprint(a, report, embedded=embedded)
    except (KeyError, ValueError, IndexError, TypeError) as exc:
        what = f"field {exc} missing" if isinstance(exc, KeyError) else " ".join(str(exc).split())[:160]
        raise FingerprintError(f"malformed ({what})") from exc


class _NotStored(LocalFeatures):
    """A keypoint frame whose features were not stored (matching did not extract them when the report was made).

    It is still a keypoint frame (matching selects among the same frames a fresh run would); a match that needs
    its features cannot be made from this fingerprint and raises, so the file is verified in full instead.
    """

    def __init__(self, t: float) -> None:  # no points, no descriptors: there are none to give
        self.t = t

    @property
    def points(self) -> np.ndarray:  # type: ignore[override]
        raise FingerprintError(f"matching now needs keypoint features of the frame at {self.t:.1f} s (plain or "
                               "mirrored) that were not stored (a hash explained that frame, it was beyond the "
                               "keypoint frame budget, or no mirror was searched, when the report was made)")


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(what)


def _array(a: dict[str, np.ndarray], name: str, dtype: type, shape: tuple[int | None, ...]) -> np.ndarray:
    value = a[name]
    _need(value.dtype == np.dtype(dtype) and value.ndim == len(shape)
          and all(want is None or got == want for got, want in zip(value.shape, shape, strict=True)),
          f"{name}: {value.dtype} {value.shape}, not {np.dtype(dtype)} {shape}")
    return value


def _fingerprint(a: dict[str, np.ndarray], report: Report, *, embedded: bool = False) -> Fingerprint:
    if str(a["format"]) == _OLD_BIT_ORDER:  # its hashes would miss every index frame: decode the file again
        raise FingerprintError("stored by an earlier provenance with its PDQ hashes bit-reversed against "
                               "ThreatExchange's order (the index's order since workspace migration 11): "
                               "the file is decoded again rather than matched on hashes in the wrong order")
    if str(a["format"]) == _NO_MIRRORS:  # a re-match would skip the mirrored keypoint search a verify makes
        raise FingerprintError("stored by an earlier provenance without the mirrored keypoint features a match "
                               "now searches: the file is decoded again rather than matched on fewer searches")
    _need(str(a["format"]) == FORMAT, f"format {str(a['format'])[:40]!r}, not {FORMAT!r}")
    if str(a["media_sha256"]) != report.media.sha256:
        raise FingerprintError(f"made from another file (SHA-256 {str(a['media_sha256'])[:16]}…), not "
                               f"{report.media.sha256[:16]}…")
    clip = report.visual.embedded_video if embedded else None
    _need(not embedded or (clip is not None and clip.error is None), "the report examined no embedded clip")
    recorded_frames = clip.frames if clip is not None else report.visual.frames
    n = len(recorded_frames)
    t = _array(a, "t", np.float64, (n,))
    pdq = _array(a, "pdq", np.uint8, (n, PDQ.nbytes))
    for i, recorded in enumerate(recorded_frames):  # the report's own frames, as sealed in its JSON
        if abs(float(t[i]) - recorded.t) > 1e-6 or pdq[i].tobytes().hex() != recorded.pdq:
            raise FingerprintError(f"frame {i} differs from the report's frame at {recorded.t:.3f} s (time or PDQ)")
    quality = _array(a, "quality", np.int16, (n,))
    phash = _array(a, "phash", np.uint8, (n, _PHASH_BYTES))
    shot = _array(a, "shot_change", np.bool_, (n,))
    hashes = {name: (_array(a, name, np.uint8, (n, PDQ.nbytes)), _array(a, f"has_{name}", np.bool_, (n,)))
              for name in ("mirror", "content", "content_mirror")}
    dihedral = _array(a, "dihedral", np.uint8, (n, len(DIHEDRAL), PDQ.nbytes))
    has_dihedral = _array(a, "has_dihedral", np.bool_, (n,))
    thumbs = _array(a, "thumbs", np.uint8, (None,))
    offsets = _array(a, "thumb_offsets", np.int64, (n + 1,))
    _need(offsets[0] == 0 and offsets[-1] == len(thumbs) and bool(np.all(np.diff(offsets) >= 0)), "thumb_offsets")
    kp_frame = _array(a, "kp_frame", np.int32, (None,))
    k = len(kp_frame)
    kp_count = _array(a, "kp_count", np.int32, (k,))
    kp_size = _array(a, "kp_size", np.int32, (k, 2))
    total = int(np.maximum(kp_count, 0).astype(np.int64).sum())
    points = _array(a, "kp_points", np.float32, (total, 2))
    descriptors = _array(a, "kp_descriptors", np.uint8, (total, _ORB_BYTES))
    frame_size = _array(a, "kp_frame_size", np.int32, (k, 2))
    kpm_count = _array(a, "kpm_count", np.int32, (k,))
    kpm_size = _array(a, "kpm_size", np.int32, (k, 2))
    mirror_total = int(np.maximum(kpm_count, 0).astype(np.int64).sum())
    mirror_points = _array(a, "kpm_points", np.float32, (mirror_total, 2))
    mirror_descriptors = _array(a, "kpm_descriptors", np.uint8, (mirror_total, _ORB_BYTES))
    _need(bool(np.all(kp_count >= -1)) and bool(np.all(kp_size >= 0)) and bool(np.all(kpm_count >= -1))
          and bool(np.all(kpm_size >= 0)) and bool(np.all(frame_size >= 0)), "keypoint counts or sizes negative")
    _need(bool(np.all(np.isfinite(mirror_points))), "mirrored keypoint positions not finite")
    crop_frame = _array(a, "crop_frame", np.int32, (None,))
    m = len(crop_frame)
    crop_place = _array(a, "crop_place", np.float64, (m, 5))
    crop_pdq = _array(a, "crop_pdq", np.uint8, (m, PDQ.nbytes))
    crop_quality = _array(a, "crop_quality", np.int16, (m,))
    crop_mirror = _array(a, "crop_mirror", np.uint8, (m, PDQ.nbytes))
    has_crop_mirror = _array(a, "has_crop_mirror", np.bool_, (m,))
    _need(bool(np.all((crop_frame >= 0) & (crop_frame < n))) and bool(np.all(np.isfinite(crop_place))),
          "box crops out of range")
    kp_box = _array(a, "kp_box", np.int32, (k, 4))
    stretched = _read_keyed(a, "st", n)
    tiles = _read_keyed(a, "tl", n)
    _need(bool(np.all(np.diff(kp_frame) > 0)) and (k == 0 or (kp_frame[0] >= 0 and kp_frame[-1] < n)),
          "keypoint frames out of order or range")
    _need(bool(np.all(np.isfinite(points))), "keypoint positions not finite")
    frames = []
    for i in range(n):
        def opt(name: str, i: int = i) -> bytes | None:
            data, present = hashes[name]
            return data[i].tobytes() if present[i] else None

        content = (hashes["content"][0][i].tobytes(), opt("content_mirror")) if hashes["content"][1][i] else None
        thumb = thumbs[offsets[i]:offsets[i + 1]].tobytes() or None
        frames.append(HashedFrame(float(t[i]), FrameHashes(pdq[i].tobytes(), int(quality[i]), opt("mirror"),
                                                           phash[i].tobytes().hex(), content,
                                                           tuple(h.tobytes() for h in dihedral[i])
                                                           if has_dihedral[i] else None),
                                  bool(shot[i]), thumb))
    start = mirror_start = 0
    for j, i in enumerate(kp_frame):
        fw, fh = int(frame_size[j][0]), int(frame_size[j][1])
        frames[i].pixels_size = (fw, fh) if fw > 0 and fh > 0 else None
        frames[i].box = tuple(int(v) for v in kp_box[j]) if kp_box[j][2] > kp_box[j][0] >= 0 else None
        mirror_count = int(kpm_count[j])
        if mirror_count < 0:
            frames[i].mirror_features = _NotStored(frames[i].t)
        else:
            frames[i].mirror_features = LocalFeatures(
                mirror_points[mirror_start:mirror_start + mirror_count],
                mirror_descriptors[mirror_start:mirror_start + mirror_count], int(kpm_size[j][0]), int(kpm_size[j][1]))
            mirror_start += mirror_count
        count = int(kp_count[j])
        if count < 0:
            frames[i].features = _NotStored(frames[i].t)
            continue
        frames[i].features = LocalFeatures(points[start:start + count], descriptors[start:start + count],
                                           int(kp_size[j][0]), int(kp_size[j][1]))
        start += count
    for i, (picture, factor), feats in stretched:
        frames[i].stretched[(int(picture), factor)] = feats
    for i, (tile, _zero), feats in tiles:
        frames[i].tiles[int(tile)] = feats
    for j, i in enumerate(crop_frame):
        frames[i].box_crops[tuple(float(v) for v in crop_place[j])] = (
            crop_pdq[j].tobytes(), int(crop_quality[j]), crop_mirror[j].tobytes() if has_crop_mirror[j] else None)
    stop = None if embedded else report.visual.stopped
    return Fingerprint(frames, int(a["frames_decoded"]), [float(x) for x in _array(a, "shot_changes", np.float64,
                                                                                     (None,))],
                       stop.reason if stop else None, stop.at_s if stop else None, stop.message if stop else None,
                       # a motion photo's clip is a clip, not the still's pages: matched page by page, its
                       # 1.0 s read "0.0 s" after a batch re-match (issue 14 round 8, M3)
                       still=report.media.kind == "image" and not embedded)
