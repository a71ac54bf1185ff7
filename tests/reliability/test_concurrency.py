"""Concurrent writers: one row per key on Postgres, waiting instead of failing on SQLite."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from analytics.adapters.sql.cost_rollups import ROLLUPS, rebuild_cost_rollups
from analytics.adapters.sql.schema import cost_anomalies, cost_budgets, cost_records
from analytics.bootstrap import Store
from analytics.domain import EntityType, NewCostRecord, WriteOutcome
from analytics.ports import BackendUnavailable
from tests.contract.harness import Harness, truncate_all
from tests.engines.anomaly_data import add_spike_breach, detect_on, seed, spike_example_records
from tests.reliability import figures
from tests.reliability.tenant_data import at
from tests.support import FixedClock, PostgresDatabase, SequentialIds, copy_sqlite_template

T = TypeVar("T")
TENANT = "acme"
DETECTED_DAY = date(2024, 3, 15)


@pytest.fixture
async def postgres(postgres_database: PostgresDatabase) -> AsyncIterator[Harness]:
    """A Postgres harness whose pool has room for 50 concurrent units of work."""
    engine = create_async_engine(postgres_database.url, pool_size=20, max_overflow=40)
    clock, ids = FixedClock(), SequentialIds()
    store = Store.from_engine(engine, clock=clock, id_factory=ids)
    await truncate_all(engine)
    harness = Harness(
        name="postgres",
        store=store,
        clock=clock,
        ids=ids,
        url=postgres_database.url,
        has_session_time_zone=True,
        serializes_units_of_work=False,
    )
    try:
        yield harness
    finally:
        await engine.dispose()


async def retrying(call: Callable[[], Awaitable[T]]) -> T:
    """Run a unit of work again after a retryable BackendUnavailable, as callers should."""
    for _ in range(5):
        try:
            return await call()
        except BackendUnavailable as error:
            if not error.retryable:
                raise
    return await call()


async def count(harness: Harness, statement: object) -> int:
    async with harness.store.engine.connect() as connection:
        result = await connection.execute(statement)  # type: ignore[call-overload]
        return int(result.scalar_one())


@pytest.mark.postgres
async def test_budget_upserts_one_row(postgres: Harness) -> None:
    async def upsert() -> WriteOutcome:
        async with postgres.uow() as uow:
            result = await uow.cost_writes.create_or_update_budget(
                TENANT, budget_type=EntityType.USER, entity_id="u1", daily_limit_usd=Decimal(5)
            )
        return result.outcome

    outcomes = await asyncio.gather(*(retrying(upsert) for _ in range(50)))

    assert sorted(outcomes) == sorted([WriteOutcome.CREATED] + [WriteOutcome.UNCHANGED] * 49)
    assert await count(postgres, select(func.count()).select_from(cost_budgets)) == 1
    figures.add("concurrency.writers", "postgres", 50)


def _record(request_id: str) -> NewCostRecord:
    return NewCostRecord(
        occurred_at=at(10, 12),
        model="m1",
        input_tokens=1,
        output_tokens=1,
        cost_usd=Decimal("0.001"),
        request_id=request_id,
    )


@pytest.mark.postgres
async def test_overlapping_batches_store_once(postgres: Harness) -> None:
    # Batch i contains request ids 10*i .. 10*i + 19, so neighbouring batches share ten ids.
    # Odd batches write them in reverse order to provoke lock waits.
    batches = []
    for index in range(8):
        ids = [f"req-{n:03d}" for n in range(10 * index, 10 * index + 20)]
        batches.append(ids[::-1] if index % 2 else ids)

    async def ingest(request_ids: list[str]) -> list[WriteOutcome]:
        async with postgres.uow() as uow:
            results = await uow.cost_writes.create_cost_records(
                TENANT, records=[_record(request_id) for request_id in request_ids]
            )
        return [result.outcome for result in results]

    outcomes = await asyncio.gather(
        *(retrying(lambda ids=ids: ingest(ids)) for ids in batches)  # type: ignore[misc]
    )

    created = sum(outcome is WriteOutcome.CREATED for batch in outcomes for outcome in batch)
    assert created == 90
    assert await count(postgres, select(func.count()).select_from(cost_records)) == 90
    distinct = select(func.count(func.distinct(cost_records.c.request_id)))
    assert await count(postgres, distinct) == 90
    figures.add("concurrency.writers", "postgres", len(batches))


async def _rollup_rows(harness: Harness) -> dict[str, list[tuple[object, ...]]]:
    rows: dict[str, list[tuple[object, ...]]] = {}
    async with harness.store.engine.connect() as connection:
        for rollup in ROLLUPS:
            statement = select(rollup.table).order_by(*rollup.table.primary_key.columns)
            rows[rollup.table.name] = [tuple(row) for row in await connection.execute(statement)]
    return rows


@pytest.mark.postgres
async def test_rebuild_during_writes_keeps_rollups_exact(postgres: Harness) -> None:
    engine, dialect = postgres.store.engine, postgres.store.backend.dialect

    async def write(batch: int) -> None:
        # Each batch spreads its records over two days, so batches share rollup rows.
        records = [
            _record(f"req-{batch:02d}-{n:02d}").model_copy(
                update={"occurred_at": at(10 + n % 2, n % 24), "model": f"m{n % 3}"}
            )
            for n in range(40)
        ]
        async with postgres.uow() as uow:
            await uow.cost_writes.create_cost_records(TENANT, records=records)

    await asyncio.gather(
        *(retrying(lambda batch=batch: write(batch)) for batch in range(16)),  # type: ignore[misc]
        *(rebuild_cost_rollups(engine, dialect, TENANT) for _ in range(4)),
    )

    raced = await _rollup_rows(postgres)
    await rebuild_cost_rollups(engine, dialect, TENANT)
    assert await count(postgres, select(func.count()).select_from(cost_records)) == 640
    assert all(raced.values())
    assert raced == await _rollup_rows(postgres)
    figures.add("concurrency.writers", "postgres", 20)


async def _seed_detection(harness: Harness) -> None:
    await seed(harness, TENANT, spike_example_records())
    await add_spike_breach(harness, TENANT, date(2024, 3, 14))
    async with harness.uow() as uow:
        await uow.cost_writes.create_or_update_budget(
            TENANT, budget_type=EntityType.TENANT, daily_limit_usd=Decimal("30")
        )


@pytest.mark.postgres
async def test_concurrent_detections_one_row_per_key(postgres: Harness) -> None:
    await _seed_detection(postgres)
    await detect_on(postgres, TENANT, DETECTED_DAY)
    expected = await postgres.row_counts()
    await truncate_all(postgres.store.engine)
    await _seed_detection(postgres)

    await asyncio.gather(
        *(retrying(lambda: detect_on(postgres, TENANT, DETECTED_DAY)) for _ in range(6))
    )

    assert await postgres.row_counts() == expected
    keys = select(
        func.count(),
        func.count(
            func.distinct(
                cost_anomalies.c.anomaly_type
                + cost_anomalies.c.entity_type
                + cost_anomalies.c.entity_key
                + cost_anomalies.c.budget_period
            )
        ),
    ).select_from(cost_anomalies)
    async with postgres.store.engine.connect() as connection:
        rows, distinct_keys = (await connection.execute(keys)).one()
    assert rows == distinct_keys
    assert expected["cost_anomalies"] > 0
    assert expected["cost_breach_history"] > 0
    figures.add("concurrency.writers", "postgres", 6)


WRITER = textwrap.dedent(
    """
    import asyncio, sys, time
    from datetime import datetime, timezone
    from decimal import Decimal
    from pathlib import Path
    from analytics.bootstrap import open_store
    from analytics.domain import NewCostRecord

    async def main(url, name, count, hold, start_file):
        store = await open_store(url)
        while not Path(start_file).exists():
            time.sleep(0.01)
        try:
            for n in range(count):
                async with store.unit_of_work() as uow:
                    record = NewCostRecord(
                        occurred_at=datetime(2024, 3, 10, 12, tzinfo=timezone.utc),
                        model="m1", input_tokens=1, output_tokens=1,
                        cost_usd=Decimal("0.001"), request_id=f"{name}-{n}",
                    )
                    await uow.cost_writes.create_cost_record("acme", record=record)
                    shared = record.model_copy(update={"request_id": f"shared-{n}"})
                    await uow.cost_writes.create_cost_record("acme", record=shared)
                    if n == 0:
                        # Hold the write lock so the other process has to wait for it.
                        await asyncio.sleep(hold)
        finally:
            await store.close()

    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]))
    """
)


@pytest.mark.sqlite
async def test_sqlite_processes_wait(sqlite_template: Path, tmp_path: Path) -> None:
    path = copy_sqlite_template(sqlite_template, tmp_path)
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    start_file = tmp_path / "start"
    url = f"sqlite+aiosqlite:///{path}"
    writers = [
        subprocess.Popen(
            [sys.executable, str(script), url, name, "100", hold, str(start_file)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for name, hold in (("first", "1.5"), ("second", "0"))
    ]
    start_file.touch()
    results = [writer.communicate(timeout=120) for writer in writers]

    for writer, (_, stderr) in zip(writers, results, strict=True):
        assert writer.returncode == 0, stderr.decode()
    harness_engine = create_async_engine(url)
    try:
        async with harness_engine.connect() as connection:
            total = await connection.execute(select(func.count()).select_from(cost_records))
            stored = int(total.scalar_one())
    finally:
        await harness_engine.dispose()
    assert stored == 300
    figures.add("concurrency.writers", "sqlite", 2)
