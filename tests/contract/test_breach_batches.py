"""Breach history in batches: each item as ``insert_breach_history`` would store it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest

from analytics.domain import (
    BreachRecord,
    BreachType,
    EntityType,
    NewBreach,
    WriteOutcome,
    WriteResult,
)
from analytics.ports import InvalidInput
from tests.contract.bookkeeping_data import INVALID_TENANT_IDS, breach, load_breaches
from tests.contract.harness import Harness

USER = EntityType.USER
TENANT = EntityType.TENANT
SPIKE = BreachType.ABSOLUTE_SPIKE
DRIFT = BreachType.SUSTAINED_DRIFT
MARCH_9 = date(2024, 3, 9)
MARCH_10 = date(2024, 3, 10)
MARCH_11 = date(2024, 3, 11)
CLOCK = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
LATER = datetime(2024, 3, 10, 18, 30, tzinfo=UTC)

CREATED = WriteOutcome.CREATED
UNCHANGED = WriteOutcome.UNCHANGED
UPDATED = WriteOutcome.UPDATED


async def _insert_batch(
    backend: Harness, rows: Sequence[Any], tenant_id: str = "t1"
) -> list[WriteResult[BreachRecord]]:
    async with backend.uow() as uow:
        return await uow.cost_anomalies.insert_breach_histories(tenant_id, breaches=rows)


async def _insert_one(
    backend: Harness, row: NewBreach, tenant_id: str = "t1"
) -> WriteResult[BreachRecord]:
    async with backend.uow() as uow:
        return await uow.cost_anomalies.insert_breach_history(tenant_id, breach=row)


def _outcomes(results: Sequence[WriteResult[BreachRecord]]) -> list[WriteOutcome]:
    return [result.outcome for result in results]


def _without_ids(record: BreachRecord) -> dict[str, Any]:
    return record.model_dump(exclude={"id", "tenant_id"})


async def test_breach_batch_mixed_outcomes(backend: Harness) -> None:
    backend.clock.now = CLOCK
    stored_u1 = await _insert_one(backend, breach(USER, "u1", MARCH_10))
    stored_u2 = await _insert_one(backend, breach(USER, "u2", MARCH_10))
    backend.clock.now = LATER

    results = await _insert_batch(
        backend,
        [
            breach(USER, "u3", MARCH_10),
            breach(USER, "u1", MARCH_10),
            breach(USER, "u2", MARCH_10, deviation_pct="100", current="0.60"),
            breach(TENANT, None, MARCH_10),
        ],
    )

    assert _outcomes(results) == [CREATED, UNCHANGED, UPDATED, CREATED]
    new_u3, same_u1, changed_u2, tenant_level = (result.record for result in results)
    assert new_u3.entity_id == "u3"
    assert new_u3.id.startswith("bh_")
    assert new_u3.created_at == LATER
    assert same_u1 == stored_u1.record
    assert changed_u2.id == stored_u2.record.id
    assert changed_u2.created_at == CLOCK
    assert changed_u2.updated_at == LATER
    assert str(changed_u2.current_value_usd) == "0.600000000"
    assert str(changed_u2.deviation_pct) == "100.000000"
    assert tenant_level.entity_type is TENANT
    assert tenant_level.entity_id is None
    assert len({record.id for record in (new_u3, same_u1, changed_u2, tenant_level)}) == 4
    assert (await backend.row_counts())["cost_breach_history"] == 4


async def test_breach_batch_equals_single_calls(backend: Harness) -> None:
    history = [breach(USER, "u1", MARCH_10), breach(USER, "u2", MARCH_10, current="0.5")]
    batch = [
        breach(USER, "u2", MARCH_10, current="0.7"),
        breach(USER, "u1", MARCH_10),
        breach(EntityType.FEATURE, "u1", MARCH_10),
        breach(USER, "u1", MARCH_10, breach_type=DRIFT),
        breach(USER, "u1", MARCH_11),
    ]
    await load_breaches(backend.uow, "t1", *history)
    await load_breaches(backend.uow, "t2", *history)

    batched = await _insert_batch(backend, batch, "t1")
    one_by_one = [await _insert_one(backend, row, "t2") for row in batch]

    assert _outcomes(batched) == _outcomes(one_by_one)
    assert _outcomes(batched) == [UPDATED, UNCHANGED, CREATED, CREATED, CREATED]
    for in_batch, alone in zip(batched, one_by_one, strict=True):
        assert _without_ids(in_batch.record) == _without_ids(alone.record)
        assert in_batch.record.tenant_id == "t1"


async def test_breach_batch_replay_unchanged(backend: Harness) -> None:
    rows = [breach(USER, f"u{n}", MARCH_10) for n in range(5)]
    first = await _insert_batch(backend, rows)
    backend.clock.now = LATER

    again = await _insert_batch(backend, list(reversed(rows)))

    assert _outcomes(again) == [UNCHANGED] * 5
    assert [result.record for result in again] == [result.record for result in reversed(first)]
    assert (await backend.row_counts())["cost_breach_history"] == 5


async def test_breach_batch_leaves_other_tenant(backend: Harness) -> None:
    t2_rows = [breach(USER, "u1", MARCH_10, current="4.5"), breach(TENANT, None, MARCH_10)]
    stored_t2 = await _insert_batch(backend, t2_rows, "t2")

    t1_results = await _insert_batch(
        backend, [breach(USER, "u1", MARCH_10), breach(TENANT, None, MARCH_10, current="0.9")]
    )

    assert _outcomes(t1_results) == [CREATED, CREATED]
    assert {result.record.id for result in t1_results}.isdisjoint(
        result.record.id for result in stored_t2
    )
    replay_t2 = await _insert_batch(backend, t2_rows, "t2")
    assert _outcomes(replay_t2) == [UNCHANGED, UNCHANGED]
    assert [result.record for result in replay_t2] == [result.record for result in stored_t2]


async def test_breach_batch_empty(backend: Harness) -> None:
    await load_breaches(backend.uow, "t1", breach(USER, "u1", MARCH_10))

    assert await _insert_batch(backend, []) == []
    assert await _insert_batch(backend, ()) == []
    assert (await backend.row_counts())["cost_breach_history"] == 1


async def test_breach_batch_repeated_item(backend: Harness) -> None:
    results = await _insert_batch(
        backend,
        [
            breach(USER, "u1", MARCH_10),
            breach(USER, "u2", MARCH_10),
            # Equal after rounding to the stored scale, as a repeated call would compare.
            breach(USER, "u1", MARCH_10, deviation_pct="50.0000001", current="0.4500000000"),
        ],
    )

    assert _outcomes(results) == [CREATED, CREATED, UNCHANGED]
    assert results[2].record == results[0].record
    assert (await backend.row_counts())["cost_breach_history"] == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"deviation_pct": "51"}, "breaches[2].deviation_pct", id="deviation"),
        pytest.param({"current": "0.46"}, "breaches[2].current_value_usd", id="current"),
        pytest.param({"baseline": "0.31"}, "breaches[2].baseline_value_usd", id="baseline"),
    ],
)
async def test_breach_batch_repeated_key_other_values(
    backend: Harness, changes: dict[str, str], field: str
) -> None:
    before = await backend.row_counts()
    rows = [
        breach(USER, "u1", MARCH_10),
        breach(USER, "u2", MARCH_10),
        breach(USER, "u1", MARCH_10, **changes),
    ]

    with pytest.raises(InvalidInput) as raised:
        await _insert_batch(backend, rows)

    assert raised.value.field == field
    assert "breaches[0]" in raised.value.reason
    assert await backend.row_counts() == before


async def test_breach_batch_invalid_item_writes_nothing(backend: Harness) -> None:
    await load_breaches(backend.uow, "t1", breach(USER, "u1", MARCH_10))
    before = await backend.row_counts()
    rows = [
        breach(USER, "u1", MARCH_10, current="0.9"),
        breach(USER, "u2", MARCH_10),
        breach(USER, "u3", MARCH_10).model_copy(update={"current_value_usd": -1}),
        breach(USER, "u4", MARCH_10),
    ]

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.insert_breach_histories("t1", breaches=rows)
        after_error = await uow.cost_anomalies.insert_breach_history(
            "t1", breach=breach(USER, "u5", MARCH_10)
        )

    assert raised.value.field == "breaches[2].current_value_usd"
    assert after_error.outcome is CREATED
    counts = await backend.row_counts()
    assert counts["cost_breach_history"] == before["cost_breach_history"] + 1
    replay = await _insert_one(backend, breach(USER, "u1", MARCH_10))
    assert replay.outcome is UNCHANGED


async def test_breach_batch_lowest_invalid_index(backend: Harness) -> None:
    rows = [
        breach(USER, "u1", MARCH_10),
        breach(USER, "u2", MARCH_10).model_copy(update={"entity_id": None}),
        breach(USER, "u1", MARCH_10, current="0.9"),
        breach(USER, "u3", MARCH_10).model_copy(update={"deviation_pct": 0.5}),
    ]

    with pytest.raises(InvalidInput) as raised:
        await _insert_batch(backend, rows)

    assert raised.value.field == "breaches[1].entity_id"


BATCH_INVALID = [
    pytest.param("u1", "breaches", id="str"),
    pytest.param(None, "breaches", id="none"),
    pytest.param(breach(USER, "u1", MARCH_10), "breaches", id="single-breach"),
    pytest.param([{"entity_type": "user"}], "breaches[0]", id="dict-item"),
    pytest.param([breach(USER, "u1", MARCH_10)] * 1001, "breaches", id="1001-items"),
]


@pytest.mark.parametrize(("rows", "field"), BATCH_INVALID)
async def test_breach_batch_invalid_argument(backend: Harness, rows: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _insert_batch(backend, rows)

    assert raised.value.field == field
    assert (await backend.row_counts())["cost_breach_history"] == 0


async def test_breach_batch_maximum_size(backend: Harness) -> None:
    rows = [breach(USER, f"u{n:04d}", MARCH_10) for n in range(1000)]

    results = await _insert_batch(backend, rows)

    assert _outcomes(results) == [CREATED] * 1000
    assert [result.record.entity_id for result in results] == [row.entity_id for row in rows]
    assert (await backend.row_counts())["cost_breach_history"] == 1000


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_breach_batch_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _insert_batch(backend, [breach(USER, "u1", MARCH_10)], tenant_id)

    assert raised.value.field == "tenant_id"
    assert (await backend.row_counts())["cost_breach_history"] == 0


async def test_breach_batch_dst_days_plain_dates(backend: Harness) -> None:
    # New York changes its clocks on 2024-03-10 and 2024-11-03. Breach dates are
    # plain calendar days, so those days are stored and counted like any other.
    days = [MARCH_9, MARCH_10, MARCH_11, date(2024, 11, 2), date(2024, 11, 3)]
    results = await _insert_batch(backend, [breach(USER, "u1", day) for day in days])

    assert [result.record.breach_date for result in results] == days
    async with backend.uow() as uow:
        march = await uow.cost_anomalies.fetch_consecutive_breaches(
            "t1", entity_type=USER, entity_id="u1", breach_type=SPIKE, day=MARCH_11
        )
        november = await uow.cost_anomalies.fetch_consecutive_breaches(
            "t1", entity_type=USER, entity_id="u1", breach_type=SPIKE, day=date(2024, 11, 3)
        )
    assert march == 3
    assert november == 2


async def test_breach_batch_concurrent_one_row(backend: Harness) -> None:
    rows = [breach(USER, f"u{n}", MARCH_10) for n in range(20)]

    # The two batches overlap in ten keys and list them in opposite orders.
    first, second = await asyncio.gather(
        _insert_batch(backend, rows[:15]), _insert_batch(backend, list(reversed(rows[5:])))
    )

    by_key: dict[str | None, list[WriteResult[BreachRecord]]] = {}
    for result in [*first, *second]:
        by_key.setdefault(result.record.entity_id, []).append(result)
    for entity_id, results in by_key.items():
        assert [result.outcome for result in results].count(CREATED) == 1, entity_id
        assert len({result.record.id for result in results}) == 1, entity_id
    assert (await backend.row_counts())["cost_breach_history"] == 20
