"""Sprints: started and reviewed through Slack, or stored directly."""

from __future__ import annotations

from bot.ids import Callback
from tests.conftest import ALICE, CHANNEL, TEAM
from tests.factories.answers import view_opened


def start_sprint(slack, emulator, *, user=ALICE, channel=CHANNEL, values=None, count_before=None) -> dict:
    before = count_before if count_before is not None else len(emulator.calls_to("views.open"))
    slack.command("/sprint", "start", user_id=user, team_id=TEAM, channel_id=channel)
    calls = emulator.wait_for("views.open", count=before + 1)
    view = calls[-1].args["view"]
    assert view["callback_id"] == Callback.SPRINT_START
    response = slack.submit_view(view, values or {}, user_id=user, team_id=TEAM)
    assert response.status == 200, response.text
    assert response.json() is None, response.text
    return view


def open_review(slack, emulator, *, user=ALICE, count=1) -> dict:
    slack.command("/sprint", "end", user_id=user, team_id=TEAM, channel_id=CHANNEL)
    return view_opened(emulator, Callback.SPRINT_END, count=count)


def make_sprint(db, workspace_id, channel, *, starts, ends, number=1, name=None, goal="Ship it", links=()):
    from storage.models import Sprint, SprintKeyResult

    with db.session() as session:
        sprint = Sprint(
            workspace_id=workspace_id,
            number=number,
            channel_id=channel,
            name=name or f"Sprint {number}",
            goal=goal,
            starts_on=starts,
            ends_on=ends,
            created_by=ALICE,
        )
        session.add(sprint)
        session.flush()
        for kr_id in links:
            session.add(SprintKeyResult(sprint_id=sprint.id, key_result_id=kr_id, workspace_id=workspace_id))
        return sprint.id
