"""With CI=true a skip is a failure that names what was missing (tests/conftest.py), except the
skips of the database the run was not asked for. Checked on a run of its own, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

TESTS = textwrap.dedent(
    """
    import pytest

    def test_needs_redis():
        pytest.skip("no Redis at redis://127.0.0.1:1/9 (set NORTHLINE_TEST_REDIS_URL)")

    @pytest.mark.skipif(True, reason="needs PostgreSQL: set NORTHLINE_TEST_DATABASE_URL=postgresql+psycopg://…")
    def test_needs_postgresql():
        pass

    def test_runs():
        assert True
    """
)


def run(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess:
    (tmp_path / "test_inner.py").write_text(TESTS)
    env = {k: v for k, v in os.environ.items() if k not in {"CI", "NORTHLINE_TEST_NOW"}}
    env["PYTHONPATH"] = str(ROOT)
    if ci is not None:
        env["CI"] = ci
    command = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-rs"]
    return subprocess.run(
        [*command, "test_inner.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_in_ci_a_missing_service_fails_with_its_name(tmp_path):
    result = run(tmp_path, "true")
    assert result.returncode == 1, result.stdout
    assert "1 failed, 1 passed, 1 skipped" in result.stdout
    assert "CI=true, so this is a failure, not a skip: no Redis at redis://127.0.0.1:1/9" in result.stdout
    assert "SKIPPED [1] test_inner.py:7: needs PostgreSQL" in result.stdout


def test_outside_ci_a_missing_service_is_a_skip_with_its_reason(tmp_path):
    result = run(tmp_path, None)
    assert result.returncode == 0, result.stdout
    assert "1 passed, 2 skipped" in result.stdout
    assert "no Redis at redis://127.0.0.1:1/9" in result.stdout
