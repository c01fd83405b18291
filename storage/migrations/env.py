"""Alembic environment: the URL comes from the config (set by storage.db) or DATABASE_URL."""

from alembic import context
from sqlalchemy import pool

from storage.db import make_engine
from storage.models import Base

config = context.config
target_metadata = Base.metadata

# Tables that belong to libraries, not to our models: autogenerate must neither drop nor diff them.
FOREIGN_TABLES = {"apscheduler_jobs"}  # APScheduler's SQLAlchemyJobStore creates and owns it


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "table" and name in FOREIGN_TABLES)


def _url() -> str:
    """The config's URL, which storage.db always sets; else DATABASE_URL, read and normalised as the
    app reads it (a bare `alembic` run with a configuration of its own)."""
    configured = config.get_main_option("sqlalchemy.url")
    if configured:
        return configured
    # storage's one use of bot beyond the domain's vocabulary (pyproject.toml's storage contract).
    from bot.settings import load_database_url

    return load_database_url()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
