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
