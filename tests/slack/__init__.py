"""Slack without Slack: a Web API emulator and a client that sends signed Slack requests."""

from tests.slack.client import Response, SignedClient, serve_wsgi
from tests.slack.emulator import Call, SlackEmulator, UploadedFile, message_errors, view_errors

__all__ = [
    "Call",
    "Response",
    "SignedClient",
    "SlackEmulator",
    "UploadedFile",
    "message_errors",
    "serve_wsgi",
    "view_errors",
]
