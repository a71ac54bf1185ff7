"""Statements and row mapping of the cost writes: cost records, budgets and feature tags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, or_, select, update
from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate

from analytics.adapters.sql.dialect import DialectHooks
from analytics.adapters.sql.schema import NO_ENTITY, cost_budgets, cost_records, feature_tags
from analytics.domain import Budget, CostRecord, CostSource, EntityType, FeatureTag
from analytics.domain.money import nanos_to_usd
from analytics.ports.validation.costs import (
    CheckedBudget,
    CheckedCostRecord,
    NewFeatureTagValues,
    cost_payload,
)

COST_RECORD_KEY = ("tenant_id", "request_id")
BUDGET_KEY = ("tenant_id", "budget_type", "entity_key")
FEATURE_TAG_KEY = ("tenant_id", "tag")
BUDGET_VALUES = (
    "daily_limit_nanos",
    "monthly_limit_nanos",
    "warn_threshold_pct",
    "hard_limit_enabled",
    "is_active",
)


BATCH_COLUMNS = (
    "id",
    "request_id",
    "occurred_at",
    "model",
    "user_id",
    "feature_tag",
    "workflow_id",
    "skill_id",
    "input_tokens",
    "output_tokens",
    "cost_nanos",
    "cost_source",
    "price_ref",
    "is_retry",
    "is_synthetic",
)
"""The cost_records columns that a batch insert sends per row; tenant and insert time are shared."""


def batch_row(record_id: str, record: CheckedCostRecord) -> list[Any]:
    """Return a new cost record's values in ``BATCH_COLUMNS`` order, the cost source as text."""
    values: list[Any] = [record_id]
    values.extend(getattr(record, name) for name in BATCH_COLUMNS[1:])
    values[BATCH_COLUMNS.index("cost_source")] = record.cost_source.value
    return values


def select_cost_records_by_request(tenant_id: str, request_ids: Sequence[str]) -> Select[Any]:
    """Select the tenant's stored cost records with the given request ids."""
    return select(*cost_records.columns).where(
        cost_records.c.tenant_id == tenant_id, cost_records.c.request_id.in_(request_ids)
    )


def stored_payload(row: Row[Any]) -> dict[str, object]:
    """Return the idempotency payload of a stored cost record, cost in nano-dollars."""
    values = row._asdict()
    values["cost_usd"] = values["cost_nanos"]
    values["cost_source"] = CostSource(values["cost_source"])
    return cost_payload(values)


def to_cost_record(row: Row[Any]) -> CostRecord:
    """Map a cost_records row to the domain record."""
    values = row._asdict()
    values["cost_usd"] = nanos_to_usd(values.pop("cost_nanos"))
    return CostRecord.model_validate(values)


def upsert_budget(
    dialect: DialectHooks, tenant_id: str, budget_id: str, budget: CheckedBudget, now: datetime
) -> ReturningInsert[Any]:
    """Build the budget upsert: insert, or write the values when any of them differs.

    The statement returns no row when the stored values are equal, and the
    returned ``id`` equals ``budget_id`` only when the row was inserted.
    """
    statement = dialect.insert(cost_budgets).values(
        tenant_id=tenant_id,
        id=budget_id,
        budget_type=budget.budget_type.value,
        entity_key=budget.entity_key,
        created_at=now,
        updated_at=now,
        **{name: getattr(budget, name) for name in BUDGET_VALUES},
    )
    statement = statement.on_conflict_do_update(
        index_elements=list(BUDGET_KEY),
        set_={name: statement.excluded[name] for name in (*BUDGET_VALUES, "updated_at")},
        where=_any_differs(cost_budgets.c, statement.excluded, BUDGET_VALUES),
    )
    return statement.returning(*cost_budgets.columns)


def _any_differs(stored: Any, new: Any, names: Sequence[str]) -> ColumnElement[bool]:
    # IS DISTINCT FROM treats two NULLs as equal. SQLAlchemy renders it as IS NOT on SQLite.
    return or_(*(stored[name].is_distinct_from(new[name]) for name in names))


def select_budget(tenant_id: str, budget: CheckedBudget) -> Select[Any]:
    """Select the tenant's budget with the same type and entity."""
    return select(*cost_budgets.columns).where(
        cost_budgets.c.tenant_id == tenant_id,
        cost_budgets.c.budget_type == budget.budget_type.value,
        cost_budgets.c.entity_key == budget.entity_key,
    )


def to_budget(row: Row[Any]) -> Budget:
    """Map a cost_budgets row to the domain budget, turning the tenant's entity_key '' into None."""
    return Budget(
        id=row.id,
        tenant_id=row.tenant_id,
        budget_type=EntityType(row.budget_type),
        entity_id=None if row.entity_key == NO_ENTITY else row.entity_key,
        daily_limit_usd=_optional_usd(row.daily_limit_nanos),
        monthly_limit_usd=_optional_usd(row.monthly_limit_nanos),
        warn_threshold_pct=row.warn_threshold_pct,
        hard_limit_enabled=row.hard_limit_enabled,
        is_active=row.is_active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def insert_feature_tag(
    dialect: DialectHooks, tenant_id: str, tag: NewFeatureTagValues, now: datetime
) -> ReturningInsert[Any]:
    """Build the INSERT of an active feature tag that returns no row when the tag exists."""
    statement = dialect.insert(feature_tags).values(
        tenant_id=tenant_id,
        tag=tag.tag,
        display_name=tag.display_name,
        description=tag.description,
        budget_nanos=tag.budget_nanos,
        is_active=True,
        created_at=now,
        updated_at=now,
    )
    statement = statement.on_conflict_do_nothing(index_elements=list(FEATURE_TAG_KEY))
    return statement.returning(*feature_tags.columns)


def update_feature_tag(
    tenant_id: str, tag: str, changes: Mapping[str, object], now: datetime
) -> ReturningUpdate[Any]:
    """Build the UPDATE of the given columns that touches the row only when one of them differs."""
    return (
        update(feature_tags)
        .where(
            feature_tags.c.tenant_id == tenant_id,
            feature_tags.c.tag == tag,
            _any_differs(feature_tags.c, changes, list(changes)),
        )
        .values({**changes, "updated_at": now})
        .returning(*feature_tags.columns)
    )


def select_feature_tag(tenant_id: str, tag: str) -> Select[Any]:
    """Select one feature tag of the tenant by its key."""
    return select(*feature_tags.columns).where(
        feature_tags.c.tenant_id == tenant_id, feature_tags.c.tag == tag
    )


def select_feature_tags(tenant_id: str, is_active: bool | None, limit: int) -> Select[Any]:
    """Select the tenant's feature tags in binary tag order, optionally by activity."""
    statement = select(*feature_tags.columns).where(feature_tags.c.tenant_id == tenant_id)
    if is_active is not None:
        statement = statement.where(feature_tags.c.is_active == is_active)
    return statement.order_by(feature_tags.c.tag).limit(limit)


def to_feature_tag(row: Row[Any]) -> FeatureTag:
    """Map a feature_tags row to the domain tag."""
    values = row._asdict()
    values["budget_usd"] = _optional_usd(values.pop("budget_nanos"))
    return FeatureTag.model_validate(values)


def _optional_usd(nanos: int | None) -> Decimal | None:
    return None if nanos is None else nanos_to_usd(nanos)
