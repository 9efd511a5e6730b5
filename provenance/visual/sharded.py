"""The known-imagery index sharded by reference across Dask workers: queries fanned out, hits merged, same matches.

Why (issue 20): an archive of 10^8 indexed frames is searched by more cores than one process has. Sharded, each
Dask worker holds a share of the references (a :class:`Shard`, a Dask *actor*: opened once, on that worker, then
kept), and the process that verifies sends each query's fingerprints to every shard once and merges what comes
back. A shard searches files of its own (``index_files.DerivedShard``, ``derived/shards/<key>/``): its
references' hash rows with multi-index tables of their own, its keypoint frames, and its searched descriptors (an
exact copy, or the workspace inverted file's cells holding only its descriptors), cut once per plan and index
state from the workspace's derived files (memory-mapped, never from SQLite) and mapped by every later opening:
so a shard's search, the memory it touches and its cold start follow its share, not the archive. Everything else
about a match (metadata, coverage, alignment, segments, linked references) runs where it always runs, on the
merged hits, through :class:`ShardedIndex`, a :class:`KnownImageryIndex` whose searches go to the shards: so
``matching.match`` is the ordinary code, not a copy.

Identical to one process, by construction (and tested on real clips and the matching benchmark's dev split):
  - PDQ: a shard's hash search is exact (flat or multi-index), so it finds exactly one process's hits among its
    rows; each is named by its row in the source files (the frame table's rowid order) and the merged hits are
    ordered by (query, row), one process's order, because ``matching`` breaks ties by hit order.
  - Keypoints: a shard returns each query descriptor's ``NEIGHBOURS`` nearest among its own descriptors, named by
    their slot number in the source files (one process's slot numbers): from an exact copy, exactly; from its
    inverted file, which has the source file's cells (the same quantizer), so the same cells are probed and the
    shards together scan what one process scans. The nearest of the merged lists are one process's nearest up to
    ties at the last distance, which never vote (a vote must be under ``RATIO`` x the last): the same votes and
    the same shortlist (ordered by votes, then slot). The chosen frames are verified on their own shard, with
    the query's features kept there from the first call. References sharing a byte-identical keypoint frame are
    kept on one shard (:func:`plan`), so a slot never spans two.
  - The price: disk (one more copy of the rows, tables and searched descriptors' lists per plan, the shards of
    a plan holding each once) and the cut, once per plan and index state. Every shard still computes one
    distance per inverted-file cell per query descriptor. Nodes of a cluster need the derived files on a shared
    or replicated file system.
Metadata reads (``get``, ``linked``, ``hash_at``, ``hashes_near``, ``state``) stay with the process that
matches: the shards only search. Sizing for 10^8 frames is in DESIGN.md ("Sharded search"), from
``benchmarks/bench_shards.py``.
"""

from __future__ import annotations

import functools
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
from provenance.visual import index_files
from provenance.visual import local_features as lf
from provenance.visual.index import (
    Hit,
    KnownImageryIndex,
    LocalHit,
    StaticKeypoints,
    _KeypointFrameTable,
    _mapped_ivf,
    _MappedMembers,
    _MappedSlots,
    _timing_slots,
)
from provenance.visual.index_files import ShardFiles
from provenance.visual.local_features import LocalFeatures, verify
from provenance.visual.search import distinct_pairs, run_starts
from provenance.visual.signals import PDQ
from provenance.workspace import Workspace

if TYPE_CHECKING:
    from distributed import Client

# Weights to balance shards by: the bytes a reference's rows took in a shard's private tables when shards read
# SQLite (a matchable PDQ frame 32 B hash + 4 B reference + 8 B time + 8 B rowid; a keypoint frame ~500 ORB
# descriptors of 32 B, float32 points, 8 B of owner each). Shards now map the derived files and hold no such
# tables; kept as relative weights (hits and verifications follow rows and keypoint frames) so plans stay put.
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
    index = KnownImageryIndex(workspace)  # the derived files one process maps: no pass over SQLite's rows
    generation = index.state(min_quality).generation
    table = index._hash_table(min_quality)
    kp = index._keypoint_frame_table()
    with workspace.reading() as conn:
        weight: dict[str, int] = {r[0]: 0 for r in conn.execute("SELECT id FROM reference WHERE same_as IS NULL")}
    if index.state(min_quality).generation != generation:
        raise RuntimeError("index changed while the shards were planned")
    rows = np.zeros(len(table.ids), np.int64)
    for i in range(0, len(table.refs), 1 << 22):
        rows += np.bincount(np.asarray(table.refs[i:i + (1 << 22)]), minlength=len(table.ids))
    for ref_id, n in zip(table.ids, rows.tolist(), strict=True):
        weight[ref_id] = weight.get(ref_id, 0) + FRAME_BYTES * n
    shared: list[list[str]] = []
    if isinstance(kp.members, _MappedMembers):
        files = kp.members.files
        pairs = distinct_pairs(files.frames["slot"], files.frames["ref"])  # by slot, then reference
        for ref, n in enumerate(np.bincount(np.asarray(files.frames["ref"])).tolist()):
            if n:
                weight[files.ids[ref]] = weight.get(files.ids[ref], 0) + KEYPOINT_FRAME_BYTES * n
        first, count = run_starts(pairs[:, 0])
        for start, n in zip(first[count > 1].tolist(), count[count > 1].tolist(), strict=True):
            shared.append([files.ids[int(r)] for r in pairs[start:start + n, 1]])
    else:  # keypoint frames read from SQLite (a workspace that cannot hold derived files)
        for s in range(len(kp.slots)):
            copies = kp.members[s]
            for ref_id, _t in copies:
                weight[ref_id] = weight.get(ref_id, 0) + KEYPOINT_FRAME_BYTES
            if len({r for r, _t in copies}) > 1:
                shared.append(sorted({r for r, _t in copies}))
    parent = {r: r for r in weight}

    def root(r: str) -> str:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    for ids in shared:
        first, *rest = sorted(set(ids))
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
    """What one shard holds and what opening it cost: the per-shard figures the 10^8-frame sizing is built on."""

    frames: int  # matchable PDQ frames of its references (rows of the mapped files it answers for)
    keypoint_frames: int  # distinct keypoint frames (slots) of its references
    descriptors: int  # searched ORB descriptors of its references
    table_bytes: int  # private (not file-backed) bytes of its search structures: the flat copy of its hash rows
    #                   below the multi-index crossover, the exact keypoint index's copy of its descriptors (below
    #                   the inverted-file size); in the SQLite fallback, its tables and selection masks
    mapped_bytes: int  # bytes of its own files it maps (derived/shards/<key>/: hash rows, their multi-index
    #                    tables, keypoint frames, searched rows, its inverted file), shared with every process on
    #                    the node and paged in; the verified slots' features are read from derived/orb (DESIGN)
    load_s: float  # opening its files (cutting them first when this state has none: cut_s), on the worker
    peak_rss_bytes: int  # the worker process's peak resident memory after loading (ru_maxrss)
    pid: int
    rss_bytes: int = 0  # the worker's resident memory after loading (VmRSS: mapped pages touched count)
    cut_s: float = 0.0  # cutting its own files from the source files, when this opening did (else 0: mapped)


class _OwnMembers:
    """Every (reference, time) of a slot of this shard, from its own keypoint frames (``ShardFiles.members``)."""

    def __init__(self, files: ShardFiles, ids: list[str]) -> None:
        self.files, self.ids = files, ids

    def __getitem__(self, slot: int) -> list[tuple[str, float]]:
        return self.files.members(int(slot), self.ids)


class Shard:
    """One shard: its references' rows of the workspace's derived index files, cut into files of its own and mapped.

    Opens what the single-process index keeps up to date (``KnownImageryIndex``: ``derived/pdq-q<quality>/`` and
    ``derived/orb/`` with its inverted file, brought up to date first when behind, as any reader) only as far as
    their manifests, and maps ``derived/shards/<key>/`` (``index_files.DerivedShard``): its references' hash rows
    with multi-index tables of their own, its keypoint frames, and its searched descriptors (a flat copy below
    the inverted-file size, else the source inverted file's cells holding only its descriptors). The first shard
    to open a plan's files at a state cuts them from the mapped source files (never from SQLite), the others map
    them. So a search, the memory it touches and the opening itself grow with the shard's share, not the archive.
    The generation is checked before and after: the files opened are the planned generation's (the key names the
    source files' state). Answers name rows, slots and descriptors by the source files' numbers, one process's, so
    the shards' answers merge into one process's answer exactly (exact structures; the inverted file's cells are
    the same, so the probed cells are too). A workspace that cannot hold derived files (read-only) gives a shard
    one process's SQLite fallback, searched whole and masked to its references. Methods are called one at a time
    (Dask runs an actor's methods in one thread), so the per-query state (``_queries``, by token: several files
    are matched at once by several workers) needs no lock.
    """

    def __init__(self, workspace_root: str, reference_ids: Sequence[str], min_quality: int, generation: int) -> None:
        started = time.perf_counter()
        self.generation = generation
        self.min_quality = min_quality
        self._queries: dict[str, LocalFeatures] = {}
        self._timing: dict[str, list[tuple[float, int]]] | None = None
        index = KnownImageryIndex(Workspace(workspace_root))
        self._check_generation(index)
        self.index = index
        self.cut_s = 0.0
        self._own = self._open_own(index, list(reference_ids))
        if self._own is None:  # no derived files here (a read-only workspace): one process's tables, masked
            wanted = set(reference_ids)
            self._hash = index._hash_table(min_quality)
            kp = index._keypoint_frame_table()
            self._ids = self._hash.ids
            self._mine = np.fromiter((rid in wanted for rid in self._hash.ids), bool, len(self._hash.ids))
            self.faiss_index = kp.faiss_index
            self.owner = kp.owner
            self.slots = kp.slots
            self.members = kp.members
            self._timing = kp.timing
            self._slot_mine = _slots_of(kp, wanted)
            self._searched_total = int(self.faiss_index.ntotal)
        self._check_generation(index)  # generations only grow: the files opened in between are this one's
        self.static = StaticKeypoints(self.slots, self.members)  # lf.verify's overlay check
        faiss_single_thread()
        self.load_s = round(time.perf_counter() - started, 3)
        self.peak_rss_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        self.rss_bytes = _rss_bytes()

    def _open_own(self, index: KnownImageryIndex, reference_ids: list[str]) -> ShardFiles | None:
        """Map this shard's own files (cut first when this state has none); None where derived files cannot be."""
        hashes, keypoints = index._derived(self.min_quality), index._derived_keypoints()
        with index.workspace.reading() as conn:
            manifest = hashes.current(*index_files.state(conn))
            kp_manifest = keypoints.current(conn)
        if manifest is None:  # behind the database: brought up to date as any reader does (appended)
            if index._hash_table(self.min_quality).search.manifest.epoch == "memory":
                return None
            with index.workspace.reading() as conn:
                manifest = hashes.current(*index_files.state(conn))
        kp_files = index._keypoint_files()  # mapped (brought up to date when behind): features, owners
        if manifest is None or kp_files is None:
            return None
        kp_manifest = kp_files.manifest
        ivf = None
        ivf_name = "flat"
        if kp_manifest.searched and kp_manifest.searched >= lf.ivf_min_descriptors():
            ivf = index._keypoint_ivf_mapped(kp_files)  # trained and saved first when this state has none
            ivf_name = keypoints.ivf_path(kp_manifest).name
        key = index_files.shard_key(manifest, kp_manifest, ivf_name, reference_ids, self.min_quality)
        shards_dir = index.workspace.derived_dir / "shards"
        derived = index_files.DerivedShard(shards_dir / key)
        try:
            own_manifest = derived.manifest()
            if own_manifest is None:
                cut = time.perf_counter()
                own_manifest = derived.build(hashes.open(manifest), kp_files, ivf, reference_ids, manifest.generation)
                self.cut_s = round(time.perf_counter() - cut, 3)
                index_files.remove_other_shards(shards_dir, manifest.generation)
            own = derived.open(own_manifest)
        except (OSError, ValueError, RuntimeError):
            return None
        self._ids = (hashes.folder / f"ids-{manifest.epoch}.txt").read_text(encoding="utf-8").split("\n")[:manifest.ids]
        self._counts_path = hashes.folder / f"counts-{manifest.epoch}.i32"
        self._kp_ids = kp_files.ids
        self._searched_total = kp_manifest.searched
        self.owner = kp_files.owner  # source rows -> slot (mapped)
        self.slots = _MappedSlots(kp_files)  # features read only for the slots verified
        self.members = _OwnMembers(own, kp_files.ids)
        if own.ivf_path is not None:
            mapped = _mapped_ivf(own.ivf_path, own_manifest.searched)
            if mapped is None:
                return None
            mapped.nprobe = min(lf.IVF_NPROBE, mapped.nlist)  # the source's: the same cells probed
            self.faiss_index = mapped
        else:  # below the inverted-file size: an exact copy of its searched descriptors (< 2x10^4 x 32 B in all)
            self.faiss_index = faiss.IndexBinaryFlat(256)
            if own_manifest.searched:
                self.faiss_index.add(np.ascontiguousarray(kp_files.searched[np.asarray(own.srows)]))
        return own

    @property
    def timing(self) -> dict[str, list[tuple[float, int]]]:
        """Per reference of this shard, (time, slot) of its unsearched keypoint frames (``_timing_slots``): made
        on the first verification, from this shard's frames only."""
        if self._timing is None:
            self._timing = self._own.timing(self._kp_ids) if self._own is not None else {}
        return self._timing

    def _check_generation(self, index: KnownImageryIndex) -> None:
        found = index.state(self.min_quality).generation
        if found != self.generation:
            raise RuntimeError(f"index changed while the shards loaded (generation {found}, planned at "
                               f"{self.generation})")

    # -- called by ShardedIndex ------------------------------------------------------------------------------
    def describe(self) -> ShardInfo:
        """What this shard answers for and what it holds (counted on demand: not part of the cold start)."""
        if self._own is not None:
            own, m = self._own, self._own.manifest
            private = (m.rows - m.mih_rows) * 32  # the flat tail's copy (FAISS)
            if isinstance(self.faiss_index, faiss.IndexBinaryFlat):
                private += int(self.faiss_index.ntotal) * 32
            folder = own.ivf_path.parent if own.ivf_path is not None else None
            mapped = sum(int(a.nbytes) for a in (own.hashes.hashes, own.hashes.refs, own.hashes.times, own.rows,
                                                 own.frames, own.srows))
            if own.hashes.mih is not None:
                mapped += sum(int(o.nbytes) for o in own.hashes.mih.orders + own.hashes.mih.offsets)
            if folder is not None:
                mapped += (folder / "ivf.faiss").stat().st_size
            return ShardInfo(
                frames=m.rows, keypoint_frames=len(np.unique(np.asarray(own.frames["slot"]))),
                descriptors=m.searched, table_bytes=int(private), mapped_bytes=int(mapped), load_s=self.load_s,
                peak_rss_bytes=self.peak_rss_bytes, pid=os.getpid(), rss_bytes=self.rss_bytes, cut_s=self.cut_s)
        files = self._hash.search
        m = files.manifest
        private = self._mine.nbytes + self._slot_mine.nbytes + m.rows * (32 + 4 + 8)
        if isinstance(self.faiss_index, faiss.IndexBinaryFlat):
            private += int(self.faiss_index.ntotal) * 32
        return ShardInfo(
            frames=self.rows(), keypoint_frames=int(np.count_nonzero(self._slot_mine)),
            descriptors=self.descriptor_count(), table_bytes=int(private), mapped_bytes=0,
            load_s=self.load_s, peak_rss_bytes=self.peak_rss_bytes, pid=os.getpid(), rss_bytes=self.rss_bytes)

    def frame_counts(self) -> dict[str, int]:
        """Sampled moments per reference of this shard, as ``KnownImageryIndex.frame_counts`` counts them (from the
        counts the derived files keep: no pass over the rows)."""
        if self._own is not None:
            counts = np.fromfile(self._counts_path, np.int32, len(self._ids))
            refs = np.unique(np.asarray(self._own.hashes.refs))
            return {self._ids[int(r)]: int(counts[r]) for r in refs.tolist()}
        mine = {rid for rid, m in zip(self._hash.ids, self._mine.tolist(), strict=True) if m}
        return {rid: n for rid, n in self.index.frame_counts(self.min_quality).items() if rid in mine}

    def rows(self) -> int:
        """Matchable hash rows of this shard's references (``KnownImageryIndex.matchable_frames`` counts rows)."""
        if self._own is not None:
            return self._own.manifest.rows
        return int(np.count_nonzero(self._mine[np.asarray(self._hash.refs)]))

    def descriptor_count(self) -> int:
        """Searched descriptors of this shard's keypoint frames."""
        if self._own is not None:
            return self._own.manifest.searched
        return int(np.count_nonzero(self._slot_mine[np.asarray(self.owner)]))

    def searched_total(self) -> int:
        """Searched descriptors of the whole index (sets the neighbours asked for, as one process sets them)."""
        return int(self._searched_total)

    def search(self, queries: np.ndarray, max_distance: int) -> tuple[np.ndarray, np.ndarray, list[str],
                                                                      np.ndarray, np.ndarray]:
        """(query row, indexed row, reference id, reference time, distance) of every frame of this shard's
        references within the distance (rows of the source derived files: the frame table's rowid order)."""
        if self._own is not None:
            own = self._own.hashes
            q, local, distance = own.range(queries, max_distance)
            refs = np.asarray(own.refs[local]) if len(local) else np.zeros(0, np.int32)
            return (q.astype(np.int64), np.asarray(self._own.rows[local], np.int64),
                    [self._ids[i] for i in refs.tolist()], np.asarray(own.times[local], dtype=np.float64),
                    distance.astype(np.int64))
        q, row, distance = self._hash.search.range(queries, max_distance)
        refs = np.asarray(self._hash.refs[row]) if len(row) else np.zeros(0, np.int32)
        keep = self._mine[refs]
        row, refs = row[keep], refs[keep]
        return (q[keep].astype(np.int64), row.astype(np.int64), [self._hash.ids[i] for i in refs.tolist()],
                np.asarray(self._hash.times[row], dtype=np.float64), distance[keep].astype(np.int64))

    def neighbours(self, token: str, query: LocalFeatures, k: int
                   ) -> tuple[np.ndarray, np.ndarray, dict[int, list[tuple[str, float]]]]:
        """Each query descriptor's ``k`` nearest descriptors among this shard's (its own index: exact, or the
        source inverted file's cells probed the same way): (distances, slot numbers; -1 and 2^20 for none), and
        the members of every slot named. Merged over the shards they are one process's ``k`` nearest. Keeps
        ``query`` under ``token`` for :meth:`verify_chosen`."""
        self._queries[token] = query  # until verify_chosen: every matching process calls it, even with nothing
        while len(self._queries) > _KEPT_QUERIES:  # a matching process that died between the two calls
            self._queries.pop(next(iter(self._queries)))
        n = len(query.descriptors)
        if not self.faiss_index.ntotal:
            return np.full((n, 0), 1 << 20, np.int64), np.full((n, 0), -1, np.int64), {}
        faiss_single_thread()
        exact = isinstance(self.faiss_index, faiss.IndexBinaryFlat)
        distances, rows = self.faiss_index.search(query.descriptors, min(k, int(self.faiss_index.ntotal)) if exact
                                                  else k)
        if self._own is not None and exact:  # the copy's rows -> the source's searched rows
            rows = np.where(rows >= 0, np.asarray(self._own.srows)[np.maximum(rows, 0)], -1)
        slots = np.asarray(self.owner[np.maximum(rows, 0)], dtype=np.int64)
        own = (rows >= 0) if self._own is not None else (rows >= 0) & self._slot_mine[slots]
        keys = np.where(own, slots, -1)
        named = np.unique(keys[own])
        return (np.where(own, distances, 1 << 20).astype(np.int64), keys.astype(np.int64),
                {int(key): self.members[int(key)] for key in named})

    def verify_chosen(self, token: str, chosen: list[tuple[int, int]]
                      ) -> tuple[dict[int, list[LocalHit]], list[tuple[tuple[int, int, int], list[LocalHit]]]]:
        """Verify the shortlisted slots held here (``chosen``: (position in the shortlist, slot number)), then the
        unsearched frames beside each hit (timing), as ``search_local`` does in one process.

        Returns hits per shortlist position, and the timing frames' hits each tagged (shortlist position, member,
        neighbour) of the hit that brought it in: the merging process orders them as one process would.
        """
        query = self._queries.pop(token)
        by_position: dict[int, list[LocalHit]] = {}
        tagged: list[tuple[tuple[int, int], LocalHit]] = []
        for position, slot in chosen:
            feats = self.slots[slot]
            result = verify(query, feats, lf.ratio_pairs(query, feats), functools.partial(self.static, slot))
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
                feats = self.slots[slot]
                result = verify(query, feats, lf.ratio_pairs(query, feats), functools.partial(self.static, slot))
                hits = [LocalHit(r, t, result) for r, t in self.members[slot]] if result is not None else []
                timing.append(((tag[0], tag[1], j), hits))
        return by_position, timing


def _slots_of(kp: _KeypointFrameTable, wanted: set[str]) -> np.ndarray:
    """Per slot of ``kp``, whether its keypoint frames are these references' (a slot's copies are all on one
    shard, ``plan``): from the mapped frame records (24 B a keypoint frame), or the members read from SQLite."""
    if isinstance(kp.members, _MappedMembers):
        files = kp.members.files
        mine = np.fromiter((rid in wanted for rid in files.ids), bool, len(files.ids))
        out = np.zeros(files.manifest.slots, bool)
        frames = files.frames
        for i in range(0, len(frames), 1 << 20):
            part = frames[i:i + (1 << 20)]
            out[part["slot"][mine[part["ref"]]]] = True
        return out
    return np.fromiter((any(rid in wanted for rid, _t in kp.members[s]) for s in range(len(kp.slots))), bool,
                       len(kp.slots))


def _rss_bytes() -> int:
    """This process's resident memory now (Linux VmRSS), 0 where unknown."""
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmRSS:"))
    except (OSError, StopIteration, ValueError):
        return 0


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
            self._descriptors = _gather([_call(self.shards[0], "searched_total")])[0]  # each searches them all
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
