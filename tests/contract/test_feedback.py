"""Pattern feedback: the de-duplicating insert, the list, acknowledgement and failure patterns."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from analytics.domain import (
    FeedbackSeverity,
    PatternFeedback,
    PatternType,
    WriteOutcome,
    WriteResult,
)
from analytics.ports import InvalidInput, NotFound
from tests.contract.example_data import utc
from tests.contract.harness import Harness
from tests.contract.patterns_data import (
    INVALID_TENANT_IDS,
    STEP_1,
    STEP_3,
    STEP_5,
    TWO_DAYS_END,
    W_END,
    W_START,
    feedback,
    ids,
    invalid_limits,
    load_feedback_steps,
    raw_feedback,
)

CREATED = WriteOutcome.CREATED
UPDATED = WriteOutcome.UPDATED
UNCHANGED = WriteOutcome.UNCHANGED
KOLKATA_OFFSET = timezone(timedelta(hours=5, minutes=30))


async def _insert(
    backend: Harness, tenant_id: str = "t1", **changes: Any
) -> WriteResult[PatternFeedback]:
    async with backend.uow() as uow:
        return await uow.pattern_detection.insert_feedback(tenant_id, feedback=feedback(**changes))


async def _records(
    backend: Harness, tenant_id: str = "t1", **arguments: Any
) -> list[PatternFeedback]:
    async with backend.uow() as uow:
        return await uow.pattern_detection.fetch_feedback_records(tenant_id, **arguments)


async def _patterns(
    backend: Harness, tenant_id: str = "t1", **arguments: Any
) -> list[PatternFeedback]:
    arguments.setdefault("start", W_START)
    arguments.setdefault("end", W_END)
    async with backend.uow() as uow:
        return await uow.predictions.fetch_failure_patterns(tenant_id, **arguments)


# insert_feedback


async def test_feedback_example_steps(backend: Harness) -> None:
    async with backend.uow() as uow:
        port = uow.pattern_detection

        step_1 = await port.insert_feedback("t1", feedback=STEP_1)
        assert step_1.outcome is CREATED
        pf_1 = step_1.record
        assert pf_1.id.startswith("pf_")
        assert len(pf_1.id) == 35
        assert pf_1.first_detected_at == utc(2024, 3, 10, 12)
        assert pf_1.detected_at == utc(2024, 3, 10, 12)
        assert pf_1.acknowledged is False
        assert pf_1.acknowledged_at is None
        assert pf_1.acknowledged_by is None

        step_2 = await port.insert_feedback("t1", feedback=STEP_1)
        assert step_2.outcome is UNCHANGED
        assert step_2.record == pf_1

        backend.clock.now = utc(2024, 3, 10, 13, 5)
        step_3 = await port.insert_feedback("t1", feedback=STEP_3)
        assert step_3.outcome is UPDATED
        assert step_3.record.id == pf_1.id
        assert step_3.record.occurrence_count == 4
        assert step_3.record.provenance == ["w2", "w9", "w10", "w11"]
        assert step_3.record.detected_at == utc(2024, 3, 10, 13)
        assert step_3.record.first_detected_at == utc(2024, 3, 10, 12)
        assert step_3.record.created_at == utc(2024, 3, 10, 12)
        assert step_3.record.updated_at == utc(2024, 3, 10, 13, 5)

        backend.clock.now = utc(2024, 3, 10, 13, 30)
        step_4 = await port.insert_feedback("t1", feedback=STEP_1)
        assert step_4.outcome is UNCHANGED
        assert step_4.record == step_3.record

        await port.acknowledge_feedback("t1", feedback_id=pf_1.id, acknowledged_by="alice")
        step_5 = await port.insert_feedback("t1", feedback=STEP_5)
        assert step_5.outcome is CREATED
        assert step_5.record.id != pf_1.id
        assert step_5.record.first_detected_at == utc(2024, 3, 11, 12)

        step_6 = await port.insert_feedback("t2", feedback=STEP_1)
        assert step_6.outcome is CREATED
        assert step_6.record.tenant_id == "t2"
        assert step_6.record.id not in (pf_1.id, step_5.record.id)

    assert ids(await _records(backend)) == [step_5.record.id, pf_1.id]
    assert ids(await _records(backend, "t2")) == [step_6.record.id]


async def test_feedback_replay_is_unchanged(backend: Harness) -> None:
    first = await _insert(backend)
    backend.clock.now = utc(2024, 3, 10, 15)

    replay = await _insert(backend)

    assert replay.outcome is UNCHANGED
    assert replay.record == first.record
    assert replay.record.updated_at == utc(2024, 3, 10, 12)
    assert len(await _records(backend)) == 1


async def test_feedback_older_detection_is_unchanged(backend: Harness) -> None:
    await _insert(backend, detected_at=utc(2024, 3, 10, 13))

    older = await _insert(backend, occurrence_count=9, detected_at=utc(2024, 3, 10, 12))

    assert older.outcome is UNCHANGED
    assert older.record.occurrence_count == 3
    assert older.record.detected_at == utc(2024, 3, 10, 13)


async def test_feedback_same_values_later_is_unchanged(backend: Harness) -> None:
    await _insert(backend)

    later = await _insert(backend, detected_at=utc(2024, 3, 10, 18))

    assert later.outcome is UNCHANGED
    assert later.record.detected_at == utc(2024, 3, 10, 12)


async def test_feedback_same_instant_new_values_updates(backend: Harness) -> None:
    await _insert(backend)

    result = await _insert(backend, occurrence_count=5)

    assert result.outcome is UPDATED
    assert result.record.occurrence_count == 5


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"severity": FeedbackSeverity.CRITICAL}, "severity"),
        ({"description": "Timeout after 60s"}, "description"),
        ({"provenance": ["w1", "w2"]}, "provenance"),
        ({"provenance": ["w2", "w1", "w9"]}, "provenance"),
        ({"occurrence_count": 4}, "occurrence_count"),
        ({"time_window_minutes": 60}, "time_window_minutes"),
        ({"threshold_used": ">= 3 in 60 min"}, "threshold_used"),
        ({"metadata": {"error_class": "timeout"}}, "metadata"),
    ],
)
async def test_feedback_changed_value_updates(
    backend: Harness, changes: dict[str, Any], field: str
) -> None:
    first = await _insert(backend)
    backend.clock.now = utc(2024, 3, 10, 13, 5)

    result = await _insert(backend, detected_at=utc(2024, 3, 10, 13), **changes)

    assert result.outcome is UPDATED
    assert getattr(result.record, field) == changes[field]
    assert result.record.detected_at == utc(2024, 3, 10, 13)
    assert result.record.first_detected_at == first.record.first_detected_at
    assert result.record.created_at == first.record.created_at
    assert result.record.updated_at == utc(2024, 3, 10, 13, 5)
    assert len(await _records(backend)) == 1


async def test_feedback_cleared_value_updates(backend: Harness) -> None:
    await _insert(backend, time_window_minutes=60, threshold_used="3", metadata={"a": 1})

    result = await _insert(backend, detected_at=utc(2024, 3, 10, 13))

    assert result.outcome is UPDATED
    assert result.record.time_window_minutes is None
    assert result.record.threshold_used is None
    assert result.record.metadata is None


async def test_feedback_metadata_key_order(backend: Harness) -> None:
    metadata = {"b": 1, "a": {"y": [1, {"q": True, "p": None}], "x": "é"}}
    reordered = {"a": {"x": "é", "y": [1, {"p": None, "q": True}]}, "b": 1}
    first = await _insert(backend, metadata=metadata)

    replay = await _insert(backend, metadata=reordered, detected_at=utc(2024, 3, 10, 13))

    assert replay.outcome is UNCHANGED
    assert replay.record.metadata == metadata
    assert first.record.metadata == metadata


async def test_feedback_json_round_trip(backend: Harness) -> None:
    metadata = {
        "text": 'naïve 日本 \t\n "quoted"',
        "max": 2**53 - 1,
        "min": -(2**53 - 1),
        "flags": [True, False, None],
        "nested": {"empty_list": [], "empty_object": {}},
    }
    await _insert(backend, metadata=metadata, provenance=[])

    [stored] = await _records(backend)

    assert stored.metadata == metadata
    assert stored.provenance == []


async def test_feedback_other_pattern_type(backend: Harness) -> None:
    failure = await _insert(backend)

    spike = await _insert(backend, pattern_type=PatternType.COST_SPIKE)

    assert spike.outcome is CREATED
    assert spike.record.id != failure.record.id
    assert len(await _records(backend)) == 2


async def test_feedback_acknowledged_row_never_updated(backend: Harness) -> None:
    first = await _insert(backend)
    async with backend.uow() as uow:
        acknowledged = await uow.pattern_detection.acknowledge_feedback(
            "t1", feedback_id=first.record.id, acknowledged_by="alice"
        )

    later = await _insert(backend, occurrence_count=7, detected_at=utc(2024, 3, 10, 14))
    replay = await _insert(backend, occurrence_count=7, detected_at=utc(2024, 3, 10, 14))

    assert later.outcome is CREATED
    assert replay.outcome is UNCHANGED
    assert replay.record.id == later.record.id
    assert await _records(backend, acknowledged=True) == [acknowledged]


async def test_feedback_tenants_are_separate(backend: Harness) -> None:
    t2_row = await _insert(backend, "t2", occurrence_count=30)
    t1_row = await _insert(backend, "t1")
    t1_update = await _insert(backend, "t1", occurrence_count=4, detected_at=utc(2024, 3, 10, 13))

    assert t1_row.outcome is CREATED
    assert t1_update.outcome is UPDATED
    assert await _records(backend, "t2") == [t2_row.record]


async def test_feedback_aware_non_utc_detection(backend: Harness) -> None:
    local = datetime(2024, 3, 10, 17, 30, tzinfo=KOLKATA_OFFSET)

    result = await _insert(backend, detected_at=local)

    assert result.record.detected_at == utc(2024, 3, 10, 12)
    assert result.record.detected_at.tzinfo is UTC
    assert result.record.first_detected_at.tzinfo is UTC
    assert result.record.created_at.tzinfo is UTC
    assert (await _insert(backend)).outcome is UNCHANGED


async def test_feedback_concurrent_inserts(backend: Harness) -> None:
    async def insert(count: int) -> WriteOutcome:
        async with backend.uow() as uow:
            result = await uow.pattern_detection.insert_feedback(
                "t1", feedback=feedback(occurrence_count=count)
            )
        return result.outcome

    outcomes = await asyncio.gather(insert(3), insert(3))

    assert sorted(outcomes) == [CREATED, UNCHANGED]
    assert len(await _records(backend, acknowledged=False)) == 1


async def test_feedback_concurrent_different_inserts(backend: Harness) -> None:
    async def insert(count: int) -> WriteOutcome:
        async with backend.uow() as uow:
            result = await uow.pattern_detection.insert_feedback(
                "t1", feedback=feedback(occurrence_count=count)
            )
        return result.outcome

    outcomes = await asyncio.gather(insert(3), insert(4))

    assert sorted(outcomes) == [CREATED, UPDATED]
    [row] = await _records(backend, acknowledged=False)
    assert row.occurrence_count in (3, 4)


async def test_feedback_rolled_back_with_unit_of_work(backend: Harness) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with backend.uow() as uow:
            await uow.pattern_detection.insert_feedback("t1", feedback=STEP_1)
            assert len(await uow.pattern_detection.fetch_feedback_records("t1")) == 1
            raise Abort

    assert await _records(backend) == []


async def test_feedback_error_keeps_unit_of_work(backend: Harness) -> None:
    async with backend.uow() as uow:
        with pytest.raises(InvalidInput):
            await uow.pattern_detection.insert_feedback("t1", feedback=feedback(occurrence_count=0))
        with pytest.raises(NotFound):
            await uow.pattern_detection.acknowledge_feedback(
                "t1", feedback_id="pf_missing", acknowledged_by="alice"
            )
        result = await uow.pattern_detection.insert_feedback("t1", feedback=STEP_1)

    assert result.outcome is CREATED
    assert await _records(backend) == [result.record]


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_feedback_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    before = await backend.row_counts()

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.pattern_detection.insert_feedback(tenant_id, feedback=STEP_1)

    assert raised.value.field == "tenant_id"
    assert await backend.row_counts() == before


def _run_ids(count: int) -> list[str]:
    return [f"run-{n}" for n in range(count)]


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


INVALID_FEEDBACK: list[tuple[dict[str, Any], str]] = [
    ({"pattern_type": "team"}, "feedback.pattern_type"),
    ({"pattern_type": None}, "feedback.pattern_type"),
    ({"severity": "fatal"}, "feedback.severity"),
    ({"description": "d" * 4097}, "feedback.description"),
    ({"description": "a\x00b"}, "feedback.description"),
    ({"description": "a\ud800b"}, "feedback.description"),
    ({"description": None}, "feedback.description"),
    ({"signature": ""}, "feedback.signature"),
    ({"signature": " sig"}, "feedback.signature"),
    ({"signature": "s" * 129}, "feedback.signature"),
    ({"signature": "sig\n1"}, "feedback.signature"),
    ({"provenance": "w1"}, "feedback.provenance"),
    ({"provenance": ["w1", "w2", "w1"]}, "feedback.provenance[2]"),
    ({"provenance": _run_ids(1001)}, "feedback.provenance"),
    ({"provenance": ["w1", ""]}, "feedback.provenance[1]"),
    ({"provenance": ["r" * 65]}, "feedback.provenance[0]"),
    ({"provenance": [1]}, "feedback.provenance[0]"),
    ({"occurrence_count": 0}, "feedback.occurrence_count"),
    ({"occurrence_count": 1_000_000_001}, "feedback.occurrence_count"),
    ({"occurrence_count": True}, "feedback.occurrence_count"),
    ({"detected_at": datetime(2024, 3, 10, 12)}, "feedback.detected_at"),
    ({"detected_at": utc(2200, 1, 1)}, "feedback.detected_at"),
    ({"time_window_minutes": 0}, "feedback.time_window_minutes"),
    ({"time_window_minutes": 527_041}, "feedback.time_window_minutes"),
    ({"threshold_used": ""}, "feedback.threshold_used"),
    ({"threshold_used": "t" * 101}, "feedback.threshold_used"),
    ({"metadata": {"ratio": 1.5}}, "feedback.metadata.ratio"),
    ({"metadata": {"items": [1, 2.0]}}, "feedback.metadata.items[1]"),
    ({"metadata": {"big": "x" * 17_000}}, "feedback.metadata"),
    ({"metadata": {"n": 2**53}}, "feedback.metadata.n"),
    ({"metadata": {"": 1}}, "feedback.metadata"),
    ({"metadata": _nested(8)}, "feedback.metadata.k.k.k.k.k.k.k.k"),
    ({"metadata": ["not", "an", "object"]}, "feedback.metadata"),
]


@pytest.mark.parametrize(("changes", "field"), INVALID_FEEDBACK)
async def test_feedback_invalid_value(
    backend: Harness, changes: dict[str, Any], field: str
) -> None:
    before = await backend.row_counts()

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.pattern_detection.insert_feedback("t1", feedback=raw_feedback(**changes))

    assert raised.value.field == field
    assert await backend.row_counts() == before


async def test_feedback_not_a_model(backend: Harness) -> None:
    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.pattern_detection.insert_feedback(
                "t1",
                feedback=dict(STEP_1),  # type: ignore[arg-type]
            )

    assert raised.value.field == "feedback"


async def test_feedback_accepts_bounds(backend: Harness) -> None:
    result = await _insert(
        backend,
        provenance=_run_ids(1000),
        occurrence_count=1_000_000_000,
        time_window_minutes=527_040,
        threshold_used="t" * 100,
        signature="s" * 128,
        description="d" * 4096,
        metadata=_nested(7),
    )

    assert result.outcome is CREATED
    assert len(result.record.provenance) == 1000
    assert result.record.provenance[-1] == "run-999"
    assert result.record.occurrence_count == 1_000_000_000
    assert result.record.metadata == _nested(7)


async def test_feedback_string_enums(backend: Harness) -> None:
    result = await _insert(backend, pattern_type="cost_spike", severity="info")

    assert result.record.pattern_type is PatternType.COST_SPIKE
    assert result.record.severity is FeedbackSeverity.INFO


async def test_feedback_record_is_frozen(backend: Harness) -> None:
    result = await _insert(backend)

    with pytest.raises(ValidationError):
        result.record.occurrence_count = 9  # type: ignore[misc]


# fetch_feedback_records


async def test_records_example(backend: Harness) -> None:
    pf_1, pf_2 = await load_feedback_steps(backend)

    assert ids(await _records(backend)) == [pf_2.id, pf_1.id]
    assert ids(await _records(backend, acknowledged=False)) == [pf_2.id]
    assert ids(await _records(backend, acknowledged=True)) == [pf_1.id]
    assert await _records(backend, acknowledged=True) == [pf_1]


async def test_records_order_and_ties(backend: Harness) -> None:
    at = utc(2024, 3, 10, 12)
    await _insert(backend, signature="b", detected_at=at)
    await _insert(backend, signature="a", detected_at=at)
    await _insert(backend, signature="B", detected_at=at)
    await _insert(backend, signature="z", pattern_type=PatternType.COST_SPIKE, detected_at=at)
    await _insert(backend, signature="newest", detected_at=at + timedelta(microseconds=1))
    # Two rows of one key, acknowledged in turn, tie on everything but the id.
    first = await _insert(backend, signature="same", detected_at=at)
    async with backend.uow() as uow:
        await uow.pattern_detection.acknowledge_feedback(
            "t1", feedback_id=first.record.id, acknowledged_by="alice"
        )
    second = await _insert(backend, signature="same", detected_at=at)

    rows = await _records(backend)

    assert [row.signature for row in rows] == ["newest", "z", "B", "a", "b", "same", "same"]
    assert ids(rows[-2:]) == sorted([first.record.id, second.record.id])


async def test_records_pattern_type_filter(backend: Harness) -> None:
    failure = await _insert(backend)
    spike = await _insert(backend, pattern_type=PatternType.COST_SPIKE)

    assert ids(await _records(backend, pattern_type=PatternType.COST_SPIKE)) == [spike.record.id]
    assert ids(await _records(backend, pattern_type="failure_pattern")) == [failure.record.id]
    assert await _records(backend, pattern_type="cost_spike", acknowledged=True) == []


async def test_records_other_tenant(backend: Harness) -> None:
    await _insert(backend, "t2")

    assert await _records(backend) == []
    assert len(await _records(backend, "t2")) == 1


async def test_records_empty(backend: Harness) -> None:
    assert await _records(backend) == []
    assert await _records(backend, acknowledged=False) == []


async def test_records_limit(backend: Harness) -> None:
    for hour in range(3):
        await _insert(backend, signature=f"sig-{hour}", detected_at=utc(2024, 3, 10, hour))

    assert [row.signature for row in await _records(backend, limit=1)] == ["sig-2"]
    assert len(await _records(backend, limit=1000)) == 3


async def test_records_default_limit(backend: Harness) -> None:
    async with backend.uow() as uow:
        for n in range(51):
            await uow.pattern_detection.insert_feedback(
                "t1", feedback=feedback(signature=f"sig-{n:02d}")
            )

    rows = await _records(backend)

    assert len(rows) == 50
    assert rows[-1].signature == "sig-49"


@pytest.mark.parametrize("limit", invalid_limits(1000))
async def test_records_invalid_limit(backend: Harness, limit: object) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _records(backend, limit=limit)

    assert raised.value.field == "limit"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"acknowledged": 1}, "acknowledged"),
        ({"acknowledged": "false"}, "acknowledged"),
        ({"pattern_type": "team"}, "pattern_type"),
        ({"pattern_type": "FAILURE_PATTERN"}, "pattern_type"),
        ({"acknowledged": 0, "pattern_type": "team", "limit": 0}, "acknowledged"),
    ],
)
async def test_records_invalid_argument(
    backend: Harness, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _records(backend, **arguments)

    assert raised.value.field == field


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_records_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _records(backend, tenant_id)

    assert raised.value.field == "tenant_id"


# acknowledge_feedback


async def test_acknowledge_example(backend: Harness) -> None:
    created = await _insert(backend)
    backend.clock.now = utc(2024, 3, 10, 14)

    async with backend.uow() as uow:
        first = await uow.pattern_detection.acknowledge_feedback(
            "t1", feedback_id=created.record.id, acknowledged_by="alice"
        )
    backend.clock.now = utc(2024, 3, 10, 15)
    async with backend.uow() as uow:
        again = await uow.pattern_detection.acknowledge_feedback(
            "t1", feedback_id=created.record.id, acknowledged_by="bob"
        )

    assert first.acknowledged is True
    assert first.acknowledged_at == utc(2024, 3, 10, 14)
    assert first.acknowledged_at is not None and first.acknowledged_at.tzinfo is UTC
    assert first.acknowledged_by == "alice"
    assert first.updated_at == utc(2024, 3, 10, 14)
    assert first.created_at == utc(2024, 3, 10, 12)
    assert first.occurrence_count == created.record.occurrence_count
    assert again == first


async def test_acknowledge_other_tenant(backend: Harness) -> None:
    created = await _insert(backend)
    before = await _records(backend)

    async with backend.uow() as uow:
        with pytest.raises(NotFound) as raised:
            await uow.pattern_detection.acknowledge_feedback(
                "t2", feedback_id=created.record.id, acknowledged_by="alice"
            )

    assert raised.value.key == created.record.id
    assert await _records(backend) == before


async def test_acknowledge_unknown_id(backend: Harness) -> None:
    async with backend.uow() as uow:
        with pytest.raises(NotFound):
            await uow.pattern_detection.acknowledge_feedback(
                "t1", feedback_id="pf_0123456789abcdef0123456789abcdef", acknowledged_by="alice"
            )


async def test_acknowledge_error_keeps_unit_of_work(backend: Harness) -> None:
    created = await _insert(backend)

    async with backend.uow() as uow:
        with pytest.raises(NotFound):
            await uow.pattern_detection.acknowledge_feedback(
                "t1", feedback_id="pf_missing", acknowledged_by="alice"
            )
        with pytest.raises(InvalidInput):
            await uow.pattern_detection.acknowledge_feedback(
                "t1", feedback_id=created.record.id, acknowledged_by=""
            )
        acknowledged = await uow.pattern_detection.acknowledge_feedback(
            "t1", feedback_id=created.record.id, acknowledged_by="alice"
        )

    assert await _records(backend, acknowledged=True) == [acknowledged]


async def test_acknowledge_then_new_row(backend: Harness) -> None:
    created = await _insert(backend)
    async with backend.uow() as uow:
        await uow.pattern_detection.acknowledge_feedback(
            "t1", feedback_id=created.record.id, acknowledged_by="alice"
        )

    # The same detection again creates a row, because the acknowledged row left the key.
    replay = await _insert(backend)

    assert replay.outcome is CREATED
    assert replay.record.id != created.record.id
    assert replay.record.acknowledged is False


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"tenant_id": ""}, "tenant_id"),
        ({"tenant_id": "t" * 65}, "tenant_id"),
        ({"feedback_id": ""}, "feedback_id"),
        ({"feedback_id": " pf_1"}, "feedback_id"),
        ({"feedback_id": "p" * 65}, "feedback_id"),
        ({"acknowledged_by": ""}, "acknowledged_by"),
        ({"acknowledged_by": "a" * 129}, "acknowledged_by"),
        ({"acknowledged_by": "al\x00ice"}, "acknowledged_by"),
        ({"acknowledged_by": None}, "acknowledged_by"),
        ({"feedback_id": "", "acknowledged_by": ""}, "feedback_id"),
    ],
)
async def test_acknowledge_invalid_argument(
    backend: Harness, arguments: dict[str, Any], field: str
) -> None:
    created = await _insert(backend)
    call = {"tenant_id": "t1", "feedback_id": created.record.id, "acknowledged_by": "alice"}
    call.update(arguments)

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.pattern_detection.acknowledge_feedback(call.pop("tenant_id"), **call)

    assert raised.value.field == field
    assert await _records(backend) == [created.record]


async def test_acknowledge_accepts_longest_name(backend: Harness) -> None:
    created = await _insert(backend)

    async with backend.uow() as uow:
        acknowledged = await uow.pattern_detection.acknowledge_feedback(
            "t1", feedback_id=created.record.id, acknowledged_by="a" * 128
        )

    assert acknowledged.acknowledged_by == "a" * 128


# fetch_failure_patterns


async def test_failure_patterns_example(backend: Harness) -> None:
    pf_1, pf_2 = await load_feedback_steps(backend)
    await _insert(backend, pattern_type=PatternType.COST_SPIKE, detected_at=utc(2024, 3, 10, 9))

    assert await _patterns(backend) == [pf_1]
    assert ids(await _patterns(backend, end=TWO_DAYS_END)) == [pf_2.id, pf_1.id]


async def test_failure_patterns_acknowledged_filter(backend: Harness) -> None:
    pf_1, pf_2 = await load_feedback_steps(backend)

    assert ids(await _patterns(backend, end=TWO_DAYS_END, acknowledged=False)) == [pf_2.id]
    assert ids(await _patterns(backend, end=TWO_DAYS_END, acknowledged=True)) == [pf_1.id]
    assert await _patterns(backend, acknowledged=False) == []


async def test_failure_patterns_latest_detection(backend: Harness) -> None:
    await load_feedback_steps(backend)

    # pf_1 was first detected at 12:00Z and last at 13:00Z: only the latest counts.
    assert await _patterns(backend, start=utc(2024, 3, 10, 12), end=utc(2024, 3, 10, 13)) == []
    assert len(await _patterns(backend, start=utc(2024, 3, 10, 13), end=utc(2024, 3, 10, 14))) == 1


async def test_failure_patterns_window_bounds(backend: Harness) -> None:
    await _insert(backend, signature="at-start", detected_at=W_START)
    await _insert(backend, signature="at-end", detected_at=W_END)
    await _insert(backend, signature="before-end", detected_at=W_END - timedelta(microseconds=1))

    rows = await _patterns(backend)

    assert [row.signature for row in rows] == ["before-end", "at-start"]


async def test_failure_patterns_order_and_ties(backend: Harness) -> None:
    at = utc(2024, 3, 10, 12)
    for signature in ("b", "a", "B"):
        await _insert(backend, signature=signature, detected_at=at)
    await _insert(backend, signature="A", pattern_type=PatternType.COST_SPIKE, detected_at=at)

    rows = await _patterns(backend)

    assert [row.signature for row in rows] == ["B", "a", "b"]


async def test_failure_patterns_other_tenant(backend: Harness) -> None:
    await _insert(backend, "t2")

    assert await _patterns(backend) == []
    assert len(await _patterns(backend, "t2")) == 1


async def test_failure_patterns_empty(backend: Harness) -> None:
    assert await _patterns(backend) == []


async def test_failure_patterns_limit(backend: Harness) -> None:
    for hour in range(3):
        await _insert(backend, signature=f"sig-{hour}", detected_at=utc(2024, 3, 10, hour))

    assert [row.signature for row in await _patterns(backend, limit=1)] == ["sig-2"]
    assert len(await _patterns(backend, limit=1000)) == 3


async def test_failure_patterns_default_limit(backend: Harness) -> None:
    async with backend.uow() as uow:
        for n in range(101):
            await uow.pattern_detection.insert_feedback(
                "t1", feedback=feedback(signature=f"sig-{n:03d}")
            )

    rows = await _patterns(backend)

    assert len(rows) == 100
    assert rows[-1].signature == "sig-099"


async def test_failure_patterns_types(backend: Harness) -> None:
    await _insert(backend, metadata={"a": [1]})

    [row] = await _patterns(backend)

    assert row.pattern_type is PatternType.FAILURE_PATTERN
    assert row.severity is FeedbackSeverity.WARNING
    assert row.detected_at.tzinfo is UTC
    assert row.first_detected_at.tzinfo is UTC
    assert row.updated_at.tzinfo is UTC
    assert row.acknowledged is False
    assert row.metadata == {"a": [1]}


async def test_failure_patterns_aware_non_utc_window(backend: Harness) -> None:
    pf_1, _ = await load_feedback_steps(backend)

    start = datetime(2024, 3, 10, 5, 30, tzinfo=KOLKATA_OFFSET)
    end = datetime(2024, 3, 11, 5, 30, tzinfo=KOLKATA_OFFSET)

    assert await _patterns(backend, start=start, end=end) == [pf_1]


async def test_failure_patterns_session_time_zone(backend: Harness) -> None:
    pf_1, pf_2 = await load_feedback_steps(backend)

    for tz in ("Asia/Kolkata", "America/New_York"):
        async with backend.store_in_session_time_zone(tz) as store, store.unit_of_work() as uow:
            rows = await uow.predictions.fetch_failure_patterns(
                "t1", start=W_START, end=TWO_DAYS_END
            )
        assert rows == [pf_2, pf_1], tz


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"tenant_id": ""}, "tenant_id"),
        ({"tenant_id": " t1"}, "tenant_id"),
        ({"tenant_id": "t" * 65}, "tenant_id"),
        ({"tenant_id": "t\x001"}, "tenant_id"),
        ({"start": datetime(2024, 3, 10)}, "start"),
        ({"end": datetime(2024, 3, 11)}, "end"),
        ({"end": W_START}, "end"),
        ({"end": utc(2024, 3, 9)}, "end"),
        ({"acknowledged": 1}, "acknowledged"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": True}, "limit"),
    ],
)
async def test_failure_patterns_invalid_argument(
    backend: Harness, arguments: dict[str, Any], field: str
) -> None:
    call: dict[str, Any] = {"tenant_id": "t1", "start": W_START, "end": W_END, **arguments}

    with pytest.raises(InvalidInput) as raised:
        await _patterns(backend, **call)

    assert raised.value.field == field
