"""One Postgres statement that inserts a batch of cost records and adds them to every rollup.

The batch travels as one array per column and is expanded with ``unnest``,
so the statement text is the same for every batch size and asyncpg prepares
it once. Each column is a single binary-encoded parameter, instead of 17
bound values per row. The INSERT returns the rows it inserted. Each
rollup upsert is a data-modifying CTE that groups those returned rows, so a
replayed record, which the INSERT skips, adds nothing to the rollups. The
statement makes one round trip per batch, whatever the number of rollups.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    BindParameter,
    Boolean,
    Integer,
    Select,
    Text,
    bindparam,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP, insert
from sqlalchemy.types import TypeEngine

from analytics.adapters.postgres.dialect import PostgresDialect
from analytics.adapters.sql.cost_rollups import ROLLUPS, Rollup, add_grouped_sums, grouped_sums
from analytics.adapters.sql.cost_rows import BATCH_COLUMNS, COST_RECORD_KEY, batch_row
from analytics.adapters.sql.schema import cost_records
from analytics.ports.validation.costs import CheckedCostRecord

# Element type of each column's array, for every name in ``BATCH_COLUMNS``. Text
# arrays leave the length checks to the assignment into the VARCHAR(n) columns,
# which raises on an overlong value, unlike an explicit cast to VARCHAR(n), which
# truncates it.
_ARRAY_TYPES: dict[str, TypeEngine[Any]] = {
    "id": Text(),
    "request_id": Text(),
    "occurred_at": TIMESTAMP(timezone=True),
    "model": Text(),
    "user_id": Text(),
    "feature_tag": Text(),
    "workflow_id": Text(),
    "skill_id": Text(),
    "input_tokens": Integer(),
    "output_tokens": Integer(),
    "cost_nanos": BigInteger(),
    "cost_source": Text(),
    "price_ref": Text(),
    "is_retry": Boolean(),
    "is_synthetic": Boolean(),
}

_DIALECT = PostgresDialect()

# The columns the rollups group and sum, returned by the INSERT for its new rows.
_ROLLED_UP_COLUMNS = (
    "occurred_at",
    "model",
    "feature_tag",
    "input_tokens",
    "output_tokens",
    "cost_nanos",
    "cost_source",
    "is_synthetic",
)


@cache
def insert_with_rollups(rollups: tuple[Rollup, ...] = ROLLUPS) -> Select[Any]:
    """Build the statement; it returns the ``id`` of every newly inserted cost record.

    Bind it with ``batch_parameters``. Stored request ids are skipped, and the
    rows of each rollup are locked in key order, so concurrent writers of one
    tenant do not deadlock on them. The adapter adds to every rollup; the
    benchmarks pass fewer to measure what the rollups cost.
    """
    tenant_id = bindparam("tenant_id", type_=Text())
    batch = (
        func.unnest(*(_array(name) for name in BATCH_COLUMNS))
        .table_valued(*BATCH_COLUMNS)
        .render_derived(name="batch")
    )
    new_rows = select(
        tenant_id.label("tenant_id"),
        bindparam("recorded_at", type_=TIMESTAMP(timezone=True)).label("recorded_at"),
        *(batch.c[name] for name in BATCH_COLUMNS),
    )
    inserted = (
        insert(cost_records)
        .from_select(["tenant_id", "recorded_at", *BATCH_COLUMNS], new_rows)
        .on_conflict_do_nothing(index_elements=list(COST_RECORD_KEY))
        .returning(cost_records.c.id, *(cost_records.c[name] for name in _ROLLED_UP_COLUMNS))
        .cte("inserted")
    )
    additions = [_add_to_rollup(rollup, inserted, tenant_id) for rollup in rollups]
    return select(inserted.c.id).add_cte(*additions)


def batch_parameters(
    tenant_id: str, recorded_at: datetime, rows: Sequence[tuple[str, CheckedCostRecord]]
) -> dict[str, Any]:
    """Return the parameters of ``insert_with_rollups`` for ``(id, record)`` rows.

    Each column becomes one list, in row order.
    """
    values = [batch_row(record_id, record) for record_id, record in rows]
    columns = {
        name: [row[position] for row in values] for position, name in enumerate(BATCH_COLUMNS)
    }
    return {"tenant_id": tenant_id, "recorded_at": recorded_at, **columns}


def _array(name: str) -> BindParameter[Any]:
    return bindparam(name, type_=ARRAY(_ARRAY_TYPES[name]))


def _add_to_rollup(rollup: Rollup, inserted: CTE, tenant_id: BindParameter[Any]) -> CTE:
    """Build the CTE that adds the grouped inserted rows to one rollup table."""
    grouped = grouped_sums(_DIALECT, rollup, inserted.c, tenant_id)
    # Sorted keys make concurrent writers lock rollup rows in the same order.
    keys = list(grouped.selected_columns)[: len(rollup.key_columns)]
    grouped = grouped.order_by(*keys)
    return add_grouped_sums(_DIALECT, rollup, grouped).cte(f"added_to_{rollup.table.name}")
