"""Alembic environment: the URL comes from the config, which storage.db sets."""

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
    """The config's URL. storage.db always sets it (`northline db upgrade`, the app at start-up);
    an alembic run with a configuration of its own names it as `sqlalchemy.url`."""
    configured = config.get_main_option("sqlalchemy.url")
    if not configured:
        raise RuntimeError("no database URL: run `northline db upgrade`, or set sqlalchemy.url")
    return configured


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
