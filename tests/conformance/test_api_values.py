"""The API works on plain values: bot/api imports nothing of storage but storage.db.Database.

Each operation calls one use case (bot/services/goal_values.py) that hands back frozen values,
so the API has no row to name, not even in a type hint. import-linter leaves out imports under
`if TYPE_CHECKING:` (pyproject.toml), so this reads bot/api with ast and fails on any import of
storage (models, repositories, or storage itself) wherever it stands, except the unit of work's
`from storage.db import Database`, and on importlib's way round an import statement. The use
cases' own results are checked too: frozen dataclasses all the way down, with no row in them.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import typing
from pathlib import Path

from bot.services import goal_values
from storage.models import Base

API = Path(__file__).resolve().parents[2] / "bot" / "api"
ALLOWED = {("storage.db", "Database")}  # the unit of work's database, and nothing else


def _storage(module: str | None) -> bool:
    return module is not None and (module == "storage" or module.startswith("storage."))


def storage_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) for each import of storage in `tree` that is not in ALLOWED."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if _storage(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _storage(node.module):
            found += [
                (node.lineno, f"{node.module}.{alias.name}")
                for alias in node.names
                if (node.module, alias.name) not in ALLOWED
            ]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            target = node.args[0].value
            if name in ("import_module", "__import__") and isinstance(target, str) and _storage(target):
                found.append((node.lineno, target))
    return sorted(found)


def test_the_check_sees_every_way_in():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "from storage.db import Database\n"
        "from storage.db import Database, after_commit\n"
        "if TYPE_CHECKING:\n"
        "    from storage.models import Objective\n"
        "import storage.repositories.okrs as repo\n"
        "from storage import models\n"
        "def f():\n"
        "    from storage.repositories import okrs\n"
        "    return importlib.import_module('storage.models')\n"
        "from bot.services import goal_values\n"
    )
    assert storage_imports(tree) == [
        (3, "storage.db.after_commit"),
        (5, "storage.models.Objective"),
        (6, "storage.repositories.okrs"),
        (7, "storage.models"),
        (9, "storage.repositories.okrs"),
        (10, "storage.models"),
    ]


def test_the_api_imports_nothing_of_storage_but_the_database():
    files = sorted(API.rglob("*.py"))
    assert any(path.name == "resources.py" for path in files)
    offenders = [
        f"bot/api/{path.relative_to(API).as_posix()}:{line} {what}"
        for path in files
        for line, what in storage_imports(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []


def _types(hint) -> list:
    """`hint` and every type inside it (tuple[X, ...], X | None, …)."""
    return [hint, *(t for arg in typing.get_args(hint) for t in _types(arg))]


def _rows_in(cls: type, seen: set[type]) -> list[str]:
    """The fields of dataclass `cls`, and of the dataclasses it holds, typed as a storage row;
    fails on a field typed as some other class that is not a frozen dataclass or a plain value."""
    if cls in seen:
        return []
    seen.add(cls)
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, cls
    found = []
    for name, hint in typing.get_type_hints(cls).items():
        for t in _types(hint):
            if isinstance(t, type) and issubclass(t, Base):
                found.append(f"{cls.__name__}.{name}: {t.__name__}")
            elif dataclasses.is_dataclass(t):
                found += _rows_in(t, seen)
    return found


def test_each_use_case_hands_back_frozen_values_with_no_row_in_them():
    use_cases = [
        f
        for name, f in inspect.getmembers(goal_values, inspect.isfunction)
        if not name.startswith("_") and f.__module__ == goal_values.__name__
    ]
    assert len(use_cases) == 8
    seen: set[type] = set()
    rows = [row for f in use_cases for row in _rows_in(typing.get_type_hints(f)["return"], seen)]
    assert rows == []
    assert goal_values.KeyResultValue in seen and goal_values.SourceValue in seen


def test_the_value_check_sees_a_row():
    @dataclasses.dataclass(frozen=True)
    class Leaky:
        objective: goal_values.ObjectiveValue
        row: typing.Optional[Base]  # noqa: UP045 - the other spelling of X | None, on purpose

    assert _rows_in(Leaky, set()) == ["Leaky.row: Base"]
