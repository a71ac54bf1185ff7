"""Reads of many rows by a multi-column key, one index probe per key on both backends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import CTE, Column, Select, Table, and_, column, select, values


def rows_with_keys(
    table: Table, key_columns: Sequence[Column[Any]], keys: Sequence[tuple[Any, ...]], name: str
) -> Select[Any]:
    """Select the rows of ``table`` whose ``key_columns`` equal one of ``keys``.

    The keys become ``WITH <name>(<columns>) AS (VALUES ...)`` joined to the
    table. With an index on the tenant and the key columns, SQLite 3.40 then
    searches the index once per key, and Postgres 15 does so or picks a hash
    join by cost. SQLite needs this form: it searches a row-value
    ``IN (VALUES ...)`` by the tenant alone, and rejects an ``OR`` of 1,000
    keys as deeper than its maximum expression depth of 1,000. The caller adds
    the ``tenant_id`` filter.
    """
    key_table = _key_table(key_columns, keys, name)
    matches = [key_column == key_table.c[key_column.name] for key_column in key_columns]
    return select(table).join(key_table, and_(*matches))


def _key_table(
    key_columns: Sequence[Column[Any]], keys: Sequence[tuple[Any, ...]], name: str
) -> CTE:
    typed = [column(key_column.name, key_column.type) for key_column in key_columns]
    return values(*typed, name=name).data(list(keys)).cte(name)
