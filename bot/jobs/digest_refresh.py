"""Keeping this week's posted digest true.

A check-in (typed, from the reminder, through the API or a workflow step, or synced from a data
source) on an objective a posted digest shows marks that digest stale, in the check-in's own
transaction (storage.repositories.digest.mark_stale): a rollback marks nothing. The clock's tick
then updates the digest in place: chat.update of the parent (with an "updated HH:MM" mark) and
of each thread reply whose content changed, never a new post. However many check-ins land
together, a channel's digest is updated at most once a minute (REFRESH_EVERY).

Only the digest of the channel's current period is updated: once the next one is due, the one
before stays as it was. A digest whose message or channel is no more (deleted, archived: Slack
answers message_not_found, channel_not_found, is_inactive, …) is left alone for good; nothing
is posted again. The chart in the thread is an image of the week when it went out and is not
redrawn. When the refreshed thread needs more replies than were posted, the extra part is not
posted (never a new post); the replies that exist are updated.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient

from bot.domain.schedule_time import WorkCalendar, latest_occurrence, zone
from bot.jobs.common import ClientFor, RunReport, naive_utc, utc
from bot.jobs.digest import KIND, channel_slot, digest_data, fingerprints
from bot.jobs.posting import Outcome, update
from bot.ui import digest as digest_ui
from storage.db import Database
from storage.models import DigestRefresh, ScheduleKind, Workspace
from storage.repositories import digest as digest_repo
from storage.repositories import schedules as schedules_repo
from storage.repositories import workspaces as workspaces_repo

log = logging.getLogger("northline.jobs.digest_refresh")

REPORT_KIND = "digest-refresh"
REFRESH_EVERY = timedelta(minutes=1)


def refresh_digests(
    db: Database, client_for: ClientFor, now: datetime, *, team_id: str | None = None
) -> RunReport:
    """Update in place every stale digest last updated a minute or more before `now`; `sent`
    counts the digests updated. One workspace's trouble does not stop the others."""
    report = RunReport(REPORT_KIND)
    now = utc(now)
    with db.session() as session:
        found = workspaces_repo.workspaces(session, team_id)
        session.expunge_all()
    for workspace in found:
        try:
            _refresh_workspace(db, client_for, workspace, now, report)
        except Exception as error:  # noqa: BLE001 - the other workspaces go on; the next tick retries
            log.exception("could not refresh the digests of workspace %s", workspace.team_id)
            report.error(f"{workspace.team_id}: {type(error).__name__}")
    return report


def _refresh_workspace(
    db: Database, client_for: ClientFor, workspace: Workspace, now: datetime, report: RunReport
) -> None:
    with db.session() as session:
        stale = digest_repo.stale_digests(session, workspace.id, naive_utc(now - REFRESH_EVERY))
        session.expunge_all()
    if not stale:
        return
    client = client_for(workspace)
    for row in stale:
        _refresh_channel(db, client, workspace, row, now, report)


def _refresh_channel(
    db: Database,
    client: WebClient,
    workspace: Workspace,
    row: DigestRefresh,
    now: datetime,
    report: RunReport,
) -> None:
    with db.session() as session:
        schedule = schedules_repo.schedule(session, workspace.id, ScheduleKind.DIGEST, row.channel_id)
        tz = zone(schedule.timezone if schedule else workspace.timezone, workspace.timezone)
        slot = channel_slot(workspace, schedule, tz)
        latest = latest_occurrence(slot, WorkCalendar.of_workspace(workspace), now)
        this_week = timedelta(0) <= now.astimezone(tz).date() - latest.week_start < timedelta(days=7)
        posted = digest_repo.sent_delivery(session, KIND, workspace.id, row.channel_id, row.period)
        where = (posted.detail or {}) if posted is not None else {}
        if row.period != latest.period or not this_week or not where.get("ts"):
            # An earlier week's digest stays the picture of its week.
            _settle(session, row, stale_since=None)
            return
        data = digest_data(session, workspace, row.channel_id, tz, now)
    fresh = fingerprints(data)
    data.updated = now.astimezone(tz).strftime("%H:%M")
    messages = [digest_ui.digest_parent(data), *digest_ui.digest_thread(data)]
    targets = [where["ts"], *where.get("reply_ts", [])]
    if len(messages) > len(targets):
        log.info(
            "digest of %s: %d thread part(s) beyond those posted are not shown",
            row.channel_id,
            len(messages) - len(targets),
        )
    parts = _updated_parts(
        client, where.get("channel") or row.channel_id, targets, messages, fresh, row.parts or []
    )
    with db.session() as session:
        if isinstance(parts, str):
            _settle(session, row, gone=parts)
            report.add(skipped=1)
            log.info("digest of %s is gone (%s): left alone, not posted again", row.channel_id, parts)
        elif parts is None:
            report.add(failed=1)  # still stale: the next tick tries again
        else:
            _settle(session, row, refreshed_at=naive_utc(now), parts=parts)
            report.add(sent=int(parts != (row.parts or [])))


def _updated_parts(
    client: WebClient,
    channel: str,
    targets: list[str],
    messages: list[dict],
    fresh: list[str],
    old: list[str],
) -> list[str] | str | None:
    """chat.update of each posted message whose content changed, the parent (with its mark) if
    any did. Returns the fingerprints now shown, Slack's error when the digest is gone, or None
    when Slack refused for now."""
    count = min(len(targets), len(messages))
    changed = [i for i in range(count) if i >= len(old) or old[i] != fresh[i]]
    if changed and changed[0] != 0:
        changed.insert(0, 0)  # the parent carries the "updated" mark
    shown = list(old[:count]) + [""] * max(0, count - len(old))
    for i in changed:
        result = update(client, channel=channel, ts=targets[i], **messages[i])
        if result.outcome == Outcome.CHANNEL_GONE:
            return result.error or "gone"
        if not result.ok:
            return None
        shown[i] = fresh[i]
    return shown


def _settle(session, row: DigestRefresh, **values) -> None:
    stored = session.get(DigestRefresh, (row.workspace_id, row.channel_id))
    if stored is None:
        return
    for name, value in values.items():
        setattr(stored, name, value)


__all__ = ["REFRESH_EVERY", "refresh_digests"]
