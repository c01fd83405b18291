"""What the commands share: how they fail, and which workspace a single-token install serves."""

from __future__ import annotations

import sys

from bot.bootstrap import _settings


def fail(name: str, message: str, code: int = 2) -> int:
    print(f"northline {name}: {message}", file=sys.stderr)
    return code


def installed_workspace(db) -> str | None:
    """A single-token install knows its workspace from `auth.test` before anyone has typed a
    command: record it, so export and import find it. None without SLACK_BOT_TOKEN (OAuth installs
    record each workspace as it installs)."""
    from bot.settings import declared_credentials

    if not declared_credentials().slack_bot_token:
        return None
    from slack_sdk.errors import SlackApiError

    from bot.services.workspaces import workspace_for
    from bot.slack_client import build_web_client

    settings = _settings()
    client = build_web_client(settings.slack_bot_token, settings.slack_api_url, rate_limit_retries=2)

    try:
        auth = client.auth_test()
    except (SlackApiError, OSError) as error:
        detail = error.response.get("error") if isinstance(error, SlackApiError) else error
        print(
            f"northline: could not ask Slack which workspace SLACK_BOT_TOKEN belongs to ({detail})",
            file=sys.stderr,
        )
        return None
    with db.session() as session:  # after the call: no Web API call inside a transaction
        workspace_for(session, auth["team_id"], auth.get("enterprise_id"))
    return auth["team_id"]
