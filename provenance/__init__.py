"""provenance: offline media provenance and video verification.

``verify(path)`` is the core: it runs the stages of a pipeline profile over one media file and returns a
``Report``. The CLI is a thin shell over it. Names load on first use (PEP 562), so ``import provenance`` or
reading a report loads no decoder, index or model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from provenance._version import __version__

_LAZY = {
    "ClaimStore": "provenance.claims",
    "KnownImageryIndex": "provenance.visual.index",
    "MediaError": "provenance.media",
    "MediaFile": "provenance.media",
    "Pipeline": "provenance.config",
    "Report": "provenance.report.model",
    "Workspace": "provenance.workspace",
    "load_pipeline": "provenance.config",
    "probe": "provenance.media",
    "run_batch": "provenance.batch",
    "verify": "provenance.pipeline",
    "write_report": "provenance.report.writer",
}

__all__ = [
    "ClaimStore", "KnownImageryIndex", "MediaError", "MediaFile", "Pipeline", "Report", "Workspace",
    "__version__", "load_pipeline", "probe", "run_batch", "verify", "write_report",
]

if TYPE_CHECKING:
    from provenance.batch import run_batch
    from provenance.claims import ClaimStore
    from provenance.config import Pipeline, load_pipeline
    from provenance.media import MediaError, MediaFile, probe
    from provenance.pipeline import verify
    from provenance.report.model import Report
    from provenance.report.writer import write_report
    from provenance.visual.index import KnownImageryIndex
    from provenance.workspace import Workspace


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'provenance' has no attribute {name!r}")
