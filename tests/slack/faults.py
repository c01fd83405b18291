"""What a test tells the emulator to get wrong: errors, 5xx, garbage, late answers, rate limits."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.slack.records import Call


@dataclass
class _Fault:
    kind: str
    method: str
    remaining: int | None
    where: Callable[[Call], bool] | None
    error: str = ""
    status: int = 500
    seconds: float = 0.0
    body: bytes = b""


@dataclass
class _RateLimit:
    method: str
    every: int | None
    per_second: float | None
    burst: float
    retry_after: int
    count: int = 0
    buckets: dict[Any, tuple[float, float]] = field(default_factory=dict)
    team: str | None = None  # only this workspace's calls (Slack's limits are per workspace)


# Slack's rate-limit tiers, calls per minute per workspace and method (the "+" in "20+ per minute"
# is Slack's head room, not a promise): https://docs.slack.dev/apis/web-api/rate-limits
RATE_TIERS = {1: 1, 2: 20, 3: 50, 4: 100}

# Each emulated method's tier, from its reference page (docs.slack.dev/reference/methods/<method>,
# "Rate limits"), applied "per API method per workspace per app", a minute's worth allowed in a
# burst ("occasional bursts", "sporadic bursts are welcome", "generous burst behavior"). Methods
# with a "Special" tier that Slack gives no figure for (auth.test, chat.getPermalink, the
# functions.* pair) and those without a token (api.test, oauth.v2.access) are not limited.
PUBLISHED_TIERS = {
    "team.info": 3,
    "chat.postEphemeral": 4,
    "chat.update": 3,
    "chat.delete": 3,
    "chat.scheduleMessage": 3,
    "views.open": 4,
    "views.push": 4,
    "views.update": 4,
    "views.publish": 4,
    "users.info": 4,
    "users.list": 2,
    "users.lookupByEmail": 3,
    "conversations.open": 3,
    "conversations.info": 3,
    "conversations.list": 2,
    "conversations.join": 3,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
}

# chat.postMessage's own limit (its Special tier): "generally allows posting one message per second
# per channel", "short bursts >1 allowed" (the rate-limits page above). Slack publishes no size for
# the burst; 10 is ours, so a thread of replies goes out at once and a loop does not. Its
# workspace-wide limit has no published figure and is not modelled.
POST_MESSAGE_PER_CHANNEL_PER_SECOND = 1.0
POST_MESSAGE_BURST = 10.0


class FaultInjection:
    """What a test tells the emulator to get wrong: errors, 5xx, garbage, late answers, rate limits. Mixed
    into ``SlackEmulator``; ``self`` is the emulator."""

    def fail(
        self, method: str, error: str, *, times: int | None = 1, where: Callable[[Call], bool] | None = None
    ) -> None:
        """The next ``times`` matching calls answer ``{"ok": false, "error": error}`` (None: forever).

        ``method="*"`` matches every Web API method. For ``"response_url"`` the POST answers 404
        (``expired_url``/``used_url``/``no_service``) or 400 with ``error`` as the body.
        """
        self._add_fault(_Fault("fail", method, times, where, error=error))

    def server_error(
        self,
        method: str,
        times: int | None = 1,
        status: int = 500,
        *,
        where: Callable[[Call], bool] | None = None,
    ) -> None:
        self._add_fault(_Fault("server_error", method, times, where, status=status))

    def malformed(
        self,
        method: str,
        times: int | None = 1,
        *,
        body: bytes | str = b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        where: Callable[[Call], bool] | None = None,
    ) -> None:
        """Answer 200 with a body that is not Slack's JSON (no side effects). The default, an HTML
        page, makes slack_sdk raise SlackApiError; a truncated JSON body (``body=b'{"ok": tr'``)
        makes it raise json.JSONDecodeError, as a real WebClient does."""
        self._add_fault(
            _Fault("malformed", method, times, where, body=body.encode() if isinstance(body, str) else body)
        )

    def delay(
        self,
        method: str,
        seconds: float,
        *,
        times: int | None = None,
        where: Callable[[Call], bool] | None = None,
    ) -> None:
        """Process the call, then wait ``seconds`` before answering (a client timeout after delivery)."""
        self._add_fault(_Fault("delay", method, times, where, seconds=seconds))

    def rate_limit(
        self,
        method: str,
        *,
        every: int | None = None,
        per_second: float | None = None,
        burst: float | None = None,
        retry_after: int = 1,
        tier: int | None = None,
        team: str | None = None,
    ) -> None:
        """HTTP 429 + ``Retry-After``. ``every=N``: every Nth call. ``per_second=R``: token bucket
        per workspace (capacity ``burst``, default ``max(1, R)``), Retry-After = whole seconds until a
        token is free (at least 1). ``tier=N``: Slack's published tier for the method, per workspace
        (https://docs.slack.dev/apis/web-api/rate-limits: Tier 1 1/min, 2 20/min, 3 50/min, 4 100/min,
        a minute's worth allowed in a burst), e.g. ``rate_limit("users.list", tier=2)``. None given:
        ``every=5``. ``team``: only that workspace's calls are limited ("per API method per
        workspace per app", the same page)."""
        if tier is not None:
            per_minute = RATE_TIERS[tier]
            per_second = per_minute / 60
            burst = float(per_minute) if burst is None else burst
        if every is None and per_second is None:
            every = 5
        with self._lock:
            self._rate_limits.append(
                _RateLimit(
                    method=method,
                    every=every,
                    per_second=per_second,
                    burst=burst if burst is not None else max(1.0, per_second or 1.0),
                    retry_after=retry_after,
                    team=team,
                )
            )

    @contextlib.contextmanager
    def unlimited(self) -> Iterator[None]:
        """Within this block Slack's published rate limits are off (a test's own ``rate_limit()``
        still applies): for a stretch of a test that needs speed, such as seeding by the hundred."""
        with self._lock:
            self._unlimited += 1
        try:
            yield
        finally:
            with self._lock:
                self._unlimited -= 1

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._rate_limits.clear()

    def _add_fault(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    @staticmethod
    def _matches(pattern: str, method: str) -> bool:
        if pattern == "*":
            return method not in ("response_url", "upload_url")
        return pattern == method

    def _take_fault(self, kind: str, call: Call) -> _Fault | None:
        for fault in self._faults:
            if fault.kind != kind or not self._matches(fault.method, call.method):
                continue
            if fault.where is not None and not fault.where(call):
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
            return fault
        return None

    def _published_limit(self, call: Call, now: float) -> int | None:
        """Retry-After for a call over Slack's published limit for its method, else None."""
        if not self.rate_limits or self._unlimited or call.team_id is None:
            return None
        if call.method == "chat.postMessage":
            key: tuple[Any, ...] = (call.method, call.team_id, str(call.args.get("channel")))
            per_second, burst = POST_MESSAGE_PER_CHANNEL_PER_SECOND, POST_MESSAGE_BURST
        elif call.method in PUBLISHED_TIERS:
            per_minute = RATE_TIERS[PUBLISHED_TIERS[call.method]]
            key, per_second, burst = (call.method, call.team_id), per_minute / 60, float(per_minute)
        else:
            return None
        tokens, last = self._published_buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - last) * per_second)
        if tokens < 1:
            self._published_buckets[key] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / per_second))
        self._published_buckets[key] = (tokens - 1, now)
        return None

    def _rate_limited(self, call: Call) -> int | None:
        now = time.perf_counter()
        published = self._published_limit(call, now)
        if published is not None:
            return published
        for rl in self._rate_limits:
            if not self._matches(rl.method, call.method) or (rl.team is not None and rl.team != call.team_id):
                continue
            rl.count += 1
            if rl.every is not None and rl.count % rl.every == 0:
                return rl.retry_after
            if rl.per_second:
                key = call.team_id
                tokens, last = rl.buckets.get(key, (rl.burst, now))
                tokens = min(rl.burst, tokens + (now - last) * rl.per_second)
                if tokens < 1:
                    rl.buckets[key] = (tokens, now)
                    return max(1, math.ceil((1 - tokens) / rl.per_second))
                rl.buckets[key] = (tokens - 1, now)
        return None
