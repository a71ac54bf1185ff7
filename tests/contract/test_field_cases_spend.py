"""Regression cases of the spend reads: local days and months in the tenant's zone,
half-even averages and ratios, and day-range summaries on sparse history.

Unless a case lists rows of its own for ``t2``, every ``t1`` row is also
written under ``t2`` with ten times the cost, and no ``t1`` result may change.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from analytics.domain import BucketUnit, DailySpendSummary, EntityType, WriteOutcome
from analytics.domain.time import day_bounds, local_date, month_bounds
from analytics.ports import UnitOfWork
from tests.contract.anomaly_spend_data import (
    is_money,
    is_ratio,
    ratio,
    read,
    read_in_every_session_zone,
    record,
    store_for_both_tenants,
    store_records,
    usd,
    utc,
)
from tests.contract.harness import Harness

NY = "America/New_York"
LA = "America/Los_Angeles"
PDT = timezone(timedelta(hours=-7))


def summary_row(summary: DailySpendSummary) -> tuple[Any, ...]:
    """Return every field of a summary, dates and zone first."""
    return (
        summary.start_day,
        summary.end_day,
        summary.tz,
        summary.total_usd,
        summary.requests,
        summary.active_days,
        summary.calendar_days,
        summary.avg_per_active_day_usd,
        summary.avg_per_calendar_day_usd,
    )


# Spring forward: "today" starts at the local midnight of the 23-hour day.

SPRING_FORWARD_ROWS = [
    record(utc(2026, 3, 8, 4, 30), "0.90"),  # 03-07 23:30 EST
    record(utc(2026, 3, 8, 6), "0.10"),  # 03-08 01:00 EST
]


def test_spring_forward_day_helpers() -> None:
    clock = datetime(2026, 3, 8, 12, tzinfo=timezone(timedelta(hours=-4)))

    assert local_date(clock, NY) == date(2026, 3, 8)
    assert day_bounds(date(2026, 3, 8), NY) == (utc(2026, 3, 8, 5), utc(2026, 3, 9, 4))


async def spring_forward_spend(uow: UnitOfWork, tenant_id: str) -> tuple[Decimal, ...]:
    """Return today's tenant spend, today's daily spend and yesterday's daily spend."""
    anomalies = uow.cost_anomalies
    return (
        await anomalies.fetch_tenant_today_spend(tenant_id, day=date(2026, 3, 8), tz=NY),
        await anomalies.fetch_daily_spend(tenant_id, day=date(2026, 3, 8), tz=NY),
        await anomalies.fetch_daily_spend(tenant_id, day=date(2026, 3, 7), tz=NY),
    )


async def test_spring_forward_today_spend(backend: Harness) -> None:
    await store_for_both_tenants(backend.uow, SPRING_FORWARD_ROWS)

    first = await read_in_every_session_zone(backend, lambda uow: spring_forward_spend(uow, "t1"))
    second = await read_in_every_session_zone(backend, lambda uow: spring_forward_spend(uow, "t2"))

    # A day start taken as "now minus 12 wall-clock hours" would count 03-07 23:30 EST as today.
    for spend in first:
        assert spend == (usd("0.100000000"), usd("0.100000000"), usd("0.900000000"))
    for spend in second:
        assert spend == (usd("1.000000000"), usd("1.000000000"), usd("9.000000000"))


# Monthly budget period in the tenant's zone. Los Angeles is at UTC-07:00 on every date used.

MONTH_ROWS = [
    record(datetime(2026, 5, 31, 23, 30, tzinfo=PDT), "40"),
    record(datetime(2026, 6, 1, 0, 30, tzinfo=PDT), "70"),
    record(datetime(2026, 6, 30, 17, 30, tzinfo=PDT), "20"),
]


async def store_month_case(backend: Harness) -> None:
    """Write the monthly budget and rows of the case under t1, and ten times them under t2."""
    for tenant_id, scale in (("t1", 1), ("t2", 10)):
        async with backend.uow() as uow:
            result = await uow.cost_writes.create_or_update_budget(
                tenant_id,
                budget_type=EntityType.TENANT,
                monthly_limit_usd=Decimal(100 * scale),
                warn_threshold_pct=80,
            )
        assert result.outcome is WriteOutcome.CREATED
        assert result.record.entity_id is None
        assert result.record.daily_limit_usd is None
        assert result.record.monthly_limit_usd == usd(f"{100 * scale}.000000000")
    await store_for_both_tenants(backend.uow, MONTH_ROWS)


async def test_month_in_tenant_zone(backend: Harness) -> None:
    await store_month_case(backend)

    def june(tenant_id: str, tz: str) -> Any:
        return lambda uow: uow.cost_anomalies.fetch_monthly_spend(
            tenant_id, month_start=date(2026, 6, 1), tz=tz
        )

    first = await read_in_every_session_zone(backend, june("t1", LA))
    second = await read_in_every_session_zone(backend, june("t2", LA))
    first_utc = await read(backend.uow, june("t1", "UTC"))

    # June in Los Angeles contains the last two rows, but the UTC June the first two.
    assert first == [usd("90.000000000")] * len(first)
    assert second == [usd("900.000000000")] * len(second)
    assert first_utc == usd("110.000000000")


async def test_month_this_month(backend: Harness) -> None:
    await store_month_case(backend)
    clock = datetime(2026, 6, 30, 18, tzinfo=PDT)

    month_start = local_date(clock, LA).replace(day=1)
    spend = await read(
        backend.uow,
        lambda uow: uow.cost_anomalies.fetch_monthly_spend("t1", month_start=month_start, tz=LA),
    )

    assert local_date(clock, LA) == date(2026, 6, 30)
    assert month_bounds(month_start, LA) == (utc(2026, 6, 1, 7), utc(2026, 7, 1, 7))
    assert spend == usd("90.000000000")


async def test_month_spend_equals_month_series(backend: Harness) -> None:
    await store_month_case(backend)

    async with backend.uow() as uow:
        series = await uow.analytics_reads.fetch_cost_spend(
            "t1",
            start=datetime(2026, 5, 1, tzinfo=PDT),
            end=datetime(2026, 7, 1, tzinfo=PDT),
            unit=BucketUnit.MONTH,
            tz=LA,
        )
        june = await uow.cost_anomalies.fetch_monthly_spend(
            "t1", month_start=date(2026, 6, 1), tz=LA
        )

    assert [point.spend_usd for point in series] == [usd("40.000000000"), june]


# Averages and ratios with half-even rounding, never integer division.

AVERAGE_ROWS = [
    record(utc(2026, 12, 1, 10), "1.00", input_tokens=1000),
    record(utc(2026, 12, 2, 10), "0.50", input_tokens=1000),
    record(utc(2026, 12, 3, 10), "0.50", input_tokens=500),
    record(utc(2026, 12, 4, 9), "15.00", input_tokens=1000),
    record(utc(2026, 12, 4, 10), "15.00", input_tokens=1000, is_retry=True),
    record(utc(2026, 12, 4, 11), "15.00", input_tokens=1001),
]


async def store_average_case(backend: Harness) -> None:
    """Write the daily budget and rows of the case under t1, and ten times them under t2."""
    for tenant_id, limit in (("t1", "60"), ("t2", "600")):
        async with backend.uow() as uow:
            result = await uow.cost_writes.create_or_update_budget(
                tenant_id, budget_type=EntityType.TENANT, daily_limit_usd=Decimal(limit)
            )
        assert result.outcome is WriteOutcome.CREATED
        assert result.record.daily_limit_usd == usd(f"{limit}.000000000")
    await store_for_both_tenants(backend.uow, AVERAGE_ROWS)


async def test_average_baseline_rounds_half_even(backend: Harness) -> None:
    await store_average_case(backend)
    days: dict[str, Any] = {"start_day": date(2026, 12, 1), "end_day": date(2026, 12, 4)}

    async with backend.uow() as uow:
        average = await uow.cost_anomalies.fetch_baseline_avg("t1", **days, tz="UTC")
        baseline = await uow.cost_anomalies.fetch_tenant_baseline("t1", **days, tz="UTC")

    # 2,000,000,000 nanos / 3 = 666,666,666 remainder 2, which rounds up.
    assert summary_row(average) == (
        date(2026, 12, 1),
        date(2026, 12, 4),
        "UTC",
        usd("2.000000000"),
        3,
        3,
        3,
        usd("0.666666667"),
        usd("0.666666667"),
    )
    assert baseline == average
    assert is_money(average.avg_per_active_day_usd)


async def test_average_daily_spend(backend: Harness) -> None:
    await store_average_case(backend)

    async with backend.uow() as uow:
        first = await uow.cost_anomalies.fetch_daily_spend("t1", day=date(2026, 12, 4), tz="UTC")
        second = await uow.cost_anomalies.fetch_daily_spend("t2", day=date(2026, 12, 4), tz="UTC")

    assert first == usd("45.000000000")
    assert second == usd("450.000000000")


async def test_average_retry_share(backend: Harness) -> None:
    await store_average_case(backend)

    result = await read(
        backend.uow,
        lambda uow: uow.cost_anomalies.fetch_retry_comparison(
            "t1", day=date(2026, 12, 4), tz="UTC"
        ),
    )

    # Integer division would give a share of 0 (1 // 3).
    assert (result.today.requests, result.today.retries) == (3, 1)
    assert result.today.share == ratio("0.333333")
    assert (result.yesterday.requests, result.yesterday.retries) == (1, 0)
    assert result.yesterday.share == ratio("0.000000")
    assert is_ratio(result.today.share)


async def test_average_input_tokens(backend: Harness) -> None:
    await store_average_case(backend)

    result = await read(
        backend.uow,
        lambda uow: uow.cost_anomalies.fetch_prompt_comparison(
            "t1", day=date(2026, 12, 4), tz="UTC"
        ),
    )

    # Integer division would give 1000 (3001 // 3).
    assert (result.today.requests, result.today.input_tokens) == (3, 3001)
    assert result.today.avg_input_tokens == ratio("1000.333333")
    assert (result.yesterday.requests, result.yesterday.input_tokens) == (1, 500)
    assert result.yesterday.avg_input_tokens == ratio("500.000000")
    assert is_ratio(result.yesterday.avg_input_tokens)


# Day-range summary on sparse history: 13 calendar days that leave out yesterday and today.

SPARSE_DAYS: dict[str, Any] = {
    "start_day": date(2026, 8, 5),
    "end_day": date(2026, 8, 18),
    "tz": "UTC",
}


async def store_sparse_case(backend: Harness) -> None:
    """Write t1's one light day and t2's three, plus four heavy rows today for each."""
    today = [record(utc(2026, 8, 19, hour), "3.00") for hour in (8, 9, 10, 11)]
    light_t1 = [record(utc(2026, 8, 12, hour), "0.50") for hour in (9, 10, 11)]
    light_t2 = [
        record(utc(2026, 8, day, hour), "0.50") for day in (10, 11, 12) for hour in (9, 10, 11)
    ]
    await store_records(backend.uow, "t1", [*light_t1, *today])
    await store_records(backend.uow, "t2", [*light_t2, *today])


async def test_sparse_tenant_baseline(backend: Harness) -> None:
    await store_sparse_case(backend)

    first = await read_in_every_session_zone(
        backend, lambda uow: uow.cost_anomalies.fetch_tenant_baseline("t1", **SPARSE_DAYS)
    )
    second = await read(
        backend.uow, lambda uow: uow.cost_anomalies.fetch_tenant_baseline("t2", **SPARSE_DAYS)
    )

    for summary in first:
        assert summary_row(summary) == (
            date(2026, 8, 5),
            date(2026, 8, 18),
            "UTC",
            usd("1.500000000"),
            3,
            1,
            13,
            usd("1.500000000"),
            usd("0.115384615"),
        )
    assert summary_row(second) == (
        date(2026, 8, 5),
        date(2026, 8, 18),
        "UTC",
        usd("4.500000000"),
        9,
        3,
        13,
        usd("1.500000000"),
        usd("0.346153846"),
    )


async def test_sparse_baseline_avg_equal(backend: Harness) -> None:
    await store_sparse_case(backend)

    async with backend.uow() as uow:
        anomalies = uow.cost_anomalies
        pairs = [
            (
                await anomalies.fetch_tenant_baseline(tenant_id, **SPARSE_DAYS),
                await anomalies.fetch_baseline_avg(tenant_id, **SPARSE_DAYS),
            )
            for tenant_id in ("t1", "t2")
        ]

    for baseline, average in pairs:
        assert baseline == average


async def test_sparse_today_spend(backend: Harness) -> None:
    await store_sparse_case(backend)

    async with backend.uow() as uow:
        spend = uow.cost_anomalies.fetch_tenant_today_spend
        first = await spend("t1", day=date(2026, 8, 19), tz="UTC")
        second = await spend("t2", day=date(2026, 8, 19), tz="UTC")

    assert first == usd("12.000000000")
    assert second == usd("12.000000000")
