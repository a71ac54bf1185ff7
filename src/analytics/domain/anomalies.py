"""Inputs and bookkeeping of spike, drift and budget detection, and stored anomalies.

Fields ending in ``_usd`` are US dollars with nine decimal places on output;
fields ending in ``_pct`` and shares are decimals with six places. ``date``
fields are local dates in the time zone the caller used.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from analytics.domain.common import (
    EnumInput,
    InputDecimal,
    InputModel,
    OutputDecimal,
    OutputModel,
    UtcDatetime,
)
from analytics.domain.enums import (
    AnomalySeverity,
    AnomalyType,
    BreachType,
    BudgetPeriod,
    DerivedCause,
    EntityDimension,
    EntityType,
)


class DailySpendSummary(OutputModel):
    """Spend over the local days ``[start_day, end_day)`` read in ``tz``.

    An active day is a local day with at least one cost record.
    ``avg_per_active_day_usd`` is ``None`` when no day is active. Both averages
    are rounded half to even to a whole nano-dollar.
    """

    start_day: date
    end_day: date
    tz: str
    total_usd: OutputDecimal
    requests: int
    active_days: int
    calendar_days: int
    avg_per_active_day_usd: OutputDecimal | None
    avg_per_calendar_day_usd: OutputDecimal


class EntityDailySpendSummary(DailySpendSummary):
    """``DailySpendSummary`` of one user or feature tag."""

    dimension: EntityDimension
    entity_id: str


class EntitySpend(OutputModel):
    """Spend of one user or feature tag."""

    dimension: EntityDimension
    entity_id: str
    spend_usd: OutputDecimal
    requests: int


class NewBreach(InputModel):
    """Threshold breach of one entity on one local day, as passed to ``insert_breach_history``."""

    entity_type: EnumInput[EntityType]
    entity_id: str | None
    breach_type: EnumInput[BreachType]
    breach_date: date
    deviation_pct: InputDecimal
    current_value_usd: InputDecimal
    baseline_value_usd: InputDecimal


class BreachRecord(OutputModel):
    """Stored breach: the fields of ``NewBreach`` plus id, tenant and audit times."""

    entity_type: EntityType
    entity_id: str | None
    breach_type: BreachType
    breach_date: date
    deviation_pct: OutputDecimal
    current_value_usd: OutputDecimal
    baseline_value_usd: OutputDecimal
    id: str
    tenant_id: str
    created_at: UtcDatetime
    updated_at: UtcDatetime


class BreachStreak(OutputModel):
    """Number of consecutive breach dates of an entity ending on the requested day."""

    entity_id: str
    days: int


class DriftObservation(InputModel):
    """One day's drift measurement of an entity."""

    rolling_avg_usd: InputDecimal
    baseline_avg_usd: InputDecimal
    drift_pct: InputDecimal


class DriftTracker(OutputModel):
    """Current streak of days on which an entity's spend drifted above its baseline.

    The averages and ``drift_pct`` are those of the last observation.
    ``drift_days_count`` counts the observed days of the streak, from
    ``first_drift_date`` to ``last_check_date``.
    """

    id: str
    tenant_id: str
    entity_type: EntityType
    entity_id: str | None
    rolling_avg_usd: OutputDecimal
    baseline_avg_usd: OutputDecimal
    drift_pct: OutputDecimal
    drift_days_count: int
    first_drift_date: date
    last_check_date: date
    is_active: bool
    created_at: UtcDatetime
    updated_at: UtcDatetime
    deactivated_at: UtcDatetime | None


class RetryShare(OutputModel):
    """Share of retried calls on one day; ``share`` is ``None`` when there were no requests."""

    requests: int
    retries: int
    share: OutputDecimal | None


class RetryComparison(OutputModel):
    """Retry shares of ``day`` and of the day before it."""

    day: date
    today: RetryShare
    yesterday: RetryShare


class PromptStats(OutputModel):
    """Input tokens on one day; the average is ``None`` when there were no requests."""

    requests: int
    input_tokens: int
    avg_input_tokens: OutputDecimal | None


class PromptComparison(OutputModel):
    """Prompt statistics of ``day`` and of the day before it."""

    day: date
    today: PromptStats
    yesterday: PromptStats


class RequestComparison(OutputModel):
    """Request counts of ``day`` and of the day before it."""

    day: date
    today: int
    yesterday: int


class FeatureConcentration(OutputModel):
    """How much of a day's spend went to its most expensive feature tag.

    The shares are ``None`` when their denominator (tagged or total spend) is zero.
    """

    day: date
    total_spend_usd: OutputDecimal
    tagged_spend_usd: OutputDecimal
    untagged_spend_usd: OutputDecimal
    feature_count: int
    top_feature_tag: str | None
    top_feature_spend_usd: OutputDecimal
    share_of_tagged: OutputDecimal | None
    share_of_total: OutputDecimal | None


class EntityDayActivity(OutputModel):
    """Requests, retries, input tokens and spend of one user or feature tag on one local day."""

    entity_id: str
    day: date
    requests: int
    retries: int
    input_tokens: int
    spend_usd: OutputDecimal


class NewAnomaly(InputModel):
    """One detection of a cost anomaly, as passed to ``upsert_anomaly``.

    ``entity_id`` is ``None`` exactly for the tenant, and ``budget_period`` is
    set exactly for budget anomalies. ``period_start`` is the local day the
    anomaly is about (the first of the month for a monthly budget).
    """

    anomaly_type: EnumInput[AnomalyType]
    severity: EnumInput[AnomalySeverity]
    entity_type: EnumInput[EntityType]
    entity_id: str | None
    budget_period: EnumInput[BudgetPeriod] | None
    period_start: date
    detected_at: datetime
    current_value_usd: InputDecimal
    expected_value_usd: InputDecimal
    deviation_pct: InputDecimal
    threshold_pct: InputDecimal
    breach_count: int = 1
    derived_cause: EnumInput[DerivedCause] | None = None
    message: str
    budget_id: str | None = None
    incident_id: str | None = None
    metadata: dict[str, Any] | None = None


class CostAnomaly(OutputModel):
    """Stored anomaly: the fields of ``NewAnomaly`` but ``detected_at``, plus its history.

    ``first_detected_at`` and ``last_detected_at`` are the earliest and latest
    detections merged into this row.
    """

    anomaly_type: AnomalyType
    severity: AnomalySeverity
    entity_type: EntityType
    entity_id: str | None
    budget_period: BudgetPeriod | None
    period_start: date
    current_value_usd: OutputDecimal
    expected_value_usd: OutputDecimal
    deviation_pct: OutputDecimal
    threshold_pct: OutputDecimal
    breach_count: int = 1
    derived_cause: DerivedCause | None = None
    message: str
    budget_id: str | None = None
    incident_id: str | None = None
    metadata: dict[str, Any] | None = None
    id: str
    tenant_id: str
    first_detected_at: UtcDatetime
    last_detected_at: UtcDatetime
    resolved: bool
    resolved_at: UtcDatetime | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
