"""The workspace: the folder holding the SQLite database (the source of truth) and files derived from it.

Default ``./.provenance/``; ``--workspace DIR`` or ``PROVENANCE_WORKSPACE`` overrides. Schema changes are
numbered migrations applied in order and recorded in ``PRAGMA user_version``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from provenance.errors import ProvenanceError

DEFAULT_DIR = ".provenance"
DB_NAME = "provenance.db"

_MIGRATIONS: list[str] = [
    # 1: known-imagery references and their frame hashes
    """
    CREATE TABLE reference (
        id TEXT PRIMARY KEY,
        title TEXT, source TEXT, url TEXT, first_seen TEXT,
        path TEXT NOT NULL, sha256 TEXT NOT NULL, kind TEXT NOT NULL,
        duration_s REAL, frames INTEGER NOT NULL, added_at TEXT NOT NULL
    );
    CREATE TABLE frame (
        reference_id TEXT NOT NULL REFERENCES reference(id) ON DELETE CASCADE,
        t REAL NOT NULL,
        pdq BLOB NOT NULL,
        quality INTEGER NOT NULL,
        phash TEXT NOT NULL
    );
    CREATE INDEX frame_reference ON frame(reference_id);
    CREATE INDEX reference_sha256 ON reference(sha256);
    """,
    # 2: claim records, the reports attached to them with their assessment, and batch runs (provenance.claims,
    # provenance.batch)
    """
    CREATE TABLE claim (
        id TEXT PRIMARY KEY,
        statement TEXT NOT NULL,
        claimed_date TEXT,
        place TEXT, lat REAL, lon REAL, radius_km REAL NOT NULL DEFAULT 25,
        languages TEXT NOT NULL DEFAULT '[]',
        source_url TEXT,
        status TEXT NOT NULL DEFAULT 'open',
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL
    );
    CREATE TABLE claim_report (
        claim_id TEXT NOT NULL REFERENCES claim(id) ON DELETE CASCADE,
        sha256 TEXT NOT NULL,
        media_path TEXT NOT NULL, kind TEXT NOT NULL,
        report_path TEXT NOT NULL, pipeline_digest TEXT NOT NULL,
        assessment TEXT NOT NULL,
        attached_at TEXT NOT NULL,
        PRIMARY KEY (claim_id, sha256)
    );
    CREATE TABLE batch_run (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL, finished_at TEXT,
        roots TEXT NOT NULL, out TEXT NOT NULL,
        pipeline TEXT NOT NULL, pipeline_digest TEXT NOT NULL,
        scheduler TEXT NOT NULL, claim_id TEXT,
        counts TEXT
    );
    """,
    # 3: local features (ORB keypoints and descriptors) of reference keypoint frames (the table keeps its first
    # name, "keyframe"), for crops, rotations, picture-in-picture and screen recordings that global hashes miss
    # (provenance.visual.local_features)
    """
    CREATE TABLE keyframe (
        reference_id TEXT NOT NULL REFERENCES reference(id) ON DELETE CASCADE,
        t REAL NOT NULL,
        width INTEGER NOT NULL, height INTEGER NOT NULL,
        points BLOB NOT NULL,
        descriptors BLOB NOT NULL
    );
    CREATE INDEX keyframe_reference ON keyframe(reference_id);
    """,
    # 4: a counter bumped by every change to the known-imagery index, so derived search files know they are stale
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta (key, value) VALUES ('index_generation', '0');
    """,
]


class WorkspaceError(ProvenanceError):
    """The workspace cannot be opened or is from a newer version of the tool."""


class Workspace:
    """A folder with ``provenance.db``. Stores use :meth:`transaction` to write and :meth:`reading` to read."""

    def __init__(self, root: str | Path | None = None) -> None:
        if root is None:
            root = os.environ.get("PROVENANCE_WORKSPACE") or DEFAULT_DIR
        self.root = Path(root).expanduser().resolve()
        self._migrated = False

    @property
    def db_path(self) -> Path:
        return self.root / DB_NAME

    @property
    def derived_dir(self) -> Path:
        """Files rebuilt from the database when missing or stale (search indexes); safe to delete."""
        return self.root / "derived"

    @contextlib.contextmanager
    def transaction(self, *, immediate: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back when it raises; always closed.

        ``immediate`` takes the write lock at the start (``BEGIN IMMEDIATE``), for a block that reads and then
        writes what it read: another process cannot change it in between. Without it the lock is taken at the
        first write.
        """
        conn = self.connect()
        try:
            with conn:  # commit, or roll back on any exception (KeyboardInterrupt too)
                if immediate:
                    conn.execute("BEGIN IMMEDIATE")
                yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads only (each statement sees the last commit: WAL), closed when the block ends."""
        conn = self.connect()
        try:
            yield conn
        finally:
            conn.close()

    def connect(self) -> sqlite3.Connection:
        """A new connection with foreign keys on and WAL journalling, so readers never block a writer.

        The caller must close it: stores use :meth:`transaction` or :meth:`reading`, which do.
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.db_path, timeout=30.0)
        except (OSError, sqlite3.Error) as exc:
            raise WorkspaceError(f"cannot open workspace {self.root}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA busy_timeout = 30000")
        if not self._migrated:
            self._migrate(conn)
            self._migrated = True
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(_MIGRATIONS):
            raise WorkspaceError(
                f"workspace {self.root} has schema {version}, newer than this tool's {len(_MIGRATIONS)}"
            )
        for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
            conn.execute("BEGIN IMMEDIATE")
            try:
                # re-check under the write lock: another process may have migrated meanwhile
                if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
                    conn.execute("ROLLBACK")
                    continue
                for statement in filter(str.strip, script.split(";")):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
