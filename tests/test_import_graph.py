"""The library's import graph: no cycle (module- or function-level imports alike), and no
front-end or editor code (server, pygls, lsprotocol, mcp, rich) imported by it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "memory_store"
FRONT_ENDS = ("server", "pygls", "lsprotocol", "mcp", "rich")


def module_files() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imported_names(module: str, path: Path) -> set[str]:
    """Every module named by an ``import``/``from`` statement anywhere in the file, absolute;
    for ``from package import name`` also ``package.name`` (it may be a submodule)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            names.add(source)
            names.update(f"{source}.{alias.name}" for alias in node.names)
    return names


def graph() -> dict[str, set[str]]:
    """module -> first-party modules it imports (a name resolves to the deepest module it names)."""
    modules = module_files()
    edges: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for name in imported_names(module, path):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        edges[module] = targets
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_function_level_and_relative_imports_are_seen(tmp_path):
    pkg = tmp_path / "memory_store" / "bugs"
    pkg.mkdir(parents=True)
    (pkg / "records.py").write_text("def f():\n    from ..sync import hooks\n    import memory_store.inbox\n")
    names = imported_names("memory_store.bugs.records", pkg / "records.py")
    assert {"memory_store.sync.hooks", "memory_store.inbox"} <= names


def test_memory_store_has_no_import_cycle():
    edges = graph()
    assert len(edges) > 40 and edges["memory_store.recordfiles"]  # the whole package was read
    assert find_cycle(edges) is None, " -> ".join(find_cycle(edges) or [])


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_memory_store_never_imports_front_end_code(front_end):
    offenders = sorted(
        module for module, path in module_files().items()
        if any(name == front_end or name.startswith(front_end + ".") for name in imported_names(module, path))
    )
    assert offenders == []


def test_stores_do_not_import_sync():
    stores = [m for m in graph() if m.startswith(("memory_store.bugs", "memory_store.security"))]
    assert stores and not [m for m in stores for t in graph()[m] if t.startswith("memory_store.sync")]
