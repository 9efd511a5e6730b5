"""Hash lists and stored hashes across the PDQ bit-order change (workspace migration 11), and the list checks the
tester of issue 19 found loose: truncation at a block boundary, local paths in names, duplicates, bounds.

Lists are written by `index export` (and, for the older `/1` lists, as the tool wrote them before: the same lines
with each hash bit-reversed under a `/1` header); clips are the real sample clips.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from provenance.pipeline import verify
from provenance.visual.signals import PDQ
from provenance.visual.store import FINGERPRINT_FILE, FingerprintError, unpack
from provenance.workspace import _MIGRATIONS, Workspace

from conftest import SAMPLES, cli_in_process, workspace_at_schema

KNOWN = SAMPLES / "known"
CLIPS = SAMPLES / "clips"


def run(capsys: pytest.CaptureFixture[str], *args: str | os.PathLike) -> tuple[int, str, str]:
    return cli_in_process(capsys, *args)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A workspace with the archive clip and a photo, and its export (default name)."""
    from provenance.cli import main

    root = tmp_path_factory.mktemp("desk")
    ws = root / "D"
    Workspace(ws).initialise()
    assert main(["index", "add", str(KNOWN / "archive_footage.mp4"), "--first-seen", "2019-03-14",
                 "--title", "Archive montage", "--workspace", str(ws)]) == 0
    assert main(["index", "add", str(KNOWN / "photo_astronaut.jpg"), "--workspace", str(ws)]) == 0
    out = root / "list.txt"
    assert main(["index", "export", "--out", str(out), "--workspace", str(ws)]) == 0
    return ws, out


def old_order(text: str) -> str:
    """A /2 list as provenance wrote it before migration 11: a /1 header and every hash bit-reversed."""
    lines = []
    for line in text.splitlines():
        if line.startswith("#provenance.hashlist/2 "):
            line = "#provenance.hashlist/1 " + line.split(" ", 1)[1]
        elif not line.startswith("#"):
            n, q, hexdigits, t = line.split(",")
            line = f"{n},{q},{PDQ.reverse_bits(bytes.fromhex(hexdigits)).hex()},{t}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def match_summary(clip: Path, ws: Path) -> list[tuple]:
    report = verify(clip, pipeline="quick", workspace=ws)
    return [(m.reference_id, m.first_seen, [(round(s.query_start, 1), round(s.reference_start, 1))
                                            for s in m.segments]) for m in report.visual.matches]


def test_a_list_written_before_the_bit_order_change_still_matches(desk, tmp_path: Path, capsys) -> None:
    ws_a, listed = desk
    old = tmp_path / "old.txt"
    old.write_text(old_order(listed.read_text()))
    ws = tmp_path / "B"
    Workspace(ws).initialise()
    code, out, err = run(capsys, "index", "import", old, "--source", "Desk D", "--workspace", ws)
    assert code == 0, err
    assert "is a provenance.hashlist/1 list" in out and "read in that older order" in out
    assert match_summary(CLIPS / "reuse_edited.mp4", ws) == match_summary(CLIPS / "reuse_edited.mp4", ws_a) != []


def test_migration_11_turns_stored_hashes_into_threatexchange_order(desk, tmp_path: Path) -> None:
    """A schema-9 workspace holding the archive clip's frames as the tool stored them then (bit-reversed) comes
    out of the migration with the hashes a fresh index add gives, its derived files stale, and matching."""
    ws_a, _ = desk
    with Workspace(ws_a).reading() as conn:
        fresh = [(r[0], r[1], bytes(r[2])) for r in conn.execute(
            "SELECT reference_id, t, pdq FROM frame ORDER BY reference_id, t")]
        refs = [tuple(r) for r in conn.execute("SELECT id, title, source, url, first_seen, path, sha256, kind, "
                                               "duration_s, frames, added_at FROM reference")]
    root = workspace_at_schema(tmp_path / "old", 9)
    conn = sqlite3.connect(root / "provenance.db")
    conn.executemany("INSERT INTO reference (id, title, source, url, first_seen, path, sha256, kind, duration_s, "
                     "frames, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", refs)
    conn.executemany("INSERT INTO frame (reference_id, t, pdq, quality, phash) VALUES (?,?,?,100,'')",
                     [(r, t, PDQ.reverse_bits(h)) for r, t, h in fresh])
    conn.commit()
    generation = int(conn.execute("SELECT value FROM meta WHERE key = 'index_generation'").fetchone()[0])
    conn.close()
    with Workspace(root).reading() as conn:  # opening migrates
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(_MIGRATIONS) >= 11
        migrated = [(r[0], r[1], bytes(r[2])) for r in conn.execute(
            "SELECT reference_id, t, pdq FROM frame ORDER BY reference_id, t")]
        assert int(conn.execute("SELECT value FROM meta WHERE key = 'index_generation'").fetchone()[0]) > generation
    assert migrated == fresh
    (m,) = verify(CLIPS / "reuse_edited.mp4", pipeline="quick", workspace=root).visual.matches
    assert m.reference_id == "archive_footage"


def test_a_fingerprint_stored_in_the_old_bit_order_is_not_matched_again(desk, tmp_path: Path) -> None:
    ws_a, _ = desk
    report = verify(CLIPS / "reuse_edited.mp4", pipeline="quick", workspace=ws_a)
    data = report.artefacts.files[FINGERPRINT_FILE]
    assert unpack(data, report).frames  # as written now: usable
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        members = {name: npz[name] for name in npz.files}
    members["format"] = np.array("provenance.fingerprint/2")  # as written before migration 11
    members["pdq"] = np.stack([np.frombuffer(PDQ.reverse_bits(row.tobytes()), np.uint8) for row in members["pdq"]])
    buf = io.BytesIO()
    np.savez(buf, **members)
    with pytest.raises(FingerprintError, match="bit-reversed against ThreatExchange's order"):
        unpack(buf.getvalue(), report)


def test_a_list_cut_at_a_block_boundary_is_refused(desk, tmp_path: Path, capsys) -> None:
    _, listed = desk
    lines = listed.read_text().splitlines()
    second = next(i for i, line in enumerate(lines) if i > 1 and line.startswith("#reference "))
    cut = tmp_path / "cut.txt"
    cut.write_text("\n".join(lines[:second]) + "\n")
    ws = tmp_path / "W"
    Workspace(ws).initialise()
    code, _out, err = run(capsys, "index", "import", cut, "--source", "X", "--workspace", ws)
    assert code == 2 and "the header gives references 2 but 1 follow: the list is truncated" in err
    with Workspace(ws).reading() as conn:
        assert conn.execute("SELECT COUNT(*) FROM reference").fetchone()[0] == 0


def test_the_default_list_name_names_no_local_path(desk) -> None:
    ws, listed = desk
    header = json.loads(listed.read_text().splitlines()[0].split(" ", 1)[1])
    assert header["name"].startswith("known footage (workspace ") and str(ws.parent) not in listed.read_text()


@pytest.mark.parametrize(("edit", "said"), [
    (lambda ls: [ls[0], ls[1], ls[2] + ",EXTRA", *ls[3:]], "line 3: not a vPDQ frame line"),
    (lambda ls: [ls[0], ls[1], ls[2], ls[2], *ls[3:]], "line 4: frame number 0 is given twice"),
    (lambda ls: [ls[0], ls[1], "1" + "0" * 23 + ls[2][1:], *ls[3:]], "line 3: frame number outside"),
    (lambda ls: [ls[0], ls[1].replace('"first_seen": "2019-03-14"', '"first_seen": "1850-01-01"'), *ls[2:]],
     "line 2: first_seen 1850-01-01 is before the oldest surviving motion picture"),
    (lambda ls: [ls[0], ls[1].replace('"title": "Archive montage"', '"title": "bad \\ud800"'), *ls[2:]],
     "line 2: 'title' holds an unpaired UTF-16 surrogate"),
    (lambda ls: [ls[0], ls[1].replace('{"id"', '{"title": "twice", "id"'), *ls[2:]], "a key is given twice"),
    (lambda ls: [ls[0].replace('"frames": ', '"frames": 1'), *ls[1:]], "the header gives frames 1"),
])
def test_list_lines_are_checked_as_strictly_as_sidecars(desk, tmp_path: Path, capsys, edit, said) -> None:
    _, listed = desk
    bad = tmp_path / "bad.txt"
    bad.write_text("\n".join(edit(listed.read_text().splitlines())) + "\n")
    ws = tmp_path / "W"
    Workspace(ws).initialise()
    code, _out, err = run(capsys, "index", "import", bad, "--source", "X", "--workspace", ws)
    assert code == 2 and said in err and "nothing was imported" in err and "Traceback" not in err
    assert err.count("\n") == 2


def test_a_byte_order_mark_is_no_bad_line(desk, tmp_path: Path, capsys) -> None:
    _, listed = desk
    marked = tmp_path / "bom.txt"
    marked.write_bytes(b"\xef\xbb\xbf" + listed.read_bytes())
    ws = tmp_path / "W"
    Workspace(ws).initialise()
    code, out, err = run(capsys, "index", "import", marked, "--source", "X", "--workspace", ws)
    assert code == 0 and "2 references added" in out, err


def test_importing_its_own_export_links_and_matches_once(desk, tmp_path: Path, capsys) -> None:
    ws_a, listed = desk
    ws = tmp_path / "copy"
    import shutil

    shutil.copytree(ws_a, ws)
    code, out, err = run(capsys, "index", "import", listed, "--source", "Ourselves", "--workspace", ws)
    assert code == 0, err
    assert "was exported from this workspace" in out
    assert "already here: archive_footage (the same frames and details as listed archive_footage)" in out
    assert "0 references added" in out
    report = verify(CLIPS / "reuse_edited.mp4", pipeline="quick", workspace=ws)
    assert sum(f.code == "known_imagery_match" for f in report.findings) == 1
    with Workspace(ws).reading() as conn:
        assert conn.execute("SELECT COUNT(*) FROM frame").fetchone()[0] == 43  # 42 + 1: none stored twice
    # a partner's copy of the same footage with another first-seen date: linked (its frames not stored again),
    # and matched under its own date
    partner = tmp_path / "partner.txt"
    partner.write_text(listed.read_text().replace('"first_seen": "2019-03-14"', '"first_seen": "2018-06-01"'))
    code, out, err = run(capsys, "index", "import", partner, "--source", "Ourselves", "--workspace", ws)
    assert code == 0 and "linked to archive_footage: the same frames, already indexed here" in out, err
    with Workspace(ws).reading() as conn:
        assert conn.execute("SELECT COUNT(*) FROM frame").fetchone()[0] == 43
    firsts = [m.first_seen for m in verify(CLIPS / "reuse_edited.mp4", pipeline="quick", workspace=ws).visual.matches]
    assert firsts == ["2018-06-01", "2019-03-14"]
    again = tmp_path / "again.txt"
    code, _out, err = run(capsys, "index", "export", "--out", again, "--workspace", ws)
    assert code == 0, err
    block = next(json.loads(line.split(" ", 1)[1]) for line in again.read_text().splitlines()
                 if line.startswith("#reference ") and "Ourselves" in line)
    assert block["shared_in"]["source"] == "Ourselves" and len(block["sha256"]) == 64


def test_export_into_a_folder_says_it_is_a_folder(desk, tmp_path: Path, capsys) -> None:
    ws, _ = desk
    code, _out, err = run(capsys, "index", "export", "--out", tmp_path, "--workspace", ws)
    assert code == 2 and "is a folder" in err
