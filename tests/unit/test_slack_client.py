"""The scheduled posts' client keeps its connections alive (bot/slack_client.py PooledWebClient),
leaning on one slack_sdk internal: these tests fail when that internal changes, and hold the
pooled client to the SDK's own behaviour and to the one retry policy."""

from __future__ import annotations

import inspect
import socket
import threading
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot import slack_client
from bot.slack_client import PooledWebClient, PooledWebhookClient, build_web_client, connection_pool
from tests.conftest import ALICE, TEAM, TOKEN


def test_slack_sdk_still_sends_through_the_internal_the_pooled_client_replaces():
    source = inspect.getsource(WebClient._perform_urllib_http_request)
    assert "self._perform_urllib_http_request_internal(url, req)" in source
    assert "except HTTPError as e:" in source  # a status outside 2xx arrives as urllib's HTTPError
    parameters = list(inspect.signature(WebClient._perform_urllib_http_request_internal).parameters)
    assert parameters == ["self", "url", "req"]


def test_calls_reuse_one_connection_where_the_sdk_opens_one_each(emulator):
    plain = WebClient(token=TOKEN, base_url=emulator.base_url)
    before = emulator.connections
    for _ in range(3):
        plain.auth_test()
    assert emulator.connections - before == 3

    pooled = build_web_client(TOKEN, emulator.base_url, pool=connection_pool(2))
    assert isinstance(pooled, PooledWebClient)
    before = emulator.connections
    answers = [pooled.auth_test()["team_id"] for _ in range(3)]
    assert pooled.users_info(user=ALICE)["user"]["id"] == ALICE
    assert answers == [TEAM] * 3
    assert emulator.connections - before == 1


def test_a_connection_idle_too_long_is_not_reused(emulator, monkeypatch):
    """Servers close idle connections when they choose; one reused at that moment would lose its
    request, so the client closes them first (IDLE_SECONDS)."""
    client = build_web_client(TOKEN, emulator.base_url, pool=connection_pool(2))
    monkeypatch.setattr(slack_client, "IDLE_SECONDS", 0.0)
    before = emulator.connections
    client.auth_test()
    client.auth_test()
    assert emulator.connections - before == 2


def test_errors_answer_as_the_sdk_does(emulator):
    client = build_web_client(TOKEN, emulator.base_url, pool=connection_pool(1), rate_limit_retries=0)
    emulator.fail("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C0NONE", text="x")
    assert refused.value.response["error"] == "channel_not_found"

    emulator.rate_limit("auth.test", every=1, retry_after=7)
    with pytest.raises(SlackApiError) as limited:
        client.auth_test()
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"


def test_slack_sdk_still_answers_a_response_url_through_the_internal_the_pooled_one_replaces():
    source = inspect.getsource(WebhookClient._perform_http_request)
    assert "self._perform_http_request_internal(url, req)" in source
    assert "except HTTPError as e:" in source
    parameters = list(inspect.signature(WebhookClient._perform_http_request_internal).parameters)
    assert parameters == ["self", "url", "req"]


def test_answers_to_response_urls_reuse_one_connection_and_fail_as_the_sdks_do(emulator):
    urls = [emulator.new_response_url(TEAM, channel_id="C0ONE", user_id=ALICE) for _ in range(3)]
    before = emulator.connections
    for url in urls:
        assert WebhookClient(url=url).send_dict({"text": "plain"}).status_code == 200
    assert emulator.connections - before == 3

    pool = connection_pool(2)
    before = emulator.connections
    answers = [PooledWebhookClient(pool, url=url).send_dict({"text": "pooled"}) for url in urls]
    assert [(a.status_code, a.body) for a in answers] == [(200, "ok")] * 3
    assert emulator.connections - before == 1

    unknown = f"{emulator.root_url}response/nope"
    plain, pooled = (
        WebhookClient(url=unknown).send_dict({"text": "x"}),
        PooledWebhookClient(pool, url=unknown).send_dict({"text": "x"}),
    )
    assert (pooled.status_code, pooled.body) == (plain.status_code, plain.body) == (404, "no_service")


def test_a_connection_the_server_closed_while_idle_is_not_reused():
    """A kept-alive connection the server dropped is noticed before a request is written into it:
    the call opens a new one and answers, and nothing is sent twice."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    requests: list[bytes] = []
    body = b'{"ok": true, "team_id": "T1"}'
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body),
        body,
    )

    closed = threading.Event()

    def serve() -> None:
        for _ in range(2):  # each connection answers one request, then the server closes it
            connection, _ = listener.accept()
            with connection:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += connection.recv(65536)
                head, _, rest = data.partition(b"\r\n\r\n")
                length = int(
                    next(
                        line.split(b":")[1]
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    )
                )
                while len(rest) < length:
                    rest += connection.recv(65536)
                requests.append(head.split(b"\r\n")[0])
                connection.sendall(answer)
            closed.set()  # closed while the client holds it idle (on loopback its FIN is there now)

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    client = build_web_client(TOKEN, f"http://127.0.0.1:{port}/api/", pool=connection_pool(1))
    try:
        assert client.auth_test()["team_id"] == "T1"
        assert closed.wait(timeout=5)
        assert client.auth_test()["team_id"] == "T1"  # not written into the closed connection
    finally:
        server.join(timeout=5)
        listener.close()
    assert requests == [b"POST /api/auth.test HTTP/1.1"] * 2


def test_a_refused_connection_is_retried_as_the_policy_says():
    """Nothing listening: the request never left, so the one retry policy retries it (URLError)
    and then raises it; the SDK's own client does the same."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = build_web_client(TOKEN, f"http://127.0.0.1:{port}/api/", pool=connection_pool(1))
    tries = []
    client.retry_handlers[0].prepare_for_next_attempt = lambda **kw: (
        tries.append(kw["error"]),
        kw["state"].increment_current_attempt(),
        setattr(kw["state"], "next_attempt_requested", True),
    )
    with pytest.raises(URLError):
        client.auth_test()
    assert len(tries) == 2  # ConnectionErrorRetryHandler(max_retry_count=2)
