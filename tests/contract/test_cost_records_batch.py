"""Batch cost records: one statement, atomic, results in input order, on every backend."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from analytics.domain import CostRecord, CostSource, NewCostRecord, WriteOutcome, WriteResult
from analytics.ports import Conflict, InvalidInput
from tests.contract.cost_writes_data import CALL_TIME, CLOCK_LATER, changed, plain_record
from tests.contract.example_data import NY
from tests.contract.harness import Harness

CREATED = WriteOutcome.CREATED
UNCHANGED = WriteOutcome.UNCHANGED

A = plain_record("req-1", "0.10")
B = plain_record("req-2", "0.20")
C = plain_record("req-3", "0.30")
B_OTHER_COST = plain_record("req-2", "0.25")


async def _create_batch(
    harness: Harness, tenant_id: str, records: Sequence[NewCostRecord]
) -> list[WriteResult[CostRecord]]:
    async with harness.uow() as uow:
        return await uow.cost_writes.create_cost_records(tenant_id, records=records)


def _outcomes(results: Sequence[WriteResult[CostRecord]]) -> list[WriteOutcome]:
    return [result.outcome for result in results]


def _ids(results: Sequence[WriteResult[CostRecord]]) -> list[str]:
    return [result.record.id for result in results]


async def test_batch_example_outcomes(backend: Harness) -> None:
    results = await _create_batch(backend, "t1", [A, B, A])

    assert _outcomes(results) == [CREATED, CREATED, UNCHANGED]
    assert results[2].record == results[0].record
    assert results[1].record.id != results[0].record.id
    assert (await backend.row_counts())["cost_records"] == 2


async def test_batch_example_replay(backend: Harness) -> None:
    first = await _create_batch(backend, "t1", [A, B, A])
    backend.clock.now = CLOCK_LATER

    replay = await _create_batch(backend, "t1", [A, B, A])

    assert _outcomes(replay) == [UNCHANGED, UNCHANGED, UNCHANGED]
    assert [result.record for result in replay] == [result.record for result in first]


async def test_batch_conflict_writes_nothing(backend: Harness) -> None:
    await _create_batch(backend, "t1", [A, B, A])
    before = await backend.row_counts()

    with pytest.raises(Conflict) as raised:
        await _create_batch(backend, "t1", [C, B_OTHER_COST])

    assert raised.value.reason == "payload_mismatch"
    assert raised.value.field == "records[1].cost_usd"
    assert await backend.row_counts() == before


async def test_batch_conflict_leaves_first_item_unstored(backend: Harness) -> None:
    await _create_batch(backend, "t1", [B])
    with pytest.raises(Conflict):
        await _create_batch(backend, "t1", [C, B_OTHER_COST])

    results = await _create_batch(backend, "t1", [C])

    assert _outcomes(results) == [CREATED]


async def test_batch_results_in_input_order(backend: Harness) -> None:
    await _create_batch(backend, "t1", [B])
    records = [C, plain_record(None, "0.01"), B, A, plain_record(None, "0.02"), C]

    results = await _create_batch(backend, "t1", records)

    assert _outcomes(results) == [CREATED, CREATED, UNCHANGED, CREATED, CREATED, UNCHANGED]
    assert [result.record.request_id for result in results] == [
        "req-3",
        None,
        "req-2",
        "req-1",
        None,
        "req-3",
    ]
    assert [result.record.cost_usd for result in results] == [
        Decimal("0.300000000"),
        Decimal("0.010000000"),
        Decimal("0.200000000"),
        Decimal("0.100000000"),
        Decimal("0.020000000"),
        Decimal("0.300000000"),
    ]
    assert results[5].record.id == results[0].record.id


async def test_batch_records_fields(backend: Harness) -> None:
    (result,) = await _create_batch(backend, "t1", [A])

    assert result.record.tenant_id == "t1"
    assert result.record.recorded_at == backend.clock.now
    assert result.record.occurred_at == CALL_TIME
    assert result.record.cost_usd.as_tuple().exponent == -9
    assert result.record.cost_source is CostSource.REPORTED
    assert result.record.id.startswith("cr_")
    assert len(result.record.id) == 35


async def test_batch_without_request_ids(backend: Harness) -> None:
    record = plain_record(None)

    results = await _create_batch(backend, "t1", [record, record, record])

    assert _outcomes(results) == [CREATED, CREATED, CREATED]
    assert len(set(_ids(results))) == 3


async def test_batch_duplicate_with_other_payload(backend: Harness) -> None:
    before = await backend.row_counts()

    with pytest.raises(Conflict) as raised:
        await _create_batch(backend, "t1", [A, B, changed(A, output_tokens=11)])

    assert raised.value.reason == "payload_mismatch"
    assert raised.value.field == "records[2].output_tokens"
    assert await backend.row_counts() == before


async def test_batch_reports_lowest_conflicting_index(backend: Harness) -> None:
    await _create_batch(backend, "t1", [A, B])

    with pytest.raises(Conflict) as raised:
        await _create_batch(backend, "t1", [C, changed(B, model="m2"), changed(A, model="m3")])

    assert raised.value.field == "records[1].model"


async def test_batch_replay_conflicts_with_stored_provenance(backend: Harness) -> None:
    estimated = changed(A, cost_source=CostSource.ESTIMATED, price_ref="prices:m1@2024-03-01")
    await _create_batch(backend, "t1", [estimated])

    with pytest.raises(Conflict) as raised:
        await _create_batch(backend, "t1", [C, changed(estimated, price_ref="prices:m1@v2")])

    assert raised.value.field == "records[1].price_ref"


async def test_batch_empty(backend: Harness) -> None:
    before = await backend.row_counts()

    results = await _create_batch(backend, "t1", [])

    assert results == []
    assert await backend.row_counts() == before


async def test_batch_empty_tuple(backend: Harness) -> None:
    results = await _create_batch(backend, "t1", ())

    assert results == []


async def test_batch_of_maximum_size(backend: Harness) -> None:
    records = [plain_record(f"req-{index}") for index in range(1000)]

    results = await _create_batch(backend, "t1", records)

    assert _outcomes(results) == [CREATED] * 1000
    assert [result.record.request_id for result in results] == [f"req-{i}" for i in range(1000)]
    assert (await backend.row_counts())["cost_records"] == 1000


async def test_batch_of_maximum_size_replay(backend: Harness) -> None:
    records = [plain_record(f"req-{index}") for index in range(1000)]
    first = await _create_batch(backend, "t1", records)

    replay = await _create_batch(backend, "t1", records)

    assert _outcomes(replay) == [UNCHANGED] * 1000
    assert _ids(replay) == _ids(first)


async def test_batch_over_maximum_size(backend: Harness) -> None:
    records = [plain_record(f"req-{index}") for index in range(1001)]
    before = await backend.row_counts()

    with pytest.raises(InvalidInput) as raised:
        await _create_batch(backend, "t1", records)

    assert raised.value.field == "records"
    assert await backend.row_counts() == before


INVALID_ITEMS: list[tuple[str, dict[str, Any]]] = [
    ("records[3].input_tokens", {"input_tokens": -1}),
    ("records[3].output_tokens", {"output_tokens": 1_000_000_001}),
    ("records[3].cost_usd", {"cost_usd": Decimal("NaN")}),
    ("records[3].cost_usd", {"cost_usd": Decimal("1000001")}),
    ("records[3].occurred_at", {"occurred_at": datetime(2024, 3, 10, 6, 30)}),
    ("records[3].model", {"model": ""}),
    ("records[3].feature_tag", {"feature_tag": ""}),
    ("records[3].price_ref", {"cost_source": CostSource.ESTIMATED}),
    ("records[3].price_ref", {"price_ref": "prices:m1"}),
    ("records[3].cost_usd", {"cost_source": CostSource.UNPRICED}),
    ("records[3].request_id", {"request_id": " req"}),
    ("records[3].is_synthetic", {"is_synthetic": 0}),
]


@pytest.mark.parametrize(("field", "changes"), INVALID_ITEMS)
async def test_batch_invalid_item(backend: Harness, field: str, changes: dict[str, Any]) -> None:
    records = [plain_record(f"req-{index}") for index in range(5)]
    records[3] = changed(records[3], **changes)
    before = await backend.row_counts()

    with pytest.raises(InvalidInput) as raised:
        await _create_batch(backend, "t1", records)

    assert raised.value.field == field
    assert await backend.row_counts() == before


async def test_batch_reports_lowest_invalid_index(backend: Harness) -> None:
    records = [plain_record(f"req-{index}") for index in range(5)]
    records[4] = changed(records[4], input_tokens=-1)
    records[2] = changed(records[2], cost_usd=Decimal("-1"))

    with pytest.raises(InvalidInput) as raised:
        await _create_batch(backend, "t1", records)

    assert raised.value.field == "records[2].cost_usd"


async def test_batch_item_not_a_model(backend: Harness) -> None:
    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_writes.create_cost_records(
                "t1",
                records=[A, {"model": "m1"}],  # type: ignore[list-item]
            )

    assert raised.value.field == "records[1]"


async def test_batch_rejects_a_bare_string(backend: Harness) -> None:
    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_writes.create_cost_records("t1", records="req-1")  # type: ignore[arg-type]

    assert raised.value.field == "records"


@pytest.mark.parametrize("tenant_id", ["", " t1", "t" * 65, "t\x001"])
async def test_batch_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    before = await backend.row_counts()

    with pytest.raises(InvalidInput) as raised:
        await _create_batch(backend, tenant_id, [changed(A, input_tokens=-1)])

    assert raised.value.field == "tenant_id"
    assert await backend.row_counts() == before


async def test_batch_request_ids_per_tenant(backend: Harness) -> None:
    t2_first = await _create_batch(backend, "t2", [A, B])

    t1 = await _create_batch(backend, "t1", [changed(A, model="other"), B])
    t2_replay = await _create_batch(backend, "t2", [A, B])

    assert _outcomes(t1) == [CREATED, CREATED]
    assert set(_ids(t1)).isdisjoint(_ids(t2_first))
    assert _outcomes(t2_replay) == [UNCHANGED, UNCHANGED]
    assert [result.record for result in t2_replay] == [result.record for result in t2_first]


async def test_batch_error_keeps_unit_usable(backend: Harness) -> None:
    await _create_batch(backend, "t1", [B])

    async with backend.uow() as uow:
        writes = uow.cost_writes
        with pytest.raises(Conflict):
            await writes.create_cost_records("t1", records=[C, B_OTHER_COST])
        with pytest.raises(InvalidInput):
            await writes.create_cost_records("t1", records=[changed(C, model="")])
        after = await writes.create_cost_records("t1", records=[A])

    assert _outcomes(after) == [CREATED]
    assert (await backend.row_counts())["cost_records"] == 2


async def test_batch_rolled_back_with_unit(backend: Harness) -> None:
    with pytest.raises(RuntimeError):
        async with backend.uow() as uow:
            await uow.cost_writes.create_cost_records("t1", records=[A, B])
            raise RuntimeError("abandon the unit of work")

    results = await _create_batch(backend, "t1", [A, B])

    assert _outcomes(results) == [CREATED, CREATED]


async def test_batch_matches_single_writes(backend: Harness) -> None:
    async with backend.uow() as uow:
        single = await uow.cost_writes.create_cost_record("t1", record=A)

    (batch,) = await _create_batch(backend, "t1", [A])

    assert batch.outcome is UNCHANGED
    assert batch.record == single.record


async def test_batch_converts_zones_to_utc(backend: Harness) -> None:
    new_york = changed(A, occurred_at=datetime(2024, 3, 10, 1, 30, tzinfo=ZoneInfo(NY)))

    (result,) = await _create_batch(backend, "t1", [new_york])

    assert result.record.occurred_at == CALL_TIME
    assert result.record.occurred_at.tzinfo is UTC
