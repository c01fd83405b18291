"""Channels with objectives and weeks of check-ins, for the weekly digest and its benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from bot.domain.cycles import cycle_for
from bot.services.workspaces import workspace_for
from storage.db import Database
from storage.models import CheckIn, KeyResult, Objective, RefCounter
from tests.conftest import ALICE, BOB, CAROL, CHANNEL, TEAM
from tests.factories.checkins import make_check_ins
from tests.factories.okr import make_key_result, make_objective
from tests.factories.rows import ids_by_number, insert_in_batches
from tests.factories.workspaces import OWNERS, make_workspace


def make_channel_with_objectives(
    db, emulator, *, objectives=2, key_results=3, channel=None, checkins=True, **ws
) -> int:
    """A workspace (London) whose `channel` has `objectives` objectives of `key_results` key results
    each, owned in turn by Alice, Bob and Carol; every other key result checked in twice."""
    channel = channel or CHANNEL
    workspace_id = make_workspace(db, timezone="Europe/London", **ws)
    for o in range(objectives):
        objective_id = make_objective(
            db, workspace_id, ALICE, channel=channel, title=f"Delight customers {o}"
        )
        for k in range(key_results):
            owner = (ALICE, BOB, CAROL)[k % 3]
            kr_id = make_key_result(db, workspace_id, objective_id, owner, title=f"Raise NPS {o}.{k}")
            if checkins and k % 2 == 0:
                make_check_ins(
                    db,
                    workspace_id,
                    kr_id,
                    owner,
                    [
                        (datetime(2026, 11, 20, 9), 20.0, "steady"),
                        (datetime(2026, 12, 1, 9), 35.0, "found a lever"),
                    ],
                    confidence="at_risk",
                )
    return workspace_id


def make_digest_data(
    db: Database,
    channels,
    objectives_per_channel: int,
    key_results: int,
    weeks: int,
    now,
    *,
    team_id: str = TEAM,
) -> int:
    """Digest data: for each channel id in `channels`, `objectives_per_channel` objectives of
    `now`'s cycle with `key_results` key results each, and one check-in per key result per week
    for the last `weeks` weeks (its latest also kept on the key result, as a check-in does). Some
    key results last checked in before this week's Monday, so every digest has owners to chase.
    `now` is naive UTC (or aware, then converted). Returns the workspace id."""
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    cycle = cycle_for(now.date()).name
    history = _DigestHistory(now, weeks)
    with db.session() as session:
        workspace = workspace_for(session, team_id)
        session.flush()
        objectives = [
            {
                "workspace_id": workspace.id,
                "number": c * objectives_per_channel + o + 1,
                "title": f"Objective {c}.{o}",
                "owner_id": OWNERS[(c + o) % 3],
                "cycle": cycle,
                "channel_id": channel,
                "created_by": OWNERS[(c + o) % 3],
                "description": "",
            }
            for c, channel in enumerate(channels)
            for o in range(objectives_per_channel)
        ]
        if objectives:
            session.execute(insert(Objective), objectives)
        objective_ids = ids_by_number(session, Objective, workspace.id)
        krs = [
            history.key_result(workspace.id, objective_ids[n], n, k, key_results)
            for n in range(1, len(objectives) + 1)
            for k in range(key_results)
        ]
        if krs:
            session.execute(insert(KeyResult), krs)
        kr_ids = ids_by_number(session, KeyResult, workspace.id)
        check_ins = (
            history.check_in(workspace.id, kr_ids[(n - 1) * key_results + k + 1], n, k, w)
            for n in range(1, len(objectives) + 1)
            for k in range(key_results)
            for w in range(weeks)
        )
        insert_in_batches(session, CheckIn, check_ins)
        last = len(objectives)
        for kind, number in (("OBJ", last), ("KR", last * key_results)):
            session.merge(RefCounter(workspace_id=workspace.id, kind=kind, last_number=number))
        return workspace.id


_CONFIDENCES = ("on_track", "at_risk", "off_track")


@dataclass(frozen=True)
class _DigestHistory:
    """The check-ins of make_digest_data, `weeks` weeks up to `now`. Key result k of objective n:
    its check-in w weeks back sits (n + k) % 5 days before that week's slot, so ages vary; values
    climb towards the target over the weeks."""

    now: datetime
    weeks: int

    def moment(self, n: int, k: int, w: int) -> datetime:
        return self.now - timedelta(days=7 * w + (n + k) % 5, hours=1 + k)

    def value(self, n: int, k: int, w: int) -> float:
        weeks = self.weeks
        return round(min(100.0, (weeks - w) * 100.0 / max(weeks, 1) * (0.6 + 0.1 * ((n + k) % 5))), 1)

    def key_result(self, workspace_id: int, objective_id: int, n: int, k: int, per_objective: int) -> dict:
        """Key result k of objective n, its latest check-in (if any) kept on it."""
        checked_in = self.weeks > 0
        return {
            "workspace_id": workspace_id,
            "objective_id": objective_id,
            "number": (n - 1) * per_objective + k + 1,
            "title": f"Key result {n}.{k}",
            "start_value": 0.0,
            "target_value": 100.0,
            "unit": "%",
            "owner_id": OWNERS[(n + k) % 3],
            "weight": 1.0,
            "position": k,
            "current_value": self.value(n, k, 0) if checked_in else None,
            "last_checkin_at": self.moment(n, k, 0) if checked_in else None,
            "last_confidence": _CONFIDENCES[(n + k) % 3] if checked_in else None,
        }

    def check_in(self, workspace_id: int, kr_id: int, n: int, k: int, w: int) -> dict:
        """The check-in on key result k of objective n, w weeks back."""
        return {
            "workspace_id": workspace_id,
            "key_result_id": kr_id,
            "value": self.value(n, k, w),
            "confidence": _CONFIDENCES[(n + k + w) % 3],
            "note": "steady progress" if w % 2 else "",
            "author_id": OWNERS[(n + k) % 3],
            "created_at": self.moment(n, k, w),
        }
