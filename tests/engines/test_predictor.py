"""Predictor: failure likelihood, cost overrun, outcome checks and accuracy, through the ports."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import event

from analytics.domain import (
    FeedbackSeverity,
    NewPatternFeedback,
    NewPrediction,
    NewWorkerRun,
    PatternType,
    PredictionOutcome,
    PredictionType,
    RunStatus,
    SubjectType,
    WriteOutcome,
)
from analytics.domain.prediction_reports import PredictionAccuracy, SkipReason
from analytics.engines.predictor import Predictor
from analytics.engines.predictor_cost import cost_confidence, cost_trend
from analytics.engines.predictor_failure import wilson_interval
from analytics.engines.settings import PredictionSettings
from analytics.ports import InvalidInput
from tests.contract.harness import Harness

AT = datetime(2024, 3, 10, 18, tzinfo=UTC)
NEXT_DAY = AT + timedelta(hours=24)
Z = Decimal("1.96")
EXAMPLE_COSTS = ["1.30", "1.25", "1.35", "1.00", "1.10", "0.90", "1.00"]


def worker_run(
    run_id: str,
    worker_id: str,
    status: RunStatus,
    created_at: datetime,
    *,
    cost: str | None = None,
    error: str | None = None,
) -> NewWorkerRun:
    """Build a terminal worker run that ended a minute after it was created."""
    return NewWorkerRun(
        id=run_id,
        worker_id=worker_id,
        task=f"task of {run_id}",
        status=status,
        created_at=created_at,
        completed_at=created_at + timedelta(minutes=1),
        cost_usd=None if cost is None else Decimal(cost),
        error=error,
    )


def runs_of(
    prefix: str, worker_id: str, statuses: Sequence[RunStatus], newest: datetime
) -> list[NewWorkerRun]:
    """Build runs ten minutes apart, newest first, with the given statuses in that order."""
    return [
        worker_run(f"{prefix}{index}", worker_id, status, newest - timedelta(minutes=10 * index))
        for index, status in enumerate(statuses)
    ]


def cost_runs(
    prefix: str, worker_id: str, costs: Sequence[str], newest: datetime
) -> list[NewWorkerRun]:
    """Build completed runs with costs ten minutes apart; the first cost is the newest run's."""
    return [
        worker_run(
            f"{prefix}{index}",
            worker_id,
            RunStatus.COMPLETED,
            newest - timedelta(minutes=10 * index),
            cost=cost,
        )
        for index, cost in enumerate(costs)
    ]


FAILED, CRASHED, COMPLETED = RunStatus.FAILED, RunStatus.CRASHED, RunStatus.COMPLETED
ERRORS = [
    "Timeout after 30s calling the model",
    "Timeout after 45s calling the model",
    "Disk full on /var/data/cache",
    "Permission denied for bucket invoices",
    "Quota exceeded for project 42",
]


def failing_worker_runs(prefix: str, newest: datetime) -> list[NewWorkerRun]:
    """20 terminal runs of wk-fail: 8 failed (with errors), 2 crashed, 10 completed."""
    failed = [
        worker_run(
            f"{prefix}f{i}", "wk-fail", FAILED, newest - timedelta(minutes=i), error=ERRORS[i % 5]
        )
        for i in range(8)
    ]
    crashed = runs_of(f"{prefix}c", "wk-fail", [CRASHED] * 2, newest - timedelta(hours=2))
    completed = runs_of(f"{prefix}k", "wk-fail", [COMPLETED] * 10, newest - timedelta(hours=3))
    return failed + crashed + completed


async def seed(backend: Harness, tenant_id: str, runs: Sequence[NewWorkerRun]) -> None:
    async with backend.uow() as uow:
        await uow.run_writes.record_worker_runs(tenant_id, runs=runs)


async def seed_example_tenant(backend: Harness, tenant_id: str = "t1") -> None:
    """Seed the workers of the failure and cost examples, one hour before AT."""
    newest = AT - timedelta(hours=1)
    runs = [
        *failing_worker_runs("", newest),
        *runs_of("few", "wk-few", [FAILED] * 6, newest),
        *runs_of("ok", "wk-ok", [FAILED] * 6 + [COMPLETED] * 24, newest),
        *cost_runs("cost", "wk-cost", EXAMPLE_COSTS, newest),
    ]
    await seed(backend, tenant_id, runs)


async def seed_pattern(backend: Harness, signature: str, workers: dict[str, int]) -> str:
    feedback = NewPatternFeedback(
        pattern_type=PatternType.FAILURE_PATTERN,
        severity=FeedbackSeverity.WARNING,
        description="3 failed runs share this error",
        signature=signature,
        provenance=[],
        occurrence_count=3,
        detected_at=AT - timedelta(hours=2),
        metadata={"workers": workers},
    )
    async with backend.uow() as uow:
        result = await uow.pattern_detection.insert_feedback("t1", feedback=feedback)
    return result.record.id


def predictor(backend: Harness, settings: PredictionSettings | None = None) -> Predictor:
    return Predictor(backend.uow, settings=settings, clock=backend.clock)


@contextmanager
def counted_statements(backend: Harness) -> Iterator[list[str]]:
    """Collect the SQL statements the store runs inside the block."""
    statements: list[str] = []

    def collect(*args: object) -> None:
        statements.append(str(args[2]))

    engine = backend.store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", collect)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", collect)


@pytest.fixture(autouse=True)
def clock_at_prediction_time(backend: Harness) -> None:
    backend.clock.now = AT


# Pure rules.


def test_wilson_interval_example() -> None:
    interval = wilson_interval(10, 20, Z)

    assert (interval.low, interval.high) == (Decimal("0.299295"), Decimal("0.700705"))
    assert interval.confidence == Decimal("0.598590")


@pytest.mark.parametrize(
    ("failures", "trials", "confidence"),
    [(10, 10, Decimal("0.722460")), (500, 1000, Decimal("0.938138"))],
)
def test_wilson_confidence(failures: int, trials: int, confidence: Decimal) -> None:
    assert wilson_interval(failures, trials, Z).confidence == confidence


def test_cost_trend_example() -> None:
    trend = cost_trend([Decimal(cost) for cost in EXAMPLE_COSTS], 3)

    assert trend is not None
    assert str(trend.recent_mean_usd) == "1.300000000"
    assert str(trend.historical_mean_usd) == "1.000000000"
    assert str(trend.trend) == "1.300000"
    assert str(trend.projected_mean_usd) == "1.690000000"
    assert str(trend.overrun_pct) == "69.000000"
    assert cost_confidence(trend, PredictionSettings()) == Decimal("0.483000")


def test_cost_confidence_capped() -> None:
    costs = [Decimal(cost) for cost in ["3.00"] * 3 + ["1.00"] * 9]
    trend = cost_trend(costs, 3)

    assert trend is not None
    assert trend.overrun_pct == Decimal("800.000000")
    assert cost_confidence(trend, PredictionSettings()) == Decimal("0.950000")


# Predictions through the ports.


async def test_failure_prediction_example(backend: Harness) -> None:
    await seed_example_tenant(backend)

    report = await predictor(backend).predict("t1", at=AT)

    failure = [
        p for p in report.predictions if p.prediction_type is PredictionType.FAILURE_LIKELIHOOD
    ]
    assert len(failure) == 1
    prediction = failure[0]
    assert (prediction.subject_type, prediction.subject_id) == (SubjectType.WORKER, "wk-fail")
    assert prediction.confidence == Decimal("0.598590")
    assert (prediction.created_at, prediction.expires_at) == (AT, NEXT_DAY)
    assert prediction.is_advisory is True
    assert prediction.notes is not None and "Advisory" in prediction.notes
    assert prediction.prediction_value == {
        "outcome": "high_failure_likelihood",
        "failure_rate": "0.500000",
        "rate_low": "0.299295",
        "rate_high": "0.700705",
        "failures": 10,
        "terminal": 20,
        "threshold": "0.300000",
        "window_start": "2024-03-03T18:00:00+00:00",
        "window_end": "2024-03-10T18:00:00+00:00",
    }


async def test_failure_prediction_factors(backend: Harness) -> None:
    await seed_example_tenant(backend)
    await seed_pattern(backend, "sig-mine", {"wk-fail": 3})
    await seed_pattern(backend, "sig-other", {"wk-ok": 3})
    acknowledged = await seed_pattern(backend, "sig-closed", {"wk-fail": 3})
    async with backend.uow() as uow:
        await uow.pattern_detection.acknowledge_feedback(
            "t1", feedback_id=acknowledged, acknowledged_by="alice"
        )

    report = await predictor(backend).predict("t1", at=AT)

    factors = next(p for p in report.predictions if p.subject_id == "wk-fail").contributing_factors
    assert factors[0] == {
        "factor": "failure_rate",
        "failure_rate": "0.500000",
        "failures": 10,
        "terminal": 20,
    }
    assert factors[1] == {"factor": "failure_counts", "failed": 8, "crashed": 2}
    samples = [f["error"] for f in factors if f["factor"] == "error_sample"]
    # The two timeouts share a signature; the newest run's text represents it.
    assert samples == [ERRORS[0], ERRORS[2], ERRORS[3]]
    assert factors[-1] == {
        "factor": "open_failure_patterns",
        "count": 1,
        "signatures": ["sig-mine"],
    }


async def test_cost_overrun_example(backend: Harness) -> None:
    await seed_example_tenant(backend)

    report = await predictor(backend).predict("t1", at=AT)

    cost = [p for p in report.predictions if p.prediction_type is PredictionType.COST_OVERRUN]
    assert [p.subject_id for p in cost] == ["wk-cost"]
    assert cost[0].confidence == Decimal("0.483000")
    assert cost[0].prediction_value == {
        "recent_mean_usd": "1.300000000",
        "historical_mean_usd": "1.000000000",
        "trend": "1.300000",
        "projected_mean_usd": "1.690000000",
        "overrun_pct": "69.000000",
        "threshold_pct": "30.000000",
        "recent_runs": 3,
        "historical_runs": 4,
        "window_start": "2024-03-03T18:00:00+00:00",
        "window_end": "2024-03-10T18:00:00+00:00",
    }
    assert cost[0].contributing_factors[1] == {
        "factor": "recent_runs",
        "run_ids": ["cost0", "cost1", "cost2"],
    }


async def test_skipped_subjects_with_reasons(backend: Harness) -> None:
    await seed_example_tenant(backend)

    report = await predictor(backend).predict("t1", at=AT)

    skipped = [(s.prediction_type, s.subject_id, s.reason) for s in report.skipped]
    assert skipped == [
        (PredictionType.FAILURE_LIKELIHOOD, "wk-cost", SkipReason.INSUFFICIENT_HISTORY),
        (PredictionType.FAILURE_LIKELIHOOD, "wk-few", SkipReason.INSUFFICIENT_HISTORY),
        (PredictionType.FAILURE_LIKELIHOOD, "wk-ok", SkipReason.BELOW_THRESHOLD),
    ]
    assert report.truncated is False
    assert report.outcomes == []


async def test_cost_below_threshold_and_too_few(backend: Harness) -> None:
    newest = AT - timedelta(hours=1)
    await seed(
        backend,
        "t1",
        cost_runs("flat", "wk-flat", ["1.10", "1.00", "1.00", "1.00", "1.00", "1.00"], newest),
    )
    await seed(
        backend, "t1", cost_runs("new", "wk-new", ["5.00", "1.00", "1.00", "1.00", "1.00"], newest)
    )

    report = await predictor(backend).predict("t1", at=AT)

    cost_skips = {
        s.subject_id: s.reason
        for s in report.skipped
        if s.prediction_type is PredictionType.COST_OVERRUN
    }
    assert cost_skips == {
        "wk-flat": SkipReason.BELOW_THRESHOLD,
        "wk-new": SkipReason.INSUFFICIENT_HISTORY,
    }
    assert report.predictions == []


async def test_rerun_adds_nothing(backend: Harness) -> None:
    await seed_example_tenant(backend)
    engine = predictor(backend)
    await engine.predict("t1", at=AT)
    counts = await backend.row_counts()

    report = await engine.predict("t1", at=AT)

    assert await backend.row_counts() == counts
    assert report.predictions == []
    already = {
        (s.prediction_type, s.subject_id)
        for s in report.skipped
        if s.reason is SkipReason.ALREADY_VALID
    }
    assert already == {
        (PredictionType.FAILURE_LIKELIHOOD, "wk-fail"),
        (PredictionType.COST_OVERRUN, "wk-cost"),
    }


async def test_tenants_with_shared_workers_never_mix(backend: Harness) -> None:
    await seed_example_tenant(backend, "t1")
    newest = AT - timedelta(hours=1)
    await seed(backend, "t2", runs_of("x", "wk-fail", [FAILED] * 40, newest))
    engine = predictor(backend)

    first = await engine.predict("t1", at=AT)
    second = await engine.predict("t2", at=AT)

    mine = next(p for p in first.predictions if p.subject_id == "wk-fail")
    assert (mine.prediction_value["failures"], mine.prediction_value["terminal"]) == (10, 20)
    assert [(p.tenant_id, p.subject_id) for p in second.predictions] == [("t2", "wk-fail")]
    assert second.predictions[0].prediction_value["failure_rate"] == "1.000000"


async def test_synthetic_runs_left_out(backend: Harness) -> None:
    runs = [
        r.model_copy(update={"is_synthetic": True})
        for r in runs_of("s", "wk", [FAILED] * 12, AT - timedelta(hours=1))
    ]
    await seed(backend, "t1", runs)

    default = await predictor(backend).predict("t1", at=AT)
    included = await predictor(backend, PredictionSettings(include_synthetic=True)).predict(
        "t1", at=AT
    )

    assert default.predictions == []
    assert default.skipped == []
    assert [p.subject_id for p in included.predictions] == ["wk"]


async def test_reads_do_not_grow_with_workers(backend: Harness) -> None:
    async def statements_for(tenant_id: str, workers: int) -> int:
        runs = [
            run
            for w in range(workers)
            for run in runs_of(
                f"{tenant_id}-{w}-", f"wk-{w}", [FAILED, COMPLETED], AT - timedelta(hours=1)
            )
        ]
        await seed(backend, tenant_id, runs)
        with counted_statements(backend) as statements:
            report = await predictor(backend).predict(tenant_id, at=AT)
        assert report.predictions == []
        return len(statements)

    assert await statements_for("one", 1) == await statements_for("many", 6)


async def test_default_at_is_now(backend: Harness) -> None:
    report = await predictor(backend).predict("t1")

    assert report.at == AT


@pytest.mark.parametrize(
    "at", [datetime(2024, 3, 10, 18), AT + timedelta(microseconds=1)], ids=["naive", "future"]
)
async def test_invalid_at_rejected(backend: Harness, at: datetime) -> None:
    with pytest.raises(InvalidInput) as error:
        await predictor(backend).predict("t1", at=at)

    assert error.value.field == "at"


# Outcomes.


def prediction(
    prediction_type: PredictionType, worker_id: str, value: dict[str, Any]
) -> NewPrediction:
    return NewPrediction(
        prediction_type=prediction_type,
        subject_type=SubjectType.WORKER,
        subject_id=worker_id,
        confidence=Decimal("0.5"),
        prediction_value=value,
        contributing_factors=[],
        created_at=AT,
        expires_at=NEXT_DAY,
    )


async def seed_predictions(backend: Harness, predictions: Sequence[NewPrediction]) -> None:
    async with backend.uow() as uow:
        for item in predictions:
            await uow.predictions.insert_prediction("t1", prediction=item)


async def seed_outcome_example(backend: Harness) -> None:
    """Four expired predictions and the runs of their validity window [AT, AT + 24 h)."""
    failure_value = {"threshold": "0.300000"}
    cost_value = {"historical_mean_usd": "1.000000000", "threshold_pct": "30.000000"}
    await seed_predictions(
        backend,
        [
            prediction(PredictionType.FAILURE_LIKELIHOOD, "wk-a", failure_value),
            prediction(PredictionType.FAILURE_LIKELIHOOD, "wk-b", failure_value),
            prediction(PredictionType.FAILURE_LIKELIHOOD, "wk-c", failure_value),
            prediction(PredictionType.COST_OVERRUN, "wk-d", cost_value),
            prediction(PredictionType.COST_OVERRUN, "wk-e", cost_value),
        ],
    )
    inside = AT + timedelta(hours=12)
    await seed(
        backend,
        "t1",
        [
            *runs_of("a", "wk-a", [FAILED, FAILED, CRASHED, COMPLETED], inside),
            *runs_of("b", "wk-b", [FAILED] + [COMPLETED] * 4, inside),
            *runs_of("c", "wk-c", [FAILED, FAILED], inside),
            *runs_of("before", "wk-c", [FAILED] * 5, AT - timedelta(minutes=1)),
            *cost_runs("d", "wk-d", ["1.10", "1.20", "1.30"], inside),
            *cost_runs("e", "wk-e", ["1.20", "1.30", "1.40"], inside),
        ],
    )


async def test_outcomes_judged_over_validity_window(backend: Harness) -> None:
    await seed_outcome_example(backend)
    backend.clock.now = NEXT_DAY

    checks = await predictor(backend).check_outcomes("t1", at=NEXT_DAY)

    judged = {(c.subject_id, c.outcome, c.write_outcome) for c in checks}
    assert judged == {
        ("wk-a", PredictionOutcome.CONFIRMED, WriteOutcome.UPDATED),
        ("wk-b", PredictionOutcome.REFUTED, WriteOutcome.UPDATED),
        ("wk-c", PredictionOutcome.UNDETERMINED, WriteOutcome.UPDATED),
        ("wk-d", PredictionOutcome.REFUTED, WriteOutcome.UPDATED),
        ("wk-e", PredictionOutcome.CONFIRMED, WriteOutcome.UPDATED),
    }
    assert all((c.window_start, c.window_end) == (AT, NEXT_DAY) for c in checks)


async def test_outcome_values(backend: Harness) -> None:
    await seed_outcome_example(backend)
    backend.clock.now = NEXT_DAY

    checks = {
        c.subject_id: c.outcome_value
        for c in await predictor(backend).check_outcomes("t1", at=NEXT_DAY)
    }

    assert checks["wk-a"] == {
        "terminal": 4,
        "failures": 3,
        "failure_rate": "0.750000",
        "threshold": "0.300000",
    }
    assert checks["wk-c"] == {
        "terminal": 2,
        "failures": 2,
        "failure_rate": "1.000000",
        "threshold": "0.300000",
    }
    assert checks["wk-d"] == {"runs": 3, "mean_cost_usd": "1.200000000", "bound_usd": "1.300000000"}
    # A mean equal to the bound confirms the overrun.
    assert checks["wk-e"] == {"runs": 3, "mean_cost_usd": "1.300000000", "bound_usd": "1.300000000"}
    async with backend.uow() as uow:
        stored = await uow.predictions.fetch_predictions("t1", outcome_pending=False, limit=10)
    assert {p.subject_id: p.outcome_value for p in stored} == checks


async def test_outcomes_checked_once(backend: Harness) -> None:
    await seed_outcome_example(backend)
    backend.clock.now = NEXT_DAY
    engine = predictor(backend)
    await engine.check_outcomes("t1", at=NEXT_DAY)
    counts = await backend.row_counts()

    again = await engine.check_outcomes("t1", at=NEXT_DAY)

    assert again == []
    assert await backend.row_counts() == counts


async def test_unexpired_predictions_wait(backend: Harness) -> None:
    await seed_outcome_example(backend)
    backend.clock.now = NEXT_DAY

    checks = await predictor(backend).check_outcomes("t1", at=NEXT_DAY - timedelta(microseconds=1))

    assert checks == []


async def test_predict_checks_outcomes_first(backend: Harness) -> None:
    await seed_example_tenant(backend)
    engine = predictor(backend)
    await engine.predict("t1", at=AT)
    inside = AT + timedelta(hours=6)
    await seed(backend, "t1", runs_of("n", "wk-fail", [FAILED] * 4 + [COMPLETED], inside))
    await seed(backend, "t1", cost_runs("m", "wk-cost", ["1.50", "1.50", "1.50"], inside))
    backend.clock.now = NEXT_DAY

    report = await engine.predict("t1", at=NEXT_DAY)

    outcomes = {(c.prediction_type, c.subject_id): c.outcome for c in report.outcomes}
    assert outcomes == {
        (PredictionType.FAILURE_LIKELIHOOD, "wk-fail"): PredictionOutcome.CONFIRMED,
        (PredictionType.COST_OVERRUN, "wk-cost"): PredictionOutcome.CONFIRMED,
    }
    assert {p.created_at for p in report.predictions} == {NEXT_DAY}


async def test_accuracy_example(backend: Harness) -> None:
    outcomes = (
        [PredictionOutcome.CONFIRMED] * 8
        + [PredictionOutcome.REFUTED] * 2
        + [PredictionOutcome.UNDETERMINED] * 3
        + [None]
    )
    async with backend.uow() as uow:
        for index, outcome in enumerate(outcomes):
            item = prediction(PredictionType.FAILURE_LIKELIHOOD, f"wk-{index}", {})
            stored = await uow.predictions.insert_prediction("t1", prediction=item)
            if outcome is not None:
                await uow.predictions.record_prediction_outcome(
                    "t1", prediction_id=stored.id, outcome=outcome, outcome_value=None
                )

    rows = await predictor(backend).accuracy("t1", start=AT - timedelta(days=30), end=NEXT_DAY)

    assert rows == [
        PredictionAccuracy(
            prediction_type=PredictionType.COST_OVERRUN,
            confirmed=0,
            refuted=0,
            undetermined=0,
            pending=0,
            precision=None,
        ),
        PredictionAccuracy(
            prediction_type=PredictionType.FAILURE_LIKELIHOOD,
            confirmed=8,
            refuted=2,
            undetermined=3,
            pending=1,
            precision=Decimal("0.800000"),
        ),
    ]
    assert rows[1].total == 14


async def test_accuracy_window_is_creation_time(backend: Harness) -> None:
    await seed_predictions(backend, [prediction(PredictionType.COST_OVERRUN, "wk", {})])

    rows = await predictor(backend).accuracy("t1", start=AT + timedelta(seconds=1), end=NEXT_DAY)

    assert all(row.total == 0 for row in rows)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lookback": timedelta(0)}, "lookback must be positive"),
        ({"validity": timedelta(hours=-1)}, "validity must be positive"),
        ({"failure_rate_threshold": Decimal("1.5")}, "failure_rate_threshold"),
        ({"cost_max_runs": 5}, "cost_max_runs"),
        ({"cost_confidence_cap": Decimal(2)}, "cost_confidence_cap"),
        ({"confidence_z": Decimal(0)}, "confidence_z"),
        ({"tz": "+05:30"}, "IANA"),
    ],
)
def test_settings_validated(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PredictionSettings.model_validate(changes)


def test_settings_defaults() -> None:
    settings = PredictionSettings()

    assert (settings.lookback, settings.validity) == (timedelta(days=7), timedelta(hours=24))
    assert (settings.failure_min_runs, settings.failure_rate_threshold) == (10, Decimal("0.30"))
    assert settings.confidence_z == Decimal("1.96")
    assert (
        settings.cost_recent_runs,
        settings.cost_min_historical_runs,
        settings.cost_max_runs,
    ) == (3, 3, 200)
    assert (settings.cost_overrun_pct, settings.cost_confidence_cap) == (
        Decimal(30),
        Decimal("0.95"),
    )
    assert (settings.cost_full_confidence_runs, settings.outcome_min_runs) == (10, 3)
