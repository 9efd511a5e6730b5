"""Issue 12 round D8, D9, D11: how a batch groups shared footage, runs on a read-only workspace, and says what a
re-run did. Real clips cut from the sample archive footage (x264 through PyAV), real matching, real SQLite."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_cli import _read_only_mount_prefix  # one read-only mount helper for both

from provenance import KnownImageryIndex, Workspace
from provenance.batch import BatchOptions, run_batch
from provenance.cli_batch import ProgressLine, print_result

from conftest import read_frames, write_clip

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, samples: Path) -> dict[str, Path]:
    """A workspace indexing the archive footage, and a folder of three reposts of it: 3-8 s as it is, 5-10 s
    mirrored and shrunk (no whole-frame hash of it matches the first), and 14-19 s (other seconds)."""
    tmp = tmp_path_factory.mktemp("desk")
    archive = samples / "known" / "archive_footage.mp4"
    index = KnownImageryIndex(Workspace(tmp / "ws"))
    index.add([archive], id="archive", title="Archive footage", first_seen="2019-03-14")
    clips = tmp / "incoming"
    clips.mkdir()
    early, fps = read_frames(archive, 3.0, 8.0)
    write_clip(clips / "plain_3s.mp4", early, fps, crf=26)
    flipped, fps = read_frames(archive, 5.0, 10.0)
    write_clip(clips / "mirrored_5s.mp4",
               [np.asarray(Image.fromarray(np.ascontiguousarray(f[:, ::-1])).resize((426, 240))) for f in flipped],
               fps, crf=30)
    late, fps = read_frames(archive, 14.0, 19.0)
    write_clip(clips / "later_14s.mp4", late, fps, crf=26)
    return {"ws": tmp / "ws", "clips": clips, "archive": archive}


def test_reposts_of_the_same_seconds_are_grouped_through_the_index(desk: dict[str, Path], tmp_path: Path) -> None:
    """D9: a mirrored, shrunk repost shares no whole-frame hash with the plain one, yet both show the archive's
    5-8 s: they are one group, the link saying through which reference; the repost of other seconds is not."""
    result = run_batch([desk["clips"]], pipeline="quick", workspace=desk["ws"],
                       options=BatchOptions(out=tmp_path / "out", workers=0))
    names = {Path(i.path).name: i for i in result.items}
    assert all(i.status == "ok" for i in names.values()), [(i.path, i.message) for i in names.values()]
    group = names["plain_3s.mp4"].group
    assert group is not None and names["mirrored_5s.mp4"].group == group
    assert names["later_14s.mp4"].group != group
    (g,) = [g for g in result.groups if g.id == group]
    (link,) = [link for link in g.links if {Path(link.a).name, Path(link.b).name} == {"plain_3s.mp4",
                                                                                      "mirrored_5s.mp4"}]
    assert link.via and "archive" in link.via
    lo, hi = link.examples[0]
    assert 4.0 <= lo <= 6.0 and 7.0 <= hi <= 8.5, link.examples  # the archive's seconds both show
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert any(lk.get("via") for gr in summary["groups"] for lk in gr["links"])
    assert "both show known imagery Archive footage" in (tmp_path / "out" / "index.html").read_text()
    printed = io.StringIO()
    print_result(result, printed)
    assert f"group {group}: " in printed.getvalue() and "(both showing known imagery Archive footage (archive))" \
        in printed.getvalue(), printed.getvalue()


def test_a_group_of_three_is_not_called_both(desk: dict[str, Path], tmp_path: Path) -> None:
    """Issue 12 round 8, L2: a group of three files showing the archive said "(both showing known imagery ...)".
    The two reposts of the archive's 5-8 s and a still of its 6th second make one group of three."""
    folder = tmp_path / "three"
    folder.mkdir()
    for name in ("plain_3s.mp4", "mirrored_5s.mp4"):
        shutil.copy(desk["clips"] / name, folder / name)
    frames, _fps = read_frames(desk["archive"], 6.0, 6.5)
    Image.fromarray(frames[0]).save(folder / "still_6s.jpg", quality=90)
    ws = tmp_path / "ws"
    shutil.copytree(desk["ws"], ws)
    result = run_batch([folder], pipeline="quick", workspace=ws, options=BatchOptions(out=tmp_path / "out",
                                                                                       workers=0))
    (g,) = result.groups
    assert len(g.members) == 3, g.members
    printed = io.StringIO()
    print_result(result, printed)
    assert "(all 3 showing known imagery Archive footage (archive))" in printed.getvalue(), printed.getvalue()
    assert "both" not in printed.getvalue(), printed.getvalue()


def test_a_rerun_that_only_rematches_does_not_say_nothing_new(desk: dict[str, Path], tmp_path: Path,
                                                              corpus: Path) -> None:
    """D11: after an index change the re-run matches every report again from its stored frames; its progress
    said "nothing new to verify" as if it had done nothing."""
    ws = tmp_path / "ws"
    shutil.copytree(desk["ws"], ws)
    out = tmp_path / "out"
    run_batch([desk["clips"]], pipeline="quick", workspace=ws, options=BatchOptions(out=out, workers=0))
    KnownImageryIndex(Workspace(ws)).add([corpus / "c2pa" / "IMG_0003.jpg"], id="photo", title="Harbour photo")
    said = io.StringIO()
    again = run_batch([desk["clips"]], pipeline="quick", workspace=ws, options=BatchOptions(out=out, workers=0),
                      on_progress=ProgressLine(said))
    assert again.counts.rematched == 3, again.counts
    assert "nothing new to verify" not in said.getvalue(), said.getvalue()
    assert "nothing to decode: all 3 files were re-matched from their stored frames\n" in said.getvalue(), \
        said.getvalue()
    assert "3 re-matched from their stored frames" in again.scheduler


def test_batch_on_a_read_only_workspace_writes_to_out_outside_it(desk: dict[str, Path], tmp_path: Path) -> None:
    """D8: an archive workspace on a read-only mount: batch verifies against its index and writes its reports to
    --out elsewhere (it refused: "read-only: nothing was changed"); an --out inside it is refused before any work,
    saying what to do."""
    prefix = _read_only_mount_prefix()
    if prefix is None:
        pytest.skip("no mount namespaces here (unshare) to make a read-only file system")
    ws = tmp_path / "ws"
    shutil.copytree(desk["ws"], ws)
    clips = tmp_path / "clips"
    clips.mkdir()
    shutil.copy(desk["clips"] / "plain_3s.mp4", clips)

    def batch(out: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, str(ws), sys.executable, "-m", "provenance.cli", "--workspace", str(ws),
                               "batch", str(clips), "--out", str(out), "--pipeline", "quick", "--workers", "0",
                               "--quiet"], capture_output=True, text=True, timeout=600,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})

    run = batch(tmp_path / "out")
    assert run.returncode == 0, run.stderr
    assert "read-only: reading only" in run.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    (row,) = summary["files"]
    assert row["top_match"] == "archive" and row["status"] == "ok", row  # matched against the read-only index
    assert summary["batch_id"] is None  # no row written into the read-only workspace
    inside = batch(ws / "reports")
    assert inside.returncode == 2 and "give --out a writable folder outside the workspace" in inside.stderr
