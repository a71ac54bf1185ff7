"""``analytics detect``: spend spikes, drift and budget anomalies of one local day."""

from __future__ import annotations

from types import TracebackType

import click

from analytics.cli.app import CliContext, cli, command_context, common_options, run_async
from analytics.cli.engine_runs import print_sections, require_tenants, run_per_tenant
from analytics.cli.output import (
    detection_csv,
    detection_heading,
    detection_notes,
    detection_tables,
    json_document,
    print_json,
)
from analytics.cli.times import parse_day
from analytics.domain.detection import DetectionReport
from analytics.engines.anomalies import CostAnomalyDetector
from analytics.engines.settings import AnomalySettings
from analytics.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


class _DryRunRollback(Exception):
    """Passed to the inner unit of work at the end of a dry run so that it rolls back."""


class RollbackUnitOfWork:
    """A unit of work whose block always rolls back, even when it ends normally.

    At the end of a normal block it hands a private exception to the inner
    unit of work, which rolls back, and does not raise it. Errors of the
    block roll back and propagate as usual.
    """

    def __init__(self, inner: UnitOfWork) -> None:
        self._inner = inner

    async def __aenter__(self) -> UnitOfWork:
        return await self._inner.__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            await self._inner.__aexit__(exc_type, exc, tb)
            return
        rollback = _DryRunRollback()
        await self._inner.__aexit__(_DryRunRollback, rollback, None)


def rolling_back(uow_factory: UnitOfWorkFactory) -> UnitOfWorkFactory:
    """Return a factory of units of work that never commit."""

    def factory() -> UnitOfWork:
        # The wrapper has the unit of work's methods that an engine uses.
        return RollbackUnitOfWork(uow_factory())  # type: ignore[return-value]

    return factory


@cli.command()
@click.option(
    "--day",
    "day_text",
    metavar="DATE",
    help="Local day to examine, YYYY-MM-DD in --tz. Default: today.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Detect and print, then roll back: no breach, tracker or anomaly is saved.",
)
@common_options
@click.pass_context
def detect(click_context: click.Context, day_text: str | None, dry_run: bool) -> None:
    """Detect spend spikes, sustained drift and budget warnings of one day."""
    context = command_context(click_context)
    tenants = require_tenants(context)
    day = parse_day(day_text) if day_text else None
    settings = AnomalySettings(tz=context.tz)

    async def detection(uow_factory: UnitOfWorkFactory, tenant: str) -> DetectionReport:
        factory = rolling_back(uow_factory) if dry_run else uow_factory
        return await CostAnomalyDetector(factory, settings=settings).detect(tenant, day=day)

    results = run_async(context, run_per_tenant(context, tenants, detection))
    print_detections(context, results, dry_run=dry_run)


def print_detections(
    context: CliContext, results: list[DetectionReport], *, dry_run: bool = False
) -> None:
    """Print detection reports in the context's format."""
    if context.output_format == "json":
        print_json([json_document(result) for result in results])
    elif context.output_format == "csv":
        detection_csv(results)
    else:
        print_sections(
            [
                (
                    detection_heading(result, dry_run=dry_run),
                    detection_tables(result),
                    detection_notes(result),
                )
                for result in results
            ]
        )


__all__ = ["RollbackUnitOfWork", "detect", "print_detections", "rolling_back"]
