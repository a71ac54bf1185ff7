"""Day-range spend summaries: entity baselines, tenant baselines, rolling and baseline averages.

Local days are those of the zone passed: 2024-03-10 is a 23-hour day and
2024-11-03 a 25-hour day in New York, and Kolkata days start at 18:30Z.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from analytics.domain import DailySpendSummary, EntityDailySpendSummary, EntityDimension
from analytics.ports import InvalidInput, UnitOfWork
from tests.contract.anomaly_spend_data import (
    HOSTILE_ID,
    INVALID_DAYS,
    INVALID_FLAGS,
    INVALID_ZONES,
    ZERO_USD,
    is_money,
    read,
    read_in_every_session_zone,
    record,
    store_records,
    usd,
    utc,
)
from tests.contract.example_data import KOLKATA, NY, load_cost_records
from tests.contract.harness import Harness

MARCH_9 = date(2024, 3, 9)
MARCH_10 = date(2024, 3, 10)
MARCH_11 = date(2024, 3, 11)
MARCH_12 = date(2024, 3, 12)

BaselineRow = tuple[str, Any, int, int, int, Any, Any]
SummaryRow = tuple[Any, int, int, int, Any, Any]


def baseline_rows(summaries: list[EntityDailySpendSummary]) -> list[BaselineRow]:
    """Return each entity summary as (id, total, requests, active, calendar, avgs)."""
    return [
        (
            item.entity_id,
            item.total_usd,
            item.requests,
            item.active_days,
            item.calendar_days,
            item.avg_per_active_day_usd,
            item.avg_per_calendar_day_usd,
        )
        for item in summaries
    ]


def summary_row(summary: DailySpendSummary) -> SummaryRow:
    """Return a summary as (total, requests, active, calendar, per active day, per calendar day)."""
    return (
        summary.total_usd,
        summary.requests,
        summary.active_days,
        summary.calendar_days,
        summary.avg_per_active_day_usd,
        summary.avg_per_calendar_day_usd,
    )


async def entity_baseline(backend: Harness, tenant_id: str = "t1", **arguments: Any) -> Any:
    """Read entity baselines in a new unit of work."""
    return await read(
        backend.uow,
        lambda uow: uow.cost_anomalies.fetch_entity_baseline(tenant_id, **arguments),
    )


async def tenant_baseline(backend: Harness, tenant_id: str = "t1", **arguments: Any) -> Any:
    """Read the tenant baseline in a new unit of work."""
    return await read(
        backend.uow,
        lambda uow: uow.cost_anomalies.fetch_tenant_baseline(tenant_id, **arguments),
    )


# fetch_entity_baseline


USERS_NY: dict[str, Any] = {
    "dimension": EntityDimension.USER,
    "start_day": MARCH_9,
    "end_day": MARCH_12,
    "tz": NY,
}


async def test_entity_baseline_users_new_york(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    summaries = await entity_baseline(backend, **USERS_NY)

    assert baseline_rows(summaries) == [
        ("u2", usd("0.450000000"), 2, 1, 3, usd("0.450000000"), usd("0.150000000")),
        ("u1", usd("0.350000000"), 3, 3, 3, usd("0.116666667"), usd("0.116666667")),
    ]


async def test_entity_baseline_fields_and_types(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    first = (await entity_baseline(backend, **USERS_NY))[0]

    assert first.dimension is EntityDimension.USER
    assert first.start_day == MARCH_9
    assert first.end_day == MARCH_12
    assert first.tz == NY
    assert is_money(first.total_usd)
    assert is_money(first.avg_per_active_day_usd)
    assert is_money(first.avg_per_calendar_day_usd)
    with pytest.raises(ValidationError):
        first.total_usd = usd("1")


async def test_entity_baseline_users_utc(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    summaries = await entity_baseline(backend, **{**USERS_NY, "tz": "UTC"})

    # r4 (2024-03-11T03:59Z) is on 03-10 in New York but on 03-11 in UTC.
    assert baseline_rows(summaries) == [
        ("u2", usd("0.450000000"), 2, 2, 3, usd("0.225000000"), usd("0.150000000")),
        ("u1", usd("0.350000000"), 3, 3, 3, usd("0.116666667"), usd("0.116666667")),
    ]


async def test_entity_baseline_features_skip_untagged(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    summaries = await entity_baseline(backend, **{**USERS_NY, "dimension": EntityDimension.FEATURE})

    assert baseline_rows(summaries) == [
        ("chat.reply", usd("0.350000000"), 3, 3, 3, usd("0.116666667"), usd("0.116666667")),
        ("search.rank", usd("0.150000000"), 1, 1, 3, usd("0.150000000"), usd("0.050000000")),
    ]


async def test_entity_baseline_accepts_dimension_string(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    by_member = await entity_baseline(backend, **USERS_NY)
    by_value = await entity_baseline(backend, **{**USERS_NY, "dimension": "user"})

    assert by_value == by_member


async def test_entity_baseline_ids_get_zero_rows(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    summaries = await entity_baseline(backend, **USERS_NY, entity_ids=["u1", "u9"])

    assert baseline_rows(summaries) == [
        ("u1", usd("0.350000000"), 3, 3, 3, usd("0.116666667"), usd("0.116666667")),
        ("u9", ZERO_USD, 0, 0, 3, None, ZERO_USD),
    ]
    assert is_money(summaries[1].total_usd)
    assert is_money(summaries[1].avg_per_calendar_day_usd)


async def test_entity_baseline_ids_collapse_duplicates(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    summaries = await entity_baseline(
        backend, **USERS_NY, entity_ids=["u9", "u2", "u9", "u1", "u2"], limit=1
    )

    assert [item.entity_id for item in summaries] == ["u2", "u1", "u9"]


async def test_entity_baseline_empty_id_list(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    assert await entity_baseline(backend, **USERS_NY, entity_ids=[]) == []


async def test_entity_baseline_without_records(backend: Harness) -> None:
    assert await entity_baseline(backend, **USERS_NY) == []


async def test_entity_baseline_other_tenant(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    summaries = await entity_baseline(backend, "t2", **USERS_NY, entity_ids=["u1", "u2"])

    assert baseline_rows(summaries) == [
        ("u1", usd("5.000000000"), 1, 1, 3, usd("5.000000000"), usd("1.666666667")),
        ("u2", ZERO_USD, 0, 0, 3, None, ZERO_USD),
    ]


async def test_entity_baseline_includes_synthetic(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    summaries = await entity_baseline(backend, **USERS_NY, include_synthetic=True)

    assert baseline_rows(summaries)[0] == (
        "u1",
        usd("10.340000000"),
        4,
        3,
        3,
        usd("3.446666667"),
        usd("3.446666667"),
    )


async def test_entity_baseline_half_even_averages(backend: Harness) -> None:
    # Two days, UTC: "a" spends 2 + 3 nanos, "b" spends 3 + 4 nanos.
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 5, 1, 9), "0.000000002", user_id="a"),
            record(utc(2024, 5, 2, 9), "0.000000003", user_id="a"),
            record(utc(2024, 5, 1, 9), "0.000000003", user_id="b"),
            record(utc(2024, 5, 2, 9), "0.000000004", user_id="b"),
        ],
    )

    summaries = await entity_baseline(
        backend, dimension="user", start_day=date(2024, 5, 1), end_day=date(2024, 5, 3)
    )

    # 7 / 2 rounds half-even up to 4 nanos, 5 / 2 down to 2 nanos.
    assert baseline_rows(summaries) == [
        ("b", usd("7E-9"), 2, 2, 2, usd("4E-9"), usd("4E-9")),
        ("a", usd("5E-9"), 2, 2, 2, usd("2E-9"), usd("2E-9")),
    ]


async def test_entity_baseline_zero_total_returned(backend: Harness) -> None:
    await store_records(backend.uow, "t1", [record(utc(2024, 5, 1, 9), "0", user_id="free")])

    summaries = await entity_baseline(
        backend, dimension="user", start_day=date(2024, 5, 1), end_day=date(2024, 5, 2)
    )

    assert baseline_rows(summaries) == [("free", ZERO_USD, 1, 1, 1, ZERO_USD, ZERO_USD)]


async def test_entity_baseline_tie_order(backend: Harness) -> None:
    # Equal totals: more requests first, then ids by code point ("B" < "a").
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 5, 1, 9), "0.10", user_id="a"),
            record(utc(2024, 5, 1, 9), "0.10", user_id="B"),
            record(utc(2024, 5, 1, 9), "0.05", user_id="c"),
            record(utc(2024, 5, 1, 10), "0.05", user_id="c"),
            record(utc(2024, 5, 1, 9), "0.20", user_id="z"),
        ],
    )
    arguments: dict[str, Any] = {
        "dimension": "user",
        "start_day": date(2024, 5, 1),
        "end_day": date(2024, 5, 2),
    }

    summaries = await entity_baseline(backend, **arguments)
    first_two = await entity_baseline(backend, **arguments, limit=2)

    assert [item.entity_id for item in summaries] == ["z", "c", "B", "a"]
    assert [item.entity_id for item in first_two] == ["z", "c"]


async def test_entity_baseline_limit_bounds(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    first_only = await entity_baseline(backend, **USERS_NY, limit=1)
    at_maximum = await entity_baseline(backend, **USERS_NY, limit=10_000)

    assert [item.entity_id for item in first_only] == ["u2"]
    assert [item.entity_id for item in at_maximum] == ["u2", "u1"]


async def test_entity_baseline_hostile_id(backend: Harness) -> None:
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 5, 1, 9), "0.10", user_id=HOSTILE_ID),
            record(utc(2024, 5, 1, 9), "0.20", user_id="u1"),
        ],
    )
    arguments: dict[str, Any] = {
        "dimension": "user",
        "start_day": date(2024, 5, 1),
        "end_day": date(2024, 5, 2),
    }

    every = await entity_baseline(backend, **arguments)
    chosen = await entity_baseline(backend, **arguments, entity_ids=[HOSTILE_ID])

    assert [item.entity_id for item in every] == ["u1", HOSTILE_ID]
    assert baseline_rows(chosen) == [
        (HOSTILE_ID, usd("0.100000000"), 1, 1, 1, usd("0.100000000"), usd("0.100000000"))
    ]
    assert (await backend.row_counts())["cost_records"] == 2


async def test_entity_baseline_session_time_zone(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    results = await read_in_every_session_zone(
        backend, lambda uow: uow.cost_anomalies.fetch_entity_baseline("t1", **USERS_NY)
    )

    expected = [
        ("u2", usd("0.450000000"), 2, 1, 3, usd("0.450000000"), usd("0.150000000")),
        ("u1", usd("0.350000000"), 3, 3, 3, usd("0.116666667"), usd("0.116666667")),
    ]
    for summaries in results:
        assert baseline_rows(summaries) == expected


def _entity_baseline_call(**changes: Any) -> dict[str, Any]:
    return {**USERS_NY, **changes}


ENTITY_BASELINE_INVALID = [
    ("dimension", {"dimension": "team"}),
    ("dimension", {"dimension": "tenant"}),
    ("dimension", {"dimension": None}),
    *[("start_day", {"start_day": value}) for value in INVALID_DAYS],
    *[("end_day", {"end_day": value}) for value in INVALID_DAYS],
    ("end_day", {"end_day": MARCH_9}),
    ("end_day", {"end_day": date(2024, 3, 8)}),
    ("end_day", {"start_day": date(2023, 1, 31), "end_day": date(2024, 3, 7)}),
    *[("tz", {"tz": value}) for value in INVALID_ZONES],
    ("entity_ids", {"entity_ids": "u1"}),
    ("entity_ids", {"entity_ids": [f"u{index}" for index in range(1001)]}),
    ("entity_ids", {"entity_ids": 7}),
    ("entity_ids[1]", {"entity_ids": ["u1", ""]}),
    ("entity_ids[0]", {"entity_ids": [" u1"]}),
    ("entity_ids[0]", {"entity_ids": ["u" * 129]}),
    ("entity_ids[0]", {"entity_ids": [None]}),
    *[("limit", {"limit": value}) for value in (0, 10_001, -1, True, None)],
    *[("include_synthetic", {"include_synthetic": value}) for value in INVALID_FLAGS],
    # The first invalid argument in signature order is reported.
    ("start_day", {"start_day": None, "tz": "Mars/Olympus", "limit": 0}),
]


@pytest.mark.parametrize(("field", "changes"), ENTITY_BASELINE_INVALID)
async def test_entity_baseline_invalid_input(
    backend: Harness, field: str, changes: dict[str, Any]
) -> None:
    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.fetch_entity_baseline("t1", **_entity_baseline_call(**changes))

    assert raised.value.field == field


async def test_entity_baseline_range_limits(backend: Harness) -> None:
    await load_cost_records(backend.uow)
    start = date(2023, 3, 7)

    longest = await entity_baseline(
        backend, **_entity_baseline_call(start_day=start, end_day=start + timedelta(days=400))
    )
    many_ids = await entity_baseline(
        backend, **USERS_NY, entity_ids=[f"u{index}" for index in range(1000)]
    )

    assert [item.calendar_days for item in longest] == [400, 400]
    assert len(many_ids) == 1000


# fetch_tenant_baseline and fetch_baseline_avg


async def test_tenant_baseline_new_york(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    summary = await tenant_baseline(backend, start_day=date(2024, 3, 8), end_day=MARCH_12, tz=NY)

    assert summary_row(summary) == (
        usd("0.800000000"),
        5,
        3,
        4,
        usd("0.266666667"),
        usd("0.200000000"),
    )
    assert (summary.start_day, summary.end_day, summary.tz) == (date(2024, 3, 8), MARCH_12, NY)


async def test_tenant_baseline_23_hour_day(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    in_new_york = await tenant_baseline(backend, start_day=MARCH_10, end_day=MARCH_11, tz=NY)
    in_utc = await tenant_baseline(backend, start_day=MARCH_10, end_day=MARCH_11)

    assert summary_row(in_new_york) == (
        usd("0.650000000"),
        3,
        1,
        1,
        usd("0.650000000"),
        usd("0.650000000"),
    )
    assert summary_row(in_utc) == (
        usd("0.500000000"),
        2,
        1,
        1,
        usd("0.500000000"),
        usd("0.500000000"),
    )


async def test_tenant_baseline_synthetic_and_isolation(backend: Harness) -> None:
    await load_cost_records(backend.uow)
    day: dict[str, Any] = {"start_day": MARCH_10, "end_day": MARCH_11}

    with_synthetic = await tenant_baseline(backend, **day, include_synthetic=True)
    other_tenant = await tenant_baseline(backend, "t2", **day)

    assert summary_row(with_synthetic)[:3] == (usd("10.490000000"), 3, 1)
    assert summary_row(other_tenant)[:3] == (usd("5.000000000"), 1, 1)


async def test_tenant_baseline_empty(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    summary = await tenant_baseline(backend, "t3", start_day=MARCH_10, end_day=MARCH_12, tz=NY)

    assert summary_row(summary) == (ZERO_USD, 0, 0, 2, None, ZERO_USD)
    assert is_money(summary.total_usd)
    assert is_money(summary.avg_per_calendar_day_usd)


async def test_tenant_baseline_kolkata_boundary(backend: Harness) -> None:
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 10, 18, 29, 59), "0.011"),
            record(utc(2024, 3, 10, 18, 30), "0.022"),
        ],
    )

    march_10 = await tenant_baseline(backend, start_day=MARCH_10, end_day=MARCH_11, tz=KOLKATA)
    both_days = await tenant_baseline(backend, start_day=MARCH_10, end_day=MARCH_12, tz=KOLKATA)
    in_utc = await tenant_baseline(backend, start_day=MARCH_10, end_day=MARCH_11)

    assert summary_row(march_10)[:3] == (usd("0.011000000"), 1, 1)
    assert summary_row(both_days)[:4] == (usd("0.033000000"), 2, 2, 2)
    assert summary_row(in_utc)[:3] == (usd("0.033000000"), 2, 1)


async def test_baseline_avg_sparse_history(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    summary = await read(
        backend.uow,
        lambda uow: uow.cost_anomalies.fetch_baseline_avg(
            "t1", start_day=date(2024, 3, 1), end_day=date(2024, 3, 15), tz=NY
        ),
    )

    assert summary_row(summary) == (
        usd("0.800000000"),
        5,
        3,
        14,
        usd("0.266666667"),
        usd("0.057142857"),
    )


async def test_baseline_avg_25_hour_day(backend: Harness) -> None:
    # 2024-11-03 in New York runs from 04:00Z to 05:00Z the next day.
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 11, 3, 4), "0.10"),
            record(utc(2024, 11, 4, 4, 59, 59), "0.20"),
            record(utc(2024, 11, 4, 5), "0.40"),
        ],
    )

    summary = await read(
        backend.uow,
        lambda uow: uow.cost_anomalies.fetch_baseline_avg(
            "t1", start_day=date(2024, 11, 3), end_day=date(2024, 11, 4), tz=NY
        ),
    )

    assert summary_row(summary) == (
        usd("0.300000000"),
        2,
        1,
        1,
        usd("0.300000000"),
        usd("0.300000000"),
    )


SUMMARY_CALLS = [
    {"start_day": date(2024, 3, 8), "end_day": MARCH_12, "tz": NY},
    {"start_day": MARCH_10, "end_day": MARCH_11},
    {"start_day": MARCH_10, "end_day": MARCH_11, "tz": KOLKATA, "include_synthetic": True},
    {"start_day": date(2024, 3, 1), "end_day": date(2024, 4, 2), "tz": NY},
    {"start_day": date(2025, 1, 1), "end_day": date(2025, 1, 2)},
]


@pytest.mark.parametrize("arguments", SUMMARY_CALLS)
async def test_tenant_baseline_equals_baseline_avg(
    backend: Harness, arguments: dict[str, Any]
) -> None:
    await load_cost_records(backend.uow)

    async with backend.uow() as uow:
        baseline = await uow.cost_anomalies.fetch_tenant_baseline("t1", **arguments)
        average = await uow.cost_anomalies.fetch_baseline_avg("t1", **arguments)

    assert baseline == average


async def test_day_range_summaries_session_time_zone(backend: Harness) -> None:
    await load_cost_records(backend.uow)
    days: dict[str, Any] = {"start_day": date(2024, 3, 8), "end_day": MARCH_12, "tz": NY}

    async def both_summaries(uow: UnitOfWork) -> list[DailySpendSummary]:
        return [
            await uow.cost_anomalies.fetch_tenant_baseline("t1", **days),
            await uow.cost_anomalies.fetch_baseline_avg("t1", **days),
        ]

    results = await read_in_every_session_zone(backend, both_summaries)

    expected = (usd("0.800000000"), 5, 3, 4, usd("0.266666667"), usd("0.200000000"))
    for summaries in results:
        assert [summary_row(summary) for summary in summaries] == [expected, expected]


async def test_baseline_avg_synthetic_isolation_empty(backend: Harness) -> None:
    await load_cost_records(backend.uow)
    day: dict[str, Any] = {"start_day": MARCH_10, "end_day": MARCH_11}

    async with backend.uow() as uow:
        average = uow.cost_anomalies.fetch_baseline_avg
        with_synthetic = await average("t1", **day, include_synthetic=True)
        other_tenant = await average("t2", **day)
        empty = await average("t3", **day)

    assert summary_row(with_synthetic)[:3] == (usd("10.490000000"), 3, 1)
    assert summary_row(other_tenant)[:3] == (usd("5.000000000"), 1, 1)
    assert summary_row(empty) == (ZERO_USD, 0, 0, 1, None, ZERO_USD)


DAY_RANGE_INVALID = [
    *[("start_day", {"start_day": value}) for value in INVALID_DAYS],
    *[("end_day", {"end_day": value}) for value in INVALID_DAYS],
    ("end_day", {"end_day": MARCH_10}),
    ("end_day", {"end_day": MARCH_9}),
    ("end_day", {"start_day": date(2023, 2, 4), "end_day": date(2024, 3, 11)}),
    *[("tz", {"tz": value}) for value in INVALID_ZONES],
    *[("include_synthetic", {"include_synthetic": value}) for value in INVALID_FLAGS],
]


@pytest.mark.parametrize("method", ["fetch_tenant_baseline", "fetch_baseline_avg"])
@pytest.mark.parametrize(("field", "changes"), DAY_RANGE_INVALID)
async def test_day_range_summary_invalid_input(
    backend: Harness, method: str, field: str, changes: dict[str, Any]
) -> None:
    arguments = {"start_day": MARCH_10, "end_day": MARCH_11, "tz": NY, **changes}

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await getattr(uow.cost_anomalies, method)("t1", **arguments)

    assert raised.value.field == field


@pytest.mark.parametrize("method", ["fetch_tenant_baseline", "fetch_baseline_avg"])
async def test_day_range_summary_400_days(backend: Harness, method: str) -> None:
    await load_cost_records(backend.uow)
    start = date(2023, 3, 7)

    async with backend.uow() as uow:
        summary = await getattr(uow.cost_anomalies, method)(
            "t1", start_day=start, end_day=start + timedelta(days=400), tz=NY
        )

    assert summary_row(summary)[:4] == (usd("1.800000000"), 6, 4, 400)


# fetch_rolling_avg


async def test_rolling_avg_seven_days(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    summary = await read(
        backend.uow,
        lambda uow: uow.cost_anomalies.fetch_rolling_avg("t1", last_day=MARCH_11, days=7, tz=NY),
    )

    assert summary_row(summary) == (
        usd("0.800000000"),
        5,
        3,
        7,
        usd("0.266666667"),
        usd("0.114285714"),
    )
    assert (summary.start_day, summary.end_day) == (date(2024, 3, 5), MARCH_12)


async def test_rolling_avg_default_is_seven_days(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    summary = await read(
        backend.uow, lambda uow: uow.cost_anomalies.fetch_rolling_avg("t1", last_day=MARCH_11)
    )

    assert (summary.start_day, summary.end_day, summary.calendar_days) == (
        date(2024, 3, 5),
        MARCH_12,
        7,
    )
    assert summary.tz == "UTC"


async def test_rolling_avg_one_day(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    async with backend.uow() as uow:
        in_new_york = await uow.cost_anomalies.fetch_rolling_avg(
            "t1", last_day=MARCH_10, days=1, tz=NY
        )
        in_utc = await uow.cost_anomalies.fetch_rolling_avg("t1", last_day=MARCH_10, days=1)

    assert summary_row(in_new_york)[:4] == (usd("0.650000000"), 3, 1, 1)
    assert summary_row(in_utc)[:4] == (usd("0.500000000"), 2, 1, 1)


async def test_rolling_avg_400_days(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    summary = await read(
        backend.uow,
        lambda uow: uow.cost_anomalies.fetch_rolling_avg(
            "t1", last_day=date(2024, 4, 10), days=400, tz=NY
        ),
    )

    assert summary.start_day == date(2023, 3, 8)
    assert summary_row(summary)[:4] == (usd("1.800000000"), 6, 4, 400)


async def test_rolling_avg_window_edges(backend: Harness) -> None:
    # Three days through 05-10 are 05-08, 05-09 and 05-10.
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 5, 7, 23, 59, 59), "1.00"),
            record(utc(2024, 5, 8), "0.10"),
            record(utc(2024, 5, 10, 23, 59, 59), "0.20"),
            record(utc(2024, 5, 11), "2.00"),
        ],
    )

    summary = await read(
        backend.uow,
        lambda uow: uow.cost_anomalies.fetch_rolling_avg("t1", last_day=date(2024, 5, 10), days=3),
    )

    assert summary_row(summary) == (
        usd("0.300000000"),
        2,
        2,
        3,
        usd("0.150000000"),
        usd("0.100000000"),
    )


async def test_rolling_avg_synthetic_isolation_empty(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    async with backend.uow() as uow:
        rolling = uow.cost_anomalies.fetch_rolling_avg
        with_synthetic = await rolling("t1", last_day=MARCH_10, days=1, include_synthetic=True)
        other_tenant = await rolling("t2", last_day=MARCH_11, days=2)
        empty = await rolling("t1", last_day=date(2024, 3, 8), days=3)

    assert summary_row(with_synthetic)[:3] == (usd("10.490000000"), 3, 1)
    assert summary_row(other_tenant) == (
        usd("5.000000000"),
        1,
        1,
        2,
        usd("5.000000000"),
        usd("2.500000000"),
    )
    assert summary_row(empty) == (ZERO_USD, 0, 0, 3, None, ZERO_USD)


ROLLING_INVALID = [
    *[("last_day", {"last_day": value}) for value in INVALID_DAYS],
    *[("days", {"days": value}) for value in (0, 401, -1, True, None, 7.0)],
    *[("tz", {"tz": value}) for value in INVALID_ZONES],
    *[("include_synthetic", {"include_synthetic": value}) for value in INVALID_FLAGS],
]


@pytest.mark.parametrize(("field", "changes"), ROLLING_INVALID)
async def test_rolling_avg_invalid_input(
    backend: Harness, field: str, changes: dict[str, Any]
) -> None:
    arguments = {"last_day": MARCH_10, "days": 7, "tz": NY, **changes}

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.fetch_rolling_avg("t1", **arguments)

    assert raised.value.field == field


async def test_rolling_avg_session_time_zone(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    results = await read_in_every_session_zone(
        backend,
        lambda uow: uow.cost_anomalies.fetch_rolling_avg("t1", last_day=MARCH_11, tz=NY),
    )

    for summary in results:
        assert summary_row(summary) == (
            usd("0.800000000"),
            5,
            3,
            7,
            usd("0.266666667"),
            usd("0.114285714"),
        )


# Every method of this file


async def invalid_calls(uow: UnitOfWork) -> None:
    """Call each method of this file with one invalid argument; each must raise InvalidInput."""
    anomalies = uow.cost_anomalies
    with pytest.raises(InvalidInput):
        await anomalies.fetch_entity_baseline("t1", **_entity_baseline_call(limit=0))
    with pytest.raises(InvalidInput):
        await anomalies.fetch_tenant_baseline("t1", start_day=MARCH_10, end_day=MARCH_10)
    with pytest.raises(InvalidInput):
        await anomalies.fetch_rolling_avg("t1", last_day=MARCH_10, days=0)
    with pytest.raises(InvalidInput):
        await anomalies.fetch_baseline_avg("t1", start_day=MARCH_10, end_day=MARCH_11, tz="")


async def test_invalid_input_keeps_unit_of_work_usable(backend: Harness) -> None:
    async with backend.uow() as uow:
        await invalid_calls(uow)
        await uow.cost_writes.create_cost_record("t1", record=record(utc(2024, 3, 10, 12)))

    summary = await tenant_baseline(backend, start_day=MARCH_10, end_day=MARCH_11)
    assert summary_row(summary)[:2] == (usd("0.100000000"), 1)


@pytest.mark.parametrize("tenant_id", ["", " t1", "t" * 65, "t\x001"])
async def test_invalid_tenant_id(backend: Harness, tenant_id: str) -> None:
    calls: list[Callable[[UnitOfWork], Awaitable[object]]] = [
        lambda uow: uow.cost_anomalies.fetch_entity_baseline(tenant_id, **USERS_NY),
        lambda uow: uow.cost_anomalies.fetch_tenant_baseline(
            tenant_id, start_day=MARCH_10, end_day=MARCH_11
        ),
        lambda uow: uow.cost_anomalies.fetch_rolling_avg(tenant_id, last_day=MARCH_10),
        lambda uow: uow.cost_anomalies.fetch_baseline_avg(
            tenant_id, start_day=MARCH_10, end_day=MARCH_11
        ),
    ]

    async with backend.uow() as uow:
        for call in calls:
            with pytest.raises(InvalidInput) as raised:
                await call(uow)
            assert raised.value.field == "tenant_id"
