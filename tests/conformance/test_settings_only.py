"""The product reads its environment through bot/settings.py only: every variable is validated
there, by concern, and named in one place (docs/operations.md documents the same names), so a
malformed value stops start-up with one line instead of failing later, somewhere else."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "bot" / "settings.py"
# Reads allowed elsewhere, each with its reason. None today: prometheus_client reads
# PROMETHEUS_MULTIPROC_DIR itself, but the operator sets it and bot/metrics.py writes nothing.
ALLOWED: dict[str, str] = {}
# os's readers (and writers) of the environment.
ENVIRONMENT = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def environment_reads(source: str) -> list[int]:
    """The lines of `source` that touch the environment through os (imported under any name)."""
    tree = ast.parse(source)
    names = {"os"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.asname or alias.name for alias in node.names if alias.name == "os"}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            if any(alias.name in ENVIRONMENT for alias in node.names):
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in ENVIRONMENT
            and isinstance(node.value, ast.Name)
            and node.value.id in names
        ):
            lines.append(node.lineno)
    return sorted(lines)


def test_the_check_finds_every_way_of_reading_the_environment():
    source = "\n".join(
        [
            "import os",
            "import os as system",
            "from os import getenv",
            "url = os.environ.get('DATABASE_URL')",
            "port = system.getenv('PORT')",
            "environ = {'PORT': '1'}  # a WSGI environ is no read",
            "os.environ['X'] = '1'",
        ]
    )
    assert environment_reads(source) == [3, 4, 5, 7]


def product_files() -> list[Path]:
    """The product's code: bot/, storage/ (its migrations included) and gunicorn's settings."""
    return [
        *(path for folder in ("bot", "storage") for path in sorted((ROOT / folder).rglob("*.py"))),
        ROOT / "gunicorn.conf.py",
    ]


def test_nothing_but_the_settings_reads_the_environment():
    reads = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in product_files()
        if path != SETTINGS and str(path.relative_to(ROOT)) not in ALLOWED
        for number in environment_reads(path.read_text(encoding="utf-8"))
    ]
    assert reads == []
