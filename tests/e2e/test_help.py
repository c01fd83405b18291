"""Help that teaches: a bare `/okr` or `/kra` shows the weekly few with buttons; `help all` lists
every command (the admins' only to admins); a typo gets "did you mean" in two lines."""

from __future__ import annotations

import pytest

from bot.ids import Action, Callback
from storage.models import Objective
from tests.conftest import ADMIN, ALICE, CHANNEL, TEAM
from tests.factories import answer, answer_text, count, opened_view


def _buttons(payload: dict) -> list[tuple[str, str]]:
    return [
        (element["text"]["text"], element["action_id"])
        for block in payload.get("blocks", [])
        if block["type"] == "actions"
        for element in block["elements"]
    ]


@pytest.mark.parametrize("text", ["", "help", "HELP"])
def test_a_bare_okr_shows_the_weekly_few_with_buttons(slack, emulator, db, text):
    payload = answer(slack, "/okr", text, user_id=ALICE, channel_id=CHANNEL)
    body = payload["text"]
    assert payload["response_type"] == "ephemeral"
    assert "`/okr checkin`" in body and "`/okr new`" in body and "`/okr list" in body
    assert "/okr token" not in body and "/okr export" not in body and "/okr schedule" not in body
    assert "`/okr help all`" in body
    assert _buttons(payload) == [("Check in", "home_checkin"), ("New objective", "home_new_objective")]
    assert body.count("\n•") <= 6
    assert emulator.violations == []
    assert count(db, Objective) == 0


def test_the_help_button_opens_the_same_form_as_the_command(slack, emulator):
    payload = answer(slack, "/okr", "", user_id=ALICE, channel_id=CHANNEL)
    slack.action(Action.HOME_NEW_OBJECTIVE, message=payload, user_id=ALICE, team_id=TEAM, ephemeral=True)
    view = opened_view(emulator, Callback.OBJECTIVE_NEW)
    assert view["callback_id"] == "objective_new"
    assert emulator.violations == []


def test_help_all_hides_admin_commands_from_others(slack):
    body = answer(slack, "/okr", "help all", user_id=ALICE)["text"]
    assert "/okr export" in body and "/okr schedule" in body and "/okr follow" in body
    assert "/okr token" not in body and "/okr source" not in body


def test_help_all_shows_admin_commands_to_admins(slack):
    body = answer(slack, "/okr", "help all", user_id=ADMIN)["text"]
    assert "/okr token new NAME" in body and "/okr source KR-7" in body


@pytest.mark.parametrize(
    ("command", "typed", "guess"),
    [
        ("/okr", "chekin", "checkin"),
        ("/okr", "lsit", "list"),
        ("/kra", "kip KPI-1 4", "kpi"),
        ("/kra", "shwo", "show"),
        ("/kra", "LIST-ALL now", "list"),
    ],
)
def test_a_typo_gets_did_you_mean_in_two_lines(slack, command, typed, guess):
    payload = answer(slack, command, typed, user_id=ALICE)
    word = typed.split()[0].lower()  # subcommands are case-blind
    assert payload["text"] == (
        f"I don't know `{command} {word}`. Did you mean `{command} {guess}`?\n`{command} help` shows the usual commands."
    )


def test_admin_subcommands_are_not_suggested_to_others(slack):
    assert "Did you mean `/okr token`" not in answer(slack, "/okr", "tokn", user_id=ALICE)["text"]
    assert "Did you mean `/okr token`" in answer(slack, "/okr", "tokn", user_id=ADMIN)["text"]


def test_an_unknown_word_with_no_close_match_gets_the_short_list(slack, emulator):
    payload = answer(slack, "/kra", "<!channel> zzzz", user_id=ALICE)
    body = answer_text(payload)
    assert "I don't know `/kra" in body and "<!channel>" not in body
    assert "`/kra kpi KPI-7 42 [note]`" in payload["text"] and "/kra review" not in payload["text"]
    assert _buttons(payload) == [("Log a value", "log_kpi"), ("New KRA", "home_new_kra")]
    assert emulator.violations == []
