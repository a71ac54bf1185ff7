"""Read-only units of work: they read what a writer reads, reject writes and never wait."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from analytics.domain import NewCostRecord
from analytics.ports import ReadOnlyUnitOfWork, UnitOfWork
from tests.contract.example_data import load_cost_records, load_runs_and_traces, load_worker_runs
from tests.contract.harness import Harness

DAY = date(2024, 3, 10)


def _record(request_id: str) -> NewCostRecord:
    return NewCostRecord(
        occurred_at=datetime(2024, 3, 10, 6, 30, tzinfo=UTC),
        model="gpt-4o",
        input_tokens=1,
        output_tokens=1,
        cost_usd=Decimal("0.01"),
        request_id=request_id,
    )


async def _spend(uow: UnitOfWork, tenant_id: str) -> Decimal:
    return await uow.cost_anomalies.fetch_tenant_today_spend(tenant_id, day=DAY)


async def _seed(backend: Harness) -> None:
    await load_cost_records(backend.uow)
    await load_runs_and_traces(backend.uow)
    await load_worker_runs(backend.uow)


async def test_read_only_reads_what_a_writer_reads(backend: Harness) -> None:
    await _seed(backend)

    async with backend.uow() as uow:
        expected = await _spend(uow, "t1")
        expected_models = await uow.analytics_reads.fetch_cost_by_model(
            "t1", start=datetime(2024, 3, 1, tzinfo=UTC), end=datetime(2024, 4, 1, tzinfo=UTC)
        )
    async with backend.store.unit_of_work(read_only=True) as uow:
        seen = await _spend(uow, "t1")
        seen_models = await uow.analytics_reads.fetch_cost_by_model(
            "t1", start=datetime(2024, 3, 1, tzinfo=UTC), end=datetime(2024, 4, 1, tzinfo=UTC)
        )

    assert seen == expected
    assert seen > 0
    assert seen_models == expected_models


async def test_rejected_write_keeps_reading(backend: Harness) -> None:
    async with backend.store.unit_of_work(read_only=True) as uow:
        with pytest.raises(ReadOnlyUnitOfWork, match="read-only"):
            await uow.cost_writes.create_cost_record("t1", record=_record("req-1"))
        assert await _spend(uow, "t1") == Decimal("0E-9")

    assert (await backend.row_counts())["cost_records"] == 0


async def test_read_only_does_not_wait_for_a_writer(backend: Harness) -> None:
    async with backend.uow() as uow:
        await uow.cost_writes.create_cost_record("t1", record=_record("req-1"))

    async def read() -> Decimal:
        async with backend.store.unit_of_work(read_only=True) as reader:
            return await _spend(reader, "t1")

    async with backend.uow() as writer:
        await writer.cost_writes.create_cost_record("t1", record=_record("req-2"))
        # The writer keeps its transaction open, so the reader must finish
        # anyway and see only what was committed before it began.
        seen = await asyncio.wait_for(read(), timeout=10)
        assert seen == Decimal("0.010000000")

    async with backend.store.unit_of_work(read_only=True) as uow:
        assert await _spend(uow, "t1") == Decimal("0.020000000")
