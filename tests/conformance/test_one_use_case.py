"""A listener hands each action to one use case: inside one `with unit_of_work(...)` block it calls
one function of bot.services (one per branch of an `if`: each branch is another action), it
builds no Block Kit there (bot.ui renders the plain result after the commit), and it never opens a
database session itself.

Nor does one action open a second unit of work, before or after its use case (to read the caller's
zone, say): along each path through a listener (an `if`'s branches apart, a `return` ending its
path) the units of work it opens are counted, its own and those of the listener helpers it calls
(bot/listeners' functions, followed across modules). Two exceptions, each opened after the
action's own transaction has ended: `common.modal_text` (an error's names, read after the
rollback) and `homes.refresh` (the Homes a change touched, read once it has committed, so a
failure there cannot undo it). One listener path still opens two by design:
`sources.submit_source` checks who may bind, tries the provider outside any transaction, then
saves, so that no transaction waits on the network.

An import contract cannot see which functions a listener calls inside a transaction, so this reads
bot/listeners with ast. A use case that needs what several services decide is a function of its
own in bot/services (e.g. services/objective_views.py), which returns a plain result; the
listener calls it alone and renders after the commit.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

LISTENERS = Path(__file__).resolve().parents[2] / "bot" / "listeners"
SERVICES = "bot.services"
UI = "bot.ui"
LISTENER_PACKAGE = "bot.listeners"
# (module, function) of bot/listeners opening a unit of work outside any action's own, on purpose
# (see the module's docstring): not counted in the paths that call them.
AFTER_THE_ACTION = {("common", "modal_text"), ("homes", "refresh")}
# Listener functions allowed two units of work on one path, and why.
TWO_BY_DESIGN = {("sources", "submit_source")}  # no transaction waits on the provider's answer


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


# --- units of work per listener path ------------------------------------------------------------


@dataclass
class Module:
    """One listener module: its functions (any depth, by name) and the listener names it imports."""

    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)  # local name → listener module
    imported: dict[str, tuple[str, str]] = field(default_factory=dict)  # local name → (module, function)


def read_module(source: str) -> Module:
    tree = ast.parse(source)
    found = Module()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.functions.setdefault(node.name, node)
        elif isinstance(node, ast.ImportFrom) and node.module == LISTENER_PACKAGE:
            for alias in node.names:
                found.modules[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(LISTENER_PACKAGE + "."):
            for alias in node.names:
                found.imported[alias.asname or alias.name] = (node.module.rsplit(".", 1)[1], alias.name)
    return found


class Paths:
    """The most units of work any one path through a listener function opens."""

    def __init__(self, modules: dict[str, Module]) -> None:
        self.modules = modules
        self.known: dict[tuple[str, str], int] = {}
        self.walked: dict[tuple[int, int], int] = {}  # (id of a statement list, from where) → units

    def of(self, module: str, name: str) -> int:
        key = (module, name)
        if key in AFTER_THE_ACTION:
            return 0
        if key not in self.known:
            self.known[key] = 0  # a recursive call adds nothing
            self.known[key] = self.run(module, self.modules[module].functions[name].body)
        return self.known[key]

    def callee(self, module: str, call: ast.Call) -> tuple[str, str] | None:
        """(module, function) of the listener function `call` calls, if it calls one."""
        here, func = self.modules[module], call.func
        target = None
        if isinstance(func, ast.Name):
            target = here.imported.get(func.id) or ((module, func.id) if func.id in here.functions else None)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if func.value.id in here.modules:
                target = (here.modules[func.value.id], func.attr)
            elif func.value.id == "self" and func.attr in here.functions:
                target = (module, func.attr)
        if target and target[0] in self.modules and target[1] in self.modules[target[0]].functions:
            return target
        return None

    def run(self, module: str, statements: list[ast.stmt], start: int = 0) -> int:
        """Along `statements[start:]`: an `if` forks the path, and a branch that returns or raises
        ends it (what follows an `if` is walked once, however many paths reach it)."""
        key = (id(statements), start)
        if key not in self.walked:
            self.walked[key] = self._run(module, statements, start)
        return self.walked[key]

    def _run(self, module: str, statements: list[ast.stmt], start: int) -> int:
        if start >= len(statements):
            return 0
        head = statements[start]
        if isinstance(head, ast.If):
            after = self.run(module, statements, start + 1)
            branches = [
                self.run(module, branch) + (0 if _ends(branch) else after)
                for branch in (head.body, head.orelse)
            ]
            return self.units(module, head.test) + max(branches)
        if isinstance(head, ast.Return | ast.Raise):
            return self.units(module, head)
        return self.units(module, head) + self.run(module, statements, start + 1)

    def units(self, module: str, node: ast.AST) -> int:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            return 0  # defined here, run elsewhere: counted where it runs
        if isinstance(node, ast.If):
            return self.run(module, [node])
        if isinstance(node, ast.IfExp):
            return self.units(module, node.test) + max(
                self.units(module, node.body), self.units(module, node.orelse)
            )
        if isinstance(node, ast.For | ast.While | ast.comprehension):
            # A unit of work in a loop is one per round: more than one.
            return 2 * sum(self.units(module, child) for child in ast.iter_child_nodes(node))
        count = 0
        if isinstance(node, ast.With) and any(_is_unit_of_work(item) for item in node.items):
            count += 1
        if isinstance(node, ast.With | ast.Try):
            # Their bodies are paths too (an `if` inside one forks); after them, the path goes on.
            for body in _bodies(node):
                count += self.run(module, body)
            for other in (getattr(node, "items", []), getattr(node, "handlers", [])):
                count += sum(self.units(module, child) for child in other)
            return count
        if isinstance(node, ast.Call) and (target := self.callee(module, node)):
            count += self.of(*target)
        return count + sum(self.units(module, child) for child in ast.iter_child_nodes(node))


def _bodies(node: ast.With | ast.Try) -> list[list[ast.stmt]]:
    if isinstance(node, ast.With):
        return [node.body]
    return [node.body, node.orelse, node.finalbody]


def _ends(statements: list[ast.stmt]) -> bool:
    """Whether every way through `statements` returns or raises."""
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, ast.With):
        return _ends(last.body)
    if isinstance(last, ast.If):
        return _ends(last.body) and _ends(last.orelse)
    return isinstance(last, ast.Return | ast.Raise)


def unit_offences(sources: dict[str, str]) -> list[str]:
    """ "module.function:line: opens N units of work on one path" for each listener function
    (module name → source) whose busiest path opens more than one."""
    modules = {name: read_module(source) for name, source in sources.items()}
    paths = Paths(modules)
    return [
        f"{name}.{function}:{node.lineno}: opens {count} units of work on one path"
        for name, module in sorted(modules.items())
        for function, node in sorted(module.functions.items())
        if (name, function) not in AFTER_THE_ACTION | TWO_BY_DESIGN
        and (count := paths.of(name, function)) > 1
    ]


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


def test_the_check_counts_units_of_work_along_each_path_and_through_helpers():
    common = (
        "def zone_of(db, who):\n"
        "    with unit_of_work(db, who) as (session, workspace):\n"
        "        return members.reader_zone(session, workspace, who.user_id)\n"
        "def modal_text(db, who, message):\n"
        "    with unit_of_work(db, who) as (session, workspace):\n"
        "        return message\n"
    )
    okr = (
        "from bot.listeners import common\n"
        "from bot.listeners.common import zone_of\n"
        "def zone_after(db, who):\n"  # the use case, then the zone in a second transaction
        "    with unit_of_work(db, who) as (session, workspace):\n"
        "        page = okrs.page(session, workspace)\n"
        "    return page, zone_of(db, who)\n"
        "def branches(db, who, verb):\n"  # one unit on each branch: one per path
        "    if verb == 'show':\n"
        "        with unit_of_work(db, who) as (session, workspace):\n"
        "            return okrs.page(session, workspace)\n"
        "    with unit_of_work(db, who) as (session, workspace):\n"
        "        okrs.change(session, workspace)\n"
        "def through_a_helper(db, who):\n"
        "    helper(db, who)\n"
        "    common.zone_of(db, who)\n"
        "def helper(db, who):\n"
        "    with unit_of_work(db, who) as (session, workspace):\n"
        "        okrs.change(session, workspace)\n"
        "def in_a_loop(db, who, people):\n"
        "    for person in people:\n"
        "        with unit_of_work(db, who) as (session, workspace):\n"
        "            okrs.home(session, workspace, person)\n"
        "def error_after(db, who):\n"
        "    try:\n"
        "        with unit_of_work(db, who) as (session, workspace):\n"
        "            okrs.change(session, workspace)\n"
        "    except Exception as error:\n"
        "        raise ValueError(common.modal_text(db, who, str(error)))\n"
    )
    assert unit_offences({"common": common, "okr": okr}) == [
        "okr.in_a_loop:19: opens 2 units of work on one path",
        "okr.through_a_helper:13: opens 2 units of work on one path",
        "okr.zone_after:3: opens 2 units of work on one path",
    ]


def test_each_path_through_a_listener_opens_one_unit_of_work():
    sources = {path.stem: path.read_text(encoding="utf-8") for path in sorted(LISTENERS.glob("*.py"))}
    found = unit_offences(sources)
    assert found == [], "each action opens one transaction, its use case's:\n" + "\n".join(found)
