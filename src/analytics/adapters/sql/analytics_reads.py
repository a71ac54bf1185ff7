"""The AnalyticsReadDriver shared by the SQL backends."""

from __future__ import annotations

from datetime import datetime

from analytics.adapters.sql.session import SqlSession
from analytics.domain import (
    BucketUnit,
    ExecutionPoint,
    FeatureCostBreakdown,
    ModelCostBreakdown,
    SpendPoint,
    UsagePoint,
)


class SqlAnalyticsReadDriver:
    """AnalyticsReadDriver on SQLAlchemy Core, for every SQL backend."""

    def __init__(self, session: SqlSession) -> None:
        self._session = session

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
        raise NotImplementedError("AnalyticsReadDriver.fetch_cost_metrics is not built yet")

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
        raise NotImplementedError("AnalyticsReadDriver.fetch_llm_usage is not built yet")

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
        raise NotImplementedError("AnalyticsReadDriver.fetch_worker_execution is not built yet")

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
        raise NotImplementedError("AnalyticsReadDriver.fetch_cost_spend is not built yet")

    async def fetch_cost_by_model(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        limit: int = 50,
        include_synthetic: bool = False,
    ) -> ModelCostBreakdown:
        raise NotImplementedError("AnalyticsReadDriver.fetch_cost_by_model is not built yet")

    async def fetch_cost_by_feature(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        limit: int = 50,
        include_synthetic: bool = False,
    ) -> FeatureCostBreakdown:
        raise NotImplementedError("AnalyticsReadDriver.fetch_cost_by_feature is not built yet")
