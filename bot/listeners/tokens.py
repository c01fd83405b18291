"""`/okr token new|list|revoke`: workspace admins manage the REST API's tokens from Slack.

Added to the /okr router with `okr.ROUTER.add`; the router has acked before a handler runs."""

from __future__ import annotations

from slack_bolt import App

from bot.domain.lifetimes import LIFETIME_HELP, Lifetime, looks_like_lifetime, parse_lifetime
from bot.errors import Usage
from bot.listeners.common import unit_of_work
from bot.listeners.router import Invocation
from bot.services import tokens
from bot.services.tokens import TokenPermission
from bot.ui import tokens as ui
from bot.ui.blocks import ephemeral

USAGE_LINE = (
    "• `/okr token new NAME [read|write] [90d|12w|1y]` · `/okr token list` · `/okr token revoke NAME`"
    " — API tokens (admins)"
)


def register(app: App) -> None:
    from bot.listeners import okr

    okr.ROUTER.add("token", token_command, USAGE_LINE, "tokens", admin=True)


def token_command(call: Invocation) -> None:
    verb, _, arguments = call.rest.strip().partition(" ")
    parts = arguments.split()
    verb = verb.lower()
    who = call.who
    if verb in ("new", "create", "add") and 1 <= len(parts) <= 3:
        permission, lifetime = _options(parts[1:])
        with unit_of_work(call.db, who) as (session, workspace):
            made = tokens.create_token(
                session, workspace, who.user_id, parts[0], permission, lifetime=lifetime
            )
        answer = ui.created_message(made.token, made.secret)
    elif verb in ("list", "ls") and not parts:
        with unit_of_work(call.db, who) as (session, workspace):
            listed = tokens.list_tokens(session, workspace, who.user_id)
        answer = ui.list_message(listed)
    elif verb in ("revoke", "delete", "rm") and len(parts) == 1:
        with unit_of_work(call.db, who) as (session, workspace):
            revoked = tokens.revoke_token(session, workspace, who.user_id, parts[0])
        answer = ui.revoked_message(revoked)
    else:
        call.respond(**ephemeral(ui.USAGE))
        return
    call.respond(**answer)


def _options(words: list[str]) -> tuple[TokenPermission, Lifetime | None]:
    """`[read|write] [LIFETIME]` in either order, each at most once: read and no expiry when absent."""
    permission: TokenPermission | None = None
    lifetime: Lifetime | None = None
    for word in words:
        if looks_like_lifetime(word) and lifetime is None:
            lifetime = parse_lifetime(word)
            if lifetime is None:
                raise Usage(f"`{word[:20]}` is not a lifetime: give {LIFETIME_HELP}. {ui.USAGE}")
        elif permission is None and not looks_like_lifetime(word):
            permission = _permission(word)
        else:
            raise Usage(f"Give the permission and the lifetime once each. {ui.USAGE}")
    return permission or TokenPermission.READ, lifetime


def _permission(text: str) -> TokenPermission:
    try:
        return TokenPermission(text.lower())
    except ValueError:
        raise Usage(f"A token can `read` or `write`, not `{text[:20]}`. {ui.USAGE}") from None
