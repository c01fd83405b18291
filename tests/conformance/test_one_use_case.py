"""A listener hands each action to one use case: inside one `with unit_of_work(...)` block it calls
the functions of one bot.services module, and it never opens a database session itself.

An import contract cannot see which functions a listener calls inside a transaction, so this reads
bot/listeners with ast. A use case that needs what several services decide is a function of its
own in bot/services (e.g. services/objective_views.py), which the listener calls alone.
"""

from __future__ import annotations

import ast
from pathlib import Path

LISTENERS = Path(__file__).resolve().parents[2] / "bot" / "listeners"
SERVICES = "bot.services"


def service_names(tree: ast.AST) -> tuple[dict[str, str], dict[str, str]]:
    """(local name → service module) for `from bot.services import x [as y]` and `import
    bot.services.x as y`; (local name → its service module) for `from bot.services.x import f`."""
    modules: dict[str, str] = {}
    functions: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == SERVICES:
            for alias in node.names:
                modules[alias.asname or alias.name] = f"{SERVICES}.{alias.name}"
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(SERVICES + "."):
            for alias in node.names:
                functions[alias.asname or alias.name] = node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(SERVICES + ".") and alias.asname:
                    modules[alias.asname] = alias.name
    return modules, functions


def _is_unit_of_work(item: ast.withitem) -> bool:
    call = item.context_expr
    if not isinstance(call, ast.Call):
        return False
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    return name == "unit_of_work"


def services_called(block: ast.With, modules: dict[str, str], functions: dict[str, str]) -> set[str]:
    """The service modules whose functions the block calls (nested blocks included)."""
    called = set()
    for node in ast.walk(ast.Module(body=block.body, type_ignores=[])):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in modules:
            called.add(modules[func.value.id])
        elif isinstance(func, ast.Name) and func.id in functions:
            called.add(functions[func.id])
    return called


def offences(source: str) -> list[tuple[int, str]]:
    """(line, what) for each unit of work calling two service modules, and each session opened."""
    tree = ast.parse(source)
    modules, functions = service_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and any(_is_unit_of_work(item) for item in node.items):
            called = services_called(node, modules, functions)
            if len(called) > 1:
                found.append((node.lineno, "calls " + ", ".join(sorted(called))))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "session"
            and not node.args
        ):
            found.append((node.lineno, "opens a database session"))
    return sorted(found)


def test_the_check_sees_two_services_in_one_unit_of_work():
    source = (
        "from bot.services import follows, okrs\n"
        "from bot.services.checkins import record\n"
        "def f(db, who):\n"
        "    with unit_of_work(db, who) as (session, workspace):\n"
        "        objective = okrs.find_objective(session, workspace, 'OBJ-1')\n"
        "        if objective:\n"
        "            record(session, workspace)\n"
        "    with unit_of_work(db, who) as (session, workspace):\n"
        "        okrs.find_objective(session, workspace, 'OBJ-1')\n"
        "        okrs.may_change(session, workspace, 'U1', None)\n"
        "    with db.session() as session:\n"
        "        follows.follow(session)\n"
    )
    assert offences(source) == [
        (4, "calls bot.services.checkins, bot.services.okrs"),
        (11, "opens a database session"),
    ]


def test_each_unit_of_work_of_a_listener_calls_one_service():
    found = [
        f"bot/listeners/{path.name}:{line}: {what}"
        for path in sorted(LISTENERS.glob("*.py"))
        for line, what in offences(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "a listener hands each action to one use case in bot/services:\n" + "\n".join(found)
