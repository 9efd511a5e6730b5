"""The known-imagery index sharded by reference across Dask workers: queries fanned out, hits merged, same matches.

Why (issue 20): an archive of 10^8 indexed frames does not fit one machine's memory with its keypoint frames,
and its hash search would be paid by one process. Sharded, each Dask worker holds the search tables of a share
of the references (a :class:`Shard`, a Dask *actor*: loaded once, on that worker, from the workspace's SQLite,
then kept), and the process that verifies sends each query's fingerprints to every shard once and merges what
comes back. Everything else about a match (metadata, coverage, alignment, segments, linked references) runs
where it always runs, on the merged hits, through :class:`ShardedIndex`, a :class:`KnownImageryIndex` whose
searches go to the shards: so ``matching.match`` is the ordinary code, not a copy.

Identical to one process, by construction (and tested on real clips and the matching benchmark's dev split):
  - PDQ: every shard returns every frame within the distance with its SQLite ``rowid``; the merged hits are
    ordered by (query, rowid), the order one process's exact flat scan gives (it scans rows in rowid order),
    because ``matching`` breaks ties by hit order.
  - Keypoints: a shard returns each query descriptor's ``NEIGHBOURS`` nearest among its descriptors, named by
    the *slot key* of their keypoint frame (the rowid of the slot's first row: slots, byte-identical keypoint
    frames stored once, are numbered in rowid order by one process, so keys sort as its slot numbers do). The
    merged k nearest per descriptor give the same votes (a vote needs a distance below ``RATIO`` times the
    k-th nearest, which ties cannot move), the same shortlist (ordered by votes, then slot), and the chosen
    frames are verified on their own shard, with the query's features kept there from the first call. References
    sharing a byte-identical keypoint frame are kept on one shard (:func:`plan`), so a slot never spans two.
  - Exact only while each shard's search is exact, as one process's is below its inverted-file sizes
    (``search.HASH_IVF_MIN_ROWS`` hashes, ``local_features.IVF_MIN_DESCRIPTORS`` descriptors): past them a
    shard trains its own inverted file, approximate as one process's is, over other cells.
Metadata reads (``get``, ``linked``, ``hash_at``, ``hashes_near``, ``state``) stay with the process that
matches: the shards only search. Sizing for 10^8 frames is in DESIGN.md ("Sharded search"), from
``benchmarks/bench_shards.py``.
"""

from __future__ import annotations

import json
import os
import resource
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import faiss
import numpy as np

from provenance.report.model import IndexState
from provenance.threads import faiss_single_thread
from provenance.visual import local_features as lf
from provenance.visual.index import Hit, KnownImageryIndex, LocalHit, _timing_slots, scanned_descriptors
from provenance.visual.local_features import LocalFeatures, verify
from provenance.visual.search import HashSearch, binary_ivf
from provenance.visual.signals import PDQ
from provenance.workspace import Workspace

if TYPE_CHECKING:
    from distributed import Client

# Bytes a reference's rows cost a shard, to balance them (measured from the structures Shard builds): a matchable
# PDQ frame 32 B hash + 4 B reference + 8 B time + 8 B rowid; a keypoint frame ~500 ORB descriptors of 32 B plus
# their float32 points (8 B each) and 8 B of owner per descriptor.
FRAME_BYTES = 52
KEYPOINT_FRAME_BYTES = 500 * (32 + 8 + 8)


@dataclass(frozen=True)
class ShardPlan:
    """Which references' frames each shard holds, made at one index generation.

    ``shards[i]`` lists reference ids that hold frames (linked references have none: their holder's shard
    serves them); ``generation`` is the ``index_generation`` the plan was made at.
    """

    shards: tuple[tuple[str, ...], ...]
    generation: int
    weights: tuple[int, ...]  # estimated bytes per shard (FRAME_BYTES, KEYPOINT_FRAME_BYTES)


def plan(workspace: Workspace, shards: int, min_quality: int = PDQ.min_quality) -> ShardPlan:
    """Split the references that hold frames into ``shards`` groups of about equal memory.

    Greedy: the heaviest group first, to the lightest shard (lowest number on a tie), so the same index always
    gives the same plan. A group is one reference, or references sharing a byte-identical keypoint frame (the
    same footage indexed twice before references could be linked): one process stores such a frame once, as one
    slot voted once, and a shard must do the same for the shortlist to be the same.
    """
    if shards < 1:
        raise ValueError(f"shards must be at least 1, got {shards}")
    with workspace.reading() as conn:
        generation = int(conn.execute("SELECT value FROM meta WHERE key = 'index_generation'").fetchone()[0])
        weight: dict[str, int] = {r[0]: 0 for r in conn.execute("SELECT id FROM reference WHERE same_as IS NULL")}
        for ref_id, n in conn.execute("SELECT reference_id, COUNT(*) FROM frame WHERE quality >= ? "
                                      "GROUP BY reference_id", (min_quality,)):
            weight[ref_id] = weight.get(ref_id, 0) + FRAME_BYTES * n
        for ref_id, n in conn.execute("SELECT reference_id, COUNT(*) FROM keyframe GROUP BY reference_id"):
            weight[ref_id] = weight.get(ref_id, 0) + KEYPOINT_FRAME_BYTES * n
        shared = conn.execute(  # SQLite compares BLOBs bytewise: byte-identical keypoint frames group together
            "SELECT json_group_array(DISTINCT reference_id) FROM keyframe GROUP BY width, height, points, "
            "descriptors HAVING COUNT(DISTINCT reference_id) > 1").fetchall()
    parent = {r: r for r in weight}

    def root(r: str) -> str:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    for (ids,) in shared:
        first, *rest = sorted(json.loads(ids))
        for other in rest:
            a, b = root(first), root(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for ref_id in sorted(weight):
        groups.setdefault(root(ref_id), []).append(ref_id)
    members: list[list[str]] = [[] for _ in range(shards)]
    load = [0] * shards
    for group in sorted(groups.values(), key=lambda g: (-sum(weight[r] for r in g), g[0])):
        i = min(range(shards), key=lambda k: (load[k], k))
        members[i] += group
        load[i] += sum(weight[r] for r in group)
    return ShardPlan(tuple(tuple(sorted(m)) for m in members), generation, tuple(load))


# -- the worker side -------------------------------------------------------------------------------------------
_KEPT_QUERIES = 64  # query frames a shard keeps between neighbours() and verify_chosen(): one per matching process
@dataclass
class ShardInfo:
    """What one shard holds and what loading it cost: the per-shard figures the 10^8-frame sizing is built on."""

    frames: int  # matchable PDQ frames
    keypoint_frames: int  # distinct keypoint frames (slots)
    descriptors: int  # searched ORB descriptors
    table_bytes: int  # hashes, rowids, times, descriptors, points held for search (numpy and FAISS arrays)
    load_s: float  # reading SQLite and building the search structures, on the worker
    peak_rss_bytes: int  # the worker process's peak resident memory after loading (ru_maxrss)
    pid: int


class Shard:
    """One shard's search tables, built once on the worker that holds it (a Dask actor, or in this process).

    Reads only its references' rows (``reference_ids``) from the workspace's SQLite, in rowid order. Never
    writes: derived files stay the single-process index's. Methods are called one at a time (Dask runs an
    actor's methods in one thread), so the per-query state (``_queries``, by token: several files are matched
    at once by several workers) needs no lock.
    """

    def __init__(self, workspace_root: str, reference_ids: Sequence[str], min_quality: int, generation: int) -> None:
        started = time.perf_counter()
        self.generation = generation
        self.min_quality = min_quality
        self._queries: dict[str, LocalFeatures] = {}
        wanted = json.dumps(list(reference_ids))
        with Workspace(workspace_root).reading() as conn:
            found = int(conn.execute("SELECT value FROM meta WHERE key = 'index_generation'").fetchone()[0])
            if found != generation:
                raise RuntimeError(f"index changed while the shards loaded (generation {found}, planned at "
                                   f"{generation})")
            rows = conn.execute(
                "SELECT rowid, reference_id, t, pdq FROM frame WHERE quality >= ? AND reference_id IN "
                "(SELECT value FROM json_each(?)) ORDER BY rowid", (min_quality, wanted)).fetchall()
            kp_rows = conn.execute(
                "SELECT rowid, reference_id, t, width, height, points, descriptors FROM keyframe WHERE reference_id "
                "IN (SELECT value FROM json_each(?)) ORDER BY rowid", (wanted,)).fetchall()
        self.ids = sorted({r[1] for r in rows})
        pos = {rid: i for i, rid in enumerate(self.ids)}
        hashes = np.frombuffer(b"".join(r[3] for r in rows), dtype=np.uint8).reshape(-1, PDQ.nbytes)
        self.hashes = HashSearch(hashes)
        self.rowids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        self.refs = np.fromiter((pos[r[1]] for r in rows), dtype=np.int32, count=len(rows))
        self.times = np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows))
        del rows
        self._load_keypoints(kp_rows)
        del kp_rows
        faiss_single_thread()
        self.info = ShardInfo(
            frames=len(self.rowids), keypoint_frames=len(self.slots), descriptors=int(self.kp_index.ntotal),
            table_bytes=int(len(self.rowids) * (PDQ.nbytes + 8 + 4 + 8)
                            + sum(s.descriptors.nbytes + s.points.nbytes for s in self.slots)
                            + self.kp_index.ntotal * (32 + 8)),
            load_s=round(time.perf_counter() - started, 3),
            peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, pid=os.getpid())

    def _load_keypoints(self, rows: list) -> None:
        """Slots as one process makes them (``KnownImageryIndex._keypoint_frame_table``), each named by a key."""
        slot_of: dict[tuple[int, int, bytes, bytes], int] = {}
        self.slots: list[LocalFeatures] = []
        self.members: list[list[tuple[str, float]]] = []
        keys: list[int] = []
        for r in rows:
            key = (r[3], r[4], bytes(r[5]), bytes(r[6]))
            if key not in slot_of:
                slot_of[key] = len(self.slots)
                self.slots.append(LocalFeatures.from_blobs(r[5], r[6], r[3], r[4]))
                self.members.append([])
                keys.append(int(r[0]))
            self.members[slot_of[key]].append((r[1], r[2]))
        self.keys = np.array(keys, dtype=np.int64)
        self.slot_at = {k: i for i, k in enumerate(keys)}
        descriptors, self.owner, self.timing = scanned_descriptors(self.slots, self.members)
        if len(descriptors) and len(descriptors) >= lf.ivf_min_descriptors():  # approximate, as one process is
            lists = lf.ivf_lists(len(descriptors))
            self.kp_index = binary_ivf(descriptors, lists, train_rows=lf.IVF_TRAIN_PER_LIST * lists)
            self.kp_index.nprobe = min(lf.IVF_NPROBE, self.kp_index.nlist)
        else:
            self.kp_index = faiss.IndexBinaryFlat(256)
            if len(descriptors):
                self.kp_index.add(descriptors)

    # -- called by ShardedIndex ------------------------------------------------------------------------------
    def describe(self) -> ShardInfo:
        return self.info

    def frame_counts(self) -> dict[str, int]:
        """Sampled moments per reference, as ``KnownImageryIndex.frame_counts`` counts them: a reference that
        wraps footage in an interface has its content box's hash row at the same time as the frame's."""
        if not len(self.refs):
            return {}
        moments = np.unique(np.column_stack([self.refs.astype(np.float64), self.times]), axis=0)
        counts = np.bincount(moments[:, 0].astype(np.int64), minlength=len(self.ids))
        return {rid: int(counts[i]) for i, rid in enumerate(self.ids)}

    def rows(self) -> int:
        """Matchable hash rows held (``KnownImageryIndex.matchable_frames`` counts rows)."""
        return len(self.refs)

    def descriptor_count(self) -> int:
        return int(self.kp_index.ntotal)

    def search(self, queries: np.ndarray, max_distance: int) -> tuple[np.ndarray, np.ndarray, list[str],
                                                                      np.ndarray, np.ndarray]:
        """(query row, frame rowid, reference id, reference time, distance) of every frame within the distance."""
        pairs = self.hashes.range(queries, max_distance)
        q = np.array([p[0] for p in pairs], dtype=np.int64)
        row = np.array([p[1] for p in pairs], dtype=np.int64)
        return (q, self.rowids[row], [self.ids[i] for i in self.refs[row]], self.times[row],
                np.array([p[2] for p in pairs], dtype=np.int64))

    def neighbours(self, token: str, query: LocalFeatures, k: int
                   ) -> tuple[np.ndarray, np.ndarray, dict[int, list[tuple[str, float]]]]:
        """Each query descriptor's ``k`` nearest descriptors here: (distances, slot keys; -1 where none), and the
        members of every slot named. Keeps ``query`` under ``token`` for :meth:`verify_chosen`."""
        self._queries[token] = query  # until verify_chosen: every matching process calls it, even with nothing
        while len(self._queries) > _KEPT_QUERIES:  # a matching process that died between the two calls
            self._queries.pop(next(iter(self._queries)))
        n = len(query.descriptors)
        if not self.kp_index.ntotal:
            return np.full((n, 0), 1 << 20, np.int64), np.full((n, 0), -1, np.int64), {}
        faiss_single_thread()
        distances, rows = self.kp_index.search(query.descriptors, min(k, int(self.kp_index.ntotal)))
        keys = np.where(rows >= 0, self.keys[self.owner[np.maximum(rows, 0)]], -1)
        named = np.unique(keys[keys >= 0])
        return (distances.astype(np.int64), keys.astype(np.int64),
                {int(key): self.members[self.slot_at[int(key)]] for key in named})

    def verify_chosen(self, token: str, chosen: list[tuple[int, int]]
                      ) -> tuple[dict[int, list[LocalHit]], list[tuple[tuple[int, int, int], list[LocalHit]]]]:
        """Verify the shortlisted slots held here (``chosen``: (position in the shortlist, slot key)), then the
        unsearched frames beside each hit (timing), as ``search_local`` does in one process.

        Returns hits per shortlist position, and the timing frames' hits each tagged (shortlist position, member,
        neighbour) of the hit that brought it in: the merging process orders them as one process would.
        """
        query = self._queries.pop(token)
        by_position: dict[int, list[LocalHit]] = {}
        tagged: list[tuple[tuple[int, int], LocalHit]] = []
        for position, key in chosen:
            slot = self.slot_at[key]
            result = verify(query, self.slots[slot], lf.ratio_pairs(query, self.slots[slot]))
            if result is not None:
                by_position[position] = [LocalHit(r, t, result) for r, t in self.members[slot]]
                tagged += [((position, m), hit) for m, hit in enumerate(by_position[position])]
        timing: list[tuple[tuple[int, int, int], list[LocalHit]]] = []
        done: set[int] = set()
        for tag, hit in sorted(tagged, key=lambda x: x[0]):
            for j, slot in enumerate(_timing_slots(self, [hit])):  # at most two per hit, in time order
                if slot in done:
                    continue
                done.add(slot)
                result = verify(query, self.slots[slot], lf.ratio_pairs(query, self.slots[slot]))
                hits = [LocalHit(r, t, result) for r, t in self.members[slot]] if result is not None else []
                timing.append(((tag[0], tag[1], j), hits))
        return by_position, timing


# -- the matching side -----------------------------------------------------------------------------------------
class ShardedIndex(KnownImageryIndex):
    """A known-imagery index whose searches run on shards (Dask actors, or :class:`Shard` objects here).

    Pass it to ``matching.match`` or ``pipeline.verify(index=...)`` as the single-process index. ``shards`` are
    loaded for ``shard_plan``; :meth:`state` reloads them (through ``load``) after the index changed.
    """

    def __init__(self, workspace: Workspace, shard_plan: ShardPlan, shards: Sequence[Any],
                 load: Any | None = None, min_quality: int = PDQ.min_quality) -> None:
        super().__init__(workspace)
        self.min_quality = min_quality  # the shards hold frames of this quality and better
        self.plan = shard_plan
        self.shards = list(shards)
        self._load = load  # (workspace, plan) -> shards, to follow a changed index; None: refuse a changed index
        self._counts: dict[int, dict[str, int]] = {}
        self._descriptors: int | None = None

    def state(self, min_quality: int = PDQ.min_quality) -> IndexState:
        found = super().state(min_quality)
        if found.generation != self.plan.generation:
            if self._load is None:
                raise RuntimeError("the index changed since its shards were loaded")
            self.plan = plan(self.workspace, len(self.shards), self.min_quality)
            self.shards = list(self._load(self.workspace, self.plan))
            self._counts.clear()
            self._descriptors = None
        return found

    def infos(self) -> list[ShardInfo]:
        return _gather([_call(s, "describe") for s in self.shards])

    def search(self, queries: list[bytes], *, max_distance: int, min_quality: int) -> list[Hit]:
        if not queries:
            return []
        self._check(min_quality)
        q = np.frombuffer(b"".join(queries), dtype=np.uint8).reshape(-1, PDQ.nbytes)
        parts = _gather([_call(s, "search", q, max_distance) for s in self.shards])  # fanned out, then waited on
        qrow = np.concatenate([p[0] for p in parts])
        rowid = np.concatenate([p[1] for p in parts])
        refs = [r for p in parts for r in p[2]]
        times = np.concatenate([p[3] for p in parts])
        dist = np.concatenate([p[4] for p in parts])
        order = np.lexsort((rowid, qrow))  # one process's order: by query, then by row (its flat scan's order)
        return [Hit(int(qrow[i]), refs[i], float(times[i]), int(dist[i])) for i in order]

    def frame_counts(self, min_quality: int) -> dict[str, int]:
        self._check(min_quality)
        if min_quality not in self._counts:
            merged: dict[str, int] = {}
            for part in _gather([_call(s, "frame_counts") for s in self.shards]):
                merged |= part
            self._counts[min_quality] = dict(sorted(merged.items()))
        return self._counts[min_quality]

    def matchable_frames(self, min_quality: int) -> int:
        self._check(min_quality)
        return sum(_gather([_call(s, "rows") for s in self.shards]))

    def search_local(self, query: LocalFeatures, *, candidates: int = 3, stretched: object = None) -> list[LocalHit]:
        """``KnownImageryIndex.search_local`` over the shards: their nearest descriptors merged, the same votes and
        shortlist, the shortlisted frames verified where they are held. ``stretched`` (the single index's second
        verification of still references against the clip frame stretched to their aspect) is not made here
        yet: a still stretched to fill the clip's frame shape is found by one process only."""
        if self._descriptors is None:
            self._descriptors = sum(_gather([_call(s, "descriptor_count") for s in self.shards]))
        if not self._descriptors:
            return []
        k = min(lf.NEIGHBOURS, self._descriptors)
        token = uuid.uuid4().hex
        parts = _gather([_call(s, "neighbours", token, query, k) for s in self.shards])
        distances = np.concatenate([p[0] for p in parts], axis=1)
        keys = np.concatenate([p[1] for p in parts], axis=1)
        distances = np.where(keys >= 0, distances, 1 << 20)
        nearest = np.argsort(distances, axis=1, kind="stable")[:, :k]
        distances = np.take_along_axis(distances, nearest, axis=1)
        keys = np.take_along_axis(keys, nearest, axis=1)
        members: dict[int, list[tuple[str, float]]] = {}
        home: dict[int, int] = {}
        for n, p in enumerate(parts):
            members |= p[2]
            home |= dict.fromkeys(p[2], n)
        far = distances[:, -1:] if k == lf.NEIGHBOURS else np.full((len(distances), 1), 256)
        near = (keys >= 0) & (distances <= lf.MAX_DESCRIPTOR_DISTANCE) & (distances < lf.RATIO * far)
        voted = np.unique(np.stack([np.nonzero(near)[0], keys[near]], axis=1), axis=0)  # one vote per frame each
        slot_keys, votes = np.unique(voted[:, 1], return_counts=True) if len(voted) else (np.zeros(0, int), [])
        order = np.argsort(-np.asarray(votes), kind="stable")  # most votes, then slot order (keys sort as slots)
        order = [int(i) for i in order if votes[i] >= lf.MIN_VOTES]
        chosen: list[int] = []
        if order:
            chosen = [int(slot_keys[i]) for i in order[:candidates]]
            refs = {rid for s in chosen for rid, _t in members[s]}
            for i in order[candidates:]:
                if len(chosen) >= lf.MAX_CANDIDATES or votes[i] < lf.COPY_VOTE_SHARE * votes[order[0]]:
                    break
                mine = {rid for rid, _t in members[int(slot_keys[i])]}
                if not mine & refs:
                    chosen.append(int(slot_keys[i]))
                    refs |= mine
        asks = [[(pos, key) for pos, key in enumerate(chosen) if home[key] == n] for n in range(len(self.shards))]
        # every shard is called, chosen frames or not, so none keeps this query's features
        answers = _gather([_call(s, "verify_chosen", token, ask) for s, ask in zip(self.shards, asks, strict=True)])
        hits: list[LocalHit] = []
        for pos in range(len(chosen)):
            for by_position, _timing in answers:
                hits += by_position.get(pos, [])
        for _tag, timed in sorted((t for _b, timing in answers for t in timing), key=lambda x: x[0]):
            hits += timed
        return hits

    def _check(self, min_quality: int) -> None:
        if min_quality != self.min_quality:
            raise ValueError(f"the shards hold frames of quality >= {self.min_quality}, not {min_quality}")


def _call(shard: Any, method: str, *args: Any) -> Any:
    """Start ``method`` on a shard: a Dask actor returns a future at once (so every shard works in parallel)."""
    return getattr(shard, method)(*args)


def _gather(results: list[Any]) -> list[Any]:
    return [r.result() if hasattr(r, "result") else r for r in results]


# -- starting shards ---------------------------------------------------------------------------------------------
def local_shards(workspace: Workspace, shard_plan: ShardPlan, min_quality: int = PDQ.min_quality) -> list[Shard]:
    """Every shard in this process (tests, and a machine without a cluster): the same merge, no Dask."""
    return [Shard(str(workspace.root), ids, min_quality, shard_plan.generation) for ids in shard_plan.shards]


def dask_shards(client: Client, workspace: Workspace, shard_plan: ShardPlan,
                min_quality: int = PDQ.min_quality) -> list[Any]:
    """One :class:`Shard` actor per shard, spread over the client's workers (round robin, in worker order).

    The workers read the workspace's SQLite from ``workspace.root``: a path they must see (local workers, or a
    shared file system), as batch workers do.
    """
    workers = sorted(client.scheduler_info()["workers"])
    futures = [client.submit(Shard, str(workspace.root), ids, min_quality, shard_plan.generation, actor=True,
                             workers=[workers[i % len(workers)]], allow_other_workers=False, pure=False,
                             key=f"provenance-shard-{i}-{uuid.uuid4().hex[:8]}")
               for i, ids in enumerate(shard_plan.shards)]
    return [f.result() for f in futures]


def sharded_index(client: Client, workspace: Workspace, shards: int,
                  min_quality: int = PDQ.min_quality) -> ShardedIndex:
    """A :class:`ShardedIndex` of ``shards`` Dask actors on ``client``'s workers, reloaded when the index changes.

    A local cluster as ``batch`` makes it (mutual TLS, no HTTP port, threads sized):
    ``with provenance.batch.run.dask_client(BatchOptions(workers=3)) as client: index = sharded_index(client,
    workspace, 3)``. The actors live as long as the client.
    """
    shard_plan = plan(workspace, shards, min_quality)

    def load(ws: Workspace, p: ShardPlan) -> list[Any]:
        return dask_shards(client, ws, p, min_quality)

    return ShardedIndex(workspace, shard_plan, load(workspace, shard_plan), load, min_quality)
