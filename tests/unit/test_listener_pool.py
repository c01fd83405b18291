"""ListenerPool hands a request its ack as soon as the listener calls ack(), while the listener's
work goes on; Bolt then answers at its first look instead of polling every 10 ms."""

from __future__ import annotations

import threading

import pytest

from bot.bolt_fence import ListenerPool, SignallingAck


@pytest.fixture
def pool():
    listeners = ListenerPool(max_workers=4)
    yield listeners
    listeners.shutdown(wait=True)


def test_submit_returns_once_ack_is_called_while_the_work_goes_on(pool):
    ack, work_may_finish = SignallingAck(), threading.Event()

    def listener():
        ack()
        work_may_finish.wait(10)

    pool.expect_ack(ack)
    future = pool.submit(listener)
    assert ack.response is not None and ack.response.status == 200  # answered when submit returned
    assert not future.done()  # the slow part still runs
    work_may_finish.set()
    future.result(timeout=10)


def test_a_listener_that_ends_without_ack_releases_the_request(pool):
    ack = SignallingAck()

    def failing_listener():
        raise RuntimeError("before ack")

    pool.expect_ack(ack)
    future = pool.submit(failing_listener)
    assert future.done() and ack.response is None  # Bolt's error path answers from here


def test_an_expected_ack_is_used_once_and_other_submits_never_wait(pool):
    first, release = SignallingAck(), threading.Event()
    pool.expect_ack(first)
    pool.submit(first).result(timeout=10)
    # Nothing expected any more: this submit returns at once although its task blocks.
    blocked = pool.submit(release.wait, 10)
    assert not blocked.done()
    release.set()
    blocked.result(timeout=10)


def test_expectations_belong_to_the_thread_that_registered_them(pool):
    ack, release = SignallingAck(), threading.Event()
    pool.expect_ack(ack)
    from_other_thread = []
    other = threading.Thread(target=lambda: from_other_thread.append(pool.submit(release.wait, 10)))
    other.start()
    other.join(10)
    assert not from_other_thread[0].done()  # the other thread did not wait for this thread's ack
    release.set()
    pool.submit(ack).result(timeout=10)
    assert ack.called.is_set()
