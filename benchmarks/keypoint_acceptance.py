"""What keypoint verification measures on matching and on unrelated pairs: the data its acceptance is set from.

Runs every query of the matching suite (``match_suite.py``; the dev split unless told otherwise) through the
visual stage against the suite's index, recording every RANSAC fit that keypoint search tries (the top
candidate reference keypoint frames of each query keypoint frame, as production tries them) with all its
measures (local_features.Geometry), before acceptance. A fit is labelled

  right     the query reuses that reference (a positive case, its own reference)
  unrelated a negative query, or a positive query against another reference

and for each measure the script prints percentiles per label, the largest value any unrelated fit reached,
and how many fits of each label the current acceptance (local_features.accept) lets through. ``--dump FILE``
writes the fits as JSON lines for further study.

Usage: python benchmarks/keypoint_acceptance.py [--split dev|held-out|all] [--dump FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict

import numpy as np

import provenance.visual.index as index_module
from provenance.config import load_pipeline
from provenance.media import probe
from provenance.visual import local_features as lf
from provenance.visual.index import KnownImageryIndex
from provenance.visual.matching import match
from provenance.visual.stage import query_fingerprint
from provenance.workspace import Workspace

from bench_matching import held_out
from match_suite import build

MEASURES = ("inliers", "ratio", "scale", "angle", "spread", "ref_spread", "distinct", "cells", "density",
            "descriptor_distance")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", choices=("dev", "held-out", "all"), default="dev")
    ap.add_argument("--dump", help="write every fit as a JSON line to this file")
    args = ap.parse_args()
    folder, refs, cases = build()
    if args.split != "all":
        cases = [c for c in cases if held_out(c) == (args.split == "held-out")]
    pipeline = load_pipeline("standard")
    fits: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        index = KnownImageryIndex(Workspace(tmp))
        for ref in refs:
            index.add([ref["path"]], id=ref["id"], first_seen=ref["first_seen"], frames=pipeline.visual.frames,
                      matching=pipeline.visual.matching)
        owner: dict[int, tuple[str, float]] = {}
        current: dict = {}
        real_verify = index_module.verify

        def recording_verify(query: lf.LocalFeatures, ref: lf.LocalFeatures, pairs: np.ndarray):
            if not owner:  # reference keypoint frames by identity: the index loads them once
                owner.update({id(f[2]): (f[0], f[1]) for f in index._keypoint_frame_table().frames})
            g = lf.measure(query, ref, pairs)
            if g is not None:
                ref_id, t = owner.get(id(ref), ("?", -1.0))
                right = ref_id == current["reference_id"]
                fits.append({"case": current["name"], "edit": current["edit"], "hard": current["hard"],
                             "reference": ref_id, "t": t, "label": "right" if right else "unrelated",
                             "accepted": lf.accept(g), "ratio": g.ratio, **asdict(g)})
            return real_verify(query, ref, pairs)

        index_module.verify = recording_verify
        try:
            for case in cases:
                current.update(name=case.name, edit=case.edit, hard=case.hard, reference_id=case.reference_id)
                fp = query_fingerprint(probe(folder / "queries" / case.name), pipeline.visual)
                match(fp, index, pipeline.visual.matching)
        finally:
            index_module.verify = real_verify
    if args.dump:
        with open(args.dump, "w") as out:
            out.writelines(json.dumps(f) + "\n" for f in fits)
    _print(fits, len(cases))
    return 0


def _print(fits: list[dict], n_cases: int) -> None:
    by = {lab: [f for f in fits if f["label"] == lab] for lab in ("right", "unrelated")}
    print(f"{n_cases} queries; RANSAC fits tried: {len(by['right'])} right, {len(by['unrelated'])} unrelated; "
          f"accepted now: {sum(f['accepted'] for f in by['right'])} right, "
          f"{sum(f['accepted'] for f in by['unrelated'])} unrelated\n")
    print(f"{'measure':20} {'label':9} {'p5':>8} {'p25':>8} {'p50':>8} {'p75':>8} {'p95':>8} {'max':>8}")
    for m in MEASURES:
        for lab, fs in by.items():
            v = np.array([abs(f[m]) if m == "angle" else f[m] for f in fs], dtype=float)
            if not len(v):
                continue
            q = np.percentile(v, [5, 25, 50, 75, 95])
            print(f"{m:20} {lab:9} " + " ".join(f"{x:8.3f}" for x in q) + f" {v.max():8.3f}")
    worst = sorted(by["unrelated"], key=lambda f: -f["inliers"])[:12]
    print("\nunrelated fits with the most inliers:")
    for f in worst:
        print(f"  {f['case']:32} -> {f['reference']:24} inl {f['inliers']:3d} ratio {f['ratio']:.2f} "
              f"scale {f['scale']:.2f} angle {f['angle']:6.1f} spread {f['spread']:.3f}/{f['ref_spread']:.3f} "
              f"cells {f['cells']:2d} density {f['density']:.3f} desc {f['descriptor_distance']:.0f}"
              f"{'  ACCEPTED' if f['accepted'] else ''}")


if __name__ == "__main__":
    sys.exit(main())
