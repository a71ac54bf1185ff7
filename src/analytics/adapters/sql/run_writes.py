"""The RunWriteDriver shared by the SQL backends."""

from __future__ import annotations

from collections.abc import Sequence

from analytics.adapters.sql.session import SqlSession
from analytics.domain import (
    NewRun,
    NewTrace,
    NewWorkerRun,
    Run,
    RunStatusUpdate,
    Trace,
    TraceStatusUpdate,
    WorkerRun,
    WorkerRunStatusUpdate,
    WriteResult,
)


class SqlRunWriteDriver:
    """RunWriteDriver on SQLAlchemy Core, for every SQL backend."""

    def __init__(self, session: SqlSession) -> None:
        self._session = session

    async def record_run(
        self,
        tenant_id: str,
        *,
        run: NewRun,
    ) -> WriteResult[Run]:
        raise NotImplementedError("RunWriteDriver.record_run is not built yet")

    async def update_run_status(
        self,
        tenant_id: str,
        *,
        run_id: str,
        update: RunStatusUpdate,
    ) -> WriteResult[Run]:
        raise NotImplementedError("RunWriteDriver.update_run_status is not built yet")

    async def record_trace(
        self,
        tenant_id: str,
        *,
        trace: NewTrace,
    ) -> WriteResult[Trace]:
        raise NotImplementedError("RunWriteDriver.record_trace is not built yet")

    async def update_trace_status(
        self,
        tenant_id: str,
        *,
        trace_id: str,
        update: TraceStatusUpdate,
    ) -> WriteResult[Trace]:
        raise NotImplementedError("RunWriteDriver.update_trace_status is not built yet")

    async def record_worker_run(
        self,
        tenant_id: str,
        *,
        run: NewWorkerRun,
    ) -> WriteResult[WorkerRun]:
        raise NotImplementedError("RunWriteDriver.record_worker_run is not built yet")

    async def record_worker_runs(
        self,
        tenant_id: str,
        *,
        runs: Sequence[NewWorkerRun],
    ) -> list[WriteResult[WorkerRun]]:
        raise NotImplementedError("RunWriteDriver.record_worker_runs is not built yet")

    async def update_worker_run_status(
        self,
        tenant_id: str,
        *,
        run_id: str,
        update: WorkerRunStatusUpdate,
    ) -> WriteResult[WorkerRun]:
        raise NotImplementedError("RunWriteDriver.update_worker_run_status is not built yet")

    async def record_runs(
        self,
        tenant_id: str,
        *,
        runs: Sequence[NewRun],
    ) -> list[WriteResult[Run]]:
        raise NotImplementedError("RunWriteDriver.record_runs is not built yet")
