"""One line per event; JSON when LOG_FORMAT=json; tokens and secrets never written."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

_SECRETS = re.compile(r"(xox[abpres]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|nlk_[A-Za-z0-9_-]+)")


def redact(text: str, *extra: str | None) -> str:
    text = _SECRETS.sub("[redacted]", text)
    for secret in extra:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


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


def configure(level: str = "INFO", json_lines: bool = False, secrets: tuple[str | None, ...] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Redacting(json_lines, secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
