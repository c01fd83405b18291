"""App Home's *Needs you this week*: each key result to check in has its own *Check in* (the form
for that key result only) and each KPI without a value this week its own *Log a value* (the form
with that KPI picked). Each action once on Home, one primary button on the whole page."""

from __future__ import annotations

import json

from bot.ids import Action, Callback
from bot.ui.text import blocks_to_text
from tests.conftest import ALICE, BOB, TEAM
from tests.factories import answer, make_kra_via_slack, make_objective_via_slack, opened_view, published


def _accessory(view: dict, block_id: str) -> tuple[str, str, str | None]:
    [block] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    a = block["accessory"]
    return a["text"]["text"], a["action_id"], a.get("value")


def test_each_key_result_that_needs_you_has_its_own_check_in(slack, emulator):
    make_objective_via_slack(
        slack,
        emulator,
        krs=(("Activation rate", "40", "60", "%"), ("Docs pages", "0", "20", ""), ("NPS", "50", "70", "")),
        kr_2_owner=BOB,
    )
    view = published(slack, emulator, ALICE)
    assert _accessory(view, "needs_kr_1") == ("Check in", "checkin_key_result", "KR-1")
    assert _accessory(view, "needs_kr_3") == ("Check in", "checkin_key_result", "KR-3")
    assert not any(b.get("block_id") == "needs_kr_2" for b in view["blocks"])  # Bob's
    text = json.dumps(view)
    assert text.count('"primary"') == 1 and text.count('"home_checkin"') == 1
    assert text.count('"checkin_key_result"') == 2
    assert "2 key results without a check-in since Monday" in blocks_to_text(view["blocks"])

    before = len(emulator.calls_to("views.open"))
    slack.action(
        Action.CHECKIN_KEY_RESULT, "KR-3", block_id="needs_kr_3", view=view, user_id=ALICE, team_id=TEAM
    )
    form = opened_view(emulator, Callback.CHECKIN, count=before + 1)
    values = [b["block_id"] for b in form["blocks"] if b.get("block_id", "").endswith("_value")]
    assert values == ["checkin_3_value"]
    slack.submit_view(form, {"checkin_3_value": "60"}, user_id=ALICE, team_id=TEAM)
    after = published(slack, emulator, ALICE)
    assert not any(b.get("block_id") == "needs_kr_3" for b in after["blocks"])
    assert _accessory(after, "needs_kr_1") == ("Check in", "checkin_key_result", "KR-1")
    assert not emulator.violations


def test_a_stale_check_in_button_is_checked_again(slack, emulator):
    make_objective_via_slack(slack, emulator)
    view = published(slack, emulator, ALICE)
    answer(slack, "/okr", "archive OBJ-1", user_id=ALICE)
    before = len(emulator.calls_to("views.open"))
    slack.action(
        Action.CHECKIN_KEY_RESULT, "KR-1", block_id="needs_kr_1", view=view, user_id=ALICE, team_id=TEAM
    )
    slack.settle()
    assert len(emulator.calls_to("views.open")) == before
    told = [c.args.get("text", "") for c in emulator.calls_to("chat.postMessage")]
    assert any("KR-1" in t for t in told), told


def test_each_kpi_without_a_value_this_week_has_log_a_value(slack, emulator):
    make_kra_via_slack(
        slack, emulator, title="Customer satisfaction", kpis=(("NPS", "75", ""), ("First response", "6", "h"))
    )
    view = published(slack, emulator, ALICE)
    assert _accessory(view, "needs_kpi_1") == ("Log a value", "log_kpi", "KPI-1")
    assert _accessory(view, "needs_kpi_2") == ("Log a value", "log_kpi", "KPI-2")
    assert json.dumps(view).count('"log_kpi"') == 2  # not again under the KRAs
    assert "2 KPIs without a value since Monday" in blocks_to_text(view["blocks"])

    before = len(emulator.calls_to("views.open"))
    slack.action(Action.LOG_KPI, "KPI-2", block_id="needs_kpi_2", view=view, user_id=ALICE, team_id=TEAM)
    form = opened_view(emulator, Callback.KPI_LOG, count=before + 1)
    picker = next(b for b in form["blocks"] if b["block_id"] == "kpi_log_kpi")
    assert picker["element"]["initial_option"]["value"] == "2"
    slack.submit_view(form, {"kpi_log_value_2": "5"}, user_id=ALICE, team_id=TEAM)
    after = published(slack, emulator, ALICE)
    assert not any(b.get("block_id") == "needs_kpi_2" for b in after["blocks"])
    assert json.dumps(after).count('"log_kpi"') == 1 and json.dumps(after).count('"primary"') == 1
    assert not emulator.violations
