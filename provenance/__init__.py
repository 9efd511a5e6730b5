"""provenance: offline media provenance and video verification.

``verify(path)`` is the core: it runs the stages of a pipeline profile over one media file and returns a
``Report``. The CLI is a thin shell over it.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("provenance")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"

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
]
