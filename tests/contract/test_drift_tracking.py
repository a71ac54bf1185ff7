"""Drift trackers: one active tracker per entity, a streak counter kept in one statement."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from analytics.domain import DriftObservation, DriftTracker, EntityType, WriteOutcome, WriteResult
from analytics.ports import Conflict, CostAnomalyDriver, InvalidInput, NotFound, UnitOfWork
from tests.contract.bookkeeping_data import (
    INVALID_TENANT_IDS,
    OBSERVATION_A,
    OBSERVATION_B,
    observation,
    session_time_zone_units,
)
from tests.contract.harness import Harness

TENANT = EntityType.TENANT
USER = EntityType.USER
FEATURE = EntityType.FEATURE
MARCH_10 = date(2024, 3, 10)
CLOCK = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)

PortScope = Callable[[], AbstractAsyncContextManager[CostAnomalyDriver]]


def _day(day_of_march: int) -> date:
    return date(2024, 3, day_of_march)


def _clock(day_of_march: int) -> datetime:
    return datetime(2024, 3, day_of_march, 6, 0, tzinfo=UTC)


def _unit_per_call(factory: Callable[[], UnitOfWork]) -> PortScope:
    @asynccontextmanager
    async def scope() -> AsyncIterator[CostAnomalyDriver]:
        async with factory() as uow:
            yield uow.cost_anomalies

    return scope


async def _start(
    backend: Harness,
    day: date = MARCH_10,
    entity_type: EntityType = TENANT,
    entity_id: str | None = None,
    tenant_id: str = "t1",
    observed: DriftObservation = OBSERVATION_A,
) -> WriteResult[DriftTracker]:
    async with backend.uow() as uow:
        return await uow.cost_anomalies.insert_drift_tracking(
            tenant_id, entity_type=entity_type, entity_id=entity_id, observation=observed, day=day
        )


async def _observe(
    backend: Harness,
    tracker_id: str,
    day: date,
    observed: DriftObservation = OBSERVATION_B,
    tenant_id: str = "t1",
) -> WriteResult[DriftTracker]:
    async with backend.uow() as uow:
        return await uow.cost_anomalies.update_drift_tracking(
            tenant_id, tracker_id=tracker_id, observation=observed, day=day
        )


async def _active(
    backend: Harness,
    entity_type: EntityType = TENANT,
    entity_id: str | None = None,
    tenant_id: str = "t1",
) -> DriftTracker | None:
    async with backend.uow() as uow:
        return await uow.cost_anomalies.fetch_drift_tracking(
            tenant_id, entity_type=entity_type, entity_id=entity_id
        )


async def _reset(
    backend: Harness,
    entity_type: EntityType = TENANT,
    entity_id: str | None = None,
    tenant_id: str = "t1",
) -> DriftTracker | None:
    async with backend.uow() as uow:
        return await uow.cost_anomalies.reset_drift_tracking(
            tenant_id, entity_type=entity_type, entity_id=entity_id
        )


def _streak(tracker: DriftTracker) -> tuple[int, date, date]:
    return tracker.drift_days_count, tracker.first_drift_date, tracker.last_check_date


# The worked sequence: tenant-level tracker, observation A = 12.50 / 10.00 / 25 %,
# B = 13.00 / 10.00 / 30 %.


async def _run_sequence(
    backend: Harness, port: PortScope, tenant_id: str = "t1"
) -> dict[str, DriftTracker]:
    records: dict[str, DriftTracker] = {}
    entity: dict[str, Any] = {"entity_type": TENANT, "entity_id": None}

    async with port() as drift:
        assert await drift.fetch_drift_tracking(tenant_id, **entity) is None

    backend.clock.now = _clock(10)
    async with port() as drift:
        created = await drift.insert_drift_tracking(
            tenant_id, **entity, observation=OBSERVATION_A, day=_day(10)
        )
    assert created.outcome is WriteOutcome.CREATED
    assert _streak(created.record) == (1, _day(10), _day(10))
    first_id = created.record.id
    records["created"] = created.record

    backend.clock.now = _clock(11)
    async with port() as drift:
        repeated = await drift.insert_drift_tracking(
            tenant_id, **entity, observation=OBSERVATION_A, day=_day(10)
        )
    assert repeated.outcome is WriteOutcome.UNCHANGED
    assert repeated.record.id == first_id
    assert repeated.record == created.record

    async with port() as drift:
        same_day = await drift.update_drift_tracking(
            tenant_id, tracker_id=first_id, observation=OBSERVATION_B, day=_day(10)
        )
    assert same_day.outcome is WriteOutcome.UPDATED
    assert _streak(same_day.record) == (1, _day(10), _day(10))
    assert same_day.record.drift_pct == Decimal("30.000000")
    assert same_day.record.updated_at == _clock(11)

    for day, expected in ((11, (2, _day(10), _day(11))), (12, (3, _day(10), _day(12)))):
        async with port() as drift:
            continued = await drift.update_drift_tracking(
                tenant_id, tracker_id=first_id, observation=OBSERVATION_B, day=_day(day)
            )
        assert continued.outcome is WriteOutcome.UPDATED
        assert _streak(continued.record) == expected

    async with port() as drift:
        restarted = await drift.update_drift_tracking(
            tenant_id, tracker_id=first_id, observation=OBSERVATION_B, day=_day(14)
        )
    assert restarted.outcome is WriteOutcome.UPDATED
    assert _streak(restarted.record) == (1, _day(14), _day(14))
    records["restarted"] = restarted.record

    async with port() as drift:
        with pytest.raises(Conflict) as active_exists:
            await drift.insert_drift_tracking(
                tenant_id, **entity, observation=OBSERVATION_A, day=_day(15)
            )
    assert active_exists.value.reason == "active_exists"

    backend.clock.now = _clock(15)
    async with port() as drift:
        ended = await drift.reset_drift_tracking(tenant_id, **entity)
    assert ended is not None
    assert ended.id == first_id
    assert ended.is_active is False
    records["ended"] = ended

    async with port() as drift:
        assert await drift.reset_drift_tracking(tenant_id, **entity) is None

    backend.clock.now = _clock(16)
    async with port() as drift:
        second = await drift.insert_drift_tracking(
            tenant_id, **entity, observation=OBSERVATION_A, day=_day(16)
        )
    assert second.outcome is WriteOutcome.CREATED
    assert second.record.id != first_id
    assert _streak(second.record) == (1, _day(16), _day(16))
    records["second"] = second.record

    async with port() as drift:
        with pytest.raises(NotFound):
            await drift.update_drift_tracking(
                tenant_id, tracker_id=first_id, observation=OBSERVATION_A, day=_day(17)
            )

    async with port() as drift:
        with pytest.raises(Conflict) as stale:
            await drift.update_drift_tracking(
                tenant_id, tracker_id=second.record.id, observation=OBSERVATION_A, day=_day(15)
            )
    assert stale.value.reason == "stale"

    async with port() as drift:
        final = await drift.fetch_drift_tracking(tenant_id, **entity)
    assert final == second.record
    return records


async def test_drift_sequence_unit_per_step(backend: Harness) -> None:
    t2_tracker = await _start(backend, tenant_id="t2", observed=observation("99", "1", "9800"))

    records = await _run_sequence(backend, _unit_per_call(backend.uow))

    assert records["ended"].deactivated_at == _clock(15)
    assert await _active(backend, tenant_id="t2") == t2_tracker.record
    assert (await backend.row_counts())["cost_drift_tracking"] == 3


async def test_drift_sequence_one_unit(backend: Harness) -> None:
    # Every Conflict and NotFound of the sequence leaves the one unit of work usable.
    async with backend.uow() as uow:

        @asynccontextmanager
        async def same_unit() -> AsyncIterator[CostAnomalyDriver]:
            yield uow.cost_anomalies

        records = await _run_sequence(backend, same_unit)

    assert await _active(backend) == records["second"]
    assert (await backend.row_counts())["cost_drift_tracking"] == 2


async def test_drift_sequence_session_time_zone(backend: Harness) -> None:
    for index, units in enumerate(session_time_zone_units(backend)):
        async with units as factory:
            records = await _run_sequence(backend, _unit_per_call(factory), f"tz{index}")

        assert records["created"].created_at == _clock(10)
        assert records["ended"].deactivated_at == _clock(15)


# insert_drift_tracking


async def test_insert_tracker_fields(backend: Harness) -> None:
    backend.clock.now = CLOCK

    result = await _start(backend, entity_type=USER, entity_id="u1")

    record = result.record
    assert result.outcome is WriteOutcome.CREATED
    assert record.id.startswith("dt_")
    assert len(record.id) == 35
    assert record.tenant_id == "t1"
    assert record.entity_type is USER
    assert record.entity_id == "u1"
    assert record.is_active is True
    assert record.deactivated_at is None
    assert record.created_at == CLOCK
    assert record.updated_at == CLOCK


async def test_insert_tracker_units(backend: Harness) -> None:
    record = (await _start(backend)).record

    assert record.rolling_avg_usd == Decimal("12.500000000")
    assert record.rolling_avg_usd.as_tuple().exponent == -9
    assert record.baseline_avg_usd == Decimal("10.000000000")
    assert record.baseline_avg_usd.as_tuple().exponent == -9
    assert record.drift_pct == Decimal("25.000000")
    assert record.drift_pct.as_tuple().exponent == -6
    assert record.created_at.tzinfo is UTC


async def test_insert_tracker_frozen(backend: Harness) -> None:
    record = (await _start(backend)).record

    with pytest.raises(ValidationError):
        record.drift_days_count = 5  # type: ignore[misc]


async def test_insert_tracker_same_day_unchanged(backend: Harness) -> None:
    backend.clock.now = CLOCK
    first = await _start(backend)
    backend.clock.now = _clock(11)

    again = await _start(backend)

    assert again.outcome is WriteOutcome.UNCHANGED
    assert again.record == first.record
    assert (await backend.row_counts())["cost_drift_tracking"] == 1


async def test_insert_tracker_same_day_new_values(backend: Harness) -> None:
    backend.clock.now = CLOCK
    first = await _start(backend)
    backend.clock.now = _clock(11)

    again = await _start(backend, observed=OBSERVATION_B)

    assert again.outcome is WriteOutcome.UPDATED
    assert again.record.id == first.record.id
    assert _streak(again.record) == (1, MARCH_10, MARCH_10)
    assert again.record.rolling_avg_usd == Decimal("13.000000000")
    assert again.record.updated_at == _clock(11)
    assert again.record.created_at == CLOCK


async def test_insert_tracker_earlier_active(backend: Harness) -> None:
    first = await _start(backend)

    with pytest.raises(Conflict) as raised:
        await _start(backend, day=_day(11), observed=OBSERVATION_B)

    assert raised.value.reason == "active_exists"
    assert raised.value.key == first.record.id
    assert await _active(backend) == first.record


async def test_insert_tracker_later_active_stale(backend: Harness) -> None:
    first = await _start(backend)
    moved = await _observe(backend, first.record.id, _day(12))

    with pytest.raises(Conflict) as raised:
        await _start(backend, day=_day(11))

    assert raised.value.reason == "stale"
    assert await _active(backend) == moved.record


async def test_insert_tracker_after_reset(backend: Harness) -> None:
    first = await _start(backend)
    await _reset(backend)

    second = await _start(backend, day=_day(11))

    assert second.outcome is WriteOutcome.CREATED
    assert second.record.id != first.record.id
    assert await _active(backend) == second.record
    assert (await backend.row_counts())["cost_drift_tracking"] == 2


async def test_insert_tracker_after_reset_same_day(backend: Harness) -> None:
    first = await _start(backend)
    await _reset(backend)

    second = await _start(backend)

    assert second.outcome is WriteOutcome.CREATED
    assert second.record.id != first.record.id


async def test_insert_tracker_concurrent_one_active(backend: Harness) -> None:
    first, second = await asyncio.gather(_start(backend), _start(backend))

    assert sorted([first.outcome, second.outcome]) == [WriteOutcome.CREATED, WriteOutcome.UNCHANGED]
    assert first.record.id == second.record.id
    assert (await backend.row_counts())["cost_drift_tracking"] == 1


async def test_insert_tracker_concurrent_other_values(backend: Harness) -> None:
    results = await asyncio.gather(_start(backend), _start(backend, observed=OBSERVATION_B))

    outcomes = sorted(result.outcome for result in results)
    assert outcomes == [WriteOutcome.CREATED, WriteOutcome.UPDATED]
    assert (await backend.row_counts())["cost_drift_tracking"] == 1
    active = await _active(backend)
    assert active is not None
    assert active.drift_days_count == 1


async def test_insert_tracker_entities_separate(backend: Harness) -> None:
    results = [
        await _start(backend),
        await _start(backend, entity_type=USER, entity_id="u1"),
        await _start(backend, entity_type=FEATURE, entity_id="u1"),
        await _start(backend, entity_type=USER, entity_id="U1"),
        await _start(backend, entity_type=USER, entity_id="u1", tenant_id="t2"),
    ]

    assert [result.outcome for result in results] == [WriteOutcome.CREATED] * 5
    assert len({result.record.id for result in results}) == 5


async def test_insert_tracker_accepts_value_strings(backend: Harness) -> None:
    async with backend.uow() as uow:
        result = await uow.cost_anomalies.insert_drift_tracking(
            "t1",
            entity_type="feature",  # type: ignore[arg-type]
            entity_id="chat.reply",
            observation=OBSERVATION_A,
            day=MARCH_10,
        )

    assert result.record.entity_type is FEATURE


async def test_insert_tracker_invisible_until_commit(backend: Harness) -> None:
    async with backend.uow() as writer:
        await writer.cost_anomalies.insert_drift_tracking(
            "t1", entity_type=TENANT, entity_id=None, observation=OBSERVATION_A, day=MARCH_10
        )
        reader = asyncio.create_task(_active(backend))
        await asyncio.sleep(0.3)
        # A serializing backend makes the reader wait for the commit. The
        # others let it read the state before the write.
        assert reader.done() is not backend.serializes_units_of_work

    seen = await reader
    assert (seen is not None) is backend.serializes_units_of_work
    assert await _active(backend) is not None


async def test_insert_tracker_rolled_back(backend: Harness) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with backend.uow() as uow:
            await uow.cost_anomalies.insert_drift_tracking(
                "t1", entity_type=TENANT, entity_id=None, observation=OBSERVATION_A, day=MARCH_10
            )
            raise Abort

    assert await _active(backend) is None


def _constructed(**changes: Any) -> DriftObservation:
    fields: dict[str, Any] = dict(OBSERVATION_A)
    fields.update(changes)
    return DriftObservation.model_construct(**fields)


OBSERVATION_INVALID = [
    pytest.param({"rolling_avg_usd": "12.5"}, "observation", id="not-a-model"),
    pytest.param(
        observation("-0.000000001", "10", "25"),
        "observation.rolling_avg_usd",
        id="negative-rolling",
    ),
    pytest.param(
        _constructed(rolling_avg_usd=12.5), "observation.rolling_avg_usd", id="float-rolling"
    ),
    pytest.param(
        observation("12.5", "-10", "25"), "observation.baseline_avg_usd", id="negative-baseline"
    ),
    pytest.param(observation("12.5", "NaN", "25"), "observation.baseline_avg_usd", id="nan-base"),
    pytest.param(observation("12.5", "10", "sNaN"), "observation.drift_pct", id="snan-drift"),
    pytest.param(
        observation("12.5", "10", "-1000000000000.5"), "observation.drift_pct", id="drift-bound"
    ),
    pytest.param(_constructed(drift_pct=True), "observation.drift_pct", id="bool-drift"),
]

INSERT_INVALID = [
    pytest.param({"tenant_id": ""}, "tenant_id", id="empty-tenant"),
    pytest.param({"entity_type": "team"}, "entity_type", id="unknown-entity-type"),
    pytest.param({"entity_id": "t1"}, "entity_id", id="tenant-with-id"),
    pytest.param({"entity_type": USER}, "entity_id", id="user-without-id"),
    pytest.param({"entity_type": FEATURE, "entity_id": ""}, "entity_id", id="empty-feature"),
    pytest.param({"entity_type": USER, "entity_id": "u" * 129}, "entity_id", id="long-id"),
    *(
        pytest.param({"observation": case.values[0]}, case.values[1], id=case.id)
        for case in OBSERVATION_INVALID
    ),
    pytest.param({"day": datetime(2024, 3, 10, tzinfo=UTC)}, "day", id="datetime-day"),
    pytest.param({"day": date(2200, 1, 1)}, "day", id="day-after-2199"),
]


@pytest.mark.parametrize(("changes", "field"), INSERT_INVALID)
async def test_insert_tracker_invalid(
    backend: Harness, changes: dict[str, Any], field: str
) -> None:
    arguments: dict[str, Any] = {
        "tenant_id": "t1",
        "entity_type": TENANT,
        "entity_id": None,
        "observation": OBSERVATION_A,
        "day": MARCH_10,
    }
    arguments.update(changes)
    tenant_id = arguments.pop("tenant_id")
    before = await backend.row_counts()

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.insert_drift_tracking(tenant_id, **arguments)
        after_error = await uow.cost_anomalies.insert_drift_tracking(
            "t1", entity_type=USER, entity_id="u7", observation=OBSERVATION_A, day=MARCH_10
        )

    assert raised.value.field == field
    assert after_error.outcome is WriteOutcome.CREATED
    counts = await backend.row_counts()
    assert counts["cost_drift_tracking"] == before["cost_drift_tracking"] + 1


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_insert_tracker_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _start(backend, tenant_id=tenant_id)

    assert raised.value.field == "tenant_id"
    assert (await backend.row_counts())["cost_drift_tracking"] == 0


async def test_insert_tracker_conflict_writes_nothing(backend: Harness) -> None:
    first = await _start(backend)

    async with backend.uow() as uow:
        with pytest.raises(Conflict):
            await uow.cost_anomalies.insert_drift_tracking(
                "t1", entity_type=TENANT, entity_id=None, observation=OBSERVATION_B, day=_day(11)
            )
        other = await uow.cost_anomalies.insert_drift_tracking(
            "t1", entity_type=USER, entity_id="u1", observation=OBSERVATION_B, day=_day(11)
        )

    assert other.outcome is WriteOutcome.CREATED
    assert await _active(backend) == first.record
    assert (await backend.row_counts())["cost_drift_tracking"] == 2


# update_drift_tracking


async def test_update_same_day_unchanged(backend: Harness) -> None:
    backend.clock.now = CLOCK
    first = await _start(backend)
    backend.clock.now = _clock(11)

    result = await _observe(backend, first.record.id, MARCH_10, OBSERVATION_A)

    assert result.outcome is WriteOutcome.UNCHANGED
    assert result.record == first.record
    assert result.record.updated_at == CLOCK


async def test_update_same_day_rescaled_unchanged(backend: Harness) -> None:
    first = await _start(backend)

    result = await _observe(
        backend, first.record.id, MARCH_10, observation("12.5000000000", "10.0", "25.0000004")
    )

    assert result.outcome is WriteOutcome.UNCHANGED


async def test_update_same_day_new_values(backend: Harness) -> None:
    backend.clock.now = CLOCK
    first = await _start(backend)
    backend.clock.now = _clock(11)

    result = await _observe(backend, first.record.id, MARCH_10)

    assert result.outcome is WriteOutcome.UPDATED
    assert _streak(result.record) == (1, MARCH_10, MARCH_10)
    assert result.record.rolling_avg_usd == Decimal("13.000000000")
    assert result.record.drift_pct == Decimal("30.000000")
    assert result.record.updated_at == _clock(11)
    assert result.record.created_at == CLOCK


async def test_update_next_day_adds_one(backend: Harness) -> None:
    first = await _start(backend)

    result = await _observe(backend, first.record.id, _day(11), OBSERVATION_A)

    assert result.outcome is WriteOutcome.UPDATED
    assert _streak(result.record) == (2, MARCH_10, _day(11))


async def test_update_gap_restarts(backend: Harness) -> None:
    first = await _start(backend)
    await _observe(backend, first.record.id, _day(11))

    result = await _observe(backend, first.record.id, _day(13))

    assert result.outcome is WriteOutcome.UPDATED
    assert _streak(result.record) == (1, _day(13), _day(13))
    assert result.record.id == first.record.id


async def test_update_older_day_stale(backend: Harness) -> None:
    first = await _start(backend)
    moved = await _observe(backend, first.record.id, _day(12))

    with pytest.raises(Conflict) as raised:
        await _observe(backend, first.record.id, _day(11), OBSERVATION_A)

    assert raised.value.reason == "stale"
    assert raised.value.key == first.record.id
    assert await _active(backend) == moved.record


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        pytest.param([date(2024, 3, 31), date(2024, 4, 1)], 2, id="month-end"),
        pytest.param([date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)], 3, id="leap-day"),
        pytest.param([date(2024, 12, 31), date(2025, 1, 1)], 2, id="year-end"),
        pytest.param([date(2023, 2, 28), date(2023, 3, 1)], 2, id="no-leap-day"),
        pytest.param([date(2024, 3, 9), date(2024, 3, 10), date(2024, 3, 11)], 3, id="dst-week"),
    ],
)
async def test_update_calendar_boundaries(
    backend: Harness, days: list[date], expected: int
) -> None:
    first = await _start(backend, day=days[0])

    for day in days[1:]:
        result = await _observe(backend, first.record.id, day)

    assert _streak(result.record) == (expected, days[0], days[-1])


async def test_update_unknown_id(backend: Harness) -> None:
    await _start(backend)

    with pytest.raises(NotFound) as raised:
        await _observe(backend, "dt_unknown", MARCH_10)

    assert raised.value.key == "dt_unknown"


async def test_update_other_tenant_id(backend: Harness) -> None:
    t2_tracker = await _start(backend, tenant_id="t2")

    with pytest.raises(NotFound):
        await _observe(backend, t2_tracker.record.id, _day(11))

    assert await _active(backend, tenant_id="t2") == t2_tracker.record


async def test_update_inactive(backend: Harness) -> None:
    first = await _start(backend)
    ended = await _reset(backend)

    with pytest.raises(NotFound):
        await _observe(backend, first.record.id, MARCH_10)

    assert ended is not None
    assert await _active(backend) is None


async def test_update_concurrent_same_day(backend: Harness) -> None:
    first = await _start(backend)

    results = await asyncio.gather(
        _observe(backend, first.record.id, MARCH_10), _observe(backend, first.record.id, MARCH_10)
    )

    assert sorted(result.outcome for result in results) == [
        WriteOutcome.UNCHANGED,
        WriteOutcome.UPDATED,
    ]
    active = await _active(backend)
    assert active is not None
    assert _streak(active) == (1, MARCH_10, MARCH_10)


async def test_update_concurrent_next_day(backend: Harness) -> None:
    first = await _start(backend)

    results = await asyncio.gather(
        _observe(backend, first.record.id, _day(11)), _observe(backend, first.record.id, _day(11))
    )

    assert sorted(result.outcome for result in results) == [
        WriteOutcome.UNCHANGED,
        WriteOutcome.UPDATED,
    ]
    active = await _active(backend)
    assert active is not None
    assert _streak(active) == (2, MARCH_10, _day(11))


async def test_update_concurrent_next_day_other_values(backend: Harness) -> None:
    first = await _start(backend)

    await asyncio.gather(
        _observe(backend, first.record.id, _day(11), OBSERVATION_A),
        _observe(backend, first.record.id, _day(11), OBSERVATION_B),
    )

    active = await _active(backend)
    assert active is not None
    assert _streak(active) == (2, MARCH_10, _day(11))


async def test_update_leaves_other_trackers(backend: Harness) -> None:
    first = await _start(backend)
    user_tracker = await _start(backend, entity_type=USER, entity_id="u1")
    t2_tracker = await _start(backend, tenant_id="t2")

    await _observe(backend, first.record.id, _day(11))

    assert await _active(backend, USER, "u1") == user_tracker.record
    assert await _active(backend, tenant_id="t2") == t2_tracker.record


UPDATE_INVALID = [
    pytest.param({"tenant_id": "t" * 65}, "tenant_id", id="long-tenant"),
    pytest.param({"tracker_id": ""}, "tracker_id", id="empty-id"),
    pytest.param({"tracker_id": "d" * 65}, "tracker_id", id="long-id"),
    pytest.param({"tracker_id": None}, "tracker_id", id="none-id"),
    pytest.param({"tracker_id": "dt_1 "}, "tracker_id", id="padded-id"),
    *(
        pytest.param({"observation": case.values[0]}, case.values[1], id=case.id)
        for case in OBSERVATION_INVALID
    ),
    pytest.param({"day": "2024-03-11"}, "day", id="string-day"),
    pytest.param({"day": date(1969, 12, 31)}, "day", id="day-before-1970"),
    pytest.param(
        {"tracker_id": "", "observation": observation("-1", "1", "1")}, "tracker_id", id="first"
    ),
]


@pytest.mark.parametrize(("changes", "field"), UPDATE_INVALID)
async def test_update_invalid(backend: Harness, changes: dict[str, Any], field: str) -> None:
    first = await _start(backend)
    arguments: dict[str, Any] = {
        "tenant_id": "t1",
        "tracker_id": first.record.id,
        "observation": OBSERVATION_B,
        "day": _day(11),
    }
    arguments.update(changes)
    tenant_id = arguments.pop("tenant_id")

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.update_drift_tracking(tenant_id, **arguments)
        after_error = await uow.cost_anomalies.update_drift_tracking(
            "t1", tracker_id=first.record.id, observation=OBSERVATION_A, day=_day(12)
        )

    assert raised.value.field == field
    assert _streak(after_error.record) == (1, _day(12), _day(12))
    assert await _active(backend) == after_error.record


# reset_drift_tracking and fetch_drift_tracking


async def test_reset_returns_deactivated(backend: Harness) -> None:
    backend.clock.now = CLOCK
    first = await _start(backend, entity_type=USER, entity_id="u1")
    backend.clock.now = _clock(12)

    ended = await _reset(backend, USER, "u1")

    assert ended is not None
    assert ended.id == first.record.id
    assert ended.is_active is False
    assert ended.deactivated_at == _clock(12)
    assert ended.updated_at == _clock(12)
    assert ended.created_at == CLOCK
    assert _streak(ended) == _streak(first.record)
    assert ended.rolling_avg_usd == first.record.rolling_avg_usd


async def test_reset_twice_writes_nothing(backend: Harness) -> None:
    await _start(backend)
    await _reset(backend)
    before = await backend.row_counts()

    second = await _reset(backend)

    assert second is None
    assert await backend.row_counts() == before


async def test_reset_keeps_history(backend: Harness) -> None:
    await _start(backend)
    await _reset(backend)
    await _start(backend, day=_day(11))
    await _reset(backend)

    assert (await backend.row_counts())["cost_drift_tracking"] == 2


async def test_reset_without_tracker(backend: Harness) -> None:
    assert await _reset(backend) is None


async def test_reset_leaves_other_entities(backend: Harness) -> None:
    user_tracker = await _start(backend, entity_type=USER, entity_id="u1")
    feature_tracker = await _start(backend, entity_type=FEATURE, entity_id="u1")
    t2_tracker = await _start(backend, entity_type=USER, entity_id="u1", tenant_id="t2")

    await _reset(backend, USER, "u1")

    assert await _active(backend, USER, "u1") is None
    assert await _active(backend, FEATURE, "u1") == feature_tracker.record
    assert await _active(backend, USER, "u1", "t2") == t2_tracker.record
    assert user_tracker.record.is_active is True


async def test_fetch_tracker_only_own_entity(backend: Harness) -> None:
    user_tracker = await _start(backend, entity_type=USER, entity_id="u1")
    await _start(backend, entity_type=USER, entity_id="u2", tenant_id="t2")

    assert await _active(backend, USER, "u1") == user_tracker.record
    assert await _active(backend, USER, "u2") is None
    assert await _active(backend, FEATURE, "u1") is None
    assert await _active(backend) is None
    assert await _active(backend, USER, "u1", "t2") is None


async def test_fetch_tracker_none_after_reset(backend: Harness) -> None:
    await _start(backend)
    await _reset(backend)

    assert await _active(backend) is None


async def test_fetch_tracker_empty(backend: Harness) -> None:
    assert await _active(backend, FEATURE, "chat.reply") is None


ENTITY_INVALID = [
    pytest.param({"tenant_id": "t\x001"}, "tenant_id", id="nul-tenant"),
    pytest.param({"entity_type": "team"}, "entity_type", id="unknown-entity-type"),
    pytest.param({"entity_type": TENANT, "entity_id": "t1"}, "entity_id", id="tenant-with-id"),
    pytest.param({"entity_id": None}, "entity_id", id="user-without-id"),
    pytest.param({"entity_type": FEATURE, "entity_id": None}, "entity_id", id="feature-no-id"),
    pytest.param({"entity_id": "u\n1"}, "entity_id", id="control-character"),
]


@pytest.mark.parametrize("method", ["fetch_drift_tracking", "reset_drift_tracking"])
@pytest.mark.parametrize(("changes", "field"), ENTITY_INVALID)
async def test_entity_methods_invalid(
    backend: Harness, method: str, changes: dict[str, Any], field: str
) -> None:
    await _start(backend, entity_type=USER, entity_id="u1")
    arguments: dict[str, Any] = {"tenant_id": "t1", "entity_type": USER, "entity_id": "u1"}
    arguments.update(changes)
    tenant_id = arguments.pop("tenant_id")

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await getattr(uow.cost_anomalies, method)(tenant_id, **arguments)

    assert raised.value.field == field
    assert await _active(backend, USER, "u1") is not None


async def test_entity_methods_accept_value_strings(backend: Harness) -> None:
    await _start(backend, entity_type=USER, entity_id="u1")

    async with backend.uow() as uow:
        fetched = await uow.cost_anomalies.fetch_drift_tracking(
            "t1",
            entity_type="user",  # type: ignore[arg-type]
            entity_id="u1",
        )
        ended = await uow.cost_anomalies.reset_drift_tracking(
            "t1",
            entity_type="user",  # type: ignore[arg-type]
            entity_id="u1",
        )

    assert fetched is not None
    assert ended is not None
    assert ended.id == fetched.id


async def test_tracker_older_day_after_reset_allowed(backend: Harness) -> None:
    # History never blocks a new episode, even one that starts before the old one ended.
    await _start(backend, day=_day(12))
    await _reset(backend)

    restarted = await _start(backend, day=_day(11))

    assert restarted.outcome is WriteOutcome.CREATED
    assert _streak(restarted.record) == (1, _day(11), _day(11))
    assert restarted.record.first_drift_date == _day(11)
