"""The known-imagery index: references (earlier footage and photos) and their frame hashes in SQLite.

Search is an exact Hamming range search over all indexed PDQ hashes (search.py: a flat scan up to 5x10^5,
multi-index hashing beyond); the hashes of matchable quality are kept as derived, append-only files beside the
database (index_files.py), memory-mapped by every process and brought up to date by the writers.

The same footage often reaches a desk from several sources. A file byte-identical to an indexed reference (same
SHA-256, another path or another id) becomes a *linked* reference: its own id, title, source, url and
first-seen date, sharing the frames of the reference that holds them (``same_as``), so nothing is indexed
twice and matching reports every source. A near-identical file (a re-encode: most frames within the PDQ
threshold of one reference's frames, both ways) is indexed as its own reference and ``add`` says so. Neither
may cancel a match: hash search returns every frame within the threshold, and keypoint search applies its
ratio test within each candidate frame (see :meth:`KnownImageryIndex.search_local`).
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import functools
import multiprocessing
import os
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from provenance import coverage
from provenance.errors import ProvenanceError
from provenance.limits import Limits, run_with_budget
from provenance.media import MediaError, MediaFile, display_path, probe
from provenance.metadata.exiftool import die_with_parent
from provenance.report.model import IndexState
from provenance.safetext import id_problem, readable_id, terminal
from provenance.sniff import walk
from provenance.threads import WORKERS_ENV, cores, faiss_single_thread
from provenance.visual import index_files
from provenance.visual import local_features as lf
from provenance.visual.config import FramesConfig, MatchingConfig, VisualConfig
from provenance.visual.hashing import Fingerprint, ReferenceBox, reference_fingerprint
from provenance.visual.index_files import (
    DerivedHashes,
    DerivedKeypoints,
    HashFiles,
    KeypointFiles,
    Manifest,
    SyncResult,
)
from provenance.visual.local_features import LocalFeatures, Verification, verify
from provenance.visual.search import HashSearch, binary_ivf, distinct_counts, sorted_unique
from provenance.visual.signals import PDQ
from provenance.workspace import Workspace


class KnownIndexError(ProvenanceError):
    """A reference cannot be added or found; the message is one line for the user."""


@dataclass
class Reference:
    id: str
    path: str
    sha256: str
    kind: str
    frames: int
    title: str | None = None
    source: str | None = None
    url: str | None = None
    first_seen: str | None = None
    duration_s: float | None = None
    added_at: str = ""
    same_as: str | None = None  # the reference whose frames this byte-identical one shares (None: its own)
    partial: str | None = None  # what of it did not decode when added (``_partial``); None: all of it did

    def motion_photo(self) -> bool:
        """Whether this is a motion photo indexed as one reference (its still at 0 s, then its embedded clip's
        frames: ``_with_embedded``): a "video" whose file is a JPEG still, not JPEGs back to back (a raw MJPEG
        named .jpg). Read from the file's first pictures when it is there, else from its name."""
        if self.kind != "video":
            return False
        from provenance.sniff import after_jpeg, is_mjpeg

        path = Path(self.path)
        try:
            present = path.is_file()
        except OSError:
            present = False
        if not present:
            return path.suffix.lower() in (".jpg", ".jpeg", ".jpe", ".heic", ".heif")
        if after_jpeg(path) is None:  # a HEIC motion photo (issue 14 round 8, H2): an image brand, not a video's
            try:
                with path.open("rb") as fh:
                    head = fh.read(12)
            except OSError:
                return False
            return head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS
        return not is_mjpeg(path)


# ISO BMFF major brands of a still image (ISO/IEC 23008-12, HEIF: B.4, "heic"/"heix" HEVC images, "mif1" any image
# items; "avif" AV1 images): a "video" reference in such a file is a motion photo's still and clip
_HEIF_BRANDS = (b"heic", b"heix", b"mif1", b"avif")


@dataclass(frozen=True)
class NearIdentical:
    """A new reference whose frames are mostly those of an indexed one (a re-encode, a re-upload).

    Both ways: ``frames_within`` of the new file's ``frames`` (matchable quality) are within ``max_distance``
    of the reference's frames, and they hit more than half of the reference's matchable frames too (an excerpt
    of a long reference is not near-identical to it).
    """

    reference_id: str
    frames_within: int
    frames: int
    max_distance: int  # PDQ bits (the matching threshold, signals.PDQ)
    # every frame the new file was indexed with, flat ones too: `index list` counts these, so "47 of 47 frames"
    # beside a 51-frame reference read as a contradiction (issue 12 round D11); None: the same as ``frames``
    sampled: int | None = None

    def describe(self) -> str:
        flat = (self.sampled or self.frames) - self.frames
        rest = f"; {flat} more of its {self.sampled} frames too flat to compare" if flat > 0 else ""
        return (f"near-identical to reference {self.reference_id} ({self.frames_within} of {self.frames} frames "
                f"within PDQ distance {self.max_distance}{rest})")


@dataclass(frozen=True)
class EmbeddedIndexed:
    """What `index add` made of a motion photo's embedded clip (a JPEG with an MP4 appended, ``visual.embedded``):
    indexed with its still as one reference (issue 14 round 7: the still alone was indexed, so the clip posted on
    its own got "No match"), or why not (the still alone is then indexed, and the reference is partly indexed)."""

    duration_s: float | None = None  # the clip's declared duration (s)
    frames: int = 0  # the clip's frames indexed (sampled at the reference interval), after the still's
    error: str | None = None  # why it was not indexed; None when it was
    partial: str | None = None  # what of the clip did not decode (``_partial``), when it was indexed in part

    def describe(self) -> str:
        """The "added:" line's words for it: "motion photo: the still and its 3.0 s embedded video"."""
        length = f"{self.duration_s:.1f} s " if self.duration_s else ""
        return f"motion photo: the still and its {length}embedded video"


@dataclass
class AddResult:
    path: str
    reference: Reference | None = None
    # added | linked (byte-identical to reference.same_as: frames shared) | updated (message: the fields) |
    # unchanged | error
    status: str = "added"
    message: str = ""
    near: NearIdentical | None = None  # an added reference that is near-identical to an indexed one
    partial: str | None = None  # an added video indexed only in part: up to where, and why (one line)
    embedded: EmbeddedIndexed | None = None  # a motion photo: its embedded clip, indexed with the still or not


@dataclass(frozen=True)
class Removed:
    """A removed reference; ``frames_to`` is the linked reference that now holds the frames it held."""

    id: str
    frames_to: str | None = None


@dataclass
class IndexStats:
    references: int
    videos: int
    images: int
    frames: int
    matchable_frames: int  # quality at or above the matching threshold
    database_bytes: int
    linked_references: int = 0  # references sharing another's frames (byte-identical copies), counted in references


@dataclass
class Hit:
    query: int  # row of the query matrix
    reference_id: str
    t: float  # reference time
    distance: int


@dataclass
class LocalHit:
    reference_id: str
    t: float  # reference keypoint frame time
    verification: Verification


@dataclass
class _HashTable:
    """Indexed PDQ hashes of matchable quality, with the reference and time of each row."""

    search: HashFiles  # the derived files, mapped (or, in a workspace that cannot hold them, built in memory)
    refs: np.ndarray  # reference row (in ids) per hash
    times: np.ndarray  # reference time per hash (s)
    ids: list[str]
    counts: dict[str, int] | None = None  # matchable frames per reference, counted once


# Derived hash files opened in this process, shared by every KnownImageryIndex of it (batch workers keep them
# across files): keyed by folder, epoch, rows and tables, so a newer generation is a new entry. Mapping costs
# nothing; this keeps the flat tail's copy and the ids list once per process. The last two are kept.
_OPENED: dict[tuple[str, str, int, str], _HashTable] = {}
_OPENED_MAX = 2  # each holds its flat tail privately: up to 64 MB below the multi-index crossover


@dataclass
class _KeypointFrameTable:
    """All reference keypoint frames' ORB descriptors in one FAISS binary index, with each descriptor's owner.

    Byte-identical keypoint frames (the same footage indexed twice before references could be linked) are
    stored once, as one *slot* listing every (reference, time) that has it. FAISS runs single-threaded here too
    (set once per process in search.py).
    """

    # the searched slots' descriptors only: exact (IndexBinaryFlat) below lf.IVF_MIN_DESCRIPTORS, else an inverted
    # file (IndexBinaryIVF, nprobe set) read from or saved to the workspace's derived files
    faiss_index: faiss.IndexBinary
    owner: np.ndarray  # slot number per descriptor of ``faiss_index``
    slots: list[LocalFeatures]  # distinct keypoint frames
    members: list[list[tuple[str, float]]]  # reference id and time of every copy of each slot
    # per reference, (time, slot) of each keypoint frame left out of the scan, in time order: verified only beside
    # a hit on a searched frame, to time it (_timing_slots)
    timing: dict[str, list[tuple[float, int]]]
    static: StaticKeypoints = field(init=False)  # lf.verify's overlay check, made with the table

    def __post_init__(self) -> None:
        self.static = StaticKeypoints(self.slots, self.members)


def _frames_by_reference(members: object) -> dict[str, list[tuple[float, int]]]:
    """Per reference, (time, slot) of each of its keypoint frames in time order: from the mapped frame records
    (``KeypointFiles`` or a shard's ``ShardFiles``, read whole once) or, for the SQLite tables, from the members."""
    out: dict[str, list[tuple[float, int]]] = {}
    files = getattr(members, "files", None)
    if files is not None:
        ids = getattr(members, "ids", None) or files.ids
        f = files.frames
        for r, t, s in zip(f["ref"].tolist(), f["t"].tolist(), f["slot"].tolist(), strict=True):
            out.setdefault(ids[r], []).append((t, s))
    else:
        for s, held in enumerate(members):  # type: ignore[arg-type]
            for rid, t in held:
                out.setdefault(rid, []).append((t, s))
    for frames in out.values():
        frames.sort()
    return out


class StaticKeypoints:
    """Per slot of a keypoint-frame table, which of its keypoints stay put across its reference's keypoint frames
    (``lf.static_keypoints`` against up to 8 of them spread over the reference): what ``lf.verify`` asks of a fit
    that could be of an interface drawn over the footage (``lf.MAX_STATIC_SHARE``). Worked out at the first fit
    that needs a slot's, and kept (up to ``KEPT`` slots) for the table's life: one pass over the table's frame
    records, then per slot up to 8 frames' features read and compared (1.3-1.6 ms CPU a slot on dev)."""

    KEPT = 4096

    def __init__(self, slots: object, members: object) -> None:
        self.slots, self.members = slots, members
        self._frames: dict[str, list[tuple[float, int]]] | None = None
        self._flags: dict[int, np.ndarray] = {}

    def __call__(self, slot: int) -> np.ndarray:
        flags = self._flags.get(slot)
        if flags is None:
            if self._frames is None:
                self._frames = _frames_by_reference(self.members)
            held = self.members[slot]  # type: ignore[index]
            frames = self._frames.get(held[0][0], []) if held else []
            others = [s for _t, s in frames if s != slot]
            picks = [others[k] for k in lf.sampled(len(others), 7)] if others else []
            flags = lf.static_keypoints(self.slots[slot], [self.slots[s] for s in picks])  # type: ignore[index]
            if len(self._flags) >= self.KEPT:
                self._flags.clear()
            self._flags[slot] = flags
        return flags


# Derived keypoint files opened in this process (the last state only): their lazily built member and timing
# lists are kept with them, across files of a batch worker.
_OPENED_KEYPOINTS: dict[tuple[str, str, str, int, int], KeypointFiles] = {}


class _MappedSlots:
    """The keypoint frames' features as ``_KeypointFrameTable.slots`` lists them, read from the mapped files
    only for the frames a search verifies."""

    def __init__(self, files: KeypointFiles) -> None:
        self.files = files

    def __len__(self) -> int:
        return self.files.manifest.slots

    def __getitem__(self, slot: int) -> LocalFeatures:
        points, descriptors, width, height = self.files.features(int(slot))
        return LocalFeatures(points, descriptors, width, height)


class _MappedMembers:
    """Every (reference, time) of each slot, as ``_KeypointFrameTable.members`` lists them, from the mapped files."""

    def __init__(self, files: KeypointFiles) -> None:
        self.files = files

    def __len__(self) -> int:
        return self.files.manifest.slots

    def __getitem__(self, slot: int) -> list[tuple[str, float]]:
        return self.files.members(int(slot))


def _searched(times: list[float]) -> list[bool]:
    """Which of a reference's keypoint frames (times in order) the keypoint scan searches.

    References keep a keypoint frame every second (``MatchingConfig.reference_local_interval_s``) to time a
    keypoint-only match, but scanning them all cost the visual stage a quarter more on a clip that matches
    nothing (benchmarks/bench_frames.py): the scan keeps one every ``lf.SEARCH_INTERVAL_S`` (2 s, the spacing
    before) and every frame that came sooner than the one-second cadence (a shot change).
    """
    gaps = np.diff(times)
    cadence = float(np.median(gaps)) if len(gaps) else 0.0  # indexed with 2-s keypoint frames: every one searched
    out: list[bool] = []
    last = prev = None
    for t in times:
        keep = (last is None or t - last >= lf.SEARCH_INTERVAL_S - 0.05
                or (prev is not None and t - prev < cadence - 0.05))
        out.append(keep)
        if keep:
            last = t
        prev = t
    return out


def _bump_generation(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'index_generation'")


def _read_keypoint_ivf(stem: Path, generation: str, owner: np.ndarray) -> faiss.IndexBinaryIVF | None:
    """The saved keypoint inverted file when it was built at ``generation`` over descriptors of these owners."""
    try:
        with np.load(stem.with_suffix(".npz"), allow_pickle=False) as data:
            if str(data["generation"]) != str(generation) or not np.array_equal(data["owner"], owner):
                return None
        index = faiss.read_index_binary(str(stem.with_suffix(".faiss")))
    except (OSError, KeyError, ValueError, RuntimeError):
        return None
    if not isinstance(index, faiss.IndexBinaryIVF) or index.ntotal != len(owner):
        return None
    return index


def _write_keypoint_ivf(stem: Path, generation: str, owner: np.ndarray, index: faiss.IndexBinaryIVF) -> None:
    """Best effort, as _write_hash_table: the inverted file first, then the .npz naming its generation."""
    try:
        stem.parent.mkdir(parents=True, exist_ok=True)
        tmp = stem.with_name(stem.name + f".{os.getpid()}.tmp")
        faiss.write_index_binary(index, str(tmp) + ".faiss")
        with open(str(tmp) + ".npz", "wb") as fh:
            np.savez(fh, generation=str(generation), owner=owner)
        os.replace(str(tmp) + ".faiss", stem.with_suffix(".faiss"))
        os.replace(str(tmp) + ".npz", stem.with_suffix(".npz"))
    except (OSError, RuntimeError):
        pass


def _mapped_ivf(path: Path, searched: int) -> faiss.IndexBinaryIVF | None:
    """The saved keypoint inverted file at ``path``, memory-mapped, when it holds ``searched`` descriptors."""
    try:
        index = faiss.read_index_binary(str(path), faiss.IO_FLAG_MMAP) if path.is_file() else None
    except RuntimeError:
        return None
    if not isinstance(index, faiss.IndexBinaryIVF) or index.ntotal != searched:
        return None
    # FAISS's mapped lists start 32 prefetch threads on every search to read the probed lists ahead: they doubled
    # the CPU of a search (1,000 query descriptors, 8 of 256 lists probed: 0.33 s against 0.16 s a search)
    # and compete with the other batch worker for the cores; the pages are read where they are needed instead
    faiss.downcast_InvertedLists(index.invlists).prefetch_nthread = 0
    return index


def _page_runs(pages: list[int]) -> str:
    """Page numbers as runs: [2, 65, 66, 67] -> "2, 65-67"."""
    runs: list[list[int]] = []
    for p in sorted(pages):
        if runs and p == runs[-1][1] + 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


def _pages_partial(fp: Fingerprint, media: MediaFile) -> str | None:
    """What of a multi-page TIFF reference was not indexed: pages past ``limits.MAX_STILL_PAGES`` and pages that
    did not decode, each reason named ("64 of 70 pages; pages 65-70 not indexed: ..."). A desk's own indexed page
    that was silently left out got "No match" later (issue 14 round 5, N6)."""
    from provenance.limits import MAX_PAGES_COUNTED, MAX_STILL_PAGES
    from provenance.media import tiff_pages

    declared = media.video.frames if media.video is not None and media.video.frames else 1
    if media.kind != "image" or media.container != "tiff" or declared < 2:
        return None
    total = tiff_pages(media.path, MAX_PAGES_COUNTED + 1) if declared > MAX_STILL_PAGES else declared
    said: list[str] = []
    failed = sorted(fp.page_errors.items())
    for page, why in failed[:5]:  # each with its reason; the rest by number
        why = why.removeprefix(f"cannot decode page {page}: ").removeprefix("cannot decode image: ")
        said.append(f"page {page} not indexed: {why}")
    if len(failed) > 5:
        said.append(f"pages {_page_runs([p for p, _ in failed[5:]])} not indexed: they did not decode")
    if total > MAX_STILL_PAGES:
        last = f"{total}" if total <= MAX_PAGES_COUNTED else f"{MAX_PAGES_COUNTED} and after"
        said.append(f"pages {MAX_STILL_PAGES + 1}-{last} not indexed: past the {MAX_STILL_PAGES} pages examined in "
                    "one file (split the file to index them)")
    if not said:
        return None
    of = f"{total}" if total <= MAX_PAGES_COUNTED else f"more than {MAX_PAGES_COUNTED:,}"
    return f"{len(fp.frames)} of {of} pages; " + "; ".join(said)


def _partial(fp: Fingerprint, media: MediaFile) -> str | None:
    """Say how much of a video reference was indexed when decoding stopped early or left gaps (its decoded
    coverage, ``provenance.coverage``): footage the reference's decoder did not deliver cannot match, so a later
    match that covers only part of a clip does not mean the rest is not from this reference. For a multi-page
    TIFF, the pages not indexed (``_pages_partial``)."""
    if media.kind == "image":
        return _pages_partial(fp, media)
    cov = fp.coverage
    if cov is not None and coverage.short(cov) and fp.stopped_by in (None, "decode_error"):
        of = f" of {cov.declared_s:.1f} s" if cov.declared_s is not None else ""
        missing = [(g.start, g.end) for g in cov.gaps]
        if cov.ended_at_s is not None and cov.declared_s is not None:
            missing.append((cov.ended_at_s, cov.declared_s))
        holes = ", ".join(f"{a:.1f}\u2013{b:.1f} s" for a, b in missing[:5]) + (" and more" if len(missing) > 5 else "")
        # no declared end (a raw or multipart MJPEG): what is missing is what followed where decoding stopped
        lost = f"{holes} missing" if holes else "part missing"
        if not holes and cov.ended_at_s is not None:
            lost = f"the rest after {cov.ended_at_s:.1f} s (its length unknown) missing"
        why = f" ({cov.error})" if cov.error else ""
        return (f"only {cov.decoded_s:.1f} s{of} decoded: {lost}{why}; matches cannot cover what is missing, "
                "which is not evidence that it differs")
    if fp.stopped_by is None:
        return None
    why = {"max_frames_decoded": "the decoded-frame limit ([limits] max_duration_s at 60 fps)",
           "decode_error": f"a decode error ({fp.decode_error})"}.get(fp.stopped_by, fp.stopped_by)
    until = f"{fp.stopped_at_s:.1f} s" if fp.stopped_at_s is not None else "an unknown point"
    of = f" of {media.duration_s:.1f} s" if media.duration_s else ""
    return f"indexed only up to {until}{of}, stopped by {why}: footage after that cannot match"


def _reference_keypoint_spacing(matching: MatchingConfig) -> float | None:
    """Seconds between a reference's keypoint frames (plus shot changes); None without local features.

    ``reference_local_interval_s``, or the clip side's ``local_interval_s`` when a profile sets that shorter.
    """
    if not matching.local_features:
        return None
    return min(matching.local_interval_s, matching.reference_local_interval_s)


def _timing_slots(table: _KeypointFrameTable, hits: list[LocalHit]) -> list[int]:
    """The unsearched keypoint frames on either side of each hit, within ``lf.SEARCH_INTERVAL_S``: verified too,
    so a keypoint-only match is timed to the second. At most two per hit (each a ratio test and RANSAC, ~3 ms);
    none when nothing verified, so a clip that matches nothing costs what the scan of every other frame costs."""
    out: list[int] = []
    for h in hits:
        frames = table.timing.get(h.reference_id, [])
        at = bisect.bisect_left(frames, (h.t, -1))
        for t, slot in frames[max(0, at - 1):at + 1]:
            if abs(t - h.t) < lf.SEARCH_INTERVAL_S and slot not in out:
                out.append(slot)
    return out


def reference_frames_decoded(limits: Limits) -> int:
    """Decoded frames a reference may take: its whole declared duration (``[limits] max_duration_s``) at 60 fps.

    ``max_frames_decoded`` (100,000: ~1 h at 25 fps) bounds a hostile query; an archive reference of the
    duration the limits accept is indexed whole, in constant memory (hashing.reference_fingerprint).
    """
    return max(limits.max_frames_decoded, int(limits.max_duration_s * 60))


# The earliest date a first-seen date can hold: the oldest surviving photograph (Niépce, 1826-27). An earlier
# one is a typo (0001-01-01, 1019 for 2019) that would make every claim look newer than the footage.
EARLIEST_FIRST_SEEN = dt.date(1826, 1, 1)


def normalise_date(value: str | None, option: str = "--first-seen") -> str | None:
    """Check an ISO 8601 date or date-time and return it in canonical form, its UTC offset kept.

    A date alone is a day (it may be in the future by one day: today somewhere on Earth); a date-time must carry
    its UTC offset (a time without one is a different instant in every zone) and be no later than now. Dates
    before :data:`EARLIEST_FIRST_SEEN` are refused. A first-seen date in the future would make every claim look
    older than the footage.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    now = dt.datetime.now(dt.UTC)
    try:
        if "T" not in text.upper() and " " not in text and ":" not in text:  # a date alone: 2019-03-14, 20190314,
            day = dt.date.fromisoformat(text)  # 2019-W10 (ISO 8601 forms Python reads)
            canonical, future = day.isoformat(), day > now.date() + dt.timedelta(days=1)
        else:
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            day, canonical = when.date(), when.isoformat()
            if when.tzinfo is None:
                raise KnownIndexError(f"{option} {value!r} has no UTC offset: give it (2019-03-14T08:30+02:00, or Z "
                                      "for UTC), or the date alone")
            future = when > now + dt.timedelta(minutes=5)  # clock skew between machines, not a day
    except ValueError as exc:
        raise KnownIndexError(f"{option} {value!r} is not an ISO 8601 date: give YYYY-MM-DD, or a date-time "
                              "such as 2019-03-14T08:30:00+02:00") from exc
    if future:
        raise KnownIndexError(f"{option} {value!r} is in the future: give the earliest date the footage is known "
                              "to have been published")
    if day < EARLIEST_FIRST_SEEN:
        raise KnownIndexError(f"{option} {value!r} is before the oldest surviving photograph "
                              f"({EARLIEST_FIRST_SEEN.year}): a typo?")
    return canonical


def first_seen_order(value: str | None) -> tuple[int, float]:
    """Sort key for first-seen dates: earliest first, references without a date after every dated one.

    A date alone counts from its midnight UTC, a date-time without an offset as UTC (normalise_date keeps the
    offset given, so stored values compare as instants here, not as text).
    """
    if not value:
        return (1, 0.0)
    try:
        when = (dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), dt.UTC) if len(value) == 10
                else dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return (1, 0.0)
    return (0, (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp())


EDITABLE = ("title", "source", "url", "first_seen")


def _as_path_id(path: Path, depth: int, suffix: bool = False) -> str:
    """The file stem (``suffix``: its whole name) with ``depth`` parent folder names before it
    (``2020-05-09/IMG_0001``), made readable (``safetext.readable_id``: names are untrusted)."""
    parts = list(path.parent.parts[-depth:]) if depth else []
    return readable_id([*parts, path.name if suffix else path.stem])


@dataclass(frozen=True)
class IdShape:
    """How much of a file's path its derived id needs to tell it from the other files of one `index add`."""

    depth: int = 0  # parent folder names before the stem
    suffix: bool = False  # the extension kept (x.jpg and x.mp4 side by side)


def id_shapes(files: list[Path]) -> dict[Path, IdShape]:
    """The id shape of each file of one `index add` whose stem another file of it shares: the fewest parent
    folders that tell them all apart, the same for each of them (``a/sub1/x.jpg`` and ``a/sub2/x.jpg`` are
    ``sub1/x`` and ``sub2/x``, whichever comes first; the stem alone went to the first and ``sub2/x`` to the
    second: issue 14 round 8, low b), and the extension when no folder does. Files whose stem is theirs alone
    are not listed (the stem). The ids depend on the files given, not on their order."""
    absolute = [f.absolute() for f in files]
    groups: dict[str, list[Path]] = {}
    for f in absolute:
        groups.setdefault(_as_path_id(f, 0), []).append(f)
    shapes: dict[Path, IdShape] = {}
    for group in groups.values():
        if len(group) < 2:
            continue
        deepest = max(len(f.parent.parts) for f in group)
        for suffix in (False, True):
            depth = next((d for d in range(deepest + 1)
                          if len({_as_path_id(f, d, suffix) for f in group}) == len(group)), None)
            if depth is not None:
                shapes.update({f: IdShape(depth, suffix) for f in group})
                break
    return shapes


def iter_media_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and files inside folders named (recursively, sorted, symlinked folders not followed)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from walk(path)
        else:
            yield path


def _taken(ref_id: str, indexed: str, other: Path) -> str:
    return (f"reference id {ref_id!r} already names another file ({indexed}), not {display_path(other)}: pick "
            f"another --id, or `provenance index remove {ref_id}` first")


def _added_meanwhile(conn: sqlite3.Connection, ref_id: str, media: MediaFile, shown: str) -> AddResult | None:
    """Inside the write transaction, whether ``ref_id`` was taken since we looked (two `index add` at once): by
    these same bytes, an "unchanged" result naming the stored reference (another process added or linked it);
    by other bytes, an "error" result saying the id names another file; None while the id is free."""
    row = conn.execute("SELECT * FROM reference WHERE id = ?", (ref_id,)).fetchone()
    if row is None:
        return None
    if row["sha256"] != media.sha256:
        return AddResult(shown, status="error", message=_taken(ref_id, row["path"], media.path))
    return AddResult(shown, Reference(**dict(row)), status="unchanged", message="added meanwhile by another process")


def _fingerprint_reference(path: str, frames: FramesConfig, matching: MatchingConfig, limits: Limits,
                           budget_s: float | None) -> ReferencePrints:
    """A reference's frame hashes and masked keypoint frames, as ``_add_one`` makes them: run in a worker process
    by ``KnownImageryIndex.parallel`` (the decoding, the cost of ``index add``), under the file's budget."""
    media = probe(Path(path), limits)
    outcome = run_with_budget(lambda: _reference_prints(media, frames, matching, limits), budget_s, "visual")
    if outcome.error is not None:
        raise outcome.error
    return outcome.value


ReferencePrints = tuple[Fingerprint, list[tuple[float, LocalFeatures]], ReferenceBox, "EmbeddedIndexed | None"]


def _reference_prints(media: MediaFile, frames: FramesConfig, matching: MatchingConfig, limits: Limits
                      ) -> ReferencePrints:
    """A reference's frame hashes, its keypoint frames with an interface's static keypoints masked (they must not
    match other footage shown in the same interface), and the footage's box when it wraps it (hashed too); for a
    motion photo, its embedded clip's too (``_with_embedded``)."""
    box = ReferenceBox()
    if media.kind == "image":  # a damaged HEIC/AVIF decodes without an error: not indexed as if complete
        from provenance.visual.heif_integrity import check_still

        check_still(media.path)
    fp, keypoint_frames = reference_fingerprint(
        media, frames, keypoint_frames_s=_reference_keypoint_spacing(matching),
        interval_s=frames.reference_interval_s, limits=limits,
        max_frames_decoded=reference_frames_decoded(limits), box=box)
    from provenance.visual import embedded

    at = embedded.offset(media)
    if at is None:  # a declared clip not found: the still alone, said as for a damaged clip (round 8, M2)
        missing = embedded.not_found(media)
        return (fp, lf.mask_static(keypoint_frames), box,
                None if missing is None else EmbeddedIndexed(error=missing.reason))
    return _with_embedded(media, at, fp, keypoint_frames, frames, matching, limits)


def _with_embedded(media: MediaFile, at: int, still: Fingerprint, still_keypoints: list[tuple[float, LocalFeatures]],
                   frames: FramesConfig, matching: MatchingConfig, limits: Limits) -> ReferencePrints:
    """A motion photo as one reference: the still's frame at 0 s, then the embedded clip's frames at their own
    times (0 s on: a phone's still is one of the clip's moments, Google's MotionPhotoPresentationTimestampUs), so a
    later verify of the clip posted alone matches it, with the clip's times, and the still matches as before. A
    clip that cannot be read leaves the still alone, and ``EmbeddedIndexed.error`` says why."""
    from provenance.visual import embedded

    box = ReferenceBox()
    try:
        with embedded.clip_media(media, at, limits) as clip:
            try:
                fp, keypoints = reference_fingerprint(
                    clip, frames, keypoint_frames_s=_reference_keypoint_spacing(matching),
                    interval_s=frames.reference_interval_s, limits=limits,
                    max_frames_decoded=reference_frames_decoded(limits), box=box)
            except (ProvenanceError, OSError, ValueError) as exc:
                raise ProvenanceError(embedded.named(exc, clip.path)) from None
            partial = _partial(fp, clip)
            duration = clip.duration_s
    except ProvenanceError as exc:
        return still, lf.mask_static(still_keypoints), ReferenceBox(), EmbeddedIndexed(error=str(exc))
    merged = Fingerprint(still.frames + fp.frames, still.frames_decoded + fp.frames_decoded, fp.shot_changes,
                         fp.stopped_by, fp.stopped_at_s, fp.decode_error, fp.rotation, fp.coverage)
    return (merged, lf.mask_static(still_keypoints) + lf.mask_static(keypoints), box,
            EmbeddedIndexed(duration_s=duration, frames=len(fp.frames), partial=partial))


def scanned_descriptors(slots: list[LocalFeatures], members: list[list[tuple[str, float]]],
                        stills: Collection[str] = ()
                        ) -> tuple[np.ndarray, np.ndarray, dict[str, list[tuple[float, int]]]]:
    """The keypoint scan's input from the keypoint frames (``slots``, each with the (reference, time) copies that
    share it): the descriptors of the slots it searches (:func:`_searched`, per reference in time order) and
    each descriptor's slot, and per reference the (time, slot) of the frames kept only to time a match.
    One process's table and each shard (``visual.sharded``) build it alike, so their searches agree. Every
    keypoint frame of a reference in ``stills`` is searched (index_files.still_ids: a multi-page TIFF's pages)."""
    per_ref: dict[str, list[tuple[float, int]]] = {}
    for slot, copies in enumerate(members):
        for ref_id, t in copies:
            per_ref.setdefault(ref_id, []).append((t, slot))
    searched = np.zeros(len(slots), bool)
    timing: dict[str, list[tuple[float, int]]] = {}
    for ref_id, frames in per_ref.items():
        frames.sort()
        keeps = [True] * len(frames) if ref_id in stills else _searched([t for t, _ in frames])
        for (t, slot), keep in zip(frames, keeps, strict=True):
            if keep:
                searched[slot] = True
            else:
                timing.setdefault(ref_id, []).append((t, slot))
    scan = np.nonzero(searched)[0]
    sizes = np.array([len(slots[k].descriptors) for k in scan], dtype=np.int64)
    descriptors = (np.concatenate([slots[k].descriptors for k in scan]) if len(scan)
                   else np.zeros((0, 32), np.uint8))
    return descriptors, np.repeat(scan, sizes), timing


class KnownImageryIndex:
    def __init__(self, workspace: Workspace | None = None) -> None:
        self.workspace = workspace or Workspace()
        self._tables: dict[object, object] = {}  # derived search structures, rebuilt after any change
        self._tables_generation: int | None = None  # index_generation the tables were loaded at (see state())
        # frame rows this object read from SQLite into search tables (bringing the derived files up to date, or
        # in a workspace that cannot hold them): 0 in a process that only opened current derived files
        self.frame_rows_read = 0
        self.last_sync: SyncResult | None = None  # what the last bringing-up-to-date of the derived files did
        self.keyframe_rows_read = 0  # keypoint frames this object read from SQLite (as frame_rows_read)
        self._prepared: dict[str, Future] = {}  # file (resolved path) -> its fingerprint, made by a worker

    @contextlib.contextmanager
    def parallel(self, paths: Iterable[str | Path], *, workers: int = 0, frames: FramesConfig | None = None,
                 matching: MatchingConfig | None = None, limits: Limits | None = None,
                 budget_s: float | None = VisualConfig().budget) -> Iterator[int]:
        """Within the block, ``add`` takes the fingerprints of ``paths``' media files from ``workers`` processes
        (0: one per core) that decode them ahead, in order; the database is still written by this process alone,
        one reference a transaction, in the order files are added. Yields the number of worker processes (0:
        fewer than two files to decode, nothing started). Files whose bytes are indexed already are not decoded
        (they are linked or unchanged). Each worker's native thread pools get its share of the cores
        (``PROVENANCE_WORKERS``). Decoding is the cost of ``index add`` (~0.1-0.3 s of CPU per second of 720p),
        and a reference's decoding runs on one core for most of it, so files decode side by side.
        """
        limits = limits or Limits()
        frames, matching = frames or FramesConfig(), matching or MatchingConfig()
        todo = []
        for file in iter_media_files(paths):
            try:
                media = probe(file, limits)
            except MediaError:
                continue  # add() says why
            if media.kind in ("video", "image") and not media.pixels_refused and not self._same_bytes(media.sha256):
                todo.append(str(media.path.resolve()))
        todo = list(dict.fromkeys(todo))
        n = min(len(todo), workers or cores())
        if n < 2:
            yield 0
            return
        before = os.environ.get(WORKERS_ENV)
        os.environ[WORKERS_ENV] = str(n)  # inherited by the workers: threads.share() = cores // n each
        try:
            # workers die with this process (a SIGKILLed `index add` leaves none behind decoding for nobody)
            pool = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"), initializer=die_with_parent)
        finally:
            if before is None:
                os.environ.pop(WORKERS_ENV, None)
            else:
                os.environ[WORKERS_ENV] = before
        try:
            for path in todo:
                self._prepared[path] = pool.submit(_fingerprint_reference, path, frames, matching, limits, budget_s)
            yield n
        finally:
            for future in self._prepared.values():
                future.cancel()
            self._prepared.clear()
            pool.shutdown(wait=True, cancel_futures=True)

    # -- writing ---------------------------------------------------------------------------------------
    def add(
        self,
        paths: Iterable[str | Path],
        *,
        id: str | None = None,
        title: str | None = None,
        source: str | None = None,
        url: str | None = None,
        first_seen: str | None = None,
        frames: FramesConfig | None = None,
        matching: MatchingConfig | None = None,
        limits: Limits | None = None,
        budget_s: float | None = VisualConfig().budget,
    ) -> list[AddResult]:
        """Index every video and image under ``paths``. ``id`` applies only when a single file is given.

        Each reference is one transaction (the reference row, its frames and keypoint frames, or nothing), so an
        interrupted ``add`` leaves whole references only and re-running it adds the rest. ``limits`` refuse
        oversized files; ``budget_s`` bounds each file's decoding (default: the visual stage's budget).

        A file whose bytes are indexed already: from the same path (or under the same ``id``) it updates the
        metadata given ("updated" / "unchanged"); from another path or under a new ``id`` it becomes a reference
        linked to the one holding the frames ("linked", nothing decoded). A new file most of whose frames are
        an indexed reference's is added with ``AddResult.near`` naming it.
        """
        limits = limits or Limits()
        first_seen = normalise_date(first_seen)
        files = list(iter_media_files(paths))
        if id is not None and len(files) != 1:
            raise KnownIndexError("--id names one reference: give a single file, or omit it to use file stems")
        if id is not None and (problem := id_problem(id)) is not None:
            raise KnownIndexError(f"--id '{terminal(id)}' cannot be a reference id: {problem}")
        results = []
        shapes = id_shapes(files) if id is None else {}
        for file in files:
            shown = display_path(file)
            shape = shapes.get(file.absolute(), IdShape())
            try:
                media = probe(file, limits)
            except MediaError as exc:
                results.append(AddResult(shown, status="error", message=str(exc)))
                continue
            if media.pixels_refused:  # over [limits] max_pixels, a PDF, no pictures: refused here as verify does
                lead = "" if media.kind == "document" else "picture not decoded: "  # a PDF's reason says it all
                why = media.pixels_refused  # a PDF: its pictures are to be indexed one by one, not verified
                why = why.replace("and verify each", "and index each") if media.kind == "document" else why
                results.append(AddResult(shown, status="error", message=f"{display_path(file.name)}: {lead}{why}"))
                continue
            if media.kind not in ("video", "image"):
                results.append(AddResult(shown, status="error", message=f"{display_path(file.name)}: no pictures"))
                continue
            known = self._same_bytes(media.sha256)
            if known:
                here = display_path(media.path.resolve())
                again = next((r for r in known if (r.id == id if id else r.path == here)), None)
                if again is not None:  # the same file (or id) again: update what the user changed
                    results.append(self._update(again, shown, title=title, source=source, url=url,
                                                first_seen=first_seen))
                    self._tables.clear()
                    continue
                if id is None or self.get(id) is None:  # the same bytes from elsewhere: link, share frames
                    results.append(self._link(file, media, id, title, source, url, first_seen, shape))
                    self._tables.clear()
                    continue
            ref_id = id or self._free_id(file, media.sha256, shape=shape)
            prepared = str(media.path.resolve()) in self._prepared  # a worker decodes it, under this budget
            outcome = run_with_budget(
                lambda media=media, ref_id=ref_id: self._add_one(media, ref_id, title, source, url, first_seen,
                                                                 frames, matching, limits),
                None if prepared else budget_s, "visual")
            self._tables.clear()  # the next file's near-identical check must see this one
            if outcome.error is None and outcome.value is not None:
                results.append(outcome.value)
            elif isinstance(outcome.error, KnownIndexError | ValueError | OSError | ProvenanceError):
                message = str(outcome.error)  # named: in a folder, the user must see which file failed
                named = message if display_path(file.name) in message else f"{display_path(file.name)}: {message}"
                results.append(AddResult(shown, status="error", message=named))
            else:  # a decoder failure on one file must not stop a folder
                exc = outcome.error
                results.append(AddResult(shown, status="error", message=f"{display_path(file.name)}: "
                                         f"{type(exc).__name__}: {str(exc).strip()[:300]}"))
        self._tables.clear()
        self.sync_derived()
        return results

    def _add_one(
        self, media: MediaFile, ref_id: str, title: str | None, source: str | None, url: str | None,
        first_seen: str | None, frames: FramesConfig | None, matching: MatchingConfig | None,
        limits: Limits | None = None,
    ) -> AddResult:
        with self.workspace.reading() as conn:
            row = conn.execute("SELECT sha256, path FROM reference WHERE id = ?", (ref_id,)).fetchone()
        if row is not None:
            if row["sha256"] == media.sha256:
                return self._update(Reference(**dict(self._row(ref_id))), display_path(media.path), title=title,
                                    source=source, url=url, first_seen=first_seen)
            raise KnownIndexError(_taken(ref_id, row["path"], media.path))
        matching = matching or MatchingConfig()
        frames = frames or FramesConfig()
        limits = limits or Limits()
        prepared = self._prepared.pop(str(media.path.resolve()), None)
        if prepared is not None:  # decoded by a worker of parallel(): its errors are raised here, as below
            fp, keypoint_frames, box, clip = prepared.result()
        else:
            fp, keypoint_frames, box, clip = _reference_prints(media, frames, matching, limits)
        near = self._near_identical(fp, matching)
        kind, duration, partial = media.kind, media.duration_s, _partial(fp, media)
        if clip is not None and clip.error is None:  # a motion photo: a clip, its still at 0 s (_with_embedded)
            kind, duration = "video", clip.duration_s
            partial = f"its embedded video {clip.partial}" if clip.partial else None
        elif clip is not None:
            partial = (f"the still only: its embedded video (a motion photo) was not indexed: {clip.error}; the clip "
                       "posted alone cannot match it")
        ref = Reference(
            id=ref_id, path=display_path(media.path.resolve()), sha256=media.sha256, kind=kind,
            frames=len(fp.frames), title=title or display_path(media.path.stem), source=source, url=url,
            first_seen=first_seen, duration_s=duration,
            added_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), partial=partial,
        )
        # One transaction: a reference is either whole or absent. Take the write lock first, then look again:
        # another process may have added this id while we were hashing (two `index add` at once); the same
        # file is then "unchanged", not an error.
        with self.workspace.transaction(immediate=True) as conn:
            taken = _added_meanwhile(conn, ref_id, media, str(media.path))
            if taken is not None:
                if taken.status == "error":
                    raise KnownIndexError(taken.message)
                return taken
            _bump_generation(conn)
            conn.execute(
                "INSERT INTO reference (id, title, source, url, first_seen, path, sha256, kind, duration_s,"
                " frames, added_at, partial) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (ref.id, ref.title, ref.source, ref.url, ref.first_seen, ref.path, ref.sha256, ref.kind,
                 ref.duration_s, ref.frames, ref.added_at, ref.partial),
            )
            conn.executemany(
                "INSERT INTO frame (reference_id, t, pdq, quality, phash) VALUES (?,?,?,?,?)",
                [(ref.id, f.t, f.hashes.pdq, f.hashes.quality, f.hashes.phash) for f in fp.frames]
                + [(ref.id, h.t, h.pdq, h.quality, h.phash) for h in box.hashes],
            )
            if box.box is not None and box.frame_size is not None:  # where the wrapped footage sits (shares)
                (w, h), (x0, y0, x1, y1) = box.frame_size, box.box
                conn.execute("INSERT INTO reference_box (reference_id, x0, y0, x1, y1, frame_aspect)"
                             " VALUES (?,?,?,?,?,?)", (ref.id, x0 / w, y0 / h, x1 / w, y1 / h, w / h))
            conn.executemany(  # table "keyframe": the stored schema's name for keypoint frames, kept
                "INSERT INTO keyframe (reference_id, t, width, height, points, descriptors) VALUES (?,?,?,?,?,?)",
                [(ref.id, t, feat.width, feat.height, *feat.to_blobs()) for t, feat in keypoint_frames],
            )
        return AddResult(display_path(media.path), ref, near=near,
                         message=near.describe() if near is not None else "", partial=ref.partial, embedded=clip)

    def _link(self, file: Path, media: MediaFile, ref_id: str | None, title: str | None, source: str | None,
              url: str | None, first_seen: str | None, shape: IdShape = IdShape()) -> AddResult:
        """A reference for a file byte-identical to an indexed one: its own id and metadata, the same frames.

        The frames belong to the reference that holds them (``same_as`` NULL); decoding the file again would
        only store the same rows twice, and two copies of each keypoint frame once cancelled keypoint matches.
        """
        shown = display_path(file)
        ref_id = ref_id or self._free_id(file, media.sha256, same_file_ok=False, shape=shape)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self.workspace.transaction(immediate=True) as conn:
            holder = conn.execute("SELECT * FROM reference WHERE sha256 = ? AND same_as IS NULL"
                                  " ORDER BY added_at, rowid LIMIT 1", (media.sha256,)).fetchone()
            if holder is None:  # removed since we looked (another process)
                return AddResult(shown, status="error", message=f"{shown}: the reference it is identical to was "
                                 "removed meanwhile: run `provenance index add` again")
            taken = _added_meanwhile(conn, ref_id, media, shown)
            if taken is not None:
                return taken
            ref = Reference(
                id=ref_id, path=display_path(media.path.resolve()), sha256=media.sha256, kind=holder["kind"],
                frames=holder["frames"], title=title or display_path(media.path.stem), source=source, url=url,
                first_seen=first_seen, duration_s=holder["duration_s"], added_at=now, same_as=holder["id"],
                partial=holder["partial"],
            )
            _bump_generation(conn)
            conn.execute(
                "INSERT INTO reference (id, title, source, url, first_seen, path, sha256, kind, duration_s,"
                " frames, added_at, same_as, partial) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (ref.id, ref.title, ref.source, ref.url, ref.first_seen, ref.path, ref.sha256, ref.kind,
                 ref.duration_s, ref.frames, ref.added_at, ref.same_as, ref.partial),
            )
        return AddResult(shown, ref, status="linked",
                         message=f"byte-identical to reference {ref.same_as}: linked, frames shared")

    def _near_identical(self, fp: Fingerprint, matching: MatchingConfig) -> NearIdentical | None:
        """The indexed reference whose frames most of this fingerprint's frames are within the PDQ threshold of.

        "Most" is more than half, both ways (of the new file's matchable frames, and of the reference's frames
        they hit): a re-encode or re-upload samples the same pictures, an excerpt of a long reference covers
        only part of it. Costs one hash search of the file's frames (the same as matching it).
        """
        mine = [f.hashes.pdq for f in fp.frames if f.hashes.quality >= matching.min_quality]
        if not mine:
            return None
        hits = self.search(mine, max_distance=matching.max_distance, min_quality=matching.min_quality)
        queries: dict[str, set[int]] = {}
        times: dict[str, set[float]] = {}
        for h in hits:
            queries.setdefault(h.reference_id, set()).add(h.query)
            times.setdefault(h.reference_id, set()).add(h.t)
        counts = self.frame_counts(matching.min_quality)
        near = [(len(q), len(times[rid]) / max(1, counts.get(rid, 0)), rid) for rid, q in queries.items()
                if 2 * len(q) > len(mine) and 2 * len(times[rid]) > counts.get(rid, 0)]
        if not near:
            return None
        within, _share, rid = min(near, key=lambda x: (-x[0], -x[1], x[2]))
        return NearIdentical(rid, within, len(mine), matching.max_distance, len(fp.frames))

    def _row(self, ref_id: str) -> sqlite3.Row:
        with self.workspace.reading() as conn:
            return conn.execute("SELECT * FROM reference WHERE id = ?", (ref_id,)).fetchone()

    def _same_bytes(self, sha256: str) -> list[Reference]:
        """Every reference of these bytes: the one holding the frames first, then those linked to it."""
        with self.workspace.reading() as conn:
            rows = conn.execute("SELECT * FROM reference WHERE sha256 = ? ORDER BY same_as IS NOT NULL, added_at,"
                                " rowid", (sha256,)).fetchall()
        return [Reference(**dict(r)) for r in rows]

    def _free_id(self, path: Path, sha256: str, *, same_file_ok: bool = True, shape: IdShape = IdShape()) -> str:
        """The file stem, or with as many parent folders before it as make it unique (then ``-2``, ``-3``...):
        ``2019-03-14/IMG_0001.JPG`` and ``2020-05-09/IMG_0001.JPG`` become two references, not one error.
        ``shape``: at least that many folders (and the extension) (``id_shapes``: the other files of the same
        `index add`). ``same_file_ok``: an id already naming these bytes counts as free (the same file added
        again)."""
        with self.workspace.reading() as conn:
            def free(candidate: str) -> bool:
                row = conn.execute("SELECT sha256 FROM reference WHERE id = ?", (candidate,)).fetchone()
                return row is None or (same_file_ok and row["sha256"] == sha256)
            path = path.absolute()
            for d in range(shape.depth, max(len(path.parent.parts), shape.depth + 1)):
                if free(candidate := _as_path_id(path, d, shape.suffix)):
                    return candidate
            n = 2
            while not free(candidate := f"{_as_path_id(path, shape.depth, shape.suffix)}-{n}"):
                n += 1
            return candidate

    def _update(self, ref: Reference, shown: str, **given: str | None) -> AddResult:
        """``index add`` of an indexed file: the metadata given that differs is updated (old values to history)."""
        changes = {k: v for k, v in given.items() if v is not None and v != getattr(ref, k)}
        if not changes:
            return AddResult(shown, ref, status="unchanged", message="already indexed")
        updated, changed = self.edit(ref.id, **changes)
        return AddResult(shown, updated, status="updated", message=", ".join(changed))

    def edit(self, ref_id: str, **changes: str | None) -> tuple[Reference, list[str]]:
        """Change a reference's title, source, url or first_seen ("" clears one); the old values go to
        ``reference_history``. Returns the reference and the fields that changed. Matching does not change:
        the frames stay as indexed."""
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise KnownIndexError(f"cannot edit {', '.join(sorted(unknown))} (editable: {', '.join(EDITABLE)})")
        if changes.get("first_seen"):
            changes["first_seen"] = normalise_date(changes["first_seen"])
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self.workspace.transaction(immediate=True) as conn:
            row = conn.execute("SELECT * FROM reference WHERE id = ?", (ref_id,)).fetchone()
            if row is None:
                raise KnownIndexError(f"no reference {ref_id!r} in workspace {self.workspace.root} "
                                      "(`provenance index list` shows them)")
            changed = [k for k, v in changes.items() if (v or None) != row[k]]
            for key in changed:
                conn.execute("INSERT INTO reference_history (reference_id, field, old, new, changed_at)"
                             " VALUES (?,?,?,?,?)", (ref_id, key, row[key], changes[key] or None, now))
                conn.execute(f"UPDATE reference SET {key} = ? WHERE id = ?", (changes[key] or None, ref_id))
            row = conn.execute("SELECT * FROM reference WHERE id = ?", (ref_id,)).fetchone()
        self._tables.clear()
        return Reference(**dict(row)), changed

    def history(self, ref_id: str) -> list[dict[str, str | None]]:
        """Earlier values of a reference's editable fields, oldest first."""
        with self.workspace.reading() as conn:
            rows = conn.execute("SELECT field, old, new, changed_at FROM reference_history WHERE reference_id = ?"
                                " ORDER BY rowid", (ref_id,)).fetchall()
        return [dict(r) for r in rows]

    def remove(self, ref_id: str) -> Removed | None:
        """Remove a reference (None: there is none of that id).

        A reference whose frames others share (byte-identical copies linked to it) hands them over first to the
        earliest-added of those, which every other one is then linked to: removing one source of the footage
        never takes the footage out of the index, and no linked reference is left without frames.
        """
        heir = None
        with self.workspace.transaction(immediate=True) as conn:
            row = conn.execute("SELECT same_as FROM reference WHERE id = ?", (ref_id,)).fetchone()
            if row is None:
                return None
            if row["same_as"] is None:  # its frame rows go (or go to an heir): the derived files start again
                index_files.bump_frame_rewrites(conn)
                found = conn.execute("SELECT id FROM reference WHERE same_as = ? ORDER BY added_at, rowid LIMIT 1",
                                     (ref_id,)).fetchone()
                if found is not None:
                    heir = found["id"]
                    for table in ("frame", "keyframe", "reference_box"):
                        conn.execute(f"UPDATE {table} SET reference_id = ? WHERE reference_id = ?", (heir, ref_id))
                    conn.execute("UPDATE reference SET same_as = NULL WHERE id = ?", (heir,))
                    conn.execute("UPDATE reference SET same_as = ? WHERE same_as = ?", (heir, ref_id))
            conn.execute("DELETE FROM reference WHERE id = ?", (ref_id,))
            _bump_generation(conn)
        self._tables.clear()
        self.sync_derived()
        return Removed(ref_id, heir)

    # -- reading ---------------------------------------------------------------------------------------
    def list(self) -> list[Reference]:
        with self.workspace.reading() as conn:
            rows = conn.execute("SELECT * FROM reference ORDER BY id").fetchall()
        return [Reference(**dict(r)) for r in rows]

    def get(self, ref_id: str) -> Reference | None:
        with self.workspace.reading() as conn:
            row = conn.execute("SELECT * FROM reference WHERE id = ?", (ref_id,)).fetchone()
        return Reference(**dict(row)) if row else None

    def linked(self, ref_ids: Iterable[str]) -> dict[str, list[Reference]]:
        """The references sharing each given reference's frames (byte-identical copies), oldest link first.

        Search hits name the reference holding the frames; matching reports these beside it.
        """
        wanted = list(dict.fromkeys(ref_ids))
        found: dict[str, list[Reference]] = {}
        with self.workspace.reading() as conn:
            for start in range(0, len(wanted), 500):  # SQLite's default limit of bound parameters is 999
                chunk = wanted[start:start + 500]
                rows = conn.execute(f"SELECT * FROM reference WHERE same_as IN ({','.join('?' * len(chunk))})"
                                    " ORDER BY added_at, rowid", chunk).fetchall()
                for r in rows:
                    found.setdefault(r["same_as"], []).append(Reference(**dict(r)))
        return found

    def hash_at(self, ref_id: str, t: float) -> bytes | None:
        """The PDQ hash of a reference's frame sampled at time ``t`` (to report a local match's distance)."""
        with self.workspace.reading() as conn:
            row = conn.execute(
                "SELECT pdq FROM frame WHERE reference_id = COALESCE((SELECT same_as FROM reference WHERE id = ?), ?)"
                " ORDER BY abs(t - ?) LIMIT 1", (ref_id, ref_id, t)
            ).fetchone()
        return row[0] if row else None

    def hashes_near(self, ref_id: str, t: float, within_s: float, min_quality: int) -> list[bytes]:
        """The PDQ hashes of a reference's usable frames sampled within ``within_s`` of time ``t`` (seconds)."""
        with self.workspace.reading() as conn:
            rows = conn.execute(
                "SELECT pdq FROM frame WHERE reference_id = COALESCE((SELECT same_as FROM reference WHERE id = ?), ?)"
                " AND t BETWEEN ? AND ? AND quality >= ?", (ref_id, ref_id, t - within_s, t + within_s, min_quality)
            ).fetchall()
        return [r[0] for r in rows]

    def box_hashes(self, ref_id: str, min_quality: int) -> list[tuple[float, bytes]]:
        """A reference's content-box hashes of usable quality, (time s, PDQ) by time; empty when it has no box.

        The footage's box inside an interface, bars or a template (hashing.ReferenceBox) is stored as a second
        frame row at the same time as the frame's own, inserted after it; matching asks whether the footage
        inside agrees before a whole-frame hit counts (other footage in the same interface hits the whole frame).
        """
        return [(t, pdq) for t, pdq, _q, _ph in self.box_rows(ref_id, min_quality)]

    def box_rows(self, ref_id: str, min_quality: int) -> list[tuple[float, bytes, int, str]]:
        """A reference's content-box rows of quality >= ``min_quality``: (time s, PDQ, PDQ quality, pHash hex) by
        time. A box too smooth for the gate is stored too (hashing._box_hash), for matching's smooth runs."""
        with self.workspace.reading() as conn:
            rows = conn.execute(
                "SELECT t, pdq, quality, phash FROM frame WHERE reference_id ="
                " COALESCE((SELECT same_as FROM reference WHERE id = ?), ?) ORDER BY rowid", (ref_id, ref_id)
            ).fetchall()
        seen: set[float] = set()
        out = []
        for t, pdq, quality, phash in rows:
            if t in seen and quality >= min_quality:
                out.append((float(t), bytes(pdq), int(quality), str(phash)))
            seen.add(t)
        return sorted(out, key=lambda x: x[0])

    def box_geometries(self) -> dict[str, tuple[float, float, float, float, float]]:
        """Per reference holding frames that wraps its footage, where the footage sits: (x0, y0, x1, y1) as shares
        of the frame's width and height, and the frame's aspect (width / height) (hashing.ReferenceBox, recorded
        when it was added); matching hashes a clip's frames cropped alike (matching._box_lookups). Empty when no
        reference has one."""
        with self.workspace.reading() as conn:
            rows = conn.execute("SELECT reference_id, x0, y0, x1, y1, frame_aspect FROM reference_box").fetchall()
        return {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in rows}

    def stats(self, min_quality: int = PDQ.min_quality) -> IndexStats:
        with self.workspace.reading() as conn:
            kinds = dict(conn.execute("SELECT kind, COUNT(*) FROM reference GROUP BY kind").fetchall())
            linked = conn.execute("SELECT COUNT(*) FROM reference WHERE same_as IS NOT NULL").fetchone()[0]
            frames, matchable = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(quality >= ?), 0) FROM frame", (min_quality,)
            ).fetchone()
        size = sum(p.stat().st_size for p in self.workspace.root.glob("provenance.db*") if p.is_file())
        return IndexStats(
            references=sum(kinds.values()), videos=kinds.get("video", 0), images=kinds.get("image", 0),
            frames=frames, matchable_frames=int(matchable), database_bytes=size, linked_references=linked,
        )

    def state(self, min_quality: int = PDQ.min_quality) -> IndexState:
        """The index as a report records it (``visual.index_state``), read in one snapshot.

        Call it before matching: search tables this object loaded at another generation (another process added
        or removed references since) are dropped here, so the match searches what the state says, or newer (a
        later report then looks stale and is matched again: never the reverse).
        """
        with self.workspace.reading() as conn:
            conn.execute("BEGIN")  # one snapshot
            row = conn.execute(
                "SELECT (SELECT value FROM meta WHERE key = 'workspace_id'),"
                " (SELECT value FROM meta WHERE key = 'index_generation'),"
                " (SELECT value FROM meta WHERE key = 'reference_generation'),"
                " (SELECT COUNT(*) FROM reference)").fetchone()
            # the matchable frames from the derived files' manifest when it is at this state: a COUNT over the
            # frame table reads the whole table (seconds at 10^7 frames), on every verify
            current = self._derived(min_quality).current(str(row[0]), int(row[1]), index_files.frame_rewrites(conn))
            matchable = current.rows if current is not None else conn.execute(
                "SELECT COUNT(*) FROM frame WHERE quality >= ?", (min_quality,)).fetchone()[0]
            conn.execute("COMMIT")
        generation = int(row[1])
        if generation != self._tables_generation:
            self._tables.clear()
            self._tables_generation = generation
        return IndexState(workspace=str(row[0]), generation=generation, reference_generation=int(row[2]),
                          references=int(row[3]), matchable_frames=int(matchable))

    def _hash_table(self, min_quality: int) -> _HashTable:
        key = (PDQ.name, min_quality)
        table = self._tables.get(key)
        if table is None:
            table = self._load_hash_table(min_quality)
            self._tables[key] = table
        return table

    def _derived(self, min_quality: int) -> DerivedHashes:
        return DerivedHashes(self.workspace.derived_dir / f"{PDQ.name}-q{min_quality}", min_quality)

    def sync_derived(self, min_quality: int | None = None) -> list[SyncResult]:
        """Bring the derived hash files up to date after a change (writers call it after their commit): each
        quality searched before (a ``derived/pdq-q*`` folder) and ``min_quality`` (default: PDQ's). Best effort:
        a workspace that cannot hold them (read-only) is searched from SQLite instead."""
        qualities = {PDQ.min_quality if min_quality is None else min_quality}
        if self.workspace.derived_dir.is_dir():
            qualities |= {int(p.name.rsplit("-q", 1)[1]) for p in self.workspace.derived_dir.glob(f"{PDQ.name}-q*")
                          if p.is_dir() and p.name.rsplit("-q", 1)[1].isdigit()}
        done = []
        for quality in sorted(qualities):
            try:
                with self.workspace.reading() as conn:
                    result = self._derived(quality).sync(conn)
            except (OSError, sqlite3.Error, ProvenanceError):
                continue
            self.frame_rows_read += result.rows_read
            self.last_sync = result
            done.append(result)
        try:  # the keypoint frames' files too (appended: a new reference's own)
            derived = self._derived_keypoints()
            with self.workspace.reading() as conn:
                derived.sync(conn)
            self.keyframe_rows_read += derived.rows_read
        except (OSError, sqlite3.Error, ProvenanceError):
            pass
        return done

    def _load_hash_table(self, min_quality: int) -> _HashTable:
        """The derived files, mapped, when they are at the database's state; else brought up to date first (the
        frames added since are read from SQLite and appended); in a workspace that cannot hold them, from SQLite."""
        derived = self._derived(min_quality)
        with self.workspace.reading() as conn:
            manifest = derived.current(*index_files.state(conn))
        if manifest is None:
            try:
                with self.workspace.reading() as conn:
                    result = derived.sync(conn)
            except (OSError, sqlite3.Error, ProvenanceError):
                result = None  # cannot be written here (a read-only workspace): SQLite below
            if result is not None:
                self.frame_rows_read += result.rows_read
                self.last_sync, manifest = result, result.manifest
        if manifest is not None:
            key = (str(derived.folder), manifest.epoch, manifest.rows, manifest.mih_epoch)
            table = _OPENED.get(key)
            if table is not None and table.search.manifest.generation == manifest.generation:
                return table
            try:
                files = derived.open(manifest)
            except (OSError, ValueError):
                files = None
            if files is not None:
                table = _HashTable(files, files.refs, files.times, files.ids)
                _OPENED[key] = table
                while len(_OPENED) > _OPENED_MAX:
                    _OPENED.pop(next(iter(_OPENED)))
                return table
        return self._hash_table_from_sqlite(min_quality)

    def _hash_table_from_sqlite(self, min_quality: int) -> _HashTable:
        """Every matchable frame read from SQLite into memory: only where the derived files cannot be written."""
        with self.workspace.reading() as conn:
            rows = conn.execute(
                "SELECT reference_id, t, pdq FROM frame WHERE quality >= ? ORDER BY rowid", (min_quality,)
            ).fetchall()
        self.frame_rows_read += len(rows)
        ids = list(dict.fromkeys(r[0] for r in rows))
        pos = {rid: i for i, rid in enumerate(ids)}
        hashes = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.uint8).reshape(-1, PDQ.nbytes)
        refs = np.fromiter((pos[r[0]] for r in rows), dtype=np.int32, count=len(rows))
        times = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
        manifest = Manifest(index_files.FORMAT, "", -1, 0, 0, len(rows), len(ids), "memory")
        files = HashFiles(manifest, hashes, refs, times, ids, None, HashSearch(hashes))
        return _HashTable(files, refs, times, ids)

    def matchable_frames(self, min_quality: int) -> int:
        """Indexed frames of matchable quality, from the search table matching already loaded (no table scan)."""
        return len(self._hash_table(min_quality).search)

    def frame_counts(self, min_quality: int) -> dict[str, int]:
        """Matchable sampled frames (moments) per reference: the denominator of reference coverage."""
        table = self._hash_table(min_quality)
        if table.counts is None:
            # sampled moments, not rows: a reference wrapping footage in an interface has its content box's hash
            # at the same time as the frame's (hashing.ReferenceBox)
            table.counts = {}
            if table.search.counts is not None:  # counted when the derived files were written (index_files)
                table.counts = {rid: int(n) for rid, n in zip(table.ids, table.search.counts.tolist(), strict=True)}
            elif len(table.refs):
                counts = distinct_counts(table.refs, table.times, len(table.ids))
                table.counts = {rid: int(counts[i]) for i, rid in enumerate(table.ids)}
        return dict(table.counts)

    def search(self, queries: list[bytes], *, max_distance: int, min_quality: int) -> list[Hit]:
        """Every indexed frame of quality >= ``min_quality`` within ``max_distance`` of each PDQ query hash.

        ``Hit.query`` is the position in ``queries``; hits come in query order, then in indexed order (the
        frame table's). Exact at every size: a flat scan up to ``search.HASH_MIH_MIN_ROWS`` hashes, multi-index
        hashing beyond (search.py).
        """
        table = self._hash_table(min_quality)
        if not queries:
            return []
        q = np.frombuffer(b"".join(queries), dtype=np.uint8).reshape(-1, PDQ.nbytes)
        qrows, rows, distances = table.search.range(q, max_distance)
        refs, times = table.refs[rows], table.times[rows]
        return [Hit(qi, table.ids[ref], t, d) for qi, ref, t, d in
                zip(qrows.tolist(), refs.tolist(), times.tolist(), distances.tolist(), strict=True)]

    def _keypoint_frame_table(self) -> _KeypointFrameTable:
        table = self._tables.get("orb")
        if table is None:
            files = self._keypoint_files()
            table = self._keypoint_table_from_sqlite() if files is None else self._keypoint_table_from_files(files)
            self._tables["orb"] = table
        return table

    def _derived_keypoints(self) -> DerivedKeypoints:
        return DerivedKeypoints(self.workspace.derived_dir / "orb", _searched)

    def _keypoint_files(self) -> KeypointFiles | None:
        """The derived keypoint files, mapped, brought up to date first when behind the database (the keypoint
        frames added since are read from SQLite and appended); None where they cannot be written (read-only)."""
        derived = self._derived_keypoints()
        with self.workspace.reading() as conn:
            manifest = derived.current(conn)
        if manifest is None:
            try:
                with self.workspace.reading() as conn:
                    manifest = derived.sync(conn)
            except (OSError, sqlite3.Error, ProvenanceError):
                return None
            self.keyframe_rows_read += derived.rows_read
        key = ("orb", str(derived.folder), manifest.epoch, manifest.frames, manifest.generation)
        files = _OPENED_KEYPOINTS.get(key)
        if files is None:
            try:
                files = derived.open(manifest)
            except (OSError, ValueError):
                return None
            _OPENED_KEYPOINTS.clear()
            _OPENED_KEYPOINTS[key] = files
        return files

    def _keypoint_table_from_files(self, files: KeypointFiles) -> _KeypointFrameTable:
        """The keypoint search over the mapped files: the searched descriptors in an exact FAISS flat index
        (copied, below lf.IVF_MIN_DESCRIPTORS) or the inverted file, memory-mapped from ``derived/orb``."""
        n = files.manifest.searched
        if n and n >= lf.ivf_min_descriptors():
            index = self._keypoint_ivf_mapped(files)
        else:
            index = faiss.IndexBinaryFlat(256)  # ORB descriptors are 256 bits
            for start in range(0, n, 1 << 20):
                index.add(np.ascontiguousarray(files.searched[start:start + (1 << 20)]))
        return _KeypointFrameTable(index, files.owner, _MappedSlots(files), _MappedMembers(files), files.timing())

    def _keypoint_ivf_mapped(self, files: KeypointFiles) -> faiss.IndexBinaryIVF:
        """The inverted file over the searched descriptors: ``derived/orb/ivf-<epoch>-<searched>.faiss``,
        memory-mapped (FAISS IO_FLAG_MMAP: its lists stay in the file, shared by every process, no private
        copy); trained, filled and saved first when there is none for this state (the first search after a
        change: seconds to minutes, lf.IVF_MIN_DESCRIPTORS)."""
        derived = self._derived_keypoints()
        path = derived.ivf_path(files.manifest)
        index = _mapped_ivf(path, files.manifest.searched)
        if index is not None:
            index.nprobe = min(lf.IVF_NPROBE, index.nlist)
            return index
        with contextlib.ExitStack() as stack:
            with contextlib.suppress(OSError):
                stack.enter_context(derived.building_ivf())
            index = _mapped_ivf(path, files.manifest.searched)  # saved meanwhile by the process we waited for
            if index is None:
                index = self._train_keypoint_ivf(files, path)
        index.nprobe = min(lf.IVF_NPROBE, index.nlist)
        return index

    def _train_keypoint_ivf(self, files: KeypointFiles, path: Path) -> faiss.IndexBinaryIVF:
        """Train and fill the inverted file over the searched descriptors, save it to ``path`` and map it back
        (searched from memory when it cannot be saved)."""
        lists = lf.ivf_lists(files.manifest.searched)
        built = binary_ivf(files.searched, lists, train_rows=lf.IVF_TRAIN_PER_LIST * lists,
                           sampled=lf.ivf_sampled(lists))
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        try:
            faiss.write_index_binary(built, str(tmp))
            os.replace(tmp, path)
        except (OSError, RuntimeError):
            tmp.unlink(missing_ok=True)
            return built
        return _mapped_ivf(path, files.manifest.searched) or built

    def _keypoint_table_from_sqlite(self) -> _KeypointFrameTable:
        """Every keypoint frame read from SQLite into memory: only where the derived files cannot be written."""
        with self.workspace.reading() as conn:
            rows = conn.execute(  # table "keyframe": the stored schema's name for keypoint frames, kept
                "SELECT reference_id, t, width, height, points, descriptors FROM keyframe ORDER BY rowid"
            ).fetchall()
            stills = index_files.still_ids(conn, {r[0] for r in rows})
        self.keyframe_rows_read += len(rows)
        slot_of: dict[tuple[int, int, bytes, bytes], int] = {}
        slots: list[LocalFeatures] = []
        members: list[list[tuple[str, float]]] = []
        for r in rows:
            key = (r[2], r[3], bytes(r[4]), bytes(r[5]))
            if key not in slot_of:
                slot_of[key] = len(slots)
                slots.append(LocalFeatures.from_blobs(r[4], r[5], r[2], r[3]))
                members.append([])
            members[slot_of[key]].append((r[0], r[1]))
        descriptors, owner, timing = scanned_descriptors(slots, members, stills)
        if len(descriptors) and len(descriptors) >= lf.ivf_min_descriptors():
            lists = lf.ivf_lists(len(descriptors))  # in memory: this workspace cannot hold the derived file
            index = binary_ivf(descriptors, lists, train_rows=lf.IVF_TRAIN_PER_LIST * lists,
                               sampled=lf.ivf_sampled(lists))
            index.nprobe = min(lf.IVF_NPROBE, index.nlist)
        else:
            index = faiss.IndexBinaryFlat(256)  # ORB descriptors are 256 bits
            if len(descriptors):
                index.add(descriptors)
        return _KeypointFrameTable(index, owner, slots, members, timing)

    def search_local(self, query: LocalFeatures, *, candidates: int = 3,
                     stretched: Callable[[tuple[int, int]], list[LocalFeatures]] | None = None) -> list[LocalHit]:
        """Reference keypoint frames that share a similarity-transformed picture with the query (ORB + RANSAC).

        Retrieval, then verification, so that copies of the footage cannot cancel each other:
          1. shortlist: each query descriptor votes once for every keypoint frame among its
             ``lf.NEIGHBOURS`` nearest descriptors within ``lf.MAX_DESCRIPTOR_DISTANCE`` and clearly nearer than
             the last of them (``lf.RATIO``): a ratio test against the second nearest over the whole index would
             fail every descriptor of footage indexed twice (nearest = second nearest), one against the
             ``lf.NEIGHBOURS``-th survives that many copies and still drops descriptors near everything;
          2. the ``candidates`` frames with most votes (at least ``lf.MIN_VOTES``), and then the best frame of
             each further reference with at least ``lf.COPY_VOTE_SHARE`` of the top votes (a re-encoded copy
             of the same footage), up to ``lf.MAX_CANDIDATES`` in all: copies cannot crowd each other out;
          3. per candidate, Lowe's ratio test within that frame's own descriptors (lf.ratio_pairs), then RANSAC
             (lf.verify). Byte-identical keypoint frames are stored once, and one verification is reported for
             every reference and time that has it.
          4. when nothing verified and ``stretched`` is given (the query picture's features resized to a
             still's (width, height) aspect, lf.stretch_to), each shortlisted keypoint frame of a still reference
             is verified again against those: a still stretched to fill the clip's frame shape (lf.STRETCH_RANGE).
        Cost: one FAISS scan of the index plus at most ``lf.MAX_CANDIDATES`` verifications per query frame (and
        for step 4, one ORB extraction per still aspect shortlisted plus its verifications).
        """
        table = self._keypoint_frame_table()
        if not table.faiss_index.ntotal:
            return []
        k = min(lf.NEIGHBOURS, table.faiss_index.ntotal)
        faiss_single_thread()  # per calling thread (provenance/threads.py)
        distances, rows = table.faiss_index.search(query.descriptors, k)
        # a vote must stand out from the k-th neighbour (a ratio test that k - 1 copies cannot defeat)
        far = distances[:, -1:] if k == lf.NEIGHBOURS else np.full((len(distances), 1), 256)
        near = (rows >= 0) & (distances <= lf.MAX_DESCRIPTOR_DISTANCE) & (distances < lf.RATIO * far)
        n_slots = len(table.slots)
        voters = sorted_unique(np.nonzero(near)[0] * n_slots + table.owner[rows[near]])  # one vote per frame each
        votes = np.bincount(voters % n_slots, minlength=n_slots)
        order = np.argsort(-votes, kind="stable")
        order = order[votes[order] >= lf.MIN_VOTES]
        if not len(order):
            return []
        chosen = [int(s) for s in order[:candidates]]
        refs = {rid for s in chosen for rid, _t in table.members[s]}
        for s in order[candidates:]:
            if len(chosen) >= lf.MAX_CANDIDATES or votes[s] < lf.COPY_VOTE_SHARE * votes[order[0]]:
                break
            mine = {rid for rid, _t in table.members[s]}
            if not mine & refs:
                chosen.append(int(s))
                refs |= mine
        hits = []
        static = table.static
        for s in chosen:
            feats = table.slots[s]
            result = verify(query, feats, lf.ratio_pairs(query, feats), functools.partial(static, s))
            if result is not None:
                hits.extend(LocalHit(ref_id, t, result) for ref_id, t in table.members[s])
        for s in _timing_slots(table, hits):
            feats = table.slots[s]
            result = verify(query, feats, lf.ratio_pairs(query, feats), functools.partial(static, s))
            if result is not None:
                hits.extend(LocalHit(ref_id, t, result) for ref_id, t in table.members[s])
        if not hits and stretched is not None:
            stills = self._still_ids()
            for s in chosen:
                if not all(ref_id in stills for ref_id, _t in table.members[s]):
                    continue
                feats = table.slots[s]
                for q in stretched((feats.width, feats.height)):
                    result = verify(q, feats, lf.ratio_pairs(q, feats))
                    if result is not None:
                        hits.extend(LocalHit(ref_id, t, result) for ref_id, t in table.members[s])
                        break
        return hits

    def _still_ids(self) -> set[str]:
        """Ids of the still-image references (search_local's stretched check), read once per index state."""
        stills = self._tables.get("stills")
        if stills is None:
            with self.workspace.reading() as conn:
                stills = {r[0] for r in conn.execute("SELECT id FROM reference WHERE kind = 'image'")}
            self._tables["stills"] = stills
        return stills  # type: ignore[return-value]
