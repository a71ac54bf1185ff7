"""Anomaly records: the ``NewAnomaly`` of each finding, its message and its metadata.

Messages and metadata hold only values derived from the data, never the
clock, so re-running a detection over the same data compares equal and writes
nothing. Metadata decimals are fixed-place strings: money with nine places,
ratios and percentages with six.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from analytics.domain import (
    AnomalyType,
    BudgetPeriod,
    CostAnomaly,
    DerivedCause,
    EntityType,
    NewAnomaly,
)
from analytics.engines.anomalies.budgets import BudgetCheck
from analytics.engines.anomalies.causes import CauseFinding
from analytics.engines.anomalies.drift import DriftResult
from analytics.engines.anomalies.numbers import (
    deviation_from_ratio,
    dollars,
    fixed_6,
    fixed_9,
    severity_for,
    short_number,
)
from analytics.engines.anomalies.spikes import SpikeEpisode
from analytics.engines.anomalies.windows import DetectionWindows
from analytics.engines.settings import AnomalySettings, SpikeDenominator

AnomalyKey = tuple[AnomalyType, EntityType, str | None, BudgetPeriod | None, date]
"""Identity of one episode or budget period: at most one unresolved anomaly per key."""

_DENOMINATOR_WORDS = {
    SpikeDenominator.ACTIVE_DAY: "active day",
    SpikeDenominator.CALENDAR_DAY: "calendar day",
}


def anomaly_key(anomaly: NewAnomaly | CostAnomaly) -> AnomalyKey:
    """Return the key that ``upsert_anomaly`` and suppression match on."""
    return (
        AnomalyType(anomaly.anomaly_type),
        EntityType(anomaly.entity_type),
        anomaly.entity_id,
        BudgetPeriod(anomaly.budget_period) if anomaly.budget_period is not None else None,
        anomaly.period_start,
    )


def scope_name(tenant_id: str, entity_type: EntityType, entity_id: str | None) -> str:
    """Name a scope in a message: ``tenant acme``, ``user u1`` or ``feature chat.reply``."""
    if entity_type is EntityType.TENANT:
        return f"tenant {tenant_id}"
    return f"{entity_type.value} {entity_id}"


# Spikes.


def spike_anomaly(
    tenant_id: str,
    episode: SpikeEpisode,
    cause: CauseFinding,
    windows: DetectionWindows,
    settings: AnomalySettings,
    now: datetime,
) -> NewAnomaly:
    """Build the anomaly of a raised spike episode."""
    check = episode.check
    if check.ratio is None or check.expected_usd is None:
        raise ValueError("only a breaching spike check has an anomaly")

    scope = check.scope
    return NewAnomaly(
        anomaly_type=AnomalyType.ABSOLUTE_SPIKE,
        severity=severity_for(check.ratio, settings.spike_high_ratio, settings.spike_medium_ratio),
        entity_type=scope.entity_type,
        entity_id=scope.entity_id,
        budget_period=None,
        period_start=episode.first_day,
        detected_at=now,
        current_value_usd=scope.current_usd,
        expected_value_usd=check.expected_usd,
        deviation_pct=check.deviation_pct,
        threshold_pct=deviation_from_ratio(settings.spike_ratio),
        breach_count=episode.breach_count,
        derived_cause=cause.cause,
        message=spike_message(tenant_id, episode, cause, windows, settings),
        metadata=_spike_metadata(episode, cause, windows, settings),
    )


def spike_message(
    tenant_id: str,
    episode: SpikeEpisode,
    cause: CauseFinding,
    windows: DetectionWindows,
    settings: AnomalySettings,
) -> str:
    """Describe a spike in one sentence, with its ratio, streak and cause."""
    check = episode.check
    scope = check.scope
    if check.ratio is None or check.expected_usd is None:
        raise ValueError("only a breaching spike check has a message")

    streak = "first day" if episode.breach_count == 1 else f"day {episode.breach_count} in a row"
    per_day = _DENOMINATOR_WORDS[settings.spike_denominator]
    return (
        f"Spend of {scope_name(tenant_id, scope.entity_type, scope.entity_id)} on "
        f"{windows.day} was {dollars(scope.current_usd)}, {short_number(check.ratio)}× its "
        f"usual {dollars(check.expected_usd)} per {per_day} ({streak}); "
        f"cause: {cause.summary}."
    )


def _spike_metadata(
    episode: SpikeEpisode,
    cause: CauseFinding,
    windows: DetectionWindows,
    settings: AnomalySettings,
) -> dict[str, Any]:
    check = episode.check
    baseline = check.scope.baseline
    return {
        "ratio": fixed_6(check.ratio) if check.ratio is not None else None,
        "day": windows.day.isoformat(),
        "streak_days": episode.streak_days,
        "baseline_first_day": windows.spike_baseline_start.isoformat(),
        "baseline_last_day": _last_day(windows.spike_baseline_end),
        "baseline_total_usd": fixed_9(baseline.total_usd),
        "baseline_active_days": baseline.active_days,
        "baseline_calendar_days": baseline.calendar_days,
        "denominator": settings.spike_denominator.value,
        "cause_evidence": cause.evidence,
    }


# Drift.


def drift_anomaly(
    tenant_id: str,
    result: DriftResult,
    cause: CauseFinding,
    settings: AnomalySettings,
    now: datetime,
) -> NewAnomaly:
    """Build the anomaly of a raised drift episode."""
    check, tracker = result.check, result.tracker
    if check.ratio is None or tracker is None:
        raise ValueError("only a drifting check with a tracker has an anomaly")

    return NewAnomaly(
        anomaly_type=AnomalyType.SUSTAINED_DRIFT,
        severity=severity_for(check.ratio, settings.drift_high_ratio, settings.drift_medium_ratio),
        entity_type=EntityType.TENANT,
        entity_id=None,
        budget_period=None,
        period_start=tracker.first_drift_date,
        detected_at=now,
        current_value_usd=check.rolling_avg_usd,
        expected_value_usd=check.baseline_avg_usd,
        deviation_pct=check.deviation_pct,
        threshold_pct=deviation_from_ratio(settings.drift_ratio),
        breach_count=result.breach_count,
        derived_cause=cause.cause,
        message=drift_message(tenant_id, result, cause),
        metadata=_drift_metadata(result, cause),
    )


def drift_message(tenant_id: str, result: DriftResult, cause: CauseFinding) -> str:
    """Describe a drift in one sentence, with both windows, its ratio, length and cause."""
    check = result.check
    rolling, baseline = check.rolling, check.baseline
    ratio_text = short_number(check.ratio) if check.ratio is not None else "none"
    return (
        f"Spend of tenant {tenant_id} averaged {dollars(check.rolling_avg_usd)} per day from "
        f"{rolling.start_day} to {_last_day(rolling.end_day)}, {ratio_text}× its "
        f"{dollars(check.baseline_avg_usd)} per day from {baseline.start_day} to "
        f"{_last_day(baseline.end_day)} (day {result.breach_count} of drift); "
        f"cause: {cause.summary}."
    )


def _drift_metadata(result: DriftResult, cause: CauseFinding) -> dict[str, Any]:
    check = result.check
    rolling, baseline = check.rolling, check.baseline
    return {
        "ratio": fixed_6(check.ratio) if check.ratio is not None else None,
        "rolling_first_day": rolling.start_day.isoformat(),
        "rolling_last_day": _last_day(rolling.end_day),
        "rolling_total_usd": fixed_9(rolling.total_usd),
        "rolling_active_days": rolling.active_days,
        "baseline_first_day": baseline.start_day.isoformat(),
        "baseline_last_day": _last_day(baseline.end_day),
        "baseline_total_usd": fixed_9(baseline.total_usd),
        "baseline_active_days": baseline.active_days,
        "denominator": SpikeDenominator.CALENDAR_DAY.value,
        "cause_evidence": cause.evidence,
    }


# Budgets.


def budget_anomaly(
    tenant_id: str, check: BudgetCheck, windows: DetectionWindows, now: datetime
) -> NewAnomaly:
    """Build the anomaly of a budget limit that warned or was exceeded."""
    if check.anomaly_type is None or check.severity is None:
        raise ValueError("only a budget check that fired has an anomaly")

    budget = check.budget
    return NewAnomaly(
        anomaly_type=check.anomaly_type,
        severity=check.severity,
        entity_type=budget.budget_type,
        entity_id=budget.entity_id,
        budget_period=check.period,
        period_start=check.period_start,
        detected_at=now,
        current_value_usd=check.spend_usd,
        expected_value_usd=check.limit_usd,
        deviation_pct=check.deviation_pct,
        threshold_pct=check.threshold_pct,
        breach_count=1,
        derived_cause=None,
        message=budget_message(tenant_id, check, windows),
        budget_id=budget.id,
        metadata=_budget_metadata(check, windows),
    )


def budget_message(tenant_id: str, check: BudgetCheck, windows: DetectionWindows) -> str:
    """Describe a budget warning or excess in one sentence."""
    budget = check.budget
    scope = scope_name(tenant_id, budget.budget_type, budget.entity_id)
    if check.period is BudgetPeriod.DAILY:
        when = f"on {windows.day}"
    else:
        when = f"from {check.period_start} through {windows.day}"
    verdict = "over the limit" if check.exceeded else f"warning at {budget.warn_threshold_pct}%"
    return (
        f"Spend of {scope} {when} was {dollars(check.spend_usd)}, "
        f"{short_number(check.usage_pct)}% of its {check.period.value} budget of "
        f"{dollars(check.limit_usd)} ({verdict})."
    )


def _budget_metadata(check: BudgetCheck, windows: DetectionWindows) -> dict[str, Any]:
    return {
        "usage_pct": fixed_6(check.usage_pct),
        "warn_threshold_pct": check.budget.warn_threshold_pct,
        "hard_limit_enabled": check.budget.hard_limit_enabled,
        "period_first_day": check.period_start.isoformat(),
        "period_last_day": windows.day.isoformat(),
    }


# Reused causes.


def stored_cause(anomaly: CostAnomaly) -> CauseFinding:
    """Return the cause an open anomaly was raised with, to keep it for its continued episode."""
    cause = anomaly.derived_cause or DerivedCause.UNKNOWN
    metadata = anomaly.metadata or {}
    evidence = metadata.get("cause_evidence")
    if not isinstance(evidence, dict):
        evidence = {}
    summary = evidence.get("summary")
    if not isinstance(summary, str):
        summary = cause.value.replace("_", " ")
    return CauseFinding(cause, summary, dict(evidence))


def _last_day(end_day: date) -> str:
    """Return the last day of a range whose ``end_day`` is excluded."""
    return (end_day - timedelta(days=1)).isoformat()
