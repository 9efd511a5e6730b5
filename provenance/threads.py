"""Native thread pools sized from this process's share of the cores, and kept from spinning.

Why (issue 20, measured on 2 cores): with a second CPU-bound process running, the keypoint search on the sample
index took 13-21 s per clip with default threading and 0.10-0.16 s with ``OMP_NUM_THREADS=1``: OpenMP worker
threads (FAISS, CTranslate2) busy-wait for each other when there are fewer free cores than threads. And
``faiss.omp_set_num_threads`` sets OpenMP's per-thread ``nthreads-var``: called once at import it held only for
the importing thread, while stages run in threads of their own (``limits.run_with_budget``).

So: ``OMP_WAIT_POLICY=PASSIVE`` (and Intel's ``KMP_BLOCKTIME=0``) as defaults before any OpenMP runtime starts
(``provenance/__init__.py`` calls ``quiet_defaults`` first thing; a value the user set is kept), FAISS pinned to
one thread in every thread that searches (``faiss_single_thread``, ~100 ns), and the pools that do pay
(CTranslate2's Whisper, OpenCV) sized by ``share()``: the cores this process may use divided by the batch
workers sharing them (``PROVENANCE_WORKERS``, set by ``batch`` for its workers).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

WORKERS_ENV = "PROVENANCE_WORKERS"  # how many worker processes share this machine's cores (batch sets it)

_QUIET = {"OMP_WAIT_POLICY": "PASSIVE", "KMP_BLOCKTIME": "0"}
# Every variable a batch worker's environment sets (worker_environment) and Dask's own pre-spawn defaults
# (distributed.yaml: OMP_NUM_THREADS, MKL_NUM_THREADS, OPENBLAS_NUM_THREADS, MALLOC_TRIM_THRESHOLD_)
_THREAD_VARS = (WORKERS_ENV, "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "MALLOC_TRIM_THRESHOLD_",
                *_QUIET)
# The user's own values, read once when provenance is imported (provenance/__init__.py imports this module
# first), before quiet_defaults and before any Dask cluster of this process exists: a LocalCluster's nanny copies
# its pre-spawn values (OMP_NUM_THREADS=1, ...) into os.environ, so a value read later may be Dask's, not theirs.
_USER_ENV: dict[str, str | None] = {key: os.environ.get(key) for key in _THREAD_VARS}


def user_setting(key: str) -> str | None:
    """The value the user gave ``key`` (a thread variable) before provenance was imported; None: unset then."""
    return _USER_ENV.get(key)


def quiet_defaults() -> None:
    """Set the OpenMP wait policy to passive unless the user chose one; effective only before a runtime starts."""
    for key, value in _QUIET.items():
        os.environ.setdefault(key, value)


def cores() -> int:
    """Cores this process may run on (its CPU affinity, which containers and ``taskset`` narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def share(workers: int | None = None) -> int:
    """Threads one verification may use: ``cores() // workers``, at least 1.

    ``workers`` defaults to ``$PROVENANCE_WORKERS`` (1 when unset or not a positive integer).
    """
    if workers is None:
        try:
            workers = int(os.environ.get(WORKERS_ENV, "1"))
        except ValueError:
            workers = 1
    return max(1, cores() // max(1, workers))


def decoder_threads() -> int:
    """FFmpeg decoder threads per stream (PyAV ``codec_context.thread_count``): this process's share of the cores.

    PyAV's 0 lets FFmpeg start one thread per core plus one, per decoder: two batch workers on two cores each
    ran three frame threads. Frame threads block rather than spin, but a worker past its share only takes
    time from the other worker's Whisper and decoding.
    """
    return share()


# Dask starts its workers with ``MALLOC_TRIM_THRESHOLD_=65536`` (distributed.yaml's pre-spawn default: give freed
# memory back to the OS at once). Setting it also switches off glibc's dynamic mmap threshold (mallopt(3)), so
# every allocation over 128 KiB (frames, audio windows, Whisper's buffers) is a fresh mmap, zero-filled page by
# page and unmapped when freed. Measured (issue 20, 2 cores, quiet): the batch bench's 12 files verified one
# after another in one process, 28.8-29.4 s as glibc sets it, 36.3-36.7 s with Dask's value; a batch worker
# spent 13-14 CPU s of 60 in the kernel. A worker holds one file at a time, so the memory glibc keeps for reuse
# is bounded by the largest file's working set. None: the variable is unset in the worker (the user's own
# value, exported before provenance was imported, is kept).
ALLOCATOR_VARS = ("MALLOC_TRIM_THRESHOLD_",)


def worker_environment(workers: int) -> dict[str, str | None]:
    """Environment a batch worker process starts with, so every native pool is sized before its library loads.

    ``workers`` processes share ``cores()``: each gets ``share(workers)`` threads. OpenMP (FAISS's and
    CTranslate2's runtimes) reads ``OMP_NUM_THREADS``, ``OMP_WAIT_POLICY`` and ``KMP_BLOCKTIME`` once, when it
    starts, and OpenBLAS/MKL (numpy) when numpy is imported, which Dask does before our code runs: so these go
    into Dask's ``distributed.nanny.pre-spawn-environ`` (set before the worker process is spawned), not into its
    ``env`` (set once the worker runs). The pools sized at run time from ``PROVENANCE_WORKERS``: CTranslate2's
    ``cpu_threads`` (audio/engine.py), OpenCV's (visual/frames.py), FFmpeg's decoders (``decoder_threads``);
    FAISS is pinned to one thread per searching thread (``faiss_single_thread``); Silero VAD's onnxruntime
    session is built by faster-whisper with one intra- and one inter-op thread; tesserocr's bundled Tesseract is
    built without OpenMP (no libgomp among its libraries), one thread per call. A value of None: the variable
    is unset in the worker (``ALLOCATOR_VARS``: Dask's allocator default, which costs a quarter of the time).
    """
    n = str(share(workers))
    return {WORKERS_ENV: str(max(1, workers)), "OMP_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1", **{k: user_setting(k) or v for k, v in _QUIET.items()},
            **{k: user_setting(k) for k in ALLOCATOR_VARS}}


# BLAS threads the audio stage always runs with. A fixed count makes the figures the same whatever the runner:
# OpenBLAS's threaded sgemm sums in another order by thread count (Whisper's log-mel features: 571 of 165,680
# values 1 ulp apart between one thread and two, on an espeak Korean clip), and Whisper's language probabilities
# and the decisions on them follow. Two, not one: every audio figure, threshold and test expectation of the
# project was measured on 2-core machines, where OpenBLAS ran two threads; one thread lost an English sentence
# of tests/test_audio.py's sentence switches to "unidentified". threadpoolctl raises the count as well as
# lowering it (a Dask worker starts OpenBLAS at one thread): the features then equal a 2-core verify's exactly.
BLAS_THREADS = 2


@contextlib.contextmanager
def blas_fixed_threads() -> Iterator[None]:
    """Run the block with BLAS (numpy's OpenBLAS, any other BLAS loaded) at ``BLAS_THREADS``, then restore it.

    Issue 13 round 10, H2: ``batch`` on Dask (workers start with ``OPENBLAS_NUM_THREADS=1``) and a ``verify`` under
    a user's ``OMP_NUM_THREADS=1`` heard espeak Korean at th 0.6495 where ``verify`` said 0.6842, an Esperanto clip
    as 17.7 s of unidentified speech against 9.0 s, and a re-encoded Korean clip as no speech against an uncertain
    Thai guess. The products are small (80x201 by 201x3000 per 30 s): the count costs nothing measurable.
    Process-wide (threadpoolctl): the stages run one after another. Another CPU's OpenBLAS kernel (its
    ``DYNAMIC_ARCH`` picks one per CPU) may still sum differently: this pins the runner, not the machine.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
        yield


def faiss_single_thread() -> None:
    """Pin FAISS's OpenMP to one thread for the calling thread (searches are parallel across files instead).

    A 1000x4000 ORB descriptor search took 1.1 s with two threads and 11 ms with one on a loaded 2-core machine
    (benchmarks/bench_search.py); the setting is per thread, so every searching thread calls this.
    """
    import faiss

    faiss.omp_set_num_threads(1)
