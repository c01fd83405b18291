"""The whole product's tables. Every row but Workspace belongs to exactly one workspace."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, query_expression, relationship

# Re-exported: the tables store the domain's vocabulary.
from bot.domain.clock import stored_now
from bot.domain.enums import Direction, KeyResultKind, ReviewDecision, SprintOutcome, Status

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _enum(enum_cls: type[StrEnum], name: str) -> SAEnum:
    # Stored as plain strings (no native enum types) so migrations stay simple on both databases.
    return SAEnum(
        enum_cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
    )


class ScheduleKind(StrEnum):
    DIGEST = "digest"
    CHECKIN = "checkin"
    SPRINT = "sprint"


class DeliveryState(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


class Workspace(Base):
    __tablename__ = "workspace"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    fiscal_year_start_month: Mapped[int] = mapped_column(Integer, default=1)
    # ISO weekdays that are working days, Monday=1 … Sunday=7.
    work_days: Mapped[str] = mapped_column(String(20), default="1,2,3,4,5")
    holiday_country: Mapped[str | None] = mapped_column(String(8))
    # A region of that country with its own holidays (the `holidays` package's subdivision, "ENG").
    holiday_subdivision: Mapped[str | None] = mapped_column(String(16))
    # A channel's digest when nobody set its own (`/okr settings`): ISO weekday and "HH:MM".
    digest_weekday: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    digest_time: Mapped[str] = mapped_column(String(5), default="16:00", server_default="16:00")
    # `/okr settings`: owners (not only admins) may bind their key results and KPIs to a declared
    # connection; workflow steps with nobody present may act for the person they name.
    owners_may_bind_sources: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    unattended_steps_allowed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Ask Northline may word answers with the operator's language model (docs/ai.md): on unless an
    # admin switches it off; nothing is sent at all while the operator declares no model.
    ai_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    installed_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now)
    uninstalled_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("team_id", name="uq_workspace_team_id"),)


class Member(Base):
    """A Slack user as we last saw them in users.info: time zone, admin flag, status."""

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255), default="")
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    tz_offset: Mapped[int] = mapped_column(Integer, default=0)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    status_text: Mapped[str] = mapped_column(String(255), default="")
    status_emoji: Mapped[str] = mapped_column(String(100), default="")
    paused_until: Mapped[date | None] = mapped_column(Date)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now)

    __table_args__ = (UniqueConstraint("workspace_id", "user_id", name="uq_member_workspace_user"),)


class PersonPreference(Base):
    """A person's own reminders (`/okr remind`, the reminder's snooze buttons): their weekday and
    time (in their own time zone, inside the team's work week), the kinds of DM they switched off,
    a snooze of this week's reminder, a week they skipped, and whether they hid App Home's
    first-week guide. No row: the team's defaults."""

    __tablename__ = "person_preference"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    reminder_weekday: Mapped[int | None] = mapped_column(Integer)  # ISO: Monday=1; None: the team's
    reminder_time: Mapped[str | None] = mapped_column(String(5))  # "HH:MM" their time; None: the team's
    # Kinds of message switched off (bot/domain/preferences.py MessageKind), comma-separated.
    muted: Mapped[str] = mapped_column(String(100), default="", server_default="")
    snoozed_until: Mapped[datetime | None] = mapped_column(DateTime)  # naive UTC
    snoozed_period: Mapped[str | None] = mapped_column(String(16))  # the reminder's week, "2026-W49"
    skipped_period: Mapped[str | None] = mapped_column(String(16))  # a week skipped, "2026-W49"
    guide_hidden_at: Mapped[datetime | None] = mapped_column(DateTime)  # *Hide this guide* on Home
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now, onupdate=stored_now)

    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id", name="uq_person_preference_workspace_user"),
    )


class RefCounter(Base):
    """The next number of each reference kind (KRA-n, KPI-n, OBJ-n, KR-n, SPR-n) per workspace."""

    __tablename__ = "ref_counter"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Kra(Base):
    __tablename__ = "kra"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(150), default="")
    channel_id: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[Status] = mapped_column(_enum(Status, "status"), default=Status.ACTIVE)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now, onupdate=stored_now)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The New KRA form that created it ("view:<view id>"): Slack may deliver one submission twice.
    creation_key: Mapped[str | None] = mapped_column(String(200))

    kpis: Mapped[list[Kpi]] = relationship(back_populates="kra", order_by="Kpi.position", lazy="raise")

    __table_args__ = (
        UniqueConstraint("workspace_id", "number", name="uq_kra_workspace_number"),
        UniqueConstraint("workspace_id", "creation_key", name="uq_kra_workspace_creation_key"),
        Index("ix_kra_workspace_owner", "workspace_id", "owner_id", "status"),
    )


class Kpi(Base):
    __tablename__ = "kpi"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    kra_id: Mapped[int] = mapped_column(ForeignKey("kra.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(150))
    unit: Mapped[str] = mapped_column(String(30), default="")
    target: Mapped[float] = mapped_column(Float)
    direction: Mapped[Direction] = mapped_column(_enum(Direction, "direction"), default=Direction.HIGHER)
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[Status] = mapped_column(_enum(Status, "status"), default=Status.ACTIVE)
    # The latest measurement, kept beside the history so lists never scan it.
    latest_value: Mapped[float | None] = mapped_column(Float)
    latest_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime | None] = mapped_column(DateTime, default=stored_now)

    kra: Mapped[Kra] = relationship(back_populates="kpis", lazy="raise")

    __table_args__ = (UniqueConstraint("workspace_id", "number", name="uq_kpi_workspace_number"),)


class KpiMeasurement(Base):
    __tablename__ = "kpi_measurement"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id", ondelete="CASCADE"))
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[str] = mapped_column(String(32))
    measured_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now)
    # One invocation of `/kra kpi` (its trigger_id): a replayed request finds this key taken.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Where the value came from, as on CheckIn.origin.
    origin: Mapped[str | None] = mapped_column(String(160))

    __table_args__ = (Index("ix_kpi_measurement_kpi_at", "kpi_id", "measured_at"),)


class KraReview(Base):
    """One keep / change / retire decision from the quarterly review."""

    __tablename__ = "kra_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    kra_id: Mapped[int] = mapped_column(ForeignKey("kra.id", ondelete="CASCADE"), index=True)
    decision: Mapped[ReviewDecision] = mapped_column(_enum(ReviewDecision, "review_decision"))
    note: Mapped[str] = mapped_column(Text, default="")
    reviewer_id: Mapped[str] = mapped_column(String(32))
    reviewed_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now)


class KraReviewer(Base):
    """Someone a person named (`/kra reviewer @someone`) to read their KRA review pack."""

    __tablename__ = "kra_reviewer"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(String(32))
    reviewer_id: Mapped[str] = mapped_column(String(32))
    named_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now)

    __table_args__ = (
        UniqueConstraint("workspace_id", "person_id", "reviewer_id", name="uq_kra_reviewer_workspace_person"),
        Index("ix_kra_reviewer_workspace_reviewer", "workspace_id", "reviewer_id"),
    )


class Objective(Base):
    __tablename__ = "objective"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[str] = mapped_column(String(32))
    cycle: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("objective.id", ondelete="SET NULL"))
    kra_id: Mapped[int | None] = mapped_column(ForeignKey("kra.id", ondelete="SET NULL"))
    status: Mapped[Status] = mapped_column(_enum(Status, "status"), default=Status.ACTIVE)
    # Stable identity of an objective imported from a YAML file, so re-importing changes nothing.
    import_key: Mapped[str | None] = mapped_column(String(150))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now, onupdate=stored_now)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The New objective form that created it ("view:<view id>"): one submission, one objective.
    creation_key: Mapped[str | None] = mapped_column(String(200))

    key_results: Mapped[list[KeyResult]] = relationship(
        back_populates="objective", order_by="KeyResult.position", lazy="raise"
    )

    __table_args__ = (
        UniqueConstraint("workspace_id", "number", name="uq_objective_workspace_number"),
        UniqueConstraint("workspace_id", "import_key", name="uq_objective_workspace_import_key"),
        UniqueConstraint("workspace_id", "creation_key", name="uq_objective_workspace_creation_key"),
        Index("ix_objective_workspace_cycle", "workspace_id", "cycle", "status"),
        Index("ix_objective_workspace_channel", "workspace_id", "channel_id"),
        Index("ix_objective_workspace_owner", "workspace_id", "owner_id"),
    )


class KeyResult(Base):
    __tablename__ = "key_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    objective_id: Mapped[int] = mapped_column(ForeignKey("objective.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(150))
    kind: Mapped[KeyResultKind] = mapped_column(
        _enum(KeyResultKind, "key_result_kind"), default=KeyResultKind.METRIC
    )
    start_value: Mapped[float] = mapped_column(Float, default=0.0)
    target_value: Mapped[float] = mapped_column(Float, default=1.0)
    unit: Mapped[str] = mapped_column(String(30), default="")
    owner_id: Mapped[str] = mapped_column(String(32))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[Status] = mapped_column(_enum(Status, "status"), default=Status.ACTIVE)
    final_score: Mapped[float | None] = mapped_column(Float)
    # The latest check-in, kept beside the append-only history so pages never scan it.
    current_value: Mapped[float | None] = mapped_column(Float)
    last_checkin_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_confidence: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime | None] = mapped_column(DateTime, default=stored_now)

    objective: Mapped[Objective] = relationship(back_populates="key_results", lazy="raise")
    # Whether a data source updates its number: loaded only by the queries that ask for it
    # (with_expression), None elsewhere.
    bound_to_source: Mapped[bool | None] = query_expression()

    __table_args__ = (
        UniqueConstraint("workspace_id", "number", name="uq_key_result_workspace_number"),
        Index("ix_key_result_workspace_owner", "workspace_id", "owner_id", "status"),
    )


class CheckIn(Base):
    """One progress update of one key result. Append-only: never updated, never deleted."""

    __tablename__ = "check_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    key_result_id: Mapped[int] = mapped_column(ForeignKey("key_result.id", ondelete="CASCADE"))
    value: Mapped[float] = mapped_column(Float)
    confidence: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now)
    # Slack may deliver the same submission twice; the second one finds this key taken.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Where the value came from: NULL typed in Slack, "api:NAME" an API token, "source:KIND" synced.
    origin: Mapped[str | None] = mapped_column(String(160))

    __table_args__ = (Index("ix_check_in_key_result_at", "key_result_id", "created_at"),)

    @property
    def automatic(self) -> bool:
        """The number updated itself (a bound data source); nobody typed it."""
        return bool(self.origin and self.origin.startswith("source:"))


class Sprint(Base):
    __tablename__ = "sprint"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    channel_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(150))
    goal: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[Status] = mapped_column(_enum(Status, "status"), default=Status.ACTIVE)
    outcome: Mapped[SprintOutcome | None] = mapped_column(_enum(SprintOutcome, "sprint_outcome"))
    review_note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now)
    ended_by: Mapped[str | None] = mapped_column(String(32))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        UniqueConstraint("workspace_id", "number", name="uq_sprint_workspace_number"),
        # One active sprint per channel, enforced by the database itself.
        Index(
            "uq_sprint_active_channel",
            "workspace_id",
            "channel_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )


class SprintKeyResult(Base):
    __tablename__ = "sprint_key_result"

    sprint_id: Mapped[int] = mapped_column(ForeignKey("sprint.id", ondelete="CASCADE"), primary_key=True)
    key_result_id: Mapped[int] = mapped_column(
        ForeignKey("key_result.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    # The key result's progress when the sprint ended, recorded with the review.
    progress_at_end: Mapped[float | None] = mapped_column(Float)


class Schedule(Base):
    """When a scheduled post goes out: a channel's digest, the workspace's check-in, a sprint cadence."""

    __tablename__ = "schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    kind: Mapped[ScheduleKind] = mapped_column(_enum(ScheduleKind, "schedule_kind"))
    # Empty string for workspace-wide schedules, so the unique constraint holds on every database.
    channel_id: Mapped[str] = mapped_column(String(32), default="")
    weekday: Mapped[int] = mapped_column(Integer)  # ISO: Monday=1
    time_of_day: Mapped[str] = mapped_column(String(5))  # "HH:MM"
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    length_weeks: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    paused_reason: Mapped[str] = mapped_column(String(255), default="")
    set_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now, onupdate=stored_now)

    __table_args__ = (
        UniqueConstraint("workspace_id", "kind", "channel_id", name="uq_schedule_workspace_kind_channel"),
    )


class Delivery(Base):
    """The at-most-once log: a post's key is claimed before posting and marked sent after."""

    __tablename__ = "delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(32))
    state: Mapped[DeliveryState] = mapped_column(
        _enum(DeliveryState, "delivery_state"), default=DeliveryState.CLAIMED
    )
    claimed_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    detail: Mapped[dict | None] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("kind", "workspace_id", "target", "period", name="uq_delivery_key"),)


class FollowerKind(StrEnum):
    PERSON = "person"
    CHANNEL = "channel"


class Follow(Base):
    """Someone following an objective they need not own: a person (its weekly movement in their
    check-in reminder) or a channel (the objective joins that channel's digest)."""

    __tablename__ = "follow"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    objective_id: Mapped[int] = mapped_column(ForeignKey("objective.id", ondelete="CASCADE"), index=True)
    kind: Mapped[FollowerKind] = mapped_column(_enum(FollowerKind, "follower_kind"))
    follower: Mapped[str] = mapped_column(String(32))  # a user id or a channel id
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now)

    __table_args__ = (
        UniqueConstraint("workspace_id", "objective_id", "follower", name="uq_follow_workspace_objective"),
        Index("ix_follow_workspace_follower", "workspace_id", "follower"),
    )


class DigestRefresh(Base):
    """A channel's posted digest and whether it is stale: a check-in after it went out sets
    `stale_since`; the clock's tick updates the posted messages in place (chat.update) at most
    once a minute and moves `refreshed_at` on. `gone`: Slack's answer when the message or its
    channel is no more (nothing is updated or posted again for that digest)."""

    __tablename__ = "digest_refresh"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(32))  # the digest's delivery period
    refreshed_at: Mapped[datetime] = mapped_column(DateTime)  # the time its shown facts were read
    stale_since: Mapped[datetime | None] = mapped_column(DateTime)
    # A fingerprint per posted part (the parent, then each thread reply): only a changed part is updated.
    parts: Mapped[list | None] = mapped_column(JSON)
    gone: Mapped[str | None] = mapped_column(String(64))


class WorkspaceLease(Base):
    """Which delivery worker holds a workspace, until when: one at a time, so its pacing holds
    across machines. A worker that dies stops renewing; its lease expires and another takes it."""

    __tablename__ = "workspace_lease"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class DeliveryUnit(Base):
    """A unit of delivery work (kind × workspace × tick, or a batch of one) that has run: a unit
    the broker hands out again (re-delivered, or enqueued by two clocks) is not run twice."""

    __tablename__ = "delivery_unit"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    holder: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class TokenPermission(StrEnum):
    READ = "read"
    WRITE = "write"


class ApiToken(Base):
    """A workspace's API token. The token itself is never stored: only its SHA-256 and a prefix."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in `/okr token list`, to recognise it
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    permission: Mapped[TokenPermission] = mapped_column(_enum(TokenPermission, "token_permission"))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(32))
    # Refused from this moment on (`/okr token new NAME write 90d`); NULL: no expiry.
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        # A name is reused only once the token that had it is revoked.
        Index(
            "uq_api_token_live_name",
            "workspace_id",
            "name",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )


class ApiIdempotency(Base):
    """The first answer to a write sent with an Idempotency-Key, replayed to any retry of it."""

    __tablename__ = "api_idempotency"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of method, path and body: the same key with another request is a conflict.
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now)

    __table_args__ = (UniqueConstraint("token_id", "key", name="uq_api_idempotency_token_key"),)


class ApiRateWindow(Base):
    """One rate limit's counts (a token, a workspace, a client address failing to authenticate):
    requests admitted in the current fixed window and in the one before it, from which the
    sliding window is estimated (bot/domain/sliding_window.py). In the database so that every web
    worker counts together; one row per key, moved on in place."""

    __tablename__ = "api_rate_window"

    key: Mapped[str] = mapped_column(
        String(80), primary_key=True
    )  # "token:12", "workspace:3", "auth:10.0.0.7"
    window_start: Mapped[datetime] = mapped_column(DateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)
    previous: Mapped[int] = mapped_column(Integer, default=0)


class SourceKind(StrEnum):
    SQL = "sql"
    HTTP = "http"


class SourceBinding(Base):
    """Where a key result's or a KPI's number comes from. Secrets stay in the environment: the
    binding names the variable (`env`), never holds its value."""

    __tablename__ = "source_binding"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    key_result_id: Mapped[int | None] = mapped_column(
        ForeignKey("key_result.id", ondelete="CASCADE"), unique=True
    )
    kpi_id: Mapped[int | None] = mapped_column(ForeignKey("kpi.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[SourceKind] = mapped_column(_enum(SourceKind, "source_kind"))
    # The operator-declared connection it reads through (its origin or database and its secret
    # live in the server's environment); NULL for a binding made before connections existed.
    connection: Mapped[str | None] = mapped_column(String(64))
    # http: the path and query under the connection's origin.
    path: Mapped[str | None] = mapped_column(String(2000))
    # sql: the variable holding the database URL; http: the variable holding the header's value.
    env: Mapped[str | None] = mapped_column(String(100))
    query: Mapped[str | None] = mapped_column(Text)  # sql
    url: Mapped[str | None] = mapped_column(String(2000))  # http
    pointer: Mapped[str | None] = mapped_column(String(500))  # http: RFC 6901 JSON pointer
    header: Mapped[str | None] = mapped_column(String(100))  # http: the header `env` fills
    every_minutes: Mapped[int] = mapped_column(Integer, default=60)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=stored_now)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_value: Mapped[float | None] = mapped_column(Float)
    # The last failure, in words safe to show (never a URL or a secret); NULL once it works again.
    last_error: Mapped[str | None] = mapped_column(String(500))
    failing_since: Mapped[datetime | None] = mapped_column(DateTime)
    # The owner is told once per run of failures: set when told, cleared by the next success.
    failure_notified_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (Index("ix_source_binding_workspace", "workspace_id"),)


__all__ = [
    "ApiIdempotency",
    "ApiToken",
    "Base",
    "CheckIn",
    "Delivery",
    "DeliveryState",
    "DigestRefresh",
    "Direction",
    "Follow",
    "FollowerKind",
    "KeyResult",
    "KeyResultKind",
    "Kpi",
    "KpiMeasurement",
    "Kra",
    "KraReview",
    "KraReviewer",
    "Member",
    "Objective",
    "RefCounter",
    "ReviewDecision",
    "Schedule",
    "ScheduleKind",
    "SourceBinding",
    "SourceKind",
    "Sprint",
    "SprintKeyResult",
    "SprintOutcome",
    "Status",
    "TokenPermission",
    "Workspace",
]


# slack_sdk's installation and OAuth state stores keep their rows in these tables. Built on our
# metadata so Alembic owns them; the stores themselves are pointed at the same table names.
INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
OAUTH_STATES_TABLE = "slack_oauth_states"


def _slack_store_tables() -> None:
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    SQLAlchemyInstallationStore.build_installations_table(Base.metadata, INSTALLATIONS_TABLE)
    SQLAlchemyInstallationStore.build_bots_table(Base.metadata, BOTS_TABLE)
    SQLAlchemyOAuthStateStore.build_oauth_states_table(Base.metadata, OAUTH_STATES_TABLE)


_slack_store_tables()
