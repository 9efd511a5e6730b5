"""Import hygiene: light modules stay light, the package's import graph has no cycles, the public API resolves.

Reading or checking a report or a claim should cost a fraction of a second, not the PyAV, OpenCV, FAISS and
Whisper start-up that verification needs; and a cycle in the import graph is how a module ends up importing a
half-initialised one, which breaks only for some import orders. Both regress silently, hence these tests.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from collections import deque
from collections.abc import Callable, Container
from pathlib import Path

import pytest

import provenance

PACKAGE_DIR = Path(provenance.__file__).resolve().parent

# Modules that must import without the heavy libraries. Adding one is one line.
LIGHT_MODULES = [
    "provenance.report.model",
    "provenance.report.integrity",  # report check / report sign
    "provenance.claims",  # claim show / export, and assess() on a read report
    "provenance.registry",  # every stage's class, settings, section type and view: profiles, writers, findings
    "provenance.config",  # loading a profile
    "provenance.report.html",  # rendering a report page from its JSON
    "provenance.report.markdown",
    "provenance.cli",  # every command's start-up: `--help`, claim, report check (verify loads its own on use)
]
HEAVY = ("av", "faiss", "cv2", "ctranslate2", "faster_whisper", "dask")

# Reports, for the heavy library that got in, which provenance modules were importing when it did.
_PROBE = """
import json, sys, time

HEAVY = set({heavy!r})
chains = {{}}

class Spy:
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in HEAVY and top not in chains:
            frames, f = [], sys._getframe(1)
            while f is not None:
                mod = f.f_globals.get("__name__", "")
                if mod.startswith("provenance") and mod not in frames:
                    frames.append(mod)
                f = f.f_back
            chains[top] = frames[::-1]
        return None

sys.meta_path.insert(0, Spy())
t = time.perf_counter()
import {module}
elapsed = time.perf_counter() - t
loaded = sorted(m for m in HEAVY if m in sys.modules)
print(json.dumps({{"seconds": elapsed, "loaded": loaded, "chains": {{m: chains.get(m, []) for m in loaded}}}}))
"""


def _fresh_python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a new interpreter that imports this checkout of ``provenance``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PACKAGE_DIR.parent), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("module", LIGHT_MODULES)
def test_light_module_imports_no_heavy_library(module: str, record_property: Callable[[str, object], None]) -> None:
    proc = _fresh_python(_PROBE.format(heavy=HEAVY, module=module))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    record_property("import_seconds", round(result["seconds"], 3))
    print(f"import {module}: {result['seconds'] * 1000:.0f} ms")
    via = "; ".join(f"{lib} via {' -> '.join(chain) or '?'}" for lib, chain in result["chains"].items())
    assert not result["loaded"], f"importing {module} loaded {', '.join(result['loaded'])}: {via}"


def test_public_api_resolves_lazily() -> None:
    """``import provenance`` alone loads nothing heavy, yet every public name is there on first use."""
    names = ", ".join(provenance.__all__)
    proc = _fresh_python(textwrap.dedent(f"""
        import sys
        import provenance
        heavy = [m for m in {HEAVY!r} if m in sys.modules]
        assert not heavy, f"import provenance loaded {{heavy}}"
        from provenance import {names}
        from provenance._version import __version__ as version
        assert provenance.__version__ == version and version, version
        assert provenance.verify.__module__ == "provenance.pipeline"
        assert set(provenance.__all__) <= set(dir(provenance))
        try:
            provenance.no_such_name
        except AttributeError:
            pass
        else:
            raise AssertionError("an unknown name must raise AttributeError")
    """))
    assert proc.returncode == 0, proc.stderr


def test_version_without_an_installed_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from a source tree that was never installed, the version is a marked placeholder, not a crash."""
    import importlib
    import importlib.metadata

    import provenance._version as module

    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    try:
        assert importlib.reload(module).__version__ == "0.0.0+source"
    finally:
        monkeypatch.undo()
        importlib.reload(module)  # the real version again for the tests that follow


@pytest.mark.parametrize("package", ["provenance.audio", "provenance.metadata"])
def test_subpackage_names_resolve(package: str) -> None:
    import importlib

    mod = importlib.import_module(package)
    for name in mod.__all__:
        value = getattr(mod, name)
        assert getattr(importlib.import_module(value.__module__), name) is value, name


# --- the import graph ---------------------------------------------------------------------------------------


def module_names(root: Path) -> dict[str, Path]:
    """Every module of the package under ``root`` (a directory holding ``__init__.py``), by dotted name."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST):
    """Every node that can run: the bodies of ``if TYPE_CHECKING:`` are left out (their ``else`` is kept)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _named_modules(node: ast.AST, modules: Container[str]) -> list[str]:
    """Modules named in strings: a dict literal whose values all name modules (a lazy table), or the argument
    of ``import_module("...")``."""
    if isinstance(node, ast.Dict):
        names = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
        return names if names and len(names) == len(node.values) and all(n in modules for n in names) else []
    if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module":
        arg = node.args[0] if node.args else None
        if isinstance(arg, ast.Constant) and arg.value in modules:
            return [arg.value]
    return []


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports, read from the AST of every module.

    What counts as an edge ``m -> t``:

    * ``import t`` and ``from t import name`` anywhere in ``m``: at module level, inside functions (they run
      later, but a cycle through them is still a design cycle and fails for some call orders), and in a lazy
      ``__getattr__``. Not under ``if TYPE_CHECKING:``, which never runs.
    * ``from pkg import name`` is an edge to ``pkg.name`` when that is a module, otherwise to ``pkg`` itself
      (the name comes from its ``__init__``): so a submodule importing a name from its own parent package's
      ``__init__`` is an edge to that ``__init__``.
    * Modules named by strings: the values of a dict literal whose values all name modules of the package
      (the tables of lazy ``__init__`` files, see ``provenance._lazy``), and the argument of
      ``import_module("...")``.
    * ``import a.b.c`` also runs ``a/__init__`` and ``a/b/__init__``, and that counts as an edge to each,
      except where the package is an ancestor of ``m`` itself: Python always initialises a module's own
      parents before the module, so that dependency is satisfied by construction and cannot be broken by
      moving code; counting it would make every package whose ``__init__`` re-exports a submodule a cycle.
      An explicit ``from parent import name`` still counts (second point).
    """
    modules = module_names(root)
    packages = {name for name, path in modules.items() if path.name == "__init__.py"}
    graph: dict[str, set[str]] = {name: set() for name in modules}

    def add(src: str, target: str) -> None:
        if target not in modules or target == src:
            return
        graph[src].add(target)
        parts = target.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if not (src == parent or src.startswith(parent + ".")):
                graph[src].add(parent)

    for name, path in modules.items():
        here = name if name in packages else name.rpartition(".")[0]
        for node in _runtime_nodes(ast.parse(path.read_bytes(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    add(name, alias.name)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
                    source = f"{base}.{node.module}" if node.module else base
                else:
                    source = node.module or ""
                for alias in node.names:
                    sub = f"{source}.{alias.name}"
                    add(name, sub if sub in modules else source)
            else:
                for target in _named_modules(node, modules):
                    add(name, target)
    return graph


def cycle_groups(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan): each holds one or more cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:  # the package has ~70 modules: recursion depth is no concern
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(groups)


def shortest_cycle(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """A shortest cycle through the group's first module, as a path ``[a, b, ..., a]`` (breadth first)."""
    start, members = group[0], set(group)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        if start in graph[v]:
            path = [v]
            while path[-1] != start:
                path.append(came_from[path[-1]])
            return [*reversed(path), start]
        for w in sorted(graph[v] & members):
            if w not in came_from and w != start:
                came_from[w] = v
                queue.append(w)
    raise AssertionError(f"not a cycle group: {group}")


def describe(graph: dict[str, set[str]], groups: list[list[str]]) -> str:
    lines = []
    for group in groups:
        cycle = shortest_cycle(graph, group)
        more = sorted(set(group) - set(cycle))
        lines.append(" -> ".join(cycle) + (f"  (same knot: {', '.join(more)})" if more else ""))
    return "\n".join(lines)


def test_no_import_cycles() -> None:
    graph = import_graph(PACKAGE_DIR)
    groups = cycle_groups(graph)
    assert not groups, "import cycles:\n" + describe(graph, groups)


def test_cycle_finder_sees_function_imports_and_parent_names(tmp_path: Path) -> None:
    """The checker itself: it must find a cycle through a function-level import and through a parent's
    ``__init__``, and must not count ``TYPE_CHECKING`` imports or a module's implicit parent."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "X = 1\n",
        "a.py": "def f():\n    from pkg import b\n",
        "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import c\nimport pkg.a\n",
        "c.py": "import pkg.sub.d\n",  # runs pkg/sub/__init__ too
        "sub/__init__.py": "LAZY = {'e': 'pkg.sub.e'}\n",
        "sub/d.py": "from pkg.sub import e\n",
        "sub/e.py": "from . import d\nfrom pkg import X\n",  # X from pkg/__init__: an edge to it
    }
    for rel, text in files.items():
        (pkg / rel).write_text(text)
    graph = import_graph(pkg)
    assert graph["pkg.b"] == {"pkg.a"}  # TYPE_CHECKING import left out
    assert graph["pkg.c"] == {"pkg.sub", "pkg.sub.d"}
    assert graph["pkg.sub.d"] == {"pkg.sub.e"}  # its own parent package is not an edge
    assert graph["pkg.sub"] == {"pkg.sub.e"}  # lazy table
    assert cycle_groups(graph) == [["pkg.a", "pkg.b"], ["pkg.sub.d", "pkg.sub.e"]]
    assert describe(graph, cycle_groups(graph)) == "pkg.a -> pkg.b -> pkg.a\npkg.sub.d -> pkg.sub.e -> pkg.sub.d"
