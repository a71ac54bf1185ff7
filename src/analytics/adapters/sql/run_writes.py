"""The RunWriteDriver shared by the SQL backends."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Row

from analytics.adapters.sql.payload import first_difference
from analytics.adapters.sql.run_rows import (
    RUNS,
    TRACES,
    WORKER_RUNS,
    RecordT,
    RowKind,
    insert_new_rows,
    new_rows,
    select_rows,
    stored_payload,
    to_record,
    update_status,
)
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
    WriteOutcome,
    WriteResult,
)
from analytics.ports.errors import BackendUnavailable, Conflict, NotFound
from analytics.ports.validation import common
from analytics.ports.validation import runs as rules
from analytics.ports.validation.runs import MAX_RUN_ID, Payload

# Names the differing field of item ``index`` in a Conflict.
FieldPath = Callable[[int, str], str]

# A status update is tried again when the row changed between its UPDATE and
# the read that explains why the UPDATE matched nothing.
_UPDATE_ATTEMPTS = 3


def _single_field(_index: int, field: str) -> str:
    return field


def _batch_field(index: int, field: str) -> str:
    return f"runs[{index}].{field}"


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
        tenant = common.tenant(tenant_id)
        payload = rules.new_run("run", run)

        results = await self._record_all(RUNS, tenant, [payload], _single_field)
        return results[0]

    async def update_run_status(
        self,
        tenant_id: str,
        *,
        run_id: str,
        update: RunStatusUpdate,
    ) -> WriteResult[Run]:
        tenant = common.tenant(tenant_id)
        key = common.identifier("run_id", run_id, MAX_RUN_ID)
        changes = rules.run_status_update(update)

        return await self._update_status(RUNS, tenant, key, changes)

    async def record_trace(
        self,
        tenant_id: str,
        *,
        trace: NewTrace,
    ) -> WriteResult[Trace]:
        tenant = common.tenant(tenant_id)
        payload = rules.new_trace("trace", trace)

        results = await self._record_all(TRACES, tenant, [payload], _single_field)
        return results[0]

    async def update_trace_status(
        self,
        tenant_id: str,
        *,
        trace_id: str,
        update: TraceStatusUpdate,
    ) -> WriteResult[Trace]:
        tenant = common.tenant(tenant_id)
        key = common.identifier("trace_id", trace_id, MAX_RUN_ID)
        changes = rules.trace_status_update(update)

        return await self._update_status(TRACES, tenant, key, changes)

    async def record_worker_run(
        self,
        tenant_id: str,
        *,
        run: NewWorkerRun,
    ) -> WriteResult[WorkerRun]:
        tenant = common.tenant(tenant_id)
        payload = rules.new_worker_run("run", run)

        results = await self._record_all(WORKER_RUNS, tenant, [payload], _single_field)
        return results[0]

    async def record_worker_runs(
        self,
        tenant_id: str,
        *,
        runs: Sequence[NewWorkerRun],
    ) -> list[WriteResult[WorkerRun]]:
        tenant = common.tenant(tenant_id)
        payloads = rules.new_worker_runs(runs)

        return await self._record_all(WORKER_RUNS, tenant, payloads, _batch_field)

    async def update_worker_run_status(
        self,
        tenant_id: str,
        *,
        run_id: str,
        update: WorkerRunStatusUpdate,
    ) -> WriteResult[WorkerRun]:
        tenant = common.tenant(tenant_id)
        key = common.identifier("run_id", run_id, MAX_RUN_ID)
        changes = rules.worker_run_status_update(update)

        return await self._update_status(WORKER_RUNS, tenant, key, changes)

    async def record_runs(
        self,
        tenant_id: str,
        *,
        runs: Sequence[NewRun],
    ) -> list[WriteResult[Run]]:
        tenant = common.tenant(tenant_id)
        payloads = rules.new_runs(runs)

        return await self._record_all(RUNS, tenant, payloads, _batch_field)

    async def _record_all(
        self,
        kind: RowKind[RecordT],
        tenant_id: str,
        payloads: Sequence[Payload],
        field_path: FieldPath,
    ) -> list[WriteResult[RecordT]]:
        """Create rows idempotently by id, atomically, with one result per payload in order."""
        if not payloads:
            return []
        first_payloads = _first_occurrences(kind, payloads)

        async with self._session.atomic():
            inserted = await self._insert_new(kind, tenant_id, list(first_payloads.values()))
            absent = [key for key in first_payloads if key not in inserted]
            existing = await self._read_rows(kind, tenant_id, absent)
            return _create_outcomes(kind, payloads, inserted, {**existing, **inserted}, field_path)

    async def _insert_new(
        self, kind: RowKind[RecordT], tenant_id: str, payloads: Sequence[Payload]
    ) -> dict[str, Row[Any]]:
        parameters = new_rows(kind, tenant_id, payloads, self._session.now())
        if not parameters:
            return {}
        statement = insert_new_rows(self._session.dialect, kind)
        rows = (await self._session.execute(statement, parameters)).all()
        return {row._mapping[kind.key]: row for row in rows}

    async def _read_rows(
        self, kind: RowKind[RecordT], tenant_id: str, keys: Sequence[str]
    ) -> dict[str, Row[Any]]:
        if not keys:
            return {}
        rows = await self._session.fetch_all(select_rows(kind, tenant_id, keys))
        return {row._mapping[kind.key]: row for row in rows}

    async def _update_status(
        self, kind: RowKind[RecordT], tenant_id: str, key: str, changes: Payload
    ) -> WriteResult[RecordT]:
        """Apply a status update under the lifecycle rules, or explain why it did not apply."""
        for _attempt in range(_UPDATE_ATTEMPTS):
            async with self._session.atomic():
                result = await self._try_update(kind, tenant_id, key, changes)
            if result is not None:
                return result
        raise BackendUnavailable(
            f"the {kind.entity} {key!r} kept changing during the status update, so retry the call",
            retryable=True,
        )

    async def _try_update(
        self, kind: RowKind[RecordT], tenant_id: str, key: str, changes: Payload
    ) -> WriteResult[RecordT] | None:
        statement = update_status(kind, tenant_id, key, changes, self._session.now())
        updated = await self._session.fetch_optional(statement)
        if updated is not None:
            return WriteResult(record=to_record(kind, updated), outcome=WriteOutcome.UPDATED)

        stored = await self._session.fetch_optional(select_rows(kind, tenant_id, [key]))
        if stored is None:
            raise NotFound(kind.entity, key)
        return _unapplied_update(kind, key, changes, stored)


def _first_occurrences(kind: RowKind[RecordT], payloads: Sequence[Payload]) -> dict[str, Payload]:
    first: dict[str, Payload] = {}
    for payload in payloads:
        first.setdefault(payload[kind.key], payload)
    return first


def _create_outcomes(
    kind: RowKind[RecordT],
    payloads: Sequence[Payload],
    inserted: Mapping[str, Row[Any]],
    stored: Mapping[str, Row[Any]],
    field_path: FieldPath,
) -> list[WriteResult[RecordT]]:
    """Return ``created`` for each first insert and ``unchanged`` for an equal replay.

    Every other item is compared with the row as it is now, so the first
    differing item raises Conflict(payload_mismatch) naming its field.
    """
    records = {key: to_record(kind, row) for key, row in stored.items()}
    results: list[WriteResult[RecordT]] = []
    created: set[str] = set()

    for index, payload in enumerate(payloads):
        key = payload[kind.key]
        if key not in records:
            raise BackendUnavailable(
                f"the {kind.entity} {key!r} was neither inserted nor found, so retry the call",
                retryable=True,
            )
        if key in inserted and key not in created:
            created.add(key)
            results.append(WriteResult(record=records[key], outcome=WriteOutcome.CREATED))
            continue
        difference = first_difference(payload, stored_payload(kind, stored[key]), kind.fields)
        if difference is not None:
            raise Conflict(
                kind.entity, key, "payload_mismatch", field=field_path(index, difference)
            )
        results.append(WriteResult(record=records[key], outcome=WriteOutcome.UNCHANGED))
    return results


def _unapplied_update(
    kind: RowKind[RecordT], key: str, changes: Payload, row: Row[Any]
) -> WriteResult[RecordT] | None:
    """Explain an UPDATE that matched nothing: unchanged, or the error that stopped it.

    Returns ``None`` when the update would apply to the row as it is now,
    which means the row changed after the UPDATE ran.
    """
    current = stored_payload(kind, row)
    given = {field: value for field, value in changes.items() if value is not None}
    difference = first_difference(given, current, list(given))
    unchanged: WriteResult[RecordT] = WriteResult(
        record=to_record(kind, row), outcome=WriteOutcome.UNCHANGED
    )

    if current["status"] in kind.terminal:
        if difference is None:
            return unchanged
        raise Conflict(kind.entity, key, "terminal", field=difference)
    if current["status"] not in kind.update_sources(changes["status"]):
        raise Conflict(kind.entity, key, "illegal_transition", field="status")

    rules.check_lifecycle(
        "update", {**current, **given}, finish=kind.finish, terminal=kind.terminal
    )
    return unchanged if difference is None else None
