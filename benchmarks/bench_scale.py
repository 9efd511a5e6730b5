"""The visual stage against a growing archive: per-clip time and peak RSS, indexed vs exhaustive (issue 20).

Two series, each size measured in a fresh subprocess (so that its peak RSS is its own):
  pdq       10^4, 10^5, 10^6 indexed PDQ frames (10^7 with --pdq-max 10000000): the sample index's
            references plus random hashes under fake references (bench_search.fill, straight into SQLite).
            First the derived files are brought up to date in a process of their own (``sync``: the rows
            read from SQLite once, as after a hash-list import; time and peak RSS printed). Two modes:
            ``flat`` (the flat scan forced, PROVENANCE_HASH_MIH_MIN) and, from 10^5, ``mih`` (multi-index
            hashing forced; by default it takes over from search.HASH_MIH_MIN_ROWS), with the share of the
            flat scan's hash hits within the match threshold it found (exact by construction: printed to
            check it). With --add-ref, a real reference is then added to the largest index (``index add``:
            its rows appended to the derived files) and a fresh process matches again.
  add       (--series add) ``index add`` throughput: --add-files files of --add-minutes minutes of 720p each (the
            60-s bench clip, real footage, concatenated by remuxing: no re-encode; each file's container title
            differs, so no two are byte-identical and every one is decoded), indexed whole by ``provenance
            index add FOLDER --workers N`` in a fresh process per worker count: wall time, CPU, peak RSS of the
            command and its workers, frames indexed, seconds of footage per second.
  crossover (--crossover 100000,300000,1000000) the flat scan against multi-index hashing in ONE process per
            size, alternating (flat, mih; mih, flat; ...) for --repeats rounds, each size's pdq workspace (filled
            as above, the multi-index tables built on first use): match() of the 60-s clip with the crossover set
            each time (PROVENANCE_HASH_MIH_MIN is read per search), both structures warm, and whether the hash
            hits within the match threshold are the same. Where the machine is shared, the same process and
            alternation put both under the same load; search.HASH_MIH_MIN_ROWS is set from these.
  acceptance (--acceptance) the largest pdq index with --acceptance-keypoints (10^4) searched keypoint frames
            added: ``provenance verify --pipeline quick`` of the 60-s clip end to end in fresh processes,
            against the sample index and against it, time, peak RSS and the matches of each.
  keypoint  10^2, 10^3, 10^4 searched reference keypoint frames (10^5 with --keypoint-max 100000): the sample
            index's real keypoint frames plus random ORB descriptors (500 a frame, random positions) under
            fake references, 2 s apart so that the scan searches each (index._searched). Two modes:
            ``indexed``: the default (the inverted file from local_features.IVF_MIN_DESCRIPTORS searched
            descriptors, exact below) and ``exhaustive``: the exact scan forced (PROVENANCE_KEYPOINT_IVF_MIN).
            Each size's derived keypoint files (index_files.DerivedKeypoints) and inverted file are made first in
            a process of their own (keypoint frames read from SQLite, seconds, peak RSS printed), so the timed
            processes map them, as every verify after an ``index add`` does. Beyond --exhaustive-max the recall
            is against the largest exhaustive run (the random fill never votes, so an exhaustive scan of the
            bigger archive accepts the same verifications; ~50 min a clip at 10^5).

The pdq series' query is the 60-s 720p bench clip (bench_frames.build_clip: the archive footage looped), which
the hashes explain (the PDQ recall is measured on its hits). The keypoint series' query is that clip cropped to
its left 70% x 80% and scaled back up (a real libx264 encode): PDQ cannot explain a crop, so every one of the
clip's keypoint frames (up to ``local_max_frames``) goes to the keypoint search, the worst case per clip.

In each subprocess: the clip is fingerprinted once (``fingerprint s``, the same at every size), then
matched (provenance.visual.matching.match, standard profile) against the sample index (the baseline, same
process: the machine is shared, so ratios to it are what to compare across sizes) and against the filled
index: once cold (tables loaded from SQLite or derived files, the inverted file trained if stale) and then
``--repeats`` times warm. Printed per size: warm match s (median, min-max), ratio to the baseline's median,
cold s, peak resident memory (VmHWM, which counts the pages of mapped files a search touched; ru_maxrss
would not do: exec keeps the forking parent's high-water mark in it), and for the keypoint series the recall
of the indexed search against the
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

Resumable: the filled workspaces (and the derived files and inverted files each size's sync made) are kept
under --work, by default benchmarks/.cache/scale; a size whose folder exists is reused, a fill that was
interrupted (``<size>.tmp``) resumes where its last commit left it, and derived files already up to date are
not rebuilt. So a run stopped at 10^5 keypoint frames (fill ~1 min, derived files ~1 min, inverted file ~8 CPU
min of assignment at 8,192 cells, measured 2,000 s wall at load 13-30 under nice -n 19) finishes later. The
inverted file itself is built whole or not at all.

Usage: python benchmarks/bench_scale.py [--repeats 3] [--pdq-min 10000] [--pdq-max 1000000] [--keypoint-max 10000]
       [--exhaustive-max 10000] [--series pdq,keypoint] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
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


def _fill_keypoint_frames(db: Path, total: int, rng: np.random.Generator | None = None,
                          chunk: int = 1000) -> None:
    """Top the keypoint frames up to ``total`` with random descriptors under fake references of 100 frames.

    Committed every ``chunk`` frames and drawn from a generator seeded by the frame's position (``rng`` is
    unused, kept for the callers), so an interrupted fill resumes where it stopped with the same draws: at 10^5
    frames the fill writes 1.6 GB of descriptors."""
    conn = sqlite3.connect(db)
    have, = conn.execute("SELECT COUNT(*) FROM keyframe").fetchone()
    width, height = conn.execute("SELECT width, height FROM keyframe LIMIT 1").fetchone()
    for begin in range(have, total, chunk):
        with conn:
            for start in range(begin, min(begin + chunk, total), 100):
                n = min(100, total - start)
                rid = f"random_kp_{start:08d}"
                draw = np.random.default_rng([20, start])
                conn.execute("INSERT INTO reference (id, path, sha256, kind, frames, added_at) VALUES (?,?,?,?,?,?)",
                             (rid, "/dev/null", "0" * 64, "video", n, "2026-01-01T00:00:00+00:00"))
                desc = draw.integers(0, 256, (n, 500, 32), dtype=np.uint8)
                pts = (draw.random((n, 500, 2)) * [width, height]).astype(np.float16)
                conn.executemany("INSERT INTO keyframe (reference_id, t, width, height, points, descriptors) "
                                 "VALUES (?,?,?,?,?,?)",
                                 [(rid, 2.0 * i, width, height, pts[i].tobytes(), desc[i].tobytes())
                                  for i in range(n)])
            conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'index_generation'")
    conn.close()


def _prepare(base: Path, root: Path, series: str, size: int, rng: np.random.Generator) -> Path:
    """The filled workspace for one size, cached under the work folder; an interrupted fill resumes (``.tmp``).

    The copy of the base is marked done (``.copied``) before the fill starts; the fill commits as it goes (pdq:
    every 10^6 frames through bench_search.fill, which tops the index up to a total; keypoint: every 1,000
    frames), and the folder takes its final name only when full."""
    if root.exists():
        return root
    tmp = root.with_name(root.name + ".tmp")
    if not (tmp / ".copied").exists():
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(base, tmp, ignore=shutil.ignore_patterns("derived"))
        (tmp / ".copied").touch()
    t = time.perf_counter()
    if series == "pdq":
        from bench_search import fill

        for target in [*range(10**6, size, 10**6), size]:
            fill(tmp / "provenance.db", target, rng)
    else:
        _fill_keypoint_frames(tmp / "provenance.db", size, rng)
    (tmp / ".copied").unlink()
    tmp.rename(root)
    print(f"{series:8} {size:>9,} filled (random {'hashes' if series == 'pdq' else 'descriptors'} into SQLite) in "
          f"{time.perf_counter() - t:.0f} s", flush=True)
    return root


def child(args: argparse.Namespace) -> int:
    """One size, one mode, in this fresh process: prints one JSON line."""
    import faiss

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
    cold_rss = _peak_mb()
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
    votes = _vote_recall(index, fp) if table is not None and not isinstance(table.faiss_index, faiss.IndexBinaryFlat) \
        else None
    print(json.dumps({
        "vote_recall": votes,
        "fingerprint_s": fingerprint_s, "baseline": baseline, "cold": cold, "warm": warm,
        "rss_mb": _peak_mb(),
        "frames": index.matchable_frames(cfg.matching.min_quality),
        "searched_descriptors": int(table.faiss_index.ntotal) if table is not None else 0,
        "structure": type(table.faiss_index).__name__ if table is not None else "-",
        "pdq_structure": _structure(index, cfg.matching.min_quality), "rows_read": index.frame_rows_read,
        "keyframes_read": index.keyframe_rows_read,
        "cold_rss_mb": cold_rss, "memory": _memory(),
        "accepted": accepted, "pdq_hits": pdq_hits,
        "matches": sorted([m.reference_id, sorted(m.methods)] for m in matches),
    }))
    return 0


def _vote_recall(index: object, fp: object) -> list[int]:
    """Descriptor-level recall of the inverted file at the vote threshold: of the (query descriptor, reference
    descriptor) pairs within lf.MAX_DESCRIPTOR_DISTANCE among each query descriptor's lf.NEIGHBOURS nearest by an
    exact scan, how many the inverted file returns too. The exact scan runs over the real references' searched
    descriptors only: random fill lies ~128 bits from everything (>= ~85 at 10^7 draws), never within 64, so
    the exact nearest within the threshold are the same over the whole index. Returns [found, exact pairs]."""
    import faiss

    from provenance.visual import local_features as lf

    files = index._keypoint_files()  # type: ignore[attr-defined]
    table = index._keypoint_frame_table()  # type: ignore[attr-defined]
    real_refs = np.array([not rid.startswith("random_kp_") for rid in files.ids])
    real_slots = np.unique(np.asarray(files.frames["slot"])[real_refs[np.asarray(files.frames["ref"])]])
    owner = np.asarray(files.owner)
    real_rows = np.nonzero(np.isin(owner, real_slots))[0]
    exact = faiss.IndexBinaryFlat(256)
    exact.add(np.ascontiguousarray(files.searched[real_rows]))
    feats = [f.keypoint_features() for f in fp.frames if f.keypoint_frame]  # type: ignore[attr-defined]
    found = total = 0
    for f in (f for f in feats if f is not None):
        d_exact, r_exact = exact.search(f.descriptors, lf.NEIGHBOURS)
        d_ivf, r_ivf = table.faiss_index.search(f.descriptors, lf.NEIGHBOURS)
        want = {(i, int(real_rows[r])) for i, (ds, rs) in enumerate(zip(d_exact, r_exact, strict=True))
                for d, r in zip(ds, rs, strict=True) if r >= 0 and d <= lf.MAX_DESCRIPTOR_DISTANCE}
        got = {(i, int(r)) for i, (ds, rs) in enumerate(zip(d_ivf, r_ivf, strict=True))
               for d, r in zip(ds, rs, strict=True) if r >= 0 and d <= lf.MAX_DESCRIPTOR_DISTANCE}
        found += len(want & got)
        total += len(want)
    return [found, total]


def _structure(index: object, quality: int) -> str:
    from provenance.visual.search import wants_mih

    files = index._hash_table(quality).search  # type: ignore[attr-defined]
    return "MultiIndexHash" if files.mih is not None and wants_mih(len(files)) else "IndexBinaryFlat"


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM), MB: private pages and the mapped files' pages it touched."""
    return int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0]) / 1024


def _memory() -> str:
    """This process's resident memory now: private (anonymous) and file-backed (mapped files), MB."""
    status = Path("/proc/self/status").read_text()
    get = {k: int(status.split(k + ":")[1].split()[0]) / 1024 for k in ("RssAnon", "RssFile", "VmHWM")}
    return f"anon {get['RssAnon']:.0f} file {get['RssFile']:.0f} peak {get['VmHWM']:.0f}"


def crossover_child(args: argparse.Namespace) -> int:
    """Flat scan and multi-index hashing alternating in this one process over one pdq workspace; one JSON line."""
    from provenance.config import load_pipeline
    from provenance.media import probe
    from provenance.visual.index import KnownImageryIndex
    from provenance.visual.matching import match
    from provenance.visual.search import HASH_MIH_MIN_ENV
    from provenance.visual.stage import query_fingerprint
    from provenance.workspace import Workspace

    cfg = load_pipeline("standard").visual
    fp = query_fingerprint(probe(Path(args.clip)), cfg)
    index = KnownImageryIndex(Workspace(Path(args.workspace)))
    search = index.search
    hits: dict[str, set] = {"flat": set(), "mih": set()}
    times: dict[str, list[float]] = {"flat": [], "mih": []}
    setting = {"flat": EXHAUSTIVE, "mih": "0"}
    mode = ""

    def recording(queries, **kw):  # the real hash search; its hits within the match threshold noted
        found = search(queries, **kw)
        hits[mode] |= {(queries[h.query].hex(), h.reference_id, round(h.t, 2)) for h in found}
        return found

    index.search = recording  # type: ignore[method-assign]
    structure = {}
    for mode in ("mih", "flat"):  # warm both: the tables mapped, the flat copy made
        os.environ[HASH_MIH_MIN_ENV] = setting[mode]
        match(fp, index, cfg.matching)
        structure[mode] = _structure(index, cfg.matching.min_quality)
    for r in range(args.repeats):
        for mode in (("flat", "mih") if r % 2 == 0 else ("mih", "flat")):
            os.environ[HASH_MIH_MIN_ENV] = setting[mode]
            t = time.perf_counter()
            match(fp, index, cfg.matching)
            times[mode].append(time.perf_counter() - t)
    print(json.dumps({"frames": index.matchable_frames(cfg.matching.min_quality), "times": times,
                      "structure": structure, "same_hits": hits["flat"] == hits["mih"],
                      "hits": [len(hits["flat"]), len(hits["mih"])], "rss_mb": _peak_mb()}))
    return 0


def _crossover(args: argparse.Namespace, work: Path, base: Path, clip: Path, rng: np.random.Generator) -> None:
    load = os.getloadavg()[0]
    print(f"crossover: flat vs multi-index hashing, one process per size, {args.repeats} alternating rounds "
          f"(load {load:.1f} at the start)", flush=True)
    for size in sorted(int(x) for x in args.crossover.split(",")):
        ws = _prepare(base, work / f"pdq-{size}", "pdq", size, rng)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "benchmarks")]))
        out = subprocess.run([sys.executable, __file__, "--crossover-child", "--workspace", str(ws), "--clip",
                              str(clip), "--repeats", str(args.repeats)],
                             env=env, capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        flat, mih = np.array(r["times"]["flat"]), np.array(r["times"]["mih"])
        print(f"pdq {r['frames']:>10,}  flat {np.median(flat):6.2f} s ({flat.min():.2f}-{flat.max():.2f})  "
              f"mih {np.median(mih):6.2f} s ({mih.min():.2f}-{mih.max():.2f})  flat/mih "
              f"{np.median(flat) / np.median(mih):5.2f}x  hits {r['hits'][0]}/{r['hits'][1]} "
              f"{'same' if r['same_hits'] else 'DIFFER'}  {r['structure']}  peak {r['rss_mb']:.0f} MB  "
              f"load {os.getloadavg()[0]:.1f}", flush=True)


def sync_child(args: argparse.Namespace) -> int:
    """Bring a workspace's derived files up to date in this fresh process; one JSON line."""
    from provenance.visual.index import KnownImageryIndex
    from provenance.workspace import Workspace

    index = KnownImageryIndex(Workspace(Path(args.workspace)))
    t = time.perf_counter()
    results = index.sync_derived()
    synced = time.perf_counter() - t
    table = index._keypoint_frame_table()  # the keypoint search's inverted file trained and saved, when due
    print(json.dumps({"s": synced, "rows_read": index.frame_rows_read,
                      "actions": [(r.action, r.mih_rebuilt, r.manifest.rows) for r in results],
                      "keyframes_read": index.keyframe_rows_read, "keypoint_s": time.perf_counter() - t - synced,
                      "structure": type(table.faiss_index).__name__, "rss_mb": _peak_mb()}))
    return 0


def add_child(args: argparse.Namespace) -> int:
    """``index add`` of one real reference into the workspace in this fresh process; one JSON line."""
    from provenance.config import load_pipeline
    from provenance.visual.index import KnownImageryIndex
    from provenance.workspace import Workspace

    pipeline = load_pipeline("standard")
    index = KnownImageryIndex(Workspace(Path(args.workspace)))
    t = time.perf_counter()
    (res,) = index.add([Path(args.clip)], frames=pipeline.visual.frames, matching=pipeline.visual.matching)
    sync = index.last_sync
    print(json.dumps({"s": time.perf_counter() - t, "status": res.status, "frames": res.reference.frames
                      if res.reference else 0, "rows_read": index.frame_rows_read,
                      "sync": [sync.action, sync.rows_read, sync.seconds, sync.mih_rebuilt] if sync else None,
                      "rss_mb": _peak_mb()}))
    return 0


def verify_child(args: argparse.Namespace) -> int:
    """``provenance verify --pipeline quick`` in this fresh process: seconds, peak RSS and matches, one JSON line."""
    import contextlib
    import io

    from provenance.cli import main as cli

    out = Path(tempfile.mkdtemp())
    t = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = cli(["verify", args.clip, "--workspace", args.workspace, "--pipeline", "quick", "--out", str(out),
                    "--json"])
    seconds = time.perf_counter() - t
    report = json.loads(next(out.rglob("report.json")).read_text())
    visual = report.get("visual") or {}
    shutil.rmtree(out, ignore_errors=True)
    print(json.dumps({"s": seconds, "code": code, "rss_mb": _peak_mb(),
                      "memory": _memory(),
                      "matches": sorted([m["reference_id"], sorted(m.get("methods", [])),
                                         [[round(g["query_start"], 2), round(g["reference_start"], 2)]
                                          for g in m.get("segments", [])]] for m in visual.get("matches", []))}))
    return 0


def _child(mode: str, ws: Path, clip: Path | None = None, env: dict | None = None) -> dict:
    env = dict(env or os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "benchmarks")]))
    cmd = [sys.executable, __file__, mode, "--workspace", str(ws)] + (["--clip", str(clip)] if clip else [])
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _run(args: argparse.Namespace, ws: Path, base: Path, clip: Path, mode: str, repeats: int) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "benchmarks")]))
    env.pop("PROVENANCE_KEYPOINT_IVF_MIN", None)
    env.pop("PROVENANCE_HASH_MIH_MIN", None)
    if mode == "exhaustive":
        env["PROVENANCE_KEYPOINT_IVF_MIN"] = EXHAUSTIVE
    elif mode == "flat":
        env["PROVENANCE_HASH_MIH_MIN"] = EXHAUSTIVE
    elif mode == "mih":
        env["PROVENANCE_HASH_MIH_MIN"] = "0"
    out = subprocess.run([sys.executable, __file__, "--child", "--workspace", str(ws), "--base", str(base),
                          "--clip", str(clip), "--repeats", str(repeats)],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _line(series: str, size: int, mode: str, r: dict, recall: str) -> str:
    warm, base = np.array(r["warm"]), np.array(r["baseline"])
    structure = r["structure"] if series == "keypoint" else r["pdq_structure"]
    return (f"{series:8} {size:>9,} {mode:10} {structure:15} {np.median(warm):8.2f} "
            f"{warm.min():6.2f}-{warm.max():<6.2f} {np.median(warm) / np.median(base):6.2f}x {np.median(base):6.2f} "
            f"{r['fingerprint_s'] + np.median(warm):7.2f} "
            f"{r['cold']:7.2f} {r['rss_mb']:7.0f} {r['fingerprint_s']:6.2f}  {recall}{_votes(r)} "
            f"[cold: {r['rows_read']} frame rows and {r.get('keyframes_read', 0)} keypoint frames read from SQLite, "
            f"{r['cold_rss_mb']:.0f} MB peak; end: {r['memory']}]")


def _votes(r: dict) -> str:
    v = r.get("vote_recall")
    return f"; descriptor votes {v[0]}/{v[1]} of the exact scan's" if v else ""


def _acceptance(args: argparse.Namespace, work: Path, pdq_ws: Path, base: Path, clip: Path,
                rng: np.random.Generator) -> None:
    """Issue 20's acceptance: the 60-s clip verified end to end against the sample index and against the largest
    pdq index with keypoint frames added, each in fresh processes (the first after the change, then cold)."""
    ws = work / f"accept-{pdq_ws.name}-kp{args.acceptance_keypoints}"
    if not ws.exists():
        tmp = ws.with_name(ws.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        shutil.copy2(pdq_ws / "provenance.db", tmp / "provenance.db")
        if (pdq_ws / "derived").is_dir():  # the same workspace id: the keypoint fill adds no frame rows to read
            shutil.copytree(pdq_ws / "derived", tmp / "derived")
        _fill_keypoint_frames(tmp / "provenance.db", args.acceptance_keypoints, rng)
        tmp.rename(ws)
    synced = _child("--sync-child", ws)
    print(f"accept   sync after the keypoint fill: {synced['s']:.1f} s, {synced['rows_read']:,} frame rows read",
          flush=True)
    runs = {}
    for name, where in (("sample index", base), ("archive", ws), ("sample index", base), ("archive", ws)):
        r = _child("--verify-child", where, clip)
        runs.setdefault(name, []).append(r)
        print(f"accept   verify --pipeline quick against the {name}: {r['s']:.2f} s, resident MB: {r['memory']}, "
              f"exit {r['code']}, matches {r['matches']}", flush=True)
    base_s = min(r["s"] for r in runs["sample index"])
    big_s = min(r["s"] for r in runs["archive"])
    same = all(r["matches"] == runs["sample index"][0]["matches"] for r in runs["archive"])
    peak = max(float(r["memory"].split("peak ")[1]) for r in runs["archive"])
    print(f"accept   ratio {big_s / base_s:.2f}x (best of 2 each; target <= 2x), peak resident {peak:.0f} MB "
          f"(VmHWM, mapped files included; target <= 1024), "
          f"{'same matches' if same else 'MATCHES DIFFER'}", flush=True)


def _footage(folder: Path, files: int, minutes: int) -> list[Path]:
    """``files`` 720p videos of ``minutes`` each: the bench clip remuxed end to end (packets copied, times
    shifted), each with its own container title (distinct bytes)."""
    import av

    from bench_frames import build_clip

    folder.mkdir(parents=True, exist_ok=True)
    src = build_clip(60)
    out = []
    for k in range(files):
        path = folder / f"archive_part{k:02d}.mp4"
        out.append(path)
        if path.exists():
            continue
        tmp = path.with_suffix(".tmp.mp4")
        with av.open(str(src)) as inp, av.open(str(tmp), "w") as dst:
            ins = inp.streams.video[0]
            outs = dst.add_stream_from_template(ins)
            dst.metadata["title"] = f"archive part {k} of {files}"
            offset = 0
            for _ in range(minutes):
                inp.seek(0)
                end = 0
                for packet in inp.demux(ins):
                    if packet.dts is None:
                        continue
                    end = max(end, packet.pts + (packet.duration or 0))
                    packet.pts += offset
                    packet.dts += offset
                    packet.stream = outs
                    dst.mux(packet)
                offset += end
        tmp.rename(path)
    return out


def _add_series(args: argparse.Namespace, work: Path) -> None:
    folder = work / f"footage-{args.add_files}x{args.add_minutes}min"
    files = _footage(folder, args.add_files, args.add_minutes)
    hours = len(files) * args.add_minutes / 60
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "benchmarks")]))
    for workers in [int(w) for w in args.add_workers.split(",")]:
        ws = work / f"add-ws-{workers}"
        shutil.rmtree(ws, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "provenance", "init", str(ws)], env=env, check=True,
                       capture_output=True)
        code = ("import resource, sys, time\n"
                "from provenance.cli import main\n"
                "t = time.perf_counter(); code = main(sys.argv[1:]); wall = time.perf_counter() - t\n"
                "me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))\n"
                "hwm = int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) / 1024\n"
                "print('RESULT', code, wall, me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,"
                " hwm, kids.ru_maxrss / 1024)\n")
        with open("/proc/loadavg") as fh:
            load = fh.read().split()[0]
        run = subprocess.run([sys.executable, "-c", code, "index", "add", str(folder), "--workspace",
                              str(ws / ".provenance"), "--workers", str(workers)], env=env, capture_output=True,
                             text=True, check=True)
        result = next(line for line in run.stdout.splitlines() if line.startswith("RESULT")).split()
        added = [line for line in run.stdout.splitlines() if line.startswith("added:")]
        frames = sum(int(line.split("(video, ")[1].split(" frame")[0]) for line in added)
        wall = float(result[2])
        print(f"add      {len(files)} files, {hours:.2f} h of 720p, --workers {workers}: {wall:.0f} s wall "
              f"({hours * 3600 / wall:.1f} s of footage a second), {float(result[3]):.0f} s CPU, {len(added)} "
              f"added, {frames:,} frames, peak RSS {float(result[4]):.0f} MB (command) / {float(result[5]):.0f} "
              f"MB (largest worker, an upper bound: ru_maxrss), load {load} at start; stderr: "
              f"{run.stderr.strip()[-300:]!r}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pdq-max", type=int, default=10**6)
    ap.add_argument("--pdq-min", type=int, default=10**4)
    ap.add_argument("--keypoint-max", type=int, default=10**4)
    ap.add_argument("--exhaustive-max", type=int, default=10**4, help="largest keypoint size timed exhaustively")
    ap.add_argument("--series", default="pdq,keypoint")
    ap.add_argument("--add-ref", action="store_true", help="then index add a real reference to the largest pdq index")
    ap.add_argument("--acceptance", action="store_true", help="verify end to end at the largest pdq size + keypoints")
    ap.add_argument("--acceptance-keypoints", type=int, default=10**4)
    ap.add_argument("--acceptance-only", action="store_true",
                    help="with --acceptance: only the acceptance runs at --pdq-max (a filled workspace reused)")
    ap.add_argument("--add-files", type=int, default=12)
    ap.add_argument("--add-minutes", type=int, default=5)
    ap.add_argument("--add-workers", default="2", help="comma-separated worker counts to time")
    ap.add_argument("--crossover", default="", help="comma-separated pdq sizes: flat vs mih in one process each")
    ap.add_argument("--crossover-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--sync-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--add-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--verify-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--work", default=str(ROOT / "benchmarks" / ".cache" / "scale"),
                    help="folder for the filled workspaces, kept between runs so that a later run resumes "
                         "(default benchmarks/.cache/scale); '' for a temporary one")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--workspace", help=argparse.SUPPRESS)
    ap.add_argument("--base", help=argparse.SUPPRESS)
    ap.add_argument("--clip", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args)
    if args.crossover_child:
        return crossover_child(args)
    if args.sync_child:
        return sync_child(args)
    if args.add_child:
        return add_child(args)
    if args.verify_child:
        return verify_child(args)
    tmp = None if args.work else tempfile.TemporaryDirectory()
    work = Path(args.work or tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    series = args.series.split(",")
    if "add" in series:
        _add_series(args, work)
    clip = work / "cropped_60s_720p.mp4"
    if not clip.exists() and "keypoint" in series:
        _crop_clip(clip)
    base = work / "base"
    if not base.exists():
        _base_workspace(work / "base.tmp").rename(base)
    rng = np.random.default_rng(20)
    if args.crossover:
        from bench_frames import build_clip

        _crossover(args, work, base, build_clip(60), rng)
        return 0
    print(f"queries: pdq series bench_60s_720p.mp4 (60 s, the archive footage reused as it is), keypoint series "
          f"{clip.name} (its crop: keypoints only); {args.repeats} warm repeats per size; each size in a fresh "
          "process; baseline = the sample index (3 references) in that same process; stage s = fp s (the query "
          "fingerprinted once) + match s (median): the visual stage's time per clip")
    print(f"{'series':8} {'size':>9} {'mode':10} {'structure':15} {'match s':>8} {'min-max':13} {'ratio':>7} "
          f"{'base s':>6} {'stage s':>7} {'cold s':>7} {'RSS MB':>7} {'fp s':>6}  recall (indexed vs exhaustive)")
    if "pdq" in series:
        from bench_frames import build_clip

        reuse = build_clip(60)  # the archive footage as it is: hash hits to measure the PDQ recall on
        ws = None
        for size in (10**4, 10**5, 10**6, 10**7):
            if size > args.pdq_max or size < args.pdq_min:
                continue
            ws = _prepare(base, work / f"pdq-{size}", "pdq", size, rng)
            if args.acceptance_only:
                continue
            synced = _child("--sync-child", ws)
            print(f"pdq      {size:>9,} sync: derived files brought up to date in {synced['s']:.1f} s, "
                  f"{synced['rows_read']:,} frame rows read from SQLite, {synced['actions']}, peak RSS "
                  f"{synced['rss_mb']:.0f} MB", flush=True)
            flat = _run(args, ws, base, reuse, "flat", args.repeats if size < 10**7 else 1)
            print(_line("pdq", flat["frames"], "flat", flat, ""), flush=True)
            if size >= 10**5:  # multi-index hashing forced (PROVENANCE_HASH_MIH_MIN=0); default from 5x10^5
                mih = _run(args, ws, base, reuse, "mih", args.repeats)
                truth = {tuple(x) for x in flat["pdq_hits"]}
                got = {tuple(x) for x in mih["pdq_hits"]}
                same = "same matches" if mih["matches"] == flat["matches"] else (
                    f"MATCHES DIFFER: {mih['matches']} vs {flat['matches']}")
                print(_line("pdq", mih["frames"], "mih", mih,
                            f"{len(truth & got)}/{len(truth)} hash hits within the threshold, {same}"), flush=True)
        if args.acceptance and ws is not None:  # before --add-ref: the same references as the sample index
            if args.acceptance_only and ws.name != f"pdq-{args.pdq_max}":
                raise SystemExit(f"--acceptance-only: no pdq-{args.pdq_max} workspace")
            _acceptance(args, work, ws, base, reuse, rng)
        if args.add_ref and ws is not None:
            added = _child("--add-child", ws, ROOT / "sample_media" / "clips" / "reuse_edited.mp4")
            print(f"pdq      add: index add of a real reference into it: {added}", flush=True)
            again = _run(args, ws, base, reuse, "default", args.repeats)
            print(_line("pdq", again["frames"], "after add", again, ""), flush=True)
    if "keypoint" in series:
        truth: set[tuple] = set()
        truth_matches, told, last_exhaustive = None, "", 0
        for size in (10**2, 10**3, 10**4, 10**5):
            if size > args.keypoint_max:
                break
            ws = _prepare(base, work / f"kp-{size}", "keypoint", size, rng)
            synced = _child("--sync-child", ws)  # the derived files and the inverted file, in a process of their own
            print(f"keypoint {size:>9,} sync: {synced['keyframes_read']:,} keypoint frames read from SQLite, files "
                  f"{synced['s']:.1f} s, {synced['structure']} ready {synced['keypoint_s']:.1f} s, peak RSS "
                  f"{synced['rss_mb']:.0f} MB", flush=True)
            indexed = _run(args, ws, base, clip, "indexed", args.repeats)
            recall = ""
            if size <= args.exhaustive_max:
                exhaustive = _run(args, ws, base, clip, "exhaustive", args.repeats if size < 10**4 else 1)
                truth, truth_matches, told = ({tuple(x) for x in exhaustive["accepted"]}, exhaustive["matches"],
                                              "")
                print(_line("keypoint", size, "exhaustive", exhaustive, ""), flush=True)
            elif truth_matches is not None:  # the exhaustive scan of a bigger archive of random fill accepts what
                told = f" (exhaustive at the largest size run, {last_exhaustive:,}: random fill never votes)"
            if truth_matches is not None:  # it accepted at a smaller one (the same real references)
                got = {tuple(x) for x in indexed["accepted"]}
                same = "same matches" if indexed["matches"] == truth_matches else (
                    f"MATCHES DIFFER: {indexed['matches']} vs {truth_matches}")
                recall = f"{len(truth & got)}/{len(truth)} accepted verifications, {same}{told}"
            if size <= args.exhaustive_max:
                last_exhaustive = size
            print(_line("keypoint", size, "indexed", indexed, recall), flush=True)
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
