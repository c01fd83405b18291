"""gunicorn.conf.py as gunicorn loads it: its settings come from the environment through
bot/settings.py, and a malformed value stops gunicorn with one line naming the variable."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from gunicorn.app.base import Application

from bot.settings import SettingsError

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
VARIABLES = (
    "PORT",
    "WEB_CONCURRENCY",
    "GUNICORN_THREADS",
    "GUNICORN_TIMEOUT",
    "GUNICORN_GRACEFUL_TIMEOUT",
    "GUNICORN_PRELOAD",
    "LOG_LEVEL",
)


class _Gunicorn(Application):
    """gunicorn's own loading of a config file, without its command line or an app to serve."""

    def init(self, parser, opts, args):
        return None

    def load_config(self):
        self.load_config_from_file(str(CONF))

    def load(self):
        raise AssertionError("nothing is served here")


@pytest.fixture
def gunicorn_config(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def load(**values: str):
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        try:
            return _Gunicorn().cfg
        finally:
            sys.modules.pop("__config__", None)  # where gunicorn puts the file it ran

    return load


def test_defaults(gunicorn_config):
    cfg = gunicorn_config()
    assert cfg.bind == ["0.0.0.0:3000"]
    assert (cfg.workers, cfg.threads, cfg.timeout, cfg.graceful_timeout) == (2, 8, 30, 20)
    assert cfg.preload_app is True
    assert cfg.loglevel == "info"
    assert cfg.worker_class_str == "gthread"


def test_every_variable_reaches_gunicorn(gunicorn_config):
    cfg = gunicorn_config(
        PORT="8080",
        WEB_CONCURRENCY="4",
        GUNICORN_THREADS="16",
        GUNICORN_TIMEOUT="45",
        GUNICORN_GRACEFUL_TIMEOUT="5",
        GUNICORN_PRELOAD="0",
        LOG_LEVEL="warning",
    )
    assert cfg.bind == ["0.0.0.0:8080"]
    assert (cfg.workers, cfg.threads, cfg.timeout, cfg.graceful_timeout) == (4, 16, 45, 5)
    assert cfg.preload_app is False
    assert cfg.loglevel == "warning"


@pytest.mark.parametrize(
    ("value", "preload"), [("1", True), ("true", True), ("0", False), ("false", False), ("", True)]
)
def test_preloading_is_a_yes_or_no(gunicorn_config, value, preload):
    assert gunicorn_config(GUNICORN_PRELOAD=value).preload_app is preload


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GUNICORN_THREADS", "eight"),
        ("GUNICORN_THREADS", "0"),
        ("WEB_CONCURRENCY", "-1"),
        ("GUNICORN_TIMEOUT", "30s"),
        ("GUNICORN_GRACEFUL_TIMEOUT", "99999"),
        ("GUNICORN_PRELOAD", "maybe"),
        ("PORT", "70000"),
        ("LOG_LEVEL", "loud"),
    ],
)
def test_a_malformed_value_stops_gunicorn_naming_it(gunicorn_config, name, value):
    with pytest.raises(SettingsError) as stop:
        gunicorn_config(**{name: value})
    message = str(stop.value)
    assert message.startswith(f"Configuration error: {name} is malformed; it should be ")
    assert "\n" not in message
