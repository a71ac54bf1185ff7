"""Row mapping and statements shared by runs, traces and worker runs.

The three tables hold rows with the same lifecycle: created once under the
caller's id, then moved forward by status updates until a terminal status. A
``RowKind`` describes one table, and the builders below work for all three.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Executable, Row, Select, Table, Update, or_, select, update

from analytics.adapters.sql import schema
from analytics.adapters.sql.dialect import DialectHooks
from analytics.domain import (
    TERMINAL_RUN_STATUSES,
    TERMINAL_TRACE_STATUSES,
    Run,
    RunStatus,
    Trace,
    TraceStatus,
    WorkerRun,
)
from analytics.domain.money import nanos_to_usd
from analytics.ports.validation.runs import Payload

RecordT = TypeVar("RecordT", Run, Trace, WorkerRun)

# Money is stored in nano-dollars under another column name. Every other
# payload field is stored in the column of the same name.
_MONEY_COLUMNS = {"cost_usd": "cost_nanos"}


@dataclass(frozen=True)
class RowKind(Generic[RecordT]):
    """One lifecycle table: its key, its payload fields and its statuses."""

    entity: str
    table: Table
    record_type: type[RecordT]
    key: str
    fields: tuple[str, ...]
    statuses: tuple[str, ...]
    terminal: frozenset[str]
    finish: str

    def column_name(self, field: str) -> str:
        """Return the name of the column that stores a payload field."""
        return _MONEY_COLUMNS.get(field, field)

    def column(self, field: str) -> ColumnElement[Any]:
        """Return the column that stores a payload field."""
        return self.table.c[self.column_name(field)]

    def update_sources(self, target: str) -> tuple[str, ...]:
        """Return the stored statuses from which an update may move a row to ``target``.

        Only a non-terminal row changes, and a running row never goes back to
        queued.
        """
        return tuple(
            status
            for status in self.statuses
            if status not in self.terminal
            and not (target == RunStatus.QUEUED and status == RunStatus.RUNNING)
        )


def _values(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


RUNS = RowKind(
    entity="run",
    table=schema.runs,
    record_type=Run,
    key="id",
    fields=(
        "id",
        "status",
        "created_at",
        "model",
        "started_at",
        "finished_at",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "is_synthetic",
    ),
    statuses=_values(RunStatus),
    terminal=frozenset(TERMINAL_RUN_STATUSES),
    finish="finished_at",
)

TRACES = RowKind(
    entity="trace",
    table=schema.traces,
    record_type=Trace,
    key="trace_id",
    fields=("trace_id", "run_id", "status", "started_at", "completed_at", "is_synthetic"),
    statuses=_values(TraceStatus),
    terminal=frozenset(TERMINAL_TRACE_STATUSES),
    finish="completed_at",
)

WORKER_RUNS = RowKind(
    entity="worker run",
    table=schema.worker_runs,
    record_type=WorkerRun,
    key="id",
    fields=(
        "id",
        "worker_id",
        "task",
        "status",
        "created_at",
        "user_id",
        "started_at",
        "completed_at",
        "error",
        "total_tokens",
        "latency_ms",
        "cost_usd",
        "parent_run_id",
        "attempt",
        "is_retry",
        "is_synthetic",
    ),
    statuses=_values(RunStatus),
    terminal=frozenset(TERMINAL_RUN_STATUSES),
    finish="completed_at",
)


def column_values(kind: RowKind[RecordT], payload: Mapping[str, Any]) -> dict[str, Any]:
    """Map payload fields to column values: money to ``cost_nanos``, enums to their values."""
    values: dict[str, Any] = {}
    for field, value in payload.items():
        stored = value.value if isinstance(value, StrEnum) else value
        values[kind.column_name(field)] = stored
    return values


def new_rows(
    kind: RowKind[RecordT], tenant_id: str, payloads: Sequence[Payload], now: datetime
) -> list[dict[str, Any]]:
    """Return the column values of new rows, with the tenant and the audit times."""
    audit = {"tenant_id": tenant_id, "recorded_at": now, "updated_at": now}
    return [{**column_values(kind, payload), **audit} for payload in payloads]


def insert_new_rows(dialect: DialectHooks, kind: RowKind[RecordT]) -> Executable:
    """Build the INSERT of new rows that skips ids already stored and returns the new rows.

    Run it with the rows of ``new_rows`` as parameters: SQLAlchemy compiles it
    once and sends the rows in multi-row batches.
    """
    statement = dialect.insert(kind.table)
    key_columns = [kind.table.c.tenant_id, kind.table.c[kind.key]]
    return statement.on_conflict_do_nothing(index_elements=key_columns).returning(*kind.table.c)


def select_rows(kind: RowKind[RecordT], tenant_id: str, keys: Collection[str]) -> Select[Any]:
    """Build the read of a tenant's rows by id."""
    table = kind.table
    return select(*table.c).where(table.c.tenant_id == tenant_id, table.c[kind.key].in_(keys))


def update_status(
    kind: RowKind[RecordT],
    tenant_id: str,
    key: str,
    changes: Mapping[str, Any],
    now: datetime,
) -> Update:
    """Build the UPDATE of a status change that applies only where the lifecycle allows it.

    The WHERE clause matches nothing when the row is terminal, when the
    transition is not allowed, when the resulting row would break a lifecycle
    rule that involves a stored value, or when no value would change. The
    conditions are evaluated on the row version the UPDATE locks, so of two
    concurrent updates to a terminal status only the first to commit matches.
    """
    table = kind.table
    given = column_values(
        kind, {field: value for field, value in changes.items() if value is not None}
    )
    differs = or_(*(table.c[column].is_distinct_from(value) for column, value in given.items()))

    return (
        update(table)
        .where(
            table.c.tenant_id == tenant_id,
            table.c[kind.key] == key,
            table.c.status.in_(kind.update_sources(changes["status"])),
            *_stored_lifecycle_conditions(kind, changes),
            differs,
        )
        .values(**given, updated_at=now)
        .returning(*table.c)
    )


def _stored_lifecycle_conditions(
    kind: RowKind[RecordT], changes: Mapping[str, Any]
) -> list[ColumnElement[bool]]:
    # Rules between two given values were checked before any SQL, so only the
    # rules between a given value and a stored one remain.
    finish = changes.get(kind.finish)
    if finish is None:
        if changes["status"] in kind.terminal:
            return [kind.column(kind.finish).is_not(None)]
        return []
    if changes.get("started_at") is None:
        started = kind.column("started_at")
        return [or_(started.is_(None), started <= finish)]
    return []


def stored_payload(kind: RowKind[RecordT], row: Row[Any]) -> Payload:
    """Return a stored row's payload fields, normalised like a validated create."""
    mapping = row._mapping
    return {field: mapping[kind.column_name(field)] for field in kind.fields}


def to_record(kind: RowKind[RecordT], row: Row[Any]) -> RecordT:
    """Map a stored row to its domain record, with money in US dollars."""
    values = stored_payload(kind, row)
    if values.get("cost_usd") is not None:
        values["cost_usd"] = nanos_to_usd(values["cost_usd"])

    mapping = row._mapping
    return kind.record_type(
        **values,
        tenant_id=mapping["tenant_id"],
        recorded_at=mapping["recorded_at"],
        updated_at=mapping["updated_at"],
    )
