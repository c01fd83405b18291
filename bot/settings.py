"""Every environment variable Northline reads, validated once at start-up."""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Annotated, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.ai.model import ModelEndpoint
from bot.domain.addresses import AllowList
from bot.sources.connections import PREFIX as SOURCE_PREFIX
from bot.sources.connections import Connections, ConnectionsError, SourceConfig, parse_connections

# What each variable should look like, for the one-line start-up error.
HINTS: dict[str, str] = {
    "SLACK_BOT_TOKEN": "a bot token starting with xoxb- (OAuth & Permissions page)",
    "SLACK_SIGNING_SECRET": "the Signing Secret from Basic Information → App Credentials (hex string)",
    "SLACK_APP_TOKEN": "an app-level token starting with xapp- (only for Socket Mode)",
    "SLACK_CLIENT_ID": "the Client ID from Basic Information, e.g. 1234567890.1234567890",
    "SLACK_CLIENT_SECRET": "the Client Secret from Basic Information",
    "SLACK_API_URL": "an http(s) URL ending in /api/, e.g. https://slack.com/api/",
    "DATABASE_URL": "a SQLAlchemy URL, e.g. sqlite:///northline.db or postgresql+psycopg://user@host/db",
    "PORT": "a TCP port number between 1 and 65535, e.g. 3000",
    "LOG_LEVEL": "one of DEBUG, INFO, WARNING, ERROR",
    "LOG_FORMAT": "text or json",
    "DATA_RETENTION_DAYS": "a whole number of days between 0 and 3650, e.g. 30",
    "NORTHLINE_API_RATE_LIMIT": "requests a minute per API token, a whole number from 1 to 100000, e.g. 600",
    "NORTHLINE_API_WORKSPACE_RATE_LIMIT": "requests a minute per workspace (all its API tokens together), a whole number from 1 to 1000000, e.g. 1200",
    "NORTHLINE_API_AUTH_FAILURES_PER_MINUTE": "failed API authentications a minute per client address, a whole number from 1 to 100000, e.g. 30",
    "NORTHLINE_BROKER_URL": "a Celery broker URL, redis://host:6379/0 or amqp://user:password@host:5672//",
    "NORTHLINE_POSTS_PER_SECOND": "chat.postMessage calls a second per workspace, a number above 0 and at most 1000, e.g. 5",
    "NORTHLINE_POSTS_IN_FLIGHT": "posts in flight at once per workspace, a whole number from 1 to 32, e.g. 4",
    "NORTHLINE_CONCURRENT_WORKSPACES": "workspaces delivered at once by one process, a whole number from 1 to 1000, e.g. 64",
    "NORTHLINE_BATCH_SIZE": "posts in one unit of work, a whole number from 10 to 100000, e.g. 500",
    "NORTHLINE_UNIT_TIMEOUT": "seconds after which a unit whose worker vanished is run again, 10 to 86400, e.g. 900",
    "NORTHLINE_SLACK_RETRY_SECONDS": "seconds before the first new try to reach Slack in Socket Mode, 0.01 to 600, e.g. 1",
    "NORTHLINE_SLACK_RETRY_MAX_SECONDS": "the longest wait between tries to reach Slack in Socket Mode, 0.01 to 3600, e.g. 60",
    "NORTHLINE_QUEUE": "the broker queue's name, letters, digits, dots, dashes, e.g. northline.units",
    "NORTHLINE_FETCH_ALLOW": "host names, IP addresses or CIDRs separated by commas, e.g. metrics.internal,10.20.0.0/16",
    "NORTHLINE_MAX_SOURCES": "data-source bindings a workspace may have, a whole number from 1 to 100000, e.g. 200",
    "NORTHLINE_SYNC_THREADS": "data-source reads run at once by the clock, a whole number from 1 to 64, e.g. 8",
    "NORTHLINE_AI_BASE_URL": "an OpenAI-compatible API's http(s) base URL, e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1",
    "NORTHLINE_AI_MODEL": "the model's name at that endpoint, e.g. gpt-4o-mini or llama3.1:8b",
    "NORTHLINE_AI_API_KEY": "the endpoint's API key, without spaces (empty for a local server that needs none)",
    "NORTHLINE_AI_TIMEOUT": "seconds one model call may take in all, 0.1 to 120, e.g. 20",
    "WEB_CONCURRENCY": "gunicorn's worker processes, a whole number from 1 to 256, e.g. 2",
    "GUNICORN_THREADS": "threads per gunicorn worker, a whole number from 1 to 1024, e.g. 8",
    "GUNICORN_TIMEOUT": "seconds before gunicorn restarts a silent worker, a whole number from 1 to 3600, e.g. 30",
    "GUNICORN_GRACEFUL_TIMEOUT": "seconds a stopping gunicorn worker may finish its requests, a whole number from 0 to 3600, e.g. 20",
    "GUNICORN_PRELOAD": "1 (build the app once in gunicorn's master, the default) or 0 (in each worker); true/false also do",
    "NORTHLINE_LISTENER_THREADS": "threads per web worker running listeners' work after ack(), a whole number from 1 to 1024, e.g. 32",
    "PROMETHEUS_MULTIPROC_DIR": "an empty directory shared by the web, clock and worker processes, e.g. /var/run/northline-metrics",
}


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class SettingsError(SystemExit):
    """Start-up stops with one line naming the variable at fault."""


class DeliverySettings(BaseSettings):
    """How scheduled posts are delivered (NORTHLINE_…): the clock's own process by default, Celery
    workers when a broker is set. Read on its own too: `northline jobs run` and the tests need no
    Slack credentials to build a delivery engine."""

    model_config = SettingsConfigDict(
        env_prefix="NORTHLINE_", env_file=None, case_sensitive=False, extra="ignore"
    )

    broker_url: Annotated[str | None, Field(pattern=r"^(redis|rediss|amqp|amqps|pyamqp)://\S*$")] = None
    posts_per_second: Annotated[float, Field(gt=0, le=1000)] = 5.0
    posts_in_flight: Annotated[int, Field(ge=1, le=32)] = 4
    concurrent_workspaces: Annotated[int, Field(ge=1, le=1000)] = 64
    batch_size: Annotated[int, Field(ge=10, le=100_000)] = 500
    unit_timeout: Annotated[int, Field(ge=10, le=86_400)] = 900
    queue: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,100}$")] = "northline.units"

    @field_validator("broker_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def distributed(self) -> bool:
        return bool(self.broker_url)


def load_delivery_settings(**overrides: object) -> DeliverySettings:
    try:
        return DeliverySettings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        name = "NORTHLINE_" + str(first["loc"][0]).upper() if first["loc"] else "a NORTHLINE_ setting"
        raise SettingsError(
            f"Configuration error: {name} is malformed; it should be {HINTS.get(name, 'set')}."
        ) from None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, case_sensitive=False, extra="ignore")

    slack_bot_token: Annotated[str | None, Field(pattern=r"^xoxb-[A-Za-z0-9-]+$")] = None
    slack_signing_secret: Annotated[str, Field(min_length=8, pattern=r"^\S+$")]
    slack_app_token: Annotated[str | None, Field(pattern=r"^xapp-[A-Za-z0-9-]+$")] = None
    slack_client_id: Annotated[str | None, Field(pattern=r"^\d+\.\d+$")] = None
    slack_client_secret: Annotated[str | None, Field(min_length=8)] = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = "sqlite:///northline.db"
    port: Annotated[int, Field(ge=1, le=65535)] = 3000
    log_level: LogLevel = LogLevel.INFO
    log_format: LogFormat = LogFormat.TEXT
    data_retention_days: Annotated[int, Field(ge=0, le=3650)] = 30
    # Requests a minute one API token may make before it is answered 429 (counted across workers).
    northline_api_rate_limit: Annotated[int, Field(ge=1, le=100_000)] = 600
    # The same for all of a workspace's tokens together (fifty tokens are not fifty times the limit).
    northline_api_workspace_rate_limit: Annotated[int, Field(ge=1, le=1_000_000)] = 1200
    # Failed authentications a minute per client address, answered 401; beyond it 429.
    northline_api_auth_failures_per_minute: Annotated[int, Field(ge=1, le=100_000)] = 30
    # Hosts, addresses and CIDRs a data source may reach although they are not globally routable.
    northline_fetch_allow: Annotated[tuple[str, ...], NoDecode] = ()
    # Data-source bindings one workspace may have; and how many sources the clock reads at once.
    northline_max_sources: Annotated[int, Field(ge=1, le=100_000)] = 200
    northline_sync_threads: Annotated[int, Field(ge=1, le=64)] = 8
    # Threads per web worker running listeners' work after ack() (bot/app.py). Each idle one
    # still costs its stack and allocator arena (bench/REPORT.md, issue 24 item 9).
    northline_listener_threads: Annotated[int, Field(ge=1, le=1024)] = 32
    # The declared data-source connections (bot/sources/connections.py): set by load_settings from
    # the environment, or by a test with with_connections().
    _connections: Connections = PrivateAttr(default_factory=Connections)
    # Socket Mode: after a failure to reach Slack, wait this long, doubled each time, at most the max.
    northline_slack_retry_seconds: Annotated[float, Field(ge=0.01, le=600)] = 1.0
    northline_slack_retry_max_seconds: Annotated[float, Field(ge=0.01, le=3600)] = 60.0
    # Ask Northline's language model (docs/ai.md): an OpenAI-compatible endpoint the operator
    # declares. Unset: off, and nothing is ever sent to a model.
    northline_ai_base_url: str | None = None
    northline_ai_model: Annotated[str | None, Field(pattern=r"^[^\s]{1,200}$")] = None
    northline_ai_api_key: Annotated[str | None, Field(pattern=r"^[\x21-\x7e]{1,500}$")] = None
    northline_ai_timeout: Annotated[float, Field(ge=0.1, le=120)] = 20.0

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("not an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("northline_ai_base_url", "northline_ai_model", "northline_ai_api_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("northline_ai_base_url")
    @classmethod
    def _ai_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("not an http(s) base URL")
        if parts.username is not None or parts.password is not None:
            raise ValueError("a base URL holds no user name or password (the key is NORTHLINE_AI_API_KEY)")
        return value.strip().rstrip("/")

    @field_validator("northline_fetch_allow", mode="before")
    @classmethod
    def _allow_list(cls, value: object) -> object:
        if isinstance(value, str):
            value = [entry.strip() for entry in value.split(",") if entry.strip()]
        if isinstance(value, list | tuple):
            cleaned = tuple(str(entry).strip() for entry in value if str(entry).strip())
            AllowList.parse(cleaned)  # ValueError: an entry that is no host, address or CIDR
            return cleaned
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _token_or_oauth(self) -> Settings:
        if not self.slack_bot_token and not self.oauth_enabled:
            raise ValueError("SLACK_BOT_TOKEN is missing (or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)")
        if bool(self.slack_client_id) != bool(self.slack_client_secret):
            raise ValueError("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together: set both or neither")
        if bool(self.northline_ai_base_url) != bool(self.northline_ai_model):
            raise ValueError(
                "NORTHLINE_AI_BASE_URL and NORTHLINE_AI_MODEL go together: set both for a language model, or neither"
            )
        if self.northline_ai_api_key and not self.northline_ai_base_url:
            raise ValueError(
                "NORTHLINE_AI_API_KEY is set but NORTHLINE_AI_BASE_URL is not: set the endpoint too"
            )
        return self

    @property
    def oauth_enabled(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def ai(self) -> ModelEndpoint | None:
        """The operator's language model, or None: Ask Northline then uses none (docs/ai.md)."""
        if not self.northline_ai_base_url or not self.northline_ai_model:
            return None
        return ModelEndpoint(
            self.northline_ai_base_url,
            self.northline_ai_model,
            self.northline_ai_api_key,
            self.northline_ai_timeout,
        )

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    @property
    def connections(self) -> Connections:
        return self._connections

    @property
    def fetch_allow(self) -> tuple[str, ...]:
        return self.northline_fetch_allow

    @property
    def sources(self) -> SourceConfig:
        return SourceConfig(
            self._connections,
            self.northline_fetch_allow,
            self.northline_max_sources,
            self.northline_sync_threads,
        )

    def with_connections(self, connections: Connections) -> Settings:
        """These settings with `connections` declared (start-up, or a test)."""
        copy = self.model_copy()
        copy._connections = connections
        return copy


_Alone = TypeVar("_Alone", bound=BaseSettings)


class SlackCredentials(BaseSettings):
    """Which Slack credentials the environment holds, as they are: the commands that work on the
    database alone (export, import, workspace purge) only ask whether one is there, and need none.
    Checked, they are Settings' fields."""

    model_config = SettingsConfigDict(env_file=None, case_sensitive=False, extra="ignore")

    slack_bot_token: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None

    @property
    def any(self) -> bool:
        """A bot token or an OAuth client: a workspace's client can be built."""
        return bool(self.slack_bot_token or self.slack_client_id)

    @property
    def several_workspaces(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)


class DatabaseSettings(BaseSettings):
    """DATABASE_URL alone, for the commands that only touch the database."""

    model_config = SettingsConfigDict(env_file=None, case_sensitive=False, extra="ignore")

    database_url: str = "sqlite:///northline.db"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalize_database_url(value)  # the same normalisation the app applies


class RetentionSettings(BaseSettings):
    """DATA_RETENTION_DAYS alone, for `northline workspace purge`: any whole number of days (the
    app's Settings bound it to 3650; the purge never has)."""

    model_config = SettingsConfigDict(env_file=None, case_sensitive=False, extra="ignore")

    data_retention_days: int = 30

    @field_validator("data_retention_days", mode="before")
    @classmethod
    def _digits(cls, value: object) -> object:
        if isinstance(value, str) and not value.isdigit():
            raise ValueError("not a whole number of days")
        return value


class SourceLimits(BaseSettings):
    """NORTHLINE_MAX_SOURCES alone, for the commands that read sources with no Slack credentials:
    blank is the default."""

    model_config = SettingsConfigDict(env_file=None, case_sensitive=False, extra="ignore")

    northline_max_sources: int = 200

    @field_validator("northline_max_sources", mode="before")
    @classmethod
    def _cap(cls, value: object) -> object:
        if isinstance(value, str):
            value = (value or "200").strip()
            if not value.isdigit() or not 1 <= int(value) <= 100_000:
                raise ValueError("not a whole number from 1 to 100000")
        return value


class MetricsSettings(BaseSettings):
    """PROMETHEUS_MULTIPROC_DIR alone (docs/operations.md): the directory where every process
    writes its metrics for the web process to sum. prometheus_client reads the same variable from
    the environment at its import, to choose how each process keeps its values, so it is the
    operator's to set before start; Northline only reads it. Blank is unset."""

    model_config = SettingsConfigDict(env_file=None, case_sensitive=False, extra="ignore")

    prometheus_multiproc_dir: str | None = None

    @field_validator("prometheus_multiproc_dir", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class WebServerSettings(BaseSettings):
    """What gunicorn.conf.py reads (docs/operations.md, "Web process memory"). A variable set to
    nothing is its default, as gunicorn's own defaults would be."""

    model_config = SettingsConfigDict(
        env_file=None, case_sensitive=False, extra="ignore", env_ignore_empty=True
    )

    port: Annotated[int, Field(ge=1, le=65535)] = 3000
    web_concurrency: Annotated[int, Field(ge=1, le=256)] = 2
    gunicorn_threads: Annotated[int, Field(ge=1, le=1024)] = 8
    # Slack wants an answer in 3 seconds; a request still running after 30 is stuck.
    gunicorn_timeout: Annotated[int, Field(ge=1, le=3600)] = 30
    gunicorn_graceful_timeout: Annotated[int, Field(ge=0, le=3600)] = 20
    gunicorn_preload: bool = True
    log_level: LogLevel = LogLevel.INFO

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


def load_web_server_settings() -> WebServerSettings:
    return _load_alone(WebServerSettings)


def _load_alone(model: type[_Alone], lines: dict[str, str] | None = None) -> _Alone:
    """`model` from the environment, or the command stops with one line naming the variable (the
    line in `lines`, where a command has always said it its own way)."""
    try:
        return model()
    except ValidationError as error:
        name = str(error.errors()[0]["loc"][0]).upper()
        line = f"Configuration error: {name} is malformed; it should be {HINTS[name]}."
        raise SettingsError((lines or {}).get(name, line)) from None


def declared_credentials() -> SlackCredentials:
    return SlackCredentials()


def load_database_url() -> str:
    """DATABASE_URL, normalised: the commands that only touch the database need no Slack credentials."""
    line = "Configuration error: DATABASE_URL is malformed; it should be " + HINTS["DATABASE_URL"]
    return _load_alone(DatabaseSettings, {"DATABASE_URL": line}).database_url


def load_retention_days() -> int:
    line = (
        "Configuration error: DATA_RETENTION_DAYS is malformed; it should be a whole number of days, e.g. 30."
    )
    return _load_alone(RetentionSettings, {"DATA_RETENTION_DAYS": line}).data_retention_days


def load_metrics_settings() -> MetricsSettings:
    return _load_alone(MetricsSettings)


def source_variables() -> dict[str, str]:
    """The operator's NORTHLINE_SOURCE_<NAME>_… variables as they are set: a family of names that no
    model lists field by field. bot/sources/connections.py checks them (load_connections) and
    bot/logs.py keeps their values out of every line."""
    return {name: value for name, value in os.environ.items() if name.upper().startswith(SOURCE_PREFIX)}


def load_source_config() -> SourceConfig:
    """The declared data-source connections, for commands that need no Slack credentials."""
    several = declared_credentials().several_workspaces
    max_sources = _load_alone(SourceLimits).northline_max_sources
    return SourceConfig(
        load_connections(source_variables(), several_workspaces=several), max_sources=max_sources
    )


def normalize_database_url(value: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
    except ArgumentError as error:
        raise ValueError("not a database URL") from error
    # psycopg 3 is the driver we ship; plain postgresql:// would look for psycopg2.
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return value


def describe_error(error: ValidationError) -> str:
    """The first problem as one line: which variable, and what it should look like."""
    first = error.errors()[0]
    if not first["loc"]:
        return f"Configuration error: {first['msg'].removeprefix('Value error, ')}"
    name = str(first["loc"][0]).upper()
    problem = "is missing" if first["type"] == "missing" else "is malformed"
    return f"Configuration error: {name} {problem}; it should be {HINTS.get(name, 'set')}."


def load_settings(**overrides: object) -> Settings:
    try:
        settings = Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(describe_error(error)) from None
    return settings.with_connections(
        load_connections(source_variables(), several_workspaces=settings.oauth_enabled)
    )


def load_connections(env, *, several_workspaces: bool) -> Connections:
    """The declared data-source connections, or start-up stops with one line naming the variable."""
    try:
        return parse_connections(env, several_workspaces=several_workspaces)
    except ConnectionsError as error:
        raise SettingsError(f"Configuration error: {error}.") from None
