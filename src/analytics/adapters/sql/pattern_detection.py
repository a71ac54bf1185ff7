"""The PatternDetectionDriver shared by the SQL backends, and the feedback reads it shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, or_, select, update

from analytics.adapters.sql.dialect import DialectHooks
from analytics.adapters.sql.schema import pattern_feedback
from analytics.adapters.sql.session import SqlSession
from analytics.adapters.sql.worker_run_reads import (
    check_worker_run_read,
    costed_runs_query,
    failed_runs_query,
    worker_run_from_row,
)
from analytics.domain import (
    FeedbackSeverity,
    NewPatternFeedback,
    PatternFeedback,
    PatternType,
    WorkerRun,
    WriteOutcome,
    WriteResult,
)
from analytics.ports.errors import BackendUnavailable, NotFound
from analytics.ports.validation import common, patterns
from analytics.ports.validation.patterns import CheckedFeedback

MAX_FEEDBACK_LIMIT = 1000
MAX_FEEDBACK_ID = 64
MAX_ACKNOWLEDGED_BY = 128

# Values that a new detection replaces. A change in any of them is an update.
_DETECTION_COLUMNS = (
    "severity",
    "description",
    "provenance",
    "occurrence_count",
    "time_window_minutes",
    "threshold_used",
    "metadata",
)
_FEEDBACK_ENTITY = "pattern feedback"

# SQLite takes a partial unique index as a conflict target only when the
# statement repeats the index's own WHERE clause, so it comes from the schema.
_OPEN_FEEDBACK_PREDICATE = next(
    index.dialect_options["sqlite"]["where"]
    for index in pattern_feedback.indexes
    if index.name == "uq_pattern_feedback_open"
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
        read = check_worker_run_read(
            tenant_id,
            start=start,
            end=end,
            require_error=require_error,
            worker_id=worker_id,
            limit=limit,
            include_synthetic=include_synthetic,
        )

        rows = await self._session.fetch_all(failed_runs_query(read))
        return [worker_run_from_row(row) for row in rows]

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
        read = check_worker_run_read(
            tenant_id,
            start=start,
            end=end,
            worker_id=worker_id,
            limit=limit,
            include_synthetic=include_synthetic,
        )

        rows = await self._session.fetch_all(costed_runs_query(read))
        return [worker_run_from_row(row) for row in rows]

    async def insert_feedback(
        self,
        tenant_id: str,
        *,
        feedback: NewPatternFeedback,
    ) -> WriteResult[PatternFeedback]:
        checked_tenant = common.tenant(tenant_id)
        checked = patterns.new_pattern_feedback(feedback)

        new_id = self._session.new_id("pf")
        values = _feedback_values(checked_tenant, new_id, checked, self._session.now())
        upsert = _feedback_upsert(self._session.dialect, values)

        async with self._session.atomic():
            written = await self._session.fetch_optional(upsert)
            if written is not None:
                outcome = WriteOutcome.CREATED if written.id == new_id else WriteOutcome.UPDATED
                return WriteResult(record=feedback_from_row(written), outcome=outcome)
            stored = await self._session.fetch_optional(
                _open_feedback_query(checked_tenant, checked)
            )

        return WriteResult(
            record=_require_open_row(stored, checked), outcome=WriteOutcome.UNCHANGED
        )

    async def fetch_feedback_records(
        self,
        tenant_id: str,
        *,
        acknowledged: bool | None = None,
        pattern_type: PatternType | None = None,
        limit: int = 50,
    ) -> list[PatternFeedback]:
        checked_tenant = common.tenant(tenant_id)
        checked_acknowledged = common.optional_boolean("acknowledged", acknowledged)
        checked_type = common.optional_enum("pattern_type", pattern_type, PatternType)
        checked_limit = common.limit(limit, MAX_FEEDBACK_LIMIT)

        query = feedback_list_query(
            checked_tenant,
            acknowledged=checked_acknowledged,
            pattern_type=checked_type,
            limit=checked_limit,
        )
        rows = await self._session.fetch_all(query)
        return [feedback_from_row(row) for row in rows]

    async def acknowledge_feedback(
        self,
        tenant_id: str,
        *,
        feedback_id: str,
        acknowledged_by: str,
    ) -> PatternFeedback:
        checked_tenant = common.tenant(tenant_id)
        checked_id = common.identifier("feedback_id", feedback_id, MAX_FEEDBACK_ID)
        checked_by = common.identifier("acknowledged_by", acknowledged_by, MAX_ACKNOWLEDGED_BY)

        statement = _acknowledge_statement(
            checked_tenant, checked_id, checked_by, self._session.now()
        )
        async with self._session.atomic():
            row = await self._session.fetch_optional(statement)
            if row is None:
                # Already acknowledged (the first acknowledgement is kept) or missing.
                row = await self._session.fetch_optional(
                    _feedback_by_id(checked_tenant, checked_id)
                )
            if row is None:
                raise NotFound(_FEEDBACK_ENTITY, checked_id)

        return feedback_from_row(row)


def feedback_list_query(
    tenant_id: str,
    *,
    limit: int,
    acknowledged: bool | None = None,
    pattern_type: PatternType | None = None,
    detected_window: tuple[datetime, datetime] | None = None,
) -> Select[Any]:
    """Select a tenant's feedback rows, filtered by each argument that is not ``None``.

    Order: ``detected_at`` descending, then ``pattern_type`` and ``signature``
    ascending, then ``id``. The window applies to ``detected_at``, the latest
    detection.
    """
    table = pattern_feedback.c
    conditions: list[ColumnElement[bool]] = [table.tenant_id == tenant_id]
    if pattern_type is not None:
        conditions.append(table.pattern_type == pattern_type.value)
    if detected_window is not None:
        conditions += [
            table.detected_at >= detected_window[0],
            table.detected_at < detected_window[1],
        ]
    if acknowledged is not None:
        conditions.append(table.acknowledged == acknowledged)

    return (
        select(pattern_feedback)
        .where(*conditions)
        .order_by(
            table.detected_at.desc(),
            table.pattern_type.asc(),
            table.signature.asc(),
            table.id.asc(),
        )
        .limit(limit)
    )


def feedback_from_row(row: Row[Any]) -> PatternFeedback:
    """Map a ``pattern_feedback`` row to the domain model."""
    mapping = row._mapping
    return PatternFeedback(
        pattern_type=PatternType(mapping["pattern_type"]),
        severity=FeedbackSeverity(mapping["severity"]),
        description=mapping["description"],
        signature=mapping["signature"],
        provenance=list(mapping["provenance"]),
        occurrence_count=mapping["occurrence_count"],
        detected_at=mapping["detected_at"],
        time_window_minutes=mapping["time_window_minutes"],
        threshold_used=mapping["threshold_used"],
        metadata=mapping["metadata"],
        id=mapping["id"],
        tenant_id=mapping["tenant_id"],
        first_detected_at=mapping["first_detected_at"],
        created_at=mapping["created_at"],
        updated_at=mapping["updated_at"],
        acknowledged=bool(mapping["acknowledged"]),
        acknowledged_at=mapping["acknowledged_at"],
        acknowledged_by=mapping["acknowledged_by"],
    )


def _sorted_keys(value: Any) -> Any:
    # SQLite keeps JSON as text and the upsert compares it as text, so objects
    # are written with sorted keys to make equal values compare equal.
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


def _feedback_values(
    tenant_id: str, feedback_id: str, checked: CheckedFeedback, now: datetime
) -> dict[str, object]:
    return {
        "tenant_id": tenant_id,
        "id": feedback_id,
        "pattern_type": checked.pattern_type.value,
        "severity": checked.severity.value,
        "description": checked.description,
        "signature": checked.signature,
        "provenance": checked.provenance,
        "occurrence_count": checked.occurrence_count,
        "time_window_minutes": checked.time_window_minutes,
        "threshold_used": checked.threshold_used,
        "metadata": _sorted_keys(checked.metadata),
        "first_detected_at": checked.detected_at,
        "detected_at": checked.detected_at,
        "acknowledged": False,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "created_at": now,
        "updated_at": now,
    }


def _feedback_upsert(dialect: DialectHooks, values: dict[str, object]) -> Any:
    """Build the one statement that inserts a detection or updates the open row of its key.

    The open row is updated only when the detection is not older than the
    stored one and some detection value differs. Otherwise the statement
    writes nothing and returns no row.
    """
    table = pattern_feedback.c
    insert = dialect.insert(pattern_feedback).values(values)
    excluded = insert.excluded
    replaced = {name: excluded[name] for name in (*_DETECTION_COLUMNS, "detected_at", "updated_at")}
    newer_and_different = and_(
        excluded.detected_at >= table.detected_at,
        or_(*(table[name].is_distinct_from(excluded[name]) for name in _DETECTION_COLUMNS)),
    )

    return insert.on_conflict_do_update(
        index_elements=[table.tenant_id, table.pattern_type, table.signature],
        index_where=_OPEN_FEEDBACK_PREDICATE,
        set_=replaced,
        where=newer_and_different,
    ).returning(*pattern_feedback.c)


def _open_feedback_query(tenant_id: str, checked: CheckedFeedback) -> Select[Any]:
    table = pattern_feedback.c
    return select(pattern_feedback).where(
        table.tenant_id == tenant_id,
        table.pattern_type == checked.pattern_type.value,
        table.signature == checked.signature,
        ~table.acknowledged,
    )


def _require_open_row(row: Row[Any] | None, checked: CheckedFeedback) -> PatternFeedback:
    # The upsert leaves the conflicting row locked (Postgres) or holds the
    # database write lock (SQLite), so the open row cannot vanish before this read.
    if row is None:
        raise BackendUnavailable(
            f"the open {checked.pattern_type.value} feedback row for signature "
            f"{checked.signature!r} disappeared during the write; retry the call",
            retryable=True,
        )
    return feedback_from_row(row)


def _acknowledge_statement(
    tenant_id: str, feedback_id: str, acknowledged_by: str, now: datetime
) -> Any:
    table = pattern_feedback.c
    return (
        update(pattern_feedback)
        .where(table.tenant_id == tenant_id, table.id == feedback_id, ~table.acknowledged)
        .values(
            acknowledged=True, acknowledged_at=now, acknowledged_by=acknowledged_by, updated_at=now
        )
        .returning(*pattern_feedback.c)
    )


def _feedback_by_id(tenant_id: str, feedback_id: str) -> Select[Any]:
    table = pattern_feedback.c
    return select(pattern_feedback).where(table.tenant_id == tenant_id, table.id == feedback_id)
