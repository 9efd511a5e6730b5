"""``python -m provenance``: the same command line as ``provenance``."""

import sys

from provenance.cli import run

sys.exit(run())
