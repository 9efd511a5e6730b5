"""The installed version of provenance, in a module of its own so that anything can import it cheaply."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("provenance")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"
