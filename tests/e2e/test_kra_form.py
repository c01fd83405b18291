"""`/kra add`'s form: it opens with the KRA and one KPI, grows one KPI at a time with *Add KPI*
(keeping what was typed), shows each KPI's direction under *More options*, numbers each field;
`/kra edit` shows every KPI with every field."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.ids import Action, Block, Callback
from storage.models import Kpi, Kra
from tests.conftest import ALICE, BOB, CHANNEL, TEAM
from tests.factories import by_block, count, kra_values, make_kra_via_slack, opened_view


def _open(slack, emulator) -> dict:
    """The form as Slack holds it (with its id and hash)."""
    slack.command("/kra", "add", user_id=ALICE, team_id=TEAM)
    opened_view(emulator, Callback.KRA_NEW)
    return emulator.last_view(Callback.KRA_NEW)


def _add_kpi(slack, emulator, view: dict, action: str = Action.ADD_KPI, **state_values) -> dict:
    updates = len(emulator.calls_to("views.update"))
    slack.action(action, view=view, user_id=ALICE, team_id=TEAM, state_values=state_values)
    call = emulator.wait_for("views.update", count=updates + 1)[-1].args
    assert call["view_id"] == view["id"] and call["hash"] == view["hash"]
    return emulator.view(view["id"])


def _inputs(view: dict) -> list[str]:
    return [block["block_id"] for block in view["blocks"] if block["type"] == "input"]


def _buttons(view: dict) -> list[str]:
    return [element["action_id"] for element in by_block(view).get(Block.KPI_ADD, {}).get("elements", [])]


def test_the_form_opens_short_with_one_kpi_and_its_buttons(slack, emulator):
    view = _open(slack, emulator)
    assert len(view["blocks"]) == 11  # the KRA's five fields, one KPI group of five, the buttons
    assert _inputs(view) == [
        "kra_title", "kra_description", "kra_owner", "kra_role", "kra_channel",
        "kpi_1_name", "kpi_1_target", "kpi_1_unit",
    ]  # fmt: skip
    blocks = by_block(view)
    assert [blocks[f"kpi_1_{field}"]["label"]["text"] for field in ("name", "target", "unit")] == [
        "KPI 1: name",
        "KPI 1: target",
        "KPI 1: unit",
    ]
    assert blocks["kpi_1_name"]["optional"] is True  # a KRA may be declared before its KPIs
    buttons = [(e["action_id"], e["text"]["text"]) for e in blocks["kpi_add"]["elements"]]
    assert buttons == [("add_kpi", "Add KPI"), ("kpi_more_options", "More options")]
    assert json.loads(view["private_metadata"]) == {"rows": 1}
    assert emulator.violations == []


def test_more_options_shows_each_kpis_direction(slack, emulator):
    view = _add_kpi(slack, emulator, _open(slack, emulator))
    shown = _add_kpi(slack, emulator, view, Action.KPI_MORE_OPTIONS, **{Block.KPI_NAME.of(n=2): "CSAT"})
    assert _inputs(shown) == [
        "kra_title", "kra_description", "kra_owner", "kra_role", "kra_channel",
        "kpi_1_name", "kpi_1_target", "kpi_1_unit", "kpi_1_direction",
        "kpi_2_name", "kpi_2_target", "kpi_2_unit", "kpi_2_direction",
    ]  # fmt: skip
    blocks = by_block(shown)
    assert blocks["kpi_2_name"]["element"]["initial_value"] == "CSAT"
    assert blocks["kpi_2_direction"]["label"]["text"] == "KPI 2: direction"
    assert [blocks[f"kpi_{n}_direction"]["element"]["initial_option"]["value"] for n in (1, 2)] == [
        "higher",
        "higher",
    ]
    assert _buttons(shown) == ["add_kpi"]
    assert json.loads(shown["private_metadata"]) == {"rows": 2, "options": True}
    grown = _add_kpi(slack, emulator, shown)
    assert "kpi_3_direction" in by_block(grown) and _buttons(grown) == []
    assert len(grown["blocks"]) == 23  # the KRA's five fields, three KPI groups of six
    assert emulator.violations == []


def test_a_direction_never_shown_is_higher_is_better(slack, emulator, db):
    view = _open(slack, emulator)
    response = slack.submit_view(view, kra_values(kpis=(("Churn", "2", "%"),)), user_id=ALICE, team_id=TEAM)
    assert response.status == 200 and not response.body
    with db.session() as session:
        assert session.scalars(select(Kpi.direction)).all() == ["higher"]


def test_add_kpi_redraws_the_form_with_one_more_group_and_what_was_typed(slack, emulator):
    view = _add_kpi(slack, emulator, _open(slack, emulator), Action.KPI_MORE_OPTIONS)
    grown = _add_kpi(
        slack,
        emulator,
        view,
        **{
            Block.KRA_TITLE: "Customer satisfaction",
            Block.KRA_DESCRIPTION: "Happy <customers> & more",
            Block.KRA_OWNER: BOB,
            Block.KRA_ROLE: "Support lead",
            Block.KRA_CHANNEL: CHANNEL,
            Block.KPI_NAME.of(n=1): "NPS",
            Block.KPI_TARGET.of(n=1): "50",
            Block.KPI_UNIT.of(n=1): "pts",
            Block.KPI_DIRECTION.of(n=1): "lower",
        },
    )
    assert len(grown["blocks"]) == 18
    assert _inputs(grown) == [
        "kra_title", "kra_description", "kra_owner", "kra_role", "kra_channel",
        "kpi_1_name", "kpi_1_target", "kpi_1_unit", "kpi_1_direction",
        "kpi_2_name", "kpi_2_target", "kpi_2_unit", "kpi_2_direction",
    ]  # fmt: skip
    blocks = by_block(grown)
    assert blocks["kra_title"]["element"]["initial_value"] == "Customer satisfaction"
    assert blocks["kra_description"]["element"]["initial_value"] == "Happy <customers> & more"
    assert blocks["kra_owner"]["element"]["initial_user"] == BOB
    assert blocks["kra_role"]["element"]["initial_value"] == "Support lead"
    assert blocks["kra_channel"]["element"]["initial_conversation"] == CHANNEL
    assert blocks["kpi_1_name"]["element"]["initial_value"] == "NPS"
    assert blocks["kpi_1_target"]["element"]["initial_value"] == "50"
    assert blocks["kpi_1_unit"]["element"]["initial_value"] == "pts"
    assert blocks["kpi_1_direction"]["element"]["initial_option"]["value"] == "lower"
    assert blocks["kpi_2_name"]["label"]["text"] == "KPI 2: name"
    assert "initial_value" not in blocks["kpi_2_name"]["element"]
    assert blocks["kpi_2_direction"]["element"]["initial_option"]["value"] == "higher"
    assert json.loads(grown["private_metadata"]) == {"rows": 2, "options": True}
    assert emulator.violations == []


def test_the_third_kpi_takes_the_add_button_away_and_all_three_are_saved(slack, emulator, db):
    view = _add_kpi(slack, emulator, _open(slack, emulator))
    view = _add_kpi(slack, emulator, view)
    blocks = by_block(view)
    assert Block.KPI_NAME.of(n=3) in blocks and _buttons(view) == ["kpi_more_options"]
    assert len(view["blocks"]) == 21
    assert json.loads(view["private_metadata"]) == {"rows": 3}
    kpis = (("NPS", "50", ""), ("First response time", "6", "h"), ("CSAT", "90", "%"))
    response = slack.submit_view(view, kra_values(kpis=kpis), user_id=ALICE, team_id=TEAM)
    assert response.status == 200 and not response.body
    with db.session() as session:
        names = session.scalars(select(Kpi.name).order_by(Kpi.position)).all()
    assert names == ["NPS", "First response time", "CSAT"]
    assert emulator.violations == []


def test_what_was_typed_is_carried_within_the_fields_limits(slack, emulator):
    view = _open(slack, emulator)
    grown = _add_kpi(
        slack,
        emulator,
        view,
        **{Block.KRA_TITLE: "x" * 400, Block.KPI_UNIT.of(n=1): "u" * 60},
    )
    blocks = by_block(grown)
    assert len(blocks["kra_title"]["element"]["initial_value"]) == 150
    assert len(blocks["kpi_1_unit"]["element"]["initial_value"]) == 30
    assert emulator.violations == []


def test_an_unnamed_second_kpi_is_refused_under_its_own_name(slack, emulator, db):
    view = _add_kpi(slack, emulator, _open(slack, emulator))
    values = kra_values(kpis=(("NPS", "50", ""), ("", "6", "h")))
    response = slack.submit_view(view, values, user_id=ALICE, team_id=TEAM)
    assert response.json() == {
        "response_action": "errors",
        "errors": {"kpi_2_name": "Name this KPI, or clear its row."},
    }
    assert count(db, Kra) == 0 and count(db, Kpi) == 0


def test_a_kra_without_kpis_may_still_be_declared(slack, emulator, db):
    view = _open(slack, emulator)
    response = slack.submit_view(view, kra_values(kpis=()), user_id=ALICE, team_id=TEAM)
    assert response.status == 200 and not response.body
    assert count(db, Kra) == 1 and count(db, Kpi) == 0


def test_the_edit_form_shows_every_kpi_group_with_the_kpis_it_has(slack, emulator):
    make_kra_via_slack(slack, emulator, kpis=(("NPS", "50", ""), ("CSAT", "90", "%")))
    before = len(emulator.calls_to("views.open"))
    slack.command("/kra", "edit KRA-1", user_id=ALICE, team_id=TEAM)
    view = opened_view(emulator, Callback.KRA_EDIT, count=before + 1)
    blocks = by_block(view)
    assert [blocks[Block.KPI_NAME.of(n=n)]["element"].get("initial_value") for n in (1, 2, 3)] == [
        "NPS",
        "CSAT",
        None,
    ]
    assert blocks["kpi_2_target"]["label"]["text"] == "KPI 2: target"
    assert all(f"kpi_{n}_direction" in blocks for n in (1, 2, 3))
    assert "kpi_add" not in blocks
    assert json.loads(view["private_metadata"]) == {"kra": 1}
    assert emulator.violations == []


def test_a_forged_count_of_groups_never_grows_past_three(slack, emulator):
    view = {**_open(slack, emulator), "private_metadata": json.dumps({"rows": 99})}
    del view["id"]  # a view the app never drew: a forged request's
    updates = len(emulator.calls_to("views.update"))
    slack.action(Action.ADD_KPI, view=view, user_id=ALICE, team_id=TEAM)
    redrawn = emulator.wait_for("views.update", count=updates + 1)[-1].args["view"]
    assert json.loads(redrawn["private_metadata"]) == {"rows": 3}
    assert _buttons(redrawn) == ["kpi_more_options"]
