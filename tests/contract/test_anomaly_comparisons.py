"""Day comparisons: retries, prompt sizes and requests of a day and the day before, and
the feature concentration of one day.

"Today" and "yesterday" are full local days of the zone passed, so in New York
the yesterday of 2024-03-11 is the 23-hour day 2024-03-10.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from analytics.domain import (
    EntityType,
    FeatureConcentration,
    PromptStats,
    RetryShare,
)
from analytics.ports import InvalidInput, UnitOfWork
from tests.contract.anomaly_spend_data import (
    HOSTILE_ID,
    INVALID_DAYS,
    INVALID_ENTITY_TYPES,
    INVALID_FLAGS,
    INVALID_ZONES,
    ZERO_USD,
    is_money,
    is_ratio,
    ratio,
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

COMPARISONS = ["fetch_retry_comparison", "fetch_prompt_comparison", "fetch_request_comparison"]


def retry_row(share: RetryShare) -> tuple[int, int, Any]:
    """Return a retry share as (requests, retries, share)."""
    return (share.requests, share.retries, share.share)


def prompt_row(stats: PromptStats) -> tuple[int, int, Any]:
    """Return prompt statistics as (requests, input tokens, average)."""
    return (stats.requests, stats.input_tokens, stats.avg_input_tokens)


def concentration_row(result: FeatureConcentration) -> tuple[Any, ...]:
    """Return a concentration as (total, tagged, untagged, count, top, top spend, shares)."""
    return (
        result.total_spend_usd,
        result.tagged_spend_usd,
        result.untagged_spend_usd,
        result.feature_count,
        result.top_feature_tag,
        result.top_feature_spend_usd,
        result.share_of_tagged,
        result.share_of_total,
    )


async def comparison(backend: Harness, method: str, tenant_id: str = "t1", **arguments: Any) -> Any:
    """Run one comparison method in a new unit of work."""
    return await read(
        backend.uow, lambda uow: getattr(uow.cost_anomalies, method)(tenant_id, **arguments)
    )


# fetch_retry_comparison


async def test_retry_comparison_example(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    result = await comparison(backend, "fetch_retry_comparison", day=MARCH_10, tz=NY)

    assert result.day == MARCH_10
    assert retry_row(result.today) == (3, 1, ratio("0.333333"))
    assert retry_row(result.yesterday) == (1, 0, ratio("0.000000"))
    assert is_ratio(result.today.share)
    assert is_ratio(result.yesterday.share)


async def test_retry_comparison_scoped_user(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    result = await comparison(
        backend,
        "fetch_retry_comparison",
        day=MARCH_10,
        tz=NY,
        entity_type=EntityType.USER,
        entity_id="u2",
    )

    assert retry_row(result.today) == (2, 1, ratio("0.500000"))
    assert retry_row(result.yesterday) == (0, 0, None)


async def test_retry_comparison_yesterday_23_hours(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    in_new_york = await comparison(backend, "fetch_retry_comparison", day=MARCH_11, tz=NY)
    in_utc = await comparison(backend, "fetch_retry_comparison", day=MARCH_11)

    # New York: yesterday contains r2, r3, r4 and today r5. UTC: r2, r3 and r4, r5.
    assert retry_row(in_new_york.yesterday) == (3, 1, ratio("0.333333"))
    assert retry_row(in_new_york.today) == (1, 0, ratio("0.000000"))
    assert retry_row(in_utc.yesterday) == (2, 1, ratio("0.500000"))
    assert retry_row(in_utc.today) == (2, 0, ratio("0.000000"))


async def test_retry_comparison_flag_only(backend: Harness) -> None:
    # Only records written with is_retry=True count as retries.
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 10, 9), user_id="u1", is_retry=True),
            record(utc(2024, 3, 10, 9), user_id="u1"),
            record(utc(2024, 3, 10, 9), user_id="u1"),
            record(utc(2024, 3, 10, 10), user_id="u2", is_retry=True),
        ],
    )

    result = await comparison(
        backend, "fetch_retry_comparison", day=MARCH_10, entity_type="user", entity_id="u1"
    )

    assert retry_row(result.today) == (3, 1, ratio("0.333333"))


async def test_retry_comparison_empty(backend: Harness) -> None:
    result = await comparison(backend, "fetch_retry_comparison", day=MARCH_10)

    assert retry_row(result.today) == (0, 0, None)
    assert retry_row(result.yesterday) == (0, 0, None)


async def test_retry_comparison_synthetic_and_isolation(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    with_synthetic = await comparison(
        backend, "fetch_retry_comparison", day=MARCH_10, include_synthetic=True
    )
    other_tenant = await comparison(backend, "fetch_retry_comparison", "t2", day=MARCH_10)

    assert retry_row(with_synthetic.today) == (3, 1, ratio("0.333333"))
    assert retry_row(other_tenant.today) == (1, 0, ratio("0.000000"))
    assert retry_row(other_tenant.yesterday) == (0, 0, None)


async def test_retry_comparison_frozen(backend: Harness) -> None:
    result = await comparison(backend, "fetch_retry_comparison", day=MARCH_10)

    with pytest.raises(ValidationError):
        result.day = MARCH_11
    with pytest.raises(ValidationError):
        result.today.requests = 1


# fetch_prompt_comparison


async def test_prompt_comparison_example(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    in_new_york = await comparison(backend, "fetch_prompt_comparison", day=MARCH_10, tz=NY)
    in_utc = await comparison(backend, "fetch_prompt_comparison", day=MARCH_10)

    assert prompt_row(in_new_york.today) == (3, 900, ratio("300.000000"))
    assert prompt_row(in_new_york.yesterday) == (1, 100, ratio("100.000000"))
    assert prompt_row(in_utc.today) == (2, 500, ratio("250.000000"))
    assert prompt_row(in_utc.yesterday) == (1, 100, ratio("100.000000"))
    assert is_ratio(in_utc.today.avg_input_tokens)


async def test_prompt_comparison_six_places(backend: Harness) -> None:
    # 100 tokens over 3 requests today, 2 over 3 yesterday (0.666666… rounds up).
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 10, 9), input_tokens=34),
            record(utc(2024, 3, 10, 9), input_tokens=33),
            record(utc(2024, 3, 10, 9), input_tokens=33),
            record(utc(2024, 3, 9, 9), input_tokens=2),
            record(utc(2024, 3, 9, 9), input_tokens=0),
            record(utc(2024, 3, 9, 9), input_tokens=0),
        ],
    )

    result = await comparison(backend, "fetch_prompt_comparison", day=MARCH_10)

    assert prompt_row(result.today) == (3, 100, ratio("33.333333"))
    assert prompt_row(result.yesterday) == (3, 2, ratio("0.666667"))


async def test_prompt_comparison_scoped_feature(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    result = await comparison(
        backend,
        "fetch_prompt_comparison",
        day=MARCH_10,
        tz=NY,
        entity_type="feature",
        entity_id="chat.reply",
    )

    assert prompt_row(result.today) == (1, 200, ratio("200.000000"))
    assert prompt_row(result.yesterday) == (1, 100, ratio("100.000000"))


async def test_prompt_comparison_synthetic_and_isolation(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    with_synthetic = await comparison(
        backend, "fetch_prompt_comparison", day=MARCH_10, include_synthetic=True
    )
    other_tenant = await comparison(backend, "fetch_prompt_comparison", "t2", day=MARCH_10)

    # r6 adds 999 synthetic input tokens: 1499 over 3 records.
    assert prompt_row(with_synthetic.today) == (3, 1499, ratio("499.666667"))
    assert prompt_row(other_tenant.today) == (1, 1, ratio("1.000000"))
    assert prompt_row(other_tenant.yesterday) == (0, 0, None)


async def test_prompt_comparison_empty(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    result = await comparison(backend, "fetch_prompt_comparison", day=date(2024, 3, 20))

    assert prompt_row(result.today) == (0, 0, None)
    assert prompt_row(result.yesterday) == (0, 0, None)


# fetch_request_comparison


async def test_request_comparison_example(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    tenant_ny = await comparison(backend, "fetch_request_comparison", day=MARCH_10, tz=NY)
    feature_ny = await comparison(
        backend,
        "fetch_request_comparison",
        day=MARCH_10,
        tz=NY,
        entity_type="feature",
        entity_id="chat.reply",
    )
    tenant_utc = await comparison(backend, "fetch_request_comparison", day=MARCH_10)

    assert (tenant_ny.day, tenant_ny.today, tenant_ny.yesterday) == (MARCH_10, 3, 1)
    assert (feature_ny.today, feature_ny.yesterday) == (1, 1)
    assert (tenant_utc.today, tenant_utc.yesterday) == (2, 1)


async def test_request_comparison_empty(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    result = await comparison(
        backend, "fetch_request_comparison", day=MARCH_10, entity_type="user", entity_id="u9"
    )

    assert (result.today, result.yesterday) == (0, 0)


async def test_request_comparison_synthetic_and_isolation(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    with_synthetic = await comparison(
        backend, "fetch_request_comparison", day=MARCH_10, tz=NY, include_synthetic=True
    )
    other_tenant = await comparison(backend, "fetch_request_comparison", "t2", day=MARCH_11)

    assert (with_synthetic.today, with_synthetic.yesterday) == (4, 1)
    assert (other_tenant.today, other_tenant.yesterday) == (0, 1)


async def test_request_comparison_kolkata_boundary(backend: Harness) -> None:
    # Kolkata's 2024-03-10 runs from 03-09T18:30Z to 03-10T18:30Z.
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 8, 18, 29, 59)),
            record(utc(2024, 3, 8, 18, 30)),
            record(utc(2024, 3, 9, 18, 29, 59)),
            record(utc(2024, 3, 9, 18, 30)),
            record(utc(2024, 3, 10, 18, 29, 59)),
            record(utc(2024, 3, 10, 18, 30)),
        ],
    )

    result = await comparison(backend, "fetch_request_comparison", day=MARCH_10, tz=KOLKATA)

    assert (result.today, result.yesterday) == (2, 2)


async def test_request_comparison_hostile_tag(backend: Harness) -> None:
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 10, 9), feature_tag=HOSTILE_ID),
            record(utc(2024, 3, 9, 9), feature_tag=HOSTILE_ID),
            record(utc(2024, 3, 9, 10), feature_tag=HOSTILE_ID),
            record(utc(2024, 3, 10, 9), feature_tag="chat"),
        ],
    )

    result = await comparison(
        backend,
        "fetch_request_comparison",
        day=MARCH_10,
        entity_type="feature",
        entity_id=HOSTILE_ID,
    )

    assert (result.today, result.yesterday) == (1, 2)
    assert (await backend.row_counts())["cost_records"] == 4


# Every comparison


async def test_comparisons_session_time_zone(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    async def compare(uow: UnitOfWork) -> tuple[Any, ...]:
        anomalies = uow.cost_anomalies
        scope: dict[str, Any] = {
            "day": MARCH_11,
            "tz": NY,
            "entity_type": "user",
            "entity_id": "u2",
        }
        return (
            await anomalies.fetch_retry_comparison("t1", **scope),
            await anomalies.fetch_prompt_comparison("t1", **scope),
            await anomalies.fetch_request_comparison("t1", **scope),
            await anomalies.fetch_feature_concentration("t1", day=MARCH_10, tz=NY),
        )

    results = await read_in_every_session_zone(backend, compare)

    for retries, prompts, requests, concentration in results:
        assert retry_row(retries.yesterday) == (2, 1, ratio("0.500000"))
        assert retry_row(retries.today) == (0, 0, None)
        assert prompt_row(prompts.yesterday) == (2, 700, ratio("350.000000"))
        assert (requests.today, requests.yesterday) == (0, 2)
        assert concentration.top_feature_tag == "chat.reply"
        assert concentration.total_spend_usd == usd("0.650000000")


def _comparison_invalid() -> list[tuple[str, dict[str, Any]]]:
    return [
        *[("day", {"day": value}) for value in INVALID_DAYS],
        *[("tz", {"tz": value}) for value in INVALID_ZONES],
        ("entity_id", {"entity_type": "tenant", "entity_id": "u1"}),
        ("entity_id", {"entity_type": EntityType.TENANT, "entity_id": ""}),
        ("entity_id", {"entity_type": "user", "entity_id": None}),
        ("entity_id", {"entity_type": "feature"}),
        ("entity_id", {"entity_type": "feature", "entity_id": ""}),
        ("entity_id", {"entity_type": "user", "entity_id": "u1\n"}),
        ("entity_id", {"entity_type": "user", "entity_id": "u" * 129}),
        ("entity_id", {"entity_type": "user", "entity_id": ["u1"]}),
        *[("entity_type", {"entity_type": value}) for value in INVALID_ENTITY_TYPES],
        *[("include_synthetic", {"include_synthetic": value}) for value in INVALID_FLAGS],
        ("day", {"day": None, "entity_type": "team"}),
    ]


@pytest.mark.parametrize("method", COMPARISONS)
@pytest.mark.parametrize(("field", "changes"), _comparison_invalid())
async def test_comparison_invalid_input(
    backend: Harness, method: str, field: str, changes: dict[str, Any]
) -> None:
    arguments = {"day": MARCH_10, **changes}

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await getattr(uow.cost_anomalies, method)("t1", **arguments)

    assert raised.value.field == field


@pytest.mark.parametrize("method", COMPARISONS)
async def test_comparison_scope_string_values(backend: Harness, method: str) -> None:
    await load_cost_records(backend.uow)

    by_member = await comparison(
        backend, method, day=MARCH_10, tz=NY, entity_type=EntityType.USER, entity_id="u2"
    )
    by_value = await comparison(
        backend, method, day=MARCH_10, tz=NY, entity_type="user", entity_id="u2"
    )

    assert by_member == by_value


# fetch_feature_concentration


async def concentration(backend: Harness, tenant_id: str = "t1", **arguments: Any) -> Any:
    """Read one day's feature concentration in a new unit of work."""
    return await comparison(backend, "fetch_feature_concentration", tenant_id, **arguments)


async def test_feature_concentration_example(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    result = await concentration(backend, day=MARCH_10, tz=NY)

    assert result.day == MARCH_10
    assert concentration_row(result) == (
        usd("0.650000000"),
        usd("0.350000000"),
        usd("0.300000000"),
        2,
        "chat.reply",
        usd("0.200000000"),
        ratio("0.571429"),
        ratio("0.307692"),
    )
    assert is_money(result.tagged_spend_usd)
    assert is_ratio(result.share_of_total)


async def test_feature_concentration_only_untagged(backend: Harness) -> None:
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 10, 9), "0.10"),
            record(utc(2024, 3, 10, 10), "0.20"),
        ],
    )

    result = await concentration(backend, day=MARCH_10)

    assert concentration_row(result) == (
        usd("0.300000000"),
        ZERO_USD,
        usd("0.300000000"),
        0,
        None,
        ZERO_USD,
        None,
        None,
    )
    assert is_money(result.top_feature_spend_usd)
    assert is_money(result.tagged_spend_usd)


async def test_feature_concentration_tie_by_tag(backend: Harness) -> None:
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 10, 9), "0.10", feature_tag="search"),
            record(utc(2024, 3, 10, 9), "0.10", feature_tag="chat"),
        ],
    )

    result = await concentration(backend, day=MARCH_10)

    assert result.top_feature_tag == "chat"
    assert result.share_of_tagged == ratio("0.500000")


async def test_feature_concentration_tie_by_records(backend: Harness) -> None:
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 10, 9), "0.10", feature_tag="a"),
            record(utc(2024, 3, 10, 9), "0.05", feature_tag="b"),
            record(utc(2024, 3, 10, 10), "0.05", feature_tag="b"),
            record(utc(2024, 3, 10, 10), "0.10", feature_tag="B"),
        ],
    )

    result = await concentration(backend, day=MARCH_10)

    assert (result.top_feature_tag, result.feature_count) == ("b", 3)


async def test_feature_concentration_untagged_never_top(backend: Harness) -> None:
    # The tag "untagged" is a normal tag, while records without a tag never compete.
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 10, 9), "0.50"),
            record(utc(2024, 3, 10, 9), "0.20", feature_tag="untagged"),
        ],
    )

    result = await concentration(backend, day=MARCH_10)

    assert concentration_row(result) == (
        usd("0.700000000"),
        usd("0.200000000"),
        usd("0.500000000"),
        1,
        "untagged",
        usd("0.200000000"),
        ratio("1.000000"),
        ratio("0.285714"),
    )


async def test_feature_concentration_zero_tagged_spend(backend: Harness) -> None:
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 10, 9), "0.30"),
            record(utc(2024, 3, 10, 9), "0", feature_tag="free"),
        ],
    )

    result = await concentration(backend, day=MARCH_10)

    assert concentration_row(result) == (
        usd("0.300000000"),
        ZERO_USD,
        usd("0.300000000"),
        1,
        "free",
        ZERO_USD,
        None,
        ratio("0.000000"),
    )


async def test_feature_concentration_zero_total(backend: Harness) -> None:
    await store_records(backend.uow, "t1", [record(utc(2024, 3, 10, 9), "0", feature_tag="free")])

    result = await concentration(backend, day=MARCH_10)

    assert concentration_row(result) == (
        ZERO_USD,
        ZERO_USD,
        ZERO_USD,
        1,
        "free",
        ZERO_USD,
        None,
        None,
    )


async def test_feature_concentration_empty(backend: Harness) -> None:
    result = await concentration(backend, day=MARCH_10)

    assert concentration_row(result) == (
        ZERO_USD,
        ZERO_USD,
        ZERO_USD,
        0,
        None,
        ZERO_USD,
        None,
        None,
    )
    assert is_money(result.total_spend_usd)
    assert is_money(result.untagged_spend_usd)


async def test_feature_concentration_synthetic_and_isolation(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    with_synthetic = await concentration(backend, day=MARCH_10, include_synthetic=True)
    other_tenant = await concentration(backend, "t2", day=MARCH_10)

    assert concentration_row(with_synthetic) == (
        usd("10.490000000"),
        usd("10.190000000"),
        usd("0.300000000"),
        1,
        "chat.reply",
        usd("10.190000000"),
        ratio("1.000000"),
        ratio("0.971401"),
    )
    assert concentration_row(other_tenant)[:6] == (
        usd("5.000000000"),
        usd("5.000000000"),
        ZERO_USD,
        1,
        "chat.reply",
        usd("5.000000000"),
    )


async def test_feature_concentration_day_bounds(backend: Harness) -> None:
    # New York's 2024-03-10 ends at 2024-03-11T04:00Z.
    await store_records(
        backend.uow,
        "t1",
        [
            record(utc(2024, 3, 10, 4, 59, 59), "5.00", feature_tag="before"),
            record(utc(2024, 3, 10, 5), "0.10", feature_tag="first"),
            record(utc(2024, 3, 11, 3, 59, 59), "0.20", feature_tag="last"),
            record(utc(2024, 3, 11, 4), "5.00", feature_tag="after"),
        ],
    )

    result = await concentration(backend, day=MARCH_10, tz=NY)

    assert (result.total_spend_usd, result.feature_count) == (usd("0.300000000"), 2)
    assert result.top_feature_tag == "last"


CONCENTRATION_INVALID = [
    *[("day", {"day": value}) for value in INVALID_DAYS],
    *[("tz", {"tz": value}) for value in INVALID_ZONES],
    *[("include_synthetic", {"include_synthetic": value}) for value in INVALID_FLAGS],
]


@pytest.mark.parametrize(("field", "changes"), CONCENTRATION_INVALID)
async def test_feature_concentration_invalid_input(
    backend: Harness, field: str, changes: dict[str, Any]
) -> None:
    arguments = {"day": MARCH_10, **changes}

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput) as raised:
            await uow.cost_anomalies.fetch_feature_concentration("t1", **arguments)

    assert raised.value.field == field


# Every method of this file


async def test_invalid_input_keeps_unit_of_work_usable(backend: Harness) -> None:
    not_a_bool: dict[str, Any] = {"include_synthetic": 1}

    async with backend.uow() as uow:
        anomalies = uow.cost_anomalies
        with pytest.raises(InvalidInput):
            await anomalies.fetch_retry_comparison("t1", day=MARCH_10, entity_type=EntityType.USER)
        with pytest.raises(InvalidInput):
            await anomalies.fetch_prompt_comparison("t1", day=MARCH_10, entity_id="u1")
        with pytest.raises(InvalidInput):
            await anomalies.fetch_feature_concentration("t1", day=MARCH_10, tz="Mars/Olympus")
        with pytest.raises(InvalidInput):
            await anomalies.fetch_request_comparison("t1", day=MARCH_10, **not_a_bool)
        await uow.cost_writes.create_cost_record("t1", record=record(utc(2024, 3, 10, 12)))

    result = await comparison(backend, "fetch_request_comparison", day=MARCH_10)
    assert (result.today, result.yesterday) == (1, 0)


@pytest.mark.parametrize("tenant_id", ["", " t1", "t" * 65, "t\x001"])
async def test_invalid_tenant_id(backend: Harness, tenant_id: str) -> None:
    calls: list[Callable[[UnitOfWork], Awaitable[object]]] = [
        lambda uow: uow.cost_anomalies.fetch_retry_comparison(tenant_id, day=MARCH_10),
        lambda uow: uow.cost_anomalies.fetch_prompt_comparison(tenant_id, day=MARCH_10),
        lambda uow: uow.cost_anomalies.fetch_feature_concentration(tenant_id, day=MARCH_10),
        lambda uow: uow.cost_anomalies.fetch_request_comparison(tenant_id, day=MARCH_10),
    ]

    async with backend.uow() as uow:
        for call in calls:
            with pytest.raises(InvalidInput) as raised:
                await call(uow)
            assert raised.value.field == "tenant_id"
