"""Time 30-day cost series and breakdowns read from the rollups, from raw rows and in DuckDB.

Usage::

    .venv/bin/python -m benchmarks.rollup_probe --backend sqlite --rows 1000000
    .venv/bin/python -m benchmarks.rollup_probe --backend postgres --rows 1000000 \\
        --postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

The probe creates a throw-away database: a temporary SQLite file, or a new
Postgres database that it drops at the end. It bulk-inserts ``--rows`` cost
records of one tenant spread over 90 days with 20 models and 50 feature tags
(the shape of ``benchmarks.workload``), plus 10 % for a second tenant, builds
the rollups with the rebuild statements, and runs ANALYZE. Each read runs
several times through a normal store and through a store whose reads use raw
rows only. The probe checks that both return the same result and prints the
median times. Each timed call opens its own unit of work, as in
``benchmarks.reads``. When the ``duckdb`` package is installed, the first
tenant's rows are also loaded into an in-memory DuckDB table, and the same
grouping is timed there. Last, the probe times the write of ``--write-rows``
records through ``create_cost_records`` with and without the rollup upserts,
and a plain executemany INSERT of the same number of rows.
Timings depend on the machine; they are not part of any test.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from analytics import migrations
from analytics.adapters.sql.cost_rollups import rebuild_cost_rollups
from analytics.adapters.sql.schema import cost_records
from analytics.adapters.sqlite import configure_engine
from analytics.bootstrap import Store
from analytics.domain import BucketUnit, NewCostRecord
from analytics.domain.time import range_bounds
from benchmarks.workload import DAYS, FEATURE_TAGS, MODELS, UNTAGGED_SHARE, WORKLOAD_END

FIRST = WORKLOAD_END - timedelta(days=DAYS)
MODEL_NAMES = [f"model-{index:02d}" for index in range(MODELS)]
FEATURE_NAMES = [f"feature-{index:02d}" for index in range(FEATURE_TAGS)]
CHUNK = 5_000
# The columns of tenant t1's rows that the DuckDB copy contains, with their DuckDB types.
DUCKDB_COLUMNS = {
    "occurred_at": "TIMESTAMPTZ",
    "model": "VARCHAR",
    "feature_tag": "VARCHAR",
    "input_tokens": "BIGINT",
    "output_tokens": "BIGINT",
    "cost_nanos": "BIGINT",
    "cost_source": "VARCHAR",
    "is_synthetic": "BOOLEAN",
}

PortRead = Callable[[Any], Awaitable[Any]]


@dataclass(frozen=True)
class Read:
    """One timed read: the port call and the same grouping as DuckDB SQL with its parameters."""

    name: str
    port: PortRead
    duckdb_sql: str
    duckdb_parameters: list[Any]


def _row(generator: random.Random, tenant_id: str, index: int) -> dict[str, Any]:
    occurred_at = FIRST + timedelta(microseconds=generator.randrange(DAYS * 86_400 * 10**6))
    unpriced = generator.random() < 0.05
    untagged = generator.random() < UNTAGGED_SHARE
    return {
        "tenant_id": tenant_id,
        "id": f"cr_{tenant_id}_{index:028x}",
        "request_id": f"req-{index}",
        "occurred_at": occurred_at,
        "recorded_at": occurred_at,
        "model": generator.choice(MODEL_NAMES),
        "feature_tag": None if untagged else generator.choice(FEATURE_NAMES),
        "input_tokens": generator.randrange(5_000),
        "output_tokens": generator.randrange(2_000),
        "cost_nanos": 0 if unpriced else generator.randrange(10**7),
        "cost_source": "unpriced" if unpriced else "reported",
        "is_synthetic": generator.random() < 0.1,
    }


async def _fill(engine: AsyncEngine, rows: int, duckdb_file: TextIO | None) -> None:
    """Insert the rows of both tenants, and write tenant t1's rows as CSV to ``duckdb_file``."""
    generator = random.Random(7)
    writer = None if duckdb_file is None else csv.writer(duckdb_file)
    if writer is not None:
        writer.writerow(DUCKDB_COLUMNS)
    for tenant_id, count in (("t1", rows), ("t2", rows // 10)):
        for offset in range(0, count, CHUNK):
            chunk = [
                _row(generator, tenant_id, index)
                for index in range(offset, min(count, offset + CHUNK))
            ]
            async with engine.begin() as connection:
                await connection.execute(insert(cost_records), chunk)
            if writer is not None and tenant_id == "t1":
                writer.writerows([row[name] for name in DUCKDB_COLUMNS] for row in chunk)


def _load_duckdb(path: Path) -> Any:
    """Return an in-memory DuckDB connection with the CSV at ``path`` as table cost_records."""
    import duckdb  # type: ignore[import-not-found,unused-ignore]

    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in DUCKDB_COLUMNS.items())
    connection.execute(
        "CREATE TABLE cost_records AS SELECT * FROM "
        f"read_csv(?, header = true, columns = {{{columns}}})",
        [str(path)],
    )
    return connection


def _new_records(count: int) -> list[NewCostRecord]:
    generator = random.Random(11)
    return [
        NewCostRecord(
            occurred_at=FIRST + timedelta(seconds=generator.randrange(DAYS * 86_400)),
            model=generator.choice(MODEL_NAMES),
            input_tokens=100,
            output_tokens=10,
            cost_usd=Decimal(generator.randrange(10**7)).scaleb(-9),
            feature_tag=generator.choice(FEATURE_NAMES),
            request_id=f"probe-{index}",
        )
        for index in range(count)
    ]


def _raw_store(store: Store) -> Store:
    raw = Store.from_engine(store.engine)
    read_driver: Any = store.backend.analytics_reads
    raw.backend = replace(store.backend, analytics_reads=partial(read_driver, use_rollups=False))
    return raw


async def _median_ms(store: Store, read: PortRead, runs: int) -> tuple[float, Any]:
    """Return the median milliseconds of ``runs`` calls after one warm-up call, and a result."""

    async def call() -> Any:
        async with store.unit_of_work() as uow:
            return await read(uow.analytics_reads)

    result = await call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def _duckdb_median_ms(connection: Any, read: Read, runs: int) -> float:
    connection.execute(read.duckdb_sql, read.duckdb_parameters).fetchall()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        connection.execute(read.duckdb_sql, read.duckdb_parameters).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


_DUCKDB_TOTALS = (
    "count(*) AS requests, sum(cost_nanos) AS spend, sum(input_tokens), sum(output_tokens)"
)


def _duckdb_breakdown(column: str, include_synthetic: bool) -> str:
    synthetic = "" if include_synthetic else " AND NOT is_synthetic"
    return (
        f"SELECT {column}, {_DUCKDB_TOTALS}, "
        "sum(CASE WHEN cost_source = 'unpriced' THEN 1 ELSE 0 END) "
        f"FROM cost_records WHERE occurred_at >= ? AND occurred_at < ?{synthetic} "
        f"GROUP BY {column} ORDER BY spend DESC, requests DESC, {column} NULLS FIRST"
    )


def _duckdb_series(unit: str) -> str:
    bucket = f"date_trunc('{unit}', timezone(?, occurred_at))"
    return (
        f"SELECT {bucket} AS bucket, {_DUCKDB_TOTALS} FROM cost_records "
        "WHERE occurred_at >= ? AND occurred_at < ? AND NOT is_synthetic "
        "GROUP BY bucket ORDER BY bucket"
    )


def _breakdown_read(
    name: str, method: str, window: tuple[datetime, datetime], include_synthetic: bool = False
) -> Read:
    start, end = window
    column = "model" if method == "fetch_cost_by_model" else "feature_tag"

    async def port(reads: Any) -> Any:
        fetch = getattr(reads, method)
        return await fetch("t1", start=start, end=end, include_synthetic=include_synthetic)

    return Read(
        f"{method} {name}", port, _duckdb_breakdown(column, include_synthetic), [start, end]
    )


def _reads() -> list[Read]:
    last_day = (WORKLOAD_END - timedelta(days=1)).date()
    first_day = last_day - timedelta(days=29)
    # The last 30 UTC days, the window of the breakdowns in benchmarks.reads.
    utc_days = range_bounds(first_day, last_day + timedelta(days=1), "UTC")
    kathmandu_days = range_bounds(first_day, last_day + timedelta(days=1), "Asia/Kathmandu")
    ny_start, ny_end = range_bounds(
        first_day - timedelta(days=20), last_day - timedelta(days=19), "America/New_York"
    )
    unaligned_start = datetime.combine(first_day, datetime.min.time(), WORKLOAD_END.tzinfo)
    unaligned_start -= timedelta(days=2, hours=16, minutes=46, seconds=48, microseconds=500_000)
    unaligned = (unaligned_start, unaligned_start + timedelta(days=30))

    async def ny_metrics(reads: Any) -> Any:
        return await reads.fetch_cost_metrics(
            "t1", start=ny_start, end=ny_end, unit=BucketUnit.DAY, tz="America/New_York"
        )

    async def kolkata_spend(reads: Any) -> Any:
        return await reads.fetch_cost_spend(
            "t1", start=unaligned[0], end=unaligned[1], unit=BucketUnit.HOUR, tz="Asia/Kolkata"
        )

    return [
        Read(
            "fetch_cost_metrics day New_York 30 local days across the DST change",
            ny_metrics,
            _duckdb_series("day"),
            ["America/New_York", ny_start, ny_end],
        ),
        Read(
            "fetch_cost_spend hour Kolkata 30 days unaligned",
            kolkata_spend,
            _duckdb_series("hour"),
            ["Asia/Kolkata", *unaligned],
        ),
        _breakdown_read("last 30 UTC days", "fetch_cost_by_model", utc_days),
        _breakdown_read("last 30 UTC days", "fetch_cost_by_feature", utc_days),
        _breakdown_read("30 Kathmandu days", "fetch_cost_by_model", kathmandu_days),
        _breakdown_read("30 Kathmandu days", "fetch_cost_by_feature", kathmandu_days),
        _breakdown_read("30 days unaligned", "fetch_cost_by_model", unaligned),
        _breakdown_read("30 days unaligned, synthetic", "fetch_cost_by_feature", unaligned, True),
    ]


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

    generator = random.Random(13)
    rows = [_row(generator, "t5", index) for index in range(count)]
    started = time.perf_counter()
    for offset in range(0, count, 1_000):
        async with store.engine.begin() as connection:
            await connection.execute(insert(cost_records), rows[offset : offset + 1_000])
    raw_only = time.perf_counter() - started
    print(
        f"write {count} records in batches of 1,000: create_cost_records {with_rollups:.2f} s, "
        f"a plain executemany INSERT {raw_only:.2f} s (python -m benchmarks splits the "
        "Postgres write into the INSERT and the rollups)"
    )


async def _probe(engine: AsyncEngine, arguments: argparse.Namespace) -> None:
    await migrations.upgrade(engine)
    with tempfile.TemporaryDirectory() as directory:
        duckdb_csv = Path(directory) / "t1.csv"
        installed = _duckdb_installed()
        started = time.perf_counter()
        with duckdb_csv.open("w", newline="", encoding="utf-8") as file:
            await _fill(engine, arguments.rows, file if installed else None)
        filled = time.perf_counter()
        duck = _load_duckdb(duckdb_csv) if installed else None
    store = Store.from_engine(engine)
    rebuilding = time.perf_counter()
    await rebuild_cost_rollups(engine, store.backend.dialect)
    rebuilt = time.perf_counter()
    async with engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    print(
        f"filled {arguments.rows + arguments.rows // 10} rows in {filled - started:.1f} s; "
        f"rebuild-rollups took {rebuilt - rebuilding:.2f} s"
    )

    raw = _raw_store(store)
    for read in _reads():
        raw_ms, expected = await _median_ms(raw, read.port, arguments.runs)
        rollup_ms, got = await _median_ms(store, read.port, arguments.runs)
        same = "equal" if got == expected else "DIFFERENT"
        duck_text = ""
        if duck is not None:
            duck_ms = _duckdb_median_ms(duck, read, arguments.runs)
            duck_text = f", DuckDB {duck_ms:.1f} ms (DuckDB / rollups {duck_ms / rollup_ms:.2f})"
        print(
            f"{read.name}: raw {raw_ms:.1f} ms, rollups {rollup_ms:.1f} ms "
            f"(raw / rollups {raw_ms / rollup_ms:.1f}){duck_text}, results {same}"
        )
    await _time_writes(store, arguments.write_rows)


def _duckdb_installed() -> bool:
    try:
        import duckdb  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


async def _on_sqlite(arguments: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        engine = create_async_engine(f"sqlite+aiosqlite:///{Path(directory) / 'probe.db'}")
        configure_engine(engine)
        try:
            await _probe(engine, arguments)
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
        await _probe(engine, arguments)
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
    parser.add_argument(
        "--runs",
        type=int,
        default=5,
        help="timed runs per read after one warm-up call; the median is printed",
    )
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
