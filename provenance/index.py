"""The known-imagery index: references (earlier footage and photos) and their frame hashes in SQLite.

Search is an exact brute-force Hamming scan over all indexed PDQ hashes held as a ``(N, 4)`` uint64 matrix:
exact, simple, and by DESIGN.md's measurements fast enough to about 10^7 hashes on two cores.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from provenance.config import FramesConfig
from provenance.errors import ProvenanceError
from provenance.hashing import Fingerprint, fingerprint
from provenance.media import MediaError, MediaFile, probe
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
    status: str = "added"  # added | unchanged | error
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


def normalise_date(value: str | None) -> str | None:
    """Check an ISO 8601 date or date-time and return it in canonical form."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text).isoformat()
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError as exc:
        raise KnownIndexError(f"--first-seen {value!r} is not an ISO 8601 date (YYYY-MM-DD)") from exc


def iter_media_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and files inside folders named (recursively, sorted, symlinked folders not followed)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield path


class KnownImageryIndex:
    def __init__(self, workspace: Workspace | None = None) -> None:
        self.workspace = workspace or Workspace()
        self._matrix: tuple[np.ndarray, np.ndarray, np.ndarray, list[str]] | None = None

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
    ) -> list[AddResult]:
        """Index every video and image under ``paths``. ``id`` applies only when a single file is given."""
        first_seen = normalise_date(first_seen)
        files = list(iter_media_files(paths))
        if id is not None and len(files) != 1:
            raise KnownIndexError("--id names one reference: give a single file, or omit it to use file stems")
        results = []
        for file in files:
            try:
                media = probe(file)
            except MediaError as exc:
                results.append(AddResult(str(file), status="error", message=str(exc)))
                continue
            if media.kind not in ("video", "image"):
                results.append(AddResult(str(file), status="error", message=f"{file.name}: no pictures"))
                continue
            ref_id = id or file.stem
            try:
                results.append(self._add_one(media, ref_id, title, source, url, first_seen, frames))
            except (KnownIndexError, ValueError, OSError) as exc:
                results.append(AddResult(str(file), status="error", message=str(exc)))
            except Exception as exc:  # a decoder failure on one file must not stop a folder
                results.append(AddResult(str(file), status="error", message=f"{file.name}: {exc}"))
        self._matrix = None
        return results

    def _add_one(
        self, media: MediaFile, ref_id: str, title: str | None, source: str | None, url: str | None,
        first_seen: str | None, frames: FramesConfig | None,
    ) -> AddResult:
        with self.workspace.connect() as conn:
            row = conn.execute("SELECT sha256 FROM reference WHERE id = ?", (ref_id,)).fetchone()
        if row is not None:
            if row["sha256"] == media.sha256:
                ref = self.get(ref_id)
                return AddResult(str(media.path), ref, status="unchanged", message="already indexed")
            raise KnownIndexError(f"reference id {ref_id!r} already names another file: remove it first or pick --id")
        fp: Fingerprint = fingerprint(media, frames)
        ref = Reference(
            id=ref_id, path=str(media.path.resolve()), sha256=media.sha256, kind=media.kind,
            frames=len(fp.frames), title=title or media.path.stem, source=source, url=url,
            first_seen=first_seen, duration_s=media.duration_s,
            added_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        conn = self.workspace.connect()
        try:
            with conn:  # one transaction: a reference is either whole or absent
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
        finally:
            conn.close()
        return AddResult(str(media.path), ref)

    def remove(self, ref_id: str) -> bool:
        conn = self.workspace.connect()
        try:
            with conn:
                removed = conn.execute("DELETE FROM reference WHERE id = ?", (ref_id,)).rowcount > 0
        finally:
            conn.close()
        self._matrix = None
        return removed

    # -- reading ---------------------------------------------------------------------------------------
    def list(self) -> list[Reference]:
        conn = self.workspace.connect()
        try:
            rows = conn.execute("SELECT * FROM reference ORDER BY id").fetchall()
        finally:
            conn.close()
        return [Reference(**dict(r)) for r in rows]

    def get(self, ref_id: str) -> Reference | None:
        conn = self.workspace.connect()
        try:
            row = conn.execute("SELECT * FROM reference WHERE id = ?", (ref_id,)).fetchone()
        finally:
            conn.close()
        return Reference(**dict(row)) if row else None

    def stats(self, min_quality: int = 50) -> IndexStats:
        conn = self.workspace.connect()
        try:
            kinds = dict(conn.execute("SELECT kind, COUNT(*) FROM reference GROUP BY kind").fetchall())
            frames, matchable = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(quality >= ?), 0) FROM frame", (min_quality,)
            ).fetchone()
        finally:
            conn.close()
        size = sum(p.stat().st_size for p in self.workspace.root.glob("provenance.db*") if p.is_file())
        return IndexStats(
            references=sum(kinds.values()), videos=kinds.get("video", 0), images=kinds.get("image", 0),
            frames=frames, matchable_frames=int(matchable), database_bytes=size,
        )

    def _load(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """All indexed hashes as (hashes uint64 (N,4), reference row (N,), time (N,), reference ids)."""
        if self._matrix is None:
            conn = self.workspace.connect()
            try:
                rows = conn.execute("SELECT reference_id, t, pdq, quality FROM frame ORDER BY rowid").fetchall()
            finally:
                conn.close()
            ids = sorted({r[0] for r in rows})
            pos = {rid: i for i, rid in enumerate(ids)}
            hashes = np.frombuffer(b"".join(r[2] for r in rows), dtype=">u8").astype(np.uint64).reshape(-1, 4)
            self._matrix = (
                hashes,
                np.fromiter((pos[r[0]] for r in rows), dtype=np.int32, count=len(rows)),
                np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows)),
                ids,
            )
            self._quality = np.fromiter((r[3] for r in rows), dtype=np.int16, count=len(rows))
        return self._matrix

    def frame_counts(self, min_quality: int) -> dict[str, int]:
        """Matchable frames per reference: the denominator of reference coverage."""
        _, refs, _, ids = self._load()
        counts = np.bincount(refs[self._quality >= min_quality], minlength=len(ids))
        return {rid: int(counts[i]) for i, rid in enumerate(ids)}

    def search(self, queries: list[bytes], *, max_distance: int, min_quality: int) -> list[Hit]:
        """Every indexed frame within ``max_distance`` of each query hash (exact Hamming scan)."""
        hashes, refs, times, ids = self._load()
        if not len(hashes) or not queries:
            return []
        usable = self._quality >= min_quality
        q = np.frombuffer(b"".join(queries), dtype=">u8").astype(np.uint64).reshape(-1, 4)
        hits: list[Hit] = []
        for qi in range(len(q)):
            dist = np.bitwise_count(hashes ^ q[qi]).sum(axis=1, dtype=np.int32)
            for row in np.nonzero((dist <= max_distance) & usable)[0]:
                hits.append(Hit(qi, ids[refs[row]], float(times[row]), int(dist[row])))
        return hits
