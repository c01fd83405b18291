"""Rotating bot tokens (12-hour access tokens, single-use refresh tokens): refreshed before use,
exactly once across threads and processes, saved in the installation store; a refresh that fails
stops only its own workspace. Slack's side is the emulator's oauth.v2.access
(https://docs.slack.dev/authentication/using-token-rotation)."""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import func, select, table

from bot.bootstrap import _clock_clients
from bot.errors import NotInstalled, TokenRefreshFailed
from bot.ids import Callback
from bot.installations import (
    BOLT_ROTATION_MINUTES,
    BOT_SCOPES,
    REFRESH_MINUTES_BEFORE_EXPIRY,
    STILL_USABLE_SECONDS,
    Clients,
    installation_store,
)
from bot.jobs.reminders import checkin_reminders
from bot.settings import Settings
from storage.db import Database
from storage.models import BOTS_TABLE, INSTALLATIONS_TABLE
from tests.conftest import (
    ADMIN,
    ALICE,
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_TEAM,
    OTHER_TOKEN,
    TEAM,
    close_store,
    install,
)
from tests.factories import MONDAY_LONDON, make_owners_with_key_results, opened_view

TWELVE_HOURS = 43_200
HALF_AN_HOUR = 1_800  # inside the two hours before expiry: due for a refresh, still valid at Slack


def install_rotating(db, settings, emulator, *, left: float, team_id: str = TEAM) -> tuple[str, str]:
    """An OAuth install with token rotation on, its access token `left` seconds from its end
    (negative: already expired, and Slack answers token_expired)."""
    access, refresh = emulator.add_rotating_token(
        team_id, user_id="U0BOTNORTH", bot_id="B0NORTH", expires_in=left
    )
    store = installation_store(settings, db)
    store.save(
        Installation(
            app_id="A0NORTHLINE",
            team_id=team_id,
            bot_token=access,
            bot_refresh_token=refresh,
            bot_token_expires_at=int(time.time() + left),
            bot_id="B0NORTH",
            bot_user_id="U0BOTNORTH",
            bot_scopes=BOT_SCOPES,
            user_id=ADMIN,
            installed_at=time.time(),
        )
    )
    close_store(store, db)
    return access, refresh


def stored(settings, db, team_id: str = TEAM):
    """What a fresh process would read: the latest bot row and installation row, uncached."""
    store = installation_store(settings, db)
    try:
        bot = super(type(store), store).find_bot(enterprise_id=None, team_id=team_id)
        installation = super(type(store), store).find_installation(enterprise_id=None, team_id=team_id)
        return bot, installation
    finally:
        close_store(store, db)


def row_counts(db) -> tuple[int, int]:
    with db.engine.connect() as connection:
        bots = connection.scalar(select(func.count()).select_from(table(BOTS_TABLE)))
        installations = connection.scalar(select(func.count()).select_from(table(INSTALLATIONS_TABLE)))
    return bots, installations


def refreshes(emulator, ok: bool | None = None):
    return emulator.calls_to("oauth.v2.access", ok=ok)


@pytest.fixture
def rotation(emulator):
    """Slack knows the app's credentials, as it does for a real app with rotation turned on."""
    emulator.oauth_app(CLIENT_ID, CLIENT_SECRET)
    return emulator


# --- the emulator is as strict as Slack -------------------------------------------------------------


def test_emulator_trades_a_refresh_token_once_for_a_new_pair(rotation):
    emulator = rotation
    access, refresh = emulator.add_rotating_token(TEAM, user_id="U0BOTNORTH", bot_id="B0NORTH")
    assert access.startswith("xoxe.xoxb-") and refresh.startswith("xoxe-1-")
    client = WebClient(base_url=emulator.base_url)
    answer = client.oauth_v2_access(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, grant_type="refresh_token", refresh_token=refresh
    )
    assert answer["token_type"] == "bot" and answer["expires_in"] == TWELVE_HOURS
    assert (
        answer["team"]["id"] == TEAM
        and answer["bot_user_id"] == "U0BOTNORTH"
        and answer["enterprise"] is None
    )
    assert answer["access_token"].startswith("xoxe.xoxb-") and answer["refresh_token"].startswith("xoxe-1-")
    assert answer["access_token"] != access and answer["refresh_token"] != refresh
    assert WebClient(answer["access_token"], base_url=emulator.base_url).auth_test()["team_id"] == TEAM
    assert WebClient(access, base_url=emulator.base_url).auth_test()[
        "ok"
    ]  # the old one lives out its 12 hours

    with pytest.raises(SlackApiError) as spent:
        client.oauth_v2_access(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            grant_type="refresh_token",
            refresh_token=refresh,
        )
    assert spent.value.response["error"] == "invalid_refresh_token"
    with pytest.raises(SlackApiError) as wrong:
        client.oauth_v2_access(
            client_id=CLIENT_ID, client_secret="not-the-secret", grant_type="refresh_token",
            refresh_token=answer["refresh_token"],
        )  # fmt: skip
    assert wrong.value.response["error"] == "bad_client_secret"


def test_emulator_expired_and_revoked_tokens(rotation):
    emulator = rotation
    access, refresh = emulator.add_rotating_token(TEAM, user_id="U0BOTNORTH", bot_id="B0NORTH")
    client = WebClient(access, base_url=emulator.base_url)
    assert client.auth_test()["ok"]
    emulator.advance(TWELVE_HOURS)  # Slack's "now" jumps past the 12 hours
    for call in (client.auth_test, lambda: client.chat_postMessage(channel=ALICE, text="hi")):
        with pytest.raises(SlackApiError) as expired:
            call()
        assert expired.value.response["error"] == "token_expired"

    other, other_refresh = emulator.add_rotating_token(OTHER_TEAM, user_id="U0BOTOTHER", bot_id="B0OTHER")
    emulator.revoke_token(other)  # an uninstall: the refresh token goes with it
    with pytest.raises(SlackApiError) as revoked:
        WebClient(base_url=emulator.base_url).oauth_v2_access(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            grant_type="refresh_token",
            refresh_token=other_refresh,
        )
    assert revoked.value.response["error"] == "invalid_refresh_token"


# --- the clock and the workers ------------------------------------------------------------------------


@pytest.mark.parametrize("left", [-60, HALF_AN_HOUR], ids=["expired", "expiring"])
def test_a_reminder_run_refreshes_an_expiring_token_once_and_posts_with_the_new_one(
    db, settings, rotation, left
):
    emulator = rotation
    old_access, old_refresh = install_rotating(db, settings, emulator, left=left)
    make_owners_with_key_results(db, emulator, [ALICE])
    client_for = _clock_clients(settings, db)  # as `northline clock` builds it

    report = checkin_reminders(db, client_for, MONDAY_LONDON)

    assert report.sent == 1 and not report.errors
    assert len(refreshes(emulator)) == 1 and refreshes(emulator, ok=True)
    new = refreshes(emulator)[0].response
    assert refreshes(emulator)[0].args["refresh_token"] == old_refresh
    posts = emulator.calls_to("chat.postMessage", ok=True)
    assert [p.token for p in posts] == [new["access_token"]]
    bot, installation = stored(settings, db)
    for row in (bot, installation):
        assert (row.bot_token, row.bot_refresh_token) == (new["access_token"], new["refresh_token"])
        assert abs(row.bot_token_expires_at - (time.time() + TWELVE_HOURS)) < 60
    assert row_counts(db) == (1, 1)  # the rows were updated, not added to

    # The next run (and every unit of work in between) uses the new token without asking again.
    emulator.clear()
    checkin_reminders(db, client_for, MONDAY_LONDON + timedelta(minutes=1))
    assert not refreshes(emulator)
    assert client_for(_workspace(db)) is client_for(_workspace(db))


def _workspace(db, team_id: str = TEAM):
    from storage.models import Workspace

    with db.session() as session:
        return session.scalar(select(Workspace).where(Workspace.team_id == team_id))


def test_a_token_with_hours_left_is_not_refreshed(db, settings, rotation):
    access, _ = install_rotating(db, settings, rotation, left=REFRESH_MINUTES_BEFORE_EXPIRY * 60 + 600)
    assert Clients(settings, db).token_for(TEAM) == access
    assert not refreshes(rotation)


def test_the_cache_never_serves_a_token_that_came_due_while_remembered(db, settings, rotation):
    access, _ = install_rotating(db, settings, rotation, left=REFRESH_MINUTES_BEFORE_EXPIRY * 60 + 60)
    clients = Clients(settings, db)
    try:
        assert clients.token_for(TEAM) == access  # now remembered for CACHE_SECONDS
        with time_machine.travel(time.time() + 120):  # two minutes on: inside the margin
            fresh = clients.token_for(TEAM)
    finally:
        close_store(clients.store, db)
    assert len(refreshes(rotation)) == 1
    assert fresh == refreshes(rotation)[0].response["access_token"] != access


def test_bolt_refreshes_through_this_store_and_slack_api_url(web_app, settings):
    """Bolt's internals, fenced: the authorize it uses is ours, its last-resort rotator talks to
    SLACK_API_URL, and it only steps in a minute before expiry (the store refreshes first)."""
    authorize = web_app._authorize
    assert isinstance(authorize, InstallationStoreAuthorize)
    assert authorize.installation_store is web_app.installation_store
    assert authorize.token_rotator.client.base_url == settings.slack_api_url
    assert authorize.token_rotation_expiration_minutes == BOLT_ROTATION_MINUTES
    assert authorize.cache_enabled


def test_many_threads_and_two_stores_spend_the_refresh_token_once(db, settings, rotation, database_url):
    """Two Clients (two stores, as two processes have) and eight threads on each, all at once:
    only the lock across stores keeps the second store from spending the same refresh token."""
    emulator = rotation
    install_rotating(db, settings, emulator, left=-60)
    emulator.delay("oauth.v2.access", 0.5)  # a slow answer: everyone else arrives while it is out
    second_db = Database.from_url(database_url)
    stores = [Clients(settings, db), Clients(settings, second_db)]
    start = threading.Barrier(16)
    tokens: list[str] = []
    failures: list[BaseException] = []

    def ask(clients: Clients) -> None:
        start.wait()
        try:
            tokens.append(clients.token_for(TEAM))
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            failures.append(error)

    threads = [threading.Thread(target=ask, args=(stores[i % 2],)) for i in range(16)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        for clients in stores:
            close_store(clients.store, clients.db)
        second_db.dispose()
    assert not failures
    assert len(refreshes(emulator)) == 1, refreshes(emulator)
    assert set(tokens) == {refreshes(emulator)[0].response["access_token"]} and len(tokens) == 16


def _ask_in_another_process(settings_fields: dict, database_url: str, start, results) -> None:
    settings = Settings(**settings_fields)
    db = Database.from_url(database_url)
    clients = Clients(settings, db)
    start.wait(30)
    began = time.time()
    try:
        results.put(("ok", clients.token_for(TEAM), began, time.time()))
    except Exception as error:  # noqa: BLE001 - reported to the test
        results.put(("error", repr(error), began, time.time()))
    finally:
        close_store(clients.store, db)
        db.dispose()


def test_two_processes_asking_at_once_refresh_once_and_both_get_the_new_token(
    db, settings, rotation, database_url
):
    """Real processes (the clock and a worker, say): the lock is the database's (PostgreSQL's
    advisory lock) or, on SQLite, a file lock beside the database file."""
    emulator = rotation
    install_rotating(db, settings, emulator, left=-60)
    emulator.delay("oauth.v2.access", 1.0)
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    fields = settings.model_dump(include={"slack_client_id", "slack_client_secret", "slack_signing_secret"})
    fields |= {"slack_api_url": emulator.base_url, "database_url": database_url}
    processes = [
        context.Process(target=_ask_in_another_process, args=(fields, database_url, start, results))
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    answers = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(30)

    assert [kind for kind, *_ in answers] == ["ok", "ok"], answers
    assert len(refreshes(emulator)) == 1, refreshes(emulator)
    assert not refreshes(emulator, ok=False)  # nobody was told invalid_refresh_token
    new = refreshes(emulator)[0].response["access_token"]
    assert [token for _, token, *_ in answers] == [new, new]
    # They really asked at the same time: each began before the other had its answer.
    assert max(began for *_, began, _ in answers) < min(ended for *_, ended in answers)
    bot, _ = stored(settings, db)
    assert bot.bot_token == new


# --- a refresh that fails stops only its own workspace -----------------------------------------------


def _break_refresh(emulator, how: str) -> None:
    if how == "refused":
        emulator.fail("oauth.v2.access", "invalid_refresh_token", times=None)
    else:
        emulator.server_error("oauth.v2.access", times=None)  # Slack down


@pytest.mark.parametrize("how", ["refused", "slack_down"])
def test_an_expired_token_that_cannot_be_refreshed_skips_only_its_workspace(
    db, settings, rotation, how, caplog
):
    emulator = rotation
    install_rotating(db, settings, emulator, left=-60)
    install(db, settings, OTHER_TEAM, OTHER_TOKEN, "U0BOTOTHER", "B0OTHER")
    make_owners_with_key_results(db, emulator, [ALICE])
    emulator.add_user("U0OTHERLDN", OTHER_TEAM, name="olivia", tz="Europe/London")
    make_owners_with_key_results(db, emulator, ["U0OTHERLDN"], team=OTHER_TEAM)
    _break_refresh(emulator, how)
    client_for = _clock_clients(settings, db)
    caplog.set_level(logging.WARNING)

    with pytest.raises(TokenRefreshFailed) as failed:
        client_for(_workspace(db, TEAM))
    assert isinstance(failed.value, NotInstalled)  # what every job already skips and logs
    assert failed.value.team_id == TEAM and TEAM in failed.value.message
    assert failed.value.reason == ("invalid_refresh_token" if how == "refused" else "HTTP 500")

    report = checkin_reminders(db, client_for, MONDAY_LONDON)
    assert report.sent == 1
    assert [(c.team_id, c.args["channel"]) for c in emulator.calls_to("chat.postMessage")] == [
        (OTHER_TEAM, "U0OTHERLDN")
    ]
    assert any(TEAM in error for error in report.errors)
    assert any(TEAM in r.getMessage() and "refresh" in r.getMessage() for r in caplog.records)
    # Asked Slack once (a 500 is not retried: Slack may have spent the single-use refresh token),
    # then left it alone for a minute rather than asking again for every unit of work.
    attempts = [c for c in emulator.calls + emulator.rejected if c.method == "oauth.v2.access"]
    assert len(attempts) == 1


def test_a_failed_refresh_with_time_left_keeps_using_the_current_token(db, settings, rotation, caplog):
    emulator = rotation
    access, _ = install_rotating(db, settings, emulator, left=HALF_AN_HOUR)
    make_owners_with_key_results(db, emulator, [ALICE])
    _break_refresh(emulator, "refused")
    caplog.set_level(logging.WARNING)

    report = checkin_reminders(db, _clock_clients(settings, db), MONDAY_LONDON)

    assert report.sent == 1 and not report.errors
    assert [c.token for c in emulator.calls_to("chat.postMessage", ok=True)] == [access]
    assert any("could not refresh" in r.getMessage() and TEAM in r.getMessage() for r in caplog.records)
    assert STILL_USABLE_SECONDS < HALF_AN_HOUR


# --- incoming requests ------------------------------------------------------------------------------


def test_a_request_for_a_workspace_whose_token_expired_is_answered_with_a_refreshed_token(
    slack, db, settings, rotation
):
    emulator = rotation
    old_access, _ = install_rotating(db, settings, emulator, left=-60)  # the latest install of TEAM

    slack.command("/kra", "add", user_id=ALICE)
    opened_view(emulator, Callback.KRA_NEW)

    assert len(refreshes(emulator)) == 1
    new = refreshes(emulator)[0].response["access_token"]
    opened = emulator.calls_to("views.open", ok=True)
    assert [c.token for c in opened] == [new]
    assert not [c for c in emulator.calls if c.token == old_access and c.ok]
    slack.settle()
    bot, installation = stored(settings, db)
    assert bot.bot_token == installation.bot_token == new


def test_a_request_whose_token_cannot_be_refreshed_gets_a_clear_answer(slack, db, settings, rotation):
    emulator = rotation
    install_rotating(db, settings, emulator, left=-60)
    _break_refresh(emulator, "refused")

    response = slack.command("/kra", "add", user_id=ALICE)

    assert response.status == 200
    said = slack.wait_for_response_url()["text"]
    assert "reinstall Northline" in said and "Traceback" not in said
    assert not emulator.calls_to("views.open")
    slack.settle()
    assert not [c for c in emulator.calls if c.ok and c.method != "response_url"]
