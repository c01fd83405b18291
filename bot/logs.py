"""One line per event; JSON when LOG_FORMAT=json; tokens and secrets never written: Slack and API
tokens, the passwords and queries of URLs, the signing and client secrets and the values of the
operator's NORTHLINE_SOURCE_* variables (docs/security.md)."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime

from bot.settings import source_variables

_SECRETS = re.compile(r"(xox[abpres]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|nlk_[A-Za-z0-9_-]+)")
# scheme://user:PASSWORD@host (a database or broker URL; redis:// often has no user): the password.
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@\"'<>]*:)[^\s@/\"'<>]+@")
# scheme://host/path?QUERY: the query, where API keys travel.
_URL_QUERY = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s?#\"'<>]*)\?[^\s#\"'<>]*")
SOURCE_PREFIX = "NORTHLINE_SOURCE_"
# The parts of a declared connection that are not secret: a header's name, the workspaces it serves.
_NOT_SECRET = ("_HEADER", "_TEAMS")
_SHORTEST_SECRET = 6  # shorter values ("1", "on") would redact ordinary words


def source_secrets(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The values of the operator's NORTHLINE_SOURCE_* variables (database URLs, tokens), which no
    log line may carry; a header's name and a list of workspaces are not secrets. `environ`: the
    variables to look at, by default those bot/settings.py reads."""
    environ = source_variables() if environ is None else environ
    return tuple(
        value
        for name, value in environ.items()
        if name.startswith(SOURCE_PREFIX)
        and not name.endswith(_NOT_SECRET)
        and len(value or "") >= _SHORTEST_SECRET
    )


def redact(text: str, *extra: str | None) -> str:
    """`text` without Slack and API tokens, URL passwords and queries, or any of `extra`."""
    for secret in sorted((s for s in extra if s), key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    text = _SECRETS.sub("[redacted]", text)
    text = _URL_PASSWORD.sub(r"\1[redacted]@", text)
    return _URL_QUERY.sub(r"\1?[redacted]", text)


class _Redacting(logging.Formatter):
    def __init__(self, json_lines: bool, secrets: tuple[str | None, ...]):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")
        self.json_lines = json_lines
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message += " | " + self.formatException(record.exc_info).replace("\n", " | ")
        message = redact(message, *self.secrets).replace("\n", " ")
        if self.json_lines:
            return json.dumps(
                {
                    "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                    "level": record.levelname,
                    "logger": record.name,
                    "message": message,
                }
            )
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{stamp} {record.levelname} {record.name} {message}"


SLACK_SDK_CLIENT_LOGGER = "slack_sdk.web.base_client"  # the logger WebClient uses unless given one


def configure(level: str = "INFO", json_lines: bool = False, secrets: tuple[str | None, ...] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Redacting(json_lines, (*secrets, *source_secrets())))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # slack_sdk formats every request and answer for a debug line whenever its client's logger has
    # no level of its own (it tests `logger.level`, 0 when unset, not the effective level), then
    # drops the line: a repr of each message's blocks on every call. The root's level, set on it,
    # filters exactly as before (fenced by tests/unit/test_logs.py).
    logging.getLogger(SLACK_SDK_CLIENT_LOGGER).setLevel(level)
