"""``analytics patterns``: repeated failures and cost spikes of worker runs."""

from __future__ import annotations

import click

from analytics.cli.app import CliContext, cli, command_context, common_options, run_async
from analytics.cli.engine_runs import (
    print_sections,
    require_tenants,
    run_per_tenant,
    settings_error_message,
)
from analytics.cli.output import (
    json_document,
    pattern_csv,
    pattern_heading,
    pattern_notes,
    pattern_tables,
    print_json,
)
from analytics.cli.times import parse_duration, parse_instant
from analytics.domain.pattern_reports import PatternReport
from analytics.engines.patterns import PatternDetector
from analytics.engines.settings import PatternSettings
from analytics.ports.unit_of_work import UnitOfWorkFactory


@cli.command()
@click.option(
    "--at",
    "at_text",
    metavar="T",
    help="End of both windows: a date or an ISO 8601 time in --tz. Default: now.",
)
@click.option(
    "--window",
    "window_text",
    default="24h",
    show_default=True,
    metavar="DURATION",
    help="Window of failed and crashed runs, such as 90m, 24h or 7d.",
)
@click.option(
    "--cost-window",
    "cost_window_text",
    default="7d",
    show_default=True,
    metavar="DURATION",
    help="Window of completed runs with a cost.",
)
@common_options
@click.pass_context
def patterns(
    click_context: click.Context, at_text: str | None, window_text: str, cost_window_text: str
) -> None:
    """Find repeated failures and cost spikes in worker runs and record them as feedback."""
    context = command_context(click_context)
    tenants = require_tenants(context)
    at = parse_instant(at_text, context.tz) if at_text else None
    failure_window = parse_duration(window_text)
    cost_window = parse_duration(cost_window_text)
    try:
        settings = PatternSettings(
            tz=context.tz, failure_window=failure_window, cost_window=cost_window
        )
    except ValueError as error:
        raise click.BadParameter(settings_error_message(error)) from error

    async def detection(uow_factory: UnitOfWorkFactory, tenant: str) -> PatternReport:
        return await PatternDetector(uow_factory, settings=settings).detect(tenant, at=at)

    results = run_async(context, run_per_tenant(context, tenants, detection))
    print_patterns(context, results)


def print_patterns(context: CliContext, results: list[PatternReport]) -> None:
    """Print pattern reports in the context's format."""
    if context.output_format == "json":
        print_json([json_document(result) for result in results])
    elif context.output_format == "csv":
        pattern_csv(results)
    else:
        print_sections(
            [
                (pattern_heading(result, context.tz), pattern_tables(result), pattern_notes(result))
                for result in results
            ]
        )
