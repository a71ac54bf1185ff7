"""Builders and helpers shared by the run, trace and worker-run write scenarios.

Unless the caller passes other values, every builder returns a row whose
times satisfy the lifecycle rules for its status. A row is created at 06:30Z
and started at 06:31Z unless queued. A terminal run or worker run finishes at
06:35Z, and a terminal trace completes at 06:40Z.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from analytics.domain import (
    TERMINAL_RUN_STATUSES,
    NewRun,
    NewTrace,
    NewWorkerRun,
    RunStatus,
    TraceStatus,
)
from analytics.ports import UnitOfWork
from tests.contract.example_data import utc
from tests.contract.harness import Harness

ResultT = TypeVar("ResultT")

CREATED_AT = utc(2024, 3, 10, 6, 30)
STARTED_AT = utc(2024, 3, 10, 6, 31)
FINISHED_AT = utc(2024, 3, 10, 6, 35)
TRACE_COMPLETED_AT = utc(2024, 3, 10, 6, 40)

# The store clock while rows are created, and a later one for updates.
CREATE_CLOCK = utc(2024, 3, 10, 7)
UPDATE_CLOCK = utc(2024, 3, 10, 8)

RUN_STATUSES = tuple(RunStatus)
INVALID_TENANT_IDS = ["", " t1", "t" * 65, "t\x001"]


def _lifecycle_times(status: RunStatus, finish_field: str) -> dict[str, Any]:
    times: dict[str, Any] = {}
    if status is not RunStatus.QUEUED:
        times["started_at"] = STARTED_AT
    if status in TERMINAL_RUN_STATUSES:
        times[finish_field] = FINISHED_AT
    return times


def new_run(run_id: str = "run-1", status: RunStatus = RunStatus.QUEUED, **fields: Any) -> NewRun:
    """Build a run whose times fit its status, with ``fields`` replacing any default."""
    values: dict[str, Any] = {
        "id": run_id,
        "status": status,
        "created_at": CREATED_AT,
        **_lifecycle_times(status, "finished_at"),
        **fields,
    }
    return NewRun(**values)


def new_worker_run(
    run_id: str = "wr-1", status: RunStatus = RunStatus.QUEUED, **fields: Any
) -> NewWorkerRun:
    """Build a worker run of worker ``wk-a`` whose times fit its status."""
    values: dict[str, Any] = {
        "id": run_id,
        "worker_id": "wk-a",
        "task": f"task-{run_id}",
        "status": status,
        "created_at": CREATED_AT,
        **_lifecycle_times(status, "completed_at"),
        **fields,
    }
    if status in (RunStatus.FAILED, RunStatus.CRASHED) and "error" not in fields:
        values["error"] = "Timeout after 30s"
    return NewWorkerRun(**values)


def new_trace(
    trace_id: str = "tr-1", status: TraceStatus = TraceStatus.RUNNING, **fields: Any
) -> NewTrace:
    """Build a trace started at 06:30Z, completed at 06:40Z when terminal."""
    values: dict[str, Any] = {"trace_id": trace_id, "status": status, "started_at": CREATED_AT}
    if status is not TraceStatus.RUNNING:
        values["completed_at"] = TRACE_COMPLETED_AT
    return NewTrace(**{**values, **fields})


async def in_unit(backend: Harness, call: Callable[[UnitOfWork], Awaitable[ResultT]]) -> ResultT:
    """Run one call in its own unit of work and commit it."""
    async with backend.uow() as uow:
        return await call(uow)


async def race(
    backend: Harness,
    first: Callable[[UnitOfWork], Awaitable[ResultT]],
    second: Callable[[UnitOfWork], Awaitable[ResultT]],
) -> tuple[ResultT | BaseException, ResultT | BaseException]:
    """Run two calls in two units of work that overlap, and return each result or error.

    The first unit makes its call and then waits while the second unit starts
    its own call, so the second call has to wait for the first unit's commit.
    """
    later: asyncio.Task[ResultT] | None = None
    first_outcome: ResultT | BaseException
    async with backend.uow() as uow:
        try:
            first_outcome = await first(uow)
        except Exception as error:
            first_outcome = error
        later = asyncio.create_task(in_unit(backend, second))
        await asyncio.sleep(0.3)

    second_outcome: ResultT | BaseException
    try:
        second_outcome = await later
    except Exception as error:
        second_outcome = error
    return first_outcome, second_outcome
