"""The facts each scheduled post is built from (the digest, the check-in reminder, prompts and
nudges), and the log of digests asked for: each a fixed number of statements whatever the data size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import Session, with_expression
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import (
    CheckIn,
    Delivery,
    DeliveryState,
    DigestRefresh,
    Follow,
    FollowerKind,
    KeyResult,
    Kra,
    Objective,
    SourceBinding,
    Sprint,
    SprintKeyResult,
    Status,
)
from storage.repositories.okrs import active_key_result

DIGEST_NOW_KIND = "digest_now"  # a digest someone asked for with `/okr digest`, outside the schedule


def last_digest_at(
    session: Session, workspace_id: int, channel_id: str, kinds: Sequence[str]
) -> datetime | None:
    """When the channel's latest digest (scheduled or asked for) went out, naive UTC. One statement."""
    return session.scalar(
        select(func.max(Delivery.sent_at)).where(
            Delivery.workspace_id == workspace_id,
            Delivery.target == channel_id,
            Delivery.kind.in_(list(kinds)),
            Delivery.state == DeliveryState.SENT,
        )
    )


def record_digest_now(session: Session, workspace_id: int, channel_id: str, by: str, at: datetime) -> None:
    """Log a digest posted on request, so the next `/okr digest` can say when it went."""
    session.add(
        Delivery(
            kind=DIGEST_NOW_KIND,
            workspace_id=workspace_id,
            target=channel_id,
            period=at.strftime("%Y-%m-%dT%H:%M:%S.%f"),
            state=DeliveryState.SENT,
            claimed_at=at,
            sent_at=at,
            detail={"requested_by": by},
        )
    )


# --- what the check-in reminder needs ----------------------------------------------------------------


def active_key_results(
    session: Session,
    workspace_id: int,
    owner_ids: Iterable[str] | None = None,
    key_result_ids: Iterable[int] | None = None,
) -> list[KeyResult]:
    """Active key results of active objectives (objective loaded alongside, and whether a data
    source updates each one: `bound_to_source`), of these owners or these ids: one statement."""
    bound = exists().where(SourceBinding.key_result_id == KeyResult.id)
    query = (
        select(KeyResult, Objective)
        .options(with_expression(KeyResult.bound_to_source, bound))
        .join(Objective, Objective.id == KeyResult.objective_id)
        .where(
            KeyResult.workspace_id == workspace_id,
            active_key_result(),
        )
        .order_by(KeyResult.owner_id, Objective.number, KeyResult.position, KeyResult.number)
    )
    if owner_ids is not None:
        query = query.where(KeyResult.owner_id.in_(sorted(set(owner_ids))))
    if key_result_ids is not None:
        # Asked again within a transaction that changed them: read them afresh, source flag too.
        query = query.where(KeyResult.id.in_(sorted(set(key_result_ids)))).execution_options(
            populate_existing=True
        )
    found = []
    for kr, objective in session.execute(query):
        # The relationship is lazy="raise"; fill it from the row we already have.
        set_committed_value(kr, "objective", objective)
        found.append(kr)
    return found


# --- what the digest, prompts and nudges need -----------------------------------------------------


@dataclass
class ChannelFacts:
    """Everything one channel's digest shows: a fixed number of statements whatever its size."""

    objectives: list[Objective]
    objective_count: int  # all the channel's active objectives, `objectives` being the first few
    key_results: dict[int, list[KeyResult]]  # objective id -> its active key results
    checkins: dict[int, list]  # key result id -> its check-ins since `since` (rows), oldest first
    sprint: Sprint | None
    sprint_key_results: list[KeyResult]  # the key results the current sprint serves (any channel)

    @property
    def sprint_aligned(self) -> bool:
        """Serves at least one active key result (of an active objective)."""
        return any(
            kr.status == Status.ACTIVE and kr.objective.status == Status.ACTIVE
            for kr in self.sprint_key_results
        )


def digest_channels(session: Session, workspace_id: int) -> dict[str, str]:
    """channel id -> who stands in for the setter of its default digest schedule: the owner of its
    earliest active objective, or, for a channel that only follows objectives (`/okr follow OBJ-n
    #channel`), whoever made its earliest follow. Two statements."""
    rows = session.execute(
        select(Objective.channel_id, Objective.owner_id)
        .where(
            Objective.workspace_id == workspace_id,
            Objective.status == Status.ACTIVE,
            Objective.channel_id.is_not(None),
            Objective.channel_id != "",
        )
        .order_by(Objective.number)
    )
    found: dict[str, str] = {}
    for channel_id, owner_id in rows:
        found.setdefault(channel_id, owner_id)
    following = session.execute(
        select(Follow.follower, Follow.created_by)
        .join(Objective, Objective.id == Follow.objective_id)
        .where(
            Follow.workspace_id == workspace_id,
            Follow.kind == FollowerKind.CHANNEL,
            Objective.status == Status.ACTIVE,
        )
        .order_by(Follow.id)
    )
    for channel_id, created_by in following:
        found.setdefault(channel_id, created_by)
    return found


# Built once: a digest run executes these for every channel, and building a statement costs more
# than SQLite takes to run it.
# A channel's objectives: its own and those it follows.
_FOLLOWED_HERE = select(Follow.objective_id).where(
    Follow.workspace_id == bindparam("workspace_id"),
    Follow.follower == bindparam("channel_id"),
    Follow.kind == FollowerKind.CHANNEL,
)
_channel = (
    Objective.workspace_id == bindparam("workspace_id"),
    or_(Objective.channel_id == bindparam("channel_id"), Objective.id.in_(_FOLLOWED_HERE)),
    Objective.status == Status.ACTIVE,
)
# The channel's first objectives, each with its active key results (one row per key result).
_CHANNEL_OBJECTIVES = (
    select(Objective, KeyResult)
    .outerjoin(KeyResult, and_(KeyResult.objective_id == Objective.id, KeyResult.status == Status.ACTIVE))
    .where(
        Objective.id.in_(
            select(Objective.id).where(*_channel).order_by(Objective.number).limit(bindparam("limit"))
        )
    )
    .order_by(Objective.number, KeyResult.position, KeyResult.number)
)
_COUNT_CHANNEL_OBJECTIVES = select(func.count()).select_from(Objective).where(*_channel)
_CHECKINS_SINCE = (
    select(
        CheckIn.id,
        CheckIn.key_result_id,
        CheckIn.value,
        CheckIn.confidence,
        CheckIn.note,
        CheckIn.author_id,
        CheckIn.created_at,
        CheckIn.origin,
    )
    .where(
        CheckIn.key_result_id.in_(bindparam("kr_ids", expanding=True)),
        CheckIn.created_at >= bindparam("since"),
    )
    .order_by(CheckIn.created_at, CheckIn.id)
)
# The channel's active sprint with the key results it serves, and their objectives (one row per key result).
_ACTIVE_SPRINT = (
    select(Sprint, KeyResult, Objective)
    .outerjoin(SprintKeyResult, SprintKeyResult.sprint_id == Sprint.id)
    .outerjoin(KeyResult, KeyResult.id == SprintKeyResult.key_result_id)
    .outerjoin(Objective, Objective.id == KeyResult.objective_id)
    .where(
        Sprint.workspace_id == bindparam("workspace_id"),
        Sprint.channel_id == bindparam("channel_id"),
        Sprint.status == Status.ACTIVE,
    )
    .order_by(KeyResult.number)
)


def channel_facts(
    session: Session, workspace_id: int, channel_id: str, *, since: datetime, limit: int = 40
) -> ChannelFacts:
    """The channel's first `limit` active objectives, its own and those it follows (and how many
    it has), their active key
    results, their check-ins since `since`, and the channel's sprint: three statements (a fourth
    counts the objectives when there are more than `limit`)."""
    channel = {"workspace_id": workspace_id, "channel_id": channel_id}
    objectives: list[Objective] = []
    key_results: dict[int, list[KeyResult]] = defaultdict(list)
    for objective, kr in session.execute(_CHANNEL_OBJECTIVES, {**channel, "limit": limit + 1}):
        if not objectives or objectives[-1] is not objective:
            objectives.append(objective)
        if kr is not None:
            key_results[objective.id].append(kr)
    count = len(objectives)
    if count > limit:
        objectives = objectives[:limit]
        count = session.scalar(_COUNT_CHANNEL_OBJECTIVES, channel) or 0
    checkins: dict[int, list] = defaultdict(list)
    kr_ids = [kr.id for objective in objectives for kr in key_results.get(objective.id, ())]
    if kr_ids:
        # Plain rows through Core, not ORM objects or ORM rows: a cycle of weekly check-ins
        # is hundreds per channel.
        rows = session.connection().execute(_CHECKINS_SINCE, {"kr_ids": kr_ids, "since": since}).all()
        for checkin in rows:
            checkins[checkin.key_result_id].append(checkin)
    sprint_rows = session.execute(_ACTIVE_SPRINT, channel).all()
    sprint = sprint_rows[0][0] if sprint_rows else None
    served: list[KeyResult] = []
    for _, kr, objective in sprint_rows:
        if kr is not None:
            set_committed_value(kr, "objective", objective)
            served.append(kr)
    return ChannelFacts(objectives, count, key_results, checkins, sprint, served)


def checkins_since(session: Session, key_result_ids: Iterable[int], since: datetime) -> dict[int, list]:
    """key result id -> its check-ins since `since` (plain rows), oldest first: one statement."""
    found: dict[int, list] = defaultdict(list)
    ids = sorted(set(key_result_ids))
    if not ids:
        return found
    for checkin in session.connection().execute(_CHECKINS_SINCE, {"kr_ids": ids, "since": since}):
        found[checkin.key_result_id].append(checkin)
    return found


def active_sprints(session: Session, workspace_id: int) -> list[Sprint]:
    return list(
        session.scalars(
            select(Sprint)
            .where(Sprint.workspace_id == workspace_id, Sprint.status == Status.ACTIVE)
            .order_by(Sprint.number)
        )
    )


def kra_owners(session: Session, workspace_id: int) -> list[str]:
    return sorted(
        set(
            session.scalars(
                select(Kra.owner_id).where(Kra.workspace_id == workspace_id, Kra.status == Status.ACTIVE)
            )
        )
    )


def objective_owners_in_cycles(
    session: Session, workspace_id: int, cycles: Iterable[str]
) -> dict[str, dict[str, list[Objective]]]:
    """cycle → owner → their active objectives of that cycle, for every one of `cycles`: one statement."""
    grouped: dict[str, dict[str, list[Objective]]] = {cycle: defaultdict(list) for cycle in cycles}
    rows = session.scalars(
        select(Objective)
        .where(
            Objective.workspace_id == workspace_id,
            Objective.cycle.in_(list(grouped)),
            Objective.status == Status.ACTIVE,
        )
        .order_by(Objective.number)
    )
    for objective in rows:
        grouped[objective.cycle][objective.owner_id].append(objective)
    return grouped


# --- the posted digest, kept true -----------------------------------------------------------------


def mark_stale(session: Session, workspace_id: int, objective_ids: Iterable[int], at: datetime) -> int:
    """A number of these objectives moved at `at`: the posted digests that show them (their own
    channel's and those of the channels following them) are stale. Two statements; the rows exist
    only for channels whose digest went out, so nothing is written for the others."""
    ids = sorted(set(objective_ids))
    if not ids:
        return 0
    own = select(Objective.channel_id).where(Objective.id.in_(ids), Objective.channel_id.is_not(None))
    following = select(Follow.follower).where(
        Follow.workspace_id == workspace_id, Follow.objective_id.in_(ids), Follow.kind == FollowerKind.CHANNEL
    )
    channels = set(session.scalars(own.union(following)))
    if not channels:
        return 0
    result = session.execute(
        update(DigestRefresh)
        .where(
            DigestRefresh.workspace_id == workspace_id,
            DigestRefresh.channel_id.in_(sorted(channels)),
            DigestRefresh.gone.is_(None),
        )
        .values(stale_since=at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def record_posted_digest(
    session: Session, workspace_id: int, channel_id: str, period: str, at: datetime, parts: list[str]
) -> None:
    """The channel's digest of `period` went out, showing the facts read at `at`."""
    row = session.get(DigestRefresh, (workspace_id, channel_id))
    if row is None:
        row = DigestRefresh(workspace_id=workspace_id, channel_id=channel_id)
        session.add(row)
    row.period, row.refreshed_at, row.parts, row.stale_since, row.gone = period, at, parts, None, None


def stale_digests(session: Session, workspace_id: int, refreshed_before: datetime) -> list[DigestRefresh]:
    """Posted digests a check-in made stale, last updated before `refreshed_before`: one statement."""
    return list(
        session.scalars(
            select(DigestRefresh)
            .where(
                DigestRefresh.workspace_id == workspace_id,
                DigestRefresh.gone.is_(None),
                DigestRefresh.stale_since.is_not(None),
                DigestRefresh.stale_since > DigestRefresh.refreshed_at,
                DigestRefresh.refreshed_at <= refreshed_before,
            )
            .order_by(DigestRefresh.channel_id)
        )
    )


def sent_delivery(
    session: Session, kind: str, workspace_id: int, target: str, period: str
) -> Delivery | None:
    """The delivery of that key, if it went out (its detail says where: channel and ts)."""
    return session.scalar(
        select(Delivery).where(
            Delivery.kind == kind,
            Delivery.workspace_id == workspace_id,
            Delivery.target == target,
            Delivery.period == period,
            Delivery.state == DeliveryState.SENT,
        )
    )
