"""Runs, traces and worker runs, with their status updates and totals.

A run, trace or worker run moves from a non-terminal status to a terminal one
and then never changes. In an update, a field left as ``None`` keeps the stored
value.
"""

from __future__ import annotations

from datetime import datetime

from analytics.domain.common import (
    EnumInput,
    InputDecimal,
    InputModel,
    OutputDecimal,
    OutputModel,
    UtcDatetime,
)
from analytics.domain.enums import RunStatus, TraceStatus


class NewRun(InputModel):
    """Agent run as passed to ``record_run``; ``id`` is the caller's idempotency key."""

    id: str
    status: EnumInput[RunStatus]
    created_at: datetime
    model: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: InputDecimal | None = None
    is_synthetic: bool = False


class RunStatusUpdate(InputModel):
    """New status of a run, with the fields that change with it."""

    status: EnumInput[RunStatus]
    started_at: datetime | None = None
    finished_at: datetime | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: InputDecimal | None = None


class Run(OutputModel):
    """Stored run: the fields of ``NewRun`` plus tenant and audit times."""

    id: str
    status: RunStatus
    created_at: UtcDatetime
    model: str | None = None
    started_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: OutputDecimal | None = None
    is_synthetic: bool = False
    tenant_id: str
    recorded_at: UtcDatetime
    updated_at: UtcDatetime


class NewTrace(InputModel):
    """Trace as passed to ``record_trace``; ``trace_id`` is the caller's idempotency key."""

    trace_id: str
    run_id: str | None = None
    status: EnumInput[TraceStatus]
    started_at: datetime
    completed_at: datetime | None = None
    is_synthetic: bool = False


class TraceStatusUpdate(InputModel):
    """Terminal status of a trace and the time it completed."""

    status: EnumInput[TraceStatus]
    completed_at: datetime


class Trace(OutputModel):
    """Stored trace: the fields of ``NewTrace`` plus tenant and audit times."""

    trace_id: str
    run_id: str | None = None
    status: TraceStatus
    started_at: UtcDatetime
    completed_at: UtcDatetime | None = None
    is_synthetic: bool = False
    tenant_id: str
    recorded_at: UtcDatetime
    updated_at: UtcDatetime


class NewWorkerRun(InputModel):
    """Worker run as passed to ``record_worker_run``; ``id`` is the caller's idempotency key.

    ``latency_ms`` is in milliseconds. ``parent_run_id`` names the run this one
    retries, and ``attempt`` counts from 1.
    """

    id: str
    worker_id: str
    task: str
    status: EnumInput[RunStatus]
    created_at: datetime
    user_id: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    error: str | None = None
    total_tokens: int | None = None
    latency_ms: int | None = None
    cost_usd: InputDecimal | None = None
    parent_run_id: str | None = None
    attempt: int = 1
    is_retry: bool = False
    is_synthetic: bool = False


class WorkerRunStatusUpdate(InputModel):
    """New status of a worker run, with the fields that change with it."""

    status: EnumInput[RunStatus]
    started_at: datetime | None = None
    completed_at: datetime | None = None
    error: str | None = None
    total_tokens: int | None = None
    latency_ms: int | None = None
    cost_usd: InputDecimal | None = None


class WorkerRun(OutputModel):
    """Stored worker run: the fields of ``NewWorkerRun`` plus tenant and audit times."""

    id: str
    worker_id: str
    task: str
    status: RunStatus
    created_at: UtcDatetime
    user_id: str | None = None
    started_at: UtcDatetime | None = None
    completed_at: UtcDatetime | None = None
    error: str | None = None
    total_tokens: int | None = None
    latency_ms: int | None = None
    cost_usd: OutputDecimal | None = None
    parent_run_id: str | None = None
    attempt: int = 1
    is_retry: bool = False
    is_synthetic: bool = False
    tenant_id: str
    recorded_at: UtcDatetime
    updated_at: UtcDatetime


class WorkerRunTotals(OutputModel):
    """Terminal worker runs of one worker by status; ``terminal`` is their sum."""

    worker_id: str
    terminal: int
    completed: int
    failed: int
    crashed: int

    @property
    def failures(self) -> int:
        """Failed plus crashed runs."""
        return self.failed + self.crashed
