"""Verify a folder of media on Dask: discovery by content, one report per file, resumable, with a summary.

Verification desks receive footage in bursts. ``run_batch`` finds every video, image and audio file under the
folders given (by magic bytes, then extension, then an FFmpeg probe: names lie), hashes them, verifies each
distinct SHA-256 once on a Dask cluster (a local cluster of processes by default, or an existing scheduler),
and writes one report per file plus ``summary.json``, ``summary.csv`` and ``index.html``. A file that cannot be
read becomes an error row; the batch goes on. A report already written for the same SHA-256 and pipeline
digest is reused, so a killed batch resumes where it stopped, unless it was matched against another state of
the known-imagery index: then its frames are matched again from the fingerprint stored beside it, without
decoding (``rematch``). Files that share footage with each other are grouped by their PDQ frame hashes.

Modules: ``discovery`` (which files), ``run`` (hashing, resuming, the Dask workers), ``rematch`` (stale reports
matched again), ``links`` (shared footage),
``summary`` (the summary files and the batch's database row), ``model`` (options, rows, result). Importing this
package loads neither Dask, FAISS nor PyAV: ``run_batch`` and ``link_files`` load their modules when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from provenance.batch.discovery import Candidate, Discovery, discover
from provenance.batch.model import (
    BatchError,
    BatchItem,
    BatchOptions,
    BatchResult,
    Counts,
    Group,
    Link,
    LinkConfig,
    Progress,
)

if TYPE_CHECKING:
    from provenance.batch.links import link_files
    from provenance.batch.run import run_batch

_LAZY = {"run_batch": "provenance.batch.run", "link_files": "provenance.batch.links"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BatchError", "BatchItem", "BatchOptions", "BatchResult", "Candidate", "Counts", "Discovery", "Group", "Link",
    "LinkConfig", "Progress", "discover", "link_files", "run_batch",
]
