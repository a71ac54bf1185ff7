"""Cost records, feature tags, budgets, and the series and breakdowns read from them.

Fields ending in ``_usd`` are US dollars; on output they carry exactly nine
decimal places.
"""

from __future__ import annotations

from datetime import datetime

from analytics.domain.common import (
    EnumInput,
    InputDecimal,
    InputModel,
    OutputDecimal,
    OutputModel,
    UtcDatetime,
)
from analytics.domain.enums import CostSource, EntityType


class NewCostRecord(InputModel):
    """One metered LLM call, as passed to ``create_cost_record``.

    The field order is the order in which an idempotent replay reports the
    first field that differs from the stored record.
    ``price_ref`` is set exactly when ``cost_source`` is ``estimated``, and an
    ``unpriced`` record costs zero; the port checks both rules.
    """

    occurred_at: datetime
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: InputDecimal
    cost_source: EnumInput[CostSource] = CostSource.REPORTED
    price_ref: str | None = None
    user_id: str | None = None
    feature_tag: str | None = None
    request_id: str | None = None
    workflow_id: str | None = None
    skill_id: str | None = None
    is_retry: bool = False
    is_synthetic: bool = False


class CostRecord(OutputModel):
    """Stored cost record: the fields of ``NewCostRecord`` plus id, tenant and insert time."""

    occurred_at: UtcDatetime
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: OutputDecimal
    cost_source: CostSource = CostSource.REPORTED
    price_ref: str | None = None
    user_id: str | None = None
    feature_tag: str | None = None
    request_id: str | None = None
    workflow_id: str | None = None
    skill_id: str | None = None
    is_retry: bool = False
    is_synthetic: bool = False
    id: str
    tenant_id: str
    recorded_at: UtcDatetime


class FeatureTag(OutputModel):
    """Feature tag of a tenant; ``tag`` is its case-sensitive key."""

    tenant_id: str
    tag: str
    display_name: str
    description: str | None
    budget_usd: OutputDecimal | None
    is_active: bool
    created_at: UtcDatetime
    updated_at: UtcDatetime


class Budget(OutputModel):
    """Daily and monthly spend limits of a tenant, a user or a feature.

    ``entity_id`` is ``None`` exactly when ``budget_type`` is ``tenant``.
    Limits are in US dollars per local day or month; ``warn_threshold_pct`` is
    the percentage of a limit (1 to 100) at which to warn.
    """

    id: str
    tenant_id: str
    budget_type: EntityType
    entity_id: str | None
    daily_limit_usd: OutputDecimal | None
    monthly_limit_usd: OutputDecimal | None
    warn_threshold_pct: int
    hard_limit_enabled: bool
    is_active: bool
    created_at: UtcDatetime
    updated_at: UtcDatetime


class UsagePoint(OutputModel):
    """Token usage of cost records in one series bucket ``[bucket_start, bucket_end)``."""

    bucket_start: UtcDatetime
    bucket_end: UtcDatetime
    requests: int
    input_tokens: int
    output_tokens: int
    total_tokens: int


class SpendPoint(OutputModel):
    """Spend of cost records in one series bucket ``[bucket_start, bucket_end)``."""

    bucket_start: UtcDatetime
    bucket_end: UtcDatetime
    requests: int
    spend_usd: OutputDecimal
    input_tokens: int
    output_tokens: int


class ExecutionPoint(OutputModel):
    """Number of traces started in one series bucket ``[bucket_start, bucket_end)``."""

    bucket_start: UtcDatetime
    bucket_end: UtcDatetime
    traces: int


class CostTotals(OutputModel):
    """Sums over ``groups`` groups of a breakdown.

    ``unpriced_requests`` counts the records whose cost source is ``unpriced``.
    """

    groups: int
    requests: int
    spend_usd: OutputDecimal
    input_tokens: int
    output_tokens: int
    unpriced_requests: int


class ModelCost(OutputModel):
    """Spend and tokens of one model in a window."""

    model: str
    requests: int
    spend_usd: OutputDecimal
    input_tokens: int
    output_tokens: int
    unpriced_requests: int


class FeatureCost(OutputModel):
    """Spend and tokens of one feature tag in a window; ``None`` is untagged traffic."""

    feature_tag: str | None
    requests: int
    spend_usd: OutputDecimal
    input_tokens: int
    output_tokens: int


class ModelCostBreakdown(OutputModel):
    """Top models of a window, the sum of the other models, and the window total.

    ``total`` equals the sum of ``items`` plus ``rest``, field by field.
    """

    items: list[ModelCost]
    rest: CostTotals
    total: CostTotals


class FeatureCostBreakdown(OutputModel):
    """Top feature tags of a window, the sum of the other tags, and the window total.

    ``total`` equals the sum of ``items`` plus ``rest``, field by field.
    """

    items: list[FeatureCost]
    rest: CostTotals
    total: CostTotals
