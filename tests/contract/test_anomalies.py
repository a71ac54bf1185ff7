"""Stored anomalies: one open row per key, listing by last detection, resolution."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from analytics.domain import (
    AnomalySeverity,
    AnomalyType,
    BudgetPeriod,
    CostAnomaly,
    DerivedCause,
    EntityType,
    NewAnomaly,
    WriteOutcome,
    WriteResult,
)
from analytics.ports import InvalidInput, NotFound
from tests.contract.bookkeeping_data import (
    INVALID_TENANT_IDS,
    budget_anomaly,
    session_time_zone_units,
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
WINDOW = {"start": utc(3, 10), "end": utc(3, 12)}

# Steps of the worked example, for the feature chat.reply with budget limits
# of 0.15 a day and 0.30 a month.
STEP_1 = budget_anomaly(DAILY, MARCH_10, utc(3, 10, 15), "0.20", "0.15")
STEP_2 = budget_anomaly(MONTHLY, MARCH_1, utc(3, 10, 15), "0.35", "0.30")
STEP_3 = budget_anomaly(DAILY, MARCH_10, utc(3, 10, 20), "0.35", "0.15")
STEP_5 = budget_anomaly(DAILY, MARCH_11, utc(3, 11, 15), "0.20", "0.15")


def _times_ten(anomaly: NewAnomaly) -> NewAnomaly:
    return anomaly.model_copy(
        update={
            "current_value_usd": anomaly.current_value_usd * 10,
            "expected_value_usd": anomaly.expected_value_usd * 10,
        }
    )


async def _upsert(
    backend: Harness, anomaly: NewAnomaly, tenant_id: str = "t1"
) -> WriteResult[CostAnomaly]:
    async with backend.uow() as uow:
        return await uow.cost_anomalies.upsert_anomaly(tenant_id, anomaly=anomaly)


async def _list(backend: Harness, tenant_id: str = "t1", **arguments: Any) -> list[CostAnomaly]:
    window: dict[str, Any] = dict(WINDOW)
    window.update(arguments)
    async with backend.uow() as uow:
        return await uow.cost_anomalies.list_anomalies(tenant_id, **window)


async def _resolve(backend: Harness, anomaly_id: str, tenant_id: str = "t1") -> CostAnomaly:
    async with backend.uow() as uow:
        return await uow.cost_anomalies.resolve_anomaly(tenant_id, anomaly_id=anomaly_id)


async def _load_steps_1_to_5(backend: Harness, tenant_id: str = "t1") -> list[str]:
    ids = []
    for step in (STEP_1, STEP_2, STEP_3, STEP_1, STEP_5):
        ids.append((await _upsert(backend, step, tenant_id)).record.id)
    return [ids[0], ids[1], ids[4]]


# upsert_anomaly


async def test_anomaly_example_steps(backend: Harness) -> None:
    t2_rows = [await _upsert(backend, _times_ten(step), "t2") for step in (STEP_1, STEP_2)]

    step_1 = await _upsert(backend, STEP_1)
    assert step_1.outcome is WriteOutcome.CREATED
    ca_1 = step_1.record.id

    step_2 = await _upsert(backend, STEP_2)
    assert step_2.outcome is WriteOutcome.CREATED
    assert step_2.record.id != ca_1
    assert step_2.record.budget_period is MONTHLY

    step_3 = await _upsert(backend, STEP_3)
    assert step_3.outcome is WriteOutcome.UPDATED
    assert step_3.record.id == ca_1
    assert step_3.record.first_detected_at == utc(3, 10, 15)
    assert step_3.record.last_detected_at == utc(3, 10, 20)

    step_4 = await _upsert(backend, STEP_1)
    assert step_4.outcome is WriteOutcome.UNCHANGED
    assert step_4.record.id == ca_1
    assert step_4.record.current_value_usd == Decimal("0.350000000")

    step_5 = await _upsert(backend, STEP_5)
    assert step_5.outcome is WriteOutcome.CREATED
    assert step_5.record.id not in {ca_1, step_2.record.id}

    await _resolve(backend, ca_1)
    step_6 = await _upsert(backend, STEP_3)
    assert step_6.outcome is WriteOutcome.CREATED
    assert step_6.record.id not in {ca_1, step_2.record.id, step_5.record.id}
    assert step_6.record.first_detected_at == utc(3, 10, 20)

    with pytest.raises(InvalidInput) as raised:
        await _upsert(backend, budget_anomaly(MONTHLY, MARCH_10, utc(3, 10, 15), "0.35", "0.30"))
    assert raised.value.field == "anomaly.period_start"

    assert (await backend.row_counts())["cost_anomalies"] == 6
    t2_now = await _list(backend, "t2")
    assert sorted(row.id for row in t2_now) == sorted(row.record.id for row in t2_rows)
    assert {row.id: row for row in t2_now} == {row.record.id: row.record for row in t2_rows}


async def test_anomaly_created_fields(backend: Harness) -> None:
    backend.clock.now = CLOCK

    result = await _upsert(backend, STEP_1)

    record = result.record
    assert record.id.startswith("ca_")
    assert len(record.id) == 35
    assert record.tenant_id == "t1"
    assert record.anomaly_type is AnomalyType.BUDGET_EXCEEDED
    assert record.severity is AnomalySeverity.HIGH
    assert record.entity_type is EntityType.FEATURE
    assert record.entity_id == "chat.reply"
    assert record.budget_period is DAILY
    assert record.period_start == MARCH_10
    assert record.first_detected_at == utc(3, 10, 15)
    assert record.last_detected_at == utc(3, 10, 15)
    assert record.resolved is False
    assert record.resolved_at is None
    assert record.created_at == CLOCK
    assert record.updated_at == CLOCK
    assert record.budget_id == "cb_chat"
    assert record.incident_id is None
    assert record.metadata is None
    assert record.breach_count == 1
    assert record.derived_cause is None
    assert record.message == "chat.reply is over its budget"


async def test_anomaly_units(backend: Harness) -> None:
    record = (await _upsert(backend, STEP_1)).record

    assert record.current_value_usd == Decimal("0.200000000")
    assert record.current_value_usd.as_tuple().exponent == -9
    assert record.expected_value_usd == Decimal("0.150000000")
    assert record.expected_value_usd.as_tuple().exponent == -9
    assert record.deviation_pct == Decimal("33.330000")
    assert record.deviation_pct.as_tuple().exponent == -6
    assert record.threshold_pct == Decimal("100.000000")
    assert record.threshold_pct.as_tuple().exponent == -6
    assert record.first_detected_at.tzinfo is UTC
    assert record.created_at.tzinfo is UTC


async def test_anomaly_frozen(backend: Harness) -> None:
    record = (await _upsert(backend, STEP_1)).record

    with pytest.raises(ValidationError):
        record.resolved = True  # type: ignore[misc]


async def test_anomaly_non_budget_stored(backend: Harness) -> None:
    result = await _upsert(
        backend,
        spike_anomaly(
            utc(3, 10, 9),
            derived_cause=DerivedCause.RETRY_LOOP,
            breach_count=3,
            incident_id="inc-1",
            metadata={"retries": 12, "models": ["m1", "m2"], "note": {"b": 1, "a": None}},
        ),
    )

    record = result.record
    assert record.budget_period is None
    assert record.entity_id is None
    assert record.entity_type is EntityType.TENANT
    assert record.derived_cause is DerivedCause.RETRY_LOOP
    assert record.breach_count == 3
    assert record.incident_id == "inc-1"
    assert record.metadata == {"retries": 12, "models": ["m1", "m2"], "note": {"b": 1, "a": None}}


async def test_anomaly_aware_non_utc(backend: Harness) -> None:
    kolkata = timezone(timedelta(hours=5, minutes=30))

    result = await _upsert(backend, spike_anomaly(datetime(2024, 3, 10, 20, 30, tzinfo=kolkata)))

    assert result.record.first_detected_at == utc(3, 10, 15)
    assert result.record.first_detected_at.tzinfo is UTC
    assert result.record.last_detected_at.tzinfo is UTC


async def test_anomaly_same_values_later_unchanged(backend: Harness) -> None:
    backend.clock.now = CLOCK
    first = await _upsert(backend, STEP_1)
    backend.clock.now = utc(3, 10, 23)

    later = await _upsert(backend, STEP_1.model_copy(update={"detected_at": utc(3, 10, 22)}))

    assert later.outcome is WriteOutcome.UNCHANGED
    assert later.record == first.record
    assert later.record.last_detected_at == utc(3, 10, 15)
    assert later.record.updated_at == CLOCK


async def test_anomaly_older_detection_unchanged(backend: Harness) -> None:
    newer = await _upsert(backend, STEP_3)

    older = await _upsert(
        backend,
        STEP_1.model_copy(update={"current_value_usd": Decimal("0.9"), "incident_id": "inc-9"}),
    )

    assert older.outcome is WriteOutcome.UNCHANGED
    assert older.record == newer.record


async def test_anomaly_same_time_new_values_updated(backend: Harness) -> None:
    first = await _upsert(backend, STEP_1)

    again = await _upsert(backend, STEP_1.model_copy(update={"current_value_usd": Decimal("0.21")}))

    assert again.outcome is WriteOutcome.UPDATED
    assert again.record.id == first.record.id
    assert again.record.current_value_usd == Decimal("0.210000000")


REPLACED_FIELDS = [
    pytest.param("severity", AnomalySeverity.LOW, AnomalySeverity.LOW, id="severity"),
    pytest.param(
        "current_value_usd", Decimal("0.25"), Decimal("0.250000000"), id="current_value_usd"
    ),
    pytest.param(
        "expected_value_usd", Decimal("0.1"), Decimal("0.100000000"), id="expected_value_usd"
    ),
    pytest.param("deviation_pct", Decimal("40"), Decimal("40.000000"), id="deviation_pct"),
    pytest.param("threshold_pct", Decimal("80"), Decimal("80.000000"), id="threshold_pct"),
    pytest.param("breach_count", 2, 2, id="breach_count"),
    pytest.param(
        "derived_cause", DerivedCause.FEATURE_SURGE, DerivedCause.FEATURE_SURGE, id="cause"
    ),
    pytest.param("message", "still over", "still over", id="message"),
    pytest.param("budget_id", "cb_other", "cb_other", id="budget_id"),
    pytest.param("metadata", {"k": "v"}, {"k": "v"}, id="metadata"),
]


@pytest.mark.parametrize(("field", "value", "stored"), REPLACED_FIELDS)
async def test_anomaly_each_field_updates(
    backend: Harness, field: str, value: Any, stored: Any
) -> None:
    backend.clock.now = CLOCK
    first = await _upsert(backend, STEP_1)
    backend.clock.now = utc(3, 10, 23)

    changed = await _upsert(
        backend, STEP_1.model_copy(update={field: value, "detected_at": utc(3, 10, 16)})
    )

    assert changed.outcome is WriteOutcome.UPDATED
    assert changed.record.id == first.record.id
    assert getattr(changed.record, field) == stored
    assert changed.record.last_detected_at == utc(3, 10, 16)
    assert changed.record.first_detected_at == utc(3, 10, 15)
    assert changed.record.updated_at == utc(3, 10, 23)
    assert changed.record.created_at == CLOCK


async def test_anomaly_cleared_optional_fields(backend: Harness) -> None:
    await _upsert(
        backend,
        STEP_1.model_copy(update={"derived_cause": DerivedCause.UNKNOWN, "metadata": {"a": 1}}),
    )

    cleared = await _upsert(
        backend,
        STEP_1.model_copy(update={"budget_id": None, "detected_at": utc(3, 10, 16)}),
    )

    assert cleared.outcome is WriteOutcome.UPDATED
    assert cleared.record.budget_id is None
    assert cleared.record.derived_cause is None
    assert cleared.record.metadata is None


async def test_anomaly_incident_never_cleared(backend: Harness) -> None:
    await _upsert(backend, STEP_1.model_copy(update={"incident_id": "inc-1"}))

    without_link = await _upsert(backend, STEP_3)
    unchanged = await _upsert(backend, STEP_3.model_copy(update={"detected_at": utc(3, 10, 21)}))
    relinked = await _upsert(
        backend, STEP_3.model_copy(update={"incident_id": "inc-2", "detected_at": utc(3, 10, 22)})
    )

    assert without_link.outcome is WriteOutcome.UPDATED
    assert without_link.record.incident_id == "inc-1"
    assert unchanged.outcome is WriteOutcome.UNCHANGED
    assert unchanged.record.incident_id == "inc-1"
    assert relinked.outcome is WriteOutcome.UPDATED
    assert relinked.record.incident_id == "inc-2"


async def test_anomaly_incident_link_added(backend: Harness) -> None:
    await _upsert(backend, STEP_1)

    linked = await _upsert(backend, STEP_1.model_copy(update={"incident_id": "inc-1"}))
    same_link = await _upsert(backend, STEP_1.model_copy(update={"incident_id": "inc-1"}))

    assert linked.outcome is WriteOutcome.UPDATED
    assert linked.record.incident_id == "inc-1"
    assert same_link.outcome is WriteOutcome.UNCHANGED


async def test_anomaly_metadata_key_order(backend: Harness) -> None:
    first = await _upsert(
        backend, STEP_1.model_copy(update={"metadata": {"b": 2, "a": {"y": [1], "x": "s"}}})
    )

    again = await _upsert(
        backend, STEP_1.model_copy(update={"metadata": {"a": {"x": "s", "y": [1]}, "b": 2}})
    )

    assert again.outcome is WriteOutcome.UNCHANGED
    assert again.record.id == first.record.id
    assert again.record.metadata == {"a": {"x": "s", "y": [1]}, "b": 2}


async def test_anomaly_key_parts_separate(backend: Harness) -> None:
    variants = [
        STEP_1,
        STEP_1.model_copy(update={"anomaly_type": AnomalyType.BUDGET_WARNING}),
        STEP_1.model_copy(update={"entity_type": EntityType.USER}),
        STEP_1.model_copy(update={"entity_id": "chat_reply"}),
        STEP_1.model_copy(update={"budget_period": MONTHLY, "period_start": MARCH_1}),
        STEP_1.model_copy(update={"budget_period": DAILY, "period_start": MARCH_1}),
        STEP_1.model_copy(update={"entity_type": EntityType.TENANT, "entity_id": None}),
    ]

    outcomes = [(await _upsert(backend, variant)).outcome for variant in variants]

    assert outcomes == [WriteOutcome.CREATED] * 7


async def test_anomaly_concurrent_one_open_row(backend: Harness) -> None:
    first, second = await asyncio.gather(_upsert(backend, STEP_1), _upsert(backend, STEP_1))

    assert sorted([first.outcome, second.outcome]) == [WriteOutcome.CREATED, WriteOutcome.UNCHANGED]
    assert first.record.id == second.record.id
    assert (await backend.row_counts())["cost_anomalies"] == 1


async def test_anomaly_concurrent_new_values(backend: Harness) -> None:
    results = await asyncio.gather(_upsert(backend, STEP_1), _upsert(backend, STEP_3))

    assert sorted(result.outcome for result in results)[0] is WriteOutcome.CREATED
    assert (await backend.row_counts())["cost_anomalies"] == 1
    [stored] = await _list(backend)
    assert stored.last_detected_at == utc(3, 10, 20)
    assert stored.current_value_usd == Decimal("0.350000000")


async def test_anomaly_accepts_value_strings(backend: Harness) -> None:
    result = await _upsert(
        backend,
        budget_anomaly(
            "monthly",  # type: ignore[arg-type]
            MARCH_1,
            utc(3, 10, 15),
            "1",
            "0.5",
            anomaly_type="budget_warning",
            severity="low",
            entity_type="user",
            entity_id="u1",
            derived_cause="traffic_growth",
        ),
    )

    assert result.record.anomaly_type is AnomalyType.BUDGET_WARNING
    assert result.record.budget_period is MONTHLY
    assert result.record.derived_cause is DerivedCause.TRAFFIC_GROWTH


async def test_anomaly_invisible_until_commit(backend: Harness) -> None:
    async with backend.uow() as writer:
        await writer.cost_anomalies.upsert_anomaly("t1", anomaly=STEP_1)
        reader = asyncio.create_task(_list(backend))
        await asyncio.sleep(0.3)
        # A serializing backend makes the reader wait for the commit. The
        # others let it read the state before the write.
        assert reader.done() is not backend.serializes_units_of_work

    seen = await reader
    assert len(seen) == (1 if backend.serializes_units_of_work else 0)
    assert len(await _list(backend)) == 1


async def test_anomaly_rolled_back(backend: Harness) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with backend.uow() as uow:
            await uow.cost_anomalies.upsert_anomaly("t1", anomaly=STEP_1)
            raise Abort

    assert await _list(backend) == []


async def test_anomaly_session_time_zone(backend: Harness) -> None:
    backend.clock.now = CLOCK

    for index, units in enumerate(session_time_zone_units(backend)):
        tenant_id = f"tz{index}"
        async with units as factory:
            async with factory() as uow:
                for step in (STEP_1, STEP_2, STEP_3, STEP_5):
                    await uow.cost_anomalies.upsert_anomaly(tenant_id, anomaly=step)
            async with factory() as uow:
                listed = await uow.cost_anomalies.list_anomalies(tenant_id, **WINDOW)

        assert [row.last_detected_at for row in listed] == [
            utc(3, 11, 15),
            utc(3, 10, 20),
            utc(3, 10, 15),
        ]
        assert [row.period_start for row in listed] == [MARCH_11, MARCH_10, MARCH_1]
        assert {row.created_at for row in listed} == {CLOCK}


def _constructed(**changes: Any) -> NewAnomaly:
    fields: dict[str, Any] = dict(STEP_1)
    fields.update(changes)
    return NewAnomaly.model_construct(**fields)


def _changed(**changes: Any) -> NewAnomaly:
    return STEP_1.model_copy(update=changes)


UPSERT_INVALID = [
    pytest.param({"anomaly_type": "budget_exceeded"}, "anomaly", id="not-a-model"),
    pytest.param(_constructed(anomaly_type="spike"), "anomaly.anomaly_type", id="unknown-type"),
    pytest.param(_constructed(severity="critical"), "anomaly.severity", id="unknown-severity"),
    pytest.param(_constructed(entity_type="team"), "anomaly.entity_type", id="team"),
    pytest.param(_changed(entity_type=EntityType.TENANT), "anomaly.entity_id", id="tenant-with-id"),
    pytest.param(_changed(entity_id=None), "anomaly.entity_id", id="feature-without-id"),
    pytest.param(
        _changed(entity_type=EntityType.USER, entity_id=None),
        "anomaly.entity_id",
        id="user-without-id",
    ),
    pytest.param(_changed(entity_id="f" * 129), "anomaly.entity_id", id="long-id"),
    pytest.param(_changed(budget_period=None), "anomaly.budget_period", id="budget-no-period"),
    pytest.param(
        spike_anomaly(utc(3, 10), budget_period=DAILY),
        "anomaly.budget_period",
        id="spike-with-period",
    ),
    pytest.param(
        spike_anomaly(utc(3, 10), anomaly_type=AnomalyType.SUSTAINED_DRIFT, budget_period=MONTHLY),
        "anomaly.budget_period",
        id="drift-with-period",
    ),
    pytest.param(_constructed(budget_period="weekly"), "anomaly.budget_period", id="weekly"),
    pytest.param(_changed(budget_period=MONTHLY), "anomaly.period_start", id="monthly-not-first"),
    pytest.param(_changed(period_start=date(1969, 12, 1)), "anomaly.period_start", id="1969"),
    pytest.param(
        _changed(detected_at=datetime(2024, 3, 10, 15)), "anomaly.detected_at", id="naive"
    ),
    pytest.param(
        _changed(detected_at=datetime(2200, 1, 1, tzinfo=UTC)), "anomaly.detected_at", id="2200"
    ),
    pytest.param(
        _changed(current_value_usd=Decimal("-0.01")), "anomaly.current_value_usd", id="negative"
    ),
    pytest.param(
        _constructed(current_value_usd=0.2), "anomaly.current_value_usd", id="float-current"
    ),
    pytest.param(
        _changed(expected_value_usd=Decimal("-1")),
        "anomaly.expected_value_usd",
        id="negative-expected",
    ),
    pytest.param(_changed(deviation_pct=Decimal("NaN")), "anomaly.deviation_pct", id="nan-pct"),
    pytest.param(
        _changed(threshold_pct=Decimal("1000000000001")),
        "anomaly.threshold_pct",
        id="threshold-bound",
    ),
    pytest.param(_changed(breach_count=0), "anomaly.breach_count", id="zero-breaches"),
    pytest.param(_changed(breach_count=367), "anomaly.breach_count", id="367-breaches"),
    pytest.param(_constructed(breach_count=True), "anomaly.breach_count", id="bool-breaches"),
    pytest.param(_constructed(derived_cause="cosmic"), "anomaly.derived_cause", id="cause"),
    pytest.param(_changed(message="over\x00budget"), "anomaly.message", id="nul-message"),
    pytest.param(_changed(message="m" * 2049), "anomaly.message", id="long-message"),
    pytest.param(_changed(budget_id="b" * 65), "anomaly.budget_id", id="long-budget-id"),
    pytest.param(_changed(incident_id=" inc"), "anomaly.incident_id", id="padded-incident"),
    pytest.param(_changed(metadata={"ratio": 0.5}), "anomaly.metadata.ratio", id="float-metadata"),
    pytest.param(_constructed(metadata=["a"]), "anomaly.metadata", id="list-metadata"),
    pytest.param(
        _changed(metadata={"text": "x" * 17_000}), "anomaly.metadata", id="large-metadata"
    ),
]


@pytest.mark.parametrize(("anomaly", "field"), UPSERT_INVALID)
async def test_anomaly_invalid(backend: Harness, anomaly: NewAnomaly, field: str) -> None:
    before = await backend.row_counts()

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.upsert_anomaly("t1", anomaly=anomaly)
        after_error = await uow.cost_anomalies.upsert_anomaly("t1", anomaly=STEP_5)

    assert raised.value.field == field
    assert after_error.outcome is WriteOutcome.CREATED
    counts = await backend.row_counts()
    assert counts["cost_anomalies"] == before["cost_anomalies"] + 1


async def test_anomaly_first_invalid_field(backend: Harness) -> None:
    anomaly = _changed(entity_id=None, budget_period=None, breach_count=0)

    with pytest.raises(InvalidInput) as raised:
        await _upsert(backend, anomaly)

    assert raised.value.field == "anomaly.entity_id"


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_anomaly_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _upsert(backend, STEP_1, tenant_id)

    assert raised.value.field == "tenant_id"
    assert (await backend.row_counts())["cost_anomalies"] == 0


# list_anomalies


async def test_list_example(backend: Harness) -> None:
    ca_1, ca_2, ca_3 = await _load_steps_1_to_5(backend)
    await _load_steps_1_to_5(backend, "t2")

    listed = await _list(backend)

    assert [row.id for row in listed] == [ca_3, ca_1, ca_2]
    assert [row.last_detected_at for row in listed] == [
        utc(3, 11, 15),
        utc(3, 10, 20),
        utc(3, 10, 15),
    ]
    assert await _list(backend, resolved=True) == []


async def test_list_window_on_last_detection(backend: Harness) -> None:
    ca_1, ca_2, ca_3 = await _load_steps_1_to_5(backend)

    # ca_1 was first detected at 15:00 and last at 20:00; only the last detection counts.
    assert [row.id for row in await _list(backend, start=utc(3, 10, 15), end=utc(3, 10, 20))] == [
        ca_2
    ]
    assert [row.id for row in await _list(backend, start=utc(3, 10, 20), end=utc(3, 11, 15))] == [
        ca_1
    ]
    assert [row.id for row in await _list(backend, start=utc(3, 11, 15), end=utc(3, 11, 16))] == [
        ca_3
    ]
    assert await _list(backend, start=utc(3, 10, 20, 1), end=utc(3, 11, 15)) == []


async def test_list_aware_non_utc_window(backend: Harness) -> None:
    await _load_steps_1_to_5(backend)
    new_york = timezone(timedelta(hours=-5))

    listed = await _list(
        backend,
        start=datetime(2024, 3, 9, 19, 0, tzinfo=new_york),
        end=datetime(2024, 3, 11, 19, 0, tzinfo=new_york),
    )

    assert len(listed) == 3


async def _load_filter_fixture(backend: Harness) -> dict[str, str]:
    rows = {
        "spike-tenant": spike_anomaly(utc(3, 10, 10)),
        "spike-user": spike_anomaly(
            utc(3, 10, 10),
            entity_type=EntityType.USER,
            entity_id="u1",
            severity=AnomalySeverity.HIGH,
        ),
        "drift-feature": spike_anomaly(
            utc(3, 10, 11),
            anomaly_type=AnomalyType.SUSTAINED_DRIFT,
            entity_type=EntityType.FEATURE,
            entity_id="f1",
            severity=AnomalySeverity.LOW,
        ),
        "warning-tenant": budget_anomaly(
            DAILY,
            MARCH_10,
            utc(3, 10, 12),
            "1",
            "1",
            anomaly_type=AnomalyType.BUDGET_WARNING,
            entity_type=EntityType.TENANT,
            entity_id=None,
            severity=AnomalySeverity.LOW,
        ),
        "exceeded-user": budget_anomaly(
            MONTHLY, MARCH_1, utc(3, 10, 13), "2", "1", entity_type=EntityType.USER, entity_id="u1"
        ),
    }
    ids = {name: (await _upsert(backend, row)).record.id for name, row in rows.items()}
    await _resolve(backend, ids["exceeded-user"])
    for row in rows.values():
        await _upsert(backend, _times_ten(row), "t2")
    return ids


FILTER_CASES = [
    pytest.param(
        {},
        ["exceeded-user", "warning-tenant", "drift-feature", "spike-tenant", "spike-user"],
        id="none",
    ),
    pytest.param({"resolved": True}, ["exceeded-user"], id="resolved"),
    pytest.param(
        {"resolved": False},
        ["warning-tenant", "drift-feature", "spike-tenant", "spike-user"],
        id="open",
    ),
    pytest.param(
        {"anomaly_type": AnomalyType.ABSOLUTE_SPIKE}, ["spike-tenant", "spike-user"], id="type"
    ),
    pytest.param(
        {"severity": AnomalySeverity.LOW}, ["warning-tenant", "drift-feature"], id="severity"
    ),
    pytest.param(
        {"entity_type": EntityType.USER}, ["exceeded-user", "spike-user"], id="entity-type"
    ),
    pytest.param(
        {"entity_type": EntityType.USER, "resolved": False}, ["spike-user"], id="user-open"
    ),
    pytest.param(
        {"severity": AnomalySeverity.HIGH, "anomaly_type": AnomalyType.BUDGET_EXCEEDED},
        ["exceeded-user"],
        id="severity-and-type",
    ),
    pytest.param(
        {
            "resolved": False,
            "anomaly_type": "sustained_drift",
            "severity": "low",
            "entity_type": "feature",
        },
        ["drift-feature"],
        id="all-four-as-strings",
    ),
    pytest.param({"resolved": True, "entity_type": EntityType.TENANT}, [], id="no-match"),
]


@pytest.mark.parametrize(("filters", "expected"), FILTER_CASES)
async def test_list_filters(backend: Harness, filters: dict[str, Any], expected: list[str]) -> None:
    ids = await _load_filter_fixture(backend)

    listed = await _list(backend, **filters)

    assert [row.id for row in listed] == [ids[name] for name in expected]


async def test_list_tie_order(backend: Harness) -> None:
    at = utc(3, 10, 10)
    user = EntityType.USER
    rows = {
        "spike-user-u1": spike_anomaly(at, entity_type=user, entity_id="u1"),
        "spike-tenant": spike_anomaly(at),
        "drift-tenant": spike_anomaly(at, anomaly_type=AnomalyType.SUSTAINED_DRIFT),
        "spike-user-U1": spike_anomaly(at, entity_type=user, entity_id="U1"),
        "spike-user-u1-earlier": spike_anomaly(
            at, entity_type=user, entity_id="u1", period_start=date(2024, 3, 9)
        ),
        "spike-feature": spike_anomaly(at, entity_type=EntityType.FEATURE, entity_id="z"),
        "exceeded-daily": budget_anomaly(
            DAILY, MARCH_1, at, "1", "1", entity_type=EntityType.TENANT, entity_id=None
        ),
        "exceeded-monthly": budget_anomaly(
            MONTHLY, MARCH_1, at, "1", "1", entity_type=EntityType.TENANT, entity_id=None
        ),
    }
    ids = {name: (await _upsert(backend, row)).record.id for name, row in rows.items()}

    listed = await _list(backend)

    expected = [
        "spike-feature",
        "spike-tenant",
        "spike-user-U1",
        "spike-user-u1-earlier",
        "spike-user-u1",
        "exceeded-daily",
        "exceeded-monthly",
        "drift-tenant",
    ]
    assert [row.id for row in listed] == [ids[name] for name in expected]


async def test_list_limit_first_rows(backend: Harness) -> None:
    for hour in range(5):
        await _upsert(
            backend, spike_anomaly(utc(3, 10, hour), period_start=date(2024, 3, hour + 1))
        )

    listed = await _list(backend, limit=3)

    assert [row.last_detected_at for row in listed] == [utc(3, 10, 4), utc(3, 10, 3), utc(3, 10, 2)]


async def test_list_limit_bounds_accepted(backend: Harness) -> None:
    await _load_steps_1_to_5(backend)

    assert len(await _list(backend, limit=1)) == 1
    assert len(await _list(backend, limit=1000)) == 3


async def test_list_empty(backend: Harness) -> None:
    assert await _list(backend) == []


LIST_INVALID = [
    pytest.param({"tenant_id": ""}, "tenant_id", id="empty-tenant"),
    pytest.param({"start": datetime(2024, 3, 10)}, "start", id="naive-start"),
    pytest.param({"end": datetime(2024, 3, 12)}, "end", id="naive-end"),
    pytest.param({"end": utc(3, 10)}, "end", id="end-equals-start"),
    pytest.param({"end": utc(3, 9)}, "end", id="end-before-start"),
    pytest.param({"start": date(2024, 3, 10)}, "start", id="date-start"),
    pytest.param({"resolved": 1}, "resolved", id="int-resolved"),
    pytest.param({"anomaly_type": "spike"}, "anomaly_type", id="unknown-type"),
    pytest.param({"severity": "critical"}, "severity", id="unknown-severity"),
    pytest.param({"entity_type": "team"}, "entity_type", id="team"),
    pytest.param({"limit": 0}, "limit", id="zero-limit"),
    pytest.param({"limit": 1001}, "limit", id="limit-over-max"),
    pytest.param({"limit": -1}, "limit", id="negative-limit"),
    pytest.param({"limit": True}, "limit", id="bool-limit"),
]


@pytest.mark.parametrize(("changes", "field"), LIST_INVALID)
async def test_list_invalid(backend: Harness, changes: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {"tenant_id": "t1", **WINDOW}
    arguments.update(changes)
    tenant_id = arguments.pop("tenant_id")

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.list_anomalies(tenant_id, **arguments)

    assert raised.value.field == field


# resolve_anomaly


async def test_resolve_example(backend: Harness) -> None:
    ca_1 = (await _upsert(backend, STEP_1)).record.id
    backend.clock.now = utc(3, 10, 21)

    resolved = await _resolve(backend, ca_1)
    backend.clock.now = utc(3, 10, 22)
    again = await _resolve(backend, ca_1)

    assert resolved.resolved is True
    assert resolved.resolved_at == utc(3, 10, 21)
    assert resolved.updated_at == utc(3, 10, 21)
    assert again == resolved
    with pytest.raises(NotFound):
        await _resolve(backend, ca_1, "t2")


async def test_resolve_keeps_other_fields(backend: Harness) -> None:
    created = (await _upsert(backend, STEP_1)).record

    resolved = await _resolve(backend, created.id)

    unchanged_fields = created.model_dump(exclude={"resolved", "resolved_at", "updated_at"})
    assert resolved.model_dump(exclude={"resolved", "resolved_at", "updated_at"}) == (
        unchanged_fields
    )


async def test_resolve_listed_as_resolved(backend: Harness) -> None:
    ca_1, ca_2, ca_3 = await _load_steps_1_to_5(backend)

    await _resolve(backend, ca_2)

    assert [row.id for row in await _list(backend, resolved=True)] == [ca_2]
    assert [row.id for row in await _list(backend, resolved=False)] == [ca_3, ca_1]


async def test_resolve_unknown(backend: Harness) -> None:
    await _upsert(backend, STEP_1)

    async with backend.uow() as uow:
        with pytest.raises(NotFound) as raised:
            await uow.cost_anomalies.resolve_anomaly("t1", anomaly_id="ca_unknown")
        after_error = await uow.cost_anomalies.upsert_anomaly("t1", anomaly=STEP_5)

    assert raised.value.key == "ca_unknown"
    assert after_error.outcome is WriteOutcome.CREATED
    assert len(await _list(backend)) == 2


async def test_resolve_other_tenant_untouched(backend: Harness) -> None:
    t2_row = (await _upsert(backend, STEP_1, "t2")).record

    with pytest.raises(NotFound):
        await _resolve(backend, t2_row.id)

    assert await _list(backend, "t2") == [t2_row]


async def test_resolve_then_new_detection(backend: Harness) -> None:
    first = (await _upsert(backend, STEP_1)).record
    await _resolve(backend, first.id)

    second = await _upsert(backend, STEP_1)

    assert second.outcome is WriteOutcome.CREATED
    assert second.record.id != first.id
    assert second.record.resolved is False
    assert (await backend.row_counts())["cost_anomalies"] == 2


RESOLVE_INVALID = [
    pytest.param("t" * 65, "ca_1", "tenant_id", id="long-tenant"),
    pytest.param("t1", "", "anomaly_id", id="empty-id"),
    pytest.param("t1", "c" * 65, "anomaly_id", id="long-id"),
    pytest.param("t1", None, "anomaly_id", id="none-id"),
    pytest.param("t1", "ca\t1", "anomaly_id", id="tab-id"),
]


@pytest.mark.parametrize(("tenant_id", "anomaly_id", "field"), RESOLVE_INVALID)
async def test_resolve_invalid(
    backend: Harness, tenant_id: str, anomaly_id: Any, field: str
) -> None:
    created = (await _upsert(backend, STEP_1)).record

    with pytest.raises(InvalidInput) as raised:
        await _resolve(backend, anomaly_id, tenant_id)

    assert raised.value.field == field
    assert await _list(backend) == [created]
