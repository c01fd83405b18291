"""Alembic migrations: from an empty database and from every earlier revision to head, and
the result matches the models exactly."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import (
    Database,
    SchemaOutOfDate,
    alembic_config,
    ensure_schema,
    head_revision,
    make_engine,
    schema_state,
    upgrade,
)
from storage.models import Base
from tests.conftest import PG_URL, requires_postgresql


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/walk.db"
        return
    if not PG_URL:
        pytest.skip("needs PostgreSQL: set NORTHLINE_TEST_DATABASE_URL")
    name = f"{make_url(PG_URL).database}_walk_{os.getpid()}"
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _differences(url: str) -> list:
    engine = make_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_object": lambda obj, name, kind, reflected, compare_to: (
                    not name.startswith("apscheduler")
                )
            },
        )
        found = compare_metadata(context, Base.metadata)
    engine.dispose()
    return found


def test_every_revision_upgrades_to_head_and_matches_the_models(empty_database):
    steps = revisions()
    assert steps[0] == "0001"
    for revision in steps:
        upgrade(empty_database, revision)
    assert _differences(empty_database) == []
    # And from each earlier revision: down to it, then up to head again.
    from alembic import command

    for revision in steps[:-1]:
        command.downgrade(alembic_config(empty_database), revision)
        upgrade(empty_database)
    current, head = schema_state(make_engine(empty_database))
    assert current == head == steps[-1]


def test_sqlite_brings_its_schema_up_to_date_by_itself(tmp_path):
    url = f"sqlite:///{tmp_path}/old.db"
    upgrade(url, "0001")
    db = Database.from_url(url)
    ensure_schema(db)
    assert schema_state(db.engine)[0] == revisions()[-1]
    db.dispose()


@requires_postgresql()
def test_postgresql_refuses_to_start_on_an_old_schema(empty_database):
    if empty_database.startswith("sqlite"):
        pytest.skip("the PostgreSQL half of this test")
    upgrade(empty_database, "0001")
    db = Database.from_url(empty_database)
    with pytest.raises(SchemaOutOfDate, match="northline db upgrade"):
        ensure_schema(db)
    db.dispose()


def test_the_head_read_from_the_files_is_alembics_head():
    assert head_revision() == revisions()[-1]


def test_schema_state_reads_the_version_table_as_alembic_does(tmp_path):
    url = f"sqlite:///{tmp_path}/state.db"
    engine = make_engine(url)
    assert schema_state(engine) == (None, revisions()[-1])  # no version table yet
    upgrade(url, "0002")
    assert schema_state(engine) == ("0002", revisions()[-1])
    engine.dispose()
