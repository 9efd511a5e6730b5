"""Files of one batch that share footage, found by their PDQ frame hashes with the index's exact range search."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from provenance.batch.model import Group, Link, LinkConfig
from provenance.report.model import Report
from provenance.visual.search import HashSearch


def usable_frames(report: Report, min_quality: int) -> list[tuple[float, bytes]]:
    """(time in seconds, 32-byte PDQ hash) of the report's sampled frames at or above ``min_quality``."""
    return [(f.t, bytes.fromhex(f.pdq)) for f in report.visual.frames if f.quality >= min_quality and f.pdq]


def link_files(
    frames: Mapping[str, Sequence[tuple[float, bytes]]],
    config: LinkConfig | None = None,
    *,
    names: Mapping[str, str] | None = None,
) -> list[Group]:
    """Group files whose usable frames match each other (exact Hamming range search over all frames of the batch).

    ``frames`` maps a file key to its (time, 32-byte PDQ) frames, already filtered by quality; ``names`` maps a
    key to the name shown in links and groups (default: the key). Two files are linked when at least
    ``min_shared_frames`` frames of each match some frame of the other (one when either has a single frame: a
    still); groups are the connected components, largest first. Every frame is compared with every other, so the
    cost grows with the square of the batch's frame count (a FAISS binary scan: about 10^5 frames, a thousand
    clips, in well under a minute on one core).
    """
    config = config or LinkConfig()
    names = names or {}
    keys = [k for k, v in frames.items() if v]
    if len(keys) < 2:
        return []
    hashes = np.frombuffer(b"".join(h for k in keys for _t, h in frames[k]), dtype=np.uint8).reshape(-1, 32)
    owner = np.concatenate([np.full(len(frames[k]), i, dtype=np.int32) for i, k in enumerate(keys)])
    times = np.array([t for k in keys for t, _h in frames[k]], dtype=np.float64)
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
