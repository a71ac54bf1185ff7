"""Statements and row mapping of the drift trackers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    Row,
    Select,
    case,
    column,
    or_,
    select,
    update,
)
from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate

from analytics.adapters.sql.dialect import DialectHooks
from analytics.adapters.sql.schema import NO_ENTITY, cost_drift_tracking
from analytics.domain import DriftTracker, EntityType
from analytics.domain.money import e6_to_decimal, nanos_to_usd
from analytics.ports.errors import Conflict
from analytics.ports.validation.anomalies import CheckedObservation, EntityRef

_table = cost_drift_tracking
_ACTIVE_KEY = [_table.c.tenant_id, _table.c.entity_type, _table.c.entity_key]


def bare_flag(flag: Column[Any]) -> ColumnElement[bool]:
    """Return a boolean column as the bare term that a partial index's WHERE clause uses.

    SQLite uses a partial index only when the query repeats the index's WHERE
    term, and it renders a Boolean column in a WHERE clause as ``flag = 1``.
    A reference typed as an integer renders as the bare ``flag`` on both backends.
    """
    return cast(ColumnElement[bool], column(flag.name, Integer))


def _active_conditions(tenant_id: str, entity: EntityRef) -> list[ColumnElement[bool]]:
    return [
        _table.c.tenant_id == tenant_id,
        _table.c.entity_type == entity.entity_type.value,
        _table.c.entity_key == entity.entity_key,
        bare_flag(_table.c.is_active),
    ]


def select_active(tenant_id: str, entity: EntityRef) -> Select[Any]:
    """Select the active tracker of an entity through the partial index of active trackers."""
    return select(_table).where(*_active_conditions(tenant_id, entity))


def select_tracker(tenant_id: str, tracker_id: str) -> Select[Any]:
    """Select a tracker, active or not, by its id."""
    return select(_table).where(_table.c.tenant_id == tenant_id, _table.c.id == tracker_id)


def _measured_values(observation: CheckedObservation) -> dict[str, int]:
    return {
        "rolling_avg_nanos": observation.rolling_avg_nanos,
        "baseline_avg_nanos": observation.baseline_avg_nanos,
        "drift_pct_e6": observation.drift_pct_e6,
    }


def insert_tracker(
    dialect: DialectHooks,
    tenant_id: str,
    tracker_id: str,
    entity: EntityRef,
    observation: CheckedObservation,
    day: date,
    now: datetime,
) -> ReturningInsert[Any]:
    """Build the insert that starts a tracker unless the entity already has an active one."""
    insert = dialect.insert(_table).values(
        tenant_id=tenant_id,
        id=tracker_id,
        entity_type=entity.entity_type.value,
        entity_key=entity.entity_key,
        **_measured_values(observation),
        drift_days_count=1,
        first_drift_date=day,
        last_check_date=day,
        is_active=True,
        deactivated_at=None,
        created_at=now,
        updated_at=now,
    )
    return insert.on_conflict_do_nothing(
        index_elements=_ACTIVE_KEY, index_where=_table.c.is_active
    ).returning(*_table.c)


def observe_tracker(
    tenant_id: str, tracker_id: str, observation: CheckedObservation, day: date, now: datetime
) -> ReturningUpdate[Any]:
    """Build the one update that applies a day's observation to an active tracker.

    The streak moves in the statement itself, so two detectors observing the
    same day cannot both add one. It matches no row for an inactive tracker,
    for a day before the last checked day, or for a same-day observation whose
    values are already stored.
    """
    same_day = _table.c.last_check_date == day
    next_day = _table.c.last_check_date == day - timedelta(days=1)
    measured = _measured_values(observation)
    values_differ = or_(*(_table.c[name] != value for name, value in measured.items()))

    return (
        update(_table)
        .where(
            _table.c.tenant_id == tenant_id,
            _table.c.id == tracker_id,
            _table.c.is_active,
            _table.c.last_check_date <= day,
            or_(_table.c.last_check_date != day, values_differ),
        )
        .values(
            drift_days_count=case(
                (same_day, _table.c.drift_days_count),
                (next_day, _table.c.drift_days_count + 1),
                else_=1,
            ),
            first_drift_date=case((or_(same_day, next_day), _table.c.first_drift_date), else_=day),
            last_check_date=day,
            **measured,
            updated_at=now,
        )
        .returning(*_table.c)
    )


def deactivate_tracker(tenant_id: str, entity: EntityRef, now: datetime) -> ReturningUpdate[Any]:
    """Build the update that ends the entity's active tracker, if it has one."""
    return (
        update(_table)
        .where(*_active_conditions(tenant_id, entity))
        .values(is_active=False, deactivated_at=now, updated_at=now)
        .returning(*_table.c)
    )


def stale(tracker_id: str, day: date, last_check_date: date) -> Conflict:
    """Return the error for an observation of a day before the tracker's last checked day."""
    return Conflict(
        "drift tracker",
        tracker_id,
        "stale",
        detail=f"day {day} is before the last checked day {last_check_date}",
    )


def require_same_day(active: Row[Any], day: date) -> None:
    """Raise unless the entity's active tracker was last checked on ``day``.

    Starting a tracker never continues or rewinds another day's streak. An
    earlier tracker is continued with an update or ended with a reset.
    """
    if active.last_check_date < day:
        raise Conflict(
            "drift tracker",
            active.id,
            "active_exists",
            detail=(
                f"it was last checked on {active.last_check_date}; continue it with "
                "update_drift_tracking or end it with reset_drift_tracking"
            ),
        )
    if active.last_check_date > day:
        raise stale(active.id, day, active.last_check_date)


def to_tracker(row: Row[Any]) -> DriftTracker:
    """Map a stored tracker row to the domain record."""
    return DriftTracker(
        id=row.id,
        tenant_id=row.tenant_id,
        entity_type=EntityType(row.entity_type),
        entity_id=None if row.entity_key == NO_ENTITY else row.entity_key,
        rolling_avg_usd=nanos_to_usd(row.rolling_avg_nanos),
        baseline_avg_usd=nanos_to_usd(row.baseline_avg_nanos),
        drift_pct=e6_to_decimal(row.drift_pct_e6),
        drift_days_count=row.drift_days_count,
        first_drift_date=row.first_drift_date,
        last_check_date=row.last_check_date,
        is_active=row.is_active,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deactivated_at=row.deactivated_at,
    )
