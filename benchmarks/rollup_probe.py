"""Time 30-day cost series and breakdowns read from the rollups and from raw rows.

Usage::

    .venv/bin/python -m benchmarks.rollup_probe --backend sqlite --rows 1000000
    .venv/bin/python -m benchmarks.rollup_probe --backend postgres --rows 1000000 \\
        --postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

The probe creates a throw-away database: a temporary SQLite file, or a new
Postgres database that it drops at the end. It bulk-inserts ``--rows`` cost
records of one tenant spread over 60 days, plus 10 % for a second tenant,
builds the rollups with the rebuild statements, and runs ANALYZE. Each read
runs several times through a normal store and through a store whose reads use
raw rows only; the probe checks that both return the same result and prints
the median times. It also times the write of ``--write-rows`` records through
``create_cost_records`` with and without the rollup upserts, and a plain
executemany INSERT of the same number of rows.
Timings depend on the machine; they are not part of any test.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from analytics import migrations
from analytics.adapters.sql import cost_rollups
from analytics.adapters.sql.cost_rollups import rebuild_cost_rollups
from analytics.adapters.sql.schema import cost_records
from analytics.adapters.sqlite import configure_engine
from analytics.bootstrap import Store
from analytics.domain import BucketUnit, NewCostRecord
from analytics.domain.time import range_bounds

FIRST = datetime(2024, 3, 1, tzinfo=UTC)
DAYS = 60
MODELS = [f"model-{index}" for index in range(8)]
FEATURES = [None, *(f"feature-{index}" for index in range(11))]
CHUNK = 5_000


def _row(generator: random.Random, tenant_id: str, index: int) -> dict[str, Any]:
    occurred_at = FIRST + timedelta(microseconds=generator.randrange(DAYS * 86_400 * 10**6))
    unpriced = generator.random() < 0.05
    return {
        "tenant_id": tenant_id,
        "id": f"cr_{tenant_id}_{index:028x}",
        "request_id": f"req-{index}",
        "occurred_at": occurred_at,
        "recorded_at": occurred_at,
        "model": generator.choice(MODELS),
        "feature_tag": generator.choice(FEATURES),
        "input_tokens": generator.randrange(5_000),
        "output_tokens": generator.randrange(2_000),
        "cost_nanos": 0 if unpriced else generator.randrange(10**7),
        "cost_source": "unpriced" if unpriced else "reported",
        "is_synthetic": generator.random() < 0.1,
    }


async def _fill(engine: AsyncEngine, rows: int) -> None:
    generator = random.Random(7)
    for tenant_id, count in (("t1", rows), ("t2", rows // 10)):
        for offset in range(0, count, CHUNK):
            chunk = [
                _row(generator, tenant_id, index)
                for index in range(offset, min(count, offset + CHUNK))
            ]
            async with engine.begin() as connection:
                await connection.execute(insert(cost_records), chunk)


def _new_records(count: int) -> list[NewCostRecord]:
    generator = random.Random(11)
    return [
        NewCostRecord(
            occurred_at=FIRST + timedelta(seconds=generator.randrange(DAYS * 86_400)),
            model=generator.choice(MODELS),
            input_tokens=100,
            output_tokens=10,
            cost_usd=Decimal(generator.randrange(10**7)).scaleb(-9),
            feature_tag=generator.choice(FEATURES),
            request_id=f"probe-{index}",
        )
        for index in range(count)
    ]


def _raw_store(store: Store) -> Store:
    raw = Store.from_engine(store.engine)
    read_driver: Any = store.backend.analytics_reads
    raw.backend = replace(store.backend, analytics_reads=partial(read_driver, use_rollups=False))
    return raw


async def _median_ms(
    store: Store, read: Callable[[Any], Awaitable[Any]], runs: int
) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(runs):
        async with store.unit_of_work() as uow:
            started = time.perf_counter()
            result = await read(uow.analytics_reads)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def _reads() -> dict[str, Callable[[Any], Awaitable[Any]]]:
    ny_start, ny_end = range_bounds(date(2024, 3, 5), date(2024, 4, 4), "America/New_York")
    start = datetime(2024, 3, 5, 7, 13, 11, 500_000, tzinfo=UTC)
    end = start + timedelta(days=30)
    return {
        "fetch_cost_metrics day New_York 30 local days": lambda reads: reads.fetch_cost_metrics(
            "t1", start=ny_start, end=ny_end, unit=BucketUnit.DAY, tz="America/New_York"
        ),
        "fetch_cost_spend hour Kolkata 30 days unaligned": lambda reads: reads.fetch_cost_spend(
            "t1", start=start, end=end, unit=BucketUnit.HOUR, tz="Asia/Kolkata"
        ),
        "fetch_cost_by_model 30 days unaligned": lambda reads: reads.fetch_cost_by_model(
            "t1", start=start, end=end
        ),
        "fetch_cost_by_feature 30 days unaligned, synthetic": lambda reads: (
            reads.fetch_cost_by_feature("t1", start=start, end=end, include_synthetic=True)
        ),
    }


async def _write_seconds(store: Store, tenant_id: str, records: list[NewCostRecord]) -> float:
    started = time.perf_counter()
    for offset in range(0, len(records), 1_000):
        async with store.unit_of_work() as uow:
            batch = records[offset : offset + 1_000]
            await uow.cost_writes.create_cost_records(tenant_id, records=batch)
    return time.perf_counter() - started


async def _time_writes(store: Store, count: int) -> None:
    records = _new_records(count)
    with_rollups = await _write_seconds(store, "t3", records)
    # The same writes with the rollup upserts switched off, to isolate their cost.
    original = cost_rollups.additions
    cost_rollups.additions = lambda *_arguments: []
    try:
        without_rollups = await _write_seconds(store, "t4", records)
    finally:
        cost_rollups.additions = original

    generator = random.Random(13)
    rows = [_row(generator, "t5", index) for index in range(count)]
    started = time.perf_counter()
    for offset in range(0, count, 1_000):
        async with store.engine.begin() as connection:
            await connection.execute(insert(cost_records), rows[offset : offset + 1_000])
    raw_only = time.perf_counter() - started
    print(
        f"write {count} records in batches of 1,000: create_cost_records {with_rollups:.2f} s, "
        f"the same without the rollup upserts {without_rollups:.2f} s, "
        f"a plain executemany INSERT {raw_only:.2f} s"
    )


async def _probe(engine: AsyncEngine, rows: int, write_rows: int, runs: int) -> None:
    await migrations.upgrade(engine)
    started = time.perf_counter()
    await _fill(engine, rows)
    store = Store.from_engine(engine)
    filled = time.perf_counter()
    await rebuild_cost_rollups(engine, store.backend.dialect)
    rebuilt = time.perf_counter()
    async with engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    print(
        f"filled {rows + rows // 10} rows in {filled - started:.1f} s; "
        f"rebuild-rollups took {rebuilt - filled:.2f} s"
    )

    raw = _raw_store(store)
    for name, read in _reads().items():
        raw_ms, expected = await _median_ms(raw, read, runs)
        rollup_ms, got = await _median_ms(store, read, runs)
        same = "equal" if got == expected else "DIFFERENT"
        print(
            f"{name}: raw {raw_ms:.1f} ms, rollups {rollup_ms:.1f} ms, "
            f"{raw_ms / rollup_ms:.0f}x faster, results {same}"
        )
    await _time_writes(store, write_rows)


async def _on_sqlite(arguments: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        engine = create_async_engine(f"sqlite+aiosqlite:///{Path(directory) / 'probe.db'}")
        configure_engine(engine)
        try:
            await _probe(engine, arguments.rows, arguments.write_rows, arguments.runs)
        finally:
            await engine.dispose()


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _on_postgres(arguments: argparse.Namespace) -> None:
    name = f"rollup_probe_{uuid.uuid4().hex[:12]}"
    await _admin(arguments.postgres_url, f'CREATE DATABASE "{name}"')
    url = make_url(arguments.postgres_url).set(database=name)
    engine = create_async_engine(url)
    try:
        await _probe(engine, arguments.rows, arguments.write_rows, arguments.runs)
    finally:
        await engine.dispose()
        await _admin(arguments.postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    """Parse the options and run the probe on one backend."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--rows", type=int, default=1_000_000, help="cost records of tenant t1")
    parser.add_argument(
        "--write-rows", type=int, default=20_000, help="records of the write timing"
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per read; the median is printed")
    parser.add_argument(
        "--postgres-url",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
        help="URL of a Postgres database used to create and drop the probe's database",
    )
    arguments = parser.parse_args()
    runner = _on_sqlite if arguments.backend == "sqlite" else _on_postgres
    asyncio.run(runner(arguments))


if __name__ == "__main__":
    main()
