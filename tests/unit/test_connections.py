"""Declared data-source connections: parsed once from the environment, each mistake one line
naming its variable; paths that stay under their origin."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_connections
from bot.sources.connections import ConnectionsError, parse_connections, path_problem, url_under

TOKEN = "Bearer sk-live-0042"


def test_http_and_sql_connections_are_parsed():
    connections = parse_connections(
        {
            "NORTHLINE_SOURCE_CRM_URL": "https://CRM.example.com:8443/",
            "NORTHLINE_SOURCE_CRM_TOKEN": TOKEN,
            "NORTHLINE_SOURCE_CRM_HEADER": "X-Api-Key",
            "NORTHLINE_SOURCE_CRM_TEAMS": "T0AAA1, T0BBB2",
            "NORTHLINE_SOURCE_SALES_DB_URL": "postgresql+psycopg://reader:pw@db.internal/sales",
            "NORTHLINE_SOURCE_SALES_DB_TEAMS": "T0AAA1",
            "SLACK_BOT_TOKEN": "xoxb-not-a-source",
        },
        several_workspaces=True,
    )
    crm = connections.find("CRM", "T0BBB2")
    assert (crm.name, crm.kind, crm.target, crm.secret_headers()) == (
        "crm",
        "http",
        "https://crm.example.com:8443",
        {"X-Api-Key": TOKEN},
    )
    sales = connections.find("sales_db", "T0AAA1")
    assert (sales.kind, sales.target) == ("sql", "postgresql+psycopg://reader:pw@db.internal/sales")
    assert connections.find("sales_db", "T0BBB2") is None  # not declared for that workspace
    assert [c.name for c in connections.for_team("T0AAA1")] == ["crm", "sales_db"]
    assert TOKEN not in repr(crm) and "pw@" not in repr(sales)


def test_one_workspace_may_leave_teams_out():
    connections = parse_connections({"NORTHLINE_SOURCE_M_URL": "http://m.example"}, several_workspaces=False)
    assert connections.find("m", "T0ANY").secret_headers() == {}


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"NORTHLINE_SOURCE_M_URL": "https://m.example"}, "NORTHLINE_SOURCE_M_TEAMS is not set"),
        (
            {"NORTHLINE_SOURCE_M_TOKEN": "x", "NORTHLINE_SOURCE_M_TEAMS": "T1AA"},
            "NORTHLINE_SOURCE_M_URL is not",
        ),
        (
            {"NORTHLINE_SOURCE_M_URL": "https://m.example/api", "NORTHLINE_SOURCE_M_TEAMS": "T1AA"},
            "origin only",
        ),
        (
            {"NORTHLINE_SOURCE_M_URL": "https://u:p@m.example", "NORTHLINE_SOURCE_M_TEAMS": "T1AA"},
            "origin only",
        ),
        (
            {"NORTHLINE_SOURCE_M_URL": "ftp://m.example", "NORTHLINE_SOURCE_M_TEAMS": "T1AA"},
            "or a database URL",
        ),
        ({"NORTHLINE_SOURCE_M_URL": "oracle://m/x", "NORTHLINE_SOURCE_M_TEAMS": "T1AA"}, "or a database URL"),
        (
            {"NORTHLINE_SOURCE_M_URL": "https://m.example", "NORTHLINE_SOURCE_M_TEAMS": "everyone"},
            "TEAMS must",
        ),
        (
            {
                "NORTHLINE_SOURCE_M_URL": "sqlite:///x.db",
                "NORTHLINE_SOURCE_M_TOKEN": "t",
                "NORTHLINE_SOURCE_M_TEAMS": "T1AA",
            },
            "are for http connections",
        ),
        (
            {
                "NORTHLINE_SOURCE_M_URL": "https://m.example",
                "NORTHLINE_SOURCE_M_HEADER": "X",
                "NORTHLINE_SOURCE_M_TEAMS": "T1AA",
            },
            "NORTHLINE_SOURCE_M_TOKEN (its value) is not",
        ),
        (
            {
                "NORTHLINE_SOURCE_M_URL": "https://m.example",
                "NORTHLINE_SOURCE_M_TOKEN": "t",
                "NORTHLINE_SOURCE_M_HEADER": "A B",
                "NORTHLINE_SOURCE_M_TEAMS": "T1AA",
            },
            "HTTP header name",
        ),
        (
            {"NORTHLINE_SOURCE_M_PASSWORD": "x"},
            "NORTHLINE_SOURCE_M_PASSWORD is not a data-source declaration",
        ),
    ],
)
def test_a_malformed_declaration_names_its_variable(env, names):
    with pytest.raises(ConnectionsError) as raised:
        parse_connections(env, several_workspaces=True)
    assert names in str(raised.value)
    assert all(value not in str(raised.value) for value in env.values() if len(value) > 4)


def test_start_up_stops_with_one_line():
    with pytest.raises(SettingsError) as raised:
        load_connections(
            {"NORTHLINE_SOURCE_M_URL": "https://m.example/x?key=s3cret"}, several_workspaces=False
        )
    message = str(raised.value)
    assert message.startswith("Configuration error: NORTHLINE_SOURCE_M_URL") and "\n" not in message
    assert "s3cret" not in message


@pytest.mark.parametrize(
    "path", ["/", "/api/funnel?team=7&since=2026-01-01", "/a/b.json", "/q?next=http://x"]
)
def test_a_path_under_the_origin(path):
    connection = parse_connections(
        {"NORTHLINE_SOURCE_M_URL": "https://m.example:8443"}, several_workspaces=False
    ).find("m", None)
    assert path_problem(path) is None
    assert url_under(connection, path) == "https://m.example:8443" + path


@pytest.mark.parametrize(
    "path",
    [
        "//evil.example/x",
        "http://evil.example/x",
        "evil.example/x",
        "@evil.example/x",
        ":80@evil.example/x",
        "/%2F%2Fevil.example",
        "/a/../../admin",
        "/%2e%2e/admin",
        "/a\\b",
        "/a b",
        "/a#frag",
        "/a\x00",
        "/" + "a" * 2000,
    ],
)
def test_a_path_that_could_leave_the_origin_is_refused(path):
    assert path_problem(path) is not None
