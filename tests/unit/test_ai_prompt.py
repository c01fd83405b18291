"""What is sent to a language model (bot/ai/prompt.py) and how its answer is read
(bot/ai/model.py): pure, no network."""

from __future__ import annotations

import json

import pytest

from bot.ai import model, prompt
from bot.domain.progress import Confidence, PaceStatus
from bot.services.ask import Item

ENDPOINT = model.ModelEndpoint("http://127.0.0.1:11434/v1", "llama3.1:8b", "sk-secret", 5.0)


def test_a_line_sends_its_facts_and_leaves_out_what_is_empty():
    item = Item(
        ref="KR-3",
        title="Raise MRR",
        owner_id="U0ALICE",
        parent_ref="OBJ-1",
        progress=0.5,
        pace=PaceStatus.AT_RISK,
        confidence=Confidence.ON_TRACK,
        why="pace at risk; confidence on track",
        note="x" * 400,
    )
    assert prompt.item_facts(item) == {
        "ref": "KR-3",
        "title": "Raise MRR",
        "objective": "OBJ-1",
        "owner": "U0ALICE",
        "progress_percent": 50,
        "pace": "at risk",
        "owner_confidence": "on track",
        "why": "pace at risk; confidence on track",
        "note": "x" * 300,
    }
    assert prompt.item_facts(Item(ref="SPR-2", title="Checkout")) == {"ref": "SPR-2", "title": "Checkout"}


def test_the_request_holds_the_model_the_messages_and_two_limits_only():
    body = model.request_body(ENDPOINT, [{"role": "user", "content": "hi"}])
    assert body == {
        "model": "llama3.1:8b",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.2,
        "max_tokens": 700,
        "stream": False,
    }
    assert "sk-secret" not in repr(ENDPOINT)


def _completion(message: dict, finish: str = "stop") -> bytes:
    return json.dumps({"choices": [{"index": 0, "message": message, "finish_reason": finish}]}).encode()


def test_the_first_choices_text_is_the_answer():
    assert model._reply(_completion({"role": "assistant", "content": "  KR-1 moved.\n"})) == "KR-1 moved."


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not json", "the model's answer is not a chat completion"),
        (b'{"choices": []}', "the model's answer is not a chat completion"),
        (b'{"choices": [{"text": "legacy"}]}', "the model's answer is not a chat completion"),
        (
            _completion({"role": "assistant", "content": None, "refusal": "No."}),
            "the model declined to answer",
        ),
        (
            _completion({"role": "assistant", "content": "…"}, "content_filter"),
            "the model declined to answer",
        ),
        (_completion({"role": "assistant", "content": "   "}), "the model's answer is empty"),
    ],
)
def test_anything_else_is_a_model_error(raw, message):
    with pytest.raises(model.ModelError) as error:
        model._reply(raw)
    assert error.value.message == message and not error.value.timed_out


def _events(*deltas: dict, done: bool = True) -> list[bytes]:
    lines = [f"data: {json.dumps({'choices': [{'index': 0, **d}]})}\n\n".encode() for d in deltas]
    return lines + ([b"data: [DONE]\n\n"] if done else [])


def _read(chunks: list[bytes]) -> tuple[list[str], model._Stream]:
    seen: list[str] = []
    stream = model._Stream(seen.append)
    for chunk in chunks:
        for cut in range(0, len(chunk), 7):  # pieces that split lines and characters' JSON alike
            stream.feed(chunk[cut : cut + 7])
    return seen, stream


def test_a_stream_gives_the_text_so_far_after_each_piece_and_the_whole_at_the_end():
    chunks = [
        b": keep-alive\n\n",
        *_events({"delta": {"role": "assistant"}}, {"delta": {"content": "KR-1 "}}),
    ]
    chunks[-1:-1] = _events({"delta": {"content": "moved."}}, done=False)
    seen, stream = _read(chunks)
    assert seen == ["KR-1 ", "KR-1 moved."]
    assert stream.text(b"".join(chunks)) == "KR-1 moved."


@pytest.mark.parametrize(
    ("chunks", "message"),
    [
        (_events({"delta": {"content": "KR-1"}}, done=False), "the model's answer was cut short"),
        (_events({"delta": {"refusal": "No."}}), "the model declined to answer"),
        (
            _events({"delta": {"content": "x"}, "finish_reason": "content_filter"}),
            "the model declined to answer",
        ),
        ([b"data: {not json\n\n", b"data: [DONE]\n\n"], "the model's answer is not a chat completion"),
        (_events({"delta": {"content": "  "}}), "the model's answer is empty"),
    ],
)
def test_a_stream_that_is_cut_refused_or_garbled_is_a_model_error(chunks, message):
    _, stream = _read(chunks)
    with pytest.raises(model.ModelError) as error:
        stream.text(b"".join(chunks))
    assert error.value.message == message


def test_a_server_that_does_not_stream_is_read_as_one_answer():
    raw = _completion({"role": "assistant", "content": "Whole."})
    seen, stream = _read([raw])
    assert seen == [] and stream.text(raw) == "Whole."
