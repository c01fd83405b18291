"""What every scheduled job shares: the run report, the workspace loop, and claim → post → mark.

A job is a plain function ``(db, client_for, now, *, team_id=None, channel_id=None, stop=None)``:
``client_for(workspace) -> WebClient`` gives the Web API client of a workspace, ``now`` is an
aware datetime (the clock passes the real time, tests and ``northline jobs run --at`` any other),
``stop`` is checked between posts so the clock can stop cleanly mid-fan-out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_sdk import WebClient

from bot.jobs import delivery
from bot.jobs.delivery import Key
from bot.jobs.posting import Outcome, PostResult, post
from storage.db import Database
from storage.models import DeliveryState, Workspace
from storage.repositories import schedules as repo

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

    def __str__(self) -> str:
        parts = [f"{self.kind}: {self.sent} sent", f"{self.already} already done"]
        for name in ("skipped", "late", "failed", "channels_disabled"):
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
    """Storage keeps naive UTC."""
    return utc(moment).replace(tzinfo=None)


def stopping(stop: threading.Event | None) -> bool:
    return stop is not None and stop.is_set()


def each_workspace(
    db: Database, client_for: ClientFor, report: RunReport, team_id: str | None, stop: threading.Event | None
) -> Iterator[tuple[Workspace, WebClient]]:
    """Workspaces one at a time; a workspace that breaks is logged and the next one goes on."""
    with db.session() as session:
        found = repo.workspaces(session, team_id)
    for workspace in found:
        if stopping(stop):
            report.stopped = True
            return
        try:
            client = client_for(workspace)
        except Exception as error:  # noqa: BLE001 - no token for one workspace must not stop the rest
            log.warning("%s: no Slack client for workspace %s: %s", report.kind, workspace.team_id, error)
            report.errors.append(f"{workspace.team_id}: {error}")
            continue
        yield workspace, client


WorkspaceWork = Callable[[WebClient, Workspace, datetime, RunReport], None]


def for_each_workspace(
    kind: str,
    db: Database,
    client_for: ClientFor,
    now: datetime,
    team_id: str | None,
    stop: threading.Event | None,
    work: WorkspaceWork,
) -> RunReport:
    """What every job does around its own work: each workspace in turn (or only `team_id`), with
    that workspace's client; one workspace's trouble is logged and the others still go on."""
    now = utc(now)
    report = RunReport(kind)
    for workspace, client in each_workspace(db, client_for, report, team_id, stop):
        try:
            work(client, workspace, now, report)
        except Exception as error:  # noqa: BLE001 - one workspace's trouble must not stop the others
            log.exception("%s failed for workspace %s", kind, workspace.team_id)
            report.errors.append(f"{workspace.team_id}: {type(error).__name__}")
        if report.stopped:
            break
    return report


def record_late(db: Database, key: Key, due: datetime, now: datetime, report: RunReport) -> None:
    """A post more than 6 hours late is skipped; its key is taken so it is logged only once."""
    detail = {"reason": "late", "due": utc(due).isoformat(), "late_minutes": int((now - due).total_seconds() // 60)}
    if delivery.claim(db, key.kind, key.workspace_id, key.target, key.period, state=DeliveryState.SKIPPED, detail=detail):
        report.late += 1
        log.info("%s skipped: due %s, %s minutes late (over 6 hours)", key, detail["due"], detail["late_minutes"])


def record_skip(db: Database, key: Key, reason: str, report: RunReport) -> None:
    if delivery.claim(
        db, key.kind, key.workspace_id, key.target, key.period, state=DeliveryState.SKIPPED, detail={"reason": reason}
    ):
        report.skipped += 1
        log.info("%s skipped: %s", key, reason)


def finish(
    db: Database,
    key: Key,
    result: PostResult,
    report: RunReport,
    *,
    on_channel_gone: Callable[[PostResult], None] | None = None,
    extra: dict | None = None,
) -> None:
    """Mark a claimed key by what Slack answered."""
    args = (db, key.kind, key.workspace_id, key.target, key.period)
    if result.outcome == Outcome.SENT:
        delivery.mark(*args, DeliveryState.SENT, {"channel": result.channel, "ts": result.ts, **(extra or {})})
        report.sent += 1
    elif result.outcome == Outcome.PERSON_GONE:
        delivery.mark(*args, DeliveryState.SKIPPED, {"reason": result.error})
        report.skipped += 1
    elif result.outcome == Outcome.NOT_SENT:
        delivery.release(*args)  # certainly not posted: the next run may try again
        report.failed += 1
    elif result.outcome == Outcome.CHANNEL_GONE:
        delivery.mark(*args, DeliveryState.SKIPPED, {"reason": result.error})
        report.skipped += 1
        if on_channel_gone is not None:
            try:
                on_channel_gone(result)
                report.channels_disabled += 1
            except Exception:  # noqa: BLE001 - disabling is best effort; the skip is recorded
                log.exception("%s: could not disable the schedule of %s", key, result.channel)
    else:
        delivery.mark(*args, DeliveryState.FAILED, {"error": result.error})
        report.failed += 1
        log.warning("%s failed: %s", key, result.error)


def deliver(
    db: Database,
    client: WebClient,
    key: Key,
    report: RunReport,
    *,
    channel: str,
    text: str,
    blocks: list[dict] | None = None,
    on_channel_gone: Callable[[PostResult], None] | None = None,
) -> PostResult | None:
    """Claim, post, mark. None when the key was already claimed (nothing posted)."""
    if not delivery.claim(db, key.kind, key.workspace_id, key.target, key.period):
        report.already += 1
        return None
    result = post(client, channel=channel, text=text, blocks=blocks)
    finish(db, key, result, report, on_channel_gone=on_channel_gone)
    return result
