"""Exact rollups of cost records: sums per tenant, period and group, kept with the raw rows.

Five tables hold the counts and integer sums of cost records:

* ``cost_rollup_quarter_hours`` per UTC quarter-hour, for the cost series;
* ``cost_rollup_model_days`` and ``cost_rollup_model_hours`` per UTC day or
  hour and model, for the breakdown by model;
* ``cost_rollup_feature_days`` and ``cost_rollup_feature_hours`` per UTC day
  or hour and feature tag, for the breakdown by feature.

A write adds the records it newly inserted, and only those, to every rollup
in the same savepoint as the INSERT: the Postgres adapter in the same
statement (one CTE per rollup), the SQLite adapter with one grouped upsert per
rollup. A replay inserts no row and so adds nothing, which keeps the rollups
idempotent. ``rebuild_statements`` recomputes the
rollups from cost_records, which stay the source of truth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Select,
    Table,
    TextClause,
    case,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from analytics.adapters.sql.dialect import DialectHooks, UpsertInsert
from analytics.adapters.sql.schema import (
    UNTAGGED_FEATURE_KEY,
    cost_records,
    cost_rollup_feature_days,
    cost_rollup_feature_hours,
    cost_rollup_model_days,
    cost_rollup_model_hours,
    cost_rollup_quarter_hours,
)
from analytics.domain import CostSource

QUARTER_HOUR_SECONDS = 900
HOUR_SECONDS = 3_600
DAY_SECONDS = 86_400
SUM_COLUMNS = ("requests", "input_tokens", "output_tokens", "cost_nanos", "unpriced_requests")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Rollup:
    """One rollup table: its period length and the column it groups by, if any.

    ``group_column`` is the rollup's group key column and ``source_column`` the
    cost_records column its values come from (NULL becomes ``UNTAGGED_FEATURE_KEY``).
    """

    table: Table
    period_column: str
    period_seconds: int
    group_column: str | None = None
    source_column: str | None = None

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The primary key columns, in key order."""
        group = () if self.group_column is None else (self.group_column,)
        return ("tenant_id", self.period_column, *group, "is_synthetic")


QUARTER_HOURS = Rollup(cost_rollup_quarter_hours, "quarter_start_epoch", QUARTER_HOUR_SECONDS)
MODEL_HOURS = Rollup(cost_rollup_model_hours, "hour_start_epoch", HOUR_SECONDS, "model", "model")
FEATURE_HOURS = Rollup(
    cost_rollup_feature_hours, "hour_start_epoch", HOUR_SECONDS, "feature_key", "feature_tag"
)
MODEL_DAYS = Rollup(cost_rollup_model_days, "day_start_epoch", DAY_SECONDS, "model", "model")
FEATURE_DAYS = Rollup(
    cost_rollup_feature_days, "day_start_epoch", DAY_SECONDS, "feature_key", "feature_tag"
)
ROLLUPS = (QUARTER_HOURS, MODEL_HOURS, FEATURE_HOURS, MODEL_DAYS, FEATURE_DAYS)

# The rollups of one breakdown, longest period first. Each period is a whole
# multiple of the next one, so the whole days of a window are also whole hours.
MODEL_LEVELS = (MODEL_DAYS, MODEL_HOURS)
FEATURE_LEVELS = (FEATURE_DAYS, FEATURE_HOURS)


def epoch_seconds(instant: datetime) -> int:
    """Return whole seconds since 1970-01-01T00:00Z, floored."""
    return (instant - _EPOCH) // timedelta(seconds=1)


def from_epoch_seconds(seconds: int) -> datetime:
    """Return the aware UTC instant of whole seconds since 1970-01-01T00:00Z."""
    return _EPOCH + timedelta(seconds=seconds)


def lock_rollups() -> TextClause:
    """Build the Postgres LOCK that keeps cost record writes out of a rebuild's transaction.

    Every cost record write takes ROW EXCLUSIVE on the rollup tables, which
    conflicts with SHARE ROW EXCLUSIVE. So the lock waits for the running writes
    to commit, and new writes wait until the rebuild commits. Reads are not
    blocked. SQLite needs no lock, because a transaction there holds the
    database's single write lock from BEGIN.
    """
    names = ", ".join(rollup.table.name for rollup in ROLLUPS)
    return text(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")


def rebuild_statements(
    dialect: DialectHooks, tenant_id: str | None, rollups: Sequence[Rollup] = ROLLUPS
) -> list[Executable]:
    """Build the statements that recompute the ``rollups`` (default: all) from cost_records.

    With a ``tenant_id`` only that tenant's rollup rows are replaced; with
    ``None`` every tenant's are. Run them in one transaction, on Postgres after
    ``lock_rollups``, so that no cost record write runs between them.
    """
    statements: list[Executable] = []
    for rollup in rollups:
        removal = delete(rollup.table)
        if tenant_id is not None:
            removal = removal.where(rollup.table.c.tenant_id == tenant_id)
        statements.append(removal)
        statements.append(_recompute(dialect, rollup, tenant_id))
    return statements


def _recompute(dialect: DialectHooks, rollup: Rollup, tenant_id: str | None) -> Executable:
    raw = cost_records.c
    grouped = grouped_sums(dialect, rollup, raw, raw.tenant_id)
    if tenant_id is not None:
        grouped = grouped.where(raw.tenant_id == tenant_id)
    return insert(rollup.table).from_select([*rollup.key_columns, *SUM_COLUMNS], grouped)


def grouped_sums(
    dialect: DialectHooks,
    rollup: Rollup,
    records: ReadOnlyColumnCollection[str, Any],
    tenant_id: ColumnElement[Any],
) -> Select[Any]:
    """Select the rollup's key columns and sums of ``records``, grouped by key.

    ``records`` contains cost_records columns: of the table itself, or of a CTE
    that returns its rows. The caller adds the filter.
    """
    period = dialect.epoch_seconds(records.occurred_at)
    keys: list[ColumnElement[Any]] = [
        tenant_id,
        period // rollup.period_seconds * rollup.period_seconds,
    ]
    if rollup.source_column is not None:
        keys.append(func.coalesce(records[rollup.source_column], UNTAGGED_FEATURE_KEY))
    keys.append(records.is_synthetic)

    unpriced = case((records.cost_source == CostSource.UNPRICED.value, 1), else_=0)
    sums = [
        func.count(),
        func.sum(records.input_tokens),
        func.sum(records.output_tokens),
        func.sum(records.cost_nanos),
        func.sum(unpriced),
    ]
    return select(*keys, *sums).group_by(*keys)


def add_grouped_sums(dialect: DialectHooks, rollup: Rollup, grouped: Select[Any]) -> UpsertInsert:
    """Build the upsert that adds the rows of ``grouped_sums`` to the stored sums of their keys."""
    statement = dialect.insert(rollup.table)
    statement = statement.from_select([*rollup.key_columns, *SUM_COLUMNS], grouped)
    stored = rollup.table.c
    return statement.on_conflict_do_update(
        index_elements=list(rollup.key_columns),
        set_={name: stored[name] + statement.excluded[name] for name in SUM_COLUMNS},
    )


async def rebuild_cost_rollups(
    engine: AsyncEngine, dialect: DialectHooks, tenant_id: str | None = None
) -> None:
    """Recompute the rollups of one tenant, or of every tenant, in one transaction.

    On Postgres the cost record writes of every tenant wait while it runs, so
    none is lost or counted twice.
    """
    async with engine.begin() as connection:
        if dialect.name == "postgresql":
            await connection.execute(lock_rollups())
        for statement in rebuild_statements(dialect, tenant_id):
            await connection.execute(statement)
