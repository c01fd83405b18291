"""API tokens' guard rails end to end: a token acts only while its maker is an active admin and
until it expires; rate limits per token, per workspace and per failing address over a sliding
minute. Signed requests over HTTP to the served app, a real database, clocks passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from bot.services import tokens
from storage.models import ApiRateWindow, ApiToken, CheckIn
from tests.conftest import ADMIN, CAROL, TEAM, count_statements
from tests.factories import NOW, SECRET, answer, answer_text, count, new_token, served_api
from tests.factories import make_objective_via_service as make_objective

PROBLEM = "application/problem+json"
LIST = "/api/v1/kras"


@pytest.fixture
def world(web_app, db, emulator):
    with served_api(web_app, db, emulator) as (slack, api):
        yield slack, api


def _token_list(slack, user_id: str = ADMIN) -> str:
    return answer_text(answer(slack, "/okr", "token list", user_id=user_id))


# --- a token follows its maker ---------------------------------------------------------------------


def test_a_demoted_makers_token_is_refused_until_they_are_an_admin_again(world, db):
    slack, api = world
    secret = new_token(slack, "ci", "write")
    assert api.get(LIST, secret).status == 200

    slack.user_change(CAROL, is_admin=True)  # someone still an admin, to read the list
    slack.user_change(ADMIN, is_admin=False)
    slack.settle()
    refused = api.get(LIST, secret)
    assert refused.status == 401 and refused.headers["Content-Type"] == PROBLEM
    assert "maker is no longer an admin" in refused.json()["detail"]
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert "workspace" not in refused.json()  # nothing said about a workspace it cannot act in
    listed = _token_list(slack, CAROL)
    assert "`ci`" in listed and "refused: its maker is no longer an admin" in listed

    # Not revoked: the token acts for its maker again once they are an admin again.
    slack.user_change(ADMIN, is_admin=True)
    slack.settle()
    assert api.get(LIST, secret).status == 200
    assert "refused" not in _token_list(slack, CAROL)


def test_a_deactivated_makers_token_is_refused(world, db):
    slack, api = world
    _, (kr,) = make_objective(db)
    secret = new_token(slack, "ci", "write")
    slack.user_change(ADMIN, deleted=True)
    slack.settle()
    refused = api.post(f"/api/v1/key-results/KR-{kr}/check-ins", {"value": 50}, secret)
    assert refused.status == 401 and "maker is no longer an admin" in refused.json()["detail"]
    assert count(db, CheckIn) == 0


def test_the_maker_is_checked_in_the_same_statement_that_finds_the_token(world, db):
    slack, _ = world
    secret = new_token(slack, "ci", "read")
    limits = tokens.Limits(per_token=10, per_workspace=10, auth_failures=10)
    with count_statements(db) as counter:
        who = tokens.authenticate(db, secret, address="192.0.2.1", limits=limits, now=NOW)
    assert isinstance(who, tokens.Authenticated) and who.team_id == TEAM
    # The token joined with its workspace and its maker's member row; the rate windows; last used.
    assert counter.count == 3, counter.statements
    first = counter.statements[0].lower()
    assert "join workspace" in first and "join member" in first


# --- expiry -----------------------------------------------------------------------------------------


def test_a_token_made_to_expire_is_listed_with_its_date_and_refused_after_it(web_app, db, emulator):
    made_at = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
    moment = [NOW]
    with served_api(web_app, db, emulator, clock=lambda: moment[0]) as (slack, api):
        with time_machine.travel(made_at):
            said = answer_text(answer(slack, "/okr", "token new nightly write 30d", user_id=ADMIN))
            listed = _token_list(slack)
        secret = tokens_in(said)
        expires = "expires <!date^1801396800^{date_short_pretty}|Sun 31 Jan 2027>"
        assert f"It {expires} at 09:00 UTC." in said
        assert "`nightly`" in listed and expires in listed
        with db.session() as session:
            stored = session.query(ApiToken).one()
            assert stored.expires_at == datetime(2027, 1, 31, 9, 0)

        moment[0] = datetime(2027, 1, 31, 8, 59)
        assert api.get(LIST, secret).status == 200
        moment[0] = datetime(2027, 1, 31, 9, 0)
        refused = api.get(LIST, secret)
        assert refused.status == 401 and refused.headers["Content-Type"] == PROBLEM
        assert "expired at 2027-01-31 09:00 UTC" in refused.json()["detail"]

        with time_machine.travel(datetime(2027, 2, 1, 9, 0, tzinfo=UTC)):
            listed = _token_list(slack)
        assert "`nightly`" in listed and "*expired*" in listed and "expires <!date" not in listed


def tokens_in(text: str) -> str:
    found = SECRET.search(text)
    assert found, text
    return found.group(0)


@pytest.mark.parametrize(
    ("words", "permission", "expires"),
    [
        ("ci", "read", None),
        ("ci write", "write", None),
        ("ci 12w", "read", datetime(2027, 3, 26, 9, 0)),
        ("ci 1y write", "write", datetime(2028, 1, 1, 9, 0)),
        ("ci write 90D", "write", datetime(2027, 4, 1, 9, 0)),
    ],
)
def test_permission_and_lifetime_come_in_either_order(world, db, words, permission, expires):
    slack, _ = world
    with time_machine.travel(datetime(2027, 1, 1, 9, 0, tzinfo=UTC)):
        answer(slack, "/okr", f"token new {words}", user_id=ADMIN)
    with db.session() as session:
        stored = session.query(ApiToken).one()
        assert (stored.permission.value, stored.expires_at) == (permission, expires)


@pytest.mark.parametrize(
    ("words", "said"),
    [
        ("ci 0d", "`0d` is not a lifetime"),
        ("ci 90", "`90` is not a lifetime"),
        ("ci 4y", "`4y` is not a lifetime"),
        ("ci 1100d", "`1100d` is not a lifetime"),
        ("ci 3m", "`3m` is not a lifetime"),
        ("ci 30d 60d", "once each"),
        ("ci write read", "once each"),
        ("ci write 30d x", "/okr token new NAME [read|write] [LIFETIME]"),
    ],
)
def test_a_wrong_lifetime_gets_usage_and_makes_nothing(world, db, words, said):
    slack, _ = world
    text = answer_text(answer(slack, "/okr", f"token new {words}", user_id=ADMIN))
    assert said in text and "/okr token new NAME [read|write] [LIFETIME]" in text
    assert count(db, ApiToken) == 0


# --- rate limits ------------------------------------------------------------------------------------


def test_a_workspaces_tokens_share_one_limit(web_app, db, emulator):
    limits = tokens.Limits(per_token=3, per_workspace=4, auth_failures=100)
    with served_api(web_app, db, emulator, limits=limits) as (slack, api):
        first, second = new_token(slack, "one", "read"), new_token(slack, "two", "read")
        assert [api.get(LIST, t).status for t in (first, first, second, second)] == [200] * 4
        limited = api.get(LIST, second)
        assert limited.status == 429 and limited.headers["Content-Type"] == PROBLEM
        assert "workspace's tokens may make 4 requests a minute" in limited.json()["detail"]
        assert limited.json()["workspace"] == TEAM
        # Four on the minute weigh 4 × (1 − t/60) in the next; one more fits at 3: t = 15 s.
        assert limited.headers["Retry-After"] == "75"
        assert api.get(LIST, first).status == 429  # under its own limit, over the workspace's


def test_a_burst_at_the_end_of_a_minute_counts_at_the_start_of_the_next(web_app, db, emulator):
    moment = [datetime(2026, 11, 18, 12, 0, 59)]
    limits = tokens.Limits(per_token=3, per_workspace=100, auth_failures=100)
    with served_api(web_app, db, emulator, limits=limits, clock=lambda: moment[0]) as (slack, api):
        secret = new_token(slack, "ci", "read")
        assert [api.get(LIST, secret).status for _ in range(3)] == [200, 200, 200]
        moment[0] = datetime(2026, 11, 18, 12, 1, 0)  # a fixed minute would start again here
        limited = api.get(LIST, secret)
        assert limited.status == 429
        # The three weigh 3 × (1 − t/60); one more fits when that is 2: t = 20 s.
        assert limited.headers["Retry-After"] == "20"
        moment[0] = datetime(2026, 11, 18, 12, 1, 19)
        assert api.get(LIST, secret).status == 429
        moment[0] = datetime(2026, 11, 18, 12, 1, 20)
        assert api.get(LIST, secret).status == 200
        moment[0] = datetime(2026, 11, 18, 12, 2, 0)  # 3 × 0 + 1 in the minute before
        assert api.get(LIST, secret).status == 200


def test_failed_authentication_is_limited_per_address_while_a_valid_token_works(web_app, db, emulator):
    limits = tokens.Limits(per_token=100, per_workspace=100, auth_failures=3)
    with served_api(web_app, db, emulator, limits=limits) as (slack, api):
        secret = new_token(slack, "ci", "read")
        statuses = [api.get(LIST, f"nlk_guess{i}").status for i in range(3)]
        assert statuses == [401, 401, 401]
        limited = api.get(LIST, "nlk_guess3")
        assert limited.status == 429 and limited.headers["Content-Type"] == PROBLEM
        assert "failed to authenticate" in limited.json()["detail"]
        assert limited.headers["Retry-After"] == "80"  # three on the minute: 3 × (1 − t/60) = 2 at t = 20
        assert api.get(LIST).status == 429  # no header at all is a failure too
        assert api.get(LIST, headers={"Authorization": "Basic dXNlcjpwYXNz"}).status == 429
        # The same address with a valid token: a shared proxy's other clients are not locked out.
        assert api.get(LIST, secret).status == 200


def test_the_clock_forgets_rate_counts_that_no_longer_count(world, db):
    slack, api = world
    secret = new_token(slack, "ci", "read")
    assert api.get(LIST, secret).status == 200  # counted for the token and its workspace at NOW
    assert api.get(LIST, "nlk_wrong").status == 401  # and for this address
    assert count(db, ApiRateWindow) == 3
    assert tokens.forget_rate_windows(db, NOW + timedelta(minutes=2)) == 0  # begun two minutes ago: kept
    assert tokens.forget_rate_windows(db, NOW + timedelta(minutes=2, seconds=1)) == 3
    assert count(db, ApiRateWindow) == 0
