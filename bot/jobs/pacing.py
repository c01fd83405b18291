"""Pacing a workspace's Web API calls to its rate limit, shared by every thread of a process.

Slack limits calls "per API method per workspace per app" (docs.slack.dev/apis/web-api/rate-limits):
Tier 1 1+ a minute, Tier 2 20+, Tier 3 50+, Tier 4 100+, and chat.postMessage its own "special"
tier: about one message a second per channel, with a workspace-wide limit Slack does not
publish (NORTHLINE_POSTS_PER_SECOND, 5 by default). So each (workspace, method) has its own
bucket; one workspace posting at its limit never slows another, and a 429's Retry-After pauses
that workspace's bucket for that method only, for every thread that posts there.

The bucket is GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp): a call
may go at `tat - burst_tolerance`, and each call moves the theoretical arrival time `tat` on by
one interval. Reserving a slot is O(1) under one lock; the caller then sleeps outside it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Calls a minute by Slack's published tiers (the "+" means at least: these are floors).
TIER_PER_MINUTE = {1: 1.0, 2: 20.0, 3: 50.0, 4: 100.0}
METHOD_TIERS = {
    "users.info": 4,
    "users.list": 2,
    "conversations.open": 3,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
}
POST_METHOD = "chat.postMessage"
DEFAULT_POSTS_PER_SECOND = 5.0
UNKNOWN_TIER = 3


@dataclass
class _Bucket:
    interval: float  # seconds between calls at the sustained rate
    tolerance: float  # how far ahead of the sustained rate a burst may run, in seconds
    tat: float = 0.0  # theoretical arrival time of the next call (monotonic seconds)
    paused_until: float = 0.0  # a 429's Retry-After, until when nobody calls


class Pacer:
    """Per (workspace, method) rate buckets. `wait(...)` blocks until a call may go."""

    def __init__(
        self,
        posts_per_second: float = DEFAULT_POSTS_PER_SECOND,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float, threading.Event | None], bool] | None = None,
    ):
        if posts_per_second <= 0:
            raise ValueError("posts_per_second must be positive")
        self.posts_per_second = posts_per_second
        self._clock = clock
        self._sleep = sleep or _sleep
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self.limited = 0  # 429s reported to the pacer (the bench and tests read it)

    def rate(self, method: str) -> tuple[float, float]:
        """(calls per second, burst) for a method: chat.postMessage by the setting (a second's worth
        of burst), the rest by their tier (a minute's worth of burst: "bursts are welcome")."""
        if method == POST_METHOD:
            return self.posts_per_second, max(1.0, self.posts_per_second)
        per_minute = TIER_PER_MINUTE[METHOD_TIERS.get(method, UNKNOWN_TIER)]
        return per_minute / 60.0, per_minute

    def _bucket(self, workspace: str, method: str) -> _Bucket:
        bucket = self._buckets.get((workspace, method))
        if bucket is None:
            per_second, burst = self.rate(method)
            bucket = _Bucket(interval=1.0 / per_second, tolerance=(burst - 1.0) / per_second)
            self._buckets[(workspace, method)] = bucket
        return bucket

    def reserve(self, workspace: str, method: str) -> float:
        """Take the next slot of this workspace's method; returns the seconds to wait for it."""
        now = self._clock()
        with self._lock:
            bucket = self._bucket(workspace, method)
            earliest = max(now, bucket.paused_until)
            go_at = max(earliest, bucket.tat - bucket.tolerance)
            bucket.tat = max(bucket.tat, earliest) + bucket.interval
        return go_at - now

    def wait(self, workspace: str, method: str, stop: threading.Event | None = None) -> bool:
        """Block until this workspace may call `method`. False when `stop` was set meanwhile."""
        delay = self.reserve(workspace, method)
        if delay > 0:
            return self._sleep(delay, stop)
        return not (stop is not None and stop.is_set())

    def back_off(self, workspace: str, method: str, retry_after: float) -> None:
        """Slack answered 429: nobody in this process calls `method` for this workspace before
        Retry-After has passed; the calls queued behind it keep their order after the pause."""
        now = self._clock()
        with self._lock:
            self.limited += 1
            bucket = self._bucket(workspace, method)
            until = now + max(0.0, retry_after)
            bucket.paused_until = max(bucket.paused_until, until)
            # Resume at the sustained rate, not with a burst: Slack just said we were too fast.
            bucket.tat = max(bucket.tat, until + bucket.tolerance)


def _sleep(seconds: float, stop: threading.Event | None) -> bool:
    if stop is None:
        time.sleep(seconds)
        return True
    return not stop.wait(seconds)
