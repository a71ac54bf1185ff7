"""Cost series and breakdowns read from the rollups equal the same reads computed from raw rows.

The store reads whole quarter-hours and hours from its cost rollups and only
the partial edges of a window from cost records. The harness's raw reference
unit of work computes every result from cost records alone. Both read the
same seeded records, which are written in batches with duplicates and replays.
The windows are aligned and unaligned, inside one quarter-hour, shorter than
an hour, or 30 days long. The zones have offsets of 30 and 45 minutes, a
30-minute daylight-saving change, and an offset of -00:44:30.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from analytics.domain import BucketUnit
from analytics.ports import Conflict, UnitOfWork
from tests.contract.harness import Harness
from tests.contract.rollup_data import (
    TENANTS,
    ZONES,
    local_day_windows,
    records_by_tenant,
    series_windows,
    store_with_replays,
)

SERIES_METHODS = ("fetch_cost_metrics", "fetch_cost_spend")
BREAKDOWN_METHODS = ("fetch_cost_by_model", "fetch_cost_by_feature")
# Week and month buckets are checked on the longer windows only, to keep the test fast.
LONG_WINDOW_UNITS = (BucketUnit.HOUR, BucketUnit.DAY, BucketUnit.WEEK, BucketUnit.MONTH)
SHORT_WINDOW_UNITS = (BucketUnit.HOUR, BucketUnit.DAY)
LONG_WINDOW_SECONDS = 5 * 86_400


async def _seed(backend: Harness) -> None:
    async with backend.uow() as uow:
        for tenant_id, records in records_by_tenant().items():
            await store_with_replays(uow, tenant_id, records)


def _units(start: datetime, end: datetime) -> tuple[BucketUnit, ...]:
    long = (end - start).total_seconds() >= LONG_WINDOW_SECONDS
    return LONG_WINDOW_UNITS if long else SHORT_WINDOW_UNITS


Call = tuple[str, str, dict[str, Any]]


async def _read_all(unit_of_work: UnitOfWork, calls: list[Call]) -> list[Any]:
    # One unit of work at a time, because SQLite lets only one run at once.
    async with unit_of_work as uow:
        return [
            await getattr(uow.analytics_reads, method)(tenant_id, **arguments)
            for method, tenant_id, arguments in calls
        ]


async def _mismatches(backend: Harness, calls: list[Call]) -> tuple[list[Call], list[Any]]:
    """Return the calls whose rollup result differs from the raw one, and the rollup results."""
    got = await _read_all(backend.uow(), calls)
    expected = await _read_all(backend.raw_reference_uow(), calls)
    differing = [
        call
        for call, mine, reference in zip(calls, got, expected, strict=True)
        if mine != reference
    ]
    return differing, got


def _series_calls(zone: str) -> list[Call]:
    # t1 is read with and without synthetic records, t2 without and t3 with them.
    calls: list[Call] = []
    for start, end in [*series_windows(), *local_day_windows(zone)]:
        for unit in _units(start, end):
            for include_synthetic in (False, True):
                arguments = {
                    "start": start,
                    "end": end,
                    "unit": unit,
                    "tz": zone,
                    "include_synthetic": include_synthetic,
                }
                other_tenant = "t3" if include_synthetic else "t2"
                calls.extend(
                    (method, tenant_id, arguments)
                    for tenant_id in ("t1", other_tenant)
                    for method in SERIES_METHODS
                )
    return calls


@pytest.mark.parametrize("zone", ZONES)
async def test_series_equal_raw(backend: Harness, zone: str) -> None:
    await _seed(backend)

    mismatches, results = await _mismatches(backend, _series_calls(zone))

    assert mismatches == []
    assert sum(point.requests for series in results for point in series) > 0


def _breakdown_calls(include_synthetic: bool) -> list[Call]:
    calls: list[Call] = []
    for start, end in [*series_windows(), *local_day_windows("America/New_York")]:
        for limit in (1, 2, 50):
            arguments = {
                "start": start,
                "end": end,
                "limit": limit,
                "include_synthetic": include_synthetic,
            }
            calls.extend(
                (method, tenant_id, arguments)
                for tenant_id in TENANTS
                for method in BREAKDOWN_METHODS
            )
    return calls


@pytest.mark.parametrize("include_synthetic", [False, True])
async def test_breakdowns_equal_raw(backend: Harness, include_synthetic: bool) -> None:
    await _seed(backend)

    mismatches, results = await _mismatches(backend, _breakdown_calls(include_synthetic))

    assert mismatches == []
    assert sum(breakdown.total.groups for breakdown in results) > 0


async def test_breakdown_spend_exponent(backend: Harness) -> None:
    await _seed(backend)
    start, end = next(iter(local_day_windows("UTC")))

    async with backend.uow() as uow:
        breakdown = await uow.analytics_reads.fetch_cost_by_model(
            "t1", start=start, end=end, include_synthetic=True
        )

    assert breakdown.total.spend_usd.as_tuple().exponent == -9
    assert all(item.spend_usd.as_tuple().exponent == -9 for item in breakdown.items)


async def test_rolled_back_write_adds_nothing(backend: Harness) -> None:
    await _seed(backend)
    start, end = next(iter(local_day_windows("UTC")))
    extra = records_by_tenant()["t2"][:50]

    with pytest.raises(RuntimeError):
        async with backend.uow() as uow:
            await uow.cost_writes.create_cost_records("t1", records=extra)
            raise RuntimeError("roll back the unit of work")

    arguments = {"start": start, "end": end, "unit": BucketUnit.DAY}
    mismatches, _ = await _mismatches(backend, [("fetch_cost_spend", "t1", arguments)])
    assert mismatches == []


async def test_conflicting_batch_adds_nothing(backend: Harness) -> None:
    await _seed(backend)
    start, end = next(iter(local_day_windows("UTC")))
    stored = next(record for record in records_by_tenant()["t1"] if record.request_id)
    fresh = records_by_tenant()["t2"][0].model_copy(update={"request_id": "req-fresh"})
    changed = stored.model_copy(update={"input_tokens": stored.input_tokens + 1})

    async with backend.uow() as uow:
        with pytest.raises(Conflict):
            await uow.cost_writes.create_cost_records("t1", records=[fresh, changed])
        await uow.cost_writes.create_cost_record("t1", record=fresh)

    arguments = {"start": start, "end": end, "unit": BucketUnit.HOUR, "include_synthetic": True}
    mismatches, _ = await _mismatches(backend, [("fetch_cost_metrics", "t1", arguments)])
    assert mismatches == []
