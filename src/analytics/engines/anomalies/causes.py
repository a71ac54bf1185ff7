"""Cause derivation for raised spike and drift anomalies.

Four tests run in order, and the first that passes names the cause:
``retry_loop``, ``prompt_growth``, ``feature_surge``, ``traffic_growth``; else
``unknown``. A spike compares the episode's first day ``S`` with ``S - 1``,
because a later spike day compared with its own spiking eve would show no
change. A drift compares the rolling window with its baseline. Every measured value
goes into the evidence, whichever test passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from analytics.domain import (
    DailySpendSummary,
    DerivedCause,
    EntityDayActivity,
    FeatureCostBreakdown,
    ratio_6,
)
from analytics.engines.anomalies.numbers import (
    dollars,
    fixed_6,
    fixed_9,
    mean_usd,
    ratio,
    short_number,
)
from analytics.engines.anomalies.reads import TenantDayComparison
from analytics.engines.settings import AnomalySettings

_ZERO = Decimal(0)


@dataclass(frozen=True)
class DayActivity:
    """Requests, retries and input tokens of one scope on one local day."""

    requests: int = 0
    retries: int = 0
    input_tokens: int = 0

    @property
    def retry_share(self) -> Decimal | None:
        """``retries / requests`` to six places; ``None`` without requests."""
        return ratio_6(self.retries, self.requests) if self.requests else None

    @property
    def avg_input_tokens(self) -> Decimal | None:
        """Mean input tokens per request to six places; ``None`` without requests."""
        return ratio_6(self.input_tokens, self.requests) if self.requests else None


@dataclass(frozen=True)
class FeatureExcess:
    """How much a feature tag spent above its own usual spend, per day."""

    feature_tag: str
    excess_usd: Decimal


@dataclass(frozen=True)
class SpikeEvidence:
    """Inputs of the spike cause tests: the episode's first day against the day before.

    ``features`` and ``tenant_excess_usd`` are set for the tenant only, which
    is the one scope tested for a feature surge.
    """

    first_day: date
    retry_share: Decimal | None
    retry_share_before: Decimal | None
    avg_input_tokens: Decimal | None
    avg_input_tokens_before: Decimal | None
    requests: int
    requests_before: int
    features: Sequence[FeatureExcess] | None = None
    tenant_excess_usd: Decimal | None = None


@dataclass(frozen=True)
class DriftEvidence:
    """Inputs of the drift cause tests: the rolling window against its baseline."""

    avg_input_tokens: Decimal | None
    avg_input_tokens_before: Decimal | None
    requests_per_day: Decimal
    requests_per_day_before: Decimal
    features: Sequence[FeatureExcess]
    tenant_excess_usd: Decimal


@dataclass(frozen=True)
class CauseFinding:
    """The derived cause, a phrase for the anomaly's message, and the measured values."""

    cause: DerivedCause
    summary: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class _TestResult:
    cause: DerivedCause
    passed: bool
    summary: str
    evidence: dict[str, Any]


# Building the evidence.


def activity_by_day(rows: Iterable[EntityDayActivity]) -> dict[tuple[str, date], DayActivity]:
    """Index day-activity rows by entity id and day."""
    return {
        (row.entity_id, row.day): DayActivity(row.requests, row.retries, row.input_tokens)
        for row in rows
    }


def tenant_spike_evidence(
    comparison: TenantDayComparison,
    features: Sequence[FeatureExcess],
    tenant_excess_usd: Decimal,
) -> SpikeEvidence:
    """Build the tenant's spike evidence from its day comparisons and the features' excess."""
    return SpikeEvidence(
        first_day=comparison.retries.day,
        retry_share=comparison.retries.today.share,
        retry_share_before=comparison.retries.yesterday.share,
        avg_input_tokens=comparison.prompts.today.avg_input_tokens,
        avg_input_tokens_before=comparison.prompts.yesterday.avg_input_tokens,
        requests=comparison.requests.today,
        requests_before=comparison.requests.yesterday,
        features=features,
        tenant_excess_usd=tenant_excess_usd,
    )


def entity_spike_evidence(
    entity_id: str, first_day: date, activity: Mapping[tuple[str, date], DayActivity]
) -> SpikeEvidence:
    """Build a user's or feature's spike evidence from its day activity; a missing day is zero."""
    today = activity.get((entity_id, first_day), DayActivity())
    before = activity.get((entity_id, first_day - timedelta(days=1)), DayActivity())
    return SpikeEvidence(
        first_day=first_day,
        retry_share=today.retry_share,
        retry_share_before=before.retry_share,
        avg_input_tokens=today.avg_input_tokens,
        avg_input_tokens_before=before.avg_input_tokens,
        requests=today.requests,
        requests_before=before.requests,
    )


def drift_evidence(
    rolling: DailySpendSummary,
    baseline: DailySpendSummary,
    rolling_features: FeatureCostBreakdown,
    baseline_features: FeatureCostBreakdown,
) -> DriftEvidence:
    """Build the drift evidence from the two windows' summaries and spend per feature."""
    return DriftEvidence(
        avg_input_tokens=_tokens_per_request(rolling_features),
        avg_input_tokens_before=_tokens_per_request(baseline_features),
        requests_per_day=ratio(rolling.requests, rolling.calendar_days),
        requests_per_day_before=ratio(baseline.requests, baseline.calendar_days),
        features=drift_feature_excess(
            rolling_features, rolling.calendar_days, baseline_features, baseline.calendar_days
        ),
        tenant_excess_usd=rolling.avg_per_calendar_day_usd - baseline.avg_per_calendar_day_usd,
    )


def drift_feature_excess(
    rolling: FeatureCostBreakdown,
    rolling_days: int,
    baseline: FeatureCostBreakdown,
    baseline_days: int,
) -> list[FeatureExcess]:
    """Return each tagged feature's spend per day in the rolling window minus in the baseline."""
    rolling_spend = {item.feature_tag: item.spend_usd for item in rolling.items if item.feature_tag}
    baseline_spend = {
        item.feature_tag: item.spend_usd for item in baseline.items if item.feature_tag
    }
    excess = []
    for tag in sorted(rolling_spend.keys() | baseline_spend.keys()):
        per_day = mean_usd(rolling_spend.get(tag, _ZERO), rolling_days)
        per_day_before = mean_usd(baseline_spend.get(tag, _ZERO), baseline_days)
        excess.append(FeatureExcess(tag, per_day - per_day_before))
    return excess


def _tokens_per_request(breakdown: FeatureCostBreakdown) -> Decimal | None:
    total = breakdown.total
    return ratio(total.input_tokens, total.requests) if total.requests else None


# Deriving the cause.


def derive_spike_cause(evidence: SpikeEvidence, settings: AnomalySettings) -> CauseFinding:
    """Run the spike cause tests in order; the feature test only runs for the tenant."""
    tests = [
        retry_test(evidence.retry_share, evidence.retry_share_before, settings),
        prompt_test(evidence.avg_input_tokens, evidence.avg_input_tokens_before, settings),
    ]
    if evidence.features is not None and evidence.tenant_excess_usd is not None:
        tests.append(feature_test(evidence.features, evidence.tenant_excess_usd, settings))
    tests.append(traffic_test(evidence.requests, evidence.requests_before, "requests", settings))
    days = {
        "first_day": evidence.first_day.isoformat(),
        "day_before": (evidence.first_day - timedelta(days=1)).isoformat(),
    }
    return _first_passing(tests, days)


def derive_drift_cause(evidence: DriftEvidence, settings: AnomalySettings) -> CauseFinding:
    """Run the drift cause tests in order; the retry test does not apply to drift."""
    tests = [
        prompt_test(evidence.avg_input_tokens, evidence.avg_input_tokens_before, settings),
        feature_test(evidence.features, evidence.tenant_excess_usd, settings),
        traffic_test(
            evidence.requests_per_day,
            evidence.requests_per_day_before,
            "requests per day",
            settings,
        ),
    ]
    return _first_passing(tests, {})


def _first_passing(tests: Sequence[_TestResult], evidence: dict[str, Any]) -> CauseFinding:
    for test in tests:
        evidence.update(test.evidence)
    passed = next((test for test in tests if test.passed), None)
    if passed is None:
        finding = CauseFinding(DerivedCause.UNKNOWN, "unknown", evidence)
    else:
        finding = CauseFinding(passed.cause, passed.summary, evidence)
    evidence["summary"] = finding.summary
    return finding


# The four tests.


def retry_test(
    share: Decimal | None, share_before: Decimal | None, settings: AnomalySettings
) -> _TestResult:
    """Retry loop: the share reaches the minimum and the ratio times the earlier share.

    A missing earlier share counts as 0.
    """
    before = share_before if share_before is not None else _ZERO
    passed = (
        share is not None
        and share >= settings.cause_retry_min_share
        and share >= settings.cause_retry_ratio * before
    )
    summary = f"retry loop (retry share {_short(share)}, was {short_number(before)})"
    evidence = {"retry_share": _fixed(share), "retry_share_before": _fixed(share_before)}
    return _TestResult(DerivedCause.RETRY_LOOP, passed, summary, evidence)


def prompt_test(
    tokens: Decimal | None, tokens_before: Decimal | None, settings: AnomalySettings
) -> _TestResult:
    """Prompt growth: mean input tokens per request grew by ``cause_prompt_ratio``."""
    growth = growth_ratio(tokens, tokens_before)
    passed = growth is not None and growth >= settings.cause_prompt_ratio
    summary = f"prompt growth (mean input tokens {_short(tokens)}, was {_short(tokens_before)})"
    evidence = {
        "avg_input_tokens": _fixed(tokens),
        "avg_input_tokens_before": _fixed(tokens_before),
        "prompt_ratio": _fixed(growth),
    }
    return _TestResult(DerivedCause.PROMPT_GROWTH, passed, summary, evidence)


def feature_test(
    features: Sequence[FeatureExcess], tenant_excess_usd: Decimal, settings: AnomalySettings
) -> _TestResult:
    """Feature surge: the largest feature excess reaches a share of the tenant's excess.

    Untagged spend is no feature. Ties go to the feature tag first by code point.
    """
    by_tag = sorted(features, key=lambda item: item.feature_tag)
    # max() returns the first of equal items, which is the smallest tag.
    top = max(by_tag, key=lambda item: item.excess_usd, default=None)
    share = None
    if top is not None and tenant_excess_usd > 0:
        share = ratio(top.excess_usd, tenant_excess_usd)
    passed = share is not None and share >= settings.cause_feature_share

    tag = top.feature_tag if top is not None else None
    excess = top.excess_usd if top is not None else None
    summary = f"feature surge ({tag} +{_dollars(excess)} per day, {_short(share)} of the excess)"
    evidence = {
        "top_feature": tag,
        "top_feature_excess_usd": fixed_9(excess) if excess is not None else None,
        "tenant_excess_usd": fixed_9(tenant_excess_usd),
        "feature_share": _fixed(share),
    }
    return _TestResult(DerivedCause.FEATURE_SURGE, passed, summary, evidence)


def traffic_test(
    requests: int | Decimal,
    requests_before: int | Decimal,
    unit: str,
    settings: AnomalySettings,
) -> _TestResult:
    """Traffic growth: the request count (or rate) grew by ``cause_traffic_ratio``."""
    growth = growth_ratio(requests, requests_before)
    passed = growth is not None and growth >= settings.cause_traffic_ratio
    summary = (
        f"traffic growth ({unit} {_short(Decimal(requests))}, "
        f"was {_short(Decimal(requests_before))})"
    )
    key = unit.replace(" ", "_")
    evidence = {
        key: _evidence_number(requests),
        f"{key}_before": _evidence_number(requests_before),
        "traffic_ratio": _fixed(growth),
    }
    return _TestResult(DerivedCause.TRAFFIC_GROWTH, passed, summary, evidence)


def growth_ratio(value: int | Decimal | None, earlier: int | Decimal | None) -> Decimal | None:
    """Return ``value / earlier`` to six places, or ``None`` unless the earlier value is above 0."""
    if value is None or earlier is None or earlier <= 0:
        return None
    return ratio(value, earlier)


# Formatting.


def _fixed(value: Decimal | None) -> str | None:
    return fixed_6(value) if value is not None else None


def _short(value: Decimal | None) -> str:
    return short_number(value) if value is not None else "none"


def _dollars(value: Decimal | None) -> str:
    return dollars(value) if value is not None else "$0.00"


def _evidence_number(value: int | Decimal) -> int | str:
    # Request counts stay integers in JSON; request rates are six-place strings.
    return value if isinstance(value, int) else fixed_6(value)
