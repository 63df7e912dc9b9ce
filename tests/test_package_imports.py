"""The packages under app/ import each other without cycles: a package can be read, and
changed, knowing only the ones below it."""

import ast
from collections.abc import Iterator
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"


def imported_packages(module: Path) -> Iterator[str]:
    """The packages of app/ that a module imports (app.x.y -> x), at any depth."""
    for node in ast.walk(ast.parse(module.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "app" and len(parts) > 1 and (APP / parts[1]).is_dir():
                yield parts[1]


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {p.name: set() for p in APP.iterdir() if p.is_dir()}
    for module in APP.rglob("*.py"):
        package = module.relative_to(APP).parts[0]
        if package in graph:
            graph[package] |= set(imported_packages(module)) - {package}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(package: str) -> None:
        index[package] = low[package] = len(index)
        stack.append(package)
        for imported in graph.get(package, ()):
            if imported not in index:
                visit(imported)
                low[package] = min(low[package], low[imported])
            elif imported in stack:
                low[package] = min(low[package], index[imported])
        if low[package] == index[package]:
            component = set()
            while (member := stack.pop()) != package:
                component.add(member)
            component.add(package)
            if len(component) > 1:
                found.append(frozenset(component))

    for package in sorted(graph):
        if package not in index:
            visit(package)
    return found


def test_no_package_imports_another_that_imports_it_back():
    found = cycles(package_graph())

    assert found == [], sorted(map(sorted, found))


def test_the_walk_finds_a_cycle_when_there_is_one():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

    assert cycles(graph) == [frozenset({"a", "b", "c"})]
