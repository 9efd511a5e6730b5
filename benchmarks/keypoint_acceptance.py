"""What keypoint verification measures on matching and on unrelated pairs: the data its acceptance is set from.

Runs every query of the matching suite (``match_suite.py``; the dev split with its dev batches ``build_dev_2`` to
``build_dev_4`` unless told otherwise) through the visual stage against the suite's index (the dev batches'
references beside it), recording every RANSAC fit that keypoint search tries (the top
candidate reference keypoint frames of each query keypoint frame, as production tries them) with all its
measures (local_features.Geometry), before acceptance. A fit is labelled

  right     the query reuses that reference (a positive case, its own reference)
  unrelated a negative query, or a positive query against another reference

and for each measure (with ``agreement``, a second check studied for keypoint-only matches and not used: see
its docstring) the script prints percentiles per label, the largest value any unrelated fit reached,
and how many fits of each label the current acceptance (local_features.accept) lets through. ``--dump FILE``
writes the fits as JSON lines for further study.

``--exhaustive`` is the stress test the thresholds are set on: every query keypoint frame (hash-matched or
not) against every reference keypoint frame, each pair with Lowe's ratio test within that reference frame
alone (as image retrieval verifies a shortlist), so that far more unrelated pairs reach RANSAC than production's
shortlist lets through. A "right" fit there is a query frame against a keypoint frame of its own reference
within 3 s of where the reused part puts it (other frames of the same reference are left out: a pan over one
photograph shows parts of it at other times too).

Usage: python benchmarks/keypoint_acceptance.py [--split dev|held-out|all] [--exhaustive] [--dump FILE]
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import tempfile
from dataclasses import asdict

import cv2
import numpy as np

import provenance.visual.index as index_module
from provenance.config import load_pipeline
from provenance.media import probe
from provenance.visual import local_features as lf
from provenance.visual.hashing import crop_box
from provenance.visual.index import KnownImageryIndex, StaticKeypoints
from provenance.visual.matching import match
from provenance.visual.stage import query_fingerprint
from provenance.workspace import Workspace

from bench_matching import held_out
from match_suite import build, build_dev_2, build_dev_3, build_dev_4, reference_path

MEASURES = ("inliers", "ratio", "scale", "angle", "spread", "ref_spread", "distinct", "cells", "density",
            "descriptor_distance", "ref_distinct", "cover", "ref_cover",
            "support", "ref_support", "overlap", "query_overlap", "static_share", "agreement")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", choices=("dev", "held-out", "all"), default="dev")
    ap.add_argument("--dump", help="write every fit as a JSON line to this file")
    ap.add_argument("--exhaustive", action="store_true",
                    help="every query keypoint frame against every reference keypoint frame, per-frame ratio test")
    args = ap.parse_args()
    folder, refs, cases = build()
    if args.split != "all":
        cases = [c for c in cases if held_out(c) == (args.split == "held-out")]
    where = {c.name: folder for c in cases}
    for batch in (build_dev_2, build_dev_3, build_dev_4):  # the dev batches, indexed as bench_matching's dev does
        b_folder, b_refs, b_cases = batch()
        refs = refs + b_refs
        if args.split != "held-out":
            cases = cases + b_cases
            where |= {c.name: b_folder for c in b_cases}
    pipeline = load_pipeline("standard")
    fits: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        index = KnownImageryIndex(Workspace(tmp))
        for ref in refs:
            index.add([reference_path(ref)], id=ref["id"], first_seen=ref["first_seen"], frames=pipeline.visual.frames,
                      matching=pipeline.visual.matching)
        owner: dict[int, tuple[str, float]] = {}  # descriptors' hash -> reference, t
        current: dict = {}
        real_verify = index_module.verify

        def recording_verify(query: lf.LocalFeatures, ref: lf.LocalFeatures, pairs: np.ndarray, static=None):
            if not owner:  # reference keypoint frames by their descriptors (slots are read from mapped files)
                with index.workspace.reading() as conn:
                    owner.update({hash(r[2]): (r[0], r[1]) for r in conn.execute(
                        "SELECT reference_id, t, descriptors FROM keyframe")})
            g = lf.measure(query, ref, pairs, static)
            if g is not None:
                ref_id, t = owner.get(hash(ref.descriptors.tobytes()), ("?", -1.0))
                right = ref_id == current["reference_id"]
                fits.append({"case": current["name"], "edit": current["edit"], "hard": current["hard"],
                             "reference": ref_id, "t": t, "label": "right" if right else "unrelated",
                             "accepted": lf.accept(g), "ratio": g.ratio, "agreement": agreement(query, ref, g),
                             **asdict(g)})
            return real_verify(query, ref, pairs, static)

        n_queries = len(cases)
        if args.exhaustive:
            _exhaustive(index, where, cases, pipeline, fits)
            cases = []
        index_module.verify = recording_verify
        try:
            for case in cases:
                current.update(name=case.name, edit=case.edit, hard=case.hard, reference_id=case.reference_id)
                fp = query_fingerprint(probe(where[case.name] / "queries" / case.name), pipeline.visual)
                match(fp, index, pipeline.visual.matching)
        finally:
            index_module.verify = real_verify
    if args.dump:
        with open(args.dump, "w") as out:
            out.writelines(json.dumps(f) + "\n" for f in fits)
    _print(fits, n_queries)
    return 0


TWIN_RADIUS = 4.0  # px (reference frame): a query keypoint mapped this near a reference keypoint is the same spot


def agreement(query: lf.LocalFeatures, ref: lf.LocalFeatures, g: lf.Geometry) -> float:
    """Of the query keypoints that land within TWIN_RADIUS px of a reference keypoint under the fit (the same spot
    of the picture, found on both sides), the share whose descriptor agrees with such a twin's within
    lf.MAX_DESCRIPTOR_DISTANCE bits; 0.0 when none lands near one.

    A candidate second check for keypoint-only matches (issue 12, the same place under another light): the
    ratio-test inliers are the pairs that agree best, so a picture sharing only its structure with the reference
    can still gather enough of them; every spot both sides found is asked here. Studied, not used: it separates
    the suite's relit negatives from its positives, but magnified crops of real photographs score as low as
    relit pictures (DESIGN.md, "The same place under another light"). ~1-2 ms CPU a fit.
    """
    if not g.model or not len(ref.points):
        return 0.0
    model = np.asarray(g.model, dtype=np.float64).reshape(2, 3)
    mapped = (query.points.astype(np.float64) @ model[:, :2].T + model[:, 2]).astype(np.float32)
    # reference keypoints sorted by x: each query keypoint compares with those in its TWIN_RADIUS-wide x band only
    order = np.argsort(ref.points[:, 0], kind="stable")
    rx, ry = ref.points[order, 0], ref.points[order, 1]
    lo = np.searchsorted(rx, mapped[:, 0] - TWIN_RADIUS, side="left")
    hi = np.searchsorted(rx, mapped[:, 0] + TWIN_RADIUS, side="right")
    counts = hi - lo
    if not counts.sum():
        return 0.0
    q = np.repeat(np.arange(len(mapped)), counts)
    r = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(lo, counts)
    near = (rx[r] - mapped[q, 0]) ** 2 + (ry[r] - mapped[q, 1]) ** 2 <= TWIN_RADIUS ** 2
    q, r = q[near], order[r[near]]
    if not len(q):
        return 0.0
    bits = np.unpackbits(query.descriptors[q] ^ ref.descriptors[r], axis=1).sum(axis=1)
    best = np.full(len(mapped), 256)
    np.minimum.at(best, q, bits)
    return float((best[np.unique(q)] <= lf.MAX_DESCRIPTOR_DISTANCE).mean())


def ratio_pairs(query: lf.LocalFeatures, ref: lf.LocalFeatures) -> np.ndarray:
    """(query index, ref index) pairs passing Lowe's ratio test within one reference keypoint frame."""
    knn = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(query.descriptors, ref.descriptors, k=2)
    pairs = [(m[0].queryIdx, m[0].trainIdx) for m in knn if len(m) == 2
             and m[0].distance <= lf.MAX_DESCRIPTOR_DISTANCE and m[0].distance < lf.RATIO * m[1].distance]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _exhaustive(index: KnownImageryIndex, where: dict, cases, pipeline, fits: list[dict]) -> None:
    with index.workspace.reading() as conn:
        rows = conn.execute("SELECT reference_id, t, width, height, points, descriptors FROM keyframe").fetchall()
    ref_frames = [(r[0], r[1], lf.LocalFeatures.from_blobs(r[4], r[5], r[2], r[3])) for r in rows]
    print(f"exhaustive: {len(ref_frames)} reference keypoint frames")
    # the overlay check as the index asks it: one slot per byte-identical keypoint frame, its (reference, time)s
    slot_of: dict[bytes, int] = {}
    slots: list[lf.LocalFeatures] = []
    members: list[list[tuple[str, float]]] = []
    for ref_id, t, feats in ref_frames:
        s = slot_of.setdefault(feats.descriptors.tobytes(), len(slots))
        if s == len(slots):
            slots.append(feats)
            members.append([])
        members[s].append((ref_id, t))
    static = StaticKeypoints(slots, members)
    row_slots = [slot_of[feats.descriptors.tobytes()] for _r, _t, feats in ref_frames]
    for case in cases:
        fp = query_fingerprint(probe(where[case.name] / "queries" / case.name), pipeline.visual)
        speed = 0.5 if "0.5x" in case.edit else 2.0 if "2x" in case.edit else 1.25 if case.edit == "speed_fps" else 1.0
        for frame in fp.frames:
            if frame.pixels is None:
                continue
            pixels = crop_box(frame.pixels, frame.box) if frame.box else frame.pixels
            q = lf.extract(pixels, lf.QUERY_FEATURES, spread=True)
            if q is None:
                continue
            for (ref_id, t, feats), slot in zip(ref_frames, row_slots, strict=True):
                pairs = ratio_pairs(q, feats)
                g = lf.measure(q, feats, pairs, functools.partial(static, slot))
                if g is None:
                    continue
                label = "unrelated"
                if ref_id == case.reference_id:
                    expect = (case.reference_start or 0.0) + (frame.t - (case.query_start or 0.0)) * speed
                    still = len(fp.frames) == 1 or index.get(ref_id).kind == "image"
                    if not still and abs(t - expect) > 3.0:
                        continue  # the same reference elsewhere in time: neither right nor unrelated
                    label = "right"
                fits.append({"case": case.name, "edit": case.edit, "hard": case.hard, "reference": ref_id, "t": t,
                             "qt": frame.t, "label": label, "accepted": lf.accept(g), "ratio": g.ratio,
                             "agreement": agreement(q, feats, g), **asdict(g)})


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
    plausible = [f for f in by["unrelated"] if lf.SCALE_RANGE[0] <= f["scale"] <= lf.SCALE_RANGE[1]]
    worst = sorted(plausible, key=lambda f: -f["inliers"])[:12]
    print(f"\nunrelated fits with the most inliers at a plausible scale ({len(plausible)} such fits; the others are "
          f"degenerate, scale < {lf.SCALE_RANGE[0]}):")
    for f in worst:
        print(f"  {f['case']:32} -> {f['reference']:24} inl {f['inliers']:3d} ratio {f['ratio']:.2f} "
              f"scale {f['scale']:.2f} angle {f['angle']:6.1f} spread {f['spread']:.3f}/{f['ref_spread']:.3f} "
              f"cells {f['cells']:2d} density {f['density']:.3f} desc {f['descriptor_distance']:.0f} "
              f"ref_support {f['ref_support']:.2f} overlap {min(f['overlap'], f['query_overlap']):.2f}"
              f"{'  ACCEPTED' if f['accepted'] else ''}")


if __name__ == "__main__":
    sys.exit(main())
