"""The PredictionDriver shared by the SQL backends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, func, select, update

from analytics.adapters.sql.pattern_detection import (
    MAX_FEEDBACK_LIMIT,
    feedback_from_row,
    feedback_list_query,
)
from analytics.adapters.sql.schema import prediction_events
from analytics.adapters.sql.session import SqlSession
from analytics.adapters.sql.worker_run_reads import (
    MAX_RUN_LIMIT,
    MAX_WORKER_ID,
    check_worker_run_read,
    costed_runs_query,
    failed_runs_query,
    run_totals_from_rows,
    run_totals_query,
    worker_run_from_row,
)
from analytics.domain import (
    NewPrediction,
    PatternFeedback,
    PatternType,
    PredictionEvent,
    PredictionOutcome,
    PredictionOutcomeCount,
    PredictionType,
    SubjectType,
    WorkerRun,
    WorkerRunTotals,
    WriteOutcome,
    WriteResult,
)
from analytics.domain.money import e6_to_decimal
from analytics.ports.errors import Conflict, InvalidInput, NotFound
from analytics.ports.validation import common, patterns
from analytics.ports.validation.patterns import CheckedPrediction

MAX_PREDICTION_LIMIT = 1000
_PREDICTION_ENTITY = "prediction"


class SqlPredictionDriver:
    """PredictionDriver on SQLAlchemy Core, for every SQL backend."""

    def __init__(self, session: SqlSession) -> None:
        self._session = session

    async def fetch_failure_patterns(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        acknowledged: bool | None = None,
        limit: int = 100,
    ) -> list[PatternFeedback]:
        checked_tenant = common.tenant(tenant_id)
        window = common.window(start, end)
        checked_acknowledged = common.optional_boolean("acknowledged", acknowledged)
        checked_limit = common.limit(limit, MAX_FEEDBACK_LIMIT)

        query = feedback_list_query(
            checked_tenant,
            acknowledged=checked_acknowledged,
            pattern_type=PatternType.FAILURE_PATTERN,
            detected_window=window,
            limit=checked_limit,
        )
        rows = await self._session.fetch_all(query)
        return [feedback_from_row(row) for row in rows]

    async def fetch_failed_runs(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        worker_id: str | None = None,
        limit: int = 100,
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

        rows = await self._session.fetch_all(failed_runs_query(read))
        return [worker_run_from_row(row) for row in rows]

    async def fetch_run_totals(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        worker_ids: Sequence[str] | None = None,
        limit: int = 1000,
        include_synthetic: bool = False,
    ) -> list[WorkerRunTotals]:
        checked_tenant = common.tenant(tenant_id)
        checked_start, checked_end = common.window(start, end)
        checked_ids = _optional_worker_ids(worker_ids)
        checked_limit = common.limit(limit, MAX_RUN_LIMIT)
        checked_synthetic = common.boolean("include_synthetic", include_synthetic)

        if checked_ids == []:
            return []
        query = run_totals_query(
            checked_tenant,
            start=checked_start,
            end=checked_end,
            worker_ids=checked_ids,
            limit=checked_limit,
            include_synthetic=checked_synthetic,
        )
        rows = await self._session.fetch_all(query)
        return run_totals_from_rows(rows, checked_ids)

    async def fetch_cost_runs(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        worker_id: str | None = None,
        limit: int = 200,
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

    async def fetch_predictions(
        self,
        tenant_id: str,
        *,
        prediction_type: PredictionType | None = None,
        subject_type: SubjectType | None = None,
        subject_id: str | None = None,
        valid_at: datetime | None = None,
        expired_before: datetime | None = None,
        outcome_pending: bool | None = None,
        limit: int = 50,
    ) -> list[PredictionEvent]:
        conditions = [prediction_events.c.tenant_id == common.tenant(tenant_id)]
        conditions += _subject_filters(prediction_type, subject_type, subject_id)
        conditions += _validity_filters(valid_at, expired_before)
        conditions += _outcome_filter(common.optional_boolean("outcome_pending", outcome_pending))
        checked_limit = common.limit(limit, MAX_PREDICTION_LIMIT)

        rows = await self._session.fetch_all(_prediction_list_query(conditions, checked_limit))
        return [prediction_from_row(row) for row in rows]

    async def insert_prediction(
        self,
        tenant_id: str,
        *,
        prediction: NewPrediction,
    ) -> PredictionEvent:
        checked_tenant = common.tenant(tenant_id)
        checked = patterns.new_prediction(prediction)

        values = _prediction_values(checked_tenant, self._session.new_id("pe"), checked)
        statement = self._session.dialect.insert(prediction_events).values(values)

        async with self._session.atomic():
            row = await self._session.fetch_one(statement.returning(*prediction_events.c))
        return prediction_from_row(row)

    async def record_prediction_outcome(
        self,
        tenant_id: str,
        *,
        prediction_id: str,
        outcome: PredictionOutcome,
        outcome_value: dict[str, Any] | None,
    ) -> WriteResult[PredictionEvent]:
        checked_tenant = common.tenant(tenant_id)
        checked_id = patterns.prediction_id(prediction_id)
        checked_outcome = patterns.prediction_outcome(outcome)
        checked_value = patterns.outcome_value(outcome_value)

        statement = _record_outcome_statement(
            checked_tenant, checked_id, checked_outcome, checked_value, self._session.now()
        )
        async with self._session.atomic():
            row = await self._session.fetch_optional(statement)
            if row is not None:
                return WriteResult(record=prediction_from_row(row), outcome=WriteOutcome.UPDATED)
            stored = await self._session.fetch_optional(
                _prediction_by_id(checked_tenant, checked_id)
            )
            if stored is None:
                raise NotFound(_PREDICTION_ENTITY, checked_id)
            record = prediction_from_row(stored)
            _require_same_outcome(record, checked_outcome, checked_value)

        return WriteResult(record=record, outcome=WriteOutcome.UNCHANGED)

    async def count_prediction_outcomes(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
    ) -> list[PredictionOutcomeCount]:
        checked_tenant = common.tenant(tenant_id)
        checked_start, checked_end = common.window(start, end)

        query = _outcome_count_query(checked_tenant, checked_start, checked_end)
        rows = await self._session.fetch_all(query)
        return [
            PredictionOutcomeCount(
                prediction_type=PredictionType(row.prediction_type),
                outcome=None if row.outcome is None else PredictionOutcome(row.outcome),
                count=int(row.predictions),
            )
            for row in rows
        ]


def prediction_from_row(row: Row[Any]) -> PredictionEvent:
    """Map a ``prediction_events`` row to the domain model, confidence from millionths."""
    mapping = row._mapping
    outcome = mapping["outcome"]
    return PredictionEvent(
        prediction_type=PredictionType(mapping["prediction_type"]),
        subject_type=SubjectType(mapping["subject_type"]),
        subject_id=mapping["subject_id"],
        confidence=e6_to_decimal(int(mapping["confidence_e6"])),
        prediction_value=mapping["prediction_value"],
        contributing_factors=mapping["contributing_factors"],
        created_at=mapping["created_at"],
        expires_at=mapping["expires_at"],
        notes=mapping["notes"],
        id=mapping["id"],
        tenant_id=mapping["tenant_id"],
        is_advisory=bool(mapping["is_advisory"]),
        outcome=None if outcome is None else PredictionOutcome(outcome),
        outcome_value=mapping["outcome_value"],
        outcome_checked_at=mapping["outcome_checked_at"],
    )


def _optional_worker_ids(worker_ids: object) -> list[str] | None:
    if worker_ids is None:
        return None
    return common.id_list("worker_ids", worker_ids, MAX_WORKER_ID)


def _subject_filters(
    prediction_type: object, subject_type: object, subject_id: object
) -> list[ColumnElement[bool]]:
    table = prediction_events.c
    checked_type = common.optional_enum("prediction_type", prediction_type, PredictionType)
    checked_subject_type = common.optional_enum("subject_type", subject_type, SubjectType)
    checked_subject_id = common.optional_identifier(
        "subject_id", subject_id, patterns.MAX_SUBJECT_ID
    )
    if checked_subject_id is not None and checked_subject_type is None:
        raise InvalidInput("subject_id", subject_id, "must be given together with subject_type")

    conditions: list[ColumnElement[bool]] = []
    if checked_type is not None:
        conditions.append(table.prediction_type == checked_type.value)
    if checked_subject_type is not None:
        conditions.append(table.subject_type == checked_subject_type.value)
    if checked_subject_id is not None:
        conditions.append(table.subject_id == checked_subject_id)
    return conditions


def _validity_filters(valid_at: object, expired_before: object) -> list[ColumnElement[bool]]:
    # A prediction is valid over [created_at, expires_at) and has expired at
    # any instant from expires_at on, so expired_before is inclusive.
    table = prediction_events.c
    checked_valid_at = common.optional_instant("valid_at", valid_at)
    checked_expired_before = common.optional_instant("expired_before", expired_before)

    conditions: list[ColumnElement[bool]] = []
    if checked_valid_at is not None:
        conditions += [table.created_at <= checked_valid_at, table.expires_at > checked_valid_at]
    if checked_expired_before is not None:
        conditions.append(table.expires_at <= checked_expired_before)
    return conditions


def _outcome_filter(outcome_pending: bool | None) -> list[ColumnElement[bool]]:
    if outcome_pending is None:
        return []
    if outcome_pending:
        return [prediction_events.c.outcome.is_(None)]
    return [prediction_events.c.outcome.is_not(None)]


def _prediction_list_query(conditions: list[ColumnElement[bool]], limit: int) -> Select[Any]:
    table = prediction_events.c
    return (
        select(prediction_events)
        .where(*conditions)
        .order_by(
            table.created_at.desc(),
            table.prediction_type.asc(),
            table.subject_type.asc(),
            table.subject_id.asc(),
            table.id.asc(),
        )
        .limit(limit)
    )


def _prediction_values(
    tenant_id: str, prediction_id: str, checked: CheckedPrediction
) -> dict[str, object]:
    return {
        "tenant_id": tenant_id,
        "id": prediction_id,
        "prediction_type": checked.prediction_type.value,
        "subject_type": checked.subject_type.value,
        "subject_id": checked.subject_id,
        "confidence_e6": checked.confidence_e6,
        "prediction_value": checked.prediction_value,
        "contributing_factors": checked.contributing_factors,
        "created_at": checked.created_at,
        "expires_at": checked.expires_at,
        "is_advisory": True,
        "notes": checked.notes,
        "outcome": None,
        "outcome_value": None,
        "outcome_checked_at": None,
    }


def _record_outcome_statement(
    tenant_id: str,
    prediction_id: str,
    outcome: PredictionOutcome,
    outcome_value: dict[str, Any] | None,
    now: datetime,
) -> Any:
    """Build the UPDATE that records an outcome only while the prediction is pending.

    Of two concurrent calls, the second waits for the first and then matches
    no row, so it reads the stored outcome instead.
    """
    table = prediction_events.c
    return (
        update(prediction_events)
        .where(table.tenant_id == tenant_id, table.id == prediction_id, table.outcome.is_(None))
        .values(outcome=outcome.value, outcome_value=outcome_value, outcome_checked_at=now)
        .returning(*prediction_events.c)
    )


def _prediction_by_id(tenant_id: str, prediction_id: str) -> Select[Any]:
    table = prediction_events.c
    return select(prediction_events).where(table.tenant_id == tenant_id, table.id == prediction_id)


def _require_same_outcome(
    stored: PredictionEvent, outcome: PredictionOutcome, outcome_value: dict[str, Any] | None
) -> None:
    """Raise ``Conflict(terminal)`` naming the first field that differs from the recorded outcome.

    Values are compared as Python structures, so the key order of a JSON object
    does not matter.
    """
    if stored.outcome != outcome:
        field = "outcome"
    elif stored.outcome_value != outcome_value:
        field = "outcome_value"
    else:
        return
    raise Conflict(
        _PREDICTION_ENTITY,
        stored.id,
        "terminal",
        field=field,
        detail=f"the outcome {stored.outcome} is already recorded and never changes",
    )


def _outcome_count_query(tenant_id: str, start: datetime, end: datetime) -> Select[Any]:
    """Count predictions made in the window per type and outcome, pending (NULL) first."""
    table = prediction_events.c
    return (
        select(table.prediction_type, table.outcome, func.count().label("predictions"))
        .where(table.tenant_id == tenant_id, table.created_at >= start, table.created_at < end)
        .group_by(table.prediction_type, table.outcome)
        .order_by(table.prediction_type.asc(), table.outcome.asc().nulls_first())
    )
