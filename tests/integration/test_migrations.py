"""The alembic history builds exactly the schema of the metadata, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from analytics import migrations
from analytics.adapters.sql.schema import TENANT_TABLES, metadata
from tests.integration.conftest import EmptyDatabase

EXPECTED_TABLES = {table.name for table in TENANT_TABLES}


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _schema_diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _keys_without_tenant(connection: Connection) -> list[str]:
    inspector = inspect(connection)
    missing = []
    for table in EXPECTED_TABLES:
        primary = inspector.get_pk_constraint(table)
        if primary["constrained_columns"][0] != "tenant_id":
            missing.append(f"{table} primary key")
        for unique in inspector.get_unique_constraints(table):
            if "tenant_id" not in unique["column_names"]:
                missing.append(f"{table} {unique['name']}")
        for index in inspector.get_indexes(table):
            if index["unique"] and "tenant_id" not in index["column_names"]:
                missing.append(f"{table} {index['name']}")
    return missing


async def test_upgrade_builds_every_table(empty_database: EmptyDatabase) -> None:
    await migrations.upgrade(empty_database.engine)

    async with empty_database.engine.connect() as connection:
        names = await connection.run_sync(_table_names)
    assert names == EXPECTED_TABLES
    assert await migrations.current_revision(empty_database.engine) == migrations.head_revision()


async def test_migrated_schema_matches_metadata(empty_database: EmptyDatabase) -> None:
    await migrations.upgrade(empty_database.engine)

    async with empty_database.engine.connect() as connection:
        diff = await connection.run_sync(_schema_diff)
    assert diff == []


async def test_downgrade_then_upgrade_again(empty_database: EmptyDatabase) -> None:
    await migrations.upgrade(empty_database.engine)
    await migrations.downgrade(empty_database.engine, "base")

    async with empty_database.engine.connect() as connection:
        assert await connection.run_sync(_table_names) == set()

    await migrations.upgrade(empty_database.engine)
    async with empty_database.engine.connect() as connection:
        assert await connection.run_sync(_table_names) == EXPECTED_TABLES


async def test_every_key_contains_tenant_id(empty_database: EmptyDatabase) -> None:
    await migrations.upgrade(empty_database.engine)

    async with empty_database.engine.connect() as connection:
        missing = await connection.run_sync(_keys_without_tenant)
    assert missing == []


async def test_unmigrated_database_has_no_revision(empty_database: EmptyDatabase) -> None:
    assert await migrations.current_revision(empty_database.engine) is None
