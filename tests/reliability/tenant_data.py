"""A tenant's rows in every table, written through the ports, with a money scale.

Two tenants loaded with the same function share every caller-supplied key:
request ids, run ids, worker ids, tags, user ids and signatures. The second one
gets larger money values, later detections and extra rows, so any leak
between them changes a result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from analytics.domain import (
    AnomalySeverity,
    AnomalyType,
    BreachType,
    DriftObservation,
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
from analytics.ports import UnitOfWork

DAY = date(2024, 3, 10)
WINDOW = (datetime(2024, 3, 6, tzinfo=UTC), datetime(2024, 3, 13, tzinfo=UTC))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Return an aware UTC instant in March 2024."""
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC)


@dataclass
class LoadedIds:
    """Generated ids of the rows a tenant's load created, for calls by id."""

    tracker: str = ""
    anomaly: str = ""
    feedback: str = ""
    prediction: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def cost_rows(scale: int, extra: bool) -> list[NewCostRecord]:
    """Return the tenant's cost records; ``extra`` adds rows only the larger tenant has."""
    specs = [
        ("req-1", at(8, 9), "u1", "chat.reply", "gpt-4o", "0.10", False, False),
        ("req-2", at(9, 14), "u1", "chat.reply", "gpt-4o", "0.20", False, False),
        ("req-3", at(10, 6, 30), "u2", None, "claude-3", "0.30", True, False),
        ("req-4", at(10, 15), "u2", "search.rank", "gpt-4o", "0.15", False, False),
        ("req-5", at(10, 15), "u1", "chat.reply", "claude-3", "0", False, False),
        ("req-6", at(11, 4), "u1", "search.rank", "claude-3", "0.05", True, False),
        ("req-7", at(10, 12), "u1", "chat.reply", "gpt-4o", "9.99", False, True),
        (None, at(10, 20), None, None, "gpt-4o", "0.01", False, False),
    ]
    if extra:
        specs += [
            ("req-new", at(10, 16), "u3", "other.tag", "mistral", "3.00", False, False),
            ("req-b", at(10, 17), "u1", "chat.reply", "gpt-4o", "4.00", True, False),
        ]
    return [
        NewCostRecord(
            occurred_at=occurred_at,
            model=model,
            input_tokens=100 * scale,
            output_tokens=10 * scale,
            cost_usd=Decimal(cost) * scale,
            user_id=user_id,
            feature_tag=tag,
            request_id=request_id,
            is_retry=is_retry,
            is_synthetic=is_synthetic,
        )
        for request_id, occurred_at, user_id, tag, model, cost, is_retry, is_synthetic in specs
    ]


def runs(scale: int, extra: bool) -> list[NewRun]:
    """Return the tenant's runs."""
    items = [
        NewRun(
            id="run-1",
            status=RunStatus.COMPLETED,
            created_at=at(10, 6),
            finished_at=at(10, 6, 1),
            input_tokens=10 * scale,
            output_tokens=5 * scale,
            cost_usd=Decimal("0.5") * scale,
        ),
        NewRun(id="run-2", status=RunStatus.RUNNING, created_at=at(10, 7), started_at=at(10, 7)),
    ]
    if extra:
        items.append(NewRun(id="run-9", status=RunStatus.QUEUED, created_at=at(10, 9)))
    return items


def traces(extra: bool) -> list[NewTrace]:
    """Return the tenant's traces."""
    items = [
        NewTrace(trace_id="tr-1", status=TraceStatus.RUNNING, started_at=at(10, 6)),
        NewTrace(
            trace_id="tr-2",
            run_id="run-1",
            status=TraceStatus.COMPLETED,
            started_at=at(10, 6),
            completed_at=at(10, 6, 2),
        ),
    ]
    if extra:
        items.append(NewTrace(trace_id="tr-9", status=TraceStatus.RUNNING, started_at=at(10, 8)))
    return items


def worker_runs(scale: int, extra: bool) -> list[NewWorkerRun]:
    """Return the tenant's worker runs."""
    items = [
        NewWorkerRun(
            id="w1",
            worker_id="wk-a",
            task="summarise",
            status=RunStatus.FAILED,
            created_at=at(10, 10),
            completed_at=at(10, 10, 1),
            error="Timeout after 30s",
        ),
        NewWorkerRun(
            id="w2",
            worker_id="wk-a",
            task="summarise",
            status=RunStatus.CRASHED,
            created_at=at(10, 11),
            completed_at=at(10, 11, 1),
        ),
        NewWorkerRun(
            id="w3",
            worker_id="wk-b",
            task="rank",
            status=RunStatus.COMPLETED,
            created_at=at(10, 12),
            completed_at=at(10, 12, 1),
            cost_usd=Decimal("0.40") * scale,
            total_tokens=100 * scale,
        ),
        NewWorkerRun(
            id="w4", worker_id="wk-b", task="rank", status=RunStatus.RUNNING, created_at=at(10, 13)
        ),
    ]
    if extra:
        items.append(
            NewWorkerRun(
                id="w9",
                worker_id="wk-a",
                task="summarise",
                status=RunStatus.FAILED,
                created_at=at(10, 10, 30),
                completed_at=at(10, 10, 31),
                error="Timeout after 30s",
            )
        )
    return items


def breach(entity_id: str | None, day: date, scale: int) -> NewBreach:
    """Return an absolute-spike breach of a user (or of the tenant when ``entity_id`` is None)."""
    return NewBreach(
        entity_type=EntityType.TENANT if entity_id is None else EntityType.USER,
        entity_id=entity_id,
        breach_type=BreachType.ABSOLUTE_SPIKE,
        breach_date=day,
        deviation_pct=Decimal(50 * scale),
        current_value_usd=Decimal("0.45") * scale,
        baseline_value_usd=Decimal("0.30") * scale,
    )


def anomaly(scale: int, detected_at: datetime) -> NewAnomaly:
    """Return a tenant-level absolute-spike anomaly of DAY."""
    return NewAnomaly(
        anomaly_type=AnomalyType.ABSOLUTE_SPIKE,
        severity=AnomalySeverity.HIGH,
        entity_type=EntityType.TENANT,
        entity_id=None,
        budget_period=None,
        period_start=DAY,
        detected_at=detected_at,
        current_value_usd=Decimal(1 * scale),
        expected_value_usd=Decimal("0.5"),
        deviation_pct=Decimal(100 * scale),
        threshold_pct=Decimal("50"),
        message=f"spend rose {scale}x",
    )


def feedback(count: int, detected_at: datetime) -> NewPatternFeedback:
    """Return failure-pattern feedback with the shared signature."""
    return NewPatternFeedback(
        pattern_type=PatternType.FAILURE_PATTERN,
        severity=FeedbackSeverity.WARNING,
        description="timeouts",
        signature="sig-1",
        provenance=["w1"],
        occurrence_count=count,
        detected_at=detected_at,
    )


def prediction(scale: int) -> NewPrediction:
    """Return a failure prediction of worker wk-a."""
    return NewPrediction(
        prediction_type=PredictionType.FAILURE_LIKELIHOOD,
        subject_type=SubjectType.WORKER,
        subject_id="wk-a",
        confidence=Decimal("0.05") * scale,
        prediction_value={"failure_rate": f"{scale}"},
        contributing_factors=[],
        created_at=at(10, 12),
        expires_at=at(11, 12),
    )


def observation(scale: int) -> DriftObservation:
    """Return a drift observation."""
    return DriftObservation(
        rolling_avg_usd=Decimal("12.5") * scale,
        baseline_avg_usd=Decimal("10"),
        drift_pct=Decimal(25 * scale),
    )


async def load_tenant(uow: UnitOfWork, tenant_id: str, scale: int, extra: bool) -> LoadedIds:
    """Write one tenant's rows into every table and return the generated ids."""
    ids = LoadedIds()
    await uow.cost_writes.create_cost_records(tenant_id, records=cost_rows(scale, extra))
    for tag in ("chat.reply", "search.rank", *(("new.tag",) if extra else ())):
        await uow.cost_writes.create_feature_tag(
            tenant_id, tag=tag, display_name=tag.upper(), budget_usd=Decimal(5 * scale)
        )
    await uow.cost_writes.create_or_update_budget(
        tenant_id, budget_type=EntityType.TENANT, daily_limit_usd=Decimal(100 * scale)
    )
    await uow.cost_writes.create_or_update_budget(
        tenant_id, budget_type=EntityType.USER, entity_id="u1", monthly_limit_usd=Decimal(scale)
    )
    if extra:
        await uow.cost_writes.create_or_update_budget(
            tenant_id, budget_type=EntityType.USER, entity_id="u2", daily_limit_usd=Decimal(7)
        )

    await uow.run_writes.record_runs(tenant_id, runs=runs(scale, extra))
    for trace in traces(extra):
        await uow.run_writes.record_trace(tenant_id, trace=trace)
    await uow.run_writes.record_worker_runs(tenant_id, runs=worker_runs(scale, extra))

    breach_days = [DAY - timedelta(days=n) for n in range(4 if extra else 2)]
    for day in breach_days:
        await uow.cost_anomalies.insert_breach_history(tenant_id, breach=breach("u1", day, scale))
    tracker = await uow.cost_anomalies.insert_drift_tracking(
        tenant_id,
        entity_type=EntityType.TENANT,
        entity_id=None,
        observation=observation(scale),
        day=date(2024, 3, 9),
    )
    ids.tracker = tracker.record.id
    if extra:
        user_tracker = await uow.cost_anomalies.insert_drift_tracking(
            tenant_id,
            entity_type=EntityType.USER,
            entity_id="u1",
            observation=observation(scale),
            day=date(2024, 3, 11),
        )
        ids.extra["user_tracker"] = user_tracker.record.id

    detected_at = at(10, 18) if extra else at(10, 17)
    stored = await uow.cost_anomalies.upsert_anomaly(tenant_id, anomaly=anomaly(scale, detected_at))
    ids.anomaly = stored.record.id
    stored_feedback = await uow.pattern_detection.insert_feedback(
        tenant_id, feedback=feedback(3 * scale, detected_at)
    )
    ids.feedback = stored_feedback.record.id
    event = await uow.predictions.insert_prediction(tenant_id, prediction=prediction(scale))
    ids.prediction = event.id
    if extra:
        await uow.predictions.insert_prediction(tenant_id, prediction=prediction(scale + 1))
    return ids
