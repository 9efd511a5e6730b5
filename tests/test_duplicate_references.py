"""The same footage indexed more than once (issue 12): copies never cancel or split a match.

A clip made from two of scikit-image's photographs (slow pans, as documentaries animate stills) is indexed as
published by one channel, then a byte-identical copy of it from an agency (another folder, an earlier
first-seen date) and a re-encode of it (smaller, stronger compression) from a third source. Cropped and
vertical (9:16 blurred-fill) reposts of a 5-s excerpt must match all three, earliest first-seen first, each with
the excerpt's segment. Before the fix the copies cancelled the keypoint match (Lowe's ratio test ran over the
whole index: a second copy of a descriptor is as near as the first) and the crop matched one reference at most.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

from provenance.cli import main as cli_main
from provenance.media import probe
from provenance.visual.frames import DETAIL_SIZE
from provenance.visual.hashing import Fingerprint, fingerprint
from provenance.visual.index import KnownImageryIndex, first_seen_order
from provenance.visual.matching import match
from provenance.workspace import Workspace

from conftest import cli, read_frames, workspace_at_schema, write_clip

W, H, FPS = 640, 360, 25
EXCERPT = (2.0, 7.0)  # the reposts reuse this stretch of the original (seconds)
FIRST_SEEN = {"original": "2016-03-01", "copy": "2014-05-01", "reencode": "2015-01-01"}


def _pan(photo: np.ndarray, seconds: float, rightwards: bool) -> list[np.ndarray]:
    """A slow horizontal pan over a photograph: every sampled frame differs, so the offset is knowable."""
    scale = max(W * 1.5 / photo.shape[1], H * 1.2 / photo.shape[0])
    big = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    n, span, y0 = int(seconds * FPS), big.shape[1] - W, (big.shape[0] - H) // 2
    xs = [round(span * i / (n - 1)) for i in range(n)]
    return [np.ascontiguousarray(big[y0:y0 + H, x:x + W]) for x in (xs if rightwards else xs[::-1])]


def _vertical(frame: np.ndarray, vw: int = 360, vh: int = 640) -> np.ndarray:
    """A 9:16 phone repost: the picture across the middle over a blurred, zoomed copy of itself."""
    side = frame[:, (W - H * vw // vh) // 2:][:, : H * vw // vh]
    canvas = cv2.GaussianBlur(cv2.resize(side, (vw, vh)), (0, 0), 12)
    fg = cv2.resize(frame, (vw, vw * H // W), interpolation=cv2.INTER_AREA)
    y = (vh - fg.shape[0]) // 2
    canvas[y:y + fg.shape[0]] = fg
    return canvas


@dataclass
class Footage:
    original: Path  # channel/clip.mp4
    copy: Path  # agency/clip.mp4: the same bytes
    reencode: Path  # 480x270, CRF 32
    cropped: Fingerprint
    vertical: Fingerprint


def _query(path: Path) -> Fingerprint:
    """Fingerprint a clip as the visual stage does: mirrors, content boxes and keypoint frames."""
    return fingerprint(probe(path), mirror=True, keypoint_frames_s=2.0, keypoint_frame_size=DETAIL_SIZE,
                       content=True)


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> Footage:
    root = tmp_path_factory.mktemp("footage")
    (root / "channel").mkdir()
    (root / "agency").mkdir()
    frames = _pan(skimage.data.astronaut(), 4, True) + _pan(skimage.data.chelsea(), 4, False)
    original = write_clip(root / "channel" / "clip.mp4", frames, FPS, crf=20)
    copy = root / "agency" / "clip.mp4"
    shutil.copyfile(original, copy)
    decoded, _ = read_frames(original)
    reencode = write_clip(root / "reencode.mp4", [cv2.resize(f, (480, 270), interpolation=cv2.INTER_AREA)
                                                  for f in decoded], FPS, crf=32)
    excerpt, _ = read_frames(original, *EXCERPT)
    # keep 72% x 75% of the picture (54% of its area) scaled back up: global hashes fail, keypoints must do it
    cropped = write_clip(root / "cropped.mp4", [cv2.resize(f[40:310, 60:520], (W, H)) for f in excerpt], FPS)
    vertical = write_clip(root / "vertical.mp4", [_vertical(f) for f in excerpt], FPS)
    return Footage(original, copy, reencode, _query(cropped), _query(vertical))


def _index_all(index: KnownImageryIndex, footage: Footage) -> dict[str, object]:
    results = {}
    for name, path, source in (("original", footage.original, "channel A"), ("copy", footage.copy, "agency B"),
                               ("reencode", footage.reencode, "channel C")):
        (results[name],) = index.add([path], source=source, first_seen=FIRST_SEEN[name])
    return results


@pytest.fixture
def index(tmp_path: Path, footage: Footage) -> KnownImageryIndex:
    idx = KnownImageryIndex(Workspace(tmp_path / "ws"))
    results = _index_all(idx, footage)
    assert [r.status for r in results.values()] == ["added", "linked", "added"], [r.message for r in
                                                                                   results.values()]
    return idx


def _check_every_source(matches, ids: list[str], *, need: float) -> None:
    """The expected references in that order, each with its own date and the excerpt's segment."""
    assert [m.reference_id for m in matches] == ids
    dates = [m.first_seen for m in matches]
    assert dates == sorted(dates, key=first_seen_order)
    for m in matches:
        assert m.query_coverage >= need, m
        seg = max(m.segments, key=lambda s: s.query_end - s.query_start)
        assert seg.reference_start - seg.query_start == pytest.approx(EXCERPT[0], abs=0.75), seg
        assert seg.query_start <= 1.0 and seg.query_end >= 3.0, seg


def test_add_says_identical_and_near_identical(tmp_path: Path, footage: Footage) -> None:
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    results = _index_all(index, footage)
    original, copy, reencode = results["original"], results["copy"], results["reencode"]
    assert original.status == "added" and original.near is None
    assert copy.status == "linked"
    assert copy.message == f"byte-identical to reference {original.reference.id}: linked, frames shared"
    # its own id (the folder tells the two clip.mp4 apart), source and date; the original's are untouched
    assert copy.reference.id == "agency/clip" and copy.reference.same_as == "clip"
    assert (copy.reference.source, copy.reference.first_seen) == ("agency B", "2014-05-01")
    assert (index.get("clip").source, index.get("clip").first_seen) == ("channel A", "2016-03-01")
    assert reencode.status == "added" and reencode.near is not None
    assert reencode.near.reference_id == "clip" and reencode.near.frames_within > reencode.near.frames / 2
    assert reencode.message == (f"near-identical to reference clip ({reencode.near.frames_within} of "
                                f"{reencode.near.frames} frames within PDQ distance 31)")
    stats = index.stats()
    assert (stats.references, stats.linked_references) == (3, 1)
    assert stats.frames == original.reference.frames + reencode.reference.frames  # the copy stored no frames


def test_readding_the_same_file_updates_it_and_other_ids_link(index: KnownImageryIndex, footage: Footage) -> None:
    (again,) = index.add([footage.original], title="Astronaut and cat")
    assert again.status == "updated" and again.reference.id == "clip" and again.reference.same_as is None
    (same,) = index.add([footage.copy])
    assert same.status == "unchanged" and same.reference.id == "agency/clip"
    (named,) = index.add([footage.original], id="wire-2013", first_seen="2013-02-02")
    assert named.status == "linked" and named.reference.same_as == "clip"
    assert index.stats().linked_references == 2


def test_cropped_repost_matches_every_copy_earliest_first(index: KnownImageryIndex, footage: Footage) -> None:
    matches, _ = match(footage.cropped, index)
    _check_every_source(matches, ["agency/clip", "reencode", "clip"], need=0.5)
    assert all("local" in m.methods for m in matches)
    assert [m.source for m in matches] == ["agency B", "channel C", "channel A"]


def test_vertical_repost_matches_every_copy_earliest_first(index: KnownImageryIndex, footage: Footage) -> None:
    matches, _ = match(footage.vertical, index)
    _check_every_source(matches, ["agency/clip", "reencode", "clip"], need=0.8)


def test_removing_a_copy_or_the_holder_keeps_the_others(index: KnownImageryIndex, footage: Footage) -> None:
    # the reference holding the frames hands them to the copy linked to it: nothing is left without frames
    removed = index.remove("clip")
    assert removed and removed.frames_to == "agency/clip"
    assert index.get("agency/clip").same_as is None and index.get("clip") is None
    stats = index.stats()
    assert (stats.references, stats.linked_references) == (2, 0) and stats.frames > 0
    _check_every_source(match(footage.cropped, index)[0], ["agency/clip", "reencode"], need=0.5)
    assert index.remove("reencode") and not index.remove("reencode")
    _check_every_source(match(footage.cropped, index)[0], ["agency/clip"], need=0.5)


def test_footage_stored_twice_by_an_earlier_version_still_matches_both(
    index: KnownImageryIndex, footage: Footage
) -> None:
    """Workspaces indexed before linking hold byte-identical copies with frames of their own."""
    with index.workspace.transaction() as conn:
        conn.execute("INSERT INTO reference (id, title, source, url, first_seen, path, sha256, kind, duration_s,"
                     " frames, added_at) SELECT 'legacy', title, 'old desk', url, '2013-01-01', path || '.old',"
                     " sha256, kind, duration_s, frames, added_at FROM reference WHERE id = 'clip'")
        for table, cols in (("frame", "t, pdq, quality, phash"), ("keyframe", "t, width, height, points, descriptors")):
            conn.execute(f"INSERT INTO {table} (reference_id, {cols}) SELECT 'legacy', {cols} FROM {table}"
                         " WHERE reference_id = 'clip'")
    index._tables.clear()
    _check_every_source(match(footage.cropped, index)[0], ["legacy", "agency/clip", "reencode", "clip"], need=0.5)


def test_cli_says_linked_and_near_identical(tmp_path: Path, footage: Footage, capsys) -> None:
    ws = tmp_path / "cli-ws"
    assert cli("init", ws)[0] == 0  # a --workspace naming no workspace is refused (a typo)
    code, out, err = cli("index", "add", footage.original, "--first-seen", "2016-03-01", "--workspace", ws)
    assert code == 0, err
    assert out.startswith("added: clip (video, ")
    code, out, err = cli("index", "add", footage.copy, "--source", "agency B", "--first-seen", "2014-05-01",
                         "--workspace", ws)
    assert code == 0, err
    assert out.strip() == (f"linked: agency/clip (byte-identical to reference clip: linked, frames shared) "
                           f"{footage.copy}")
    # in process too (quicker), through the same command line
    assert cli_main(["index", "add", str(footage.reencode), "--workspace", str(ws)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("added: reencode (video, ")
    assert lines[1].startswith("  reencode is near-identical to reference clip (")
    assert lines[1].endswith(" frames within PDQ distance 31)")
    assert cli_main(["index", "list", "--workspace", str(ws)]) == 0
    listing = capsys.readouterr().out
    assert "same as clip" in next(line for line in listing.splitlines() if line.startswith("agency/clip "))
    assert cli_main(["index", "remove", "clip", "--workspace", str(ws)]) == 0
    assert capsys.readouterr().out.strip() == "removed clip (its frames now belong to agency/clip, linked to it)"


def test_a_schema_6_workspace_gains_links_and_keeps_its_references(tmp_path: Path, footage: Footage) -> None:
    """Migration 7 on a workspace written before it: its reference is kept and a copy of it links to it."""
    from provenance.workspace import _MIGRATIONS

    indexed = tmp_path / "indexed"  # the reference as the tool indexes it, carried into a schema-6 database
    KnownImageryIndex(Workspace(indexed)).add([footage.original], first_seen="2016-03-01")
    columns = "id, title, source, url, first_seen, path, sha256, kind, duration_s, frames, added_at"
    root = workspace_at_schema(
        tmp_path / "old", 6,
        f"ATTACH DATABASE '{indexed / 'provenance.db'}' AS indexed",
        f"INSERT INTO reference ({columns}) SELECT {columns} FROM indexed.reference",
        "INSERT INTO frame SELECT * FROM indexed.frame",
        "INSERT INTO keyframe SELECT * FROM indexed.keyframe",
    )
    index = KnownImageryIndex(Workspace(root))
    assert index.get("clip").same_as is None and index.get("clip").first_seen == "2016-03-01"
    (copy,) = index.add([footage.copy])
    assert copy.status == "linked" and copy.reference.same_as == "clip"
    with Workspace(root).reading() as reader:
        assert reader.execute("PRAGMA user_version").fetchone()[0] == len(_MIGRATIONS) >= 7
