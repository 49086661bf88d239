"""The shape of the house (docs/architecture.md): no import cycle in booking/, no import hidden
inside a function except in the app factory and the CLI, faces that never import each other,
tables that import nothing of the domain, and no commit outside the unit of work."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "booking"
FACES = ("booking.web", "booking.api", "booking.staff")
LAZY_IMPORTS_ALLOWED = {"booking", "booking.cli"}  # create_app() and the command registrations
# The unit of work commits; the CLI and the demo loader run outside any request; the outage
# handler ends a transaction whose connection is gone.
COMMITS_ALLOWED = {"booking.uow", "booking.cli", "booking.demo", "booking.errors_web"}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def targets(name: str, path: Path, node: ast.ImportFrom | ast.Import, known: set[str]) -> set[str]:
    """The package's modules an import statement of module `name` refers to."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names} & known
    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    if node.level:
        base = base[:len(base) - (node.level - 1)]
        stem = ".".join(base + ([node.module] if node.module else []))
    else:
        stem = node.module or ""
    return ({stem} | {f"{stem}.{alias.name}" for alias in node.names}) & known - {name}


def import_graph() -> tuple[dict[str, set[str]], list[str]]:
    """(module → modules it imports at module level, imports written inside functions)."""
    found = modules()
    graph, inner = {name: set() for name in found}, []
    for name, path in found.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_functions = {id(node) for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
                        for node in ast.walk(fn)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                refers = targets(name, path, node, set(found))
                if id(node) in in_functions:
                    if refers and name not in LAZY_IMPORTS_ALLOWED:
                        inner.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
                else:
                    graph[name] |= refers
    return graph, inner


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_booking_has_no_import_cycle():
    """A package's __init__ that registers its own children (a blueprint and its views) is the
    one loop allowed: it stays inside the package."""
    graph, _ = import_graph()
    design_cycles = [c for c in cycles(graph) if not all(m == c[0] or m.startswith(c[0] + ".") for m in c)]
    assert design_cycles == []


def test_no_import_hides_inside_a_function():
    _, inner = import_graph()
    assert inner == []


def test_the_faces_never_import_each_other():
    graph, _ = import_graph()
    for name, imported in graph.items():
        face = next((f for f in FACES if name == f or name.startswith(f + ".")), None)
        if face:
            others = {m for m in imported for f in FACES if f != face and (m == f or m.startswith(f + "."))}
            assert not others, f"{name} imports {others}"


def test_the_tables_import_nothing_of_the_domain():
    """Only plumbing: the extensions and the language chooser (a name in the reader's language)."""
    graph, _ = import_graph()
    plumbing = {"booking.extensions", "booking.i18n"}
    for name, imported in graph.items():
        if name.startswith("booking.models"):
            assert imported <= plumbing | {m for m in imported if m.startswith("booking.models")}, name


def test_only_the_unit_of_work_commits():
    """Views, the worker and the domain never call commit() or rollback(): use cases do it
    through booking/uow.py."""
    offenders = []
    for name, path in modules().items():
        if name in COMMITS_ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("commit", "rollback"):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert offenders == []


def test_nothing_but_the_cli_imports_the_demo():
    """The demo is a setup file loaded through booking/offices/setup.py; production code (the SMS
    worker kept slots rolling through it once) never reaches into it."""
    graph, _ = import_graph()
    assert {name for name, imported in graph.items() if "booking.demo" in imported} == {"booking.cli"}


TAKES_PLACES = re.compile(r"booked_bookings\s*=\s*booked_bookings\s*\+")


def _names_used(path: Path) -> set[str]:
    """Every attribute and bare name a module's code refers to."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.alias):
            found.add(node.asname or node.name.rsplit(".", 1)[-1])
    return found


def test_only_the_pipeline_takes_places():
    """Issue 26: every way of taking a place goes through booking/bookings/pipeline.py. The
    statements that take a slot's places (scheduling.reserve's _TAKE_PLACES, the booking's one
    statement on PostgreSQL) are written in scheduling.py and bookings/places.py only; only
    places.py calls reserve or names _TAKE_PLACES; only the pipeline imports places.py or calls
    what it offers (place_booking, take_places)."""
    graph, _ = import_graph()
    found = modules()
    writers = {name for name, path in found.items() if TAKES_PLACES.search(path.read_text(encoding="utf-8"))}
    assert writers == {"booking.scheduling", "booking.bookings.places"}
    reserving = {name for name, path in found.items()
                 if {"reserve", "_TAKE_PLACES"} & _names_used(path) and name != "booking.scheduling"}
    assert reserving == {"booking.bookings.places"}
    importers = {name for name, imported in graph.items() if "booking.bookings.places" in imported}
    assert importers == {"booking.bookings.pipeline"}
    callers = {name for name, path in found.items()
               if {"place_booking", "take_places"} & _names_used(path)}
    assert callers == {"booking.bookings.pipeline"}
