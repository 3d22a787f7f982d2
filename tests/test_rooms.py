"""The house rules of ARCHITECTURE.md, checked on the source: which room may import
which, and no import circles between modules. Every import counts, the lazy ones
inside functions too, because a lazy import is still a dependency."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "helpdesk"

# room (a module or package prefix) -> prefixes it must never import
FORBIDDEN = {
    "helpdesk.services": ["helpdesk.commands", "helpdesk.cli", "helpdesk.screens", "helpdesk.widgets",
                          "helpdesk.app", "helpdesk.render", "helpdesk.scheduler", "textual", "typer", "rich",
                          "helpdesk.portal", "starlette", "jinja2"],
    "helpdesk.portal": ["helpdesk.commands", "helpdesk.screens", "helpdesk.widgets", "helpdesk.app", "textual"],
    # shared plumbing: no domain (subscribers are named as strings in bus.SUBSCRIBERS)
    "helpdesk.services.core": ["helpdesk.services.tickets", "helpdesk.services.people", "helpdesk.services.sla",
                               "helpdesk.services.mail", "helpdesk.services.imports", "helpdesk.services.desk",
                               "helpdesk.services.workflow", "helpdesk.services.types", "helpdesk.services.collaboration",
                               "helpdesk.services.customers", "helpdesk.commands", "helpdesk.screens", "helpdesk.widgets", "helpdesk.app",
                               "textual", "typer", "rich"],
    "helpdesk.commands": ["helpdesk.screens", "helpdesk.widgets", "helpdesk.app", "textual"],
    "helpdesk.cli": ["helpdesk.screens", "helpdesk.widgets", "textual"],  # opens helpdesk.app lazily, no command given
    "helpdesk.render": ["textual", "helpdesk.services"],
    "helpdesk.models": ["helpdesk.services", "helpdesk.db"],
    "helpdesk.scheduler": ["helpdesk.commands", "helpdesk.screens", "helpdesk.widgets", "textual"],
    "helpdesk.widgets": ["helpdesk.commands", "helpdesk.screens"],
    # pure cores: plain functions over plain data, no session, no I/O
    "helpdesk.sla": ["helpdesk.services", "helpdesk.db", "sqlalchemy", "sqlmodel"],
    "helpdesk.calendar": ["helpdesk.services", "helpdesk.db", "sqlalchemy", "sqlmodel"],
    "helpdesk.query": ["helpdesk.services", "helpdesk.db", "sqlalchemy", "sqlmodel"],
    "helpdesk.query_tokens": ["helpdesk.services", "helpdesk.db", "sqlalchemy", "sqlmodel"],
    "helpdesk.mail": ["helpdesk.services", "helpdesk.db", "sqlalchemy", "sqlmodel"],
    "helpdesk.sheets": ["helpdesk.services", "helpdesk.db", "sqlalchemy", "sqlmodel"],
    "helpdesk.search": ["helpdesk.services", "helpdesk.db"],
    "helpdesk.rules": ["helpdesk.services", "helpdesk.db", "sqlalchemy", "sqlmodel"],
    "helpdesk.macros": ["helpdesk.services", "helpdesk.db", "sqlalchemy", "sqlmodel"],
    # the domains rules act on never depend on the rules (the bus wires them)
    "helpdesk.services.tickets": ["helpdesk.services.workflow", "helpdesk.services.types",
                                  "helpdesk.services.collaboration"],
    "helpdesk.request_types": ["helpdesk.services", "helpdesk.db", "sqlalchemy", "sqlmodel"],
    "helpdesk.services.sla": ["helpdesk.services.workflow", "helpdesk.services.types"],
    "helpdesk.services.imports": ["helpdesk.services.workflow"],
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module this file imports, absolute, including `from pkg import module`."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}
GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_module_imports_only_what_its_room_may(name):
    rooms = [room for room in FORBIDDEN if within(name, room)]  # services.tickets is also services
    banned = {b for room in rooms for b in FORBIDDEN[room]}
    bad = sorted({i for i in GRAPH[name] for b in banned if within(i, b)})
    assert not bad, f"{name} (rooms {rooms}) imports {bad}; see ARCHITECTURE.md, 'The rooms'"


def test_no_import_circles_between_modules():
    edges = {name: {i for i in deps if i in MODULES and i != name and not within(name, i)}
             for name, deps in GRAPH.items()}
    circles = [c for c in strongly_connected(edges) if len(c) > 1]
    assert not circles, f"import circles: {circles}"


def test_services_are_grouped_by_domain():
    """Nothing but the package docstring sits at the top of services/: every module
    lives in the package of its domain."""
    loose = sorted(p.name for p in (ROOT / "services").glob("*.py") if p.name != "__init__.py")
    assert not loose, f"modules outside a domain package: {loose}"


def test_the_rules_catch_a_forbidden_import(tmp_path):
    """The checker itself: a service that imports textual is reported."""
    fake = ROOT / "services" / "core" / "bus.py"
    tree_imports = imports_of(fake) | {"textual.app"}
    bad = [i for i in tree_imports for banned in FORBIDDEN["helpdesk.services"] if within(i, banned)]
    assert bad == ["textual.app"]
    # a domain's own rule adds to the services' rules
    lifecycle = imports_of(ROOT / "services" / "tickets" / "lifecycle.py") | {"helpdesk.services.workflow.routing"}
    rooms = [r for r in FORBIDDEN if within("helpdesk.services.tickets.lifecycle", r)]
    assert {"helpdesk.services", "helpdesk.services.tickets"} <= set(rooms)
    assert [i for i in lifecycle for r in rooms for b in FORBIDDEN[r] if within(i, b)] == [
        "helpdesk.services.workflow.routing"]


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(sorted(component))
    return found


def test_circle_finder_finds_a_circle():
    assert [c for c in strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) if len(c) > 1] == [["a", "b", "c"]]
