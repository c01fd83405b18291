"""Typed errors the one @app.error handler turns into a message for the person."""

from __future__ import annotations


class NorthlineError(Exception):
    """An error the person can act on; its message is shown to them as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(NorthlineError):
    pass


class Forbidden(NorthlineError):
    def __init__(self, message: str = "Only the owner or a workspace admin can do that."):
        super().__init__(message)


class Invalid(NorthlineError):
    """Bad input. In a modal, `fields` maps block_id → the message shown under that field."""

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.fields = fields or {}


class Usage(NorthlineError):
    """Text after a slash command that does not parse: answered with the command's usage."""


class Conflict(NorthlineError):
    """Someone else got there first (a sprint already ended, a key already claimed)."""


class NotInstalled(NorthlineError):
    pass


class TokenRefreshFailed(NotInstalled):
    """A workspace's rotating bot token has run out and Slack would not give a new one (the refresh
    token was refused or spent, or Slack did not answer). Only that workspace is affected."""

    def __init__(self, team_id: str | None, enterprise_id: str | None, reason: str):
        workspace = team_id or enterprise_id or "?"
        super().__init__(
            f"Northline can't speak for workspace {workspace} right now: its Slack token has expired and "
            f"refreshing it failed ({reason}). If this keeps happening, reinstall Northline there."
        )
        self.team_id = team_id
        self.enterprise_id = enterprise_id
        self.reason = reason
