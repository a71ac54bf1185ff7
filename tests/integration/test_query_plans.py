"""The dashboard reads scan their ``(tenant_id, <time>)`` index as a range, on both backends.

Each test fills a migrated database with a few thousand rows of several
tenants, runs ANALYZE, and inspects the plan of exactly the statement the
adapter builds: ``EXPLAIN`` on Postgres, ``EXPLAIN QUERY PLAN`` on SQLite. The
window covers about one percent of the table, so a sequential scan would be
the wrong plan.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import ClauseElement, Column, Executable, Table, insert, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from analytics import migrations
from analytics.adapters.postgres.dialect import PostgresDialect
from analytics.adapters.sql.analytics_reads import COST_SERIES, RUN_SERIES, TRACE_SERIES
from analytics.adapters.sql.breakdowns import breakdown_statement
from analytics.adapters.sql.cost_rollups import (
    FEATURE_LEVELS,
    MODEL_LEVELS,
    Rollup,
    rebuild_cost_rollups,
)
from analytics.adapters.sql.dialect import DialectHooks
from analytics.adapters.sql.rollup_reads import rollup_breakdown_statement
from analytics.adapters.sql.schema import cost_records, runs, traces
from analytics.adapters.sql.series import SeriesSource, series_statement
from analytics.adapters.sqlite.dialect import SqliteDialect
from analytics.domain import BucketUnit
from analytics.ports.validation.reads import breakdown_query, series_query
from tests.integration.conftest import EmptyDatabase

TENANTS = ("t1", "t2", "t3")
ROWS_PER_TENANT = 2000
FIRST = datetime(2024, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=30)
# One New York day, about 48 of the 6,000 rows of each table.
WINDOW = (datetime(2024, 1, 20, 5, tzinfo=UTC), datetime(2024, 1, 21, 5, tzinfo=UTC))

DIALECTS: dict[str, DialectHooks] = {"sqlite": SqliteDialect(), "postgres": PostgresDialect()}


class Explain(Executable, ClauseElement):
    """The query plan of a statement, with the statement's own bound parameters."""

    inherit_cache = False

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement


@compiles(Explain)
def _explain(element: Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return "EXPLAIN " + compiler.process(element.statement, **kw)


@compiles(Explain, "sqlite")
def _explain_query_plan(element: Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return "EXPLAIN QUERY PLAN " + compiler.process(element.statement, **kw)


def _instants() -> list[tuple[str, int, datetime]]:
    return [
        (tenant, index, FIRST + STEP * index)
        for tenant in TENANTS
        for index in range(ROWS_PER_TENANT)
    ]


def _cost_rows() -> list[dict[str, Any]]:
    return [
        {
            "tenant_id": tenant,
            "id": f"cr_{index:032x}",
            "occurred_at": at,
            "recorded_at": at,
            "model": f"model-{index % 7}",
            "user_id": f"user-{index % 20}",
            "feature_tag": None if index % 6 == 0 else f"feature-{index % 5}",
            "input_tokens": 100,
            "output_tokens": 10,
            "cost_nanos": 1_000_000 * (index % 9),
        }
        for tenant, index, at in _instants()
    ]


def _run_rows() -> list[dict[str, Any]]:
    return [
        {
            "tenant_id": tenant,
            "id": f"run-{index}",
            "status": "running",
            "created_at": at,
            "started_at": at,
            "input_tokens": 100,
            "output_tokens": 10,
            "is_synthetic": False,
            "recorded_at": at,
            "updated_at": at,
        }
        for tenant, index, at in _instants()
    ]


def _trace_rows() -> list[dict[str, Any]]:
    return [
        {
            "tenant_id": tenant,
            "trace_id": f"tr-{index}",
            "status": "running",
            "started_at": at,
            "is_synthetic": False,
            "recorded_at": at,
            "updated_at": at,
        }
        for tenant, index, at in _instants()
    ]


@pytest.fixture
async def filled_database(empty_database: EmptyDatabase) -> EmptyDatabase:
    """The empty database, migrated, with 6,000 cost records, runs and traces, analyzed."""
    await migrations.upgrade(empty_database.engine)
    async with empty_database.engine.begin() as connection:
        await connection.execute(insert(cost_records), _cost_rows())
        await connection.execute(insert(runs), _run_rows())
        await connection.execute(insert(traces), _trace_rows())
    async with empty_database.engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    return empty_database


async def _plan(database: EmptyDatabase, statement: ClauseElement) -> str:
    async with database.engine.connect() as connection:
        result = await connection.execute(Explain(statement))
        rows = result.all()
    # SQLite returns (id, parent, notused, detail) rows, and Postgres one line of text per row.
    return "\n".join(str(row[-1]) for row in rows)


def _series(database: EmptyDatabase, source: SeriesSource, unit: BucketUnit) -> ClauseElement:
    query = series_query("t1", WINDOW[0], WINDOW[1], unit, "America/New_York", False)
    statement, _ = series_statement(DIALECTS[database.name], source, query)
    return statement


def _assert_range_scan(database: EmptyDatabase, plan: str, table: Table, column: str) -> None:
    index = f"ix_{table.name}_tenant_id_{column}"
    if database.name == "sqlite":
        expected = f"USING INDEX {index} (tenant_id=? AND {column}>? AND {column}<?)"
        assert expected in plan, plan
        return
    assert index in plan, plan
    assert f"Seq Scan on {table.name}" not in plan, plan
    assert f"({column} >= " in plan, plan
    assert f"({column} < " in plan, plan


@pytest.mark.parametrize("unit", [BucketUnit.HOUR, BucketUnit.DAY, BucketUnit.MONTH])
async def test_cost_series_plan(filled_database: EmptyDatabase, unit: BucketUnit) -> None:
    plan = await _plan(filled_database, _series(filled_database, COST_SERIES, unit))

    _assert_range_scan(filled_database, plan, cost_records, "occurred_at")


async def test_run_series_plan(filled_database: EmptyDatabase) -> None:
    plan = await _plan(filled_database, _series(filled_database, RUN_SERIES, BucketUnit.DAY))

    _assert_range_scan(filled_database, plan, runs, "created_at")


async def test_trace_series_plan(filled_database: EmptyDatabase) -> None:
    plan = await _plan(filled_database, _series(filled_database, TRACE_SERIES, BucketUnit.HOUR))

    _assert_range_scan(filled_database, plan, traces, "started_at")


@pytest.mark.parametrize("key", [cost_records.c.model, cost_records.c.feature_tag])
async def test_breakdown_plan(filled_database: EmptyDatabase, key: Column[Any]) -> None:
    query = breakdown_query("t1", WINDOW[0], WINDOW[1], 50, False)

    plan = await _plan(filled_database, breakdown_statement(key, query))

    _assert_range_scan(filled_database, plan, cost_records, "occurred_at")


def _assert_key_range_scan(database: EmptyDatabase, plan: str, rollup: Rollup) -> None:
    table = rollup.table.name
    period = rollup.period_column
    if database.name == "sqlite":
        # A WITHOUT ROWID table is stored in its primary key, and any other
        # table has an automatic index for its primary key.
        key = f"INDEX sqlite_autoindex_{table}_1"
        if rollup.table.dialect_options["sqlite"]["with_rowid"] is False:
            key = "PRIMARY KEY"
        expected = f"SEARCH {table} USING {key} (tenant_id=? AND {period}>? AND {period}<?)"
        assert expected in plan, plan
        return
    assert f"pk_{table}" in plan, plan
    assert f"Seq Scan on {table}" not in plan, plan


@pytest.mark.parametrize("levels", [MODEL_LEVELS, FEATURE_LEVELS], ids=["model", "feature"])
async def test_rollup_breakdown_plan(
    filled_database: EmptyDatabase, levels: tuple[Rollup, ...]
) -> None:
    await rebuild_cost_rollups(filled_database.engine, DIALECTS[filled_database.name])
    async with filled_database.engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    # Two whole UTC days, whole hours on both sides, and half-hours at the edges.
    start = datetime(2024, 1, 19, 5, 30, tzinfo=UTC)
    query = breakdown_query("t1", start, start + timedelta(days=3), 50, False)
    statement = rollup_breakdown_statement(levels, query)
    assert statement is not None

    plan = await _plan(filled_database, statement)

    _assert_range_scan(filled_database, plan, cost_records, "occurred_at")
    for rollup in levels:
        _assert_key_range_scan(filled_database, plan, rollup)
