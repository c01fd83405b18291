"""Engine, sessions and schema version checks, from DATABASE_URL."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import Insert

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str, **kwargs) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if parsed.database and parsed.database != ":memory:":
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    # pre_ping: a restarted PostgreSQL is noticed on checkout and the pool heals by itself.
    kwargs.setdefault("pool_pre_ping", True)
    if parsed.get_backend_name() == "postgresql":
        # A server that vanished mid-query (restart, failover, a cut network) is noticed within
        # about 20 seconds instead of never: connect timeout and TCP keepalives.
        connect_args = {
            "connect_timeout": 10,
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 3,
            "keepalives_count": 3,
        }
        kwargs["connect_args"] = {**connect_args, **kwargs.get("connect_args", {})}
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    return create_engine(url, **kwargs)


_EFFECTS = "northline.effects"
_effects_log = logging.getLogger("storage.effects")


def after_commit(session: Session, effect: Callable[[], object]) -> None:
    """Queue a Slack effect (a post, a view, a Home publish, a DM) for after this unit commits.

    Effects run in the order queued, once, after `Database.session()` has committed; a rollback
    drops them unrun. Each is isolated: one that raises is logged once and the next still runs.
    """
    session.info.setdefault(_EFFECTS, []).append(effect)


def run_effects(effects: list[Callable[[], object]]) -> None:
    for effect in effects:
        try:
            effect()
        except Exception:
            _effects_log.exception("an effect queued for after the commit failed")


def upsert_into(dialect: str, table: Any) -> Insert:
    """`INSERT` with `ON CONFLICT` for the database in use (`dialect`: the engine's dialect name),
    PostgreSQL's or SQLite's: the two Northline runs on."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database {dialect}")  # pragma: no cover


class Database:
    """The one handle on the database that the app, the clock and the CLI share."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.session_factory = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(make_engine(url))

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back whole if it raises."""
        session = self.session_factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.info.pop(_EFFECTS, None)
            session.rollback()
            raise
        finally:
            session.close()
        run_effects(session.info.pop(_EFFECTS, []))

    def dispose(self) -> None:
        self.engine.dispose()


class _AlembicChatter(logging.Filter):
    """Alembic's INFO lines on every start-up ("Context impl SQLiteImpl.", "Will assume
    non-transactional DDL.", one "setup plugin" per plugin) tell an operator nothing; a schema
    change ("Running upgrade 0003 -> 0004") does, and stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.INFO or record.getMessage().startswith("Running ")


def _quiet_alembic() -> None:
    for name in ("alembic.runtime.migration", "alembic.runtime.plugins"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _AlembicChatter) for f in logger.filters):
            logger.addFilter(_AlembicChatter())


# Before any import of alembic: it logs its plugins as it loads them.
_quiet_alembic()


def alembic_config(url: str):
    from alembic.config import Config

    # The stream now, not alembic's default: that is sys.stdout as it was when alembic was first
    # imported, which may be a stream closed since (a test's captured output).
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def schema_state(engine: Engine) -> tuple[str | None, str]:
    """(the database's revision, the code's head revision).

    Read without alembic where the schema is a single line of revisions, as it is: importing
    alembic (with Mako and Pygments) and running every migration file to compare two strings
    cost each web worker about 11 MB (bench/REPORT.md, issue 24 item 9). Anything else (several
    heads, a version table with several rows) is left to alembic."""
    head = head_revision()
    current = _stored_revisions(engine)
    if head is not None and len(current) <= 1:
        return (current[0] if current else None), head
    return _alembic_schema_state(engine)


def head_revision() -> str | None:
    """The head of the migration files' `revision` / `down_revision` chain, read from their
    source without running them; None unless there is exactly one head."""
    import ast

    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = _revision_names(ast.parse(path.read_text(encoding="utf-8")))
        revision, down = found.get("revision"), found.get("down_revision")
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else (down or ()))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _revision_names(module) -> dict[str, object]:
    import ast

    found: dict[str, object] = {}
    for node in module.body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        target = node.target if isinstance(node, ast.AnnAssign) else target
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision") and node.value:
            try:
                found[target.id] = ast.literal_eval(node.value)
            except ValueError:
                found[target.id] = None
    return found


def _stored_revisions(engine: Engine) -> list[str]:
    """The rows of alembic's version table ([] when it does not exist yet)."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return []
        return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def _alembic_schema_state(engine: Engine) -> tuple[str | None, str]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(False))).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head or ""


class SchemaOutOfDate(SystemExit):
    pass


def ensure_schema(db: Database) -> None:
    """SQLite (the default) upgrades itself; anything else must be migrated by the operator."""
    url = db.engine.url.render_as_string(hide_password=False)
    current, head = schema_state(db.engine)
    if current == head:
        return
    if db.is_sqlite:
        upgrade(url)
        return
    raise SchemaOutOfDate(
        f"The database schema is at {current or 'nothing'} but this code needs {head}: "
        "run `northline db upgrade` first."
    )
