"""PostgreSQL going away under load: a friendly "try again", nothing written twice, and the app
recovers by itself (pool pre-ping) once the database is back."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.app import DATABASE_DOWN, create_app
from bot.settings import Settings
from bot.web import create_web
from storage.db import Database
from storage.models import KpiMeasurement
from tests.conftest import (
    ALICE,
    CLIENT_ID,
    CLIENT_SECRET,
    SIGNING_SECRET,
    NorthlineClient,
    install,
    requires_postgresql,
    serve,
)
from tests.factories import answer, make_kra_via_slack
from tests.tcp_proxy import TcpProxy


@requires_postgresql()
def test_requests_during_an_outage_get_try_again_and_the_app_heals(database_url, emulator, db):
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxied_url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxied = Database.from_url(proxied_url)
    settings = Settings(
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=emulator.base_url,
        database_url=proxied_url,
    )
    from tests.conftest import OTHER_TEAM, OTHER_TOKEN, TEAM, TOKEN

    install(db, settings, TEAM, TOKEN, "U0BOTNORTH", "B0NORTH")
    install(db, settings, OTHER_TEAM, OTHER_TOKEN, "U0BOTOTHER", "B0OTHER")
    try:
        app = create_app(settings, db=proxied)
        with serve(create_web(app, proxied)) as app_url:
            slack = NorthlineClient(app_url, app, emulator)
            make_kra_via_slack(slack, emulator)
            assert "Logged" in answer(slack, "/kra", "kpi KPI-1 10", user_id=ALICE)["text"]

            proxy.cut()
            during = slack.command("/kra", "kpi KPI-1 20", user_id=ALICE)
            assert during.status == 200
            text = slack.wait_for_response_url(timeout=15)["text"]
            assert text == DATABASE_DOWN

            proxy.restore()
            assert "Logged" in answer(slack, "/kra", "kpi KPI-1 30", user_id=ALICE)["text"]
            slack.settle()  # the listener's last work (the Home refresh) ends before the proxy goes away
        with db.session() as session:
            values = sorted(session.scalars(select(KpiMeasurement.value)))
            assert values == [10.0, 30.0]
            assert session.scalar(select(func.count()).select_from(KpiMeasurement)) == 2
    finally:
        proxied.dispose()
        proxy.close()
