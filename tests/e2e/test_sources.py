"""Data sources: sql against the real PostgreSQL and MariaDB, http against a local server, the sync
that records automatic check-ins and tells the owner of a failure once, `/okr sync`, and the
OKRs-as-code binding, all over connections the operator declared. Who may bind, which connections a
workspace may choose, where a secret may go, old bindings, concurrent syncs and the cap. No secret
in any message, log line, answer or export."""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from bot.errors import Invalid
from bot.ids import Block, Callback
from bot.logs import _Redacting
from bot.services.export import export_rows, to_csv
from bot.services.importer import ImportRejected, import_file
from bot.services.workspaces import workspace_for
from bot.settings import Settings, SettingsError, load_settings
from bot.sources.bindings import bind
from bot.sources.connections import SourceConfig, parse_connections
from bot.sources.read import SourceError, read_http, read_sql
from bot.sources.spec import SourceSpec
from bot.sources.sync import sync_binding, sync_due_sources
from storage.models import (
    CheckIn,
    KeyResult,
    KpiMeasurement,
    SourceBinding,
    SourceKind,
    Workspace,
)
from storage.repositories import okrs as okr_repo
from tests.conftest import (
    ADMIN,
    ALICE,
    BOB,
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_TEAM,
    PG_URL,
    SIGNING_SECRET,
    TEAM,
)
from tests.factories import (
    NOW,
    answer,
    answer_text,
    by_block,
    make_kra_via_service,
    opened_view,
    reminder_off,
)
from tests.factories import make_objective_via_service as make_objective

SECRET_PASSWORD = "hunter2-s3cret"
HEADER_SECRET = "Bearer sk-live-topsecret-0042"
LOCAL_PG = (
    os.environ.get("NORTHLINE_TEST_SOURCE_PG_URL")
    or PG_URL
    or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
LOCAL_MARIADB = os.environ.get("NORTHLINE_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")


# --- sql against real servers ------------------------------------------------------------------------


def _reachable(url: str) -> str | None:
    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:  # noqa: BLE001 - any failure means: skip, saying why
        return f"{type(error).__name__}"


@pytest.fixture(params=["postgresql", "mariadb"])
def sql_server(request) -> Iterator[tuple[str, str]]:
    """(table, URL) of a real server with a table `northline_src_<id>` holding three rows, read as
    a role that may only SELECT from it (a source refuses a superuser's connection)."""
    url = LOCAL_PG if request.param == "postgresql" else LOCAL_MARIADB
    problem = _reachable(url)
    if problem:
        pytest.skip(
            f"needs {request.param} on 127.0.0.1 ({problem}); set NORTHLINE_TEST_SOURCE_PG_URL / NORTHLINE_TEST_MARIADB_URL"
        )
    suffix = uuid.uuid4().hex[:8]
    table, reader = f"northline_src_{suffix}", f"nl_reader_{suffix}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    postgresql = request.param == "postgresql"
    with engine.connect() as connection:
        connection.execute(
            text(f"CREATE TABLE {table} (name VARCHAR(20), amount NUMERIC(12, 2), label VARCHAR(20))")
        )
        connection.execute(
            text(f"INSERT INTO {table} VALUES ('a', 40.5, 'x'), ('b', 2, NULL), ('c', NULL, '42.5')")
        )
        if postgresql:
            connection.execute(text(f"CREATE ROLE {reader} LOGIN"))
            connection.execute(text(f"GRANT SELECT ON {table} TO {reader}"))
        else:
            connection.execute(text(f"CREATE USER '{reader}'@'%'"))
            connection.execute(text(f"GRANT SELECT ON {make_url(url).database}.{table} TO '{reader}'@'%'"))
    reader_url = make_url(url).set(username=reader, password=None).render_as_string(hide_password=False)
    try:
        yield table, reader_url
    finally:
        with engine.connect() as connection:
            connection.execute(text(f"DROP TABLE {table}"))
            if postgresql:
                connection.execute(text(f"DROP OWNED BY {reader}"))
                connection.execute(text(f"DROP ROLE {reader}"))
            else:
                connection.execute(text(f"DROP USER IF EXISTS '{reader}'@'%'"))
        engine.dispose()


def test_sql_reads_one_number(sql_server):
    table, url = sql_server
    assert read_sql(url, f"SELECT SUM(amount) FROM {table}", connection_name="sales") == 42.5
    assert read_sql(url, f"SELECT label FROM {table} WHERE name = 'c'", connection_name="sales") == 42.5


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT amount FROM {t}", "more than one row"),
        ("SELECT amount FROM {t} WHERE name = 'zzz'", "no rows"),
        ("SELECT name FROM {t} WHERE name = 'a'", "text that is not a number"),
        ("SELECT amount FROM {t} WHERE name = 'c'", "NULL"),
        ("SELECT amount, label FROM {t} WHERE name = 'a'", "2 columns"),
        ("SELECT nothing FROM {t}", "the database refused the query"),
    ],
)
def test_sql_that_is_not_one_number_is_a_clear_error(sql_server, query, message):
    table, url = sql_server
    with pytest.raises(SourceError) as raised:
        read_sql(url, query.format(t=table), connection_name="sales")
    assert message in raised.value.message and url not in raised.value.message


@pytest.mark.parametrize(
    "query",
    [
        "INSERT INTO {t} VALUES ('d', 1, NULL)",
        "UPDATE {t} SET amount = 0",
        "DELETE FROM {t}",
        "CREATE TABLE {t}_x (n INTEGER)",
        "DROP TABLE {t}",
        "SELECT 1; COMMIT; DELETE FROM {t}",
    ],
)
def test_a_query_that_writes_is_refused(sql_server, query):
    table, url = sql_server
    with pytest.raises(SourceError) as raised:
        read_sql(url, query.format(t=table), connection_name="sales")
    assert "read-only" in raised.value.message or "refused" in raised.value.message
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text(f"SELECT COUNT(*), SUM(amount) FROM {table}")).one() == (3, 42.5)
    engine.dispose()


def test_a_slow_query_hits_the_timeout(sql_server):
    table, url = sql_server
    sleep = "pg_sleep(5)" if url.startswith("postgresql") else "SLEEP(5)"
    started = time.monotonic()
    with pytest.raises(SourceError) as raised:
        read_sql(url, f"SELECT {sleep}", connection_name="sales", timeout=1)
    assert "longer than 1 s" in raised.value.message
    assert time.monotonic() - started < 4


def test_a_database_that_cannot_be_reached_never_shows_its_url():
    url = f"postgresql+psycopg://sales:{SECRET_PASSWORD}@127.0.0.1:9/sales"
    with pytest.raises(SourceError) as raised:
        read_sql(url, "SELECT 1", connection_name="sales", timeout=2)
    assert raised.value.message == "could not connect to the database of the connection sales"


# --- http against a local server ------------------------------------------------------------------------

ALLOW = ("127.0.0.1",)  # loopback is refused unless the operator allows it (NORTHLINE_FETCH_ALLOW)


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, bytes]] = {
        "/ok": (200, b'{"data": {"total": 42, "items": [1, 2, 3]}}'),
        "/string": (200, b'{"value": "42.5"}'),
        "/nan-string": (200, b'{"value": "NaN"}'),
        "/infinity-string": (200, b'{"value": "Infinity"}'),
        "/nan-literal": (200, b'{"value": NaN}'),
        "/text-value": (200, b'{"value": "lots"}'),
        "/null": (200, b'{"value": null}'),
        "/bool": (200, b'{"value": true}'),
        "/html": (200, b"<html>not json</html>"),
        "/fail": (500, b'{"error": "boom"}'),
    }
    seen: list[tuple[int, str, dict[str, str]]]  # (server port, path, headers) of every request
    gate: threading.Event  # /gated answers only once it is set

    def do_GET(self):  # noqa: N802 - http.server's name
        self.seen.append((self.server.server_port, self.path, dict(self.headers.items())))
        path = self.path.split("?")[0]
        if path == "/slow":
            time.sleep(2)
            status, body = 200, b'{"value": 1}'
        elif path == "/gated":
            self.gate.wait(30)
            status, body = 200, b'{"value": 5}'
        elif path == "/redirect":  # to the origin named in the query: /redirect?to=http://…
            self.send_response(302)
            self.send_header("Location", self.path.split("to=", 1)[1] + "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        elif path == "/guarded":
            if self.headers.get("Authorization") != HEADER_SECRET:
                status, body = 401, b'{"error": "who are you"}'
            else:
                status, body = 200, b'{"value": 7}'
        else:
            status, body = self.routes.get(path, (404, b"{}"))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Server:
    def __init__(self):
        self.seen: list[tuple[int, str, dict[str, str]]] = []
        self.gate = threading.Event()
        handler = type("Handler", (_Handler,), {"seen": self.seen, "gate": self.gate})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self):
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def servers() -> Iterator[tuple[_Server, _Server]]:
    """Two local sources on two ports: two origins."""
    pair = (_Server(), _Server())
    yield pair
    for server in pair:
        server.close()


@pytest.fixture
def source_server(servers) -> str:
    return servers[0].origin


def test_http_reads_the_number_at_the_pointer(source_server):
    assert read_http(f"{source_server}/ok", "/data/total", allow=ALLOW) == 42
    assert read_http(f"{source_server}/ok", "/data/items/2", allow=ALLOW) == 3
    assert read_http(f"{source_server}/string", "/value", allow=ALLOW) == 42.5


@pytest.mark.parametrize(
    ("path", "pointer", "message"),
    [
        ("/fail", "/value", "answered HTTP 500"),
        ("/missing", "/value", "answered HTTP 404"),
        ("/html", "/value", "not JSON"),
        ("/ok", "/data/nothing", "nothing at /data/nothing"),
        ("/ok", "/data/items/9", "nothing at /data/items/9"),
        ("/ok", "/data", "dict, not a number"),
        ("/nan-string", "/value", "not a finite number"),
        ("/infinity-string", "/value", "not a finite number"),
        ("/nan-literal", "/value", "not a finite number"),
        ("/text-value", "/value", "text that is not a number"),
        ("/null", "/value", "NULL"),
        ("/bool", "/value", "true/false"),
    ],
)
def test_http_that_gives_no_number_is_a_clear_error(source_server, path, pointer, message):
    with pytest.raises(SourceError) as raised:
        read_http(f"{source_server}{path}?key=querysecret", pointer, allow=ALLOW)
    assert message in raised.value.message
    assert "querysecret" not in raised.value.message and source_server not in raised.value.message


def test_http_times_out(source_server):
    with pytest.raises(SourceError, match="did not answer within 0.5 s"):
        read_http(f"{source_server}/slow", "/value", allow=ALLOW, timeout=0.5)


def test_http_sends_the_secret_headers(source_server):
    secret = {"Authorization": HEADER_SECRET}
    assert read_http(f"{source_server}/guarded", "/value", secret_headers=secret, allow=ALLOW) == 7
    with pytest.raises(SourceError) as raised:
        read_http(f"{source_server}/guarded", "/value", secret_headers={"Authorization": "x"}, allow=ALLOW)
    assert "HTTP 401" in raised.value.message


def test_loopback_is_refused_unless_allowed(servers):
    with pytest.raises(SourceError, match="NORTHLINE_FETCH_ALLOW"):
        read_http(f"{servers[0].origin}/ok", "/data/total")
    assert servers[0].seen == []


def test_unreachable_source():
    with pytest.raises(SourceError, match="could not reach the source"):
        read_http("http://127.0.0.1:9/x", "/value", allow=ALLOW, timeout=2)


# --- declared connections -------------------------------------------------------------------------------


def _declare(servers, tmp_path, *, several: bool = True) -> dict[str, str]:
    """The operator's environment: metrics (secret header) and status on server 0, elsewhere on
    server 1 (another origin, no secret), other for another workspace, sales a SQLite database."""
    sales = tmp_path / "sales.db"
    engine = create_engine(f"sqlite:///{sales}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS orders (amount NUMERIC)"))
        connection.execute(text("DELETE FROM orders"))
        connection.execute(text("INSERT INTO orders VALUES (40), (2.5)"))
    engine.dispose()
    teams = {"NORTHLINE_SOURCE_METRICS_TEAMS": TEAM, "NORTHLINE_SOURCE_STATUS_TEAMS": f"{TEAM},{OTHER_TEAM}"}
    teams |= {"NORTHLINE_SOURCE_ELSEWHERE_TEAMS": TEAM, "NORTHLINE_SOURCE_SALES_TEAMS": TEAM}
    return {
        "NORTHLINE_SOURCE_METRICS_URL": servers[0].origin,
        "NORTHLINE_SOURCE_METRICS_TOKEN": HEADER_SECRET,
        "NORTHLINE_SOURCE_STATUS_URL": servers[0].origin + "/",
        "NORTHLINE_SOURCE_ELSEWHERE_URL": servers[1].origin,
        "NORTHLINE_SOURCE_OTHER_URL": servers[0].origin,
        "NORTHLINE_SOURCE_OTHER_TEAMS": OTHER_TEAM,
        "NORTHLINE_SOURCE_SALES_URL": f"sqlite:///{sales}",
        **(teams if several else {}),
    }


@pytest.fixture
def config(servers, tmp_path) -> SourceConfig:
    return SourceConfig(parse_connections(_declare(servers, tmp_path), several_workspaces=True), allow=ALLOW)


@pytest.fixture
def max_sources() -> int:
    return 200


@pytest.fixture
def settings(emulator, database_url, servers, tmp_path, max_sources) -> Settings:
    """The app as its operator set it up: the connections above, loopback allowed."""
    base = Settings(
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=emulator.base_url,
        database_url=database_url,
        northline_fetch_allow="127.0.0.1",
        northline_max_sources=max_sources,
    )
    return base.with_connections(parse_connections(_declare(servers, tmp_path), several_workspaces=True))


def test_the_allow_list_setting_is_read_from_its_variable(monkeypatch, emulator, database_url):
    monkeypatch.setenv("NORTHLINE_FETCH_ALLOW", "127.0.0.1, metrics.internal,10.0.0.0/8")
    loaded = Settings(
        slack_bot_token="xoxb-1", slack_signing_secret=SIGNING_SECRET, database_url=database_url
    )
    assert loaded.fetch_allow == loaded.sources.allow == ("127.0.0.1", "metrics.internal", "10.0.0.0/8")
    monkeypatch.setenv("NORTHLINE_FETCH_ALLOW", "10.0.0.0/8 <script>")
    with pytest.raises(SettingsError, match="NORTHLINE_FETCH_ALLOW is malformed"):
        load_settings(
            slack_bot_token="xoxb-1", slack_signing_secret=SIGNING_SECRET, database_url=database_url
        )


# --- the sync: automatic check-ins, failures told once ---------------------------------------------------


def _bind(db, kr_number: int, spec: SourceSpec, config: SourceConfig, team: str = TEAM) -> int:
    with db.session() as session:
        workspace = workspace_for(session, team)
        kr, _ = okr_repo.key_result_by_number(session, workspace.id, kr_number)
        bind(
            session,
            workspace,
            kr,
            spec,
            ALICE,
            connections=config.connections,
            max_sources=config.max_sources,
        )
        return session.scalar(select(SourceBinding.id).where(SourceBinding.key_result_id == kr.id))


def _http(path: str, pointer: str = "/value", connection: str = "status") -> SourceSpec:
    return SourceSpec(connection=connection, path=path, pointer=pointer)


class _Recorder:
    """A stand-in WebClient that records the DMs the sync sends (the sync's only Slack call)."""

    def __init__(self):
        self.sent: list[dict] = []

    def chat_postMessage(self, **kwargs):  # noqa: N802 - slack_sdk's name
        self.sent.append(kwargs)
        return {"ok": True}


def test_a_synced_value_is_an_automatic_check_in_and_a_failure_is_told_once(db, config, source_server):
    _, (kr,) = make_objective(db)
    reminder_off(db)
    binding_id = _bind(db, kr, _http("/string"), config)
    slack = _Recorder()
    t0 = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)

    report = sync_due_sources(db, lambda _w: slack, t0, config=config)
    assert (report.ran, report.recorded, report.failed) == (1, 1, 0)
    with db.session() as session:
        check_in = session.scalars(select(CheckIn)).one()
        assert (check_in.value, check_in.origin, check_in.automatic, check_in.author_id) == (
            42.5,
            "source:http",
            True,
            ALICE,
        )
        kr_row = session.scalars(select(KeyResult)).one()
        # The number moved; the owner's own last check-in did not, so the reminder still asks them.
        assert (kr_row.current_value, kr_row.last_checkin_at, kr_row.last_confidence) == (42.5, None, None)

    # Not due again within the hour; due after it, and the same number records nothing new.
    assert sync_due_sources(db, lambda _w: slack, t0 + timedelta(minutes=30), config=config).ran == 0
    again = sync_due_sources(db, lambda _w: slack, t0 + timedelta(hours=1), config=config)
    assert (again.ran, again.unchanged) == (1, 1)

    # Broken: a clear error on the binding, nothing stored, one DM for the whole run of failures.
    _set_path(db, binding_id, "/nan-string")
    for hour in range(2, 5):
        sync_due_sources(db, lambda _w: slack, t0 + timedelta(hours=hour), config=config)
    assert len(slack.sent) == 1 and slack.sent[0]["channel"] == ALICE
    assert "not a finite number" in slack.sent[0]["text"] and source_server not in slack.sent[0]["text"]
    with db.session() as session:
        binding = session.get(SourceBinding, binding_id)
        assert (
            binding.failing_since == datetime(2026, 11, 18, 11, 0)
            and "not a finite number" in binding.last_error
        )
        assert session.query(CheckIn).count() == 1

    # It works again: the error goes; a later failure is told again.
    _set_path(db, binding_id, "/ok", pointer="/data/total")
    sync_due_sources(db, lambda _w: slack, t0 + timedelta(hours=5), config=config)
    with db.session() as session:
        binding = session.get(SourceBinding, binding_id)
        assert binding.last_error is None and binding.failing_since is None and binding.last_value == 42
        assert session.query(CheckIn).count() == 2
    _set_path(db, binding_id, "/fail")
    sync_due_sources(db, lambda _w: slack, t0 + timedelta(hours=6), config=config)
    assert len(slack.sent) == 2 and "HTTP 500" in slack.sent[1]["text"]


def test_a_synced_number_keeps_the_posted_digest_true(db, config, emulator):
    from bot.jobs.digest import channel_digests
    from bot.jobs.digest_refresh import refresh_digests
    from storage.models import Objective
    from tests.conftest import CHANNEL
    from tests.factories import channel_posts, clients

    number, (kr,) = make_objective(db)
    with db.session() as session:
        session.scalar(select(Objective).where(Objective.number == number)).channel_id = CHANNEL
    binding_id = _bind(db, kr, SourceSpec(connection="sales", query="SELECT SUM(amount) FROM orders"), config)
    friday = datetime(2026, 12, 4, 16, 5, tzinfo=UTC)  # the (UTC) workspace's digest is due at 16:00
    channel_digests(db, clients(emulator), friday)
    parent = channel_posts(emulator, CHANNEL)[0].response["ts"]

    synced = sync_binding(db, None, binding_id, friday + timedelta(minutes=10), config=config)
    assert synced.recorded
    assert refresh_digests(db, clients(emulator), friday + timedelta(minutes=11)).sent == 1

    # 42.5 on the way from 40 to 60: 12.5 %, shown rounded half up.
    assert " 13%" in str(emulator.message(CHANNEL, parent)["blocks"])
    assert len(channel_posts(emulator, CHANNEL)) == 2  # the parent and its reply: nothing more


def _set_path(db, binding_id: int, path: str, pointer: str = "/value") -> None:
    with db.session() as session:
        binding = session.get(SourceBinding, binding_id)
        binding.path, binding.pointer = path, pointer


def test_a_sql_connection_is_read_with_its_query(db, config):
    _, (kr,) = make_objective(db)
    binding_id = _bind(db, kr, SourceSpec(connection="sales", query="SELECT SUM(amount) FROM orders"), config)
    result = sync_binding(db, None, binding_id, datetime(2026, 11, 18, 9, 0, tzinfo=UTC), config=config)
    assert (result.ok, result.value, result.recorded) == (True, 42.5, True)
    with db.session() as session:
        binding = session.get(SourceBinding, binding_id)
        assert (binding.kind, binding.connection, binding.query, binding.path) == (
            SourceKind.SQL,
            "sales",
            "SELECT SUM(amount) FROM orders",
            None,
        )


def test_a_kpi_source_logs_automatic_measurements(db, config):
    _, (nps, _) = make_kra_via_service(db)
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        from bot.services.kras import find_kpi

        kpi, _ = find_kpi(session, workspace, f"KPI-{nps}")
        bind(
            session,
            workspace,
            kpi,
            _http("/ok", "/data/total"),
            ALICE,
            connections=config.connections,
            max_sources=9,
        )
    report = sync_due_sources(db, None, datetime(2026, 11, 18, 9, 0, tzinfo=UTC), config=config)
    assert report.recorded == 1
    with db.session() as session:
        measurement = session.scalars(select(KpiMeasurement)).one()
        assert (measurement.value, measurement.origin) == (42.0, "source:http")


def test_a_milestone_source_must_give_one_or_zero(db, config):
    _, (kr,) = make_objective(db, krs=(("Launch", 0.0, 1.0, "", True),))
    binding_id = _bind(db, kr, _http("/string"), config)
    result = sync_binding(db, None, binding_id, datetime(2026, 11, 18, 9, 0, tzinfo=UTC), config=config)
    assert not result.ok and "milestone" in result.error
    with db.session() as session:
        assert session.query(CheckIn).count() == 0


def test_the_secret_goes_only_to_its_own_connections_origin(db, config, servers):
    first, second = servers
    _, (kr, kr2, kr3) = make_objective(
        db, krs=(("A", 0.0, 10.0, "", False), ("B", 0.0, 10.0, "", False), ("C", 0.0, 10.0, "", False))
    )
    _bind(db, kr, _http("/guarded", connection="metrics"), config)
    _bind(db, kr2, _http("/ok?x=1", "/data/total", connection="status"), config)
    _bind(db, kr3, _http("/ok", "/data/total", connection="elsewhere"), config)
    report = sync_due_sources(db, None, datetime(2026, 11, 18, 9, 0, tzinfo=UTC), config=config)
    assert (report.recorded, report.failed) == (3, 0)
    with_secret = [
        (port, path) for port, path, headers in first.seen + second.seen if HEADER_SECRET in headers.values()
    ]
    assert with_secret == [(first.server.server_port, "/guarded")]
    assert [path for _, path, _ in second.seen] == ["/ok"]


def test_the_secret_does_not_follow_a_redirect_to_another_origin(db, config, servers):
    first, second = servers
    _, (kr,) = make_objective(db)
    binding_id = _bind(
        db, kr, _http(f"/redirect?to={second.origin}", "/data/total", connection="metrics"), config
    )
    sync_binding(db, None, binding_id, datetime(2026, 11, 18, 9, 0, tzinfo=UTC), config=config)
    assert [headers.get("Authorization") for _, _, headers in first.seen] == [HEADER_SECRET]
    assert all(HEADER_SECRET not in headers.values() for _, _, headers in second.seen)


@pytest.mark.parametrize(
    "path",
    [
        "//evil.example/x",
        "http://other.example/x",
        "/a/../../x",
        "/%2e%2e/x",
        "@evil.example/x",
        "/\\\\evil/x",
    ],
)
def test_a_path_that_leaves_the_origin_is_refused(db, config, servers, path):
    _, (kr,) = make_objective(db)
    with pytest.raises(ValueError, match="path"):
        _bind(db, kr, _http(path, connection="metrics"), config)
    with db.session() as session:
        assert session.query(SourceBinding).count() == 0


def test_a_connection_not_declared_for_the_workspace_cannot_be_bound(db, config):
    _, (kr,) = make_objective(db)
    for name in ("other", "nope"):
        with pytest.raises(Invalid) as raised:
            _bind(db, kr, _http("/ok", connection=name), config)
        assert f"no connection `{name}` is declared for this workspace" in raised.value.message
        assert f"NORTHLINE_SOURCE_{name.upper()}_URL" in raised.value.message
    with db.session() as session:
        assert session.query(SourceBinding).count() == 0


def test_a_workspace_has_a_cap_on_bindings(db, config):
    capped = SourceConfig(config.connections, allow=ALLOW, max_sources=2)
    _, krs = make_objective(db, krs=tuple((f"K{i}", 0.0, 10.0, "", False) for i in range(3)))
    _bind(db, krs[0], _http("/ok", "/data/total"), capped)
    _bind(db, krs[1], _http("/ok", "/data/total"), capped)
    _bind(db, krs[1], _http("/string"), capped)  # changing one is not adding one
    with pytest.raises(Invalid, match="has 2 data sources, the most it may have"):
        _bind(db, krs[2], _http("/ok", "/data/total"), capped)
    with db.session() as session:
        assert session.query(SourceBinding).count() == 2


def test_one_slow_source_does_not_hold_another(db, config, servers):
    first, _ = servers
    _, (slow, fast) = make_objective(
        db, krs=(("Slow", 0.0, 10.0, "", False), ("Fast", 0.0, 100.0, "", False))
    )
    slow_id = _bind(db, slow, _http("/gated"), config)
    fast_id = _bind(db, fast, _http("/ok", "/data/total"), config)
    with db.session() as session:  # the slow one is due first
        session.get(SourceBinding, slow_id).last_run_at = datetime(2026, 11, 17, 7, 0)
        session.get(SourceBinding, fast_id).last_run_at = datetime(2026, 11, 17, 8, 0)
    done: list = []
    runner = threading.Thread(
        target=lambda: done.append(
            sync_due_sources(db, None, datetime(2026, 11, 18, 9, 0, tzinfo=UTC), config=config)
        )
    )
    runner.start()
    try:
        deadline = time.monotonic() + 20
        recorded = 0
        while recorded == 0 and time.monotonic() < deadline:  # polls for the fast one's check-in
            with db.session() as session:
                recorded = session.query(CheckIn).count()
            time.sleep(0.02)
        assert recorded == 1 and not done, "the fast source waited for the slow one"
        assert any(path == "/gated" for _, path, _ in first.seen)
    finally:
        first.gate.set()
        runner.join(30)
    assert done[0].recorded == 2


def test_the_api_names_a_bindings_connection_and_nothing_secret(web_app, db, emulator, config):
    from tests.factories import new_token, served_api

    _, (kr,) = make_objective(db)
    _bind(db, kr, _http("/guarded?key=querysecret", connection="metrics"), config)
    with served_api(web_app, db, emulator) as (slack, api):
        token = new_token(slack, "ci", "read")
        reply = api.get(f"/api/v1/key-results/KR-{kr}", token)
    assert reply.status == 200, reply.text
    source = reply.json()["key_result"]["source"]
    assert (source["kind"], source["connection"], source["every_minutes"]) == ("http", "metrics", 60)
    assert (
        "querysecret" not in reply.text and HEADER_SECRET not in reply.text and "/guarded" not in reply.text
    )


# --- bindings made before connections ------------------------------------------------------------------


def _old_binding(db, kr_number: int, **columns) -> int:
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        kr, _ = okr_repo.key_result_by_number(session, workspace.id, kr_number)
        binding = SourceBinding(workspace_id=workspace.id, key_result_id=kr.id, created_by=ALICE, **columns)
        session.add(binding)
        session.flush()
        return binding.id


def test_an_old_binding_is_refused_at_sync_saying_what_to_declare(slack, db, emulator, config):
    _, (kr, kr2) = make_objective(db, krs=(("A", 0.0, 10.0, "", False), ("B", 0.0, 10.0, "", False)))
    http_id = _old_binding(
        db,
        kr,
        kind="http",
        url="https://metrics.example.com/api?key=querysecret",
        pointer="/v",
        header="Authorization",
        env="NORTHLINE_SOURCE_METRICS_TOKEN",
    )
    sql_id = _old_binding(db, kr2, kind="sql", env="NORTHLINE_SOURCE_BILLING_URL", query="SELECT 1")
    reminder_off(db)
    said = answer_text(answer(slack, "/okr", f"sync KR-{kr}"))
    assert "Could not sync" in said and "an http connection for metrics.example.com" in said
    assert (
        # Escaped as all text that goes back to Slack; Slack shows it as <NAME>.
        "NORTHLINE_SOURCE_&lt;NAME&gt;_URL" in said
        and f"/okr source KR-{kr}" in said
        and "querysecret" not in said
    )
    slack_dm = _Recorder()
    sync_due_sources(db, lambda _w: slack_dm, datetime(2026, 11, 18, 9, 0, tzinfo=UTC), config=config)
    assert [m["channel"] for m in slack_dm.sent] == [ALICE]  # the sql one; the http one was told by /okr sync
    assert "a sql connection holding the database of NORTHLINE_SOURCE_BILLING_URL" in slack_dm.sent[0]["text"]
    with db.session() as session:
        for binding_id in (http_id, sql_id):
            binding = session.get(SourceBinding, binding_id)  # kept, with the reason on it
            assert "declared connections" in binding.last_error and binding.failing_since is not None
        assert session.query(CheckIn).count() == 0
    # Its form preselects no connection: saving it as it opens cannot unbind it by accident.
    form = by_block(_open_source_form(slack, emulator, kr))[Block.SOURCE_CONNECTION]["element"]
    assert "initial_option" not in form


# --- Slack: /okr sync and /okr show --------------------------------------------------------------------------


def test_okr_sync_now_and_okr_show_says_automatic(slack, db, config):
    obj, (kr,) = make_objective(db)
    said = answer_text(answer(slack, "/okr", f"sync KR-{kr}"))
    assert f"`KR-{kr}` has no data source bound" in said
    _bind(db, kr, _http("/string?key=querysecret"), config)
    said = answer_text(answer(slack, "/okr", f"sync kr-{kr}"))
    assert f"Synced `KR-{kr}`: 42.5%" in said and "automatic check-in" in said
    show = answer_text(answer(slack, "/okr", f"show OBJ-{obj}"))
    assert "automatic, from its http source" in show and "updates itself from its http source" in show
    assert "querysecret" not in show


def test_okr_sync_answers_at_once_and_reports_when_the_read_is_done(slack, db, config, servers):
    _, (kr,) = make_objective(db)
    _bind(db, kr, _http("/gated"), config)
    try:
        response = slack.command("/okr", f"sync KR-{kr}", team_id=TEAM, user_id=ALICE)
        assert response.status == 200  # answered while the source still holds its answer
        assert not emulator_posts(slack)
    finally:
        servers[0].gate.set()
    said = answer_text(slack.wait_for_response_url(timeout=15))
    assert f"Synced `KR-{kr}`: 5%" in said


def emulator_posts(slack) -> list:
    return [c for c in slack.emulator.calls if c.method == "response_url"]


def test_okr_sync_shows_a_failure_and_stores_nothing(slack, db, config):
    obj, (kr,) = make_objective(db)
    _bind(db, kr, _http("/html?key=querysecret"), config)
    said = answer_text(answer(slack, "/okr", f"sync KR-{kr}"))
    assert "Could not sync" in said and "not JSON" in said and "querysecret" not in said
    show = answer_text(answer(slack, "/okr", f"show OBJ-{obj}"))
    assert "source is failing since" in show and "not JSON" in show and "querysecret" not in show
    # Since when: the day as Slack's token, the time in UTC.
    assert re.search(
        r"failing since <!date\^\d+\^\{date_short_pretty\}\|\w{3} \d{1,2} \w{3} \d{4}>, \d\d:\d\d UTC", show
    )
    with db.session() as session:
        assert session.query(CheckIn).count() == 0


def test_only_the_owner_or_an_admin_syncs(slack, db, config):
    _, (kr,) = make_objective(db)
    _bind(db, kr, _http("/ok", "/data/total"), config)
    said = answer_text(answer(slack, "/okr", f"sync KR-{kr}", user_id=BOB))
    assert "Only the owner or a workspace admin" in said
    with db.session() as session:
        assert session.query(CheckIn).count() == 0


@pytest.mark.parametrize("text", ["sync", "sync KR-1 KR-2", "sync OBJ-1", "sync banana"])
def test_okr_sync_that_does_not_parse(slack, db, text):
    said = answer_text(answer(slack, "/okr", text))
    assert "/okr sync KR-7" in said or "reference" in said


# --- OKRs as code -----------------------------------------------------------------------------------


YAML = """
team: T0NORTH1
cycle: 2026-Q4
objectives:
  - key: sales
    title: Sell more
    owner: U0ALICE
    key_results:
      - title: Monthly revenue
        start: 0
        target: 100000
        source:
          connection: sales
          query: SELECT SUM(amount) FROM orders
          every: 30
      - title: Uptime
        start: 99
        target: 99.9
        source: {connection: metrics, path: "/api?team=7", pointer: /uptime}
"""


def test_a_binding_in_okrs_as_code(db, config):
    with db.session() as session:
        workspace_for(session, TEAM)
        import_file(session, YAML, team_id=TEAM, sources=config)
    with db.session() as session:
        bindings = session.scalars(select(SourceBinding).order_by(SourceBinding.id)).all()
        assert [(b.kind.value, b.connection, b.path, b.every_minutes) for b in bindings] == [
            ("sql", "sales", None, 30),
            ("http", "metrics", "/api?team=7", 60),
        ]
    with db.session() as session:
        again = import_file(session, YAML, team_id=TEAM, sources=config)
    assert not again.changed
    with db.session() as session:
        dropped = import_file(
            session,
            YAML.replace(
                "        source: {connection: metrics", "        sourcex: {connection: metrics"
            ).split("        sourcex")[0],
            team_id=TEAM,
            sources=config,
        )
    assert dropped.changed
    with db.session() as session:
        assert session.query(SourceBinding).count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("connection: sales", "connection: billing"), "no connection `billing` is declared"),
        (("connection: sales", "connection: other"), "no connection `other` is declared"),
        (("connection: sales", "env: NORTHLINE_SOURCE_SALES_URL"), "kind, env, url and header are no longer"),
        (("every: 30", "every: 1"), "every is a whole number of minutes"),
        (("          query: SELECT SUM(amount) FROM orders\n", ""), "write the query"),
        (("pointer: /uptime", "pointer: uptime"), "JSON pointer"),
        (('path: "/api?team=7"', "path: //evil.example/api"), "another host"),
    ],
)
def test_a_bad_binding_is_refused_with_its_line_and_nothing_is_written(db, config, change, message):
    with db.session() as session:
        workspace_for(session, TEAM)
    with pytest.raises(ImportRejected) as raised, db.session() as session:
        import_file(session, YAML.replace(*change), team_id=TEAM, sources=config)
    assert message in str(raised.value) and "line " in str(raised.value)
    with db.session() as session:
        assert session.query(SourceBinding).count() == 0


def test_a_file_over_the_cap_is_refused_and_nothing_is_written(db, config):
    capped = SourceConfig(config.connections, allow=ALLOW, max_sources=1)
    with db.session() as session:
        workspace_for(session, TEAM)
    with pytest.raises(ImportRejected) as raised, db.session() as session:
        import_file(session, YAML, team_id=TEAM, sources=capped)
    assert "This workspace has 1 data sources, the most it may have" in str(raised.value)
    with db.session() as session:
        assert session.query(SourceBinding).count() == 0 and session.query(KeyResult).count() == 0


def test_no_secret_reaches_a_log_line_or_an_export(db, config, caplog, servers, tmp_path):
    caplog.set_level(logging.DEBUG)
    _, (kr,) = make_objective(db)
    env = _declare(servers, tmp_path) | {
        "NORTHLINE_SOURCE_DOWN_URL": f"postgresql+psycopg://sales:{SECRET_PASSWORD}@127.0.0.1:9/sales",
        "NORTHLINE_SOURCE_DOWN_TEAMS": TEAM,
    }
    declared = SourceConfig(parse_connections(env, several_workspaces=True), allow=ALLOW)
    binding_id = _bind(db, kr, _http("/guarded", connection="metrics"), declared)
    assert sync_binding(db, None, binding_id, NOW, config=declared).value == 7
    with db.session() as session:
        binding = session.get(SourceBinding, binding_id)
        binding.kind, binding.connection, binding.query, binding.path, binding.pointer = (
            "sql",
            "down",
            "SELECT 1",
            None,
            None,
        )
    failed = sync_binding(db, None, binding_id, NOW + timedelta(hours=1), config=declared, timeout=2)
    assert not failed.ok and SECRET_PASSWORD not in failed.error
    formatter = _Redacting(json_lines=False, secrets=())
    lines = "\n".join(formatter.format(record) for record in caplog.records)
    assert HEADER_SECRET not in lines and SECRET_PASSWORD not in lines
    with db.session() as session:
        exported = to_csv(export_rows(session, workspace_for(session, TEAM)))
        stored = json.dumps(
            [str(v) for v in session.execute(select(SourceBinding)).scalars().one().__dict__.values()]
        )
    assert HEADER_SECRET not in exported and SECRET_PASSWORD not in exported
    assert HEADER_SECRET not in stored and SECRET_PASSWORD not in stored


# --- the Data source form (`/okr source KR-n`) ------------------------------------------------------------


def _open_source_form(slack, emulator, kr: int, user_id: str = ADMIN) -> dict:
    before = len(emulator.calls_to("views.open"))
    slack.command("/okr", f"source KR-{kr}", user_id=user_id)
    return opened_view(emulator, Callback.SOURCE, count=before + 1)


def _allow_owners(db, allowed: bool = True) -> None:
    with db.session() as session:
        session.scalars(
            select(Workspace).where(Workspace.team_id == TEAM)
        ).one().owners_may_bind_sources = allowed


def test_an_admin_binds_a_source_in_the_form_and_unbinds_it(slack, emulator, db):
    _, (kr,) = make_objective(db)
    view = _open_source_form(slack, emulator, kr)
    options = [o["value"] for o in by_block(view)[Block.SOURCE_CONNECTION]["element"]["options"]]
    assert options == ["none", "elsewhere", "metrics", "sales", "status"]  # not `other`: another workspace's
    values = {
        Block.SOURCE_CONNECTION: "sales",
        Block.SOURCE_QUERY: "SELECT SUM(amount) FROM orders",
        Block.SOURCE_EVERY: "30",
    }
    response = slack.submit_view(view, values, user_id=ADMIN)
    assert response.status == 200 and not response.body, response.text
    slack.settle()
    with db.session() as session:
        binding = session.scalars(select(SourceBinding)).one()
        assert (
            binding.kind.value,
            binding.connection,
            binding.query,
            binding.every_minutes,
            binding.created_by,
        ) == ("sql", "sales", "SELECT SUM(amount) FROM orders", 30, ADMIN)
    dm = emulator.calls_to("chat.postMessage")[-1].args["text"]
    assert f"`KR-{kr}` now updates itself from the connection `sales` every 30 minutes" in dm

    # The form opens prefilled; choosing no source removes the binding.
    again = _open_source_form(slack, emulator, kr)
    fields = by_block(again)
    assert fields[Block.SOURCE_CONNECTION]["element"]["initial_option"]["value"] == "sales"
    assert fields[Block.SOURCE_QUERY]["element"]["initial_value"] == "SELECT SUM(amount) FROM orders"
    assert slack.submit_view(again, {Block.SOURCE_CONNECTION: "none"}, user_id=ADMIN).status == 200
    slack.settle()
    with db.session() as session:
        assert session.query(SourceBinding).count() == 0


def test_an_owner_binds_only_once_an_admin_allowed_it(slack, emulator, db, servers):
    _, (kr,) = make_objective(db)
    said = answer_text(answer(slack, "/okr", f"source KR-{kr}", user_id=ALICE))
    assert "Only a workspace admin can bind a data source here" in said and "/okr settings" in said
    assert not emulator.calls_to("views.open")
    admins_view = _open_source_form(slack, emulator, kr)  # an admin's form, submitted by its owner
    values = {
        Block.SOURCE_CONNECTION: "metrics",
        Block.SOURCE_PATH: "/guarded",
        Block.SOURCE_POINTER: "/value",
    }
    response = slack.submit_view(admins_view, values, user_id=ALICE)
    assert "Only a workspace admin" in json.dumps(response.json()["errors"])
    with db.session() as session:
        assert session.query(SourceBinding).count() == 0

    _allow_owners(db)
    view = _open_source_form(slack, emulator, kr, user_id=ALICE)
    assert slack.submit_view(view, values, user_id=ALICE).status == 200
    slack.settle()
    with db.session() as session:
        binding = session.scalars(select(SourceBinding)).one()
        assert (binding.connection, binding.path, binding.pointer, binding.created_by) == (
            "metrics",
            "/guarded",
            "/value",
            ALICE,
        )
    said = answer_text(answer(slack, "/okr", f"sync KR-{kr}", user_id=ALICE))
    assert f"Synced `KR-{kr}`: 7%" in said
    guarded = [headers for _, path, headers in servers[0].seen if path == "/guarded"]
    assert [h.get("Authorization") for h in guarded] == [HEADER_SECRET]


def test_someone_else_cannot_open_or_submit_the_form_even_when_owners_may(slack, emulator, db):
    _, (kr,) = make_objective(db)
    _allow_owners(db)
    said = answer_text(answer(slack, "/okr", f"source KR-{kr}", user_id=BOB))
    assert "Only a workspace admin can bind this data source" in said
    assert not emulator.calls_to("views.open")
    view = _open_source_form(slack, emulator, kr, user_id=ALICE)  # Alice's form, submitted by Bob
    values = {Block.SOURCE_CONNECTION: "sales", Block.SOURCE_QUERY: "SELECT 1"}
    slack.submit_view(view, values, user_id=BOB)
    slack.settle()
    with db.session() as session:
        assert session.query(SourceBinding).count() == 0


@pytest.mark.parametrize("forged", ["other", "nope"])
def test_a_connection_the_form_does_not_offer_is_refused(slack, emulator, db, forged):
    _, (kr,) = make_objective(db)
    view = _open_source_form(slack, emulator, kr)
    block = by_block(view)[Block.SOURCE_CONNECTION]
    block["element"]["options"].append({"text": {"type": "plain_text", "text": forged}, "value": forged})
    response = slack.submit_forged_view(
        view,
        {Block.SOURCE_CONNECTION: forged, Block.SOURCE_PATH: "/ok", Block.SOURCE_POINTER: "/a"},
        user_id=ADMIN,
    )
    errors = response.json()["errors"]
    assert f"No connection {forged} is declared for this workspace" in errors[Block.SOURCE_CONNECTION]
    with db.session() as session:
        assert session.query(SourceBinding).count() == 0


@pytest.mark.parametrize(
    ("values", "block", "message"),
    [
        ({Block.SOURCE_CONNECTION: "sales"}, Block.SOURCE_QUERY, "write the query"),
        ({Block.SOURCE_CONNECTION: "metrics", Block.SOURCE_PATH: "/a"}, Block.SOURCE_POINTER, "JSON pointer"),
        (
            {
                Block.SOURCE_CONNECTION: "metrics",
                Block.SOURCE_PATH: "//evil.example/a",
                Block.SOURCE_POINTER: "/a",
            },
            Block.SOURCE_PATH,
            "another host",
        ),
        (
            {
                Block.SOURCE_CONNECTION: "metrics",
                Block.SOURCE_PATH: "http://other.example/a",
                Block.SOURCE_POINTER: "/a",
            },
            Block.SOURCE_PATH,
            "starts with /",
        ),
        (
            {Block.SOURCE_CONNECTION: "sales", Block.SOURCE_QUERY: "SELECT 1", Block.SOURCE_EVERY: "1"},
            Block.SOURCE_EVERY,
            "whole number of minutes",
        ),
    ],
)
def test_a_wrong_field_in_the_form_is_shown_under_it_and_nothing_is_stored(
    slack, emulator, db, values, block, message
):
    _, (kr,) = make_objective(db)
    view = _open_source_form(slack, emulator, kr)
    response = slack.submit_view(view, values, user_id=ADMIN)
    errors = response.json()["errors"]
    assert message in errors[block], errors
    with db.session() as session:
        assert session.query(SourceBinding).count() == 0


@pytest.mark.parametrize("max_sources", [1])
def test_the_form_refuses_a_source_over_the_cap(slack, emulator, db, max_sources):
    _, (kr, kr2) = make_objective(db, krs=(("A", 0.0, 10.0, "", False), ("B", 0.0, 10.0, "", False)))
    first = _open_source_form(slack, emulator, kr)
    values = {Block.SOURCE_CONNECTION: "sales", Block.SOURCE_QUERY: "SELECT 1"}
    assert slack.submit_view(first, values, user_id=ADMIN).status == 200
    view = _open_source_form(slack, emulator, kr2)
    response = slack.submit_view(view, values, user_id=ADMIN)
    assert (
        "This workspace has 1 data sources, the most it may have"
        in response.json()["errors"][Block.SOURCE_CONNECTION]
    )
    with db.session() as session:
        assert session.query(SourceBinding).count() == 1


def test_an_automatic_value_keeps_the_owners_confidence_and_check_in_time(slack, db, config):
    _, (kr,) = make_objective(db)
    answer(slack, "/okr", f"checkin KR-{kr} 45 at-risk waiting on legal")
    with db.session() as session:
        before = session.scalars(select(KeyResult.last_checkin_at)).one()
    binding_id = _bind(db, kr, _http("/string"), config)
    assert sync_binding(db, None, binding_id, before + timedelta(hours=1), config=config).recorded
    with db.session() as session:
        row = session.scalars(select(KeyResult)).one()
        assert (row.current_value, row.last_confidence, row.last_checkin_at) == (42.5, "at_risk", before)


def test_the_clock_syncs_due_sources_off_its_tick_one_run_at_a_time(db, config):
    from bot.jobs.engine import Engine
    from bot.scheduler import Clock
    from bot.settings import DeliverySettings

    _, (kr,) = make_objective(db)
    _bind(db, kr, _http("/string"), config)
    slack = _Recorder()
    with Engine(db, lambda _w: slack, DeliverySettings()) as engine:
        clock = Clock(db, engine, threading.Event(), sources=config)
        clock.sync_sources(datetime(2026, 11, 18, 9, 0, tzinfo=UTC))
        first = clock.syncing
        clock.sync_sources(datetime(2026, 11, 18, 9, 1, tzinfo=UTC))  # still running: not started twice
        assert clock.syncing is first or first.done()
        assert first.result(timeout=30).recorded == 1
    with db.session() as session:
        assert session.scalars(select(CheckIn)).one().origin == "source:http"


def test_the_reminder_and_the_digest_say_a_number_updated_itself(db, emulator, config):
    from bot.jobs.digest import channel_digests
    from bot.jobs.reminders import checkin_reminders
    from storage.models import Objective
    from tests.conftest import CHANNEL
    from tests.factories import FRIDAY_LONDON, MONDAY_LONDON, clients

    _, (kr,) = make_objective(db)
    with db.session() as session:
        session.scalars(select(Objective)).one().channel_id = CHANNEL
    _bind(db, kr, _http("/string"), config)
    assert (
        sync_due_sources(
            db, lambda _w: _Recorder(), MONDAY_LONDON - timedelta(days=1), config=config
        ).recorded
        == 1
    )

    checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    [dm] = [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args["channel"] == ALICE]
    assert "updated itself from its data source: how confident are you?" in json.dumps(dm.args["blocks"])

    channel_digests(db, clients(emulator), FRIDAY_LONDON)
    digest = [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args["channel"] == CHANNEL]
    # Moved this week: in the parent's lead, once.
    assert json.dumps([c.args["blocks"] for c in digest]).count("updated by its data source") == 1
