"""Regression cases of the dashboard reads: local days, clock changes, offsets, exact money.

Each case writes its rows through the ports, commits, and reads with
``fetch_cost_spend`` or ``fetch_cost_by_feature``. Where a case has no rows of
its own for ``t2``, every ``t1`` row is also written under ``t2`` with ten times
the cost, and ``t2`` must see only those. On a backend with a connection time
zone every read runs again with the connection set to America/Los_Angeles.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from analytics.domain import BucketUnit, CostRecord, NewCostRecord, WriteOutcome, WriteResult
from analytics.ports import InvalidInput, UnitOfWork
from tests.contract.analytics_data import (
    ZERO_USD,
    SpendRow,
    hourly,
    read_in_every_session_zone,
    record,
    spend_rows,
    store_records,
    times_ten,
    usd,
)
from tests.contract.example_data import utc
from tests.contract.harness import Harness

LOS_ANGELES_SESSION = ("America/Los_Angeles",)


def spend_call(
    tenant_id: str, start: datetime, end: datetime, unit: str, tz: str
) -> Callable[[UnitOfWork], Awaitable[Any]]:
    """Return a read of ``fetch_cost_spend`` with the given window."""

    async def call(uow: UnitOfWork) -> Any:
        return await uow.analytics_reads.fetch_cost_spend(
            tenant_id, start=start, end=end, unit=BucketUnit(unit), tz=tz
        )

    return call


async def spend_everywhere(
    backend: Harness, tenant_id: str, start: datetime, end: datetime, unit: str, tz: str
) -> list[list[SpendRow]]:
    """Return the spend series of every connection time zone the backend has."""
    call = spend_call(tenant_id, start, end, unit, tz)
    results = await read_in_every_session_zone(backend, call, LOS_ANGELES_SESSION)
    return [spend_rows(points) for points in results]


async def store_for_both_tenants(backend: Harness, records: list[NewCostRecord]) -> None:
    """Store the rows under t1, and under t2 with ten times the cost, in one unit of work."""
    async with backend.uow() as uow:
        for item in records:
            result = await uow.cost_writes.create_cost_record("t1", record=item)
            assert result.outcome is WriteOutcome.CREATED
        for item in times_ten(records):
            await uow.cost_writes.create_cost_record("t2", record=item)


async def create(backend: Harness, tenant_id: str, item: NewCostRecord) -> WriteResult[CostRecord]:
    """Write one cost record in its own committed unit of work."""
    async with backend.uow() as uow:
        return await uow.cost_writes.create_cost_record(tenant_id, record=item)


def assert_money_exponents(rows: list[SpendRow]) -> None:
    """Check that every spend is a Decimal with nine decimal places."""
    for row in rows:
        assert isinstance(row[3], Decimal)
        assert row[3].as_tuple().exponent == -9


# Local day in the requested zone


async def test_local_day_of_requested_zone(backend: Harness) -> None:
    shanghai = timezone(timedelta(hours=8))
    rows = [
        record(utc(2026, 4, 27, 16, 30), "0.12", input_tokens=1200, output_tokens=300),
        record(utc(2026, 4, 28, 0, 30), "0.08", input_tokens=800, output_tokens=200),
        record(utc(2026, 4, 27, 15, 59, 59), "0.05", input_tokens=500, output_tokens=100),
    ]
    await store_records(backend.uow, "t1", rows)
    await store_records(backend.uow, "t2", [record(utc(2026, 4, 28, 1), "9.99")])
    start = datetime(2026, 4, 27, tzinfo=shanghai)
    end = datetime(2026, 4, 29, tzinfo=shanghai)

    first = await spend_everywhere(backend, "t1", start, end, "day", "Asia/Shanghai")
    second = await spend_everywhere(backend, "t2", start, end, "day", "Asia/Shanghai")

    for points in first:
        assert points == [
            (utc(2026, 4, 26, 16), utc(2026, 4, 27, 16), 1, usd("0.050000000"), 500, 100),
            (utc(2026, 4, 27, 16), utc(2026, 4, 28, 16), 2, usd("0.200000000"), 2000, 500),
        ]
    for points in second:
        assert points == [
            (utc(2026, 4, 26, 16), utc(2026, 4, 27, 16), 0, ZERO_USD, 0, 0),
            (utc(2026, 4, 27, 16), utc(2026, 4, 28, 16), 1, usd("9.990000000"), 100, 10),
        ]


# Repeated fall-back hour


FALL_BACK_START = datetime(2026, 11, 1, tzinfo=timezone(timedelta(hours=-4)))
FALL_BACK_END = datetime(2026, 11, 2, tzinfo=timezone(timedelta(hours=-5)))


async def test_fall_back_hour_buckets(backend: Harness) -> None:
    # 01:15 EDT, 01:15 EST and 02:15 EST on 2026-11-01 in New York.
    rows = [
        record(utc(2026, 11, 1, 5, 15), "0.30"),
        record(utc(2026, 11, 1, 6, 15), "0.50"),
        record(utc(2026, 11, 1, 7, 15), "0.70"),
    ]
    await store_for_both_tenants(backend, rows)

    first = await spend_everywhere(
        backend, "t1", FALL_BACK_START, FALL_BACK_END, "hour", "America/New_York"
    )
    second = await spend_everywhere(
        backend, "t2", FALL_BACK_START, FALL_BACK_END, "hour", "America/New_York"
    )

    buckets = hourly(utc(2026, 11, 1, 4), 25)
    for points in first:
        assert [(row[0], row[1]) for row in points] == buckets
        assert [row for row in points if row[2]] == [
            (utc(2026, 11, 1, 5), utc(2026, 11, 1, 6), 1, usd("0.300000000"), 100, 10),
            (utc(2026, 11, 1, 6), utc(2026, 11, 1, 7), 1, usd("0.500000000"), 100, 10),
            (utc(2026, 11, 1, 7), utc(2026, 11, 1, 8), 1, usd("0.700000000"), 100, 10),
        ]
        assert [row[3] for row in points if not row[2]] == [ZERO_USD] * 22
    for points in second:
        assert [row[3] for row in points if row[2]] == [
            usd("3.000000000"),
            usd("5.000000000"),
            usd("7.000000000"),
        ]


async def test_fall_back_day_bucket(backend: Harness) -> None:
    rows = [
        record(utc(2026, 11, 1, 5, 15), "0.30"),
        record(utc(2026, 11, 1, 6, 15), "0.50"),
        record(utc(2026, 11, 1, 7, 15), "0.70"),
    ]
    await store_for_both_tenants(backend, rows)

    first = await spend_everywhere(
        backend, "t1", FALL_BACK_START, FALL_BACK_END, "day", "America/New_York"
    )
    second = await spend_everywhere(
        backend, "t2", FALL_BACK_START, FALL_BACK_END, "day", "America/New_York"
    )

    for points in first:
        assert points == [
            (utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), 3, usd("1.500000000"), 300, 30)
        ]
    for points in second:
        assert points == [
            (utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), 3, usd("15.000000000"), 300, 30)
        ]


# Historical offsets and half-hour zones

HALF_HOUR_ROWS = [
    record(utc(2026, 3, 9, 18, 20), "0.011"),
    record(utc(2026, 3, 9, 18, 40), "0.022"),
    record(utc(2026, 7, 1, 7, 10), "0.005"),
]


async def test_kolkata_days_use_current_offset(backend: Harness) -> None:
    await store_for_both_tenants(backend, HALF_HOUR_ROWS)
    india = timezone(timedelta(hours=5, minutes=30))
    start = datetime(2026, 3, 9, tzinfo=india)
    end = datetime(2026, 3, 11, tzinfo=india)

    first = await spend_everywhere(backend, "t1", start, end, "day", "Asia/Kolkata")
    second = await spend_everywhere(backend, "t2", start, end, "day", "Asia/Kolkata")

    for points in first:
        assert points == [
            (utc(2026, 3, 8, 18, 30), utc(2026, 3, 9, 18, 30), 1, usd("0.011000000"), 100, 10),
            (utc(2026, 3, 9, 18, 30), utc(2026, 3, 10, 18, 30), 1, usd("0.022000000"), 100, 10),
        ]
    for points in second:
        assert [row[3] for row in points] == [usd("0.110000000"), usd("0.220000000")]


async def test_kolkata_hours_start_half_past(backend: Harness) -> None:
    await store_for_both_tenants(backend, HALF_HOUR_ROWS)
    start, end = utc(2026, 3, 9, 17, 30), utc(2026, 3, 9, 19, 30)

    first = await spend_everywhere(backend, "t1", start, end, "hour", "Asia/Kolkata")
    second = await spend_everywhere(backend, "t2", start, end, "hour", "Asia/Kolkata")

    for points in first:
        assert points == [
            (utc(2026, 3, 9, 17, 30), utc(2026, 3, 9, 18, 30), 1, usd("0.011000000"), 100, 10),
            (utc(2026, 3, 9, 18, 30), utc(2026, 3, 9, 19, 30), 1, usd("0.022000000"), 100, 10),
        ]
    for points in second:
        assert [row[3] for row in points] == [usd("0.110000000"), usd("0.220000000")]


async def test_phoenix_days_use_current_offset(backend: Harness) -> None:
    await store_for_both_tenants(backend, HALF_HOUR_ROWS)
    arizona = timezone(timedelta(hours=-7))
    start = datetime(2026, 6, 30, tzinfo=arizona)
    end = datetime(2026, 7, 2, tzinfo=arizona)

    first = await spend_everywhere(backend, "t1", start, end, "day", "America/Phoenix")
    second = await spend_everywhere(backend, "t2", start, end, "day", "America/Phoenix")

    for points in first:
        assert points == [
            (utc(2026, 6, 30, 7), utc(2026, 7, 1, 7), 0, ZERO_USD, 0, 0),
            (utc(2026, 7, 1, 7), utc(2026, 7, 2, 7), 1, usd("0.005000000"), 100, 10),
        ]
    for points in second:
        assert [row[3] for row in points] == [ZERO_USD, usd("0.050000000")]


# Offsets kept when aware datetimes are stored

PACIFIC_STANDARD = timezone(timedelta(hours=-8))
OFFSET_ROWS = [
    record(datetime(2026, 2, 10, 13, 30, 45, tzinfo=PACIFIC_STANDARD), "0.25", request_id="m-1"),
    record(utc(2026, 2, 10, 22), "0.10"),
]


async def test_offset_kept_on_replay(backend: Harness) -> None:
    created = await create(backend, "t1", OFFSET_ROWS[0])
    await store_records(backend.uow, "t1", OFFSET_ROWS[1:])
    await store_records(backend.uow, "t2", times_ten(OFFSET_ROWS))

    replay = await create(backend, "t1", OFFSET_ROWS[0])

    assert created.record.occurred_at == datetime(2026, 2, 10, 21, 30, 45, tzinfo=UTC)
    assert replay.outcome is WriteOutcome.UNCHANGED
    assert replay.record.id == created.record.id
    assert replay.record.occurred_at == datetime(2026, 2, 10, 21, 30, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(utc(2026, 2, 10, 21), utc(2026, 2, 10, 22), id="utc-window"),
        pytest.param(
            datetime(2026, 2, 10, 13, tzinfo=PACIFIC_STANDARD),
            datetime(2026, 2, 10, 14, tzinfo=PACIFIC_STANDARD),
            id="pacific-window",
        ),
    ],
)
async def test_offset_window_hour(backend: Harness, start: datetime, end: datetime) -> None:
    await store_for_both_tenants(backend, OFFSET_ROWS)

    first = await spend_everywhere(backend, "t1", start, end, "hour", "UTC")
    second = await spend_everywhere(backend, "t2", start, end, "hour", "UTC")

    # m2 at exactly 22:00Z is on the excluded end of the window.
    for points in first:
        assert points == [
            (utc(2026, 2, 10, 21), utc(2026, 2, 10, 22), 1, usd("0.250000000"), 100, 10)
        ]
        assert points[0][0].tzinfo is UTC
    for points in second:
        assert [row[3] for row in points] == [usd("2.500000000")]


async def test_offset_window_day(backend: Harness) -> None:
    await store_for_both_tenants(backend, OFFSET_ROWS)

    first = await spend_everywhere(backend, "t1", utc(2026, 2, 10), utc(2026, 2, 11), "day", "UTC")

    for points in first:
        assert points == [(utc(2026, 2, 10), utc(2026, 2, 11), 2, usd("0.350000000"), 200, 20)]


# Aware datetimes on timestamp columns

STAMP = datetime(2026, 2, 3, 21, 32, 50, 353909, tzinfo=UTC)
INDIA = timezone(timedelta(hours=5, minutes=30))


def stamped(request_id: str, occurred_at: datetime = STAMP) -> NewCostRecord:
    """Build the cost record of the timestamp case."""
    return NewCostRecord(
        occurred_at=occurred_at,
        model="m1",
        input_tokens=1200,
        output_tokens=80,
        cost_usd=Decimal("0.0042"),
        request_id=request_id,
    )


async def test_aware_timestamps_round_trip(backend: Harness) -> None:
    in_india = datetime(2026, 2, 4, 3, 2, 50, 353909, tzinfo=INDIA)
    async with backend.uow() as uow:
        first = await uow.cost_writes.create_cost_record("t1", record=stamped("s-1"))
        second = await uow.cost_writes.create_cost_record("t1", record=stamped("s-2", in_india))

    replay = await create(backend, "t1", stamped("s-1"))
    replay_in_india = await create(backend, "t1", stamped("s-1", in_india))

    assert first.outcome is WriteOutcome.CREATED
    assert first.record.occurred_at == STAMP
    assert first.record.cost_usd == usd("0.004200000")
    assert second.outcome is WriteOutcome.CREATED
    assert second.record.occurred_at == STAMP
    assert replay.outcome is WriteOutcome.UNCHANGED
    assert replay.record.id == first.record.id
    assert replay.record.occurred_at == STAMP
    assert replay.record.occurred_at.tzinfo is UTC
    assert replay_in_india.outcome is WriteOutcome.UNCHANGED
    assert replay_in_india.record.id == first.record.id


async def test_naive_timestamp_rejected(backend: Harness) -> None:
    await store_records(backend.uow, "t1", [stamped("s-1"), stamped("s-2")])

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_writes.create_cost_record(
                "t1", record=stamped("s-3", datetime(2026, 2, 3, 21, 32, 50))
            )
        # The same unit of work still writes and commits the second tenant's copy.
        for item in times_ten([stamped("s-1"), stamped("s-2")]):
            await uow.cost_writes.create_cost_record("t2", record=item)

    first = await spend_everywhere(backend, "t1", utc(2026, 2, 3), utc(2026, 2, 5), "day", "UTC")
    second = await spend_everywhere(backend, "t2", utc(2026, 2, 3), utc(2026, 2, 5), "day", "UTC")

    assert raised.value.field == "record.occurred_at"
    for points in first:
        assert points == [
            (utc(2026, 2, 3), utc(2026, 2, 4), 2, usd("0.008400000"), 2400, 160),
            (utc(2026, 2, 4), utc(2026, 2, 5), 0, ZERO_USD, 0, 0),
        ]
    for points in second:
        assert [row[3] for row in points] == [usd("0.084000000"), ZERO_USD]


# Monthly period in the tenant's zone


async def test_month_buckets_in_tenant_zone(backend: Harness) -> None:
    pacific = timezone(timedelta(hours=-7))
    rows = [
        record(datetime(2026, 5, 31, 23, 30, tzinfo=pacific), "40"),
        record(datetime(2026, 6, 1, 0, 30, tzinfo=pacific), "70"),
        record(datetime(2026, 6, 30, 17, 30, tzinfo=pacific), "20"),
    ]
    await store_for_both_tenants(backend, rows)
    start = datetime(2026, 5, 1, tzinfo=pacific)
    end = datetime(2026, 7, 1, tzinfo=pacific)

    first = await spend_everywhere(backend, "t1", start, end, "month", "America/Los_Angeles")
    second = await spend_everywhere(backend, "t2", start, end, "month", "America/Los_Angeles")

    for points in first:
        assert points == [
            (utc(2026, 5, 1, 7), utc(2026, 6, 1, 7), 1, usd("40.000000000"), 100, 10),
            (utc(2026, 6, 1, 7), utc(2026, 7, 1, 7), 2, usd("90.000000000"), 200, 20),
        ]
    for points in second:
        assert [row[3] for row in points] == [usd("400.000000000"), usd("900.000000000")]


# Exact money sums


def exact_sum_rows() -> list[NewCostRecord]:
    """Return the 220 rows of the exact-sum case."""
    search = [
        record(utc(2026, 12, 2, 9) + timedelta(minutes=i), "0.10", feature_tag="search")
        for i in range(10)
    ]
    chat = [
        record(utc(2026, 12, 2, 10) + timedelta(seconds=10 * i), "0.01", feature_tag="chat")
        for i in range(200)
    ]
    batch = [
        record(utc(2026, 12, 3, 9) + timedelta(minutes=i), "999999.999999999", feature_tag="batch")
        for i in range(10)
    ]
    return [*search, *chat, *batch]


async def test_exact_day_sum(backend: Harness) -> None:
    await store_records(backend.uow, "t1", exact_sum_rows())
    await store_records(
        backend.uow, "t2", [record(utc(2026, 12, 2, 9), "0.30", feature_tag="search")]
    )

    first = await spend_everywhere(backend, "t1", utc(2026, 12, 2), utc(2026, 12, 3), "day", "UTC")
    second = await spend_everywhere(backend, "t2", utc(2026, 12, 2), utc(2026, 12, 3), "day", "UTC")

    for points in first:
        assert points == [
            (utc(2026, 12, 2), utc(2026, 12, 3), 210, usd("3.000000000"), 21000, 2100)
        ]
        assert points[0][3] == Decimal("3")
        assert_money_exponents(points)
    for points in second:
        assert points == [(utc(2026, 12, 2), utc(2026, 12, 3), 1, usd("0.300000000"), 100, 10)]


async def test_exact_feature_sums(backend: Harness) -> None:
    await store_records(backend.uow, "t1", exact_sum_rows())
    await store_records(
        backend.uow, "t2", [record(utc(2026, 12, 2, 9), "0.30", feature_tag="search")]
    )

    async def call(uow: UnitOfWork) -> Any:
        return await uow.analytics_reads.fetch_cost_by_feature(
            "t1", start=utc(2026, 12, 2), end=utc(2026, 12, 3)
        )

    results = await read_in_every_session_zone(backend, call, LOS_ANGELES_SESSION)

    for breakdown in results:
        assert [
            (item.feature_tag, item.requests, item.spend_usd, item.input_tokens, item.output_tokens)
            for item in breakdown.items
        ] == [
            ("chat", 200, usd("2.000000000"), 20000, 2000),
            ("search", 10, usd("1.000000000"), 1000, 100),
        ]
        rest, total = breakdown.rest, breakdown.total
        assert (rest.groups, rest.requests, rest.spend_usd) == (0, 0, ZERO_USD)
        assert (rest.input_tokens, rest.output_tokens) == (0, 0)
        assert (total.groups, total.requests, total.spend_usd) == (2, 210, usd("3.000000000"))
        assert (total.input_tokens, total.output_tokens) == (21000, 2100)
        for amount in [
            *(item.spend_usd for item in breakdown.items),
            rest.spend_usd,
            total.spend_usd,
        ]:
            assert isinstance(amount, Decimal)
            assert amount.as_tuple().exponent == -9


async def test_exact_large_amounts(backend: Harness) -> None:
    await store_records(backend.uow, "t1", exact_sum_rows())

    first = await spend_everywhere(backend, "t1", utc(2026, 12, 3), utc(2026, 12, 4), "day", "UTC")

    # Naive, compensated and correctly rounded float sums all give 9999999.999999989.
    for points in first:
        assert points == [
            (utc(2026, 12, 3), utc(2026, 12, 4), 10, usd("9999999.999999990"), 1000, 100)
        ]
        assert_money_exponents(points)


# Idempotent replay returns the stored record


def replayed(cost: str, occurred_at: datetime, request_id: str) -> NewCostRecord:
    """Build the cost record of the replay case."""
    return NewCostRecord(
        occurred_at=occurred_at,
        model="m1",
        input_tokens=1000,
        output_tokens=200,
        cost_usd=Decimal(cost),
        request_id=request_id,
    )


async def test_replay_counts_once(backend: Harness) -> None:
    other = await create(backend, "t2", replayed("0.2", utc(2026, 12, 1, 10), "req-42"))
    call_1 = replayed("0.020000000", utc(2026, 12, 1, 10), "req-42")
    first = await create(backend, "t1", call_1)

    second = await create(backend, "t1", call_1)
    rescaled = await create(backend, "t1", replayed("0.02", utc(2026, 12, 1, 10), "req-42"))
    concurrent = await asyncio.gather(*(create(backend, "t1", call_1) for _ in range(10)))
    new_key = replayed("0.02", utc(2026, 12, 2, 10), "req-43")
    racing = await asyncio.gather(*(create(backend, "t1", new_key) for _ in range(10)))

    assert other.outcome is WriteOutcome.CREATED
    assert first.outcome is WriteOutcome.CREATED
    assert re.fullmatch(r"cr_[0-9a-f]{32}", first.record.id)
    assert second.outcome is WriteOutcome.UNCHANGED
    assert second.record == first.record
    assert rescaled.outcome is WriteOutcome.UNCHANGED
    assert rescaled.record.id == first.record.id
    assert {result.outcome for result in concurrent} == {WriteOutcome.UNCHANGED}
    assert {result.record.id for result in concurrent} == {first.record.id}
    assert sorted(result.outcome for result in racing) == sorted(
        [WriteOutcome.CREATED] + [WriteOutcome.UNCHANGED] * 9
    )
    assert len({result.record.id for result in racing}) == 1


async def test_replay_series(backend: Harness) -> None:
    await create(backend, "t2", replayed("0.2", utc(2026, 12, 1, 10), "req-42"))
    call_1 = replayed("0.020000000", utc(2026, 12, 1, 10), "req-42")
    for _ in range(2):
        await create(backend, "t1", call_1)
    await create(backend, "t1", replayed("0.02", utc(2026, 12, 1, 10), "req-42"))
    for _ in range(2):
        await create(backend, "t1", replayed("0.02", utc(2026, 12, 2, 10), "req-43"))

    first = await spend_everywhere(backend, "t1", utc(2026, 12, 1), utc(2026, 12, 3), "day", "UTC")
    second = await spend_everywhere(backend, "t2", utc(2026, 12, 1), utc(2026, 12, 3), "day", "UTC")

    for points in first:
        assert points == [
            (utc(2026, 12, 1), utc(2026, 12, 2), 1, usd("0.020000000"), 1000, 200),
            (utc(2026, 12, 2), utc(2026, 12, 3), 1, usd("0.020000000"), 1000, 200),
        ]
    for points in second:
        assert points == [
            (utc(2026, 12, 1), utc(2026, 12, 2), 1, usd("0.200000000"), 1000, 200),
            (utc(2026, 12, 2), utc(2026, 12, 3), 0, ZERO_USD, 0, 0),
        ]
