"""App Home: gather what a person's Home shows, and publish it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.services.workspaces import Caller, unit_of_work
from bot.ui import home as ui
from storage.db import Database
from storage.models import Kpi, Kra, Workspace
from storage.repositories import kras as kra_repo

log = logging.getLogger(__name__)


@dataclass
class HomeData:
    user_id: str
    kras: list[Kra] = field(default_factory=list)
    kpis: dict[int, list[Kpi]] = field(default_factory=dict)
    kra_total: int = 0


def home_data(session: Session, workspace: Workspace, user_id: str) -> HomeData:
    page = kra_repo.list_kras(session, workspace.id, owner_id=user_id, limit=20)
    return HomeData(user_id=user_id, kras=page.kras, kpis=page.kpis, kra_total=page.total)


def publish(session: Session, client: WebClient, workspace: Workspace, user_id: str) -> None:
    view = ui.home_view(home_data(session, workspace, user_id))
    client.views_publish(user_id=user_id, view=view)


def refresh(db: Database, client: WebClient, who: Caller, *user_ids: str) -> None:
    """Re-publish the Home of everyone a change touched. Best effort: the change is already saved."""
    for user_id in dict.fromkeys(u for u in user_ids if u):
        try:
            with unit_of_work(db, who) as (session, workspace):
                publish(session, client, workspace, user_id)
        except SlackApiError as error:
            log.warning("views.publish failed for %s: %s", user_id, error.response.get("error"))
