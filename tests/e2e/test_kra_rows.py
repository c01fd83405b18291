"""Each KRA of `/kra list` carries what the reader may do with it (*Show*, *Edit*, *Log a value*
for each KPI), and each KPI of `/kra show` its *Log a value*. The list may be old when clicked:
rights and state are checked again, and a refusal is a clear answer that changes nothing."""

from __future__ import annotations

from sqlalchemy import update

from bot.ids import Action, Block, Callback
from storage.models import Kpi, KpiMeasurement, Kra, Status
from tests.conftest import ADMIN, ALICE, BOB, CHANNEL, TEAM
from tests.factories import answer, by_block, count, make_kra_via_slack, opened_view

THREE_KPIS = (("NPS", "50", ""), ("Churn", "2", "%"), ("First response time", "6", "h"))


def _list(slack, user=ALICE, words="list all") -> dict:
    return answer(slack, "/kra", words, user_id=user, channel_id=CHANNEL)


def _row(payload: dict) -> dict:
    (accessory,) = [b["accessory"] for b in payload["blocks"] if b["type"] == "section" and "accessory" in b]
    return accessory


def _menu(payload: dict) -> list[tuple[str, str]]:
    row = _row(payload)
    assert row["type"] == "overflow" and row["action_id"] == "kra_row"
    return [(o["text"]["text"], o["value"]) for o in row["options"]]


def _pick(slack, payload: dict, value: str, user=ALICE) -> None:
    slack.action(
        Action.KRA_ROW, value, message=payload, user_id=user, team_id=TEAM, ephemeral=True, channel_id=CHANNEL
    )


def _told(emulator) -> list[str]:
    return [c.args.get("text", "") for c in emulator.calls_to("response_url")] + [
        c.args.get("text", "") for c in emulator.calls_to("chat.postEphemeral")
    ]


def test_the_owner_gets_a_menu_with_show_edit_and_each_kpi(slack, emulator):
    make_kra_via_slack(slack, emulator, kpis=THREE_KPIS)
    listed = _list(slack)
    assert _menu(listed) == [
        ("Show KRA-1", "show KRA-1"),
        ("Edit KRA-1", "edit KRA-1"),
        ("Log a value: KPI-1 NPS", "log KPI-1"),
        ("Log a value: KPI-2 Churn", "log KPI-2"),
        ("Log a value: KPI-3 First response time", "log KPI-3"),
    ]
    assert not any(b["type"] == "actions" for b in listed["blocks"])  # the menus replace the list's button
    assert emulator.violations == []


def test_others_get_show_and_admins_show_and_edit(slack, emulator):
    make_kra_via_slack(slack, emulator)
    show = _row(_list(slack, user=BOB))
    assert (show["type"], show["text"]["text"], show["action_id"], show["value"]) == (
        "button",
        "Show",
        "show_kra",
        "KRA-1",
    )
    assert _menu(_list(slack, user=ADMIN)) == [("Show KRA-1", "show KRA-1"), ("Edit KRA-1", "edit KRA-1")]


def test_show_answers_with_the_card_below_the_list(slack, emulator):
    make_kra_via_slack(slack, emulator)
    _pick(slack, _list(slack), "show KRA-1")
    shown = slack.wait_for_response_url()
    assert shown["text"] == "KRA-1 Customer satisfaction"
    assert shown["response_type"] == "ephemeral" and shown.get("replace_original") is False
    slack.action(
        Action.SHOW_KRA,
        message=_list(slack, user=BOB),
        user_id=BOB,
        team_id=TEAM,
        ephemeral=True,
        channel_id=CHANNEL,
    )
    theirs = slack.wait_for_response_url()
    assert theirs["text"] == "KRA-1 Customer satisfaction"
    assert not any(b["type"] == "actions" or "accessory" in b for b in theirs["blocks"])
    assert emulator.violations == []


def test_edit_opens_the_edit_form(slack, emulator):
    make_kra_via_slack(slack, emulator)
    before = len(emulator.calls_to("views.open", ok=True))
    _pick(slack, _list(slack), "edit KRA-1")
    assert opened_view(emulator, Callback.KRA_EDIT, count=before + 1)["private_metadata"] == '{"kra": 1}'


def test_log_a_value_opens_the_form_on_that_kpi_with_its_last_value(slack, emulator, db):
    make_kra_via_slack(slack, emulator, kpis=THREE_KPIS)
    answer(slack, "/kra", "kpi KPI-2 3.5%", user_id=ALICE)
    before = len(emulator.calls_to("views.open", ok=True))
    _pick(slack, _list(slack), "log KPI-2")
    view = opened_view(emulator, Callback.KPI_LOG, count=before + 1)
    blocks = by_block(view)
    assert blocks[Block.KPI_LOG_KPI]["element"]["initial_option"]["value"] == "2"
    assert blocks["kpi_log_value_2"]["element"]["initial_value"] == "3.5"
    assert blocks["kpi_log_value_2"]["label"]["text"] == "Value (%)"
    slack.submit_view(view, {"kpi_log_value_2": "3"}, user_id=ALICE, team_id=TEAM)
    assert count(db, KpiMeasurement) == 2
    assert emulator.violations == []


def test_log_a_value_beside_each_kpi_of_kra_show(slack, emulator):
    make_kra_via_slack(slack, emulator, kpis=THREE_KPIS)
    shown = answer(slack, "/kra", "show KRA-1", user_id=ALICE)
    # Slack gives each block of a message an id of its own when the app gives none.
    shown["blocks"] = [{"block_id": f"b{n}", **block} for n, block in enumerate(shown["blocks"])]
    (third,) = [b["block_id"] for b in shown["blocks"] if b.get("accessory", {}).get("value") == "KPI-3"]
    before = len(emulator.calls_to("views.open", ok=True))
    slack.action(Action.LOG_KPI, message=shown, block_id=third, user_id=ALICE, team_id=TEAM, ephemeral=True)
    view = opened_view(emulator, Callback.KPI_LOG, count=before + 1)
    assert by_block(view)[Block.KPI_LOG_KPI]["element"]["initial_option"]["value"] == "3"


def test_an_old_menu_changes_nothing_once_the_kra_is_archived(slack, emulator, db):
    make_kra_via_slack(slack, emulator)
    listed = _list(slack)
    answer(slack, "/kra", "archive KRA-1", user_id=ALICE)
    opened = len(emulator.calls_to("views.open"))
    _pick(slack, listed, "edit KRA-1")
    _pick(slack, listed, "log KPI-1")
    slack.settle()
    assert len(emulator.calls_to("views.open")) == opened
    told = _told(emulator)
    assert sum("KRA-1 is archived" in t for t in told) == 2, told
    _pick(slack, listed, "show KRA-1")
    card = slack.wait_for_response_url()
    assert "archived: its history is kept" in str(card["blocks"])
    assert not any(b["type"] == "actions" or "accessory" in b for b in card["blocks"])
    assert count(db, KpiMeasurement) == 0


def test_an_old_log_button_on_a_removed_kpi_changes_nothing(slack, emulator, db):
    make_kra_via_slack(slack, emulator, kpis=THREE_KPIS[:2])
    shown = answer(slack, "/kra", "show KRA-1", user_id=ALICE)
    listed = _list(slack)
    with db.session() as session:  # KPI-2 cleared from the KRA since (the edit form archives it)
        session.execute(update(Kpi).where(Kpi.number == 2).values(status=Status.ARCHIVED))
    opened = len(emulator.calls_to("views.open"))
    _pick(slack, listed, "log KPI-2")
    shown["blocks"] = [{"block_id": f"b{n}", **block} for n, block in enumerate(shown["blocks"])]
    (second,) = [b["block_id"] for b in shown["blocks"] if b.get("accessory", {}).get("value") == "KPI-2"]
    slack.action(Action.LOG_KPI, message=shown, block_id=second, user_id=ALICE, team_id=TEAM, ephemeral=True)
    slack.settle()
    assert len(emulator.calls_to("views.open")) == opened
    assert sum("KPI-2 is archived" in t for t in _told(emulator)) == 2, _told(emulator)
    assert count(db, KpiMeasurement) == 0


def test_an_old_menu_checks_rights_again(slack, emulator, db):
    make_kra_via_slack(slack, emulator)
    listed = _list(slack)
    with db.session() as session:  # the KRA went to Bob since the list was shown
        session.execute(update(Kra).where(Kra.number == 1).values(owner_id=BOB, created_by=BOB))
    opened = len(emulator.calls_to("views.open"))
    _pick(slack, listed, "edit KRA-1")
    _pick(slack, listed, "log KPI-1")
    slack.settle()
    assert len(emulator.calls_to("views.open")) == opened
    assert sum("owner or a workspace admin" in t for t in _told(emulator)) == 2, _told(emulator)
