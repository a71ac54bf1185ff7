"""Helpers of the dashboard read scenarios: extra rows, compact points, session time zones.

Series points are compared as plain tuples so a failing test prints the whole
series side by side with the expected one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from analytics.domain import (
    CostSource,
    CostTotals,
    ExecutionPoint,
    NewCostRecord,
    NewRun,
    NewTrace,
    SpendPoint,
    UsagePoint,
)
from analytics.ports import UnitOfWork, UnitOfWorkFactory
from tests.contract.harness import Harness

ResultT = TypeVar("ResultT")

SpendRow = tuple[datetime, datetime, int, Decimal, int, int]
UsageRow = tuple[datetime, datetime, int, int, int, int]
ExecutionRow = tuple[datetime, datetime, int]
TotalsRow = tuple[int, int, Decimal, int, int, int]

# Connection time zones that must not change any result on a backend that has them.
SESSION_ZONES = ("Asia/Kolkata", "America/New_York")

ZERO_USD = Decimal("0E-9")


def usd(text: str) -> Decimal:
    """Return a money value as written in an expected table, such as ``"0.100000000"``."""
    return Decimal(text)


def spend_rows(points: Sequence[SpendPoint]) -> list[SpendRow]:
    """Return each spend point as (start, end, requests, spend, input, output)."""
    return [
        (
            point.bucket_start,
            point.bucket_end,
            point.requests,
            point.spend_usd,
            point.input_tokens,
            point.output_tokens,
        )
        for point in points
    ]


def usage_rows(points: Sequence[UsagePoint]) -> list[UsageRow]:
    """Return each usage point as (start, end, requests, input, output, total)."""
    return [
        (
            point.bucket_start,
            point.bucket_end,
            point.requests,
            point.input_tokens,
            point.output_tokens,
            point.total_tokens,
        )
        for point in points
    ]


def execution_rows(points: Sequence[ExecutionPoint]) -> list[ExecutionRow]:
    """Return each execution point as (start, end, traces)."""
    return [(point.bucket_start, point.bucket_end, point.traces) for point in points]


def totals_row(totals: CostTotals) -> TotalsRow:
    """Return totals as (groups, requests, spend, input, output, unpriced)."""
    return (
        totals.groups,
        totals.requests,
        totals.spend_usd,
        totals.input_tokens,
        totals.output_tokens,
        totals.unpriced_requests,
    )


def nonzero(rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Return the series rows whose first count (after the bounds) is not zero."""
    return [row for row in rows if row[2] != 0]


def hourly(first: datetime, count: int) -> list[tuple[datetime, datetime]]:
    """Return ``count`` consecutive one-hour buckets starting at ``first``."""
    hour = timedelta(hours=1)
    return [(first + hour * index, first + hour * (index + 1)) for index in range(count)]


def record(
    occurred_at: datetime,
    cost_usd: str = "0.10",
    *,
    model: str = "m1",
    input_tokens: int = 100,
    output_tokens: int = 10,
    feature_tag: str | None = None,
    request_id: str | None = None,
    cost_source: CostSource = CostSource.REPORTED,
    price_ref: str | None = None,
    is_synthetic: bool = False,
) -> NewCostRecord:
    """Build a cost record with the defaults of the regression cases (model m1, 100/10 tokens)."""
    return NewCostRecord(
        occurred_at=occurred_at,
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=Decimal(cost_usd),
        feature_tag=feature_tag,
        request_id=request_id,
        cost_source=cost_source,
        price_ref=price_ref,
        is_synthetic=is_synthetic,
    )


def times_ten(records: Iterable[NewCostRecord]) -> list[NewCostRecord]:
    """Return copies of records with every cost multiplied by ten, for the second tenant."""
    return [item.model_copy(update={"cost_usd": item.cost_usd * 10}) for item in records]


async def store_records(
    uow_factory: UnitOfWorkFactory, tenant_id: str, records: Iterable[NewCostRecord]
) -> None:
    """Store cost records of one tenant in one committed unit of work."""
    async with uow_factory() as uow:
        for item in records:
            await uow.cost_writes.create_cost_record(tenant_id, record=item)


async def store_runs(
    uow_factory: UnitOfWorkFactory, tenant_id: str, runs: Iterable[NewRun]
) -> None:
    """Store runs of one tenant in one committed unit of work."""
    async with uow_factory() as uow:
        for run in runs:
            await uow.run_writes.record_run(tenant_id, run=run)


async def store_traces(
    uow_factory: UnitOfWorkFactory, tenant_id: str, traces: Iterable[NewTrace]
) -> None:
    """Store traces of one tenant in one committed unit of work."""
    async with uow_factory() as uow:
        for trace in traces:
            await uow.run_writes.record_trace(tenant_id, trace=trace)


async def read(
    uow_factory: UnitOfWorkFactory, call: Callable[[UnitOfWork], Awaitable[ResultT]]
) -> ResultT:
    """Run one read in its own unit of work and return its result."""
    async with uow_factory() as uow:
        return await call(uow)


async def read_in_every_session_zone(
    backend: Harness,
    call: Callable[[UnitOfWork], Awaitable[ResultT]],
    zones: Sequence[str] = SESSION_ZONES,
) -> list[ResultT]:
    """Run a read with the default connection, then with each connection time zone.

    Backends without a connection time zone run it once. Callers assert that
    every result equals the expected one.
    """
    results = [await read(backend.uow, call)]
    if not backend.has_session_time_zone:
        return results

    for zone in zones:
        async with backend.store_in_session_time_zone(zone) as store:
            results.append(await read(store.unit_of_work, call))
    return results
