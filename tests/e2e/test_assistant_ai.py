"""Ask Northline with the operator's language model, end to end: signed events into the served
app, a fake OpenAI-compatible server on 127.0.0.1 that records every request, and the emulator's
thread. The seed and frozen clock of test_assistant.py (factories.make_ask_northline_data: Alice owns OBJ-1 in #growth with KR-1;
Bob owns KR-2; Carol's OBJ-2 "Hiring plan" is in no channel; Mallory's "Secret plan" lives in
another workspace)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from bot.settings import Settings
from storage.models import Workspace
from tests.conftest import ALICE, BOB, CHANNEL, TEAM
from tests.factories import (
    MODEL_KEY,
    MODEL_NAME,
    FakeModel,
    block_texts,
    fake_model_server,
    make_ask_northline_data,
    model_facts,
    model_settings,
)

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
SENT_KEYS = {"model", "messages", "temperature", "max_tokens", "stream"}
ITEM_KEYS = {
    "ref",
    "title",
    "objective",
    "area",
    "owner",
    "progress_percent",
    "progress_a_week_ago_percent",
    "pace",
    "owner_confidence",
    "why",
    "note",
}
pytestmark = pytest.mark.usefixtures("seeded", "frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def seeded(db) -> int:
    return make_ask_northline_data(db)


@pytest.fixture
def fake_model() -> Iterator[FakeModel]:
    with fake_model_server() as fake:
        yield fake


@pytest.fixture
def ai_timeout() -> float:
    return 10.0


@pytest.fixture
def ai_configured() -> bool:
    return True


@pytest.fixture
def settings(emulator, database_url, fake_model, ai_timeout, ai_configured) -> Settings:
    """conftest's multi-workspace settings, with the fake model declared (or not)."""
    return model_settings(emulator, database_url, fake_model if ai_configured else None, ai_timeout)


def ask(slack, emulator, text: str, user: str = ALICE):
    """Open a thread, type `text`: the reply's text and the thread (its statuses)."""
    response, thread = slack.open_assistant(user)
    assert response.status == 200
    assert slack.ask_assistant(thread, text).status == 200
    slack.settle()
    replies = emulator.thread_replies(thread)
    assert len(replies) == 1, replies
    assert not emulator.violations
    return "\n".join(block_texts(replies[0]["blocks"])), thread


def all_items(facts: dict) -> list[dict]:
    if "sections" in facts:
        return [item for section in facts["sections"] for item in section["items"]]
    return [item for key in ("moved", "at_risk", "blockers", "to_decide") for item in facts[key]]


def test_a_free_question_is_answered_by_the_model_from_the_askers_facts_only(slack, emulator, fake_model):
    fake_model.reply = "KR-1 is at risk: Alice noted it is blocked on the billing migration."
    text, thread = ask(slack, emulator, f"Anything to celebrate in <#{CHANNEL}>?")

    [request] = fake_model.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == f"Bearer {MODEL_KEY}"
    assert request["headers"]["Content-Type"] == "application/json"
    body = request["body"]
    assert set(body) == SENT_KEYS
    assert body["model"] == MODEL_NAME and body["stream"] is True
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "Question: Anything to celebrate in <#C0GROWTH>?" in body["messages"][1]["content"]
    facts = model_facts(request)
    assert set(facts) == {"cycle", "sections"}
    assert facts["cycle"] == "2026-Q4"
    assert [s["about"] for s in facts["sections"]] == [
        "what needs the asker this week",
        "the asker's objectives",
        "at risk in the asker's objectives",
        "the channel's objectives",
        "at risk in the channel",
        "changed in the channel since last week",
    ]
    items = all_items(facts)
    assert all(set(item) <= ITEM_KEYS for item in items)
    # KR-2 is on track and did not move this week: no answer above names it.
    assert {item["ref"] for item in items} == {"OBJ-1", "KR-1"}
    kr1 = next(i for i in facts["sections"][2]["items"] if i["ref"] == "KR-1")
    assert kr1["note"] == "blocked on the billing migration"
    assert kr1["progress_percent"] == 50 and kr1["pace"] == "at risk"
    sent = json.dumps(body)
    # Carol's objective is in no channel and not Alice's; Mallory's is another workspace's.
    for absent in ("Hiring plan", "waiting for budget", "Secret", "MALLORY", "T0OTHER"):
        assert absent not in sent

    assert "KR-1 is at risk: Alice noted it is blocked on the billing migration." in text
    assert "Worded by a language model" in text
    assert thread.statuses[:2] == ["is looking it up…", "is writing the answer…"]


def test_what_the_model_writes_is_shown_as_text(slack, emulator, fake_model):
    fake_model.reply = "Ask <@U0BOB> <!here> and see <https://evil.example|the fix> & more"
    text, _ = ask(slack, emulator, "Anything to celebrate?")
    assert "Ask @U0BOB @\u200bhere and see the fix (https://evil.example) &amp; more" in text
    assert "<@" not in text and "<!" not in text and "<http" not in text


def test_the_brief_is_worded_by_the_model_from_the_deterministic_brief(slack, emulator, fake_model):
    fake_model.reply = "This week in growth: KR-1 moved to 50 %.\n\nDecide: is KR-1's confidence right?"
    text, _ = ask(slack, emulator, f"Brief for <#{CHANNEL}>", user=BOB)
    [request] = fake_model.requests
    facts = model_facts(request)
    assert set(facts) == {"cycle", "active_objectives", "moved", "at_risk", "blockers", "to_decide"}
    assert facts["active_objectives"] == 1
    assert [i["ref"] for i in facts["moved"]] == ["KR-1"]
    assert [(i["ref"], i["note"]) for i in facts["blockers"]] == [
        ("KR-1", "blocked on the billing migration")
    ]
    assert all(set(item) <= ITEM_KEYS for item in all_items(facts))
    assert "Hiring plan" not in json.dumps(request["body"])
    assert "The week's brief for <#C0GROWTH>" in text
    assert "This week in growth: KR-1 moved to 50 %." in text
    assert "Decide: is KR-1's confidence right?" in text
    assert "*What moved*" not in text  # the model's wording replaces the deterministic one


def test_a_question_the_grammar_knows_is_answered_from_data_alone(slack, emulator, fake_model):
    text, _ = ask(slack, emulator, "What needs me this week?")
    assert fake_model.requests == []
    assert "`KR-1` Raise MRR (`OBJ-1`)" in text


@pytest.mark.parametrize("ai_timeout", [0.5])
def test_a_model_that_takes_too_long_falls_back(slack, emulator, fake_model):
    fake_model.mode = "hang"
    text, _ = ask(slack, emulator, f"Brief for <#{CHANNEL}>")
    assert len(fake_model.requests) == 1
    assert "*What moved*" in text and "> blocked on the billing migration" in text
    assert "The language model took too long, so this answer comes from the data alone." in text


@pytest.mark.parametrize("mode", ["error", "redirect", "malformed", "refusal"])
def test_a_failing_or_refusing_model_falls_back(slack, emulator, fake_model, mode):
    fake_model.mode = mode
    text, _ = ask(slack, emulator, "Anything to celebrate?")
    assert len(fake_model.requests) == 1
    assert "I didn't understand that. Here is what I can answer:" in text
    assert "The language model could not answer just now, so this answer comes from the data alone." in text


def test_a_workspace_that_switched_the_model_off_sends_nothing(db, slack, emulator, fake_model):
    with db.session() as session, session.begin():
        session.scalar(select(Workspace).where(Workspace.team_id == TEAM)).ai_enabled = False
    free, _ = ask(slack, emulator, "Anything to celebrate?")
    brief, _ = ask(slack, emulator, f"Brief for <#{CHANNEL}>")
    assert fake_model.requests == []
    assert "I didn't understand that." in free and "language model" not in free
    assert "*What moved*" in brief and "language model" not in brief


@pytest.mark.parametrize("ai_configured", [False])
def test_no_model_declared_sends_nothing(slack, emulator, fake_model):
    free, thread = ask(slack, emulator, "Anything to celebrate?")
    brief, _ = ask(slack, emulator, f"Brief for <#{CHANNEL}>")
    assert fake_model.requests == []
    assert "I didn't understand that." in free and "*What moved*" in brief
    assert "is writing the answer…" not in thread.statuses


def test_a_long_answer_from_the_model_stays_within_slacks_limits(slack, emulator, fake_model):
    fake_model.reply = "\n\n".join(f"Paragraph {n}: " + "x" * 900 for n in range(80))
    text, _ = ask(slack, emulator, "Anything to celebrate?")  # ask() checks the emulator's limits
    assert "Paragraph 0: " in text
    assert "Paragraph 79" not in text  # 6,000 characters are read at most


def test_a_streamed_answer_is_shown_in_steps_then_whole(slack, emulator, fake_model):
    fake_model.mode = "stream"
    sentences = [f"Sentence {n} about KR-1 and its pace this week." for n in range(20)]
    fake_model.reply = " ".join(sentences)  # 10 × 45 + 10 × 46 + 19 spaces = 929 characters
    text, thread = ask(slack, emulator, "Anything to celebrate?")
    assert " ".join(sentences) in text and "Worded by a language model" in text
    posted = [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args.get("thread_ts")]
    updates = emulator.calls_to("chat.update", ok=True)
    assert len(posted) == 1
    first = "\n".join(block_texts(posted[0].args["blocks"]))
    # In pieces of 40: posted once 300 more were written (at 320), updated at 640 (320 more; at
    # 929 only 289 more), then replaced by the whole answer.
    assert first.startswith(fake_model.reply[:320] + " …")
    assert len(updates) == 2
    steps = ["\n".join(block_texts(c.args["blocks"])) for c in updates]
    assert steps[0].startswith(fake_model.reply[:640] + " …")
    assert steps[-1] == text
    assert thread.statuses[:2] == ["is looking it up…", "is writing the answer…"]


def test_a_stream_cut_short_falls_back_in_the_same_message(slack, emulator, fake_model):
    fake_model.mode = "cut"
    fake_model.reply = "KR-1 " * 100
    text, _ = ask(slack, emulator, "Anything to celebrate?")
    assert "I didn't understand that. Here is what I can answer:" in text
    assert "The language model could not answer just now" in text
    assert "KR-1 KR-1" not in text  # the partial answer was replaced
