"""Builders and loaders for the worker-run, pattern-feedback and prediction scenarios.

The feedback steps and predictions p1..p3 are the worked examples of the port
contract. Extra worker runs cover boundaries and ties that w1..w8 leave out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from analytics.domain import (
    FeedbackSeverity,
    NewPatternFeedback,
    NewPrediction,
    NewWorkerRun,
    PatternFeedback,
    PatternType,
    PredictionEvent,
    PredictionOutcome,
    PredictionType,
    RunStatus,
    SubjectType,
)
from tests.contract.example_data import WINDOW_W, utc
from tests.contract.harness import Harness

W_START, W_END = WINDOW_W
TWO_DAYS_END = utc(2024, 3, 12)
SIGNATURE = "9f2c41d07a3b5e68"
ONE_MICROSECOND = timedelta(microseconds=1)
STEP_1_DETECTED_AT = utc(2024, 3, 10, 12)

# Invalid tenant ids: empty, surrounding space, 65 characters, NUL.
INVALID_TENANT_IDS = ["", " t1", "t" * 65, "t\x001"]


def invalid_limits(maximum: int) -> list[object]:
    """Return 0, maximum + 1, -1 and True: each must raise InvalidInput on ``limit``."""
    return [0, maximum + 1, -1, True]


# Arguments of a worker-run list read with one invalid value, and the field named.
RUN_READ_INVALID: list[tuple[dict[str, Any], str]] = [
    ({"start": datetime(2024, 3, 10)}, "start"),
    ({"end": datetime(2024, 3, 11)}, "end"),
    ({"end": W_START}, "end"),
    ({"end": utc(2024, 3, 9)}, "end"),
    ({"start": "2024-03-10T00:00:00Z"}, "start"),
    ({"start": utc(1969, 12, 31)}, "start"),
    ({"worker_id": ""}, "worker_id"),
    ({"worker_id": " wk-a"}, "worker_id"),
    ({"worker_id": "w" * 101}, "worker_id"),
    ({"worker_id": "wk\x00a"}, "worker_id"),
    ({"include_synthetic": 1}, "include_synthetic"),
    ({"include_synthetic": None}, "include_synthetic"),
]


def terminal_run(
    run_id: str,
    worker_id: str,
    status: RunStatus,
    created_at: datetime,
    *,
    cost_usd: str | None = None,
    error: str | None = None,
    is_synthetic: bool = False,
) -> NewWorkerRun:
    """Build a finished worker run that completes one minute after it was created."""
    return NewWorkerRun(
        id=run_id,
        worker_id=worker_id,
        task=f"task-{run_id}",
        status=status,
        created_at=created_at,
        completed_at=created_at + timedelta(minutes=1),
        error=error,
        cost_usd=None if cost_usd is None else Decimal(cost_usd),
        is_synthetic=is_synthetic,
    )


def open_run(run_id: str, worker_id: str, status: RunStatus, created_at: datetime) -> NewWorkerRun:
    """Build a queued or running worker run."""
    started_at = None if status is RunStatus.QUEUED else created_at
    return NewWorkerRun(
        id=run_id,
        worker_id=worker_id,
        task=f"task-{run_id}",
        status=status,
        created_at=created_at,
        started_at=started_at,
    )


async def store_worker_runs(backend: Harness, tenant_id: str, runs: Iterable[NewWorkerRun]) -> None:
    """Store worker runs of one tenant in one committed unit of work."""
    async with backend.uow() as uow:
        for run in runs:
            await uow.run_writes.record_worker_run(tenant_id, run=run)


def feedback(
    *,
    occurrence_count: int = 3,
    provenance: Iterable[str] = ("w1", "w2", "w9"),
    detected_at: datetime = STEP_1_DETECTED_AT,
    signature: str = SIGNATURE,
    pattern_type: PatternType = PatternType.FAILURE_PATTERN,
    **changes: Any,
) -> NewPatternFeedback:
    """Build a detection of the example failure pattern, with any field replaced."""
    fields: dict[str, Any] = {
        "pattern_type": pattern_type,
        "severity": FeedbackSeverity.WARNING,
        "description": "Timeout after 30s",
        "signature": signature,
        "provenance": list(provenance),
        "occurrence_count": occurrence_count,
        "detected_at": detected_at,
    }
    fields.update(changes)
    return NewPatternFeedback(**fields)


def raw_feedback(**changes: Any) -> NewPatternFeedback:
    """Build a detection without type checks, so the port's own validation is reached."""
    fields = dict(feedback())
    fields.update(changes)
    return NewPatternFeedback.model_construct(**fields)


# Steps 1, 3 and 5 of the feedback example: a detection, a later one, and one
# after the row of the first two was acknowledged.
STEP_1 = feedback()
STEP_3 = feedback(
    occurrence_count=4, provenance=("w2", "w9", "w10", "w11"), detected_at=utc(2024, 3, 10, 13)
)
STEP_5 = feedback(occurrence_count=3, detected_at=utc(2024, 3, 11, 12))


async def load_feedback_steps(backend: Harness) -> tuple[PatternFeedback, PatternFeedback]:
    """Run steps 1 to 5 of the feedback example for t1 and return (pf_1, pf_2) as stored.

    pf_1 is acknowledged by alice at 2024-03-10T14:00Z and ends with
    ``detected_at`` 13:00Z. pf_2 is the open row detected at 2024-03-11T12:00Z.
    """
    async with backend.uow() as uow:
        first = await uow.pattern_detection.insert_feedback("t1", feedback=STEP_1)
        await uow.pattern_detection.insert_feedback("t1", feedback=STEP_1)
        await uow.pattern_detection.insert_feedback("t1", feedback=STEP_3)
        await uow.pattern_detection.insert_feedback("t1", feedback=STEP_1)
        backend.clock.now = utc(2024, 3, 10, 14)
        pf_1 = await uow.pattern_detection.acknowledge_feedback(
            "t1", feedback_id=first.record.id, acknowledged_by="alice"
        )
        second = await uow.pattern_detection.insert_feedback("t1", feedback=STEP_5)
    return pf_1, second.record


def prediction(
    prediction_type: PredictionType,
    subject_id: str,
    created_at: datetime,
    *,
    expires_at: datetime | None = None,
    subject_type: SubjectType = SubjectType.WORKER,
    **changes: Any,
) -> NewPrediction:
    """Build a prediction valid for one day unless ``expires_at`` is given."""
    fields: dict[str, Any] = {
        "prediction_type": prediction_type,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "confidence": Decimal("0.5"),
        "prediction_value": {"failure_rate": "0.500000"},
        "contributing_factors": [{"factor": "recent_failures", "count": 2}],
        "created_at": created_at,
        "expires_at": expires_at or created_at + timedelta(days=1),
    }
    fields.update(changes)
    return NewPrediction(**fields)


def raw_prediction(**changes: Any) -> NewPrediction:
    """Build p1 without type checks, so the port's own validation is reached."""
    fields = dict(P1)
    fields.update(changes)
    return NewPrediction.model_construct(**fields)


# p1 is a failure likelihood of wk-a, p2 a cost overrun of wk-b made at the
# same instant, and p3 a failure likelihood of wk-a made a day later.
P1 = prediction(PredictionType.FAILURE_LIKELIHOOD, "wk-a", utc(2024, 3, 10, 12))
P2 = prediction(PredictionType.COST_OVERRUN, "wk-b", utc(2024, 3, 10, 12))
P3 = prediction(PredictionType.FAILURE_LIKELIHOOD, "wk-a", utc(2024, 3, 11, 12))

# The outcome the example caller records for p1: one terminal run, too few to judge.
P1_OUTCOME_VALUE: dict[str, Any] = {"terminal": 1, "failures": 0, "failure_rate": "0.000000"}


async def store_predictions(
    backend: Harness, tenant_id: str, predictions: Iterable[NewPrediction]
) -> list[PredictionEvent]:
    """Store predictions of one tenant in one committed unit of work."""
    async with backend.uow() as uow:
        return [
            await uow.predictions.insert_prediction(tenant_id, prediction=item)
            for item in predictions
        ]


async def load_example_predictions(backend: Harness) -> dict[str, PredictionEvent]:
    """Store p1, p2 and p3 for t1 and return them by name."""
    stored = await store_predictions(backend, "t1", (P1, P2, P3))
    return dict(zip(("p1", "p2", "p3"), stored, strict=True))


async def record_p1_outcome(backend: Harness, p1: PredictionEvent) -> PredictionEvent:
    """Record p1's example outcome (undetermined) at clock 2024-03-11T18:00Z."""
    backend.clock.now = utc(2024, 3, 11, 18)
    async with backend.uow() as uow:
        result = await uow.predictions.record_prediction_outcome(
            "t1",
            prediction_id=p1.id,
            outcome=PredictionOutcome.UNDETERMINED,
            outcome_value=P1_OUTCOME_VALUE,
        )
    return result.record


def ids(items: Iterable[Any]) -> list[str]:
    """Return the ``id`` of every item, in order."""
    return [item.id for item in items]
