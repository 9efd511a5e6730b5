"""Files of one batch that share footage, found by their PDQ frame hashes with the index's exact range search."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from provenance.batch.model import Group, Link, LinkConfig
from provenance.report.model import Report
from provenance.visual.search import HashSearch


def usable_frames(report: Report, min_quality: int) -> list[tuple[float, bytes]]:
    """(time in seconds, 32-byte PDQ hash) of the report's sampled frames at or above ``min_quality``."""
    return [(f.t, bytes.fromhex(f.pdq)) for f in report.visual.frames if f.quality >= min_quality and f.pdq]


# Two files' stretches of one reference within this of each other overlap: a clip is sampled once a second, so a
# stretch known from its sampled frames is only known to a second at each end ([visual.frames] interval_s)
SPAN_TOLERANCE_S = 1.0


@dataclass(frozen=True)
class Span:
    """A stretch of an indexed reference a file's report matched (seconds; a still's page key, page - 1)."""

    reference_id: str
    title: str
    start: float
    end: float
    frames: int  # the file's frame pairs on this match
    distance: int  # the match's closest PDQ distance (256: keypoints only)


def reference_spans(report: Report) -> list[Span]:
    """Where in which references a report's matches lie: each segment's reference stretch (the whole window of a
    segment whose moment is not told: it lies somewhere in there)."""
    out = []
    for m in report.visual.matches:
        hashed = [p.distance for p in m.frames if not p.inliers]
        for s in m.segments:
            lo, hi = s.reference_start, s.reference_end
            if s.reference_window:
                lo, hi = min(lo, s.reference_window[0]), max(hi, s.reference_window[1] + (hi - lo))
            out.append(Span(m.reference_id, m.title or m.reference_id, lo, hi, len(m.frames), min(hashed, default=256)))
    return out


def link_files(
    frames: Mapping[str, Sequence[tuple[float, bytes]]],
    config: LinkConfig | None = None,
    *,
    names: Mapping[str, str] | None = None,
    spans: Mapping[str, Sequence[Span]] | None = None,
) -> list[Group]:
    """Group files whose usable frames match each other (exact Hamming range search over all frames of the batch),
    or that show the same indexed reference over overlapping stretches (``spans``: per file key, its reports'
    :func:`reference_spans`).

    The second way finds what the first cannot: two reposts of one footage edited differently (a letterbox and a
    crop, a rotation flag of 90 and one of 270 degrees, a mirror) share no whole-frame hash, yet the matcher tied
    both to the same seconds of a reference (the tester's batch of 23: 16 files showed one reference's frames, one
    group of 5 was found; issue 12 round D9). Two stretches of one reference overlap within
    ``SPAN_TOLERANCE_S``; files that show different parts of one long reference are not grouped.

    ``frames`` maps a file key to its (time, 32-byte PDQ) frames, already filtered by quality; ``names`` maps a
    key to the name shown in links and groups (default: the key). Two files are linked when at least
    ``min_shared_frames`` frames of each match some frame of the other (one when either has a single frame: a
    still); groups are the connected components, largest first. Every frame is compared with every other, so the
    cost grows with the square of the batch's frame count (a FAISS binary scan: about 10^5 frames, a thousand
    clips, in well under a minute on one core).
    """
    config = config or LinkConfig()
    names = names or {}
    spans = spans or {}
    keys = [k for k in dict.fromkeys([*frames, *spans]) if frames.get(k) or spans.get(k)]
    if len(keys) < 2:
        return []
    frames = {k: list(frames.get(k, ())) for k in keys}
    owner = np.concatenate([np.full(len(frames[k]), i, dtype=np.int32) for i, k in enumerate(keys)])
    times = np.array([t for k in keys for t, _h in frames[k]], dtype=np.float64)
    found = np.zeros((0, 3), dtype=np.int64)
    if sum(bool(v) for v in frames.values()) > 1:
        hashes = np.frombuffer(b"".join(h for k in keys for _t, h in frames[k]), dtype=np.uint8).reshape(-1, 32)
        found = np.array(HashSearch(hashes).range(hashes, config.max_distance), dtype=np.int64).reshape(-1, 3)
    # every pair of frames of two different files, once: the frame of the file listed first is ``a``
    found = found[owner[found[:, 0]] < owner[found[:, 1]]]
    hits: dict[tuple[int, int], list[tuple[int, int, int]]] = defaultdict(list)  # (file a, file b) -> a, b, dist
    for a, b, d in found.tolist():
        hits[(int(owner[a]), int(owner[b]))].append((a, b, d))

    parent = list(range(len(keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    links: list[tuple[int, int, Link]] = []
    for (ia, ib), pairs in sorted(hits.items()):
        a_rows, b_rows = {p[0] for p in pairs}, {p[1] for p in pairs}
        still = min(len(frames[keys[ia]]), len(frames[keys[ib]])) == 1
        need = 1 if still else config.min_shared_frames
        if min(len(a_rows), len(b_rows)) < need:
            continue
        best: dict[int, tuple[int, int]] = {}  # per frame of a, its closest frame of b (the earliest of equals)
        for a, b, d in pairs:
            if a not in best or (d, b) < best[a][::-1]:
                best[a] = (b, d)
        examples = [(round(float(times[a]), 2), round(float(times[b]), 2)) for a, (b, _d) in sorted(best.items())]
        links.append((ia, ib, Link(
            a=names.get(keys[ia], keys[ia]), b=names.get(keys[ib], keys[ib]), a_frames=len(a_rows),
            b_frames=len(b_rows), min_distance=min(p[2] for p in pairs),
            examples=examples[: config.examples],
        )))
        parent[root(ia)] = root(ib)
    linked = {(ia, ib) for ia, ib, _link in links}
    for ia, ib, link in _span_links(keys, spans, names):
        if (ia, ib) not in linked:
            links.append((ia, ib, link))
            parent[root(ia)] = root(ib)

    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(keys)):
        members[root(i)].append(i)
    components = sorted((m for m in members.values() if len(m) > 1),
                        key=lambda m: (-len(m), min(names.get(keys[i], keys[i]) for i in m)))
    groups = []
    for gid, comp in enumerate(components, start=1):
        inside = set(comp)
        groups.append(Group(
            id=gid,
            members=sorted(names.get(keys[i], keys[i]) for i in comp),
            links=[link for ia, _ib, link in links if ia in inside],
        ))
    return groups


def _span_links(keys: list[str], spans: Mapping[str, Sequence[Span]], names: Mapping[str, str]
                ) -> list[tuple[int, int, Link]]:
    """(file a, file b, link) for each pair of files (a listed first) whose stretches of one reference overlap."""
    by_ref: dict[str, list[tuple[int, Span]]] = defaultdict(list)
    for i, k in enumerate(keys):
        for sp in spans.get(k, ()):
            by_ref[sp.reference_id].append((i, sp))
    found: dict[tuple[int, int], Link] = {}
    for ref_id, held in sorted(by_ref.items()):
        for (ia, a), (ib, b) in itertools.combinations(sorted(held, key=lambda x: (x[0], x[1].start)), 2):
            if ia == ib or (min(ia, ib), max(ia, ib)) in found:
                continue
            if a.start > b.end + SPAN_TOLERANCE_S or b.start > a.end + SPAN_TOLERANCE_S:
                continue
            ia, ib, a, b = (ia, ib, a, b) if ia < ib else (ib, ia, b, a)
            shared = (round(max(a.start, b.start), 2), round(min(a.end, b.end), 2))
            found[(ia, ib)] = Link(a=names.get(keys[ia], keys[ia]), b=names.get(keys[ib], keys[ib]),
                                   a_frames=a.frames, b_frames=b.frames, min_distance=max(a.distance, b.distance),
                                   examples=[shared if shared[0] <= shared[1] else shared[::-1]],
                                   via=f"{a.title} ({ref_id})")
    return [(ia, ib, link) for (ia, ib), link in sorted(found.items())]
