"""``analytics report``: usage and cost of each tenant over a window, in buckets."""

from __future__ import annotations

from datetime import datetime, timedelta

import click

from analytics.cli.app import CliContext, cli, command_context, common_options, run_async
from analytics.cli.engine_runs import print_sections, require_tenants, run_per_tenant
from analytics.cli.output import (
    REPORT_CSV_VIEWS,
    json_document,
    print_json,
    report_csv,
    report_heading,
    report_tables,
)
from analytics.cli.times import parse_instant
from analytics.domain.enums import BucketUnit
from analytics.domain.time import day_start, local_date, system_clock
from analytics.domain.usage_reports import UsageCostReport
from analytics.engines.reports import AnalyticsReports
from analytics.engines.settings import ReportSettings
from analytics.ports.unit_of_work import UnitOfWorkFactory

DEFAULT_DAYS = 30
"""Local days of the default window, today included."""


def default_window(
    start: datetime | None, end: datetime | None, tz: str, now: datetime
) -> tuple[datetime, datetime]:
    """Fill a missing window edge: by default the last 30 local days, today included.

    Without ``--to`` the window ends at the start of tomorrow. Without
    ``--from`` it starts 30 local days before the day of its end.
    """
    if end is None:
        end = day_start(local_date(now, tz) + timedelta(days=1), tz)
    if start is None:
        last_day = local_date(end - timedelta(microseconds=1), tz)
        start = day_start(last_day - timedelta(days=DEFAULT_DAYS - 1), tz)
    return start, end


@cli.command()
@click.option(
    "--from",
    "start_text",
    metavar="T",
    help="Window start: a date (start of that day in --tz) or an ISO 8601 time. "
    "Default: 30 local days before the end, today included.",
)
@click.option(
    "--to",
    "end_text",
    metavar="T",
    help="Window end (exclusive): a date or an ISO 8601 time. Default: the start of tomorrow.",
)
@click.option(
    "--unit",
    type=click.Choice([unit.value for unit in BucketUnit]),
    default=BucketUnit.DAY.value,
    show_default=True,
    help="Bucket width, aligned to the calendar of --tz.",
)
@click.option(
    "--top",
    type=click.IntRange(1, 500),
    default=10,
    show_default=True,
    help="Models and feature tags listed before the rest.",
)
@click.option(
    "--by",
    "view",
    type=click.Choice(REPORT_CSV_VIEWS),
    default="time",
    show_default=True,
    help="Table printed with --format csv: the series, or spend by model or by feature.",
)
@click.option(
    "--include-synthetic", is_flag=True, help="Also count rows marked synthetic (test traffic)."
)
@common_options
@click.pass_context
def report(
    click_context: click.Context,
    start_text: str | None,
    end_text: str | None,
    unit: str,
    top: int,
    view: str,
    include_synthetic: bool,
) -> None:
    """Report usage and cost per bucket, by model and by feature."""
    context = command_context(click_context)
    tenants = require_tenants(context)
    start = parse_instant(start_text, context.tz) if start_text else None
    end = parse_instant(end_text, context.tz) if end_text else None
    start, end = default_window(start, end, context.tz, system_clock())
    settings = ReportSettings(tz=context.tz, include_synthetic=include_synthetic)

    async def usage(uow_factory: UnitOfWorkFactory, tenant: str) -> UsageCostReport:
        reports = AnalyticsReports(uow_factory, settings=settings)
        return await reports.usage_and_cost(
            tenant, start=start, end=end, unit=BucketUnit(unit), top=top
        )

    results = run_async(context, run_per_tenant(context, tenants, usage, read_only=True))
    print_reports(context, results, view)


def print_reports(context: CliContext, results: list[UsageCostReport], view: str) -> None:
    """Print usage-and-cost reports in the context's format."""
    if context.output_format == "json":
        print_json([json_document(result) for result in results])
    elif context.output_format == "csv":
        report_csv(results, view)
    else:
        print_sections([(report_heading(result), report_tables(result), []) for result in results])
