"""Crash safety with real processes: SIGKILL during `index add` and during a batch (with a claim) leaves the
workspace consistent and the work resumable; processes writing one workspace at once all succeed.

"Consistent": SQLite's integrity check passes, no foreign key is broken, no frame or keyframe row lacks its
reference and no reference lacks the frame rows it counts, every claim attachment names a whole report on disk.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from provenance.workspace import Workspace

from conftest import cli, live_in_group

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
from make_corpus import clip

pytestmark = [
    pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs /proc to watch processes"),
    pytest.mark.slow,  # each starts several CLI processes at once (and kills some): 2-10 s on two cores
]


def _clips(folder: Path, n: int, *, seconds: float = 4.0, first_seed: int = 100) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"clip{i:02d}.mp4"
        path.write_bytes(clip(seconds, size=(320, 240), fps=25, seed=first_seed + i))
        paths.append(path)
    return paths


def _db(workspace: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{workspace / 'provenance.db'}?mode=ro", uri=True, timeout=30)


def assert_consistent(workspace: Path) -> dict[str, int]:
    """The workspace database after a crash: whole, with no half reference; returns row counts."""
    conn = _db(workspace)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("SELECT COUNT(*) FROM frame WHERE reference_id NOT IN (SELECT id FROM reference)"
                            ).fetchone() == (0,), "frames without their reference"
        assert conn.execute("SELECT COUNT(*) FROM keyframe WHERE reference_id NOT IN (SELECT id FROM reference)"
                            ).fetchone() == (0,), "keyframes without their reference"
        half = conn.execute(  # a linked reference (same_as: byte-identical) has its holder's frames, not its own
            "SELECT r.id, r.frames, COUNT(f.reference_id) FROM reference r"
            " LEFT JOIN frame f ON f.reference_id = COALESCE(r.same_as, r.id)"
            " GROUP BY r.id HAVING COUNT(f.reference_id) != r.frames OR r.frames = 0").fetchall()
        assert half == [], f"references without all their frames: {half}"
        for claim_id, report_path, sha in conn.execute("SELECT claim_id, report_path, sha256 FROM claim_report"):
            report = json.loads((Path(report_path) / "report.json").read_text())
            assert report["media"]["sha256"] == sha, f"claim {claim_id} names a report of another file"
        counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                  for t in ("reference", "frame", "keyframe", "claim", "claim_report", "batch_run")}
        counts["generation"] = int(conn.execute("SELECT value FROM meta WHERE key = 'index_generation'").fetchone()[0])
        return counts
    finally:
        conn.close()


def _count(workspace: Path, table: str) -> int:
    try:
        conn = _db(workspace)
        try:
            return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0  # not created yet, or being migrated


def _kill_when(args: list[str], ready: Callable[[], bool], *, extra_delay: float = 0.0, timeout: float = 240) -> int:
    """Start the CLI in its own process group, SIGKILL it (the main process only) once ``ready()``; return pgid."""
    proc = subprocess.Popen([sys.executable, "-m", "provenance.cli", *args], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, f"finished before the kill: {proc.stderr.read().decode() if proc.stderr else ''}"
        assert time.monotonic() < deadline, "never got ready"
        time.sleep(0.01)
    time.sleep(extra_delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return proc.pid


def test_sigkill_during_index_add_leaves_whole_references_and_resumes(tmp_path: Path) -> None:
    clips = _clips(tmp_path / "known", 16)
    ws = tmp_path / "ws"
    # every frame sampled and a keypoint frame every 0.2 s: about a second of hashing per clip, time to die in it
    profile = tmp_path / "dense.toml"
    profile.write_text('name = "dense"\n[frames]\ninterval_s = 0.04\nreference_interval_s = 0.04\n'
                       '[matching]\nlocal_interval_s = 0.2\n')
    Workspace(ws).initialise()  # a --workspace naming no workspace is refused (a typo): `init` makes one
    # two decoding workers, whatever the cores: with one per core, the CI machine decoded all eight clips at once
    # and wrote them in one burst before the kill landed (CI, 2026-12-03)
    args = ["index", "add", str(tmp_path / "known"), "--pipeline", str(profile), "--workers", "2",
            "--workspace", str(ws)]
    rng = random.Random(8)
    seen = 0
    for _round in range(3):  # each run adds at least one more reference, then dies at a random point after it
        target = seen + 1
        pgid = _kill_when(args, lambda t=target: _count(ws, "reference") >= t, extra_delay=rng.uniform(0, 0.15))
        deadline = time.monotonic() + 5  # decoding workers die with it (parent-death signal), and their tracker
        while live_in_group(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not live_in_group(pgid)
        counts = assert_consistent(ws)
        assert seen < counts["reference"] < len(clips), counts
        assert counts["generation"] >= counts["reference"]
        seen = counts["reference"]
    code, out, err = cli(*args)
    assert code == 0, err
    assert out.count("unchanged:") == seen and out.count("added:") == len(clips) - seen
    counts = assert_consistent(ws)
    assert counts["reference"] == len(clips) and counts["keyframe"] > 0


def test_sigkill_during_batch_with_claim_leaves_consistent_records_and_resumes(tmp_path: Path) -> None:
    _clips(tmp_path / "in", 10, seconds=3.0, first_seed=200)
    ws, out = tmp_path / "ws", tmp_path / "reports"
    Workspace(ws).initialise()  # a --workspace naming no workspace is refused (a typo): `init` makes one
    code, claim_id, err = cli("claim", "add", "--statement", "footage from the claimed day", "--date", "2024-10",
                              "--workspace", ws)
    assert code == 0, err
    claim_id = claim_id.strip()
    args = ["batch", str(tmp_path / "in"), "--pipeline", "quick", "--workers", "2", "--out", str(out), "--quiet",
            "--claim", claim_id, "--workspace", str(ws)]
    pgid = _kill_when(args, lambda: _count(ws, "claim_report") >= 2)
    deadline = time.monotonic() + 5  # workers and their ExifTool helpers die with the batch (parent-death signal)
    while live_in_group(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = live_in_group(pgid)
    if left:
        os.killpg(pgid, signal.SIGKILL)
    assert not left, f"outlived the killed batch by 5 s: {left}"

    counts = assert_consistent(ws)
    assert 2 <= counts["claim_report"] < 10 and counts["batch_run"] == 1
    finished = {p.parent.name for p in out.glob("*/report.json")}
    for folder in finished:  # every report on disk is whole
        json.loads((out / folder / "report.json").read_text())
    conn = _db(ws)
    assert conn.execute("SELECT finished_at, counts FROM batch_run").fetchall() == [(None, None)]
    conn.close()

    code, _out, err = cli(*args)
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["complete"] and summary["counts"]["files"] == 10 and summary["counts"]["errors"] == 0
    resumed = {r["report"] for r in summary["files"] if r["action"] == "resumed"}
    assert finished <= resumed | {r["report"] for r in summary["files"]}
    assert resumed >= finished and summary["counts"]["verified"] == 10 - len(resumed)
    counts = assert_consistent(ws)
    assert counts["claim_report"] == 10 and counts["batch_run"] == 2


def _at_once(commands: list[list[str]]) -> list[tuple[int, str, str]]:
    procs = [subprocess.Popen([sys.executable, "-m", "provenance.cli", *c], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for c in commands]
    return [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]


def test_processes_writing_one_new_workspace_at_once_all_succeed(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Six processes open a workspace that does not exist yet (all migrate it) and add a claim each."""
    ws = tmp_path / "fresh"
    monkeypatch.setenv("PROVENANCE_WORKSPACE", str(ws))  # (a --workspace naming no workspace is refused)
    results = _at_once([["claim", "add", "--statement", f"claim {i}"] for i in range(6)])
    assert all(code == 0 for code, _o, _e in results), results
    counts = assert_consistent(ws)
    assert counts["claim"] == 6
    conn = _db(ws)
    assert conn.execute("PRAGMA user_version").fetchone()[0] >= 4 and conn.execute(
        "PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_two_index_adds_at_once_both_succeed(tmp_path: Path) -> None:
    a, b = _clips(tmp_path / "a", 3, seconds=2.0, first_seed=300), _clips(tmp_path / "b", 3, seconds=2.0,
                                                                          first_seed=400)
    for i, path in enumerate(b):
        path.rename(path.with_name(f"other{i}.mp4"))
    ws = tmp_path / "ws"
    Workspace(ws).initialise()  # a --workspace naming no workspace is refused (a typo): `init` makes one
    results = _at_once([["index", "add", str(tmp_path / folder), "--pipeline", "quick", "--workspace", str(ws)]
                        for folder in ("a", "b")])
    assert [code for code, _o, _e in results] == [0, 0], results
    assert assert_consistent(ws)["reference"] == 6
    # an indexed file under a new id from two processes at once: one links it (byte-identical: frames shared),
    # the other finds it linked
    results = _at_once([["index", "add", str(a[0]), "--id", "same", "--workspace", str(ws)] for _ in range(2)])
    assert [code for code, _o, _e in results] == [0, 0], results
    assert sorted(o.split(":")[0] for _c, o, _e in results) == ["linked", "unchanged"]
    assert assert_consistent(ws)["reference"] == 7
