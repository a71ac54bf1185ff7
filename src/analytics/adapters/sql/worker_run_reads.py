"""Worker-run reads shared by the pattern-detection and prediction drivers.

Both drivers read the same two lists, failed runs and completed runs with a
cost. Both lists take one tenant's runs with ``start <= created_at < end``,
optionally of one worker, without synthetic runs unless requested. They are
ordered by ``created_at`` descending, then ``id`` ascending, and cut at ``limit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, func, select

from analytics.adapters.sql.schema import worker_runs
from analytics.domain import (
    FAILURE_RUN_STATUSES,
    TERMINAL_RUN_STATUSES,
    RunStatus,
    WorkerRun,
    WorkerRunTotals,
)
from analytics.domain.money import nanos_to_usd
from analytics.ports.validation import common

MAX_WORKER_ID = 100
MAX_RUN_LIMIT = 10_000

_FAILURE_VALUES = sorted(status.value for status in FAILURE_RUN_STATUSES)
_TERMINAL_VALUES = sorted(status.value for status in TERMINAL_RUN_STATUSES)


@dataclass(frozen=True)
class WorkerRunRead:
    """The checked arguments of a worker-run list read."""

    tenant_id: str
    start: datetime
    end: datetime
    worker_id: str | None
    limit: int
    include_synthetic: bool
    require_error: bool = False


def check_worker_run_read(
    tenant_id: object,
    *,
    start: object,
    end: object,
    worker_id: object,
    limit: object,
    include_synthetic: object,
    require_error: object = False,
) -> WorkerRunRead:
    """Check the arguments of a worker-run list read in the order of the port signatures.

    ``require_error`` follows ``end`` in the one signature that has it, so it
    is checked there.
    """
    checked_tenant = common.tenant(tenant_id)
    checked_start, checked_end = common.window(start, end)
    checked_require_error = common.boolean("require_error", require_error)
    checked_worker = common.optional_identifier("worker_id", worker_id, MAX_WORKER_ID)
    checked_limit = common.limit(limit, MAX_RUN_LIMIT)
    checked_synthetic = common.boolean("include_synthetic", include_synthetic)

    return WorkerRunRead(
        tenant_id=checked_tenant,
        start=checked_start,
        end=checked_end,
        worker_id=checked_worker,
        limit=checked_limit,
        include_synthetic=checked_synthetic,
        require_error=checked_require_error,
    )


def failed_runs_query(read: WorkerRunRead) -> Select[Any]:
    """Select failed and crashed runs, with an error text only when ``require_error``."""
    conditions = [worker_runs.c.status.in_(_FAILURE_VALUES)]
    if read.require_error:
        conditions.append(worker_runs.c.error.is_not(None))
    return _list_query(read, conditions)


def costed_runs_query(read: WorkerRunRead) -> Select[Any]:
    """Select completed runs whose cost is above zero (a NULL cost is left out too)."""
    conditions = [
        worker_runs.c.status == RunStatus.COMPLETED.value,
        worker_runs.c.cost_nanos > 0,
    ]
    return _list_query(read, conditions)


def _list_query(read: WorkerRunRead, conditions: Sequence[ColumnElement[bool]]) -> Select[Any]:
    return (
        select(worker_runs)
        .where(*_scope(read.tenant_id, read.start, read.end, read.include_synthetic))
        .where(*_worker_filter(read.worker_id), *conditions)
        .order_by(worker_runs.c.created_at.desc(), worker_runs.c.id.asc())
        .limit(read.limit)
    )


def _scope(
    tenant_id: str, start: datetime, end: datetime, include_synthetic: bool
) -> list[ColumnElement[bool]]:
    conditions = [
        worker_runs.c.tenant_id == tenant_id,
        worker_runs.c.created_at >= start,
        worker_runs.c.created_at < end,
    ]
    if not include_synthetic:
        conditions.append(~worker_runs.c.is_synthetic)
    return conditions


def _worker_filter(worker_id: str | None) -> list[ColumnElement[bool]]:
    if worker_id is None:
        return []
    return [worker_runs.c.worker_id == worker_id]


def worker_run_from_row(row: Row[Any]) -> WorkerRun:
    """Map a ``worker_runs`` row to the domain model, the cost in USD."""
    mapping = row._mapping
    cost_nanos = mapping["cost_nanos"]
    return WorkerRun(
        id=mapping["id"],
        worker_id=mapping["worker_id"],
        task=mapping["task"],
        status=RunStatus(mapping["status"]),
        created_at=mapping["created_at"],
        user_id=mapping["user_id"],
        started_at=mapping["started_at"],
        completed_at=mapping["completed_at"],
        error=mapping["error"],
        total_tokens=mapping["total_tokens"],
        latency_ms=mapping["latency_ms"],
        cost_usd=None if cost_nanos is None else nanos_to_usd(int(cost_nanos)),
        parent_run_id=mapping["parent_run_id"],
        attempt=mapping["attempt"],
        is_retry=bool(mapping["is_retry"]),
        is_synthetic=bool(mapping["is_synthetic"]),
        tenant_id=mapping["tenant_id"],
        recorded_at=mapping["recorded_at"],
        updated_at=mapping["updated_at"],
    )


def run_totals_query(
    tenant_id: str,
    *,
    start: datetime,
    end: datetime,
    worker_ids: Sequence[str] | None,
    limit: int,
    include_synthetic: bool,
) -> Select[Any]:
    """Count terminal runs per worker in one grouped query, ordered by ``worker_id``.

    With ``worker_ids`` the result is bounded by that list, so no LIMIT applies.
    """
    status = worker_runs.c.status
    query = (
        select(
            worker_runs.c.worker_id,
            func.count().filter(status == RunStatus.COMPLETED.value).label("completed"),
            func.count().filter(status == RunStatus.FAILED.value).label("failed"),
            func.count().filter(status == RunStatus.CRASHED.value).label("crashed"),
        )
        .where(*_scope(tenant_id, start, end, include_synthetic))
        .where(status.in_(_TERMINAL_VALUES))
        .group_by(worker_runs.c.worker_id)
        .order_by(worker_runs.c.worker_id.asc())
    )
    if worker_ids is None:
        return query.limit(limit)
    return query.where(worker_runs.c.worker_id.in_(list(worker_ids)))


def run_totals_from_rows(
    rows: Sequence[Row[Any]], worker_ids: Sequence[str] | None
) -> list[WorkerRunTotals]:
    """Map grouped counts to totals, with a zero row for each requested worker without runs."""
    totals = {row.worker_id: _totals(row.worker_id, row) for row in rows}
    if worker_ids is None:
        return list(totals.values())
    return [totals.get(worker_id) or _totals(worker_id, None) for worker_id in worker_ids]


def _totals(worker_id: str, row: Row[Any] | None) -> WorkerRunTotals:
    completed = 0 if row is None else int(row.completed)
    failed = 0 if row is None else int(row.failed)
    crashed = 0 if row is None else int(row.crashed)
    return WorkerRunTotals(
        worker_id=worker_id,
        terminal=completed + failed + crashed,
        completed=completed,
        failed=failed,
        crashed=crashed,
    )
