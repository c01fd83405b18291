"""Fixtures: a real database (SQLite, or PostgreSQL via NORTHLINE_TEST_DATABASE_URL), the Slack
emulator, and the real app served over HTTP on port 0."""

from __future__ import annotations

import copy
import faulthandler
import os
import shutil
import sys
import threading
import time
import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import time_machine
from psycopg.errors import LockNotAvailable
from slack_bolt import App
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.app import create_app
from bot.installations import BOT_SCOPES, installation_store
from bot.settings import Settings
from bot.web import create_web
from storage.db import Database, make_engine, upgrade
from storage.models import Base
from tests.slack import SignedClient, SlackEmulator, strict
from tests.slack.client import _state

SIGNING_SECRET = "test-signing-secret-0123456789"
TEAM = "T0NORTH1"
OTHER_TEAM = "T0OTHER2"
TOKEN = "xoxb-test-north"
OTHER_TOKEN = "xoxb-test-other"
ALICE, BOB, CAROL, ADMIN = "U0ALICE", "U0BOB", "U0CAROL", "U0ADMIN"
MALLORY = "U0MALLORY"  # lives in the other workspace
CHANNEL = "C0GROWTH"

PG_URL = os.environ.get("NORTHLINE_TEST_DATABASE_URL")
# The delivery engine paces each workspace to NORTHLINE_POSTS_PER_SECOND (5 by default, for real
# Slack). The emulator holds Slack's limit of one post a second per channel, and a fan-out posts
# to a different DM each, so the suite paces at 50 a second: a 30-person fan-out takes 0.6 s, not
# 6. The tests of pacing set their own rates.
os.environ.setdefault("NORTHLINE_POSTS_PER_SECOND", "50")


EXIT_GRACE_SECONDS = 60


def pytest_sessionfinish(session, exitstatus) -> None:
    """A listener thread stuck on a socket would keep the finished run from ever exiting (Python
    joins its pool's threads at exit), and CI would only see a timeout. So a watchdog prints every
    thread's stack and ends the process, with the run's own status, if exiting takes too long."""

    def watch() -> None:
        time.sleep(EXIT_GRACE_SECONDS)
        sys.stderr.write(
            f"\nthe test process had not exited {EXIT_GRACE_SECONDS} s after the run; its threads:\n"
        )
        faulthandler.dump_traceback(all_threads=True)
        sys.stderr.flush()
        os._exit(int(exitstatus))

    threading.Thread(target=watch, name="exit-watchdog", daemon=True).start()


NEEDS_POSTGRESQL = "needs PostgreSQL: set NORTHLINE_TEST_DATABASE_URL"


def requires_postgresql():
    return pytest.mark.skipif(not PG_URL, reason=f"{NEEDS_POSTGRESQL}=postgresql+psycopg://…")


# --- CI fails instead of skipping ------------------------------------------------------------------

# With CI=true a skipped test is a failure naming what was missing (a service, a program, Slack's
# schema), unless its reason starts with one of these: the database the run was asked for decides
# them, and CI runs the suite once on each (.ci/run).
CONFIGURATION_SKIPS = (NEEDS_POSTGRESQL, "the PostgreSQL half of this test", "SQLite only")
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not IN_CI or not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report)
    if reason.startswith(CONFIGURATION_SKIPS):
        return
    report.outcome = "failed"
    report.longrepr = f"CI=true, so this is a failure, not a skip: {reason}"


# --- tests that run apart ----------------------------------------------------------------------------

# Under pytest-xdist (`-n auto --dist loadgroup`, pyproject.toml) these run one after another on a
# single worker, never beside each other: they start processes of their own (Celery workers, a
# clock, redis-server), or bound how long something takes, which two of them at once on a small
# machine could overrun. Listed here, by node id prefix, rather than marked in each file, so that
# the list of what cannot share the machine is read in one place.
RUN_APART = {
    "tests/e2e/test_distributed.py": "Celery workers and redis-server in processes of their own",
    "tests/e2e/test_scheduler.py": "the clock in a process of its own, stopped within ten seconds",
    "tests/robustness/test_faults.py": "fan-outs killed in subprocesses and bounded in time",
    "tests/e2e/test_token_rotation.py::test_two_processes": "two processes racing for one refresh",
    "tests/e2e/test_engine.py": "the pacer's rates, measured in real time",
    "tests/e2e/test_clock_leadership.py": "clocks in processes of their own, leases in real time",
}
APART = "apart"


# The tests that read "now", "today" or "this quarter" (marked `dates`): CI runs them a second and
# third time with the clock moved (NORTHLINE_TEST_NOW, .ci/run), where a date computed from the day
# the suite runs on instead of from the `now` fixture shows up as a failure.
DATED = (
    "tests/e2e/test_okr.py",
    "tests/e2e/test_sprint.py",
    "tests/e2e/test_export_import.py",
    "tests/e2e/test_workspaces.py",
    "tests/e2e/test_people.py",
    "tests/e2e/test_home.py",
    "tests/e2e/test_checkin.py",
    "tests/e2e/test_first_weeks.py",
    "tests/e2e/test_scheduler.py::test_the_clock_ticks",
    "tests/unit/test_cycles.py",
)


# The slow suites (marked `slow`): workers killed at random, brokers restarted, the API fuzzed.
# They take about a third of the whole run, so the README's `pytest` leaves them out and says so;
# CI (CI=true) and `pytest --slow` run them. docs/testing.md says when to run them yourself.
SLOW = {
    "tests/e2e/test_distributed.py": "Celery workers and brokers in processes, killed and restarted",
    "tests/robustness/test_faults.py::test_killed_at_random_points": "fan-outs killed at random, four times",
    "tests/robustness/test_api_schema.py": "schemathesis: every API operation, positive and negative",
    "tests/robustness/test_fuzz_okr_sprint.py": "hypothesis: every modal's values fuzzed",
    "tests/unit/test_ci_skips.py": "runs pytest in subprocesses, in and outside CI",
}


def pytest_addoption(parser) -> None:
    parser.addoption("--slow", action="store_true", help="also run the slow suites (CI always does)")


def runs_slow_suites(config) -> bool:
    return config.getoption("--slow") or os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(config, items) -> None:
    slow, kept = [], []
    for item in items:
        if item.nodeid.startswith(tuple(RUN_APART)):
            item.add_marker(pytest.mark.xdist_group(APART))
        if item.nodeid.startswith(DATED):
            item.add_marker(pytest.mark.dates)
        if item.nodeid.startswith(tuple(SLOW)):
            item.add_marker(pytest.mark.slow)
            slow.append(item)
        else:
            kept.append(item)
    if slow and not runs_slow_suites(config):
        config.hook.pytest_deselected(items=slow)
        items[:] = kept


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    # Said by the process that prints the summary; under xdist that one collects nothing itself,
    # so the line names the suites rather than counting them.
    if not runs_slow_suites(config):
        terminalreporter.write_line(
            f"The {len(SLOW)} slow suites (tests/conftest.py SLOW: killed workers, brokers, fuzzing) "
            "were left out; CI runs them, and so does `pytest --slow`."
        )


# --- one clock ---------------------------------------------------------------------------------------

# NORTHLINE_TEST_NOW=2027-06-30T23:59:30 (UTC unless it names an offset) starts every test's clock
# there, ticking: CI runs the suite again in the last seconds of a quarter and of a fiscal year,
# and in January, so that a test reading the date of the day it happens to run fails everywhere.
TEST_NOW = os.environ.get("NORTHLINE_TEST_NOW")


def _test_start() -> datetime | None:
    if not TEST_NOW:
        return None
    start = datetime.fromisoformat(TEST_NOW)
    return start if start.tzinfo else start.replace(tzinfo=UTC)


def _marked_start(request) -> tuple[datetime, bool] | None:
    marker = request.node.get_closest_marker("now")
    if marker is None:
        return None
    start = marker.args[0]
    return (start if start.tzinfo else start.replace(tzinfo=UTC)), marker.kwargs.get("tick", True)


@pytest.fixture(autouse=True)
def now(request) -> Iterator[datetime]:
    """The instant this test starts at (aware, UTC). A test that needs "now", "today" or "this
    quarter" takes it from here and passes it on; it never reads the clock itself. The clock
    ticks on: what the app reads after a slow step may be later (see `frozen_now`).

    `@pytest.mark.now(datetime(…))` sets the instant for a test whose story happens at a given
    moment (a Monday's reminders) while the app reads the clock on its own (an event's
    arrival): the clock is moved there, ticking unless `tick=False`. Otherwise the clock starts
    at NORTHLINE_TEST_NOW if set, and is left alone if not."""
    marked = _marked_start(request)
    start, tick = marked if marked else (_test_start(), True)
    if start is None:
        yield datetime.now(UTC).replace(microsecond=0)
        return
    with time_machine.travel(start, tick=tick):
        yield start


@pytest.fixture
def frozen_now(now) -> Iterator[datetime]:
    """`now`, with the clock stopped there for the whole test: for the tests whose expectation
    and the app's own reading of the clock (the quarter a new objective defaults to) must be the
    same instant even when the test starts a second before a quarter turns."""
    with time_machine.travel(now, tick=False):
        yield now


@pytest.fixture(scope="session")
def _template_database(tmp_path_factory) -> Iterator[str]:
    """Migrate once per run: a template SQLite file copied per test, or a PostgreSQL database of
    this run's own (so two runs on one server never meet), dropped at the end."""
    if PG_URL:
        server = make_url(PG_URL)
        name = f"{server.database}_run_{os.getpid()}"
        admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        return
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    yield str(path)


TRUNCATE_LOCK_TIMEOUT = "20s"
LEFTOVER_BACKENDS = """
    SELECT pid, state, xact_start, left(query, 200) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
"""


def _empty_postgresql_database(url: str) -> None:
    """TRUNCATE every table. A connection an earlier test left inside a transaction would make
    TRUNCATE wait for its lock forever; after TRUNCATE_LOCK_TIMEOUT that connection is ended,
    the run goes on, and a warning names what it was doing, so the leak can be found."""
    engine = make_engine(url)
    try:
        if not _truncate(engine, lock_timeout=TRUNCATE_LOCK_TIMEOUT):
            with engine.begin() as connection:
                leftovers = connection.execute(text(LEFTOVER_BACKENDS)).all()
                for pid, *_ in leftovers:
                    connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            warnings.warn(
                "an earlier test left connections holding locks; ended them: "
                + "; ".join(
                    f"pid {pid} {state} since {since}: {query}" for pid, state, since, query in leftovers
                ),
                stacklevel=1,
            )
            _truncate(engine)
    finally:
        engine.dispose()


def _truncate(engine, lock_timeout: str | None = None) -> bool:
    """False when the locks were not had within `lock_timeout` (None: wait as long as it takes)."""
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    try:
        with engine.begin() as connection:
            if lock_timeout:
                connection.execute(text(f"SET LOCAL lock_timeout = '{lock_timeout}'"))
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    except OperationalError as error:
        if not isinstance(error.orig, LockNotAvailable):
            raise
        return False
    return True


@pytest.fixture(scope="session")
def _worker_database(_template_database, tmp_path_factory) -> Iterator[Database]:
    """One engine per test process, for every test's database. SQLAlchemy caches each compiled
    statement on its engine: a new engine per test compiled every statement anew (a tenth of the
    suite's time). Each test still starts from the migrated template (`database_url`)."""
    if PG_URL:
        database = Database.from_url(_template_database)
    else:
        path = tmp_path_factory.mktemp("worker") / "northline.db"
        shutil.copy(_template_database, path)
        database = Database.from_url(f"sqlite:///{path}")
    yield database
    database.dispose()


def _fresh_sqlite_file(template: str, path: str) -> None:
    """The template, at `path`, as a new file: a connection some test leaked keeps the old file
    (and its -wal and -shm) instead of seeing this one written under it."""
    staged = f"{path}.next"
    shutil.copy(template, staged)
    for leftover in (f"{path}-wal", f"{path}-shm"):
        if os.path.exists(leftover):
            os.remove(leftover)
    os.replace(staged, path)


@pytest.fixture
def database_url(_template_database, _worker_database) -> str:
    _worker_database.dispose()  # the pool's connections belong to the previous test's file
    if PG_URL:
        _empty_postgresql_database(_template_database)
        return _template_database
    url = _worker_database.engine.url
    _fresh_sqlite_file(_template_database, url.database)
    return url.render_as_string(hide_password=False)


@pytest.fixture
def db(database_url, _worker_database) -> Iterator[Database]:
    yield _worker_database
    _worker_database.dispose()


def pytest_configure(config) -> None:
    for marker in strict.MARKERS:
        config.addinivalue_line("markers", marker)


@pytest.fixture
def emulator(request) -> Iterator[SlackEmulator]:
    """Slack, as strict as Slack (tests/slack/strict.py): its rate limits, the manifest's scopes,
    and no Block Kit violation a test did not declare (checked at teardown)."""
    # NORTHLINE_TEST_SLACK_LATE=0.35: Slack answers up to 0.35 s late, to hunt tests that race the app.
    with SlackEmulator(
        late=float(os.environ.get("NORTHLINE_TEST_SLACK_LATE", "0")),
        rate_limits=strict.rate_limits_on(request),
    ) as slack:
        slack.add_token(TOKEN, TEAM, user_id="U0BOTNORTH", bot_id="B0NORTH")
        slack.add_token(OTHER_TOKEN, OTHER_TEAM, user_id="U0BOTOTHER", bot_id="B0OTHER")
        slack.add_user(ALICE, TEAM, name="alice", real_name="Alice Park", tz="Europe/London")
        slack.add_user(BOB, TEAM, name="bob", real_name="Bob Diaz", tz="America/New_York")
        slack.add_user(CAROL, TEAM, name="carol", real_name="Carol Ng", tz="Asia/Tokyo")
        slack.add_user(ADMIN, TEAM, name="admin", real_name="Ada Admin", is_admin=True)
        slack.add_user(MALLORY, OTHER_TEAM, name="mallory", real_name="Mallory")
        slack.add_channel(CHANNEL, TEAM, name="growth")
        yield slack
    strict.check_violations(slack, request)


CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "test-client-secret-abcdef"


@pytest.fixture
def settings(emulator, database_url) -> Settings:
    """Multi-workspace (OAuth) mode: each workspace speaks with its own installed bot token."""
    return Settings(
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=emulator.base_url,
        database_url=database_url,
    )


@pytest.fixture
def single_settings(emulator, database_url) -> Settings:
    """Single-workspace mode: one SLACK_BOT_TOKEN, for TEAM."""
    return Settings(
        slack_bot_token=TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=emulator.base_url,
        database_url=database_url,
    )


def install(
    db: Database,
    settings: Settings,
    team_id: str,
    token: str,
    bot_user_id: str,
    bot_id: str,
    enterprise_id: str | None = None,
    *,
    store=None,
) -> None:
    """What a finished OAuth install leaves behind in the installation store (`store`: one
    already open, to save several installs with it; building a store costs milliseconds)."""
    own_store = store is None
    store = store or installation_store(settings, db)
    store.save(
        Installation(
            app_id="A0NORTHLINE",
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=token,
            bot_id=bot_id,
            bot_user_id=bot_user_id,
            bot_scopes=BOT_SCOPES,
            user_id=ADMIN,
            installed_at=time.time(),
        )
    )
    if own_store:
        close_store(store, db)


def close_store(store, db: Database) -> None:
    """On PostgreSQL an installation store has a pool of its own: close it with its test."""
    if store.engine is not db.engine:
        store.engine.dispose()


@pytest.fixture
def installed(db, settings) -> None:
    store = installation_store(settings, db)
    install(db, settings, TEAM, TOKEN, "U0BOTNORTH", "B0NORTH", store=store)
    install(db, settings, OTHER_TEAM, OTHER_TOKEN, "U0BOTOTHER", "B0OTHER", store=store)
    close_store(store, db)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass


@contextmanager
def serve(wsgi_app) -> Iterator[str]:
    server = make_server(
        "127.0.0.1", 0, wsgi_app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    # A 0.05 s poll, as the emulator's: serve_forever's default 0.5 s is what shutdown() waits.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def web_app(settings, db, installed) -> Iterator[App]:
    """The app as the web process builds it (OAuth: the two installed workspaces). Its teardown
    waits for the listeners' work after ack() (a Home refresh, a DM), so none of it reaches the
    emulator after it has stopped, or the next test's database."""
    app = create_app(settings, db=db)
    work = listener_work(app)
    try:
        yield app
        work.wait_until_done()
    finally:
        close_store(app.installation_store, db)


@pytest.fixture
def app_url(web_app, db) -> Iterator[str]:
    with serve(create_web(web_app, db)) as url:
        yield url


@pytest.fixture
def single_web_app(single_settings, db) -> Iterator[App]:
    app = create_app(single_settings, db=db)
    work = listener_work(app)
    yield app
    work.wait_until_done()


@pytest.fixture
def single_app_url(single_web_app, db) -> Iterator[str]:
    with serve(create_web(single_web_app, db)) as url:
        yield url


@pytest.fixture
def single_slack(single_app_url, single_web_app, emulator) -> NorthlineClient:
    return NorthlineClient(single_app_url, single_web_app, emulator)


class ListenerWork:
    """Counts the app's listener tasks that have not finished. What a listener does after ack()
    (a DM, a Home refresh) runs on after its HTTP answer, so a test that must see all of it, or
    none of it, waits here rather than guessing with a quiet period a busy machine can outlast."""

    def __init__(self, app: App) -> None:
        self._running = 0
        self._changed = threading.Condition()
        pool = app.listener_runner.listener_executor
        submit = pool.submit

        def counted_submit(fn, /, *args, **kwargs):
            with self._changed:
                self._running += 1
            try:
                future = submit(fn, *args, **kwargs)
            except BaseException:
                self._finished()
                raise
            future.add_done_callback(self._finished)
            return future

        pool.submit = counted_submit  # Bolt submits through the instance, so this sees every task

    def _finished(self, _future=None) -> None:
        with self._changed:
            self._running -= 1
            self._changed.notify_all()

    def wait_until_done(self, timeout: float = 15.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self._running == 0, timeout):
                raise AssertionError(f"{self._running} listener task(s) still running after {timeout} s")


_LISTENER_WORK: weakref.WeakKeyDictionary[App, ListenerWork] = weakref.WeakKeyDictionary()


def listener_work(app: App) -> ListenerWork:
    """The one ListenerWork counting `app`'s listener tasks (every client of the app shares it)."""
    if app not in _LISTENER_WORK:
        _LISTENER_WORK[app] = ListenerWork(app)
    return _LISTENER_WORK[app]


class NorthlineClient(SignedClient):
    """The signed client for one served app, speaking for our main test workspace unless told otherwise."""

    def __init__(self, app_url: str, app: App, emulator: SlackEmulator) -> None:
        super().__init__(f"{app_url}/slack/events", SIGNING_SECRET, emulator)
        self.listener_work = listener_work(app)

    def settle(self) -> None:
        """Wait until everything the app set off so far, after its acks too, has finished."""
        self.listener_work.wait_until_done()

    def command(self, *args, team_id: str = TEAM, **kwargs):
        return super().command(*args, team_id=team_id, **kwargs)

    def action(self, *args, team_id: str = TEAM, **kwargs):
        return super().action(*args, team_id=team_id, **kwargs)

    def submit_view(self, *args, team_id: str = TEAM, **kwargs):
        return super().submit_view(*args, team_id=team_id, **kwargs)

    def event(self, *args, team_id: str = TEAM, **kwargs):
        return super().event(*args, team_id=team_id, **kwargs)

    def open_assistant(self, *args, team_id: str = TEAM, **kwargs):
        return super().open_assistant(*args, team_id=team_id, **kwargs)

    def user_change(self, *args, team_id: str = TEAM, **kwargs):
        return super().user_change(*args, team_id=team_id, **kwargs)

    def function_executed(self, *args, team_id: str = TEAM, **kwargs):
        return super().function_executed(*args, team_id=team_id, **kwargs)

    def submit_forged_view(self, view: dict, values: dict, *, user_id: str, team_id: str = TEAM, **changes):
        """A view_submission Slack itself would never send: extra blocks, edited private_metadata."""
        try:
            full = self.emulator.resolve_view(view)
        except AssertionError:
            full = copy.deepcopy(view)
            full.setdefault("id", "V0FORGED")
        full.update(copy.deepcopy(view) if "blocks" in view else {})
        full.update(changes)
        full["state"] = {"values": _state(full.get("blocks") or [], dict(values))}
        payload = self._common("view_submission", team_id, user_id)
        payload["trigger_id"] = self.emulator.issue_trigger_id(team_id, user_id)
        payload["view"] = full
        payload["response_urls"] = []
        return self._send_interactive(payload)


@pytest.fixture
def slack(app_url, web_app, emulator) -> NorthlineClient:
    return NorthlineClient(app_url, web_app, emulator)


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_statements(database: Database) -> Iterator[StatementCounter]:
    counter = StatementCounter()

    def record(conn, cursor, statement, parameters, context, executemany):
        counter.statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield counter
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
