"""Which bot token speaks for which workspace: one token (SLACK_BOT_TOKEN) or OAuth installs."""

from __future__ import annotations

import logging
import threading
import time
from functools import cached_property

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot.errors import NotInstalled
from bot.settings import Settings
from bot.slack_client import build_web_client
from storage.db import Database, make_engine
from storage.models import BOTS_TABLE, INSTALLATIONS_TABLE, OAUTH_STATES_TABLE

log = logging.getLogger(__name__)

BOT_SCOPES = ["commands", "chat:write", "im:write", "users:read", "files:write"]
OAUTH_STATE_SECONDS = 600


class CachedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store with a short in-process memory of what it found.

    Every request is authorised with a lookup here *before* its ack(); under load that lookup
    must not wait behind the listeners' own database work. So the store has a small pool of its
    own, and remembers answers for CACHE_SECONDS (forgotten at once when this process saves or
    deletes; another process's uninstall is noticed within CACHE_SECONDS).
    """

    CACHE_SECONDS = 30.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._cache: dict[tuple, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def _cached(self, kind: str, finder, **key):
        cache_key = (kind, *sorted(key.items()))
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(cache_key)
            if hit is not None and now - hit[0] < self.CACHE_SECONDS:
                return hit[1]
        found = finder(**key)
        if found is not None:  # never remember an absence: a fresh install must work at once
            with self._lock:
                self._cache[cache_key] = (now, found)
        return found

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()

    def find_installation(self, **key):
        return self._cached("installation", super().find_installation, **key)

    def find_bot(self, **key):
        return self._cached("bot", super().find_bot, **key)

    def save(self, installation):
        self.forget()
        super().save(installation)

    def delete_bot(self, **key):
        self.forget()
        super().delete_bot(**key)

    def delete_installation(self, **key):
        self.forget()
        super().delete_installation(**key)

    def delete_all(self, **key):
        self.forget()
        super().delete_all(**key)


def installation_store(settings: Settings, db: Database) -> CachedInstallationStore:
    # Tables come from our Alembic migrations (storage.models), never from create_tables().
    engine = db.engine if db.is_sqlite else make_engine(db.engine.url.render_as_string(False), pool_size=4)
    return CachedInstallationStore(
        client_id=settings.slack_client_id or "single-workspace",
        engine=engine,
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
