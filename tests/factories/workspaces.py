"""Workspaces and the people in them, as the app and its background users.list pass leave them."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk import WebClient
from sqlalchemy import insert, select

from bot.services.workspaces import workspace_for
from storage.models import KeyResult, Member, Objective, Workspace
from tests.conftest import ALICE, BOB, CAROL, OTHER_TEAM, OTHER_TOKEN, TEAM, TOKEN
from tests.factories.rows import added


def make_workspace(db, team_id: str = TEAM, **fields) -> int:
    with db.session() as session:
        return added(session, Workspace(team_id=team_id, **fields)).id


def reminder_off(db, user_id: str = ALICE) -> None:
    """`/okr remind off`: what the weekly reminder would carry (a failing source, a nudge) is then
    sent on its own, by DM."""
    from storage.models import PersonPreference

    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        session.add(PersonPreference(workspace_id=workspace.id, user_id=user_id, muted="checkin"))


def listed(db, emulator, team: str = TEAM) -> None:
    """The background users.list pass over `team` (bot/jobs/roster.py) has run: Member rows hold
    what the emulator's users say now. Planning reads only those rows."""
    from bot.jobs.people import refresh_workspace

    with db.session() as session:
        workspace = session.scalar(select(Workspace).where(Workspace.team_id == team))
        session.expunge(workspace)
    token = {TEAM: TOKEN, OTHER_TEAM: OTHER_TOKEN}.get(team)
    if token is None:
        return  # a workspace a test made with a token of its own: its people are planned unseen
    assert refresh_workspace(db, WebClient(token=token, base_url=emulator.base_url), workspace).complete


OWNERS = (ALICE, BOB, CAROL)


def workspaces_for(db, *team_ids: str) -> None:
    """The workspaces of `team_ids`, as the app creates them on first contact."""
    with db.session() as session:
        for team_id in team_ids:
            workspace_for(session, team_id)


def make_people(db, emulator, people: int, team: str = TEAM, *, tz: str = "Europe/London") -> list[str]:
    """`people` owners, one active key result each, their users.info facts fresh in the cache (so a
    run measures the posts, not profile look-ups): bulk inserts, for thousands of people."""
    users = [f"U{n:07d}X" for n in range(people)]
    for user in users:
        emulator.add_user(user, team, name=user.lower(), tz=tz)
    fresh = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with db.session() as session:
        workspace = workspace_for(session, team)
        session.flush()
        wid = workspace.id
        session.execute(
            insert(Member),
            [{"workspace_id": wid, "user_id": u, "name": u, "tz": tz, "refreshed_at": fresh} for u in users],
        )
        session.execute(
            insert(Objective),
            [
                {
                    "workspace_id": wid,
                    "number": n + 1,
                    "title": f"Objective {n}",
                    "owner_id": u,
                    "cycle": "2026-Q4",
                    "created_by": u,
                    "description": "",
                }
                for n, u in enumerate(users)
            ],
        )
        ids = dict(
            session.execute(
                select(Objective.owner_id, Objective.id).where(Objective.workspace_id == wid)
            ).all()
        )
        session.execute(
            insert(KeyResult),
            [
                {
                    "workspace_id": wid,
                    "objective_id": ids[u],
                    "number": n + 1,
                    "title": "Ship it",
                    "start_value": 0.0,
                    "target_value": 10.0,
                    "owner_id": u,
                    "position": 0,
                }
                for n, u in enumerate(users)
            ],
        )
    return users
