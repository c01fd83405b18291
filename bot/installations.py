"""Which bot token speaks for which workspace: one token (SLACK_BOT_TOKEN) or OAuth installs.

With OAuth, an app that has token rotation turned on gets bot tokens that expire after 12 hours
and single-use refresh tokens. The installation store here hands out only tokens that are good
for at least REFRESH_MINUTES_BEFORE_EXPIRY more minutes: a token closer to its end is refreshed
first (slack_sdk's TokenRotator), under a lock per workspace held across threads and processes,
and the new pair is saved in the store before anyone uses it. So the web process, the clock and
every worker can ask for a token at the same moment and the refresh token is spent exactly once.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from logging import Logger

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from bot.domain.clock import epoch_seconds
from bot.errors import NotInstalled, TokenRefreshFailed
from bot.settings import Settings
from bot.slack_client import build_web_client
from storage.db import Database, make_engine
from storage.models import BOTS_TABLE, INSTALLATIONS_TABLE, OAUTH_STATES_TABLE

try:  # POSIX; on Windows a SQLite deployment gets the in-process lock only
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

BOT_SCOPES = [
    "commands",
    "chat:write",
    "im:write",
    "im:history",
    "users:read",
    "files:write",
    "channels:read",
    "groups:read",
    "assistant:write",
]
OAUTH_STATE_SECONDS = 600

# Bolt's own default margin: a token with less than this left is refreshed before it is used.
REFRESH_MINUTES_BEFORE_EXPIRY = 120
# When a refresh fails, a token still good for this long is used anyway (and the failure logged):
# Slack's token endpoint having a bad minute must not stop a workspace whose token still works.
STILL_USABLE_SECONDS = 300
# After a failed refresh this process waits this long before asking Slack again for that workspace.
RETRY_REFRESH_SECONDS = 60
# How long a refresh waits for another thread or process refreshing the same workspace.
LOCK_WAIT_SECONDS = 60
# Bolt's built-in rotator only ever sees tokens this store has already refreshed; it is left on as
# a last resort for a token within a minute of its end (it takes no cross-process lock).
BOLT_ROTATION_MINUTES = 1
# pg_advisory_lock(namespace, key): the two-int key space, apart from the clock's one-bigint lock.
LOCK_NAMESPACE = 0x4E4C544B  # "NLTK"


def _expiring(found: Bot | Installation | None, *, within: float) -> bool:
    expires_at = getattr(found, "bot_token_expires_at", None)
    return expires_at is not None and expires_at <= epoch_seconds() + within


def _refresh_due(found: Bot | Installation | None) -> bool:
    return _expiring(found, within=REFRESH_MINUTES_BEFORE_EXPIRY * 60)


def _reason(error: Exception) -> str:
    if isinstance(error, SlackTokenRotationError):
        error = error.api_error
    if isinstance(error, SlackApiError):
        if error.response.status_code != 200:
            return f"HTTP {error.response.status_code}"
        code = error.response.get("error") if isinstance(error.response.data, dict) else None
        return code or "an answer that was not Slack's"
    return type(error).__name__


class _LockNotTaken(Exception):
    pass


class CachedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store with a short in-process memory of what it found, and fresh tokens.

    Every request is authorised with a lookup here *before* its ack(); under load that lookup
    must not wait behind the listeners' own database work. So the store has a small pool of its
    own, and remembers answers for CACHE_SECONDS (forgotten at once when this process saves or
    deletes; another process's uninstall is noticed within CACHE_SECONDS). A remembered token
    that is due for a refresh is never handed out: find_bot / find_installation refresh it first.
    """

    CACHE_SECONDS = 30.0

    def __init__(self, *args, rotator: TokenRotator | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rotator = rotator
        self._cache: dict[tuple, tuple[float, object]] = {}
        self._lock = threading.Lock()
        self._refreshing: dict[tuple, threading.Lock] = {}
        self._failed: dict[tuple, tuple[float, str]] = {}
        self._lock_engine: Engine | None = None

    def _cached(self, kind: str, finder, **key):
        cache_key = (kind, *sorted(key.items()))
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(cache_key)
            if hit is not None and now - hit[0] < self.CACHE_SECONDS and not _refresh_due(hit[1]):
                return hit[1]
        found = finder(**key)
        # A workspace's absence is never remembered: a fresh install must work at once. A person's
        # own installation (a user token) is: Bolt looks it up on every request, and it is absent
        # unless that person installed the app (then within CACHE_SECONDS in other processes).
        if found is not None or key.get("user_id"):
            with self._lock:
                self._cache[cache_key] = (now, found)
        return found

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()

    def find_installation(self, **key):
        installation = self._cached("installation", super().find_installation, **key)
        if installation is None or not _refresh_due(installation) or not installation.bot_refresh_token:
            return installation
        bot = self.fresh_bot(
            enterprise_id=installation.enterprise_id,
            team_id=installation.team_id,
            is_enterprise_install=installation.is_enterprise_install,
        )
        if bot is None or bot.bot_token == installation.bot_token:
            return installation
        fresh = Installation(**installation.to_dict_for_copying())  # never change what the cache holds
        fresh.bot_token, fresh.bot_refresh_token = bot.bot_token, bot.bot_refresh_token
        fresh.bot_token_expires_at = bot.bot_token_expires_at
        return fresh

    def find_bot(self, **key):
        bot = self._cached("bot", super().find_bot, **key)
        if bot is None or not _refresh_due(bot) or not bot.bot_refresh_token:
            return bot
        return self.fresh_bot(
            enterprise_id=key.get("enterprise_id"),
            team_id=key.get("team_id"),
            is_enterprise_install=bool(key.get("is_enterprise_install")),
        )

    def save(self, installation):
        self.forget()
        super().save(installation)

    def save_bot(self, bot):
        self.forget()
        super().save_bot(bot)

    def delete_bot(self, **key):
        self.forget()
        super().delete_bot(**key)

    def delete_installation(self, **key):
        self.forget()
        super().delete_installation(**key)

    def delete_all(self, **key):
        self.forget()
        super().delete_all(**key)

    # -- token rotation -------------------------------------------------------------------------------

    def fresh_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool = False
    ):
        """The workspace's bot with a token good for REFRESH_MINUTES_BEFORE_EXPIRY more minutes,
        refreshed (once, across every thread and process) if it was not. None: not installed.

        Raises TokenRefreshFailed when the refresh fails and the current token is (nearly) expired;
        a failed refresh with a token still good for STILL_USABLE_SECONDS hands that one out."""
        if is_enterprise_install:
            team_id = None
        workspace = (enterprise_id, team_id)
        lookup = {
            "enterprise_id": enterprise_id,
            "team_id": team_id,
            "is_enterprise_install": is_enterprise_install,
        }
        failure = self._recent_failure(workspace)
        if failure is not None:  # asked Slack moments ago and it said no: do not hammer it
            return self._usable_or_raise(super().find_bot(**lookup), workspace, failure)
        try:
            with self._in_process(workspace), self._across_processes(workspace):
                # Read again now that the lock is ours: another process may have refreshed it already.
                bot = super().find_bot(**lookup)
                if bot is None or not _refresh_due(bot) or not bot.bot_refresh_token:
                    self.forget()  # whatever was remembered is older than this
                    return bot
                return self._refresh(bot, workspace)
        except _LockNotTaken as error:
            return self._usable_or_raise(super().find_bot(**lookup), workspace, str(error))

    def _refresh(self, bot: Bot, workspace: tuple) -> Bot:
        if self.rotator is None:
            return self._usable_or_raise(bot, workspace, "SLACK_CLIENT_SECRET is not set")
        try:
            refreshed = self.rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=REFRESH_MINUTES_BEFORE_EXPIRY
            )
            if refreshed is None:
                raise ValueError("oauth.v2.access did not answer with a bot token")
        except Exception as error:  # noqa: BLE001 - Slack refusing, down or unreachable: all the same here
            reason = _reason(error)
            with self._lock:
                self._failed[workspace] = (time.monotonic(), reason)
            log.warning(
                "could not refresh the bot token of workspace %s: %s",
                bot.team_id or bot.enterprise_id,
                reason,
            )
            return self._usable_or_raise(bot, workspace, reason)
        self._keep(bot, refreshed)
        with self._lock:
            self._failed.pop(workspace, None)
        log.info("refreshed the bot token of workspace %s", bot.team_id or bot.enterprise_id)
        return refreshed

    def _keep(self, old: Bot, refreshed: Bot) -> None:
        """Save the new pair in the bot row and in the installation row that held the old one (Bolt
        reads the latest installation first), so no reader is left with the spent refresh token."""
        self.save_bot(refreshed)
        installation = super().find_installation(
            enterprise_id=old.enterprise_id,
            team_id=old.team_id,
            is_enterprise_install=old.is_enterprise_install,
        )
        if installation is not None and installation.bot_refresh_token == old.bot_refresh_token:
            installation.bot_token, installation.bot_refresh_token = (
                refreshed.bot_token,
                refreshed.bot_refresh_token,
            )
            installation.bot_token_expires_at = refreshed.bot_token_expires_at
            self.save(installation)

    def _usable_or_raise(self, bot: Bot | None, workspace: tuple, reason: str) -> Bot | None:
        if bot is None or not _expiring(bot, within=STILL_USABLE_SECONDS):
            return bot
        enterprise_id, team_id = workspace
        raise TokenRefreshFailed(team_id, enterprise_id, reason)

    def _recent_failure(self, workspace: tuple) -> str | None:
        with self._lock:
            failed = self._failed.get(workspace)
        if failed is not None and time.monotonic() - failed[0] < RETRY_REFRESH_SECONDS:
            return failed[1]
        return None

    @contextmanager
    def _in_process(self, workspace: tuple) -> Iterator[None]:
        with self._lock:
            lock = self._refreshing.setdefault(workspace, threading.Lock())
        if not lock.acquire(timeout=LOCK_WAIT_SECONDS):
            raise _LockNotTaken("another thread held the refresh lock too long")
        try:
            yield
        finally:
            lock.release()

    @contextmanager
    def _across_processes(self, workspace: tuple) -> Iterator[None]:
        """PostgreSQL: a session advisory lock on a connection of its own in autocommit, so no
        transaction stays open while Slack is asked. SQLite: an exclusive flock on a file beside
        the database (every process on the machine sees it). Nothing else is supported."""
        name = f"{self.client_id}:{workspace[0] or ''}:{workspace[1] or ''}"
        digest = hashlib.blake2b(name.encode(), digest_size=4).digest()
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            key = {"ns": LOCK_NAMESPACE, "key": int.from_bytes(digest, "big", signed=True)}
            with self._locking_engine().connect() as connection:
                try:
                    connection.execute(text(f"SET lock_timeout = '{LOCK_WAIT_SECONDS}s'"))
                    connection.execute(text("SELECT pg_advisory_lock(:ns, :key)"), key)
                except DBAPIError as error:
                    raise _LockNotTaken(
                        f"could not take the refresh lock: {type(error.orig).__name__}"
                    ) from None
                try:
                    yield
                finally:
                    # Closing this connection (NullPool) releases the lock even if the unlock fails.
                    try:
                        connection.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), key)
                    except DBAPIError:
                        log.warning(
                            "could not release a token refresh lock; closing its connection releases it"
                        )
        elif (
            dialect == "sqlite"
            and fcntl is not None
            and self.engine.url.database not in (None, "", ":memory:")
        ):
            with open(f"{self.engine.url.database}.token-lock", "a+b") as handle:
                deadline = time.monotonic() + LOCK_WAIT_SECONDS
                while True:
                    try:
                        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            raise _LockNotTaken("another process held the refresh lock too long") from None
                        time.sleep(0.02)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        else:
            yield

    def _locking_engine(self) -> Engine:
        # Connections that only hold a lock: opened for a refresh (rare) and closed after it, so
        # they never take a place in the store's small pool or leave a transaction open.
        with self._lock:
            if self._lock_engine is None:
                url = self.engine.url.render_as_string(hide_password=False)
                self._lock_engine = make_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
            return self._lock_engine


def installation_store(settings: Settings, db: Database) -> CachedInstallationStore:
    # Tables come from our Alembic migrations (storage.models), never from create_tables().
    engine = db.engine if db.is_sqlite else make_engine(db.engine.url.render_as_string(False), pool_size=4)
    rotator = None
    if settings.slack_client_id and settings.slack_client_secret:
        rotator = TokenRotator(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            client=build_web_client(None, settings.slack_api_url),
        )
    return CachedInstallationStore(
        client_id=settings.slack_client_id or "single-workspace",
        engine=engine,
        bots_table_name=BOTS_TABLE,
        installations_table_name=INSTALLATIONS_TABLE,
        rotator=rotator,
    )


def bolt_authorize(settings: Settings, store: CachedInstallationStore, client: WebClient, logger: Logger):
    """How Bolt finds the token for an incoming request: through `store`, which refreshes a
    rotating token under its locks first. Bolt's own rotator stays on as a last resort, talking to
    SLACK_API_URL (its default client would call slack.com whatever the setting says)."""
    return InstallationStoreAuthorize(
        logger=logger,
        installation_store=store,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        token_rotation_expiration_minutes=BOLT_ROTATION_MINUTES,
        cache_enabled=True,  # auth.test once per token rather than once per request: the ack must stay fast
        client=client,
    )


def oauth_state_store(db: Database) -> SQLAlchemyOAuthStateStore:
    return SQLAlchemyOAuthStateStore(
        expiration_seconds=OAUTH_STATE_SECONDS, engine=db.engine, table_name=OAUTH_STATES_TABLE
    )


class Clients:
    """A Web API client per workspace, each with that workspace's own bot token.

    In single-workspace mode every workspace is the one SLACK_BOT_TOKEN belongs to; with OAuth,
    the token comes from the installation store (keyed by enterprise_id for org-wide installs),
    refreshed first when it rotates and is near its end. Safe to share between threads.
    """

    def __init__(self, settings: Settings, db: Database, *, rate_limit_retries: int = 10):
        self.settings = settings
        self.db = db
        self.rate_limit_retries = rate_limit_retries
        self._clients: dict[tuple, tuple[str, WebClient]] = {}
        self._guard = threading.Lock()
        self._store: CachedInstallationStore | None = None

    @property
    def store(self) -> CachedInstallationStore:
        with self._guard:
            if self._store is None:
                self._store = installation_store(self.settings, self.db)
            return self._store

    def token_for(self, team_id: str, enterprise_id: str | None = None) -> str:
        """The workspace's bot token, good for at least two more hours.

        Raises NotInstalled when the workspace has no bot token, and its subclass
        TokenRefreshFailed when the token has expired and Slack would not refresh it."""
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
        key = (team_id, enterprise_id)
        with self._guard:
            known = self._clients.get(key)
            if known is None or known[0] != token:  # one client per workspace, renewed with its token
                client = build_web_client(
                    token, self.settings.slack_api_url, rate_limit_retries=self.rate_limit_retries
                )
                known = self._clients[key] = (token, client)
            return known[1]
