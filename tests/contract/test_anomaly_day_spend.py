"""Spend of one local day or month: per entity, per tenant and in a budget's scope.

Both bounds of a local day or month apply. 2024-03-10 is a 23-hour day in New
York, and r8 (2024-04-01T03:00Z) is 23:00 on March 31 there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from analytics.domain import EntityDimension, EntitySpend, EntityType
from analytics.ports import InvalidInput, UnitOfWork
from tests.contract.anomaly_spend_data import (
    HOSTILE_ID,
    INVALID_DAYS,
    INVALID_ENTITY_TYPES,
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

MARCH_10 = date(2024, 3, 10)
MARCH_11 = date(2024, 3, 11)
MARCH = date(2024, 3, 1)
APRIL = date(2024, 4, 1)

SpendRow = tuple[str, Decimal, int]


def spend_rows(items: list[EntitySpend]) -> list[SpendRow]:
    """Return each entity's spend as (id, spend, requests)."""
    return [(item.entity_id, item.spend_usd, item.requests) for item in items]


async def today_spend(backend: Harness, tenant_id: str = "t1", **arguments: Any) -> Any:
    """Read per-entity spend of one day in a new unit of work."""
    return await read(
        backend.uow,
        lambda uow: uow.cost_anomalies.fetch_entity_today_spend(tenant_id, **arguments),
    )


async def daily_spend(backend: Harness, tenant_id: str = "t1", **arguments: Any) -> Any:
    """Read the spend of one day in a budget's scope, in a new unit of work."""
    return await read(
        backend.uow, lambda uow: uow.cost_anomalies.fetch_daily_spend(tenant_id, **arguments)
    )


async def monthly_spend(backend: Harness, tenant_id: str = "t1", **arguments: Any) -> Any:
    """Read the spend of one month in a budget's scope, in a new unit of work."""
    return await read(
        backend.uow, lambda uow: uow.cost_anomalies.fetch_monthly_spend(tenant_id, **arguments)
    )


# fetch_entity_today_spend


async def test_entity_today_spend_features(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    in_new_york = await today_spend(backend, dimension="feature", day=MARCH_10, tz=NY)
    in_utc = await today_spend(backend, dimension="feature", day=MARCH_10)

    # r6 is synthetic and r3 untagged. r4 falls on 03-11 in UTC.
    assert spend_rows(in_new_york) == [
        ("chat.reply", usd("0.200000000"), 1),
        ("search.rank", usd("0.150000000"), 1),
    ]
    assert spend_rows(in_utc) == [("chat.reply", usd("0.200000000"), 1)]


async def test_entity_today_spend_users(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    items = await today_spend(backend, dimension=EntityDimension.USER, day=MARCH_10, tz=NY)

    assert spend_rows(items) == [("u2", usd("0.450000000"), 2), ("u1", usd("0.200000000"), 1)]
    assert items[0].dimension is EntityDimension.USER
    assert is_money(items[0].spend_usd)
    with pytest.raises(ValidationError):
        items[0].requests = 3


async def test_entity_today_spend_day_bounds(backend: Harness) -> None:
    # Kolkata's 2024-03-10 ends at 18:30Z, so the last record belongs to 03-11.
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 9, 18, 29, 59), "0.40", user_id="u1"),
            record(utc(2024, 3, 9, 18, 30), "0.011", user_id="u1"),
            record(utc(2024, 3, 10, 18, 29, 59), "0.022", user_id="u1"),
            record(utc(2024, 3, 10, 18, 30), "0.50", user_id="u1"),
        ],
    )

    items = await today_spend(backend, dimension=EntityDimension.USER, day=MARCH_10, tz=KOLKATA)

    assert spend_rows(items) == [("u1", usd("0.033000000"), 2)]


async def test_entity_today_spend_zero_cost_included(backend: Harness) -> None:
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 10, 9), "0", user_id="free"),
            record(utc(2024, 3, 10, 9), "0.10", user_id="paid"),
        ],
    )

    items = await today_spend(backend, dimension=EntityDimension.USER, day=MARCH_10)

    assert spend_rows(items) == [("paid", usd("0.100000000"), 1), ("free", ZERO_USD, 1)]


async def test_entity_today_spend_tie_order(backend: Harness) -> None:
    # Equal spend: more requests first, then ids by code point ("B" < "a").
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 10, 9), "0.10", feature_tag="a"),
            record(utc(2024, 3, 10, 9), "0.10", feature_tag="B"),
            record(utc(2024, 3, 10, 9), "0.05", feature_tag="c"),
            record(utc(2024, 3, 10, 10), "0.05", feature_tag="c"),
            record(utc(2024, 3, 10, 10), "0.10"),
        ],
    )

    items = await today_spend(backend, dimension="feature", day=MARCH_10)
    first_two = await today_spend(backend, dimension="feature", day=MARCH_10, limit=2)

    assert [item.entity_id for item in items] == ["c", "B", "a"]
    assert [item.entity_id for item in first_two] == ["c", "B"]


async def test_entity_today_spend_limit_bounds(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    first_only = await today_spend(
        backend, dimension=EntityDimension.USER, day=MARCH_10, tz=NY, limit=1
    )
    at_maximum = await today_spend(
        backend, dimension=EntityDimension.USER, day=MARCH_10, tz=NY, limit=10_000
    )

    assert spend_rows(first_only) == [("u2", usd("0.450000000"), 2)]
    assert len(at_maximum) == 2


async def test_entity_today_spend_synthetic_and_isolation(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    with_synthetic = await today_spend(
        backend, dimension="user", day=MARCH_10, include_synthetic=True
    )
    other_tenant = await today_spend(backend, "t2", dimension=EntityDimension.USER, day=MARCH_10)

    assert spend_rows(with_synthetic) == [
        ("u1", usd("10.190000000"), 2),
        ("u2", usd("0.300000000"), 1),
    ]
    assert spend_rows(other_tenant) == [("u1", usd("5.000000000"), 1)]


async def test_entity_today_spend_empty(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    assert await today_spend(backend, dimension=EntityDimension.USER, day=date(2024, 3, 20)) == []


async def test_entity_today_spend_session_time_zone(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    results = await read_in_every_session_zone(
        backend,
        lambda uow: uow.cost_anomalies.fetch_entity_today_spend(
            "t1", dimension=EntityDimension.USER, day=MARCH_10, tz=NY
        ),
    )

    for items in results:
        assert spend_rows(items) == [
            ("u2", usd("0.450000000"), 2),
            ("u1", usd("0.200000000"), 1),
        ]


ENTITY_TODAY_INVALID = [
    *[("dimension", {"dimension": value}) for value in ("team", "tenant", None)],
    *[("day", {"day": value}) for value in INVALID_DAYS],
    *[("tz", {"tz": value}) for value in INVALID_ZONES],
    *[("limit", {"limit": value}) for value in (0, 10_001, -1, True, None)],
    *[("include_synthetic", {"include_synthetic": value}) for value in INVALID_FLAGS],
    ("day", {"day": None, "limit": 0}),
]


@pytest.mark.parametrize(("field", "changes"), ENTITY_TODAY_INVALID)
async def test_entity_today_spend_invalid_input(
    backend: Harness, field: str, changes: dict[str, Any]
) -> None:
    arguments = {"dimension": "user", "day": MARCH_10, **changes}

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.fetch_entity_today_spend("t1", **arguments)

    assert raised.value.field == field


# fetch_tenant_today_spend


async def test_tenant_today_spend_example(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    async with backend.uow() as uow:
        spend = uow.cost_anomalies.fetch_tenant_today_spend
        in_new_york = await spend("t1", day=MARCH_10, tz=NY)
        in_utc = await spend("t1", day=MARCH_10)
        with_synthetic = await spend("t1", day=MARCH_10, include_synthetic=True)
        other_tenant = await spend("t2", day=MARCH_10)

    assert in_new_york == usd("0.650000000")
    assert in_utc == usd("0.500000000")
    assert with_synthetic == usd("10.490000000")
    assert other_tenant == usd("5.000000000")
    assert is_money(in_new_york)


async def test_tenant_today_spend_zones(backend: Harness) -> None:
    # 18:29:59Z is 23:59:59 in Kolkata on 03-10, 18:30Z is 00:00 on 03-11.
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 10, 18, 29, 59), "0.011"),
            record(utc(2024, 3, 10, 18, 30), "0.022"),
            record(utc(2024, 3, 11, 3, 59, 59), "0.100"),
            record(utc(2024, 3, 11, 4), "0.200"),
        ],
    )

    async with backend.uow() as uow:
        spend = uow.cost_anomalies.fetch_tenant_today_spend
        in_kolkata = [await spend("t1", day=day, tz=KOLKATA) for day in (MARCH_10, MARCH_11)]
        in_new_york = [await spend("t1", day=day, tz=NY) for day in (MARCH_10, MARCH_11)]
        in_utc = [await spend("t1", day=day) for day in (MARCH_10, MARCH_11)]

    assert in_kolkata == [usd("0.011000000"), usd("0.322000000")]
    assert in_new_york == [usd("0.133000000"), usd("0.200000000")]
    assert in_utc == [usd("0.033000000"), usd("0.300000000")]


async def test_tenant_today_spend_empty(backend: Harness) -> None:
    spend = await read(
        backend.uow,
        lambda uow: uow.cost_anomalies.fetch_tenant_today_spend("t1", day=MARCH_10),
    )

    assert spend == ZERO_USD
    assert is_money(spend)


@pytest.mark.parametrize("tz", ["UTC", NY, KOLKATA])
@pytest.mark.parametrize("day", [date(2024, 3, 9), MARCH_10, MARCH_11, date(2024, 3, 31)])
async def test_tenant_today_spend_equals_daily_spend(backend: Harness, tz: str, day: date) -> None:
    await load_cost_records(backend.uow)

    async with backend.uow() as uow:
        today = await uow.cost_anomalies.fetch_tenant_today_spend("t1", day=day, tz=tz)
        daily = await uow.cost_anomalies.fetch_daily_spend(
            "t1", day=day, tz=tz, budget_type=EntityType.TENANT
        )

    assert today == daily


async def test_tenant_today_spend_session_time_zone(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    results = await read_in_every_session_zone(
        backend,
        lambda uow: uow.cost_anomalies.fetch_tenant_today_spend("t1", day=MARCH_10, tz=NY),
    )

    assert results == [usd("0.650000000")] * len(results)


TENANT_TODAY_INVALID = [
    *[("day", {"day": value}) for value in INVALID_DAYS],
    *[("tz", {"tz": value}) for value in INVALID_ZONES],
    *[("include_synthetic", {"include_synthetic": value}) for value in INVALID_FLAGS],
]


@pytest.mark.parametrize(("field", "changes"), TENANT_TODAY_INVALID)
async def test_tenant_today_spend_invalid_input(
    backend: Harness, field: str, changes: dict[str, Any]
) -> None:
    arguments = {"day": MARCH_10, **changes}

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.fetch_tenant_today_spend("t1", **arguments)

    assert raised.value.field == field


# fetch_daily_spend


async def test_daily_spend_scopes(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    async with backend.uow() as uow:
        spend = uow.cost_anomalies.fetch_daily_spend
        tenant_ny = await spend("t1", day=MARCH_10, tz=NY)
        tenant_utc = await spend("t1", day=MARCH_10)
        user_ny = await spend(
            "t1", day=MARCH_10, tz=NY, budget_type=EntityType.USER, entity_id="u2"
        )
        user_utc = await spend("t1", day=MARCH_10, budget_type=EntityType.USER, entity_id="u2")
        feature = await spend(
            "t1", day=MARCH_10, tz=NY, budget_type=EntityType.FEATURE, entity_id="chat.reply"
        )
        unknown = await spend(
            "t1", day=MARCH_10, tz=NY, budget_type=EntityType.FEATURE, entity_id="nope"
        )

    assert tenant_ny == usd("0.650000000")
    assert tenant_utc == usd("0.500000000")
    assert user_ny == usd("0.450000000")
    assert user_utc == usd("0.300000000")
    assert feature == usd("0.200000000")
    assert unknown == ZERO_USD
    assert is_money(unknown)


async def test_daily_spend_tag_is_case_sensitive(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    async with backend.uow() as uow:
        spend = uow.cost_anomalies.fetch_daily_spend
        other_case = await spend(
            "t1", day=MARCH_10, tz=NY, budget_type=EntityType.FEATURE, entity_id="Chat.Reply"
        )
        user_as_tag = await spend(
            "t1", day=MARCH_10, tz=NY, budget_type=EntityType.FEATURE, entity_id="u1"
        )

    assert other_case == ZERO_USD
    assert user_as_tag == ZERO_USD


async def test_daily_spend_synthetic_and_isolation(backend: Harness) -> None:
    await load_cost_records(backend.uow)
    u1: dict[str, Any] = {"day": MARCH_10, "budget_type": "user", "entity_id": "u1"}

    async with backend.uow() as uow:
        spend = uow.cost_anomalies.fetch_daily_spend
        own = await spend("t1", **u1)
        with_synthetic = await spend("t1", **u1, include_synthetic=True)
        other_tenant = await spend("t2", **u1)

    assert own == usd("0.200000000")
    assert with_synthetic == usd("10.190000000")
    assert other_tenant == usd("5.000000000")


async def test_daily_spend_hostile_ids(backend: Harness) -> None:
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 10, 9), "0.10", user_id=HOSTILE_ID, feature_tag=HOSTILE_ID),
            record(utc(2024, 3, 10, 9), "0.20", user_id="u1", feature_tag="chat"),
        ],
    )

    async with backend.uow() as uow:
        spend = uow.cost_anomalies.fetch_daily_spend
        user = await spend("t1", day=MARCH_10, budget_type=EntityType.USER, entity_id=HOSTILE_ID)
        feature = await spend(
            "t1", day=MARCH_10, budget_type=EntityType.FEATURE, entity_id=HOSTILE_ID
        )
        quote = await spend(
            "t1", day=MARCH_10, budget_type=EntityType.USER, entity_id="' OR '1'='1"
        )

    assert user == usd("0.100000000")
    assert feature == usd("0.100000000")
    assert quote == ZERO_USD
    assert (await backend.row_counts())["cost_records"] == 2


async def test_daily_spend_session_time_zone(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    results = await read_in_every_session_zone(
        backend,
        lambda uow: uow.cost_anomalies.fetch_daily_spend(
            "t1", day=MARCH_10, tz=NY, budget_type=EntityType.USER, entity_id="u2"
        ),
    )

    assert results == [usd("0.450000000")] * len(results)


def _scope_cases(type_field: str) -> list[tuple[str, dict[str, Any]]]:
    """Return the entity-rule violations and invalid types of a budget or entity scope."""
    return [
        ("entity_id", {type_field: "tenant", "entity_id": "u1"}),
        ("entity_id", {type_field: EntityType.TENANT, "entity_id": ""}),
        ("entity_id", {type_field: "user", "entity_id": None}),
        ("entity_id", {type_field: "feature", "entity_id": None}),
        ("entity_id", {type_field: "feature"}),
        ("entity_id", {type_field: "user", "entity_id": ""}),
        ("entity_id", {type_field: "user", "entity_id": " u1"}),
        ("entity_id", {type_field: "user", "entity_id": "u" * 129}),
        ("entity_id", {type_field: "user", "entity_id": "u\x00"}),
        ("entity_id", {type_field: "user", "entity_id": 7}),
        *[(type_field, {type_field: value}) for value in INVALID_ENTITY_TYPES],
    ]


DAILY_INVALID = [
    *[("day", {"day": value}) for value in INVALID_DAYS],
    *[("tz", {"tz": value}) for value in INVALID_ZONES],
    *_scope_cases("budget_type"),
    *[("include_synthetic", {"include_synthetic": value}) for value in INVALID_FLAGS],
    ("tz", {"tz": "", "budget_type": "feature", "entity_id": None}),
]


@pytest.mark.parametrize(("field", "changes"), DAILY_INVALID)
async def test_daily_spend_invalid_input(
    backend: Harness, field: str, changes: dict[str, Any]
) -> None:
    arguments = {"day": MARCH_10, **changes}

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.fetch_daily_spend("t1", **arguments)

    assert raised.value.field == field


async def test_daily_spend_scope_string_values(backend: Harness) -> None:
    await load_cost_records(backend.uow)
    as_value: dict[str, Any] = {"budget_type": "user", "entity_id": "u1"}

    async with backend.uow() as uow:
        spend = uow.cost_anomalies.fetch_daily_spend
        by_member = await spend("t1", day=MARCH_10, budget_type=EntityType.USER, entity_id="u1")
        by_value = await spend("t1", day=MARCH_10, **as_value)

    assert by_member == by_value == usd("0.200000000")


# fetch_monthly_spend


async def test_monthly_spend_example(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    async with backend.uow() as uow:
        spend = uow.cost_anomalies.fetch_monthly_spend
        march_ny = await spend("t1", month_start=MARCH, tz=NY)
        march_utc = await spend("t1", month_start=MARCH)
        april_ny = await spend("t1", month_start=APRIL, tz=NY)
        april_utc = await spend("t1", month_start=APRIL)

    # r8 is 23:00 on March 31 in New York and 03:00 on April 1 in UTC.
    assert march_ny == usd("1.800000000")
    assert march_utc == usd("0.800000000")
    assert april_ny == ZERO_USD
    assert april_utc == usd("1.000000000")
    assert is_money(april_ny)


async def test_monthly_spend_scopes(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    async with backend.uow() as uow:
        spend = uow.cost_anomalies.fetch_monthly_spend
        user_1 = await spend(
            "t1", month_start=MARCH, tz=NY, budget_type=EntityType.USER, entity_id="u1"
        )
        user_2 = await spend(
            "t1", month_start=MARCH, tz=NY, budget_type=EntityType.USER, entity_id="u2"
        )
        feature = await spend(
            "t1", month_start=MARCH, tz=NY, budget_type=EntityType.FEATURE, entity_id="search.rank"
        )
        other_tenant = await spend("t2", month_start=MARCH, tz=NY)
        with_synthetic = await spend("t1", month_start=MARCH, tz=NY, include_synthetic=True)

    assert user_1 == usd("1.350000000")
    assert user_2 == usd("0.450000000")
    assert feature == usd("0.150000000")
    assert other_tenant == usd("5.000000000")
    assert with_synthetic == usd("11.790000000")


async def test_monthly_spend_both_bounds(backend: Harness) -> None:
    # New York's March is [2024-03-01T05:00Z, 2024-04-01T04:00Z).
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 1, 4, 59, 59), "0.001"),
            record(utc(2024, 3, 1, 5), "0.010"),
            record(utc(2024, 4, 1, 3, 59, 59), "0.100"),
            record(utc(2024, 4, 1, 4), "1.000"),
        ],
    )

    async with backend.uow() as uow:
        spend = uow.cost_anomalies.fetch_monthly_spend
        february = await spend("t1", month_start=date(2024, 2, 1), tz=NY)
        march = await spend("t1", month_start=MARCH, tz=NY)
        april = await spend("t1", month_start=APRIL, tz=NY)

    assert february == usd("0.001000000")
    assert march == usd("0.110000000")
    assert april == usd("1.000000000")


async def test_monthly_spend_december_rollover(backend: Harness) -> None:
    # New York's December 2024 ends at 2025-01-01T05:00Z.
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 12, 31, 23, 30), "0.10"),
            record(utc(2025, 1, 1, 4, 59, 59), "0.20"),
            record(utc(2025, 1, 1, 5), "0.40"),
        ],
    )

    async with backend.uow() as uow:
        spend = uow.cost_anomalies.fetch_monthly_spend
        december_ny = await spend("t1", month_start=date(2024, 12, 1), tz=NY)
        january_ny = await spend("t1", month_start=date(2025, 1, 1), tz=NY)
        december_utc = await spend("t1", month_start=date(2024, 12, 1))
        january_utc = await spend("t1", month_start=date(2025, 1, 1))

    assert december_ny == usd("0.300000000")
    assert january_ny == usd("0.400000000")
    assert december_utc == usd("0.100000000")
    assert january_utc == usd("0.600000000")


async def test_monthly_spend_kolkata(backend: Harness) -> None:
    # Kolkata's March 2024 is [2024-02-29T18:30Z, 2024-03-31T18:30Z).
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 2, 29, 18, 29, 59), "0.001"),
            record(utc(2024, 2, 29, 18, 30), "0.010"),
            record(utc(2024, 3, 31, 18, 29, 59), "0.100"),
            record(utc(2024, 3, 31, 18, 30), "1.000"),
        ],
    )

    march = await monthly_spend(backend, month_start=MARCH, tz=KOLKATA)

    assert march == usd("0.110000000")


async def test_monthly_spend_session_time_zone(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    results = await read_in_every_session_zone(
        backend,
        lambda uow: uow.cost_anomalies.fetch_monthly_spend("t1", month_start=MARCH, tz=NY),
    )

    assert results == [usd("1.800000000")] * len(results)


MONTHLY_INVALID = [
    ("month_start", {"month_start": date(2024, 3, 15)}),
    ("month_start", {"month_start": date(2024, 3, 2)}),
    *[("month_start", {"month_start": value}) for value in INVALID_DAYS],
    *[("tz", {"tz": value}) for value in INVALID_ZONES],
    *_scope_cases("budget_type"),
    *[("include_synthetic", {"include_synthetic": value}) for value in INVALID_FLAGS],
]


@pytest.mark.parametrize(("field", "changes"), MONTHLY_INVALID)
async def test_monthly_spend_invalid_input(
    backend: Harness, field: str, changes: dict[str, Any]
) -> None:
    arguments = {"month_start": MARCH, **changes}

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.fetch_monthly_spend("t1", **arguments)

    assert raised.value.field == field


async def test_monthly_spend_last_month(backend: Harness) -> None:
    spend = await monthly_spend(backend, month_start=date(2199, 12, 1), tz=KOLKATA)

    assert spend == ZERO_USD


# Every method of this file


async def test_invalid_input_keeps_unit_of_work_usable(backend: Harness) -> None:
    unknown_dimension: dict[str, Any] = {"dimension": "team"}

    async with backend.uow() as uow:
        anomalies = uow.cost_anomalies
        with pytest.raises(InvalidInput):
            await anomalies.fetch_entity_today_spend("t1", day=MARCH_10, **unknown_dimension)
        with pytest.raises(InvalidInput):
            await anomalies.fetch_tenant_today_spend("t1", day=MARCH_10, tz="+05:30")
        with pytest.raises(InvalidInput):
            await anomalies.fetch_daily_spend("t1", day=MARCH_10, budget_type=EntityType.USER)
        with pytest.raises(InvalidInput):
            await anomalies.fetch_monthly_spend("t1", month_start=MARCH_10)
        await uow.cost_writes.create_cost_record("t1", record=record(utc(2024, 3, 10, 12)))

    assert await daily_spend(backend, day=MARCH_10) == usd("0.100000000")


@pytest.mark.parametrize("tenant_id", ["", " t1", "t" * 65, "t\x001"])
async def test_invalid_tenant_id(backend: Harness, tenant_id: str) -> None:
    calls: list[Callable[[UnitOfWork], Awaitable[object]]] = [
        lambda uow: uow.cost_anomalies.fetch_entity_today_spend(
            tenant_id, dimension=EntityDimension.USER, day=MARCH_10
        ),
        lambda uow: uow.cost_anomalies.fetch_tenant_today_spend(tenant_id, day=MARCH_10),
        lambda uow: uow.cost_anomalies.fetch_daily_spend(tenant_id, day=MARCH_10),
        lambda uow: uow.cost_anomalies.fetch_monthly_spend(tenant_id, month_start=MARCH),
    ]

    async with backend.uow() as uow:
        for call in calls:
            with pytest.raises(InvalidInput) as raised:
                await call(uow)
            assert raised.value.field == "tenant_id"
