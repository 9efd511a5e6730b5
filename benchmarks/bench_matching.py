"""Recall of recycled footage through real repost edits, beside a naive per-frame pHash baseline.

Builds the suite in ``match_suite.py`` once (cached), indexes its references in a fresh workspace, then runs
every query clip through provenance's visual stage and through the baseline in the same process:

  baseline  the same sampled frames, pHash (imagehash) of each against every indexed frame's pHash,
            a match at Hamming distance <= 10 of 64 (signals.PHASH.max_distance); a reference counts once two
            frames match it (one for a still or a one-frame query)
  provenance  provenance.pipeline's visual stage (fingerprint + match) with the standard profile

Prints recall per edit, false matches (any reference reported for a negative, or a wrong reference for a
positive), the error of the matched segment's start (max of the query-time and reference-time errors) and
the time per clip. Usage: python benchmarks/bench_matching.py [--only EDIT] [--split dev|held-out|all]

A quarter of the cases (chosen by a hash of the case name, so the split never moves) is held out: tune
thresholds on ``dev`` (the default), and run ``held-out`` once, at the end of a change, to report both.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from collections import defaultdict

import numpy as np

from provenance.config import load_pipeline
from provenance.media import probe
from provenance.visual.index import KnownImageryIndex
from provenance.visual.matching import match
from provenance.visual.signals import PHASH
from provenance.visual.stage import query_fingerprint
from provenance.workspace import Workspace

from match_suite import Case, build


def baseline(fp, ref_phash: dict[str, tuple[np.ndarray, np.ndarray, str]]) -> dict[str, tuple[float, float]]:
    """Naive pHash per frame: reference -> (first matching query time, its reference time)."""
    found: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for f in fp.frames:
        q = int(f.hashes.phash, 16)
        for rid, (hashes, times, _kind) in ref_phash.items():
            d = np.array([bin(q ^ int(h)).count("1") for h in hashes])
            best = int(np.argmin(d))
            if d[best] <= PHASH.max_distance:
                found[rid].append((f.t, float(times[best])))
    single = len(fp.frames) == 1
    return {rid: hits[0] for rid, hits in found.items()
            if len(hits) >= (1 if single or ref_phash[rid][2] == "image" else 2)}


def held_out(case: Case) -> bool:
    """A fixed quarter of the suite, by a hash of the case's name."""
    return hashlib.sha256(case.name.encode()).digest()[0] % 4 == 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", help="run one edit type")
    ap.add_argument("--split", choices=("dev", "held-out", "all"), default="dev",
                    help="which cases: dev (default), the held-out quarter (once, at the end), or all")
    args = ap.parse_args()
    folder, refs, cases = build()
    if args.only:
        cases = [c for c in cases if c.edit == args.only]
    if args.split != "all":
        cases = [c for c in cases if held_out(c) == (args.split == "held-out")]
    print(f"split: {args.split}, {len(cases)} cases")
    pipeline = load_pipeline("standard")
    with tempfile.TemporaryDirectory() as tmp:
        index = KnownImageryIndex(Workspace(tmp))
        t0 = time.perf_counter()
        for ref in refs:
            (res,) = index.add([ref["path"]], id=ref["id"], first_seen=ref["first_seen"], frames=pipeline.visual.frames,
                               matching=pipeline.visual.matching)
            assert res.status == "added", res.message
        index_s = time.perf_counter() - t0
        ref_phash = {}
        with index.workspace.reading() as conn:
            for r in index.list():
                rows = conn.execute("SELECT t, phash FROM frame WHERE reference_id = ?", (r.id,)).fetchall()
                ref_phash[r.id] = (np.array([int(x[1], 16) for x in rows], dtype=object),
                                   np.array([x[0] for x in rows]), r.kind)

        per_edit: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        ours_t = base_t = 0.0
        for case in cases:
            path = folder / "queries" / case.name
            t = time.perf_counter()
            fp = query_fingerprint(probe(path), pipeline.visual)
            matches, _ = match(fp, index, pipeline.visual.matching)
            ours_t += time.perf_counter() - t
            t = time.perf_counter()
            base = baseline(fp, ref_phash)
            base_t += time.perf_counter() - t
            _score(per_edit[case.edit], "ours", case, {m.reference_id: _start(m) for m in matches})
            _score(per_edit[case.edit], "base", case, base)
    _print(per_edit, cases, ours_t, base_t, index_s)
    return 0


def _start(m) -> tuple[float, float]:
    seg = max(m.segments, key=lambda s: s.query_end - s.query_start)
    return seg.query_start, seg.reference_start


def _score(bucket: dict[str, list], who: str, case: Case, found: dict[str, tuple[float, float]]) -> None:
    if case.reference_id is None:
        bucket[f"{who}_neg"].append(len(found))
        return
    hit = case.reference_id in found
    bucket[f"{who}_hit"].append(hit)
    bucket[f"{who}_false"].append(len(set(found) - {case.reference_id}))
    if hit:
        qs, rs = found[case.reference_id]
        bucket[f"{who}_err"].append(max(abs(qs - case.query_start), abs(rs - case.reference_start)))
    bucket[f"{who}_miss_names"].append(None if hit else case.name)


def _print(per_edit, cases, ours_t, base_t, index_s) -> None:
    print(f"{'edit':22} {'n':>2} {'recall':>7} {'base':>6} {'false':>5} {'bfalse':>6} {'neg':>3} "
          f"{'negFM':>5} {'bnegFM':>6} {'start err<=2s':>13}  misses")
    tot = defaultdict(int)
    errs: list[float] = []
    for edit, b in per_edit.items():
        n, hits, bh = len(b["ours_hit"]), sum(b["ours_hit"]), sum(b["base_hit"])
        fm, bfm = sum(b["ours_false"]), sum(b["base_false"])
        neg, nfm, bnfm = len(b["ours_neg"]), sum(x > 0 for x in b["ours_neg"]), sum(x > 0 for x in b["base_neg"])
        ok = sum(e <= 2.0 for e in b["ours_err"])
        errs += b["ours_err"]
        misses = ",".join(x for x in b["ours_miss_names"] if x)
        print(f"{edit:22} {n:2d} {hits:3d}/{n:<3d} {bh:2d}/{n:<3d} {fm:5d} {bfm:6d} {neg:3d} {nfm:5d} {bnfm:6d} "
              f"{ok:6d}/{len(b['ours_err']):<6d}  {misses}")
        for k, v in (("n", n), ("hits", hits), ("bh", bh), ("fm", fm + nfm), ("bfm", bfm + bnfm), ("neg", neg)):
            tot[k] += v
    print(f"\noverall recall {tot['hits']}/{tot['n']} = {tot['hits'] / tot['n']:.2f} "
          f"(baseline pHash {tot['bh']}/{tot['n']} = {tot['bh'] / tot['n']:.2f}); "
          f"false matches {tot['fm']} (baseline {tot['bfm']}) over {tot['neg']} negatives and all positives; "
          f"segment start within 2 s: {sum(e <= 2 for e in errs)}/{len(errs)}"
          + (f" = {sum(e <= 2 for e in errs) / len(errs):.2f}" if errs else ""))
    print(f"time per clip: provenance {ours_t / len(cases):.2f} s, baseline (on the same frames) "
          f"{base_t / len(cases):.3f} s; indexing {index_s:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
