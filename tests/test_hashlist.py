"""Shared known-footage lists: `index export` in one workspace, `index import` in another, and vPDQ files.

Acceptance (issue 19): an export imported elsewhere finds the same matches as the original index on the sample
clips (same references, first-seen dates and segments), and a list written by a vPDQ-style hasher run on a
reference is matched too. Real clips, real SQLite, real decoding.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import av
import numpy as np
import pytest

from provenance.cli import main
from provenance.pipeline import verify
from provenance.workspace import _MIGRATIONS, DB_NAME, Workspace

from conftest import SAMPLES, cli_in_process, workspace_at_schema

KNOWN = SAMPLES / "known"
CLIPS = SAMPLES / "clips"


def run(capsys: pytest.CaptureFixture[str], *args: str | os.PathLike) -> tuple[int, str, str]:
    return cli_in_process(capsys, *args)


@pytest.fixture(scope="module")
def desk_a(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Workspace A with the sample references, and its export."""
    root = tmp_path_factory.mktemp("desk_a")
    ws = root / "A"
    Workspace(ws).initialise()
    for args in ((KNOWN / "archive_footage.mp4", "--first-seen", "2019-03-14", "--source", "Archive"),
                 (KNOWN / "photo_astronaut.jpg", "--first-seen", "2016-07-21T09:00:00+02:00"),
                 (KNOWN / "photo_coins.jpg", "--first-seen", "2014-11-02", "--url", "https://example.org/coins")):
        assert main(["index", "add", *map(str, args), "--workspace", str(ws)]) == 0
    out = root / "list.txt"
    assert main(["index", "export", "--out", str(out), "--name", "Desk A known footage", "--workspace", str(ws)]) == 0
    return ws, out


def _matches(path: Path, ws: Path) -> list[tuple]:
    report = verify(path, pipeline="quick", workspace=ws)
    return [(m.reference_id, m.first_seen, m.title, m.url, m.methods,
             [(round(s.query_start, 2), round(s.query_end, 2), round(s.reference_start, 2), round(s.reference_end, 2),
               s.mirrored, s.rotation) for s in m.segments]) for m in report.visual.matches]


def test_export_imported_elsewhere_finds_the_same_matches(desk_a, tmp_path: Path, capsys) -> None:
    ws_a, listed = desk_a
    ws_b = tmp_path / "B"
    Workspace(ws_b).initialise()
    code, out, err = run(capsys, "index", "import", listed, "--source", "Desk A", "--workspace", ws_b)
    assert code == 0, err
    assert "imported: archive_footage (42 frames, hashes only)" in out  # 21 s at 0.5 s
    assert "3 references added; matches on them name the list and cannot use keypoints" in out
    for clip in ("reuse_edited.mp4", "photo_reuse.jpg", "unrelated.mp4"):
        assert _matches(CLIPS / clip, ws_b) == _matches(CLIPS / clip, ws_a), clip
    report = verify(CLIPS / "reuse_edited.mp4", pipeline="quick", workspace=ws_b)
    (m,) = report.visual.matches
    assert m.reference_id == "archive_footage" and m.hash_list is not None
    assert (m.hash_list.name, m.hash_list.source, m.hash_list.listed_id) == ("Desk A known footage", "Desk A",
                                                                             "archive_footage")
    finding = next(f for f in report.findings if f.code == "known_imagery_match")
    assert "hash list 'Desk A known footage' shared by Desk A: PDQ hashes only" in finding.message
    assert "keypoints find cannot match it" in finding.message
    assert m.segments and 2.5 <= m.segments[0].query_start <= 3.5  # the truth: clip 3 s = reference 6 s
    again = verify(CLIPS / "reuse_edited.mp4", pipeline="quick", workspace=ws_a).visual.matches[0]
    assert again.hash_list is None  # the desk's own reference names no list
    data = report.to_dict()["visual"]["matches"][0]["hash_list"]
    assert data["format"] == "provenance.hashlist/2" and data["exported_at"]


def test_reimport_is_unchanged_and_taken_ids_get_the_source_before_them(desk_a, tmp_path: Path, capsys) -> None:
    _ws_a, listed = desk_a
    ws = tmp_path / "C"
    Workspace(ws).initialise()
    assert run(capsys, "index", "add", KNOWN / "photo_coins.jpg", "--workspace", ws)[0] == 0  # its own photo_coins
    code, out, _ = run(capsys, "index", "import", listed, "--source", "Desk A", "--workspace", ws)
    assert code == 0 and ("imported: Desk A/photo_coins (1 frame, hashes only; linked to photo_coins: the same "
                          "frames, already indexed here) (listed as photo_coins") in out
    code, out, _ = run(capsys, "index", "import", listed, "--source", "Desk A", "--workspace", ws)
    assert code == 0 and "imported from Desk A before" in out and "nothing added" in out
    _, out, _ = run(capsys, "index", "list", "--json", "--workspace", ws)
    refs = {r["id"]: r for r in json.loads(out)}
    assert set(refs) == {"photo_coins", "Desk A/photo_coins", "archive_footage", "photo_astronaut"}
    assert refs["photo_astronaut"]["first_seen"] == "2016-07-21T09:00:00+02:00"  # offset kept through the list
    assert refs["Desk A/photo_coins"]["url"] == "https://example.org/coins"
    assert refs["photo_coins"]["hash_list"] is None and refs["Desk A/photo_coins"]["hash_list"]["source"] == "Desk A"
    _, out, _ = run(capsys, "index", "list", "--workspace", ws)
    assert "1 frame, hashes only (list 'Desk A known footage')" in out


def vpdq_style(path: Path, seconds_per_hash: float = 1.0) -> str:
    """A vPDQ-style hasher, independent of provenance's sampling and of its PDQ packing: every decoded frame
    counted, the first frame at or after each multiple of ``seconds_per_hash`` hashed with pdqhash at full
    resolution, the hex written as python-threatexchange's ``pdq_hasher`` and vPDQ write it (the vector as one
    binary number, ``"%064x" % int(bits, 2)``), in vPDQ's output lines (frame_number,quality,pdq_hex,timestamp
    with 3 decimals)."""
    import pdqhash

    lines, next_t = [], 0.0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for number, frame in enumerate(container.decode(stream)):
            t = float(frame.time or 0.0)
            if t + 1e-6 < next_t:
                continue
            vector, quality = pdqhash.compute(np.ascontiguousarray(frame.to_ndarray(format="rgb24")))
            as_number = int("".join(str(int(b)) for b in vector), 2)  # pdq_hasher: "%0*X" % (64, int(bits, 2))
            lines.append(f"{number},{quality},{as_number:064x},{t:.3f}")
            next_t += seconds_per_hash
    return "\n".join(lines) + "\n"


def test_a_vpdq_hash_file_of_a_reference_is_matched(tmp_path: Path, capsys) -> None:
    vpdq = tmp_path / "archive.vpdq.txt"
    vpdq.write_text(vpdq_style(KNOWN / "archive_footage.mp4"))
    ws = tmp_path / "V"
    Workspace(ws).initialise()
    code, out, err = run(capsys, "index", "import", vpdq, "--source", "Partner desk", "--id", "partner/archive",
                         "--first-seen", "2019-03-14", "--title", "Archive montage", "--workspace", ws)
    assert code == 0, err
    assert "imported: partner/archive (21 frames, hashes only)" in out
    report = verify(CLIPS / "reuse_edited.mp4", pipeline="quick", workspace=ws)
    (m,) = report.visual.matches
    assert m.reference_id == "partner/archive" and m.first_seen == "2019-03-14" and m.title == "Archive montage"
    assert m.hash_list.format == "vpdq" and m.hash_list.source == "Partner desk"
    (seg,) = m.segments
    assert abs(seg.query_start - 3.0) <= 1.0 and abs((seg.reference_start - seg.query_start) - 3.0) <= 1.0
    assert verify(CLIPS / "unrelated.mp4", pipeline="quick", workspace=ws).visual.matches == []


@pytest.mark.parametrize(("edit", "said"), [
    (lambda lines: [*lines[:2], "0,100,zz,0.000", *lines[3:]], "line 3: the PDQ hash is not 64 hex digits"),
    (lambda lines: lines[:3] + lines[4:], "'archive_footage' declares 42 frames but 41 follow"),
    (lambda lines: [lines[0], lines[1].replace('"title": "archive_footage"', '"title": "a\\u001b[2Jb"'), *lines[2:]],
     "line 2: 'title' holds control characters"),
    (lambda lines: [*lines[:2], "0,100," + "a" * 64 + ",nan", *lines[3:]], "is not a time in a video"),
    (lambda lines: [*lines[:2], "#comment", *lines[2:]], "line 3: an unknown # line"),
    (lambda lines: [lines[0], lines[1].replace('"first_seen": "2019-03-14"', '"first_seen": "2999-01-01"'),
                    *lines[2:]], "is in the future"),
])
def test_a_bad_list_is_refused_by_line_and_nothing_is_imported(desk_a, tmp_path: Path, capsys, edit, said) -> None:
    _, listed = desk_a
    bad = tmp_path / "bad.txt"
    bad.write_text("\n".join(edit(listed.read_text().splitlines())) + "\n")
    ws = tmp_path / "W"
    Workspace(ws).initialise()
    code, _out, err = run(capsys, "index", "import", bad, "--source", "X", "--workspace", ws)
    assert code == 2 and said in err and "nothing was imported" in err and "Traceback" not in err
    assert err.count("\n") == 2  # the workspace line and the one error line
    with Workspace(ws).reading() as conn:
        assert conn.execute("SELECT COUNT(*) FROM reference").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM hash_list").fetchone()[0] == 0


def test_export_never_overwrites(desk_a, tmp_path: Path, capsys) -> None:
    ws_a, _ = desk_a
    out = tmp_path / "exists.txt"
    out.write_text("keep me")
    code, _, err = run(capsys, "index", "export", "--out", out, "--workspace", ws_a)
    assert code == 2 and "exists already" in err and out.read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["exists.txt"]  # no temporary file left


def test_migration_9_upgrades_a_schema_8_workspace_and_keeps_its_references(desk_a, tmp_path: Path, capsys) -> None:
    _, listed = desk_a
    root = workspace_at_schema(tmp_path / "old", 8,
                               "INSERT INTO reference (id, path, sha256, kind, frames, added_at, first_seen) VALUES "
                               "('old', '/x.mp4', 'ab', 'video', 0, '2020-01-01T00:00:00+00:00', '2019-01-01')")
    code, _out, err = run(capsys, "index", "import", listed, "--source", "Desk A", "--workspace", root)
    assert code == 0, err
    with Workspace(root).reading() as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(_MIGRATIONS) >= 9
        ids = {r[0] for r in conn.execute("SELECT id FROM reference")}
        listed_ids = {r[0] for r in conn.execute("SELECT reference_id FROM hash_list_reference")}
    assert ids == {"old", "archive_footage", "photo_astronaut", "photo_coins"} and "old" not in listed_ids
    assert (root / DB_NAME).is_file()
    code, _out, _ = run(capsys, "index", "remove", "archive_footage", "--workspace", root)
    assert code == 0
    with Workspace(root).reading() as conn:  # its list membership goes with it
        assert conn.execute("SELECT COUNT(*) FROM hash_list_reference").fetchone()[0] == 2
        assert conn.execute("SELECT COUNT(*) FROM frame WHERE reference_id = 'archive_footage'").fetchone()[0] == 0


def test_the_export_format_is_vpdq_lines_under_json_metadata(desk_a) -> None:
    _, listed = desk_a
    lines = listed.read_text().splitlines()
    header = json.loads(lines[0].split(" ", 1)[1])
    assert lines[0].startswith("#provenance.hashlist/2 ")
    assert header["frame_line"] == "frame_number,quality,pdq_hex,timestamp"
    assert header["references"] == 3 and header["frames"] == 44
    frames = [line.split(",") for line in lines if not line.startswith("#")]
    assert len(frames) == 44 and all(len(f) == 4 and len(f[2]) == 64 and f[3].count(".") == 1 for f in frames)
    assert all(len(f[3].split(".")[1]) == 3 and 0 <= int(f[1]) <= 100 for f in frames)  # vPDQ's 3-decimal times
    assert not any(np.isnan(float(f[3])) for f in frames)
