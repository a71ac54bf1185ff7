import copy
import pickle
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from analytics.domain import (
    FAILURE_RUN_STATUSES,
    TERMINAL_RUN_STATUSES,
    TERMINAL_TRACE_STATUSES,
    UNSET,
    CostRecord,
    CostSource,
    EntityDimension,
    EntitySpend,
    EntityType,
    FeedbackSeverity,
    NewAnomaly,
    NewBreach,
    NewCostRecord,
    NewPatternFeedback,
    NewPrediction,
    NewRun,
    NewWorkerRun,
    PatternType,
    PredictionType,
    RunStatus,
    SpendPoint,
    SubjectType,
    TraceStatus,
    TraceStatusUpdate,
    Unset,
    WorkerRunTotals,
    WriteOutcome,
    WriteResult,
)

T0 = datetime(2024, 3, 10, 12, tzinfo=UTC)


def cost_record_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "occurred_at": T0,
        "model": "gpt-4o",
        "input_tokens": 100,
        "output_tokens": 10,
        "cost_usd": Decimal("0.25"),
    }
    fields.update(overrides)
    return fields


def stored_record(**overrides: Any) -> CostRecord:
    fields = cost_record_fields(id="cr_1", tenant_id="t1", recorded_at=T0)
    fields.update(overrides)
    return CostRecord(**fields)


def test_new_cost_record_defaults() -> None:
    record = NewCostRecord(**cost_record_fields())

    assert record.cost_source is CostSource.REPORTED
    assert record.price_ref is None
    assert record.is_retry is False
    assert record.is_synthetic is False


def test_new_cost_record_field_order() -> None:
    assert list(NewCostRecord.model_fields) == [
        "occurred_at",
        "model",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "cost_source",
        "price_ref",
        "user_id",
        "feature_tag",
        "request_id",
        "workflow_id",
        "skill_id",
        "is_retry",
        "is_synthetic",
    ]


def test_input_model_is_frozen() -> None:
    record = NewCostRecord(**cost_record_fields())

    with pytest.raises(ValidationError, match="frozen"):
        record.cost_usd = Decimal("1")  # type: ignore[misc]


def test_output_model_is_frozen() -> None:
    record = stored_record()

    with pytest.raises(ValidationError, match="frozen"):
        record.model = "other"  # type: ignore[misc]


@pytest.mark.parametrize("cost", [0.25, "0.25", True])
def test_cost_must_be_decimal_or_int(cost: object) -> None:
    with pytest.raises(ValidationError) as caught:
        NewCostRecord(**cost_record_fields(cost_usd=cost))

    assert caught.value.errors()[0]["loc"] == ("cost_usd",)


def test_int_cost_becomes_decimal() -> None:
    record = NewCostRecord(**cost_record_fields(cost_usd=3))

    assert isinstance(record.cost_usd, Decimal)
    assert record.cost_usd == Decimal(3)


def test_decimal_cost_kept_exactly() -> None:
    cost = Decimal("0.2500")

    record = NewCostRecord(**cost_record_fields(cost_usd=cost))

    assert record.cost_usd.as_tuple() == cost.as_tuple()


def test_non_finite_cost_left_to_port() -> None:
    # The port rejects NaN with an error naming the field, so construction allows it.
    record = NewCostRecord(**cost_record_fields(cost_usd=Decimal("NaN")))

    assert record.cost_usd.is_nan()


def test_enum_value_string_accepted() -> None:
    record = NewCostRecord(**cost_record_fields(cost_source="estimated", price_ref="prices:v1"))
    breach = NewBreach.model_validate(
        {
            "entity_type": "user",
            "entity_id": "u1",
            "breach_type": "absolute_spike",
            "breach_date": date(2024, 3, 10),
            "deviation_pct": Decimal("150.5"),
            "current_value_usd": 10,
            "baseline_value_usd": Decimal("4"),
        }
    )

    assert record.cost_source is CostSource.ESTIMATED
    assert breach.entity_type is EntityType.USER


@pytest.mark.parametrize("status", ["RUNNING", "done", 1])
def test_unknown_enum_value_rejected(status: object) -> None:
    with pytest.raises(ValidationError):
        NewRun.model_validate({"id": "r1", "status": status, "created_at": T0})


def test_optional_enum_accepts_value_or_none() -> None:
    fields: dict[str, Any] = {
        "anomaly_type": "budget_warning",
        "severity": "high",
        "entity_type": "tenant",
        "entity_id": None,
        "budget_period": "monthly",
        "period_start": date(2024, 3, 1),
        "detected_at": T0,
        "current_value_usd": Decimal("80"),
        "expected_value_usd": 100,
        "deviation_pct": Decimal("-20"),
        "threshold_pct": 80,
        "message": "80% of the monthly budget used",
    }

    budget = NewAnomaly(**fields)
    spike = NewAnomaly(**{**fields, "budget_period": None, "derived_cause": "retry_loop"})

    assert budget.budget_period == "monthly"
    assert budget.breach_count == 1
    assert spike.budget_period is None
    assert spike.derived_cause == "retry_loop"


def test_extra_field_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        NewCostRecord(**cost_record_fields(tenant_id="t1"))
    with pytest.raises(ValidationError, match="extra"):
        stored_record(unknown=1)


def test_input_types_are_strict() -> None:
    with pytest.raises(ValidationError):
        NewCostRecord(**cost_record_fields(input_tokens=True))
    with pytest.raises(ValidationError):
        NewCostRecord(**cost_record_fields(input_tokens="100"))
    with pytest.raises(ValidationError):
        NewCostRecord(**cost_record_fields(is_retry=1))
    with pytest.raises(ValidationError):
        NewCostRecord(**cost_record_fields(occurred_at="2024-03-10T12:00:00Z"))


def test_input_accepts_naive_datetime() -> None:
    # The port rejects a naive datetime with an error naming the field.
    record = NewCostRecord(**cost_record_fields(occurred_at=datetime(2024, 3, 10, 12)))

    assert record.occurred_at.tzinfo is None


def test_json_fields_stay_loose() -> None:
    feedback = NewPatternFeedback(
        pattern_type=PatternType.FAILURE_PATTERN,
        severity=FeedbackSeverity.WARNING,
        description="timeouts",
        signature="sig",
        provenance=["r1", "r2"],
        occurrence_count=2,
        detected_at=T0,
        metadata={"ratio": 0.5, "nested": {"values": [1.5]}},
    )
    prediction = NewPrediction(
        prediction_type=PredictionType.COST_OVERRUN,
        subject_type=SubjectType.WORKER,
        subject_id="w1",
        confidence=Decimal("0.75"),
        prediction_value={"expected_usd": "12.500000000"},
        contributing_factors=[{"factor": "retries", "weight": 0.3}],
        created_at=T0,
        expires_at=T0 + timedelta(days=1),
    )

    assert feedback.metadata == {"ratio": 0.5, "nested": {"values": [1.5]}}
    assert prediction.contributing_factors[0]["weight"] == 0.3


def test_output_datetime_converted_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))

    record = stored_record(recorded_at=datetime(2024, 3, 10, 14, tzinfo=plus_two))

    assert record.recorded_at == T0
    assert record.recorded_at.tzinfo is UTC


def test_output_rejects_naive_datetime() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        stored_record(recorded_at=datetime(2024, 3, 10, 12))


def test_output_money_rejects_float() -> None:
    with pytest.raises(ValidationError):
        EntitySpend.model_validate(
            {"dimension": "user", "entity_id": "u1", "spend_usd": 0.1, "requests": 1}
        )


def test_output_money_accepts_decimal_and_int() -> None:
    point = SpendPoint.model_validate(
        {
            "bucket_start": T0,
            "bucket_end": T0 + timedelta(hours=1),
            "requests": 0,
            "spend_usd": 0,
            "input_tokens": 0,
            "output_tokens": 0,
        }
    )
    spend = EntitySpend(
        dimension=EntityDimension.FEATURE,
        entity_id="chat",
        spend_usd=Decimal("0.200000000"),
        requests=2,
    )

    assert point.spend_usd == Decimal(0)
    assert str(spend.spend_usd) == "0.200000000"


def test_write_result_carries_record() -> None:
    record = stored_record()

    result = WriteResult[CostRecord](record=record, outcome=WriteOutcome.CREATED)

    assert result.record is record
    assert result.outcome is WriteOutcome.CREATED


def test_worker_run_totals_failures() -> None:
    totals = WorkerRunTotals(worker_id="w1", terminal=10, completed=6, failed=3, crashed=1)

    assert totals.failures == 4


def test_worker_run_defaults() -> None:
    run = NewWorkerRun.model_validate(
        {"id": "wr1", "worker_id": "w1", "task": "summarise", "status": "queued", "created_at": T0}
    )

    assert run.status is RunStatus.QUEUED
    assert run.attempt == 1
    assert run.cost_usd is None


def test_trace_update_needs_completed_at() -> None:
    with pytest.raises(ValidationError, match="completed_at"):
        TraceStatusUpdate.model_validate({"status": TraceStatus.COMPLETED})


def test_status_sets() -> None:
    terminal = {RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CRASHED}

    assert frozenset(terminal) == TERMINAL_RUN_STATUSES
    assert frozenset({RunStatus.FAILED, RunStatus.CRASHED}) == FAILURE_RUN_STATUSES
    assert frozenset({TraceStatus.COMPLETED, TraceStatus.FAILED}) == TERMINAL_TRACE_STATUSES
    assert RunStatus.QUEUED.value == "queued"


def test_unset_sentinel() -> None:
    value: str | Unset = UNSET

    assert repr(UNSET) == "UNSET"
    assert not UNSET
    assert isinstance(value, Unset)
    assert copy.deepcopy(UNSET) is UNSET
    assert pickle.loads(pickle.dumps(UNSET)) is UNSET
