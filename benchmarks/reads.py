"""30-day breakdowns and daily series of the heavy tenant: the port against anchors.

Anchors: the hand-written SQL a developer would run on ``cost_records`` of the
same database (one grouped index range scan), and DuckDB scanning the same
rows when the ``duckdb`` package is installed. Each figure is the median of
``repeats`` timed calls after one untimed warm-up call.
"""

from __future__ import annotations

import csv
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from analytics.adapters.sql.schema import cost_records
from analytics.domain import BucketUnit, day_start, local_date, offset_segments
from benchmarks.databases import POSTGRES, BenchDatabase
from benchmarks.workload import HEAVY_TENANT, WORKLOAD_END

WINDOW_DAYS = 30
NEW_YORK = "America/New_York"

READ_FIGURES = (
    "fetch_cost_by_model",
    "fetch_cost_by_feature",
    "fetch_cost_spend_day_utc",
    "fetch_cost_spend_day_new_york",
)


@dataclass(frozen=True)
class Window:
    """The instants ``[start, end)`` of a read and the zone its days are counted in."""

    start: datetime
    end: datetime
    tz: str


def window_for(tz: str) -> Window:
    """Return the last ``WINDOW_DAYS`` local days of the workload in ``tz``."""
    last_day = local_date(WORKLOAD_END - timedelta(microseconds=1), tz)
    first_day = last_day - timedelta(days=WINDOW_DAYS - 1)
    return Window(day_start(first_day, tz), day_start(last_day + timedelta(days=1), tz), tz)


@dataclass(frozen=True)
class ReadTiming:
    """Median milliseconds of the port and of each anchor (``None`` when not measured)."""

    ours_ms: float
    sql_ms: float
    duckdb_ms: float | None


async def median_ms(call: Callable[[], Awaitable[object]], repeats: int) -> float:
    """Return the median wall time of ``repeats`` awaited calls, after one warm-up call."""
    await call()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _port_call(database: BenchDatabase, figure: str) -> Callable[[], Awaitable[object]]:
    async def call() -> object:
        async with database.store.unit_of_work() as uow:
            reads = uow.analytics_reads
            if figure == "fetch_cost_by_model":
                window = window_for("UTC")
                return await reads.fetch_cost_by_model(
                    HEAVY_TENANT, start=window.start, end=window.end
                )
            if figure == "fetch_cost_by_feature":
                window = window_for("UTC")
                return await reads.fetch_cost_by_feature(
                    HEAVY_TENANT, start=window.start, end=window.end
                )
            tz = "UTC" if figure == "fetch_cost_spend_day_utc" else NEW_YORK
            window = window_for(tz)
            return await reads.fetch_cost_spend(
                HEAVY_TENANT, start=window.start, end=window.end, unit=BucketUnit.DAY, tz=tz
            )

    return call


_TOTALS = (
    "count(*) AS requests, sum(cost_nanos) AS spend, sum(input_tokens) AS input_tokens, "
    "sum(output_tokens) AS output_tokens"
)
_RANGE = "tenant_id = :tenant AND occurred_at >= :start AND occurred_at < :end AND NOT is_synthetic"


def breakdown_sql(column: str) -> str:
    """Return the hand-written grouped scan of one breakdown, in the port's order."""
    return (
        f"SELECT {column}, {_TOTALS}, "
        "sum(CASE WHEN cost_source = 'unpriced' THEN 1 ELSE 0 END) AS unpriced "
        f"FROM cost_records WHERE {_RANGE} "
        f"GROUP BY {column} ORDER BY spend DESC, requests DESC, {column}"
    )


def postgres_series_sql(tz: str) -> str:
    """Return the hand-written daily series on Postgres, with the zone as a bound value."""
    day = "date_trunc('day', occurred_at AT TIME ZONE :tz)"
    return (
        f"SELECT {day} AS day, {_TOTALS} FROM cost_records WHERE {_RANGE} GROUP BY day ORDER BY day"
    )


def sqlite_series_sql(window: Window) -> str:
    """Return the hand-written daily series on SQLite.

    SQLite has no time-zone data, so the local day shifts each row by the UTC
    offset in force in its segment of the window (two segments across a DST
    change). Timestamps are stored as fixed-width UTC text, so they compare as text.
    """
    segments = offset_segments(window.start, window.end, window.tz)
    cases = " ".join(
        f"WHEN occurred_at < '{segment.end.strftime('%Y-%m-%d %H:%M:%S.%f')}' "
        f"THEN '{segment.offset_seconds:+d} seconds'"
        for segment in segments[:-1]
    )
    last = f"'{segments[-1].offset_seconds:+d} seconds'"
    modifier = f"CASE {cases} ELSE {last} END" if cases else last
    day = f"date(occurred_at, {modifier})"
    return (
        f"SELECT {day} AS day, {_TOTALS} FROM cost_records WHERE {_RANGE} GROUP BY day ORDER BY day"
    )


def _anchor_statement(database: BenchDatabase, figure: str) -> tuple[str, Window]:
    if figure == "fetch_cost_by_model":
        return breakdown_sql("model"), window_for("UTC")
    if figure == "fetch_cost_by_feature":
        return breakdown_sql("feature_tag"), window_for("UTC")
    tz = "UTC" if figure == "fetch_cost_spend_day_utc" else NEW_YORK
    window = window_for(tz)
    if database.backend == POSTGRES:
        return postgres_series_sql(tz), window
    return sqlite_series_sql(window), window


def _bound_parameters(database: BenchDatabase, window: Window) -> dict[str, Any]:
    parameters: dict[str, Any] = {"tenant": HEAVY_TENANT}
    if database.backend == POSTGRES:
        parameters.update(start=window.start, end=window.end, tz=window.tz)
    else:
        fixed = "%Y-%m-%d %H:%M:%S.%f"
        parameters.update(start=window.start.strftime(fixed), end=window.end.strftime(fixed))
    return parameters


def _sql_call(database: BenchDatabase, figure: str) -> Callable[[], Awaitable[object]]:
    statement, window = _anchor_statement(database, figure)
    parameters = _bound_parameters(database, window)
    if database.backend != POSTGRES:
        parameters.pop("tz", None)
    compiled = text(statement)

    async def call() -> object:
        async with database.engine.connect() as connection:
            result = await connection.execute(compiled, parameters)
            return result.all()

    return call


async def _export_heavy_tenant(database: BenchDatabase, path: Path) -> None:
    columns = cost_records.c
    query = select(
        columns.occurred_at,
        columns.model,
        columns.feature_tag,
        columns.input_tokens,
        columns.output_tokens,
        columns.cost_nanos,
    ).where(columns.tenant_id == HEAVY_TENANT, columns.is_synthetic.is_(False))
    async with database.engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["occurred_at", "model", "feature_tag", "input_tokens", "output_tokens", "cost_nanos"]
        )
        for row in rows:
            writer.writerow([row[0].isoformat(), *row[1:]])


async def measure_reads(
    database: BenchDatabase, repeats: int, duckdb_anchor: DuckdbAnchor | None
) -> dict[str, ReadTiming]:
    """Time every read figure on one backend."""
    timings: dict[str, ReadTiming] = {}
    for figure in READ_FIGURES:
        ours = await median_ms(_port_call(database, figure), repeats)
        sql = await median_ms(_sql_call(database, figure), repeats)
        duck = duckdb_anchor.median_ms(figure, repeats) if duckdb_anchor else None
        timings[figure] = ReadTiming(ours, sql, duck)
    return timings


class DuckdbAnchor:
    """DuckDB over an in-memory copy of the heavy tenant's rows of one backend."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    @classmethod
    async def load(cls, database: BenchDatabase, directory: Path) -> DuckdbAnchor | None:
        """Copy the heavy tenant's rows into DuckDB; return None when duckdb is missing.

        The rows go through a CSV file in ``directory`` because DuckDB reads a
        file much faster than row-by-row inserts. Loading is not timed.
        """
        try:
            import duckdb  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            return None
        path = directory / f"duckdb-{database.backend}.csv"
        try:
            await _export_heavy_tenant(database, path)
            duck = duckdb.connect()
            duck.execute("SET TimeZone = 'UTC'")
            duck.execute(
                "CREATE TABLE cost_records AS SELECT * FROM read_csv(?, header = true, "
                "columns = {'occurred_at': 'TIMESTAMPTZ', 'model': 'VARCHAR', "
                "'feature_tag': 'VARCHAR', 'input_tokens': 'INTEGER', "
                "'output_tokens': 'INTEGER', 'cost_nanos': 'BIGINT'})",
                [str(path)],
            )
        finally:
            path.unlink(missing_ok=True)
        return cls(duck)

    def median_ms(self, figure: str, repeats: int) -> float:
        statement, parameters = self._statement(figure)
        self._connection.execute(statement, parameters).fetchall()
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            self._connection.execute(statement, parameters).fetchall()
            samples.append((time.perf_counter() - started) * 1000)
        return statistics.median(samples)

    def _statement(self, figure: str) -> tuple[str, list[Any]]:
        totals = "count(*), sum(cost_nanos), sum(input_tokens), sum(output_tokens)"
        where = "occurred_at >= ? AND occurred_at < ?"
        if figure in ("fetch_cost_by_model", "fetch_cost_by_feature"):
            column = "model" if figure == "fetch_cost_by_model" else "feature_tag"
            window = window_for("UTC")
            statement = (
                f"SELECT {column}, {totals} FROM cost_records WHERE {where} "
                f"GROUP BY {column} ORDER BY 3 DESC, 2 DESC, {column}"
            )
            return statement, [window.start, window.end]
        tz = "UTC" if figure == "fetch_cost_spend_day_utc" else NEW_YORK
        window = window_for(tz)
        statement = (
            f"SELECT date_trunc('day', timezone(?, occurred_at)) AS day, {totals} "
            f"FROM cost_records WHERE {where} GROUP BY day ORDER BY day"
        )
        return statement, [tz, window.start, window.end]
