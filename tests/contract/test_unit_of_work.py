"""Unit of work: the six ports, commit and rollback, one entry, conformance."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from analytics.domain import NewCostRecord
from analytics.ports import (
    PORT_METHODS,
    AnalyticsReadDriver,
    Conflict,
    CostAnomalyDriver,
    CostWriteDriver,
    PatternDetectionDriver,
    PredictionDriver,
    RunWriteDriver,
    UnitOfWork,
    UnitOfWorkFactory,
)
from tests.contract.harness import Harness

PORT_TYPES: dict[str, type[object]] = {
    "analytics_reads": AnalyticsReadDriver,
    "cost_anomalies": CostAnomalyDriver,
    "cost_writes": CostWriteDriver,
    "pattern_detection": PatternDetectionDriver,
    "predictions": PredictionDriver,
    "run_writes": RunWriteDriver,
}


class SomeError(Exception):
    """An application error raised inside a unit of work."""


async def test_entering_returns_the_unit_of_work(backend: Harness) -> None:
    factory: UnitOfWorkFactory = backend.uow
    unit = factory()

    async with unit as entered:
        assert entered is unit


async def test_every_port_attribute_has_every_method(backend: Harness) -> None:
    async with backend.uow() as uow:
        for attribute, methods in PORT_METHODS.items():
            port = getattr(uow, attribute)
            for method in methods:
                assert callable(getattr(port, method)), f"{attribute}.{method}"


async def test_exception_propagates_unchanged(backend: Harness) -> None:
    error = SomeError("boom")

    with pytest.raises(SomeError) as raised:
        async with backend.uow():
            raise error

    assert raised.value is error


async def test_unit_of_work_enters_once(backend: Harness) -> None:
    unit: UnitOfWork = backend.uow()
    async with unit:
        pass

    with pytest.raises(RuntimeError, match="entered only once"):
        async with unit:
            pass


async def test_each_factory_call_is_a_new_unit(backend: Harness) -> None:
    first = backend.uow()
    second = backend.uow()

    assert first is not second


def _record(request_id: str) -> NewCostRecord:
    return NewCostRecord(
        occurred_at=datetime(2024, 3, 10, 6, 30, tzinfo=UTC),
        model="gpt-4o",
        input_tokens=1,
        output_tokens=1,
        cost_usd=Decimal("0.01"),
        request_id=request_id,
    )


async def _spend(backend: Harness) -> Decimal:
    async with backend.uow() as uow:
        return await uow.cost_anomalies.fetch_tenant_today_spend("t1", day=date(2024, 3, 10))


async def test_leaving_the_block_commits(backend: Harness) -> None:
    async with backend.uow() as uow:
        await uow.cost_writes.create_cost_record("t1", record=_record("req-1"))

    assert await _spend(backend) == Decimal("0.010000000")


async def test_exception_rolls_back_writes(backend: Harness) -> None:
    with pytest.raises(SomeError):
        async with backend.uow() as uow:
            await uow.cost_writes.create_cost_record("t1", record=_record("req-1"))
            raise SomeError("abandon")

    assert await _spend(backend) == Decimal("0E-9")


async def test_uncommitted_writes_are_invisible(backend: Harness) -> None:
    async with backend.uow() as uow:
        await uow.cost_writes.create_cost_record("t1", record=_record("req-1"))
        reader = asyncio.create_task(_spend(backend))
        await asyncio.sleep(0.3)
        # A serializing backend makes the reader wait for the commit; the
        # others let it read the state before the write.
        assert reader.done() is not backend.serializes_units_of_work

    seen = await reader
    expected = Decimal("0.010000000") if backend.serializes_units_of_work else Decimal("0E-9")
    assert seen == expected


async def test_port_error_keeps_unit_of_work_usable(backend: Harness) -> None:
    async with backend.uow() as uow:
        await uow.cost_writes.create_cost_record("t1", record=_record("req-1"))
        changed = _record("req-1").model_copy(update={"output_tokens": 2})
        with pytest.raises(Conflict):
            await uow.cost_writes.create_cost_record("t1", record=changed)
        await uow.cost_writes.create_cost_record("t1", record=_record("req-2"))

    assert await _spend(backend) == Decimal("0.020000000")


async def test_audit_time_comes_from_store_clock(backend: Harness) -> None:
    backend.clock.now = datetime(2031, 1, 2, 3, 4, 5, 6, tzinfo=UTC)

    async with backend.uow() as uow:
        stored = await uow.cost_writes.create_cost_record("t1", record=_record("req-1"))

    assert stored.record.recorded_at == datetime(2031, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert stored.record.recorded_at.tzinfo is UTC
