"""PatternDetector: repeated failures and cost spikes of a tenant's worker runs.

One call makes two reads (failed runs in the failure window, costed runs in
the cost window) and stores one feedback row per pattern found. The feedback
port keeps one unacknowledged row per pattern, so a re-run for the same
instant over the same runs writes nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from analytics.domain import (
    Clock,
    NewPatternFeedback,
    PatternFeedback,
    WorkerRun,
    WriteResult,
    system_clock,
)
from analytics.domain.pattern_reports import PatternReport
from analytics.engines.instants import resolve_at
from analytics.engines.pattern_rules import DetectionContext, cost_spikes, failure_patterns
from analytics.engines.settings import PatternSettings
from analytics.ports import PatternDetectionDriver, UnitOfWorkFactory

logger = logging.getLogger(__name__)


class PatternDetector:
    """Finds failure patterns and cost spikes in worker runs and records them as feedback."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        *,
        settings: PatternSettings | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._uow_factory = uow_factory
        self._settings = settings if settings is not None else PatternSettings()
        self._clock = clock

    @property
    def settings(self) -> PatternSettings:
        """The thresholds and windows this detector applies."""
        return self._settings

    async def detect(self, tenant_id: str, *, at: datetime | None = None) -> PatternReport:
        """Detect the tenant's patterns in the windows that end at ``at`` (default: now).

        Failed and crashed runs created in ``[at - failure_window, at)`` are
        grouped by error signature, and costed runs created in
        ``[at - cost_window, at)`` are compared per worker. Each pattern is
        stored with ``insert_feedback``, all in one unit of work.

        Raises InvalidInput when ``at`` is naive or after the current time, and
        any port error unchanged.
        """
        at = resolve_at(at, self._clock())
        settings = self._settings
        failure_start = at - settings.failure_window
        cost_start = at - settings.cost_window

        async with self._uow_factory() as uow:
            port = uow.pattern_detection
            failed = await self._read_failed(port, tenant_id, failure_start, at)
            costed = await self._read_costed(port, tenant_id, cost_start, at)
            failed_cut = self._is_cut("fetch_failed_runs", tenant_id, failed)
            costed_cut = self._is_cut("fetch_completed_runs_with_costs", tenant_id, costed)

            context = DetectionContext(settings, at, failed_cut)
            failures = await _store(port, tenant_id, failure_patterns(failed, context))
            spikes = await _store(port, tenant_id, cost_spikes(costed, context))

        report = PatternReport(
            tenant_id=tenant_id,
            window_start=failure_start,
            window_end=at,
            cost_window_start=cost_start,
            failure_patterns=failures,
            cost_spikes=spikes,
            failed_runs_read=len(failed),
            costed_runs_read=len(costed),
            truncated=failed_cut or costed_cut,
        )
        _log_summary(report)
        return report

    async def _read_failed(
        self, port: PatternDetectionDriver, tenant_id: str, start: datetime, end: datetime
    ) -> list[WorkerRun]:
        return await port.fetch_failed_runs(
            tenant_id,
            start=start,
            end=end,
            require_error=False,
            limit=self._settings.fetch_limit,
            include_synthetic=self._settings.include_synthetic,
        )

    async def _read_costed(
        self, port: PatternDetectionDriver, tenant_id: str, start: datetime, end: datetime
    ) -> list[WorkerRun]:
        return await port.fetch_completed_runs_with_costs(
            tenant_id,
            start=start,
            end=end,
            limit=self._settings.fetch_limit,
            include_synthetic=self._settings.include_synthetic,
        )

    def _is_cut(self, read: str, tenant_id: str, runs: Sequence[WorkerRun]) -> bool:
        limit = self._settings.fetch_limit
        if len(runs) < limit:
            return False
        logger.warning(
            "%s for %s returned its limit of %s runs, so older runs may be missing; "
            "raise fetch_limit (at most 10000) or shorten the window",
            read,
            tenant_id,
            limit,
        )
        return True


async def _store(
    port: PatternDetectionDriver, tenant_id: str, patterns: Sequence[NewPatternFeedback]
) -> list[WriteResult[PatternFeedback]]:
    return [await port.insert_feedback(tenant_id, feedback=pattern) for pattern in patterns]


def _outcome_counts(results: Sequence[WriteResult[PatternFeedback]]) -> str:
    counts = Counter(result.outcome.value for result in results)
    return ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items())) or "none"


def _log_summary(report: PatternReport) -> None:
    logger.info(
        "%s, %s: %s failure patterns (%s) from %s failed runs; "
        "%s cost spikes (%s) from %s costed runs%s.",
        report.tenant_id,
        report.window_end.isoformat(),
        len(report.failure_patterns),
        _outcome_counts(report.failure_patterns),
        report.failed_runs_read,
        len(report.cost_spikes),
        _outcome_counts(report.cost_spikes),
        report.costed_runs_read,
        "; a read was cut at its limit" if report.truncated else "",
    )
