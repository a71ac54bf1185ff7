"""Breach history, drift trackers, budgets and anomalies of the cost-anomaly driver."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from analytics.adapters.sql.session import SqlSession
from analytics.domain import (
    AnomalySeverity,
    AnomalyType,
    BreachRecord,
    BreachStreak,
    BreachType,
    Budget,
    CostAnomaly,
    DriftObservation,
    DriftTracker,
    EntityType,
    NewAnomaly,
    NewBreach,
    WriteResult,
)


class SqlAnomalyBookkeeping:
    """Breach history, drift trackers, budgets and anomalies of the cost-anomaly driver."""

    def __init__(self, session: SqlSession) -> None:
        self._session = session

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
