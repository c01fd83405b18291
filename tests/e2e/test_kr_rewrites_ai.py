"""Key-result rewrites worded by the operator's language model after an objective is saved from
the form, end to end: the fake OpenAI-compatible server of test_assistant_ai.py, the New objective
form over signed HTTP, the DMs the emulator recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.services.workspaces import workspace_for
from bot.settings import Settings
from tests.conftest import ALICE, TEAM
from tests.factories import (
    FakeModel,
    block_texts,
    fake_model_server,
    make_objective_via_slack,
    model_facts,
    model_settings,
)

SENT_KEYS = {"model", "messages", "temperature", "max_tokens", "stream"}


@pytest.fixture
def fake_model() -> Iterator[FakeModel]:
    with fake_model_server() as fake:
        yield fake


@pytest.fixture
def ai_timeout() -> float:
    return 10.0


@pytest.fixture
def settings(emulator, database_url, fake_model, ai_timeout) -> Settings:
    return model_settings(emulator, database_url, fake_model, ai_timeout)


REWRITE_KEYS = {"position", "title", "milestone", "start", "target", "unit", "notes", "suggested_rewrite"}


def dms_to(emulator, user: str) -> list[dict]:
    return [c.args for c in emulator.calls_to("chat.postMessage", ok=True) if c.args.get("channel") == user]


def test_the_key_result_rewrites_are_worded_by_the_model_after_saving(slack, emulator, fake_model):
    fake_model.reply = "Key result 1: Weekly partners active in the portal from 0 to 100"
    make_objective_via_slack(
        slack,
        emulator,
        krs=(("Launch the partner portal", "0", "100", ""), ("Activation rate", "40", "60", "%")),
    )
    slack.settle()
    [request] = fake_model.requests
    assert set(request["body"]) == SENT_KEYS
    facts = model_facts(request)
    assert set(facts) == {"objective", "cycle", "key_results"}
    [noted] = facts["key_results"]  # "Activation rate" from 40 to 60 % has nothing to note
    assert set(noted) <= REWRITE_KEYS
    assert (noted["position"], noted["title"], noted["start"], noted["target"]) == (
        1,
        "Launch the partner portal",
        0,
        100,
    )
    assert noted["suggested_rewrite"] == "Weekly users of the partner portal from 0 to 100"
    assert "Raise MRR" not in json.dumps(request["body"])  # other objectives are not sent
    saved, worded = dms_to(emulator, ALICE)
    assert "Try: “Weekly users of the partner portal from 0 to 100”." in saved["text"]
    text = "\n".join(block_texts(worded["blocks"]))
    assert "*Suggested rewrites of your key results*" in text
    assert "Key result 1: Weekly partners active in the portal from 0 to 100" in text
    assert "Worded by a language model" in text


@pytest.mark.parametrize("mode", ["error", "hang"])
@pytest.mark.parametrize("ai_timeout", [0.5])
def test_a_failing_model_leaves_the_deterministic_rewrites(slack, emulator, fake_model, mode):
    fake_model.mode = mode
    make_objective_via_slack(slack, emulator, krs=(("Launch the partner portal", "0", "100", ""),))
    slack.settle()
    assert len(fake_model.requests) == 1
    [saved] = dms_to(emulator, ALICE)
    assert "Try: “Weekly users of the partner portal from 0 to 100”." in saved["text"]


def test_a_switched_off_workspace_sends_no_key_result_to_the_model(db, slack, emulator, fake_model):
    with db.session() as session, session.begin():
        workspace_for(session, TEAM).ai_enabled = False
    make_objective_via_slack(slack, emulator, krs=(("Launch the partner portal", "0", "100", ""),))
    slack.settle()
    assert fake_model.requests == []
    assert len(dms_to(emulator, ALICE)) == 1
