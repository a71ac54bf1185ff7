"""Statements, row mapping and streak counting of the breach history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, or_, select
from sqlalchemy.sql.dml import ReturningInsert

from analytics.adapters.sql.dialect import DialectHooks
from analytics.adapters.sql.key_lists import rows_with_keys
from analytics.adapters.sql.schema import NO_ENTITY, cost_breach_history
from analytics.domain import BreachRecord, BreachType, EntityType
from analytics.domain.money import e6_to_decimal, nanos_to_usd
from analytics.ports.validation.anomalies import CheckedBreach, EntityRef

MEASURED_COLUMNS = ("deviation_pct_e6", "current_value_nanos", "baseline_value_nanos")

BreachKey = tuple[str, str, str, date]
"""A breach row's key as stored: entity type, entity key, breach type and day."""

_table = cost_breach_history
_KEY_COLUMNS = [
    _table.c.tenant_id,
    _table.c.entity_type,
    _table.c.entity_key,
    _table.c.breach_type,
    _table.c.breach_date,
]


def _series_conditions(
    tenant_id: str, entity: EntityRef, breach_type: BreachType
) -> list[ColumnElement[bool]]:
    return [
        _table.c.tenant_id == tenant_id,
        _table.c.entity_type == entity.entity_type.value,
        _table.c.entity_key == entity.entity_key,
        _table.c.breach_type == breach_type.value,
    ]


def select_breach(
    tenant_id: str, entity: EntityRef, breach_type: BreachType, day: date
) -> Select[Any]:
    """Select the breach row of one entity, breach type and day by the unique key."""
    conditions = _series_conditions(tenant_id, entity, breach_type)
    return select(_table).where(*conditions, _table.c.breach_date == day)


def breach_row(
    tenant_id: str, breach_id: str, breach: CheckedBreach, now: datetime
) -> dict[str, Any]:
    """Return the column values of a new breach row, created and updated at ``now``."""
    return {
        "tenant_id": tenant_id,
        "id": breach_id,
        "entity_type": breach.entity.entity_type.value,
        "entity_key": breach.entity.entity_key,
        "breach_type": breach.breach_type.value,
        "breach_date": breach.breach_date,
        "deviation_pct_e6": breach.deviation_pct_e6,
        "current_value_nanos": breach.current_value_nanos,
        "baseline_value_nanos": breach.baseline_value_nanos,
        "created_at": now,
        "updated_at": now,
    }


def key_of(breach: CheckedBreach) -> BreachKey:
    """Return the stored key of a checked breach."""
    entity = breach.entity
    return (
        entity.entity_type.value,
        entity.entity_key,
        breach.breach_type.value,
        breach.breach_date,
    )


def row_key(row: Row[Any]) -> BreachKey:
    """Return the key of a stored breach row."""
    return (row.entity_type, row.entity_key, row.breach_type, row.breach_date)


def upsert_breaches(dialect: DialectHooks) -> ReturningInsert[Any]:
    """Build the upsert of breach rows, to run with a list of ``breach_row`` values.

    A stored key gets the new measured values only when they differ, so the
    statement returns the created and updated rows but not the unchanged ones.
    The rows must have distinct keys, because Postgres rejects a statement that
    would update one row twice.
    """
    insert = dialect.insert(_table)
    excluded = insert.excluded

    replaced = {name: excluded[name] for name in MEASURED_COLUMNS}
    differs = or_(*(_table.c[name] != excluded[name] for name in MEASURED_COLUMNS))
    return insert.on_conflict_do_update(
        index_elements=_KEY_COLUMNS,
        set_={**replaced, "updated_at": excluded.updated_at},
        where=differs,
    ).returning(*_table.c)


def select_breaches(tenant_id: str, keys: Sequence[BreachKey]) -> Select[Any]:
    """Select the breach rows of some stored keys."""
    statement = rows_with_keys(_table, _KEY_COLUMNS[1:], keys, "breach_keys")
    return statement.where(_table.c.tenant_id == tenant_id)


def look_back_start(day: date, max_days: int) -> date:
    """Return the first day a streak of at most ``max_days`` days ending on ``day`` can reach."""
    return day - timedelta(days=max_days - 1)


def select_breach_dates(
    tenant_id: str,
    entity_type: EntityType,
    entity_keys: list[str],
    breach_type: BreachType,
    day: date,
    max_days: int,
) -> Select[Any]:
    """Select the breach dates of some entities in the look-back ending on ``day``."""
    return select(_table.c.entity_key, _table.c.breach_date).where(
        _table.c.tenant_id == tenant_id,
        _table.c.entity_type == entity_type.value,
        _table.c.entity_key.in_(entity_keys),
        _table.c.breach_type == breach_type.value,
        and_(
            _table.c.breach_date >= look_back_start(day, max_days),
            _table.c.breach_date <= day,
        ),
    )


def streak_length(dates: set[date], day: date, max_days: int) -> int:
    """Count the consecutive breach dates ending on ``day``, at most ``max_days``."""
    length = 0
    current = day
    while length < max_days and current in dates:
        length += 1
        current -= timedelta(days=1)
    return length


def streak_lengths(
    rows: Iterable[Row[Any]], entity_keys: list[str], day: date, max_days: int
) -> dict[str, int]:
    """Return each entity's streak from fetched ``(entity_key, breach_date)`` rows."""
    dates: dict[str, set[date]] = defaultdict(set)
    for row in rows:
        dates[row.entity_key].add(row.breach_date)
    return {key: streak_length(dates[key], day, max_days) for key in entity_keys}


def to_breach(row: Row[Any]) -> BreachRecord:
    """Map a stored breach row to the domain record."""
    return BreachRecord(
        entity_type=EntityType(row.entity_type),
        entity_id=None if row.entity_key == NO_ENTITY else row.entity_key,
        breach_type=BreachType(row.breach_type),
        breach_date=row.breach_date,
        deviation_pct=e6_to_decimal(row.deviation_pct_e6),
        current_value_usd=nanos_to_usd(row.current_value_nanos),
        baseline_value_usd=nanos_to_usd(row.baseline_value_nanos),
        id=row.id,
        tenant_id=row.tenant_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
