"""What the emulator holds every test to, checked when the test's emulator is torn down, and how a
test declares an exception by name:

- Block Kit and Slack-limit violations fail the test, unless it declares each one it expects with
  ``@pytest.mark.slack_violations("msg_blocks_too_long", ...)`` (each a substring of a violation;
  every violation must match one, and each declared one must happen).
- Rate limits are Slack's (see ``tests.slack.limits``); a test that needs speed opts out with
  ``@pytest.mark.slack_rate_limits(off=True)`` or, for a stretch of it, ``emulator.unlimited()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.slack.emulator import SlackEmulator

MARKERS = (
    "slack_violations(*expected): the Block Kit / Slack limit violations this test expects the "
    "emulator to note (substrings); any other fails the test",
    "slack_rate_limits(off=True): this test runs without Slack's rate limits (it needs speed)",
)


def rate_limits_on(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("slack_rate_limits")
    return not (marker is not None and marker.kwargs.get("off", False))


def check_violations(emulator: SlackEmulator, request: pytest.FixtureRequest) -> None:
    """Fail the test for a violation it did not declare, or a declared one that never happened."""
    marker = request.node.get_closest_marker("slack_violations")
    expected = tuple(marker.args) if marker is not None else ()
    with emulator._lock:
        noted = list(emulator.violations)
    unexpected = [v for v in noted if not any(e in v for e in expected)]
    missing = [e for e in expected if not any(e in v for v in noted)]
    if unexpected or missing:
        pytest.fail(
            "the emulator noted what Slack would refuse:\n  "
            + "\n  ".join(unexpected or ["(nothing)"])
            + (f"\ndeclared with slack_violations but never noted: {missing}" if missing else ""),
            pytrace=False,
        )
