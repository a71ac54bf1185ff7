"""Cost breakdowns of a tenant's window by one column: the first groups, the rest, the total.

One statement groups the window's cost records by the key column, ranks the
groups in the documented order with ``ROW_NUMBER()``, and folds every group
after the first ``limit`` into one "rest" row. So the database returns at most
``limit + 1`` rows, however many groups the window holds, and Python adds the
total from the items and the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Row,
    Select,
    Subquery,
    case,
    func,
    literal,
    select,
)

from analytics.adapters.sql.schema import cost_records
from analytics.adapters.sql.series import window_conditions
from analytics.adapters.sql.session import SqlSession
from analytics.domain import CostSource, CostTotals
from analytics.domain.money import nanos_to_usd
from analytics.ports.validation.reads import BreakdownQuery

MEASURES = ("requests", "spend_nanos", "input_tokens", "output_tokens", "unpriced_requests")


@dataclass(frozen=True)
class GroupTotals:
    """Sums of one group, or of several groups when ``groups`` is more than 1.

    ``key`` is the group's value of the key column. It is ``None`` for the
    rest, for the total, and for the group of rows whose key is NULL.
    """

    key: str | None
    groups: int
    requests: int
    spend_nanos: int
    input_tokens: int
    output_tokens: int
    unpriced_requests: int


@dataclass(frozen=True)
class Breakdown:
    """The first ``limit`` groups in order, the sum of the other groups, and the sum of all."""

    items: list[GroupTotals]
    rest: GroupTotals
    total: GroupTotals


_NO_GROUPS = GroupTotals(None, 0, 0, 0, 0, 0, 0)


def breakdown_statement(key: Column[Any], query: BreakdownQuery) -> Select[Any]:
    """Build the statement that returns the first ``limit`` groups by rank, then one rest row."""
    conditions = window_conditions(
        cost_records,
        "occurred_at",
        query.tenant_id,
        query.start,
        query.end,
        query.include_synthetic,
    )
    groups = grouped_records(key, conditions).subquery("groups")
    return ranked_statement(groups, query.limit)


def ranked_statement(groups: Subquery, limit: int) -> Select[Any]:
    """Build the ranking of groups with one row each: the first ``limit``, then one rest row.

    ``groups`` has the columns ``group_key`` and the measures of ``grouped_records``.
    """
    ranked = _ranked(groups)
    slotted = _slotted(ranked, limit)
    return _folded(slotted)


async def fetch_breakdown(
    session: SqlSession, key: Column[Any], query: BreakdownQuery
) -> Breakdown:
    """Run a breakdown of the window's cost records by ``key``."""
    statement = breakdown_statement(key, query)
    return await fetch_ranked(session, statement, query.limit)


async def fetch_ranked(session: SqlSession, statement: Select[Any], limit: int) -> Breakdown:
    """Run a statement built by ``ranked_statement`` and return its breakdown."""
    rows = await session.fetch_all(statement)

    return _breakdown(rows, limit)


def cost_totals(group: GroupTotals) -> CostTotals:
    """Return the domain totals of a rest or total row."""
    return CostTotals(
        groups=group.groups,
        requests=group.requests,
        spend_usd=nanos_to_usd(group.spend_nanos),
        input_tokens=group.input_tokens,
        output_tokens=group.output_tokens,
        unpriced_requests=group.unpriced_requests,
    )


def grouped_records(key: Column[Any], conditions: Sequence[ColumnElement[bool]]) -> Select[Any]:
    """Select the measures of the cost records matching ``conditions``, one row per ``key``."""
    table = cost_records
    unpriced = case((table.c.cost_source == CostSource.UNPRICED.value, 1), else_=0)
    return (
        select(
            key.label("group_key"),
            func.count().label("requests"),
            func.sum(table.c.cost_nanos).label("spend_nanos"),
            func.sum(table.c.input_tokens).label("input_tokens"),
            func.sum(table.c.output_tokens).label("output_tokens"),
            func.sum(unpriced).label("unpriced_requests"),
        )
        .where(*conditions)
        .group_by(key)
    )


def _ranked(groups: Subquery) -> Subquery:
    # Spend and requests descending, then the key in binary order with NULL first.
    # The key is unique per group, so the order is total.
    order = (
        groups.c.spend_nanos.desc(),
        groups.c.requests.desc(),
        groups.c.group_key.asc().nulls_first(),
    )
    position = func.row_number().over(order_by=order).label("position")
    return select(*groups.c, position).subquery("ranked")


def _slotted(ranked: Subquery, limit: int) -> Subquery:
    # Groups ranked after the limit share the slot limit + 1, the rest row.
    rest_slot = literal(limit + 1)
    slot: ColumnElement[int] = case(
        (ranked.c.position <= limit, ranked.c.position), else_=rest_slot
    )
    return select(*ranked.c, slot.label("slot")).subquery("slotted")


def _folded(slotted: Subquery) -> Select[Any]:
    sums = [func.sum(slotted.c[name]).label(name) for name in MEASURES]
    # An item slot contains one group, so MAX returns its key. The rest row's key is ignored.
    return (
        select(
            slotted.c.slot,
            func.max(slotted.c.group_key).label("group_key"),
            func.count().label("groups"),
            *sums,
        )
        .group_by(slotted.c.slot)
        .order_by(slotted.c.slot)
    )


def _breakdown(rows: Sequence[Row[Any]], limit: int) -> Breakdown:
    items = [_group_totals(row) for row in rows if row.slot <= limit]
    rests = [replace(_group_totals(row), key=None) for row in rows if row.slot > limit]
    rest = rests[0] if rests else _NO_GROUPS
    return Breakdown(items, rest, _add([*items, rest]))


def _group_totals(row: Row[Any]) -> GroupTotals:
    # Postgres returns SUM of a BIGINT as a Decimal, which int() converts exactly.
    sums = (int(row._mapping[name]) for name in MEASURES)
    return GroupTotals(row.group_key, int(row.groups), *sums)


def _add(groups: Sequence[GroupTotals]) -> GroupTotals:
    fields = ("groups", *MEASURES)
    return GroupTotals(None, *(sum(getattr(group, name) for group in groups) for name in fields))
