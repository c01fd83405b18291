"""Imports that would exhaust the server are refused before they are read, with a clear message and
nothing written: an OKR file nested thousands deep or built as an alias bomb, and a Viva Goals
workbook that is a zip bomb."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from storage.models import Objective
from tests.conftest import ALICE, BOB, CAROL, TEAM
from tests.factories import cli_runner, count, import_yaml, workspaces_for

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
XLSX = EXAMPLES / "viva" / "okrs.xlsx"


@pytest.fixture
def cli(monkeypatch, database_url, capsys, db):
    workspaces_for(db, TEAM)
    return cli_runner(monkeypatch, database_url, capsys, unset=("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"))


def test_a_deeply_nested_okr_file_is_refused(cli, db, tmp_path):
    code, _, err = import_yaml(cli, tmp_path / "okrs.yaml", "objectives: " + "[" * 5000 + "]" * 5000 + "\n")
    assert code == 1
    assert "line 1: lists and mappings nest deeper than 20 levels" in err
    assert "Traceback" not in err and "RecursionError" not in err
    assert count(db, Objective) == 0


def test_a_file_nested_as_deep_as_the_format_needs_still_parses(cli, db, tmp_path):
    # root → objectives → objective → key_results → key result → source: six levels.
    text = (
        "cycle: 2026-Q4\nteam: T0NORTH1\nobjectives:\n  - key: a\n    title: Grow\n    owner: U0ALICE\n"
        "    key_results:\n      - {title: Revenue, start: 0, target: 10}\n"
    )
    code, _, err = import_yaml(cli, tmp_path / "okrs.yaml", text)
    assert code == 0, err
    assert count(db, Objective) == 1


def test_an_alias_bomb_is_refused_at_its_first_alias(cli, db, tmp_path):
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [{', '.join(['*' + previous] * 9)}]")
    code, _, err = import_yaml(cli, tmp_path / "okrs.yaml", "\n".join(lines) + "\n")
    assert code == 1
    assert "1 problem" in err and "line 2: YAML anchors and aliases (& and *) are not supported" in err
    assert count(db, Objective) == 0


def _workbook_with(path: Path, name: str, size: int, chunk: bytes = b" " * 65536) -> Path:
    """The sample workbook with one more part of `size` bytes that packs to almost nothing."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(XLSX) as sample, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for part in sample.infolist():
            out.writestr(part, sample.read(part))
        with out.open(name, "w") as part:
            for _ in range(size // len(chunk)):
                part.write(chunk)
    path.write_bytes(buffer.getvalue())
    return path


def _import_viva(cli, path: Path) -> tuple[int, str, str]:
    return cli("import", "--from", "viva", "--team", TEAM, str(path))


def test_a_zip_bomb_workbook_is_refused_before_it_is_read(cli, db, tmp_path):
    bomb = _workbook_with(tmp_path / "bomb.xlsx", "xl/media/padding.bin", 64 * 1024 * 1024)
    assert bomb.stat().st_size < 1_000_000  # small on disk
    code, _, err = _import_viva(cli, bomb)
    assert code == 1
    assert "unpacks to 67," in err and "more than 50,000,000" in err
    assert "Traceback" not in err
    assert count(db, Objective) == 0


def test_a_part_packed_far_beyond_a_real_export_is_refused(cli, db, tmp_path):
    packed = _workbook_with(tmp_path / "packed.xlsx", "xl/sharedStrings2.xml", 8 * 1024 * 1024)
    code, _, err = _import_viva(cli, packed)
    assert code == 1
    assert "its part xl/sharedStrings2.xml is packed" in err and "that is a zip bomb" in err
    assert count(db, Objective) == 0


def test_the_sample_workbook_is_within_the_limits(cli, db, tmp_path):
    owners = tmp_path / "owners.csv"
    owners.write_text(
        "email,slack_user_id\n"
        + "".join(
            f"{e},{u}\n"
            for e, u in [("alice@example.com", ALICE), ("bob@example.com", BOB), ("carol@example.com", CAROL)]
        )
    )
    code, _, err = cli("import", "--from", "viva", "--team", TEAM, str(XLSX), "--owners", str(owners))
    assert code == 0, err
    assert count(db, Objective) > 0
