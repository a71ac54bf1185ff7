"""Statements and row mapping of stored anomalies and of the active-budget list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    func,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate

from analytics.adapters.sql.dialect import DialectHooks
from analytics.adapters.sql.drift_trackers import bare_flag
from analytics.adapters.sql.key_lists import rows_with_keys
from analytics.adapters.sql.schema import (
    BUDGET_PERIOD_NONE,
    NO_ENTITY,
    cost_anomalies,
    cost_budgets,
)
from analytics.domain import (
    AnomalySeverity,
    AnomalyType,
    BudgetPeriod,
    CostAnomaly,
    DerivedCause,
    EntityType,
)
from analytics.domain.money import e6_to_decimal, nanos_to_usd
from analytics.ports.validation.anomalies import CheckedAnomaly

# Columns a newer detection replaces in the open anomaly. incident_id has its own rule.
REPLACED_COLUMNS = (
    "severity",
    "current_value_nanos",
    "expected_value_nanos",
    "deviation_pct_e6",
    "threshold_pct_e6",
    "breach_count",
    "derived_cause",
    "message",
    "budget_id",
    "metadata",
)

AnomalyKey = tuple[str, str, str, str, date]
"""An open anomaly's key as stored: type, entity type, entity key, budget period, period start."""

_table = cost_anomalies
_OPEN_KEY = [
    _table.c.tenant_id,
    _table.c.anomaly_type,
    _table.c.entity_type,
    _table.c.entity_key,
    _table.c.budget_period,
    _table.c.period_start,
]


@dataclass(frozen=True)
class AnomalyFilters:
    """Checked filters of an anomaly list, where ``None`` matches any value."""

    resolved: bool | None
    anomaly_type: AnomalyType | None
    severity: AnomalySeverity | None
    entity_type: EntityType | None


def canonical_json(value: Any) -> Any:
    """Return a JSON value with every object's keys sorted.

    SQLite compares JSON as text, so equal objects must serialise to the same text.
    """
    if isinstance(value, dict):
        return {key: canonical_json(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [canonical_json(item) for item in value]
    return value


def _stored_values(anomaly: CheckedAnomaly) -> dict[str, Any]:
    period = anomaly.budget_period
    cause = anomaly.derived_cause
    return {
        "anomaly_type": anomaly.anomaly_type.value,
        "severity": anomaly.severity.value,
        "entity_type": anomaly.entity.entity_type.value,
        "entity_key": anomaly.entity.entity_key,
        "budget_period": BUDGET_PERIOD_NONE if period is None else period.value,
        "period_start": anomaly.period_start,
        "current_value_nanos": anomaly.current_value_nanos,
        "expected_value_nanos": anomaly.expected_value_nanos,
        "deviation_pct_e6": anomaly.deviation_pct_e6,
        "threshold_pct_e6": anomaly.threshold_pct_e6,
        "breach_count": anomaly.breach_count,
        "derived_cause": None if cause is None else cause.value,
        "message": anomaly.message,
        "budget_id": anomaly.budget_id,
        "incident_id": anomaly.incident_id,
        "metadata": canonical_json(anomaly.metadata),
    }


def _open_flag() -> ColumnElement[bool]:
    return not_(bare_flag(_table.c.resolved))


def anomaly_row(
    tenant_id: str, anomaly_id: str, anomaly: CheckedAnomaly, now: datetime
) -> dict[str, Any]:
    """Return the column values of a new open anomaly, first and last detected at once."""
    return {
        "tenant_id": tenant_id,
        "id": anomaly_id,
        **_stored_values(anomaly),
        "first_detected_at": anomaly.detected_at,
        "last_detected_at": anomaly.detected_at,
        "resolved": False,
        "resolved_at": None,
        "created_at": now,
        "updated_at": now,
    }


def key_of(anomaly: CheckedAnomaly) -> AnomalyKey:
    """Return the stored open-row key of a checked anomaly."""
    values = _stored_values(anomaly)
    return (
        values["anomaly_type"],
        values["entity_type"],
        values["entity_key"],
        values["budget_period"],
        values["period_start"],
    )


def row_key(row: Row[Any]) -> AnomalyKey:
    """Return the open-row key of a stored anomaly."""
    return (row.anomaly_type, row.entity_type, row.entity_key, row.budget_period, row.period_start)


def upsert_anomalies(dialect: DialectHooks) -> ReturningInsert[Any]:
    """Build the upsert of detections into the open anomaly of each key.

    Run it with a list of ``anomaly_row`` values with distinct keys, because
    Postgres rejects a statement that would update one row twice. The open
    row changes only for a detection that is not older than its last one and
    that brings a different value, so the statement returns the created and
    updated rows but not the unchanged ones. A ``None`` incident id keeps the
    stored link.
    """
    insert = dialect.insert(_table)
    excluded = insert.excluded

    replaced = {name: excluded[name] for name in REPLACED_COLUMNS}
    links_incident = and_(
        excluded.incident_id.is_not(None),
        _table.c.incident_id.is_distinct_from(excluded.incident_id),
    )
    differs = or_(
        *(_table.c[name].is_distinct_from(excluded[name]) for name in REPLACED_COLUMNS),
        links_incident,
    )
    return insert.on_conflict_do_update(
        index_elements=_OPEN_KEY,
        index_where=_open_flag(),
        set_={
            **replaced,
            "incident_id": func.coalesce(excluded.incident_id, _table.c.incident_id),
            "last_detected_at": excluded.last_detected_at,
            "updated_at": excluded.updated_at,
        },
        where=and_(excluded.last_detected_at >= _table.c.last_detected_at, differs),
    ).returning(*_table.c)


def select_open_anomalies(tenant_id: str, keys: Sequence[AnomalyKey]) -> Select[Any]:
    """Select the open anomalies of some keys through the partial index of open rows."""
    statement = rows_with_keys(_table, _OPEN_KEY[1:], keys, "anomaly_keys")
    return statement.where(_table.c.tenant_id == tenant_id, _open_flag())


def select_anomaly(tenant_id: str, anomaly_id: str) -> Select[Any]:
    """Select an anomaly, open or resolved, by its id."""
    return select(_table).where(_table.c.tenant_id == tenant_id, _table.c.id == anomaly_id)


def resolve_anomaly(tenant_id: str, anomaly_id: str, now: datetime) -> ReturningUpdate[Any]:
    """Build the update that resolves an open anomaly. An already resolved one matches no row."""
    return (
        update(_table)
        .where(_table.c.tenant_id == tenant_id, _table.c.id == anomaly_id, not_(_table.c.resolved))
        .values(resolved=True, resolved_at=now, updated_at=now)
        .returning(*_table.c)
    )


def _filter_conditions(filters: AnomalyFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.resolved is not None:
        conditions.append(_table.c.resolved == filters.resolved)
    if filters.anomaly_type is not None:
        conditions.append(_table.c.anomaly_type == filters.anomaly_type.value)
    if filters.severity is not None:
        conditions.append(_table.c.severity == filters.severity.value)
    if filters.entity_type is not None:
        conditions.append(_table.c.entity_type == filters.entity_type.value)
    return conditions


def select_anomalies(
    tenant_id: str, start: datetime, end: datetime, filters: AnomalyFilters, limit: int
) -> Select[Any]:
    """Select anomalies last detected in ``[start, end)``, newest first.

    Ties are ordered by type, entity (the tenant-level empty key first), period
    start and id.
    """
    return (
        select(_table)
        .where(
            _table.c.tenant_id == tenant_id,
            _table.c.last_detected_at >= start,
            _table.c.last_detected_at < end,
            *_filter_conditions(filters),
        )
        .order_by(
            _table.c.last_detected_at.desc(),
            _table.c.anomaly_type,
            _table.c.entity_type,
            _table.c.entity_key,
            _table.c.period_start,
            _table.c.id,
        )
        .limit(limit)
    )


def to_anomaly(row: Row[Any]) -> CostAnomaly:
    """Map a stored anomaly row to the domain record."""
    period = None if row.budget_period == BUDGET_PERIOD_NONE else BudgetPeriod(row.budget_period)
    cause = None if row.derived_cause is None else DerivedCause(row.derived_cause)
    return CostAnomaly(
        anomaly_type=AnomalyType(row.anomaly_type),
        severity=AnomalySeverity(row.severity),
        entity_type=EntityType(row.entity_type),
        entity_id=None if row.entity_key == NO_ENTITY else row.entity_key,
        budget_period=period,
        period_start=row.period_start,
        current_value_usd=nanos_to_usd(row.current_value_nanos),
        expected_value_usd=nanos_to_usd(row.expected_value_nanos),
        deviation_pct=e6_to_decimal(row.deviation_pct_e6),
        threshold_pct=e6_to_decimal(row.threshold_pct_e6),
        breach_count=row.breach_count,
        derived_cause=cause,
        message=row.message,
        budget_id=row.budget_id,
        incident_id=row.incident_id,
        metadata=row._mapping["metadata"],
        id=row.id,
        tenant_id=row.tenant_id,
        first_detected_at=row.first_detected_at,
        last_detected_at=row.last_detected_at,
        resolved=row.resolved,
        resolved_at=row.resolved_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def select_active_budgets(
    tenant_id: str, budget_type: EntityType | None, limit: int
) -> Select[Any]:
    """Select active budgets ordered by type, then entity (the tenant's empty key first)."""
    conditions = [cost_budgets.c.tenant_id == tenant_id, cost_budgets.c.is_active]
    if budget_type is not None:
        conditions.append(cost_budgets.c.budget_type == budget_type.value)
    return (
        select(cost_budgets)
        .where(*conditions)
        .order_by(cost_budgets.c.budget_type, cost_budgets.c.entity_key)
        .limit(limit)
    )
