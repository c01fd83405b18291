"""What the log redaction removes: Slack and API tokens, URL passwords and queries, the values of
the operator's NORTHLINE_SOURCE_* variables; and what it leaves for the reader."""

from __future__ import annotations

import inspect
import json
import logging
import sys

import pytest

from bot.logs import _Redacting, configure, redact, source_secrets


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "connecting to postgresql+psycopg://northline:s3cr3t-pw@db.internal:5432/northline",
            "connecting to postgresql+psycopg://northline:[redacted]@db.internal:5432/northline",
        ),
        ("broker redis://:r3dis-pw@cache:6379/0 down", "broker redis://:[redacted]@cache:6379/0 down"),
        ("amqp://guest:rabbit-pw@mq:5672// refused", "amqp://guest:[redacted]@mq:5672// refused"),
        ("mysql+pymysql://root:maria-pw@127.0.0.1/test", "mysql+pymysql://root:[redacted]@127.0.0.1/test"),
        (
            "GET https://metrics.example.com/api/funnel?key=abc123&team=growth failed: HTTP 500",
            "GET https://metrics.example.com/api/funnel?[redacted] failed: HTTP 500",
        ),
        (
            "postgresql://u:pw-in-url@h/db?sslpassword=also-secret",
            "postgresql://u:[redacted]@h/db?[redacted]",
        ),
        ("posting with xoxb-123-456-abc", "posting with [redacted]"),
    ],
)
def test_urls_lose_their_passwords_and_queries(line, expected):
    assert redact(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "https://metrics.example.com/api/funnel answered HTTP 500",
        "http://127.0.0.1:8080/health is up",
        "mail ops@example.com about KR-3: 42.5 h?",
        "postgresql://northline@db.internal/northline has no password",
    ],
)
def test_what_is_not_secret_is_left_as_it_was(line):
    assert redact(line) == line


def test_source_secrets_are_the_values_of_the_source_variables_but_not_header_names_or_teams():
    environ = {
        "NORTHLINE_SOURCE_CRM_URL": "https://crm.example.com",
        "NORTHLINE_SOURCE_CRM_TOKEN": "Bearer sk-live-0042",
        "NORTHLINE_SOURCE_CRM_HEADER": "Authorization",
        "NORTHLINE_SOURCE_CRM_TEAMS": "T0NORTH1,T0OTHER2",
        "NORTHLINE_SOURCE_SHORT": "1",
        "DATABASE_URL": "sqlite:///northline.db",
    }
    assert sorted(source_secrets(environ)) == ["Bearer sk-live-0042", "https://crm.example.com"]


def test_a_configured_log_never_writes_a_source_secret(monkeypatch, capsys):
    monkeypatch.setenv("NORTHLINE_SOURCE_WAREHOUSE_TOKEN", "wh-token-7f3a9c")
    monkeypatch.setenv("NORTHLINE_SOURCE_WAREHOUSE_HEADER", "X-Api-Key")
    try:
        configure("INFO", json_lines=True)
        logging.getLogger("northline.test").warning(
            "source of KR-3 sent X-Api-Key: wh-token-7f3a9c to https://wh.example.com/q?token=abc"
        )
        record = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    finally:
        logging.getLogger().handlers.clear()
    assert (
        record["message"]
        == "source of KR-3 sent X-Api-Key: [redacted] to https://wh.example.com/q?[redacted]"
    )


def test_a_traceback_is_redacted_too():
    formatter = _Redacting(json_lines=False, secrets=("the-extra-secret",))
    try:
        raise ConnectionError("could not reach amqp://u:mq-pass@mq// with the-extra-secret")
    except ConnectionError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = formatter.format(record)
    assert "mq-pass" not in line and "the-extra-secret" not in line and "amqp://u:[redacted]@mq//" in line


class _Watched(dict):
    """A block that counts how often it is formatted as text (json.dumps does not format it so)."""

    formatted = 0

    def __repr__(self) -> str:
        type(self).formatted += 1
        return super().__repr__()


def test_the_sdk_formats_no_debug_line_that_logging_would_drop(emulator):
    """slack_sdk tests its logger's own level, not the effective one, before formatting each call
    for a debug line (fenced here: when this source changes, configure()'s line can go)."""
    from slack_sdk.web.base_client import BaseClient

    from bot.logs import SLACK_SDK_CLIENT_LOGGER
    from bot.slack_client import build_web_client
    from tests.conftest import ALICE, TOKEN

    assert "if self._logger.level <= logging.DEBUG:" in inspect.getsource(BaseClient._urllib_api_call)
    sdk, root = logging.getLogger(SLACK_SDK_CLIENT_LOGGER), logging.getLogger()
    handlers, level = root.handlers[:], root.level
    client = build_web_client(TOKEN, emulator.base_url)
    block = _Watched(type="section", text={"type": "plain_text", "text": "hi"})
    try:
        sdk.setLevel(logging.NOTSET)
        client.chat_postMessage(channel=ALICE, text="hi", blocks=[block])
        assert _Watched.formatted == 1  # unset: formatted, then dropped
        configure("INFO")
        client.chat_postMessage(channel=ALICE, text="hi", blocks=[block])
        assert _Watched.formatted == 1
        assert sdk.getEffectiveLevel() == logging.getLogger().getEffectiveLevel() == logging.INFO
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        sdk.setLevel(logging.NOTSET)
