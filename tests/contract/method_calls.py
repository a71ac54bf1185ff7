"""One valid call of every port method, for checks that apply to all 61.

Each entry maps ``"<unit-of-work attribute>.<method>"`` to the keyword
arguments of a call that passes validation on an empty database (a by-id call
may still raise ``NotFound``). Scenarios replace one argument at a time to
check a rule, or call the method to check that it is built.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from analytics.domain import (
    AnomalySeverity,
    AnomalyType,
    BreachType,
    BucketUnit,
    DriftObservation,
    EntityDimension,
    EntityType,
    FeedbackSeverity,
    NewAnomaly,
    NewBreach,
    NewCostRecord,
    NewPatternFeedback,
    NewPrediction,
    NewRun,
    NewTrace,
    NewWorkerRun,
    PatternType,
    PredictionOutcome,
    PredictionType,
    RunStatus,
    RunStatusUpdate,
    SubjectType,
    TraceStatus,
    TraceStatusUpdate,
    WorkerRunStatusUpdate,
)
from analytics.ports import PORT_METHODS

START = datetime(2024, 3, 10, tzinfo=UTC)
END = datetime(2024, 3, 11, tzinfo=UTC)
DAY = date(2024, 3, 10)
NEXT_DAY = date(2024, 3, 11)

Kwargs = dict[str, Any]


def _window() -> Kwargs:
    return {"start": START, "end": END}


def _series() -> Kwargs:
    return {**_window(), "unit": BucketUnit.DAY, "tz": "UTC"}


def _cost_record() -> NewCostRecord:
    return NewCostRecord(
        occurred_at=START, model="m1", input_tokens=1, output_tokens=1, cost_usd=Decimal("0.01")
    )


def _observation() -> DriftObservation:
    return DriftObservation(
        rolling_avg_usd=Decimal("12.5"), baseline_avg_usd=Decimal("10"), drift_pct=Decimal("25")
    )


def _breach() -> NewBreach:
    return NewBreach(
        entity_type=EntityType.TENANT,
        entity_id=None,
        breach_type=BreachType.ABSOLUTE_SPIKE,
        breach_date=DAY,
        deviation_pct=Decimal("50"),
        current_value_usd=Decimal("0.45"),
        baseline_value_usd=Decimal("0.30"),
    )


def _anomaly() -> NewAnomaly:
    return NewAnomaly(
        anomaly_type=AnomalyType.ABSOLUTE_SPIKE,
        severity=AnomalySeverity.HIGH,
        entity_type=EntityType.TENANT,
        entity_id=None,
        budget_period=None,
        period_start=DAY,
        detected_at=START,
        current_value_usd=Decimal("1"),
        expected_value_usd=Decimal("0.5"),
        deviation_pct=Decimal("100"),
        threshold_pct=Decimal("50"),
        message="spend doubled",
    )


def _feedback() -> NewPatternFeedback:
    return NewPatternFeedback(
        pattern_type=PatternType.FAILURE_PATTERN,
        severity=FeedbackSeverity.WARNING,
        description="timeouts",
        signature="sig-1",
        provenance=["w1"],
        occurrence_count=1,
        detected_at=START,
    )


def _prediction() -> NewPrediction:
    return NewPrediction(
        prediction_type=PredictionType.FAILURE_LIKELIHOOD,
        subject_type=SubjectType.WORKER,
        subject_id="wk-a",
        confidence=Decimal("0.5"),
        prediction_value={"failure_rate": "0.5"},
        contributing_factors=[],
        created_at=START,
        expires_at=END,
    )


def _worker_run(run_id: str) -> NewWorkerRun:
    return NewWorkerRun(
        id=run_id, worker_id="wk-a", task="task", status=RunStatus.QUEUED, created_at=START
    )


_READS: dict[str, Callable[[], Kwargs]] = {
    "analytics_reads.fetch_cost_metrics": _series,
    "analytics_reads.fetch_llm_usage": _series,
    "analytics_reads.fetch_worker_execution": _series,
    "analytics_reads.fetch_cost_spend": _series,
    "analytics_reads.fetch_cost_by_model": _window,
    "analytics_reads.fetch_cost_by_feature": _window,
}

_ANOMALIES: dict[str, Callable[[], Kwargs]] = {
    "cost_anomalies.fetch_entity_baseline": lambda: {
        "dimension": EntityDimension.USER,
        "start_day": DAY,
        "end_day": NEXT_DAY,
    },
    "cost_anomalies.fetch_entity_today_spend": lambda: {
        "dimension": EntityDimension.USER,
        "day": DAY,
    },
    "cost_anomalies.fetch_tenant_baseline": lambda: {"start_day": DAY, "end_day": NEXT_DAY},
    "cost_anomalies.fetch_tenant_today_spend": lambda: {"day": DAY},
    "cost_anomalies.fetch_rolling_avg": lambda: {"last_day": DAY},
    "cost_anomalies.fetch_baseline_avg": lambda: {"start_day": DAY, "end_day": NEXT_DAY},
    "cost_anomalies.fetch_daily_spend": lambda: {"day": DAY},
    "cost_anomalies.fetch_monthly_spend": lambda: {"month_start": date(2024, 3, 1)},
    "cost_anomalies.fetch_breach_exists_today": lambda: {
        "entity_type": EntityType.TENANT,
        "entity_id": None,
        "breach_type": BreachType.ABSOLUTE_SPIKE,
        "day": DAY,
    },
    "cost_anomalies.insert_breach_history": lambda: {"breach": _breach()},
    "cost_anomalies.insert_breach_histories": lambda: {"breaches": [_breach()]},
    "cost_anomalies.fetch_consecutive_breaches": lambda: {
        "entity_type": EntityType.TENANT,
        "entity_id": None,
        "breach_type": BreachType.ABSOLUTE_SPIKE,
        "day": DAY,
    },
    "cost_anomalies.fetch_drift_tracking": lambda: {
        "entity_type": EntityType.TENANT,
        "entity_id": None,
    },
    "cost_anomalies.update_drift_tracking": lambda: {
        "tracker_id": "dt_missing",
        "observation": _observation(),
        "day": DAY,
    },
    "cost_anomalies.insert_drift_tracking": lambda: {
        "entity_type": EntityType.TENANT,
        "entity_id": None,
        "observation": _observation(),
        "day": DAY,
    },
    "cost_anomalies.reset_drift_tracking": lambda: {
        "entity_type": EntityType.TENANT,
        "entity_id": None,
    },
    "cost_anomalies.fetch_retry_comparison": lambda: {"day": DAY},
    "cost_anomalies.fetch_prompt_comparison": lambda: {"day": DAY},
    "cost_anomalies.fetch_feature_concentration": lambda: {"day": DAY},
    "cost_anomalies.fetch_request_comparison": lambda: {"day": DAY},
    "cost_anomalies.list_active_budgets": dict,
    "cost_anomalies.upsert_anomaly": lambda: {"anomaly": _anomaly()},
    "cost_anomalies.upsert_anomalies": lambda: {"anomalies": [_anomaly()]},
    "cost_anomalies.list_anomalies": _window,
    "cost_anomalies.resolve_anomaly": lambda: {"anomaly_id": "ca_missing"},
    "cost_anomalies.fetch_breach_streaks": lambda: {
        "entity_type": EntityType.USER,
        "entity_ids": ["u1"],
        "breach_type": BreachType.ABSOLUTE_SPIKE,
        "day": DAY,
    },
    "cost_anomalies.fetch_entity_day_activity": lambda: {
        "dimension": EntityDimension.USER,
        "entity_ids": ["u1"],
        "start_day": DAY,
        "end_day": NEXT_DAY,
    },
}

_WRITES: dict[str, Callable[[], Kwargs]] = {
    "cost_writes.create_feature_tag": lambda: {"tag": "chat.reply", "display_name": "Chat"},
    "cost_writes.update_feature_tag": lambda: {"tag": "missing", "is_active": False},
    "cost_writes.create_cost_record": lambda: {"record": _cost_record()},
    "cost_writes.create_or_update_budget": lambda: {
        "budget_type": EntityType.TENANT,
        "daily_limit_usd": Decimal("100"),
    },
    "cost_writes.create_cost_records": lambda: {"records": [_cost_record()]},
    "cost_writes.get_feature_tag": lambda: {"tag": "chat.reply"},
    "cost_writes.list_feature_tags": dict,
    "run_writes.record_run": lambda: {
        "run": NewRun(id="run-1", status=RunStatus.QUEUED, created_at=START),
    },
    "run_writes.record_runs": lambda: {
        "runs": [NewRun(id="run-1", status=RunStatus.QUEUED, created_at=START)],
    },
    "run_writes.update_run_status": lambda: {
        "run_id": "missing",
        "update": RunStatusUpdate(status=RunStatus.RUNNING),
    },
    "run_writes.record_trace": lambda: {
        "trace": NewTrace(trace_id="tr-1", status=TraceStatus.RUNNING, started_at=START),
    },
    "run_writes.update_trace_status": lambda: {
        "trace_id": "missing",
        "update": TraceStatusUpdate(status=TraceStatus.COMPLETED, completed_at=END),
    },
    "run_writes.record_worker_run": lambda: {"run": _worker_run("w1")},
    "run_writes.record_worker_runs": lambda: {"runs": [_worker_run("w1")]},
    "run_writes.update_worker_run_status": lambda: {
        "run_id": "missing",
        "update": WorkerRunStatusUpdate(status=RunStatus.RUNNING),
    },
}

_PATTERNS: dict[str, Callable[[], Kwargs]] = {
    "pattern_detection.fetch_failed_runs": _window,
    "pattern_detection.fetch_completed_runs_with_costs": _window,
    "pattern_detection.insert_feedback": lambda: {"feedback": _feedback()},
    "pattern_detection.fetch_feedback_records": dict,
    "pattern_detection.acknowledge_feedback": lambda: {
        "feedback_id": "pf_missing",
        "acknowledged_by": "alice",
    },
    "predictions.fetch_failure_patterns": _window,
    "predictions.fetch_failed_runs": _window,
    "predictions.fetch_run_totals": _window,
    "predictions.fetch_cost_runs": _window,
    "predictions.fetch_predictions": dict,
    "predictions.insert_prediction": lambda: {"prediction": _prediction()},
    "predictions.record_prediction_outcome": lambda: {
        "prediction_id": "pe_missing",
        "outcome": PredictionOutcome.CONFIRMED,
        "outcome_value": None,
    },
    "predictions.count_prediction_outcomes": _window,
}

VALID_CALLS: dict[str, Callable[[], Kwargs]] = {**_READS, **_ANOMALIES, **_WRITES, **_PATTERNS}

ALL_METHODS: tuple[str, ...] = tuple(
    f"{attribute}.{method}" for attribute, methods in PORT_METHODS.items() for method in methods
)

# Methods that address a row by id: their valid call on an empty database is NotFound.
BY_ID_METHODS = frozenset(
    {
        "cost_anomalies.update_drift_tracking",
        "cost_anomalies.resolve_anomaly",
        "cost_writes.update_feature_tag",
        "run_writes.update_run_status",
        "run_writes.update_trace_status",
        "run_writes.update_worker_run_status",
        "pattern_detection.acknowledge_feedback",
        "predictions.record_prediction_outcome",
    }
)
