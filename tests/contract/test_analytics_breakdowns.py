"""Cost breakdowns by model and by feature tag: order, limit, rest, total, unpriced records."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pydantic
import pytest

from analytics.domain import (
    CostSource,
    FeatureCost,
    FeatureCostBreakdown,
    ModelCost,
    ModelCostBreakdown,
)
from analytics.ports import InvalidInput, UnitOfWork
from tests.contract.analytics_data import (
    ZERO_USD,
    read,
    read_in_every_session_zone,
    record,
    store_records,
    totals_row,
    usd,
)
from tests.contract.example_data import load_cost_records, utc
from tests.contract.harness import Harness

BREAKDOWN_METHODS = ("fetch_cost_by_model", "fetch_cost_by_feature")
WINDOW = (utc(2024, 3, 9), utc(2024, 3, 12))
EMPTY_TOTALS = (0, 0, ZERO_USD, 0, 0, 0)

# A record outside the shared example data: untagged, no price found, so its cost is 0.
UNPRICED = record(
    utc(2024, 3, 11, 10),
    "0",
    model="in-house-llm",
    input_tokens=500,
    output_tokens=40,
    cost_source=CostSource.UNPRICED,
)


def breakdown_call(
    method: str, tenant_id: Any = "t1", **arguments: Any
) -> Callable[[UnitOfWork], Awaitable[Any]]:
    """Return a read that calls one breakdown method over the example window."""
    values: dict[str, Any] = {"start": WINDOW[0], "end": WINDOW[1]}
    values.update(arguments)

    async def call(uow: UnitOfWork) -> Any:
        return await getattr(uow.analytics_reads, method)(tenant_id, **values)

    return call


def model_rows(items: list[ModelCost]) -> list[tuple[Any, ...]]:
    """Return each model item as (model, requests, spend, input, output, unpriced)."""
    return [
        (
            item.model,
            item.requests,
            item.spend_usd,
            item.input_tokens,
            item.output_tokens,
            item.unpriced_requests,
        )
        for item in items
    ]


def feature_rows(items: list[FeatureCost]) -> list[tuple[Any, ...]]:
    """Return each feature item as (feature_tag, requests, spend, input, output)."""
    return [
        (item.feature_tag, item.requests, item.spend_usd, item.input_tokens, item.output_tokens)
        for item in items
    ]


def items_plus_rest(breakdown: ModelCostBreakdown | FeatureCostBreakdown) -> tuple[Any, ...]:
    """Return the sum of the items and the rest as (groups, requests, spend, input, output)."""
    rest = breakdown.rest
    return (
        len(breakdown.items) + rest.groups,
        sum(item.requests for item in breakdown.items) + rest.requests,
        sum(item.spend_usd for item in breakdown.items) + rest.spend_usd,
        sum(item.input_tokens for item in breakdown.items) + rest.input_tokens,
        sum(item.output_tokens for item in breakdown.items) + rest.output_tokens,
    )


# fetch_cost_by_model


async def test_by_model_example(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    results = await read_in_every_session_zone(backend, breakdown_call("fetch_cost_by_model"))

    for breakdown in results:
        assert model_rows(breakdown.items) == [
            ("gpt-4o", 3, usd("0.450000000"), 700, 170, 0),
            ("claude-3", 2, usd("0.350000000"), 350, 50, 0),
        ]
        assert totals_row(breakdown.rest) == EMPTY_TOTALS
        assert totals_row(breakdown.total) == (2, 5, usd("0.800000000"), 1050, 220, 0)


async def test_by_model_limit_one(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    breakdown = await read(backend.uow, breakdown_call("fetch_cost_by_model", limit=1))

    assert model_rows(breakdown.items) == [("gpt-4o", 3, usd("0.450000000"), 700, 170, 0)]
    assert totals_row(breakdown.rest) == (1, 2, usd("0.350000000"), 350, 50, 0)
    assert totals_row(breakdown.total) == (2, 5, usd("0.800000000"), 1050, 220, 0)


async def test_by_model_unpriced(backend: Harness) -> None:
    await load_cost_records(backend.uow)
    await store_records(backend.uow, "t1", [UNPRICED])

    breakdown = await read(backend.uow, breakdown_call("fetch_cost_by_model"))
    cut = await read(backend.uow, breakdown_call("fetch_cost_by_model", limit=2))

    assert model_rows(breakdown.items) == [
        ("gpt-4o", 3, usd("0.450000000"), 700, 170, 0),
        ("claude-3", 2, usd("0.350000000"), 350, 50, 0),
        ("in-house-llm", 1, ZERO_USD, 500, 40, 1),
    ]
    assert totals_row(breakdown.total) == (3, 6, usd("0.800000000"), 1550, 260, 1)
    assert totals_row(cut.rest) == (1, 1, ZERO_USD, 500, 40, 1)
    assert totals_row(cut.total) == (3, 6, usd("0.800000000"), 1550, 260, 1)


async def test_by_model_estimated_not_unpriced(backend: Harness) -> None:
    estimated = record(
        utc(2024, 3, 10, 9),
        "0.05",
        model="gpt-4o",
        cost_source=CostSource.ESTIMATED,
        price_ref="list-2024-03",
    )
    await store_records(
        backend.uow,
        "t1",
        [estimated, record(utc(2024, 3, 10, 9), "0.05", model="gpt-4o"), UNPRICED],
    )

    breakdown = await read(backend.uow, breakdown_call("fetch_cost_by_model"))

    assert model_rows(breakdown.items) == [
        ("gpt-4o", 2, usd("0.100000000"), 200, 20, 0),
        ("in-house-llm", 1, ZERO_USD, 500, 40, 1),
    ]


async def test_by_model_three_way_tie(backend: Harness) -> None:
    at = utc(2024, 3, 10, 12)
    records = [
        record(at, "0.10", model="b-model"),
        record(at, "0.10", model="a-model"),
        record(at, "0.05", model="c-model"),
        record(at, "0.05", model="c-model"),
    ]
    await store_records(backend.uow, "t3", records)

    breakdown = await read(backend.uow, breakdown_call("fetch_cost_by_model", "t3"))

    # Equal spend: more requests first, then the model name.
    assert [item.model for item in breakdown.items] == ["c-model", "a-model", "b-model"]


async def test_by_model_binary_order(backend: Harness) -> None:
    at = utc(2024, 3, 10, 12)
    models = ["chat_reply", "a", "chat.reply", "B"]
    await store_records(backend.uow, "t3", [record(at, "0.05", model=model) for model in models])

    breakdown = await read(backend.uow, breakdown_call("fetch_cost_by_model", "t3"))

    assert [item.model for item in breakdown.items] == ["B", "a", "chat.reply", "chat_reply"]


async def test_by_model_max_limit(backend: Harness) -> None:
    at = utc(2024, 3, 10, 12)
    records = [record(at, "0.01", model=f"model-{index:03d}") for index in range(501)]
    await store_records(backend.uow, "t1", records)

    breakdown = await read(backend.uow, breakdown_call("fetch_cost_by_model", limit=500))

    assert len(breakdown.items) == 500
    assert breakdown.items[0].model == "model-000"
    assert breakdown.items[-1].model == "model-499"
    assert totals_row(breakdown.rest) == (1, 1, usd("0.010000000"), 100, 10, 0)
    assert totals_row(breakdown.total) == (501, 501, usd("5.010000000"), 50100, 5010, 0)


@pytest.mark.parametrize("limit", [1, 2, 3, 50])
async def test_by_model_invariant(backend: Harness, limit: int) -> None:
    await load_cost_records(backend.uow)
    await store_records(backend.uow, "t1", [UNPRICED])

    breakdown = await read(backend.uow, breakdown_call("fetch_cost_by_model", limit=limit))

    total = breakdown.total
    assert items_plus_rest(breakdown) == totals_row(total)[:5]
    unpriced = sum(item.unpriced_requests for item in breakdown.items)
    assert unpriced + breakdown.rest.unpriced_requests == total.unpriced_requests


async def test_by_model_include_synthetic(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    breakdown = await read(
        backend.uow, breakdown_call("fetch_cost_by_model", include_synthetic=True)
    )

    assert model_rows(breakdown.items)[0] == ("gpt-4o", 4, usd("10.440000000"), 1699, 1169, 0)
    assert totals_row(breakdown.total) == (2, 6, usd("10.790000000"), 2049, 1219, 0)


async def test_by_model_second_tenant(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    breakdown = await read(backend.uow, breakdown_call("fetch_cost_by_model", "t2"))

    assert model_rows(breakdown.items) == [("gpt-4o", 1, usd("5.000000000"), 1, 1, 0)]
    assert totals_row(breakdown.total) == (1, 1, usd("5.000000000"), 1, 1, 0)


async def test_by_model_window_bounds(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    # r4 at 03:59Z is inside, but r5 at exactly 04:00Z is on the excluded end.
    breakdown = await read(
        backend.uow, breakdown_call("fetch_cost_by_model", end=utc(2024, 3, 11, 4))
    )

    assert model_rows(breakdown.items) == [
        ("gpt-4o", 3, usd("0.450000000"), 700, 170, 0),
        ("claude-3", 1, usd("0.300000000"), 300, 0, 0),
    ]


# fetch_cost_by_feature


async def test_by_feature_example(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    results = await read_in_every_session_zone(backend, breakdown_call("fetch_cost_by_feature"))

    for breakdown in results:
        assert feature_rows(breakdown.items) == [
            ("chat.reply", 3, usd("0.350000000"), 350, 200),
            (None, 1, usd("0.300000000"), 300, 0),
            ("search.rank", 1, usd("0.150000000"), 400, 20),
        ]
        assert totals_row(breakdown.rest) == EMPTY_TOTALS
        assert totals_row(breakdown.total) == (3, 5, usd("0.800000000"), 1050, 220, 0)


async def test_by_feature_untagged_tag_separate(backend: Harness) -> None:
    await load_cost_records(backend.uow)
    await store_records(
        backend.uow, "t1", [record(utc(2024, 3, 10, 9), "0.30", feature_tag="untagged")]
    )

    breakdown = await read(backend.uow, breakdown_call("fetch_cost_by_feature"))

    # Same spend and requests as the untagged group, which comes first.
    assert [item.feature_tag for item in breakdown.items] == [
        "chat.reply",
        None,
        "untagged",
        "search.rank",
    ]
    assert feature_rows(breakdown.items)[2] == ("untagged", 1, usd("0.300000000"), 100, 10)


async def test_by_feature_binary_order_none_first(backend: Harness) -> None:
    at = utc(2024, 3, 10, 12)
    tags = ["chat_reply", "a", None, "chat.reply", "B"]
    await store_records(backend.uow, "t3", [record(at, "0.05", feature_tag=tag) for tag in tags])

    breakdown = await read(backend.uow, breakdown_call("fetch_cost_by_feature", "t3"))

    assert [item.feature_tag for item in breakdown.items] == [
        None,
        "B",
        "a",
        "chat.reply",
        "chat_reply",
    ]


async def test_by_feature_unpriced(backend: Harness) -> None:
    await load_cost_records(backend.uow)
    await store_records(backend.uow, "t1", [UNPRICED])

    breakdown = await read(backend.uow, breakdown_call("fetch_cost_by_feature"))

    assert feature_rows(breakdown.items) == [
        ("chat.reply", 3, usd("0.350000000"), 350, 200),
        (None, 2, usd("0.300000000"), 800, 40),
        ("search.rank", 1, usd("0.150000000"), 400, 20),
    ]
    assert totals_row(breakdown.total) == (3, 6, usd("0.800000000"), 1550, 260, 1)


@pytest.mark.parametrize(
    ("limit", "items", "rest"),
    [
        pytest.param(1, ["chat.reply"], (2, 3, usd("0.450000000"), 1200, 60, 1), id="limit-1"),
        pytest.param(2, ["chat.reply", None], (1, 1, usd("0.150000000"), 400, 20, 0), id="limit-2"),
    ],
)
async def test_by_feature_unpriced_limit(
    backend: Harness, limit: int, items: list[str | None], rest: tuple[Any, ...]
) -> None:
    await load_cost_records(backend.uow)
    await store_records(backend.uow, "t1", [UNPRICED])

    breakdown = await read(backend.uow, breakdown_call("fetch_cost_by_feature", limit=limit))

    assert [item.feature_tag for item in breakdown.items] == items
    assert totals_row(breakdown.rest) == rest
    assert totals_row(breakdown.total) == (3, 6, usd("0.800000000"), 1550, 260, 1)


async def test_by_feature_items_carry_no_unpriced(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    breakdown = await read(backend.uow, breakdown_call("fetch_cost_by_feature"))

    assert "unpriced_requests" not in breakdown.items[0].model_dump()


@pytest.mark.parametrize("limit", [1, 2, 3, 50])
async def test_by_feature_invariant(backend: Harness, limit: int) -> None:
    await load_cost_records(backend.uow)
    await store_records(backend.uow, "t1", [UNPRICED])

    breakdown = await read(backend.uow, breakdown_call("fetch_cost_by_feature", limit=limit))

    assert items_plus_rest(breakdown) == totals_row(breakdown.total)[:5]


async def test_by_feature_include_synthetic(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    breakdown = await read(
        backend.uow, breakdown_call("fetch_cost_by_feature", include_synthetic=True)
    )

    assert feature_rows(breakdown.items)[0] == ("chat.reply", 4, usd("10.340000000"), 1349, 1199)


async def test_by_feature_second_tenant(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    breakdown = await read(backend.uow, breakdown_call("fetch_cost_by_feature", "t2"))

    assert feature_rows(breakdown.items) == [("chat.reply", 1, usd("5.000000000"), 1, 1)]
    assert totals_row(breakdown.total) == (1, 1, usd("5.000000000"), 1, 1, 0)


# Both breakdowns


@pytest.mark.parametrize("method", BREAKDOWN_METHODS)
async def test_breakdown_empty_window(backend: Harness, method: str) -> None:
    breakdown = await read(backend.uow, breakdown_call(method))

    assert breakdown.items == []
    assert totals_row(breakdown.rest) == EMPTY_TOTALS
    assert totals_row(breakdown.total) == EMPTY_TOTALS
    assert breakdown.total.spend_usd.as_tuple().exponent == -9


@pytest.mark.parametrize("method", BREAKDOWN_METHODS)
async def test_breakdown_money_types(backend: Harness, method: str) -> None:
    await load_cost_records(backend.uow)

    breakdown = await read(backend.uow, breakdown_call(method, limit=1))

    for amount in (
        breakdown.items[0].spend_usd,
        breakdown.rest.spend_usd,
        breakdown.total.spend_usd,
    ):
        assert amount.as_tuple().exponent == -9
    with pytest.raises(pydantic.ValidationError):
        breakdown.total.requests = 0


@pytest.mark.parametrize("method", BREAKDOWN_METHODS)
async def test_breakdown_limit_cut(backend: Harness, method: str) -> None:
    await load_cost_records(backend.uow)

    full = await read(backend.uow, breakdown_call(method))
    cut = await read(backend.uow, breakdown_call(method, limit=2))

    assert cut.items == full.items[:2]
    assert cut.total == full.total


@pytest.mark.parametrize("method", BREAKDOWN_METHODS)
@pytest.mark.parametrize(
    "tenant_id",
    [
        pytest.param("", id="empty"),
        pytest.param(" t1", id="leading-space"),
        pytest.param("t" * 65, id="65-characters"),
        pytest.param("t\x001", id="nul"),
    ],
)
async def test_breakdown_invalid_tenant(backend: Harness, method: str, tenant_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await read(backend.uow, breakdown_call(method, tenant_id))

    assert raised.value.field == "tenant_id"


INVALID_BREAKDOWN_ARGUMENTS = [
    pytest.param({"start": datetime(2024, 3, 9)}, "start", id="naive-start"),
    pytest.param({"end": datetime(2024, 3, 12)}, "end", id="naive-end"),
    pytest.param({"end": WINDOW[0]}, "end", id="end-equals-start"),
    pytest.param({"end": WINDOW[0] - timedelta(days=1)}, "end", id="end-before-start"),
    pytest.param({"start": utc(1969, 12, 31)}, "start", id="start-before-1970"),
    pytest.param({"limit": 0}, "limit", id="limit-0"),
    pytest.param({"limit": 501}, "limit", id="limit-501"),
    pytest.param({"limit": -1}, "limit", id="limit-negative"),
    pytest.param({"limit": True}, "limit", id="limit-bool"),
    pytest.param({"limit": None}, "limit", id="limit-none"),
    pytest.param({"include_synthetic": 0}, "include_synthetic", id="int-flag"),
    pytest.param({"end": datetime(2024, 3, 12), "limit": 0}, "end", id="end-before-limit"),
]


@pytest.mark.parametrize("method", BREAKDOWN_METHODS)
@pytest.mark.parametrize(("arguments", "field"), INVALID_BREAKDOWN_ARGUMENTS)
async def test_breakdown_invalid_argument(
    backend: Harness, method: str, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        await read(backend.uow, breakdown_call(method, **arguments))

    assert raised.value.field == field


@pytest.mark.parametrize("method", BREAKDOWN_METHODS)
async def test_breakdown_error_writes_nothing(backend: Harness, method: str) -> None:
    at = utc(2024, 3, 10, 12)
    before = await backend.row_counts()

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput):
            await getattr(uow.analytics_reads, method)("t1", start=at, end=at, limit=0)
        await uow.cost_writes.create_cost_record("t1", record=record(at))

    after = await backend.row_counts()
    assert after["cost_records"] == before["cost_records"] + 1
