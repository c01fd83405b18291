"""The settings modal's time zone picker end to end: the options Slack asks for as the admin
types a city, the zone it starts at, and a forged zone refused under the field. Signed requests,
a real database, the emulator."""

from __future__ import annotations

from sqlalchemy import select

from bot.ids import Action, Block, Callback
from bot.listeners import calendar as calendar_listeners
from bot.services.workspaces import workspace_for
from storage.models import Member, Workspace
from tests.conftest import ADMIN, CHANNEL, TEAM
from tests.factories import opened_view

ADMIN_TOKYO = "U0ADMINTKY"


def open_settings(slack, emulator, user_id: str = ADMIN, count: int = 1) -> dict:
    calendar_listeners.register(None)
    response = slack.command("/okr", "settings", user_id=user_id, team_id=TEAM, channel_id=CHANNEL)
    assert response.status == 200
    return opened_view(emulator, Callback.SETTINGS, count)


def zone_element(view: dict) -> dict:
    (block,) = [b for b in view["blocks"] if b.get("block_id") == Block.SET_TIMEZONE]
    return block["element"]


def offered(slack, view: dict, typed: str, user_id: str = ADMIN) -> list[dict]:
    response = slack.block_suggestion(Action.PICK_TIMEZONE, typed, view=view, user_id=user_id, team_id=TEAM)
    assert response.status == 200, response.text
    return response.json()["options"]


def stored_zone(db) -> str:
    with db.session() as session:
        return session.scalar(select(Workspace.timezone).where(Workspace.team_id == TEAM))


def test_typing_a_city_offers_its_zone_by_name(slack, emulator):
    view = open_settings(slack, emulator)
    options = offered(slack, view, "lond")
    assert (options[0]["value"], options[0]["text"]["text"]) == ("Europe/London", "London (Europe/London)")
    assert all("lond" in o["text"]["text"].lower() for o in options)


def test_a_city_in_other_case_and_with_spaces_is_found(slack, emulator):
    view = open_settings(slack, emulator)
    values = [o["value"] for o in offered(slack, view, "  NEW york ")]
    assert values[0] == "America/New_York"


def test_an_empty_query_offers_at_most_a_hundred(slack, emulator):
    view = open_settings(slack, emulator)
    options = offered(slack, view, "")
    assert 0 < len(options) <= 100
    assert emulator.violations == []


def test_nothing_matching_offers_the_list_for_nothing_typed(slack, emulator):
    view = open_settings(slack, emulator)
    assert offered(slack, view, "<!channel> zzzz") == offered(slack, view, "")


def test_the_picker_starts_at_the_workspaces_zone(slack, emulator, db):
    with db.session() as session:
        workspace_for(session, TEAM).timezone = "Pacific/Auckland"
    view = open_settings(slack, emulator)
    initial = zone_element(view)["initial_option"]
    assert (initial["value"], initial["text"]["text"]) == ("Pacific/Auckland", "Auckland (Pacific/Auckland)")


def test_a_workspace_with_no_zone_starts_at_the_admins_own(slack, emulator, db):
    emulator.add_user(ADMIN_TOKYO, TEAM, name="kenji", real_name="Kenji Sato", tz="Asia/Tokyo", is_admin=True)
    with db.session() as session:
        workspace_for(session, TEAM).timezone = ""
    view = open_settings(slack, emulator, ADMIN_TOKYO)
    assert zone_element(view)["initial_option"]["value"] == "Asia/Tokyo"


def test_a_workspace_with_no_zone_and_an_admin_with_none_starts_at_utc(slack, emulator, db):
    open_settings(slack, emulator)  # Ada Admin is now a known member, freshly seen
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        workspace.timezone = ""
        (member,) = session.scalars(select(Member).where(Member.user_id == ADMIN))
        member.tz = ""  # no zone of her own on record
    view = open_settings(slack, emulator, count=2)
    assert zone_element(view)["initial_option"]["value"] == "UTC"


def test_submitting_the_picked_zone_stores_it(slack, emulator, db):
    view = open_settings(slack, emulator)
    (london,) = [o for o in offered(slack, view, "london") if o["value"] == "Europe/London"]
    response = slack.submit_view(view, {Block.SET_TIMEZONE: london}, user_id=ADMIN, team_id=TEAM)
    assert response.status == 200 and not response.text.strip(), response.text
    assert stored_zone(db) == "Europe/London"


def test_a_forged_zone_gets_an_error_under_the_field_and_nothing_changes(slack, emulator, db):
    view = open_settings(slack, emulator)
    forged = {"text": {"type": "plain_text", "text": "Mars"}, "value": "Mars/Olympus_Mons"}
    response = slack.submit_view(
        view, {Block.SET_TIMEZONE: forged}, user_id=ADMIN, team_id=TEAM, validate=False
    )
    body = response.json()
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == [Block.SET_TIMEZONE]
    assert body["errors"][Block.SET_TIMEZONE] == (
        "“Mars/Olympus_Mons” is not a time zone; use a name like Europe/London or Pacific/Auckland"
    )
    assert stored_zone(db) == "UTC"
