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
