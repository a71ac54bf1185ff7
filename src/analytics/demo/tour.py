"""The demo run: write the generated tenants, then run every engine on the simulated clock.

The engines run in time order. On each of the last three days the anomaly
detector runs for every tenant at 18:00 local. The predictor also runs at 18:00
yesterday and today, and the pattern detector at 18:00 today. The results are then printed grouped
by command, followed by the usage-and-cost report of the last 30 days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from analytics.demo.calendar import DemoCalendar, SimulatedClock
from analytics.demo.data import TenantData
from analytics.domain.detection import DetectionReport
from analytics.domain.enums import BucketUnit
from analytics.domain.pattern_reports import PatternReport
from analytics.domain.prediction_reports import PredictionAccuracy, PredictionReport
from analytics.domain.time import day_start
from analytics.domain.usage_reports import UsageCostReport
from analytics.engines.anomalies import CostAnomalyDetector
from analytics.engines.patterns import PatternDetector
from analytics.engines.predictor import Predictor
from analytics.engines.reports import AnalyticsReports
from analytics.engines.settings import (
    AnomalySettings,
    PatternSettings,
    PredictionSettings,
    ReportSettings,
)
from analytics.ports.unit_of_work import UnitOfWorkFactory

BATCH_SIZE = 1000
"""Rows per batch write, the maximum the batch port methods accept."""

DETECTION_DAYS = (2, 1, 0)
"""Days before today on which the demo runs the anomaly detector, oldest first."""

PREDICTION_DAYS = (1, 0)
"""Days before today on which the demo runs the predictor."""

REPORT_DAYS = 30
"""Local days of the usage-and-cost report, today included."""

ACCURACY_DAYS = 30
"""Days before each predictor run whose predictions its accuracy table counts."""

RowT = TypeVar("RowT")


@dataclass
class TourResults:
    """Everything the demo's engine runs returned, for printing."""

    detections: list[DetectionReport] = field(default_factory=list)
    patterns: list[PatternReport] = field(default_factory=list)
    predictions: list[tuple[PredictionReport, list[PredictionAccuracy]]] = field(
        default_factory=list
    )
    reports: list[UsageCostReport] = field(default_factory=list)
    rows_written: dict[str, dict[str, int]] = field(default_factory=dict)
    """Rows written per tenant and kind (cost records, runs, traces, worker runs)."""


def _batches(rows: Sequence[RowT]) -> list[Sequence[RowT]]:
    return [rows[start : start + BATCH_SIZE] for start in range(0, len(rows), BATCH_SIZE)]


def rows_of(data: TenantData) -> dict[str, int]:
    """Count one tenant's generated rows per kind."""
    return {
        "cost records": len(data.cost_records),
        "runs": len(data.runs),
        "traces": len(data.traces),
        "worker runs": len(data.worker_runs),
    }


async def write_tenant(uow_factory: UnitOfWorkFactory, data: TenantData) -> None:
    """Write one tenant's budgets, cost records, runs, traces and worker runs in one unit."""
    tenant = data.tenant_id
    async with uow_factory() as uow:
        for budget in data.budgets:
            await uow.cost_writes.create_or_update_budget(
                tenant,
                budget_type=budget.budget_type,
                entity_id=budget.entity_id,
                daily_limit_usd=budget.daily_limit_usd,
                monthly_limit_usd=budget.monthly_limit_usd,
                warn_threshold_pct=budget.warn_threshold_pct,
            )
        for records in _batches(data.cost_records):
            await uow.cost_writes.create_cost_records(tenant, records=records)
        for runs in _batches(data.runs):
            await uow.run_writes.record_runs(tenant, runs=runs)
        for trace in data.traces:
            await uow.run_writes.record_trace(tenant, trace=trace)
        for worker_runs in _batches(data.worker_runs):
            await uow.run_writes.record_worker_runs(tenant, runs=worker_runs)


class Tour:
    """Runs the engines over the demo tenants on the simulated clock."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: SimulatedClock,
        calendar: DemoCalendar,
        tenants: Sequence[str],
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._calendar = calendar
        self._tenants = list(tenants)
        tz = calendar.tz
        self._detector = CostAnomalyDetector(
            uow_factory, settings=AnomalySettings(tz=tz), clock=clock
        )
        self._patterns = PatternDetector(uow_factory, settings=PatternSettings(tz=tz), clock=clock)
        self._predictor = Predictor(uow_factory, settings=PredictionSettings(tz=tz), clock=clock)
        self._reports = AnalyticsReports(uow_factory, settings=ReportSettings(tz=tz), clock=clock)

    async def run(self) -> TourResults:
        """Run every engine in time order and return the results."""
        results = TourResults()
        for days_ago in DETECTION_DAYS:
            self._clock.now = self._calendar.run_time(days_ago)
            for tenant in self._tenants:
                results.detections.append(
                    await self._detector.detect(tenant, day=self._calendar.day(days_ago))
                )
            if days_ago == 0:
                for tenant in self._tenants:
                    results.patterns.append(await self._patterns.detect(tenant))
            if days_ago in PREDICTION_DAYS:
                for tenant in self._tenants:
                    results.predictions.append(await self._predict(tenant))
        for tenant in self._tenants:
            results.reports.append(await self._report(tenant))
        return results

    async def _predict(self, tenant: str) -> tuple[PredictionReport, list[PredictionAccuracy]]:
        report = await self._predictor.predict(tenant)
        start = report.at - timedelta(days=ACCURACY_DAYS)
        accuracy = await self._predictor.accuracy(tenant, start=start, end=report.at)
        return report, accuracy

    async def _report(self, tenant: str) -> UsageCostReport:
        tz = self._calendar.tz
        start = day_start(self._calendar.day(REPORT_DAYS - 1), tz)
        end = day_start(self._calendar.day(-1), tz)
        return await self._reports.usage_and_cost(tenant, start=start, end=end, unit=BucketUnit.DAY)
