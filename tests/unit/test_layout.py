"""The package's layout keeps its promises (ARCHITECTURE.md): private APIs of Dash, Flask and
Starlette are reached from _compat alone. The import layers are import-linter's (make lint)."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "dash_live"
GENERATED = {"DashSocketIO.py", "_imports_.py"}
# An import of a private module of a framework, or a private attribute of Dash's or Flask's own
# objects (a leading underscore after a dot, on a name that is not ours).
PRIVATE = re.compile(
    r"(from|import)\s+(dash|flask|starlette|quart)\.(\w+\.)*_\w+"
    r"|\bapp\._add_url\b|\b_dev_tools\b|\bState\._state\b|\bflask\._\w+"
)


def test_private_framework_apis_are_reached_from_compat_alone() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name not in GENERATED and path.name != "_compat.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if PRIVATE.search(line)
    ]
    assert offenders == [], "private APIs outside _compat.py:\n" + "\n".join(offenders)


def test_the_check_finds_what_it_looks_for() -> None:
    assert PRIVATE.search("from dash._utils import AttributeDict")
    assert PRIVATE.search("    app._add_url(name, view, methods)")
    assert not PRIVATE.search("from dash import hooks")


def test_no_module_of_dash_live_imports_itself_back() -> None:
    # import-linter's layers forbid cycles between the four packages; this finds one inside a
    # package too (two callbacks modules importing each other, even lazily in a function).
    import grimp

    graph = grimp.build_graph("dash_live")
    modules = sorted(m for m in graph.modules if not m.endswith(("DashSocketIO", "_imports_")))
    cycles = [
        (a, b)
        for a in modules
        for b in graph.find_modules_directly_imported_by(a)
        if b != a and b.startswith("dash_live") and graph.find_shortest_chain(b, a) is not None
    ]
    assert cycles == [], f"import cycles through: {cycles}"
