"""SQLite statements that insert a batch of cost records and add the new ones to the rollups.

The batch travels as one JSON text parameter and SQLite expands it with
``json_each``, so building the rows, converting them and grouping the
rollup sums all run in SQLite's C code instead of per row in Python. The
INSERT returns the ids it inserted. One upsert per rollup then groups those
rows, read back by primary key, so a replayed record, which the INSERT skips,
adds nothing to the rollups.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Text, bindparam, func, select, true
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.sql.dml import ReturningInsert

from analytics.adapters.sql.cost_rollups import ROLLUPS, Rollup, add_grouped_sums, grouped_sums
from analytics.adapters.sql.cost_rows import BATCH_COLUMNS, COST_RECORD_KEY, batch_row
from analytics.adapters.sql.dialect import UpsertInsert
from analytics.adapters.sql.schema import cost_records
from analytics.adapters.sql.types import format_sqlite_timestamp
from analytics.adapters.sqlite.dialect import SqliteDialect
from analytics.ports.validation.costs import CheckedCostRecord

# The position of the occurred_at value in a JSON row of the batch.
_OCCURRED_AT = BATCH_COLUMNS.index("occurred_at")


@cache
def insert_new_records() -> ReturningInsert[Any]:
    """Build the INSERT of the batch that skips stored request ids and returns the new ids.

    Bind it with ``batch_parameters``.
    """
    value = func.json_each(bindparam("batch", type_=Text())).table_valued("value").c.value
    new_rows = select(
        _tenant_id(),
        bindparam("recorded_at", type_=cost_records.c.recorded_at.type),
        *(func.json_extract(value, f"$[{position}]") for position in range(len(BATCH_COLUMNS))),
    )
    # SQLite parses ON CONFLICT after INSERT ... SELECT only when the SELECT has a WHERE clause.
    new_rows = new_rows.where(true())
    statement = insert(cost_records).from_select(
        ["tenant_id", "recorded_at", *BATCH_COLUMNS], new_rows
    )
    statement = statement.on_conflict_do_nothing(index_elements=list(COST_RECORD_KEY))
    return statement.returning(cost_records.c.id)


@cache
def rollup_additions() -> tuple[UpsertInsert, ...]:
    """Build one upsert per rollup that adds the tenant's records whose ids are bound.

    Bind each with ``ids_parameters``.
    """
    return tuple(_add_to_rollup(rollup) for rollup in ROLLUPS)


def batch_parameters(
    tenant_id: str, recorded_at: datetime, rows: Sequence[tuple[str, CheckedCostRecord]]
) -> dict[str, Any]:
    """Return the parameters of ``insert_new_records`` for ``(id, record)`` rows.

    The rows become one JSON array of arrays, each in ``BATCH_COLUMNS`` order.
    """
    values = []
    for record_id, record in rows:
        row = batch_row(record_id, record)
        row[_OCCURRED_AT] = format_sqlite_timestamp(record.occurred_at)
        values.append(row)
    batch = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    return {"tenant_id": tenant_id, "recorded_at": recorded_at, "batch": batch}


def ids_parameters(tenant_id: str, record_ids: Sequence[str]) -> dict[str, Any]:
    """Return the parameters of the ``rollup_additions`` upserts."""
    return {"tenant_id": tenant_id, "ids": json.dumps(list(record_ids), ensure_ascii=False)}


def _tenant_id() -> BindParameter[str]:
    return bindparam("tenant_id", type_=Text())


def _add_to_rollup(rollup: Rollup) -> UpsertInsert:
    raw = cost_records.c
    ids = select(func.json_each(bindparam("ids", type_=Text())).table_valued("value").c.value)
    dialect = SqliteDialect()
    grouped = grouped_sums(dialect, rollup, raw, raw.tenant_id)
    grouped = grouped.where(raw.tenant_id == _tenant_id(), raw.id.in_(ids))
    return add_grouped_sums(dialect, rollup, grouped)
