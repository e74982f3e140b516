"""The package's shape, read from its own source: the imports run one way and no module
outgrows a reader.

The import graph counts every ``import`` and ``from ... import`` of an mfaenv module,
wherever it stands (top level, inside a function, under ``if TYPE_CHECKING``): each is a
dependency a reader has to follow. The entry point (``cli``) is on top, then the
commands, the domain, and the files, AWS and terminal layers; nothing imports upwards,
so the graph has no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mfaenv

PACKAGE = Path(mfaenv.__file__).resolve().parent
# No module over 450 lines and no class over 250: each fits a reader's screen or two.
MAX_LINES = 450
MAX_CLASS_LINES = 250
# The command boundary: the parsed command line (Args) is read by these and nothing below.
BOUNDARY = ("mfaenv.__main__", "mfaenv.cli", "mfaenv.parser", "mfaenv.verbs", "mfaenv.commands")


def module_name(path: Path) -> str:
    """``mfaenv.commands.status`` for mfaenv/commands/status.py; a package by its own name."""
    parts = ["mfaenv", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.AST, modules: set[str]) -> set[str]:
    """The mfaenv modules ``tree`` imports (``from mfaenv import x`` counts when x is one)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found & modules


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(path) for path in paths}
    graph = {}
    for path in paths:
        name = module_name(path)
        graph[name] = imported(ast.parse(path.read_text(), str(path)), modules) - {name}
    # Every module imports the package (its __init__) first; an edge to it is no news.
    return {name: deps - {"mfaenv"} for name, deps in graph.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_imports_inside_functions_and_type_checking_blocks() -> None:
    graph = import_graph()
    assert "mfaenv.parser" in graph["mfaenv.cli"]  # inside main()
    assert "mfaenv.parser" in graph["mfaenv.commands"]  # inside a function
    assert "mfaenv.clock" in graph["mfaenv.commands.status"]  # under TYPE_CHECKING only
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = import_graph()
    found = cycles(graph)
    shown = [" -> ".join(group) for group in found]
    assert found == [], f"import cycles among: {shown}"


def test_the_package_itself_imports_no_module_of_its_own() -> None:
    # Every module imports mfaenv/__init__.py first: an import there would be everyone's.
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    modules = {module_name(path) for path in PACKAGE.rglob("*.py")}
    assert imported(tree, modules) == set()


def test_no_module_is_longer_than_the_limit() -> None:
    sizes = {
        str(path.relative_to(PACKAGE)): len(path.read_text().splitlines())
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    over = {name: lines for name, lines in sizes.items() if lines > MAX_LINES}
    assert over == {}, f"modules over {MAX_LINES} lines: {over}"


def test_no_class_is_longer_than_the_limit() -> None:
    sizes = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                sizes[f"{path.relative_to(PACKAGE)}:{node.name}"] = lines
    over = {name: lines for name, lines in sizes.items() if lines > MAX_CLASS_LINES}
    assert over == {}, f"classes over {MAX_CLASS_LINES} lines: {over}"


def test_nothing_below_the_commands_imports_them_or_the_command_line() -> None:
    """The commands import the domain, never the other way; ``Args`` stays at the command
    boundary: the domain takes plain values."""
    graph = import_graph()
    upward = {
        name: sorted(dep for dep in deps if dep.startswith(("mfaenv.commands", "mfaenv.cli")))
        for name, deps in graph.items()
        if not name.startswith(BOUNDARY)
    }
    assert {name: deps for name, deps in upward.items() if deps} == {}
    readers = sorted(
        module_name(path)
        for path in PACKAGE.rglob("*.py")
        if "Args" in path.read_text() and not module_name(path).startswith(BOUNDARY)
    )
    assert readers == []
