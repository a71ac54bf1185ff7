"""The PredictionDriver shared by the SQL backends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from analytics.adapters.sql.session import SqlSession
from analytics.domain import (
    NewPrediction,
    PatternFeedback,
    PredictionEvent,
    PredictionOutcome,
    PredictionOutcomeCount,
    PredictionType,
    SubjectType,
    WorkerRun,
    WorkerRunTotals,
    WriteResult,
)


class SqlPredictionDriver:
    """PredictionDriver on SQLAlchemy Core, for every SQL backend."""

    def __init__(self, session: SqlSession) -> None:
        self._session = session

    async def fetch_failure_patterns(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        acknowledged: bool | None = None,
        limit: int = 100,
    ) -> list[PatternFeedback]:
        raise NotImplementedError("PredictionDriver.fetch_failure_patterns is not built yet")

    async def fetch_failed_runs(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        worker_id: str | None = None,
        limit: int = 100,
        include_synthetic: bool = False,
    ) -> list[WorkerRun]:
        raise NotImplementedError("PredictionDriver.fetch_failed_runs is not built yet")

    async def fetch_run_totals(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        worker_ids: Sequence[str] | None = None,
        limit: int = 1000,
        include_synthetic: bool = False,
    ) -> list[WorkerRunTotals]:
        raise NotImplementedError("PredictionDriver.fetch_run_totals is not built yet")

    async def fetch_cost_runs(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        worker_id: str | None = None,
        limit: int = 200,
        include_synthetic: bool = False,
    ) -> list[WorkerRun]:
        raise NotImplementedError("PredictionDriver.fetch_cost_runs is not built yet")

    async def fetch_predictions(
        self,
        tenant_id: str,
        *,
        prediction_type: PredictionType | None = None,
        subject_type: SubjectType | None = None,
        subject_id: str | None = None,
        valid_at: datetime | None = None,
        expired_before: datetime | None = None,
        outcome_pending: bool | None = None,
        limit: int = 50,
    ) -> list[PredictionEvent]:
        raise NotImplementedError("PredictionDriver.fetch_predictions is not built yet")

    async def insert_prediction(
        self,
        tenant_id: str,
        *,
        prediction: NewPrediction,
    ) -> PredictionEvent:
        raise NotImplementedError("PredictionDriver.insert_prediction is not built yet")

    async def record_prediction_outcome(
        self,
        tenant_id: str,
        *,
        prediction_id: str,
        outcome: PredictionOutcome,
        outcome_value: dict[str, Any] | None,
    ) -> WriteResult[PredictionEvent]:
        raise NotImplementedError("PredictionDriver.record_prediction_outcome is not built yet")

    async def count_prediction_outcomes(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
    ) -> list[PredictionOutcomeCount]:
        raise NotImplementedError("PredictionDriver.count_prediction_outcomes is not built yet")
