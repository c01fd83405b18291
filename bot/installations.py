"""Which bot token speaks for which workspace: one token (SLACK_BOT_TOKEN) or OAuth installs."""

from __future__ import annotations

import logging
from functools import cached_property

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot.errors import NotInstalled
from bot.settings import Settings
from bot.slack_client import build_web_client
from storage.db import Database
from storage.models import BOTS_TABLE, INSTALLATIONS_TABLE, OAUTH_STATES_TABLE

log = logging.getLogger(__name__)

BOT_SCOPES = ["commands", "chat:write", "im:write", "users:read", "files:write"]
OAUTH_STATE_SECONDS = 600


def installation_store(settings: Settings, db: Database) -> SQLAlchemyInstallationStore:
    # Tables come from our Alembic migrations (storage.models), never from create_tables().
    return SQLAlchemyInstallationStore(
        client_id=settings.slack_client_id or "single-workspace",
        engine=db.engine,
        bots_table_name=BOTS_TABLE,
        installations_table_name=INSTALLATIONS_TABLE,
    )


def oauth_state_store(db: Database) -> SQLAlchemyOAuthStateStore:
    return SQLAlchemyOAuthStateStore(
        expiration_seconds=OAUTH_STATE_SECONDS, engine=db.engine, table_name=OAUTH_STATES_TABLE
    )


class Clients:
    """A Web API client per workspace, each with that workspace's own bot token.

    In single-workspace mode every workspace is the one SLACK_BOT_TOKEN belongs to; with OAuth,
    the token comes from the installation store (keyed by enterprise_id for org-wide installs).
    """

    def __init__(self, settings: Settings, db: Database, *, rate_limit_retries: int = 10):
        self.settings = settings
        self.db = db
        self.rate_limit_retries = rate_limit_retries
        self._clients: dict[str, WebClient] = {}

    @cached_property
    def store(self) -> SQLAlchemyInstallationStore:
        return installation_store(self.settings, self.db)

    def token_for(self, team_id: str, enterprise_id: str | None = None) -> str:
        if not self.settings.oauth_enabled:
            return self.settings.slack_bot_token or ""
        bot = self.store.find_bot(enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=False)
        if bot is None and enterprise_id:
            bot = self.store.find_bot(enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True)
        if bot is None or not bot.bot_token:
            raise NotInstalled(f"Northline is not installed in workspace {team_id}.")
        return bot.bot_token

    def for_workspace(self, team_id: str, enterprise_id: str | None = None) -> WebClient:
        token = self.token_for(team_id, enterprise_id)
        client = self._clients.get(token)
        if client is None:
            client = build_web_client(token, self.settings.slack_api_url, rate_limit_retries=self.rate_limit_retries)
            self._clients[token] = client
        return client
