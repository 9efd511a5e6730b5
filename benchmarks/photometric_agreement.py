"""Photometric agreement of a match's aligned overlap: does the reference's own picture explain the query's?

Issue 12, the same place under another light (DESIGN.md): keypoints alone fit a relit render of an indexed
picture (GNOME's licorice, dark against light), and whole-frame PDQ matched its still at 12 bits. A colour grade
is (nearly) one global tone map of the picture; another light is not. This study warps every query picture that
a keypoint fit accepts (``local_features.accept``) into the reference keypoint frame it fitted, at the
reference's scale and a small size (``SIDE`` px), fits a global tone map from query to reference over the
overlap and measures how much of the reference it explains:

  grey_r2    affine grey map (Pearson r squared)
  rgb_r2     affine RGB map (3x4 least squares), explained share of the reference's variance, all channels
  spearman   rank correlation of the grey levels (any monotone grey map)
  trim_r2    the RGB map refitted without the worst-explained TRIM of the overlap, over the rest
  grad_r     correlation of the grey gradient fields (Sobel x and y)
  local_gap  median over cells of (a map fitted in the cell's R^2 - the global map's R^2 there)
  cell_r2    the RGB map fitted over the whole overlap, its explained share in each of GRID x GRID cells of the
             reference holding enough of the overlap, the median cell (a caption or a logo spoils a few cells)

For matches found by whole-frame PDQ of a still (no fit), the same at identity: the query picture (its content
box) resized onto the reference's. Reference pixels are the keypoint frames' pixels as the index extracts them
(recorded while indexing: the index stores no pixels). Dev split only (the dev batches build_dev_2 to
build_dev_4 beside the suite's dev quarter); never a held-out split.

``--summary FILE`` prints, from a dump, each case kind's range (the best fit to the matched reference, or the
identity comparison of a hash match); ``--pairs`` the same measures at identity for every DEV_4_PAIRS render pair
(the relit kind, matched or not) and for a colour grade of each indexed render (match_suite.e_grade), with the CPU
time of one comparison. ``PHOTO_SIDE`` (environment) sets SIDE.

Usage: python benchmarks/photometric_agreement.py [--only SUBSTRING ...] [--dump FILE] [--summary FILE] [--pairs]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

import provenance.visual.hashing as hashing_module
import provenance.visual.index as index_module
import provenance.visual.matching as matching_module
from provenance.config import load_pipeline
from provenance.media import probe
from provenance.visual import local_features as lf
from provenance.visual.hashing import crop_box
from provenance.visual.index import KnownImageryIndex
from provenance.visual.matching import match
from provenance.visual.stage import query_fingerprint
from provenance.workspace import Workspace

from bench_matching import held_out
from match_suite import (
    DEV_4_PAIRS,
    ROOT,
    _fit,
    _photo,
    build,
    build_dev_2,
    build_dev_3,
    build_dev_4,
    e_grade,
    reference_path,
)

SIDE = int(os.environ.get("PHOTO_SIDE", 96))  # px: the reference picture's long side where the overlap is compared
GRID = 4  # cells a side for cell_r2
MIN_CELL_PX = 40  # of the overlap, for a cell to count
MIN_OVERLAP_PX = 200
TRIM = 0.2  # share of the overlap's pixels left out of trim_r2


def _small(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    s = SIDE / max(h, w)
    return cv2.resize(np.ascontiguousarray(rgb), (max(1, round(w * s)), max(1, round(h * s))),
                      interpolation=cv2.INTER_AREA).astype(np.float32)


def agreement(query_rgb: np.ndarray, ref_small: np.ndarray, ref_size: tuple[int, int],
              model: np.ndarray) -> dict | None:
    """The measures above for ``query_rgb`` mapped by ``model`` (2x3, query px -> reference px of a picture of
    ``ref_size`` (w, h)) onto ``ref_small`` (the reference at SIDE px); None when the overlap is too small."""
    rh, rw = ref_small.shape[:2]
    m = np.asarray(model, np.float64).reshape(2, 3).copy()
    m[0] *= rw / ref_size[0]
    m[1] *= rh / ref_size[1]
    k = float(np.sqrt(abs(np.linalg.det(m[:, :2]))))  # small-reference px per query px
    q = np.ascontiguousarray(query_rgb).astype(np.float32)
    if k < 1.0:  # shrink the query first so the warp does not alias
        qh, qw = q.shape[:2]
        size = (max(1, round(qw * k)), max(1, round(qh * k)))
        q = cv2.resize(q, size, interpolation=cv2.INTER_AREA)
        m[:, 0] *= qw / size[0]
        m[:, 1] *= qh / size[1]
    warped = cv2.warpAffine(q, m, (rw, rh), flags=cv2.INTER_LINEAR)
    inside = cv2.warpAffine(np.ones(q.shape[:2], np.uint8), m, (rw, rh), flags=cv2.INTER_NEAREST)
    inside = cv2.erode(inside, np.ones((3, 3), np.uint8)).astype(bool)
    if inside.sum() < MIN_OVERLAP_PX:
        return None
    x = warped[inside].reshape(-1, 3)
    y = ref_small[inside].reshape(-1, 3)
    gx, gy = x @ [0.299, 0.587, 0.114], y @ [0.299, 0.587, 0.114]
    grey_r2 = float(np.corrcoef(gx, gy)[0, 1] ** 2) if gx.std() > 1e-6 and gy.std() > 1e-6 else 0.0
    rx, ry = np.argsort(np.argsort(gx)), np.argsort(np.argsort(gy))
    spearman = float(np.corrcoef(rx, ry)[0, 1]) if gx.std() > 1e-6 and gy.std() > 1e-6 else 0.0
    a = np.column_stack([x, np.ones(len(x))])
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    resid = y - a @ coef
    tot = ((y - y.mean(axis=0)) ** 2).sum()
    rgb_r2 = float(1 - (resid ** 2).sum() / tot) if tot > 1e-6 else 0.0
    # trimmed: the map refitted without the TRIM worst-explained pixels (a caption, a logo, an interface's part of
    # the overlap), its explained share of the rest
    keep = (resid ** 2).sum(axis=1) <= np.quantile((resid ** 2).sum(axis=1), 1 - TRIM)
    t_coef, *_ = np.linalg.lstsq(a[keep], y[keep], rcond=None)
    t_tot = ((y[keep] - y[keep].mean(axis=0)) ** 2).sum()
    trim_r2 = float(1 - ((y[keep] - a[keep] @ t_coef) ** 2).sum() / t_tot) if t_tot > 1e-6 else 0.0
    # per cell, two measures: the global map's explained share of the cell's own variance (``cells``), and how far
    # an affine RGB map fitted in the cell alone beats the global one (``gaps``: a grade is one map everywhere)
    full_resid = np.zeros((rh, rw), np.float32)
    full_resid[inside] = (resid ** 2).sum(axis=1)
    cells, gaps = [], []
    for i in range(GRID):
        for j in range(GRID):
            ys, xs = slice(i * rh // GRID, (i + 1) * rh // GRID), slice(j * rw // GRID, (j + 1) * rw // GRID)
            sel = inside[ys, xs]
            if sel.sum() < MIN_CELL_PX:
                continue
            cx, cy = warped[ys, xs][sel], ref_small[ys, xs][sel]
            ctot = ((cy - cy.mean(axis=0)) ** 2).sum()
            if ctot / len(cy) < 9.0:  # a flat cell (std < ~1.7 levels) says nothing
                continue
            cells.append(1 - full_resid[ys, xs][sel].sum() / ctot)
            ca = np.column_stack([cx, np.ones(len(cx))])
            c_coef, *_ = np.linalg.lstsq(ca, cy, rcond=None)
            local = 1 - ((cy - ca @ c_coef) ** 2).sum() / ctot
            glob = 1 - ((cy - ca @ coef) ** 2).sum() / ctot
            gaps.append(local - glob)
    # gradients: correlation of the grey gradient fields (x and y Sobel) of the warped query and the reference
    gq = cv2.cvtColor(warped, cv2.COLOR_RGB2GRAY)
    gr = cv2.cvtColor(ref_small, cv2.COLOR_RGB2GRAY)
    inner = cv2.erode(inside.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    grad = []
    for dx, dy in ((1, 0), (0, 1)):
        a1 = cv2.Sobel(gq, cv2.CV_32F, dx, dy)[inner]
        a2 = cv2.Sobel(gr, cv2.CV_32F, dx, dy)[inner]
        grad.append((a1, a2))
    ga = np.concatenate([g[0] for g in grad])
    gb = np.concatenate([g[1] for g in grad])
    grad_r = float(np.corrcoef(ga, gb)[0, 1]) if ga.std() > 1e-6 and gb.std() > 1e-6 else 0.0
    return {"grey_r2": grey_r2, "rgb_r2": rgb_r2, "trim_r2": trim_r2, "spearman": spearman, "grad_r": grad_r,
            "local_gap": float(np.median(gaps)) if gaps else None,
            "cell_r2": float(np.median(cells)) if cells else None, "cells": len(cells),
            "overlap_px": int(inside.sum())}


def _path(ref: dict, main_cache) -> str:
    """A manifest reference's file: in this checkout's cache, else in the lead's (manifests keep absolute paths
    of the worktree that built them)."""
    path = reference_path(ref)
    if not Path(path).is_file() and "/benchmarks/.cache/" in path:
        moved = main_cache / path.split("/benchmarks/.cache/", 1)[1]
        if moved.is_file():
            return str(moved)
    return path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", help="cases whose name holds one of these")
    ap.add_argument("--dump", default=str(ROOT / "benchmarks" / ".cache" / "photometric.jsonl"))
    ap.add_argument("--summary", help="print the per-kind ranges of a dump and stop")
    ap.add_argument("--pairs", action="store_true", help="the relit render pairs and their colour grades, at identity")
    args = ap.parse_args()
    if args.summary:
        return _summary(args.summary)
    if args.pairs:
        return _pairs()
    main_cache = ROOT.parent / "main" / "benchmarks" / ".cache"  # the lead's built suite, read only, when here
    cache = (lambda name: main_cache / name) if (main_cache / "match_suite").is_dir() else (lambda name: None)
    folder, refs, cases = build(cache("match_suite"))
    cases = [c for c in cases if not held_out(c)]
    where = {c.name: folder for c in cases}
    for batch, name in ((build_dev_2, "match_suite_d2"), (build_dev_3, "match_suite_d3"),
                        (build_dev_4, "match_suite_d4")):
        b_folder, b_refs, b_cases = batch(cache(name) if (main_cache / name).is_dir() else None)
        refs = refs + b_refs
        cases = b_cases + cases  # dev-4 first: the relit pairs
        where |= {c.name: b_folder for c in b_cases}
    if args.only:
        cases = [c for c in cases if any(s in c.name for s in args.only)]
    pipeline = load_pipeline("standard")
    ref_frames: list[tuple[np.ndarray, tuple[int, int]]] = []  # reference keypoint frames: small rgb, (w, h)
    ref_rows: dict[bytes, int] = {}  # a reference descriptor row -> its frame in ref_frames

    def ref_pixels(feats: lf.LocalFeatures) -> tuple[np.ndarray, tuple[int, int]] | None:
        """The recorded pixels of a stored keypoint frame: the frame most of its descriptor rows came from."""
        votes = collections.Counter(ref_rows.get(bytes(row)) for row in feats.descriptors)
        votes.pop(None, None)
        if not votes:
            return None
        frame, n = votes.most_common(1)[0]
        return ref_frames[frame] if n >= len(feats.descriptors) // 2 else None

    query_pixels: dict[int, tuple[object, np.ndarray]] = {}  # id(features) -> (features, the rgb they came from)
    real_extract_h, real_extract_m = hashing_module.extract, matching_module.extract

    def recording_extract(real):
        def extract(rgb, features=lf.ORB_FEATURES, *, spread=False, within=None):
            out = real(rgb, features, spread=spread, within=within)
            if out is not None:
                if spread:
                    query_pixels[id(out)] = (out, rgb)
                else:  # by each descriptor row: indexing may drop the rows that stay put (lf.mask_static)
                    ref_frames.append((_small(rgb), (rgb.shape[1], rgb.shape[0])))
                    ref_rows.update(dict.fromkeys(map(bytes, out.descriptors), len(ref_frames) - 1))
            return out
        return extract

    hashing_module.extract = recording_extract(real_extract_h)
    matching_module.extract = recording_extract(real_extract_m)
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp, open(args.dump, "w") as out:
        index = KnownImageryIndex(Workspace(tmp))
        missing = [r["id"] for r in refs if not Path(_path(r, main_cache)).is_file()]
        assert not missing, f"reference files not found: {missing}"
        for ref in refs:
            index.add([_path(ref, main_cache)], id=ref["id"], first_seen=ref["first_seen"],
                      frames=pipeline.visual.frames, matching=pipeline.visual.matching)
        print(f"indexed {len(refs)} references, {len(ref_frames)} keypoint frames' pixels, {time.time() - t0:.0f} s",
              flush=True)
        owner: dict[int, tuple[str, float]] = {}
        with index.workspace.reading() as conn:
            owner.update({hash(r[2]): (r[0], r[1]) for r in conn.execute(
                "SELECT reference_id, t, descriptors FROM keyframe")})
        with index.workspace.reading() as conn:
            by_ref_t = {(r[0], r[1]): got for r in conn.execute(
                "SELECT reference_id, t, width, height, points, descriptors FROM keyframe")
                if (got := ref_pixels(lf.LocalFeatures.from_blobs(r[4], r[5], r[2], r[3]))) is not None}
        current: dict = {}
        real_verify = index_module.verify

        def recording_verify(query, ref, pairs, static=None):
            result = real_verify(query, ref, pairs, static)
            g = lf.measure(query, ref, pairs, static)
            if g is None or not lf.accept(g):
                return result
            ref_id, t = owner.get(hash(ref.descriptors.tobytes()), ("?", -1.0))
            got, pixels = query_pixels.get(id(query)), ref_pixels(ref)
            if pixels is None or got is None or got[0] is not query:
                current["fits"].append({"reference": ref_id, "t": t, "missing": True})
                return result
            small, size = pixels
            meas = agreement(got[1], small, size, np.asarray(g.model))
            current["fits"].append({"reference": ref_id, "t": t, "inliers": g.inliers, "scale": g.scale,
                                    "right": ref_id == current["reference_id"], **(meas or {"none": True})})
            return result

        index_module.verify = recording_verify
        try:
            for case in cases:
                query_pixels.clear()
                current.update(name=case.name, reference_id=case.reference_id, fits=[])
                fp = query_fingerprint(probe(where[case.name] / "queries" / case.name), pipeline.visual)
                matches, _ = match(fp, index, pipeline.visual.matching)
                found = []
                for m in matches:
                    entry = {"reference": m.reference_id, "methods": m.methods, "inliers": m.local_inliers,
                             "min_distance": m.min_distance, "right": m.reference_id == case.reference_id}
                    if "local" not in m.methods and m.frames:  # by hash: the first matched frame at identity
                        f0 = m.frames[0]
                        qf = min((f for f in fp.frames if f.pixels is not None),
                                 key=lambda f: abs(f.t - f0.query_t), default=None)
                        rk = min((k for k in by_ref_t if k[0] == m.reference_id),
                                 key=lambda k: abs(k[1] - f0.reference_t), default=None)
                        if qf is not None and rk is not None and abs(qf.t - f0.query_t) <= 0.25 \
                                and abs(rk[1] - f0.reference_t) <= 0.25:
                            pixels = crop_box(qf.pixels, qf.box) if qf.box else qf.pixels
                            if f0.mirrored:
                                pixels = pixels[:, ::-1]
                            small, size = by_ref_t[rk]
                            qh, qw = pixels.shape[:2]
                            model = np.array([[size[0] / qw, 0, 0], [0, size[1] / qh, 0]])
                            entry["identity"] = agreement(pixels, small, size, model)
                            entry["identity_t"] = (qf.t, rk[1])
                    found.append(entry)
                row = {"case": case.name, "edit": case.edit, "hard": case.hard, "truth": case.reference_id,
                       "matches": found, "fits": current["fits"]}
                out.write(json.dumps(row) + "\n")
                out.flush()
                print(f"{time.time() - t0:6.0f} s {case.name}: {[(e['reference'], e['methods']) for e in found]}",
                      flush=True)
        finally:
            index_module.verify = real_verify
            hashing_module.extract, matching_module.extract = real_extract_h, real_extract_m
    return 0


MEASURES = ("rgb_r2", "trim_r2", "grey_r2", "spearman", "cell_r2", "grad_r", "local_gap")


def _summary(path: str) -> int:
    kinds: dict[str, list[dict]] = {}
    with open(path) as f:
        rows = [json.loads(line) for line in f]
    for r in rows:
        for m in r["matches"]:
            fits = [f for f in r["fits"] if f.get("reference") == m["reference"] and "rgb_r2" in f]
            if "local" in m["methods"] and fits:
                best, how = max(fits, key=lambda f: f["rgb_r2"]), "keypoints"
            elif m.get("identity"):
                best, how = m["identity"], "hash"
            else:
                continue
            label = "RELIT" if r["hard"] == "same_place_other_light" else "true" if m["right"] else "FALSE"
            kinds.setdefault(f"{label} {r['edit']} ({how})", []).append({**best, "case": r["case"]})
    print(f"{'kind':44} {'n':>3} " + " ".join(f"{m:>13}" for m in MEASURES))
    for k in sorted(kinds):
        v = kinds[k]
        cols = []
        for m in MEASURES:
            x = [e[m] for e in v if e.get(m) is not None]
            cols.append(f"{min(x):6.2f}-{max(x):<6.2f}" if x else f"{'-':>13}")
        print(f"{k:44} {len(v):3d} " + " ".join(cols))
    relit = [e for k, v in kinds.items() if k.startswith("RELIT") for e in v]
    true = [e for k, v in kinds.items() if k.startswith("true") for e in v]
    for m in MEASURES[:6]:
        if relit:
            top = max(e[m] for e in relit if e.get(m) is not None)
            under = sorted((round(e[m], 2), e["case"]) for e in true if e.get(m) is not None and e[m] <= top)
            print(f"{m}: {len(under)} of {len(true)} true matches at or under the relit matches' best {top:.2f}: "
                  f"{under[:8]}")
    return 0


def _pairs() -> int:
    """Every DEV_4_PAIRS render pair at identity (the query render resized onto the indexed one), and a colour
    grade of each indexed render, with the CPU time of one comparison (median of 20)."""
    rng = np.random.default_rng(12)
    for indexed, other in DEV_4_PAIRS:
        ref, query = _fit(_photo(indexed)), _fit(_photo(other))
        small, size = _small(ref), (ref.shape[1], ref.shape[0])
        qh, qw = query.shape[:2]
        model = np.array([[size[0] / qw, 0, 0], [0, size[1] / qh, 0]])
        relit = agreement(query, small, size, model)
        graded = agreement(e_grade([ref], rng, [])[0], small, size, np.array([[1, 0, 0], [0, 1, 0]], float))
        spent = []
        for _ in range(20):
            t = time.process_time()
            agreement(query, small, size, model)
            spent.append(time.process_time() - t)
        print(f"{indexed:20} <- {other:20} relit " + " ".join(f"{m} {relit[m]:.2f}" for m in MEASURES)
              + f" | graded rgb_r2 {graded['rgb_r2']:.2f} spearman {graded['spearman']:.2f}"
              f" | {1000 * float(np.median(spent)):.1f} ms CPU ({qw}x{qh} query)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
