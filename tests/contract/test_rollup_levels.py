"""Breakdowns over whole UTC days, whole hours and part-hours equal raw reads and exact sums.

A breakdown reads the whole UTC days of a window from one rollup, the whole
hours around them from another, and the rest from raw rows. Each tenant here
has eight records in every hour of 100 hours around the New York
spring-forward change (2024-03-10 07:00Z): on the hour, on the quarter-, half-
and three-quarter-hour marks, and one microsecond before each next mark. The
windows are local days in zones whose offsets are whole hours, +05:30 and
+05:45, and the same days moved by a microsecond, half a second, or minutes.
Each result must equal the raw reference read and totals summed in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from analytics.domain import BucketUnit, CostSource, CostTotals, NewCostRecord, range_bounds
from analytics.ports import UnitOfWork
from tests.contract.analytics_data import totals_row
from tests.contract.harness import Harness

FIRST_HOUR = datetime(2024, 3, 8, 12, tzinfo=UTC)
HOURS = 100
TICK = timedelta(microseconds=1)
# Offsets of the eight records of every hour: each mark, and one microsecond before the next.
OFFSETS = tuple(
    offset
    for minutes in (0, 15, 30, 45)
    for offset in (timedelta(minutes=minutes), timedelta(minutes=minutes + 15) - TICK)
)
# The hour's index selects the model, so in 3 whole hours every model has the same sums.
MODELS = ("gpt-4o", "B-model", "a-model")
# Real tags named like the untagged group, which must stay separate from it.
FEATURE_TAGS = (None, "chat.reply", "untagged")
SYNTHETIC_OFFSET = 3
UNPRICED_OFFSET = 7
# t2 stores the same records with twice the cost and tokens, and t3 stores nothing.
SCALES = {"t1": 1, "t2": 2}
TENANTS = ("t1", "t2", "t3")
ZONES = ("UTC", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu")
METHODS = ("fetch_cost_by_model", "fetch_cost_by_feature")
FIELDS = {"fetch_cost_by_model": "model", "fetch_cost_by_feature": "feature_tag"}

NO_TOTALS = (0, 0, Decimal(0), 0, 0, 0)

Window = tuple[datetime, datetime]


def _utc(day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute, second, micro, tzinfo=UTC)


def _records(scale: int) -> list[NewCostRecord]:
    records = []
    for hour in range(HOURS):
        for position, offset in enumerate(OFFSETS):
            unpriced = position == UNPRICED_OFFSET
            records.append(
                NewCostRecord(
                    occurred_at=FIRST_HOUR + timedelta(hours=hour) + offset,
                    model=MODELS[hour % len(MODELS)],
                    input_tokens=(position + 1) * scale,
                    output_tokens=(hour % 5 + 1) * scale,
                    cost_usd=Decimal(0) if unpriced else Decimal("0.25") * scale,
                    cost_source=CostSource.UNPRICED if unpriced else CostSource.REPORTED,
                    feature_tag=FEATURE_TAGS[position % len(FEATURE_TAGS)],
                    request_id=f"req-{hour}-{position}",
                    is_synthetic=position == SYNTHETIC_OFFSET,
                )
            )
    return records


async def _seed(backend: Harness) -> None:
    async with backend.uow() as uow:
        for tenant_id, scale in SCALES.items():
            records = _records(scale)
            for first in range(0, len(records), 300):
                await uow.cost_writes.create_cost_records(
                    tenant_id, records=records[first : first + 300]
                )
            # A replay stores nothing, so it must add nothing to any rollup.
            await uow.cost_writes.create_cost_records(tenant_id, records=records[:120])


def _zone_windows(zone: str) -> list[Window]:
    """Return three local days in ``zone`` and the same days moved by small amounts."""
    start, end = range_bounds(date(2024, 3, 9), date(2024, 3, 12), zone)
    half_second = timedelta(milliseconds=500)
    return [
        (start, end),
        (start + TICK, end - TICK),
        (start - TICK, end + TICK),
        (start + half_second, end - half_second),
        (start + timedelta(minutes=15), end - timedelta(minutes=45)),
        (start - timedelta(hours=2, minutes=30), end + timedelta(hours=3, minutes=15, seconds=7)),
    ]


# UTC windows at the edges of the levels: exactly one day, a day and a microsecond
# either side, days and whole hours with no part-hour, less than a day, less than an hour.
UTC_WINDOWS: tuple[Window, ...] = (
    (_utc(10), _utc(11)),
    (_utc(10) - TICK, _utc(11) + TICK),
    (_utc(10) + TICK, _utc(11)),
    (_utc(9, 23, 59, 59, 500_000), _utc(11, 0, 0, 0, 500_000)),
    (_utc(9), _utc(12, 1)),
    (_utc(9, 21), _utc(11, 3)),
    (_utc(10, 3, 10), _utc(10, 20, 50)),
    (_utc(10, 10, 5), _utc(10, 10, 50)),
    (_utc(10, 10), _utc(10, 10) + TICK),
)


def _windows(zone: str) -> list[Window]:
    extra = list(UTC_WINDOWS) if zone == "UTC" else []
    return [*_zone_windows(zone), *extra]


@dataclass(frozen=True)
class Call:
    """One breakdown read of one tenant."""

    method: str
    tenant_id: str
    start: datetime
    end: datetime
    limit: int
    include_synthetic: bool

    async def run(self, uow: UnitOfWork) -> Any:
        fetch = getattr(uow.analytics_reads, self.method)
        return await fetch(
            self.tenant_id,
            start=self.start,
            end=self.end,
            limit=self.limit,
            include_synthetic=self.include_synthetic,
        )


def _calls(windows: list[Window]) -> list[Call]:
    return [
        Call(method, tenant_id, start, end, limit, include_synthetic)
        for start, end in windows
        for method in METHODS
        for tenant_id in TENANTS
        for limit in (1, 2, 50)
        for include_synthetic in (False, True)
    ]


async def _read_all(unit_of_work: UnitOfWork, calls: list[Call]) -> list[Any]:
    # One unit of work at a time, because SQLite lets only one run at once.
    async with unit_of_work as uow:
        return [await call.run(uow) for call in calls]


def _expected_total(call: Call) -> CostTotals:
    """Return the window total of the call, summed in Python from the seeded records."""
    scale = SCALES.get(call.tenant_id)
    records = [] if scale is None else _records(scale)
    chosen = [
        record
        for record in records
        if call.start <= record.occurred_at < call.end
        and (call.include_synthetic or not record.is_synthetic)
    ]
    field = FIELDS[call.method]
    return CostTotals(
        groups=len({getattr(record, field) for record in chosen}),
        requests=len(chosen),
        spend_usd=sum((record.cost_usd for record in chosen), Decimal(0)),
        input_tokens=sum(record.input_tokens for record in chosen),
        output_tokens=sum(record.output_tokens for record in chosen),
        unpriced_requests=sum(record.cost_source == CostSource.UNPRICED for record in chosen),
    )


@pytest.mark.parametrize("zone", ZONES)
async def test_levels_equal_raw_reads(backend: Harness, zone: str) -> None:
    await _seed(backend)
    calls = _calls(_windows(zone))

    got = await _read_all(backend.uow(), calls)
    expected = await _read_all(backend.raw_reference_uow(), calls)

    differing = [
        call
        for call, mine, reference in zip(calls, got, expected, strict=True)
        if mine != reference
    ]
    assert differing == []


@pytest.mark.parametrize("zone", ZONES)
async def test_levels_equal_python_totals(backend: Harness, zone: str) -> None:
    await _seed(backend)
    calls = _calls(_windows(zone))

    got = await _read_all(backend.uow(), calls)

    wrong = [
        (call, totals_row(result.total), totals_row(_expected_total(call)))
        for call, result in zip(calls, got, strict=True)
        if totals_row(result.total) != totals_row(_expected_total(call))
    ]
    assert wrong == []
    assert sum(result.total.requests for result in got) > 0


async def test_levels_tied_groups_in_key_order(backend: Harness) -> None:
    await _seed(backend)
    # 3 hours, one UTC day and 3 hours: whole hours, so every model has 10 hours of records.
    start, end = _utc(9, 21), _utc(11, 3)

    async with backend.uow() as uow:
        reads = uow.analytics_reads
        by_model = await reads.fetch_cost_by_model("t1", start=start, end=end, limit=2)
        by_feature = await reads.fetch_cost_by_feature("t1", start=start, end=end)
        with_synthetic = await reads.fetch_cost_by_feature(
            "t1", start=start, end=end, include_synthetic=True
        )

    # Equal spend and requests: binary key order, so upper case sorts first.
    assert [item.model for item in by_model.items] == ["B-model", "a-model"]
    assert [item.requests for item in by_model.items] == [70, 70]
    assert by_model.rest.groups == 1
    assert by_model.rest.requests == 70
    # chat.reply has one more (unpriced) record; untagged ties with None, which sorts first.
    assert [item.feature_tag for item in by_feature.items] == [
        "chat.reply",
        None,
        "untagged",
    ]
    assert [item.spend_usd for item in by_feature.items] == [Decimal("15.00")] * 3
    assert [item.feature_tag for item in with_synthetic.items] == [
        None,
        "chat.reply",
        "untagged",
    ]


async def test_hour_series_keeps_last_microsecond(backend: Harness) -> None:
    await _seed(backend)
    # Every hour has a record one microsecond before its end, which must stay in it.
    arguments: dict[str, Any] = {
        "start": _utc(9, 22),
        "end": _utc(10, 2),
        "unit": BucketUnit.HOUR,
        "tz": "UTC",
        "include_synthetic": True,
    }

    async with backend.uow() as uow:
        series = await uow.analytics_reads.fetch_cost_spend("t1", **arguments)
    async with backend.raw_reference_uow() as uow:
        raw_series = await uow.analytics_reads.fetch_cost_spend("t1", **arguments)

    assert [point.requests for point in series] == [len(OFFSETS)] * 4
    assert [point.requests for point in raw_series] == [len(OFFSETS)] * 4


async def test_levels_on_empty_store(backend: Harness) -> None:
    calls = _calls([*_zone_windows("Asia/Kathmandu"), *UTC_WINDOWS])

    got = await _read_all(backend.uow(), calls)
    expected = await _read_all(backend.raw_reference_uow(), calls)

    assert got == expected
    assert all(result.items == [] for result in got)
    assert all(totals_row(result.total) == NO_TOTALS for result in got)
