"""Requests, retries, input tokens and spend per entity and local day, in one read.

Each row agrees with the day comparisons and the daily spend of that entity
and day, and per entity the rows add up to its day-range baseline.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from analytics.domain import EntityDayActivity, EntityDimension, EntityType
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

ActivityRow = tuple[str, date, int, int, int, Decimal]

USERS_NY: dict[str, Any] = {
    "dimension": EntityDimension.USER,
    "entity_ids": ["u2", "u1", "u9"],
    "start_day": MARCH_9,
    "end_day": MARCH_12,
    "tz": NY,
}

U1_ROWS_NY: list[ActivityRow] = [
    ("u1", MARCH_9, 1, 0, 100, usd("0.100000000")),
    ("u1", MARCH_10, 1, 0, 200, usd("0.200000000")),
    ("u1", MARCH_11, 1, 0, 50, usd("0.050000000")),
]


def activity_rows(items: list[EntityDayActivity]) -> list[ActivityRow]:
    """Return each row as (entity, day, requests, retries, input tokens, spend)."""
    return [
        (item.entity_id, item.day, item.requests, item.retries, item.input_tokens, item.spend_usd)
        for item in items
    ]


async def day_activity(backend: Harness, tenant_id: str = "t1", **arguments: Any) -> Any:
    """Read day activity in a new unit of work."""
    return await read(
        backend.uow,
        lambda uow: uow.cost_anomalies.fetch_entity_day_activity(tenant_id, **arguments),
    )


async def test_day_activity_users_new_york(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    items = await day_activity(backend, **USERS_NY)

    # r4 (2024-03-11T03:59Z) is 23:59 on the 23-hour New York day 03-10. u9 has no row.
    assert activity_rows(items) == [
        *U1_ROWS_NY,
        ("u2", MARCH_10, 2, 1, 700, usd("0.450000000")),
    ]


async def test_day_activity_types(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    first = (await day_activity(backend, **USERS_NY))[0]

    assert is_money(first.spend_usd)
    assert type(first.day) is date
    with pytest.raises(ValidationError):
        first.requests = 5


async def test_day_activity_users_utc(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    items = await day_activity(backend, **{**USERS_NY, "tz": "UTC"})

    assert activity_rows(items)[3:] == [
        ("u2", MARCH_10, 1, 1, 300, usd("0.300000000")),
        ("u2", MARCH_11, 1, 0, 400, usd("0.150000000")),
    ]


async def test_day_activity_includes_synthetic(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    items = await day_activity(backend, **USERS_NY, include_synthetic=True)

    assert activity_rows(items)[1] == ("u1", MARCH_10, 2, 0, 1199, usd("10.190000000"))


async def test_day_activity_features(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    items = await day_activity(
        backend,
        **{**USERS_NY, "dimension": "feature", "entity_ids": ["search.rank", "chat.reply"]},
    )

    # r3 is untagged and belongs to no feature.
    assert activity_rows(items) == [
        ("chat.reply", MARCH_9, 1, 0, 100, usd("0.100000000")),
        ("chat.reply", MARCH_10, 1, 0, 200, usd("0.200000000")),
        ("chat.reply", MARCH_11, 1, 0, 50, usd("0.050000000")),
        ("search.rank", MARCH_10, 1, 0, 400, usd("0.150000000")),
    ]


async def test_day_activity_other_tenant(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    items = await day_activity(backend, "t2", **USERS_NY)

    assert activity_rows(items) == [("u1", MARCH_10, 1, 0, 1, usd("5.000000000"))]


async def test_day_activity_25_hour_day(backend: Harness) -> None:
    # 2024-11-03 in New York runs from 04:00Z to 05:00Z the next day.
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 11, 3, 3, 59, 59), "0.01", user_id="u1"),
            record(utc(2024, 11, 3, 4), "0.10", user_id="u1", is_retry=True),
            record(utc(2024, 11, 3, 6, 30), "0.20", user_id="u1"),
            record(utc(2024, 11, 4, 4, 59, 59), "0.30", user_id="u1"),
            record(utc(2024, 11, 4, 5), "0.40", user_id="u1"),
        ],
    )

    items = await day_activity(
        backend,
        dimension="user",
        entity_ids=["u1"],
        start_day=date(2024, 11, 2),
        end_day=date(2024, 11, 5),
        tz=NY,
    )

    assert activity_rows(items) == [
        ("u1", date(2024, 11, 2), 1, 0, 100, usd("0.010000000")),
        ("u1", date(2024, 11, 3), 3, 1, 300, usd("0.600000000")),
        ("u1", date(2024, 11, 4), 1, 0, 100, usd("0.400000000")),
    ]


async def test_day_activity_kolkata_boundary(backend: Harness) -> None:
    # 18:29:59Z is 23:59:59 in Kolkata on 03-10, 18:30Z is 00:00 on 03-11.
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 10, 18, 29, 59), "0.011", feature_tag="k"),
            record(utc(2024, 3, 10, 18, 30), "0.022", feature_tag="k"),
        ],
    )
    arguments: dict[str, Any] = {
        "dimension": "feature",
        "entity_ids": ["k"],
        "start_day": MARCH_10,
        "end_day": MARCH_12,
    }

    in_kolkata = await day_activity(backend, **arguments, tz=KOLKATA)
    in_utc = await day_activity(backend, **arguments)

    assert activity_rows(in_kolkata) == [
        ("k", MARCH_10, 1, 0, 100, usd("0.011000000")),
        ("k", MARCH_11, 1, 0, 100, usd("0.022000000")),
    ]
    assert activity_rows(in_utc) == [("k", MARCH_10, 2, 0, 200, usd("0.033000000"))]


async def test_day_activity_zero_cost_row(backend: Harness) -> None:
    await store_records(backend.uow, "t1", [record(utc(2024, 3, 10, 9), "0", user_id="free")])

    items = await day_activity(
        backend, dimension="user", entity_ids=["free"], start_day=MARCH_10, end_day=MARCH_11
    )

    assert activity_rows(items) == [("free", MARCH_10, 1, 0, 100, ZERO_USD)]
    assert is_money(items[0].spend_usd)


async def test_day_activity_order_by_code_point(backend: Harness) -> None:
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 11, 9), user_id="a"),
            record(utc(2024, 3, 10, 9), user_id="a"),
            record(utc(2024, 3, 10, 9), user_id="B"),
            record(utc(2024, 3, 10, 9), user_id="c"),
        ],
    )

    items = await day_activity(
        backend,
        dimension="user",
        entity_ids=["c", "a", "B", "a"],
        start_day=MARCH_10,
        end_day=MARCH_12,
    )

    assert [(item.entity_id, item.day) for item in items] == [
        ("B", MARCH_10),
        ("a", MARCH_10),
        ("a", MARCH_11),
        ("c", MARCH_10),
    ]


async def test_day_activity_hostile_id(backend: Harness) -> None:
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 10, 9), "0.10", feature_tag=HOSTILE_ID),
            record(utc(2024, 3, 10, 9), "0.20", feature_tag="chat"),
        ],
    )

    items = await day_activity(
        backend,
        dimension="feature",
        entity_ids=[HOSTILE_ID],
        start_day=MARCH_10,
        end_day=MARCH_11,
    )

    assert activity_rows(items) == [(HOSTILE_ID, MARCH_10, 1, 0, 100, usd("0.100000000"))]
    assert (await backend.row_counts())["cost_records"] == 2


async def test_day_activity_empty_id_list(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    assert await day_activity(backend, **{**USERS_NY, "entity_ids": []}) == []


async def test_day_activity_without_records(backend: Harness) -> None:
    assert await day_activity(backend, **USERS_NY) == []


async def test_day_activity_range_bounds(backend: Harness) -> None:
    await load_cost_records(backend.uow)
    start = date(2024, 3, 9)

    longest = await day_activity(
        backend, **{**USERS_NY, "start_day": start, "end_day": date(2024, 5, 10)}
    )
    many_ids = await day_activity(
        backend, **{**USERS_NY, "entity_ids": [f"u{index}" for index in range(1000)]}
    )

    assert date(2024, 5, 10) - start == timedelta(days=62)
    assert activity_rows(longest)[3] == ("u1", date(2024, 3, 31), 1, 0, 10, usd("1.000000000"))
    assert len(many_ids) == 4


async def test_day_activity_session_time_zone(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    results = await read_in_every_session_zone(
        backend, lambda uow: uow.cost_anomalies.fetch_entity_day_activity("t1", **USERS_NY)
    )

    for items in results:
        assert activity_rows(items) == [
            *U1_ROWS_NY,
            ("u2", MARCH_10, 2, 1, 700, usd("0.450000000")),
        ]


# Agreement with the day comparisons, the daily spend and the baseline

AGREEMENT_CASES = [
    (EntityDimension.USER, EntityType.USER, ["u1", "u2", "u9"], NY),
    (EntityDimension.USER, EntityType.USER, ["u1", "u2", "u9"], "UTC"),
    (EntityDimension.FEATURE, EntityType.FEATURE, ["chat.reply", "search.rank", "nope"], NY),
    (EntityDimension.FEATURE, EntityType.FEATURE, ["chat.reply", "search.rank"], KOLKATA),
]


async def expected_row(
    uow: UnitOfWork, entity_type: EntityType, entity_id: str, day: date, tz: str
) -> ActivityRow:
    """Build the activity row of one entity and day from the comparisons and the daily spend."""
    anomalies = uow.cost_anomalies
    scope: dict[str, Any] = {"day": day, "tz": tz, "entity_type": entity_type}
    retries = await anomalies.fetch_retry_comparison("t1", **scope, entity_id=entity_id)
    prompts = await anomalies.fetch_prompt_comparison("t1", **scope, entity_id=entity_id)
    requests = await anomalies.fetch_request_comparison("t1", **scope, entity_id=entity_id)
    spend = await anomalies.fetch_daily_spend(
        "t1", day=day, tz=tz, budget_type=entity_type, entity_id=entity_id
    )

    assert retries.today.requests == prompts.today.requests == requests.today
    return (
        entity_id,
        day,
        requests.today,
        retries.today.retries,
        prompts.today.input_tokens,
        spend,
    )


@pytest.mark.parametrize(("dimension", "entity_type", "entity_ids", "tz"), AGREEMENT_CASES)
async def test_day_activity_agrees_with_comparisons(
    backend: Harness,
    dimension: EntityDimension,
    entity_type: EntityType,
    entity_ids: list[str],
    tz: str,
) -> None:
    await load_cost_records(backend.uow)
    days = [MARCH_9 + timedelta(days=offset) for offset in range(4)]

    async with backend.uow() as uow:
        items = await uow.cost_anomalies.fetch_entity_day_activity(
            "t1",
            dimension=dimension,
            entity_ids=entity_ids,
            start_day=days[0],
            end_day=days[-1] + timedelta(days=1),
            tz=tz,
        )
        expected = [
            await expected_row(uow, entity_type, entity_id, day, tz)
            for entity_id in sorted(entity_ids)
            for day in days
        ]

    # A missing row means zero, as the comparisons report for an empty day.
    rows = {(row[0], row[1]): row for row in activity_rows(items)}
    for row in expected:
        assert rows.get((row[0], row[1]), (*row[:2], 0, 0, 0, ZERO_USD)) == row
    assert all(row[2] >= 1 for row in rows.values())


@pytest.mark.parametrize(("dimension", "entity_type", "entity_ids", "tz"), AGREEMENT_CASES)
async def test_day_activity_agrees_with_baseline(
    backend: Harness,
    dimension: EntityDimension,
    entity_type: EntityType,
    entity_ids: list[str],
    tz: str,
) -> None:
    await load_cost_records(backend.uow)
    arguments: dict[str, Any] = {
        "dimension": dimension,
        "entity_ids": entity_ids,
        "start_day": MARCH_9,
        "end_day": date(2024, 4, 2),
        "tz": tz,
    }

    async with backend.uow() as uow:
        items = await uow.cost_anomalies.fetch_entity_day_activity("t1", **arguments)
        baselines = await uow.cost_anomalies.fetch_entity_baseline("t1", **arguments)

    for baseline in baselines:
        rows = [item for item in items if item.entity_id == baseline.entity_id]
        assert sum((item.spend_usd for item in rows), ZERO_USD) == baseline.total_usd
        assert sum(item.requests for item in rows) == baseline.requests
        assert len(rows) == baseline.active_days
    assert len(baselines) == len(entity_ids)


# Invalid input

DAY_ACTIVITY_INVALID = [
    *[("dimension", {"dimension": value}) for value in ("team", "tenant", None)],
    ("entity_ids", {"entity_ids": "u1"}),
    ("entity_ids", {"entity_ids": None}),
    ("entity_ids", {"entity_ids": [f"u{index}" for index in range(1001)]}),
    ("entity_ids[2]", {"entity_ids": ["u1", "u2", ""]}),
    ("entity_ids[0]", {"entity_ids": ["u1 "]}),
    ("entity_ids[0]", {"entity_ids": ["u" * 129]}),
    ("entity_ids[1]", {"entity_ids": ["u1", 2]}),
    *[("start_day", {"start_day": value}) for value in INVALID_DAYS],
    *[("end_day", {"end_day": value}) for value in INVALID_DAYS],
    ("end_day", {"end_day": MARCH_9}),
    ("end_day", {"start_day": date(2024, 3, 9), "end_day": date(2024, 5, 11)}),
    ("end_day", {"start_day": date(2024, 1, 1), "end_day": date(2024, 12, 31)}),
    *[("tz", {"tz": value}) for value in INVALID_ZONES],
    *[("include_synthetic", {"include_synthetic": value}) for value in INVALID_FLAGS],
    ("entity_ids", {"entity_ids": "u1", "start_day": None}),
]


@pytest.mark.parametrize(("field", "changes"), DAY_ACTIVITY_INVALID)
async def test_day_activity_invalid_input(
    backend: Harness, field: str, changes: dict[str, Any]
) -> None:
    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.fetch_entity_day_activity("t1", **{**USERS_NY, **changes})

    assert raised.value.field == field


async def test_invalid_input_keeps_unit_of_work_usable(backend: Harness) -> None:
    too_long: dict[str, Any] = {**USERS_NY, "end_day": date(2024, 5, 11)}

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput):
            await uow.cost_anomalies.fetch_entity_day_activity("t1", **too_long)
        await uow.cost_writes.create_cost_record(
            "t1", record=record(utc(2024, 3, 10, 12), user_id="u1")
        )

    items = await day_activity(backend, **USERS_NY)
    assert activity_rows(items) == [("u1", MARCH_10, 1, 0, 100, usd("0.100000000"))]


@pytest.mark.parametrize("tenant_id", ["", " t1", "t" * 65, "t\x001"])
async def test_invalid_tenant_id(backend: Harness, tenant_id: str) -> None:
    def call(uow: UnitOfWork) -> Awaitable[object]:
        return uow.cost_anomalies.fetch_entity_day_activity(tenant_id, **USERS_NY)

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await call(uow)

    assert raised.value.field == "tenant_id"
