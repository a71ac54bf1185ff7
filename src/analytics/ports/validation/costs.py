"""Argument checks of the cost writes: cost records, budgets and feature tags."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from analytics.domain import UNSET, CostSource, EntityType, NewCostRecord, Unset
from analytics.ports.errors import InvalidInput
from analytics.ports.validation import common

CheckedT = TypeVar("CheckedT")

MAX_KEY = 128
MAX_DISPLAY_NAME = 256
MAX_DESCRIPTION = 4096
MAX_BATCH = 1000
MAX_FEATURE_TAG_LIMIT = 5000

PAYLOAD_FIELDS: tuple[str, ...] = tuple(NewCostRecord.model_fields)
"""Fields of an idempotent cost-record replay, in the order the first difference is reported."""


@dataclass(frozen=True)
class CheckedCostRecord:
    """A cost record whose values passed every rule, with the cost in nano-dollars."""

    occurred_at: datetime
    model: str
    input_tokens: int
    output_tokens: int
    cost_nanos: int
    cost_source: CostSource
    price_ref: str | None
    user_id: str | None
    feature_tag: str | None
    request_id: str | None
    workflow_id: str | None
    skill_id: str | None
    is_retry: bool
    is_synthetic: bool

    def payload(self) -> dict[str, object]:
        """Return the normalised payload keyed by the ``NewCostRecord`` field names."""
        return cost_payload(vars(self) | {"cost_usd": self.cost_nanos})


def cost_payload(values: dict[str, object]) -> dict[str, object]:
    """Return the payload fields of a record whose cost is given in nano-dollars as cost_usd."""
    return {field: values[field] for field in PAYLOAD_FIELDS}


@dataclass(frozen=True)
class CheckedBudget:
    """Checked arguments of a budget write; ``entity_key`` is '' for a tenant budget."""

    budget_type: EntityType
    entity_key: str
    daily_limit_nanos: int | None
    monthly_limit_nanos: int | None
    warn_threshold_pct: int
    hard_limit_enabled: bool
    is_active: bool


@dataclass(frozen=True)
class NewFeatureTagValues:
    """Checked arguments of a feature-tag create."""

    tag: str
    display_name: str
    description: str | None
    budget_nanos: int | None


@dataclass(frozen=True)
class FeatureTagChanges:
    """Checked fields of a feature-tag update; ``UNSET`` keeps the stored value."""

    display_name: str | Unset
    description: str | Unset | None
    budget_nanos: int | Unset | None
    is_active: bool | Unset

    def given(self) -> dict[str, object]:
        """Return the given fields keyed by their column names."""
        values = {
            "display_name": self.display_name,
            "description": self.description,
            "budget_nanos": self.budget_nanos,
            "is_active": self.is_active,
        }
        return {column: value for column, value in values.items() if value is not UNSET}


def cost_record(value: object, path: str) -> CheckedCostRecord:
    """Check a ``NewCostRecord`` field by field in field order, naming ``<path>.<field>``."""
    if not isinstance(value, NewCostRecord):
        raise InvalidInput(path, value, "must be a NewCostRecord")
    prefix = f"{path}."

    occurred_at = common.instant(prefix + "occurred_at", value.occurred_at)
    model = common.identifier(prefix + "model", value.model, MAX_KEY)
    input_tokens = common.tokens(prefix + "input_tokens", value.input_tokens)
    output_tokens = common.tokens(prefix + "output_tokens", value.output_tokens)
    cost_nanos, cost_source, price_ref = _priced_cost(value, prefix)

    return CheckedCostRecord(
        occurred_at=occurred_at,
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_nanos=cost_nanos,
        cost_source=cost_source,
        price_ref=price_ref,
        user_id=common.optional_identifier(prefix + "user_id", value.user_id, MAX_KEY),
        feature_tag=common.optional_identifier(prefix + "feature_tag", value.feature_tag, MAX_KEY),
        request_id=common.optional_identifier(prefix + "request_id", value.request_id, MAX_KEY),
        workflow_id=common.optional_identifier(prefix + "workflow_id", value.workflow_id, MAX_KEY),
        skill_id=common.optional_identifier(prefix + "skill_id", value.skill_id, MAX_KEY),
        is_retry=common.boolean(prefix + "is_retry", value.is_retry),
        is_synthetic=common.boolean(prefix + "is_synthetic", value.is_synthetic),
    )


def _priced_cost(record: NewCostRecord, prefix: str) -> tuple[int, CostSource, str | None]:
    """Check the cost and its price provenance.

    An ``unpriced`` record must cost zero after rounding, and ``price_ref`` is
    set exactly when the cost is ``estimated``.
    """
    nanos = common.money(prefix + "cost_usd", record.cost_usd)
    source = common.enum_member(prefix + "cost_source", record.cost_source, CostSource)
    if source is CostSource.UNPRICED and nanos != 0:
        raise InvalidInput(
            prefix + "cost_usd",
            record.cost_usd,
            "must be 0 when cost_source is unpriced; store a priced call as reported or estimated",
        )

    price_ref = common.optional_identifier(prefix + "price_ref", record.price_ref, MAX_KEY)
    if source is CostSource.ESTIMATED and price_ref is None:
        raise InvalidInput(
            prefix + "price_ref", price_ref, "is required when cost_source is estimated"
        )
    if source is not CostSource.ESTIMATED and price_ref is not None:
        raise InvalidInput(
            prefix + "price_ref",
            price_ref,
            f"must be None because cost_source is {source.value}, "
            "and only an estimated cost names a price",
        )
    return nanos, source, price_ref


def cost_records(values: object) -> list[CheckedCostRecord]:
    """Check a batch of at most 1,000 records, reporting ``records[i].<field>`` for the lowest i."""
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise InvalidInput("records", values, "must be a list of NewCostRecord")
    if len(values) > MAX_BATCH:
        raise InvalidInput(
            "records", f"<{len(values)} records>", f"must hold at most {MAX_BATCH} records"
        )
    return [cost_record(item, f"records[{index}]") for index, item in enumerate(values)]


def budget(
    budget_type: object,
    entity_id: object,
    daily_limit_usd: object,
    monthly_limit_usd: object,
    warn_threshold_pct: object,
    hard_limit_enabled: object,
    is_active: object,
) -> CheckedBudget:
    """Check the arguments of a budget write in signature order.

    At least one limit is required; a missing pair is reported on ``daily_limit_usd``.
    """
    entity_type = common.enum_member("budget_type", budget_type, EntityType)
    entity_key = common.entity_key(entity_type, entity_id)
    daily = _optional_limit("daily_limit_usd", daily_limit_usd)
    monthly = _optional_limit("monthly_limit_usd", monthly_limit_usd)
    if daily is None and monthly is None:
        raise InvalidInput(
            "daily_limit_usd",
            None,
            "at least one of daily_limit_usd and monthly_limit_usd is required",
        )

    threshold = common.integer("warn_threshold_pct", warn_threshold_pct, 1, 100)
    hard_limit = common.boolean("hard_limit_enabled", hard_limit_enabled)
    active = common.boolean("is_active", is_active)
    return CheckedBudget(entity_type, entity_key, daily, monthly, threshold, hard_limit, active)


def _optional_limit(field: str, value: object) -> int | None:
    return common.optional_money(field, value, maximum=common.MAX_LIMIT_USD, positive=True)


def tag(value: object) -> str:
    """Check a feature tag (case-sensitive, at most 128 code points)."""
    return common.identifier("tag", value, MAX_KEY)


def new_feature_tag(
    tag_value: object, display_name: object, description: object, budget_usd: object
) -> NewFeatureTagValues:
    """Check the arguments of a feature-tag create in signature order."""
    return NewFeatureTagValues(
        tag=tag(tag_value),
        display_name=common.identifier("display_name", display_name, MAX_DISPLAY_NAME),
        description=common.optional_text("description", description, MAX_DESCRIPTION),
        budget_nanos=_optional_limit("budget_usd", budget_usd),
    )


def feature_tag_changes(
    display_name: object, description: object, budget_usd: object, is_active: object
) -> FeatureTagChanges:
    """Check the fields of a feature-tag update; at least one must be given.

    ``None`` clears ``description`` and ``budget_usd`` but is invalid for
    ``display_name`` and ``is_active``. A call without any field is reported on
    ``display_name``, the first of them.
    """
    changes = FeatureTagChanges(
        display_name=_unless_unset(display_name, _display_name),
        description=_unless_unset(description, _description),
        budget_nanos=_unless_unset(budget_usd, _budget),
        is_active=_unless_unset(is_active, _is_active),
    )
    if not changes.given():
        raise InvalidInput(
            "display_name",
            UNSET,
            "no field to update was given; pass display_name, description, budget_usd or is_active",
        )
    return changes


def _unless_unset(value: object, check: Callable[[object], CheckedT]) -> CheckedT | Unset:
    return UNSET if value is UNSET else check(value)


def _display_name(value: object) -> str:
    return common.identifier("display_name", value, MAX_DISPLAY_NAME)


def _description(value: object) -> str | None:
    return common.optional_text("description", value, MAX_DESCRIPTION)


def _budget(value: object) -> int | None:
    return _optional_limit("budget_usd", value)


def _is_active(value: object) -> bool:
    return common.boolean("is_active", value)


def list_filter(is_active: object, limit: object) -> tuple[bool | None, int]:
    """Check the arguments of a feature-tag list in signature order."""
    active = common.optional_boolean("is_active", is_active)
    checked_limit = common.limit(limit, MAX_FEATURE_TAG_LIMIT)
    return active, checked_limit
