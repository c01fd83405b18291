"""The settings modal's holiday calendar pickers end to end: countries and regions offered by
name as the admin types, the values they start at, what a submission stores, and bad or stale
choices refused under the exact field. Signed requests, a real database, the emulator."""

from __future__ import annotations

from sqlalchemy import select

from bot.ids import Action, Block, Callback
from bot.listeners import calendar as calendar_listeners
from bot.services.workspaces import workspace_for
from storage.models import Workspace
from tests.conftest import ADMIN, CHANNEL, TEAM
from tests.factories import opened_view


def open_settings(slack, emulator, count: int = 1) -> dict:
    calendar_listeners.register(None)
    response = slack.command("/okr", "settings", user_id=ADMIN, team_id=TEAM, channel_id=CHANNEL)
    assert response.status == 200
    return opened_view(emulator, Callback.SETTINGS, count)


def offered(slack, view: dict, action: str, typed: str) -> list[tuple[str, str]]:
    response = slack.block_suggestion(action, typed, view=view, user_id=ADMIN, team_id=TEAM)
    assert response.status == 200, response.text
    return [(o["text"]["text"], o["value"]) for o in response.json()["options"]]


def element(view: dict, block_id: str) -> dict:
    (block,) = [b for b in view["blocks"] if b.get("block_id") == block_id]
    return block["element"]


def stored(db) -> tuple[str | None, str | None]:
    with db.session() as session:
        row = session.execute(
            select(Workspace.holiday_country, Workspace.holiday_subdivision).where(Workspace.team_id == TEAM)
        ).one()
        return (row[0], row[1])


def set_holidays(db, country: str | None, region: str | None) -> None:
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        workspace.holiday_country, workspace.holiday_subdivision = country, region


def option(text: str, value: str) -> dict:
    return {"text": {"type": "plain_text", "text": text, "emoji": True}, "value": value}


# --- the options Slack asks for --------------------------------------------------------------


def test_typing_a_country_offers_it_by_name(slack, emulator):
    view = open_settings(slack, emulator)
    assert offered(slack, view, Action.PICK_HOLIDAY_COUNTRY, "new zea") == [("New Zealand", "NZ")]
    assert offered(slack, view, Action.PICK_HOLIDAY_COUNTRY, "  UNITED k") == [("United Kingdom", "GB")]


def test_a_countrys_code_still_finds_it_first(slack, emulator):
    view = open_settings(slack, emulator)
    assert offered(slack, view, Action.PICK_HOLIDAY_COUNTRY, "gb")[0] == ("United Kingdom", "GB")


def test_nothing_typed_offers_no_holidays_first_and_at_most_a_hundred(slack, emulator):
    view = open_settings(slack, emulator)
    options = offered(slack, view, Action.PICK_HOLIDAY_COUNTRY, "")
    assert options[:3] == [("No public holidays", "none"), ("Afghanistan", "AF"), ("Aland Islands", "AX")]
    assert len(options) == 100
    assert emulator.violations == []


def test_a_country_matching_nothing_offers_the_list_for_nothing_typed(slack, emulator):
    view = open_settings(slack, emulator)
    options = offered(slack, view, Action.PICK_HOLIDAY_COUNTRY, "<!channel> zzzz")
    assert options[:2] == [("No public holidays", "none"), ("Afghanistan", "AF")]


def test_the_regions_of_the_workspaces_country_come_by_name(slack, emulator, db):
    set_holidays(db, "GB", None)
    view = open_settings(slack, emulator)
    assert offered(slack, view, Action.PICK_HOLIDAY_REGION, "") == [
        ("The whole country", "none"),
        ("England (United Kingdom)", "GB-ENG"),
        ("Northern Ireland (United Kingdom)", "GB-NIR"),
        ("Scotland (United Kingdom)", "GB-SCT"),
        ("Wales (United Kingdom)", "GB-WLS"),
    ]


def test_typing_a_region_finds_it_in_any_country_with_its_countrys_name(slack, emulator):
    view = open_settings(slack, emulator)
    assert offered(slack, view, Action.PICK_HOLIDAY_REGION, "bay") == [
        ("Bayern (Germany)", "DE-BY"),
        ("Bay of Plenty (New Zealand)", "NZ-BOP"),
        ("Hawke's Bay (New Zealand)", "NZ-HKB"),
    ]


def test_a_name_is_found_without_its_accents(slack, emulator):
    view = open_settings(slack, emulator)
    assert offered(slack, view, Action.PICK_HOLIDAY_REGION, "thuringen") == [("Thüringen (Germany)", "DE-TH")]
    assert offered(slack, view, Action.PICK_HOLIDAY_COUNTRY, "cote d") == [("Côte d'Ivoire", "CI")]


def test_the_workspaces_country_ranks_its_regions_first(slack, emulator, db):
    set_holidays(db, "US", None)
    view = open_settings(slack, emulator)
    assert offered(slack, view, Action.PICK_HOLIDAY_REGION, "cal")[:2] == [
        ("California (United States)", "US-CA"),
        ("Caltanissetta (Italy)", "IT-CL"),
    ]


def test_picking_a_country_makes_the_region_list_follow_it(slack, emulator, db):
    set_holidays(db, "GB", None)
    view = open_settings(slack, emulator)
    slack.action(
        Action.PICK_HOLIDAY_COUNTRY, option("New Zealand", "NZ"), view=view, user_id=ADMIN, team_id=TEAM
    )
    (update,) = emulator.wait_for("views.update", count=1)
    redrawn = update.response["view"]
    # The same form, nothing stored, and Slack keeps what was entered in it.
    inputs = [[b["block_id"] for b in v["blocks"] if b["type"] == "input"] for v in (redrawn, view)]
    assert inputs[0] == inputs[1]
    assert stored(db) == ("GB", None)
    assert offered(slack, redrawn, Action.PICK_HOLIDAY_REGION, "")[:3] == [
        ("The whole country", "none"),
        ("Auckland (New Zealand)", "NZ-AUK"),
        ("Bay of Plenty (New Zealand)", "NZ-BOP"),
    ]
    assert emulator.violations == []


def test_a_region_matching_nothing_offers_the_whole_country(slack, emulator):
    view = open_settings(slack, emulator)
    assert offered(slack, view, Action.PICK_HOLIDAY_REGION, "zzzz") == [("The whole country", "none")]


# --- where the pickers start -----------------------------------------------------------------


def test_the_pickers_start_at_the_stored_country_and_region_by_name(slack, emulator, db):
    set_holidays(db, "NZ", "AUK")
    view = open_settings(slack, emulator)
    country = element(view, Block.SET_HOLIDAY_COUNTRY)
    region = element(view, Block.SET_HOLIDAY_REGION)
    assert (
        country["type"],
        country["initial_option"]["text"]["text"],
        country["initial_option"]["value"],
    ) == (
        "external_select",
        "New Zealand",
        "NZ",
    )
    assert (region["initial_option"]["text"]["text"], region["initial_option"]["value"]) == (
        "Auckland (New Zealand)",
        "NZ-AUK",
    )
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    hints = [blocks[b]["hint"]["text"] for b in (Block.SET_HOLIDAY_COUNTRY, Block.SET_HOLIDAY_REGION)]
    assert hints == [
        "Its public holidays move reminders to the next work day. “No public holidays”: none.",
        "A part of the country with public holidays of its own (England, California, Bayern). "
        "Empty or “The whole country”: the country's holidays.",
    ]


def test_with_no_holidays_the_pickers_start_empty(slack, emulator):
    view = open_settings(slack, emulator)
    assert "initial_option" not in element(view, Block.SET_HOLIDAY_COUNTRY)
    assert "initial_option" not in element(view, Block.SET_HOLIDAY_REGION)


# --- what a submission stores ----------------------------------------------------------------


def test_submitting_a_country_and_region_picked_by_name_stores_their_codes(slack, emulator, db):
    view = open_settings(slack, emulator)
    values = {
        Block.SET_HOLIDAY_COUNTRY: option("New Zealand", "NZ"),
        Block.SET_HOLIDAY_REGION: option("Auckland (New Zealand)", "NZ-AUK"),
    }
    response = slack.submit_view(view, values, user_id=ADMIN, team_id=TEAM)
    assert response.status == 200 and not response.text.strip(), response.text
    assert stored(db) == ("NZ", "AUK")
    emulator.wait_for("chat.postMessage")
    (dm,) = [
        c.args["text"] for c in emulator.calls_to("chat.postMessage", ok=True) if c.args["channel"] == ADMIN
    ]
    assert "Holidays: none → Auckland, New Zealand" in dm


def test_no_public_holidays_clears_the_country_and_its_region(slack, emulator, db):
    set_holidays(db, "GB", "ENG")
    view = open_settings(slack, emulator)
    values = {
        Block.SET_HOLIDAY_COUNTRY: option("No public holidays", "none"),
        Block.SET_HOLIDAY_REGION: option("The whole country", "none"),
    }
    response = slack.submit_view(view, values, user_id=ADMIN, team_id=TEAM)
    assert response.status == 200 and not response.text.strip(), response.text
    assert stored(db) == (None, None)


def test_the_whole_country_keeps_the_country_and_drops_the_region(slack, emulator, db):
    set_holidays(db, "GB", "ENG")
    view = open_settings(slack, emulator)
    response = slack.submit_view(
        view, {Block.SET_HOLIDAY_REGION: option("The whole country", "none")}, user_id=ADMIN, team_id=TEAM
    )
    assert response.status == 200 and not response.text.strip(), response.text
    assert stored(db) == ("GB", None)


def test_a_region_of_another_country_is_refused_under_the_region(slack, emulator, db):
    set_holidays(db, "GB", "ENG")
    view = open_settings(slack, emulator)
    # England was picked, then the country changed to Germany: the region is stale.
    values = {Block.SET_HOLIDAY_COUNTRY: option("Germany", "DE")}
    response = slack.submit_view(view, values, user_id=ADMIN, team_id=TEAM)
    body = response.json()
    assert body["response_action"] == "errors"
    assert body["errors"] == {
        Block.SET_HOLIDAY_REGION: "England, United Kingdom is not in Germany; pick one of its regions "
        "(Augsburg, Baden-Württemberg, Bayern, Berlin, Brandenburg, Bremen, Hamburg, Hessen, "
        "Mecklenburg-Vorpommern, Niedersachsen, Nordrhein-Westfalen, Rheinland-Pfalz, …) "
        "or “The whole country”"
    }
    assert stored(db) == ("GB", "ENG")


def test_a_forged_country_is_refused_under_the_country(slack, emulator, db):
    view = open_settings(slack, emulator)
    values = {Block.SET_HOLIDAY_COUNTRY: option("Atlantis", "<!here>")}
    response = slack.submit_view(view, values, user_id=ADMIN, team_id=TEAM, validate=False)
    body = response.json()
    assert body["errors"] == {
        Block.SET_HOLIDAY_COUNTRY: "“@\u200bhere” is not a country the holiday calendar knows; "
        "pick one from the list, or “No public holidays”"
    }
    assert stored(db) == (None, None)


def test_a_forged_region_is_refused_under_the_region(slack, emulator, db):
    view = open_settings(slack, emulator)
    values = {
        Block.SET_HOLIDAY_COUNTRY: option("New Zealand", "NZ"),
        Block.SET_HOLIDAY_REGION: option("Mordor", "NZ-MOR"),
    }
    response = slack.submit_view(view, values, user_id=ADMIN, team_id=TEAM, validate=False)
    body = response.json()
    assert list(body["errors"]) == [Block.SET_HOLIDAY_REGION]
    assert body["errors"][Block.SET_HOLIDAY_REGION].startswith("New Zealand has no region “MOR”; pick one of")
    assert stored(db) == (None, None)
