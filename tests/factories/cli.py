"""The `northline` command line on the test database."""

from __future__ import annotations

import pytest

from tests.conftest import SIGNING_SECRET, TOKEN


def single_token_env(monkeypatch, emulator, database_url: str) -> None:
    """The environment of a single-workspace install (SLACK_BOT_TOKEN) against the emulator."""
    for name, value in {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": emulator.base_url,
        "DATABASE_URL": database_url,
    }.items():
        monkeypatch.setenv(name, value)


def cli_runner(monkeypatch, database_url: str, capsys, *, unset: tuple[str, ...] = ()):
    """`northline ARGS...` on the test database, as ``run(*argv) -> (exit code, stdout, stderr)``;
    the environment variables in `unset` are removed first."""
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in unset:
        monkeypatch.delenv(name, raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main(list(argv))
        out, err = capsys.readouterr()
        return exited.value.code, out, err

    return run


def import_yaml(cli, path, text: str, *args: str) -> tuple[int, str, str]:
    """Write OKRs-as-code `text` to `path`, then `northline import` it (with `args`)."""
    path.write_text(text)
    return cli("import", str(path), *args)


def import_changed(cli, path, text: str, change: tuple[str, str]) -> tuple[int, str, str]:
    """`northline import` `text` with one change (old, new) made, the first `old` replaced; the
    change must apply."""
    old, new = change
    assert old in text
    return import_yaml(cli, path, text.replace(old, new, 1))
