"""The import graph of our packages: no cycles, and compress's layers point down.

Every ``import`` and ``from ... import`` statement counts, at module level or
inside a function (a lazy import is still a dependency; it only runs later).
Edges between a module and the packages that contain it are left out: Python
imports a package before its modules, so ``compress.cli`` importing its own
``entry`` is how a package exports, not a cycle.

compress's layers, lowest first (``docs/layout.md``)::

    compress (the package), errors, interrupt   shared by all
    compress.io                                  files and bytes in and out
    compress.quantization, compress.figures      the library: numbers and plots
    compress.commands                            one image, a folder, streamed
    compress.cli, compress.__main__              arguments in, exit code out

A module may import its own subpackage and any lower layer, never a higher
one or a sibling of its own rank.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

LAYERS = {  # compress subpackage or module -> rank, lowest first
    "compress": 0,
    "compress.errors": 0,
    "compress.interrupt": 0,
    "compress.io": 1,
    "compress.quantization": 2,
    "compress.figures": 2,
    "compress.commands": 3,
    "compress.cli": 4,
    "compress.__main__": 5,
}


def _modules(package: str) -> dict[str, Path]:
    """Dotted name -> file, for every module of ``package`` (a folder of the repo)."""
    root = REPO / package
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _imported(name: str, path: Path) -> list[tuple[str, str]]:
    """``(target, imported name)`` of every import statement in the module ``name``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: climb level - 1 packages from this one
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found += [(f"{base}.{alias.name}", alias.name) for alias in node.names]
    return found


def import_graph(package: str) -> dict[str, set[str]]:
    """Module -> the modules of ``package`` it imports (not itself nor its packages)."""
    modules = _modules(package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target, _ in _imported(name, path):
            while target and target not in modules:  # a name inside a module
                target = target.rpartition(".")[0]
            related = (target == name or name.startswith(target + ".")
                       or target.startswith(name + "."))
            if target and not related:
                graph[name].add(target)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for child in sorted(graph[node]):
            if child not in index:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in on_stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def layer_of(module: str) -> str:
    """The entry of ``LAYERS`` that ``module`` belongs to (longest prefix)."""
    matches = [key for key in LAYERS if module == key or module.startswith(key + ".")]
    return max(matches, key=len)


def test_the_cycle_finder_finds_a_cycle_and_only_it():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert find_cycles(graph) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("package", ["compress", "kmeans_core"])
def test_no_import_cycle(package):
    cycles = find_cycles(import_graph(package))
    assert not cycles, "import cycles (each group imports itself round):\n" + "\n".join(
        " <-> ".join(cycle) for cycle in cycles)


def test_every_compress_module_has_a_layer():
    assert all(layer_of(name) for name in import_graph("compress"))


def test_compress_layers_only_import_downwards():
    wrong = []
    for name, targets in import_graph("compress").items():
        source = layer_of(name)
        for target in sorted(targets):
            dest = layer_of(target)
            if dest != source and LAYERS[dest] >= LAYERS[source]:
                wrong.append(f"{name} (layer {source}) imports {target} (layer {dest})")
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_private_names_of_another_package():
    """``from x import _name`` only for a private module of one's own package."""
    modules = _modules("compress")
    wrong = []
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for target, imported in _imported(name, path):
            if not imported.startswith("_") or imported.startswith("__"):
                continue
            own_private_module = target in modules and target.startswith(package + ".")
            if not own_private_module:
                wrong.append(f"{name} imports {target}")
    assert not wrong, "\n".join(wrong)
