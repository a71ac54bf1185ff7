"""Timestamp columns: time-zone aware on Postgres, fixed-width UTC text on SQLite.

A timestamp column declared without a time zone makes one driver reject or shift
aware datetimes while the other accepts them, so the backends disagree. This
checks both the metadata and the schema that the migrations build.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Text, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import create_async_engine

from analytics.adapters.sql.schema import TENANT_TABLES
from analytics.adapters.sql.types import UtcDateTime
from tests.support import PostgresDatabase

TIMESTAMP_COLUMNS = sorted(
    (table.name, column.name)
    for table in TENANT_TABLES
    for column in table.columns
    if isinstance(column.type, UtcDateTime)
)


def test_metadata_timestamps_aware() -> None:
    for table in TENANT_TABLES:
        for column in table.columns:
            if not isinstance(column.type, UtcDateTime):
                continue
            on_postgres = column.type.load_dialect_impl(postgresql.dialect())  # type: ignore[no-untyped-call]
            on_sqlite = column.type.load_dialect_impl(sqlite.dialect())
            assert getattr(on_postgres, "timezone", False) is True, (table.name, column.name)
            assert isinstance(on_sqlite, Text), column.name
    assert len(TIMESTAMP_COLUMNS) >= 30


@pytest.mark.postgres
async def test_migrated_postgres_timestamps_aware(postgres_database: PostgresDatabase) -> None:
    # SQLite has no timestamp type; the metadata test covers its fixed-width text column.
    query = text(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND data_type LIKE 'timestamp%'"
    )
    engine = create_async_engine(postgres_database.url)
    try:
        async with engine.connect() as connection:
            rows = [tuple(row) for row in await connection.execute(query)]
    finally:
        await engine.dispose()

    types = {(table, column): data_type for table, column, data_type in rows}
    assert set(types.values()) == {"timestamp with time zone"}
    for key in TIMESTAMP_COLUMNS:
        assert types.get(key) == "timestamp with time zone", key
