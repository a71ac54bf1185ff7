"""Stored anomalies in batches: each item as ``upsert_anomaly`` would store it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from analytics.domain import (
    AnomalyType,
    BudgetPeriod,
    CostAnomaly,
    EntityType,
    NewAnomaly,
    WriteOutcome,
    WriteResult,
)
from analytics.ports import InvalidInput
from tests.contract.bookkeeping_data import (
    INVALID_TENANT_IDS,
    budget_anomaly,
    spike_anomaly,
    utc,
)
from tests.contract.harness import Harness

DAILY = BudgetPeriod.DAILY
MONTHLY = BudgetPeriod.MONTHLY
MARCH_1 = date(2024, 3, 1)
MARCH_10 = date(2024, 3, 10)
MARCH_11 = date(2024, 3, 11)
CLOCK = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
LATER = datetime(2024, 3, 10, 23, 0, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")

CREATED = WriteOutcome.CREATED
UNCHANGED = WriteOutcome.UNCHANGED
UPDATED = WriteOutcome.UPDATED

# Steps of the worked example for the feature chat.reply, with budget limits of
# 0.15 a day and 0.30 a month.
STEP_1 = budget_anomaly(DAILY, MARCH_10, utc(3, 10, 15), "0.20", "0.15")
STEP_2 = budget_anomaly(MONTHLY, MARCH_1, utc(3, 10, 15), "0.35", "0.30")
STEP_3 = budget_anomaly(DAILY, MARCH_10, utc(3, 10, 20), "0.35", "0.15")
STEP_5 = budget_anomaly(DAILY, MARCH_11, utc(3, 11, 15), "0.20", "0.15")


async def _upsert_batch(
    backend: Harness, anomalies: Sequence[Any], tenant_id: str = "t1"
) -> list[WriteResult[CostAnomaly]]:
    async with backend.uow() as uow:
        return await uow.cost_anomalies.upsert_anomalies(tenant_id, anomalies=anomalies)


async def _upsert_one(
    backend: Harness, anomaly: NewAnomaly, tenant_id: str = "t1"
) -> WriteResult[CostAnomaly]:
    async with backend.uow() as uow:
        return await uow.cost_anomalies.upsert_anomaly(tenant_id, anomaly=anomaly)


async def _list(backend: Harness, tenant_id: str = "t1") -> list[CostAnomaly]:
    async with backend.uow() as uow:
        return await uow.cost_anomalies.list_anomalies(tenant_id, start=utc(1, 1), end=utc(12, 31))


def _outcomes(results: Sequence[WriteResult[CostAnomaly]]) -> list[WriteOutcome]:
    return [result.outcome for result in results]


def _without_ids(record: CostAnomaly) -> dict[str, Any]:
    return record.model_dump(exclude={"id", "tenant_id"})


async def test_anomaly_batch_mixed_outcomes(backend: Harness) -> None:
    backend.clock.now = CLOCK
    step_1 = await _upsert_one(backend, STEP_1)
    step_2 = await _upsert_one(backend, STEP_2)
    backend.clock.now = LATER

    results = await _upsert_batch(backend, [STEP_3, STEP_2, STEP_5])

    assert _outcomes(results) == [UPDATED, UNCHANGED, CREATED]
    updated, unchanged, created = (result.record for result in results)
    assert updated.id == step_1.record.id
    assert updated.first_detected_at == utc(3, 10, 15)
    assert updated.last_detected_at == utc(3, 10, 20)
    assert updated.current_value_usd == Decimal("0.350000000")
    assert updated.created_at == CLOCK
    assert updated.updated_at == LATER
    assert unchanged == step_2.record
    assert created.id not in {step_1.record.id, step_2.record.id}
    assert created.period_start == MARCH_11
    assert created.created_at == LATER
    assert (await backend.row_counts())["cost_anomalies"] == 3


async def test_anomaly_batch_equals_single_calls(backend: Harness) -> None:
    history = [STEP_3, STEP_2, STEP_5.model_copy(update={"incident_id": "inc-1"})]
    batch = [
        # Older than the stored detection of its key: unchanged.
        STEP_1.model_copy(update={"current_value_usd": Decimal("0.9")}),
        # Same values, later detection: unchanged.
        STEP_2.model_copy(update={"detected_at": utc(3, 10, 22)}),
        # A None incident never clears the stored link.
        STEP_5.model_copy(update={"detected_at": utc(3, 11, 16), "message": "still over"}),
        spike_anomaly(utc(3, 10, 9)),
        STEP_3.model_copy(update={"entity_type": EntityType.USER, "entity_id": "u1"}),
    ]
    for tenant_id in ("t1", "t2"):
        for anomaly in history:
            await _upsert_one(backend, anomaly, tenant_id)

    batched = await _upsert_batch(backend, batch, "t1")
    one_by_one = [await _upsert_one(backend, anomaly, "t2") for anomaly in batch]

    assert _outcomes(batched) == _outcomes(one_by_one)
    assert _outcomes(batched) == [UNCHANGED, UNCHANGED, UPDATED, CREATED, CREATED]
    assert batched[2].record.incident_id == "inc-1"
    assert batched[2].record.message == "still over"
    for in_batch, alone in zip(batched, one_by_one, strict=True):
        assert _without_ids(in_batch.record) == _without_ids(alone.record)
        assert in_batch.record.tenant_id == "t1"


async def test_anomaly_batch_resolved_row_is_history(backend: Harness) -> None:
    first = (await _upsert_one(backend, STEP_1)).record
    async with backend.uow() as uow:
        await uow.cost_anomalies.resolve_anomaly("t1", anomaly_id=first.id)

    results = await _upsert_batch(backend, [STEP_3, STEP_2])

    assert _outcomes(results) == [CREATED, CREATED]
    assert results[0].record.id != first.id
    assert results[0].record.resolved is False
    assert (await backend.row_counts())["cost_anomalies"] == 3


async def test_anomaly_batch_leaves_other_tenant(backend: Harness) -> None:
    t2_batch = [
        STEP_3.model_copy(update={"current_value_usd": Decimal("3.5")}),
        STEP_2,
        spike_anomaly(utc(3, 10, 9)),
    ]
    stored_t2 = await _upsert_batch(backend, t2_batch, "t2")

    t1_results = await _upsert_batch(backend, [STEP_1, STEP_2, spike_anomaly(utc(3, 10, 21))])

    assert _outcomes(t1_results) == [CREATED, CREATED, CREATED]
    assert {result.record.id for result in t1_results}.isdisjoint(
        result.record.id for result in stored_t2
    )
    assert sorted(await _list(backend, "t2"), key=lambda row: row.id) == sorted(
        (result.record for result in stored_t2), key=lambda row: row.id
    )


async def test_anomaly_batch_empty(backend: Harness) -> None:
    await _upsert_one(backend, STEP_1)

    assert await _upsert_batch(backend, []) == []
    assert await _upsert_batch(backend, ()) == []
    assert (await backend.row_counts())["cost_anomalies"] == 1


async def test_anomaly_batch_repeated_item(backend: Harness) -> None:
    # The third item repeats the first with values spelled differently but equal once stored.
    repeated = STEP_1.model_copy(
        update={
            "current_value_usd": Decimal("0.2000000000"),
            "metadata": {"b": 2, "a": 1},
        }
    )
    first_item = STEP_1.model_copy(update={"metadata": {"a": 1, "b": 2}})

    results = await _upsert_batch(backend, [first_item, STEP_2, repeated])

    assert _outcomes(results) == [CREATED, CREATED, UNCHANGED]
    assert results[2].record == results[0].record
    assert (await backend.row_counts())["cost_anomalies"] == 2


REPEATED_KEY_CHANGES = [
    pytest.param({"detected_at": utc(3, 10, 16)}, "detected_at", id="detected-at"),
    pytest.param({"current_value_usd": Decimal("0.21")}, "current_value_usd", id="current"),
    pytest.param({"incident_id": "inc-1"}, "incident_id", id="incident"),
    pytest.param({"metadata": {"a": True}}, "metadata", id="metadata-bool"),
    pytest.param({"message": "other"}, "message", id="message"),
]


@pytest.mark.parametrize(("changes", "field"), REPEATED_KEY_CHANGES)
async def test_anomaly_batch_repeated_key_other_values(
    backend: Harness, changes: dict[str, Any], field: str
) -> None:
    before = await backend.row_counts()
    first_item = STEP_1.model_copy(update={"metadata": {"a": 1}})
    anomalies = [first_item, STEP_2, first_item.model_copy(update=changes)]

    with pytest.raises(InvalidInput) as raised:
        await _upsert_batch(backend, anomalies)

    assert raised.value.field == f"anomalies[2].{field}"
    assert "anomalies[0]" in raised.value.reason
    assert await backend.row_counts() == before


async def test_anomaly_batch_invalid_item_writes_nothing(backend: Harness) -> None:
    stored = (await _upsert_one(backend, STEP_1)).record
    before = await backend.row_counts()
    anomalies = [
        STEP_3,
        STEP_2,
        # A monthly budget anomaly must start on the first of the month.
        STEP_2.model_copy(update={"period_start": MARCH_10}),
        STEP_5,
    ]

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.upsert_anomalies("t1", anomalies=anomalies)
        after_error = await uow.cost_anomalies.upsert_anomaly("t1", anomaly=STEP_5)

    assert raised.value.field == "anomalies[2].period_start"
    assert after_error.outcome is CREATED
    counts = await backend.row_counts()
    assert counts["cost_anomalies"] == before["cost_anomalies"] + 1
    assert [row for row in await _list(backend) if row.id == stored.id] == [stored]


async def test_anomaly_batch_lowest_invalid_index(backend: Harness) -> None:
    anomalies = [
        STEP_1,
        STEP_2.model_copy(update={"budget_period": None}),
        STEP_3,
        STEP_5.model_copy(update={"breach_count": 0}),
    ]

    with pytest.raises(InvalidInput) as raised:
        await _upsert_batch(backend, anomalies)

    assert raised.value.field == "anomalies[1].budget_period"


BATCH_INVALID = [
    pytest.param("ca", "anomalies", id="str"),
    pytest.param(None, "anomalies", id="none"),
    pytest.param(STEP_1, "anomalies", id="single-anomaly"),
    pytest.param([STEP_1, {"anomaly_type": "budget_exceeded"}], "anomalies[1]", id="dict-item"),
    pytest.param([STEP_1] * 1001, "anomalies", id="1001-items"),
]


@pytest.mark.parametrize(("anomalies", "field"), BATCH_INVALID)
async def test_anomaly_batch_invalid_argument(backend: Harness, anomalies: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _upsert_batch(backend, anomalies)

    assert raised.value.field == field
    assert (await backend.row_counts())["cost_anomalies"] == 0


async def test_anomaly_batch_maximum_size(backend: Harness) -> None:
    anomalies = [
        spike_anomaly(utc(3, 10, 9), entity_type=EntityType.USER, entity_id=f"u{n:04d}")
        for n in range(1000)
    ]

    results = await _upsert_batch(backend, anomalies)

    assert _outcomes(results) == [CREATED] * 1000
    assert [result.record.entity_id for result in results] == [item.entity_id for item in anomalies]
    assert (await backend.row_counts())["cost_anomalies"] == 1000


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_anomaly_batch_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _upsert_batch(backend, [STEP_1], tenant_id)

    assert raised.value.field == "tenant_id"
    assert (await backend.row_counts())["cost_anomalies"] == 0


async def test_anomaly_batch_dst_detection_order(backend: Harness) -> None:
    # New York detections across both clock changes of 2024. The later instant
    # wins although its wall-clock time is earlier in November.
    spring_before = datetime(2024, 3, 10, 1, 30, tzinfo=NEW_YORK)
    spring_after = datetime(2024, 3, 10, 3, 15, tzinfo=NEW_YORK)
    fall_first = datetime(2024, 11, 3, 1, 30, tzinfo=NEW_YORK)
    fall_second = datetime(2024, 11, 3, 1, 10, fold=1, tzinfo=NEW_YORK)
    spring = spike_anomaly(spring_before)
    fall = spike_anomaly(fall_first, period_start=date(2024, 11, 3))
    await _upsert_batch(backend, [spring, fall])

    changed = {"current_value_usd": Decimal("3")}
    results = await _upsert_batch(
        backend,
        [
            spring.model_copy(update={"detected_at": spring_after, **changed}),
            fall.model_copy(update={"detected_at": fall_second, **changed}),
        ],
    )
    older = await _upsert_batch(
        backend,
        [
            spring.model_copy(
                update={"detected_at": datetime(2024, 3, 10, 1, 45, tzinfo=NEW_YORK)}
            ),
            fall.model_copy(update={"detected_at": datetime(2024, 11, 3, 1, 50, tzinfo=NEW_YORK)}),
        ],
    )

    assert _outcomes(results) == [UPDATED, UPDATED]
    assert results[0].record.first_detected_at == utc(3, 10, 6, 30)
    assert results[0].record.last_detected_at == utc(3, 10, 7, 15)
    assert results[1].record.first_detected_at == utc(11, 3, 5, 30)
    assert results[1].record.last_detected_at == utc(11, 3, 6, 10)
    assert results[1].record.last_detected_at.tzinfo is UTC
    # 01:50 EDT on 11-03 is 05:50Z, before the stored 06:10Z.
    assert _outcomes(older) == [UNCHANGED, UNCHANGED]
    assert [result.record for result in older] == [result.record for result in results]


async def test_anomaly_batch_concurrent_one_row(backend: Harness) -> None:
    anomalies = [
        spike_anomaly(utc(3, 10, 9), entity_type=EntityType.USER, entity_id=f"u{n}")
        for n in range(20)
    ]

    # The two batches overlap in ten keys and list them in opposite orders.
    first, second = await asyncio.gather(
        _upsert_batch(backend, anomalies[:15]),
        _upsert_batch(backend, list(reversed(anomalies[5:]))),
    )

    by_key: dict[str | None, list[WriteResult[CostAnomaly]]] = {}
    for result in [*first, *second]:
        by_key.setdefault(result.record.entity_id, []).append(result)
    for entity_id, results in by_key.items():
        assert [result.outcome for result in results].count(CREATED) == 1, entity_id
        assert len({result.record.id for result in results}) == 1, entity_id
    assert (await backend.row_counts())["cost_anomalies"] == 20


async def test_anomaly_batch_key_parts_separate(backend: Harness) -> None:
    # Every key part separates rows within one batch, as with single calls.
    variants = [
        STEP_1,
        STEP_1.model_copy(update={"anomaly_type": AnomalyType.BUDGET_WARNING}),
        STEP_1.model_copy(update={"entity_type": EntityType.USER}),
        STEP_1.model_copy(update={"entity_id": "chat_reply"}),
        STEP_1.model_copy(update={"budget_period": MONTHLY, "period_start": MARCH_1}),
        STEP_1.model_copy(update={"budget_period": DAILY, "period_start": MARCH_1}),
        STEP_1.model_copy(update={"entity_type": EntityType.TENANT, "entity_id": None}),
    ]

    results = await _upsert_batch(backend, variants)

    assert _outcomes(results) == [CREATED] * 7
    assert len({result.record.id for result in results}) == 7
