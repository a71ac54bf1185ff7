"""Migrations on a populated database: every row survives upgrade, downgrade and upgrade."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Table, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from analytics import migrations
from analytics.adapters.sql.schema import TENANT_TABLES
from tests.reliability import figures
from tests.reliability.support import Database, NamespacedIds, Rows, sqlite_database
from tests.reliability.tenant_data import at, load_tenant
from tests.support import (
    FixedClock,
    copy_sqlite_template,
    postgres_url_or_skip,
    sqlite_engine,
)


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.sqlite),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
async def empty_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """An engine on an empty, unmigrated database of each backend."""
    if request.param == "sqlite":
        engine = sqlite_engine(tmp_path / "migrated.db")
        yield "sqlite", engine
        await engine.dispose()
        return
    admin_url = postgres_url_or_skip()
    name = f"analytics_migrate_{uuid.uuid4().hex[:12]}"
    await _admin(admin_url, f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = create_async_engine(url)
    try:
        yield "postgres", engine
    finally:
        await engine.dispose()
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _example_rows(database: Database) -> Rows:
    """Write two tenants through the ports of a head database and return every row."""
    ids = NamespacedIds()
    store = database.open_store(FixedClock(at(12, 9)), ids)
    try:
        async with store.unit_of_work() as uow:
            await load_tenant(uow, "tenant-a", scale=1, extra=False)
            ids.namespace = 2
            await load_tenant(uow, "tenant-b", scale=10, extra=True)
    finally:
        await store.close()
    return await database.all_rows()


async def _tables_at(engine: AsyncEngine) -> list[Table]:
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    return [table for table in TENANT_TABLES if table.name in names]


async def _rows(engine: AsyncEngine, tables: list[Table]) -> Rows:
    rows: Rows = {}
    async with engine.connect() as connection:
        for table in tables:
            result = await connection.execute(select(table).order_by(*table.primary_key.columns))
            rows[table.name] = [tuple(row) for row in result]
    return rows


async def test_rows_survive_migrations(
    sqlite_template: Path, tmp_path: Path, empty_engine: tuple[str, AsyncEngine]
) -> None:
    name, engine = empty_engine
    # The rows come from a head SQLite database; the column types convert them for both backends.
    source = sqlite_database(copy_sqlite_template(sqlite_template, tmp_path))
    example = await _example_rows(source)
    first = migrations.pending_revisions(None)[0]
    await migrations.upgrade(engine, first)
    tables = await _tables_at(engine)
    async with engine.begin() as connection:
        for table in tables:
            columns = [column.name for column in table.columns]
            values = [dict(zip(columns, row, strict=True)) for row in example[table.name]]
            if values:
                await connection.execute(table.insert(), values)
    populated = await _rows(engine, tables)

    await migrations.upgrade(engine)
    upgraded = await _rows(engine, tables)
    await migrations.downgrade(engine, first)
    downgraded = await _rows(engine, tables)
    await migrations.upgrade(engine)
    again = await _rows(engine, tables)

    assert len(tables) >= 11
    assert sum(len(rows) for rows in populated.values()) > 50
    assert upgraded == populated
    assert downgraded == populated
    assert again == populated
    assert await migrations.current_revision(engine) == migrations.head_revision()
    figures.add("migrations.rows", name, sum(len(rows) for rows in populated.values()))
