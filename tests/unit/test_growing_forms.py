"""The forms that grow (New objective, New KRA): what their metadata says they show, and what a
key result whose options were never shown is parsed as."""

from __future__ import annotations

import json

import pytest

from bot.errors import Invalid
from bot.forms.okr import parse_objective
from bot.forms.state import grown_rows, options_shown, rows_metadata, shown_rows
from bot.ids import Block, Option


def _view(metadata: object = None, values: dict | None = None) -> dict:
    view: dict = {"state": {"values": {}}}
    if metadata is not None:
        view["private_metadata"] = metadata if isinstance(metadata, str) else json.dumps(metadata)
    for block, value in (values or {}).items():
        if block.endswith("_owner"):
            element = {"type": "users_select", "selected_user": value}
        elif block.endswith("_milestone"):
            element = {"type": "checkboxes", "selected_options": [{"value": v} for v in value]}
        else:
            element = {"type": "plain_text_input", "value": value}
        view["state"]["values"][block] = {"input": element}
    return view


def test_the_metadata_names_the_options_only_once_shown():
    assert json.loads(rows_metadata(2)) == {"rows": 2}
    assert json.loads(rows_metadata(2, options=True)) == {"rows": 2, "options": True}


@pytest.mark.parametrize(
    ("metadata", "rows", "options"),
    [
        ({"rows": 2, "options": True}, 2, True),
        ({"rows": 3}, 3, False),
        ({"rows": 99, "options": "yes"}, 5, False),  # forged: at most five, options only if True
        ({"rows": True, "options": 1}, 1, False),
        ([1, 2], 1, False),
        ("not json", 1, False),
        (None, 1, False),
    ],
)
def test_what_a_growing_form_shows_is_read_from_its_metadata(metadata, rows, options):
    view = _view(metadata)
    assert (shown_rows(view, 5), options_shown(view)) == (rows, options)
    assert grown_rows(view, 5) == min(rows + 1, 5)


def _objective(**key_results) -> dict:
    return {
        Block.OBJ_TITLE: "Customers love onboarding",
        Block.OBJ_OWNER: "UBOB",
        Block.OBJ_CYCLE: "2026-Q4",
    } | {block: value for block, value in key_results.items()}


def test_a_key_result_whose_options_were_never_shown_takes_the_defaults():
    form = parse_objective(_view(values=_objective(kr_1_title="Activation", kr_1_target="60%")))
    [kr] = form.key_results
    assert (kr.owner_id, kr.weight, kr.milestone, kr.target, kr.unit) == ("UBOB", 1.0, False, 60.0, "%")


def test_a_key_result_keeps_the_options_it_was_given():
    values = _objective(
        kr_1_title="Ship the beta", kr_1_owner="UCAROL", kr_1_weight="2", kr_1_milestone=[Option.MILESTONE]
    )
    [kr] = parse_objective(_view(values=values)).key_results
    assert (kr.owner_id, kr.weight, kr.milestone) == ("UCAROL", 2.0, True)


def test_without_a_first_key_result_the_error_is_under_its_title():
    with pytest.raises(Invalid) as raised:
        parse_objective(_view(values=_objective(kr_2_owner="UCAROL", kr_2_weight="1")))
    assert raised.value.fields == {
        Block.KR_TITLE.of(n=1): "Add at least one key result: how will you know you got there?"
    }


def test_a_bad_owner_with_the_options_hidden_is_told_under_the_objectives_owner_only():
    values = _objective(kr_1_title="Activation", kr_1_target="60") | {Block.OBJ_OWNER: "not a person"}
    with pytest.raises(Invalid) as raised:
        parse_objective(_view(values=values))
    assert list(raised.value.fields) == [Block.OBJ_OWNER]  # kr_1_owner is not in the form to show it


def test_a_bad_owner_shown_under_more_options_is_told_under_that_key_results_owner():
    values = _objective(kr_1_title="Activation", kr_1_target="60", kr_1_owner="not a person")
    with pytest.raises(Invalid) as raised:
        parse_objective(_view(values=values))
    assert list(raised.value.fields) == [Block.KR_OWNER.of(n=1)]
