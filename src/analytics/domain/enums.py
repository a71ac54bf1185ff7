"""Value sets shared by the ports, the engines and the storage layer.

Every enum is a ``StrEnum`` whose lower-case value is what the tables store.
"""

from __future__ import annotations

from enum import StrEnum


class BucketUnit(StrEnum):
    """Width of a series bucket, aligned to the calendar of the requested time zone."""

    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class EntityType(StrEnum):
    """Owner of a budget, breach, drift tracker or anomaly; ``tenant`` has no entity id."""

    TENANT = "tenant"
    USER = "user"
    FEATURE = "feature"


class EntityDimension(StrEnum):
    """Column by which cost records are grouped into entities."""

    USER = "user"
    FEATURE = "feature"


class BudgetPeriod(StrEnum):
    """Period a budget limit applies to."""

    DAILY = "daily"
    MONTHLY = "monthly"


class BreachType(StrEnum):
    """Kind of threshold breach recorded in the breach history."""

    ABSOLUTE_SPIKE = "absolute_spike"
    SUSTAINED_DRIFT = "sustained_drift"


class AnomalyType(StrEnum):
    """Kind of cost anomaly; the last two members are budget anomalies."""

    ABSOLUTE_SPIKE = "absolute_spike"
    SUSTAINED_DRIFT = "sustained_drift"
    BUDGET_WARNING = "budget_warning"
    BUDGET_EXCEEDED = "budget_exceeded"


class AnomalySeverity(StrEnum):
    """Severity of a cost anomaly."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class DerivedCause(StrEnum):
    """Likely cause of a cost anomaly, as derived by the anomaly engine."""

    RETRY_LOOP = "retry_loop"
    PROMPT_GROWTH = "prompt_growth"
    FEATURE_SURGE = "feature_surge"
    TRAFFIC_GROWTH = "traffic_growth"
    UNKNOWN = "unknown"


class RunStatus(StrEnum):
    """Lifecycle status of a run or worker run."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CRASHED = "crashed"


class TraceStatus(StrEnum):
    """Lifecycle status of a trace."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class PatternType(StrEnum):
    """Kind of pattern reported by the pattern detector."""

    FAILURE_PATTERN = "failure_pattern"
    COST_SPIKE = "cost_spike"


class FeedbackSeverity(StrEnum):
    """Severity of a pattern-feedback record."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class PredictionType(StrEnum):
    """Kind of prediction made by the predictor."""

    FAILURE_LIKELIHOOD = "failure_likelihood"
    COST_OVERRUN = "cost_overrun"


class SubjectType(StrEnum):
    """Kind of subject a prediction is about."""

    WORKER = "worker"
    USER = "user"
    FEATURE = "feature"
    TENANT = "tenant"


class WriteOutcome(StrEnum):
    """Effect of a write call on the stored row."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class CostSource(StrEnum):
    """Origin of a cost record's cost.

    ``reported`` comes from the caller's source, ``estimated`` from a price table,
    and ``unpriced`` means no price was found, so the cost is stored as zero.
    """

    REPORTED = "reported"
    ESTIMATED = "estimated"
    UNPRICED = "unpriced"


class PredictionOutcome(StrEnum):
    """Result of a checked prediction. A pending prediction has no outcome."""

    CONFIRMED = "confirmed"
    REFUTED = "refuted"
    UNDETERMINED = "undetermined"


TERMINAL_RUN_STATUSES: frozenset[RunStatus] = frozenset(
    {RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CRASHED}
)
"""Run statuses after which a run or worker run never changes again."""

FAILURE_RUN_STATUSES: frozenset[RunStatus] = frozenset({RunStatus.FAILED, RunStatus.CRASHED})
"""Terminal run statuses that count as failures."""

TERMINAL_TRACE_STATUSES: frozenset[TraceStatus] = frozenset(
    {TraceStatus.COMPLETED, TraceStatus.FAILED}
)
"""Trace statuses after which a trace never changes again."""
