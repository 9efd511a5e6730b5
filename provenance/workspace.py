"""The workspace: the folder holding the SQLite database (the source of truth) and files derived from it.

Found as git finds a repository (:func:`locate`): ``--workspace DIR``, else ``PROVENANCE_WORKSPACE``, else the
nearest ``.provenance`` folder in the current folder or above it, else ``./.provenance`` (created only by a
command that writes). A folder the user names (``--workspace DIR``, ``$PROVENANCE_WORKSPACE``, ``init DIR``) is
either the workspace folder itself (it holds ``provenance.db`` or the signing key, or is called ``.provenance``)
or a project folder holding ``.provenance/`` (:func:`named_workspace`); ``init DIR`` makes ``DIR/.provenance``
in a project folder, as ``git init DIR`` makes ``DIR/.git`` (:func:`new_workspace_in`), so a command run in DIR
finds it. Schema changes are numbered migrations applied in order and recorded in
``PRAGMA user_version``. SQLite failures a user can act on (locked, read-only, corrupt, disk full) become a
:class:`WorkspaceError` naming the problem; the transaction is rolled back, so nothing is half-written.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from provenance.errors import ProvenanceError
from provenance.fileio import umask

log = logging.getLogger(__name__)

DEFAULT_DIR = ".provenance"
DB_NAME = "provenance.db"
KEY_NAME = "report-signing-key.pem"  # provenance.report.integrity.KEY_FILE (not imported: it imports the report
# model, which a workspace does not need); a folder holding only the key is a workspace made by `report key`
LOCK_NOTICE_S = 1.0  # a wait for another command's write lock longer than this is said on stderr: a second of
# silence reads as a hang to nobody, thirty (the default PROVENANCE_LOCK_TIMEOUT_S) does

_MIGRATIONS: list[str | Callable[[sqlite3.Connection], None]] = [
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
    # 5: earlier values of a reference's editable fields (title, source, url, first_seen), so `index edit` and an
    # `index add` that updates metadata never lose what the desk had recorded before
    """
    CREATE TABLE reference_history (
        reference_id TEXT NOT NULL REFERENCES reference(id) ON DELETE CASCADE,
        field TEXT NOT NULL,
        old TEXT, new TEXT,
        changed_at TEXT NOT NULL
    );
    CREATE INDEX reference_history_reference ON reference_history(reference_id);
    """,
    # 6 (index state): what a report records of the index it was
    # matched against (KnownImageryIndex.state, report ``visual.index_state``), so that a batch re-run knows which
    # reports are stale. ``workspace_id``: two workspaces' counters are not comparable. ``reference_generation``:
    # bumped by triggers on every added, removed or edited reference row (title, source, url, first_seen...), so
    # no code path that changes what a match reports can forget it; ``index_generation`` (4) counts frame changes
    """
    INSERT INTO meta (key, value) VALUES ('workspace_id', lower(hex(randomblob(16))));
    INSERT INTO meta (key, value) VALUES ('reference_generation', '0');
    CREATE TRIGGER reference_generation_insert AFTER INSERT ON reference BEGIN
        UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'reference_generation';
    END;
    CREATE TRIGGER reference_generation_update AFTER UPDATE ON reference BEGIN
        UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'reference_generation';
    END;
    CREATE TRIGGER reference_generation_delete AFTER DELETE ON reference BEGIN
        UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'reference_generation';
    END;
    """,
    # 7: a reference byte-identical to another (same SHA-256, another path or id: the same footage from another
    # source) keeps its own id, title, source, url and first_seen but shares the other's frames: ``same_as`` names
    # the reference that holds them (NULL: it holds its own). Deleting a holder that others link to is refused by
    # the key; provenance.visual.index hands its frames over first.
    """
    ALTER TABLE reference ADD COLUMN same_as TEXT REFERENCES reference(id);
    CREATE INDEX reference_same_as ON reference(same_as);
    """,
    # 8: who vouched for each attached report when it was attached (claims.Attachment.signed): ``written`` signed
    # as written by this workspace's key, ``written-other`` as written by another key, ``later`` signed by
    # ``report sign``, ``unsigned``; ``unrecorded`` for attachments made before. ``key_id`` names the signer.
    # A signed attachment is not replaced by one vouched for otherwise without ``claim attach --replace``.
    """
    ALTER TABLE claim_report ADD COLUMN signed TEXT NOT NULL DEFAULT 'unrecorded';
    ALTER TABLE claim_report ADD COLUMN key_id TEXT;
    """,
    # 9: shared known-footage hash lists (provenance.visual.hashlist, `index import`): each imported list, who
    # shared it and its header; and which references came from it. Such a reference holds frame hashes only (no
    # keypoint frames, no file): its path names the list, its sha256 is '' (never byte-identical to a file)
    """
    CREATE TABLE IF NOT EXISTS hash_list (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL, source TEXT NOT NULL, format TEXT NOT NULL,
        path TEXT NOT NULL, sha256 TEXT NOT NULL,
        exported_at TEXT, exported_from TEXT,
        imported_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS hash_list_reference (
        reference_id TEXT PRIMARY KEY REFERENCES reference(id) ON DELETE CASCADE,
        list_id INTEGER NOT NULL REFERENCES hash_list(id) ON DELETE CASCADE,
        listed_id TEXT NOT NULL,
        media_sha256 TEXT
    );
    CREATE INDEX IF NOT EXISTS hash_list_reference_list ON hash_list_reference(list_id);
    """,
    # 10: what of a video reference did not decode when it was added (``visual.index._partial``: "only 11.9 s of
    # 21.0 s decoded: 11.9-21.0 s missing"), NULL when all of it did: a match against it names the hole, so a
    # clip matched for only part of its length is not read as footage from elsewhere for the rest (issue 14)
    """
    ALTER TABLE reference ADD COLUMN partial TEXT;
    """,
]


def _reverse_pdq_bits(value: bytes) -> bytes:
    """A stored 32-byte PDQ hash with its 256 bits reversed (``signals.PdqSignal.reverse_bits``, kept here so the
    workspace module imports no visual code); anything else is returned as it is."""
    value = bytes(value)
    if len(value) != 32:
        return value
    return int.from_bytes(value, "big").to_bytes(32, "little").translate(_BYTE_BITS_REVERSED)


_BYTE_BITS_REVERSED = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


def _pdq_threatexchange_order(conn: sqlite3.Connection) -> None:
    """Migration 11: stored PDQ hashes rewritten in ThreatExchange's bit order (``signals.PdqSignal.pack``).

    Before it, provenance packed pdqhash's vector bit-reversed against ThreatExchange's ``Hash256`` hex, so
    every frame hash of the index (indexed files and imported hash lists alike, which were read in that order)
    is reversed here, in the migration's transaction. ``index_generation`` and ``frame_rewrites`` are bumped:
    the derived search files are rebuilt, and reports matched before are stale (``batch`` matches them again, and their
    stored fingerprints, in the old order, are refused so the files are decoded again: visual/store.py).
    """
    conn.create_function("provenance_pdq_reversed", 1, _reverse_pdq_bits, deterministic=True)
    conn.execute("UPDATE frame SET pdq = provenance_pdq_reversed(pdq)")
    conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'index_generation'"
                 " AND EXISTS (SELECT 1 FROM frame)")  # an index without frames has nothing stale
    # rows changed in place, not appended: the append-only search files must be built again from the table
    # (visual/index_files.py reads a changed frame_rewrites as "rebuild"; index_files.bump_frame_rewrites)
    conn.execute("INSERT INTO meta (key, value) SELECT 'frame_rewrites', '1' WHERE EXISTS (SELECT 1 FROM frame)"
                 " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")


# 11: PDQ hashes in ThreatExchange's bit order (see _pdq_threatexchange_order)
_MIGRATIONS.append(_pdq_threatexchange_order)


def _statements(script: str) -> Iterator[str]:
    """The SQL statements of a migration script, whole: a trigger's body holds semicolons of its own."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending
            pending = ""


class WorkspaceError(ProvenanceError):
    """The workspace cannot be opened or used (absent, locked, read-only, corrupt, full, newer schema)."""


@dataclass(frozen=True)
class Location:
    """Where the workspace is and how it was chosen (``how`` is said to the user)."""

    root: Path
    how: str  # "--workspace", "PROVENANCE_WORKSPACE", "found", "default"

    @property
    def exists(self) -> bool:
        """A workspace exists when its database does: an empty or key-only folder holds no index or claims."""
        return (self.root / DB_NAME).is_file()

    @property
    def present(self) -> bool:
        """Something of a workspace is there: its database, or the signing key `report key` made before it."""
        return holds_workspace(self.root)

    @property
    def described(self) -> str:
        return {"--workspace": "from --workspace", "PROVENANCE_WORKSPACE": "from $PROVENANCE_WORKSPACE",
                "found": "found above the current folder", "default": "in the current folder"}[self.how]


def locate(explicit: str | Path | None = None, cwd: str | Path | None = None) -> Location:
    """The workspace to use: ``explicit``, else ``$PROVENANCE_WORKSPACE``, else the nearest ``.provenance`` folder
    in ``cwd`` or a folder above it (as git finds ``.git``), else ``cwd/.provenance`` (not created here)."""
    if explicit:
        return Location(named_workspace(explicit), "--workspace")
    env = os.environ.get("PROVENANCE_WORKSPACE")
    if env:
        return Location(named_workspace(env), "PROVENANCE_WORKSPACE")
    here = Path(cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / DEFAULT_DIR
        if candidate.is_dir():
            return Location(candidate, "default" if folder == here else "found")
    return Location(here / DEFAULT_DIR, "default")


def holds_workspace(folder: Path) -> bool:
    """``folder`` is a workspace folder already: it holds the database (even a 0-byte one, which is refused by
    name rather than taken for another layout) or the signing key."""
    return (folder / DB_NAME).exists() or (folder / KEY_NAME).is_file()


def named_workspace(folder: str | Path) -> Path:
    """The workspace a folder the user named stands for: the folder itself when it is a workspace folder
    (:func:`holds_workspace`, or called ``.provenance``), else its ``.provenance/`` when it holds one (a project
    folder, as discovery finds it), else the folder itself (nothing there yet: a typo, or where a workspace will
    be). ``wsA`` and ``wsA/`` are the same folder."""
    path = Path(folder).expanduser().resolve()
    if path.name != DEFAULT_DIR and not holds_workspace(path) and (path / DEFAULT_DIR).is_dir():
        return path / DEFAULT_DIR
    return path


def new_workspace_in(folder: str | Path) -> Path:
    """Where ``provenance init DIR`` puts the workspace: the one DIR already stands for (:func:`named_workspace`),
    else DIR itself when it is called ``.provenance``, else ``DIR/.provenance``, as ``git init DIR`` makes
    ``DIR/.git``: a command run in DIR, ``--workspace DIR`` and ``$PROVENANCE_WORKSPACE=DIR`` then all find it."""
    path = named_workspace(folder)
    if path.name == DEFAULT_DIR or holds_workspace(path):
        return path
    return path / DEFAULT_DIR


def _lock_timeout_s() -> float:
    try:
        return max(0.0, float(os.environ.get("PROVENANCE_LOCK_TIMEOUT_S", "30")))
    except ValueError:
        return 30.0


def workspace_problem(exc: BaseException, root: Path) -> str | None:
    """A one-line account of a SQLite or OS failure a user can act on, or None when it is not one of those."""
    if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError):
        return None
    text = str(exc).lower()
    db = root / DB_NAME
    if "locked" in text or "busy" in text:
        return (f"workspace {root} is locked by another process (another provenance command still running?): "
                "nothing was changed; wait for it to finish and run this again")
    if "readonly" in text or "read-only" in text or getattr(exc, "errno", None) == 30:
        return (f"workspace {root} is read-only: nothing was changed; make it writable, or use another with "
                "--workspace DIR")
    if "out of memory" in text or (("disk i/o error" in text) and _at_memory_limit()):
        from provenance.limits import memory_limit_note

        return (f"workspace {root} could not be opened within the memory limit ({memory_limit_note()}): "
                "nothing was changed; the database is not damaged; raise the limit and run this again")
    if "disk i/o error" in text and _disk_full(root, exc):
        text = "disk is full"  # SQLite's own word for a full disk when it cannot grow its WAL index is I/O error
    if "malformed" in text or "not a database" in text or "disk i/o error" in text:
        return (f"workspace database {db} is damaged (truncated or corrupt): nothing was changed; restore it "
                "from a backup, or move it aside to start a new workspace")
    if "disk is full" in text or "no space" in text or getattr(exc, "errno", None) == 28:
        return f"the disk holding workspace {root} is full: nothing was changed; free some space and run this again"
    if "unable to open" in text:
        return f"cannot open workspace database {db}: check that the folder exists and is yours"
    return None


def _at_memory_limit() -> bool:
    """Whether the process is near [limits] max_memory_mb: SQLite reports a refused map of its WAL index as a disk
    I/O error, which read as "damaged" under a tight limit (issue 14)."""
    from provenance.limits import near_memory_limit

    return near_memory_limit()


def _disk_full(root: Path, exc: BaseException) -> bool:
    """Whether a SQLite I/O error comes from a full disk rather than a damaged file.

    Opening a WAL database whose shared-memory index (``-shm``) cannot be created or grown fails with
    ``SQLITE_IOERR_SHMSIZE``/``_WRITE``/``_FSYNC`` ("disk I/O error") on a full file system, although the
    database is intact (measured: a 2 MiB tmpfs filled by ``dd``). Telling the user to restore a backup then
    would lose data, so the file system's free space decides: under 64 KiB is full.
    """
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name in ("SQLITE_FULL",):
        return True
    try:
        return shutil.disk_usage(root).free < 64 * 1024
    except OSError:
        return False


def empty_database_problem(db: Path) -> str:
    """A 0-byte ``provenance.db`` (an interrupted copy, a full disk, a ``touch``): SQLite would take it for a new
    database, so a command would quietly start an empty workspace where the user's index was."""
    return (f"workspace database {db} is empty (0 bytes): not a provenance workspace (an interrupted copy or a "
            f"full disk?); nothing was changed; restore it from a backup, or start a new workspace there with "
            f"`provenance init {db.parent}`")


class Workspace:
    """A folder with ``provenance.db``. Stores use :meth:`transaction` to write and :meth:`reading` to read.

    ``create=False`` refuses to create the database (a command that only reads must not leave an empty
    workspace behind): connecting then raises :class:`WorkspaceError` when it is absent. ``key_root`` is where
    the Ed25519 signing key is kept: the workspace itself, except for the temporary empty workspace a command
    uses when there is none, which signs with the key of the folder the user named (``report key`` makes it).

    The database is created whole (built aside, migrated, then linked into place), so another process never sees
    a half-made one; a 0-byte ``provenance.db`` is refused (:func:`empty_database_problem`), except by
    :meth:`initialise` (``provenance init``). A workspace on a read-only file system or in a folder the user
    cannot write is opened read-only (:attr:`read_only`): reading works, a write says "read-only".
    """

    def __init__(self, root: str | Path | None = None, *, create: bool = True,
                 key_root: str | Path | None = None) -> None:
        self.root = locate(root).root
        self.create = create
        self.key_root = Path(key_root) if key_root is not None else self.root
        self._migrated = False

    @property
    def exists(self) -> bool:
        return self.db_path.is_file()

    @property
    def db_path(self) -> Path:
        return self.root / DB_NAME

    @property
    def read_only(self) -> bool:
        """The database exists but cannot be written here: a read-only mount or a folder that is not ours.

        SQLite needs the folder writable too (journal, WAL index), so both are asked; ``access`` answers for
        this process (a read-only mount is refused even to root)."""
        return self.exists and not (os.access(self.db_path, os.W_OK) and os.access(self.root, os.W_OK))

    def require_writable(self) -> None:
        """Stop a command that will write before it does any work (``index add`` decodes first)."""
        if self.read_only:
            raise WorkspaceError(workspace_problem(sqlite3.OperationalError("readonly"), self.root) or "read-only")

    def initialise(self) -> bool:
        """Create the database (``provenance init``); a 0-byte one is replaced. False when one existed already."""
        if self.exists and self.db_path.stat().st_size == 0:
            self.db_path.unlink()
        if self.exists:
            self.connect().close()  # a damaged or newer one is said now, not at the first command
            return False
        self._create()
        return True

    def _create(self) -> None:
        """Build the database aside, migrated, and link it into place: never a half-made workspace to others."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            aside = self.root / f".{DB_NAME}.{secrets.token_hex(4)}.new"
            try:
                conn = sqlite3.connect(aside)
                # SQLite makes 0644 whatever the umask (and its -wal/-shm files copy the database's mode): a
                # desk sharing the workspace through its group (umask 002) needs 0664, as every other file here
                os.chmod(aside, 0o666 & ~umask())
                try:
                    with self._problems():
                        conn.execute("PRAGMA journal_mode = WAL")
                        self._migrate(conn)
                finally:
                    conn.close()
                try:
                    os.link(aside, self.db_path)
                except FileExistsError:
                    pass  # another process created it meanwhile: theirs is the workspace
                except OSError as exc:  # a file system without hard links
                    if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                        raise
                    if not self.db_path.exists():
                        os.replace(aside, self.db_path)
            finally:
                for leftover in (aside, Path(f"{aside}-wal"), Path(f"{aside}-shm")):
                    leftover.unlink(missing_ok=True)
        except (OSError, sqlite3.Error) as exc:
            raise WorkspaceError(workspace_problem(exc, self.root) or f"cannot create workspace {self.root}: {exc}") \
                from exc

    @property
    def derived_dir(self) -> Path:
        """Files rebuilt from the database when missing or stale (search indexes); safe to delete."""
        return self.root / "derived"

    @contextlib.contextmanager
    def transaction(self, *, immediate: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back when it raises; always closed.

        The write lock is taken at the start (``BEGIN IMMEDIATE``): another process cannot change what the block
        reads before it writes, and a wait for another command's lock happens here, where it is said on stderr
        once it passes :data:`LOCK_NOTICE_S` (:meth:`_begin_immediate`). ``immediate`` is kept for the callers
        that ask for it by name.
        """
        del immediate  # every write transaction takes the lock at its start
        conn = self.connect()
        try:
            with self._problems(), conn:  # commit, or roll back on any exception (KeyboardInterrupt too)
                self._begin_immediate(conn)
                yield conn
        finally:
            conn.close()

    def _begin_immediate(self, conn: sqlite3.Connection) -> None:
        """``BEGIN IMMEDIATE``, waiting up to ``PROVENANCE_LOCK_TIMEOUT_S`` for another command's write lock and
        saying so once the wait passes :data:`LOCK_NOTICE_S`: 30 silent seconds look like a hang."""
        timeout = _lock_timeout_s()
        if timeout <= LOCK_NOTICE_S:
            conn.execute("BEGIN IMMEDIATE")
            return
        start = time.monotonic()
        conn.execute(f"PRAGMA busy_timeout = {int(LOCK_NOTICE_S * 1000)}")
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if "locked" not in text and "busy" not in text:
                raise
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        remaining = max(0.0, timeout - (time.monotonic() - start))
        log.warning("provenance: waiting for the workspace lock (another provenance command is writing to %s; "
                    "up to %.0f s more, PROVENANCE_LOCK_TIMEOUT_S)", self.root, remaining)
        conn.execute(f"PRAGMA busy_timeout = {int(remaining * 1000)}")
        try:
            conn.execute("BEGIN IMMEDIATE")
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads only (each statement sees the last commit: WAL), closed when the block ends."""
        conn = self.connect()
        try:
            with self._problems():
                yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def _problems(self) -> Iterator[None]:
        """SQLite errors a user can act on (locked, read-only, corrupt, full) become a WorkspaceError naming it."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            problem = workspace_problem(exc, self.root)
            if problem is None:
                raise
            raise WorkspaceError(problem) from exc

    def connect(self) -> sqlite3.Connection:
        """A new connection with foreign keys on and WAL journalling, so readers never block a writer.

        The caller must close it: stores use :meth:`transaction` or :meth:`reading`, which do.
        """
        if not self.exists:
            if not self.create:
                raise WorkspaceError(f"no workspace at {self.root}")
            self._create()
        elif self.db_path.stat().st_size == 0:
            raise WorkspaceError(empty_database_problem(self.db_path))
        timeout = _lock_timeout_s()
        read_only = self.read_only
        try:
            conn = self._connect_read_only(timeout) if read_only else sqlite3.connect(self.db_path, timeout=timeout)
        except (OSError, sqlite3.Error) as exc:
            raise WorkspaceError(workspace_problem(exc, self.root) or f"cannot open workspace {self.root}: {exc}") \
                from exc
        try:
            with self._problems():
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA foreign_keys = ON")
                if not read_only:
                    conn.execute("PRAGMA journal_mode = WAL")
                conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
                if not self._migrated:
                    if read_only:
                        self._check_schema_read_only(conn)
                    else:
                        self._migrate(conn)
                    self._migrated = True
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect_read_only(self, timeout: float) -> sqlite3.Connection:
        """Open for reading only. A WAL database needs its ``-shm`` file; where none exists and none can be made
        (a read-only mount), it is opened as immutable: nothing can change it there anyway."""
        uri = self.db_path.absolute().as_uri()
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=timeout)
        try:
            conn.execute("PRAGMA user_version").fetchone()
            return conn
        except sqlite3.OperationalError:
            conn.close()
        return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, timeout=timeout)

    def _check_schema_read_only(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != len(_MIGRATIONS):
            raise WorkspaceError(f"workspace {self.root} is read-only and has schema {version}, not this tool's "
                                 f"{len(_MIGRATIONS)}: make it writable once, so it can be upgraded")

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
                if callable(script):
                    script(conn)
                else:
                    for statement in _statements(script):
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise


_EMPTY: dict[Path, Workspace] = {}
_TEMPORARY: list[tempfile.TemporaryDirectory[str]] = []


def empty_workspace(key_root: Path) -> Workspace:
    """An empty workspace in a temporary folder, removed when the process exits (never in the user's folders),
    one per process and ``key_root``; it signs with the key in ``key_root``, the folder the user's workspace
    would be (``report key`` makes it)."""
    key_root = Path(key_root)
    if key_root not in _EMPTY:
        tmp = tempfile.TemporaryDirectory(prefix="provenance-empty-")
        _TEMPORARY.append(tmp)
        _EMPTY[key_root] = Workspace(Path(tmp.name) / "workspace", key_root=key_root)
    return _EMPTY[key_root]


def reading_workspace(root: str | Path | None = None, *, warn: bool = True) -> Workspace:
    """The workspace to read for a verification (``provenance.verify``): the one :func:`locate` finds, never
    created as a side effect. With none, an empty one (:func:`empty_workspace`) and, with ``warn`` (the caller
    brings no index of its own), a warning: no index."""
    where = locate(root)
    if where.exists:
        return Workspace(where.root, create=False)
    if warn:
        log.warning("no index: nothing to match against (no workspace at %s; create one with `provenance index add "
                    "FILE...`)", where.root)
    return empty_workspace(where.root)

# 12: where a reference that wraps its footage (an interface, bars, a news template: visual.hashing.ReferenceBox)
# shows it, as shares of its frame's width and height, and that frame's aspect (width / height): a clip of the
# bare footage is hashed cropped to that place (visual.matching._box_lookups), since footage cut to 2.39:1
# between bars hashes 56-70 bits from its own 16:9 frame and 12-16 bits once the frame is cropped alike.
# References indexed before have no row (no crop tried)
_MIGRATIONS.append(
    """
    CREATE TABLE IF NOT EXISTS reference_box (
        reference_id TEXT PRIMARY KEY REFERENCES reference(id) ON DELETE CASCADE,
        x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
        frame_aspect REAL NOT NULL
    );
    """
)
