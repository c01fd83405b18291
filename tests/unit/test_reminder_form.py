"""Reading a click in the reminder DM and the metadata of a form opened from it (bot/forms/reminder.py)."""

from __future__ import annotations

import json

import pytest

from bot.domain.progress import Confidence
from bot.errors import Invalid
from bot.forms.reminder import ReminderOrigin, parse_click, parse_origin


def payload(action_id="reminder_value", block_id="reminder_7_value", value="42", **extra) -> dict:
    body = {
        "actions": [
            {"action_id": action_id, "block_id": block_id, "type": "plain_text_input", "value": value}
        ],
        "container": {"type": "message", "channel_id": "D0ALICE", "message_ts": "1700000000.000100"},
        "message": {
            "blocks": [
                {"type": "header", "block_id": "h"},
                {"type": "section", "block_id": "reminder_9_row"},
                {"type": "section", "block_id": "reminder_7_row"},
                {"type": "input", "block_id": "reminder_7_value"},
            ]
        },
        "state": {
            "values": {
                "reminder_7_row": {
                    "reminder_confidence": {"type": "static_select", "selected_option": {"value": "at_risk"}}
                }
            }
        },
    }
    body.update(extra)
    return body


def test_a_typed_value_with_the_rows_confidence_and_the_listed_key_results():
    click = parse_click(payload())
    assert (click.key_result_id, click.value_text, click.confidence) == (7, "42", Confidence.AT_RISK)
    assert click.listed == [9, 7]
    assert click.message_key == "D0ALICE:1700000000.000100"


def test_a_button_has_no_value_and_an_empty_box_is_empty_text():
    assert parse_click(payload("reminder_same", "reminder_7_buttons", "7")).value_text is None
    assert parse_click(payload(value=None)).value_text == ""


@pytest.mark.parametrize(
    "body",
    [
        payload(block_id="checkin_7_value"),
        payload(block_id="reminder_x_value"),
        payload(container={"type": "view", "view_id": "V1"}),
    ],
)
def test_a_payload_that_is_not_from_a_reminder_is_refused(body):
    with pytest.raises(Invalid):
        parse_click(body)


def test_an_unknown_confidence_is_not_taken():
    body = payload()
    body["state"]["values"]["reminder_7_row"]["reminder_confidence"]["selected_option"]["value"] = "great"
    assert parse_click(body).confidence is None


def test_the_origin_round_trips_and_garbage_is_ignored():
    origin = ReminderOrigin("D0ALICE", "1.2", [3, 4])
    assert parse_origin({"private_metadata": origin.metadata()}) == origin
    assert parse_origin({"private_metadata": ""}) is None
    assert parse_origin({"private_metadata": "not json"}) is None
    assert parse_origin({"private_metadata": json.dumps({"obj": 3})}) is None
    odd = {"reminder": {"channel": "D1", "ts": "1.2", "listed": [1, "2", True, 3]}}
    assert parse_origin({"private_metadata": json.dumps(odd)}).listed == [1, 3]
