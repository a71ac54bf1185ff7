"""Databases for the reliability checks: stores with a chosen id generator, raw row snapshots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from analytics.adapters.sql.schema import TENANT_TABLES
from analytics.bootstrap import Store
from tests.support import FixedClock, sqlite_engine

Rows = dict[str, list[tuple[Any, ...]]]


@dataclass
class NamespacedIds:
    """An id generator with one counter per namespace, so ids do not depend on other tenants.

    A scenario switches ``namespace`` before it writes a tenant's rows. The ids
    of tenant A are then the same whether or not tenant B was loaded first.
    """

    namespace: int = 0
    issued: dict[int, int] = field(default_factory=dict)

    def __call__(self) -> str:
        count = self.issued.get(self.namespace, 0) + 1
        self.issued[self.namespace] = count
        return f"{self.namespace:08x}{count:024x}"


@dataclass
class Database:
    """A migrated database of one backend that tests open stores on."""

    name: str
    url: str
    make_engine: Callable[[], AsyncEngine]

    def open_store(self, clock: FixedClock, ids: Callable[[], str]) -> Store:
        """Return a store on this database with the given clock and id generator."""
        return Store.from_engine(self.make_engine(), clock=clock, id_factory=ids)

    async def wipe(self) -> None:
        """Delete every row of every table."""
        engine = self.make_engine()
        try:
            async with engine.begin() as connection:
                for table in TENANT_TABLES:
                    await connection.execute(delete(table))
        finally:
            await engine.dispose()

    async def tenant_rows(self, tenant_id: str) -> Rows:
        """Return every row of one tenant, per table, in primary-key order."""
        return await self._rows(lambda table: table.c.tenant_id == tenant_id)

    async def all_rows(self) -> Rows:
        """Return every row of every table, in primary-key order."""
        return await self._rows(None)

    async def row_counts(self) -> dict[str, int]:
        """Return the number of rows of every table."""
        engine = self.make_engine()
        counts: dict[str, int] = {}
        try:
            async with engine.connect() as connection:
                for table in TENANT_TABLES:
                    result = await connection.execute(select(func.count()).select_from(table))
                    counts[table.name] = int(result.scalar_one())
        finally:
            await engine.dispose()
        return counts

    async def _rows(self, condition: Callable[[Table], Any] | None) -> Rows:
        engine = self.make_engine()
        rows: Rows = {}
        try:
            async with engine.connect() as connection:
                for table in TENANT_TABLES:
                    statement = select(table).order_by(*table.primary_key.columns)
                    if condition is not None:
                        statement = statement.where(condition(table))
                    result = await connection.execute(statement)
                    rows[table.name] = [tuple(row) for row in result]
        finally:
            await engine.dispose()
        return rows


def sqlite_database(path: Any) -> Database:
    """Return a ``Database`` on a migrated SQLite file."""
    return Database("sqlite", f"sqlite+aiosqlite:///{path}", lambda: sqlite_engine(path))


def postgres_store_database(url: str) -> Database:
    """Return a ``Database`` on a migrated Postgres database."""
    return Database("postgres", url, lambda: create_async_engine(url))
