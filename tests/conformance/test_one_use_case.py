"""A listener hands each action to one use case: inside one `with unit_of_work(...)` block it calls
one function of bot.services (one per branch of an `if`: each branch is another action), it
builds no Block Kit there (bot.ui renders the plain result after the commit), and it never opens a
database session itself.

An import contract cannot see which functions a listener calls inside a transaction, so this reads
bot/listeners with ast. A use case that needs what several services decide is a function of its
own in bot/services (e.g. services/objective_views.py), which returns a plain result; the
listener calls it alone and renders after the commit.
"""

from __future__ import annotations

import ast
from pathlib import Path

LISTENERS = Path(__file__).resolve().parents[2] / "bot" / "listeners"
SERVICES = "bot.services"
UI = "bot.ui"


def ui_names(tree: ast.AST) -> set[str]:
    """The local names of bot.ui's modules and functions (`from bot.ui import x`, `from bot.ui.x
    import f`)."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and (node.module == UI or (node.module or "").startswith(UI + "."))
        for alias in node.names
    }


def renders(block: list[ast.stmt], names: set[str]) -> list[str]:
    """The bot.ui functions `block` calls."""
    found = []
    for node in ast.walk(ast.Module(body=block, type_ignores=[])):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in names:
            found.append(f"{func.value.id}.{func.attr}")
        elif isinstance(func, ast.Name) and func.id in names:
            found.append(func.id)
    return found


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


def service_call(node: ast.AST, modules: dict[str, str], functions: dict[str, str]) -> str | None:
    """ "module.function" when `node` calls a function of bot.services, else None."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in modules:
        return f"{modules[func.value.id]}.{func.attr}"
    if isinstance(func, ast.Name) and func.id in functions:
        return f"{functions[func.id]}.{func.id}"
    return None


def services_called(node, modules: dict[str, str], functions: dict[str, str]) -> list[str]:
    """The service functions called along the path through `node` (a statement, an expression or
    a list of statements) that calls the most: an `if` takes its busier branch."""
    if isinstance(node, list):
        return [name for child in node for name in services_called(child, modules, functions)]
    if isinstance(node, ast.If | ast.IfExp):
        test = services_called(node.test, modules, functions)
        body = services_called(node.body, modules, functions)
        orelse = services_called(node.orelse, modules, functions)
        return test + max(body, orelse, key=len)
    called = [name] if (name := service_call(node, modules, functions)) else []
    for child in ast.iter_child_nodes(node):
        called += services_called(child, modules, functions)
    return called


def offences(source: str) -> list[tuple[int, str]]:
    """(line, what) for each unit of work calling two service functions, and each session opened."""
    tree = ast.parse(source)
    modules, functions = service_names(tree)
    ui = ui_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and any(_is_unit_of_work(item) for item in node.items):
            called = services_called(node.body, modules, functions)
            if len(called) > 1:
                found.append((node.lineno, "calls " + ", ".join(called)))
            if drawn := renders(node.body, ui):
                found.append((node.lineno, "renders inside the transaction: " + ", ".join(drawn)))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "session"
            and not node.args
        ):
            found.append((node.lineno, "opens a database session"))
    return sorted(found)


def test_the_check_sees_two_service_calls_in_one_unit_of_work():
    source = (
        "from bot.services import follows, okrs\n"
        "from bot.services.checkins import record\n"
        "from bot.ui import okr as ui\n"
        "def f(db, who, verb):\n"
        "    with unit_of_work(db, who) as (session, workspace):\n"
        "        objective = okrs.find_objective(session, workspace, 'OBJ-1')\n"
        "        if objective:\n"
        "            record(session, workspace)\n"
        "    with unit_of_work(db, who) as (session, workspace):\n"
        "        okrs.find_objective(session, workspace, 'OBJ-1')\n"
        "        answer = ui.render(okrs.may_change(session, workspace, 'U1', None))\n"
        "    with unit_of_work(db, who) as (session, workspace):\n"
        "        if verb == 'follow':\n"
        "            follows.follow(session, workspace)\n"
        "        else:\n"
        "            follows.unfollow(session, workspace) if verb else None\n"
        "    with db.session() as session:\n"
        "        follows.follow(session)\n"
    )
    assert offences(source) == [
        (5, "calls bot.services.okrs.find_objective, bot.services.checkins.record"),
        (9, "calls bot.services.okrs.find_objective, bot.services.okrs.may_change"),
        (9, "renders inside the transaction: ui.render"),
        (17, "opens a database session"),
    ]


def test_each_unit_of_work_of_a_listener_calls_one_service():
    found = [
        f"bot/listeners/{path.name}:{line}: {what}"
        for path in sorted(LISTENERS.glob("*.py"))
        for line, what in offences(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "a listener hands each action to one use case in bot/services:\n" + "\n".join(found)
