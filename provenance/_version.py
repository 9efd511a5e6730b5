"""The package version, in a module of its own so that anything may import it without loading the package.

``provenance/__init__.py`` re-exports names from heavy modules (PyAV, FAISS, OpenCV); a module that only needs
the version string (the pipeline's tool record, a batch summary, ``--version``) imports it from here.
"""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("provenance")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"
