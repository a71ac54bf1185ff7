"""Per-bucket sums of one table's rows, shared by every series read.

One grouped query reads the tenant's window ``[start, end)`` as an index range
scan on ``(tenant_id, <time column>)``. It groups rows by local day or local
hour (``local_time.series_grouping``), and Python folds those groups into the
calendar buckets and fills empty buckets with zeros.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Label, Row, Select, Table, select

from analytics.adapters.sql.dialect import DialectHooks
from analytics.adapters.sql.local_time import SeriesGrouping, series_grouping
from analytics.adapters.sql.session import SqlSession
from analytics.ports.validation.reads import SeriesQuery


@dataclass(frozen=True)
class SeriesSource:
    """Table a series reads, its indexed time column, and the labelled sums per bucket.

    Every measure must be additive (a count or a sum), because the rows of
    several local days or hours are added up into one bucket.
    """

    table: Table
    time_column: str
    measures: tuple[Label[Any], ...]


@dataclass(frozen=True)
class BucketTotals:
    """Sums of one series bucket ``[start, end)``, keyed by measure label."""

    start: datetime
    end: datetime
    sums: Mapping[str, int]


def window_conditions(
    table: Table,
    time_column: str,
    tenant_id: str,
    start: datetime,
    end: datetime,
    include_synthetic: bool,
) -> list[ColumnElement[bool]]:
    """Return the filter of a tenant's window, in the form of an index range scan."""
    column = table.c[time_column]
    conditions = [table.c.tenant_id == tenant_id, column >= start, column < end]
    if not include_synthetic:
        conditions.append(table.c.is_synthetic.is_(False))
    return conditions


def series_statement(
    dialect: DialectHooks,
    source: SeriesSource,
    query: SeriesQuery,
    conditions: Sequence[ColumnElement[bool]] | None = None,
) -> tuple[Select[Any], SeriesGrouping]:
    """Build the grouped query of a series and the grouping that maps its rows to buckets.

    ``conditions`` replaces the filter of the whole window, to read only a
    part of it; it must select rows of the window only.
    """
    column = source.table.c[source.time_column]
    grouping = series_grouping(
        dialect, column, query.buckets, query.start, query.end, query.unit, query.tz
    )
    if conditions is None:
        conditions = window_conditions(
            source.table,
            source.time_column,
            query.tenant_id,
            query.start,
            query.end,
            query.include_synthetic,
        )

    columns: list[ColumnElement[Any]] = [*grouping.keys, *source.measures]
    statement = select(*columns).where(*conditions).group_by(*grouping.keys)
    return statement, grouping


async def fetch_series(
    session: SqlSession, source: SeriesSource, query: SeriesQuery
) -> list[BucketTotals]:
    """Run a series query and return the sums of every bucket, zero-filled, ascending."""
    sums = await fetch_bucket_sums(session, source, query)
    return bucket_totals(source, query, sums)


async def fetch_bucket_sums(
    session: SqlSession,
    source: SeriesSource,
    query: SeriesQuery,
    conditions: Sequence[ColumnElement[bool]] | None = None,
) -> list[list[int]]:
    """Return the measures of every bucket as lists in measure order, from the matching rows."""
    statement, grouping = series_statement(session.dialect, source, query, conditions)

    rows = await session.fetch_all(statement)

    names = [measure.name for measure in source.measures]
    return _sum_into_buckets(rows, grouping, names, len(query.buckets))


def bucket_totals(
    source: SeriesSource, query: SeriesQuery, sums: Sequence[Sequence[int]]
) -> list[BucketTotals]:
    """Pair the buckets of a query with their measures in measure order."""
    names = [measure.name for measure in source.measures]
    return [
        BucketTotals(start, end, dict(zip(names, bucket_sums, strict=True)))
        for (start, end), bucket_sums in zip(query.buckets, sums, strict=True)
    ]


def _sum_into_buckets(
    rows: Sequence[Row[Any]], grouping: SeriesGrouping, names: Sequence[str], bucket_count: int
) -> list[list[int]]:
    key_count = len(grouping.keys)
    sums = [[0] * len(names) for _ in range(bucket_count)]
    for row in rows:
        bucket = sums[grouping.bucket_index(row[:key_count])]
        for position, value in enumerate(row[key_count:]):
            # Postgres returns SUM of a BIGINT as a Decimal, which int() converts exactly.
            bucket[position] += int(value)
    return sums
