"""A fake Slack Web API for tests: real HTTP, Slack's answers, Slack's limits.

``SlackEmulator`` is a ``ThreadingHTTPServer`` on 127.0.0.1 (port 0) that a real
``slack_sdk.WebClient(base_url=emulator.base_url)`` talks to. It records every call, answers in
the shapes of Slack's Web API (see /work/shared/slack/web_api_openapi_v2.json), checks Block Kit
limits on every payload that carries blocks or a view, and can be told to fail, rate-limit,
answer 5xx, answer garbage or answer late.

This module composes it; the parts live beside it: ``blockkit`` (the Block Kit checks, plain
functions a unit test of a builder can call without a server), ``server`` (HTTP and routing),
``faults`` (failure injection), ``records`` (what it keeps), and ``web_api/`` (one mixin per method
family: auth and OAuth, chat, views, users, conversations, files, functions). The names tests import
from here are re-exported.
"""

from __future__ import annotations

import itertools
import random
import string
import threading
import time
from collections.abc import Callable
from typing import Any

from tests.slack.blockkit import (
    INTERACTIVE_ELEMENTS,
    MESSAGE_BLOCKS_TEXT_MAX,
    MESSAGE_MAX_BLOCKS,
    MESSAGE_TEXT_MAX,
    MESSAGE_TEXT_TRUNCATED,
    VIEW_MAX_BLOCKS,
    blocks_text_length,
    fallback_text_errors,
    message_errors,
    suggestion_errors,
    view_errors,
)
from tests.slack.faults import RATE_TIERS, FaultInjection, _Fault, _RateLimit
from tests.slack.records import _ID_CHARS, Call, _Team, _Token
from tests.slack.scopes import manifest_bot_scopes
from tests.slack.server import HttpServer, _Server
from tests.slack.web_api.apps import SocketModeApi
from tests.slack.web_api.assistant import AssistantApi, AssistantThread
from tests.slack.web_api.auth import AuthApi, _InstallCode, _RefreshToken
from tests.slack.web_api.chat import ChatApi
from tests.slack.web_api.conversations import ConversationsApi, _Channel
from tests.slack.web_api.files import FilesApi, UploadedFile
from tests.slack.web_api.functions import FunctionExecution, FunctionsApi, output_problems
from tests.slack.web_api.history import HistoryApi
from tests.slack.web_api.users import USERS_LIST_MAX_LIMIT, UsersApi, _User
from tests.slack.web_api.views import ViewsApi, _Trigger, _View

__all__ = [
    "AssistantThread",
    "Call",
    "FunctionExecution",
    "INTERACTIVE_ELEMENTS",
    "MESSAGE_BLOCKS_TEXT_MAX",
    "MESSAGE_MAX_BLOCKS",
    "MESSAGE_TEXT_MAX",
    "MESSAGE_TEXT_TRUNCATED",
    "RATE_TIERS",
    "SlackEmulator",
    "USERS_LIST_MAX_LIMIT",
    "UploadedFile",
    "VIEW_MAX_BLOCKS",
    "blocks_text_length",
    "fallback_text_errors",
    "message_errors",
    "output_problems",
    "suggestion_errors",
    "view_errors",
]


class SlackEmulator(
    AuthApi,
    SocketModeApi,
    AssistantApi,
    ChatApi,
    ViewsApi,
    UsersApi,
    ConversationsApi,
    HistoryApi,
    FilesApi,
    FunctionsApi,
    FaultInjection,
    HttpServer,
):
    """A fake Slack Web API on 127.0.0.1, faithful to Slack's answers and limits.

    >>> with SlackEmulator() as slack:
    ...     slack.add_token("xoxb-1", "T1")
    ...     slack.add_channel("C1", "T1", name="general")
    ...     client = WebClient(token="xoxb-1", base_url=slack.base_url)
    """

    def __init__(
        self,
        *,
        app_id: str = "A0NORTHLINE",
        trigger_ttl: float | None = 3.0,
        seed: int = 0,
        late: float = 0.0,
        clock: Callable[[], float] = time.time,
        rate_limits: bool = True,
        tls: tuple[str, str] | None = None,
    ) -> None:
        """``late=S``: every request is handled only after a random 0-S seconds, as if the network
        were slow, to shake out tests that assume the app's work after ack() is already done.
        ``clock``: Slack's time in epoch seconds (token expiry, response_url lifetimes); a test
        may pass its own, or move this one on with :meth:`advance`. ``rate_limits=False``: without
        Slack's published rate limits (``faults.PUBLISHED_TIERS``); see also :meth:`unlimited`.
        ``tls=(certificate, key)``: served over HTTPS with that certificate (PEM files), as Slack
        is; the client must trust it (SSL_CERT_FILE)."""
        self.tls = tls
        self._clock = clock
        self.rate_limits = rate_limits
        self._unlimited = 0
        self._published_buckets: dict[tuple[Any, ...], tuple[float, float]] = {}
        self.app_id = app_id
        self.trigger_ttl = trigger_ttl
        self.late = late
        self._late_rng = random.Random(seed)
        self.calls: list[Call] = []
        self.rejected: list[Call] = []
        self.violations: list[str] = []
        self.warnings: list[str] = []
        self.files: dict[str, UploadedFile] = {}
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._in_flight = 0  # requests arrived and not yet answered
        self._rng = random.Random(seed)
        self._seq = itertools.count(1)
        self._ts_lock = threading.Lock()
        self._ts_second, self._ts_micro = 0, 0
        self._teams: dict[str, _Team] = {}
        self._tokens: dict[str, _Token] = {}
        self._refresh_tokens: dict[str, _RefreshToken] = {}
        self._oauth_apps: dict[str, str] = {}  # client_id -> client_secret
        self._app_tokens: set[str] = set()  # app-level tokens (xapp-), for Socket Mode
        self._tickets: set[str] = set()  # Socket Mode URLs handed out and not yet used
        self._sockets_open: set[Any] = set()
        self._sockets_opened = 0
        self._install_codes: dict[str, _InstallCode] = {}  # what the OAuth redirect carries, once
        self._clock_offset = 0.0
        self._users: dict[str, _User] = {}
        self._channels: dict[str, _Channel] = {}
        self._dms: dict[tuple[str, tuple[str, ...]], str] = {}
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._views: dict[str, _View] = {}
        self._home_views: dict[tuple[str, str], str] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._response_urls: dict[str, dict[str, Any]] = {}
        self._faults: list[_Fault] = []
        self._rate_limits: list[_RateLimit] = []
        self._functions: dict[str, dict[str, Any]] = {}  # callback_id -> the manifest's definition
        self._executions: dict[str, FunctionExecution] = {}
        self._assistant_threads: dict[tuple[str, str], AssistantThread] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._methods: dict[str, Callable[[Call, _Token | None], dict[str, Any]]] = {
            "api.test": self._api_test,
            "oauth.v2.access": self._oauth_v2_access,
            "auth.test": self._auth_test,
            "team.info": self._team_info,
            "apps.connections.open": self._apps_connections_open,
            "assistant.threads.setSuggestedPrompts": self._assistant_set_suggested_prompts,
            "assistant.threads.setStatus": self._assistant_set_status,
            "assistant.threads.setTitle": self._assistant_set_title,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "chat.scheduleMessage": self._chat_schedule_message,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.list": self._conversations_list,
            "conversations.join": self._conversations_join,
            "conversations.history": self._conversations_history,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "functions.completeSuccess": self._functions_complete_success,
            "functions.completeError": self._functions_complete_error,
        }

    def add_team(
        self,
        team_id: str,
        *,
        name: str | None = None,
        domain: str | None = None,
        enterprise_id: str | None = None,
    ) -> None:
        with self._lock:
            self._teams[team_id] = _Team(
                id=team_id,
                name=name or f"Workspace {team_id}",
                domain=domain or f"ws-{team_id.lower()}",
                enterprise_id=enterprise_id,
            )

    def _team(self, team_id: str) -> _Team:
        if team_id not in self._teams:
            self.add_team(team_id)
        return self._teams[team_id]

    def add_token(
        self,
        token: str,
        team_id: str,
        user_id: str = "UBOT",
        bot_id: str = "B1",
        enterprise_id: str | None = None,
        *,
        scopes: set[str] | frozenset[str] | None = None,
    ) -> str:
        """Register a bot token for a workspace (its bot user is added too, with ``is_bot``). It
        holds ``scopes``, by default exactly the bot scopes of manifest.yml, as an install does."""
        with self._lock:
            team = self._team(team_id)
            if enterprise_id is not None:
                team.enterprise_id = enterprise_id
            granted = manifest_bot_scopes() if scopes is None else frozenset(scopes)
            self._tokens[token] = _Token(token, team_id, user_id, bot_id, team.enterprise_id, scopes=granted)
            if user_id not in self._users:
                self.add_user(
                    user_id, team_id, name="northline", real_name="Northline", tz="America/Los_Angeles"
                )
                self._users[user_id].is_bot = True
                self._users[user_id].bot_id = bot_id
        return token

    def limit_scopes(self, token: str, scopes: set[str] | frozenset[str]) -> None:
        """The token was granted only these scopes: a method that needs another answers
        ``missing_scope`` with ``needed`` and ``provided``, as Slack does."""
        with self._lock:
            self._tokens[token].scopes = frozenset(scopes)

    def grant_scopes(self, token: str, *scopes: str) -> None:
        """The workspace also granted these (an optional scope of the manifest, say)."""
        with self._lock:
            self._tokens[token].scopes |= frozenset(scopes)

    def scopes_of(self, token: str) -> frozenset[str]:
        with self._lock:
            return self._tokens[token].scopes

    def revoke_token(self, token: str) -> None:
        """Later calls with this token answer ``token_revoked``; a refresh token issued with it
        answers ``invalid_refresh_token``."""
        with self._lock:
            self._tokens[token].revoked = True
            for refresh in self._refresh_tokens.values():
                if refresh.access_token == token:
                    refresh.used = True

    def now(self) -> float:
        """Slack's clock: the given clock (the wall clock by default) plus what :meth:`advance` added."""
        with self._lock:
            return self._clock() + self._clock_offset

    def advance(self, seconds: float) -> None:
        """Slack's "now" jumps ahead: rotating tokens past their 12 hours answer ``token_expired``."""
        with self._lock:
            self._clock_offset += seconds

    def bot_user_id(self, team_id: str) -> str:
        with self._lock:
            for tok in self._tokens.values():
                if tok.team_id == team_id:
                    return tok.user_id
        return "UBOT"

    def team_domain(self, team_id: str) -> str:
        with self._lock:
            return self._team(team_id).domain

    def team_enterprise_id(self, team_id: str) -> str | None:
        with self._lock:
            return self._team(team_id).enterprise_id

    def calls_to(self, method: str, *, ok: bool | None = None) -> list[Call]:
        """Calls answered for ``method`` (``ok=True``: only successful ones)."""
        with self._lock:
            return [c for c in self.calls if c.method == method and (ok is None or c.ok == ok)]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[Call], bool] | None = None,
        *,
        ok: bool | None = None,
    ) -> list[Call]:
        """Wait until at least ``count`` calls to ``method`` (matching ``where``) were answered."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [
                    c
                    for c in self.calls
                    if c.method == method and (ok is None or c.ok == ok) and (where is None or where(c))
                ]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(min(remaining, 0.05))
            summary = "\n  ".join(repr(c) for c in self.calls) or "(no calls)"
            rejected = "\n  ".join(repr(c) for c in self.rejected) or "(none)"
        raise AssertionError(
            f"expected {count} call(s) to {method} within {timeout}s, saw {len(found)}.\n"
            f"Calls:\n  {summary}\nRejected (429/5xx):\n  {rejected}\nViolations: {self.violations}"
        )

    def clear(self) -> None:
        """Forget recorded calls and rejected calls (violations, warnings and state stay)."""
        with self._lock:
            self.calls.clear()
            self.rejected.clear()

    def _new_id(self, prefix: str) -> str:
        n = next(self._seq)
        digits = ""
        while n:
            n, r = divmod(n, 36)
            digits = _ID_CHARS[r] + digits
        return prefix + digits.rjust(10, "0")

    def _new_ts(self) -> str:
        # Slack's ts is the message's time (epoch seconds) and unique in its channel: the wall
        # clock's second, never behind an earlier message's (readers ask for history `oldest` a time).
        with self._ts_lock:
            second = max(int(time.time()), self._ts_second)
            if second == self._ts_second:
                self._ts_micro += 1
            else:
                self._ts_second, self._ts_micro = second, 0
            return f"{second}.{self._ts_micro:06d}"

    def _new_hash(self) -> str:
        return f"{1_700_000_000 + next(self._seq)}.{''.join(self._rng.choices(string.ascii_letters, k=8))}"

    def _random_block_id(self) -> str:
        return "".join(self._rng.choices(string.ascii_letters + string.digits + "=+/", k=5))

    def check_message(self, source: str, payload: dict[str, Any], *, require_text: bool = True) -> list[str]:
        errors = message_errors(payload, require_text=require_text)
        self._note(source, errors)
        # Slack posts such a message; the suite fails the test that sent it (tests/slack/strict.py).
        self._note(source, fallback_text_errors(payload))
        text = payload.get("text")
        if isinstance(text, str) and MESSAGE_TEXT_TRUNCATED < len(text) <= MESSAGE_TEXT_MAX:
            with self._lock:
                self.warnings.append(f"{source}: text is {len(text)} chars; Slack truncates after 4000")
        if payload.get("blocks") and not text:
            with self._lock:
                self.warnings.append(f"{source}: blocks without a top-level text fallback")
        return errors

    def check_view(self, source: str, view: Any, *, path: str = "/view") -> list[str]:
        errors = view_errors(view, path=path)
        self._note(source, errors)
        return errors

    def _note(self, source: str, errors: list[str]) -> None:
        if errors:
            with self._lock:
                self.violations.extend(f"{source}: {e}" for e in errors)

    def _same_org(self, team_a: str, team_b: str | None) -> bool:
        if team_a == team_b:
            return True
        ent_a = self._teams[team_a].enterprise_id if team_a in self._teams else None
        ent_b = self._teams[team_b].enterprise_id if team_b in self._teams else None
        return ent_a is not None and ent_a == ent_b
