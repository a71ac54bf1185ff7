"""The batch writes of breaches and anomalies send the same statements for 1 or 1,000 items.

Each call is counted with a SQLAlchemy ``before_cursor_execute`` listener,
transaction control included, once with every item new, once replayed
(every item unchanged) and once with changed values (every item updated).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event

from analytics.domain import (
    AnomalySeverity,
    AnomalyType,
    BreachType,
    EntityType,
    NewAnomaly,
    NewBreach,
    WriteOutcome,
)
from analytics.ports import UnitOfWork
from tests.contract.harness import Harness

DAY = date(2024, 3, 10)
SIZES = (1, 10, 1000)


def _breaches(size: int, current: str) -> list[NewBreach]:
    return [
        NewBreach(
            entity_type=EntityType.USER,
            entity_id=f"u{n:04d}",
            breach_type=BreachType.ABSOLUTE_SPIKE,
            breach_date=DAY,
            deviation_pct=Decimal(50),
            current_value_usd=Decimal(current),
            baseline_value_usd=Decimal("0.30"),
        )
        for n in range(size)
    ]


def _anomalies(size: int, current: str) -> list[NewAnomaly]:
    return [
        NewAnomaly(
            anomaly_type=AnomalyType.ABSOLUTE_SPIKE,
            severity=AnomalySeverity.HIGH,
            entity_type=EntityType.USER,
            entity_id=f"u{n:04d}",
            budget_period=None,
            period_start=DAY,
            detected_at=datetime(2024, 3, 10, 15, tzinfo=UTC),
            current_value_usd=Decimal(current),
            expected_value_usd=Decimal("0.30"),
            deviation_pct=Decimal(50),
            threshold_pct=Decimal(40),
            message="spend rose",
            metadata={"ratio": "1.5"},
        )
        for n in range(size)
    ]


async def _write_breaches(uow: UnitOfWork, tenant_id: str, items: list[Any]) -> list[Any]:
    return await uow.cost_anomalies.insert_breach_histories(tenant_id, breaches=items)


async def _write_anomalies(uow: UnitOfWork, tenant_id: str, items: list[Any]) -> list[Any]:
    return await uow.cost_anomalies.upsert_anomalies(tenant_id, anomalies=items)


Write = Callable[[UnitOfWork, str, list[Any]], Awaitable[list[Any]]]
KINDS = [
    pytest.param(_breaches, _write_breaches, id="insert_breach_histories"),
    pytest.param(_anomalies, _write_anomalies, id="upsert_anomalies"),
]


@contextmanager
def _counted(backend: Harness) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]).split(None, 1)[0].upper())

    engine = backend.store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def _statements_of(
    backend: Harness, write: Write, tenant_id: str, items: list[Any], expected: WriteOutcome
) -> list[str]:
    with _counted(backend) as statements:
        async with backend.uow() as uow:
            results = await write(uow, tenant_id, items)
    assert {result.outcome for result in results} == {expected}
    return statements


def _data_statements(verbs: list[str]) -> list[str]:
    return [verb for verb in verbs if verb in ("INSERT", "UPDATE", "DELETE", "SELECT", "WITH")]


@pytest.mark.parametrize(("build", "write"), KINDS)
async def test_batch_statements_fixed(
    backend: Harness, build: Callable[[int, str], list[Any]], write: Write
) -> None:
    by_size: dict[int, list[list[str]]] = {}
    for size in SIZES:
        tenant_id = f"size-{size}"
        by_size[size] = [
            await _statements_of(backend, write, tenant_id, build(size, "0.45"), expected)
            for expected in (WriteOutcome.CREATED, WriteOutcome.UNCHANGED)
        ]
        by_size[size].append(
            await _statements_of(
                backend, write, tenant_id, build(size, "0.60"), WriteOutcome.UPDATED
            )
        )

    assert by_size[10] == by_size[1]
    assert by_size[1000] == by_size[1]
    created, unchanged, updated = by_size[1]
    # One upsert for the whole batch, and one read (a WITH query) of the rows it left unchanged.
    assert _data_statements(created) == ["INSERT"]
    assert _data_statements(unchanged) == ["INSERT", "WITH"]
    assert _data_statements(updated) == ["INSERT"]
    assert created.count("SAVEPOINT") == 1


@pytest.mark.parametrize(("build", "write"), KINDS)
async def test_empty_batch_sends_nothing(
    backend: Harness, build: Callable[[int, str], list[Any]], write: Write
) -> None:
    async with backend.uow() as uow:
        with _counted(backend) as statements:
            results = await write(uow, "t1", build(0, "0.45"))

    assert results == []
    assert statements == []
