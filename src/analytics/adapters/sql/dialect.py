"""The SQL that differs between the backends, as one small object per dialect.

Port implementations in this package are written once. Each backend package
supplies a ``DialectHooks`` with the few expressions that its database spells
differently.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import ColumnElement, Table
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

UpsertInsert = PostgresInsert | SqliteInsert


class DialectHooks(Protocol):
    """Dialect-specific SQL used by the shared port implementations."""

    @property
    def name(self) -> str:
        """The SQLAlchemy dialect name, ``postgresql`` or ``sqlite``."""
        ...

    @property
    def max_bind_parameters(self) -> int:
        """Maximum number of bound parameters in one statement on this database."""
        ...

    def insert(self, table: Table) -> UpsertInsert:
        """Return an INSERT that supports ``ON CONFLICT`` clauses."""
        ...

    def epoch_seconds(self, column: ColumnElement[object]) -> ColumnElement[int]:
        """Return whole seconds since 1970-01-01T00:00Z of a stored UTC instant, floored."""
        ...
