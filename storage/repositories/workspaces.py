"""Workspaces, by team: what every scheduled job walks."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from storage.models import (
    Workspace,
)


def workspaces(session: Session, team_id: str | None = None) -> list[Workspace]:
    """Installed workspaces (or the one with `team_id`), in a stable order."""
    query = select(Workspace).where(Workspace.uninstalled_at.is_(None)).order_by(Workspace.id)
    if team_id:
        query = query.where(Workspace.team_id == team_id)
    return list(session.scalars(query))


# Built once, not per call: every unit of work looks its workspace up, and building a select and
# its cache key costs about as much CPU as running it (bench/REPORT.md, "CPU per command").
_BY_TEAM = select(Workspace).where(Workspace.team_id == bindparam("team_id"))


def by_team(session: Session, team_id: str) -> Workspace | None:
    """The workspace of `team_id`, installed or not."""
    return session.scalar(_BY_TEAM, {"team_id": team_id})
