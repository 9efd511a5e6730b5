"""The PDQ search's derived files: the index's matchable hashes as append-only arrays beside the database (issue 20).

SQLite is the source of truth; ``derived/pdq-q<quality>/`` holds what the hash search reads, so that no process
but a writer ever reads frame rows from SQLite:
  ``hashes-<epoch>.u8``   the hashes, 32 bytes a row, in the frame table's rowid order
  ``refs-<epoch>.i32``    per row, the position of its reference in ``ids-<epoch>.txt`` (one id a line)
  ``times-<epoch>.f64``   per row, the reference time (s)
  ``mih-<m>-order<j>.i32`` and ``mih-<m>-offsets<j>.i32``: multi-index hashing tables (search.MultiIndexHash)
                          over the first ``mih_rows`` rows, from search.hash_mih_min_rows() rows
  ``manifest.json``       what the files hold: the database ``generation`` they were brought to, the largest
                          frame ``rowid`` read, ``rows``, the epochs, the ``frame_rewrites`` count they started at.
A process opens them memory-mapped (no read, no private copy: the cold start costs the same at 10^4 and 10^7
rows) after one look at the manifest. Every ``index add``/``import``/``link`` brings them up to date after its
commit (``sync``): frames with a rowid above the manifest's are read (a new reference's own), appended and the
manifest replaced last (atomically), under an exclusive ``flock`` so two writers append in turn. A row already
written is never changed, so a process mapping the files keeps a consistent view while they grow. Rows beyond
the multi-index tables (the *tail*) are scanned flat; once the tail passes ``MIH_TAIL_MAX`` rows the tables are
rebuilt over all rows from the mapped hashes (not from SQLite). Only a change that rewrites frame rows
(``index remove``, which also hands a holder's frames to a linked heir: ``meta.frame_rewrites``) or a manifest
from another workspace or format starts a new epoch, read from SQLite in chunks (constant memory).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import mmap
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from provenance.visual.search import (
    MIH_MAX_DISTANCE,
    MIH_SLICES,
    HashSearch,
    MultiIndexHash,
    distinct_counts,
    mih_bucket_bits,
    mih_tables,
    wants_mih,
)

FORMAT = "provenance.derived-pdq/1"
HASH_BYTES = 32  # PDQ: 256 bits (signals.PDQ)
# Tail rows scanned flat before the multi-index tables are rebuilt: 480 query hashes x 262,144 rows at ~5 ns is
# ~0.6 s more per 60-s clip at worst, and 73 hours of footage at one frame a second between rebuilds (a rebuild
# of 10^7 rows: 11 argsorts, ~40-90 s on 2 loaded cores).
MIH_TAIL_MAX = 262_144
_CHUNK = 200_000  # frame rows read from SQLite at a time when a new epoch is written (~8 MB of rows in flight)


@dataclass
class Manifest:
    format: str
    workspace: str
    generation: int
    frame_rewrites: int
    frame_rowid: int  # largest frame rowid read (of any quality): the next sync reads above it
    rows: int
    ids: int
    epoch: str
    mih_rows: int = 0
    mih_epoch: str = ""
    updated_at: float = 0.0
    counted: int = 0  # references (first ids) whose sampled moments ``counts-<epoch>.i32`` holds: all, when current
    counted_rows: int = 0  # rows those references' counts were taken from (the next count starts there)


@dataclass
class SyncResult:
    """What one ``sync`` did: rows read from SQLite (0: the files were current), and how."""

    manifest: Manifest
    rows_read: int = 0
    action: str = "current"  # current | appended | rebuilt
    mih_rebuilt: bool = False
    seconds: float = 0.0


@dataclass
class HashFiles:
    """The derived hash files of one generation, mapped: the search and each row's reference and time."""

    manifest: Manifest
    hashes: np.ndarray  # uint8 (rows, 32), mapped
    refs: np.ndarray  # int32 (rows,), mapped: position in ids
    times: np.ndarray  # float64 (rows,), mapped
    ids: list[str]
    mih: MultiIndexHash | None  # over rows [0, manifest.mih_rows)
    tail: HashSearch  # rows [manifest.mih_rows, rows), scanned flat
    full: HashSearch | None = None  # every row, flat: only when the tables cannot answer (made on first need)
    counts: np.ndarray | None = None  # int32 per id: its sampled moments (distinct times), counted when written

    @property
    def exact(self) -> bool:  # both structures are exact (search.py)
        return True

    def __len__(self) -> int:
        return self.manifest.rows

    def range(self, queries: np.ndarray, max_distance: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query rows, indexed rows, distances) within ``max_distance``, sorted by query then row."""
        parts = []
        if self.mih is not None and max_distance <= MIH_MAX_DISTANCE and wants_mih(self.manifest.rows):
            parts.append(self.mih.range(queries, max_distance))
            tail, offset = self.tail, self.manifest.mih_rows
        elif self.mih is not None:  # beyond the pigeonhole's reach (a profile's distance), or forced: all, flat
            if self.full is None:
                self.full = HashSearch(np.asarray(self.hashes))
            tail, offset = self.full, 0
        else:
            tail, offset = self.tail, 0
        found = np.array(tail.range(queries, max_distance), dtype=np.int64).reshape(-1, 3)
        parts.append((found[:, 0], found[:, 1] + offset, found[:, 2]))
        q, r, d = (np.concatenate(x) for x in zip(*parts, strict=True))
        order = np.lexsort((r, q))
        return q[order], r[order], d[order]



def still_ids(conn: sqlite3.Connection, ids: Iterable[str]) -> set[str]:
    """Which of the references ``ids`` are stills (``kind = 'image'``): every keypoint frame of a still is searched.

    A multi-page TIFF's pages are keypoint frames at t = page - 1, one second apart like a video's, and the scan's
    one-in-two-seconds spacing (index._searched) left page 2 out: a crop of it got "No match" while the same page
    indexed alone matched with 70 inliers (issue 12 round 6 D3). Pages are different pictures, not moments."""
    ids = list(ids)
    out: set[str] = set()
    for k in range(0, len(ids), 500):  # SQLite's bound on host parameters
        chunk = ids[k:k + 500]
        out |= {r[0] for r in conn.execute(f"SELECT id FROM reference WHERE kind = 'image' AND id IN "
                                           f"({','.join('?' * len(chunk))})", chunk)}
    return out

class DerivedHashes:
    """``derived/pdq-q<quality>/``: brought up to date by ``sync``, opened by ``open`` (see the module)."""

    def __init__(self, folder: Path, min_quality: int) -> None:
        self.folder = folder
        self.min_quality = min_quality
        self._rows_read = 0  # frame rows the last sync read from SQLite

    # -- reading -----------------------------------------------------------------------------------
    def manifest(self) -> Manifest | None:
        try:
            data = json.loads((self.folder / "manifest.json").read_text())
            manifest = Manifest(**data)
        except (OSError, ValueError, TypeError):
            return None
        return manifest if manifest.format == FORMAT else None

    def current(self, workspace: str, generation: int, frame_rewrites: int) -> Manifest | None:
        """The manifest when the files hold exactly the database at ``generation``; None otherwise."""
        m = self.manifest()
        if m is None or m.workspace != workspace or m.generation != generation or m.frame_rewrites != frame_rewrites:
            return None
        return None if _mih_due(m) or m.counted != m.ids else m

    def open(self, m: Manifest) -> HashFiles:
        """The files ``m`` describes, memory-mapped (OSError/ValueError when they are missing or short)."""
        hashes = _map(self.folder / f"hashes-{m.epoch}.u8", np.uint8, m.rows * HASH_BYTES).reshape(-1, HASH_BYTES)
        refs = _map(self.folder / f"refs-{m.epoch}.i32", np.int32, m.rows)
        times = _map(self.folder / f"times-{m.epoch}.f64", np.float64, m.rows)
        ids = (self.folder / f"ids-{m.epoch}.txt").read_text(encoding="utf-8").split("\n")[:m.ids]
        if len(ids) != m.ids:
            raise ValueError("ids file short")
        mih = None
        if m.mih_rows:
            orders = [_map(self.folder / f"mih-{m.mih_epoch}-order{j}.i32", np.int32, m.mih_rows)
                      for j in range(len(MIH_SLICES))]
            offsets = [_map(self.folder / f"mih-{m.mih_epoch}-offsets{j}.i32", np.int32,
                            (1 << mih_bucket_bits(m.mih_rows, j)) + 1) for j in range(len(MIH_SLICES))]
            mih = MultiIndexHash(hashes[:m.mih_rows], orders, offsets)
        # the tail is copied into FAISS's flat index: at most MIH_TAIL_MAX rows (8 MB), or, below the multi-index
        # crossover, the whole index (16 MB at 5x10^5)
        tail = HashSearch(np.ascontiguousarray(hashes[m.mih_rows:m.rows]) if m.rows > m.mih_rows
                          else np.zeros((0, HASH_BYTES), np.uint8))
        counts = np.fromfile(self.folder / f"counts-{m.epoch}.i32", np.int32, m.ids) if m.ids else np.zeros(0, np.int32)
        if len(counts) != m.ids:
            raise ValueError("counts file short")
        return HashFiles(m, hashes, refs, times, ids, mih, tail, counts=counts)

    # -- writing -----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / "lock", "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def sync(self, conn: sqlite3.Connection) -> SyncResult:
        """Bring the files to the database's state (read in one snapshot on ``conn``); raises OSError when the
        folder cannot be written (a read-only workspace: the caller searches from SQLite instead)."""
        started = time.perf_counter()
        with self._locked():
            conn.execute("BEGIN")  # one snapshot: the generation, the counters and the rows read agree
            try:
                workspace, generation, rewrites = _state(conn)
                m = self.manifest()
                self._rows_read = 0
                if m is not None and (m.workspace, m.generation, m.frame_rewrites) == (workspace, generation, rewrites):
                    if not _mih_due(m) and m.counted == m.ids:
                        return SyncResult(m, seconds=time.perf_counter() - started)
                    action = "current"
                elif (m is None or m.workspace != workspace or m.frame_rewrites != rewrites or m.generation > generation
                      or self._grows_known(conn, m)):
                    m, action = self._rebuild(conn, workspace, generation, rewrites), "rebuilt"
                else:
                    m, action = self._append(conn, m, generation), "appended"
            finally:
                conn.execute("COMMIT")
            self._count(m)
            mih = self._maybe_mih(m)
            m.updated_at = time.time()
            self._write_manifest(m)
            self._remove_other_epochs(m)
        return SyncResult(m, self._rows_read, action, mih, time.perf_counter() - started)

    def _rebuild(self, conn: sqlite3.Connection, workspace: str, generation: int, rewrites: int) -> Manifest:
        m = Manifest(FORMAT, workspace, generation, rewrites, 0, 0, 0, uuid.uuid4().hex[:12])
        for name in ("hashes", "refs", "times"):
            (self.folder / f"{name}-{m.epoch}.{_EXT[name]}").write_bytes(b"")
        (self.folder / f"ids-{m.epoch}.txt").write_text("", encoding="utf-8")
        (self.folder / f"counts-{m.epoch}.i32").write_bytes(b"")
        return self._append(conn, m, generation)

    def _append(self, conn: sqlite3.Connection, m: Manifest, generation: int) -> Manifest:
        """Append the matchable frames above ``m.frame_rowid``, in rowid order; ``m`` is updated and returned."""
        ids = (self.folder / f"ids-{m.epoch}.txt").read_text(encoding="utf-8").split("\n")[:m.ids]
        position = {rid: i for i, rid in enumerate(ids)}
        top = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM frame").fetchone()[0]
        cursor = conn.execute("SELECT reference_id, t, pdq FROM frame WHERE rowid > ? AND rowid <= ? AND quality >= ?"
                              " ORDER BY rowid", (m.frame_rowid, top, self.min_quality))
        self._rows_read = 0
        with contextlib.ExitStack() as stack:
            files = {name: stack.enter_context(open(self.folder / f"{name}-{m.epoch}.{_EXT[name]}", "r+b"))
                     for name in _EXT}
            for name, fh in files.items():
                fh.seek(m.rows * _WIDTH[name])
                fh.truncate()  # bytes past the manifest's rows: an append interrupted before its manifest
            while rows := cursor.fetchmany(_CHUNK):
                for rid, _t, _pdq in rows:
                    if rid not in position:
                        position[rid] = len(ids)
                        ids.append(rid)
                files["hashes"].write(b"".join(r[2] for r in rows))
                files["refs"].write(np.fromiter((position[r[0]] for r in rows), np.int32, len(rows)).tobytes())
                files["times"].write(np.fromiter((r[1] for r in rows), np.float64, len(rows)).tobytes())
                m.rows += len(rows)
                self._rows_read += len(rows)
            for fh in files.values():
                fh.flush()
                os.fsync(fh.fileno())  # the data is on disk before the manifest that counts it
        _replace_text(self.folder / f"ids-{m.epoch}.txt", "\n".join(ids))
        m.ids, m.frame_rowid, m.generation = len(ids), int(top), generation
        return m

    def _grows_known(self, conn: sqlite3.Connection, m: Manifest) -> bool:
        """Whether frames past the manifest belong to a reference the files hold already (its moment count would
        change: rebuilt, not appended). ``index add`` writes a reference's frames in one transaction, so only a
        writer outside it (a migration, a hand edit) does this."""
        known = set((self.folder / f"ids-{m.epoch}.txt").read_text(encoding="utf-8").split("\n")[:m.ids])
        new = conn.execute("SELECT DISTINCT reference_id FROM frame WHERE rowid > ? AND quality >= ?",
                           (m.frame_rowid, self.min_quality)).fetchall()
        return any(r[0] in known for r in new)

    def _count(self, m: Manifest) -> None:
        """Append the sampled moments (distinct times: a reference wrapping footage in an interface has its
        content box's hash at the frame's time, hashing.ReferenceBox) of the references not counted yet, from
        the rows appended for them: matching's coverage denominator (``frame_counts``) without a pass over every
        row of the index in each process (at 10^7 rows that pass mapped 120 MB of files and sorted 160 MB)."""
        if m.counted >= m.ids:
            return
        refs = _map(self.folder / f"refs-{m.epoch}.i32", np.int32, m.rows)[m.counted_rows:]
        times = _map(self.folder / f"times-{m.epoch}.f64", np.float64, m.rows)[m.counted_rows:]
        mine = refs >= m.counted  # all of them (_grows_known): a reference's rows are appended once
        counts = distinct_counts(refs[mine], times[mine], m.ids)[m.counted:m.ids].astype(np.int32)
        fd = os.open(self.folder / f"counts-{m.epoch}.i32", os.O_RDWR | os.O_CREAT, 0o666)
        with open(fd, "r+b") as fh:
            fh.seek(m.counted * 4)
            fh.truncate()
            fh.write(counts.tobytes())
            fh.flush()
            os.fsync(fh.fileno())
        m.counted, m.counted_rows = m.ids, m.rows

    def _maybe_mih(self, m: Manifest) -> bool:
        """Rebuild the multi-index tables over every row when the flat tail outgrew MIH_TAIL_MAX (or none yet)."""
        if not _mih_due(m):
            return False
        hashes = _map(self.folder / f"hashes-{m.epoch}.u8", np.uint8, m.rows * HASH_BYTES).reshape(-1, HASH_BYTES)
        epoch = uuid.uuid4().hex[:12]
        for j in range(len(MIH_SLICES)):
            order, offsets = mih_tables(hashes, j)
            for name, array in ((f"order{j}", order), (f"offsets{j}", offsets)):
                path = self.folder / f"mih-{epoch}-{name}.i32"
                with open(path, "wb") as fh:
                    fh.write(array.tobytes())
                    fh.flush()
                    os.fsync(fh.fileno())
            del order, offsets
        m.mih_rows, m.mih_epoch = m.rows, epoch
        return True

    def _write_manifest(self, m: Manifest) -> None:
        _replace_text(self.folder / "manifest.json", json.dumps(asdict(m), indent=1))

    def _remove_other_epochs(self, m: Manifest) -> None:
        """Files of earlier epochs (a process that mapped them keeps reading them: unlinked, not truncated)."""
        keep = {m.epoch, m.mih_epoch}
        for path in self.folder.iterdir():
            stem = path.name.split(".")[0]
            epoch = stem.split("-")[1] if "-" in stem else None
            if epoch is not None and epoch not in keep and path.name != "manifest.json":
                path.unlink(missing_ok=True)


def _mih_due(m: Manifest) -> bool:
    """Whether the multi-index tables should be (re)built: the index is past the crossover and has none, or a
    flat tail longer than MIH_TAIL_MAX."""
    return wants_mih(m.rows) and (not m.mih_rows or m.rows - m.mih_rows > MIH_TAIL_MAX)


_EXT = {"hashes": "u8", "refs": "i32", "times": "f64"}
_WIDTH = {"hashes": HASH_BYTES, "refs": 4, "times": 8}


def frame_rewrites(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'frame_rewrites'").fetchone()
    return int(row[0]) if row else 0


def bump_frame_rewrites(conn: sqlite3.Connection) -> None:
    """Inside a write transaction that deletes or reassigns frame rows: the derived files start a new epoch."""
    conn.execute("INSERT INTO meta (key, value) VALUES ('frame_rewrites', '1') ON CONFLICT(key) DO UPDATE"
                 " SET value = CAST(value AS INTEGER) + 1")


def _state(conn: sqlite3.Connection) -> tuple[str, int, int]:
    row = conn.execute("SELECT (SELECT value FROM meta WHERE key = 'workspace_id'),"
                       " (SELECT value FROM meta WHERE key = 'index_generation'),"
                       " (SELECT value FROM meta WHERE key = 'frame_rewrites')").fetchone()
    return str(row[0]), int(row[1]), int(row[2] or 0)


def state(conn: sqlite3.Connection) -> tuple[str, int, int]:
    """(workspace id, index generation, frame rewrites) as the derived files are keyed."""
    return _state(conn)


def _map(path: Path, dtype: type, count: int) -> np.ndarray:
    """The first ``count`` items of ``path``, memory-mapped read-only (an empty array for 0)."""
    if count == 0:
        return np.zeros(0, dtype)
    with open(path, "rb") as fh:
        size = count * np.dtype(dtype).itemsize
        if os.fstat(fh.fileno()).st_size < size:
            raise ValueError(f"{path.name}: shorter than its manifest says")
        mapped = mmap.mmap(fh.fileno(), size, prot=mmap.PROT_READ)
    return np.frombuffer(mapped, dtype, count)


def _replace_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# -- keypoint frames (issue 20) -----------------------------------------------------------------------------------
# ``derived/orb/``: the reference keypoint frames' ORB features as append-only files, as the hashes are above, so
# that no process but a writer reads keypoint frames from SQLite (10^5 keypoint frames are 1.6 GB of descriptors:
# read into memory by every process before, twice over with the search's copy). In keyframe rowid order:
#   ``frames-<epoch>.rec``   per keypoint frame: its reference (position in ids), slot, time (s), searched flag
#   ``slots-<epoch>.rec``    per slot (a distinct keypoint frame: byte-identical ones are stored once): its first
#                            descriptor row, descriptor count, width and height (pixels of the hashing-size frame)
#   ``desc-<epoch>.u8``      the slots' descriptors, 32 bytes a row;  ``points-<epoch>.f16`` their positions
#   ``digests-<epoch>.bin``  16 bytes per slot (BLAKE2b of the features): finds a byte-identical frame on append
#   ``sdesc-<epoch>.u8``, ``sowner-<epoch>.i32``: the searched slots' descriptors in slot order and each one's
#                            slot (index.scanned_descriptors' output), which the keypoint search indexes
#   ``ivf-<epoch>-<searched>.faiss``: the inverted file over them (FAISS), memory-mapped when read
ORB_FORMAT = "provenance.derived-orb/2"  # /2: every page of a still searched (still_ids); /1 files are rebuilt
FRAME_RECORD = np.dtype([("ref", "<i4"), ("slot", "<i4"), ("t", "<f8"), ("searched", "u1")])
SLOT_RECORD = np.dtype([("start", "<i8"), ("count", "<i4"), ("width", "<i4"), ("height", "<i4")])
_ORB_FILES = {"frames": FRAME_RECORD.itemsize, "slots": SLOT_RECORD.itemsize, "desc": 32, "points": 4,
              "digests": 16, "sdesc": 32, "sowner": 4}
_ORB_EXT = {"frames": "rec", "slots": "rec", "desc": "u8", "points": "f16", "digests": "bin", "sdesc": "u8",
            "sowner": "i32"}
_ORB_CHUNK = 2_000  # keypoint frames read from SQLite at a time (~36 MB of blobs in flight)


@dataclass
class KeypointManifest:
    format: str
    workspace: str
    generation: int
    frame_rewrites: int
    keyframe_rowid: int  # largest keyframe rowid read
    frames: int
    slots: int
    descriptors: int  # rows of desc/points
    searched: int  # rows of sdesc/sowner
    ids: int
    epoch: str
    updated_at: float = 0.0


class _Rebuild(Exception):
    """An append that would change what is written (a byte-identical copy of a slot already written, or frames
    of a reference already written): the files start a new epoch instead."""


@dataclass
class KeypointFiles:
    """The derived keypoint files of one state, mapped: nothing is read until a search or verification asks."""

    manifest: KeypointManifest
    frames: np.ndarray  # FRAME_RECORD per keypoint frame, mapped
    slots: np.ndarray  # SLOT_RECORD per slot, mapped
    descriptors: np.ndarray  # uint8 (rows, 32), mapped
    points: np.ndarray  # float16 (rows, 2), mapped
    searched: np.ndarray  # uint8 (searched rows, 32), mapped: the descriptors the keypoint search indexes
    owner: np.ndarray  # int32 (searched rows,), mapped: the slot of each
    ids: list[str]
    _by_slot: np.ndarray | None = None  # frame rows in slot order (stable: rowid order within a slot)
    _slot_bounds: np.ndarray | None = None
    _timing: dict[str, list[tuple[float, int]]] | None = None

    def features(self, slot: int) -> tuple[np.ndarray, np.ndarray, int, int]:
        """(points float32 (n, 2), descriptors uint8 (n, 32), width, height) of a slot: its rows only, copied."""
        start, count, width, height = (int(x) for x in self.slots[slot].tolist())
        return (self.points[start:start + count].astype(np.float32), np.array(self.descriptors[start:start + count]),
                width, height)

    def members(self, slot: int) -> list[tuple[str, float]]:
        """(reference id, time) of every keypoint frame holding this slot, in rowid order."""
        if self._by_slot is None:
            self._by_slot = np.argsort(self.frames["slot"], kind="stable")
            self._slot_bounds = np.searchsorted(self.frames["slot"][self._by_slot], np.arange(len(self.slots) + 1))
        rows = self._by_slot[self._slot_bounds[slot]:self._slot_bounds[slot + 1]]
        found = self.frames[rows]
        return [(self.ids[int(r)], float(t)) for r, t in zip(found["ref"], found["t"], strict=True)]

    def timing(self) -> dict[str, list[tuple[float, int]]]:
        """Per reference, (time, slot) of each keypoint frame the search leaves out, in time order."""
        if self._timing is None:
            out: dict[str, list[tuple[float, int]]] = {}
            left = self.frames[self.frames["searched"] == 0]
            for r, t, s in zip(left["ref"].tolist(), left["t"].tolist(), left["slot"].tolist(), strict=True):
                out.setdefault(self.ids[r], []).append((t, s))
            for frames in out.values():
                frames.sort()
            self._timing = out
        return self._timing


class DerivedKeypoints:
    """``derived/orb/``: brought up to date by ``sync``, opened by ``open`` (see above). ``searched_of`` says which
    of one reference's keypoint frames (their times, in order) the search indexes (index._searched)."""

    def __init__(self, folder: Path, searched_of: Callable[[list[float]], list[bool]]) -> None:
        self.folder = folder
        self.searched_of = searched_of
        self.rows_read = 0

    def manifest(self) -> KeypointManifest | None:
        try:
            m = KeypointManifest(**json.loads((self.folder / "manifest.json").read_text()))
        except (OSError, ValueError, TypeError):
            return None
        return m if m.format == ORB_FORMAT else None

    def current(self, conn: sqlite3.Connection) -> KeypointManifest | None:
        """The manifest when the files hold the database's keypoint frames; None otherwise. Besides the counters,
        the largest keyframe rowid (one index lookup): rows written without a generation bump (an earlier
        version's byte-identical copies, a hand edit) are not left out of the search."""
        m = self.manifest()
        if m is None or (m.workspace, m.generation, m.frame_rewrites) != _state(conn):
            return None
        top = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM keyframe").fetchone()[0]
        return m if top == m.keyframe_rowid else None

    def _path(self, name: str, epoch: str) -> Path:
        return self.folder / f"{name}-{epoch}.{_ORB_EXT[name]}"

    def open(self, m: KeypointManifest) -> KeypointFiles:
        """The files ``m`` describes, memory-mapped (OSError/ValueError when they are missing or short)."""
        def mapped(name: str, dtype: np.dtype | type, count: int) -> np.ndarray:
            return _map(self._path(name, m.epoch), dtype, count)
        ids = (self.folder / f"ids-{m.epoch}.txt").read_text(encoding="utf-8").split("\n")[:m.ids]
        if len(ids) != m.ids:
            raise ValueError("ids file short")
        return KeypointFiles(
            m, mapped("frames", FRAME_RECORD, m.frames), mapped("slots", SLOT_RECORD, m.slots),
            mapped("desc", np.uint8, m.descriptors * 32).reshape(-1, 32),
            mapped("points", np.float16, m.descriptors * 2).reshape(-1, 2),
            mapped("sdesc", np.uint8, m.searched * 32).reshape(-1, 32), mapped("sowner", np.int32, m.searched), ids)

    def ivf_path(self, m: KeypointManifest) -> Path:
        """Where the keypoint search's inverted file over ``m``'s searched descriptors is kept (named by its cells
        too: a file made with another sizing is not taken for this one's)."""
        from provenance.visual.local_features import ivf_lists

        return self.folder / f"ivf-{m.epoch}-{m.searched}-c{ivf_lists(m.searched)}.faiss"

    @contextlib.contextmanager
    def _locked(self, name: str = "lock") -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / name, "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def building_ivf(self) -> contextlib.AbstractContextManager[None]:
        """One process at a time trains the inverted file (minutes at 10^5 keypoint frames); the others wait and
        then map the file it saved (two batch workers starting after an index change trained it twice)."""
        return self._locked("ivf.lock")

    def sync(self, conn: sqlite3.Connection) -> KeypointManifest:
        """Bring the files to the database's state, read in one snapshot on ``conn`` (OSError: cannot write)."""
        with self._locked():
            conn.execute("BEGIN")
            try:
                workspace, generation, rewrites = _state(conn)
                m = self.manifest()
                self.rows_read = 0
                if self.current(conn) is not None:
                    return m
                fresh = KeypointManifest(ORB_FORMAT, workspace, generation, rewrites, 0, 0, 0, 0, 0, 0,
                                         uuid.uuid4().hex[:12])
                if m is None or m.workspace != workspace or m.frame_rewrites != rewrites or m.generation > generation:
                    m = self._append(conn, self._start(fresh), generation)
                else:
                    try:
                        m = self._append(conn, m, generation)
                    except _Rebuild:
                        m = self._append(conn, self._start(fresh), generation)
            finally:
                conn.execute("COMMIT")
            m.updated_at = time.time()
            _replace_text(self.folder / "manifest.json", json.dumps(asdict(m), indent=1))
            for path in self.folder.iterdir():  # other epochs' files, inverted files over fewer descriptors
                stem = path.name.split(".")[0]
                if "-" in stem and not path.name.endswith(".tmp") and (stem.split("-")[1] != m.epoch
                                    or (stem.startswith("ivf-") and path.name != self.ivf_path(m).name)):
                    path.unlink(missing_ok=True)
        return m

    def _start(self, m: KeypointManifest) -> KeypointManifest:
        for name in _ORB_FILES:
            self._path(name, m.epoch).write_bytes(b"")
        (self.folder / f"ids-{m.epoch}.txt").write_text("", encoding="utf-8")
        return m

    def _append(self, conn: sqlite3.Connection, m: KeypointManifest, generation: int) -> KeypointManifest:
        """Append the keypoint frames above ``m.keyframe_rowid`` in rowid order (their references' frames all
        among them, else _Rebuild); ``m`` is updated and returned."""
        import hashlib

        ids = (self.folder / f"ids-{m.epoch}.txt").read_text(encoding="utf-8").split("\n")[:m.ids]
        position = {rid: i for i, rid in enumerate(ids)}
        top = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM keyframe").fetchone()[0]
        heads = conn.execute("SELECT rowid, reference_id, t FROM keyframe WHERE rowid > ? AND rowid <= ?"
                             " ORDER BY rowid", (m.keyframe_rowid, top)).fetchall()
        per_ref: dict[str, list[tuple[float, int]]] = {}
        for rowid, rid, t in heads:
            if rid in position:
                raise _Rebuild(rid)
            per_ref.setdefault(rid, []).append((t, rowid))
        searched: dict[int, bool] = {}
        stills = still_ids(conn, per_ref)
        for rid, frames in per_ref.items():
            frames.sort()
            keeps = [True] * len(frames) if rid in stills else self.searched_of([t for t, _ in frames])
            for (_t, rowid), keep in zip(frames, keeps, strict=True):
                searched[rowid] = keep
        digests = np.fromfile(self._path("digests", m.epoch), np.uint8, m.slots * 16).reshape(-1, 16)
        slot_of = {bytes(d): i for i, d in enumerate(digests)}
        first_new_slot = m.slots
        new_slot_searched: list[bool] = []
        new_slot_counts: list[int] = []
        cursor = conn.execute("SELECT rowid, reference_id, t, width, height, points, descriptors FROM keyframe"
                              " WHERE rowid > ? AND rowid <= ? ORDER BY rowid", (m.keyframe_rowid, top))
        with contextlib.ExitStack() as stack:
            files = {name: stack.enter_context(open(self._path(name, m.epoch), "r+b")) for name in _ORB_FILES}
            sizes = {"frames": m.frames, "slots": m.slots, "desc": m.descriptors, "points": m.descriptors,
                     "digests": m.slots, "sdesc": m.searched, "sowner": m.searched}
            for name, fh in files.items():
                fh.seek(sizes[name] * _ORB_FILES[name])
                fh.truncate()  # bytes past the manifest: an append killed before its manifest
            while rows := cursor.fetchmany(_ORB_CHUNK):
                frame_out = np.zeros(len(rows), FRAME_RECORD)
                for k, (rowid, rid, t, width, height, points, desc) in enumerate(rows):
                    if rid not in position:
                        position[rid] = len(ids)
                        ids.append(rid)
                    digest = hashlib.blake2b(b"%d,%d," % (width, height) + bytes(points) + bytes(desc),
                                             digest_size=16).digest()
                    slot = slot_of.get(digest)
                    if slot is None:
                        slot = slot_of[digest] = m.slots
                        count = len(desc) // 32
                        files["slots"].write(np.array([(m.descriptors, count, width, height)], SLOT_RECORD).tobytes())
                        files["desc"].write(desc)
                        files["points"].write(points)
                        files["digests"].write(digest)
                        m.slots += 1
                        m.descriptors += count
                        new_slot_searched.append(False)
                        new_slot_counts.append(count)
                    elif slot < first_new_slot:
                        raise _Rebuild(rid)  # a copy of a slot written before: its searched flag could change
                    if searched[rowid]:
                        new_slot_searched[slot - first_new_slot] = True
                    frame_out[k] = (position[rid], slot, t, searched[rowid])
                files["frames"].write(frame_out.tobytes())
                m.frames += len(rows)
                self.rows_read += len(rows)
            for fh in (files["slots"], files["desc"]):
                fh.flush()
            # the searched slots' descriptors, in slot order (as index.scanned_descriptors gives them)
            slots = _map(self._path("slots", m.epoch), SLOT_RECORD, m.slots)
            desc = _map(self._path("desc", m.epoch), np.uint8, m.descriptors * 32).reshape(-1, 32)
            for k, keep in enumerate(new_slot_searched):
                if keep:
                    start, count = int(slots[first_new_slot + k]["start"]), new_slot_counts[k]
                    files["sdesc"].write(desc[start:start + count].tobytes())
                    files["sowner"].write(np.full(count, first_new_slot + k, np.int32).tobytes())
                    m.searched += count
            for fh in files.values():
                fh.flush()
                os.fsync(fh.fileno())
        _replace_text(self.folder / f"ids-{m.epoch}.txt", "\n".join(ids))
        m.ids, m.keyframe_rowid, m.generation = len(ids), int(top), generation
        return m


# -- per-shard files (issue 20) ---------------------------------------------------------------------------------
# ``derived/shards/<key>/``: what one shard of a sharded search (visual/sharded.py) searches, its references' rows
# only, cut once from the files above (never from SQLite) and mapped by the shard, so that a shard's search, its
# memory touched and its opening shrink with the number of shards instead of every shard searching the whole index
# and masking afterwards. ``<key>`` digests what the files were cut from (the hash and keypoint manifests' epochs
# and sizes, the inverted file, the references): a plan made at another state finds another folder, so a shard
# never opens files of another generation. In it:
#   ``hashes.u8``, ``refs.i32``, ``times.f64``: its references' hash rows, in the frame table's rowid order, refs
#                          as positions in the source's ``ids`` (the ids list is the source's)
#   ``rows.i64``           per row, its row in the source files (one process's row: the merge orders hits by it)
#   ``mih-order<j>.i32``, ``mih-offsets<j>.i32``: multi-index tables over its rows, from search.hash_mih_min_rows()
#   ``frames.rec``         its references' keypoint frames (FRAME_RECORD, the source's slot numbers and ids)
#   ``srows.i64``          the source rows of the searched descriptors of its slots (the source's ``sowner``)
#   ``ivf.faiss``          when the source searches an inverted file: that file's cells (the same quantizer) with
#                          only these descriptors in the lists, their ids the source's rows: a query probes the
#                          same cells as in one process, so every shard's nearest together are one process's
#   ``manifest.json``      written last (ShardManifest)
SHARD_FORMAT = "provenance.derived-shard/1"
_SHARD_CHUNK = 1 << 22  # source rows looked at a time when the files are cut (a 4M-row mask, 16 MB of refs)


@dataclass
class ShardManifest:
    format: str
    key: str
    generation: int  # the index generation the source files were at
    rows: int  # hash rows
    mih_rows: int  # rows the multi-index tables cover (0: searched flat)
    frames: int  # keypoint frames
    searched: int  # searched descriptors of its slots
    ivf_lists: int  # cells of ivf.faiss (0: the source searches flat, so does the shard)
    seconds: float = 0.0  # cutting them took
    updated_at: float = 0.0


def shard_key(hash_manifest: Manifest, keypoint_manifest: KeypointManifest | None, ivf_name: str,
              reference_ids: list[str], min_quality: int) -> str:
    """The folder name of a shard's files: a digest of the source files' state and the shard's references."""
    import hashlib

    source = {"format": SHARD_FORMAT, "q": min_quality, "pdq": [hash_manifest.workspace, hash_manifest.epoch,
              hash_manifest.rows, hash_manifest.mih_epoch, hash_manifest.generation],
              "orb": None if keypoint_manifest is None else [keypoint_manifest.epoch, keypoint_manifest.frames,
                                                            keypoint_manifest.searched, keypoint_manifest.generation],
              "ivf": ivf_name, "refs": sorted(reference_ids)}
    return hashlib.blake2b(json.dumps(source, sort_keys=True).encode(), digest_size=12).hexdigest()


@dataclass
class ShardFiles:
    """One shard's files, mapped (see above): a hash search over its rows, its keypoint frames, its descriptors."""

    manifest: ShardManifest
    hashes: HashFiles  # over its rows (refs: positions in the source's ids)
    rows: np.ndarray  # int64 per row: the source row
    frames: np.ndarray  # FRAME_RECORD per keypoint frame of its references
    srows: np.ndarray  # int64: source rows of its searched descriptors, ascending
    ivf_path: Path | None
    _order: np.ndarray | None = None  # frames by slot (stable: rowid order within a slot)
    _timing: dict[str, list[tuple[float, int]]] | None = None

    def members(self, slot: int, ids: list[str]) -> list[tuple[str, float]]:
        """(reference id, time) of every keypoint frame holding ``slot`` (all on this shard: sharded.plan), in
        rowid order: what one process's ``KeypointFiles.members`` gives."""
        if self._order is None:
            self._order = np.argsort(self.frames["slot"], kind="stable")
        by_slot = self.frames["slot"][self._order]
        found = self.frames[self._order[np.searchsorted(by_slot, slot, "left"):np.searchsorted(by_slot, slot, "right")]]
        return [(ids[int(r)], float(t)) for r, t in zip(found["ref"], found["t"], strict=True)]

    def timing(self, ids: list[str]) -> dict[str, list[tuple[float, int]]]:
        """Per reference of this shard, (time, slot) of each unsearched keypoint frame, in time order (one
        process's ``KeypointFiles.timing`` for these references): a pass over this shard's frames only."""
        if self._timing is None:
            out: dict[str, list[tuple[float, int]]] = {}
            left = self.frames[self.frames["searched"] == 0]
            for r, t, s in zip(left["ref"].tolist(), left["t"].tolist(), left["slot"].tolist(), strict=True):
                out.setdefault(ids[r], []).append((t, s))
            for frames in out.values():
                frames.sort()
            self._timing = out
        return self._timing


class DerivedShard:
    """``derived/shards/<key>/``: cut by ``build`` from the mapped source files, opened by ``open``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def manifest(self) -> ShardManifest | None:
        try:
            m = ShardManifest(**json.loads((self.folder / "manifest.json").read_text()))
        except (OSError, ValueError, TypeError):
            return None
        return m if m.format == SHARD_FORMAT and m.key == self.folder.name else None

    def open(self, m: ShardManifest) -> ShardFiles:
        """The files ``m`` describes, mapped (OSError/ValueError when missing or short)."""
        hashes = _map(self.folder / "hashes.u8", np.uint8, m.rows * HASH_BYTES).reshape(-1, HASH_BYTES)
        mih = None
        if m.mih_rows:
            orders = [_map(self.folder / f"mih-order{j}.i32", np.int32, m.mih_rows) for j in range(len(MIH_SLICES))]
            offsets = [_map(self.folder / f"mih-offsets{j}.i32", np.int32, (1 << mih_bucket_bits(m.mih_rows, j)) + 1)
                       for j in range(len(MIH_SLICES))]
            mih = MultiIndexHash(hashes[:m.mih_rows], orders, offsets)
        tail = HashSearch(np.ascontiguousarray(hashes[m.mih_rows:]) if m.rows > m.mih_rows
                          else np.zeros((0, HASH_BYTES), np.uint8))
        manifest = Manifest(FORMAT, "", m.generation, 0, 0, m.rows, 0, f"shard-{m.key}", m.mih_rows, m.key)
        files = HashFiles(manifest, hashes, _map(self.folder / "refs.i32", np.int32, m.rows),
                          _map(self.folder / "times.f64", np.float64, m.rows), [], mih, tail)
        return ShardFiles(m, files, _map(self.folder / "rows.i64", np.int64, m.rows),
                          _map(self.folder / "frames.rec", FRAME_RECORD, m.frames),
                          _map(self.folder / "srows.i64", np.int64, m.searched),
                          self.folder / "ivf.faiss" if m.ivf_lists else None)

    def build(self, source: HashFiles, keypoints: KeypointFiles | None, ivf: object | None,
              reference_ids: list[str], generation: int) -> ShardManifest:
        """Cut the shard's files from the mapped source files (under a lock: the shards of a plan may be opened
        by several processes at once; the first cuts, the others map what it wrote). ``ivf`` is the source's
        inverted file (faiss.IndexBinaryIVF) when it searches one. Returns the manifest, written last."""
        import faiss

        started = time.perf_counter()
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder.with_name(self.folder.name + ".lock"), "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                m = self.manifest()
                if m is not None:
                    return m
                wanted = set(reference_ids)
                mine = np.fromiter((rid in wanted for rid in source.ids), bool, len(source.ids))
                rows = 0
                with contextlib.ExitStack() as stack:
                    out = {name: stack.enter_context(open(self.folder / name, "wb"))
                           for name in ("hashes.u8", "refs.i32", "times.f64", "rows.i64")}
                    for begin in range(0, len(source), _SHARD_CHUNK):
                        refs = np.asarray(source.refs[begin:begin + _SHARD_CHUNK])
                        keep = np.nonzero(mine[refs])[0] if len(mine) else np.zeros(0, np.int64)
                        out["hashes.u8"].write(np.asarray(source.hashes[begin + keep]).tobytes())
                        out["refs.i32"].write(refs[keep].astype(np.int32).tobytes())
                        out["times.f64"].write(np.asarray(source.times[begin + keep], np.float64).tobytes())
                        out["rows.i64"].write((keep + begin).astype(np.int64).tobytes())
                        rows += len(keep)
                    for fh in out.values():
                        fh.flush()
                        os.fsync(fh.fileno())
                mih_rows = 0
                if wants_mih(rows):
                    hashes = _map(self.folder / "hashes.u8", np.uint8, rows * HASH_BYTES).reshape(-1, HASH_BYTES)
                    for j in range(len(MIH_SLICES)):
                        order, offsets = mih_tables(hashes, j)
                        for name, array in ((f"mih-order{j}.i32", order), (f"mih-offsets{j}.i32", offsets)):
                            with open(self.folder / name, "wb") as fh:
                                fh.write(array.tobytes())
                                fh.flush()
                                os.fsync(fh.fileno())
                        del order, offsets
                    mih_rows = rows
                frames = searched = lists = 0
                with open(self.folder / "frames.rec", "wb") as fh_frames, open(self.folder / "srows.i64", "wb") as fh_s:
                    if keypoints is not None and keypoints.manifest.frames:
                        kp_mine = np.fromiter((rid in wanted for rid in keypoints.ids), bool, len(keypoints.ids))
                        slot_mine = np.zeros(keypoints.manifest.slots, bool)
                        for begin in range(0, len(keypoints.frames), _SHARD_CHUNK):
                            part = np.asarray(keypoints.frames[begin:begin + _SHARD_CHUNK])
                            part = part[kp_mine[part["ref"]]]
                            slot_mine[part["slot"]] = True
                            fh_frames.write(part.tobytes())
                            frames += len(part)
                        for begin in range(0, len(keypoints.owner), _SHARD_CHUNK):
                            own = np.nonzero(slot_mine[np.asarray(keypoints.owner[begin:begin + _SHARD_CHUNK])])[0]
                            fh_s.write((own + begin).astype(np.int64).tobytes())
                            searched += len(own)
                        if ivf is not None:
                            lists = _cut_ivf(ivf, slot_mine, np.asarray(keypoints.owner), self.folder / "ivf.faiss",
                                             faiss)
                    for fh in (fh_frames, fh_s):
                        fh.flush()
                        os.fsync(fh.fileno())
                m = ShardManifest(SHARD_FORMAT, self.folder.name, generation, rows, mih_rows, frames, searched, lists,
                                  round(time.perf_counter() - started, 3), time.time())
                _replace_text(self.folder / "manifest.json", json.dumps(asdict(m), indent=1))
                return m
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def remove_other_shards(shards_dir: Path, generation: int) -> None:
    """Shard folders cut at an earlier index generation (a process mapping them keeps reading them)."""
    import shutil

    for path in shards_dir.glob("*/manifest.json"):
        m = DerivedShard(path.parent).manifest()
        if m is not None and m.generation < generation:
            shutil.rmtree(path.parent, ignore_errors=True)
            path.parent.with_name(path.parent.name + ".lock").unlink(missing_ok=True)


def _cut_ivf(ivf: object, slot_mine: np.ndarray, owner: np.ndarray, path: Path, faiss: object) -> int:
    """Write to ``path`` an inverted file with ``ivf``'s cells (its quantizer's centroids, the same cell for every
    descriptor) holding only the descriptors whose slot is this shard's, under their source rows; cell by cell
    from ``ivf``'s lists (mapped), so nothing is assigned or trained again. Returns the number of cells."""
    quantizer = faiss.downcast_IndexBinary(ivf.quantizer)
    centroids = faiss.vector_to_array(quantizer.xb).reshape(-1, ivf.code_size)
    cells = faiss.IndexBinaryFlat(ivf.d)
    cells.add(centroids)
    out = faiss.IndexBinaryIVF(cells, ivf.d, ivf.nlist)
    out.is_trained = True
    lists = ivf.invlists
    total = 0
    for cell in range(ivf.nlist):
        n = lists.list_size(cell)
        if not n:
            continue
        ids = faiss.rev_swig_ptr(lists.get_ids(cell), n).copy()
        codes = faiss.rev_swig_ptr(lists.get_codes(cell), n * ivf.code_size).reshape(n, ivf.code_size)
        keep = slot_mine[owner[ids]]
        if keep.any():
            kept_ids = np.ascontiguousarray(ids[keep], dtype=np.int64)  # held: FAISS copies from these pointers
            kept_codes = np.ascontiguousarray(codes[keep])
            out.invlists.add_entries(cell, len(kept_ids), faiss.swig_ptr(kept_ids), faiss.swig_ptr(kept_codes))
            total += len(kept_ids)
    out.ntotal = total
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    faiss.write_index_binary(out, str(tmp))
    os.replace(tmp, path)
    return int(ivf.nlist)
