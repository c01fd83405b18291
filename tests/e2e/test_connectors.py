"""Ready connectors (Jira Cloud and Data Center, GitHub, Linear, Prometheus, a published
spreadsheet) against local fakes of their APIs (tests/fakes/providers.py): the number each gives,
pagination, each provider error in words, a provider slower than the deadline, the quarter's
window in a query, a binding refused for a connection the workspace does not have, the form that
tries a binding once before saving it, and where an automatic number says it came from."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.errors import Invalid
from bot.ids import Block, Callback
from bot.services.workspaces import workspace_for
from bot.settings import Settings
from bot.sources.bindings import bind
from bot.sources.connections import ConnectionsError, SourceConfig, parse_connections
from bot.sources.reading import try_spec
from bot.sources.spec import SourceSpec
from bot.sources.sync import sync_binding, sync_due_sources
from bot.sources.window import Window, window_for
from storage.models import CheckIn, SourceBinding
from storage.repositories import okrs as okr_repo
from tests.conftest import ADMIN, CLIENT_ID, CLIENT_SECRET, OTHER_TEAM, SIGNING_SECRET, TEAM
from tests.factories import answer, answer_text, by_block, opened_view, reminder_off
from tests.factories import make_objective_via_service as make_objective
from tests.fakes.providers import (
    GITHUB_TOKEN,
    JIRA_EMAIL,
    JIRA_TOKEN,
    LINEAR_KEY,
    PROMETHEUS_TOKEN,
    Fault,
    GitHubFake,
    JiraFake,
    LinearFake,
    PrometheusFake,
    SheetFake,
)

ALLOW = ("127.0.0.1",)
# 2026-11-18 09:00 UTC: a Wednesday of 2026-Q4 (Oct 1 – Dec 31; its week began Monday Nov 16).
T0 = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
Q4 = Window(date(2026, 10, 1), date(2027, 1, 1), date(2026, 11, 16))

ISSUES = [  # Jira: APP has five, two of them resolved before the quarter
    {"key": "APP-1", "project": "APP", "status": "Done", "resolved": "2026-10-03", "customfield_10016": 3},
    {"key": "APP-2", "project": "APP", "status": "Done", "resolved": "2026-11-02", "customfield_10016": 5},
    {"key": "APP-3", "project": "APP", "status": "Done", "resolved": "2026-11-17", "customfield_10016": None},
    {"key": "APP-4", "project": "APP", "status": "Done", "resolved": "2026-09-20", "customfield_10016": 8},
    {"key": "APP-5", "project": "APP", "status": "Done", "resolved": "2026-06-01", "customfield_10016": 13},
    {"key": "APP-6", "project": "APP", "status": "Open", "resolved": None, "customfield_10016": 2},
    {"key": "WEB-1", "project": "WEB", "status": "Done", "resolved": "2026-11-01", "customfield_10016": 1},
]
LINEAR_ISSUES = [
    {
        "id": f"i{n}",
        "team": "ENG",
        "state": "Done",
        "labels": ["Bug"] if n % 2 else [],
        "active": n < 5,
        "cycle": 12 if n < 5 else 11,
        "completedAt": f"2026-{10 + n % 2}-0{n % 9 + 1}",
    }
    for n in range(7)
] + [{"id": "x1", "team": "OPS", "state": "Done", "labels": ["bug"], "active": True, "cycle": 12}]
CSV = 'Week,Signups,NPS\n2026-11-02,120,41\n2026-11-09,"1,234",44.5\n2026-11-16,1400,\n'
SHEET_PATH = "/spreadsheets/d/e/2PACX-1vRfake/pub?gid=0&single=true&output=csv"


@pytest.fixture
def fakes() -> Iterator[dict]:
    made = {
        "jira": JiraFake(ISSUES, cloud=True),
        "jira_dc": JiraFake(ISSUES, cloud=False),
        "github": GitHubFake(
            [
                {
                    "number": n,
                    "terms": {"repo:acme/app", "is:pr", "is:merged"} | ({"label:bug"} if n < 3 else set()),
                }
                for n in range(5)
            ],
            repos={"acme/app"},
        ),
        "linear": LinearFake(LINEAR_ISSUES, teams={"ENG", "OPS"}),
        "prometheus": PrometheusFake(
            {
                "avg_over_time(up[30d])": ("vector", [{"metric": {}, "value": [1763456400, "0.9991"]}]),
                "scalar(42)": ("scalar", [1763456400, "42"]),
                "up": (
                    "vector",
                    [
                        {"metric": {"job": "a"}, "value": [1, "1"]},
                        {"metric": {"job": "b"}, "value": [1, "0"]},
                    ],
                ),
                "sum(nothing)": ("vector", []),
                "rate(x[5m])[1h:]": ("matrix", []),
                "nan": ("vector", [{"metric": {}, "value": [1, "NaN"]}]),
            }
        ),
        "sheet": SheetFake(
            {SHEET_PATH: CSV},
            moved={
                "/published": SHEET_PATH,
                "/loop": "/loop",
                "/relative": "nowhere",
                "/to-metadata": "http://169.254.169.254/latest/meta-data",
            },
        ),
    }
    yield made
    for fake in made.values():
        fake.close()


def _environment(fakes: dict) -> dict[str, str]:
    return {
        "NORTHLINE_SOURCE_JIRA_URL": fakes["jira"].origin,
        "NORTHLINE_SOURCE_JIRA_KIND": "jira",
        "NORTHLINE_SOURCE_JIRA_EMAIL": JIRA_EMAIL,
        "NORTHLINE_SOURCE_JIRA_TOKEN": JIRA_TOKEN,
        "NORTHLINE_SOURCE_JIRA_TEAMS": TEAM,
        "NORTHLINE_SOURCE_JIRADC_URL": fakes["jira_dc"].origin,
        "NORTHLINE_SOURCE_JIRADC_KIND": "jira",
        "NORTHLINE_SOURCE_JIRADC_TOKEN": JIRA_TOKEN,
        "NORTHLINE_SOURCE_JIRADC_TEAMS": TEAM,
        "NORTHLINE_SOURCE_GITHUB_URL": fakes["github"].origin,
        "NORTHLINE_SOURCE_GITHUB_KIND": "github",
        "NORTHLINE_SOURCE_GITHUB_TOKEN": GITHUB_TOKEN,
        "NORTHLINE_SOURCE_GITHUB_TEAMS": TEAM,
        "NORTHLINE_SOURCE_LINEAR_URL": fakes["linear"].origin,
        "NORTHLINE_SOURCE_LINEAR_KIND": "linear",
        "NORTHLINE_SOURCE_LINEAR_TOKEN": LINEAR_KEY,
        "NORTHLINE_SOURCE_LINEAR_TEAMS": TEAM,
        "NORTHLINE_SOURCE_PROM_URL": fakes["prometheus"].origin,
        "NORTHLINE_SOURCE_PROM_KIND": "prometheus",
        "NORTHLINE_SOURCE_PROM_TOKEN": PROMETHEUS_TOKEN,
        "NORTHLINE_SOURCE_PROM_TEAMS": TEAM,
        "NORTHLINE_SOURCE_SHEET_URL": fakes["sheet"].origin,
        "NORTHLINE_SOURCE_SHEET_KIND": "spreadsheet",
        "NORTHLINE_SOURCE_SHEET_TEAMS": TEAM,
        # Another workspace's Jira: this one may not choose it.
        "NORTHLINE_SOURCE_THEIRJIRA_URL": fakes["jira"].origin,
        "NORTHLINE_SOURCE_THEIRJIRA_KIND": "jira",
        "NORTHLINE_SOURCE_THEIRJIRA_TOKEN": JIRA_TOKEN,
        "NORTHLINE_SOURCE_THEIRJIRA_TEAMS": OTHER_TEAM,
    }


@pytest.fixture
def config(fakes) -> SourceConfig:
    return SourceConfig(parse_connections(_environment(fakes), several_workspaces=True), allow=ALLOW)


@pytest.fixture
def settings(emulator, database_url, fakes) -> Settings:
    base = Settings(
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=emulator.base_url,
        database_url=database_url,
        northline_fetch_allow="127.0.0.1",
    )
    return base.with_connections(parse_connections(_environment(fakes), several_workspaces=True))


def _read(config: SourceConfig, timeout: float = 5.0, **spec) -> float:
    return try_spec(SourceSpec(**spec), TEAM, config, Q4, timeout=timeout)


def _fails(config: SourceConfig, **spec):
    from bot.sources.read import SourceError

    with pytest.raises(SourceError) as raised:
        _read(config, **spec)
    return raised.value


# --- declaring a connector ----------------------------------------------------------------------------


def test_a_connections_kind_fixes_how_its_secret_is_sent(fakes):
    connections = parse_connections(_environment(fakes), several_workspaces=True)
    basic = "Basic " + base64.b64encode(f"{JIRA_EMAIL}:{JIRA_TOKEN}".encode()).decode()
    assert connections.by_name["jira"].secret_headers() == {"Authorization": basic}
    assert connections.by_name["jiradc"].secret_headers() == {"Authorization": f"Bearer {JIRA_TOKEN}"}
    assert connections.by_name["github"].secret_headers() == {"Authorization": f"Bearer {GITHUB_TOKEN}"}
    assert connections.by_name["linear"].secret_headers() == {"Authorization": LINEAR_KEY}
    assert connections.by_name["sheet"].secret_headers() == {}
    assert {c.name: c.transport for c in connections.by_name.values()}["prom"] == "http"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"NORTHLINE_SOURCE_X_URL": "https://x.example", "NORTHLINE_SOURCE_X_KIND": "gitlab"},
            "KIND must be one of",
        ),
        (
            {"NORTHLINE_SOURCE_X_URL": "https://x.example", "NORTHLINE_SOURCE_X_KIND": "jira"},
            "needs its API token",
        ),
        (
            {"NORTHLINE_SOURCE_X_URL": "https://x.example", "NORTHLINE_SOURCE_X_KIND": "linear"},
            "needs its API token",
        ),
        (
            {
                "NORTHLINE_SOURCE_X_URL": "https://x.example",
                "NORTHLINE_SOURCE_X_KIND": "spreadsheet",
                "NORTHLINE_SOURCE_X_TOKEN": "t",
            },
            "published CSV",
        ),
        (
            {"NORTHLINE_SOURCE_X_URL": "https://x.example", "NORTHLINE_SOURCE_X_EMAIL": "a@b.example"},
            "EMAIL is for jira",
        ),
        (
            {"NORTHLINE_SOURCE_X_URL": "sqlite:///x.db", "NORTHLINE_SOURCE_X_KIND": "github"},
            "needs an http(s) origin",
        ),
        (
            {
                "NORTHLINE_SOURCE_X_URL": "https://x.example",
                "NORTHLINE_SOURCE_X_KIND": "github",
                "NORTHLINE_SOURCE_X_TOKEN": "t",
                "NORTHLINE_SOURCE_X_HEADER": "X-Key",
            },
            "header is fixed",
        ),
    ],
)
def test_a_connector_declared_wrongly_is_refused_at_start(extra, message):
    with pytest.raises(ConnectionsError, match=re.escape(message)) as raised:
        parse_connections(extra, several_workspaces=False)
    assert "t\n" not in str(raised.value) and "a@b.example" not in str(raised.value)


# --- each connector's number --------------------------------------------------------------------------


def test_jira_cloud_counts_with_the_approximate_count_and_fills_the_quarter(config, fakes):
    jql = "project = APP AND status = Done AND resolved >= {cycle_start} AND resolved < {cycle_end}"
    assert _read(config, connection="jira", query=jql) == 3
    [seen] = fakes["jira"].seen
    assert (seen.method, seen.path) == ("POST", "/rest/api/3/search/approximate-count")
    assert seen.body == {
        "jql": "project = APP AND status = Done AND resolved >= 2026-10-01 AND resolved < 2027-01-01"
    }


def test_jira_cloud_sums_a_field_over_every_page(config, fakes):
    jql = "project = APP AND resolved >= {cycle_start}"
    assert _read(config, connection="jira", query=jql, sum="customfield_10016") == 8  # 3 + 5 + unestimated
    pages = [s.body for s in fakes["jira"].seen]
    assert [p.get("nextPageToken") for p in pages] == [None, "2"]  # the fake's pages hold two
    assert all(p["fields"] == ["customfield_10016"] for p in pages)


def test_jira_data_center_counts_and_sums_over_start_at_pages(config, fakes):
    assert _read(config, connection="jiradc", query="project = APP") == 6
    assert _read(config, connection="jiradc", query="project = APP", sum="customfield_10016") == 31
    count, *pages = fakes["jira_dc"].seen
    assert (count.method, count.path, count.query["maxResults"]) == ("GET", "/rest/api/2/search", ["0"])
    assert [p.query["startAt"] for p in pages] == [["0"], ["2"], ["4"]]


def test_github_reads_total_count_without_paging(config, fakes):
    assert _read(config, connection="github", query="repo:acme/app is:pr is:merged") == 5
    assert _read(config, connection="github", query="repo:acme/app is:pr label:bug") == 3
    first = fakes["github"].seen[0]
    assert first.query == {"q": ["repo:acme/app is:pr is:merged"], "per_page": ["1"]}
    assert first.headers["Accept"] == "application/vnd.github+json"
    assert first.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert len(fakes["github"].seen) == 2


def test_github_reads_a_repositorys_metric(config, fakes):
    assert (
        _read(config, connection="github", query="acme/app", metric="stars") == 1208
    )  # 1200 + len("acme/app")
    assert _read(config, connection="github", query="acme/app", metric="open_issues") == 19
    assert [s.path for s in fakes["github"].seen] == ["/api/v3/repos/acme/app"] * 2
    error = _fails(config, connection="github", query="acme/gone", metric="forks")
    assert "GitHub has no repository acme/gone that the token may see (HTTP 404)" in error.message


def test_linear_counts_a_team_and_filter_over_cursor_pages(config, fakes):
    assert _read(config, connection="linear", query="team:ENG state:done cycle:current") == 5
    cursors = [s.body["variables"]["after"] for s in fakes["linear"].seen]
    assert cursors == [None, "2", "4"]
    assert fakes["linear"].seen[0].body["variables"]["filter"] == {
        "team": {"key": {"eq": "ENG"}},
        "state": {"name": {"eqIgnoreCase": "done"}},
        "cycle": {"isActive": {"eq": True}},
    }
    assert _read(config, connection="linear", query="team:ENG label:bug") == 3
    assert _read(config, connection="linear", query="team:ENG completed-after:{week_start}") == 0
    assert _read(config, connection="linear", query='team:ENG completed-after:"2026-11-01"') == 3


def test_prometheus_reads_one_sample(config, fakes):
    assert _read(config, connection="prom", query="avg_over_time(up[30d])") == 0.9991
    assert _read(config, connection="prom", query="scalar(42)") == 42
    assert fakes["prometheus"].seen[0].query == {"query": ["avg_over_time(up[30d])"]}


def test_a_spreadsheet_reads_a_cell_or_a_columns_last_value(config):
    assert _read(config, connection="sheet", path=SHEET_PATH, cell="B3") == 1234
    assert _read(config, connection="sheet", path=SHEET_PATH, cell="b") == 1400
    assert _read(config, connection="sheet", path=SHEET_PATH, cell="C") == 44.5


def test_a_published_sheets_redirect_is_followed_with_its_checks(config, fakes):
    assert _read(config, connection="sheet", path="/published", cell="B2") == 120
    assert [s.path for s in fakes["sheet"].seen] == ["/published", SHEET_PATH.split("?")[0]]
    assert (
        "redirected more than 3 times" in _fails(config, connection="sheet", path="/loop", cell="B2").message
    )
    assert "not a full URL" in _fails(config, connection="sheet", path="/relative", cell="B2").message
    refused = _fails(config, connection="sheet", path="/to-metadata", cell="B2").message
    assert "link-local address, which Northline does not reach" in refused


# --- errors in words ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "field", "message"),
    [
        (
            {"connection": "jira", "query": "storypoint = 3"},
            "query",
            "Jira says the JQL is not valid: “Field 'storypoint' does not exist",
        ),
        ({"connection": "jiradc", "query": "storypoint = 3"}, "query", "Field 'storypoint' does not exist"),
        (
            {"connection": "jira", "query": "project = APP", "sum": "status"},
            "sum",
            "sum needs a numeric field",
        ),
        (
            {"connection": "github", "query": "repo:acme/gone is:pr"},
            "query",
            "GitHub says the search is not valid: “The listed users and repositories cannot be searched",
        ),
        ({"connection": "linear", "query": "team:NOPE"}, "query", "Linear has no team with the key NOPE"),
        (
            {"connection": "prom", "query": "rate(oops"},
            "query",
            "Prometheus says the query cannot run: “invalid parameter",
        ),
        ({"connection": "prom", "query": "up"}, "query", "gives 2 series; it must give exactly one"),
        ({"connection": "prom", "query": "sum(nothing)"}, "query", "gives 0 series"),
        ({"connection": "prom", "query": "rate(x[5m])[1h:]"}, "query", "gives a matrix, not one number"),
        ({"connection": "prom", "query": "nan"}, None, "not a finite number"),
        (
            {"connection": "sheet", "path": "/gone.csv", "cell": "B2"},
            "path",
            "no CSV is published at that path (HTTP 404)",
        ),
        (
            {"connection": "sheet", "path": SHEET_PATH, "cell": "B9"},
            "cell",
            "the CSV has no cell B9 (4 rows)",
        ),
        ({"connection": "sheet", "path": SHEET_PATH, "cell": "C4"}, "cell", "the cell C4 is empty"),
        ({"connection": "sheet", "path": SHEET_PATH, "cell": "A2"}, None, "text that is not a number"),
    ],
)
def test_what_a_provider_refuses_is_said_in_its_words(config, spec, field, message):
    error = _fails(config, **spec)
    assert message in error.message and error.field == field
    assert JIRA_TOKEN not in error.message and "127.0.0.1" not in error.message


RATE_LIMITED = Fault(429, {"message": "slow down"}, {"Retry-After": "30"})


@pytest.mark.parametrize("fake", ["jira", "github", "prometheus", "linear"])
@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault(401, {"message": "Bad credentials"}), "(HTTP 401)"),
        (Fault(403, {"message": "Forbidden"}), "(HTTP 403)"),
        (Fault(404, {"message": "Not Found"}), "(HTTP 404)"),
        (
            RATE_LIMITED,
            "rate limit was reached (HTTP 429), it asks to wait 30 s; tried again at the next sync",
        ),
        (
            Fault(503, "<html>upstream down</html>", content_type="text/html"),
            "had a problem of its own (HTTP 503)",
        ),
    ],
)
def test_each_http_error_of_each_provider_is_a_short_sentence(config, fakes, fake, fault, message):
    spec = {
        "jira": {"connection": "jira", "query": "project = APP"},
        "github": {"connection": "github", "query": "is:pr"},
        "prometheus": {"connection": "prom", "query": "scalar(42)"},
        "linear": {"connection": "linear", "query": "team:ENG"},
    }[fake]
    fakes[fake].fault = fault
    error = _fails(config, **spec)
    assert message in error.message, error.message
    assert error.message.split()[0] in (
        "Jira",
        "GitHub",
        "Prometheus",
        "Linear",
        "Jira's",
        "GitHub's",
        "Prometheus's",
        "Linear's",
    )


def test_githubs_used_up_rate_limit_is_a_403_that_says_so(config, fakes):
    fakes["github"].fault = Fault(
        403,
        {"message": "API rate limit exceeded for user ID 1."},
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1763460000"},
    )
    error = _fails(config, connection="github", query="is:pr")
    assert "GitHub's rate limit for the token is used up until 1763460000" in error.message


def test_linears_rate_limit_and_refused_key_come_as_graphql_errors(config, fakes):
    fakes["linear"].fault = Fault(
        400, {"errors": [{"message": "Rate limit exceeded", "extensions": {"code": "RATELIMITED"}}]}
    )
    assert "Linear's rate limit was reached" in _fails(config, connection="linear", query="team:ENG").message
    fakes["linear"].fault = None
    wrong = parse_connections(
        {**_environment(fakes), "NORTHLINE_SOURCE_LINEAR_TOKEN": "lin_api_wrong"}, several_workspaces=True
    )
    error = _fails(SourceConfig(wrong, allow=ALLOW), connection="linear", query="team:ENG")
    assert "Linear refused the connection's API key" in error.message and "lin_api_wrong" not in error.message


@pytest.mark.parametrize(
    "spec",
    [
        {"connection": "jira", "query": "project = APP", "sum": "customfield_10016"},
        {"connection": "github", "query": "is:pr"},
        {"connection": "linear", "query": "team:ENG"},
        {"connection": "prom", "query": "scalar(42)"},
        {"connection": "sheet", "path": SHEET_PATH, "cell": "B2"},
    ],
)
def test_a_provider_slower_than_the_deadline_gives_no_number(config, fakes, spec):
    for fake in fakes.values():
        fake.delay = 1.0
    from bot.sources.read import SourceError

    with pytest.raises(SourceError, match="did not answer within 0.4 s"):
        _read(config, timeout=0.4, **spec)


# --- binding: checked, and run once before it is saved ---------------------------------------------------


def _bind(db, kr: int, config: SourceConfig, **spec) -> int:
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        row, _ = okr_repo.key_result_by_number(session, workspace.id, kr)
        bind(
            session,
            workspace,
            row,
            SourceSpec(**spec),
            ADMIN,
            connections=config.connections,
            max_sources=200,
        )
        return session.scalar(select(SourceBinding.id).where(SourceBinding.key_result_id == row.id))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"connection": "theirjira", "query": "project = APP"}, "no connection `theirjira` is declared"),
        ({"connection": "jira"}, "write the JQL query"),
        ({"connection": "jira", "query": "x", "path": "/rest/api/2/search"}, "not path"),
        ({"connection": "github", "query": "is:pr", "sum": "points"}, "not sum"),
        (
            {"connection": "github", "query": "is:pr", "metric": "stars"},
            "the query is the repository: owner/name",
        ),
        ({"connection": "github", "query": "acme/app", "metric": "likes"}, "metric is one of stars"),
        ({"connection": "linear", "query": "state:Done"}, "name the team by its key"),
        ({"connection": "linear", "query": "team:ENG colour:red"}, "is not key:value"),
        ({"connection": "sheet", "path": SHEET_PATH}, "give the cell"),
        (
            {"connection": "prom", "query": 'up{job="api"} > {quarter_start}'},
            "{quarter_start} is not a placeholder",
        ),
    ],
)
def test_a_binding_that_cannot_be_read_is_refused_and_nothing_is_stored(db, config, spec, message):
    _, (kr,) = make_objective(db)
    with pytest.raises((Invalid, ValueError)) as raised:
        _bind(db, kr, config, **spec)
    shown = getattr(raised.value, "message", None) or str(raised.value)
    assert message in shown
    with db.session() as session:
        assert session.query(SourceBinding).count() == 0


def test_a_promql_label_matcher_is_not_taken_for_a_placeholder():
    assert SourceSpec(connection="prom", query='sum(up{job="api"})').query == 'sum(up{job="api"})'
    assert window_for(date(2026, 11, 18)) == Q4
    assert window_for(date(2026, 11, 18), fiscal_start_month=4).cycle_start == date(2026, 10, 1)
    assert window_for(date(2026, 12, 1), fiscal_start_month=2).cycle_start == date(2026, 11, 1)


def test_a_connector_syncs_as_an_automatic_check_in_from_jira(slack, emulator, db, config, fakes):
    from bot.jobs.digest import channel_digests
    from storage.models import Objective
    from tests.conftest import CHANNEL
    from tests.factories import FRIDAY_LONDON, clients, published

    obj, (kr,) = make_objective(db)
    with db.session() as session:
        session.scalars(select(Objective)).one().channel_id = CHANNEL
    binding_id = _bind(db, kr, config, connection="jira", query="project = APP AND resolved >= {cycle_start}")
    with db.session() as session:
        binding = session.get(SourceBinding, binding_id)
        stored = (binding.kind.value, binding.connection, binding.query, binding.path, binding.pointer)
    assert stored == ("http", "jira", "project = APP AND resolved >= {cycle_start}", None, None)
    result = sync_binding(db, None, binding_id, T0, config=config)
    assert (result.ok, result.value, result.recorded) == (True, 3, True)
    with db.session() as session:
        check_in = session.scalars(select(CheckIn)).one()
        assert (check_in.value, check_in.origin, check_in.automatic) == (3, "source:jira", True)
    show = answer_text(answer(slack, "/okr", f"show OBJ-{obj}"))
    assert "automatic, from Jira, 09:00" in show and "every 60 min_ · `jira`" in show
    assert "from Jira, 09:00" in json.dumps(published(slack, emulator), ensure_ascii=False)
    channel_digests(db, clients(emulator), FRIDAY_LONDON)
    digest = [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args["channel"] == CHANNEL]
    assert json.dumps([c.args["blocks"] for c in digest]).count("updated from Jira") == 1


def test_a_failing_connector_tells_its_owner_once_and_is_retried(db, config, fakes):
    _, (kr,) = make_objective(db)
    reminder_off(db)  # with a weekly reminder, the failure would be a section of it, not a DM
    _bind(db, kr, config, connection="github", query="repo:acme/app is:pr", every=60)

    class Recorder:
        sent: list = []

        def chat_postMessage(self, **kwargs):  # noqa: N802 - slack_sdk's name
            self.sent.append(kwargs)

    fakes["github"].fault = Fault(500, {"message": "boom"})
    for hour in range(3):
        report = sync_due_sources(db, lambda _w: Recorder(), T0.replace(hour=9 + hour), config=config)
        assert (report.ran, report.failed) == (1, 1)
    assert (
        len(Recorder.sent) == 1 and "GitHub had a problem of its own (HTTP 500)" in Recorder.sent[0]["text"]
    )
    assert len(fakes["github"].seen) == 3  # tried on every interval
    fakes["github"].fault = None
    assert sync_due_sources(db, lambda _w: Recorder(), T0.replace(hour=12), config=config).recorded == 1


# --- the form: tried once, the number or the error shown -------------------------------------------------


def _open_form(slack, emulator, kr: int) -> dict:
    before = len(emulator.calls_to("views.open"))
    slack.command("/okr", f"source KR-{kr}", user_id=ADMIN)
    return opened_view(emulator, Callback.SOURCE, count=before + 1)


def test_the_form_offers_connectors_tries_one_and_says_its_number(slack, emulator, db, fakes):
    _, (kr,) = make_objective(db)
    view = _open_form(slack, emulator, kr)
    options = {
        o["value"]: o["text"]["text"] for o in by_block(view)[Block.SOURCE_CONNECTION]["element"]["options"]
    }
    assert options["jira"] == "jira (Jira, JQL)" and options["sheet"] == "sheet (published CSV, cell)"
    assert "theirjira" not in options
    values = {
        Block.SOURCE_CONNECTION: "jira",
        Block.SOURCE_QUERY: "project = APP AND resolved >= {cycle_start}",
        Block.SOURCE_POINTER: "customfield_10016",
        Block.SOURCE_PATH: "/left/over/from/another/choice",
    }
    response = slack.submit_view(view, values, user_id=ADMIN)
    assert response.status == 200 and not response.body, response.text
    slack.settle()
    with db.session() as session:
        binding = session.scalars(select(SourceBinding)).one()
        assert (binding.connection, binding.query, binding.pointer, binding.path) == (
            "jira",
            "project = APP AND resolved >= {cycle_start}",
            "customfield_10016",
            None,
        )
    dm = emulator.calls_to("chat.postMessage")[-1].args["text"]
    assert f"`KR-{kr}` now updates itself from Jira (the connection `jira`)" in dm and "It gives 8 now." in dm
    # The placeholder was filled with the first day of the quarter the app is in.
    assert re.fullmatch(
        r"project = APP AND resolved >= \d{4}-(01|04|07|10)-01", fakes["jira"].seen[0].body["jql"]
    )


@pytest.mark.parametrize(
    ("values", "block", "message"),
    [
        (
            {Block.SOURCE_CONNECTION: "jira", Block.SOURCE_QUERY: "storypoint = 3"},
            Block.SOURCE_QUERY,
            "Tried it once: Jira says the JQL is not valid: “Field 'storypoint' does not exist",
        ),
        (
            {Block.SOURCE_CONNECTION: "sheet", Block.SOURCE_PATH: SHEET_PATH, Block.SOURCE_POINTER: "Z9"},
            Block.SOURCE_POINTER,
            "the CSV has no cell Z9",
        ),
        (
            {Block.SOURCE_CONNECTION: "linear", Block.SOURCE_QUERY: "team:ENG size:large"},
            Block.SOURCE_QUERY,
            "is not key:value",
        ),
        (
            {Block.SOURCE_CONNECTION: "prom", Block.SOURCE_QUERY: "rate(x{cycle_begin})"},
            Block.SOURCE_QUERY,
            "{cycle_begin} is not a placeholder",
        ),
    ],
)
def test_the_form_shows_the_providers_error_under_its_field_and_saves_nothing(
    slack, emulator, db, values, block, message
):
    _, (kr,) = make_objective(db)
    view = _open_form(slack, emulator, kr)
    response = slack.submit_view(view, values, user_id=ADMIN)
    errors = response.json()["errors"]
    assert message in errors[block], errors
    with db.session() as session:
        assert session.query(SourceBinding).count() == 0


def test_the_form_gives_up_on_a_slow_provider_within_slacks_three_seconds(slack, emulator, db, fakes):
    _, (kr,) = make_objective(db)
    view = _open_form(slack, emulator, kr)
    fakes["prometheus"].delay = 4.0
    values = {Block.SOURCE_CONNECTION: "prom", Block.SOURCE_QUERY: "scalar(42)"}
    response = slack.submit_view(view, values, user_id=ADMIN)
    assert "did not answer within 2 s" in response.json()["errors"][Block.SOURCE_QUERY]
    with db.session() as session:
        assert session.query(SourceBinding).count() == 0


def test_the_form_refuses_another_workspaces_connector(slack, emulator, db):
    _, (kr,) = make_objective(db)
    view = _open_form(slack, emulator, kr)
    block = by_block(view)[Block.SOURCE_CONNECTION]
    block["element"]["options"].append({"text": {"type": "plain_text", "text": "x"}, "value": "theirjira"})
    response = slack.submit_forged_view(
        view, {Block.SOURCE_CONNECTION: "theirjira", Block.SOURCE_QUERY: "project = APP"}, user_id=ADMIN
    )
    assert "No connection theirjira is declared" in json.dumps(response.json()["errors"])
    with db.session() as session:
        assert session.query(SourceBinding).count() == 0


# --- OKRs as code ----------------------------------------------------------------------------------------

YAML = """\
team: T0NORTH1
cycle: 2026-Q4
objectives:
  - key: ship
    title: Ship what customers asked for
    owner: U0ALICE1
    key_results:
      - title: Bugs closed this quarter
        start: 0
        target: 40
        source:
          connection: jira
          query: project = APP AND resolved >= {cycle_start}
          every: 120
      - title: Signups
        start: 0
        target: 2000
        source: {connection: sheet, path: "/spreadsheets/d/e/2PACX-1vRfake/pub?gid=0&single=true&output=csv", cell: B}
"""


def test_a_connector_in_okrs_as_code_is_tried_then_bound(db, config, fakes):
    from bot.services.importer import import_file, try_sources

    with db.session() as session:
        workspace_for(session, TEAM)
    assert try_sources(db, YAML, team_id=None, today=T0.date(), sources=config) == 2
    assert fakes["jira"].seen[0].body == {"jql": "project = APP AND resolved >= 2026-10-01"}
    with db.session() as session:
        import_file(session, YAML, team_id=None, sources=config)
    with db.session() as session:
        rows = session.scalars(select(SourceBinding).order_by(SourceBinding.id)).all()
        assert [(b.connection, b.query, b.path, b.pointer, b.every_minutes) for b in rows] == [
            ("jira", "project = APP AND resolved >= {cycle_start}", None, None, 120),
            ("sheet", None, SHEET_PATH, "B", 60),
        ]


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("project = APP AND", "storypoint = 3 AND"), 13, "Jira says the JQL is not valid"),
        (("cell: B}", "cell: Q7}"), 18, "the CSV has no cell Q7"),
    ],
)
def test_a_connector_that_gives_no_number_refuses_the_file_by_line(db, config, change, line, message):
    from bot.services.importer import ImportRejected, try_sources

    with db.session() as session:
        workspace_for(session, TEAM)
    with pytest.raises(ImportRejected) as raised:
        try_sources(db, YAML.replace(*change), team_id=None, today=T0.date(), sources=config)
    [problem] = raised.value.problems
    assert problem.line == line and message in problem.message
    with db.session() as session:
        assert session.query(SourceBinding).count() == 0


def test_a_binding_is_not_read_through_a_connection_redeclared_as_another_kind(db, config, fakes):
    _, (kr,) = make_objective(db)
    binding_id = _bind(db, kr, config, connection="prom", query="scalar(42)")
    redeclared = {**_environment(fakes), "NORTHLINE_SOURCE_PROM_KIND": "spreadsheet"}
    redeclared.pop("NORTHLINE_SOURCE_PROM_TOKEN")
    changed = SourceConfig(parse_connections(redeclared, several_workspaces=True), allow=ALLOW)
    result = sync_binding(db, None, binding_id, T0, config=changed)
    assert not result.ok and "the connection prom is now spreadsheet; bind it again" in result.error
    assert fakes["prometheus"].seen == []
