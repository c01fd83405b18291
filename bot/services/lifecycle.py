"""A workspace's data after uninstalling: kept for the retention period, then purged whole."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.domain.clock import stored_now
from storage.db import Database
from storage.models import BOTS_TABLE, INSTALLATIONS_TABLE, Base, Workspace
from storage.repositories import workspaces as workspaces_repo

log = logging.getLogger(__name__)


def mark_uninstalled(
    session: Session, team_id: str | None, enterprise_id: str | None, now: datetime | None = None
):
    if not team_id:
        return
    workspace = workspaces_repo.by_team(session, team_id)
    if workspace is not None and workspace.uninstalled_at is None:
        workspace.uninstalled_at = now or stored_now()


def app_uninstalled(
    db: Database, team_id: str | None, enterprise_id: str | None, now: datetime | None = None
) -> None:
    """The app_uninstalled event: the workspace is marked uninstalled, in its own transaction; its
    data stays for the retention period (purge_expired)."""
    with db.session() as session:
        mark_uninstalled(session, team_id, enterprise_id, now)


def due_for_purge(session: Session, retention_days: int, now: datetime | None = None) -> list[Workspace]:
    cutoff = (now or stored_now()) - timedelta(days=retention_days)
    return list(
        session.scalars(
            select(Workspace).where(Workspace.uninstalled_at.is_not(None), Workspace.uninstalled_at <= cutoff)
        )
    )


def purge(db: Database, team_id: str) -> bool:
    """Delete every row of one workspace, its stored tokens included. Other workspaces untouched."""
    with db.session() as session:
        workspace = workspaces_repo.by_team(session, team_id)
        if workspace is None:
            return False
        # Every table hangs off workspace.id with ON DELETE CASCADE; delete children explicitly
        # too, so a database with foreign keys switched off (old SQLite files) is purged whole.
        for table in reversed(Base.metadata.sorted_tables):
            if "workspace_id" in table.c and table.name != "workspace":
                session.execute(delete(table).where(table.c.workspace_id == workspace.id))
        for name in (INSTALLATIONS_TABLE, BOTS_TABLE):
            table = Base.metadata.tables[name]
            session.execute(delete(table).where(table.c.team_id == team_id))
        session.execute(delete(Workspace).where(Workspace.id == workspace.id))
    log.info("purged workspace %s", team_id)
    return True


def purge_expired(db: Database, retention_days: int, now: datetime | None = None) -> list[str]:
    with db.session() as session:
        teams = [w.team_id for w in due_for_purge(session, retention_days, now)]
    return [team for team in teams if purge(db, team)]
