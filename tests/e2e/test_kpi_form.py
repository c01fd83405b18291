"""*Log a value*: the KPI form from `/kra kpi`, help and its button; the picker prefilling the
picked KPI's last value; errors under the exact field; the measurement recorded once."""

from __future__ import annotations

from sqlalchemy import select

from bot.ids import Action, Block, Callback
from storage.models import KpiMeasurement
from tests.conftest import ALICE, BOB, TEAM
from tests.factories import answer, count, make_kra_via_slack, opened_view, published

TWO_KPIS = (("NPS", "50", ""), ("Churn", "2", "%"))


def _open_form(slack, emulator, text="kpi", user=ALICE) -> dict:
    before = len(emulator.calls_to("views.open", ok=True))
    response = slack.command("/kra", text, user_id=user, team_id=TEAM)
    assert response.status == 200
    return opened_view(emulator, Callback.KPI_LOG, count=before + 1)


def _measurements(db) -> list[tuple[float, str, str]]:
    with db.session() as session:
        rows = session.scalars(select(KpiMeasurement).order_by(KpiMeasurement.id)).all()
        return [(m.value, m.note, m.author_id) for m in rows]


def _block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b["block_id"] == block_id)


def test_kra_kpi_alone_opens_the_form_with_the_last_value_prefilled(slack, emulator, db):
    make_kra_via_slack(slack, emulator, kpis=TWO_KPIS)
    answer(slack, "/kra", "kpi KPI-1 41", user_id=ALICE)
    view = _open_form(slack, emulator)
    picker = _block(view, Block.KPI_LOG_KPI)["element"]
    labels = [o["text"]["text"] for o in picker["options"]]
    assert labels == ["KPI-1 NPS (last: 41)", "KPI-2 Churn (last: no value yet)"]
    assert picker["initial_option"]["value"] == "1"
    value = _block(view, "kpi_log_value_1")
    assert value["element"]["initial_value"] == "41" and value["hint"]["text"] == "Target 50"
    assert len(view["blocks"]) == 3
    posts = len(emulator.calls_to("chat.postMessage"))
    slack.submit_view(view, {Block.KPI_LOG_NOTE: "after the survey"}, user_id=ALICE, team_id=TEAM)
    dm = emulator.wait_for("chat.postMessage", count=posts + 1)[-1].args
    assert _measurements(db) == [(41.0, "", ALICE), (41.0, "after the survey", ALICE)]
    assert dm["channel"] == ALICE and dm["text"].startswith("Logged `KPI-1` NPS: *41*")
    assert emulator.violations == []


def test_a_named_kpi_is_picked_and_its_unit_shown(slack, emulator, db):
    make_kra_via_slack(slack, emulator, kpis=TWO_KPIS)
    view = _open_form(slack, emulator, "kpi kpi-2")
    assert _block(view, Block.KPI_LOG_KPI)["element"]["initial_option"]["value"] == "2"
    value = _block(view, "kpi_log_value_2")
    assert value["label"]["text"] == "Value (%)" and "initial_value" not in value["element"]
    slack.submit_view(view, {"kpi_log_value_2": "1.5%"}, user_id=ALICE, team_id=TEAM)
    assert _measurements(db) == [(1.5, "", ALICE)]


def test_picking_another_kpi_redraws_the_form_for_it(slack, emulator, db):
    make_kra_via_slack(slack, emulator, kpis=TWO_KPIS)
    answer(slack, "/kra", "kpi KPI-2 3.25", user_id=ALICE)
    view = _open_form(slack, emulator)
    updates = len(emulator.calls_to("views.update"))  # the KRA form grew by one KPI
    slack.action(Action.KPI_LOG_PICK, "2", view=view, user_id=ALICE, team_id=TEAM)
    redrawn = emulator.wait_for("views.update", count=updates + 1)[-1].args["view"]
    assert _block(redrawn, "kpi_log_value_2")["element"]["initial_value"] == "3.25"
    assert emulator.violations == []


def test_a_bad_value_is_refused_under_its_field_and_nothing_is_logged(slack, emulator, db):
    make_kra_via_slack(slack, emulator)
    view = _open_form(slack, emulator)
    response = slack.submit_view(view, {"kpi_log_value_1": "lots"}, user_id=ALICE, team_id=TEAM)
    assert response.json() == {
        "response_action": "errors",
        "errors": {"kpi_log_value_1": "'lots' is not a number, e.g. 42 or 3.5."},
    }
    assert count(db, KpiMeasurement) == 0


def test_a_kpi_archived_since_the_form_opened_is_refused_under_the_picker(slack, emulator, db):
    make_kra_via_slack(slack, emulator)
    view = _open_form(slack, emulator)
    answer(slack, "/kra", "archive KRA-1", user_id=ALICE)
    response = slack.submit_view(view, {"kpi_log_value_1": "7"}, user_id=ALICE, team_id=TEAM)
    assert response.json() == {
        "response_action": "errors",
        "errors": {Block.KPI_LOG_KPI: "KPI-1 is archived; measurements go on active KPIs."},
    }
    assert count(db, KpiMeasurement) == 0
    assert emulator.violations == []


def test_no_kpis_gets_a_pointer_to_kra_add(slack, emulator):
    payload = answer(slack, "/kra", "kpi", user_id=ALICE)
    assert payload["text"].startswith("You have no active KPIs")
    assert emulator.calls_to("views.open") == []


def test_the_help_button_opens_the_form(slack, emulator):
    make_kra_via_slack(slack, emulator)
    payload = answer(slack, "/kra", "", user_id=ALICE)
    before = len(emulator.calls_to("views.open", ok=True))
    slack.action(Action.LOG_KPI, message=payload, user_id=ALICE, team_id=TEAM, ephemeral=True)
    view = opened_view(emulator, Callback.KPI_LOG, count=before + 1)
    assert view["title"]["text"] == "Log a value"
    assert emulator.violations == []


def _log_buttons(blocks: list[dict]) -> int:
    """*Log a value* buttons: in an actions block, or beside a KPI (App Home's *Needs you*)."""
    return sum(
        1
        for block in blocks
        for element in (
            block.get("elements", []) if block["type"] == "actions" else [block.get("accessory") or {}]
        )
        if element.get("action_id") == Action.LOG_KPI
    )


def test_home_offers_log_a_value_once_there_is_a_kpi(slack, emulator):
    assert _log_buttons(published(slack, emulator)["blocks"]) == 0
    make_kra_via_slack(slack, emulator)
    home = published(slack, emulator)
    assert _log_buttons(home["blocks"]) == 1
    before = len(emulator.calls_to("views.open", ok=True))
    slack.action(Action.LOG_KPI, view=home, user_id=ALICE, team_id=TEAM)
    assert opened_view(emulator, Callback.KPI_LOG, count=before + 1)["title"]["text"] == "Log a value"
    assert emulator.violations == []


def test_kra_list_offers_log_a_value_to_the_kpi_owner_only(slack, emulator):
    make_kra_via_slack(slack, emulator)
    mine = answer(slack, "/kra", "list", user_id=ALICE)
    (menu,) = [b["accessory"] for b in mine["blocks"] if "accessory" in b]
    assert [o["value"] for o in menu["options"]] == ["show KRA-1", "edit KRA-1", "log KPI-1"]
    theirs = answer(slack, "/kra", "list all", user_id=BOB)
    (show,) = [b["accessory"] for b in theirs["blocks"] if "accessory" in b]
    assert (show["type"], show["action_id"]) == ("button", Action.SHOW_KRA)
    before = len(emulator.calls_to("views.open", ok=True))
    slack.action(Action.KRA_ROW, "log KPI-1", message=mine, user_id=ALICE, team_id=TEAM, ephemeral=True)
    assert opened_view(emulator, Callback.KPI_LOG, count=before + 1)["callback_id"] == Callback.KPI_LOG
    assert emulator.violations == []


def test_kra_show_carries_log_a_value_on_each_kpi_and_edit_for_its_owner(slack, emulator):
    make_kra_via_slack(slack, emulator, kpis=TWO_KPIS)
    mine = answer(slack, "/kra", "show KRA-1", user_id=ALICE)
    buttons = [
        (e["text"]["text"], e["action_id"], e["value"])
        for b in mine["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert buttons == [("Edit", "edit_kra", "KRA-1")]
    logs = [
        (b["accessory"]["text"]["text"], b["accessory"]["action_id"], b["accessory"]["value"])
        for b in mine["blocks"]
        if "accessory" in b
    ]
    assert logs == [("Log a value", "log_kpi", "KPI-1"), ("Log a value", "log_kpi", "KPI-2")]
    assert "`/kra edit KRA-1`" not in str(mine["blocks"])
    theirs = answer(slack, "/kra", "show KRA-1", user_id=BOB)
    assert not any(b["type"] == "actions" or "accessory" in b for b in theirs["blocks"])
    before = len(emulator.calls_to("views.open", ok=True))
    slack.action(Action.EDIT_KRA, message=mine, user_id=ALICE, team_id=TEAM, ephemeral=True)
    assert opened_view(emulator, Callback.KRA_EDIT, count=before + 1)["private_metadata"] == '{"kra": 1}'
    slack.action(Action.LOG_KPI, message=mine, user_id=ALICE, team_id=TEAM, ephemeral=True)
    view = opened_view(emulator, Callback.KPI_LOG, count=before + 2)
    assert _block(view, Block.KPI_LOG_KPI)["element"]["initial_option"]["value"] == "1"
    assert emulator.violations == []


def test_an_old_edit_button_is_refused_once_the_kra_is_archived(slack, emulator):
    make_kra_via_slack(slack, emulator)
    mine = answer(slack, "/kra", "show KRA-1", user_id=ALICE)
    answer(slack, "/kra", "archive KRA-1", user_id=ALICE)
    before = len(emulator.calls_to("views.open"))
    slack.action(Action.EDIT_KRA, message=mine, user_id=ALICE, team_id=TEAM, ephemeral=True)
    slack.settle()
    assert len(emulator.calls_to("views.open")) == before
    told = [c.args.get("text", "") for c in emulator.calls_to("chat.postEphemeral")] + [
        c.args.get("text", "") for c in emulator.calls_to("response_url")
    ]
    assert any("KRA-1 is archived" in t for t in told), told
