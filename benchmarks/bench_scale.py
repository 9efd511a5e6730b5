"""The visual stage against a growing archive: per-clip time and peak RSS, indexed vs exhaustive (issue 20).

Two series, each size measured in a fresh subprocess (so that its peak RSS is its own):
  pdq       10^4, 10^5, 10^6 indexed PDQ frames (10^7 with --pdq-max 10000000): the sample index's
            references plus random hashes under fake references (bench_search.fill). Two modes: ``exact``
            (the flat scan forced, PROVENANCE_HASH_IVF_MIN) and, from 10^5, ``ivf`` (the inverted file
            forced; by default it takes over from search.HASH_IVF_MIN_ROWS), with the recall of its hash
            hits within the match threshold against the exact search's.
  keypoint  10^2, 10^3, 10^4 searched reference keypoint frames (10^5 with --keypoint-max 100000): the sample
            index's real keypoint frames plus random ORB descriptors (500 a frame, random positions) under
            fake references, 2 s apart so that the scan searches each (index._searched). Two modes:
            ``indexed``: the default (the inverted file from local_features.IVF_MIN_DESCRIPTORS searched
            descriptors, exact below) and ``exhaustive``: the exact scan forced (PROVENANCE_KEYPOINT_IVF_MIN).

The pdq series' query is the 60-s 720p bench clip (bench_frames.build_clip: the archive footage looped), which
the hashes explain (the PDQ recall is measured on its hits). The keypoint series' query is that clip cropped to
its left 70% x 80% and scaled back up (a real libx264 encode): PDQ cannot explain a crop, so every one of the
clip's keypoint frames (up to ``local_max_frames``) goes to the keypoint search, the worst case per clip.

In each subprocess: the clip is fingerprinted once (``fingerprint s``, the same at every size), then
matched (provenance.visual.matching.match, standard profile) against the sample index (the baseline, same
process: the machine is shared, so ratios to it are what to compare across sizes) and against the filled
index: once cold (tables loaded from SQLite or derived files, the inverted file trained if stale) and then
``--repeats`` times warm. Printed per size: warm match s (median, min-max), ratio to the baseline's median,
cold s, peak RSS (ru_maxrss), and for the keypoint series the recall of the indexed search against the
exhaustive one at the match threshold: the share of the exhaustive run's accepted keypoint verifications
(query keypoint frame, reference, reference time) that the indexed run also accepted, and whether the
matches (reference, methods) are the same.

Random fill: random 256-bit descriptors lie ~128 bits from everything (the votes need <= 64), so they
never vote and never crowd the real references' neighbours: the recall measured here is the recall on the
real references inside a large index, optimistic against an archive of real footage, whose descriptors
cluster (more near neighbours compete for the 8 votes a query descriptor casts, in exact and indexed search
alike). Random descriptors also spread evenly over the inverted file's cells, real ones do not (fuller
cells are slower to scan): the indexed timings are optimistic too. The matching benchmark's dev index
(real descriptors only, 36,928 searched) gave the exact scan's hits for every nprobe tried (DESIGN.md).

Usage: python benchmarks/bench_scale.py [--repeats 3] [--pdq-min 10000] [--pdq-max 1000000] [--keypoint-max 10000]
       [--exhaustive-max 10000] [--series pdq,keypoint]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXHAUSTIVE = str(10**15)  # PROVENANCE_KEYPOINT_IVF_MIN beyond any index: the exact scan


def _crop_clip(out: Path) -> Path:
    """The 60-s bench clip's left 70% x 80% scaled back to 1280x720, encoded with libx264 (PyAV) as it is."""
    import av
    import cv2

    from bench_frames import build_clip

    tmp = out.with_suffix(".tmp.mp4")
    with av.open(str(build_clip(60))) as src, av.open(str(tmp), "w") as dst:
        stream = dst.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "23"}
        for i, frame in enumerate(src.decode(video=0)):
            rgb = frame.to_ndarray(format="rgb24")[40:616, 0:896]
            picture = av.VideoFrame.from_ndarray(cv2.resize(rgb, (1280, 720)), format="rgb24")
            picture.pts, picture.time_base = i, Fraction(1, 25)
            for packet in stream.encode(picture):
                dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)
    tmp.rename(out)
    return out


def _base_workspace(root: Path) -> Path:
    """The sample index (sample_media/known: the archive footage and two photographs), standard profile."""
    from provenance.config import load_pipeline
    from provenance.visual.index import KnownImageryIndex
    from provenance.workspace import Workspace

    pipeline = load_pipeline("standard")
    index = KnownImageryIndex(Workspace(root))
    known = ROOT / "sample_media" / "known"
    for name in ("archive_footage.mp4", "photo_astronaut.jpg", "photo_coins.jpg"):
        (res,) = index.add([known / name], frames=pipeline.visual.frames, matching=pipeline.visual.matching)
        assert res.status == "added", res.message
    return root


def _fill_keypoint_frames(db: Path, total: int, rng: np.random.Generator) -> None:
    """Top the keypoint frames up to ``total`` with random descriptors under fake references of 100 frames."""
    conn = sqlite3.connect(db)
    have, = conn.execute("SELECT COUNT(*) FROM keyframe").fetchone()
    width, height = conn.execute("SELECT width, height FROM keyframe LIMIT 1").fetchone()
    with conn:
        for start in range(0, total - have, 100):
            n = min(100, total - have - start)
            rid = f"random_kp_{start:08d}"
            conn.execute("INSERT INTO reference (id, path, sha256, kind, frames, added_at) VALUES (?,?,?,?,?,?)",
                         (rid, "/dev/null", "0" * 64, "video", n, "2026-01-01T00:00:00+00:00"))
            desc = rng.integers(0, 256, (n, 500, 32), dtype=np.uint8)
            pts = (rng.random((n, 500, 2)) * [width, height]).astype(np.float16)
            conn.executemany("INSERT INTO keyframe (reference_id, t, width, height, points, descriptors) "
                             "VALUES (?,?,?,?,?,?)",
                             [(rid, 2.0 * i, width, height, pts[i].tobytes(), desc[i].tobytes()) for i in range(n)])
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'index_generation'")
    conn.close()


def _prepare(base: Path, root: Path, series: str, size: int, rng: np.random.Generator) -> Path:
    if root.exists():
        return root
    tmp = root.with_name(root.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(base, tmp, ignore=shutil.ignore_patterns("derived"))
    if series == "pdq":
        from bench_search import fill

        fill(tmp / "provenance.db", size, rng)
    else:
        _fill_keypoint_frames(tmp / "provenance.db", size, rng)
    tmp.rename(root)
    return root


def child(args: argparse.Namespace) -> int:
    """One size, one mode, in this fresh process: prints one JSON line."""
    from provenance.config import load_pipeline
    from provenance.media import probe
    from provenance.visual.index import KnownImageryIndex
    from provenance.visual.matching import match
    from provenance.visual.stage import query_fingerprint
    from provenance.workspace import Workspace

    cfg = load_pipeline("standard").visual
    t0 = time.perf_counter()
    fp = query_fingerprint(probe(Path(args.clip)), cfg)
    fingerprint_s = time.perf_counter() - t0

    def timed(index: KnownImageryIndex, runs: int) -> list[float]:
        out = []
        for _ in range(runs):
            t = time.perf_counter()
            match(fp, index, cfg.matching)
            out.append(time.perf_counter() - t)
        return out

    base = KnownImageryIndex(Workspace(Path(args.base)))
    timed(base, 1)  # warm: tables loaded
    baseline = timed(base, args.repeats)
    index = KnownImageryIndex(Workspace(Path(args.workspace)))
    cold = timed(index, 1)[0]
    accepted: list[list[object]] = []
    pdq_hits: list[list[object]] = []
    search_local, search = index.search_local, index.search
    calls = iter(range(10**6))

    def recording(features, **kw):  # the real search; its accepted verifications are noted by call (query frame)
        hits = search_local(features, **kw)
        call = next(calls)
        accepted.extend([call, h.reference_id, round(h.t, 2)] for h in hits)
        return hits

    def recording_pdq(queries, **kw):  # the real hash search; its hits within the match threshold noted
        hits = search(queries, **kw)
        pdq_hits.extend([queries[h.query].hex(), h.reference_id, round(h.t, 2)] for h in hits)
        return hits

    index.search_local, index.search = recording, recording_pdq  # type: ignore[method-assign]
    t = time.perf_counter()
    matches, _ = match(fp, index, cfg.matching)
    warm = [time.perf_counter() - t]
    index.search_local, index.search = search_local, search  # type: ignore[method-assign]
    warm += timed(index, args.repeats - 1)
    table = index._tables.get("orb")
    print(json.dumps({
        "fingerprint_s": fingerprint_s, "baseline": baseline, "cold": cold, "warm": warm,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "frames": index.matchable_frames(cfg.matching.min_quality),
        "searched_descriptors": int(table.faiss_index.ntotal) if table is not None else 0,
        "structure": type(table.faiss_index).__name__ if table is not None else "-",
        "pdq_exact": index._hash_table(cfg.matching.min_quality).search.exact,
        "accepted": accepted, "pdq_hits": pdq_hits,
        "matches": sorted([m.reference_id, sorted(m.methods)] for m in matches),
    }))
    return 0


def _run(args: argparse.Namespace, ws: Path, base: Path, clip: Path, mode: str, repeats: int) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "benchmarks")]))
    env.pop("PROVENANCE_KEYPOINT_IVF_MIN", None)
    env.pop("PROVENANCE_HASH_IVF_MIN", None)
    if mode == "exhaustive":
        env["PROVENANCE_KEYPOINT_IVF_MIN"] = EXHAUSTIVE
    elif mode == "exact":
        env["PROVENANCE_HASH_IVF_MIN"] = EXHAUSTIVE
    elif mode == "ivf":
        env["PROVENANCE_HASH_IVF_MIN"] = "0"
    out = subprocess.run([sys.executable, __file__, "--child", "--workspace", str(ws), "--base", str(base),
                          "--clip", str(clip), "--repeats", str(repeats)],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _line(series: str, size: int, mode: str, r: dict, recall: str) -> str:
    warm, base = np.array(r["warm"]), np.array(r["baseline"])
    structure = r["structure"] if series == "keypoint" else ("IndexBinaryFlat" if r["pdq_exact"] else "IndexBinaryIVF")
    return (f"{series:8} {size:>9,} {mode:10} {structure:15} {np.median(warm):8.2f} "
            f"{warm.min():6.2f}-{warm.max():<6.2f} {np.median(warm) / np.median(base):6.2f}x {np.median(base):6.2f} "
            f"{r['cold']:7.2f} {r['rss_mb']:7.0f} {r['fingerprint_s']:6.2f}  {recall}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pdq-max", type=int, default=10**6)
    ap.add_argument("--pdq-min", type=int, default=10**4)
    ap.add_argument("--keypoint-max", type=int, default=10**4)
    ap.add_argument("--exhaustive-max", type=int, default=10**4, help="largest keypoint size timed exhaustively")
    ap.add_argument("--series", default="pdq,keypoint")
    ap.add_argument("--work", help="folder for the filled workspaces (kept between runs); a temporary one otherwise")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--workspace", help=argparse.SUPPRESS)
    ap.add_argument("--base", help=argparse.SUPPRESS)
    ap.add_argument("--clip", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args)
    tmp = None if args.work else tempfile.TemporaryDirectory()
    work = Path(args.work or tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    clip = work / "cropped_60s_720p.mp4"
    if not clip.exists():
        _crop_clip(clip)
    base = work / "base"
    if not base.exists():
        _base_workspace(work / "base.tmp").rename(base)
    rng = np.random.default_rng(20)
    print(f"queries: pdq series bench_60s_720p.mp4 (60 s, the archive footage reused as it is), keypoint series "
          f"{clip.name} (its crop: keypoints only); {args.repeats} warm repeats per size; each size in a fresh "
          "process; baseline = the sample index (3 references) in that same process")
    print(f"{'series':8} {'size':>9} {'mode':10} {'structure':15} {'match s':>8} {'min-max':13} {'ratio':>7} "
          f"{'base s':>6} {'cold s':>7} {'RSS MB':>7} {'fp s':>6}  recall (indexed vs exhaustive)")
    series = args.series.split(",")
    if "pdq" in series:
        from bench_frames import build_clip

        reuse = build_clip(60)  # the archive footage as it is: hash hits to measure the PDQ recall on
        for size in (10**4, 10**5, 10**6, 10**7):
            if size > args.pdq_max or size < args.pdq_min:
                continue
            ws = _prepare(base, work / f"pdq-{size}", "pdq", size, rng)
            exact = _run(args, ws, base, reuse, "exact", args.repeats if size < 10**7 else 1)
            print(_line("pdq", exact["frames"], "exact", exact, ""), flush=True)
            if size >= 10**5:  # the inverted file forced (PROVENANCE_HASH_IVF_MIN=0); default from 2x10^6
                ivf = _run(args, ws, base, reuse, "ivf", args.repeats)
                truth = {tuple(x) for x in exact["pdq_hits"]}
                got = {tuple(x) for x in ivf["pdq_hits"]}
                same = "same matches" if ivf["matches"] == exact["matches"] else (
                    f"MATCHES DIFFER: {ivf['matches']} vs {exact['matches']}")
                print(_line("pdq", ivf["frames"], "ivf", ivf,
                            f"{len(truth & got)}/{len(truth)} hash hits within the threshold, {same}"), flush=True)
    if "keypoint" in series:
        for size in (10**2, 10**3, 10**4, 10**5):
            if size > args.keypoint_max:
                break
            ws = _prepare(base, work / f"kp-{size}", "keypoint", size, rng)
            indexed = _run(args, ws, base, clip, "indexed", args.repeats)
            recall = ""
            if size <= args.exhaustive_max:
                exhaustive = _run(args, ws, base, clip, "exhaustive", args.repeats if size < 10**4 else 1)
                truth = {tuple(x) for x in exhaustive["accepted"]}
                got = {tuple(x) for x in indexed["accepted"]}
                same = "same matches" if indexed["matches"] == exhaustive["matches"] else (
                    f"MATCHES DIFFER: {indexed['matches']} vs {exhaustive['matches']}")
                recall = f"{len(truth & got)}/{len(truth)} accepted verifications, {same}"
                print(_line("keypoint", size, "exhaustive", exhaustive, ""), flush=True)
            print(_line("keypoint", size, "indexed", indexed, recall), flush=True)
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
