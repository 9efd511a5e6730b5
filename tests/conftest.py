"""Shared fixtures: the real-media corpus beside the project, and small clips encoded with PyAV."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import av
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SAMPLES = ROOT / "sample_media"


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared media corpus is absent ({CORPUS})")
    return CORPUS


@pytest.fixture(scope="session")
def samples() -> Path:
    if not (SAMPLES / "clips").is_dir():
        pytest.skip("sample_media/clips is absent")
    return SAMPLES


@pytest.fixture(autouse=True)
def _isolated_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's ./.provenance."""
    monkeypatch.setenv("PROVENANCE_WORKSPACE", str(tmp_path / "workspace"))


@pytest.fixture(scope="module")
def pipeline():
    """The standard pipeline as `verify` loads it (the matching tests' thresholds and frame sampling)."""
    from provenance.config import load_pipeline

    return load_pipeline("standard")


def index_reference(index, path: Path, id: str, first_seen: str, pipeline):
    """Add one file to a known-imagery index with ``pipeline``'s sampling and matching; assert it was added."""
    (added,) = index.add([path], id=id, first_seen=first_seen, frames=pipeline.visual.frames,
                         matching=pipeline.visual.matching)
    assert added.status == "added", added.message
    return added


def read_frames(path: Path, start: float = 0.0, end: float = 1e9) -> tuple[list[np.ndarray], float]:
    """Decode RGB frames of ``path`` between two presentation times; return them and the frame rate."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        fps = float(s.average_rate)
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(s) if start <= f.time < end]
    return frames, fps


def write_clip(path: Path, frames: Iterable[np.ndarray], fps: float = 25.0, *, crf: int = 28,
               bframes: int = 2, metadata: dict[str, str] | None = None) -> Path:
    """Encode RGB frames as H.264 in MP4 (x264, yuv420p), as a real re-upload would be."""
    frames = list(frames)
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as c:
        if metadata:
            c.metadata.update(metadata)
        s = c.add_stream("libx264", rate=round(fps))
        s.width, s.height, s.pix_fmt = w - w % 2, h - h % 2, "yuv420p"
        s.options = {"crf": str(crf), "bf": str(bframes), "g": str(int(fps * 2)), "preset": "veryfast"}
        for img in frames:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img[: s.height, : s.width]), format="rgb24")
            for packet in s.encode(frame):
                c.mux(packet)
        for packet in s.encode():
            c.mux(packet)
    return path


def cli(*args: str | os.PathLike) -> tuple[int, str, str]:
    """Run the console script in a subprocess, as a user would; return (exit code, stdout, stderr)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "provenance.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def cli_in_process(capsys: pytest.CaptureFixture[str], *args: str | os.PathLike) -> tuple[int, str, str]:
    """Run ``provenance ARGS`` in this process (argparse refusals included); return (exit code, stdout, stderr)."""
    from provenance.cli import main

    capsys.readouterr()
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def live_in_group(pgid: int) -> list[str]:
    """Command lines of the live (not zombie) processes of a process group, from /proc: what a kill left running."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
    return found


def workspace_at_schema(root: Path, version: int, *statements: str) -> Path:
    """A workspace database as the tool of schema ``version`` left it (its first migrations only), with
    ``statements`` run in it: what a migration test upgrades."""
    import sqlite3

    from provenance.workspace import _MIGRATIONS

    root.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(root / "provenance.db")
    try:
        for script in _MIGRATIONS[:version]:
            conn.executescript(script)
        for statement in statements:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {int(version)}")
        conn.commit()
    finally:
        conn.close()
    return root
