"""provenance: offline media provenance and video verification.

``verify(path)`` is the core: it runs the stages of a pipeline profile over one media file and returns a
``Report``. The CLI is a thin shell over it.

The public names load on first use (PEP 562): this file runs before any ``provenance.*`` module, and reading or
checking a report or a claim must not pay for the PyAV, OpenCV and FAISS (about half a second) that the
verification names pull in. ``tests/test_imports.py`` holds the light modules to that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from provenance._lazy import exports
from provenance.threads import quiet_defaults

quiet_defaults()  # before any OpenMP runtime starts (FAISS, CTranslate2): see provenance/threads.py

if TYPE_CHECKING:
    from provenance._version import __version__
    from provenance.batch import run_batch
    from provenance.claims import ClaimStore
    from provenance.config import Pipeline, load_pipeline
    from provenance.media import MediaError, MediaFile, probe
    from provenance.pipeline import verify
    from provenance.report.model import Report
    from provenance.report.writer import write_report
    from provenance.visual.index import KnownImageryIndex
    from provenance.workspace import Workspace

__all__ = [
    "ClaimStore", "KnownImageryIndex", "MediaError", "MediaFile", "Pipeline", "Report", "Workspace",
    "__version__", "load_pipeline", "probe", "run_batch", "verify", "write_report",
]  # fmt: skip

__getattr__, __dir__ = exports(__name__, {
    "__version__": "provenance._version",  # importlib.metadata alone takes tens of ms
    "run_batch": "provenance.batch",
    "ClaimStore": "provenance.claims",
    "Pipeline": "provenance.config",
    "load_pipeline": "provenance.config",
    "MediaError": "provenance.media",
    "MediaFile": "provenance.media",
    "probe": "provenance.media",
    "verify": "provenance.pipeline",
    "Report": "provenance.report.model",
    "write_report": "provenance.report.writer",
    "KnownImageryIndex": "provenance.visual.index",
    "Workspace": "provenance.workspace",
})  # fmt: skip
