"""Lazy re-exports for package ``__init__`` files (PEP 562).

A package ``__init__`` runs whenever any of its submodules is imported, so one that re-exports names from
heavy modules makes every light sibling heavy too. ``exports`` gives the ``__getattr__`` and ``__dir__`` that
import a name's module on first access instead. Tables name modules in full (``"provenance.audio.stage"``):
``tests/test_imports.py`` reads those strings as import edges.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def exports(package: str, table: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose public names come from ``table`` (name -> module)."""

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:  # AttributeError lets ``from package import <submodule>`` fall back to importing it
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later reads are plain attribute reads
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *table})

    return __getattr__, __dir__
