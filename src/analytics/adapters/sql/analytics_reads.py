"""The AnalyticsReadDriver shared by the SQL backends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func

from analytics.adapters.sql.breakdowns import (
    Breakdown,
    GroupTotals,
    cost_totals,
    fetch_breakdown,
)
from analytics.adapters.sql.cost_rollups import FEATURE_LEVELS, MODEL_LEVELS, Rollup
from analytics.adapters.sql.rollup_reads import fetch_cost_breakdown, fetch_cost_series
from analytics.adapters.sql.schema import cost_records, runs, traces
from analytics.adapters.sql.series import BucketTotals, SeriesSource, fetch_series
from analytics.adapters.sql.session import SqlSession
from analytics.domain import (
    BucketUnit,
    ExecutionPoint,
    FeatureCost,
    FeatureCostBreakdown,
    ModelCost,
    ModelCostBreakdown,
    SpendPoint,
    UsagePoint,
)
from analytics.domain.money import nanos_to_usd
from analytics.ports.validation.reads import (
    BreakdownQuery,
    SeriesQuery,
    breakdown_query,
    series_query,
)

COST_SERIES = SeriesSource(
    cost_records,
    "occurred_at",
    (
        func.count().label("requests"),
        func.sum(cost_records.c.cost_nanos).label("spend_nanos"),
        func.sum(cost_records.c.input_tokens).label("input_tokens"),
        func.sum(cost_records.c.output_tokens).label("output_tokens"),
    ),
)
"""Records, spend and tokens of cost records per bucket, by ``occurred_at``."""

RUN_SERIES = SeriesSource(
    runs,
    "created_at",
    (
        func.count().label("requests"),
        # A run without token counts yet counts as 0 tokens.
        func.coalesce(func.sum(runs.c.input_tokens), 0).label("input_tokens"),
        func.coalesce(func.sum(runs.c.output_tokens), 0).label("output_tokens"),
    ),
)
"""Runs of any status and their tokens per bucket, by ``created_at``."""

TRACE_SERIES = SeriesSource(traces, "started_at", (func.count().label("traces"),))
"""Traces of any status per bucket, by ``started_at``."""


class SqlAnalyticsReadDriver:
    """AnalyticsReadDriver on SQLAlchemy Core, for every SQL backend."""

    def __init__(self, session: SqlSession, *, use_rollups: bool = True) -> None:
        # use_rollups=False reads cost records only: the reference that tests compare with.
        self._session = session
        self._use_rollups = use_rollups

    async def fetch_cost_metrics(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        unit: BucketUnit,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> list[UsagePoint]:
        query = series_query(tenant_id, start, end, unit, tz, include_synthetic)

        buckets = await self._cost_series(query)

        return [_usage_point(bucket) for bucket in buckets]

    async def fetch_llm_usage(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        unit: BucketUnit,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> list[UsagePoint]:
        query = series_query(tenant_id, start, end, unit, tz, include_synthetic)

        buckets = await fetch_series(self._session, RUN_SERIES, query)

        return [_usage_point(bucket) for bucket in buckets]

    async def fetch_worker_execution(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        unit: BucketUnit,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> list[ExecutionPoint]:
        query = series_query(tenant_id, start, end, unit, tz, include_synthetic)

        buckets = await fetch_series(self._session, TRACE_SERIES, query)

        return [
            ExecutionPoint(
                bucket_start=bucket.start, bucket_end=bucket.end, traces=bucket.sums["traces"]
            )
            for bucket in buckets
        ]

    async def fetch_cost_spend(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        unit: BucketUnit,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> list[SpendPoint]:
        query = series_query(tenant_id, start, end, unit, tz, include_synthetic)

        buckets = await self._cost_series(query)

        return [_spend_point(bucket) for bucket in buckets]

    async def fetch_cost_by_model(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        limit: int = 50,
        include_synthetic: bool = False,
    ) -> ModelCostBreakdown:
        query = breakdown_query(tenant_id, start, end, limit, include_synthetic)

        breakdown = await self._cost_breakdown(MODEL_LEVELS, query)

        return ModelCostBreakdown(
            items=[_model_cost(group) for group in breakdown.items],
            rest=cost_totals(breakdown.rest),
            total=cost_totals(breakdown.total),
        )

    async def fetch_cost_by_feature(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        limit: int = 50,
        include_synthetic: bool = False,
    ) -> FeatureCostBreakdown:
        query = breakdown_query(tenant_id, start, end, limit, include_synthetic)

        breakdown = await self._cost_breakdown(FEATURE_LEVELS, query)

        return FeatureCostBreakdown(
            items=[_feature_cost(group) for group in breakdown.items],
            rest=cost_totals(breakdown.rest),
            total=cost_totals(breakdown.total),
        )

    async def _cost_series(self, query: SeriesQuery) -> list[BucketTotals]:
        if self._use_rollups:
            return await fetch_cost_series(self._session, COST_SERIES, query)
        return await fetch_series(self._session, COST_SERIES, query)

    async def _cost_breakdown(self, levels: Sequence[Rollup], query: BreakdownQuery) -> Breakdown:
        if self._use_rollups:
            return await fetch_cost_breakdown(self._session, levels, query)
        key = cost_records.c[str(levels[-1].source_column)]
        return await fetch_breakdown(self._session, key, query)


def _usage_point(bucket: BucketTotals) -> UsagePoint:
    input_tokens = bucket.sums["input_tokens"]
    output_tokens = bucket.sums["output_tokens"]
    return UsagePoint(
        bucket_start=bucket.start,
        bucket_end=bucket.end,
        requests=bucket.sums["requests"],
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
    )


def _spend_point(bucket: BucketTotals) -> SpendPoint:
    return SpendPoint(
        bucket_start=bucket.start,
        bucket_end=bucket.end,
        requests=bucket.sums["requests"],
        spend_usd=nanos_to_usd(bucket.sums["spend_nanos"]),
        input_tokens=bucket.sums["input_tokens"],
        output_tokens=bucket.sums["output_tokens"],
    )


def _model_cost(group: GroupTotals) -> ModelCost:
    return ModelCost(
        # model is NOT NULL, so every model group has a key.
        model=str(group.key),
        requests=group.requests,
        spend_usd=nanos_to_usd(group.spend_nanos),
        input_tokens=group.input_tokens,
        output_tokens=group.output_tokens,
        unpriced_requests=group.unpriced_requests,
    )


def _feature_cost(group: GroupTotals) -> FeatureCost:
    return FeatureCost(
        feature_tag=group.key,
        requests=group.requests,
        spend_usd=nanos_to_usd(group.spend_nanos),
        input_tokens=group.input_tokens,
        output_tokens=group.output_tokens,
    )
