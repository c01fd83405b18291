"""Start-up configuration: a missing or malformed variable stops it with one clear line."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings

GOOD = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "0123456789abcdef"}


@pytest.fixture
def env(monkeypatch):
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "SLACK_API_URL",
        "DATABASE_URL",
        "PORT",
        "LOG_LEVEL",
        "LOG_FORMAT",
        "NORTHLINE_LISTENER_THREADS",
    ):
        monkeypatch.delenv(name, raising=False)

    def set_env(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_env


def test_defaults(env):
    env(**GOOD)
    settings = load_settings()
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url == "sqlite:///northline.db"
    assert settings.port == 3000 and not settings.socket_mode and not settings.oauth_enabled
    assert settings.northline_listener_threads == 32


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"SLACK_SIGNING_SECRET": "0123456789abcdef"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1-2-abc"}, "SLACK_SIGNING_SECRET"),
        ({**GOOD, "SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN"),
        ({**GOOD, "SLACK_APP_TOKEN": "nope"}, "SLACK_APP_TOKEN"),
        ({**GOOD, "PORT": "eighty"}, "PORT"),
        ({**GOOD, "PORT": "70000"}, "PORT"),
        ({**GOOD, "DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({**GOOD, "SLACK_API_URL": "ftp://x"}, "SLACK_API_URL"),
        ({**GOOD, "LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({**GOOD, "SLACK_CLIENT_ID": "123.456"}, "SLACK_CLIENT_SECRET"),
        ({**GOOD, "NORTHLINE_LISTENER_THREADS": "0"}, "NORTHLINE_LISTENER_THREADS"),
        ({**GOOD, "NORTHLINE_LISTENER_THREADS": "1025"}, "NORTHLINE_LISTENER_THREADS"),
    ],
)
def test_missing_or_malformed_settings_name_the_variable(env, values, named):
    env(**values)
    with pytest.raises(SettingsError) as stop:
        load_settings()
    message = str(stop.value)
    assert named in message and "\n" not in message


def test_postgres_urls_use_psycopg3_and_api_url_gets_a_slash(env):
    env(**GOOD, DATABASE_URL="postgresql://u@h/db", SLACK_API_URL="http://127.0.0.1:9/api", LOG_LEVEL="debug")
    settings = load_settings()
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.log_level == "DEBUG"


def test_oauth_mode_needs_no_bot_token(env):
    env(
        SLACK_SIGNING_SECRET="0123456789abcdef", SLACK_CLIENT_ID="123.456", SLACK_CLIENT_SECRET="s3cr3t-value"
    )
    assert load_settings().oauth_enabled


AI = ("NORTHLINE_AI_BASE_URL", "NORTHLINE_AI_MODEL", "NORTHLINE_AI_API_KEY", "NORTHLINE_AI_TIMEOUT")


@pytest.fixture
def no_ai(monkeypatch, env):
    for name in AI:
        monkeypatch.delenv(name, raising=False)
    return env


def test_no_language_model_unless_the_operator_declares_one(no_ai):
    no_ai(**GOOD)
    assert load_settings().ai is None
    no_ai(NORTHLINE_AI_BASE_URL="", NORTHLINE_AI_MODEL=" ")  # blank is unset
    assert load_settings().ai is None


def test_a_declared_model_is_read_whole(no_ai):
    no_ai(
        **GOOD,
        NORTHLINE_AI_BASE_URL="http://127.0.0.1:11434/v1/",
        NORTHLINE_AI_MODEL="llama3.1:8b",
        NORTHLINE_AI_TIMEOUT="7.5",
    )
    ai = load_settings().ai
    assert ai is not None
    assert (ai.base_url, ai.model, ai.api_key, ai.timeout) == (
        "http://127.0.0.1:11434/v1",
        "llama3.1:8b",
        None,
        7.5,
    )
    assert ai.url == "http://127.0.0.1:11434/v1/chat/completions"
    no_ai(NORTHLINE_AI_API_KEY="sk-abc123")
    ai = load_settings().ai
    assert ai.api_key == "sk-abc123" and "sk-abc123" not in repr(ai)


@pytest.mark.parametrize(
    ("values", "named"),
    [
        (
            {"NORTHLINE_AI_BASE_URL": "ftp://models.internal/v1", "NORTHLINE_AI_MODEL": "m"},
            "NORTHLINE_AI_BASE_URL",
        ),
        (
            {"NORTHLINE_AI_BASE_URL": "https://u:p@models.internal/v1", "NORTHLINE_AI_MODEL": "m"},
            "NORTHLINE_AI_BASE_URL",
        ),
        (
            {"NORTHLINE_AI_BASE_URL": "https://models.internal/v1", "NORTHLINE_AI_MODEL": "a b"},
            "NORTHLINE_AI_MODEL",
        ),
        ({"NORTHLINE_AI_BASE_URL": "https://models.internal/v1"}, "NORTHLINE_AI_MODEL"),
        ({"NORTHLINE_AI_MODEL": "m"}, "NORTHLINE_AI_BASE_URL"),
        ({"NORTHLINE_AI_API_KEY": "sk-abc"}, "NORTHLINE_AI_BASE_URL"),
        (
            {
                "NORTHLINE_AI_BASE_URL": "https://x/v1",
                "NORTHLINE_AI_MODEL": "m",
                "NORTHLINE_AI_API_KEY": "a key",
            },
            "NORTHLINE_AI_API_KEY",
        ),
        (
            {
                "NORTHLINE_AI_BASE_URL": "https://x/v1",
                "NORTHLINE_AI_MODEL": "m",
                "NORTHLINE_AI_TIMEOUT": "600",
            },
            "NORTHLINE_AI_TIMEOUT",
        ),
    ],
)
def test_a_malformed_model_setting_stops_start_up_naming_it(no_ai, values, named):
    no_ai(**GOOD, **values)
    with pytest.raises(SettingsError) as stop:
        load_settings()
    message = str(stop.value)
    assert named in message and "\n" not in message
    assert "sk-abc" not in message and "u:p" not in message


# --- what the database-only commands read (export, import, workspace purge): no Slack credentials ---


@pytest.fixture
def bare(monkeypatch):
    for name in (
        "DATABASE_URL",
        "DATA_RETENTION_DAYS",
        "NORTHLINE_MAX_SOURCES",
        "SLACK_BOT_TOKEN",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "SLACK_SIGNING_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_database_only_commands_need_no_slack_credentials(bare):
    from bot.settings import declared_credentials, load_database_url, load_retention_days, load_source_config

    assert load_database_url() == "sqlite:///northline.db"
    assert load_retention_days() == 30
    assert load_source_config().max_sources == 200
    assert not declared_credentials().any
    bare.setenv("DATABASE_URL", "postgresql://u@h/db")
    bare.setenv("DATA_RETENTION_DAYS", "99999")  # the purge never bounded it
    bare.setenv("NORTHLINE_MAX_SOURCES", " 7 ")
    bare.setenv("SLACK_CLIENT_ID", "not checked here")
    assert load_database_url() == "postgresql+psycopg://u@h/db"
    assert load_retention_days() == 99999
    assert load_source_config().max_sources == 7
    assert declared_credentials().any and not declared_credentials().several_workspaces


@pytest.mark.parametrize(
    ("name", "value", "line"),
    [
        (
            "DATABASE_URL",
            "not a url",
            "Configuration error: DATABASE_URL is malformed; it should be a SQLAlchemy URL, e.g. "
            "sqlite:///northline.db or postgresql+psycopg://user@host/db",
        ),
        (
            "DATA_RETENTION_DAYS",
            " 30",
            "Configuration error: DATA_RETENTION_DAYS is malformed; it should be a whole number of days, e.g. 30.",
        ),
        (
            "NORTHLINE_MAX_SOURCES",
            "0",
            "Configuration error: NORTHLINE_MAX_SOURCES is malformed; it should be data-source bindings a "
            "workspace may have, a whole number from 1 to 100000, e.g. 200.",
        ),
    ],
)
def test_a_malformed_database_only_setting_stops_the_command_naming_it(bare, name, value, line):
    from bot.settings import load_database_url, load_retention_days, load_source_config

    bare.setenv(name, value)
    load = {
        "DATABASE_URL": load_database_url,
        "DATA_RETENTION_DAYS": load_retention_days,
        "NORTHLINE_MAX_SOURCES": load_source_config,
    }[name]
    with pytest.raises(SettingsError) as stop:
        load()
    assert str(stop.value) == line
