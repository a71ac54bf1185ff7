"""``analytics predict``: advisory failure and cost predictions for workers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

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
    prediction_csv,
    prediction_heading,
    prediction_notes,
    prediction_tables,
    print_json,
)
from analytics.cli.times import parse_duration, parse_instant
from analytics.domain.prediction_reports import PredictionAccuracy, PredictionReport
from analytics.engines.predictor import Predictor
from analytics.engines.settings import PredictionSettings
from analytics.ports.unit_of_work import UnitOfWorkFactory

ACCURACY_DAYS = 30
"""Days before the prediction time whose predictions the accuracy table counts."""


@dataclass(frozen=True)
class PredictionRun:
    """A predictor run for one tenant and the accuracy of its earlier predictions."""

    report: PredictionReport
    accuracy: list[PredictionAccuracy]

    def to_json(self) -> dict[str, Any]:
        """Return the report's JSON fields plus an ``accuracy`` list."""
        document: dict[str, Any] = json_document(self.report)
        document["accuracy"] = [json_document(row) for row in self.accuracy]
        return document


async def predict_with_accuracy(
    predictor: Predictor, tenant: str, at: datetime | None
) -> PredictionRun:
    """Run the predictor at ``at`` (default now), then count outcomes of the 30 days before."""
    report = await predictor.predict(tenant, at=at)
    start = report.at - timedelta(days=ACCURACY_DAYS)
    accuracy = await predictor.accuracy(tenant, start=start, end=report.at)
    return PredictionRun(report, accuracy)


@cli.command()
@click.option(
    "--at",
    "at_text",
    metavar="T",
    help="Prediction time: a date or an ISO 8601 time in --tz. Default: now.",
)
@click.option(
    "--lookback",
    "lookback_text",
    default="7d",
    show_default=True,
    metavar="DURATION",
    help="Input window before the prediction time, such as 24h or 7d.",
)
@common_options
@click.pass_context
def predict(click_context: click.Context, at_text: str | None, lookback_text: str) -> None:
    """Check expired predictions, predict failures and cost overruns, and show accuracy."""
    context = command_context(click_context)
    tenants = require_tenants(context)
    at = parse_instant(at_text, context.tz) if at_text else None
    lookback = parse_duration(lookback_text)
    try:
        settings = PredictionSettings(tz=context.tz, lookback=lookback)
    except ValueError as error:
        raise click.BadParameter(settings_error_message(error)) from error

    async def prediction(uow_factory: UnitOfWorkFactory, tenant: str) -> PredictionRun:
        predictor = Predictor(uow_factory, settings=settings)
        return await predict_with_accuracy(predictor, tenant, at)

    results = run_async(context, run_per_tenant(context, tenants, prediction))
    print_predictions(context, results)


def print_predictions(context: CliContext, results: list[PredictionRun]) -> None:
    """Print predictor runs in the context's format."""
    if context.output_format == "json":
        print_json([result.to_json() for result in results])
    elif context.output_format == "csv":
        prediction_csv([result.report for result in results])
    else:
        print_sections(
            [
                (
                    prediction_heading(result.report, context.tz),
                    prediction_tables(result.report, result.accuracy, context.tz),
                    prediction_notes(result.report),
                )
                for result in results
            ]
        )
