"""Exact rollups of cost records: sums per tenant, period and group, kept with the raw rows.

Three tables hold the counts and integer sums of cost records:

* ``cost_rollup_quarter_hours`` per UTC quarter-hour, for the cost series;
* ``cost_rollup_model_hours`` per UTC hour and model, for the breakdown by model;
* ``cost_rollup_feature_hours`` per UTC hour and feature tag, for the breakdown
  by feature.

A write adds the records it newly inserted (the rows its ``INSERT … ON
CONFLICT DO NOTHING RETURNING`` returned) with one upsert per table, in the
same savepoint as the insert. A replay inserts no row and so adds nothing,
which keeps the rollups idempotent. ``rebuild_statements`` recomputes the
rollups from cost_records, which stay the source of truth.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Executable, Row, Table, case, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.adapters.sql.dialect import DialectHooks, UpsertInsert
from analytics.adapters.sql.schema import (
    UNTAGGED_FEATURE_KEY,
    cost_records,
    cost_rollup_feature_hours,
    cost_rollup_model_hours,
    cost_rollup_quarter_hours,
)
from analytics.domain import CostSource

QUARTER_HOUR_SECONDS = 900
HOUR_SECONDS = 3_600
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
ROLLUPS = (QUARTER_HOURS, MODEL_HOURS, FEATURE_HOURS)


def epoch_seconds(instant: datetime) -> int:
    """Return whole seconds since 1970-01-01T00:00Z, floored."""
    return (instant - _EPOCH) // timedelta(seconds=1)


def from_epoch_seconds(seconds: int) -> datetime:
    """Return the aware UTC instant of whole seconds since 1970-01-01T00:00Z."""
    return _EPOCH + timedelta(seconds=seconds)


def additions(
    dialect: DialectHooks, tenant_id: str, inserted: Sequence[Row[Any]]
) -> list[tuple[UpsertInsert, list[dict[str, Any]]]]:
    """Return, per rollup table, the upsert and its parameter rows that add the inserted records.

    Run each upsert with its rows as an executemany: the statement text stays the
    same for every batch, so it is compiled once, unlike a multi-row VALUES list.
    """
    if not inserted:
        return []
    return [
        (add_statement(dialect, rollup), _rollup_rows(tenant_id, rollup, inserted))
        for rollup in ROLLUPS
    ]


def _rollup_rows(
    tenant_id: str, rollup: Rollup, records: Iterable[Row[Any]]
) -> list[dict[str, Any]]:
    totals: dict[tuple[Any, ...], list[int]] = {}
    for record in records:
        sums = totals.setdefault(_key_of(rollup, tenant_id, record), [0] * len(SUM_COLUMNS))
        sums[0] += 1
        sums[1] += record.input_tokens
        sums[2] += record.output_tokens
        sums[3] += record.cost_nanos
        sums[4] += record.cost_source == CostSource.UNPRICED.value
    # Sorted keys make concurrent writers lock rollup rows in the same order.
    return [
        dict(zip(rollup.key_columns, key, strict=True)) | dict(zip(SUM_COLUMNS, sums, strict=True))
        for key, sums in sorted(totals.items())
    ]


def _key_of(rollup: Rollup, tenant_id: str, record: Row[Any]) -> tuple[Any, ...]:
    seconds = epoch_seconds(record.occurred_at)
    period = seconds - seconds % rollup.period_seconds
    if rollup.source_column is None:
        return (tenant_id, period, bool(record.is_synthetic))
    group = getattr(record, rollup.source_column)
    return (
        tenant_id,
        period,
        UNTAGGED_FEATURE_KEY if group is None else group,
        bool(record.is_synthetic),
    )


def add_statement(dialect: DialectHooks, rollup: Rollup) -> UpsertInsert:
    """Build the upsert that adds one row of sums to the stored sums of its key."""
    statement = dialect.insert(rollup.table)
    stored = rollup.table.c
    return statement.on_conflict_do_update(
        index_elements=list(rollup.key_columns),
        set_={name: stored[name] + statement.excluded[name] for name in SUM_COLUMNS},
    )


def rebuild_statements(dialect: DialectHooks, tenant_id: str | None) -> list[Executable]:
    """Build the statements that recompute every rollup from cost_records.

    With a ``tenant_id`` only that tenant's rollup rows are replaced; with
    ``None`` every tenant's are. Run them in one transaction.

    NOTE: on Postgres a concurrent cost record write can make the rebuild fail
    with a unique violation on a rollup key. Running the rebuild again fixes it.
    """
    statements: list[Executable] = []
    for rollup in ROLLUPS:
        removal = delete(rollup.table)
        if tenant_id is not None:
            removal = removal.where(rollup.table.c.tenant_id == tenant_id)
        statements.append(removal)
        statements.append(_recompute(dialect, rollup, tenant_id))
    return statements


def _recompute(dialect: DialectHooks, rollup: Rollup, tenant_id: str | None) -> Executable:
    raw = cost_records.c
    period = dialect.epoch_seconds(raw.occurred_at) // rollup.period_seconds * rollup.period_seconds
    keys: list[ColumnElement[Any]] = [raw.tenant_id, period]
    if rollup.source_column is not None:
        keys.append(func.coalesce(raw[rollup.source_column], UNTAGGED_FEATURE_KEY))
    keys.append(raw.is_synthetic)

    unpriced = case((raw.cost_source == CostSource.UNPRICED.value, 1), else_=0)
    sums = [
        func.count(),
        func.sum(raw.input_tokens),
        func.sum(raw.output_tokens),
        func.sum(raw.cost_nanos),
        func.sum(unpriced),
    ]
    grouped = select(*keys, *sums).group_by(*keys)
    if tenant_id is not None:
        grouped = grouped.where(raw.tenant_id == tenant_id)
    return insert(rollup.table).from_select([*rollup.key_columns, *SUM_COLUMNS], grouped)


async def rebuild_cost_rollups(
    engine: AsyncEngine, dialect: DialectHooks, tenant_id: str | None = None
) -> None:
    """Recompute the rollups of one tenant, or of every tenant, in one transaction."""
    async with engine.begin() as connection:
        for statement in rebuild_statements(dialect, tenant_id):
            await connection.execute(statement)
