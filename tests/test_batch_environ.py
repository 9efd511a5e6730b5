"""A batch's workers get the user's thread settings, not what an earlier Dask cluster left in the environment.

A ``LocalCluster``'s nanny copies Dask's pre-spawn defaults (``OMP_NUM_THREADS=1``...) into the environment of
the process that starts it, and a later nanny takes any variable found there over its configuration: a library
user who started their own cluster before a batch got one OpenMP thread per worker. Each case runs in a fresh
Python process, since what the user set is recorded when provenance is imported (``threads.user_setting``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from provenance.threads import cores

ROOT = Path(__file__).resolve().parents[1]
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "MALLOC_TRIM_THRESHOLD_",
                "PROVENANCE_WORKERS", "OMP_WAIT_POLICY", "KMP_BLOCKTIME")

_SCRIPT = """
import json, os
import provenance  # records the user's thread settings, before any cluster
from distributed import LocalCluster

with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None):
    pass  # the user's own cluster, closed: its nanny left Dask's defaults in os.environ
leaked = os.environ.get("OMP_NUM_THREADS")

from provenance.batch.model import BatchOptions
from provenance.batch.run import _dask_client

with _dask_client(BatchOptions(workers=1)) as client:
    seen = client.run(lambda: {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                               "MALLOC_TRIM_THRESHOLD_")})
print(json.dumps({"leaked": leaked, "workers": list(seen.values()), "after": os.environ.get("OMP_NUM_THREADS")}))
"""


def _run(extra: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _THREAD_VARS}
    env.update(extra, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=240,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_cluster_started_before_the_batch_does_not_set_its_workers_threads() -> None:
    found = _run({})
    assert found["leaked"] == "1"  # Dask's default really is in the environment before the batch
    (worker,) = found["workers"]
    assert worker["OMP_NUM_THREADS"] == str(cores())  # one worker: every core, as with no cluster before
    assert worker["OPENBLAS_NUM_THREADS"] == "1"
    # Dask's allocator default (freed memory trimmed at 64 KiB, glibc's dynamic mmap threshold off) made every
    # file a quarter slower (threads.ALLOCATOR_VARS): the worker runs without it, even when it was left behind
    assert worker["MALLOC_TRIM_THRESHOLD_"] is None
    assert found["after"] == "1"  # and the environment is put back as the batch found it


@pytest.mark.slow
def test_a_thread_count_the_user_exported_is_still_theirs() -> None:
    found = _run({"OMP_NUM_THREADS": "3", "MALLOC_TRIM_THRESHOLD_": "1048576"})
    (worker,) = found["workers"]
    assert worker["OMP_NUM_THREADS"] == "3"
    assert worker["MALLOC_TRIM_THRESHOLD_"] == "1048576"
