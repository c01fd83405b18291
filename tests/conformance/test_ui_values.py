"""bot/ui renders values, never rows: it imports nothing from storage or SQLAlchemy, not even for a
type hint. The import contracts cannot say so for type hints alone (import-linter leaves out every
`if TYPE_CHECKING:` import, for all contracts at once), so this reads each module's imports itself.
A builder names what it reads by the Protocols of bot/ui/shapes.py instead."""

import ast
from pathlib import Path

import pytest

from bot.ui import shapes
from storage import models

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "bot" / "ui"
FORBIDDEN = ("storage", "sqlalchemy")


def forbidden_imports(source: str) -> list[str]:
    """Every import in `source` (at any depth: under `if TYPE_CHECKING:`, in a function) that
    names a forbidden package, as `line: module`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        found += [f"{node.lineno}: {m}" for m in modules if m.split(".")[0] in FORBIDDEN]
    return found


def test_ui_imports_no_storage_even_for_type_hints():
    found = [
        f"{path.relative_to(ROOT)}:{hit}"
        for path in sorted(UI.rglob("*.py"))
        for hit in forbidden_imports(path.read_text(encoding="utf-8"))
    ]
    assert found == []


@pytest.mark.parametrize(
    "line",
    [
        "from storage.models import KeyResult",
        "import sqlalchemy.orm",
        "import json, storage.db as db",
        "if TYPE_CHECKING:\n    from storage.models import KeyResult",
        "def f():\n    from sqlalchemy import select",
    ],
)
def test_a_storage_import_is_found_wherever_it_stands(line):
    assert len(forbidden_imports(line)) == 1


@pytest.mark.parametrize(
    "line",
    [
        "from bot.ui.shapes import KeyResultView",
        "from bot.domain import storage_rules",
        "from . import posts",
    ],
)
def test_other_imports_pass(line):
    assert forbidden_imports(line) == []


SHAPES = [
    value
    for name, value in vars(shapes).items()
    if name.endswith("View") and isinstance(value, type) and value.__module__ == shapes.__name__
]


def members(shape: type) -> list[str]:
    return [name for name, value in vars(shape).items() if isinstance(value, property)]


def test_every_shape_names_what_it_reads():
    assert len(SHAPES) == 9
    assert all(members(shape) for shape in SHAPES)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: shape.__name__)
def test_the_row_a_shape_stands_for_has_all_it_reads(shape):
    """ObjectiveView stands for storage.models.Objective, and so on: a column renamed or dropped
    shows here, rather than as an AttributeError while a message is drawn."""
    row = getattr(models, shape.__name__.removesuffix("View"))
    assert [name for name in members(shape) if not hasattr(row, name)] == []
