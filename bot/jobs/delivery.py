"""The at-most-once delivery log.

Every scheduled post has a key: (kind, workspace, target, period), e.g.
("checkin", 3, "U0ALICE", "2026-W48"). Before posting, a job *claims* the key by inserting its
Delivery row in a transaction of its own, committed at once; the unique constraint on the key
lets exactly one claimant win, whichever process or thread it is in. After posting it *marks*
the row sent (or skipped / failed).

What that guarantees, and what it does not:

- Two scheduler processes, or two threads, or `northline jobs run` beside the clock: each post
  goes out once; the loser of the INSERT sees an IntegrityError and moves on.
- A process killed (or a database gone) between claim and post leaves that one row "claimed":
  the post is *in doubt*. It may have gone out (killed after Slack answered, before `mark`) or
  not. Every scheduled message carries its key as message metadata, so a later run *settles* it
  (bot/jobs/settlement.py): it claims the settlement (``settle``), reads the conversation back
  from the claim time, and marks it sent if Slack has it, or sends it if Slack has not. Where the
  conversation cannot be read (no history scope for a channel, Slack failing), it stays in doubt,
  is counted and logged, and is never resent blindly. Everything that was not yet claimed is sent
  when the scheduler comes back (within the 6-hour window).
- A post Slack refused outright (an ``ok: false`` answer, a 429 we gave up on while stopping)
  certainly did not go out; ``release`` deletes its claim so the next run may send it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot import metrics
from bot.domain.clock import stored_now
from storage.db import Database, upsert_into
from storage.models import Delivery, DeliveryState

log = logging.getLogger(__name__)

# A claim older than this with no outcome is in doubt (its claimant died mid-post).
IN_DOUBT_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Key:
    kind: str
    workspace_id: int
    target: str
    period: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.workspace_id}/{self.target}/{self.period}"


# The statements a fan-out runs once or twice per post, built once: building them anew for every
# post cost more CPU than executing them (a thousand workspaces' Monday is a million of them).
_TABLE = Delivery.__table__
_CLAIM = insert(_TABLE)
_BY_KEY = (
    _TABLE.c.kind == bindparam("k_kind"),
    _TABLE.c.workspace_id == bindparam("k_workspace_id"),
    _TABLE.c.target == bindparam("k_target"),
    _TABLE.c.period == bindparam("k_period"),
)
_MARK = (
    update(_TABLE)
    .where(*_BY_KEY)
    .values(state=bindparam("state"), detail=bindparam("detail"), sent_at=bindparam("sent_at"))
)
_RELEASE = delete(_TABLE).where(*_BY_KEY, _TABLE.c.state == DeliveryState.CLAIMED)
_KEY_COLUMNS = ("kind", "workspace_id", "target", "period")
# INSERT … ON CONFLICT DO NOTHING RETURNING, built once per dialect and run with one parameter set
# per key: SQLAlchemy sends a batch as one multi-row INSERT ("insertmanyvalues") from one cached
# compilation. A statement with the rows inlined (`.values(rows)`) was compiled anew for every
# batch, which cost more CPU than the rest of claiming and marking together.
_CLAIM_MANY = {
    name: upsert_into(name, _TABLE)
    .on_conflict_do_nothing(index_elements=list(_KEY_COLUMNS))
    .returning(*(_TABLE.c[column] for column in _KEY_COLUMNS))
    for name in ("postgresql", "sqlite")
}


def _key_params(kind: str, workspace_id: int, target: str, period: str) -> dict:
    return {"k_kind": kind, "k_workspace_id": workspace_id, "k_target": target, "k_period": period}


def claim(
    db: Database,
    kind: str,
    workspace_id: int,
    target: str,
    period: str,
    *,
    state: DeliveryState = DeliveryState.CLAIMED,
    detail: dict | None = None,
) -> bool:
    """Insert the key's row, committed at once. False when someone already claimed it."""
    row = {
        "kind": kind,
        "workspace_id": workspace_id,
        "target": target,
        "period": period,
        "state": state,
        "claimed_at": stored_now(),
        "detail": detail,
    }
    try:
        with db.engine.begin() as connection:
            connection.execute(_CLAIM, row)
        return True
    except IntegrityError:
        return False


def claim_many(db: Database, keys: Sequence[Key]) -> set[Key]:
    """Claim many keys in one statement and one transaction: the keys this runner won (a key
    claimed before, by anyone, is not among them). INSERT … ON CONFLICT DO NOTHING RETURNING, which
    SQLite (3.35+) and PostgreSQL both have; any other database claims them one by one."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return set()
    statement = _CLAIM_MANY.get(db.engine.dialect.name)
    if statement is None:
        return {k for k in keys if claim(db, k.kind, k.workspace_id, k.target, k.period)}
    now = stored_now()
    rows = [
        {
            "kind": k.kind,
            "workspace_id": k.workspace_id,
            "target": k.target,
            "period": k.period,
            "state": DeliveryState.CLAIMED,
            "claimed_at": now,
            "detail": None,
        }
        for k in keys
    ]
    with db.engine.begin() as connection:
        return {Key(*row) for row in connection.execute(statement, rows)}


class Marks:
    """The outcomes of a batch of posts, written together: one transaction per batch, not one per
    post. A process that dies before `flush` leaves those posts claimed: in doubt, and settled
    later from Slack's history (bot/jobs/settlement.py)."""

    def __init__(self, db: Database):
        self.db = db
        self._marks: list[dict] = []
        self._releases: list[dict] = []
        self._lock = threading.Lock()

    def mark(self, key: Key, state: DeliveryState, detail: dict | None = None) -> None:
        sent_at = stored_now() if state == DeliveryState.SENT else None
        params = {**_key_params(*_fields(key)), "state": state, "detail": detail, "sent_at": sent_at}
        with self._lock:
            self._marks.append(params)

    def release(self, key: Key) -> None:
        with self._lock:
            self._releases.append(_key_params(*_fields(key)))

    def flush(self) -> None:
        with self._lock:
            marks, self._marks = self._marks, []
            releases, self._releases = self._releases, []
        if not marks and not releases:
            return
        with self.db.engine.begin() as connection:
            if marks:
                connection.execute(_MARK, marks)
            if releases:
                connection.execute(_RELEASE, releases)
        metrics.count_outcomes(params["state"] for params in marks)


def _fields(key: Key) -> tuple[str, int, str, str]:
    return (key.kind, key.workspace_id, key.target, key.period)


def mark(
    db: Database,
    kind: str,
    workspace_id: int,
    target: str,
    period: str,
    state: DeliveryState,
    detail: dict | None = None,
) -> None:
    """Record what became of a claimed post: sent, skipped or failed."""
    sent_at = stored_now() if state == DeliveryState.SENT else None
    with db.engine.begin() as connection:
        connection.execute(
            _MARK,
            {
                **_key_params(kind, workspace_id, target, period),
                "state": state,
                "detail": detail,
                "sent_at": sent_at,
            },
        )
    metrics.count_outcomes([state])


def release(db: Database, kind: str, workspace_id: int, target: str, period: str) -> None:
    """Forget a claim whose post certainly did not go out, so a later run may send it."""
    with db.engine.begin() as connection:
        connection.execute(_RELEASE, _key_params(kind, workspace_id, target, period))


def known(
    db: Database, kind: str, workspace_id: int, periods: Iterable[str]
) -> dict[tuple[str, str], Delivery]:
    """Every delivery of `kind` in these periods, by (target, period): one statement."""
    periods = sorted(set(periods))
    if not periods:
        return {}
    with db.session() as session:
        rows = session.scalars(
            select(Delivery).where(
                Delivery.kind == kind, Delivery.workspace_id == workspace_id, Delivery.period.in_(periods)
            )
        ).all()
    return {(row.target, row.period): row for row in rows}


def known_keys(db: Database, workspace_id: int, keys: Iterable[Key]) -> dict[tuple[str, str, str], Delivery]:
    """The deliveries of these keys (of any kinds), by (kind, target, period): one statement."""
    keys = list(keys)
    if not keys:
        return {}
    kinds, periods = sorted({k.kind for k in keys}), sorted({k.period for k in keys})
    with db.session() as session:
        rows = session.scalars(
            select(Delivery).where(
                Delivery.workspace_id == workspace_id, Delivery.kind.in_(kinds), Delivery.period.in_(periods)
            )
        ).all()
        session.expunge_all()
    return {(row.kind, row.target, row.period): row for row in rows}


_SETTLE = (
    update(_TABLE)
    .where(
        _TABLE.c.id == bindparam("row_id"),
        _TABLE.c.state == DeliveryState.CLAIMED,
        _TABLE.c.claimed_at == bindparam("seen"),
    )
    .values(claimed_at=bindparam("now"), detail=bindparam("detail"))
)


def settle(db: Database, row: Delivery) -> datetime | None:
    """Claim the settlement of a claim left in doubt, as a post is claimed: one conditional UPDATE
    that moves its claim time on, committed at once; exactly one runner's matches. Returns when
    the post was first claimed (Slack's history is read from then), or None when another runner
    settles it (or it was marked meanwhile). A settler that dies leaves the claim in doubt again,
    to be settled once IN_DOUBT_AFTER has passed anew."""
    detail = dict(row.detail or {})
    first = detail.get("first_claimed_at")
    since = datetime.fromisoformat(first) if first else row.claimed_at
    detail["first_claimed_at"] = since.isoformat()
    detail["settlements"] = int(detail.get("settlements", 0)) + 1
    with db.engine.begin() as connection:
        won = connection.execute(
            _SETTLE, {"row_id": row.id, "seen": row.claimed_at, "now": stored_now(), "detail": detail}
        ).rowcount
    return since if won == 1 else None


_reported: set[Key] = set()
_reported_lock = threading.Lock()


def in_doubt(row: Delivery, *, quiet: bool = False) -> bool:
    """True (and logged, once per process, unless `quiet`: it is about to be settled) when a claim
    was left without an outcome. Its age is read on the wall clock it was stamped with, not the
    run's own time (`jobs run --at` may run for a past time)."""
    if row.state != DeliveryState.CLAIMED:
        return False
    if stored_now() - row.claimed_at < IN_DOUBT_AFTER:
        return False  # probably another runner posting right now
    if quiet:
        return True
    key = Key(row.kind, row.workspace_id, row.target, row.period)
    with _reported_lock:
        if key in _reported:
            return True
        _reported.add(key)
    log.warning(
        "delivery %s was claimed at %s and never marked: in doubt, not resent (at most once)",
        key,
        row.claimed_at,
    )
    return True
