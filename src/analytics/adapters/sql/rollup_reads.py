"""Cost series and breakdowns that read whole periods from the rollups and only the edges raw.

A window ``[start, end)`` splits into its covered interior ``[inner_start,
inner_end)``, the whole rollup periods it contains, and at most two partial
periods at its edges. The interior is summed from a rollup table and the
edges from cost_records with the raw queries, and the two are added. Every
sum is an integer count or sum, so the result equals the raw computation
exactly.

A breakdown reads several levels of rollups: the whole UTC days of the window
from a day rollup, the whole hours before and after those days from an hour
rollup, and the rest from cost_records, summed in one statement. The whole
days of a window are whole hours of it too, so each record is counted once.

A series maps each rollup quarter-hour to its bucket, which is exact only
when no bucket boundary falls inside a quarter-hour. Zones whose offset is not
a multiple of 15 minutes (for example Africa/Monrovia before 1972, at
-00:44:30) put boundaries inside quarter-hours, so such a series reads raw rows
for the whole window.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, and_, func, or_, select, union_all

from analytics.adapters.sql.breakdowns import (
    MEASURES,
    Breakdown,
    fetch_breakdown,
    fetch_ranked,
    grouped_records,
    ranked_statement,
)
from analytics.adapters.sql.cost_rollups import (
    QUARTER_HOURS,
    Rollup,
    epoch_seconds,
    from_epoch_seconds,
)
from analytics.adapters.sql.schema import UNTAGGED_FEATURE_KEY, cost_records
from analytics.adapters.sql.series import (
    BucketTotals,
    SeriesSource,
    bucket_totals,
    fetch_bucket_sums,
    fetch_series,
)
from analytics.adapters.sql.session import SqlSession
from analytics.ports.validation.reads import BreakdownQuery, SeriesQuery

# The rollup column summed for each series measure label of the cost series.
_SERIES_COLUMNS = {
    "requests": "requests",
    "spend_nanos": "cost_nanos",
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
}
_BREAKDOWN_COLUMNS = {
    "requests": "requests",
    "spend_nanos": "cost_nanos",
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "unpriced_requests": "unpriced_requests",
}


@dataclass(frozen=True)
class Interior:
    """The whole rollup periods ``[start, end)`` of a window, as epoch seconds."""

    start: int
    end: int


def covered_interior(start: datetime, end: datetime, period_seconds: int) -> Interior | None:
    """Return the whole periods inside ``[start, end)``, or ``None`` when there are none."""
    first = -(-epoch_seconds(start) // period_seconds) * period_seconds
    if from_epoch_seconds(first) < start:
        # start has a fraction of a second past a period mark.
        first += period_seconds
    last = epoch_seconds(end) // period_seconds * period_seconds
    return Interior(first, last) if first < last else None


def _edge_conditions(
    tenant_id: str, start: datetime, end: datetime, interior: Interior, include_synthetic: bool
) -> list[ColumnElement[bool]] | None:
    """Return the filter of the window's raw edges, or ``None`` when the window has none."""
    # Each edge repeats the tenant so that both are index range scans on
    # (tenant_id, occurred_at), which SQLite needs to use the index for an OR.
    column = cost_records.c.occurred_at
    inner_start = from_epoch_seconds(interior.start)
    inner_end = from_epoch_seconds(interior.end)
    edges = [
        and_(cost_records.c.tenant_id == tenant_id, column >= low, column < high)
        for low, high in ((start, inner_start), (inner_end, end))
        if low < high
    ]
    if not edges:
        return None
    conditions: list[ColumnElement[bool]] = [or_(*edges)]
    if not include_synthetic:
        conditions.append(cost_records.c.is_synthetic.is_(False))
    return conditions


def _rollup_conditions(
    rollup: Rollup, tenant_id: str, interior: Interior, include_synthetic: bool
) -> list[ColumnElement[bool]]:
    table = rollup.table
    period = table.c[rollup.period_column]
    conditions = [table.c.tenant_id == tenant_id, period >= interior.start, period < interior.end]
    if not include_synthetic:
        conditions.append(table.c.is_synthetic.is_(False))
    return conditions


async def fetch_cost_series(
    session: SqlSession, source: SeriesSource, query: SeriesQuery
) -> list[BucketTotals]:
    """Return the cost series of ``source``, reading whole quarter-hours from the rollup."""
    interior = covered_interior(query.start, query.end, QUARTER_HOURS.period_seconds)
    if interior is None or not _boundaries_on_quarter_hours(query, interior):
        return await fetch_series(session, source, query)

    conditions = _edge_conditions(
        query.tenant_id, query.start, query.end, interior, query.include_synthetic
    )
    if conditions is None:
        sums = [[0] * len(source.measures) for _ in query.buckets]
    else:
        sums = await fetch_bucket_sums(session, source, query, conditions)
    await _add_quarter_hours(session, source, query, interior, sums)
    return bucket_totals(source, query, sums)


def _boundaries_on_quarter_hours(query: SeriesQuery, interior: Interior) -> bool:
    # A boundary inside a quarter-hour of the interior would split its rows between two buckets.
    for boundary, _ in query.buckets[1:]:
        seconds = epoch_seconds(boundary)
        if not interior.start < seconds < interior.end:
            continue
        if boundary.microsecond or seconds % QUARTER_HOURS.period_seconds:
            return False
    return True


async def _add_quarter_hours(
    session: SqlSession,
    source: SeriesSource,
    query: SeriesQuery,
    interior: Interior,
    sums: list[list[int]],
) -> None:
    table = QUARTER_HOURS.table
    quarter = table.c[QUARTER_HOURS.period_column]
    names = [measure.name for measure in source.measures]
    statement = (
        select(quarter, *(func.sum(table.c[_SERIES_COLUMNS[name]]) for name in names))
        .where(
            *_rollup_conditions(QUARTER_HOURS, query.tenant_id, interior, query.include_synthetic)
        )
        .group_by(quarter)
    )

    rows = await session.fetch_all(statement)

    bucket_starts = [epoch_seconds(bucket_start) for bucket_start, _ in query.buckets]
    for row in rows:
        bucket = sums[bisect.bisect_right(bucket_starts, int(row[0])) - 1]
        values: tuple[Any, ...] = tuple(row[1:])
        for position, value in enumerate(values):
            # Postgres returns SUM of a BIGINT as a Decimal, which int() converts exactly.
            bucket[position] += int(value)


async def fetch_cost_breakdown(
    session: SqlSession, levels: Sequence[Rollup], query: BreakdownQuery
) -> Breakdown:
    """Return the breakdown by the group of ``levels``, reading whole periods from the rollups.

    ``levels`` are rollups of one group, longest period first, and each period is
    a whole multiple of the next one. A window without a whole period of the
    last level is read from cost_records only.
    """
    statement = rollup_breakdown_statement(levels, query)
    if statement is None:
        key = cost_records.c[str(levels[-1].source_column)]
        return await fetch_breakdown(session, key, query)
    return await fetch_ranked(session, statement, query.limit)


def rollup_breakdown_statement(
    levels: Sequence[Rollup], query: BreakdownQuery
) -> Select[Any] | None:
    """Build the ranked breakdown over the rollup ``levels`` and the raw edges of the window.

    Each level reads the whole periods of the window that no longer period
    covers, and cost_records the rest. Returns ``None`` when the window contains no
    whole period of any level.
    """
    key = cost_records.c[str(levels[-1].source_column)]
    parts: list[Select[Any]] = []
    covered: Interior | None = None
    for rollup in levels:
        interior = covered_interior(query.start, query.end, rollup.period_seconds)
        if interior is None:
            continue
        parts.extend(_grouped_rollup(rollup, query, span) for span in _uncovered(interior, covered))
        covered = interior
    if covered is None:
        return None

    edges = _edge_conditions(
        query.tenant_id, query.start, query.end, covered, query.include_synthetic
    )
    if edges is not None:
        parts.insert(0, grouped_records(key, edges))
    groups = parts[0] if len(parts) == 1 else _regrouped(union_all(*parts).subquery("parts"))
    return ranked_statement(groups.subquery("groups"), query.limit)


def _uncovered(interior: Interior, covered: Interior | None) -> list[Interior]:
    """Return the spans of ``interior`` outside ``covered``, which lies inside ``interior``."""
    if covered is None:
        return [interior]
    spans = (Interior(interior.start, covered.start), Interior(covered.end, interior.end))
    return [span for span in spans if span.start < span.end]


def _grouped_rollup(rollup: Rollup, query: BreakdownQuery, span: Interior) -> Select[Any]:
    table = rollup.table
    group = table.c[str(rollup.group_column)]
    # A NULL of the source column is stored as '' and read back as NULL, as in cost_records.
    nullable = cost_records.c[str(rollup.source_column)].nullable
    key = func.nullif(group, UNTAGGED_FEATURE_KEY) if nullable else group
    sums = (func.sum(table.c[_BREAKDOWN_COLUMNS[name]]).label(name) for name in MEASURES)
    return (
        select(key.label("group_key"), *sums)
        .where(*_rollup_conditions(rollup, query.tenant_id, span, query.include_synthetic))
        .group_by(group)
    )


def _regrouped(parts: Subquery) -> Select[Any]:
    sums = (func.sum(parts.c[name]).label(name) for name in MEASURES)
    return select(parts.c.group_key, *sums).group_by(parts.c.group_key)


__all__ = [
    "Interior",
    "covered_interior",
    "fetch_cost_breakdown",
    "fetch_cost_series",
    "rollup_breakdown_statement",
]
