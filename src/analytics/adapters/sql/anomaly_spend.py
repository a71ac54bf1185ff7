"""Spend, baselines and day comparisons of the cost-anomaly driver."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from analytics.adapters.sql.session import SqlSession
from analytics.domain import (
    DailySpendSummary,
    EntityDailySpendSummary,
    EntityDayActivity,
    EntityDimension,
    EntitySpend,
    EntityType,
    FeatureConcentration,
    PromptComparison,
    RequestComparison,
    RetryComparison,
)


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
        raise NotImplementedError("CostAnomalyDriver.fetch_entity_baseline is not built yet")

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
        raise NotImplementedError("CostAnomalyDriver.fetch_entity_today_spend is not built yet")

    async def fetch_tenant_baseline(
        self,
        tenant_id: str,
        *,
        start_day: date,
        end_day: date,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> DailySpendSummary:
        raise NotImplementedError("CostAnomalyDriver.fetch_tenant_baseline is not built yet")

    async def fetch_tenant_today_spend(
        self,
        tenant_id: str,
        *,
        day: date,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> Decimal:
        raise NotImplementedError("CostAnomalyDriver.fetch_tenant_today_spend is not built yet")

    async def fetch_rolling_avg(
        self,
        tenant_id: str,
        *,
        last_day: date,
        days: int = 7,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> DailySpendSummary:
        raise NotImplementedError("CostAnomalyDriver.fetch_rolling_avg is not built yet")

    async def fetch_baseline_avg(
        self,
        tenant_id: str,
        *,
        start_day: date,
        end_day: date,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> DailySpendSummary:
        raise NotImplementedError("CostAnomalyDriver.fetch_baseline_avg is not built yet")

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
        raise NotImplementedError("CostAnomalyDriver.fetch_daily_spend is not built yet")

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
        raise NotImplementedError("CostAnomalyDriver.fetch_monthly_spend is not built yet")

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
        raise NotImplementedError("CostAnomalyDriver.fetch_retry_comparison is not built yet")

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
        raise NotImplementedError("CostAnomalyDriver.fetch_prompt_comparison is not built yet")

    async def fetch_feature_concentration(
        self,
        tenant_id: str,
        *,
        day: date,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> FeatureConcentration:
        raise NotImplementedError("CostAnomalyDriver.fetch_feature_concentration is not built yet")

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
        raise NotImplementedError("CostAnomalyDriver.fetch_request_comparison is not built yet")

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
        raise NotImplementedError("CostAnomalyDriver.fetch_entity_day_activity is not built yet")
