"""Batch ingest: the port's ``create_cost_records`` against the raw driver on the same table.

Every variant writes batches of ``BATCH_SIZE`` rows of one tenant, each batch in
its own transaction. Only the write calls are timed: building the input
objects of a batch (``NewCostRecord`` for the port, driver tuples for the raw
paths) happens before the timer starts, on both sides.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from benchmarks.databases import POSTGRES, BenchDatabase
from benchmarks.workload import Row, Workload, new_cost_record

RAW_COLUMNS = (
    "tenant_id",
    "id",
    "request_id",
    "occurred_at",
    "recorded_at",
    "model",
    "user_id",
    "feature_tag",
    "workflow_id",
    "skill_id",
    "input_tokens",
    "output_tokens",
    "cost_nanos",
    "cost_source",
    "price_ref",
    "is_retry",
    "is_synthetic",
)

_SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


@dataclass(frozen=True)
class IngestResult:
    """Rows written and the seconds spent in the write calls."""

    rows: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


async def port_ingest(database: BenchDatabase, workload: Workload) -> IngestResult:
    """Write the workload through ``create_cost_records``, one unit of work per batch."""
    rows = 0
    seconds = 0.0
    for tenant_id, batch in workload.batches():
        records = [new_cost_record(row) for row in batch]
        started = time.perf_counter()
        async with database.store.unit_of_work() as uow:
            await uow.cost_writes.create_cost_records(tenant_id, records=records)
        seconds += time.perf_counter() - started
        rows += len(records)
    return IngestResult(rows, seconds)


def _driver_tuple(row: Row, recorded_at: datetime, sqlite_format: bool) -> tuple[Any, ...]:
    occurred: Any = row.occurred_at
    recorded: Any = recorded_at
    retry: Any = row.is_retry
    synthetic: Any = False
    if sqlite_format:
        occurred = row.occurred_at.strftime(_SQLITE_TIME_FORMAT)
        recorded = recorded_at.strftime(_SQLITE_TIME_FORMAT)
        retry = int(row.is_retry)
        synthetic = 0
    return (
        row.tenant_id,
        f"cr_{uuid.uuid4().hex}",
        row.request_id,
        occurred,
        recorded,
        row.model,
        row.user_id,
        row.feature_tag,
        None,
        None,
        row.input_tokens,
        row.output_tokens,
        row.cost_nanos,
        "reported",
        None,
        retry,
        synthetic,
    )


async def raw_postgres_copy(database: BenchDatabase, workload: Workload) -> IngestResult:
    """Write the workload with asyncpg ``copy_records_to_table``, one transaction per batch."""

    async def write(connection: Any, batch: list[tuple[Any, ...]]) -> None:
        async with connection.transaction():
            await connection.copy_records_to_table(
                "cost_records", records=batch, columns=RAW_COLUMNS
            )

    return await _raw_postgres(database, workload, write)


async def raw_postgres_executemany(database: BenchDatabase, workload: Workload) -> IngestResult:
    """Write the workload with asyncpg ``executemany`` of one INSERT, one transaction per batch."""
    placeholders = ", ".join(f"${number}" for number in range(1, len(RAW_COLUMNS) + 1))
    statement = f"INSERT INTO cost_records ({', '.join(RAW_COLUMNS)}) VALUES ({placeholders})"

    async def write(connection: Any, batch: list[tuple[Any, ...]]) -> None:
        async with connection.transaction():
            await connection.executemany(statement, batch)

    return await _raw_postgres(database, workload, write)


async def _raw_postgres(
    database: BenchDatabase, workload: Workload, write: Callable[[Any, Any], Any]
) -> IngestResult:
    async def timed_write(connection: Any, batch: list[Row]) -> float:
        recorded_at = datetime.now(UTC)
        tuples = [_driver_tuple(row, recorded_at, sqlite_format=False) for row in batch]
        started = time.perf_counter()
        await write(connection, tuples)
        return time.perf_counter() - started

    return await _postgres_batches(database, workload, timed_write)


async def _postgres_batches(
    database: BenchDatabase,
    workload: Workload,
    timed_write: Callable[[Any, list[Row]], Awaitable[float]],
) -> IngestResult:
    """Write every batch on one asyncpg connection; ``timed_write`` returns its timed seconds."""
    import asyncpg

    assert database.backend == POSTGRES
    assert database.postgres_dsn is not None
    connection = await asyncpg.connect(database.postgres_dsn)
    try:
        rows = 0
        seconds = 0.0
        for _tenant_id, batch in workload.batches():
            seconds += await timed_write(connection, batch)
            rows += len(batch)
        return IngestResult(rows, seconds)
    finally:
        await connection.close()


async def postgres_statement(
    database: BenchDatabase, workload: Workload, with_rollups: bool
) -> IngestResult:
    """Run the adapter's own ingest statement through asyncpg, one transaction per batch.

    The rows are validated and turned into the statement's column arrays before
    the timer starts, so this measures what the database spends on the
    statement: the INSERT alone, or the INSERT with its rollup upserts.
    Comparing the two with ``port_ingest`` splits the adapter's time into
    Python work, the INSERT and the rollups.
    """
    from sqlalchemy.dialects import postgresql

    from analytics.adapters.postgres import cost_ingest
    from analytics.adapters.sql.cost_rollups import ROLLUPS
    from analytics.ports.validation import costs

    rollups = ROLLUPS if with_rollups else ()
    compiled = cost_ingest.insert_with_rollups(rollups).compile(
        dialect=postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]
    )
    positions = compiled.positiontup or []

    async def write(connection: Any, batch: list[Row]) -> float:
        records = costs.cost_records([new_cost_record(row) for row in batch])
        ids = [f"cr_{uuid.uuid4().hex}" for _ in records]
        parameters = cost_ingest.batch_parameters(
            batch[0].tenant_id, datetime.now(UTC), list(zip(ids, records, strict=True))
        )
        values = compiled.construct_params(parameters)
        arguments = [values[name] for name in positions]
        started = time.perf_counter()
        async with connection.transaction():
            await connection.fetch(str(compiled), *arguments)
        return time.perf_counter() - started

    return await _postgres_batches(database, workload, write)


def raw_sqlite_executemany(database: BenchDatabase, workload: Workload) -> IngestResult:
    """Write the workload with ``sqlite3`` ``executemany`` in WAL mode, one transaction per batch.

    The connection uses the package's pragmas (WAL, ``synchronous=NORMAL``).
    """
    assert database.sqlite_path is not None
    placeholders = ", ".join("?" for _ in RAW_COLUMNS)
    statement = f"INSERT INTO cost_records ({', '.join(RAW_COLUMNS)}) VALUES ({placeholders})"
    connection = sqlite3.connect(database.sqlite_path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        rows = 0
        seconds = 0.0
        for _tenant_id, batch in workload.batches():
            recorded_at = datetime.now(UTC)
            tuples = [_driver_tuple(row, recorded_at, sqlite_format=True) for row in batch]
            started = time.perf_counter()
            connection.execute("BEGIN")
            connection.executemany(statement, tuples)
            connection.execute("COMMIT")
            seconds += time.perf_counter() - started
            rows += len(tuples)
        return IngestResult(rows, seconds)
    finally:
        connection.close()
