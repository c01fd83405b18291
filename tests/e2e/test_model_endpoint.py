"""The operator's model endpoint through the safe fetcher, over a real socket: the declared host is
admitted although it is internal, nothing else is, and one deadline covers the call."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bot.ai import model
from bot.sources.fetch import FetchError, post_json
from tests.factories import FakeModel, fake_model_server


@pytest.fixture
def fake_model() -> Iterator[FakeModel]:
    with fake_model_server() as fake:
        yield fake


def resolver_to_loopback(calls: list[str]):
    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    return resolve


def test_a_declared_internal_name_is_admitted_and_gets_the_key(fake_model):
    port = fake_model.url.split(":")[2].split("/")[0]
    endpoint = model.ModelEndpoint(f"http://models.internal:{port}/v1", "m", "sk-k", 5.0)
    calls: list[str] = []
    fake_model.reply = "fine"
    said = model.complete(endpoint, [{"role": "user", "content": "hi"}], resolver=resolver_to_loopback(calls))
    assert said == "fine"
    assert calls == ["models.internal"]  # one lookup
    [request] = fake_model.requests
    assert request["headers"]["Host"] == f"models.internal:{port}"
    assert request["headers"]["Authorization"] == "Bearer sk-k"
    assert request["body"]["messages"] == [{"role": "user", "content": "hi"}]


def test_the_fetcher_alone_admits_no_internal_address(fake_model):
    with pytest.raises(FetchError) as error:
        post_json(f"{fake_model.url}/chat/completions", b"{}", timeout=5.0)
    assert "loopback" in error.value.message
    assert fake_model.requests == []


def test_one_deadline_covers_the_whole_call(fake_model):
    fake_model.mode = "hang"
    endpoint = model.ModelEndpoint(fake_model.url, "m", None, 0.5)
    started = time.monotonic()
    with pytest.raises(model.ModelError) as error:
        model.complete(endpoint, [{"role": "user", "content": "hi"}])
    assert error.value.timed_out
    assert time.monotonic() - started < 0.5 + 2.0  # cut at the deadline, with room for a busy machine
    assert "Authorization" not in fake_model.requests[0]["headers"]  # no key declared: none sent
