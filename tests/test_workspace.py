"""The workspace's connection helpers: a transaction commits or rolls back, and its connection always closes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from provenance.claims import ClaimStore
from provenance.workspace import Workspace


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
    from provenance.workspace import _MIGRATIONS

    root = tmp_path / "old"
    root.mkdir()
    conn = sqlite3.connect(root / "provenance.db")
    for script in _MIGRATIONS[:4]:
        conn.executescript(script)
    conn.execute("INSERT INTO reference (id, path, sha256, kind, frames, added_at, first_seen) VALUES "
                 "('old', '/x.mp4', 'ab', 'video', 3, '2020-01-01T00:00:00+00:00', '2019-01-01')")
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    index = KnownImageryIndex(Workspace(root))
    ref, changed = index.edit("old", first_seen="2018-12-31", source="archive")
    assert changed == ["first_seen", "source"] and ref.first_seen == "2018-12-31" and ref.frames == 3
    assert [(h["field"], h["old"], h["new"]) for h in index.history("old")] == [
        ("first_seen", "2019-01-01", "2018-12-31"), ("source", None, "archive")]
    with Workspace(root).reading() as reader:
        assert reader.execute("PRAGMA user_version").fetchone()[0] == len(_MIGRATIONS)
