"""Storing predictions, and the input rules of predictions and their outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from analytics.domain import (
    PredictionEvent,
    PredictionOutcome,
    PredictionType,
    SubjectType,
    WriteOutcome,
)
from analytics.ports import InvalidInput
from tests.contract.example_data import utc
from tests.contract.harness import Harness
from tests.contract.patterns_data import (
    INVALID_TENANT_IDS,
    P1,
    P1_OUTCOME_VALUE,
    load_example_predictions,
    raw_prediction,
    store_predictions,
)

KOLKATA_OFFSET = timezone(timedelta(hours=5, minutes=30))


async def _insert(backend: Harness, tenant_id: str = "t1", **changes: Any) -> PredictionEvent:
    async with backend.uow() as uow:
        return await uow.predictions.insert_prediction(
            tenant_id, prediction=P1.model_copy(update=changes)
        )


async def _stored(backend: Harness, tenant_id: str = "t1") -> list[PredictionEvent]:
    async with backend.uow() as uow:
        return await uow.predictions.fetch_predictions(tenant_id, limit=1000)


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


# insert_prediction


async def test_insert_prediction_example(backend: Harness) -> None:
    stored = await _insert(backend)

    assert stored.id.startswith("pe_")
    assert len(stored.id) == 35
    assert stored.tenant_id == "t1"
    assert stored.prediction_type is PredictionType.FAILURE_LIKELIHOOD
    assert stored.subject_type is SubjectType.WORKER
    assert stored.subject_id == "wk-a"
    assert stored.confidence == Decimal("0.500000")
    assert stored.prediction_value == {"failure_rate": "0.500000"}
    assert stored.contributing_factors == [{"factor": "recent_failures", "count": 2}]
    assert stored.created_at == utc(2024, 3, 10, 12)
    assert stored.expires_at == utc(2024, 3, 11, 12)
    assert stored.notes is None
    assert await _stored(backend) == [stored]


async def test_insert_prediction_is_advisory(backend: Harness) -> None:
    stored = await _insert(backend)

    assert stored.is_advisory is True
    assert [row.is_advisory for row in await _stored(backend)] == [True]


async def test_insert_prediction_is_pending(backend: Harness) -> None:
    stored = await _insert(backend)

    assert stored.outcome is None
    assert stored.outcome_value is None
    assert stored.outcome_checked_at is None


async def test_insert_prediction_one_row_per_call(backend: Harness) -> None:
    first = await _insert(backend)
    second = await _insert(backend)

    assert first.id != second.id
    assert len(await _stored(backend)) == 2


@pytest.mark.parametrize(
    ("confidence", "expected"),
    [
        (Decimal("0.6666666"), Decimal("0.666667")),
        (Decimal("0.0000005"), Decimal("0.000000")),
        (Decimal("0.0000015"), Decimal("0.000002")),
        (Decimal("0.9999995"), Decimal("1.000000")),
        (Decimal("0"), Decimal("0.000000")),
        (Decimal("1"), Decimal("1.000000")),
        (Decimal("1.000000"), Decimal("1.000000")),
        (0, Decimal("0.000000")),
        (1, Decimal("1.000000")),
    ],
)
async def test_insert_prediction_confidence(
    backend: Harness, confidence: Decimal | int, expected: Decimal
) -> None:
    stored = await _insert(backend, confidence=confidence)

    assert stored.confidence == expected
    assert stored.confidence.as_tuple().exponent == -6
    assert [row.confidence for row in await _stored(backend)] == [expected]


async def test_insert_prediction_aware_non_utc(backend: Harness) -> None:
    created = datetime(2024, 3, 10, 17, 30, 0, 123456, tzinfo=KOLKATA_OFFSET)

    stored = await _insert(backend, created_at=created, expires_at=created + timedelta(hours=1))

    assert stored.created_at == datetime(2024, 3, 10, 12, 0, 0, 123456, tzinfo=UTC)
    assert stored.created_at.tzinfo is UTC
    assert stored.expires_at == datetime(2024, 3, 10, 13, 0, 0, 123456, tzinfo=UTC)
    assert stored.expires_at.tzinfo is UTC


async def test_insert_prediction_json_round_trip(backend: Harness) -> None:
    value = {
        "projected_usd": "12.500000000",
        "text": 'naïve 日本 \t\n "quoted"',
        "max": 2**53 - 1,
        "flags": [True, False, None],
        "nested": _nested(6),
    }
    factors = [{"b": 1, "a": {"y": [], "x": {}}}] * 50

    stored = await _insert(backend, prediction_value=value, contributing_factors=factors)

    assert stored.prediction_value == value
    assert stored.contributing_factors == factors
    assert await _stored(backend) == [stored]


async def test_insert_prediction_accepts_bounds(backend: Harness) -> None:
    stored = await _insert(
        backend,
        subject_id="s" * 255,
        notes="n" * 2048,
        contributing_factors=[],
        prediction_value={},
        expires_at=P1.created_at + timedelta(microseconds=1),
    )

    assert stored.subject_id == "s" * 255
    assert stored.notes == "n" * 2048
    assert stored.contributing_factors == []
    assert stored.prediction_value == {}


async def test_insert_prediction_string_enums(backend: Harness) -> None:
    stored = await _insert(backend, prediction_type="cost_overrun", subject_type="feature")

    assert stored.prediction_type is PredictionType.COST_OVERRUN
    assert stored.subject_type is SubjectType.FEATURE


async def test_insert_prediction_is_frozen(backend: Harness) -> None:
    stored = await _insert(backend)

    with pytest.raises(ValidationError):
        stored.is_advisory = False  # type: ignore[misc]


INVALID_PREDICTIONS: list[tuple[dict[str, Any], str]] = [
    ({"prediction_type": "weather"}, "prediction.prediction_type"),
    ({"prediction_type": None}, "prediction.prediction_type"),
    ({"subject_type": "team"}, "prediction.subject_type"),
    ({"subject_id": ""}, "prediction.subject_id"),
    ({"subject_id": " wk-a"}, "prediction.subject_id"),
    ({"subject_id": "s" * 256}, "prediction.subject_id"),
    ({"subject_id": "wk\x00a"}, "prediction.subject_id"),
    ({"confidence": Decimal("1.2")}, "prediction.confidence"),
    ({"confidence": Decimal("-0.1")}, "prediction.confidence"),
    ({"confidence": Decimal("1.0000001")}, "prediction.confidence"),
    ({"confidence": Decimal("-0.0000001")}, "prediction.confidence"),
    ({"confidence": Decimal("NaN")}, "prediction.confidence"),
    ({"confidence": Decimal("sNaN")}, "prediction.confidence"),
    ({"confidence": Decimal("Infinity")}, "prediction.confidence"),
    ({"confidence": 0.5}, "prediction.confidence"),
    ({"confidence": "0.5"}, "prediction.confidence"),
    ({"confidence": True}, "prediction.confidence"),
    ({"confidence": 2}, "prediction.confidence"),
    ({"prediction_value": ["not", "an", "object"]}, "prediction.prediction_value"),
    ({"prediction_value": None}, "prediction.prediction_value"),
    ({"prediction_value": {"rate": 0.5}}, "prediction.prediction_value.rate"),
    ({"prediction_value": {"rate": Decimal("0.5")}}, "prediction.prediction_value.rate"),
    ({"prediction_value": {"big": "x" * 17_000}}, "prediction.prediction_value"),
    ({"prediction_value": _nested(8)}, "prediction.prediction_value.k.k.k.k.k.k.k.k"),
    ({"prediction_value": {"": 1}}, "prediction.prediction_value"),
    ({"prediction_value": {"n": -(2**53)}}, "prediction.prediction_value.n"),
    ({"contributing_factors": [{"n": 1}] * 51}, "prediction.contributing_factors"),
    ({"contributing_factors": [{"n": 1}, "text"]}, "prediction.contributing_factors[1]"),
    ({"contributing_factors": [[1]]}, "prediction.contributing_factors[0]"),
    ({"contributing_factors": {"n": 1}}, "prediction.contributing_factors"),
    ({"contributing_factors": [{"w": 1.5}]}, "prediction.contributing_factors[0].w"),
    ({"contributing_factors": [{"t": "x" * 9000}] * 2}, "prediction.contributing_factors"),
    ({"contributing_factors": [_nested(8)]}, "prediction.contributing_factors[0].k.k.k.k.k.k.k"),
    ({"created_at": datetime(2024, 3, 10, 12)}, "prediction.created_at"),
    ({"created_at": utc(1969, 12, 31)}, "prediction.created_at"),
    ({"expires_at": datetime(2024, 3, 11, 12)}, "prediction.expires_at"),
    ({"expires_at": utc(2200, 1, 1)}, "prediction.expires_at"),
    ({"expires_at": utc(2024, 3, 10, 12)}, "prediction.expires_at"),
    ({"expires_at": utc(2024, 3, 10, 11)}, "prediction.expires_at"),
    ({"notes": "n" * 2049}, "prediction.notes"),
    ({"notes": "a\x00b"}, "prediction.notes"),
    ({"subject_id": "", "confidence": Decimal("2")}, "prediction.subject_id"),
]


@pytest.mark.parametrize(("changes", "field"), INVALID_PREDICTIONS)
async def test_insert_prediction_invalid_value(
    backend: Harness, changes: dict[str, Any], field: str
) -> None:
    before = await backend.row_counts()

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.predictions.insert_prediction("t1", prediction=raw_prediction(**changes))

    assert raised.value.field == field
    assert await backend.row_counts() == before


async def test_insert_prediction_confidence_example(backend: Harness) -> None:
    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as too_high:
            await uow.predictions.insert_prediction(
                "t1", prediction=P1.model_copy(update={"confidence": Decimal("1.2")})
            )
        with pytest.raises(InvalidInput) as empty_validity:
            await uow.predictions.insert_prediction(
                "t1", prediction=P1.model_copy(update={"expires_at": P1.created_at})
            )

    assert too_high.value.field == "prediction.confidence"
    assert empty_validity.value.field == "prediction.expires_at"


async def test_insert_prediction_not_a_model(backend: Harness) -> None:
    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.predictions.insert_prediction(
                "t1",
                prediction=dict(P1),  # type: ignore[arg-type]
            )

    assert raised.value.field == "prediction"


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_insert_prediction_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    before = await backend.row_counts()

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.predictions.insert_prediction(tenant_id, prediction=P1)

    assert raised.value.field == "tenant_id"
    assert await backend.row_counts() == before


async def test_insert_prediction_error_keeps_unit_of_work(backend: Harness) -> None:
    async with backend.uow() as uow:
        with pytest.raises(InvalidInput):
            await uow.predictions.insert_prediction(
                "t1", prediction=raw_prediction(confidence=Decimal("NaN"))
            )
        stored = await uow.predictions.insert_prediction("t1", prediction=P1)

    assert await _stored(backend) == [stored]


async def test_insert_prediction_rolled_back_with_unit_of_work(backend: Harness) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with backend.uow() as uow:
            await uow.predictions.insert_prediction("t1", prediction=P1)
            raise Abort

    assert await _stored(backend) == []


async def test_insert_prediction_tenants_apart(backend: Harness) -> None:
    [t2_row] = await store_predictions(backend, "t2", [P1])

    await _insert(backend, "t1", confidence=Decimal("0.9"))

    assert await _stored(backend, "t2") == [t2_row]
    assert [row.confidence for row in await _stored(backend, "t1")] == [Decimal("0.900000")]


# record_prediction_outcome


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"tenant_id": ""}, "tenant_id"),
        ({"tenant_id": " t1"}, "tenant_id"),
        ({"tenant_id": "t" * 65}, "tenant_id"),
        ({"tenant_id": "t\x001"}, "tenant_id"),
        ({"prediction_id": ""}, "prediction_id"),
        ({"prediction_id": "p" * 65}, "prediction_id"),
        ({"prediction_id": " pe_1"}, "prediction_id"),
        ({"prediction_id": None}, "prediction_id"),
        ({"outcome": None}, "outcome"),
        ({"outcome": "pending"}, "outcome"),
        ({"outcome": "CONFIRMED"}, "outcome"),
        ({"outcome": "unknown"}, "outcome"),
        ({"outcome": 1}, "outcome"),
        ({"outcome_value": [1]}, "outcome_value"),
        ({"outcome_value": "0.5"}, "outcome_value"),
        ({"outcome_value": {"rate": 0.5}}, "outcome_value.rate"),
        ({"outcome_value": {"rates": [Decimal("0.5")]}}, "outcome_value.rates[0]"),
        ({"outcome_value": {"big": "x" * 17_000}}, "outcome_value"),
        ({"outcome_value": _nested(9)}, "outcome_value.k.k.k.k.k.k.k.k"),
        ({"prediction_id": "", "outcome": None}, "prediction_id"),
        ({"outcome": "pending", "outcome_value": [1]}, "outcome"),
    ],
)
async def test_outcome_invalid_argument(
    backend: Harness, arguments: dict[str, Any], field: str
) -> None:
    p1 = (await load_example_predictions(backend))["p1"]
    before = await _stored(backend)
    call: dict[str, Any] = {
        "tenant_id": "t1",
        "prediction_id": p1.id,
        "outcome": PredictionOutcome.UNDETERMINED,
        "outcome_value": P1_OUTCOME_VALUE,
        **arguments,
    }

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.predictions.record_prediction_outcome(call.pop("tenant_id"), **call)

    assert raised.value.field == field
    assert await _stored(backend) == before


@pytest.mark.parametrize("outcome", ["confirmed", "refuted", "undetermined"])
async def test_outcome_string_value(backend: Harness, outcome: str) -> None:
    p1 = (await load_example_predictions(backend))["p1"]

    async with backend.uow() as uow:
        result = await uow.predictions.record_prediction_outcome(
            "t1",
            prediction_id=p1.id,
            outcome=outcome,  # type: ignore[arg-type]
            outcome_value={"checked": True},
        )

    assert result.outcome is WriteOutcome.UPDATED
    assert result.record.outcome is PredictionOutcome(outcome)
    assert result.record.outcome_value == {"checked": True}


async def test_outcome_json_round_trip(backend: Harness) -> None:
    p1 = (await load_example_predictions(backend))["p1"]
    value = {
        "text": "naïve 日本",
        "max": 2**53 - 1,
        "items": [None, True, {"a": []}],
        "n": _nested(6),
    }

    async with backend.uow() as uow:
        await uow.predictions.record_prediction_outcome(
            "t1", prediction_id=p1.id, outcome=PredictionOutcome.CONFIRMED, outcome_value=value
        )

    [stored] = [row for row in await _stored(backend) if row.id == p1.id]
    assert stored.outcome_value == value
