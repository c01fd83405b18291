"""What the emulator keeps: the records of teams, tokens and calls, and Slack's error shapes."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any


def _error(code: str) -> dict[str, Any]:
    return {"ok": False, "error": code}


def _update(record: Any, changes: dict[str, Any]) -> None:
    """Change fields of a user or channel in place; a field it does not have is a test's typo."""
    for key, value in changes.items():
        if not hasattr(record, key):
            raise AttributeError(key)
        setattr(record, key, value)


@dataclass
class Call:
    """One request the emulator answered (or, in ``rejected``, refused with 429/5xx).

    ``method`` is the Web API method (``"chat.postMessage"``), or ``"response_url"`` for a POST to a
    URL from :meth:`SlackEmulator.new_response_url`, or ``"upload_url"`` for the file bytes posted to
    an upload URL from ``files.getUploadURLExternal``. ``args`` are the decoded arguments (JSON
    strings such as ``blocks``/``view``/``files`` already parsed, the token removed).
    """

    method: str
    args: dict[str, Any]
    token: str | None
    team_id: str | None
    at: float
    status: int = 200
    response: dict[str, Any] | None = None
    http_method: str = "POST"
    url: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response and self.response.get("ok"))

    @property
    def error(self) -> str | None:
        if self.status != 200:
            return f"http_{self.status}"
        if self.response is None:
            return "malformed_response"
        return None if self.response.get("ok") else self.response.get("error")

    def __repr__(self) -> str:
        outcome = "ok" if self.ok else self.error
        return f"Call({self.method} team={self.team_id} -> {outcome} args={_short(self.args)})"


@dataclass
class _Team:
    id: str
    name: str
    domain: str
    enterprise_id: str | None = None


@dataclass
class _Token:
    token: str
    team_id: str
    user_id: str
    bot_id: str
    enterprise_id: str | None
    revoked: bool = False
    expires_at: float | None = None  # on the emulator's clock (`now()`); None: never expires
    scopes: frozenset[str] = frozenset()  # what the install granted (add_token: the manifest's)
    enterprise_install: bool = False  # an org-wide token: one for every workspace of the org


class _SlackError(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def response(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, **self.extra}


def _invalid_arguments(*messages: str) -> _SlackError:
    return _SlackError(
        "invalid_arguments", response_metadata={"messages": [f"[ERROR] {m}" for m in messages]}
    )


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_ID_CHARS = string.ascii_uppercase + string.digits
