"""Read-only units of work: every writing port method is rejected, and pooled connections recover.

The writing methods are found by the statements their valid call sends in a
normal unit of work, so a new write method is covered without editing a list.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import create_async_engine

from analytics.adapters.sqlite import configure_engine
from analytics.bootstrap import Store
from analytics.domain import NewCostRecord
from analytics.ports import AnalyticsError, ReadOnlyUnitOfWork, UnitOfWork
from tests.contract.example_data import load_cost_records, load_runs_and_traces, load_worker_runs
from tests.contract.harness import Harness
from tests.contract.method_calls import ALL_METHODS, VALID_CALLS

WRITE_VERBS = frozenset({"INSERT", "UPDATE", "DELETE", "SAVEPOINT"})


def _record(request_id: str) -> NewCostRecord:
    return NewCostRecord(
        occurred_at=datetime(2024, 3, 10, 6, 30, tzinfo=UTC),
        model="gpt-4o",
        input_tokens=1,
        output_tokens=1,
        cost_usd=Decimal("0.01"),
        request_id=request_id,
    )


def _bound_method(uow: UnitOfWork, name: str) -> Any:
    attribute, method = name.split(".")
    return getattr(getattr(uow, attribute), method)


async def _call(uow: UnitOfWork, name: str) -> BaseException | None:
    try:
        await _bound_method(uow, name)("t1", **VALID_CALLS[name]())
    except AnalyticsError as error:
        return error
    return None


def _is_write(sql: str) -> bool:
    words = sql.split(None, 1)
    verb = words[0].upper() if words else ""
    return verb in WRITE_VERBS or (verb == "WITH" and "INSERT INTO" in sql.upper())


async def _writing_methods(backend: Harness) -> set[str]:
    """Return the methods whose valid call sends a savepoint or a data change in a normal unit."""
    writers: set[str] = set()
    current: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_rest: Any) -> None:
        if _is_write(sql):
            writers.add(current[-1])

    sync_engine = backend.store.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        for name in ALL_METHODS:
            current.append(name)
            async with backend.uow() as uow:
                await _call(uow, name)
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)
    return writers


async def test_read_only_rejects_every_write(backend: Harness) -> None:
    await load_cost_records(backend.uow)
    await load_runs_and_traces(backend.uow)
    await load_worker_runs(backend.uow)
    before = await backend.row_counts()

    rejected: set[str] = set()
    for name in ALL_METHODS:
        async with backend.store.unit_of_work(read_only=True) as uow:
            if isinstance(await _call(uow, name), ReadOnlyUnitOfWork):
                rejected.add(name)

    assert await backend.row_counts() == before
    writers = await _writing_methods(backend)
    assert "cost_writes.create_cost_records" in writers
    assert "analytics_reads.fetch_cost_spend" not in writers
    assert rejected == writers


@pytest.fixture
async def single_connection_store(backend: Harness) -> AsyncIterator[Store]:
    """A store on the harness database whose pool has exactly one connection."""
    engine = create_async_engine(backend.url, pool_size=1, max_overflow=0)
    if backend.url.startswith("sqlite"):
        configure_engine(engine)
    store = Store.from_engine(engine, clock=backend.clock, id_factory=backend.ids)
    try:
        yield store
    finally:
        await store.close()


async def test_pooled_connection_writes_after_read_only(
    single_connection_store: Store, backend: Harness
) -> None:
    store = single_connection_store
    for number in range(3):
        async with store.unit_of_work(read_only=True) as uow:
            with pytest.raises(ReadOnlyUnitOfWork):
                await uow.cost_writes.create_cost_record("t1", record=_record(f"ro-{number}"))
        async with store.unit_of_work() as uow:
            result = await uow.cost_writes.create_cost_record("t1", record=_record(f"req-{number}"))
            assert result.record.request_id == f"req-{number}"

    assert (await backend.row_counts())["cost_records"] == 3
