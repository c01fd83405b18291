"""The teardown check every test using the `emulator` fixture goes through (tests/slack/strict.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.slack import SlackEmulator
from tests.slack.strict import check_violations, rate_limits_on


def request_with(*marks: pytest.MarkDecorator) -> SimpleNamespace:
    by_name = {m.mark.name: m.mark for m in marks}
    return SimpleNamespace(node=SimpleNamespace(get_closest_marker=by_name.get))


def emulator_that_noted(*violations: str) -> SlackEmulator:
    emulator = SlackEmulator()
    emulator.violations.extend(violations)
    return emulator


def test_an_undeclared_violation_fails_the_test():
    with pytest.raises(pytest.fail.Exception, match="no more than 50 items"):
        check_violations(
            emulator_that_noted("chat.postMessage: no more than 50 items allowed"), request_with()
        )


def test_a_declared_violation_passes_and_a_declared_one_that_never_came_fails():
    noted = emulator_that_noted("chat.postMessage: msg_blocks_too_long: 12,161 characters counted")
    check_violations(noted, request_with(pytest.mark.slack_violations("msg_blocks_too_long")))
    with pytest.raises(pytest.fail.Exception, match="never noted: \\['used_url'\\]"):
        check_violations(noted, request_with(pytest.mark.slack_violations("msg_blocks_too_long", "used_url")))
    check_violations(emulator_that_noted(), request_with())  # nothing noted, nothing declared


def test_rate_limits_are_on_unless_a_test_opts_out_by_name():
    assert rate_limits_on(request_with()) is True
    assert rate_limits_on(request_with(pytest.mark.slack_rate_limits(off=True))) is False
