"""No module of the project imports itself round a circle of other modules.

A circle forces imports inside functions (or a careful import order) and hides which module is
the plumbing and which the user of it. The graph is grimp's, the one import-linter checks:
every import statement counts, those inside functions too.
"""

from __future__ import annotations

from collections.abc import Iterable

import grimp
import pytest

PACKAGES = (
    "antre",
    "plumbing",
    "booking",
    "ussd",
    "sms",
    "menus",
    "texts",
    "gateways",
    "console",
    "api",
    "simulator",
    "figures",
)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def cycles(graph: grimp.ImportGraph, modules: Iterable[str]) -> list[list[str]]:
    """The import cycles among `modules`, each the sorted modules that reach one another.

    These are the strongly connected components of two or more modules (Tarjan's algorithm),
    counting only the imports between `modules`.
    """
    within = set(modules)
    index: dict[str, int] = {}  # the order in which the walk first reached each module
    low: dict[str, int] = {}  # the earliest module still on the stack that each one reaches
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module) & within):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:  # the first of its component: pop the component
            component = stack[stack.index(module) :]
            del stack[stack.index(module) :]
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(within):
        if module not in index:
            visit(module)
    return sorted(found)


def package(graph: grimp.ImportGraph, name: str) -> set[str]:
    return {name} | graph.find_descendants(name)


def described(found: list[list[str]]) -> str:
    return "\n".join(f"{len(component)} modules: {', '.join(component)}" for component in found)


def test_cycles_finds_a_circle_and_nothing_else() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e")]:
        graph.add_import(importer=importer, imported=imported)
    graph.add_import(importer="e", imported="e")  # importing oneself is no circle with another

    assert cycles(graph, graph.modules) == [["a", "b", "c"]]
    assert cycles(graph, {"a", "b", "d", "e"}) == []  # without c the circle is broken


def test_booking_has_no_import_cycle(graph: grimp.ImportGraph) -> None:
    # Cycles of the whole project, not only among booking's modules: one that leaves booking/
    # and comes back (through texts/, say) would be booking's too.
    engine = package(graph, "booking")
    found = [component for component in cycles(graph, graph.modules) if engine & set(component)]
    assert not found, f"import cycles through booking/:\n{described(found)}"


def test_the_project_has_no_import_cycle(graph: grimp.ImportGraph) -> None:
    found = cycles(graph, graph.modules)
    assert not found, f"import cycles:\n{described(found)}"
