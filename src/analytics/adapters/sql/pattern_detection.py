"""The PatternDetectionDriver shared by the SQL backends."""

from __future__ import annotations

from datetime import datetime

from analytics.adapters.sql.session import SqlSession
from analytics.domain import (
    NewPatternFeedback,
    PatternFeedback,
    PatternType,
    WorkerRun,
    WriteResult,
)


class SqlPatternDetectionDriver:
    """PatternDetectionDriver on SQLAlchemy Core, for every SQL backend."""

    def __init__(self, session: SqlSession) -> None:
        self._session = session

    async def fetch_failed_runs(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        require_error: bool = True,
        worker_id: str | None = None,
        limit: int = 1000,
        include_synthetic: bool = False,
    ) -> list[WorkerRun]:
        raise NotImplementedError("PatternDetectionDriver.fetch_failed_runs is not built yet")

    async def fetch_completed_runs_with_costs(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        worker_id: str | None = None,
        limit: int = 1000,
        include_synthetic: bool = False,
    ) -> list[WorkerRun]:
        raise NotImplementedError(
            "PatternDetectionDriver.fetch_completed_runs_with_costs is not built yet"
        )

    async def insert_feedback(
        self,
        tenant_id: str,
        *,
        feedback: NewPatternFeedback,
    ) -> WriteResult[PatternFeedback]:
        raise NotImplementedError("PatternDetectionDriver.insert_feedback is not built yet")

    async def fetch_feedback_records(
        self,
        tenant_id: str,
        *,
        acknowledged: bool | None = None,
        pattern_type: PatternType | None = None,
        limit: int = 50,
    ) -> list[PatternFeedback]:
        raise NotImplementedError("PatternDetectionDriver.fetch_feedback_records is not built yet")

    async def acknowledge_feedback(
        self,
        tenant_id: str,
        *,
        feedback_id: str,
        acknowledged_by: str,
    ) -> PatternFeedback:
        raise NotImplementedError("PatternDetectionDriver.acknowledge_feedback is not built yet")
