"""What every scheduled job shares: the run report, UTC helpers, and recording what became of
a claimed post. The fan-out itself is bot/jobs/engine.py.

``client_for(workspace) -> WebClient`` gives the Web API client of a workspace; ``now`` is an aware
datetime (the clock passes the real time, tests and ``northline jobs run --at`` any other).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from slack_sdk import WebClient

from bot.domain.clock import as_stored
from bot.jobs import delivery
from bot.jobs.delivery import Key
from bot.jobs.posting import Outcome, PostResult
from storage.db import Database
from storage.models import DeliveryState, Workspace

log = logging.getLogger("northline.jobs")

ClientFor = Callable[[Workspace], WebClient]


@dataclass
class RunReport:
    """What one run of one job did; printed by `northline jobs run`, logged by the clock."""

    kind: str
    sent: int = 0
    already: int = 0  # claimed before (by an earlier run or a concurrent one)
    skipped: int = 0  # person gone, away, paused
    late: int = 0  # more than 6 hours late: skipped and logged
    failed: int = 0
    channels_disabled: int = 0
    stopped: bool = False
    errors: list[str] = field(default_factory=list)
    earlier: int = 0  # already sent by an earlier run: nothing to do
    in_doubt: int = 0  # claimed, never marked, and Slack's history could not be read: not resent
    settled: int = 0  # claims left in doubt, settled from Slack's history (found, or sent now)
    # Posts of one unit go out on several threads; their counts meet here.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    COUNTS: ClassVar[tuple[str, ...]] = (
        "sent",
        "already",
        "skipped",
        "late",
        "failed",
        "channels_disabled",
        "earlier",
        "in_doubt",
        "settled",
    )

    def add(self, *, stopped: bool = False, **counts: int) -> None:
        with self._lock:
            for name, count in counts.items():
                setattr(self, name, getattr(self, name) + count)
            self.stopped = self.stopped or stopped

    def error(self, text: str) -> None:
        with self._lock:
            self.errors.append(text)

    def merge(self, other: RunReport) -> None:
        self.add(stopped=other.stopped, **{name: getattr(other, name) for name in self.COUNTS})
        with self._lock:
            self.errors.extend(other.errors)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "stopped": self.stopped,
            "errors": list(self.errors),
            **{name: getattr(self, name) for name in self.COUNTS},
        }

    @classmethod
    def from_dict(cls, data: dict) -> RunReport:
        # .get: a report from a worker of the previous release lacks the newer counts.
        counts = {name: data.get(name, 0) for name in cls.COUNTS}
        return cls(kind=data["kind"], stopped=data["stopped"], errors=data["errors"], **counts)

    def __str__(self) -> str:
        parts = [f"{self.kind}: {self.sent} sent"]
        if self.earlier:
            parts.append(f"{self.earlier} sent by an earlier run")
        if self.already or not self.earlier:
            parts.append(f"{self.already} already done")
        for name in ("skipped", "late", "failed", "channels_disabled", "settled", "in_doubt"):
            if getattr(self, name):
                parts.append(f"{getattr(self, name)} {name.replace('_', ' ')}")
        if self.stopped:
            parts.append("stopped early")
        if self.errors:
            parts.append(f"{len(self.errors)} workspace error(s)")
        return ", ".join(parts)


def utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("a job's `now` must be timezone-aware")
    return now.astimezone(UTC)


def naive_utc(moment: datetime) -> datetime:
    """Storage keeps naive UTC (a job's `now` must be aware: a naive one is refused)."""
    return as_stored(utc(moment))


def record_late(db: Database, key: Key, due: datetime, now: datetime, report: RunReport) -> None:
    """A post more than 6 hours late is skipped; its key is taken so it is logged only once."""
    detail = {
        "reason": "late",
        "due": utc(due).isoformat(),
        "late_minutes": int((now - due).total_seconds() // 60),
    }
    if delivery.claim(
        db, key.kind, key.workspace_id, key.target, key.period, state=DeliveryState.SKIPPED, detail=detail
    ):
        report.add(late=1)
        log.info(
            "%s skipped: due %s, %s minutes late (over 6 hours)", key, detail["due"], detail["late_minutes"]
        )


def finish(
    db: Database,
    key: Key,
    result: PostResult,
    report: RunReport,
    *,
    on_channel_gone: Callable[[PostResult], None] | None = None,
    extra: dict | None = None,
    marks: delivery.Marks | None = None,
) -> None:
    """Mark a claimed key by what Slack answered: at once, or in `marks`' next batch."""
    if marks is None:
        marks = delivery.Marks(db)
        try:
            _finish(key, result, report, marks, on_channel_gone, extra)
        finally:
            marks.flush()
    else:
        _finish(key, result, report, marks, on_channel_gone, extra)


def _finish(
    key: Key,
    result: PostResult,
    report: RunReport,
    marks: delivery.Marks,
    on_channel_gone: Callable[[PostResult], None] | None,
    extra: dict | None,
) -> None:
    if result.outcome == Outcome.SENT:
        marks.mark(key, DeliveryState.SENT, {"channel": result.channel, "ts": result.ts, **(extra or {})})
        report.add(sent=1)
    elif result.outcome in (Outcome.PERSON_GONE, Outcome.CHANNEL_GONE):
        marks.mark(key, DeliveryState.SKIPPED, {"reason": result.error})
        report.add(skipped=1)
        if result.outcome == Outcome.CHANNEL_GONE and on_channel_gone is not None:
            try:
                on_channel_gone(result)
                report.add(channels_disabled=1)
            except Exception:  # noqa: BLE001 - disabling is best effort; the skip is recorded
                log.exception("%s: could not disable the schedule of %s", key, result.channel)
    elif result.outcome == Outcome.NOT_SENT:
        marks.release(key)  # certainly not posted: the next run may try again
        report.add(failed=1)
    elif result.outcome in (Outcome.STOPPED, Outcome.WORKSPACE_GONE):
        marks.release(key)  # never posted: a later run sends it (once reinstalled, if gone)
    else:
        marks.mark(key, DeliveryState.FAILED, {"error": result.error})
        report.add(failed=1)
        log.warning("%s failed: %s", key, result.error)
