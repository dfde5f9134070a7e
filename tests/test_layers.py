"""The package's layers (docs/architecture.rst): arrows point down, the core has no cycle.

``auth`` (the sans-I/O core) and the pure half of ``dav`` import neither requests nor urllib3;
``transport`` (the requests/urllib3 driver) sits above the core, ``dav`` above ``transport``,
``fs`` above ``dav``, and the command line and the demo on top. Every import counts, also one
inside a function or under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

import requests_dav

PACKAGE_DIR = Path(requests_dav.__file__).parent
NAME = "requests_dav"

#: The layer of each top-level part of the package; a module may import its own layer or lower.
RANKS = {
    "auth": 0,
    "_lazy": 1,
    "exceptions": 1,
    "transport": 2,
    "dav": 3,
    "fs": 4,
    "cli": 5,
    "demo": 5,
    "__main__": 5,
}

#: The WebDAV model: parsed and built without requests or urllib3, like the core.
PURE_DAV = {
    "multistatus",
    "properties",
    "hrefs",
    "xmlsafe",
    "requestbodies",
    "locks",
    "capabilities",
    "progress",
    "elements",
    "xmltokens",
    "typed",
}

HTTP_LIBRARIES = ("requests", "urllib3")


def _module_names() -> Dict[str, Path]:
    modules = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE_DIR).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join([NAME, *parts])] = path
    return modules


MODULES = _module_names()


def _imports(module: str, path: Path) -> Iterator[str]:
    """Every module ``module`` imports, relative imports resolved, submodules preferred."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield candidate if candidate in MODULES else base


def _graph() -> Dict[str, Set[str]]:
    return {name: set(_imports(name, path)) for name, path in MODULES.items()}


GRAPH = _graph()


def _part(module: str) -> Tuple[str, ...]:
    return tuple(module.split(".")[1:])


def _is_http_library(imported: str) -> bool:
    return imported.split(".")[0] in HTTP_LIBRARIES


def test_the_graph_sees_the_package() -> None:
    # a guard for the tests below: a parser that found nothing would make them pass vacuously
    assert "requests_dav.auth.flow" in GRAPH
    assert "requests_dav.auth.credentials" in GRAPH["requests_dav.auth.flow"]
    assert "requests" in GRAPH["requests_dav.transport.adapter"]
    assert "requests_dav.transport.adapter" in GRAPH["requests_dav.dav.client"]


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _part(m)[:1] == ("auth",)))
def test_the_core_imports_no_http_library(module: str) -> None:
    offending = sorted(i for i in GRAPH[module] if _is_http_library(i))
    assert not offending, f"{module} imports {offending}: the core is sans-I/O"


@pytest.mark.parametrize(
    "module", sorted(m for m in MODULES if _part(m)[:1] == ("dav",) and _part(m)[-1] in PURE_DAV)
)
def test_the_webdav_model_imports_no_http_library(module: str) -> None:
    offending = sorted(
        i
        for i in GRAPH[module]
        if _is_http_library(i)
        or (
            i.startswith(NAME + ".")
            and RANKS.get(_part(i)[0], 0) >= RANKS["transport"]
            and not (_part(i)[:1] == ("dav",) and _part(i)[-1] in PURE_DAV)
        )
    )
    assert not offending, f"{module} imports {offending}: the WebDAV model stays pure"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if len(_part(m)) > 0))
def test_arrows_point_down(module: str) -> None:
    rank = RANKS[_part(module)[0]]
    upward = sorted(
        i for i in GRAPH[module] if i.startswith(NAME + ".") and RANKS[_part(i)[0]] > rank
    )
    assert not upward, f"{module} (layer {rank}) imports {upward} from a layer above"


def _cycles(nodes: Set[str]) -> List[List[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node] & nodes:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return found


def test_the_core_has_no_import_cycle() -> None:
    core = {m for m in MODULES if _part(m)[:1] == ("auth",)}
    # a package __init__ that re-exports its submodules is not a cycle of design
    modules = {m for m in core if MODULES[m].name != "__init__.py"}
    assert _cycles(modules) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    GRAPH["requests_dav.auth.urls"].add("requests_dav.auth.credentials")
    try:
        cycles = _cycles({"requests_dav.auth.urls", "requests_dav.auth.credentials"})
    finally:
        GRAPH["requests_dav.auth.urls"].discard("requests_dav.auth.credentials")
    assert cycles == [["requests_dav.auth.credentials", "requests_dav.auth.urls"]]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_much_over_600_lines(module: str) -> None:
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= 700, f"{module} has {lines} lines: split it by concern"
