"""AnalyticsReports.usage_and_cost over the shared example rows, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from analytics.domain import BucketUnit
from analytics.domain.usage_reports import UsageCostReport
from analytics.engines.reports import AnalyticsReports, count_buckets
from analytics.engines.settings import ReportSettings
from analytics.ports import InvalidInput
from tests.contract.example_data import load_cost_records, load_runs_and_traces, utc
from tests.contract.harness import Harness

START, END = utc(2024, 3, 9), utc(2024, 3, 12)


@contextmanager
def counted_statements(backend: Harness) -> Iterator[list[str]]:
    """Collect the SQL statements the store runs inside the block."""
    statements: list[str] = []

    def collect(*args: object) -> None:
        statements.append(str(args[2]))

    engine = backend.store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", collect)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", collect)


async def load_examples(backend: Harness) -> None:
    await load_cost_records(backend.uow)
    await load_runs_and_traces(backend.uow)


async def example_report(
    backend: Harness, *, top: int = 10, settings: ReportSettings | None = None
) -> UsageCostReport:
    """Report t1 over the example window, by UTC day."""
    reports = AnalyticsReports(backend.uow, settings=settings, clock=backend.clock)
    return await reports.usage_and_cost("t1", start=START, end=END, top=top)


async def test_example_points(backend: Harness) -> None:
    await load_examples(backend)

    report = await example_report(backend)

    rows = [
        (p.bucket_start, p.requests, p.spend_usd, p.runs, p.traces, p.input_tokens)
        for p in report.points
    ]
    assert rows == [
        (utc(2024, 3, 9), 1, Decimal("0.100000000"), 0, 0, 100),
        (utc(2024, 3, 10), 2, Decimal("0.500000000"), 2, 3, 500),
        (utc(2024, 3, 11), 2, Decimal("0.200000000"), 1, 1, 450),
    ]
    assert [(p.run_input_tokens, p.run_output_tokens) for p in report.points] == [
        (0, 0),
        (100, 20),
        (5, 5),
    ]


async def test_example_totals(backend: Harness) -> None:
    await load_examples(backend)

    totals = (await example_report(backend)).totals

    assert totals.spend_usd == Decimal("0.800000000")
    assert str(totals.spend_usd) == "0.800000000"
    assert (totals.requests, totals.input_tokens, totals.output_tokens) == (5, 1050, 220)
    assert totals.unpriced_requests == 0
    assert (totals.runs, totals.run_input_tokens, totals.run_output_tokens) == (3, 105, 25)
    assert totals.traces == 4


async def test_example_shares(backend: Harness) -> None:
    await load_examples(backend)

    report = await example_report(backend)

    assert [(i.model, i.share) for i in report.by_model.items] == [
        ("gpt-4o", Decimal("0.562500")),
        ("claude-3", Decimal("0.437500")),
    ]
    assert [(i.feature_tag, i.share) for i in report.by_feature.items] == [
        ("chat.reply", Decimal("0.437500")),
        (None, Decimal("0.375000")),
        ("search.rank", Decimal("0.187500")),
    ]
    assert report.by_model.rest.groups == 0
    assert report.by_model.rest.share == Decimal("0.000000")


async def test_spend_invariant_holds(backend: Harness) -> None:
    await load_examples(backend)

    for top in (1, 2, 10):
        report = await example_report(backend, top=top)
        total = report.totals.spend_usd
        assert sum(p.spend_usd for p in report.points) == total
        model_items = sum(i.spend_usd for i in report.by_model.items)
        assert model_items + report.by_model.rest.spend_usd == total
        feature_items = sum(i.spend_usd for i in report.by_feature.items)
        assert feature_items + report.by_feature.rest.spend_usd == total


async def test_top_cuts_into_rest(backend: Harness) -> None:
    await load_examples(backend)

    report = await example_report(backend, top=1)

    assert [i.model for i in report.by_model.items] == ["gpt-4o"]
    rest = report.by_model.rest
    assert (rest.groups, rest.requests, rest.spend_usd) == (1, 2, Decimal("0.350000000"))
    assert rest.share == Decimal("0.437500")


async def test_local_days_of_zone(backend: Harness) -> None:
    await load_examples(backend)
    reports = AnalyticsReports(backend.uow, settings=ReportSettings(tz="America/New_York"))

    report = await reports.usage_and_cost("t1", start=utc(2024, 3, 9, 5), end=utc(2024, 3, 12, 4))

    assert report.tz == "America/New_York"
    assert [(p.bucket_start, p.requests, p.spend_usd) for p in report.points] == [
        (utc(2024, 3, 9, 5), 1, Decimal("0.100000000")),
        (utc(2024, 3, 10, 5), 3, Decimal("0.650000000")),
        (utc(2024, 3, 11, 4), 1, Decimal("0.050000000")),
    ]


async def test_synthetic_rows_opt_in(backend: Harness) -> None:
    await load_examples(backend)

    report = await example_report(backend, settings=ReportSettings(include_synthetic=True))

    assert report.totals.spend_usd == Decimal("10.790000000")
    assert report.totals.runs == 4


async def test_tenants_never_mix(backend: Harness) -> None:
    await load_examples(backend)
    reports = AnalyticsReports(backend.uow)

    report = await reports.usage_and_cost("t2", start=START, end=END)

    assert report.totals.spend_usd == Decimal("5.000000000")
    assert (report.totals.requests, report.totals.runs, report.totals.traces) == (1, 0, 0)
    assert [(i.model, i.share) for i in report.by_model.items] == [("gpt-4o", Decimal("1.000000"))]


async def test_zero_spend_has_no_shares(backend: Harness) -> None:
    reports = AnalyticsReports(backend.uow)

    report = await reports.usage_and_cost("t1", start=START, end=END)

    assert report.totals.spend_usd == Decimal(0)
    assert report.by_model.items == []
    assert report.by_model.rest.share is None
    assert len(report.points) == 3


async def test_report_writes_nothing(backend: Harness) -> None:
    await load_examples(backend)
    before = await backend.row_counts()

    first = await example_report(backend)
    second = await example_report(backend)

    assert first == second
    assert await backend.row_counts() == before


@pytest.mark.parametrize(
    ("start", "end", "unit", "top", "field", "reason"),
    [
        (datetime(2024, 3, 9), END, BucketUnit.DAY, 10, "start", "timezone-aware"),
        (START, datetime(2024, 3, 12), BucketUnit.DAY, 10, "end", "timezone-aware"),
        (END, START, BucketUnit.DAY, 10, "end", "after start"),
        (START, START + timedelta(days=401), BucketUnit.DAY, 10, "end", "at most 400 days"),
        (START, START + timedelta(days=101), BucketUnit.HOUR, 10, "end", "2,424 hour buckets"),
        (START, END, BucketUnit.DAY, 0, "top", "between 1 and 500"),
        (START, END, BucketUnit.DAY, 501, "top", "between 1 and 500"),
    ],
)
async def test_invalid_input_before_reads(
    backend: Harness,
    start: datetime,
    end: datetime,
    unit: BucketUnit,
    top: int,
    field: str,
    reason: str,
) -> None:
    reports = AnalyticsReports(backend.uow)

    with counted_statements(backend) as statements, pytest.raises(InvalidInput) as error:
        await reports.usage_and_cost("t1", start=start, end=end, unit=unit, top=top)

    assert error.value.field == field
    assert reason in error.value.reason
    assert statements == []


async def test_too_many_buckets_names_coarser_unit(backend: Harness) -> None:
    reports = AnalyticsReports(backend.uow)

    with pytest.raises(InvalidInput) as error:
        await reports.usage_and_cost(
            "t1", start=START, end=START + timedelta(days=101), unit=BucketUnit.HOUR
        )

    assert "use unit=day" in error.value.reason


def test_bucket_count_beyond_limit() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)

    assert count_buckets(start, start + timedelta(days=400), BucketUnit.HOUR, "UTC") == 9600
    assert (
        count_buckets(start, start + timedelta(days=3), BucketUnit.HOUR, "America/New_York") == 72
    )
    # 2024-03-10 lasts 23 hours in New York.
    ny_start = datetime(2024, 3, 10, 5, tzinfo=UTC)
    assert (
        count_buckets(
            ny_start, datetime(2024, 3, 11, 4, tzinfo=UTC), BucketUnit.HOUR, "America/New_York"
        )
        == 23
    )


def test_settings_reject_bad_zone() -> None:
    with pytest.raises(ValueError, match="IANA"):
        ReportSettings(tz="+05:30")
