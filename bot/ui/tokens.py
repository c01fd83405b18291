"""Messages of `/okr token …`: pure functions, text in, Slack message dicts out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.ui.blocks import ephemeral
from bot.ui.dates import people_date, people_moment

if TYPE_CHECKING:
    from bot.services.tokens import TokenLine
    from bot.ui.shapes import ApiTokenView

USAGE = (
    "*API tokens* (workspace admins):\n"
    "• `/okr token new NAME [read|write] [LIFETIME]` — a token for the REST API at `/api/v1` (read by default),"
    " shown once; LIFETIME such as `90d`, `12w` or `1y` (at most 3 years) makes it expire, none: it never does."
    " A token acts for its maker and stops working while they are not an admin\n"
    "• `/okr token list` — this workspace's tokens, their prefixes, expiry and when each was last used\n"
    "• `/okr token revoke NAME` — stop a token at once"
)


def _when(moment: datetime | None) -> str:
    """A stored moment (UTC) as the day and the time in UTC: tokens belong to the workspace, not
    to one reader's time zone."""
    return f"{people_moment(moment)} UTC" if moment else "never"


def _expiry(expires_at: datetime | None, expired: bool) -> str:
    if expires_at is None:
        return "never expires"
    return "*expired*" if expired else f"expires {people_date(expires_at)}"


def created_message(token: ApiTokenView, secret: str) -> dict:
    expiry = f" It expires {people_moment(token.expires_at)} UTC." if token.expires_at else ""
    return ephemeral(
        f"Created the {token.permission.value} token `{token.name}`.{expiry} Copy it now: Northline keeps only a hash "
        f"of it and cannot show it again.\n```{secret}```\n"
        "Send it as `Authorization: Bearer <token>` to `/api/v1/…`; the OpenAPI document is at `/api/v1/openapi.json`."
    )


def list_message(tokens: Sequence[TokenLine]) -> dict:
    if not tokens:
        return ephemeral("This workspace has no API tokens. `/okr token new NAME [read|write]` makes one.")
    lines = [
        f"• `{t.name}` · {t.permission.value} · `{t.prefix}…` · made by <@{t.created_by}> on {people_date(t.created_at)}"
        f" · {_expiry(t.expires_at, t.expired)} · last used {_when(t.last_used_at)}"
        + ("" if t.maker_is_admin else " · *refused: its maker is no longer an admin*")
        for t in tokens
    ]
    return ephemeral(f"*API tokens of this workspace ({len(tokens)})*\n" + "\n".join(lines))


def revoked_message(token: ApiTokenView) -> dict:
    return ephemeral(
        f"Revoked the token `{token.name}` (`{token.prefix}…`). Requests with it are refused from now on."
    )
