"""`northline serve` in Socket Mode waits for Slack: unreachable at start, it says so in one line a
try with when it tries again, backs off up to its cap, /healthz says `slack: unreachable`, and it
connects once Slack answers; a connection lost later is found and made again the same way. Slack
"goes down" by a proxy in front of the emulator that hangs up on every connection."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.socket_mode import Backoff, SlackLink, SocketModeRunner
from tests.conftest import SIGNING_SECRET, TOKEN
from tests.tcp_proxy import TcpProxy

APP_TOKEN = "xapp-1-A0NORTHLINE-1-socketsecret"
ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 30.0


def _until(condition: Callable[[], object], what: str, timeout: float = DEADLINE) -> object:
    """Poll `condition` until it holds (or fail naming `what`): a wait for an outcome, not a pause."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        result = condition()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def slack_down(emulator) -> Iterator[TcpProxy]:
    """Slack behind a proxy that is down until the test restores it."""
    emulator.add_app_token(APP_TOKEN)
    proxy = TcpProxy("127.0.0.1", emulator.port)
    proxy.cut()
    emulator.websocket_origin = f"ws://127.0.0.1:{proxy.port}"
    yield proxy
    proxy.close()


def test_the_emulator_opens_connections_for_app_tokens_only(emulator):
    emulator.add_app_token(APP_TOKEN)
    client = WebClient(base_url=emulator.base_url)
    url = client.apps_connections_open(app_token=APP_TOKEN)["url"]
    assert re.fullmatch(rf"ws://127\.0\.0\.1:{emulator.port}/link/\?ticket=\S+&app_id=A0NORTHLINE", url)
    with pytest.raises(SlackApiError) as refused:
        client.apps_connections_open(app_token=TOKEN)
    assert refused.value.response["error"] == "not_allowed_token_type"
    with pytest.raises(SlackApiError) as unknown:
        client.apps_connections_open(app_token="xapp-1-unknown")
    assert unknown.value.response["error"] == "invalid_auth"


def test_backoff_doubles_up_to_its_cap():
    assert [Backoff(1, 60).after(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Serve:
    """`python -m bot` (serve) as a process of its own; its log lines as they come."""

    def __init__(self, env: dict[str, str]):
        self.lines: list[str] = []
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bot"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def matching(self, pattern: str) -> list[re.Match]:
        return [m for line in list(self.lines) if (m := re.search(pattern, line))]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _health(port: int) -> tuple[int, dict] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    except OSError:
        return None  # not listening yet


def _serve_env(slack_port: int, database_url: str, port: int) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NORTHLINE_SOURCE_"))},
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": f"http://127.0.0.1:{slack_port}/api/",
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "NORTHLINE_SLACK_RETRY_SECONDS": "0.05",
        "NORTHLINE_SLACK_RETRY_MAX_SECONDS": "0.2",
    }


def test_serve_waits_for_slack_then_connects(slack_down, emulator, database_url):
    port = _free_port()
    serve = _Serve(_serve_env(slack_down.port, database_url, port))
    try:
        unreachable = r"Slack is unreachable \((.+)\); trying again in ([0-9.]+) s$"
        _until(lambda: len(serve.matching(unreachable)) >= 4, "four tries while Slack is down")
        waits = [float(m.group(2)) for m in serve.matching(unreachable)]
        assert waits[:4] == [0.05, 0.1, 0.2, 0.2]
        assert max(waits) == 0.2
        status, health = _until(lambda: _health(port), "/healthz to answer")
        assert (status, health["checks"]["slack"], health["ok"]) == (503, "unreachable", False)
        assert serve.process.poll() is None

        slack_down.restore()
        emulator.wait_for_socket(1, timeout=DEADLINE)
        _until(lambda: serve.matching(r"connected to Slack over Socket Mode$"), "the connected line")
        status, health = _until(lambda: (h := _health(port)) and h[1]["checks"]["slack"] == "ok" and h, "ok")
        assert status == 200 and health["checks"] == {"database": "ok", "slack": "ok"}
        # Each try was one line: no stack trace, no urllib or slack_sdk account of the same failure.
        output = "\n".join(serve.lines)
        assert "Traceback" not in output and "Failed to send a request" not in output
        assert APP_TOKEN not in output
        about_slack = serve.matching(
            r" (?:WARNING|ERROR) (?:northline\.socket_mode|slack_sdk|slack_bolt)\S* (.*)"
        )
        assert about_slack and all(m.group(1).startswith("Slack is unreachable (") for m in about_slack)
    finally:
        serve.stop()


def test_a_port_already_taken_does_not_stop_socket_mode(slack_down, emulator, database_url):
    slack_down.restore()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        serve = _Serve(_serve_env(slack_down.port, database_url, taken.getsockname()[1]))
        try:
            _until(
                lambda: serve.matching(
                    r"cannot listen on port \d+ \(.+\): /healthz and /api/v1 are not served"
                ),
                "the port warning",
            )
            emulator.wait_for_socket(1, timeout=DEADLINE)
            _until(lambda: serve.matching(r"connected to Slack over Socket Mode$"), "the connected line")
            assert serve.process.poll() is None
            assert "Traceback" not in "\n".join(serve.lines)
        finally:
            serve.stop()


def test_a_connection_lost_later_is_made_again_with_backoff(slack_down, emulator, caplog):
    caplog.set_level(logging.INFO, logger="northline.socket_mode")
    slack_down.restore()
    app = App(token=TOKEN, signing_secret=SIGNING_SECRET, token_verification_enabled=False)
    link = SlackLink()
    runner = SocketModeRunner(
        app,
        APP_TOKEN,
        f"http://127.0.0.1:{slack_down.port}/api/",
        link=link,
        backoff=Backoff(0.05, 0.2),
        check_every=0.02,
        ping_interval=0.1,
    )
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    thread.start()
    try:
        emulator.wait_for_socket(1, timeout=DEADLINE)
        _until(lambda: link.state == "ok", "the first connection")

        slack_down.cut()  # the network drops: no close frame, just a dead socket
        _until(lambda: link.state == "unreachable", "the loss to be noticed")
        messages = lambda: [r.getMessage() for r in caplog.records if r.name == "northline.socket_mode"]  # noqa: E731
        assert "the connection to Slack was lost; reconnecting" in messages()

        slack_down.restore()
        emulator.wait_for_socket(2, timeout=DEADLINE)
        _until(lambda: link.state == "ok", "the second connection")
        assert messages().count("connected to Slack over Socket Mode") == 2
        assert all(r.exc_info is None for r in caplog.records)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_a_refused_app_token_is_named_and_tried_again_with_backoff(emulator, caplog):
    caplog.set_level(logging.INFO, logger="northline.socket_mode")
    app = App(token=TOKEN, signing_secret=SIGNING_SECRET, token_verification_enabled=False)
    link = SlackLink()
    runner = SocketModeRunner(
        app, "xapp-1-A0NORTHLINE-1-revoked", emulator.base_url, link=link, backoff=Backoff(0.05, 0.1)
    )
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    thread.start()
    try:
        lines = lambda: [r.getMessage() for r in caplog.records if r.name == "northline.socket_mode"]  # noqa: E731
        _until(lambda: len(lines()) >= 3, "three tries")
        assert lines()[:3] == [
            f"Slack refused the app-level token (invalid_auth); check SLACK_APP_TOKEN; trying again in {wait} s"
            for wait in ("0.05", "0.1", "0.1")
        ]
        assert link.state == "refused"
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no second account of it
        assert len(emulator.calls_to("apps.connections.open")) >= 3
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
