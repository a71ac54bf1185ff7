"""Spend, baselines and day comparisons of the cost-anomaly driver."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Select, case, distinct, func, select, true

from analytics.adapters.sql.dialect import DialectHooks
from analytics.adapters.sql.local_time import day_of
from analytics.adapters.sql.schema import cost_records
from analytics.adapters.sql.session import SqlSession
from analytics.adapters.sql.spend_queries import (
    DIMENSION_COLUMNS,
    DayCounts,
    SpendTotals,
    day_range_summary,
    local_day_key,
    record_window,
    spend_nanos,
    sum_or_zero,
    summary_fields,
    today_and_yesterday,
)
from analytics.domain import (
    DailySpendSummary,
    EntityDailySpendSummary,
    EntityDayActivity,
    EntityDimension,
    EntitySpend,
    EntityType,
    FeatureConcentration,
    PromptComparison,
    PromptStats,
    RequestComparison,
    RetryComparison,
    RetryShare,
)
from analytics.domain.money import nanos_to_usd, ratio_6
from analytics.domain.time import day_bounds, month_bounds, range_bounds
from analytics.ports.validation import anomalies_spend as check
from analytics.ports.validation.anomalies_spend import DayRangeRequest, EntityRequest


class SqlAnomalySpendReads:
    """Spend, baselines and day comparisons of the cost-anomaly driver."""

    def __init__(self, session: SqlSession) -> None:
        self._session = session

    async def fetch_entity_baseline(
        self,
        tenant_id: str,
        *,
        dimension: EntityDimension,
        start_day: date,
        end_day: date,
        tz: str = "UTC",
        entity_ids: Sequence[str] | None = None,
        limit: int = 1000,
        include_synthetic: bool = False,
    ) -> list[EntityDailySpendSummary]:
        request = check.entity_baseline(
            tenant_id, dimension, start_day, end_day, tz, entity_ids, limit, include_synthetic
        )
        if request.entity_ids is not None and not request.entity_ids:
            return []

        query = _entity_baseline_query(self._session.dialect, request)
        rows = await self._session.fetch_all(query)

        summaries = {row.entity_id: _entity_summary(request, row) for row in rows}
        if request.entity_ids is None:
            return list(summaries.values())
        return _one_summary_per_id(request, request.entity_ids, summaries)

    async def fetch_entity_today_spend(
        self,
        tenant_id: str,
        *,
        dimension: EntityDimension,
        day: date,
        tz: str = "UTC",
        limit: int = 1000,
        include_synthetic: bool = False,
    ) -> list[EntitySpend]:
        request = check.entity_day(tenant_id, dimension, day, tz, limit, include_synthetic)

        rows = await self._session.fetch_all(_entity_day_query(request))

        return [
            EntitySpend(
                dimension=request.dimension,
                entity_id=row.entity_id,
                spend_usd=nanos_to_usd(int(row.spend_nanos)),
                requests=int(row.requests),
            )
            for row in rows
        ]

    async def fetch_tenant_baseline(
        self,
        tenant_id: str,
        *,
        start_day: date,
        end_day: date,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> DailySpendSummary:
        request = check.day_range(tenant_id, start_day, end_day, tz, include_synthetic)
        return await day_range_summary(self._session, request)

    async def fetch_tenant_today_spend(
        self,
        tenant_id: str,
        *,
        day: date,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> Decimal:
        request = check.one_day(tenant_id, day, tz, include_synthetic)
        start, end = day_bounds(request.start_day, request.tz)
        return nanos_to_usd(await spend_nanos(self._session, request, start, end))

    async def fetch_rolling_avg(
        self,
        tenant_id: str,
        *,
        last_day: date,
        days: int = 7,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> DailySpendSummary:
        request = check.rolling_days(tenant_id, last_day, days, tz, include_synthetic)
        return await day_range_summary(self._session, request)

    async def fetch_baseline_avg(
        self,
        tenant_id: str,
        *,
        start_day: date,
        end_day: date,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> DailySpendSummary:
        request = check.day_range(tenant_id, start_day, end_day, tz, include_synthetic)
        return await day_range_summary(self._session, request)

    async def fetch_daily_spend(
        self,
        tenant_id: str,
        *,
        day: date,
        tz: str = "UTC",
        budget_type: EntityType = EntityType.TENANT,
        entity_id: str | None = None,
        include_synthetic: bool = False,
    ) -> Decimal:
        request = check.scoped_day(
            tenant_id, day, tz, "budget_type", budget_type, entity_id, include_synthetic
        )
        start, end = day_bounds(request.start_day, request.tz)
        return nanos_to_usd(await spend_nanos(self._session, request, start, end))

    async def fetch_monthly_spend(
        self,
        tenant_id: str,
        *,
        month_start: date,
        tz: str = "UTC",
        budget_type: EntityType = EntityType.TENANT,
        entity_id: str | None = None,
        include_synthetic: bool = False,
    ) -> Decimal:
        request = check.one_month(
            tenant_id, month_start, tz, budget_type, entity_id, include_synthetic
        )
        start, end = month_bounds(request.start_day, request.tz)
        return nanos_to_usd(await spend_nanos(self._session, request, start, end))

    async def fetch_retry_comparison(
        self,
        tenant_id: str,
        *,
        day: date,
        tz: str = "UTC",
        entity_type: EntityType = EntityType.TENANT,
        entity_id: str | None = None,
        include_synthetic: bool = False,
    ) -> RetryComparison:
        request = check.scoped_day(
            tenant_id, day, tz, "entity_type", entity_type, entity_id, include_synthetic
        )
        today, yesterday = await today_and_yesterday(self._session, request)
        return RetryComparison(
            day=request.start_day, today=_retry_share(today), yesterday=_retry_share(yesterday)
        )

    async def fetch_prompt_comparison(
        self,
        tenant_id: str,
        *,
        day: date,
        tz: str = "UTC",
        entity_type: EntityType = EntityType.TENANT,
        entity_id: str | None = None,
        include_synthetic: bool = False,
    ) -> PromptComparison:
        request = check.scoped_day(
            tenant_id, day, tz, "entity_type", entity_type, entity_id, include_synthetic
        )
        today, yesterday = await today_and_yesterday(self._session, request)
        return PromptComparison(
            day=request.start_day, today=_prompt_stats(today), yesterday=_prompt_stats(yesterday)
        )

    async def fetch_feature_concentration(
        self,
        tenant_id: str,
        *,
        day: date,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> FeatureConcentration:
        request = check.one_day(tenant_id, day, tz, include_synthetic)

        row = await self._session.fetch_one(_feature_concentration_query(request))

        return _feature_concentration(request.start_day, row)

    async def fetch_request_comparison(
        self,
        tenant_id: str,
        *,
        day: date,
        tz: str = "UTC",
        entity_type: EntityType = EntityType.TENANT,
        entity_id: str | None = None,
        include_synthetic: bool = False,
    ) -> RequestComparison:
        request = check.scoped_day(
            tenant_id, day, tz, "entity_type", entity_type, entity_id, include_synthetic
        )
        today, yesterday = await today_and_yesterday(self._session, request)
        return RequestComparison(
            day=request.start_day, today=today.requests, yesterday=yesterday.requests
        )

    async def fetch_entity_day_activity(
        self,
        tenant_id: str,
        *,
        dimension: EntityDimension,
        entity_ids: Sequence[str],
        start_day: date,
        end_day: date,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> list[EntityDayActivity]:
        request = check.entity_day_activity(
            tenant_id, dimension, entity_ids, start_day, end_day, tz, include_synthetic
        )
        if not request.entity_ids:
            return []

        query = _day_activity_query(self._session.dialect, request, request.entity_ids)
        rows = await self._session.fetch_all(query)

        return [_day_activity(row) for row in rows]


# Per-entity summaries over a day range.


def _entity_baseline_query(dialect: DialectHooks, request: EntityRequest) -> Select[Any]:
    """Build the per-entity totals, record counts and active local days of a day range."""
    start, end = range_bounds(request.start_day, request.end_day, request.tz)
    column = DIMENSION_COLUMNS[request.dimension]
    total = sum_or_zero(cost_records.c.cost_nanos).label("total_nanos")
    requests = func.count().label("requests")
    active_days = func.count(distinct(local_day_key(dialect, start, end, request.tz)))

    query = (
        select(column.label("entity_id"), total, requests, active_days.label("active_days"))
        .where(*record_window(request.tenant_id, start, end, request.include_synthetic))
        .group_by(column)
    )
    if request.entity_ids is not None:
        return query.where(column.in_(request.entity_ids))
    return (
        query.where(column.is_not(None))
        .order_by(total.desc(), requests.desc(), column.asc())
        .limit(request.limit)
    )


def _entity_summary(request: EntityRequest, row: Row[Any]) -> EntityDailySpendSummary:
    totals = SpendTotals(int(row.total_nanos), int(row.requests), int(row.active_days))
    return _entity_summary_of(request, row.entity_id, totals)


def _entity_summary_of(
    request: EntityRequest, entity_id: str, totals: SpendTotals
) -> EntityDailySpendSummary:
    fields = summary_fields(request.start_day, request.end_day, request.tz, totals)
    return EntityDailySpendSummary(**fields, dimension=request.dimension, entity_id=entity_id)


def _one_summary_per_id(
    request: EntityRequest, entity_ids: list[str], found: dict[str, EntityDailySpendSummary]
) -> list[EntityDailySpendSummary]:
    """Return one summary per requested id, zeros for ids without records, in the result order."""
    no_records = SpendTotals(nanos=0, requests=0, active_days=0)
    summaries = [
        found[entity_id]
        if entity_id in found
        else _entity_summary_of(request, entity_id, no_records)
        for entity_id in entity_ids
    ]
    # Python compares str by code point, which is the binary order of the SQL reads.
    summaries.sort(key=lambda item: (-item.total_usd, -item.requests, item.entity_id))
    return summaries


# Per-entity spend of one local day.


def _entity_day_query(request: EntityRequest) -> Select[Any]:
    """Build the per-entity spend and record counts of one local day, in the result order."""
    start, end = day_bounds(request.start_day, request.tz)
    column = DIMENSION_COLUMNS[request.dimension]
    spend = sum_or_zero(cost_records.c.cost_nanos).label("spend_nanos")
    requests = func.count().label("requests")

    return (
        select(column.label("entity_id"), spend, requests)
        .where(*record_window(request.tenant_id, start, end, request.include_synthetic))
        .where(column.is_not(None))
        .group_by(column)
        .order_by(spend.desc(), requests.desc(), column.asc())
        .limit(request.limit)
    )


# Day comparisons.


def _retry_share(counts: DayCounts) -> RetryShare:
    share = ratio_6(counts.retries, counts.requests) if counts.requests else None
    return RetryShare(requests=counts.requests, retries=counts.retries, share=share)


def _prompt_stats(counts: DayCounts) -> PromptStats:
    average = ratio_6(counts.input_tokens, counts.requests) if counts.requests else None
    return PromptStats(
        requests=counts.requests, input_tokens=counts.input_tokens, avg_input_tokens=average
    )


def _feature_concentration_query(request: DayRangeRequest) -> Select[Any]:
    """Build one row of the day's spend totals joined with its top feature tag.

    Spend is grouped per tag first (untagged records form the NULL group).
    The totals add up the groups, and the top tag is the first tagged group
    by spend, then records, then tag. The outer join keeps the totals row
    when no tagged group exists.
    """
    start, end = day_bounds(request.start_day, request.tz)
    tag = cost_records.c.feature_tag
    per_tag = (
        select(
            tag.label("tag"),
            sum_or_zero(cost_records.c.cost_nanos).label("spend_nanos"),
            func.count().label("requests"),
        )
        .where(*record_window(request.tenant_id, start, end, request.include_synthetic))
        .group_by(tag)
        .cte("per_tag")
    )
    totals = _concentration_totals(per_tag)
    top = (
        select(per_tag.c.tag, per_tag.c.spend_nanos)
        .where(per_tag.c.tag.is_not(None))
        .order_by(per_tag.c.spend_nanos.desc(), per_tag.c.requests.desc(), per_tag.c.tag.asc())
        .limit(1)
        .subquery("top_tag")
    )
    return select(
        totals.c.total_nanos,
        totals.c.untagged_nanos,
        totals.c.feature_count,
        top.c.tag.label("top_tag"),
        top.c.spend_nanos.label("top_nanos"),
    ).select_from(totals.outerjoin(top, true()))


def _concentration_totals(per_tag: Any) -> Any:
    untagged = case((per_tag.c.tag.is_(None), per_tag.c.spend_nanos), else_=0)
    return select(
        sum_or_zero(per_tag.c.spend_nanos).label("total_nanos"),
        sum_or_zero(untagged).label("untagged_nanos"),
        func.count(per_tag.c.tag).label("feature_count"),
    ).subquery("totals")


def _feature_concentration(day: date, row: Row[Any]) -> FeatureConcentration:
    total = int(row.total_nanos)
    untagged = int(row.untagged_nanos)
    tagged = total - untagged
    top = 0 if row.top_tag is None else int(row.top_nanos)

    return FeatureConcentration(
        day=day,
        total_spend_usd=nanos_to_usd(total),
        tagged_spend_usd=nanos_to_usd(tagged),
        untagged_spend_usd=nanos_to_usd(untagged),
        feature_count=int(row.feature_count),
        top_feature_tag=row.top_tag,
        top_feature_spend_usd=nanos_to_usd(top),
        share_of_tagged=_top_share(row.top_tag, top, tagged),
        share_of_total=_top_share(row.top_tag, top, total),
    )


def _top_share(top_tag: str | None, top_nanos: int, denominator: int) -> Decimal | None:
    if top_tag is None or denominator == 0:
        return None
    return ratio_6(top_nanos, denominator)


# Per-entity activity per local day.


def _day_activity_query(
    dialect: DialectHooks, request: EntityRequest, entity_ids: list[str]
) -> Select[Any]:
    """Build the per-entity, per-local-day sums of the requested ids, in the result order."""
    start, end = range_bounds(request.start_day, request.end_day, request.tz)
    column = DIMENSION_COLUMNS[request.dimension]
    local_day = local_day_key(dialect, start, end, request.tz).label("local_day")

    return (
        select(
            column.label("entity_id"),
            local_day,
            func.count().label("requests"),
            sum_or_zero(case((cost_records.c.is_retry, 1), else_=0)).label("retries"),
            sum_or_zero(cost_records.c.input_tokens).label("input_tokens"),
            sum_or_zero(cost_records.c.cost_nanos).label("spend_nanos"),
        )
        .where(*record_window(request.tenant_id, start, end, request.include_synthetic))
        .where(column.in_(entity_ids))
        .group_by(column, local_day)
        .order_by(column.asc(), local_day.asc())
    )


def _day_activity(row: Row[Any]) -> EntityDayActivity:
    return EntityDayActivity(
        entity_id=row.entity_id,
        day=day_of(row.local_day),
        requests=int(row.requests),
        retries=int(row.retries),
        input_tokens=int(row.input_tokens),
        spend_usd=nanos_to_usd(int(row.spend_nanos)),
    )
