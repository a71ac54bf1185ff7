"""The CostAnomalyDriver shared by the SQL backends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from analytics.adapters.sql.session import SqlSession
from analytics.domain import (
    AnomalySeverity,
    AnomalyType,
    BreachRecord,
    BreachStreak,
    BreachType,
    Budget,
    CostAnomaly,
    DailySpendSummary,
    DriftObservation,
    DriftTracker,
    EntityDailySpendSummary,
    EntityDayActivity,
    EntityDimension,
    EntitySpend,
    EntityType,
    FeatureConcentration,
    NewAnomaly,
    NewBreach,
    PromptComparison,
    RequestComparison,
    RetryComparison,
    WriteResult,
)


class SqlCostAnomalyDriver:
    """CostAnomalyDriver on SQLAlchemy Core, for every SQL backend."""

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

    async def fetch_breach_exists_today(
        self,
        tenant_id: str,
        *,
        entity_type: EntityType,
        entity_id: str | None,
        breach_type: BreachType,
        day: date,
    ) -> bool:
        raise NotImplementedError("CostAnomalyDriver.fetch_breach_exists_today is not built yet")

    async def insert_breach_history(
        self,
        tenant_id: str,
        *,
        breach: NewBreach,
    ) -> WriteResult[BreachRecord]:
        raise NotImplementedError("CostAnomalyDriver.insert_breach_history is not built yet")

    async def fetch_consecutive_breaches(
        self,
        tenant_id: str,
        *,
        entity_type: EntityType,
        entity_id: str | None,
        breach_type: BreachType,
        day: date,
        max_days: int = 7,
    ) -> int:
        raise NotImplementedError("CostAnomalyDriver.fetch_consecutive_breaches is not built yet")

    async def fetch_drift_tracking(
        self,
        tenant_id: str,
        *,
        entity_type: EntityType,
        entity_id: str | None,
    ) -> DriftTracker | None:
        raise NotImplementedError("CostAnomalyDriver.fetch_drift_tracking is not built yet")

    async def update_drift_tracking(
        self,
        tenant_id: str,
        *,
        tracker_id: str,
        observation: DriftObservation,
        day: date,
    ) -> WriteResult[DriftTracker]:
        raise NotImplementedError("CostAnomalyDriver.update_drift_tracking is not built yet")

    async def insert_drift_tracking(
        self,
        tenant_id: str,
        *,
        entity_type: EntityType,
        entity_id: str | None,
        observation: DriftObservation,
        day: date,
    ) -> WriteResult[DriftTracker]:
        raise NotImplementedError("CostAnomalyDriver.insert_drift_tracking is not built yet")

    async def reset_drift_tracking(
        self,
        tenant_id: str,
        *,
        entity_type: EntityType,
        entity_id: str | None,
    ) -> DriftTracker | None:
        raise NotImplementedError("CostAnomalyDriver.reset_drift_tracking is not built yet")

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

    async def list_active_budgets(
        self,
        tenant_id: str,
        *,
        budget_type: EntityType | None = None,
        limit: int = 1000,
    ) -> list[Budget]:
        raise NotImplementedError("CostAnomalyDriver.list_active_budgets is not built yet")

    async def upsert_anomaly(
        self,
        tenant_id: str,
        *,
        anomaly: NewAnomaly,
    ) -> WriteResult[CostAnomaly]:
        raise NotImplementedError("CostAnomalyDriver.upsert_anomaly is not built yet")

    async def list_anomalies(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        resolved: bool | None = None,
        anomaly_type: AnomalyType | None = None,
        severity: AnomalySeverity | None = None,
        entity_type: EntityType | None = None,
        limit: int = 100,
    ) -> list[CostAnomaly]:
        raise NotImplementedError("CostAnomalyDriver.list_anomalies is not built yet")

    async def resolve_anomaly(
        self,
        tenant_id: str,
        *,
        anomaly_id: str,
    ) -> CostAnomaly:
        raise NotImplementedError("CostAnomalyDriver.resolve_anomaly is not built yet")

    async def fetch_breach_streaks(
        self,
        tenant_id: str,
        *,
        entity_type: EntityType,
        entity_ids: Sequence[str],
        breach_type: BreachType,
        day: date,
        max_days: int = 7,
    ) -> list[BreachStreak]:
        raise NotImplementedError("CostAnomalyDriver.fetch_breach_streaks is not built yet")

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
