"""Invalid input: each bad call raises InvalidInput naming its field and writes nothing.

The catalogue replaces one argument of a valid call of a port method. Values
that an input model would reject at construction (a float for money, for
example) are put into the model with ``model_copy``, which skips validation,
because the port must reject them whichever way they arrive.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from analytics.domain import (
    AnomalySeverity,
    AnomalyType,
    BreachType,
    BudgetPeriod,
    CostSource,
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
    PredictionType,
    RunStatus,
    SubjectType,
    TraceStatus,
)
from analytics.ports import InvalidInput, UnitOfWork
from tests.contract.harness import Harness
from tests.contract.method_calls import DAY, END, START, VALID_CALLS
from tests.reliability import figures

NAIVE = datetime(2024, 3, 10, 12, 0)
Kwargs = dict[str, Any]


def _bound(uow: UnitOfWork, name: str) -> Any:
    attribute, method = name.split(".")
    return getattr(getattr(uow, attribute), method)


def _replace(kwargs: Kwargs, path: str, value: object) -> Kwargs:
    """Return the call's arguments with one argument, or one field of a model argument, replaced.

    ``path`` is ``name``, ``name.field`` or ``name[0].field`` (the first batch item).
    """
    head, _, rest = path.partition(".")
    if not rest:
        return {**kwargs, head: value}
    if head.endswith("[0]"):
        name = head[:-3]
        items = list(kwargs[name])
        items[0] = _with_field(items[0], rest, value)
        return {**kwargs, name: items}
    return {**kwargs, head: _with_field(kwargs[head], rest, value)}


def _with_field(model: BaseModel, name: str, value: object) -> BaseModel:
    # model_copy skips validation, so values the model would reject reach the port.
    return model.model_copy(update={name: value})


Case = tuple[str, str, object, str]
CASES: list[Case] = []


def _add(method: str, path: str, values: list[object], field: str | None = None) -> None:
    for value in values:
        CASES.append((method, path, value, field or path))


# Money: negative, NaN, infinite, float, str, bool and above the maximum.
BAD_COST = [
    Decimal("-0.01"),
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
    0.5,
    "0.5",
    True,
    Decimal("1000000.000000001"),
]
_add("cost_writes.create_cost_record", "record.cost_usd", BAD_COST)
_add("cost_writes.create_cost_records", "records[0].cost_usd", BAD_COST)
BAD_LIMIT_USD = [
    Decimal(0),
    Decimal(-1),
    Decimal("NaN"),
    Decimal("Infinity"),
    1.5,
    "10",
    Decimal("1000000000.000000001"),
]
_add("cost_writes.create_or_update_budget", "daily_limit_usd", BAD_LIMIT_USD)
_add("cost_writes.create_feature_tag", "budget_usd", BAD_LIMIT_USD)
_add("cost_writes.update_feature_tag", "budget_usd", [Decimal(0), Decimal("NaN"), 2.5])
_add("run_writes.record_run", "run.cost_usd", [Decimal(-1), Decimal("NaN"), 0.1])
_add("run_writes.record_worker_run", "run.cost_usd", [Decimal(-1), Decimal("Infinity"), 0.1])
_add("run_writes.update_worker_run_status", "update.cost_usd", [Decimal(-1), 0.1])
_add(
    "cost_anomalies.insert_breach_history",
    "breach.current_value_usd",
    [Decimal(-1), Decimal("NaN"), 0.45],
)
_add(
    "cost_anomalies.insert_breach_histories",
    "breaches[0].current_value_usd",
    [Decimal(-1), Decimal("NaN"), 0.45],
)
_add("cost_anomalies.upsert_anomaly", "anomaly.expected_value_usd", [Decimal(-1), 0.5])
_add("cost_anomalies.upsert_anomalies", "anomalies[0].expected_value_usd", [Decimal(-1), 0.5])
_add("cost_anomalies.update_drift_tracking", "observation.rolling_avg_usd", [Decimal("NaN"), 12.5])
_add(
    "predictions.insert_prediction",
    "prediction.confidence",
    [Decimal("-0.1"), Decimal("1.2"), Decimal("NaN"), 0.5],
)

# Naive datetimes, and windows whose end is not after their start.
WINDOWED = [
    "analytics_reads.fetch_cost_metrics",
    "analytics_reads.fetch_llm_usage",
    "analytics_reads.fetch_worker_execution",
    "analytics_reads.fetch_cost_spend",
    "analytics_reads.fetch_cost_by_model",
    "analytics_reads.fetch_cost_by_feature",
    "cost_anomalies.list_anomalies",
    "pattern_detection.fetch_failed_runs",
    "pattern_detection.fetch_completed_runs_with_costs",
    "predictions.fetch_failure_patterns",
    "predictions.fetch_failed_runs",
    "predictions.fetch_run_totals",
    "predictions.fetch_cost_runs",
    "predictions.count_prediction_outcomes",
]
for _method in WINDOWED:
    _add(_method, "start", [NAIVE, "2024-03-10T00:00:00Z"])
    _add(_method, "end", [NAIVE, START, START - timedelta(microseconds=1)])
_add("cost_writes.create_cost_record", "record.occurred_at", [NAIVE])
_add("cost_writes.create_cost_records", "records[0].occurred_at", [NAIVE])
_add("run_writes.record_run", "run.created_at", [NAIVE])
_add("run_writes.record_trace", "trace.started_at", [NAIVE])
_add("run_writes.record_worker_run", "run.created_at", [NAIVE])
_add("cost_anomalies.upsert_anomaly", "anomaly.detected_at", [NAIVE])
_add("cost_anomalies.upsert_anomalies", "anomalies[0].detected_at", [NAIVE])
_add("pattern_detection.insert_feedback", "feedback.detected_at", [NAIVE])
_add("predictions.insert_prediction", "prediction.created_at", [NAIVE])
_add("predictions.insert_prediction", "prediction.expires_at", [NAIVE, START])
_add("predictions.fetch_predictions", "valid_at", [NAIVE])
_add("predictions.fetch_predictions", "expired_before", [NAIVE])

# Series: too many buckets, unknown unit and zone, a non-bool flag.
SERIES = WINDOWED[:4]
for _method in SERIES:
    # The valid call uses day buckets, so 2,401 days is one bucket too many.
    CASES.append((_method, "end", START + timedelta(days=2401), "end"))
    _add(_method, "unit", ["minute", "DAY", 1])
    _add(_method, "tz", ["Mars/Olympus", "", 5])
    _add(_method, "include_synthetic", [1, "true", None])

# Identifiers: empty, oversized, surrounding whitespace, control characters, lone surrogates.
BAD_IDS = ["", " m", "m ", "m\x00", "m\x07x", "m\ud800", "m\nx"]
_add("cost_writes.create_cost_record", "record.model", [*BAD_IDS, "m" * 129])
_add("cost_writes.create_cost_record", "record.feature_tag", ["", "t\x1f", "t" * 129])
_add("cost_writes.create_cost_record", "record.request_id", ["", "r" * 129, "r\ud800"])
_add("cost_writes.create_feature_tag", "tag", [*BAD_IDS, "t" * 129])
# A tenant-level budget must not name an entity.
_add("cost_writes.create_or_update_budget", "entity_id", ["u1"])
_add("run_writes.record_run", "run.id", ["", "r" * 65, "r\x00"])
_add("run_writes.record_worker_run", "run.worker_id", ["", "w" * 101, "w\x1b"])
_add("pattern_detection.insert_feedback", "feedback.signature", ["", "s" * 129, " s"])
_add("pattern_detection.acknowledge_feedback", "acknowledged_by", ["", "a" * 129, "a\x00"])
_add("predictions.insert_prediction", "prediction.subject_id", ["", "s" * 256])
_add("pattern_detection.fetch_failed_runs", "worker_id", ["", "w" * 101])
_add("cost_anomalies.fetch_breach_streaks", "entity_ids", ["u1", ("u1",) * 1001])
CASES.append(("cost_anomalies.fetch_breach_streaks", "entity_ids", ["u1", ""], "entity_ids[1]"))
CASES.append(("predictions.fetch_run_totals", "worker_ids", ["wk", "w" * 101], "worker_ids[1]"))

# Free text: NUL, lone surrogates, oversized.
_add("run_writes.record_worker_run", "run.task", ["t\x00", "t\udfff", "t" * 4097])
_add("cost_anomalies.upsert_anomaly", "anomaly.message", ["m\x00", "m" * 2049])
_add("cost_anomalies.upsert_anomalies", "anomalies[0].message", ["m\x00", "m" * 2049])

# Unknown enum values.
_add("cost_anomalies.fetch_entity_today_spend", "dimension", ["team", "USER", None])
_add("cost_anomalies.fetch_breach_exists_today", "entity_type", ["org"])
_add("cost_anomalies.fetch_breach_exists_today", "breach_type", ["spike"])
_add("cost_anomalies.list_anomalies", "anomaly_type", ["spike"])
_add("cost_anomalies.list_anomalies", "severity", ["urgent"])
_add("cost_anomalies.list_active_budgets", "budget_type", ["org"])
_add("pattern_detection.fetch_feedback_records", "pattern_type", ["slow_run"])
_add("predictions.fetch_predictions", "prediction_type", ["revenue"])
_add("predictions.record_prediction_outcome", "outcome", ["pending", None, "CONFIRMED"])
_add("cost_writes.create_cost_record", "record.cost_source", ["guessed"])
_add("run_writes.record_run", "run.status", ["done"])

# Limits out of range: 0, maximum + 1, -1 and a bool.
LIMITS = {
    "analytics_reads.fetch_cost_by_model": 500,
    "analytics_reads.fetch_cost_by_feature": 500,
    "cost_anomalies.fetch_entity_baseline": 10_000,
    "cost_anomalies.fetch_entity_today_spend": 10_000,
    "cost_anomalies.list_active_budgets": 10_000,
    "cost_anomalies.list_anomalies": 1_000,
    "cost_writes.list_feature_tags": 5_000,
    "pattern_detection.fetch_failed_runs": 10_000,
    "pattern_detection.fetch_completed_runs_with_costs": 10_000,
    "pattern_detection.fetch_feedback_records": 1_000,
    "predictions.fetch_failure_patterns": 1_000,
    "predictions.fetch_failed_runs": 10_000,
    "predictions.fetch_run_totals": 10_000,
    "predictions.fetch_cost_runs": 10_000,
    "predictions.fetch_predictions": 1_000,
}
for _method, _maximum in LIMITS.items():
    _add(_method, "limit", [0, _maximum + 1, -1, True, 1.0])
_add("cost_anomalies.fetch_consecutive_breaches", "max_days", [0, 367, True])
_add("cost_anomalies.fetch_rolling_avg", "days", [0, 401, 7.0])


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        value = {"n": value}
    return value


# JSON: too deep, too large, floats, integers beyond 2**53 - 1, bad keys.
BAD_JSON: list[object] = [
    _nested(9),
    {"blob": "x" * 16_400},
    {"rate": 0.5},
    {"rate": Decimal("0.5")},
    {"big": 2**53},
    {"": 1},
    {"k" * 129: 1},
]
_add("pattern_detection.insert_feedback", "feedback.metadata", BAD_JSON)
_add("predictions.insert_prediction", "prediction.prediction_value", BAD_JSON[:5])
_add("cost_anomalies.upsert_anomaly", "anomaly.metadata", BAD_JSON[:3])
_add("cost_anomalies.upsert_anomalies", "anomalies[0].metadata", BAD_JSON[:3])
_add("predictions.record_prediction_outcome", "outcome_value", [{"rate": 0.5}, [1, 2]])

# Wrong types for dates and id lists.
_add("cost_anomalies.fetch_tenant_today_spend", "day", ["2024-03-10", START])
_add("cost_anomalies.fetch_tenant_baseline", "end_day", ["2024-03-11"])
_add("cost_anomalies.fetch_monthly_spend", "month_start", ["2024-03-01"])
_add("pattern_detection.insert_feedback", "feedback.provenance", [["w1", "w1"], "w1"])


# Rules across fields of one argument, checked before any SQL.
_add("cost_writes.create_cost_record", "record.input_tokens", [-1, 1_000_000_001, True, 1.0])
_add("cost_writes.create_cost_record", "record.is_retry", [1, "false", None])
_add("cost_writes.create_cost_records", "records", ["x"])
CASES.append(
    (
        "cost_writes.create_cost_records",
        "records",
        [VALID_CALLS["cost_writes.create_cost_record"]()["record"]] * 1001,
        "records",
    )
)
for _method, _argument in (
    ("cost_anomalies.insert_breach_histories", "breaches"),
    ("cost_anomalies.upsert_anomalies", "anomalies"),
):
    _add(_method, _argument, ["x", None])
    CASES.append((_method, _argument, VALID_CALLS[_method]()[_argument] * 1001, _argument))
_add("cost_writes.update_feature_tag", "display_name", [None, ""])
_add("cost_writes.update_feature_tag", "is_active", [None, 0])
_add("cost_writes.create_or_update_budget", "warn_threshold_pct", [0, 101, True])
_add("cost_writes.create_or_update_budget", "hard_limit_enabled", [1])
_add("run_writes.record_worker_run", "run.attempt", [0, 1001])
_add("run_writes.record_worker_run", "run.parent_run_id", ["w1"])
_add("run_writes.record_worker_run", "run.error", ["boom"])
_add("run_writes.update_trace_status", "update.status", ["running"])
_add("pattern_detection.insert_feedback", "feedback.occurrence_count", [0, -1])
_add(
    "pattern_detection.insert_feedback",
    "feedback.provenance",
    [[f"w{n}" for n in range(1001)], ["w\x00"]],
)
_add("predictions.insert_prediction", "prediction.contributing_factors", [[{"factor": "x"}] * 51])
_add("predictions.fetch_predictions", "outcome_pending", [1, "true"])
_add("cost_anomalies.fetch_entity_day_activity", "end_day", [date(2024, 5, 12)])
_add("cost_anomalies.fetch_tenant_baseline", "end_day", [date(2025, 4, 15), date(2024, 3, 10)])
_add("cost_anomalies.fetch_entity_baseline", "entity_ids", ["u1", [f"u{n}" for n in range(1001)]])
_add("cost_anomalies.fetch_entity_baseline", "tz", [None, "Europe/Nowhere", "utc "])
_add("pattern_detection.insert_feedback", "feedback.metadata", [{1: "x"}, {"k": "a\x00b"}])
_add("analytics_reads.fetch_cost_spend", "start", [datetime(1969, 12, 31, 23, 59, tzinfo=UTC)])
_add("predictions.fetch_predictions", "limit", [None])


def _case_id(case: Case) -> str:
    method, path, value, _ = case
    return f"{method.split('.')[1]}-{path}-{repr(value)[:24]}"


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{index}-{_case_id(case)}" for index, case in enumerate(CASES)]
)
async def test_invalid_call_rejected(backend: Harness, case: Case) -> None:
    method_name, path, value, field = case
    kwargs = _replace(VALID_CALLS[method_name](), path, value)
    before = await backend.row_counts()

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await _bound(uow, method_name)("t1", **kwargs)

    assert _field_matches(raised.value.field, field), raised.value.field
    assert len(raised.value.value) <= 200
    assert await backend.row_counts() == before
    figures.add("bad_input.calls", backend.name, 1)


def _field_matches(actual: str, expected: str) -> bool:
    # JSON errors name the nested path below the argument, such as ``feedback.metadata.n.n``.
    return actual == expected or actual.startswith((expected + ".", expected + "["))


def test_catalogue_size() -> None:
    assert len(CASES) >= 150


HOSTILE = [
    'O\'Brien "quoted"',
    "x'; DROP TABLE cost_records; --",
    "Robert'); drop table runs;--",
    "naïve café Straße",
    "日本語のテキスト",
    "rocket 🚀 coder 👩‍💻",
    "\u202eright-to-left\u200f mark",
    "back\\slash %_ wild*card",
]


class RoundTrip:
    """Counts the field comparisons of one hostile string."""

    def __init__(self) -> None:
        self.checked = 0

    def equal(self, stored: object, sent: object, label: str) -> None:
        assert stored == sent, label
        self.checked += 1


async def _write_hostile(uow: UnitOfWork, s: str, check: RoundTrip) -> None:
    record = NewCostRecord(
        occurred_at=START,
        model=s,
        input_tokens=1,
        output_tokens=1,
        cost_usd=Decimal("0.5"),
        cost_source=CostSource.ESTIMATED,
        price_ref=s,
        user_id=s,
        feature_tag=s,
        request_id=s,
        workflow_id=s,
        skill_id=s,
    )
    stored = (await uow.cost_writes.create_cost_record(s, record=record)).record
    for name in (
        "tenant_id",
        "model",
        "price_ref",
        "user_id",
        "feature_tag",
        "request_id",
        "workflow_id",
        "skill_id",
    ):
        check.equal(getattr(stored, name), s, f"cost record {name}")

    await uow.cost_writes.create_feature_tag(
        s, tag=s, display_name=s, description=f"{s}\n\tsecond line"
    )

    await uow.cost_writes.create_or_update_budget(
        s, budget_type=EntityType.USER, entity_id=s, daily_limit_usd=Decimal(1)
    )

    run = await uow.run_writes.record_run(
        s, run=NewRun(id=s, status=RunStatus.QUEUED, created_at=START, model=s)
    )
    check.equal((run.record.id, run.record.model), (s, s), "run id and model")

    trace = await uow.run_writes.record_trace(
        s, trace=NewTrace(trace_id=s, run_id=s, status=TraceStatus.RUNNING, started_at=START)
    )
    check.equal((trace.record.trace_id, trace.record.run_id), (s, s), "trace ids")

    await uow.run_writes.record_worker_run(
        s,
        run=NewWorkerRun(
            id=s,
            worker_id=s,
            user_id=s,
            task=f"{s}\n",
            status=RunStatus.FAILED,
            created_at=START,
            completed_at=START + timedelta(minutes=1),
            error=s,
            parent_run_id=f"p{s}",
        ),
    )

    await uow.cost_anomalies.insert_breach_history(
        s,
        breach=NewBreach(
            entity_type=EntityType.USER,
            entity_id=s,
            breach_type=BreachType.ABSOLUTE_SPIKE,
            breach_date=DAY,
            deviation_pct=Decimal(1),
            current_value_usd=Decimal(1),
            baseline_value_usd=Decimal(1),
        ),
    )

    await uow.cost_anomalies.insert_drift_tracking(
        s,
        entity_type=EntityType.FEATURE,
        entity_id=s,
        day=DAY,
        observation=DriftObservation(
            rolling_avg_usd=Decimal(2), baseline_avg_usd=Decimal(1), drift_pct=Decimal(100)
        ),
    )

    await uow.cost_anomalies.upsert_anomaly(
        s,
        anomaly=NewAnomaly(
            anomaly_type=AnomalyType.BUDGET_WARNING,
            severity=AnomalySeverity.LOW,
            entity_type=EntityType.USER,
            entity_id=s,
            budget_period=BudgetPeriod.DAILY,
            period_start=DAY,
            detected_at=START,
            current_value_usd=Decimal(1),
            expected_value_usd=Decimal(1),
            deviation_pct=Decimal(0),
            threshold_pct=Decimal(80),
            message=f"{s}\n",
            budget_id=s,
            incident_id=s,
            metadata={s: s},
        ),
    )

    await uow.pattern_detection.insert_feedback(
        s,
        feedback=NewPatternFeedback(
            pattern_type=PatternType.FAILURE_PATTERN,
            severity=FeedbackSeverity.INFO,
            description=s,
            signature=s,
            provenance=[s],
            occurrence_count=1,
            detected_at=START,
            threshold_used=s,
            metadata={s: [s]},
        ),
    )

    await uow.predictions.insert_prediction(
        s,
        prediction=NewPrediction(
            prediction_type=PredictionType.COST_OVERRUN,
            subject_type=SubjectType.FEATURE,
            subject_id=s,
            confidence=Decimal("0.5"),
            prediction_value={s: s},
            contributing_factors=[{s: s}],
            created_at=START,
            expires_at=END,
            notes=s,
        ),
    )


async def _read_hostile(uow: UnitOfWork, s: str, check: RoundTrip) -> None:
    by_model = await uow.analytics_reads.fetch_cost_by_model(s, start=START, end=END)
    check.equal([item.model for item in by_model.items], [s], "model breakdown")

    by_feature = await uow.analytics_reads.fetch_cost_by_feature(s, start=START, end=END)
    check.equal([item.feature_tag for item in by_feature.items], [s], "feature breakdown")

    spend = await uow.cost_anomalies.fetch_entity_today_spend(
        s, dimension=EntityDimension.USER, day=DAY
    )
    check.equal([item.entity_id for item in spend], [s], "user spend")

    tag = await uow.cost_writes.get_feature_tag(s, tag=s)
    assert tag is not None
    check.equal(
        (tag.tag, tag.display_name, tag.description), (s, s, f"{s}\n\tsecond line"), "feature tag"
    )

    [budget] = await uow.cost_anomalies.list_active_budgets(s)
    check.equal(budget.entity_id, s, "budget entity")

    [failed] = await uow.pattern_detection.fetch_failed_runs(s, start=START, end=END)
    check.equal(
        (
            failed.id,
            failed.worker_id,
            failed.user_id,
            failed.task,
            failed.error,
            failed.parent_run_id,
        ),
        (s, s, s, f"{s}\n", s, f"p{s}"),
        "worker run",
    )

    [streak] = await uow.cost_anomalies.fetch_breach_streaks(
        s,
        entity_type=EntityType.USER,
        entity_ids=[s],
        breach_type=BreachType.ABSOLUTE_SPIKE,
        day=DAY,
    )
    check.equal((streak.entity_id, streak.days), (s, 1), "breach streak")

    tracker = await uow.cost_anomalies.fetch_drift_tracking(
        s, entity_type=EntityType.FEATURE, entity_id=s
    )
    assert tracker is not None
    check.equal(tracker.entity_id, s, "drift tracker")

    [stored_anomaly] = await uow.cost_anomalies.list_anomalies(s, start=START, end=END)
    check.equal(
        (
            stored_anomaly.entity_id,
            stored_anomaly.message,
            stored_anomaly.budget_id,
            stored_anomaly.incident_id,
            stored_anomaly.metadata,
        ),
        (s, f"{s}\n", s, s, {s: s}),
        "anomaly",
    )

    [stored_feedback] = await uow.pattern_detection.fetch_feedback_records(s)
    check.equal(
        (
            stored_feedback.description,
            stored_feedback.signature,
            stored_feedback.provenance,
            stored_feedback.threshold_used,
            stored_feedback.metadata,
        ),
        (s, s, [s], s, {s: [s]}),
        "feedback",
    )

    acknowledged = await uow.pattern_detection.acknowledge_feedback(
        s, feedback_id=stored_feedback.id, acknowledged_by=s
    )
    check.equal(acknowledged.acknowledged_by, s, "acknowledged by")

    [event] = await uow.predictions.fetch_predictions(
        s, subject_type=SubjectType.FEATURE, subject_id=s
    )
    check.equal(
        (event.subject_id, event.notes, event.prediction_value, event.contributing_factors),
        (s, s, {s: s}, [{s: s}]),
        "prediction",
    )


@pytest.mark.parametrize("hostile", HOSTILE)
async def test_hostile_strings_round_trip(backend: Harness, hostile: str) -> None:
    check = RoundTrip()

    async with backend.uow() as uow:
        await _write_hostile(uow, hostile, check)
    async with backend.uow() as uow:
        await _read_hostile(uow, hostile, check)

    counts = await backend.row_counts()
    assert counts["cost_records"] == 1
    figures.add("bad_input.hostile", backend.name, check.checked)
