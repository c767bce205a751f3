"""No import circles: the modules of analytics/, reports/ and flows/ form layers.

Read statically from the source with `ast`, so that every import counts: at the top of a module,
inside a function (the usual way to dodge a circle) and under `if TYPE_CHECKING:` alike.
`from package.module import name` depends on package.module; `from package import name` on
the package's __init__.py, unless `name` is one of its modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("analytics", "reports", "flows")


def module_files() -> dict[str, Path]:
    """Every module of the packages, by its dotted name (a package by its own name)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that the module `name` imports, anywhere in its source."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        found.update(target for target in targets if target in known and target != name)
    return found


def import_graph() -> dict[str, set[str]]:
    files = module_files()
    return {name: imports_of(name, path, set(files)) for name, path in files.items()}


def import_groups(graph: dict[str, set[str]]) -> list[set[str]]:
    """The groups of modules that import each other, directly or round a circle (the strongly
    connected components of more than one module, by Tarjan's algorithm)."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = lowest[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                visit(imported)
                lowest[module] = min(lowest[module], lowest[imported])
            elif imported in on_stack:
                lowest[module] = min(lowest[module], index[imported])
        if lowest[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(group)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return groups


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle (a -> b -> ... -> a) in every group of modules that import each other."""
    return [one_circle(graph, group) for group in import_groups(graph)]


def one_circle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest way round the group, from its first module back to it."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for module in frontier:
            for imported in sorted(graph[module] & group):
                if imported == start:
                    return [*paths[module], start]
                if imported not in paths:
                    paths[imported] = [*paths[module], imported]
                    following.append(imported)
        frontier = following
    return sorted(group)  # not reached: a strongly connected group has a way round


def test_no_module_of_analytics_reports_or_flows_imports_itself_round_a_circle():
    graph = import_graph()
    found = [
        " -> ".join(one_circle(graph, group)) + f" (the group: {', '.join(sorted(group))})"
        for group in import_groups(graph)
    ]
    assert not found, "import circles:\n" + "\n".join(found)


def test_the_circle_finder_sees_function_level_and_type_checking_imports(tmp_path):
    package = tmp_path / "analytics"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "first.py").write_text("def later():\n    from analytics.second import x\n")
    (package / "second.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from analytics import first\n"
    )
    (package / "third.py").write_text("from . import second\n")
    names = {"analytics", "analytics.first", "analytics.second", "analytics.third"}
    graph = {
        name: imports_of(name, package / f"{name.split('.')[-1]}.py", names)
        for name in names - {"analytics"}
    }
    graph["analytics"] = set()
    assert graph["analytics.third"] == {"analytics.second"}
    assert circles(graph) == [["analytics.first", "analytics.second", "analytics.first"]]
