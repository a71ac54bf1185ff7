"""Results of a cost-anomaly detection run: verdicts, outcomes and the report.

Amounts ending in ``_usd`` are US dollars with nine decimal places; ratios are
decimals rounded half to even to six places.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from analytics.domain.anomalies import CostAnomaly, NewAnomaly
from analytics.domain.common import OutputDecimal, OutputModel, UtcDatetime
from analytics.domain.enums import BudgetPeriod, EntityType


class DetectionRule(StrEnum):
    """Rule of the anomaly detector that evaluated a scope."""

    SPIKE = "spike"
    DRIFT = "drift"
    BUDGET = "budget"


class Verdict(StrEnum):
    """Conclusion of one rule about one scope on the detected day."""

    NORMAL = "normal"
    INSUFFICIENT_HISTORY = "insufficient_history"
    BREACH_PENDING = "breach_pending"
    ANOMALY = "anomaly"


class DetectionOutcome(StrEnum):
    """Effect of a detection run on one anomaly it found.

    ``suppressed`` means an anomaly with the same key was resolved recently, so
    the finding was not written.
    """

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SUPPRESSED = "suppressed"


class ScopeEvaluation(OutputModel):
    """Verdict of one rule on one scope, with the numbers that decided it.

    ``entity_id`` is ``None`` for the tenant. ``expected_usd`` is the baseline
    average (spike, drift) or the limit (budget); it and ``ratio`` are ``None``
    when the history was too short to compute them. ``active_days`` counts the
    active days of the baseline, ``None`` for budgets. ``budget_period`` is set
    for budget evaluations only.
    """

    rule: DetectionRule
    entity_type: EntityType
    entity_id: str | None
    budget_period: BudgetPeriod | None = None
    verdict: Verdict
    current_usd: OutputDecimal
    expected_usd: OutputDecimal | None
    ratio: OutputDecimal | None
    active_days: int | None


class DetectedAnomaly(OutputModel):
    """One anomaly found by a run: the stored row, or the unsaved finding when suppressed."""

    anomaly: CostAnomaly | NewAnomaly
    outcome: DetectionOutcome


class DetectionReport(OutputModel):
    """Result of one ``CostAnomalyDetector.detect`` call for one tenant and local day.

    ``evaluations`` lists every scope whose verdict is not ``normal``, and
    ``counts`` contains the number of scopes per rule and verdict, normal ones
    included. ``truncated`` is true when a list read returned exactly its
    limit, so some entities, budgets or anomalies may not have been seen.
    """

    tenant_id: str
    day: date
    tz: str
    detected_at: UtcDatetime
    anomalies: list[DetectedAnomaly]
    evaluations: list[ScopeEvaluation]
    counts: dict[DetectionRule, dict[Verdict, int]]
    truncated: bool
