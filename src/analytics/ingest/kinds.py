"""The three kinds of rows a file can be ingested as, and how each is checked and written.

Each kind names its input model, the parse type of each field, its
idempotency key, its finish time (for the completion default), the port
validation of one item and the batch write of the port.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from analytics.domain import (
    CostSource,
    InputModel,
    NewCostRecord,
    NewRun,
    NewWorkerRun,
    RunStatus,
    WriteResult,
)
from analytics.ingest.values import FieldType
from analytics.ports import UnitOfWork
from analytics.ports.validation import costs, runs

TENANT_FIELD = "tenant_id"

Writer = Callable[[UnitOfWork, str, Sequence[Any]], Awaitable[list[WriteResult[Any]]]]


@dataclass(frozen=True)
class Kind:
    """A target of ingest: ``cost-records``, ``worker-runs`` or ``runs``."""

    name: str
    model: type[InputModel]
    field_types: Mapping[str, FieldType]
    enum_fields: Mapping[str, type[StrEnum]]
    key_field: str
    finish_field: str | None
    batch_name: str
    validate: Callable[[object], object]
    write: Writer

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields a column can fill: ``tenant_id`` and the model's fields in order."""
        return (TENANT_FIELD, *self.field_types)

    @property
    def required(self) -> frozenset[str]:
        """Fields without a default on the model."""
        return frozenset(
            name for name, info in self.model.model_fields.items() if info.is_required()
        )


async def _write_cost_records(
    uow: UnitOfWork, tenant_id: str, items: Sequence[Any]
) -> list[WriteResult[Any]]:
    return list(await uow.cost_writes.create_cost_records(tenant_id, records=items))


async def _write_worker_runs(
    uow: UnitOfWork, tenant_id: str, items: Sequence[Any]
) -> list[WriteResult[Any]]:
    return list(await uow.run_writes.record_worker_runs(tenant_id, runs=items))


async def _write_runs(
    uow: UnitOfWork, tenant_id: str, items: Sequence[Any]
) -> list[WriteResult[Any]]:
    return list(await uow.run_writes.record_runs(tenant_id, runs=items))


_ID = FieldType.IDENTIFIER
_INT = FieldType.INTEGER
_TIME = FieldType.TIME
_BOOL = FieldType.BOOLEAN
_MONEY = FieldType.MONEY

COST_RECORDS = Kind(
    name="cost-records",
    model=NewCostRecord,
    field_types={
        "occurred_at": _TIME,
        "model": _ID,
        "input_tokens": _INT,
        "output_tokens": _INT,
        "cost_usd": _MONEY,
        "cost_source": _ID,
        "price_ref": _ID,
        "user_id": _ID,
        "feature_tag": _ID,
        "request_id": _ID,
        "workflow_id": _ID,
        "skill_id": _ID,
        "is_retry": _BOOL,
        "is_synthetic": _BOOL,
    },
    enum_fields={"cost_source": CostSource},
    key_field="request_id",
    finish_field=None,
    batch_name="records",
    validate=lambda item: costs.cost_record(item, "record"),
    write=_write_cost_records,
)

WORKER_RUNS = Kind(
    name="worker-runs",
    model=NewWorkerRun,
    field_types={
        "id": _ID,
        "worker_id": _ID,
        "task": FieldType.TEXT,
        "status": _ID,
        "created_at": _TIME,
        "user_id": _ID,
        "started_at": _TIME,
        "completed_at": _TIME,
        "error": FieldType.TEXT,
        "total_tokens": _INT,
        "latency_ms": _INT,
        "cost_usd": _MONEY,
        "parent_run_id": _ID,
        "attempt": _INT,
        "is_retry": _BOOL,
        "is_synthetic": _BOOL,
    },
    enum_fields={"status": RunStatus},
    key_field="id",
    finish_field="completed_at",
    batch_name="runs",
    validate=lambda item: runs.new_worker_run("run", item),
    write=_write_worker_runs,
)

RUNS = Kind(
    name="runs",
    model=NewRun,
    field_types={
        "id": _ID,
        "status": _ID,
        "created_at": _TIME,
        "model": _ID,
        "started_at": _TIME,
        "finished_at": _TIME,
        "input_tokens": _INT,
        "output_tokens": _INT,
        "cost_usd": _MONEY,
        "is_synthetic": _BOOL,
    },
    enum_fields={"status": RunStatus},
    key_field="id",
    finish_field="finished_at",
    batch_name="runs",
    validate=lambda item: runs.new_run("run", item),
    write=_write_runs,
)

KINDS: dict[str, Kind] = {kind.name: kind for kind in (COST_RECORDS, WORKER_RUNS, RUNS)}
"""Every kind by its command-line name."""
