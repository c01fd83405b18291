"""Data sources: sql against the real PostgreSQL and MariaDB, http against a local server, the sync
that records automatic check-ins and tells the owner of a failure once, `/okr sync`, and the
OKRs-as-code binding. No secret in any message, log line, answer or export."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import create_engine, select, text

from bot.ids import Block, Callback
from bot.logs import _Redacting
from bot.services.export import export_rows, to_csv
from bot.services.importer import ImportRejected, import_file
from bot.services.workspaces import workspace_for
from bot.sources.bindings import bind
from bot.sources.read import SourceError, read_http, read_sql
from bot.sources.spec import SourceSpec
from bot.sources.sync import sync_binding, sync_due_sources
from storage.models import CheckIn, KeyResult, KpiMeasurement, SourceBinding
from storage.repositories import okrs as okr_repo
from tests.conftest import ALICE, BOB, PG_URL, TEAM
from tests.factories import NOW, answer, answer_text, make_kra, opened_view
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
    """(dialect, URL) of a real server with a table `northline_src_<id>` holding three rows."""
    url = LOCAL_PG if request.param == "postgresql" else LOCAL_MARIADB
    problem = _reachable(url)
    if problem:
        pytest.skip(
            f"needs {request.param} on 127.0.0.1 ({problem}); set NORTHLINE_TEST_SOURCE_PG_URL / NORTHLINE_TEST_MARIADB_URL"
        )
    table = f"northline_src_{uuid.uuid4().hex[:8]}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(f"CREATE TABLE {table} (name VARCHAR(20), amount NUMERIC(12, 2), label VARCHAR(20))")
        )
        connection.execute(
            text(f"INSERT INTO {table} VALUES ('a', 40.5, 'x'), ('b', 2, NULL), ('c', NULL, '42.5')")
        )
    try:
        yield table, url
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE {table}"))
        engine.dispose()


def _env(url: str) -> dict[str, str]:
    return {"NORTHLINE_SOURCE_SALES_URL": url}


def test_sql_reads_one_number(sql_server):
    table, url = sql_server
    assert read_sql("NORTHLINE_SOURCE_SALES_URL", f"SELECT SUM(amount) FROM {table}", env=_env(url)) == 42.5
    assert (
        read_sql("NORTHLINE_SOURCE_SALES_URL", f"SELECT label FROM {table} WHERE name = 'c'", env=_env(url))
        == 42.5
    )


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
        read_sql("NORTHLINE_SOURCE_SALES_URL", query.format(t=table), env=_env(url))
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
        read_sql("NORTHLINE_SOURCE_SALES_URL", query.format(t=table), env=_env(url))
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
        read_sql("NORTHLINE_SOURCE_SALES_URL", f"SELECT {sleep}", env=_env(url), timeout=1)
    assert "longer than 1 s" in raised.value.message
    assert time.monotonic() - started < 4


def test_a_database_that_cannot_be_reached_never_shows_its_url():
    env = {"NORTHLINE_SOURCE_SALES_URL": f"postgresql+psycopg://sales:{SECRET_PASSWORD}@127.0.0.1:9/sales"}
    with pytest.raises(SourceError) as raised:
        read_sql("NORTHLINE_SOURCE_SALES_URL", "SELECT 1", env=env, timeout=2)
    assert raised.value.message == "could not connect to the database in NORTHLINE_SOURCE_SALES_URL"


@pytest.mark.parametrize(
    "name", ["DATABASE_URL", "SLACK_BOT_TOKEN", "NORTHLINE_SOURCE_", "northline_source_x"]
)
def test_only_source_variables_can_be_named(name):
    with pytest.raises(SourceError, match="NORTHLINE_SOURCE_"):
        read_sql(name, "SELECT 1", env={name: "sqlite://"})


def test_an_unset_variable_is_named_not_guessed():
    with pytest.raises(SourceError, match="NORTHLINE_SOURCE_NOPE is not set"):
        read_sql("NORTHLINE_SOURCE_NOPE", "SELECT 1", env={})


# --- http against a local server ------------------------------------------------------------------------


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

    def do_GET(self):  # noqa: N802 - http.server's name
        path = self.path.split("?")[0]
        if path == "/slow":
            time.sleep(2)
            status, body = 200, b'{"value": 1}'
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


@pytest.fixture(scope="module")
def source_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_http_reads_the_number_at_the_pointer(source_server):
    assert read_http(f"{source_server}/ok", "/data/total") == 42
    assert read_http(f"{source_server}/ok", "/data/items/2") == 3
    assert read_http(f"{source_server}/string", "/value") == 42.5


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
        read_http(f"{source_server}{path}?key=querysecret", pointer)
    assert message in raised.value.message
    assert "querysecret" not in raised.value.message and source_server not in raised.value.message


def test_http_times_out(source_server):
    with pytest.raises(SourceError, match="did not answer within 0.5 s"):
        read_http(f"{source_server}/slow", "/value", timeout=0.5)


def test_http_sends_the_header_from_its_variable(source_server):
    env = {"NORTHLINE_SOURCE_METRICS_TOKEN": HEADER_SECRET}
    assert (
        read_http(
            f"{source_server}/guarded",
            "/value",
            header="Authorization",
            env_name="NORTHLINE_SOURCE_METRICS_TOKEN",
            env=env,
        )
        == 7
    )
    with pytest.raises(SourceError) as raised:
        read_http(
            f"{source_server}/guarded",
            "/value",
            header="Authorization",
            env_name="NORTHLINE_SOURCE_METRICS_TOKEN",
            env={"NORTHLINE_SOURCE_METRICS_TOKEN": "wrong"},
        )
    assert "HTTP 401" in raised.value.message


def test_unreachable_source(source_server):
    with pytest.raises(SourceError, match="could not reach the source"):
        read_http("http://127.0.0.1:9/x", "/value", timeout=2)


# --- the sync: automatic check-ins, failures told once ---------------------------------------------------


def _bind(db, kr_number: int, spec: SourceSpec) -> int:
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        kr, _ = okr_repo.key_result_by_number(session, workspace.id, kr_number)
        bind(session, workspace, kr, spec, ALICE)
        return session.scalar(select(SourceBinding.id).where(SourceBinding.key_result_id == kr.id))


class _Recorder:
    """A stand-in WebClient that records the DMs the sync sends (the sync's only Slack call)."""

    def __init__(self):
        self.sent: list[dict] = []

    def chat_postMessage(self, **kwargs):  # noqa: N802 - slack_sdk's name
        self.sent.append(kwargs)
        return {"ok": True}


def test_a_synced_value_is_an_automatic_check_in_and_a_failure_is_told_once(db, source_server):
    _, (kr,) = make_objective(db)
    env = {"NORTHLINE_SOURCE_METRICS_TOKEN": HEADER_SECRET}
    good = SourceSpec(kind="http", url=f"{source_server}/string", pointer="/value")
    binding_id = _bind(db, kr, good)
    slack = _Recorder()
    t0 = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)

    report = sync_due_sources(db, lambda _w: slack, t0, env=env)
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
    assert sync_due_sources(db, lambda _w: slack, t0 + timedelta(minutes=30), env=env).ran == 0
    again = sync_due_sources(db, lambda _w: slack, t0 + timedelta(hours=1), env=env)
    assert (again.ran, again.unchanged) == (1, 1)

    # Broken: a clear error on the binding, nothing stored, one DM for the whole run of failures.
    _set_url(db, binding_id, f"{source_server}/nan-string")
    for hour in range(2, 5):
        sync_due_sources(db, lambda _w: slack, t0 + timedelta(hours=hour), env=env)
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
    _set_url(db, binding_id, f"{source_server}/ok", pointer="/data/total")
    sync_due_sources(db, lambda _w: slack, t0 + timedelta(hours=5), env=env)
    with db.session() as session:
        binding = session.get(SourceBinding, binding_id)
        assert binding.last_error is None and binding.failing_since is None and binding.last_value == 42
        assert session.query(CheckIn).count() == 2
    _set_url(db, binding_id, f"{source_server}/fail")
    sync_due_sources(db, lambda _w: slack, t0 + timedelta(hours=6), env=env)
    assert len(slack.sent) == 2 and "HTTP 500" in slack.sent[1]["text"]


def _set_url(db, binding_id: int, url: str, pointer: str = "/value") -> None:
    with db.session() as session:
        binding = session.get(SourceBinding, binding_id)
        binding.url, binding.pointer = url, pointer


def test_a_kpi_source_logs_automatic_measurements(db, source_server):
    _, (nps, _) = make_kra(db)
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        from bot.services.kras import find_kpi

        kpi, _ = find_kpi(session, workspace, f"KPI-{nps}")
        bind(
            session,
            workspace,
            kpi,
            SourceSpec(kind="http", url=f"{source_server}/ok", pointer="/data/total"),
            ALICE,
        )
    report = sync_due_sources(db, None, datetime(2026, 11, 18, 9, 0, tzinfo=UTC))
    assert report.recorded == 1
    with db.session() as session:
        measurement = session.scalars(select(KpiMeasurement)).one()
        assert (measurement.value, measurement.origin) == (42.0, "source:http")


def test_a_milestone_source_must_give_one_or_zero(db, source_server):
    _, (kr,) = make_objective(db, krs=(("Launch", 0.0, 1.0, "", True),))
    binding_id = _bind(db, kr, SourceSpec(kind="http", url=f"{source_server}/string", pointer="/value"))
    result = sync_binding(db, None, binding_id, datetime(2026, 11, 18, 9, 0, tzinfo=UTC))
    assert not result.ok and "milestone" in result.error
    with db.session() as session:
        assert session.query(CheckIn).count() == 0


# --- Slack: /okr sync and /okr show --------------------------------------------------------------------------


def test_okr_sync_now_and_okr_show_says_automatic(slack, db, source_server):
    obj, (kr,) = make_objective(db)
    said = answer_text(answer(slack, "/okr", f"sync KR-{kr}"))
    assert f"`KR-{kr}` has no data source bound" in said
    _bind(db, kr, SourceSpec(kind="http", url=f"{source_server}/string?key=querysecret", pointer="/value"))
    said = answer_text(answer(slack, "/okr", f"sync kr-{kr}"))
    assert f"Synced `KR-{kr}`: 42.5%" in said and "automatic check-in" in said
    show = answer_text(answer(slack, "/okr", f"show OBJ-{obj}"))
    assert "automatic, from its http source" in show and "updates itself from its http source" in show
    assert "querysecret" not in show


def test_okr_sync_shows_a_failure_and_stores_nothing(slack, db, source_server):
    obj, (kr,) = make_objective(db)
    _bind(db, kr, SourceSpec(kind="http", url=f"{source_server}/html?key=querysecret", pointer="/value"))
    said = answer_text(answer(slack, "/okr", f"sync KR-{kr}"))
    assert "Could not sync" in said and "not JSON" in said and "querysecret" not in said
    show = answer_text(answer(slack, "/okr", f"show OBJ-{obj}"))
    assert "source is failing since" in show and "not JSON" in show and "querysecret" not in show
    with db.session() as session:
        assert session.query(CheckIn).count() == 0


def test_only_the_owner_or_an_admin_syncs(slack, db, source_server):
    _, (kr,) = make_objective(db)
    _bind(db, kr, SourceSpec(kind="http", url=f"{source_server}/ok", pointer="/data/total"))
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
          kind: sql
          env: NORTHLINE_SOURCE_SALES_URL
          query: SELECT SUM(amount) FROM orders
          every: 30
      - title: Uptime
        start: 99
        target: 99.9
        source: {kind: http, url: "https://status.example/api", pointer: /uptime, header: Authorization, env: NORTHLINE_SOURCE_STATUS_TOKEN}
"""


def test_a_binding_in_okrs_as_code(db):
    with db.session() as session:
        workspace_for(session, TEAM)
        import_file(session, YAML, team_id=TEAM)
    with db.session() as session:
        bindings = session.scalars(select(SourceBinding).order_by(SourceBinding.id)).all()
        assert [(b.kind.value, b.env, b.every_minutes) for b in bindings] == [
            ("sql", "NORTHLINE_SOURCE_SALES_URL", 30),
            ("http", "NORTHLINE_SOURCE_STATUS_TOKEN", 60),
        ]
    with db.session() as session:
        again = import_file(session, YAML, team_id=TEAM)
    assert not again.changed
    with db.session() as session:
        dropped = import_file(
            session,
            YAML.replace("        source: {kind: http", "        sourcex: {kind: http").split(
                "        sourcex"
            )[0],
            team_id=TEAM,
        )
    assert dropped.changed
    with db.session() as session:
        assert session.query(SourceBinding).count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("NORTHLINE_SOURCE_SALES_URL", "DATABASE_URL"), "NORTHLINE_SOURCE_"),
        (("every: 30", "every: 1"), "every is a whole number of minutes"),
        (("kind: sql", "kind: ftp"), "kind is sql or http"),
        (("          query: SELECT SUM(amount) FROM orders\n", ""), "needs env"),
        (("pointer: /uptime", "pointer: uptime"), "JSON pointer"),
    ],
)
def test_a_bad_binding_is_refused_with_its_line_and_nothing_is_written(db, change, message):
    with db.session() as session:
        workspace_for(session, TEAM)
    with pytest.raises(ImportRejected) as raised, db.session() as session:
        import_file(session, YAML.replace(*change), team_id=TEAM)
    assert message in str(raised.value) and "line " in str(raised.value)
    with db.session() as session:
        assert session.query(SourceBinding).count() == 0


def test_no_secret_reaches_a_log_line_or_an_export(db, source_server, caplog):
    caplog.set_level(logging.DEBUG)
    _, (kr,) = make_objective(db)
    env = {
        "NORTHLINE_SOURCE_METRICS_TOKEN": HEADER_SECRET,
        "NORTHLINE_SOURCE_SALES_URL": f"postgresql+psycopg://sales:{SECRET_PASSWORD}@127.0.0.1:9/sales",
    }
    binding_id = _bind(
        db,
        kr,
        SourceSpec(
            kind="http",
            url=f"{source_server}/guarded",
            pointer="/value",
            header="Authorization",
            env="NORTHLINE_SOURCE_METRICS_TOKEN",
        ),
    )
    assert sync_binding(db, None, binding_id, NOW, env=env).value == 7
    with db.session() as session:
        binding = session.get(SourceBinding, binding_id)
        binding.kind, binding.query, binding.url, binding.pointer, binding.header = (
            "sql",
            "SELECT 1",
            None,
            None,
            None,
        )
        binding.env = "NORTHLINE_SOURCE_SALES_URL"
    failed = sync_binding(db, None, binding_id, NOW + timedelta(hours=1), env=env, timeout=2)
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


def _open_source_form(slack, emulator, kr: int, user_id: str = ALICE) -> dict:
    before = len(emulator.calls_to("views.open"))
    slack.command("/okr", f"source KR-{kr}", user_id=user_id)
    return opened_view(emulator, Callback.SOURCE, count=before + 1)


def test_the_owner_binds_a_source_in_the_form_and_unbinds_it(slack, emulator, db):
    _, (kr,) = make_objective(db)
    view = _open_source_form(slack, emulator, kr)
    values = {
        Block.SOURCE_KIND: "sql",
        Block.SOURCE_ENV: "NORTHLINE_SOURCE_SALES_URL",
        Block.SOURCE_QUERY: "SELECT SUM(amount) FROM orders",
        Block.SOURCE_EVERY: "30",
    }
    response = slack.submit_view(view, values, user_id=ALICE)
    assert response.status == 200 and not response.body, response.text
    slack.settle()
    with db.session() as session:
        binding = session.scalars(select(SourceBinding)).one()
        assert (
            binding.kind.value,
            binding.env,
            binding.query,
            binding.every_minutes,
            binding.created_by,
        ) == ("sql", "NORTHLINE_SOURCE_SALES_URL", "SELECT SUM(amount) FROM orders", 30, ALICE)
    dm = emulator.calls_to("chat.postMessage")[-1].args["text"]
    assert f"`KR-{kr}` now updates itself from its sql source every 30 minutes" in dm

    # The form opens prefilled; choosing no source removes the binding.
    again = _open_source_form(slack, emulator, kr)
    fields = {b.get("block_id"): b for b in again["blocks"]}
    assert fields[Block.SOURCE_ENV]["element"]["initial_value"] == "NORTHLINE_SOURCE_SALES_URL"
    assert slack.submit_view(again, {Block.SOURCE_KIND: "none"}, user_id=ALICE).status == 200
    slack.settle()
    with db.session() as session:
        assert session.query(SourceBinding).count() == 0


@pytest.mark.parametrize(
    ("values", "block", "message"),
    [
        (
            {Block.SOURCE_KIND: "sql", Block.SOURCE_ENV: "DATABASE_URL", Block.SOURCE_QUERY: "SELECT 1"},
            Block.SOURCE_ENV,
            "NORTHLINE_SOURCE_",
        ),
        (
            {Block.SOURCE_KIND: "sql", Block.SOURCE_ENV: "NORTHLINE_SOURCE_X"},
            Block.SOURCE_QUERY,
            "Write the query",
        ),
        (
            {Block.SOURCE_KIND: "http", Block.SOURCE_URL: "ftp://x", Block.SOURCE_POINTER: "/a"},
            Block.SOURCE_URL,
            "http://",
        ),
        (
            {Block.SOURCE_KIND: "http", Block.SOURCE_URL: "https://x.example/a"},
            Block.SOURCE_POINTER,
            "JSON pointer",
        ),
        (
            {
                Block.SOURCE_KIND: "http",
                Block.SOURCE_URL: "https://x.example",
                Block.SOURCE_POINTER: "/a",
                Block.SOURCE_HEADER: "Authorization",
            },
            Block.SOURCE_ENV,
            "go together",
        ),
        (
            {
                Block.SOURCE_KIND: "sql",
                Block.SOURCE_ENV: "NORTHLINE_SOURCE_X",
                Block.SOURCE_QUERY: "SELECT 1",
                Block.SOURCE_EVERY: "1",
            },
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
    response = slack.submit_view(view, values, user_id=ALICE)
    errors = response.json()["errors"]
    assert message in errors[block], errors
    with db.session() as session:
        assert session.query(SourceBinding).count() == 0


def test_someone_else_cannot_open_or_submit_the_form(slack, emulator, db):
    _, (kr,) = make_objective(db)
    said = answer_text(answer(slack, "/okr", f"source KR-{kr}", user_id=BOB))
    assert "Only the owner or a workspace admin" in said
    assert not emulator.calls_to("views.open")
    view = _open_source_form(slack, emulator, kr)  # Alice's form, submitted by Bob
    values = {
        Block.SOURCE_KIND: "sql",
        Block.SOURCE_ENV: "NORTHLINE_SOURCE_X",
        Block.SOURCE_QUERY: "SELECT 1",
    }
    slack.submit_view(view, values, user_id=BOB)
    slack.settle()
    with db.session() as session:
        assert session.query(SourceBinding).count() == 0


def test_an_automatic_value_keeps_the_owners_confidence_and_check_in_time(slack, db, source_server):
    _, (kr,) = make_objective(db)
    answer(slack, "/okr", f"checkin KR-{kr} 45 at-risk waiting on legal")
    with db.session() as session:
        before = session.scalars(select(KeyResult.last_checkin_at)).one()
    binding_id = _bind(db, kr, SourceSpec(kind="http", url=f"{source_server}/string", pointer="/value"))
    assert sync_binding(db, None, binding_id, before + timedelta(hours=1)).recorded
    with db.session() as session:
        row = session.scalars(select(KeyResult)).one()
        assert (row.current_value, row.last_confidence, row.last_checkin_at) == (42.5, "at_risk", before)


def test_the_clock_syncs_due_sources_off_its_tick_one_sync_at_a_time(db, source_server):
    from bot.jobs.engine import Engine
    from bot.scheduler import Clock
    from bot.settings import DeliverySettings

    _, (kr,) = make_objective(db)
    _bind(db, kr, SourceSpec(kind="http", url=f"{source_server}/string", pointer="/value"))
    slack = _Recorder()
    with Engine(db, lambda _w: slack, DeliverySettings()) as engine:
        clock = Clock(db, engine, threading.Event())
        clock.sync_sources(datetime(2026, 11, 18, 9, 0, tzinfo=UTC))
        first = clock.syncing
        clock.sync_sources(datetime(2026, 11, 18, 9, 1, tzinfo=UTC))  # still running: not started twice
        assert clock.syncing is first or first.done()
        assert first.result(timeout=30).recorded == 1
    with db.session() as session:
        assert session.scalars(select(CheckIn)).one().origin == "source:http"


def test_the_reminder_and_the_digest_say_a_number_updated_itself(db, emulator, source_server):
    from bot.jobs.digest import channel_digests
    from bot.jobs.reminders import checkin_reminders
    from storage.models import Objective
    from tests.conftest import CHANNEL
    from tests.factories import FRIDAY_LONDON, MONDAY_LONDON, clients

    _, (kr,) = make_objective(db)
    with db.session() as session:
        session.scalars(select(Objective)).one().channel_id = CHANNEL
    _bind(db, kr, SourceSpec(kind="http", url=f"{source_server}/string", pointer="/value"))
    assert sync_due_sources(db, lambda _w: _Recorder(), MONDAY_LONDON - timedelta(days=1)).recorded == 1

    checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    [dm] = [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args["channel"] == ALICE]
    assert "updated itself from its data source: how confident are you?" in json.dumps(dm.args["blocks"])

    channel_digests(db, clients(emulator), FRIDAY_LONDON)
    thread = [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args.get("thread_ts")]
    assert thread and "updated by its data source" in json.dumps([c.args["blocks"] for c in thread])
