"""The API works on plain values: bot/api imports nothing of storage but storage.db.Database.

Each operation calls one use case (bot/services/goal_values.py) that hands back frozen values,
so the API has no row to name, not even in a type hint. import-linter leaves out imports under
`if TYPE_CHECKING:` (pyproject.toml), so this reads bot/api with ast and fails on any import of
storage (models, repositories, or storage itself) wherever it stands, except the unit of work's
`from storage.db import Database`, and on importlib's way round an import statement.
"""

from __future__ import annotations

import ast
from pathlib import Path

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
