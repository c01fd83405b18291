"""Ask Northline: answers to the questions of bot.domain.ask, from the workspace's data, with no
language model; and the week's brief for a channel (on request, and what the weekly digest leads with).

Each answer is a plain result (Answer, Brief) that bot/ui/assistant.py renders; a model could
later word the same result without changing how it is found. What the asker may see is what
`/okr list` and `/okr show` show them: the objectives of their own workspace, every query scoped
by it (`unit_of_work` gives the asker's workspace; nothing here takes another's).

Each answer reads a fixed number of statements whatever the data size (no query in a loop).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session

from bot.domain.ask import Intent, Question, Scope, mentions_blocker
from bot.domain.clock import stored_now
from bot.domain.progress import Confidence, PaceStatus, disagreement
from bot.domain.references import RefKind, format_ref
from bot.domain.schedule_time import local_midnight_utc, zone
from bot.services.assessment import KeyResultStatus, assess, current_cycle, progress_at
from bot.services.okrs import list_objectives
from storage.models import CheckIn, KeyResult, Objective, Status, Workspace
from storage.repositories import ask as repo
from storage.repositories import digest as digest_repo
from storage.repositories import okrs as okr_repo
from storage.repositories import sprints as sprint_repo

MAX_ITEMS = 15  # lines in one answer; `total` says how many matched, `more` where to see them all
RISKY = (PaceStatus.AT_RISK, PaceStatus.OFF_TRACK)


@dataclass
class Item:
    """One line of an answer: a reference and what is known of it. `title` and `note` are what
    people typed (ui shows them as text); everything else is computed."""

    ref: str  # KR-3, OBJ-1, SPR-2
    title: str
    owner_id: str | None = None
    parent_ref: str = ""  # a key result's OBJ-n
    kra_ref: str = ""  # an objective's KRA-n, when it has one
    channel_id: str | None = None
    progress: float | None = None  # clamped to [0, 1]; None before the first check-in
    pace: PaceStatus | None = None
    confidence: Confidence | None = None
    before: float | None = None  # CHANGED / the brief's "moved": progress a week ago
    why: str = ""  # a computed sentence: "pace at risk; confidence on track"
    note: str | None = None  # an owner's check-in note, as typed


@dataclass
class Brief:
    channel_id: str
    objective_count: int
    moved: list[Item] = field(default_factory=list)
    at_risk: list[Item] = field(default_factory=list)
    blockers: list[Item] = field(default_factory=list)
    decide: list[Item] = field(default_factory=list)


@dataclass
class Answer:
    question: Question
    items: list[Item] = field(default_factory=list)
    total: int = 0  # how many matched; `items` are the first MAX_ITEMS
    more: str = ""  # the command that shows more
    brief: Brief | None = None
    cycle: str = ""


def answer(
    session: Session, workspace: Workspace, asker_id: str, question: Question, now: datetime | None = None
) -> Answer:
    """The answer to `question` for `asker_id`, from `workspace`'s data at `now` (naive UTC)."""
    now = now or stored_now()
    handler = _HANDLERS.get(question.intent)
    if handler is None or (question.scope is Scope.CHANNEL and not question.channel_id):
        return Answer(question)  # help, unknown, or a channel named without Slack's link: ui explains
    found = handler(session, workspace, asker_id, question, now)
    found.cycle = found.cycle or current_cycle(workspace, now).name
    return found


# --- each intent ---------------------------------------------------------------------------------------


def _needs_me(
    session: Session, workspace: Workspace, asker_id: str, question: Question, now: datetime
) -> Answer:
    krs = repo.active_key_results(session, workspace.id, owner_id=asker_id)
    week_start = _week_start(workspace, now)
    items = []
    for status in _assessed(workspace, krs, now):
        kr = status.key_result
        reasons = []
        if kr.last_checkin_at is None or kr.last_checkin_at < week_start:
            reasons.append("no check-in this week")
        reasons += _risk_reasons(status)
        if reasons:
            items.append(_kr_item(status, "; ".join(reasons)))
    return _page(question, items, "/okr checkin")


def _at_risk(
    session: Session, workspace: Workspace, asker_id: str, question: Question, now: datetime
) -> Answer:
    krs = repo.active_key_results(session, workspace.id, **_kr_scope(question, asker_id))
    risky = [(s, reasons) for s in _assessed(workspace, krs, now) if (reasons := _risk_reasons(s))]
    notes = _latest_notes(session, [s.key_result.id for s, _ in risky[:MAX_ITEMS]])
    items = [_kr_item(s, "; ".join(reasons), notes.get(s.key_result.id)) for s, reasons in risky]
    return _page(question, items, _list_command(question, asker_id))


def _how_is(
    session: Session, workspace: Workspace, asker_id: str, question: Question, now: datetime
) -> Answer:
    scope = _objective_scope(question, asker_id)
    listed = list_objectives(session, workspace, statuses=(Status.ACTIVE,), limit=MAX_ITEMS, now=now, **scope)
    kra_ids = [s.objective.kra_id for s in listed.statuses if s.objective.kra_id]
    kras = okr_repo.kras_by_ids(session, kra_ids)
    items = []
    for status in listed.statuses:
        objective = status.objective
        counted = [k for k in status.key_results if k.key_result.status == Status.ACTIVE]
        on_track = sum(1 for k in counted if k.pace is PaceStatus.ON_TRACK)
        kra = kras.get(objective.kra_id) if objective.kra_id else None
        items.append(
            Item(
                ref=format_ref(RefKind.OBJ, objective.number),
                title=objective.title,
                owner_id=objective.owner_id,
                kra_ref=format_ref(RefKind.KRA, kra.number) if kra else "",
                channel_id=objective.channel_id,
                progress=status.progress,
                pace=status.pace,
                why=f"{on_track} of {len(counted)} key result{'s' if len(counted) != 1 else ''} on track",
            )
        )
    return Answer(question, items, listed.total, _list_command(question, asker_id))


def _changed(
    session: Session, workspace: Workspace, asker_id: str, question: Question, now: datetime
) -> Answer:
    krs = repo.active_key_results(session, workspace.id, **_kr_scope(question, asker_id))
    week_ago = now - timedelta(days=7)
    cycle = current_cycle(workspace, now)
    history = repo.checkins_since(
        session, [kr.id for kr in krs], min(cycle.start_at, week_ago - timedelta(days=1))
    )
    items = []
    for status in _assessed(workspace, krs, now):
        item = _movement(status, history.get(status.key_result.id, []), week_ago)
        if item is not None:
            items.append(item)
    return _page(question, items, _list_command(question, asker_id))


def _not_checked_in(
    session: Session, workspace: Workspace, asker_id: str, question: Question, now: datetime
) -> Answer:
    krs = repo.active_key_results(session, workspace.id, **_kr_scope(question, asker_id))
    week_start = _week_start(workspace, now)
    late = [kr for kr in krs if kr.last_checkin_at is None or kr.last_checkin_at < week_start]
    late.sort(key=lambda kr: (kr.owner_id, kr.number))
    items = [
        Item(
            ref=format_ref(RefKind.KR, kr.number),
            title=kr.title,
            owner_id=kr.owner_id,
            parent_ref=format_ref(RefKind.OBJ, kr.objective.number),
            why="never checked in" if kr.last_checkin_at is None else "",
        )
        for kr in late
    ]
    return _page(question, items, "/okr checkin")


def _unaligned_sprints(
    session: Session, workspace: Workspace, asker_id: str, question: Question, now: datetime
) -> Answer:
    sprints = sprint_repo.active_sprints(session, workspace.id)
    links = sprint_repo.links_of(session, [s.id for s in sprints])
    items = [
        Item(
            ref=format_ref(RefKind.SPR, sprint.number),
            title=sprint.name,
            channel_id=sprint.channel_id,
            why="links no key result" if not links.get(sprint.id) else "its key results are no longer active",
            note=sprint.goal or None,
        )
        for sprint in sprints
        if not any(link.active for link in links.get(sprint.id, ()))
    ]
    return _page(question, items, "/sprint link KR-n")


def _brief(
    session: Session, workspace: Workspace, asker_id: str, question: Question, now: datetime
) -> Answer:
    if question.scope is not Scope.CHANNEL or not question.channel_id:
        return Answer(question)  # ui asks which channel
    brief = channel_brief(session, workspace, question.channel_id, now)
    return Answer(question, total=brief.objective_count, more="/okr digest", brief=brief)


def _draft(
    session: Session, workspace: Workspace, asker_id: str, question: Question, now: datetime
) -> Answer:
    cycle = current_cycle(workspace, now)
    more = f"/okr new {question.subject}".strip()
    return Answer(question, more=more, cycle=cycle.name)


_HANDLERS: dict[Intent, Callable[[Session, Workspace, str, Question, datetime], Answer]] = {
    Intent.NEEDS_ME: _needs_me,
    Intent.AT_RISK: _at_risk,
    Intent.HOW_IS: _how_is,
    Intent.CHANGED: _changed,
    Intent.NOT_CHECKED_IN: _not_checked_in,
    Intent.UNALIGNED_SPRINTS: _unaligned_sprints,
    Intent.BRIEF: _brief,
    Intent.DRAFT: _draft,
}


# --- what a language model may be given (docs/ai.md) ---------------------------------------------------


def may_use_model(workspace: Workspace) -> bool:
    """Whether the workspace's admins left the language model on (`/okr settings`)."""
    return workspace.ai_enabled is not False


def grounding(
    session: Session, workspace: Workspace, asker_id: str, channel_id: str | None, now: datetime | None = None
) -> list[tuple[str, Answer]]:
    """The facts a free question is answered from: what the grammar's own answers show the asker
    (their week, their objectives, what is at risk in them; a #channel the question names), read by
    the same queries, each at most MAX_ITEMS lines. Never the whole workspace."""
    now = now or stored_now()
    asked: list[tuple[str, Question]] = [
        ("what needs the asker this week", Question(Intent.NEEDS_ME, Scope.MINE)),
        ("the asker's objectives", Question(Intent.HOW_IS, Scope.MINE)),
        ("at risk in the asker's objectives", Question(Intent.AT_RISK, Scope.MINE)),
    ]
    if channel_id:
        asked += [
            ("the channel's objectives", Question(Intent.HOW_IS, Scope.CHANNEL, channel_id=channel_id)),
            ("at risk in the channel", Question(Intent.AT_RISK, Scope.CHANNEL, channel_id=channel_id)),
            (
                "changed in the channel since last week",
                Question(Intent.CHANGED, Scope.CHANNEL, channel_id=channel_id),
            ),
        ]
    return [(about, answer(session, workspace, asker_id, question, now)) for about, question in asked]


# --- the week's brief -------------------------------------------------------------------------------------


def channel_brief(session: Session, workspace: Workspace, channel_id: str, now: datetime) -> Brief:
    """The week's brief for a channel, on request: the digest's facts, read the same way."""
    week_start = _week_start(workspace, now)
    cycle = current_cycle(workspace, now)
    facts = digest_repo.channel_facts(
        session, workspace.id, channel_id, since=min(cycle.start_at, now - timedelta(days=8))
    )
    return brief_from_facts(workspace, facts, now, week_start)


def brief_from_facts(
    workspace: Workspace, facts: digest_repo.ChannelFacts, now: datetime, week_start: datetime
) -> Brief:
    """What moved since `week_start`, what is at risk and why (the owner's latest note), blockers
    the notes mention, and what to decide: from facts already read (the digest passes its own)."""
    brief = Brief(facts.objectives[0].channel_id if facts.objectives else "", facts.objective_count)
    for objective in facts.objectives:
        for status in assess(objective, facts.key_results.get(objective.id, []), workspace, now).key_results:
            _brief_key_result(
                brief, objective, status, facts.checkins.get(status.key_result.id, []), week_start
            )
    if facts.sprint is not None and not facts.sprint_aligned:
        brief.decide.append(
            Item(
                ref=format_ref(RefKind.SPR, facts.sprint.number),
                title=facts.sprint.name,
                why="the sprint serves no active key result: link one (`/sprint link KR-n`) or say why not",
            )
        )
    return brief


def _brief_key_result(
    brief: Brief, objective: Objective, status: KeyResultStatus, checkins: list, week_start: datetime
) -> None:
    kr = status.key_result
    item = partial(_kr_item, status, objective=objective)
    moved = _movement(status, checkins, week_start, objective)
    if moved is not None:
        brief.moved.append(moved)
    notes = [c for c in checkins if c.note and c.note.strip()]
    latest_note = notes[-1].note if notes else None
    reasons = _risk_reasons(status)
    if reasons:
        brief.at_risk.append(item("; ".join(reasons), latest_note))
    blocker = next(
        (c for c in reversed(notes) if c.created_at >= week_start and mentions_blocker(c.note)), None
    )
    if blocker is not None:
        brief.blockers.append(item("", blocker.note))
    sentence = disagreement(status.pace, status.confidence)
    if sentence:
        brief.decide.append(item(f"{sentence}: which is right?"))
    elif status.pace is PaceStatus.OFF_TRACK:
        brief.decide.append(item("off track: change the plan, the people on it, or the target?"))
    if kr.last_checkin_at is None:
        brief.decide.append(item("never checked in: is it still the right measure?"))


# --- shared steps ----------------------------------------------------------------------------------------


def _assessed(workspace: Workspace, krs: list[KeyResult], now: datetime) -> list[KeyResultStatus]:
    """Progress and pace of key results (each with its objective loaded), objective by objective."""
    grouped: dict[int, list[KeyResult]] = defaultdict(list)
    objectives = {}
    for kr in krs:
        grouped[kr.objective_id].append(kr)
        objectives[kr.objective_id] = kr.objective
    return [
        s
        for oid, group in grouped.items()
        for s in assess(objectives[oid], group, workspace, now).key_results
    ]


def _risk_reasons(status: KeyResultStatus) -> list[str]:
    """Why a key result is at risk: its pace is behind, or its owner's confidence disagrees with it."""
    reasons = [f"pace {status.pace.label}"] if status.pace in RISKY else []
    if disagreement(status.pace, status.confidence) and status.confidence is not None:
        reasons.append(f"confidence {status.confidence.label}")
    return reasons


def _movement(
    status: KeyResultStatus, checkins: list, since: datetime, objective: Objective | None = None
) -> Item | None:
    """A key result that has check-ins since `since`: its progress then and now (None if none)."""
    recent = [c for c in checkins if c.created_at >= since]
    if not recent:
        return None
    earlier = [c for c in checkins if c.created_at < since]
    kr = status.key_result
    before = progress_at(kr, earlier[-1].value) if earlier else None
    notes = [c.note for c in recent if c.note and c.note.strip()]
    item = _kr_item(status, "", notes[-1] if notes else None, objective=objective)
    item.before = 0.0 if before is None else min(1.0, before)
    return item


def _kr_item(
    status: KeyResultStatus, why: str, note: str | None = None, *, objective: Objective | None = None
) -> Item:
    """A key result's line; its objective is `objective`, or the one loaded with it."""
    kr = status.key_result
    objective = objective or kr.objective
    return Item(
        ref=format_ref(RefKind.KR, kr.number),
        title=kr.title,
        owner_id=kr.owner_id,
        parent_ref=format_ref(RefKind.OBJ, objective.number),
        channel_id=objective.channel_id,
        progress=None if status.progress is None else status.clamped,
        pace=status.pace,
        confidence=status.confidence,
        why=why,
        note=note,
    )


def _latest_notes(session: Session, key_result_ids: list[int]) -> dict[int, str]:
    recent: dict[int, list[CheckIn]] = okr_repo.recent_checkins(session, key_result_ids, per_key_result=3)
    return {
        kr_id: n.note
        for kr_id, rows in recent.items()
        if (n := next((c for c in rows if c.note and c.note.strip()), None))
    }


def _kr_scope(question: Question, asker_id: str) -> dict:
    if question.scope is Scope.CHANNEL:
        return {"channel_id": question.channel_id}
    if question.scope is Scope.PERSON:
        return {"involving": question.user_id}
    if question.scope is Scope.MINE:
        return {"involving": asker_id}
    return {}


def _objective_scope(question: Question, asker_id: str) -> dict:
    if question.scope is Scope.CHANNEL:
        return {"channel_id": question.channel_id}
    if question.scope is Scope.PERSON:
        return {"user_id": question.user_id}
    if question.scope is Scope.MINE:
        return {"user_id": asker_id}
    return {}


def _list_command(question: Question, asker_id: str) -> str:
    if question.scope is Scope.CHANNEL:
        return f"/okr list <#{question.channel_id}>"
    if question.scope is Scope.PERSON:
        return f"/okr list <@{question.user_id}>"
    if question.scope is Scope.MINE:
        return "/okr list mine"
    return "/okr list all"


def _page(question: Question, items: Iterable[Item], more: str) -> Answer:
    found = list(items)
    return Answer(question, found[:MAX_ITEMS], len(found), more)


def _week_start(workspace: Workspace, now: datetime) -> datetime:
    """Monday 00:00 of `now`'s week in the workspace's time zone, as naive UTC."""
    tz = zone(workspace.timezone)
    aware = now.replace(tzinfo=zone("UTC")) if now.tzinfo is None else now
    today = aware.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    return local_midnight_utc(monday, tz).replace(tzinfo=None)


@dataclass(frozen=True)
class Asked:
    """A question answered, and what a language model may word it from (docs/ai.md)."""

    answer: Answer
    may_word: bool  # a model is set up and the workspace's admins left it on
    grounding: list[tuple[str, Answer]] = field(default_factory=list)  # a free question's facts


def ask_question(
    session: Session,
    workspace: Workspace,
    asker_id: str,
    question: Question,
    *,
    channel_id: str | None = None,
    with_model: bool = False,
) -> Asked:
    """A question typed in the assistant panel: its answer and, when a model is set up
    (`with_model`) and allowed, the facts it would word a free question from (`channel_id`: the
    channel the question mentions)."""
    found = answer(session, workspace, asker_id, question)
    may_word = with_model and may_use_model(workspace)
    facts = []
    if may_word and question.intent is Intent.UNKNOWN:
        facts = grounding(session, workspace, asker_id, channel_id)
    return Asked(found, may_word, facts)
