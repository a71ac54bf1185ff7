"""Cost writes: single cost records, budgets and feature tags on every backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from analytics.domain import (
    Budget,
    CostRecord,
    CostSource,
    EntityType,
    FeatureTag,
    NewCostRecord,
    WriteOutcome,
    WriteResult,
)
from analytics.ports import Conflict, InvalidInput, NotFound
from tests.contract.cost_writes_data import (
    CALL_TIME,
    CLOCK_LATER,
    FULL,
    REQ_1,
    REQ_2,
    changed,
    generated_id,
    plain_record,
)
from tests.contract.harness import Harness

INVALID_TENANT_IDS = ["", " t1", "t" * 65, "t\x001"]

# ---------------------------------------------------------------------------
# create_cost_record
# ---------------------------------------------------------------------------


async def _create(
    harness: Harness, tenant_id: str, record: NewCostRecord
) -> WriteResult[CostRecord]:
    async with harness.uow() as uow:
        return await uow.cost_writes.create_cost_record(tenant_id, record=record)


async def test_cost_record_rounds_half_even_down(backend: Harness) -> None:
    result = await _create(backend, "t1", REQ_1)

    assert result.outcome is WriteOutcome.CREATED
    assert result.record.cost_usd == Decimal("0.000000012")
    assert result.record.cost_usd.as_tuple().exponent == -9
    assert str(result.record.cost_usd) == "1.2E-8"


async def test_cost_record_rounds_half_even_up(backend: Harness) -> None:
    record = changed(REQ_1, cost_usd=Decimal("0.0000000135"))

    result = await _create(backend, "t1", record)

    assert result.record.cost_usd == Decimal("0.000000014")
    assert result.record.cost_usd.as_tuple().exponent == -9


async def test_cost_record_returns_stored_fields(backend: Harness) -> None:
    result = await _create(backend, "t1", REQ_1)

    record = result.record
    assert record.id == generated_id("cr", 1)
    assert record.tenant_id == "t1"
    assert record.recorded_at == backend.clock.now
    assert record.occurred_at == CALL_TIME
    assert record.model == "gpt-4o"
    assert record.input_tokens == 200
    assert record.output_tokens == 100
    assert record.request_id == "req-1"
    assert record.user_id is None
    assert record.feature_tag is None
    assert record.workflow_id is None
    assert record.skill_id is None
    assert record.is_retry is False
    assert record.is_synthetic is False


async def test_cost_record_defaults_to_reported(backend: Harness) -> None:
    result = await _create(backend, "t1", REQ_1)

    assert result.record.cost_source is CostSource.REPORTED
    assert result.record.price_ref is None


async def test_cost_record_round_trips_every_field(backend: Harness) -> None:
    result = await _create(backend, "t1", FULL)

    expected = FULL.model_dump() | {"cost_usd": Decimal("0.001500000")}
    assert result.record.model_dump(exclude={"id", "tenant_id", "recorded_at"}) == expected
    assert result.record.is_retry is True
    assert result.record.is_synthetic is True


async def test_cost_record_types(backend: Harness) -> None:
    record = (await _create(backend, "t1", FULL)).record

    assert record.occurred_at.tzinfo is UTC
    assert record.recorded_at.tzinfo is UTC
    assert isinstance(record.cost_usd, Decimal)
    assert record.cost_usd.as_tuple().exponent == -9
    with pytest.raises(ValidationError):
        record.model = "other"  # type: ignore[misc]


async def test_cost_record_converts_offset_to_utc(backend: Harness) -> None:
    kolkata = timezone(timedelta(hours=5, minutes=30))
    record = changed(REQ_1, occurred_at=datetime(2024, 3, 10, 12, 0, tzinfo=kolkata))

    result = await _create(backend, "t1", record)

    assert result.record.occurred_at == CALL_TIME
    assert result.record.occurred_at.tzinfo is UTC


async def test_cost_record_replay_is_unchanged(backend: Harness) -> None:
    first = await _create(backend, "t1", REQ_1)
    backend.clock.now = CLOCK_LATER

    replay = await _create(backend, "t1", REQ_1)

    assert replay.outcome is WriteOutcome.UNCHANGED
    assert replay.record == first.record


async def test_cost_record_replay_equal_after_rounding(backend: Harness) -> None:
    first = await _create(backend, "t1", REQ_1)

    replay = await _create(backend, "t1", changed(REQ_1, cost_usd=Decimal("0.000000012")))

    assert replay.outcome is WriteOutcome.UNCHANGED
    assert replay.record.id == first.record.id


async def test_cost_record_replay_of_rescaled_cost(backend: Harness) -> None:
    record = changed(REQ_1, cost_usd=Decimal("0.020000000"))
    first = await _create(backend, "t1", record)

    replay = await _create(backend, "t1", changed(REQ_1, cost_usd=Decimal("0.02")))

    assert replay.outcome is WriteOutcome.UNCHANGED
    assert replay.record.id == first.record.id


async def test_cost_record_replay_with_other_tokens_conflicts(backend: Harness) -> None:
    await _create(backend, "t1", REQ_1)
    before = await backend.row_counts()

    with pytest.raises(Conflict) as raised:
        await _create(backend, "t1", changed(REQ_1, output_tokens=101))

    assert raised.value.reason == "payload_mismatch"
    assert raised.value.field == "output_tokens"
    assert await backend.row_counts() == before


REPLAY_CHANGES: list[tuple[str, dict[str, Any]]] = [
    ("occurred_at", {"occurred_at": CALL_TIME + timedelta(microseconds=1)}),
    ("model", {"model": "gpt-4o-mini"}),
    ("input_tokens", {"input_tokens": 201}),
    ("output_tokens", {"output_tokens": 99}),
    ("cost_usd", {"cost_usd": Decimal("0.001500001")}),
    ("cost_source", {"cost_source": CostSource.REPORTED, "price_ref": None}),
    ("price_ref", {"price_ref": "prices:gpt-4o@2024-04-01"}),
    ("user_id", {"user_id": "u2"}),
    ("user_id", {"user_id": None}),
    ("feature_tag", {"feature_tag": "Chat.Reply"}),
    ("feature_tag", {"feature_tag": None}),
    ("workflow_id", {"workflow_id": "wf-2"}),
    ("skill_id", {"skill_id": None}),
    ("is_retry", {"is_retry": False}),
    ("is_synthetic", {"is_synthetic": False}),
    ("model", {"model": "gpt-4o-mini", "input_tokens": 1}),
]


@pytest.mark.parametrize(("field", "changes"), REPLAY_CHANGES)
async def test_cost_record_replay_names_first_difference(
    backend: Harness, field: str, changes: dict[str, Any]
) -> None:
    await _create(backend, "t1", FULL)
    before = await backend.row_counts()

    with pytest.raises(Conflict) as raised:
        await _create(backend, "t1", changed(FULL, **changes))

    assert raised.value.reason == "payload_mismatch"
    assert raised.value.field == field
    assert await backend.row_counts() == before


async def test_cost_record_without_request_id_creates_each_time(backend: Harness) -> None:
    record = changed(REQ_1, request_id=None)

    first = await _create(backend, "t1", record)
    second = await _create(backend, "t1", record)

    assert first.outcome is WriteOutcome.CREATED
    assert second.outcome is WriteOutcome.CREATED
    assert first.record.id != second.record.id
    assert (await backend.row_counts())["cost_records"] == 2


async def test_cost_record_request_id_per_tenant(backend: Harness) -> None:
    t1 = await _create(backend, "t1", REQ_1)

    t2 = await _create(backend, "t2", changed(REQ_1, output_tokens=101))

    assert t2.outcome is WriteOutcome.CREATED
    assert t2.record.id != t1.record.id
    assert t2.record.tenant_id == "t2"
    assert (await backend.row_counts())["cost_records"] == 2


async def test_cost_record_write_leaves_other_tenant(backend: Harness) -> None:
    t2_first = await _create(backend, "t2", FULL)

    await _create(backend, "t1", changed(FULL, model="other", cost_usd=Decimal("9")))
    t2_replay = await _create(backend, "t2", FULL)

    assert t2_replay.outcome is WriteOutcome.UNCHANGED
    assert t2_replay.record == t2_first.record


async def test_cost_record_estimated_example(backend: Harness) -> None:
    result = await _create(backend, "t1", REQ_2)

    assert result.outcome is WriteOutcome.CREATED
    assert result.record.cost_usd == Decimal("0.001500000")
    assert result.record.cost_usd.as_tuple().exponent == -9
    assert result.record.cost_source is CostSource.ESTIMATED
    assert result.record.price_ref == "prices:gpt-4o@2024-03-01"


async def test_cost_record_replay_changing_price_ref(backend: Harness) -> None:
    await _create(backend, "t1", REQ_2)

    with pytest.raises(Conflict) as raised:
        await _create(backend, "t1", changed(REQ_2, price_ref="prices:gpt-4o@2024-04-01"))

    assert raised.value.reason == "payload_mismatch"
    assert raised.value.field == "price_ref"


async def test_cost_record_replay_without_provenance(backend: Harness) -> None:
    await _create(backend, "t1", REQ_2)

    with pytest.raises(Conflict) as raised:
        await _create(
            backend, "t1", changed(REQ_2, cost_source=CostSource.REPORTED, price_ref=None)
        )

    assert raised.value.reason == "payload_mismatch"
    assert raised.value.field == "cost_source"


@pytest.mark.parametrize(
    ("cost_usd", "expected"),
    [("0", "0E-9"), ("0.0000000004", "0E-9"), ("0.0000000005", "0E-9")],
)
async def test_cost_record_unpriced_zero_cost(
    backend: Harness, cost_usd: str, expected: str
) -> None:
    record = changed(REQ_1, cost_usd=Decimal(cost_usd), cost_source=CostSource.UNPRICED)

    result = await _create(backend, "t1", record)

    assert result.outcome is WriteOutcome.CREATED
    assert str(result.record.cost_usd) == expected
    assert result.record.cost_usd.as_tuple().exponent == -9
    assert result.record.cost_source is CostSource.UNPRICED
    assert result.record.price_ref is None


@pytest.mark.parametrize("source", list(CostSource))
async def test_cost_record_round_trips_source(backend: Harness, source: CostSource) -> None:
    price_ref = "prices:m1@2024-03-01" if source is CostSource.ESTIMATED else None
    cost = Decimal(0) if source is CostSource.UNPRICED else Decimal("0.25")
    record = changed(REQ_1, cost_usd=cost, cost_source=source, price_ref=price_ref)

    result = await _create(backend, "t1", record)
    replay = await _create(backend, "t1", record)

    assert result.record.cost_source is source
    assert result.record.price_ref == price_ref
    assert replay.outcome is WriteOutcome.UNCHANGED


async def test_cost_record_accepts_source_string(backend: Harness) -> None:
    record = changed(REQ_2, cost_source="estimated")

    result = await _create(backend, "t1", record)

    assert result.record.cost_source is CostSource.ESTIMATED


INVALID_RECORDS: list[tuple[str, dict[str, Any]]] = [
    ("record.occurred_at", {"occurred_at": datetime(2024, 3, 10, 6, 30)}),
    ("record.occurred_at", {"occurred_at": datetime(2200, 1, 1, tzinfo=UTC)}),
    ("record.occurred_at", {"occurred_at": datetime(1969, 12, 31, 23, 59, tzinfo=UTC)}),
    ("record.model", {"model": ""}),
    ("record.model", {"model": " gpt-4o"}),
    ("record.model", {"model": "m" * 129}),
    ("record.input_tokens", {"input_tokens": -1}),
    ("record.input_tokens", {"input_tokens": 1_000_000_001}),
    ("record.input_tokens", {"input_tokens": True}),
    ("record.output_tokens", {"output_tokens": -1}),
    ("record.output_tokens", {"output_tokens": 1_000_000_001}),
    ("record.cost_usd", {"cost_usd": Decimal("-0.000000001")}),
    ("record.cost_usd", {"cost_usd": Decimal("NaN")}),
    ("record.cost_usd", {"cost_usd": Decimal("sNaN")}),
    ("record.cost_usd", {"cost_usd": Decimal("Infinity")}),
    ("record.cost_usd", {"cost_usd": Decimal("-Infinity")}),
    ("record.cost_usd", {"cost_usd": Decimal("1000000.000000001")}),
    ("record.cost_usd", {"cost_usd": 0.5}),
    ("record.cost_usd", {"cost_usd": "0.5"}),
    ("record.cost_source", {"cost_source": "guessed"}),
    ("record.price_ref", {"cost_source": CostSource.ESTIMATED}),
    ("record.price_ref", {"price_ref": "prices:gpt-4o@2024-03-01"}),
    (
        "record.price_ref",
        {"cost_source": CostSource.UNPRICED, "cost_usd": 0, "price_ref": "prices:x"},
    ),
    ("record.cost_usd", {"cost_source": CostSource.UNPRICED, "cost_usd": Decimal("0.01")}),
    (
        "record.cost_usd",
        {"cost_source": CostSource.UNPRICED, "cost_usd": Decimal("0.0000000006")},
    ),
    (
        "record.price_ref",
        {"cost_source": CostSource.ESTIMATED, "price_ref": "p" * 129},
    ),
    (
        "record.price_ref",
        {"cost_source": CostSource.ESTIMATED, "price_ref": "prices:\x07gpt"},
    ),
    ("record.price_ref", {"cost_source": CostSource.ESTIMATED, "price_ref": ""}),
    ("record.user_id", {"user_id": ""}),
    ("record.user_id", {"user_id": "u\x001"}),
    ("record.feature_tag", {"feature_tag": ""}),
    ("record.feature_tag", {"feature_tag": "chat.reply "}),
    ("record.request_id", {"request_id": "r" * 129}),
    ("record.workflow_id", {"workflow_id": "\n"}),
    ("record.skill_id", {"skill_id": "s\ud800"}),
    ("record.is_retry", {"is_retry": 1}),
    ("record.is_synthetic", {"is_synthetic": None}),
    # Several broken fields: the first one in field order is reported.
    ("record.input_tokens", {"input_tokens": -1, "cost_usd": Decimal("NaN")}),
    ("record.cost_usd", {"cost_usd": Decimal("NaN"), "user_id": ""}),
    (
        "record.cost_usd",
        {"cost_source": CostSource.UNPRICED, "cost_usd": Decimal(1), "price_ref": "p"},
    ),
]


@pytest.mark.parametrize(("field", "changes"), INVALID_RECORDS)
async def test_cost_record_invalid_field(
    backend: Harness, field: str, changes: dict[str, Any]
) -> None:
    before = await backend.row_counts()

    with pytest.raises(InvalidInput) as raised:
        await _create(backend, "t1", changed(REQ_1, **changes))

    assert raised.value.field == field
    assert await backend.row_counts() == before


async def test_cost_record_not_a_model(backend: Harness) -> None:
    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_writes.create_cost_record("t1", record={"model": "m1"})  # type: ignore[arg-type]

    assert raised.value.field == "record"


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_cost_record_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    before = await backend.row_counts()

    with pytest.raises(InvalidInput) as raised:
        await _create(backend, tenant_id, changed(REQ_1, input_tokens=-1))

    assert raised.value.field == "tenant_id"
    assert await backend.row_counts() == before


async def test_cost_record_error_keeps_unit_usable(backend: Harness) -> None:
    await _create(backend, "t1", REQ_1)

    async with backend.uow() as uow:
        kept = await uow.cost_writes.create_cost_record("t1", record=plain_record("kept-1"))
        with pytest.raises(Conflict):
            await uow.cost_writes.create_cost_record("t1", record=changed(REQ_1, model="x"))
        with pytest.raises(InvalidInput):
            await uow.cost_writes.create_cost_record("t1", record=changed(REQ_1, model=""))
        after = await uow.cost_writes.create_cost_record("t1", record=plain_record("after-1"))

    assert kept.outcome is WriteOutcome.CREATED
    assert after.outcome is WriteOutcome.CREATED
    assert (await backend.row_counts())["cost_records"] == 3


async def test_cost_record_rolled_back_with_unit(backend: Harness) -> None:
    with pytest.raises(RuntimeError):
        async with backend.uow() as uow:
            await uow.cost_writes.create_cost_record("t1", record=REQ_1)
            raise RuntimeError("abandon the unit of work")

    result = await _create(backend, "t1", REQ_1)

    assert result.outcome is WriteOutcome.CREATED
    assert (await backend.row_counts())["cost_records"] == 1


async def test_cost_record_replay_inside_one_unit(backend: Harness) -> None:
    async with backend.uow() as uow:
        first = await uow.cost_writes.create_cost_record("t1", record=REQ_1)
        replay = await uow.cost_writes.create_cost_record("t1", record=REQ_1)

    assert first.outcome is WriteOutcome.CREATED
    assert replay.outcome is WriteOutcome.UNCHANGED
    assert replay.record == first.record


async def test_cost_record_concurrent_replays(backend: Harness) -> None:
    first = await _create(backend, "t1", REQ_1)

    results = await asyncio.gather(*(_create(backend, "t1", REQ_1) for _ in range(10)))

    assert {result.outcome for result in results} == {WriteOutcome.UNCHANGED}
    assert {result.record.id for result in results} == {first.record.id}


async def test_cost_record_concurrent_first_writes(backend: Harness) -> None:
    results = await asyncio.gather(*(_create(backend, "t1", REQ_1) for _ in range(10)))

    outcomes = [result.outcome for result in results]
    assert outcomes.count(WriteOutcome.CREATED) == 1
    assert outcomes.count(WriteOutcome.UNCHANGED) == 9
    assert len({result.record.id for result in results}) == 1
    assert (await backend.row_counts())["cost_records"] == 1


RAW_COLUMNS = (
    "tenant_id, id, occurred_at, recorded_at, model, input_tokens, output_tokens, "
    "cost_nanos, cost_source, price_ref, is_retry, is_synthetic"
)


def _raw_insert(row_id: str, cost_nanos: int, cost_source: str, price_ref: str | None) -> str:
    price = "NULL" if price_ref is None else f"'{price_ref}'"
    return (
        f"INSERT INTO cost_records ({RAW_COLUMNS}) VALUES ('t1', '{row_id}', "
        "'2024-03-10 06:30:00.000000', '2024-03-10 12:00:00.000000', 'm1', 1, 1, "
        f"{cost_nanos}, '{cost_source}', {price}, false, false)"
    )


async def test_table_accepts_raw_valid_provenance(backend: Harness) -> None:
    await backend.execute_sql(_raw_insert("cr_raw_1", 5, "estimated", "prices:m1"))
    await backend.execute_sql(_raw_insert("cr_raw_2", 0, "unpriced", None))

    assert (await backend.row_counts())["cost_records"] == 2


@pytest.mark.parametrize(
    ("cost_nanos", "cost_source", "price_ref"),
    [
        (5, "estimated", None),
        (5, "reported", "prices:m1"),
        (0, "unpriced", "prices:m1"),
        (1, "unpriced", None),
    ],
)
async def test_table_rejects_raw_broken_provenance(
    backend: Harness, cost_nanos: int, cost_source: str, price_ref: str | None
) -> None:
    # Raw SQL outside the ports surfaces the driver's own exception type.
    with pytest.raises(Exception):  # noqa: B017
        await backend.execute_sql(_raw_insert("cr_raw", cost_nanos, cost_source, price_ref))

    assert (await backend.row_counts())["cost_records"] == 0


# ---------------------------------------------------------------------------
# create_or_update_budget
# ---------------------------------------------------------------------------


async def _budget(harness: Harness, tenant_id: str, **arguments: Any) -> WriteResult[Budget]:
    async with harness.uow() as uow:
        return await uow.cost_writes.create_or_update_budget(tenant_id, **arguments)


TENANT_DAILY_100: dict[str, Any] = {
    "budget_type": EntityType.TENANT,
    "daily_limit_usd": Decimal("100"),
}


async def test_budget_created(backend: Harness) -> None:
    result = await _budget(backend, "t1", **TENANT_DAILY_100)

    assert result.outcome is WriteOutcome.CREATED
    budget = result.record
    assert budget.id == generated_id("cb", 1)
    assert budget.tenant_id == "t1"
    assert budget.budget_type is EntityType.TENANT
    assert budget.entity_id is None
    assert budget.daily_limit_usd == Decimal("100.000000000")
    assert budget.daily_limit_usd.as_tuple().exponent == -9
    assert budget.monthly_limit_usd is None
    assert budget.warn_threshold_pct == 80
    assert budget.hard_limit_enabled is False
    assert budget.is_active is True
    assert budget.created_at == backend.clock.now
    assert budget.updated_at == backend.clock.now
    assert budget.created_at.tzinfo is UTC


async def test_budget_same_values_unchanged(backend: Harness) -> None:
    first = await _budget(backend, "t1", **TENANT_DAILY_100)
    backend.clock.now = CLOCK_LATER

    again = await _budget(backend, "t1", **TENANT_DAILY_100)

    assert again.outcome is WriteOutcome.UNCHANGED
    assert again.record == first.record
    assert (await backend.row_counts())["cost_budgets"] == 1


async def test_budget_new_limit_updated(backend: Harness) -> None:
    first = await _budget(backend, "t1", **TENANT_DAILY_100)
    backend.clock.now = CLOCK_LATER

    result = await _budget(
        backend, "t1", budget_type=EntityType.TENANT, daily_limit_usd=Decimal("150")
    )

    assert result.outcome is WriteOutcome.UPDATED
    assert result.record.id == first.record.id
    assert result.record.daily_limit_usd == Decimal("150.000000000")
    assert result.record.created_at == first.record.created_at
    assert result.record.updated_at == CLOCK_LATER
    assert (await backend.row_counts())["cost_budgets"] == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"daily_limit_usd": Decimal("100.000000001")},
        {"monthly_limit_usd": Decimal("3000")},
        {"warn_threshold_pct": 81},
        {"hard_limit_enabled": True},
        {"is_active": False},
    ],
)
async def test_budget_each_value_updates(backend: Harness, changes: dict[str, Any]) -> None:
    first = await _budget(backend, "t1", **TENANT_DAILY_100)

    result = await _budget(backend, "t1", **(TENANT_DAILY_100 | changes))
    again = await _budget(backend, "t1", **(TENANT_DAILY_100 | changes))

    assert result.outcome is WriteOutcome.UPDATED
    assert result.record.id == first.record.id
    assert again.outcome is WriteOutcome.UNCHANGED


async def test_budget_unchanged_after_rounding(backend: Harness) -> None:
    await _budget(backend, "t1", **TENANT_DAILY_100)

    result = await _budget(
        backend, "t1", budget_type="tenant", daily_limit_usd=Decimal("100.0000000004")
    )

    assert result.outcome is WriteOutcome.UNCHANGED


async def test_budget_limit_cleared_with_none(backend: Harness) -> None:
    both = {"daily_limit_usd": Decimal("100"), "monthly_limit_usd": Decimal("2000")}
    await _budget(backend, "t1", budget_type=EntityType.TENANT, **both)

    result = await _budget(
        backend, "t1", budget_type=EntityType.TENANT, monthly_limit_usd=Decimal("2000")
    )

    assert result.outcome is WriteOutcome.UPDATED
    assert result.record.daily_limit_usd is None
    assert result.record.monthly_limit_usd == Decimal("2000.000000000")


async def test_budget_deactivated_and_reactivated(backend: Harness) -> None:
    first = await _budget(backend, "t1", **TENANT_DAILY_100)

    off = await _budget(backend, "t1", **TENANT_DAILY_100, is_active=False)
    on = await _budget(backend, "t1", **TENANT_DAILY_100, is_active=True)

    assert off.outcome is WriteOutcome.UPDATED
    assert off.record.is_active is False
    assert on.outcome is WriteOutcome.UPDATED
    assert on.record.is_active is True
    assert on.record.id == first.record.id


async def test_budget_feature_is_second_budget(backend: Harness) -> None:
    tenant = await _budget(backend, "t1", **TENANT_DAILY_100)

    feature = await _budget(
        backend,
        "t1",
        budget_type=EntityType.FEATURE,
        entity_id="chat.reply",
        monthly_limit_usd=Decimal("50"),
    )

    assert feature.outcome is WriteOutcome.CREATED
    assert feature.record.id != tenant.record.id
    assert feature.record.entity_id == "chat.reply"
    assert feature.record.daily_limit_usd is None
    assert feature.record.monthly_limit_usd == Decimal("50.000000000")
    assert (await backend.row_counts())["cost_budgets"] == 2


async def test_budget_user_and_feature_distinct(backend: Harness) -> None:
    limit = {"entity_id": "x1", "daily_limit_usd": Decimal("5")}

    user = await _budget(backend, "t1", budget_type=EntityType.USER, **limit)
    feature = await _budget(backend, "t1", budget_type=EntityType.FEATURE, **limit)

    assert user.outcome is WriteOutcome.CREATED
    assert feature.outcome is WriteOutcome.CREATED
    assert user.record.budget_type is EntityType.USER
    assert feature.record.budget_type is EntityType.FEATURE
    assert user.record.id != feature.record.id


async def test_budget_entity_ids_case_sensitive(backend: Harness) -> None:
    limit = {"budget_type": EntityType.FEATURE, "daily_limit_usd": Decimal("5")}

    lower = await _budget(backend, "t1", entity_id="chat.reply", **limit)
    upper = await _budget(backend, "t1", entity_id="Chat.Reply", **limit)

    assert upper.outcome is WriteOutcome.CREATED
    assert upper.record.id != lower.record.id


async def test_budget_type_string_accepted(backend: Harness) -> None:
    member = await _budget(backend, "t1", **TENANT_DAILY_100)

    text = await _budget(backend, "t1", budget_type="tenant", daily_limit_usd=Decimal("100"))

    assert text.outcome is WriteOutcome.UNCHANGED
    assert text.record.id == member.record.id


async def test_budget_per_tenant(backend: Harness) -> None:
    t2_first = await _budget(backend, "t2", **TENANT_DAILY_100, warn_threshold_pct=50)

    t1 = await _budget(backend, "t1", **TENANT_DAILY_100)
    await _budget(backend, "t1", **TENANT_DAILY_100, hard_limit_enabled=True)
    t2_again = await _budget(backend, "t2", **TENANT_DAILY_100, warn_threshold_pct=50)

    assert t1.outcome is WriteOutcome.CREATED
    assert t1.record.id != t2_first.record.id
    assert t2_again.outcome is WriteOutcome.UNCHANGED
    assert t2_again.record == t2_first.record


async def test_budget_concurrent_creates_leave_one_row(backend: Harness) -> None:
    results = await asyncio.gather(
        _budget(backend, "t1", **TENANT_DAILY_100),
        _budget(backend, "t1", budget_type=EntityType.TENANT, daily_limit_usd=Decimal("150")),
    )

    outcomes = sorted(result.outcome.value for result in results)
    assert outcomes == ["created", "updated"]
    assert results[0].record.id == results[1].record.id
    assert (await backend.row_counts())["cost_budgets"] == 1


async def test_budget_concurrent_identical_calls(backend: Harness) -> None:
    results = await asyncio.gather(
        _budget(backend, "t1", **TENANT_DAILY_100), _budget(backend, "t1", **TENANT_DAILY_100)
    )

    outcomes = sorted(result.outcome.value for result in results)
    assert outcomes == ["created", "unchanged"]
    assert (await backend.row_counts())["cost_budgets"] == 1


async def test_budget_later_commit_wins(backend: Harness) -> None:
    await _budget(backend, "t1", **TENANT_DAILY_100)

    await asyncio.gather(
        _budget(backend, "t1", budget_type=EntityType.TENANT, daily_limit_usd=Decimal("150")),
        _budget(backend, "t1", budget_type=EntityType.TENANT, daily_limit_usd=Decimal("200")),
    )
    final = await _budget(backend, "t1", budget_type=EntityType.TENANT, daily_limit_usd=Decimal(1))

    # Whichever call committed last, the row exists once and is updated again now.
    assert final.outcome is WriteOutcome.UPDATED
    assert (await backend.row_counts())["cost_budgets"] == 1


INVALID_BUDGETS: list[tuple[str, dict[str, Any]]] = [
    ("budget_type", {"budget_type": "team"}),
    ("budget_type", {"budget_type": "Tenant"}),
    ("budget_type", {"budget_type": None}),
    ("entity_id", {"entity_id": "t1"}),
    ("entity_id", {"entity_id": ""}),
    ("entity_id", {"budget_type": EntityType.USER}),
    ("entity_id", {"budget_type": EntityType.FEATURE, "entity_id": ""}),
    ("entity_id", {"budget_type": EntityType.USER, "entity_id": " u1"}),
    ("entity_id", {"budget_type": EntityType.USER, "entity_id": "u" * 129}),
    ("daily_limit_usd", {"daily_limit_usd": None}),
    ("daily_limit_usd", {"daily_limit_usd": Decimal(0)}),
    ("daily_limit_usd", {"daily_limit_usd": Decimal("0.0000000004")}),
    ("daily_limit_usd", {"daily_limit_usd": Decimal("-1")}),
    ("daily_limit_usd", {"daily_limit_usd": Decimal("1000000000.000000001")}),
    ("daily_limit_usd", {"daily_limit_usd": Decimal("NaN")}),
    ("daily_limit_usd", {"daily_limit_usd": Decimal("Infinity")}),
    ("daily_limit_usd", {"daily_limit_usd": 100.0}),
    ("monthly_limit_usd", {"monthly_limit_usd": Decimal(0)}),
    ("monthly_limit_usd", {"monthly_limit_usd": Decimal("1E+10")}),
    ("warn_threshold_pct", {"warn_threshold_pct": 0}),
    ("warn_threshold_pct", {"warn_threshold_pct": 101}),
    ("warn_threshold_pct", {"warn_threshold_pct": True}),
    ("warn_threshold_pct", {"warn_threshold_pct": Decimal(80)}),
    ("hard_limit_enabled", {"hard_limit_enabled": 1}),
    ("is_active", {"is_active": None}),
    # Several broken arguments: the first one in signature order is reported.
    ("entity_id", {"entity_id": "t1", "daily_limit_usd": Decimal(-1)}),
    ("daily_limit_usd", {"daily_limit_usd": None, "warn_threshold_pct": 0}),
]


@pytest.mark.parametrize(("field", "changes"), INVALID_BUDGETS)
async def test_budget_invalid_argument(
    backend: Harness, field: str, changes: dict[str, Any]
) -> None:
    before = await backend.row_counts()

    with pytest.raises(InvalidInput) as raised:
        await _budget(backend, "t1", **(TENANT_DAILY_100 | changes))

    assert raised.value.field == field
    assert await backend.row_counts() == before


async def test_budget_accepts_integer_limits(backend: Harness) -> None:
    result = await _budget(backend, "t1", budget_type=EntityType.TENANT, monthly_limit_usd=1)

    assert result.record.monthly_limit_usd == Decimal("1.000000000")


async def test_budget_accepts_bounds(backend: Harness) -> None:
    result = await _budget(
        backend,
        "t1",
        budget_type=EntityType.USER,
        entity_id="u" * 128,
        daily_limit_usd=Decimal("0.000000001"),
        monthly_limit_usd=Decimal("1000000000"),
        warn_threshold_pct=100,
    )

    assert result.record.daily_limit_usd == Decimal("1E-9")
    assert result.record.monthly_limit_usd == Decimal("1000000000.000000000")
    assert result.record.warn_threshold_pct == 100


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_budget_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _budget(backend, tenant_id, budget_type="team")

    assert raised.value.field == "tenant_id"


async def test_budget_error_keeps_unit_usable(backend: Harness) -> None:
    async with backend.uow() as uow:
        with pytest.raises(InvalidInput):
            await uow.cost_writes.create_or_update_budget("t1", budget_type=EntityType.TENANT)
        result = await uow.cost_writes.create_or_update_budget("t1", **TENANT_DAILY_100)

    assert result.outcome is WriteOutcome.CREATED
    assert (await backend.row_counts())["cost_budgets"] == 1


async def test_budget_rolled_back_with_unit(backend: Harness) -> None:
    with pytest.raises(RuntimeError):
        async with backend.uow() as uow:
            await uow.cost_writes.create_or_update_budget("t1", **TENANT_DAILY_100)
            raise RuntimeError("abandon the unit of work")

    result = await _budget(backend, "t1", **TENANT_DAILY_100)

    assert result.outcome is WriteOutcome.CREATED


async def test_budget_outcomes_inside_one_unit(backend: Harness) -> None:
    async with backend.uow() as uow:
        writes = uow.cost_writes
        created = await writes.create_or_update_budget("t1", **TENANT_DAILY_100)
        unchanged = await writes.create_or_update_budget("t1", **TENANT_DAILY_100)
        updated = await writes.create_or_update_budget(
            "t1", **TENANT_DAILY_100, hard_limit_enabled=True
        )

    assert created.outcome is WriteOutcome.CREATED
    assert unchanged.outcome is WriteOutcome.UNCHANGED
    assert updated.outcome is WriteOutcome.UPDATED
    assert updated.record.id == created.record.id


# ---------------------------------------------------------------------------
# Feature tags
# ---------------------------------------------------------------------------


async def _create_tag(harness: Harness, tenant_id: str, tag: str, **fields: Any) -> FeatureTag:
    arguments = {"display_name": f"Tag {tag}"} | fields
    async with harness.uow() as uow:
        return await uow.cost_writes.create_feature_tag(tenant_id, tag=tag, **arguments)


async def _update_tag(harness: Harness, tenant_id: str, tag: str, **fields: Any) -> FeatureTag:
    async with harness.uow() as uow:
        return await uow.cost_writes.update_feature_tag(tenant_id, tag=tag, **fields)


async def _get_tag(harness: Harness, tenant_id: str, tag: str) -> FeatureTag | None:
    async with harness.uow() as uow:
        return await uow.cost_writes.get_feature_tag(tenant_id, tag=tag)


async def _list_tags(harness: Harness, tenant_id: str, **arguments: Any) -> list[str]:
    async with harness.uow() as uow:
        tags = await uow.cost_writes.list_feature_tags(tenant_id, **arguments)
    return [tag.tag for tag in tags]


CHAT_REPLY: dict[str, Any] = {"display_name": "Chat replies", "budget_usd": Decimal("250")}


async def test_feature_tag_created(backend: Harness) -> None:
    tag = await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY)

    assert tag.tenant_id == "t1"
    assert tag.tag == "chat.reply"
    assert tag.display_name == "Chat replies"
    assert tag.description is None
    assert tag.budget_usd == Decimal("250.000000000")
    assert tag.budget_usd.as_tuple().exponent == -9
    assert tag.is_active is True
    assert tag.created_at == backend.clock.now
    assert tag.updated_at == backend.clock.now
    assert tag.created_at.tzinfo is UTC


async def test_feature_tag_keeps_text_exactly(backend: Harness) -> None:
    description = "Replies in chat.\n\tIncludes retries: ü, 中文."

    tag = await _create_tag(backend, "t1", "chat.reply", description=description)

    assert tag.description == description
    assert tag.budget_usd is None


async def test_feature_tag_duplicate(backend: Harness) -> None:
    first = await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY)
    backend.clock.now = CLOCK_LATER

    with pytest.raises(Conflict) as raised:
        await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY)

    assert raised.value.reason == "duplicate"
    assert await _get_tag(backend, "t1", "chat.reply") == first


async def test_feature_tag_duplicate_other_payload(backend: Harness) -> None:
    first = await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY)

    with pytest.raises(Conflict) as raised:
        await _create_tag(backend, "t1", "chat.reply", display_name="Other", description="x")

    assert raised.value.reason == "duplicate"
    assert await _get_tag(backend, "t1", "chat.reply") == first


async def test_feature_tag_duplicate_of_inactive(backend: Harness) -> None:
    await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY)
    inactive = await _update_tag(backend, "t1", "chat.reply", is_active=False)

    with pytest.raises(Conflict) as raised:
        await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY)

    assert raised.value.reason == "duplicate"
    assert await _get_tag(backend, "t1", "chat.reply") == inactive


async def test_feature_tag_case_sensitive(backend: Harness) -> None:
    lower = await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY)

    upper = await _create_tag(backend, "t1", "Chat.Reply", **CHAT_REPLY)

    assert upper.tag == "Chat.Reply"
    assert await _get_tag(backend, "t1", "chat.reply") == lower
    assert (await backend.row_counts())["feature_tags"] == 2


async def test_feature_tag_per_tenant(backend: Harness) -> None:
    await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY)

    t2 = await _create_tag(backend, "t2", "chat.reply", display_name="Other")

    assert t2.tenant_id == "t2"
    assert t2.display_name == "Other"


async def test_feature_tag_concurrent_creates(backend: Harness) -> None:
    results = await asyncio.gather(
        _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY),
        _create_tag(backend, "t1", "chat.reply", display_name="Other"),
        return_exceptions=True,
    )

    tags = [result for result in results if isinstance(result, FeatureTag)]
    conflicts = [result for result in results if isinstance(result, Conflict)]
    assert len(tags) == 1
    assert len(conflicts) == 1
    assert conflicts[0].reason == "duplicate"
    assert (await backend.row_counts())["feature_tags"] == 1


INVALID_NEW_TAGS: list[tuple[str, dict[str, Any]]] = [
    ("tag", {"tag": " chat.reply"}),
    ("tag", {"tag": ""}),
    ("tag", {"tag": "t" * 129}),
    ("tag", {"tag": "chat\x00reply"}),
    ("tag", {"tag": None}),
    ("display_name", {"display_name": ""}),
    ("display_name", {"display_name": "d" * 257}),
    ("display_name", {"display_name": "Chat "}),
    ("display_name", {"display_name": None}),
    ("description", {"description": "d" * 4097}),
    ("description", {"description": "a\x00b"}),
    ("description", {"description": 5}),
    ("budget_usd", {"budget_usd": Decimal(0)}),
    ("budget_usd", {"budget_usd": Decimal("-5")}),
    ("budget_usd", {"budget_usd": Decimal("1000000000.000000001")}),
    ("budget_usd", {"budget_usd": Decimal("NaN")}),
    ("budget_usd", {"budget_usd": 2.5}),
    ("tag", {"tag": "", "display_name": ""}),
    ("display_name", {"display_name": "", "budget_usd": Decimal(0)}),
]


@pytest.mark.parametrize(("field", "changes"), INVALID_NEW_TAGS)
async def test_feature_tag_create_invalid(
    backend: Harness, field: str, changes: dict[str, Any]
) -> None:
    arguments = {"tag": "chat.reply", **CHAT_REPLY, **changes}
    before = await backend.row_counts()

    with pytest.raises(InvalidInput) as raised:
        async with backend.uow() as uow:
            await uow.cost_writes.create_feature_tag("t1", **arguments)

    assert raised.value.field == field
    assert await backend.row_counts() == before


async def test_feature_tag_create_accepts_bounds(backend: Harness) -> None:
    tag = await _create_tag(
        backend,
        "t1",
        "t" * 128,
        display_name="d" * 256,
        description="x" * 4096,
        budget_usd=Decimal("1000000000"),
    )

    assert tag.budget_usd == Decimal("1000000000.000000000")


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_feature_tag_create_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _create_tag(backend, tenant_id, "")

    assert raised.value.field == "tenant_id"


async def test_feature_tag_error_keeps_unit_usable(backend: Harness) -> None:
    await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY)

    async with backend.uow() as uow:
        writes = uow.cost_writes
        with pytest.raises(Conflict):
            await writes.create_feature_tag("t1", tag="chat.reply", display_name="Again")
        with pytest.raises(NotFound):
            await writes.update_feature_tag("t1", tag="missing", is_active=False)
        with pytest.raises(InvalidInput):
            await writes.update_feature_tag("t1", tag="chat.reply")
        created = await writes.create_feature_tag("t1", tag="search.rank", display_name="Search")

    assert await _get_tag(backend, "t1", "search.rank") == created


async def test_feature_tag_rolled_back_with_unit(backend: Harness) -> None:
    with pytest.raises(RuntimeError):
        async with backend.uow() as uow:
            await uow.cost_writes.create_feature_tag("t1", tag="chat.reply", display_name="C")
            raise RuntimeError("abandon the unit of work")

    assert await _get_tag(backend, "t1", "chat.reply") is None


async def test_feature_tag_update_clears_budget(backend: Harness) -> None:
    first = await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY)
    backend.clock.now = CLOCK_LATER

    tag = await _update_tag(backend, "t1", "chat.reply", budget_usd=None)

    assert tag.budget_usd is None
    assert tag.updated_at == CLOCK_LATER
    assert tag.created_at == first.created_at
    assert tag.display_name == "Chat replies"


async def test_feature_tag_update_deactivates(backend: Harness) -> None:
    await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY)

    tag = await _update_tag(backend, "t1", "chat.reply", is_active=False)

    assert tag.is_active is False
    assert await _get_tag(backend, "t1", "chat.reply") == tag


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"display_name": "Replies"}, {"display_name": "Replies"}),
        ({"description": "All replies"}, {"description": "All replies"}),
        ({"budget_usd": Decimal("12.5")}, {"budget_usd": Decimal("12.500000000")}),
        ({"is_active": False}, {"is_active": False}),
    ],
)
async def test_feature_tag_update_one_field(
    backend: Harness, changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    first = await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY, description="Old")
    backend.clock.now = CLOCK_LATER

    tag = await _update_tag(backend, "t1", "chat.reply", **changes)

    assert tag.model_dump() == first.model_dump() | expected | {"updated_at": CLOCK_LATER}


async def test_feature_tag_update_clears_description(backend: Harness) -> None:
    await _create_tag(backend, "t1", "chat.reply", description="Old")

    tag = await _update_tag(backend, "t1", "chat.reply", description=None)

    assert tag.description is None


async def test_feature_tag_update_reactivates(backend: Harness) -> None:
    await _create_tag(backend, "t1", "chat.reply")
    await _update_tag(backend, "t1", "chat.reply", is_active=False)

    tag = await _update_tag(backend, "t1", "chat.reply", is_active=True)

    assert tag.is_active is True


async def test_feature_tag_update_without_change(backend: Harness) -> None:
    first = await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY)
    backend.clock.now = CLOCK_LATER

    tag = await _update_tag(
        backend,
        "t1",
        "chat.reply",
        display_name="Chat replies",
        description=None,
        budget_usd=Decimal("250.0000000001"),
        is_active=True,
    )

    assert tag == first
    assert tag.updated_at == first.updated_at


async def test_feature_tag_update_unknown(backend: Harness) -> None:
    await _create_tag(backend, "t1", "chat.reply")

    with pytest.raises(NotFound):
        await _update_tag(backend, "t2", "nope", is_active=False)


async def test_feature_tag_update_other_tenants_tag(backend: Harness) -> None:
    await _create_tag(backend, "t2", "chat.reply")
    before = await backend.row_counts()

    with pytest.raises(NotFound):
        await _update_tag(backend, "t1", "chat.reply", is_active=False)

    assert await backend.row_counts() == before


async def test_feature_tag_update_leaves_other_tenant(backend: Harness) -> None:
    t2 = await _create_tag(backend, "t2", "chat.reply", **CHAT_REPLY)
    await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY)

    await _update_tag(backend, "t1", "chat.reply", display_name="New", is_active=False)

    assert await _get_tag(backend, "t2", "chat.reply") == t2


INVALID_UPDATES: list[tuple[str, dict[str, Any]]] = [
    ("display_name", {}),
    ("display_name", {"display_name": None}),
    ("display_name", {"display_name": ""}),
    ("display_name", {"display_name": "d" * 257}),
    ("description", {"description": "d" * 4097}),
    ("budget_usd", {"budget_usd": Decimal(0)}),
    ("budget_usd", {"budget_usd": Decimal("sNaN")}),
    ("is_active", {"is_active": None}),
    ("is_active", {"is_active": 0}),
    ("tag", {"tag": " chat.reply", "is_active": False}),
    ("display_name", {"display_name": None, "is_active": None}),
]


@pytest.mark.parametrize(("field", "changes"), INVALID_UPDATES)
async def test_feature_tag_update_invalid(
    backend: Harness, field: str, changes: dict[str, Any]
) -> None:
    first = await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY)
    arguments = {"tag": "chat.reply"} | changes

    with pytest.raises(InvalidInput) as raised:
        async with backend.uow() as uow:
            await uow.cost_writes.update_feature_tag("t1", **arguments)

    assert raised.value.field == field
    assert await _get_tag(backend, "t1", "chat.reply") == first


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_feature_tag_update_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _update_tag(backend, tenant_id, "")

    assert raised.value.field == "tenant_id"


async def test_feature_tag_get_inactive(backend: Harness) -> None:
    await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY)
    inactive = await _update_tag(backend, "t1", "chat.reply", is_active=False)

    assert await _get_tag(backend, "t1", "chat.reply") == inactive


async def test_feature_tag_get_unknown(backend: Harness) -> None:
    await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY)

    assert await _get_tag(backend, "t1", "Chat.Reply") is None
    assert await _get_tag(backend, "t2", "chat.reply") is None


async def test_feature_tag_get_per_tenant(backend: Harness) -> None:
    await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY)
    t2 = await _create_tag(backend, "t2", "chat.reply", display_name="Other")

    assert await _get_tag(backend, "t2", "chat.reply") == t2


@pytest.mark.parametrize(
    ("tenant_id", "tag", "field"),
    [(tenant_id, "chat.reply", "tenant_id") for tenant_id in INVALID_TENANT_IDS]
    + [("t1", "", "tag"), ("t1", "chat.reply\n", "tag"), ("t1", "t" * 129, "tag")],
)
async def test_feature_tag_get_invalid(
    backend: Harness, tenant_id: str, tag: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _get_tag(backend, tenant_id, tag)

    assert raised.value.field == field


async def _load_example_tags(harness: Harness) -> None:
    for tag in ("search.rank", "chat.reply", "Chat.Reply"):
        await _create_tag(harness, "t1", tag)
    await _update_tag(harness, "t1", "search.rank", is_active=False)
    await _create_tag(harness, "t2", "a.t2-only")
    await _create_tag(harness, "t2", "chat.reply")


async def test_feature_tag_list_binary_order(backend: Harness) -> None:
    await _load_example_tags(backend)

    assert await _list_tags(backend, "t1") == ["Chat.Reply", "chat.reply", "search.rank"]


async def test_feature_tag_list_active_only(backend: Harness) -> None:
    await _load_example_tags(backend)

    assert await _list_tags(backend, "t1", is_active=True) == ["Chat.Reply", "chat.reply"]


async def test_feature_tag_list_inactive_only(backend: Harness) -> None:
    await _load_example_tags(backend)

    assert await _list_tags(backend, "t1", is_active=False) == ["search.rank"]


async def test_feature_tag_list_upper_case_first(backend: Harness) -> None:
    for tag in ("a", "B", "_", "a.b", "a_b", "Ä"):
        await _create_tag(backend, "t1", tag)

    assert await _list_tags(backend, "t1") == ["B", "_", "a", "a.b", "a_b", "Ä"]


async def test_feature_tag_list_returns_models(backend: Harness) -> None:
    created = await _create_tag(backend, "t1", "chat.reply", **CHAT_REPLY)

    async with backend.uow() as uow:
        tags = await uow.cost_writes.list_feature_tags("t1")

    assert tags == [created]


async def test_feature_tag_list_per_tenant(backend: Harness) -> None:
    await _load_example_tags(backend)

    assert await _list_tags(backend, "t2") == ["a.t2-only", "chat.reply"]


async def test_feature_tag_list_empty(backend: Harness) -> None:
    await _create_tag(backend, "t2", "chat.reply")

    assert await _list_tags(backend, "t1") == []


async def test_feature_tag_list_limit(backend: Harness) -> None:
    await _load_example_tags(backend)

    assert await _list_tags(backend, "t1", limit=2) == ["Chat.Reply", "chat.reply"]
    assert await _list_tags(backend, "t1", limit=1) == ["Chat.Reply"]
    assert await _list_tags(backend, "t1", limit=5000) == [
        "Chat.Reply",
        "chat.reply",
        "search.rank",
    ]


async def test_feature_tag_list_default_limit(backend: Harness) -> None:
    async with backend.uow() as uow:
        for index in range(501):
            await uow.cost_writes.create_feature_tag("t1", tag=f"tag-{index:03d}", display_name="T")

    tags = await _list_tags(backend, "t1")

    assert len(tags) == 500
    assert tags[-1] == "tag-499"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 5001}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": True}, "limit"),
        ({"limit": None}, "limit"),
        ({"is_active": 1}, "is_active"),
        ({"is_active": "yes"}, "is_active"),
        ({"is_active": 1, "limit": 0}, "is_active"),
    ],
)
async def test_feature_tag_list_invalid(
    backend: Harness, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _list_tags(backend, "t1", **arguments)

    assert raised.value.field == field


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_feature_tag_list_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _list_tags(backend, tenant_id, limit=0)

    assert raised.value.field == "tenant_id"
