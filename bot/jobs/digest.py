"""The weekly channel digest.

Every channel with active objectives gets one, Friday 16:00 by default (in the workspace's time
zone until someone sets the channel's own with `/okr schedule digest DAY HH:MM`, which records
their time zone as the channel's); `/okr schedule off` stops it.

One short parent message that leads with what changed this week and what is at risk and why
(the week's brief, by Ask Northline's rules: bot/services/ask.py), then each objective's
progress bar, change since last week and pace; everything else in its thread: the other key
results with confidence and latest notes, who has not checked in this week, the sprint goal and
whether it is aligned, and a PNG chart of objective progress per week against the expected line.
A key result is shown once, in the parent or in the thread (bot/ui/digest.py).

SQL per channel: a fixed number of statements whatever the number of objectives, key results
or check-ins (see storage.repositories.digest.channel_facts).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import partial
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.domain import history
from bot.domain.clock import utc_now
from bot.domain.cycles import Cycle, cycle_for
from bot.domain.history import KeyResultHistory, ObjectiveHistory
from bot.domain.progress import disagreement
from bot.domain.references import RefKind, format_ref
from bot.domain.schedule_time import (
    DIGEST_DEFAULT,
    WeeklySlot,
    WorkCalendar,
    latest_occurrence,
    local_midnight_utc,
    workspace_digest_slot,
    zone,
)
from bot.jobs.charts import ChartRenderer
from bot.jobs.common import naive_utc, utc
from bot.jobs.delivery import Key
from bot.jobs.engine import PlanContext, PlannedPost, Sent, kind_runner
from bot.jobs.posting import Direct, Outcome, Poster, PostResult, post
from bot.services.ask import Brief, brief_from_facts
from bot.services.assessment import KeyResultStatus, ObjectiveStatus, assess
from bot.ui import digest as digest_ui
from bot.ui import schedules as schedules_ui
from bot.ui.chart import HistoryChart, render_history_png
from storage.db import Database
from storage.models import CheckIn, KeyResult, KeyResultKind, ScheduleKind, Workspace
from storage.repositories import digest as digest_repo
from storage.repositories import schedules as repo

log = logging.getLogger("northline.jobs.digest")

KIND = "digest"
REPORT_KIND = KIND
JOB = "digest"
DEFAULT_WEEKDAY, DEFAULT_TIME = DIGEST_DEFAULT
MAX_OBJECTIVES = 40
CHART_OBJECTIVES = 8


@dataclass
class ObjectiveDigest:
    status: ObjectiveStatus
    change: float | None  # progress now minus a week ago (None: no history)
    history: ObjectiveHistory | None  # for its line in the chart; only for charted objectives


@dataclass
class DigestData:
    channel_id: str
    tz: ZoneInfo
    now: datetime  # aware UTC
    week_start: date  # Monday (channel's time) from which a check-in counts as "this week"
    objectives: list[ObjectiveDigest]
    latest_notes: dict[int, CheckIn]  # key result id -> its latest check-in with a note this cycle
    missing: list[KeyResult]  # active key results without a check-in this week
    sprint_name: str | None = None
    sprint_goal: str | None = None
    sprint_ref: str | None = None
    sprint_aligned: bool | None = None
    sprint_key_results: list[KeyResult] = field(default_factory=list)
    # key results whose latest number came from a source → its origin (source:jira)
    automatic: dict[int, str] = field(default_factory=dict)
    cycle: Cycle | None = None
    left_out: int = 0  # objectives beyond MAX_OBJECTIVES
    owners: int = 0  # people owning a key result shown
    owners_checked_in: int = 0  # of them, those with every such key result checked in this week
    brief: Brief | None = None  # the week's brief (Ask Northline's): what the parent leads with
    updated: str | None = None  # "HH:MM" (channel's time) when the posted digest was updated in place

    @property
    def disagreements(self) -> list[tuple[KeyResultStatus, str]]:
        found = []
        for item in self.objectives:
            for status in item.status.key_results:
                sentence = disagreement(status.pace, status.confidence)
                if sentence:
                    found.append((status, sentence))
        return found


# --- the job ---------------------------------------------------------------------------------------


channel_digests = kind_runner(JOB, "channel_digests")


def plan(context: PlanContext) -> list[PlannedPost]:
    """One digest per channel with active objectives, at its slot in the channel's time zone."""
    db, workspace, now = context.db, context.workspace, context.now
    with db.session() as session:
        schedules = repo.schedules(session, workspace.id, ScheduleKind.DIGEST)
        channels = digest_repo.digest_channels(session, workspace.id)
        session.expunge_all()
    calendar = WorkCalendar.of_workspace(workspace)
    posts = []
    for channel_id in sorted(channels):
        if context.channel_id and channel_id != context.channel_id:
            continue
        row = schedules.get(channel_id)
        if row is not None and not row.enabled:
            continue
        tz = zone(row.timezone if row else workspace.timezone, workspace.timezone)
        occurrence = latest_occurrence(channel_slot(workspace, row, tz), calendar, now)
        setter = row.set_by if row and row.set_by else channels[channel_id]
        posts.append(
            PlannedPost(
                Key(KIND, workspace.id, channel_id, occurrence.period),
                occurrence.due,
                partial(_send, db, workspace, channel_id, occurrence.period, tz, now, context.charts),
                on_channel_gone=partial(_disable, db, workspace, channel_id, setter, tz),
            )
        )
    return posts


def channel_slot(workspace: Workspace, row, tz: ZoneInfo) -> WeeklySlot:
    """When the channel's digest goes out: its own schedule (`row`), else the workspace's default
    day and time (`/okr settings`)."""
    weekday, time_of_day = (row.weekday, row.time_of_day) if row else default_slot(workspace)
    return WeeklySlot(weekday, time_of_day, tz.key)


def default_slot(workspace: Workspace) -> tuple[int, str]:
    """The workspace's default digest day and time (Friday 16:00 unless `/okr settings` says)."""
    return workspace_digest_slot(workspace.digest_weekday, workspace.digest_time)


def _send(
    db,
    workspace: Workspace,
    channel_id: str,
    period: str,
    tz: ZoneInfo,
    now: datetime,
    charts: ChartRenderer,
    outbox,
) -> Sent:
    """The channel's messages now; its chart once every channel's messages are out (a thread
    waiting for the chart process would leave the run idle while it starts). Once the parent is
    out, what it shows is recorded, so a later check-in can update it in place."""
    with db.session() as session:
        data = digest_data(session, workspace, channel_id, tz, now)
    charts.expect(1)
    png = begin_chart(data, charts.begin)
    parent, extra = post_messages(outbox, data)
    if parent.outcome == Outcome.SENT:
        with db.session() as session:
            digest_repo.record_posted_digest(
                session, workspace.id, channel_id, period, naive_utc(data.now), fingerprints(data)
            )
    then = None
    if png is not None and parent.outcome == Outcome.SENT:
        then = partial(upload_chart, outbox, data, parent.ts, png)
    return Sent(outcome_of(parent, extra), {"channel": parent.channel, "ts": parent.ts, **extra}, then)


def _disable(
    db, workspace: Workspace, channel_id: str, setter: str, tz: ZoneInfo, outbox, result: PostResult
) -> None:
    disable_channel(
        db,
        outbox.client,
        workspace,
        ScheduleKind.DIGEST,
        channel_id,
        result.error or "",
        setter,
        tz,
        default_slot(workspace),
    )


def disable_channel(
    db: Database,
    client: WebClient,
    workspace: Workspace,
    kind: ScheduleKind,
    channel_id: str,
    error: str,
    setter: str,
    tz: ZoneInfo,
    default: tuple[int, str] = (DEFAULT_WEEKDAY, DEFAULT_TIME),
) -> None:
    """Slack says the channel is gone (or we are out of it): switch its schedule off and tell the
    person who set it (for a channel on the default schedule, the owner of its first objective)."""
    row = repo.disable_schedule(
        db, workspace.id, kind, channel_id, f"Slack answered {error}", default=(*default, tz.key, setter)
    )
    told = (row.set_by if row is not None and row.set_by else "") or setter
    log.warning(
        "%s schedule of %s switched off (%s); telling %s", kind.value, channel_id, error, told or "nobody"
    )
    if told:
        post(client, channel=told, **schedules_ui.schedule_disabled(kind.value, channel_id, error))


# --- the facts --------------------------------------------------------------------------------------


def digest_data(session, workspace: Workspace, channel_id: str, tz: ZoneInfo, now: datetime) -> DigestData:
    """Everything one digest shows, in a fixed number of statements."""
    now = utc(now)
    naive_now = naive_utc(now)
    local_today = now.astimezone(tz).date()
    week_start = local_today - timedelta(days=local_today.weekday())
    week_start_utc = naive_utc(local_midnight_utc(week_start, tz))
    cycle = cycle_for(local_today, workspace.fiscal_year_start_month)
    since = min(cycle.start_at, naive_now - timedelta(days=8))
    facts = digest_repo.channel_facts(session, workspace.id, channel_id, since=since, limit=MAX_OBJECTIVES)
    objectives = facts.objectives
    left_out = facts.objective_count - len(objectives)
    items = []
    latest_notes: dict[int, CheckIn] = {}
    missing: list[KeyResult] = []
    automatic: dict[int, str] = {}
    charted = 0
    for objective in objectives:
        krs = facts.key_results.get(objective.id, [])
        status = assess(objective, krs, workspace, naive_now)
        histories = [_history_of(kr, facts.checkins.get(kr.id, ())) for kr in krs]
        week_ago = history.progress_at(histories, naive_now - timedelta(days=7))
        # An objective younger than a week has no "last week" to compare with: it is new.
        young = objective.created_at is not None and objective.created_at > naive_now - timedelta(days=7)
        change = None if week_ago is None or young else status.progress - week_ago
        # The week-by-week line is the bulk of a digest's arithmetic: the chart works it out, in
        # the chart process when there is one.
        line = None
        if status.cycle is not None and charted < CHART_OBJECTIVES:
            line = ObjectiveHistory(
                histories, status.cycle.start_at, status.cycle.end_at, naive_now, status.progress
            )
            charted += 1
        items.append(ObjectiveDigest(status, change, line))
        for kr in krs:
            rows = facts.checkins.get(kr.id, ())
            if rows and (rows[-1].origin or "").startswith("source:"):
                automatic[kr.id] = rows[-1].origin
            note = next(
                (c for c in reversed(facts.checkins.get(kr.id, ())) if c.note and c.note.strip()), None
            )
            if note is not None:
                latest_notes[kr.id] = note
            if kr.last_checkin_at is None or kr.last_checkin_at < week_start_utc:
                missing.append(kr)
    owners = {kr.owner_id for krs in facts.key_results.values() for kr in krs}
    behind = {kr.owner_id for kr in missing}
    data = DigestData(
        owners=len(owners),
        owners_checked_in=len(owners - behind),
        channel_id=channel_id,
        tz=tz,
        now=now,
        week_start=week_start,
        objectives=items,
        latest_notes=latest_notes,
        missing=missing,
        cycle=cycle,
        left_out=left_out,
        automatic=automatic,
        brief=brief_from_facts(workspace, facts, naive_now, week_start_utc),
    )
    if facts.sprint is not None:
        data.sprint_name = facts.sprint.name
        data.sprint_goal = facts.sprint.goal
        data.sprint_ref = format_ref(RefKind.SPR, facts.sprint.number)
        data.sprint_key_results = facts.sprint_key_results
        data.sprint_aligned = facts.sprint_aligned
    return data


def weekly_movement(
    objective,
    key_results: list[KeyResult],
    checkins: dict[int, list],
    workspace: Workspace,
    naive_now: datetime,
) -> tuple[float, float | None]:
    """An objective's progress now and its change since a week ago (None: no history then), from
    its key results and their check-ins of the last eight days or more, as the digest shows them."""
    status = assess(objective, key_results, workspace, naive_now)
    histories = [_history_of(kr, checkins.get(kr.id, ())) for kr in key_results]
    week_ago = history.progress_at(histories, naive_now - timedelta(days=7))
    return status.progress, None if week_ago is None else status.progress - week_ago


def _history_of(kr: KeyResult, checkins) -> KeyResultHistory:
    """A key result's check-ins (rows, oldest first) as plain numbers and times."""
    return KeyResultHistory(
        milestone=kr.kind == KeyResultKind.MILESTONE,
        start=kr.start_value,
        target=kr.target_value,
        weight=kr.weight or 1.0,
        times=[c.created_at for c in checkins],
        values=[c.value for c in checkins],
        last_checkin_at=kr.last_checkin_at,
        current_value=kr.current_value,
    )


# --- posting -----------------------------------------------------------------------------------------


def send_digest(
    client: WebClient,
    data: DigestData,
    begin_drawing: Callable[[HistoryChart], Callable[[], bytes]] | None = None,
) -> tuple[PostResult, dict]:
    """Parent, thread replies, chart, now. The parent decides the outcome; the thread is best effort."""
    poster = Direct(client)
    png = begin_chart(data, begin_drawing)
    parent, thread = post_messages(poster, data)
    if png is not None and parent.outcome == Outcome.SENT:
        thread["chart"] = upload_chart(poster, data, parent.ts, png)
    return parent, thread


def begin_chart(
    data: DigestData, begin_drawing: Callable[[HistoryChart], Callable[[], bytes]] | None
) -> Callable[[], bytes] | None:
    """Start drawing the digest's chart (None: nothing to chart); the returned function gives the
    PNG. `begin_drawing` (ChartRenderer.begin) may draw it elsewhere while the messages go out."""
    chart = chart_of(data)
    return None if chart is None else (begin_drawing or _draw_here)(chart)


def post_messages(poster: Poster, data: DigestData) -> tuple[PostResult, dict]:
    """The parent message, then the thread replies under it (the parent decides the outcome)."""
    parent = poster.post(channel=data.channel_id, **digest_ui.digest_parent(data))
    if parent.outcome != Outcome.SENT:
        return parent, {}
    thread: dict = {"replies": 0, "refused": 0, "reply_ts": []}
    # Each reply is recorded, so that bot/jobs/digest_refresh.py can update it in place.
    for message in digest_ui.digest_thread(data):
        reply = poster.post(channel=data.channel_id, thread_ts=parent.ts, **message)
        if reply.ok:
            thread["replies"] += 1
            thread["reply_ts"].append(reply.ts)
        else:
            thread["refused"] += 1
            thread["error"] = reply.error
    return parent, thread


def fingerprints(data: DigestData) -> list[str]:
    """One fingerprint per message of the digest (the parent, then each thread reply), of what it
    shows: a refresh updates only the messages whose fingerprint changed."""
    messages = [digest_ui.digest_parent(data), *digest_ui.digest_thread(data)]
    return [
        hashlib.sha256(json.dumps(m, sort_keys=True, default=str).encode()).hexdigest()[:16] for m in messages
    ]


def outcome_of(parent: PostResult, thread: dict) -> PostResult:
    """A digest whose parent went out but part of whose thread Slack refused is a failure: its
    parent points to details that are not there. It is not sent again (the parent is out)."""
    if parent.ok and thread.get("refused"):
        error = f"{thread['refused']} thread repl{'y' if thread['refused'] == 1 else 'ies'} refused ({thread.get('error')})"
        return PostResult(Outcome.FAILED, channel=parent.channel, ts=parent.ts, error=error)
    return parent


def upload_chart(poster: Poster, data: DigestData, parent_ts: str | None, png: Callable[[], bytes]) -> bool:
    """The chart, into the digest's thread; best effort, like the replies."""
    return poster.upload(
        channel=data.channel_id,
        thread_ts=parent_ts,
        content=png(),
        filename=f"progress-{data.now:%Y-%m-%d}.png",
        title="Objective progress by week",
        alt_text="Objective progress per week against the expected line",
    ).ok


class DigestNow(StrEnum):
    """How `/okr digest` went."""

    POSTED = "posted"
    POSTED_IN_PART = "posted_in_part"  # the parent went out; Slack refused some thread replies
    NOTHING_TO_DIGEST = "nothing_to_digest"  # no active objectives in the channel
    NOT_IN_CHANNEL = "not_in_channel"  # the app is not in the channel (or it is gone)
    REFUSED = "refused"  # Slack took nothing


@dataclass(frozen=True)
class DigestNowResult:
    """What `/okr digest` did, for the listener to word."""

    outcome: DigestNow
    channel_id: str
    refused_replies: int = 0  # POSTED_IN_PART: how many thread replies Slack refused
    error: str | None = None  # what Slack said, when it refused anything

    @property
    def posted(self) -> bool:
        return self.outcome in (DigestNow.POSTED, DigestNow.POSTED_IN_PART)


def post_digest_now(
    db: Database, client: WebClient, workspace_id: int, channel_id: str, *, requested_by: str
) -> DigestNowResult:
    """`/okr digest`: this channel's digest, now, outside the weekly schedule. A digest that went
    out is logged as asked for by `requested_by`, so a second ask the same week is warned."""
    now = utc_now()
    with db.session() as session:
        workspace = session.get(Workspace, workspace_id)
        row = repo.schedule(session, workspace_id, ScheduleKind.DIGEST, channel_id)
        tz = zone(row.timezone if row else workspace.timezone, workspace.timezone)
        data = digest_data(session, workspace, channel_id, tz, now)
    if not data.objectives:
        return DigestNowResult(DigestNow.NOTHING_TO_DIGEST, channel_id)
    result, thread = send_digest(client, data)
    if result.ok:
        with db.session() as session:
            digest_repo.record_digest_now(session, workspace_id, channel_id, requested_by, naive_utc(now))
        if thread.get("refused"):
            return DigestNowResult(
                DigestNow.POSTED_IN_PART, channel_id, thread["refused"], thread.get("error")
            )
        return DigestNowResult(DigestNow.POSTED, channel_id)
    if result.outcome == Outcome.CHANNEL_GONE:
        return DigestNowResult(DigestNow.NOT_IN_CHANNEL, channel_id, error=result.error)
    return DigestNowResult(DigestNow.REFUSED, channel_id, error=result.error)


def _draw_here(chart: HistoryChart) -> Callable[[], bytes]:
    return partial(render_history_png, chart)


def chart_of(data: DigestData) -> HistoryChart | None:
    """What the digest's chart shows: each objective's progress per week against the expected line."""
    series = [item for item in data.objectives if item.history is not None][:CHART_OBJECTIVES]
    if not series or data.cycle is None:
        return None
    lines = tuple(
        (f"OBJ-{item.status.objective.number} {item.status.objective.title}"[:40], item.history)
        for item in series
    )
    return HistoryChart(data.cycle.name, data.cycle.start, data.cycle.end, lines)


__all__ = [
    "DigestData",
    "DigestNow",
    "DigestNowResult",
    "channel_digests",
    "chart_of",
    "digest_data",
    "post_digest_now",
    "send_digest",
]
