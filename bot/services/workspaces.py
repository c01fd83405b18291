"""Workspaces, who is asking (Caller, unit_of_work) and per-workspace reference numbers. The
member cache is bot/services/members.py."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.references import RefKind

# after_commit is re-exported: listeners queue Slack effects on the unit of work they open here.
from storage.db import Database
from storage.db import after_commit as after_commit
from storage.models import RefCounter, Workspace
from storage.repositories import workspaces as workspaces_repo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    """Who is asking, from where."""

    team_id: str
    enterprise_id: str | None
    user_id: str
    channel_id: str | None = None


@contextmanager
def unit_of_work(db: Database, who: Caller) -> Iterator[tuple[Session, Workspace]]:
    """A session (committed at the end, rolled back whole on error) and the caller's workspace."""
    with db.session() as session:
        yield session, workspace_for(session, who.team_id, who.enterprise_id)


def workspace_for(session: Session, team_id: str, enterprise_id: str | None = None) -> Workspace:
    """The workspace a request belongs to, created on its first request."""
    workspace = workspaces_repo.by_team(session, team_id)
    if workspace is not None:
        if workspace.uninstalled_at is not None:
            workspace.uninstalled_at = None  # a request got through, so it is installed again
        return workspace
    workspace = Workspace(team_id=team_id, enterprise_id=enterprise_id)
    try:
        with session.begin_nested():
            session.add(workspace)
    except IntegrityError:  # another request created it a moment ago
        workspace = session.scalars(select(Workspace).where(Workspace.team_id == team_id)).one()
    return workspace


def next_number(session: Session, workspace_id: int, kind: RefKind) -> int:
    """The next KRA-n / OBJ-n / … number. The UPDATE locks the counter row until commit."""
    where = (RefCounter.workspace_id == workspace_id) & (RefCounter.kind == kind.value)
    updated = session.execute(update(RefCounter).where(where).values(last_number=RefCounter.last_number + 1))
    if updated.rowcount == 0:
        try:
            with session.begin_nested():
                session.add(RefCounter(workspace_id=workspace_id, kind=kind.value, last_number=1))
            return 1
        except IntegrityError:
            session.execute(update(RefCounter).where(where).values(last_number=RefCounter.last_number + 1))
    return session.scalars(select(RefCounter.last_number).where(where)).one()
