"""Postgres spellings of the dialect-specific SQL."""

from __future__ import annotations

from sqlalchemy import BigInteger, ColumnElement, Table, cast, extract, func
from sqlalchemy.dialects.postgresql import Insert, insert


class PostgresDialect:
    """Dialect hooks for Postgres through asyncpg."""

    name = "postgresql"
    # The wire protocol counts bind parameters in a 16-bit field.
    max_bind_parameters = 32_767

    def insert(self, table: Table) -> Insert:
        return insert(table)

    def epoch_seconds(self, column: ColumnElement[object]) -> ColumnElement[int]:
        # EXTRACT(EPOCH ...) of a timestamptz does not depend on the session's TimeZone.
        return cast(func.floor(extract("epoch", column)), BigInteger)
