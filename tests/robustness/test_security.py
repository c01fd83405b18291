"""Requests that are not from Slack get 401 and change nothing."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from storage.models import Workspace
from tests.conftest import ALICE, TEAM


def _body(text: str = "list all", response_url: str = "http://127.0.0.1:9/nowhere") -> bytes:
    return urlencode(
        {
            "command": "/kra",
            "text": text,
            "team_id": TEAM,
            "user_id": ALICE,
            "channel_id": "C1",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    ).encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _assert_untouched(db, emulator):
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Workspace)) == 0
    assert emulator.calls == []


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda s, b: {**s.sign(b), "X-Slack-Signature": "v0=" + "0" * 64}, id="wrong-signature"),
        pytest.param(lambda s, b: s.sign(b, timestamp=int(time.time()) - 301), id="stale-timestamp"),
        # Not +301: on a slow machine the request ages a second or more before it is checked.
        pytest.param(lambda s, b: s.sign(b, timestamp=int(time.time()) + 310), id="future-timestamp"),
        pytest.param(lambda s, b: {}, id="missing-headers"),
        pytest.param(
            lambda s, b: {k: v for k, v in s.sign(b).items() if k != "X-Slack-Signature"},
            id="missing-signature",
        ),
        pytest.param(
            lambda s, b: {**s.sign(b), "X-Slack-Request-Timestamp": "yesterday"}, id="non-numeric-ts"
        ),
        pytest.param(lambda s, b: s.sign(b + b"&text=forged"), id="signature-over-another-body"),
    ],
)
def test_forged_or_stale_requests_get_401_and_change_nothing(slack, db, emulator, headers):
    body = _body()
    response = slack.raw(body, {**FORM, **headers(slack, body)})
    assert response.status == 401
    slack.settle()  # nothing may arrive late either
    _assert_untouched(db, emulator)


def test_a_replayed_request_older_than_five_minutes_is_refused(slack, db, emulator):
    body = _body()
    old = int(time.time()) - 6 * 60
    response = slack.raw(body, {**FORM, **slack.sign(body, timestamp=old)})
    assert response.status == 401
    _assert_untouched(db, emulator)


def test_a_body_over_one_megabyte_is_refused_unread(slack, db, emulator):
    body = _body("x" * (1024 * 1024 + 10))
    response = slack.raw(body, {**FORM, **slack.sign(body)})
    assert response.status == 413
    _assert_untouched(db, emulator)


def test_a_correctly_signed_request_is_accepted(slack, emulator):
    response_url = emulator.new_response_url(TEAM, channel_id="C1", user_id=ALICE)
    body = _body("help", response_url)
    response = slack.raw(body, {**FORM, **slack.sign(body)})
    assert response.status == 200
    assert "/kra add" in slack.wait_for_response_url(response_url=response_url)["text"]


def test_healthz_reports_the_database(app_url):
    import json
    from urllib.request import urlopen

    with urlopen(f"{app_url}/healthz") as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"ok": True, "checks": {"database": "ok"}}
