"""The shared example data of the port contract, loaded through the ports.

Tenant ``t1`` has most rows, and ``t2`` has the rows that prove isolation.
2024-03-10 is a 23-hour day in America/New_York. Scenarios load what they
need with the ``load_*`` functions and compare with literal expected values.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from analytics.domain import (
    NewCostRecord,
    NewRun,
    NewTrace,
    NewWorkerRun,
    RunStatus,
    TraceStatus,
)
from analytics.ports import UnitOfWorkFactory

NY = "America/New_York"
KOLKATA = "Asia/Kolkata"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """Return an aware UTC instant."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def cost_record(
    occurred_at: datetime,
    *,
    user_id: str | None,
    feature_tag: str | None,
    model: str,
    input_tokens: int,
    output_tokens: int,
    cost_usd: str,
    is_retry: bool = False,
    is_synthetic: bool = False,
    request_id: str | None = None,
) -> NewCostRecord:
    """Build a cost record with the cost given as a decimal string."""
    return NewCostRecord(
        occurred_at=occurred_at,
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=Decimal(cost_usd),
        user_id=user_id,
        feature_tag=feature_tag,
        request_id=request_id,
        is_retry=is_retry,
        is_synthetic=is_synthetic,
    )


# Cost records r1..r8 of tenant t1 (r7 belongs to t2 and is listed separately).
R1 = cost_record(
    utc(2024, 3, 9, 14),
    user_id="u1",
    feature_tag="chat.reply",
    model="gpt-4o",
    input_tokens=100,
    output_tokens=50,
    cost_usd="0.10",
)
R2 = cost_record(
    utc(2024, 3, 10, 6, 30),
    user_id="u1",
    feature_tag="chat.reply",
    model="gpt-4o",
    input_tokens=200,
    output_tokens=100,
    cost_usd="0.20",
)
R3 = cost_record(
    utc(2024, 3, 10, 15),
    user_id="u2",
    feature_tag=None,
    model="claude-3",
    input_tokens=300,
    output_tokens=0,
    cost_usd="0.30",
    is_retry=True,
)
R4 = cost_record(
    utc(2024, 3, 11, 3, 59),
    user_id="u2",
    feature_tag="search.rank",
    model="gpt-4o",
    input_tokens=400,
    output_tokens=20,
    cost_usd="0.15",
)
R5 = cost_record(
    utc(2024, 3, 11, 4),
    user_id="u1",
    feature_tag="chat.reply",
    model="claude-3",
    input_tokens=50,
    output_tokens=50,
    cost_usd="0.05",
)
R6 = cost_record(
    utc(2024, 3, 10, 12),
    user_id="u1",
    feature_tag="chat.reply",
    model="gpt-4o",
    input_tokens=999,
    output_tokens=999,
    cost_usd="9.99",
    is_synthetic=True,
)
R7 = cost_record(
    utc(2024, 3, 10, 12),
    user_id="u1",
    feature_tag="chat.reply",
    model="gpt-4o",
    input_tokens=1,
    output_tokens=1,
    cost_usd="5.00",
)
R8 = cost_record(
    utc(2024, 4, 1, 3),
    user_id="u1",
    feature_tag="chat.reply",
    model="gpt-4o",
    input_tokens=10,
    output_tokens=10,
    cost_usd="1.00",
)

T1_COST_RECORDS = (R1, R2, R3, R4, R5, R6, R8)
T2_COST_RECORDS = (R7,)

# Runs of tenant t1: run-2 is still running, run-4 is synthetic.
T1_RUNS = (
    NewRun(
        id="run-1",
        status=RunStatus.COMPLETED,
        created_at=utc(2024, 3, 10, 6, 30),
        finished_at=utc(2024, 3, 10, 6, 31),
        input_tokens=100,
        output_tokens=20,
    ),
    NewRun(
        id="run-2",
        status=RunStatus.RUNNING,
        created_at=utc(2024, 3, 10, 15),
        started_at=utc(2024, 3, 10, 15),
    ),
    NewRun(
        id="run-3",
        status=RunStatus.COMPLETED,
        created_at=utc(2024, 3, 11, 4),
        finished_at=utc(2024, 3, 11, 4, 1),
        input_tokens=5,
        output_tokens=5,
    ),
    NewRun(
        id="run-4",
        status=RunStatus.COMPLETED,
        created_at=utc(2024, 3, 10, 12),
        finished_at=utc(2024, 3, 10, 12, 1),
        input_tokens=1000,
        output_tokens=1000,
        is_synthetic=True,
    ),
)

# Traces of tenant t1; tr-3 starts at 03:10 EDT, just after the spring-forward jump.
T1_TRACES = (
    NewTrace(trace_id="tr-1", status=TraceStatus.RUNNING, started_at=utc(2024, 3, 10, 6, 30)),
    NewTrace(trace_id="tr-2", status=TraceStatus.RUNNING, started_at=utc(2024, 3, 10, 6, 45)),
    NewTrace(trace_id="tr-3", status=TraceStatus.RUNNING, started_at=utc(2024, 3, 10, 7, 10)),
    NewTrace(trace_id="tr-4", status=TraceStatus.RUNNING, started_at=utc(2024, 3, 11, 4, 30)),
)


def worker_run(
    run_id: str,
    worker_id: str,
    status: RunStatus,
    created_at: datetime,
    *,
    cost_usd: str | None = None,
    error: str | None = None,
    is_synthetic: bool = False,
) -> NewWorkerRun:
    """Build a worker run; a terminal run completes one minute after it was created."""
    terminal = status in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CRASHED)
    return NewWorkerRun(
        id=run_id,
        worker_id=worker_id,
        task=f"task-{run_id}",
        status=status,
        created_at=created_at,
        completed_at=created_at.replace(minute=created_at.minute + 1) if terminal else None,
        error=error,
        cost_usd=None if cost_usd is None else Decimal(cost_usd),
        is_synthetic=is_synthetic,
    )


# Worker runs w1..w8 (w7 belongs to t2); the window used with them is WINDOW_W.
T1_WORKER_RUNS = (
    worker_run("w1", "wk-a", RunStatus.FAILED, utc(2024, 3, 10, 10), error="Timeout after 30s"),
    worker_run("w2", "wk-a", RunStatus.CRASHED, utc(2024, 3, 10, 11)),
    worker_run("w3", "wk-a", RunStatus.COMPLETED, utc(2024, 3, 10, 12), cost_usd="0.40"),
    worker_run("w4", "wk-b", RunStatus.COMPLETED, utc(2024, 3, 10, 12), cost_usd="0.25"),
    worker_run("w5", "wk-b", RunStatus.RUNNING, utc(2024, 3, 10, 13)),
    worker_run(
        "w6", "wk-b", RunStatus.FAILED, utc(2024, 3, 10, 9), error="boom", is_synthetic=True
    ),
    worker_run("w8", "wk-b", RunStatus.COMPLETED, utc(2024, 3, 10, 14), cost_usd="0.00"),
)
T2_WORKER_RUNS = (
    worker_run("w7", "wk-a", RunStatus.FAILED, utc(2024, 3, 10, 10, 30), error="Timeout after 30s"),
)
WINDOW_W = (utc(2024, 3, 10), utc(2024, 3, 11))


async def load_cost_records(uow_factory: UnitOfWorkFactory) -> None:
    """Store r1..r8 (t1) and r7 (t2) in one committed unit of work."""
    async with uow_factory() as uow:
        for record in T1_COST_RECORDS:
            await uow.cost_writes.create_cost_record("t1", record=record)
        for record in T2_COST_RECORDS:
            await uow.cost_writes.create_cost_record("t2", record=record)


async def load_runs_and_traces(uow_factory: UnitOfWorkFactory) -> None:
    """Store the example runs and traces of t1 in one committed unit of work."""
    async with uow_factory() as uow:
        for run in T1_RUNS:
            await uow.run_writes.record_run("t1", run=run)
        for trace in T1_TRACES:
            await uow.run_writes.record_trace("t1", trace=trace)


async def load_worker_runs(uow_factory: UnitOfWorkFactory) -> None:
    """Store w1..w8 (t1) and w7 (t2) in one committed unit of work."""
    async with uow_factory() as uow:
        for run in T1_WORKER_RUNS:
            await uow.run_writes.record_worker_run("t1", run=run)
        for run in T2_WORKER_RUNS:
            await uow.run_writes.record_worker_run("t2", run=run)
