"""Many workspaces on one deployment: per-workspace tokens, refusals, uninstall and purge."""

from __future__ import annotations

import json
import logging
from urllib.request import urlopen

import pytest
from sqlalchemy import func, select

from bot.cli import main as northline
from bot.installations import installation_store
from bot.logs import configure, redact
from bot.web import create_web
from storage.db import Database
from storage.models import Kra, Workspace
from tests.conftest import ALICE, MALLORY, OTHER_TEAM, OTHER_TOKEN, TEAM, TOKEN, serve
from tests.factories import answer, make_kra_via_slack


def workspace_count(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Workspace))


def test_a_workspace_that_never_installed_gets_a_polite_refusal_and_no_data(slack, db, emulator):
    emulator.add_user("U0STRANGER", "T0STRANGER", name="stranger")
    response = slack.command("/kra", "list", user_id="U0STRANGER", team_id="T0STRANGER")
    assert response.status == 200
    assert "isn't installed" in slack.wait_for_response_url()["text"]
    assert workspace_count(db) == 0
    assert not [c for c in emulator.calls if c.method not in ("auth.test", "response_url")]


def test_each_workspace_is_answered_with_its_own_token(slack, emulator, db):
    make_kra_via_slack(slack, emulator, user=ALICE)
    make_kra_via_slack(slack, emulator, user=MALLORY, owner=MALLORY, team=OTHER_TEAM, title="Other area")
    calls = [c for c in emulator.calls if c.method in ("views.open", "chat.postMessage", "views.publish")]
    assert {c.team_id for c in calls} == {TEAM, OTHER_TEAM}
    for call in calls:
        assert call.token == (TOKEN if call.team_id == TEAM else OTHER_TOKEN), call
    # References are per workspace: both are KRA-1, and neither sees the other's.
    assert "Customer satisfaction" in answer(slack, "/kra", "show KRA-1", user_id=ALICE)["text"] + json.dumps(
        slack.wait_for_response_url()
    )
    other = answer(slack, "/kra", "list all", user_id=MALLORY, team_id=OTHER_TEAM)
    assert "Other area" in json.dumps(other) and "Customer satisfaction" not in json.dumps(other)


def test_single_workspace_mode_refuses_requests_claiming_another_team(single_slack, db, emulator):
    ok = single_slack.command("/kra", "help", user_id=ALICE)
    assert ok.status == 200 and "/kra add" in single_slack.wait_for_response_url()["text"]
    emulator.clear()
    refused = single_slack.command("/kra", "add Sneaky", user_id=MALLORY, team_id=OTHER_TEAM)
    assert refused.status == 200 and "isn't installed" in single_slack.wait_for_response_url()["text"]
    with db.session() as session:
        assert session.scalar(select(Workspace.team_id).where(Workspace.team_id == OTHER_TEAM)) is None
    assert not emulator.calls_to("views.open")


def test_uninstall_keeps_data_until_purged_and_purge_touches_no_other_workspace(
    slack, emulator, db, settings, database_url, monkeypatch, capsys
):
    make_kra_via_slack(slack, emulator, user=ALICE)
    make_kra_via_slack(slack, emulator, user=MALLORY, owner=MALLORY, team=OTHER_TEAM, title="Other area")
    response = slack.event({"type": "app_uninstalled"}, team_id=TEAM)
    assert response.status == 200
    store = installation_store(settings, db)
    for _ in range(100):
        store.forget()  # this test's own store must not answer from its cache
        if store.find_bot(enterprise_id=None, team_id=TEAM) is None:
            break
        __import__("time").sleep(0.05)
    assert store.find_bot(enterprise_id=None, team_id=TEAM) is None
    assert store.find_bot(enterprise_id=None, team_id=OTHER_TEAM) is not None
    with db.session() as session:
        assert session.scalar(select(Workspace.uninstalled_at).where(Workspace.team_id == TEAM)) is not None
        assert session.scalar(select(func.count()).select_from(Kra)) == 2  # kept for now

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DATA_RETENTION_DAYS", "30")
    with pytest.raises(SystemExit) as done:
        northline(["workspace", "purge"])
    assert done.value.code == 0 and "purged 0" in capsys.readouterr().out  # not 30 days yet

    with pytest.raises(SystemExit) as done:
        northline(["workspace", "purge", TEAM, "--now"])
    assert done.value.code == 0
    with db.session() as session:
        assert session.scalars(select(Workspace.team_id)).all() == [OTHER_TEAM]
        assert session.scalars(select(Kra.title)).all() == ["Other area"]
    assert store.find_bot(enterprise_id=None, team_id=OTHER_TEAM) is not None


def test_purge_after_the_retention_period(db, monkeypatch, database_url, capsys, now):
    from datetime import timedelta

    today = now.replace(tzinfo=None)
    with db.session() as session:
        session.add(Workspace(team_id="T0OLD", uninstalled_at=today - timedelta(days=40)))
        session.add(Workspace(team_id="T0RECENT", uninstalled_at=today - timedelta(days=3)))
        session.add(Workspace(team_id="T0ACTIVE"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    with pytest.raises(SystemExit):
        northline(["workspace", "purge"])
    assert "T0OLD" in capsys.readouterr().out
    with db.session() as session:
        assert sorted(session.scalars(select(Workspace.team_id))) == ["T0ACTIVE", "T0RECENT"]


def test_tokens_revoked_removes_the_bot_token(slack, db, settings):
    response = slack.event({"type": "tokens_revoked", "tokens": {"bot": ["U0BOTOTHER"]}}, team_id=OTHER_TEAM)
    assert response.status == 200
    store = installation_store(settings, db)
    for _ in range(100):
        store.forget()  # this test's own store must not answer from its cache
        if store.find_bot(enterprise_id=None, team_id=OTHER_TEAM) is None:
            break
        __import__("time").sleep(0.05)
    assert store.find_bot(enterprise_id=None, team_id=OTHER_TEAM) is None
    assert store.find_bot(enterprise_id=None, team_id=TEAM) is not None


def test_install_page_links_to_slack_with_a_stored_state(app_url):
    with urlopen(f"{app_url}/slack/install") as response:
        page = response.read().decode()
    assert response.status == 200
    assert "https://slack.com/oauth/v2/authorize?state=" in page and "client_id=1111111111.2222222222" in page


def test_healthz_says_which_part_failed():
    broken = Database.from_url("postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    with serve(create_web(None, broken)) as url:
        try:
            urlopen(f"{url}/healthz")
        except Exception as error:  # HTTPError 503
            body = json.loads(error.read())
            assert error.code == 503
            assert body["ok"] is False and body["checks"]["database"].startswith("failed")
        else:
            pytest.fail("healthz said ok with no database")
    broken.dispose()


def test_logs_never_contain_tokens_or_secrets(capsys):
    configure("INFO", json_lines=True, secrets=("super-signing-secret",))
    logging.getLogger("northline.test").info("posting with xoxb-123-456-abc and super-signing-secret")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert "xoxb-123" not in line and "super-signing-secret" not in line
    assert record["level"] == "INFO" and "[redacted]" in record["message"]
    assert redact("xapp-1-A-2-abc") == "[redacted]"
    logging.getLogger().handlers.clear()


def test_an_org_wide_grid_install_serves_its_workspaces_and_keeps_them_apart(slack, emulator, db, settings):
    """Keyed by enterprise_id: one install, one token; each workspace still has its own data."""
    import time as clock
    from urllib.parse import urlencode

    from slack_sdk.oauth.installation_store import Installation

    from bot.installations import BOT_SCOPES

    org, token = "E0ORG", "xoxb-grid-org"
    emulator.add_token(token, "T0GRIDA", user_id="U0BOTGRID", bot_id="B0GRID", enterprise_id=org)
    emulator.add_team("T0GRIDB", enterprise_id=org)
    for user, team in (("U0GRIDA", "T0GRIDA"), ("U0GRIDB", "T0GRIDB")):
        emulator.add_user(user, team, name=user.lower())
    installation_store(settings, db).save(
        Installation(
            app_id="A0NORTHLINE",
            enterprise_id=org,
            team_id=None,
            is_enterprise_install=True,
            bot_token=token,
            bot_id="B0GRID",
            bot_user_id="U0BOTGRID",
            bot_scopes=BOT_SCOPES,
            user_id="U0GRIDA",
            installed_at=clock.time(),
        )
    )

    def grid_command(team: str, user: str, text: str) -> dict:
        response_url = emulator.new_response_url(team, channel_id="C0GRID", user_id=user)
        body = urlencode(
            {
                "token": "x",
                "team_id": team,
                "team_domain": team.lower(),
                "enterprise_id": org,
                "enterprise_name": "Org",
                "channel_id": "C0GRID",
                "channel_name": "grid",
                "user_id": user,
                "user_name": user.lower(),
                "command": "/kra",
                "text": text,
                "api_app_id": "A0NORTHLINE",
                "is_enterprise_install": "true",
                "response_url": response_url,
                "trigger_id": "1.2.3",
            }
        )
        response = slack.raw(body, {"Content-Type": "application/x-www-form-urlencoded", **slack.sign(body)})
        assert response.status == 200
        return slack.wait_for_response_url(response_url=response_url)

    with db.session() as session:
        from bot.services.workspaces import workspace_for

        workspace = workspace_for(session, "T0GRIDA", org)
        session.add(
            Kra(
                workspace_id=workspace.id,
                number=1,
                title="Grid area A",
                owner_id="U0GRIDA",
                created_by="U0GRIDA",
            )
        )
    assert "Grid area A" in json.dumps(grid_command("T0GRIDA", "U0GRIDA", "list all"))
    other = grid_command("T0GRIDB", "U0GRIDB", "list all")
    assert "Grid area A" not in json.dumps(other) and "no active KRAs" in other["text"]
    with db.session() as session:
        rows = dict(session.execute(select(Workspace.team_id, Workspace.enterprise_id)).all())
    assert rows["T0GRIDA"] == org and rows["T0GRIDB"] == org


def test_the_store_remembers_a_persons_missing_install_but_never_a_workspaces(db, settings):
    """Bolt looks up the asker's own installation (a user token) on every request; nobody in a
    bot-only install has one. That absence is remembered, so a request costs no extra query; a
    workspace's absence never is, so a fresh install works at once."""
    from slack_sdk.oauth.installation_store import Installation
    from sqlalchemy import event

    store = installation_store(settings, db)
    queries: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: queries.append(args[2]))
    for _ in range(3):
        assert store.find_installation(enterprise_id=None, team_id="T0FRESH", user_id="U0NOBODY") is None
    assert len(queries) == 1
    assert store.find_installation(enterprise_id=None, team_id="T0FRESH") is None
    installation = Installation(
        app_id="A1",
        enterprise_id=None,
        team_id="T0FRESH",
        bot_token="xoxb-fresh",
        bot_id="B1",
        bot_user_id="U0BOTFRESH",
        user_id="U0INSTALLER",
    )
    installation_store(settings, db).save(installation)  # another process's store: this one's cache stays
    assert store.find_installation(enterprise_id=None, team_id="T0FRESH").bot_token == "xoxb-fresh"
    assert store.find_bot(enterprise_id=None, team_id="T0FRESH").bot_token == "xoxb-fresh"
