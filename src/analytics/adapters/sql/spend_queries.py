"""Cost-record queries shared by the spend reads of the cost-anomaly driver.

Local days and months become UTC ranges in Python (``analytics.domain.time``),
so SQL only compares ``occurred_at`` with bound UTC instants. Active days are
counted with the constant-offset day numbers of ``local_time``. A user or
feature scope reaches SQL only through the fixed column tables below, and the
caller's id is always a bound parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Column, ColumnElement, Row, case, distinct, false, func, literal, select

from analytics.adapters.sql.dialect import DialectHooks
from analytics.adapters.sql.local_time import local_day_number
from analytics.adapters.sql.schema import cost_records
from analytics.adapters.sql.session import SqlSession
from analytics.domain import DailySpendSummary, EntityDimension, EntityType
from analytics.domain.money import divide_half_even, nanos_to_usd
from analytics.domain.time import day_bounds, offset_segments, range_bounds
from analytics.ports.validation.anomalies_spend import DayRangeRequest, SpendScope

DIMENSION_COLUMNS: Final[Mapping[EntityDimension, Column[Any]]] = {
    EntityDimension.USER: cost_records.c.user_id,
    EntityDimension.FEATURE: cost_records.c.feature_tag,
}
"""The cost-record column that groups records into entities of each dimension."""

SCOPE_COLUMNS: Final[Mapping[EntityType, Column[Any]]] = {
    EntityType.USER: cost_records.c.user_id,
    EntityType.FEATURE: cost_records.c.feature_tag,
}
"""The cost-record column a user or feature scope matches. A tenant scope has none."""


@dataclass(frozen=True)
class SpendTotals:
    """Integer sums of a set of cost records."""

    nanos: int
    requests: int
    active_days: int


@dataclass(frozen=True)
class DayCounts:
    """Records, retried records and input tokens of one local day."""

    requests: int
    retries: int
    input_tokens: int


def record_window(
    tenant_id: str, start: datetime, end: datetime, include_synthetic: bool
) -> list[ColumnElement[bool]]:
    """Return the conditions for a tenant's cost records in the UTC range ``[start, end)``."""
    conditions = [
        cost_records.c.tenant_id == tenant_id,
        cost_records.c.occurred_at >= start,
        cost_records.c.occurred_at < end,
    ]
    if not include_synthetic:
        conditions.append(cost_records.c.is_synthetic.is_(false()))
    return conditions


def scope_conditions(scope: SpendScope) -> list[ColumnElement[bool]]:
    """Return the condition of a user or feature scope, or none for the whole tenant."""
    if scope.entity_type is EntityType.TENANT:
        return []
    return [SCOPE_COLUMNS[scope.entity_type] == scope.entity_id]


def sum_or_zero(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """Return ``SUM(column)``, or 0 when no row matches."""
    return func.coalesce(func.sum(column), 0)


def local_day_key(
    dialect: DialectHooks, start: datetime, end: datetime, tz: str
) -> ColumnElement[int]:
    """Return the local day number of ``occurred_at`` in ``tz``, for rows in ``[start, end)``."""
    return local_day_number(dialect, cost_records.c.occurred_at, offset_segments(start, end, tz))


def summary_fields(start_day: date, end_day: date, tz: str, totals: SpendTotals) -> dict[str, Any]:
    """Return the fields of a ``DailySpendSummary``, with both averages rounded half-even."""
    calendar_days = (end_day - start_day).days
    per_active_day = None
    if totals.active_days:
        per_active_day = nanos_to_usd(divide_half_even(totals.nanos, totals.active_days))

    return {
        "start_day": start_day,
        "end_day": end_day,
        "tz": tz,
        "total_usd": nanos_to_usd(totals.nanos),
        "requests": totals.requests,
        "active_days": totals.active_days,
        "calendar_days": calendar_days,
        "avg_per_active_day_usd": per_active_day,
        "avg_per_calendar_day_usd": nanos_to_usd(divide_half_even(totals.nanos, calendar_days)),
    }


async def spend_nanos(
    session: SqlSession, request: DayRangeRequest, start: datetime, end: datetime
) -> int:
    """Sum the cost of the request's scope in the UTC range ``[start, end)``."""
    conditions = record_window(request.tenant_id, start, end, request.include_synthetic)
    conditions += scope_conditions(request.scope)
    query = select(sum_or_zero(cost_records.c.cost_nanos).label("total_nanos")).where(*conditions)

    row = await session.fetch_one(query)
    return int(row.total_nanos)


async def day_range_summary(session: SqlSession, request: DayRangeRequest) -> DailySpendSummary:
    """Summarise the whole tenant's spend over the request's local days, in one query."""
    start, end = range_bounds(request.start_day, request.end_day, request.tz)
    day_key = local_day_key(session.dialect, start, end, request.tz)
    query = select(
        sum_or_zero(cost_records.c.cost_nanos).label("total_nanos"),
        func.count().label("requests"),
        func.count(distinct(day_key)).label("active_days"),
    ).where(*record_window(request.tenant_id, start, end, request.include_synthetic))

    row = await session.fetch_one(query)
    totals = SpendTotals(int(row.total_nanos), int(row.requests), int(row.active_days))
    fields = summary_fields(request.start_day, request.end_day, request.tz, totals)
    return DailySpendSummary(**fields)


async def today_and_yesterday(
    session: SqlSession, request: DayRangeRequest
) -> tuple[DayCounts, DayCounts]:
    """Count records, retries and input tokens of ``start_day`` and the day before, in one query.

    The query reads the UTC range of both local days and splits it at the
    start of ``start_day`` with conditional sums.
    """
    yesterday_start, today_start = day_bounds(request.start_day - timedelta(days=1), request.tz)
    _, today_end = day_bounds(request.start_day, request.tz)
    conditions = record_window(
        request.tenant_id, yesterday_start, today_end, request.include_synthetic
    )
    is_today = cost_records.c.occurred_at >= today_start
    is_retry = case((cost_records.c.is_retry, 1), else_=0)

    query = select(
        *_split_at_today(is_today, "requests", literal(1)),
        *_split_at_today(is_today, "retries", is_retry),
        *_split_at_today(is_today, "input_tokens", cost_records.c.input_tokens),
    ).where(*conditions, *scope_conditions(request.scope))
    row = await session.fetch_one(query)

    return _day_counts(row, "today"), _day_counts(row, "yesterday")


def _split_at_today(
    is_today: ColumnElement[bool], name: str, measure: ColumnElement[Any]
) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """Return the sums of ``measure`` over today's and over yesterday's rows."""
    today = sum_or_zero(case((is_today, measure), else_=0))
    yesterday = sum_or_zero(case((is_today, 0), else_=measure))
    return today.label(f"today_{name}"), yesterday.label(f"yesterday_{name}")


def _day_counts(row: Row[Any], day: str) -> DayCounts:
    values = row._mapping
    return DayCounts(
        requests=int(values[f"{day}_requests"]),
        retries=int(values[f"{day}_retries"]),
        input_tokens=int(values[f"{day}_input_tokens"]),
    )
