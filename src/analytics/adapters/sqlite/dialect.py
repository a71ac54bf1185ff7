"""SQLite spellings of the dialect-specific SQL."""

from __future__ import annotations

from sqlalchemy import BigInteger, ColumnElement, Table, cast, func
from sqlalchemy.dialects.sqlite import Insert, insert


class SqliteDialect:
    """Dialect hooks for SQLite through aiosqlite."""

    name = "sqlite"
    # SQLITE_MAX_VARIABLE_NUMBER defaults to 32,766 since SQLite 3.32.
    max_bind_parameters = 32_766

    def insert(self, table: Table) -> Insert:
        return insert(table)

    def epoch_seconds(self, column: ColumnElement[object]) -> ColumnElement[int]:
        # Instants are stored as UTC text, so '%s' reads them as UTC: no zone is applied.
        # SQLite's date functions keep whole milliseconds (checked on 3.40.1), so
        # strftime turns 12:59:59.9995 into 13:00:00. Only the text up to the whole
        # second, its first 19 characters, is parsed.
        return cast(func.strftime("%s", func.substr(column, 1, 19)), BigInteger)
