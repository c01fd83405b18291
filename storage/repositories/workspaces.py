"""Workspaces, by team: what every scheduled job walks."""

from __future__ import annotations

from sqlalchemy import select
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
