"""Dashboard series: cost metrics, LLM usage, worker execution and cost spend per bucket."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pydantic
import pytest

from analytics.domain import BucketUnit, NewRun, NewTrace, RunStatus, TraceStatus
from analytics.ports import InvalidInput, UnitOfWork
from tests.contract.analytics_data import (
    ZERO_USD,
    execution_rows,
    hourly,
    nonzero,
    read,
    read_in_every_session_zone,
    record,
    spend_rows,
    store_records,
    store_runs,
    store_traces,
    usage_rows,
    usd,
)
from tests.contract.example_data import (
    KOLKATA,
    NY,
    load_cost_records,
    load_runs_and_traces,
    utc,
)
from tests.contract.harness import Harness

SERIES_METHODS = (
    "fetch_cost_metrics",
    "fetch_llm_usage",
    "fetch_worker_execution",
    "fetch_cost_spend",
)

# The three New York days 2024-03-09 .. 2024-03-11. The middle one has 23 hours.
NY_DAYS = (utc(2024, 3, 9, 5), utc(2024, 3, 12, 4))
UTC_DAYS = (utc(2024, 3, 9), utc(2024, 3, 12))


def series_call(
    method: str, tenant_id: Any = "t1", **arguments: Any
) -> Callable[[UnitOfWork], Awaitable[Any]]:
    """Return a read that calls one series method with default window arguments."""
    values: dict[str, Any] = {"start": NY_DAYS[0], "end": NY_DAYS[1], "unit": "day", "tz": NY}
    values.update(arguments)

    async def call(uow: UnitOfWork) -> Any:
        return await getattr(uow.analytics_reads, method)(tenant_id, **values)

    return call


# fetch_cost_metrics


async def test_cost_metrics_new_york_days(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    results = await read_in_every_session_zone(backend, series_call("fetch_cost_metrics"))

    expected = [
        (utc(2024, 3, 9, 5), utc(2024, 3, 10, 5), 1, 100, 50, 150),
        (utc(2024, 3, 10, 5), utc(2024, 3, 11, 4), 3, 900, 120, 1020),
        (utc(2024, 3, 11, 4), utc(2024, 3, 12, 4), 1, 50, 50, 100),
    ]
    for points in results:
        assert usage_rows(points) == expected


async def test_cost_metrics_utc_days(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    points = await read(
        backend.uow,
        series_call("fetch_cost_metrics", start=UTC_DAYS[0], end=UTC_DAYS[1], tz="UTC"),
    )

    # r4 (03:59Z on 2024-03-11) moves from the New York 2024-03-10 to the UTC 2024-03-11.
    assert usage_rows(points) == [
        (utc(2024, 3, 9), utc(2024, 3, 10), 1, 100, 50, 150),
        (utc(2024, 3, 10), utc(2024, 3, 11), 2, 500, 100, 600),
        (utc(2024, 3, 11), utc(2024, 3, 12), 2, 450, 70, 520),
    ]


async def test_cost_metrics_include_synthetic(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    points = await read(backend.uow, series_call("fetch_cost_metrics", include_synthetic=True))

    assert usage_rows(points)[1] == (utc(2024, 3, 10, 5), utc(2024, 3, 11, 4), 4, 1899, 1119, 3018)


async def test_cost_metrics_second_tenant(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    points = await read(backend.uow, series_call("fetch_cost_metrics", "t2"))

    assert usage_rows(points) == [
        (utc(2024, 3, 9, 5), utc(2024, 3, 10, 5), 0, 0, 0, 0),
        (utc(2024, 3, 10, 5), utc(2024, 3, 11, 4), 1, 1, 1, 2),
        (utc(2024, 3, 11, 4), utc(2024, 3, 12, 4), 0, 0, 0, 0),
    ]


async def test_cost_metrics_spring_forward_hours(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    points = await read(
        backend.uow,
        series_call(
            "fetch_cost_metrics", start=utc(2024, 3, 10, 5), end=utc(2024, 3, 11, 4), unit="hour"
        ),
    )

    # 23 buckets: 00:00 and 01:00 EST, then 03:00 EDT onwards, with no 02:00 bucket.
    assert [(point.bucket_start, point.bucket_end) for point in points] == hourly(
        utc(2024, 3, 10, 5), 23
    )
    assert nonzero(usage_rows(points)) == [
        (utc(2024, 3, 10, 6), utc(2024, 3, 10, 7), 1, 200, 100, 300),
        (utc(2024, 3, 10, 15), utc(2024, 3, 10, 16), 1, 300, 0, 300),
        (utc(2024, 3, 11, 3), utc(2024, 3, 11, 4), 1, 400, 20, 420),
    ]


async def test_cost_metrics_fall_back_hours(backend: Harness) -> None:
    # 01:15 EDT, 01:15 EST and 02:15 EST on 2024-11-03, a 25-hour day in New York.
    records = [record(utc(2024, 11, 3, hour, 15)) for hour in (5, 6, 7)]
    await store_records(backend.uow, "t1", records)

    points = await read(
        backend.uow,
        series_call(
            "fetch_cost_metrics", start=utc(2024, 11, 3, 4), end=utc(2024, 11, 4, 5), unit="hour"
        ),
    )

    assert [(point.bucket_start, point.bucket_end) for point in points] == hourly(
        utc(2024, 11, 3, 4), 25
    )
    assert nonzero(usage_rows(points)) == [
        (utc(2024, 11, 3, 5), utc(2024, 11, 3, 6), 1, 100, 10, 110),
        (utc(2024, 11, 3, 6), utc(2024, 11, 3, 7), 1, 100, 10, 110),
        (utc(2024, 11, 3, 7), utc(2024, 11, 3, 8), 1, 100, 10, 110),
    ]


async def test_cost_metrics_kolkata_midnight(backend: Harness) -> None:
    # 23:59:59 IST on 2024-03-10 and 00:00 IST on 2024-03-11. Both are on 2024-03-10 in UTC.
    await store_records(
        backend.uow, "t1", [record(utc(2024, 3, 10, 18, 29, 59)), record(utc(2024, 3, 10, 18, 30))]
    )

    kolkata = await read(
        backend.uow,
        series_call(
            "fetch_cost_metrics",
            start=utc(2024, 3, 9, 18, 30),
            end=utc(2024, 3, 11, 18, 30),
            tz=KOLKATA,
        ),
    )
    in_utc = await read(
        backend.uow,
        series_call("fetch_cost_metrics", start=utc(2024, 3, 10), end=utc(2024, 3, 11), tz="UTC"),
    )

    assert usage_rows(kolkata) == [
        (utc(2024, 3, 9, 18, 30), utc(2024, 3, 10, 18, 30), 1, 100, 10, 110),
        (utc(2024, 3, 10, 18, 30), utc(2024, 3, 11, 18, 30), 1, 100, 10, 110),
    ]
    assert usage_rows(in_utc) == [(utc(2024, 3, 10), utc(2024, 3, 11), 2, 200, 20, 220)]


async def test_cost_metrics_kathmandu_hours(backend: Harness) -> None:
    # Asia/Kathmandu is UTC+05:45, so its hours start at a quarter past each UTC hour.
    await store_records(
        backend.uow, "t1", [record(utc(2024, 3, 10, 18, 14, 59)), record(utc(2024, 3, 10, 18, 15))]
    )

    hours = await read(
        backend.uow,
        series_call(
            "fetch_cost_metrics",
            start=utc(2024, 3, 10, 17, 15),
            end=utc(2024, 3, 10, 19, 15),
            unit="hour",
            tz="Asia/Kathmandu",
        ),
    )
    days = await read(
        backend.uow,
        series_call(
            "fetch_cost_metrics",
            start=utc(2024, 3, 9, 18, 15),
            end=utc(2024, 3, 11, 18, 15),
            tz="Asia/Kathmandu",
        ),
    )

    assert usage_rows(hours) == [
        (utc(2024, 3, 10, 17, 15), utc(2024, 3, 10, 18, 15), 1, 100, 10, 110),
        (utc(2024, 3, 10, 18, 15), utc(2024, 3, 10, 19, 15), 1, 100, 10, 110),
    ]
    assert usage_rows(days) == [
        (utc(2024, 3, 9, 18, 15), utc(2024, 3, 10, 18, 15), 1, 100, 10, 110),
        (utc(2024, 3, 10, 18, 15), utc(2024, 3, 11, 18, 15), 1, 100, 10, 110),
    ]


async def test_cost_metrics_half_hour_clock_change(backend: Harness) -> None:
    # Australia/Lord_Howe moves from +11:00 back to +10:30 at 2024-04-06T15:00Z, so the
    # local hour 01:00 lasts 90 minutes: 01:10 (+11:00) and 01:40 (+10:30) share it.
    await store_records(
        backend.uow, "t1", [record(utc(2024, 4, 6, 14, 10)), record(utc(2024, 4, 6, 15, 10))]
    )

    points = await read(
        backend.uow,
        series_call(
            "fetch_cost_metrics",
            start=utc(2024, 4, 6, 13),
            end=utc(2024, 4, 6, 16, 30),
            unit="hour",
            tz="Australia/Lord_Howe",
        ),
    )

    assert usage_rows(points) == [
        (utc(2024, 4, 6, 13), utc(2024, 4, 6, 14), 0, 0, 0, 0),
        (utc(2024, 4, 6, 14), utc(2024, 4, 6, 15, 30), 2, 200, 20, 220),
        (utc(2024, 4, 6, 15, 30), utc(2024, 4, 6, 16, 30), 0, 0, 0, 0),
    ]


async def test_cost_metrics_unaligned_window(backend: Harness) -> None:
    await load_cost_records(backend.uow)
    window = {"start": utc(2024, 3, 10, 12), "end": utc(2024, 3, 11, 12), "tz": "UTC"}

    default = await read(backend.uow, series_call("fetch_cost_metrics", **window))
    synthetic = await read(
        backend.uow, series_call("fetch_cost_metrics", include_synthetic=True, **window)
    )

    # The buckets reach past the window, so only r3 (15:00Z) and r4, r5 (before 12:00Z) count.
    assert usage_rows(default) == [
        (utc(2024, 3, 10), utc(2024, 3, 11), 1, 300, 0, 300),
        (utc(2024, 3, 11), utc(2024, 3, 12), 2, 450, 70, 520),
    ]
    # The synthetic r6 sits exactly on the start of the window, which is included.
    assert usage_rows(synthetic)[0] == (utc(2024, 3, 10), utc(2024, 3, 11), 2, 1299, 999, 2298)


async def test_cost_metrics_window_end_excluded(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    points = await read(
        backend.uow,
        series_call(
            "fetch_cost_metrics", start=utc(2024, 3, 11), end=utc(2024, 3, 11, 4), tz="UTC"
        ),
    )

    # r4 at 03:59Z counts, but r5 at exactly 04:00Z is on the excluded end.
    assert usage_rows(points) == [(utc(2024, 3, 11), utc(2024, 3, 12), 1, 400, 20, 420)]


async def test_cost_metrics_weeks_start_monday(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    points = await read(
        backend.uow,
        series_call(
            "fetch_cost_metrics", start=utc(2024, 3, 6, 12), end=utc(2024, 3, 20), unit="week"
        ),
    )

    # Monday 2024-03-04 00:00 EST to Monday 2024-03-11 00:00 EDT is 167 hours.
    assert usage_rows(points) == [
        (utc(2024, 3, 4, 5), utc(2024, 3, 11, 4), 4, 1000, 170, 1170),
        (utc(2024, 3, 11, 4), utc(2024, 3, 18, 4), 1, 50, 50, 100),
        (utc(2024, 3, 18, 4), utc(2024, 3, 25, 4), 0, 0, 0, 0),
    ]


async def test_cost_metrics_months_start_first(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    points = await read(
        backend.uow,
        series_call(
            "fetch_cost_metrics", start=utc(2024, 3, 15), end=utc(2024, 4, 15), unit="month"
        ),
    )

    # r8 is 23:00 EDT on March 31. March starts at 05:00Z (EST) and April at 04:00Z (EDT).
    assert usage_rows(points) == [
        (utc(2024, 3, 1, 5), utc(2024, 4, 1, 4), 1, 10, 10, 20),
        (utc(2024, 4, 1, 4), utc(2024, 5, 1, 4), 0, 0, 0, 0),
    ]


async def test_cost_metrics_first_day_after_epoch(backend: Harness) -> None:
    # 1970-01-01T02:30Z is 21:30 EST on 1969-12-31, before the local epoch.
    await store_records(backend.uow, "t1", [record(utc(1970, 1, 1, 2, 30))])

    points = await read(
        backend.uow,
        series_call("fetch_cost_metrics", start=utc(1970, 1, 1), end=utc(1970, 1, 1, 6)),
    )

    assert usage_rows(points) == [
        (utc(1969, 12, 31, 5), utc(1970, 1, 1, 5), 1, 100, 10, 110),
        (utc(1970, 1, 1, 5), utc(1970, 1, 2, 5), 0, 0, 0, 0),
    ]


async def test_cost_metrics_empty_window(backend: Harness) -> None:
    points = await read(backend.uow, series_call("fetch_cost_metrics"))

    assert usage_rows(points) == [
        (utc(2024, 3, 9, 5), utc(2024, 3, 10, 5), 0, 0, 0, 0),
        (utc(2024, 3, 10, 5), utc(2024, 3, 11, 4), 0, 0, 0, 0),
        (utc(2024, 3, 11, 4), utc(2024, 3, 12, 4), 0, 0, 0, 0),
    ]


async def test_cost_metrics_max_buckets(backend: Harness) -> None:
    start = utc(2024, 1, 1)

    points = await read(
        backend.uow,
        series_call(
            "fetch_cost_metrics",
            start=start,
            end=start + timedelta(hours=2400),
            unit="hour",
            tz="UTC",
        ),
    )

    assert len(points) == 2400


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(utc(2024, 1, 1), utc(2024, 1, 1) + timedelta(hours=2401), id="2401-hours"),
        pytest.param(
            utc(2024, 1, 1, 0, 30), utc(2024, 1, 1, 0, 30) + timedelta(hours=2400), id="unaligned"
        ),
    ],
)
async def test_cost_metrics_too_many_buckets(
    backend: Harness, start: datetime, end: datetime
) -> None:
    with pytest.raises(InvalidInput) as raised:
        await read(
            backend.uow,
            series_call("fetch_cost_metrics", start=start, end=end, unit="hour", tz="UTC"),
        )

    assert raised.value.field == "end"


async def test_cost_metrics_unit_as_string(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    as_string = await read(backend.uow, series_call("fetch_cost_metrics", unit="day"))
    as_member = await read(backend.uow, series_call("fetch_cost_metrics", unit=BucketUnit.DAY))

    assert as_string == as_member


# fetch_llm_usage


async def test_llm_usage_new_york_days(backend: Harness) -> None:
    await load_runs_and_traces(backend.uow)

    results = await read_in_every_session_zone(
        backend, series_call("fetch_llm_usage", start=utc(2024, 3, 10, 5))
    )

    # run-2 is still running and has no tokens yet. The synthetic run-4 is left out.
    expected = [
        (utc(2024, 3, 10, 5), utc(2024, 3, 11, 4), 2, 100, 20, 120),
        (utc(2024, 3, 11, 4), utc(2024, 3, 12, 4), 1, 5, 5, 10),
    ]
    for points in results:
        assert usage_rows(points) == expected


async def test_llm_usage_include_synthetic(backend: Harness) -> None:
    await load_runs_and_traces(backend.uow)

    points = await read(
        backend.uow,
        series_call("fetch_llm_usage", start=utc(2024, 3, 10, 5), include_synthetic=True),
    )

    assert usage_rows(points)[0] == (utc(2024, 3, 10, 5), utc(2024, 3, 11, 4), 3, 1100, 1020, 2120)


async def test_llm_usage_every_status(backend: Harness) -> None:
    at = utc(2024, 5, 1, 10)
    done = at + timedelta(minutes=1)
    runs = [
        NewRun(id="q", status=RunStatus.QUEUED, created_at=at, input_tokens=1, output_tokens=1),
        NewRun(id="r", status=RunStatus.RUNNING, created_at=at, started_at=at),
        NewRun(
            id="c", status=RunStatus.COMPLETED, created_at=at, finished_at=done, input_tokens=10
        ),
        NewRun(id="f", status=RunStatus.FAILED, created_at=at, finished_at=done, output_tokens=20),
        NewRun(id="x", status=RunStatus.CRASHED, created_at=at, finished_at=done),
    ]
    await store_runs(backend.uow, "t1", runs)

    points = await read(
        backend.uow,
        series_call(
            "fetch_llm_usage", start=at, end=at + timedelta(hours=1), unit="hour", tz="UTC"
        ),
    )

    assert usage_rows(points) == [(at, at + timedelta(hours=1), 5, 11, 21, 32)]


async def test_llm_usage_second_tenant(backend: Harness) -> None:
    await load_runs_and_traces(backend.uow)
    other = NewRun(
        id="run-1",
        status=RunStatus.COMPLETED,
        created_at=utc(2024, 3, 11, 12),
        finished_at=utc(2024, 3, 11, 12, 1),
        input_tokens=7,
        output_tokens=3,
    )
    await store_runs(backend.uow, "t2", [other])

    first = await read(backend.uow, series_call("fetch_llm_usage", start=utc(2024, 3, 10, 5)))
    second = await read(
        backend.uow, series_call("fetch_llm_usage", "t2", start=utc(2024, 3, 10, 5))
    )

    assert usage_rows(first)[1] == (utc(2024, 3, 11, 4), utc(2024, 3, 12, 4), 1, 5, 5, 10)
    assert usage_rows(second) == [
        (utc(2024, 3, 10, 5), utc(2024, 3, 11, 4), 0, 0, 0, 0),
        (utc(2024, 3, 11, 4), utc(2024, 3, 12, 4), 1, 7, 3, 10),
    ]


async def test_llm_usage_empty_window(backend: Harness) -> None:
    points = await read(backend.uow, series_call("fetch_llm_usage", unit="week"))

    assert usage_rows(points) == [
        (utc(2024, 3, 4, 5), utc(2024, 3, 11, 4), 0, 0, 0, 0),
        (utc(2024, 3, 11, 4), utc(2024, 3, 18, 4), 0, 0, 0, 0),
    ]


# fetch_worker_execution


async def test_worker_execution_spring_forward_hours(backend: Harness) -> None:
    await load_runs_and_traces(backend.uow)

    results = await read_in_every_session_zone(
        backend,
        series_call(
            "fetch_worker_execution",
            start=utc(2024, 3, 10, 5),
            end=utc(2024, 3, 10, 9),
            unit="hour",
        ),
    )

    # 00:00 EST, 01:00 EST, 03:00 EDT and 04:00 EDT, with no bucket for 02:00 local.
    expected = [
        (utc(2024, 3, 10, 5), utc(2024, 3, 10, 6), 0),
        (utc(2024, 3, 10, 6), utc(2024, 3, 10, 7), 2),
        (utc(2024, 3, 10, 7), utc(2024, 3, 10, 8), 1),
        (utc(2024, 3, 10, 8), utc(2024, 3, 10, 9), 0),
    ]
    for points in results:
        assert execution_rows(points) == expected


async def test_worker_execution_new_york_days(backend: Harness) -> None:
    await load_runs_and_traces(backend.uow)

    points = await read(
        backend.uow, series_call("fetch_worker_execution", start=utc(2024, 3, 10, 5))
    )

    assert execution_rows(points) == [
        (utc(2024, 3, 10, 5), utc(2024, 3, 11, 4), 3),
        (utc(2024, 3, 11, 4), utc(2024, 3, 12, 4), 1),
    ]


async def test_worker_execution_fall_back_hours(backend: Harness) -> None:
    # 01:30 EDT and 01:30 EST on 2024-11-03 fall in two buckets, because 01:00 repeats.
    traces = [
        NewTrace(trace_id="a", status=TraceStatus.RUNNING, started_at=utc(2024, 11, 3, 5, 30)),
        NewTrace(trace_id="b", status=TraceStatus.RUNNING, started_at=utc(2024, 11, 3, 6, 30)),
    ]
    await store_traces(backend.uow, "t1", traces)

    points = await read(
        backend.uow,
        series_call(
            "fetch_worker_execution",
            start=utc(2024, 11, 3, 4),
            end=utc(2024, 11, 4, 5),
            unit="hour",
        ),
    )

    assert len(points) == 25
    assert nonzero(execution_rows(points)) == [
        (utc(2024, 11, 3, 5), utc(2024, 11, 3, 6), 1),
        (utc(2024, 11, 3, 6), utc(2024, 11, 3, 7), 1),
    ]


async def test_worker_execution_every_status(backend: Harness) -> None:
    at = utc(2024, 5, 1, 10)
    done = at + timedelta(minutes=1)
    traces = [
        NewTrace(trace_id="r", status=TraceStatus.RUNNING, started_at=at),
        NewTrace(trace_id="c", status=TraceStatus.COMPLETED, started_at=at, completed_at=done),
        NewTrace(trace_id="f", status=TraceStatus.FAILED, started_at=at, completed_at=done),
        NewTrace(trace_id="s", status=TraceStatus.RUNNING, started_at=at, is_synthetic=True),
    ]
    await store_traces(backend.uow, "t1", traces)
    window = {"start": at, "end": at + timedelta(hours=1), "unit": "hour", "tz": "UTC"}

    default = await read(backend.uow, series_call("fetch_worker_execution", **window))
    synthetic = await read(
        backend.uow, series_call("fetch_worker_execution", include_synthetic=True, **window)
    )

    assert execution_rows(default) == [(at, at + timedelta(hours=1), 3)]
    assert execution_rows(synthetic) == [(at, at + timedelta(hours=1), 4)]


async def test_worker_execution_second_tenant(backend: Harness) -> None:
    await load_runs_and_traces(backend.uow)

    points = await read(
        backend.uow, series_call("fetch_worker_execution", "t2", start=utc(2024, 3, 10, 5))
    )

    assert execution_rows(points) == [
        (utc(2024, 3, 10, 5), utc(2024, 3, 11, 4), 0),
        (utc(2024, 3, 11, 4), utc(2024, 3, 12, 4), 0),
    ]


# fetch_cost_spend


async def test_cost_spend_new_york_days(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    results = await read_in_every_session_zone(backend, series_call("fetch_cost_spend"))

    expected = [
        (utc(2024, 3, 9, 5), utc(2024, 3, 10, 5), 1, usd("0.100000000"), 100, 50),
        (utc(2024, 3, 10, 5), utc(2024, 3, 11, 4), 3, usd("0.650000000"), 900, 120),
        (utc(2024, 3, 11, 4), utc(2024, 3, 12, 4), 1, usd("0.050000000"), 50, 50),
    ]
    for points in results:
        assert spend_rows(points) == expected


async def test_cost_spend_new_york_months(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    points = await read(
        backend.uow,
        series_call(
            "fetch_cost_spend", start=utc(2024, 3, 1, 5), end=utc(2024, 5, 1, 4), unit="month"
        ),
    )

    # r8 is 23:00 EDT on March 31, so it counts in the New York March.
    assert spend_rows(points) == [
        (utc(2024, 3, 1, 5), utc(2024, 4, 1, 4), 6, usd("1.800000000"), 1060, 230),
        (utc(2024, 4, 1, 4), utc(2024, 5, 1, 4), 0, ZERO_USD, 0, 0),
    ]


async def test_cost_spend_utc_months(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    points = await read(
        backend.uow,
        series_call(
            "fetch_cost_spend", start=utc(2024, 3, 1), end=utc(2024, 5, 1), unit="month", tz="UTC"
        ),
    )

    assert spend_rows(points) == [
        (utc(2024, 3, 1), utc(2024, 4, 1), 5, usd("0.800000000"), 1050, 220),
        (utc(2024, 4, 1), utc(2024, 5, 1), 1, usd("1.000000000"), 10, 10),
    ]


async def test_cost_spend_include_synthetic(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    points = await read(backend.uow, series_call("fetch_cost_spend", include_synthetic=True))

    assert spend_rows(points)[1] == (
        utc(2024, 3, 10, 5),
        utc(2024, 3, 11, 4),
        4,
        usd("10.640000000"),
        1899,
        1119,
    )


async def test_cost_spend_second_tenant(backend: Harness) -> None:
    await load_cost_records(backend.uow)

    points = await read(backend.uow, series_call("fetch_cost_spend", "t2"))

    assert [point.spend_usd for point in points] == [ZERO_USD, usd("5.000000000"), ZERO_USD]


async def test_cost_spend_exact_decimal_sum(backend: Harness) -> None:
    # In binary floating point 0.10 + 0.20 is 0.30000000000000004.
    at = utc(2024, 6, 1, 10)
    await store_records(backend.uow, "t1", [record(at, "0.10"), record(at, "0.20")])

    points = await read(
        backend.uow,
        series_call(
            "fetch_cost_spend", start=at, end=at + timedelta(hours=1), unit="hour", tz="UTC"
        ),
    )

    assert points[0].spend_usd == usd("0.300000000")
    assert points[0].spend_usd.as_tuple().exponent == -9


async def test_cost_spend_single_nanos(backend: Harness) -> None:
    at = utc(2024, 6, 1, 10)
    records = [record(at + timedelta(minutes=index), "0.000000001") for index in range(3)]
    await store_records(backend.uow, "t1", records)

    points = await read(
        backend.uow,
        series_call(
            "fetch_cost_spend", start=at, end=at + timedelta(hours=1), unit="hour", tz="UTC"
        ),
    )

    assert points[0].spend_usd == Decimal("3E-9")
    assert points[0].spend_usd.as_tuple().exponent == -9


async def test_cost_spend_zero_buckets(backend: Harness) -> None:
    points = await read(backend.uow, series_call("fetch_cost_spend"))

    for point in points:
        assert point.spend_usd == ZERO_USD
        assert point.spend_usd.as_tuple().exponent == -9


async def test_cost_spend_aware_non_utc_window(backend: Harness) -> None:
    await load_cost_records(backend.uow)
    eastern = timezone(timedelta(hours=-5))

    points = await read(
        backend.uow,
        series_call("fetch_cost_spend", start=datetime(2024, 3, 9, 0, 0, tzinfo=eastern)),
    )

    assert points[0].bucket_start == utc(2024, 3, 9, 5)
    assert points[0].bucket_start.tzinfo is UTC


# Every series method


@pytest.mark.parametrize("method", SERIES_METHODS)
async def test_series_same_buckets(backend: Harness, method: str) -> None:
    points = await read(
        backend.uow,
        series_call(
            method, start=utc(2024, 3, 9, 22, 30), end=utc(2024, 3, 11, 4, 15), unit="hour"
        ),
    )

    # From 17:00 EST on 2024-03-09 to 01:00 EDT on 2024-03-11 there are 31 one-hour buckets.
    assert [(point.bucket_start, point.bucket_end) for point in points] == hourly(
        utc(2024, 3, 9, 22), 31
    )


@pytest.mark.parametrize("method", SERIES_METHODS)
async def test_series_returns_utc_frozen_points(backend: Harness, method: str) -> None:
    points = await read(backend.uow, series_call(method))

    assert points[0].bucket_start.tzinfo is UTC
    assert points[0].bucket_end.tzinfo is UTC
    with pytest.raises(pydantic.ValidationError):
        points[0].bucket_start = utc(2024, 1, 1)


@pytest.mark.parametrize("method", SERIES_METHODS)
@pytest.mark.parametrize(
    "tenant_id",
    [
        pytest.param("", id="empty"),
        pytest.param(" t1", id="leading-space"),
        pytest.param("t" * 65, id="65-characters"),
        pytest.param("t\x001", id="nul"),
        pytest.param(None, id="none"),
    ],
)
async def test_series_invalid_tenant(backend: Harness, method: str, tenant_id: Any) -> None:
    with pytest.raises(InvalidInput) as raised:
        await read(backend.uow, series_call(method, tenant_id))

    assert raised.value.field == "tenant_id"


INVALID_SERIES_ARGUMENTS = [
    pytest.param({"start": datetime(2024, 3, 9, 5)}, "start", id="naive-start"),
    pytest.param({"end": datetime(2024, 3, 12, 4)}, "end", id="naive-end"),
    pytest.param({"start": "2024-03-09T05:00Z"}, "start", id="text-start"),
    pytest.param({"end": NY_DAYS[0]}, "end", id="end-equals-start"),
    pytest.param({"end": utc(2024, 3, 1)}, "end", id="end-before-start"),
    pytest.param({"start": utc(1969, 12, 31)}, "start", id="start-before-1970"),
    pytest.param({"end": utc(2200, 1, 1)}, "end", id="end-in-2200"),
    pytest.param({"unit": "fortnight"}, "unit", id="unknown-unit"),
    pytest.param({"unit": "Day"}, "unit", id="unit-wrong-case"),
    pytest.param({"tz": "Mars/Olympus"}, "tz", id="unknown-zone"),
    pytest.param({"tz": "+05:30"}, "tz", id="fixed-offset"),
    pytest.param({"tz": ""}, "tz", id="empty-zone"),
    pytest.param({"include_synthetic": 1}, "include_synthetic", id="int-flag"),
    pytest.param({"include_synthetic": None}, "include_synthetic", id="none-flag"),
]


@pytest.mark.parametrize("method", SERIES_METHODS)
@pytest.mark.parametrize(("arguments", "field"), INVALID_SERIES_ARGUMENTS)
async def test_series_invalid_argument(
    backend: Harness, method: str, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        await read(backend.uow, series_call(method, **arguments))

    assert raised.value.field == field


@pytest.mark.parametrize(
    ("tenant_id", "arguments", "field"),
    [
        pytest.param("", {"start": datetime(2024, 3, 9)}, "tenant_id", id="tenant-before-start"),
        pytest.param(
            "t1", {"end": datetime(2024, 3, 9), "tz": "+05:30"}, "end", id="end-before-tz"
        ),
        pytest.param(
            "t1",
            {"start": utc(2024, 1, 1), "end": utc(2024, 6, 1), "unit": "hour", "tz": ""},
            "tz",
            id="tz-before-bucket-count",
        ),
    ],
)
async def test_series_first_invalid_argument_wins(
    backend: Harness, tenant_id: str, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        await read(backend.uow, series_call("fetch_cost_spend", tenant_id, **arguments))

    assert raised.value.field == field


async def test_series_error_keeps_unit_usable(backend: Harness) -> None:
    at = utc(2024, 6, 1, 10)
    before = await backend.row_counts()

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput):
            await uow.analytics_reads.fetch_cost_spend("t1", start=at, end=at, unit=BucketUnit.DAY)
        await uow.cost_writes.create_cost_record("t1", record=record(at))

    after = await backend.row_counts()
    assert after["cost_records"] == before["cost_records"] + 1
