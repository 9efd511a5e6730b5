"""The known-imagery index: references (earlier footage and photos) and their frame hashes in SQLite.

Search is an exact brute-force Hamming scan over all indexed PDQ hashes (search.HashSearch); the hashes of
matchable quality are also saved as derived files in the workspace, read back while the database is unchanged.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from provenance.errors import ProvenanceError
from provenance.limits import Limits, run_with_budget
from provenance.media import MediaError, MediaFile, display_path, probe
from provenance.sniff import walk
from provenance.visual import local_features as lf
from provenance.visual.config import FramesConfig, MatchingConfig, VisualConfig
from provenance.visual.hashing import Fingerprint, fingerprint
from provenance.visual.local_features import LocalFeatures, Verification, extract, verify
from provenance.visual.search import HashSearch
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


@dataclass
class AddResult:
    path: str
    reference: Reference | None = None
    status: str = "added"  # added | updated (message: the fields) | unchanged | error
    message: str = ""


@dataclass
class IndexStats:
    references: int
    videos: int
    images: int
    frames: int
    matchable_frames: int  # quality at or above the matching threshold
    database_bytes: int


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

    search: HashSearch
    refs: np.ndarray  # reference row (in ids) per hash
    times: np.ndarray  # reference time per hash (s)
    ids: list[str]


@dataclass
class _KeypointFrameTable:
    """All reference keypoint frames' ORB descriptors in one FAISS binary index, with each descriptor's owner.

    FAISS runs single-threaded here too (set once per process in search.py).
    """

    faiss_index: faiss.IndexBinaryFlat
    owner: np.ndarray  # keypoint frame number per descriptor
    offset: np.ndarray  # first descriptor of each keypoint frame
    frames: list[tuple[str, float, LocalFeatures]]  # reference id, time, features


_DERIVED_MIN_ROWS = 50_000  # below this, reading SQLite is as fast as reading a derived file


def _bump_generation(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'index_generation'")


def _read_hash_table(stem: Path, generation: str) -> _HashTable | None:
    meta, hashes = stem.with_suffix(".npz"), stem.with_suffix(".faiss")
    try:
        with np.load(meta, allow_pickle=False) as data:
            if str(data["generation"]) != str(generation):
                return None
            refs, times, ids = data["refs"], data["times"], [str(x) for x in data["ids"]]
        search = HashSearch.load(hashes)
    except (OSError, KeyError, ValueError, RuntimeError):
        return None
    return _HashTable(search, refs, times, ids) if len(search) == len(refs) else None


def _write_hash_table(stem: Path, generation: str, table: _HashTable) -> None:
    """Best effort: a derived file that cannot be written only costs the next process a rebuild."""
    try:
        stem.parent.mkdir(parents=True, exist_ok=True)
        tmp = stem.with_name(stem.name + f".{os.getpid()}.tmp")
        table.search.save(Path(str(tmp) + ".faiss"))
        with open(str(tmp) + ".npz", "wb") as fh:
            np.savez(fh, generation=str(generation), refs=table.refs, times=table.times, ids=np.array(table.ids))
        os.replace(str(tmp) + ".faiss", stem.with_suffix(".faiss"))  # hashes first: the .npz names the generation
        os.replace(str(tmp) + ".npz", stem.with_suffix(".npz"))
    except (OSError, RuntimeError):
        pass


def normalise_date(value: str | None, option: str = "--first-seen") -> str | None:
    """Check an ISO 8601 date or date-time and return it in canonical form, its UTC offset kept.

    A date after today (anywhere on Earth: one day of slack) is refused: a first-seen date in the future
    would make every claim look older than the footage.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            canonical = day.isoformat()
        else:
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            day, canonical = when.date(), when.isoformat()
    except ValueError as exc:
        raise KnownIndexError(f"{option} {value!r} is not an ISO 8601 date: give YYYY-MM-DD, or a date-time "
                              "such as 2019-03-14T08:30:00+02:00") from exc
    if day > dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1):
        raise KnownIndexError(f"{option} {value!r} is in the future: give the earliest date the footage is known "
                              "to have been published")
    return canonical


EDITABLE = ("title", "source", "url", "first_seen")


def _as_path_id(path: Path, depth: int) -> str:
    """The file stem with ``depth`` parent folder names before it (``2020-05-09/IMG_0001``)."""
    parts = [display_path(p) for p in path.parent.parts[-depth:]] if depth else []
    return "/".join([*parts, display_path(path.stem)]) if parts else display_path(path.stem)


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


class KnownImageryIndex:
    def __init__(self, workspace: Workspace | None = None) -> None:
        self.workspace = workspace or Workspace()
        self._tables: dict[object, object] = {}  # derived search structures, rebuilt after any change

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
        """
        limits = limits or Limits()
        first_seen = normalise_date(first_seen)
        files = list(iter_media_files(paths))
        if id is not None and len(files) != 1:
            raise KnownIndexError("--id names one reference: give a single file, or omit it to use file stems")
        results = []
        for file in files:
            shown = display_path(file)
            try:
                media = probe(file, limits)
            except MediaError as exc:
                results.append(AddResult(shown, status="error", message=str(exc)))
                continue
            if media.kind not in ("video", "image"):
                results.append(AddResult(shown, status="error", message=f"{display_path(file.name)}: no pictures"))
                continue
            known = None if id else self._by_sha256(media.sha256)
            if known is not None:  # indexed already (under any id): update what the user changed
                results.append(self._update(known, shown, title=title, source=source, url=url,
                                            first_seen=first_seen))
                continue
            ref_id = id or self._free_id(file, media.sha256)
            outcome = run_with_budget(
                lambda media=media, ref_id=ref_id: self._add_one(media, ref_id, title, source, url, first_seen,
                                                                 frames, matching, limits),
                budget_s, "visual")
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
                return self._update(Reference(**dict(self._row(ref_id))), str(media.path), title=title,
                                    source=source, url=url, first_seen=first_seen)
            raise KnownIndexError(_taken(ref_id, row["path"], media.path))
        matching = matching or MatchingConfig()
        fp: Fingerprint = fingerprint(media, frames, keypoint_frames_s=matching.local_interval_s
                                      if matching.local_features else None, limits=limits)
        keypoint_frames = [(f.t, feat) for f in fp.frames if f.pixels is not None and (feat := extract(f.pixels))]
        ref = Reference(
            id=ref_id, path=display_path(media.path.resolve()), sha256=media.sha256, kind=media.kind,
            frames=len(fp.frames), title=title or media.path.stem, source=source, url=url,
            first_seen=first_seen, duration_s=media.duration_s,
            added_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        # One transaction: a reference is either whole or absent. Take the write lock first, then look again:
        # another process may have added this id while we were hashing (two `index add` at once); the same
        # file is then "unchanged", not an error.
        with self.workspace.transaction(immediate=True) as conn:
            row = conn.execute("SELECT sha256, path FROM reference WHERE id = ?", (ref_id,)).fetchone()
            if row is not None:
                if row["sha256"] != media.sha256:
                    raise KnownIndexError(_taken(ref_id, row["path"], media.path))
                stored = conn.execute("SELECT * FROM reference WHERE id = ?", (ref_id,)).fetchone()
                return AddResult(str(media.path), Reference(**dict(stored)), status="unchanged",
                                 message="added meanwhile by another process")
            _bump_generation(conn)
            conn.execute(
                "INSERT INTO reference (id, title, source, url, first_seen, path, sha256, kind, duration_s,"
                " frames, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (ref.id, ref.title, ref.source, ref.url, ref.first_seen, ref.path, ref.sha256, ref.kind,
                 ref.duration_s, ref.frames, ref.added_at),
            )
            conn.executemany(
                "INSERT INTO frame (reference_id, t, pdq, quality, phash) VALUES (?,?,?,?,?)",
                [(ref.id, f.t, f.hashes.pdq, f.hashes.quality, f.hashes.phash) for f in fp.frames],
            )
            conn.executemany(  # table "keyframe": the stored schema's name for keypoint frames, kept
                "INSERT INTO keyframe (reference_id, t, width, height, points, descriptors) VALUES (?,?,?,?,?,?)",
                [(ref.id, t, feat.width, feat.height, *feat.to_blobs()) for t, feat in keypoint_frames],
            )
        return AddResult(str(media.path), ref)

    def _row(self, ref_id: str) -> sqlite3.Row:
        with self.workspace.reading() as conn:
            return conn.execute("SELECT * FROM reference WHERE id = ?", (ref_id,)).fetchone()

    def _by_sha256(self, sha256: str) -> Reference | None:
        with self.workspace.reading() as conn:
            row = conn.execute("SELECT * FROM reference WHERE sha256 = ? ORDER BY id LIMIT 1", (sha256,)).fetchone()
        return Reference(**dict(row)) if row else None

    def _free_id(self, path: Path, sha256: str) -> str:
        """The file stem, or with as many parent folders before it as make it unique (then ``-2``, ``-3``...):
        ``2019-03-14/IMG_0001.JPG`` and ``2020-05-09/IMG_0001.JPG`` become two references, not one error."""
        with self.workspace.reading() as conn:
            def free(candidate: str) -> bool:
                row = conn.execute("SELECT sha256 FROM reference WHERE id = ?", (candidate,)).fetchone()
                return row is None or row["sha256"] == sha256
            path = path.absolute()
            for d in range(len(path.parent.parts)):
                if free(candidate := _as_path_id(path, d)):
                    return candidate
            n = 2
            while not free(candidate := f"{display_path(path.stem)}-{n}"):
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

    def remove(self, ref_id: str) -> bool:
        with self.workspace.transaction() as conn:
            removed = conn.execute("DELETE FROM reference WHERE id = ?", (ref_id,)).rowcount > 0
            if removed:
                _bump_generation(conn)
        self._tables.clear()
        return removed

    # -- reading ---------------------------------------------------------------------------------------
    def list(self) -> list[Reference]:
        with self.workspace.reading() as conn:
            rows = conn.execute("SELECT * FROM reference ORDER BY id").fetchall()
        return [Reference(**dict(r)) for r in rows]

    def get(self, ref_id: str) -> Reference | None:
        with self.workspace.reading() as conn:
            row = conn.execute("SELECT * FROM reference WHERE id = ?", (ref_id,)).fetchone()
        return Reference(**dict(row)) if row else None

    def hash_at(self, ref_id: str, t: float) -> bytes | None:
        """The PDQ hash of a reference's frame sampled at time ``t`` (to report a local match's distance)."""
        with self.workspace.reading() as conn:
            row = conn.execute(
                "SELECT pdq FROM frame WHERE reference_id = ? ORDER BY abs(t - ?) LIMIT 1", (ref_id, t)
            ).fetchone()
        return row[0] if row else None

    def stats(self, min_quality: int = PDQ.min_quality) -> IndexStats:
        with self.workspace.reading() as conn:
            kinds = dict(conn.execute("SELECT kind, COUNT(*) FROM reference GROUP BY kind").fetchall())
            frames, matchable = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(quality >= ?), 0) FROM frame", (min_quality,)
            ).fetchone()
        size = sum(p.stat().st_size for p in self.workspace.root.glob("provenance.db*") if p.is_file())
        return IndexStats(
            references=sum(kinds.values()), videos=kinds.get("video", 0), images=kinds.get("image", 0),
            frames=frames, matchable_frames=int(matchable), database_bytes=size,
        )

    def _hash_table(self, min_quality: int) -> _HashTable:
        key = (PDQ.name, min_quality)
        table = self._tables.get(key)
        if table is None:
            table = self._load_hash_table(min_quality)
            self._tables[key] = table
        return table

    def _load_hash_table(self, min_quality: int) -> _HashTable:
        """From the derived files when they match the database's generation, else from SQLite (and save them)."""
        with self.workspace.reading() as conn:
            generation = conn.execute("SELECT value FROM meta WHERE key = 'index_generation'").fetchone()[0]
            stem = self.workspace.derived_dir / f"{PDQ.name}-q{min_quality}"
            cached = _read_hash_table(stem, generation)
            if cached is not None:
                return cached
            rows = conn.execute(
                "SELECT reference_id, t, pdq FROM frame WHERE quality >= ? ORDER BY rowid", (min_quality,)
            ).fetchall()
        ids = sorted({r[0] for r in rows})
        pos = {rid: i for i, rid in enumerate(ids)}
        hashes = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.uint8).reshape(-1, PDQ.nbytes)
        table = _HashTable(
            HashSearch(hashes),
            np.fromiter((pos[r[0]] for r in rows), dtype=np.int32, count=len(rows)),
            np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows)),
            ids,
        )
        if len(rows) >= _DERIVED_MIN_ROWS:
            _write_hash_table(stem, generation, table)
        return table

    def matchable_frames(self, min_quality: int) -> int:
        """Indexed frames of matchable quality, from the search table matching already loaded (no table scan)."""
        return len(self._hash_table(min_quality).search)

    def frame_counts(self, min_quality: int) -> dict[str, int]:
        """Matchable frames per reference: the denominator of reference coverage."""
        table = self._hash_table(min_quality)
        counts = np.bincount(table.refs, minlength=len(table.ids))
        return {rid: int(counts[i]) for i, rid in enumerate(table.ids)}

    def search(self, queries: list[bytes], *, max_distance: int, min_quality: int) -> list[Hit]:
        """Every indexed frame of quality >= ``min_quality`` within ``max_distance`` of each PDQ query hash.

        ``Hit.query`` is the position in ``queries``; hits come in query order. Exact (search.HashSearch).
        """
        table = self._hash_table(min_quality)
        if not queries:
            return []
        q = np.frombuffer(b"".join(queries), dtype=np.uint8).reshape(-1, PDQ.nbytes)
        return [Hit(qi, table.ids[table.refs[row]], float(table.times[row]), distance)
                for qi, row, distance in table.search.range(q, max_distance)]

    def _keypoint_frame_table(self) -> _KeypointFrameTable:
        table = self._tables.get("orb")
        if table is None:
            with self.workspace.reading() as conn:
                rows = conn.execute(  # table "keyframe": the stored schema's name for keypoint frames, kept
                    "SELECT reference_id, t, width, height, points, descriptors FROM keyframe ORDER BY rowid"
                ).fetchall()
            frames = [(r[0], r[1], LocalFeatures.from_blobs(r[4], r[5], r[2], r[3])) for r in rows]
            sizes = np.array([len(k[2].descriptors) for k in frames], dtype=np.int64)
            index = faiss.IndexBinaryFlat(256)  # ORB descriptors are 256 bits
            if frames:
                index.add(np.concatenate([k[2].descriptors for k in frames]))
            table = _KeypointFrameTable(index, np.repeat(np.arange(len(frames)), sizes),
                                        np.concatenate([[0], np.cumsum(sizes)[:-1]]) if len(sizes) else sizes,
                                        frames)
            self._tables["orb"] = table
        return table

    def search_local(self, query: LocalFeatures, *, candidates: int = 3) -> list[LocalHit]:
        """Reference keypoint frames that share a similarity-transformed picture with the query (ORB + RANSAC)."""
        table = self._keypoint_frame_table()
        if not table.faiss_index.ntotal:
            return []
        distances, rows = table.faiss_index.search(query.descriptors, 2)
        good = (distances[:, 0] <= lf.MAX_DESCRIPTOR_DISTANCE) & (distances[:, 0] < lf.RATIO * distances[:, 1])
        q_idx = np.nonzero(good)[0]
        owners = table.owner[rows[q_idx, 0]]
        votes = np.bincount(owners, minlength=len(table.frames)) if len(owners) else np.zeros(0, int)
        hits = []
        for frame_no in np.argsort(-votes)[:candidates] if len(votes) else []:
            if votes[frame_no] < lf.MIN_VOTES:
                break
            mine = owners == frame_no
            pairs = np.stack([q_idx[mine], rows[q_idx[mine], 0] - table.offset[frame_no]], axis=1)
            ref_id, t, feats = table.frames[frame_no]
            result = verify(query, feats, pairs)
            if result is not None:
                hits.append(LocalHit(ref_id, t, result))
        return hits
