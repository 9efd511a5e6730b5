"""Native thread pools: sized per worker, FAISS single-threaded in every searching thread, OpenMP not spinning.

The cost these prevent is measured by benchmarks/bench_threads.py (tests do not time things); here the settings
themselves are checked in real processes and threads.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from provenance.threads import WORKERS_ENV, cores, faiss_single_thread, share


def test_share_divides_the_cores_among_batch_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    assert share() == cores()
    monkeypatch.setenv(WORKERS_ENV, str(cores()))
    assert share() == 1
    monkeypatch.setenv(WORKERS_ENV, str(10 * cores()))  # more workers than cores: still one thread each
    assert share() == 1
    monkeypatch.setenv(WORKERS_ENV, "many")  # not a number: as if unset
    assert share() == cores()


def _in_thread(fn) -> object:
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join()
    return out[0]


def test_faiss_is_single_threaded_in_each_searching_thread() -> None:
    """omp_set_num_threads holds per thread: a stage thread that did not pin FAISS would run it on every core."""
    import faiss

    def pinned() -> int:
        faiss_single_thread()
        return faiss.omp_get_max_threads()

    assert _in_thread(pinned) == 1


def test_openmp_waits_passively_unless_the_user_chose(tmp_path) -> None:
    code = "import os, provenance; print(os.environ.get('OMP_WAIT_POLICY'), os.environ.get('KMP_BLOCKTIME'))"
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "KMP_BLOCKTIME")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["PASSIVE", "0"]
    out = subprocess.run([sys.executable, "-c", code], env={**env, "OMP_WAIT_POLICY": "ACTIVE"},
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == ["ACTIVE", "0"]


def test_opencv_uses_this_workers_share(tmp_path) -> None:
    code = "import cv2, provenance.visual.frames; print(cv2.getNumThreads())"
    env = {**os.environ, WORKERS_ENV: str(cores())}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert int(out) == 1


def _decoder_threads_while_sampling(clip: str) -> dict[str, object]:
    """In a worker: sample a clip as the visual stage does (its own thread) and name the threads it started."""
    import cv2

    from provenance.visual.frames import sample_video

    before = set(os.listdir("/proc/self/task"))
    seen: set[tuple[str, str]] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for tid in set(os.listdir("/proc/self/task")) - before:
                try:
                    with open(f"/proc/self/task/{tid}/comm") as fh:
                        seen.add((tid, fh.read().strip()))
                except OSError:  # ended meanwhile
                    pass
            done.wait(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()
    _in_thread(lambda: sample_video(Path(clip)))
    done.set()
    watcher.join()
    return {"share": share(), "decoder_threads": sum(name.startswith("av:") for _, name in seen),
            "opencv": cv2.getNumThreads(), "omp": os.environ.get("OMP_NUM_THREADS"),
            "blas": os.environ.get("OPENBLAS_NUM_THREADS"), "wait": os.environ.get("OMP_WAIT_POLICY")}


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_batch_workers_threads_fit_the_cores(samples: Path, workers: int) -> None:
    """Each of N local batch workers starts at most cores // N decoder threads and sizes OpenCV, OpenMP and BLAS
    to that share before they load: 2 workers on 2 cores ran three FFmpeg frame threads each before."""
    from provenance.batch.model import BatchOptions
    from provenance.batch.run import _dask_client

    with _dask_client(BatchOptions(workers=workers)) as client:
        found = client.run(_decoder_threads_while_sampling, str(samples / "clips" / "reuse_edited.mp4"))
    assert len(found) == workers
    want = max(1, cores() // workers)
    for worker in found.values():
        assert worker["share"] == want
        assert worker["decoder_threads"] <= (want if want > 1 else 0)  # FFmpeg runs one thread as no pool
        assert worker["opencv"] == want and worker["omp"] == str(want) and worker["blas"] == "1"
        assert worker["wait"] == "PASSIVE"


def _comparable(value: object) -> object:
    """A report's JSON without what differs run to run whatever the workers: when, how long, the seal."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()
                if k not in {"created_at", "timings", "integrity", "real_time_factor"}}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


@pytest.mark.slow
def test_one_and_two_batch_workers_write_the_same_reports(samples: Path, tmp_path: Path) -> None:
    """Threads sized per worker change how fast, never what: every report of 1 and 2 workers is the same."""
    import json

    from provenance.batch import BatchOptions, run_batch
    from provenance.visual.index import KnownImageryIndex
    from provenance.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    KnownImageryIndex(ws).add([samples / "known"])
    reports = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        result = run_batch([samples / "clips"], pipeline="standard", workspace=ws,
                           options=BatchOptions(out=out, workers=workers))
        assert result.counts.verified == 5 and not result.counts.errors
        reports.append({Path(i.path).name: _comparable(json.loads((out / i.report / "report.json").read_text()))
                        for i in result.items})
    assert reports[0] == reports[1]
    assert reports[0]["reuse_edited.mp4"]["visual"]["matches"]  # reports with content, not two empty ones
