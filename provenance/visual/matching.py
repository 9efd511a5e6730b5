"""Match a clip's sampled frames against the known-imagery index, per reference, into aligned segments.

A bag-of-frames match in the manner of vPDQ: every usable query frame (and its mirror) is looked up; hits are
grouped per reference, and a reference's hits are explained by time offsets (reference time minus query time):
the offset most hits agree on gives one aligned segment, and what it leaves unexplained is searched again, so
a clip that reuses two separate stretches of one reference gets two segments.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from provenance.report.model import Match, MatchedFrame, Segment
from provenance.visual.config import MatchingConfig
from provenance.visual.hashing import Fingerprint, crop_box
from provenance.visual.index import KnownImageryIndex
from provenance.visual.local_features import QUERY_FEATURES, extract
from provenance.visual.signals import PDQ

_OFFSET_BIN_S = 0.5  # resolution of the offset vote
_OFFSET_TOL_S = 1.5  # hits this close to the winning offset belong to the same alignment
# one keypoint frame verified by this many inliers stands on its own. Stress test of the matching benchmark
# (local_features docstring): unrelated fits of plausible scale reached 20 inliers, 46 on a shared interface
# (rejected by local_features.MIN_REF_SUPPORT); accepted right fits p5 45, median 161
STRONG_INLIERS = 40


@dataclass(frozen=True)
class _Pair:
    frame: int  # index of the query frame in the fingerprint
    qt: float
    rt: float
    distance: int
    mirrored: bool
    inliers: int = 0  # > 0: found by local features, not by the hash

    @property
    def offset(self) -> float:
        return self.rt - self.qt

    def strength(self, max_distance: int) -> float:
        """Vote weight: hash closeness for a hash match, keypoint inliers (scaled alike) for a local one."""
        if self.inliers:
            return min(max_distance + 1, self.inliers / 2)
        return max_distance + 1 - self.distance


def match(
    query: Fingerprint, index: KnownImageryIndex, config: MatchingConfig | None = None
) -> tuple[list[Match], int]:
    """Return the references the query reuses, best first, and the number of usable query frames."""
    config = config or MatchingConfig()
    usable = [i for i, f in enumerate(query.frames) if f.hashes.quality >= config.min_quality]
    lookups: list[bytes] = []
    origin: list[tuple[int, bool]] = []
    for i in usable:
        hashes = query.frames[i].hashes
        variants = [(hashes.pdq, hashes.pdq_mirror)]
        if hashes.content is not None:
            variants.append(hashes.content)
        for plain, mirrored in variants:
            lookups.append(plain)
            origin.append((i, False))
            if config.mirror and mirrored is not None:
                lookups.append(mirrored)
                origin.append((i, True))
    hits = index.search(lookups, max_distance=config.max_distance, min_quality=config.min_quality)
    per_ref: dict[str, list[_Pair]] = defaultdict(list)
    for hit in hits:
        frame, mirrored = origin[hit.query]
        per_ref[hit.reference_id].append(_Pair(frame, query.frames[frame].t, hit.t, hit.distance, mirrored))
    query_is_still = len(query.frames) == 1
    refs = {ref_id: index.get(ref_id) for ref_id in per_ref}  # one lookup each, for both passes
    if config.local_features:
        explained: set[int] = set()
        for ref_id, pairs in per_ref.items():
            ref = refs[ref_id]
            still = (ref is not None and ref.kind == "image") or query_is_still
            explained |= set(_align(pairs, config, still, 1 if still else config.min_query_frames)[1])
        _local_pairs(query, index, config, explained, per_ref)
        refs |= {ref_id: index.get(ref_id) for ref_id in per_ref if ref_id not in refs}
    if not per_ref:
        return [], len(usable)

    ref_frames = index.frame_counts(config.min_quality)
    matches = []
    for ref_id, pairs in per_ref.items():
        ref = refs[ref_id]
        if ref is None:
            continue
        still_ref = ref.kind == "image"
        need = 1 if (still_ref or query_is_still) else config.min_query_frames
        segments, explained = _align(pairs, config, still_ref, need)
        if not explained:
            continue
        used = [p for p in pairs if p.frame in explained]
        chosen = [explained[i] for i in sorted(explained)]
        matches.append(
            Match(
                reference_id=ref_id, title=ref.title, source=ref.source, url=ref.url,
                first_seen=ref.first_seen,
                query_coverage=round(min(1.0, len(explained) / max(1, len(usable))), 3),
                reference_coverage=round(len({p.rt for p in used}) / max(1, ref_frames.get(ref_id, 1)), 3),
                min_distance=min(p.distance for p in used),
                segments=segments,
                methods=sorted({"local" if p.inliers else "pdq" for p in used}, reverse=True),
                local_inliers=max(p.inliers for p in used),
                frames=[MatchedFrame(p.qt, round(p.rt, 3), p.distance, p.mirrored, p.inliers) for p in chosen],
            )
        )
    matches.sort(key=lambda m: (-m.query_coverage, m.min_distance, m.reference_id))
    return matches, len(usable)


def _local_pairs(
    query: Fingerprint, index: KnownImageryIndex, config: MatchingConfig, explained: set[int],
    per_ref: dict[str, list[_Pair]],
) -> None:
    """Verify keypoint frames that no hash match explains with ORB + RANSAC against the references' ones."""
    todo = [i for i, f in enumerate(query.frames) if f.pixels is not None and i not in explained]
    if len(todo) > config.local_max_frames:  # spread the budget over the whole clip, not its first minute
        todo = [todo[round(k)] for k in np.linspace(0, len(todo) - 1, config.local_max_frames)]
    for i in todo:
        frame = query.frames[i]
        pixels = crop_box(frame.pixels, frame.box) if frame.box else frame.pixels
        features = extract(pixels, QUERY_FEATURES, spread=True)
        if features is None:
            continue
        for hit in index.search_local(features, candidates=5):
            ref_hash = index.hash_at(hit.reference_id, hit.t)
            distance = PDQ.distance(frame.hashes.pdq, ref_hash) if ref_hash else PDQ.bits
            per_ref[hit.reference_id].append(
                _Pair(i, frame.t, hit.t, distance, False, inliers=hit.verification.inliers)
            )


def _align(
    pairs: list[_Pair], config: MatchingConfig, still_ref: bool, min_frames: int
) -> tuple[list[Segment], dict[int, _Pair]]:
    """Explain hits by dominant time offsets; return the segments and the query frames they cover.

    A run of matched frames needs ``min_frames`` frames, or one keypoint frame verified by at least
    ``STRONG_INLIERS`` keypoints (chance alignments of unrelated frames stayed under 5 on the benchmark).
    """
    remaining = list(pairs)
    segments: list[Segment] = []
    explained: dict[int, _Pair] = {}
    while remaining:
        if still_ref:
            offset = 0.0
            consistent = remaining
        else:
            offset = _dominant_offset(remaining, config.max_distance)
            # local hits come from keypoint frames config.local_interval_s apart on both sides: their offsets are
            # only known to about that spacing
            tol = max(_OFFSET_TOL_S, config.local_interval_s + 0.5)
            consistent = [p for p in remaining if abs(p.offset - offset) <= (tol if p.inliers else _OFFSET_TOL_S)]
        best: dict[int, _Pair] = {}
        for p in consistent:  # per query frame, the hit closest to the alignment, then the closest hash
            cur = best.get(p.frame)
            if cur is None or _closer(p, cur, offset, still_ref, config.max_distance):
                best[p.frame] = p
        runs = _runs(sorted(best.values(), key=lambda p: p.qt), config.segment_gap_s)
        for run in runs:
            if len(run) < min_frames and max(p.inliers for p in run) < STRONG_INLIERS:
                continue
            explained.update((p.frame, p) for p in run)
            qs, qe = run[0].qt, run[-1].qt
            if still_ref:
                rs = re = 0.0
            else:
                off = statistics.median(p.offset for p in run)
                rs, re = max(0.0, qs + off), max(0.0, qe + off)
            segments.append(
                Segment(round(qs, 3), round(qe, 3), round(rs, 3), round(re, 3),
                        mirrored=sum(p.mirrored for p in run) > len(run) / 2)
            )
        done = {p.frame for p in consistent}
        remaining = [p for p in remaining if p.frame not in done]
    segments.sort(key=lambda s: s.query_start)
    return segments, explained


def _closer(p: _Pair, cur: _Pair, offset: float, still_ref: bool, max_distance: int) -> bool:
    """Per query frame, prefer the hit closest to the alignment, then the strongest."""
    def key(x: _Pair) -> tuple[float, float]:
        return (0.0 if still_ref else round(abs(x.offset - offset), 1), -x.strength(max_distance))

    return key(p) < key(cur)


def _dominant_offset(pairs: list[_Pair], max_distance: int) -> float:
    votes: dict[int, float] = defaultdict(float)
    for p in pairs:
        weight = p.strength(max_distance)
        votes[round(p.offset / _OFFSET_BIN_S)] += weight
    # neighbouring bins support each other: a pan or a speed change smears the offset
    smoothed = {b: votes[b] + 0.5 * (votes.get(b - 1, 0) + votes.get(b + 1, 0)) for b in votes}
    top = max(smoothed, key=lambda b: (smoothed[b], -abs(b)))
    near = [p.offset for p in pairs if abs(p.offset - top * _OFFSET_BIN_S) <= _OFFSET_TOL_S]
    return statistics.median(near)


def _runs(pairs: list[_Pair], gap_s: float) -> list[list[_Pair]]:
    runs: list[list[_Pair]] = []
    for p in pairs:
        if runs and p.qt - runs[-1][-1].qt <= gap_s:
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs
