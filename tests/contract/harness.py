"""The backend harness: the one place where contract tests meet a concrete store.

Scenarios receive a ``Harness`` and use only ports and domain objects through
it. What differs between backends is stated here as flags, never as
``if backend == ...`` inside a test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from analytics.adapters.sql.schema import TENANT_TABLES
from analytics.bootstrap import Store
from analytics.ports import UnitOfWork
from tests.support import FixedClock, SequentialIds


@dataclass
class Harness:
    """A fresh, migrated database of one backend, with a fixed clock and sequential ids."""

    name: str
    store: Store
    clock: FixedClock
    ids: SequentialIds
    url: str
    # Postgres has a per-connection TimeZone setting that must never change a result.
    has_session_time_zone: bool
    # SQLite takes the write lock when a unit of work begins, so a second unit of
    # work waits until the first one ends instead of running beside it.
    serializes_units_of_work: bool

    def uow(self) -> UnitOfWork:
        """Return a new unit of work of this backend's store."""
        return self.store.unit_of_work()

    @asynccontextmanager
    async def store_in_session_time_zone(self, tz: str) -> AsyncIterator[Store]:
        """Yield a store on the same database whose connections use another TimeZone.

        A backend without such a setting yields its own store, so a scenario
        that checks the setting still runs there against the same data.
        """
        if not self.has_session_time_zone:
            yield self.store
            return
        engine = create_async_engine(self.url, connect_args={"server_settings": {"TimeZone": tz}})
        store = Store.from_engine(engine, clock=self.clock, id_factory=self.ids)
        try:
            yield store
        finally:
            await store.close()

    def raw_reference_uow(self) -> UnitOfWork:
        """Return a unit of work whose cost series and breakdowns read cost records only.

        The store normally reads whole periods from the cost rollups; this one
        computes every result from the raw rows, as the reference to compare with.
        """
        store = Store.from_engine(self.store.engine, clock=self.clock, id_factory=self.ids)
        # Each backend's read driver class takes the use_rollups option.
        read_driver: Any = self.store.backend.analytics_reads
        raw_reads = partial(read_driver, use_rollups=False)
        store.backend = replace(self.store.backend, analytics_reads=raw_reads)
        return store.unit_of_work()

    async def row_counts(self) -> dict[str, int]:
        """Return the number of rows of every table, to prove a call wrote nothing."""
        counts: dict[str, int] = {}
        async with self.store.engine.connect() as connection:
            for table in TENANT_TABLES:
                result = await connection.execute(select(func.count()).select_from(table))
                counts[table.name] = int(result.scalar_one())
        return counts

    async def execute_sql(self, statement: str) -> None:
        """Run a raw statement outside the ports, for constraint and plan checks."""
        async with self.store.engine.begin() as connection:
            await connection.execute(text(statement))


async def truncate_all(engine: AsyncEngine) -> None:
    """Empty every table of a Postgres database shared by the session's tests."""
    names = ", ".join(table.name for table in TENANT_TABLES)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {names}"))
