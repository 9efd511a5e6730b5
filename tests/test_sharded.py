"""The index sharded by reference (provenance.visual.sharded) gives one process's matches, field for field.

Real clips: the bundled known imagery indexed with two corpus videos beside it, queried by the sample clips and
by a cropped repost of the archive footage (hashes cannot explain a crop: every keypoint frame goes to the
keypoint search, so the merged shortlist and the verification on the shards are exercised, not only PDQ).
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import cv2
import pytest

from provenance.batch.model import BatchOptions
from provenance.batch.run import dask_client
from provenance.config import load_pipeline
from provenance.media import probe
from provenance.visual.index import KnownImageryIndex
from provenance.visual.matching import match
from provenance.visual.sharded import ShardedIndex, local_shards, plan, sharded_index
from provenance.visual.stage import query_fingerprint
from provenance.workspace import Workspace

from conftest import cli_in_process, read_frames, write_clip


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, samples: Path, corpus: Path) -> tuple[Workspace, list]:
    tmp = tmp_path_factory.mktemp("sharded")
    ws = Workspace(tmp / "ws")
    index = KnownImageryIndex(ws)
    pipeline = load_pipeline("standard")
    videos = sorted((corpus / "video").glob("*.mp4"))[:2]
    for path in [samples / "known", *videos]:
        index.add([path], frames=pipeline.visual.frames, matching=pipeline.visual.matching)
    frames, fps = read_frames(samples / "known" / "archive_footage.mp4")
    h, w = frames[0].shape[:2]
    crop = [cv2.resize(f[int(h * .1):int(h * .85), 0:int(w * .7)], (w, h)) for f in frames]
    cropped = write_clip(tmp / "cropped.mp4", crop, fps)
    clips = [samples / "clips" / n for n in ("reuse_edited.mp4", "photo_reuse.jpg", "unrelated.mp4")]
    queries = [query_fingerprint(probe(p), pipeline.visual) for p in [*clips, cropped]]
    return ws, queries


def _as_dicts(matches: list) -> list[dict]:
    return [dataclasses.asdict(m) for m in matches]


@pytest.mark.slow
@pytest.mark.parametrize("shards", [1, 2, 3, 5])
def test_sharded_matches_are_one_process_matches(indexed: tuple[Workspace, list], shards: int) -> None:
    ws, queries = indexed
    config = load_pipeline("standard").visual.matching
    single = KnownImageryIndex(ws)
    shard_plan = plan(ws, shards)
    assert sorted(r for part in shard_plan.shards for r in part) == sorted(
        r.id for r in single.list() if r.same_as is None)
    sharded = ShardedIndex(ws, shard_plan, local_shards(ws, shard_plan))
    found = []
    for fp in queries:
        one, _ = match(fp, single, config)
        many, _ = match(fp, sharded, config)
        assert _as_dicts(many) == _as_dicts(one)
        found.append({m.reference_id for m in one})
    assert "archive_footage" in found[0] and "archive_footage" in found[3]  # a PDQ match and a keypoint one
    assert "local" in next(m.methods for m in match(queries[3], single, config)[0]
                           if m.reference_id == "archive_footage")
    assert "archive_footage" not in found[2]  # the "unrelated" clip reuses a corpus video, not the archive


@pytest.mark.slow
def test_plan_balances_and_keeps_every_reference(indexed: tuple[Workspace, list]) -> None:
    ws, _ = indexed
    two = plan(ws, 2)
    assert all(two.shards) and len(two.shards) == 2
    assert plan(ws, 2) == two  # the same index gives the same plan
    too_many = plan(ws, 9)  # more shards than references: some are empty, and still search
    sharded = ShardedIndex(ws, too_many, local_shards(ws, too_many))
    assert sum(len(s) for s in too_many.shards) == len(two.shards[0]) + len(two.shards[1])
    config = load_pipeline("standard").visual.matching
    fp = indexed[1][0]
    assert _as_dicts(match(fp, sharded, config)[0]) == _as_dicts(match(fp, KnownImageryIndex(ws), config)[0])


@pytest.mark.slow
def test_on_dask_workers_each_shard_loads_once_in_its_own_process(indexed: tuple[Workspace, list]) -> None:
    ws, queries = indexed
    config = load_pipeline("standard").visual.matching
    single = KnownImageryIndex(ws)
    with dask_client(BatchOptions(workers=2)) as client:
        sharded = sharded_index(client, ws, 2)
        for fp in queries:
            assert _as_dicts(match(fp, sharded, config)[0]) == _as_dicts(match(fp, single, config)[0])
        infos = sharded.infos()
        again = sharded.infos()
    assert len({i.pid for i in infos}) == 2 and os.getpid() not in {i.pid for i in infos}
    assert [i.load_s for i in again] == [i.load_s for i in infos]  # held, not loaded per query
    assert sum(i.frames for i in infos) == single.matchable_frames(config.min_quality)


@pytest.mark.slow
def test_an_index_change_reloads_the_shards(indexed: tuple[Workspace, list], tmp_path: Path, samples: Path) -> None:
    _ws, queries = indexed
    copy = Workspace(tmp_path / "ws")
    index = KnownImageryIndex(copy)
    index.add([samples / "known" / "photo_astronaut.jpg"])
    shard_plan = plan(copy, 2)
    sharded = ShardedIndex(copy, shard_plan, local_shards(copy, shard_plan),
                           load=lambda w, p: local_shards(w, p))
    config = load_pipeline("standard").visual.matching
    assert match(queries[0], sharded, config)[0] == []  # the archive footage is not indexed yet
    index.add([samples / "known" / "archive_footage.mp4"])
    sharded.state(config.min_quality)  # the visual stage reads the state before matching
    assert "archive_footage" in {m.reference_id for m in match(queries[0], sharded, config)[0]}
    now = plan(copy, 2)
    frozen = ShardedIndex(copy, now, local_shards(copy, now))  # no way to load shards again: refused, not stale
    index.remove("photo_astronaut")
    with pytest.raises(RuntimeError, match="changed"):
        frozen.state(config.min_quality)


@pytest.mark.slow
def test_batch_with_shards_writes_the_reports_of_one_index(indexed: tuple[Workspace, list], samples: Path,
                                                           tmp_path: Path) -> None:
    """``batch --shards 2``: the index held in two shards by the workers, the same matches in every report."""
    from provenance.batch import run_batch

    ws, _ = indexed
    clips = samples / "clips"
    whole = run_batch([clips], pipeline="quick", workspace=ws, options=BatchOptions(out=tmp_path / "a", workers=2))
    sharded = run_batch([clips], pipeline="quick", workspace=ws,
                        options=BatchOptions(out=tmp_path / "b", workers=2, shards=2))
    assert "2 shards" in sharded.scheduler
    assert sharded.counts.errors == sharded.counts.stage_errors == whole.counts.stage_errors == 0

    def matches(result, out: Path) -> dict[str, list]:
        return {Path(i.path).name: json.loads((out / i.report / "report.json").read_text())["visual"]["matches"]
                for i in result.items}

    got, want = matches(sharded, tmp_path / "b"), matches(whole, tmp_path / "a")
    assert got == want and len(got) == 5
    assert any(want.values())  # not a comparison of empty lists


def test_batch_refuses_shards_without_a_cluster(samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = cli_in_process(capsys, "batch", samples / "clips", "--shards", "2", "--workers", "0")
    assert code == 2 and "--shards" in err and "cluster" in err
    code, _out, err = cli_in_process(capsys, "batch", samples / "clips", "--shards", "-1")
    assert code == 2 and "--shards" in err


@pytest.mark.slow
def test_a_shard_opens_the_derived_files_and_reads_no_rows_from_sqlite(indexed: tuple[Workspace, list]) -> None:
    """A shard's cold start maps the files one process searches (issue 20): no frame or keypoint row is read from
    SQLite, its references' rows and keypoint frames together are the whole index, and a plan made at another
    generation is refused rather than searched."""
    from provenance.visual.sharded import Shard

    ws, queries = indexed
    config = load_pipeline("standard").visual.matching
    single = KnownImageryIndex(ws)
    match(queries[3], single, config)  # the derived files are current (written by index add, checked here)
    shard_plan = plan(ws, 2)
    shards = local_shards(ws, shard_plan)
    assert [(s.index.frame_rows_read, s.index.keyframe_rows_read) for s in shards] == [(0, 0), (0, 0)]
    infos = [s.describe() for s in shards]
    table = single._keypoint_frame_table()
    assert sum(i.frames for i in infos) == single.matchable_frames(config.min_quality)
    assert sum(i.keypoint_frames for i in infos) == len(table.slots)
    assert sum(i.descriptors for i in infos) == table.faiss_index.ntotal > 0
    assert all(i.frames and i.mapped_bytes > 0 for i in infos)
    with pytest.raises(RuntimeError, match="changed"):
        Shard(str(ws.root), shard_plan.shards[0], config.min_quality, shard_plan.generation - 1)


@pytest.mark.slow
def test_each_shard_searches_files_of_its_own_through_tables_and_the_inverted_file(
        indexed: tuple[Workspace, list], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Per-shard derived files (issue 20): with the multi-index tables and the keypoint inverted file in use (forced
    at this size), each shard searches only its references' hash rows and descriptors, cut once into files of its
    own, and the shards together still give one process's matches, field for field."""
    import shutil

    import faiss

    from provenance.visual.signals import PDQ

    monkeypatch.setenv("PROVENANCE_KEYPOINT_IVF_MIN", "0")
    monkeypatch.setenv("PROVENANCE_HASH_MIH_MIN", "10")
    shutil.copytree(indexed[0].root, tmp_path / "ws")
    ws, queries = Workspace(tmp_path / "ws"), indexed[1]
    config = load_pipeline("standard").visual.matching
    single = KnownImageryIndex(ws)
    assert isinstance(single._keypoint_frame_table().faiss_index, faiss.IndexBinaryIVF)
    assert single._hash_table(PDQ.min_quality).search.mih is not None
    total_rows = single.matchable_frames(config.min_quality)
    total_descriptors = single._keypoint_frame_table().faiss_index.ntotal
    shard_plan = plan(ws, 3)
    shards = local_shards(ws, shard_plan)
    infos = [s.describe() for s in shards]
    assert all(i.cut_s > 0 for i in infos)  # cut from the source files on first opening
    assert sum(i.frames for i in infos) == total_rows and max(i.frames for i in infos) < total_rows
    assert sum(i.descriptors for i in infos) == total_descriptors
    for shard, info in zip(shards, infos, strict=True):
        assert isinstance(shard.faiss_index, faiss.IndexBinaryIVF)  # the source's cells, its descriptors only
        assert shard.faiss_index.ntotal == info.descriptors < total_descriptors
        assert shard._own is not None and len(shard._own.hashes.hashes) == info.frames
        assert (shard._own.hashes.mih is not None) == (info.frames >= 10)
    sharded = ShardedIndex(ws, shard_plan, shards)
    for fp in queries:
        assert _as_dicts(match(fp, sharded, config)[0]) == _as_dicts(match(fp, single, config)[0])
    assert "local" in next(m.methods for m in match(queries[3], sharded, config)[0]
                           if m.reference_id == "archive_footage")
    again = local_shards(ws, shard_plan)  # a second opening maps what the first cut
    assert [s.describe().cut_s for s in again] == [0.0, 0.0, 0.0]
    assert [(s.index.frame_rows_read, s.index.keyframe_rows_read) for s in again] == [(0, 0)] * 3
