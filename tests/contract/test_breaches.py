"""Breach history: existence checks, idempotent inserts, streaks one by one and in a batch."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from analytics.domain import (
    BreachRecord,
    BreachStreak,
    BreachType,
    EntityType,
    NewBreach,
    WriteOutcome,
    WriteResult,
)
from analytics.ports import InvalidInput
from tests.contract.bookkeeping_data import (
    INVALID_TENANT_IDS,
    U2_SPIKE_DATES,
    breach,
    load_breaches,
    session_time_zone_units,
)
from tests.contract.harness import Harness

USER = EntityType.USER
SPIKE = BreachType.ABSOLUTE_SPIKE
DRIFT = BreachType.SUSTAINED_DRIFT
MARCH_10 = date(2024, 3, 10)
CLOCK = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
LATER = datetime(2024, 3, 10, 18, 30, tzinfo=UTC)


def _u2_spikes() -> list[NewBreach]:
    return [breach(USER, "u2", day) for day in U2_SPIKE_DATES]


async def _load_streak_fixture(backend: Harness) -> None:
    # t1: u2 as in the single-entity table, u1 one spike on 03-10 and one drift on 03-09.
    await load_breaches(
        backend.uow,
        "t1",
        *_u2_spikes(),
        breach(USER, "u1", MARCH_10),
        breach(USER, "u1", date(2024, 3, 9), breach_type=DRIFT),
    )
    # t2 uses the same ids with a streak of its own that must never leak into t1.
    await load_breaches(
        backend.uow,
        "t2",
        *(breach(USER, "u1", MARCH_10 - timedelta(days=n), current="9") for n in range(5)),
    )


async def _exists(backend: Harness, tenant_id: str = "t1", **changes: Any) -> bool:
    arguments: dict[str, Any] = {
        "entity_type": USER,
        "entity_id": "u2",
        "breach_type": SPIKE,
        "day": MARCH_10,
    }
    arguments.update(changes)
    async with backend.uow() as uow:
        return await uow.cost_anomalies.fetch_breach_exists_today(tenant_id, **arguments)


async def _insert(
    backend: Harness, row: NewBreach, tenant_id: str = "t1"
) -> WriteResult[BreachRecord]:
    async with backend.uow() as uow:
        return await uow.cost_anomalies.insert_breach_history(tenant_id, breach=row)


async def _consecutive(backend: Harness, day: date, max_days: int = 7, **changes: Any) -> int:
    arguments: dict[str, Any] = {"entity_type": USER, "entity_id": "u2", "breach_type": SPIKE}
    arguments.update(changes)
    async with backend.uow() as uow:
        return await uow.cost_anomalies.fetch_consecutive_breaches(
            "t1", day=day, max_days=max_days, **arguments
        )


async def _streaks(
    backend: Harness,
    day: date,
    max_days: int = 7,
    tenant_id: str = "t1",
    **changes: Any,
) -> list[tuple[str, int]]:
    arguments: dict[str, Any] = {
        "entity_type": USER,
        "entity_ids": ["u2", "u1", "u9", "u2"],
        "breach_type": SPIKE,
    }
    arguments.update(changes)
    async with backend.uow() as uow:
        streaks = await uow.cost_anomalies.fetch_breach_streaks(
            tenant_id, day=day, max_days=max_days, **arguments
        )
    return [(streak.entity_id, streak.days) for streak in streaks]


# fetch_breach_exists_today


async def test_breach_exists_example(backend: Harness) -> None:
    await load_breaches(backend.uow, "t1", breach(USER, "u2", MARCH_10))

    assert await _exists(backend) is True
    assert await _exists(backend, day=date(2024, 3, 11)) is False
    assert await _exists(backend, entity_id="u1") is False
    assert await _exists(backend, "t2") is False


async def test_breach_exists_other_type_or_entity_type(backend: Harness) -> None:
    await load_breaches(backend.uow, "t1", breach(USER, "u2", MARCH_10))

    assert await _exists(backend, breach_type=DRIFT) is False
    assert await _exists(backend, entity_type=EntityType.FEATURE) is False
    assert await _exists(backend, day=date(2024, 3, 9)) is False


async def test_breach_exists_tenant_level(backend: Harness) -> None:
    await load_breaches(backend.uow, "t1", breach(EntityType.TENANT, None, MARCH_10))

    assert await _exists(backend, entity_type=EntityType.TENANT, entity_id=None) is True
    assert await _exists(backend) is False


async def test_breach_exists_accepts_value_strings(backend: Harness) -> None:
    await load_breaches(backend.uow, "t1", breach(USER, "u2", MARCH_10))

    assert await _exists(backend, entity_type="user", breach_type="absolute_spike") is True


async def test_breach_exists_empty(backend: Harness) -> None:
    assert await _exists(backend) is False


EXISTS_INVALID = [
    pytest.param({"tenant_id": ""}, "tenant_id", id="empty-tenant"),
    pytest.param({"tenant_id": "t" * 65}, "tenant_id", id="long-tenant"),
    pytest.param({"entity_type": "team"}, "entity_type", id="unknown-entity-type"),
    pytest.param({"entity_type": EntityType.TENANT}, "entity_id", id="tenant-with-id"),
    pytest.param({"entity_id": None}, "entity_id", id="user-without-id"),
    pytest.param({"entity_id": " u2"}, "entity_id", id="padded-id"),
    pytest.param({"entity_id": "u" * 129}, "entity_id", id="long-id"),
    pytest.param({"breach_type": "spike"}, "breach_type", id="unknown-breach-type"),
    pytest.param({"day": datetime(2024, 3, 10, tzinfo=UTC)}, "day", id="datetime-day"),
    pytest.param({"day": date(1969, 12, 31)}, "day", id="day-before-1970"),
]


@pytest.mark.parametrize(("changes", "field"), EXISTS_INVALID)
async def test_breach_exists_invalid(backend: Harness, changes: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {
        "tenant_id": "t1",
        "entity_type": USER,
        "entity_id": "u2",
        "breach_type": SPIKE,
        "day": MARCH_10,
    }
    arguments.update(changes)
    tenant_id = arguments.pop("tenant_id")

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.fetch_breach_exists_today(tenant_id, **arguments)

    assert raised.value.field == field


# insert_breach_history


async def test_insert_breach_created(backend: Harness) -> None:
    backend.clock.now = CLOCK

    result = await _insert(backend, breach(USER, "u2", MARCH_10))

    record = result.record
    assert result.outcome is WriteOutcome.CREATED
    assert record.id.startswith("bh_")
    assert len(record.id) == 35
    assert record.tenant_id == "t1"
    assert record.entity_type is USER
    assert record.entity_id == "u2"
    assert record.breach_type is SPIKE
    assert record.breach_date == MARCH_10
    assert record.created_at == CLOCK
    assert record.updated_at == CLOCK


async def test_insert_breach_stored_units(backend: Harness) -> None:
    result = await _insert(backend, breach(USER, "u2", MARCH_10))

    record = result.record
    assert record.current_value_usd == Decimal("0.450000000")
    assert record.current_value_usd.as_tuple().exponent == -9
    assert record.baseline_value_usd == Decimal("0.300000000")
    assert record.baseline_value_usd.as_tuple().exponent == -9
    assert record.deviation_pct == Decimal("50.000000")
    assert record.deviation_pct.as_tuple().exponent == -6
    assert record.created_at.tzinfo is UTC


async def test_insert_breach_replay_unchanged(backend: Harness) -> None:
    backend.clock.now = CLOCK
    first = await _insert(backend, breach(USER, "u2", MARCH_10))
    backend.clock.now = LATER

    again = await _insert(backend, breach(USER, "u2", MARCH_10))

    assert again.outcome is WriteOutcome.UNCHANGED
    assert again.record == first.record
    assert again.record.updated_at == CLOCK
    assert (await backend.row_counts())["cost_breach_history"] == 1


async def test_insert_breach_rescaled_replay_unchanged(backend: Harness) -> None:
    first = await _insert(backend, breach(USER, "u2", MARCH_10))

    again = await _insert(
        backend, breach(USER, "u2", MARCH_10, deviation_pct="50.0000001", current="0.4500000000")
    )

    assert again.outcome is WriteOutcome.UNCHANGED
    assert again.record.id == first.record.id


async def test_insert_breach_updated(backend: Harness) -> None:
    backend.clock.now = CLOCK
    first = await _insert(backend, breach(USER, "u2", MARCH_10))
    backend.clock.now = LATER

    changed = await _insert(
        backend, breach(USER, "u2", MARCH_10, deviation_pct="100", current="0.60")
    )

    record = changed.record
    assert changed.outcome is WriteOutcome.UPDATED
    assert record.id == first.record.id
    assert record.created_at == CLOCK
    assert record.updated_at == LATER
    assert record.current_value_usd == Decimal("0.600000000")
    assert record.deviation_pct == Decimal("100.000000")
    assert record.baseline_value_usd == Decimal("0.300000000")


async def test_insert_breach_replaces_all_measured(backend: Harness) -> None:
    await _insert(backend, breach(USER, "u2", MARCH_10))

    changed = await _insert(
        backend, breach(USER, "u2", MARCH_10, deviation_pct="-5", current="0.2", baseline="0.25")
    )

    assert changed.outcome is WriteOutcome.UPDATED
    assert changed.record.deviation_pct == Decimal("-5.000000")
    assert changed.record.current_value_usd == Decimal("0.200000000")
    assert changed.record.baseline_value_usd == Decimal("0.250000000")


async def test_insert_breach_each_value_alone_updates(backend: Harness) -> None:
    await _insert(backend, breach(USER, "u2", MARCH_10))

    outcomes = [
        (await _insert(backend, breach(USER, "u2", MARCH_10, **change))).outcome
        for change in ({"deviation_pct": "51"}, {"current": "0.46"}, {"baseline": "0.31"})
    ]

    assert outcomes == [WriteOutcome.UPDATED] * 3


async def test_insert_breach_concurrent_one_row(backend: Harness) -> None:
    async def insert_once() -> WriteResult[BreachRecord]:
        async with backend.uow() as uow:
            return await uow.cost_anomalies.insert_breach_history(
                "t1", breach=breach(USER, "u2", MARCH_10)
            )

    first, second = await asyncio.gather(insert_once(), insert_once())

    assert sorted([first.outcome, second.outcome]) == [WriteOutcome.CREATED, WriteOutcome.UNCHANGED]
    assert first.record.id == second.record.id
    assert (await backend.row_counts())["cost_breach_history"] == 1


async def test_insert_breach_tenant_and_user_separate(backend: Harness) -> None:
    tenant_level = await _insert(backend, breach(EntityType.TENANT, None, MARCH_10))
    user_level = await _insert(backend, breach(USER, "u2", MARCH_10))

    assert tenant_level.outcome is WriteOutcome.CREATED
    assert user_level.outcome is WriteOutcome.CREATED
    assert tenant_level.record.entity_id is None
    assert tenant_level.record.id != user_level.record.id
    assert (await backend.row_counts())["cost_breach_history"] == 2


async def test_insert_breach_key_parts_separate(backend: Harness) -> None:
    rows = [
        breach(USER, "u2", MARCH_10),
        breach(USER, "u2", MARCH_10, breach_type=DRIFT),
        breach(EntityType.FEATURE, "u2", MARCH_10),
        breach(USER, "U2", MARCH_10),
        breach(USER, "u2", date(2024, 3, 11)),
    ]

    outcomes = [(await _insert(backend, row)).outcome for row in rows]

    assert outcomes == [WriteOutcome.CREATED] * 5


async def test_insert_breach_leaves_other_tenant(backend: Harness) -> None:
    t2_row = breach(USER, "u2", MARCH_10, current="4.5", baseline="3")
    stored_t2 = await _insert(backend, t2_row, "t2")

    await _insert(backend, breach(USER, "u2", MARCH_10))
    await _insert(backend, breach(USER, "u2", MARCH_10, current="0.9"))

    replay = await _insert(backend, t2_row, "t2")
    assert replay.outcome is WriteOutcome.UNCHANGED
    assert replay.record == stored_t2.record


async def test_insert_breach_accepts_value_strings(backend: Harness) -> None:
    result = await _insert(backend, breach("user", "u2", MARCH_10, breach_type="sustained_drift"))

    assert result.record.entity_type is USER
    assert result.record.breach_type is DRIFT


async def test_insert_breach_record_frozen(backend: Harness) -> None:
    result = await _insert(backend, breach(USER, "u2", MARCH_10))

    with pytest.raises(ValidationError):
        result.record.entity_id = "u3"  # type: ignore[misc]


async def test_insert_breach_invisible_until_commit(backend: Harness) -> None:
    async with backend.uow() as writer:
        await writer.cost_anomalies.insert_breach_history("t1", breach=breach(USER, "u2", MARCH_10))
        reader = asyncio.create_task(_exists(backend))
        await asyncio.sleep(0.3)
        # A serializing backend makes the reader wait for the commit. The
        # others let it read the state before the write.
        assert reader.done() is not backend.serializes_units_of_work

    assert await reader is backend.serializes_units_of_work
    assert await _exists(backend) is True


async def test_insert_breach_rolled_back(backend: Harness) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with backend.uow() as uow:
            await uow.cost_anomalies.insert_breach_history(
                "t1", breach=breach(USER, "u2", MARCH_10)
            )
            raise Abort

    assert await _exists(backend) is False


async def test_insert_breach_session_time_zone(backend: Harness) -> None:
    backend.clock.now = CLOCK

    for index, units in enumerate(session_time_zone_units(backend)):
        tenant_id = f"tz{index}"
        async with units as factory:
            async with factory() as uow:
                result = await uow.cost_anomalies.insert_breach_history(
                    tenant_id, breach=breach(USER, "u2", MARCH_10)
                )
            async with factory() as uow:
                exists = await uow.cost_anomalies.fetch_breach_exists_today(
                    tenant_id, entity_type=USER, entity_id="u2", breach_type=SPIKE, day=MARCH_10
                )

        assert result.record.created_at == CLOCK
        assert result.record.breach_date == MARCH_10
        assert exists is True


def _constructed(**changes: Any) -> NewBreach:
    fields: dict[str, Any] = dict(breach(USER, "u2", MARCH_10))
    fields.update(changes)
    return NewBreach.model_construct(**fields)


INSERT_INVALID = [
    pytest.param("", breach(USER, "u2", MARCH_10), "tenant_id", id="empty-tenant"),
    pytest.param("t1", {"entity_type": "user"}, "breach", id="not-a-model"),
    pytest.param("t1", _constructed(entity_type="team"), "breach.entity_type", id="team"),
    pytest.param(
        "t1", breach(EntityType.TENANT, "t1", MARCH_10), "breach.entity_id", id="tenant-with-id"
    ),
    pytest.param("t1", breach(USER, None, MARCH_10), "breach.entity_id", id="user-without-id"),
    pytest.param(
        "t1", breach(EntityType.FEATURE, None, MARCH_10), "breach.entity_id", id="feature-no-id"
    ),
    pytest.param("t1", breach(USER, "", MARCH_10), "breach.entity_id", id="empty-id"),
    pytest.param("t1", breach(USER, "u" * 129, MARCH_10), "breach.entity_id", id="long-id"),
    pytest.param("t1", breach(USER, "u\x002", MARCH_10), "breach.entity_id", id="nul-id"),
    pytest.param("t1", _constructed(breach_type="spike"), "breach.breach_type", id="type"),
    pytest.param(
        "t1", breach(USER, "u2", date(2200, 1, 1)), "breach.breach_date", id="date-after-2199"
    ),
    pytest.param(
        "t1",
        _constructed(breach_date=datetime(2024, 3, 10, tzinfo=UTC)),
        "breach.breach_date",
        id="datetime-date",
    ),
    pytest.param(
        "t1",
        breach(USER, "u2", MARCH_10, deviation_pct="NaN"),
        "breach.deviation_pct",
        id="nan-pct",
    ),
    pytest.param(
        "t1",
        breach(USER, "u2", MARCH_10, deviation_pct="1000000000000.000001"),
        "breach.deviation_pct",
        id="pct-over-bound",
    ),
    pytest.param(
        "t1",
        breach(USER, "u2", MARCH_10, current="-0.01"),
        "breach.current_value_usd",
        id="negative-current",
    ),
    pytest.param(
        "t1",
        _constructed(current_value_usd=0.45),
        "breach.current_value_usd",
        id="float-current",
    ),
    pytest.param(
        "t1",
        breach(USER, "u2", MARCH_10, baseline="-1"),
        "breach.baseline_value_usd",
        id="negative-baseline",
    ),
    pytest.param(
        "t1",
        breach(USER, "u2", MARCH_10, baseline="Infinity"),
        "breach.baseline_value_usd",
        id="infinite-baseline",
    ),
]


@pytest.mark.parametrize(("tenant_id", "row", "field"), INSERT_INVALID)
async def test_insert_breach_invalid(
    backend: Harness, tenant_id: str, row: NewBreach, field: str
) -> None:
    before = await backend.row_counts()

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.insert_breach_history(tenant_id, breach=row)
        # The unit of work stays usable after the error and commits the next write.
        after_error = await uow.cost_anomalies.insert_breach_history(
            "t1", breach=breach(USER, "u5", MARCH_10)
        )

    assert raised.value.field == field
    assert after_error.outcome is WriteOutcome.CREATED
    counts = await backend.row_counts()
    assert counts["cost_breach_history"] == before["cost_breach_history"] + 1


async def test_insert_breach_first_invalid_field(backend: Harness) -> None:
    row = _constructed(entity_id=None, deviation_pct=Decimal("NaN"), current_value_usd=Decimal(-1))

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.insert_breach_history("t1", breach=row)

    assert raised.value.field == "breach.entity_id"


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_insert_breach_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.insert_breach_history(
                tenant_id, breach=breach(USER, "u2", MARCH_10)
            )

    assert raised.value.field == "tenant_id"
    assert (await backend.row_counts())["cost_breach_history"] == 0


# fetch_consecutive_breaches

CONSECUTIVE_TABLE = [
    pytest.param(date(2024, 3, 10), 7, 3, id="03-07-missing"),
    pytest.param(date(2024, 3, 10), 2, 2, id="look-back-bound"),
    pytest.param(date(2024, 3, 9), 7, 2, id="03-08-and-03-09"),
    pytest.param(date(2024, 3, 11), 7, 0, id="no-breach-on-day"),
    pytest.param(date(2024, 3, 6), 7, 1, id="03-05-missing"),
]


@pytest.mark.parametrize(("day", "max_days", "expected"), CONSECUTIVE_TABLE)
async def test_consecutive_example(
    backend: Harness, day: date, max_days: int, expected: int
) -> None:
    await _load_streak_fixture(backend)

    assert await _consecutive(backend, day, max_days) == expected


async def test_consecutive_default_look_back(backend: Harness) -> None:
    days = [MARCH_10 - timedelta(days=n) for n in range(10)]
    await load_breaches(backend.uow, "t1", *(breach(USER, "u2", day) for day in days))

    async with backend.uow() as uow:
        result = await uow.cost_anomalies.fetch_consecutive_breaches(
            "t1", entity_type=USER, entity_id="u2", breach_type=SPIKE, day=MARCH_10
        )

    assert result == 7


async def test_consecutive_longer_than_max_days(backend: Harness) -> None:
    days = [MARCH_10 - timedelta(days=n) for n in range(400)]
    await load_breaches(backend.uow, "t1", *(breach(USER, "u2", day) for day in days))

    assert await _consecutive(backend, MARCH_10, 366) == 366
    assert await _consecutive(backend, MARCH_10, 1) == 1


async def test_consecutive_other_entity_or_type(backend: Harness) -> None:
    # Breaches of u1 and of another type or entity type fill 03-07 but must not join u2's streak.
    await load_breaches(
        backend.uow,
        "t1",
        *_u2_spikes(),
        breach(USER, "u1", date(2024, 3, 7)),
        breach(USER, "u2", date(2024, 3, 7), breach_type=DRIFT),
        breach(EntityType.FEATURE, "u2", date(2024, 3, 7)),
        breach(EntityType.TENANT, None, date(2024, 3, 7)),
    )

    assert await _consecutive(backend, MARCH_10) == 3


async def test_consecutive_other_tenant(backend: Harness) -> None:
    await load_breaches(backend.uow, "t1", breach(USER, "u2", MARCH_10))
    await load_breaches(
        backend.uow, "t2", *(breach(USER, "u2", MARCH_10 - timedelta(days=n)) for n in range(1, 6))
    )

    assert await _consecutive(backend, MARCH_10) == 1


async def test_consecutive_gap_breaks(backend: Harness) -> None:
    await load_breaches(
        backend.uow,
        "t1",
        breach(USER, "u2", date(2024, 3, 10)),
        breach(USER, "u2", date(2024, 3, 9)),
        breach(USER, "u2", date(2024, 3, 7)),
        breach(USER, "u2", date(2024, 3, 6)),
    )

    assert await _consecutive(backend, MARCH_10) == 2


async def test_consecutive_tenant_level(backend: Harness) -> None:
    await load_breaches(
        backend.uow,
        "t1",
        breach(EntityType.TENANT, None, date(2024, 3, 10)),
        breach(EntityType.TENANT, None, date(2024, 3, 9)),
    )

    result = await _consecutive(backend, MARCH_10, entity_type=EntityType.TENANT, entity_id=None)

    assert result == 2


async def test_consecutive_across_month_end(backend: Harness) -> None:
    days = [date(2024, 3, 1), date(2024, 2, 29), date(2024, 2, 28)]
    await load_breaches(backend.uow, "t1", *(breach(USER, "u2", day) for day in days))

    assert await _consecutive(backend, date(2024, 3, 1)) == 3


async def test_consecutive_empty(backend: Harness) -> None:
    assert await _consecutive(backend, MARCH_10) == 0


CONSECUTIVE_INVALID = [
    pytest.param({"max_days": 0}, "max_days", id="zero-days"),
    pytest.param({"max_days": 367}, "max_days", id="367-days"),
    pytest.param({"max_days": True}, "max_days", id="bool-days"),
    pytest.param({"max_days": -1}, "max_days", id="negative-days"),
    pytest.param({"entity_type": "team"}, "entity_type", id="unknown-entity-type"),
    pytest.param({"entity_id": None}, "entity_id", id="user-without-id"),
    pytest.param(
        {"entity_type": EntityType.TENANT, "entity_id": "t1"}, "entity_id", id="tenant-with-id"
    ),
    pytest.param({"breach_type": "drift"}, "breach_type", id="unknown-breach-type"),
    pytest.param({"day": "2024-03-10"}, "day", id="string-day"),
]


@pytest.mark.parametrize(("changes", "field"), CONSECUTIVE_INVALID)
async def test_consecutive_invalid(backend: Harness, changes: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {
        "entity_type": USER,
        "entity_id": "u2",
        "breach_type": SPIKE,
        "day": MARCH_10,
    }
    arguments.update(changes)

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.fetch_consecutive_breaches("t1", **arguments)

    assert raised.value.field == field


async def test_consecutive_max_days_bounds_accepted(backend: Harness) -> None:
    await load_breaches(backend.uow, "t1", breach(USER, "u2", MARCH_10))

    assert await _consecutive(backend, MARCH_10, 1) == 1
    assert await _consecutive(backend, MARCH_10, 366) == 1


# fetch_breach_streaks

STREAKS_TABLE = [
    pytest.param(date(2024, 3, 10), 7, [("u1", 1), ("u2", 3), ("u9", 0)], id="other-type"),
    pytest.param(date(2024, 3, 10), 2, [("u1", 1), ("u2", 2), ("u9", 0)], id="look-back-bound"),
    pytest.param(date(2024, 3, 9), 7, [("u1", 0), ("u2", 2), ("u9", 0)], id="no-u1-spike"),
    pytest.param(date(2024, 3, 11), 7, [("u1", 0), ("u2", 0), ("u9", 0)], id="no-breach"),
]


@pytest.mark.parametrize(("day", "max_days", "expected"), STREAKS_TABLE)
async def test_streaks_example(
    backend: Harness, day: date, max_days: int, expected: list[tuple[str, int]]
) -> None:
    await _load_streak_fixture(backend)

    assert await _streaks(backend, day, max_days) == expected


async def test_streaks_sustained_drift(backend: Harness) -> None:
    await _load_streak_fixture(backend)

    result = await _streaks(backend, date(2024, 3, 9), breach_type=DRIFT)

    assert result == [("u1", 1), ("u2", 0), ("u9", 0)]


async def test_streaks_other_tenant(backend: Harness) -> None:
    await load_breaches(backend.uow, "t1", *_u2_spikes(), breach(USER, "u1", MARCH_10))

    assert await _streaks(backend, MARCH_10, tenant_id="t2") == [("u1", 0), ("u2", 0), ("u9", 0)]


async def test_streaks_second_tenant_own_rows(backend: Harness) -> None:
    await _load_streak_fixture(backend)

    assert await _streaks(backend, MARCH_10, tenant_id="t2") == [("u1", 5), ("u2", 0), ("u9", 0)]


async def test_streaks_returns_models(backend: Harness) -> None:
    await _load_streak_fixture(backend)

    async with backend.uow() as uow:
        streaks = await uow.cost_anomalies.fetch_breach_streaks(
            "t1",
            entity_type="user",  # type: ignore[arg-type]
            entity_ids=("u2",),
            breach_type="absolute_spike",  # type: ignore[arg-type]
            day=MARCH_10,
        )

    assert streaks == [BreachStreak(entity_id="u2", days=3)]


async def test_streaks_equal_consecutive_on_fixture(backend: Harness) -> None:
    await _load_streak_fixture(backend)
    ids = ["u1", "u2", "u9"]

    for day in (MARCH_10 - timedelta(days=n) for n in range(-1, 7)):
        for breach_type in (SPIKE, DRIFT):
            for max_days in (1, 2, 7):
                batch = await _streaks(
                    backend, day, max_days, entity_ids=ids, breach_type=breach_type
                )
                single = [
                    (
                        entity_id,
                        await _consecutive(
                            backend, day, max_days, entity_id=entity_id, breach_type=breach_type
                        ),
                    )
                    for entity_id in ids
                ]
                assert batch == single, (day, breach_type, max_days)


async def test_streaks_equal_consecutive_random(backend: Harness) -> None:
    generator = random.Random(20240310)
    ids = [f"u{n}" for n in range(6)]
    rows = [
        breach(USER, entity_id, MARCH_10 - timedelta(days=offset), breach_type=breach_type)
        for entity_id in ids
        for offset in range(20)
        for breach_type in (SPIKE, DRIFT)
        if generator.random() < 0.6
    ]
    await load_breaches(backend.uow, "t1", *rows)

    for day in (MARCH_10 - timedelta(days=n) for n in (0, 3, 9)):
        batch = await _streaks(backend, day, 10, entity_ids=ids)
        single = [
            (entity_id, await _consecutive(backend, day, 10, entity_id=entity_id))
            for entity_id in ids
        ]
        assert batch == single, day


async def test_streaks_features(backend: Harness) -> None:
    feature = EntityType.FEATURE
    await load_breaches(
        backend.uow,
        "t1",
        breach(feature, "chat.reply", MARCH_10),
        breach(feature, "chat.reply", date(2024, 3, 9)),
        breach(feature, "Chat.reply", MARCH_10),
        breach(USER, "chat_reply", MARCH_10),
    )

    result = await _streaks(
        backend,
        MARCH_10,
        entity_type=feature,
        entity_ids=["chat_reply", "chat.reply", "Chat.reply"],
    )

    assert result == [("Chat.reply", 1), ("chat.reply", 2), ("chat_reply", 0)]


async def test_streaks_longer_than_max_days(backend: Harness) -> None:
    days = [MARCH_10 - timedelta(days=n) for n in range(30)]
    await load_breaches(backend.uow, "t1", *(breach(USER, "u2", day) for day in days))

    assert await _streaks(backend, MARCH_10, 20) == [("u1", 0), ("u2", 20), ("u9", 0)]


async def test_streaks_other_entity_type(backend: Harness) -> None:
    await load_breaches(
        backend.uow,
        "t1",
        breach(EntityType.FEATURE, "u1", MARCH_10),
        breach(USER, "u2", MARCH_10),
        breach(USER, "u2", date(2024, 3, 9), breach_type=DRIFT),
    )

    assert await _streaks(backend, MARCH_10) == [("u1", 0), ("u2", 1), ("u9", 0)]


async def test_streaks_empty_ids(backend: Harness) -> None:
    await _load_streak_fixture(backend)

    assert await _streaks(backend, MARCH_10, entity_ids=[]) == []


async def test_streaks_thousand_ids(backend: Harness) -> None:
    await load_breaches(backend.uow, "t1", breach(USER, "u0999", MARCH_10))
    ids = [f"u{n:04d}" for n in range(1000)]

    result = await _streaks(backend, MARCH_10, entity_ids=ids)

    assert len(result) == 1000
    assert result[999] == ("u0999", 1)
    assert sum(days for _, days in result) == 1


STREAKS_INVALID = [
    pytest.param({"entity_type": EntityType.TENANT}, "entity_type", id="tenant"),
    pytest.param({"entity_type": "team"}, "entity_type", id="unknown-entity-type"),
    pytest.param({"entity_ids": "u1"}, "entity_ids", id="bare-string"),
    pytest.param({"entity_ids": [f"u{n}" for n in range(1001)]}, "entity_ids", id="1001-ids"),
    pytest.param({"entity_ids": ["u1", " u2"]}, "entity_ids[1]", id="padded-id"),
    pytest.param({"entity_ids": ["u1", "u2", ""]}, "entity_ids[2]", id="empty-id"),
    pytest.param({"entity_ids": [None]}, "entity_ids[0]", id="none-id"),
    pytest.param({"breach_type": "spike"}, "breach_type", id="unknown-breach-type"),
    pytest.param({"day": None}, "day", id="missing-day"),
    pytest.param({"max_days": 0}, "max_days", id="zero-days"),
    pytest.param({"max_days": 367}, "max_days", id="367-days"),
    pytest.param({"tenant_id": " t1"}, "tenant_id", id="padded-tenant"),
]


@pytest.mark.parametrize(("changes", "field"), STREAKS_INVALID)
async def test_streaks_invalid(backend: Harness, changes: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {
        "tenant_id": "t1",
        "entity_type": USER,
        "entity_ids": ["u1"],
        "breach_type": SPIKE,
        "day": MARCH_10,
        "max_days": 7,
    }
    arguments.update(changes)
    tenant_id = arguments.pop("tenant_id")

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.fetch_breach_streaks(tenant_id, **arguments)

    assert raised.value.field == field
