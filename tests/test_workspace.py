"""The workspace's connection helpers: a transaction commits or rolls back, and its connection always closes."""

from __future__ import annotations

import logging
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from provenance.claims import ClaimStore
from provenance.cli import main
from provenance.workspace import (
    DB_NAME,
    DEFAULT_DIR,
    Workspace,
    WorkspaceError,
    locate,
    named_workspace,
    new_workspace_in,
)

from conftest import workspace_at_schema


def test_transaction_commits_and_closes(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    with ws.transaction() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'committed')")
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        conn.execute("SELECT 1")
    with ws.reading() as reader:
        assert reader.execute("SELECT value FROM meta WHERE key = 'k'").fetchone()[0] == "committed"
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        reader.execute("SELECT 1")


@pytest.mark.parametrize("immediate", [False, True])
def test_transaction_rolls_back_and_closes_on_error(tmp_path: Path, immediate: bool) -> None:
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(KeyError), ws.transaction(immediate=immediate) as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'half done')")
        raise KeyError("a failure between two writes")
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        conn.execute("SELECT 1")
    with ws.reading() as reader:
        assert reader.execute("SELECT COUNT(*) FROM meta WHERE key = 'k'").fetchone()[0] == 0
    # the database is not left locked: another writer gets in at once
    ClaimStore(ws).add("written after the failure", id="c-after")
    assert [c.id for c in ClaimStore(ws).list()] == ["c-after"]


def test_reading_closes_when_the_query_fails(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(sqlite3.OperationalError), ws.reading() as conn:
        conn.execute("SELECT * FROM no_such_table")
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        conn.execute("SELECT 1")


def test_a_schema_4_workspace_gains_reference_history_and_keeps_its_rows(tmp_path: Path) -> None:
    """Migration 5 on a workspace written before it: the references stay, and editing one records history."""
    from provenance.visual.index import KnownImageryIndex

    root = workspace_at_schema(tmp_path / "old", 4,
                               "INSERT INTO reference (id, path, sha256, kind, frames, added_at, first_seen) VALUES "
                               "('old', '/x.mp4', 'ab', 'video', 3, '2020-01-01T00:00:00+00:00', '2019-01-01')")
    index = KnownImageryIndex(Workspace(root))
    ref, changed = index.edit("old", first_seen="2018-12-31", source="archive")
    assert changed == ["first_seen", "source"] and ref.first_seen == "2018-12-31" and ref.frames == 3
    assert [(h["field"], h["old"], h["new"]) for h in index.history("old")] == [
        ("first_seen", "2019-01-01", "2018-12-31"), ("source", None, "archive")]
    with Workspace(root).reading() as reader:
        assert reader.execute("PRAGMA user_version").fetchone()[0] >= 5  # and whatever came after


# -- opening: 0-byte databases, library calls, creation ------------------------------------------------------
PHOTO = Path(__file__).resolve().parents[1] / "sample_media" / "clips" / "photo_reuse.jpg"


def _cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_zero_byte_database_is_refused_except_by_init(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: SQLite took a 0-byte provenance.db (an interrupted copy) for a new database, and `index list` or
    `claim add` quietly started an empty workspace where the desk's index had been."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / DB_NAME).touch()
    for argv in (["index", "list"], ["claim", "add", "--statement", "s"], ["index", "add", PHOTO],
                 ["verify", PHOTO, "--pipeline", "quick", "--out", tmp_path / "r"]):
        code, out, err = _cli(capsys, *argv, "--workspace", root)
        assert code == 2 and out == "", err
        assert f"workspace database {root / DB_NAME} is empty (0 bytes)" in err and f"provenance init {root}" in err
        assert err.count("provenance: error:") == 1 and "internal error" not in err
    assert (root / DB_NAME).stat().st_size == 0 and sorted(p.name for p in root.iterdir()) == [DB_NAME]
    assert not (tmp_path / "r").exists()
    code, out, err = _cli(capsys, "init", root)
    assert code == 0 and out == f"created workspace {root}\n"
    assert _cli(capsys, "claim", "add", "--statement", "s", "--id", "c-1", "--workspace", root)[:2] == (0, "c-1\n")
    code, out, err = _cli(capsys, "init", "--workspace", root)
    assert code == 0 and "exists already: nothing changed" in out and ClaimStore(Workspace(root)).get("c-1")


def test_library_verify_creates_no_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             caplog: pytest.LogCaptureFixture) -> None:
    """Before: `provenance.verify(path)` in a folder without a workspace created ./.provenance there."""
    import provenance

    monkeypatch.delenv("PROVENANCE_WORKSPACE")
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.WARNING, logger="provenance.workspace"):
        report = provenance.verify(PHOTO, pipeline="quick")
    assert report.visual.status == "ok" and report.visual.index_frames == 0
    assert "index_empty" in {f.code for f in report.findings}
    assert "no index: nothing to match against" in caplog.text
    assert list(tmp_path.iterdir()) == []
    report = provenance.verify(PHOTO, pipeline="quick", workspace=tmp_path / "named")  # nor one it was named
    assert report.visual.index_frames == 0 and list(tmp_path.iterdir()) == []


def _create_claim(root: str) -> str:
    return ClaimStore(Workspace(root)).add("s").id


def test_concurrent_creation_gives_one_whole_workspace(tmp_path: Path) -> None:
    """Eight processes create one workspace at once: each sees a whole database (none a 0-byte or half-made one),
    and every claim they add is in the one that won."""
    root = str(tmp_path / "ws")
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        ids = pool.map(_create_claim, [root] * 8)
    assert sorted(c.id for c in ClaimStore(Workspace(root)).list()) == sorted(ids)
    assert sorted(p.name for p in Path(root).iterdir() if not p.name.startswith(DB_NAME)) == []


def test_a_named_folder_is_a_workspace_folder_or_a_project_folder(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """One layout for --workspace, $PROVENANCE_WORKSPACE and `init DIR`: before, a named folder was always the
    workspace folder, so `init proj` made proj/provenance.db, which a command run in proj never found."""
    proj, ws, bare = tmp_path / "proj", tmp_path / "ws", tmp_path / "bare"
    Workspace(proj / DEFAULT_DIR).initialise()
    Workspace(ws).initialise()
    assert named_workspace(proj) == proj / DEFAULT_DIR and named_workspace(f"{proj}/") == proj / DEFAULT_DIR
    assert named_workspace(ws) == ws and named_workspace(proj / DEFAULT_DIR) == proj / DEFAULT_DIR
    assert new_workspace_in(proj) == proj / DEFAULT_DIR and new_workspace_in(ws) == ws
    assert new_workspace_in(bare) == bare / DEFAULT_DIR and not bare.exists()
    monkeypatch.delenv("PROVENANCE_WORKSPACE")
    assert locate(cwd=proj).root == proj / DEFAULT_DIR == locate(proj).root
    monkeypatch.setenv("PROVENANCE_WORKSPACE", str(proj))
    assert locate(cwd=tmp_path).root == proj / DEFAULT_DIR


def test_a_wait_for_the_lock_is_said_once_it_passes_a_second(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.initialise()
    monkeypatch.setenv("PROVENANCE_LOCK_TIMEOUT_S", "1.5")
    holder = sqlite3.connect(ws.db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with caplog.at_level(logging.WARNING), pytest.raises(WorkspaceError, match="locked"), ws.transaction():
            pass
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert sum("waiting for the workspace lock" in r.getMessage() for r in caplog.records) == 1
    caplog.clear()
    with caplog.at_level(logging.WARNING), ws.transaction() as conn:  # free: no line
        conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
    assert not caplog.records
