"""The app fixtures' wait for listener work after ack(): what teardown relies on to keep a test's
Home refresh or DM from reaching the emulator after it stopped."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import listener_work


def test_the_wait_fails_while_a_listener_task_runs_and_ends_once_it_has(web_app, slack):
    assert slack.listener_work is listener_work(web_app)  # one count, whichever client asks
    release = threading.Event()
    task = web_app.listener_runner.listener_executor.submit(release.wait, 10)
    with pytest.raises(AssertionError, match="1 listener task"):
        slack.listener_work.wait_until_done(timeout=0.05)
    release.set()
    slack.listener_work.wait_until_done(timeout=5)
    assert task.done()
