"""Field regression cases on worker runs, pattern feedback and predictions.

Aware datetimes must round-trip to the microsecond in UTC on every backend,
and cost-run reads must stay inside their window and their tenant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from analytics.domain import (
    FeedbackSeverity,
    NewPatternFeedback,
    NewPrediction,
    NewWorkerRun,
    PatternType,
    PredictionType,
    RunStatus,
    SubjectType,
    WriteOutcome,
)
from analytics.ports import InvalidInput, UnitOfWork
from tests.contract.example_data import utc
from tests.contract.harness import Harness
from tests.contract.patterns_data import ids

# Aware datetimes stored and read back to the microsecond.
T = datetime(2026, 2, 3, 21, 32, 50, 353909, tzinfo=UTC)
RUN_COMPLETED_AT = datetime(2026, 2, 3, 21, 33, 20, 353909, tzinfo=UTC)
EXPIRES_AT = datetime(2026, 2, 4, 21, 32, 50, 353909, tzinfo=UTC)
DAY_START = utc(2026, 2, 3)
DAY_END = utc(2026, 2, 4)

TIMEOUT_RUN = NewWorkerRun(
    id="run-1",
    worker_id="w1",
    task="summarise ticket",
    status=RunStatus.FAILED,
    created_at=T,
    started_at=T,
    completed_at=RUN_COMPLETED_AT,
    error="tool call timed out after 30 s",
)
TIMEOUT_FEEDBACK = NewPatternFeedback(
    pattern_type=PatternType.FAILURE_PATTERN,
    severity=FeedbackSeverity.WARNING,
    description="tool call timeouts",
    signature="sig-timeout",
    provenance=["run-1"],
    occurrence_count=1,
    detected_at=T,
)
TIMEOUT_PREDICTION = NewPrediction(
    prediction_type=PredictionType.FAILURE_LIKELIHOOD,
    subject_type=SubjectType.WORKER,
    subject_id="w1",
    confidence=Decimal("0.5"),
    prediction_value={"failure_rate": "0.500000"},
    contributing_factors=[],
    created_at=T,
    expires_at=EXPIRES_AT,
)


async def _write_timeout_rows(backend: Harness, tenant_id: str) -> None:
    async with backend.uow() as uow:
        run = await uow.run_writes.record_worker_run(tenant_id, run=TIMEOUT_RUN)
        feedback = await uow.pattern_detection.insert_feedback(tenant_id, feedback=TIMEOUT_FEEDBACK)
        prediction = await uow.predictions.insert_prediction(
            tenant_id, prediction=TIMEOUT_PREDICTION
        )

    assert run.outcome is WriteOutcome.CREATED
    assert feedback.outcome is WriteOutcome.CREATED
    assert feedback.record.first_detected_at == T
    assert feedback.record.detected_at == T
    assert prediction.created_at == T
    assert prediction.expires_at == EXPIRES_AT
    assert prediction.confidence == Decimal("0.500000")
    assert prediction.is_advisory is True


async def _check_timeout_reads(uow: UnitOfWork) -> None:
    [run] = await uow.pattern_detection.fetch_failed_runs("t1", start=DAY_START, end=DAY_END)
    assert run.id == "run-1"
    assert run.tenant_id == "t1"
    assert run.created_at == T
    assert run.started_at == T
    assert run.completed_at == RUN_COMPLETED_AT
    assert run.created_at.tzinfo is UTC
    assert run.started_at is not None and run.started_at.tzinfo is UTC
    assert run.completed_at is not None and run.completed_at.tzinfo is UTC

    [feedback] = await uow.pattern_detection.fetch_feedback_records("t1")
    assert feedback.tenant_id == "t1"
    assert feedback.detected_at == T
    assert feedback.first_detected_at == T
    assert feedback.detected_at.tzinfo is UTC
    assert feedback.pattern_type is PatternType.FAILURE_PATTERN
    assert feedback.severity is FeedbackSeverity.WARNING

    for valid_at in (utc(2026, 2, 4), T, EXPIRES_AT - timedelta(microseconds=1)):
        [prediction] = await uow.predictions.fetch_predictions("t1", valid_at=valid_at)
        assert prediction.tenant_id == "t1", valid_at
        assert prediction.created_at == T, valid_at
        assert prediction.expires_at == EXPIRES_AT, valid_at
        assert prediction.expires_at.tzinfo is UTC, valid_at
        assert prediction.prediction_type is PredictionType.FAILURE_LIKELIHOOD, valid_at
        assert prediction.subject_type is SubjectType.WORKER, valid_at
    for valid_at in (EXPIRES_AT, utc(2026, 2, 5)):
        assert await uow.predictions.fetch_predictions("t1", valid_at=valid_at) == [], valid_at


async def test_aware_datetimes_round_trip(backend: Harness) -> None:
    await _write_timeout_rows(backend, "t1")
    await _write_timeout_rows(backend, "t2")

    async with backend.uow() as uow:
        await _check_timeout_reads(uow)


async def test_aware_datetimes_replay(backend: Harness) -> None:
    await _write_timeout_rows(backend, "t1")
    offset = TIMEOUT_FEEDBACK.model_copy(
        update={"detected_at": datetime.fromisoformat("2026-02-04T03:02:50.353909+05:30")}
    )

    async with backend.uow() as uow:
        replay = await uow.pattern_detection.insert_feedback("t1", feedback=offset)

    # The same instant written with another offset is the same detection.
    assert replay.outcome is WriteOutcome.UNCHANGED
    assert replay.record.detected_at == T


async def test_aware_datetimes_session_time_zone(backend: Harness) -> None:
    await _write_timeout_rows(backend, "t1")

    async with (
        backend.store_in_session_time_zone("America/Los_Angeles") as store,
        store.unit_of_work() as uow,
    ):
        await _check_timeout_reads(uow)


async def test_naive_datetimes_rejected(backend: Harness) -> None:
    naive = datetime(2026, 2, 3, 21, 32, 50)
    before = await backend.row_counts()

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as run_error:
            await uow.run_writes.record_worker_run(
                "t1", run=TIMEOUT_RUN.model_copy(update={"id": "run-2", "created_at": naive})
            )
        with pytest.raises(InvalidInput) as feedback_error:
            await uow.pattern_detection.insert_feedback(
                "t1", feedback=TIMEOUT_FEEDBACK.model_copy(update={"detected_at": naive})
            )
        with pytest.raises(InvalidInput) as prediction_error:
            await uow.predictions.insert_prediction(
                "t1", prediction=TIMEOUT_PREDICTION.model_copy(update={"created_at": naive})
            )
    assert run_error.value.field == "run.created_at"
    assert feedback_error.value.field == "feedback.detected_at"
    assert prediction_error.value.field == "prediction.created_at"
    assert await backend.row_counts() == before

    # The unit of work that saw the errors can still write and commit.
    async with backend.uow() as uow:
        with pytest.raises(InvalidInput):
            await uow.pattern_detection.insert_feedback(
                "t1", feedback=TIMEOUT_FEEDBACK.model_copy(update={"detected_at": naive})
            )
        await uow.run_writes.record_worker_run("t1", run=TIMEOUT_RUN)
        await uow.pattern_detection.insert_feedback("t1", feedback=TIMEOUT_FEEDBACK)
        await uow.predictions.insert_prediction("t1", prediction=TIMEOUT_PREDICTION)
    async with backend.uow() as uow:
        await _check_timeout_reads(uow)


LOOK_BACK_START = utc(2026, 11, 27, 12)
LOOK_BACK_END = utc(2026, 12, 4, 12)


def _nightly_run(run_id: str, created_at: datetime, cost_usd: str) -> NewWorkerRun:
    return NewWorkerRun(
        id=run_id,
        worker_id="w1",
        task="nightly report",
        status=RunStatus.COMPLETED,
        created_at=created_at,
        completed_at=created_at + timedelta(minutes=5),
        cost_usd=Decimal(cost_usd),
    )


async def _write_nightly_runs(backend: Harness) -> None:
    history = [_nightly_run(f"h{n:02d}", utc(2026, 11, 10, 12), "1.00") for n in range(1, 11)]
    recent = [
        _nightly_run("a1", utc(2026, 11, 28, 10), "0.20"),
        _nightly_run("a2", utc(2026, 11, 29, 10), "0.20"),
        _nightly_run("a3", utc(2026, 11, 30, 10), "0.20"),
        _nightly_run("b1", utc(2026, 12, 3, 9), "0.30"),
        _nightly_run("b2", utc(2026, 12, 3, 15), "0.30"),
        _nightly_run("b3", utc(2026, 12, 4, 9), "0.30"),
    ]
    async with backend.uow() as uow:
        for run in [*history, *recent]:
            result = await uow.run_writes.record_worker_run("t1", run=run)
            assert result.outcome is WriteOutcome.CREATED
        other = await uow.run_writes.record_worker_run(
            "t2", run=_nightly_run("x1", utc(2026, 12, 4, 8), "5.00")
        )
        assert other.outcome is WriteOutcome.CREATED


async def test_cost_runs_bounded_by_window(backend: Harness) -> None:
    await _write_nightly_runs(backend)
    backend.clock.now = LOOK_BACK_END

    async with backend.uow() as uow:
        runs = await uow.predictions.fetch_cost_runs(
            "t1", start=LOOK_BACK_START, end=LOOK_BACK_END, worker_id="w1", limit=200
        )

    assert ids(runs) == ["b3", "b2", "b1", "a3", "a2", "a1"]
    assert [run.cost_usd for run in runs] == [Decimal("0.300000000")] * 3 + [
        Decimal("0.200000000")
    ] * 3
    for run in runs:
        assert run.cost_usd is not None and run.cost_usd.as_tuple().exponent == -9
        assert run.tenant_id == "t1"


async def test_costed_runs_bounded_by_window(backend: Harness) -> None:
    await _write_nightly_runs(backend)

    async with backend.uow() as uow:
        runs = await uow.pattern_detection.fetch_completed_runs_with_costs(
            "t1", start=LOOK_BACK_START, end=LOOK_BACK_END, worker_id="w1"
        )

    assert ids(runs) == ["b3", "b2", "b1", "a3", "a2", "a1"]


async def test_cost_runs_other_tenant_window(backend: Harness) -> None:
    await _write_nightly_runs(backend)

    async with backend.uow() as uow:
        runs = await uow.predictions.fetch_cost_runs(
            "t2", start=LOOK_BACK_START, end=LOOK_BACK_END, worker_id="w1"
        )

    assert ids(runs) == ["x1"]
    assert [run.cost_usd for run in runs] == [Decimal("5.000000000")]
