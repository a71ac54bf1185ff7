"""Predictor: advisory failure-likelihood and cost-overrun predictions per worker.

``predict`` first checks the outcomes of expired predictions, then reads the
input window ``[at - lookback, at)`` with five reads and stores one prediction
per worker and type that crosses its threshold, unless one is still valid.
Predictions are advisory: nothing in the package acts on them.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from analytics.domain import (
    Clock,
    PredictionEvent,
    PredictionOutcome,
    PredictionType,
    SubjectType,
    WorkerRun,
    system_clock,
)
from analytics.domain.prediction_reports import (
    OutcomeCheck,
    PredictionAccuracy,
    PredictionReport,
    SkippedSubject,
    SkipReason,
)
from analytics.engines.decimals import ratio
from analytics.engines.instants import resolve_at
from analytics.engines.predictor_common import Evaluation, InputWindow
from analytics.engines.predictor_cost import cost_evaluations
from analytics.engines.predictor_failure import FailureInputs, failure_evaluations
from analytics.engines.predictor_outcomes import OutcomeChecker
from analytics.engines.settings import PredictionSettings
from analytics.ports import PredictionDriver, UnitOfWorkFactory

logger = logging.getLogger(__name__)

TOTALS_READ_LIMIT = 10_000
FAILED_RUNS_READ_LIMIT = 1_000
PATTERNS_READ_LIMIT = 1_000
COST_RUNS_READ_LIMIT = 10_000
VALID_PREDICTIONS_READ_LIMIT = 1_000


@dataclass(frozen=True)
class PredictionInputs:
    """The five reads of one predictor run, and whether any returned its full limit."""

    failure: FailureInputs
    cost_runs: Sequence[WorkerRun]
    valid: Sequence[PredictionEvent]
    truncated: bool


class Predictor:
    """Makes advisory predictions about a tenant's workers and checks how they turned out."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        *,
        settings: PredictionSettings | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._uow_factory = uow_factory
        self._settings = settings if settings is not None else PredictionSettings()
        self._clock = clock

    @property
    def settings(self) -> PredictionSettings:
        """The thresholds and windows this predictor applies."""
        return self._settings

    async def predict(self, tenant_id: str, *, at: datetime | None = None) -> PredictionReport:
        """Check expired predictions, then predict for the tenant's workers at ``at`` (default now).

        Each stored prediction has ``created_at = at`` and ``expires_at = at +
        validity``. A worker that already has a valid prediction of a type gets
        no new one, so a re-run writes nothing. Everything happens in one unit
        of work.

        Raises InvalidInput when ``at`` is naive or after the current time, and
        any port error unchanged.
        """
        at = resolve_at(at, self._clock())
        window = InputWindow(at - self._settings.lookback, at)

        async with self._uow_factory() as uow:
            port = uow.predictions
            checker = OutcomeChecker(port, self._settings)
            outcomes = await checker.check(tenant_id, at)
            inputs = await self._read_inputs(port, tenant_id, window)
            evaluations = [
                *failure_evaluations(inputs.failure, window, self._settings),
                *cost_evaluations(inputs.cost_runs, window, self._settings),
            ]
            predictions, skipped = await _store(port, tenant_id, evaluations, inputs.valid)

        report = PredictionReport(
            tenant_id=tenant_id,
            at=at,
            outcomes=outcomes,
            predictions=predictions,
            skipped=skipped,
            truncated=checker.truncated or inputs.truncated,
        )
        _log_summary(report)
        return report

    async def check_outcomes(
        self, tenant_id: str, *, at: datetime | None = None
    ) -> list[OutcomeCheck]:
        """Record the outcome of every worker prediction that expired at or before ``at``.

        At most 500 expired predictions are checked per call, oldest validity
        window first; ``predict`` runs the same check before predicting.

        Raises InvalidInput when ``at`` is naive or after the current time, and
        any port error unchanged.
        """
        at = resolve_at(at, self._clock())
        async with self._uow_factory() as uow:
            outcomes = await OutcomeChecker(uow.predictions, self._settings).check(tenant_id, at)

        logger.info(
            "%s, %s: %s prediction outcomes recorded.", tenant_id, at.isoformat(), len(outcomes)
        )
        return outcomes

    async def accuracy(
        self, tenant_id: str, *, start: datetime, end: datetime
    ) -> list[PredictionAccuracy]:
        """Count the outcomes of predictions made in ``[start, end)``, one row per type.

        Rows come in type order (``cost_overrun``, ``failure_likelihood``),
        zero-filled. ``precision = confirmed / (confirmed + refuted)``, ``None``
        when both are zero.

        Raises InvalidInput for a bad window, and any port error unchanged.
        """
        async with self._uow_factory() as uow:
            counts = await uow.predictions.count_prediction_outcomes(
                tenant_id, start=start, end=end
            )

        by_key = Counter({(row.prediction_type, row.outcome): row.count for row in counts})
        rows = [_accuracy_of(kind, by_key) for kind in sorted(PredictionType, key=str)]
        logger.info(
            "%s, %s to %s: %s",
            tenant_id,
            start.isoformat(),
            end.isoformat(),
            "; ".join(f"{row.prediction_type.value} precision {row.precision}" for row in rows),
        )
        return rows

    async def _read_inputs(
        self, port: PredictionDriver, tenant_id: str, window: InputWindow
    ) -> PredictionInputs:
        include_synthetic = self._settings.include_synthetic
        start, end = window.start, window.end
        totals = await port.fetch_run_totals(
            tenant_id,
            start=start,
            end=end,
            limit=TOTALS_READ_LIMIT,
            include_synthetic=include_synthetic,
        )
        failed = await port.fetch_failed_runs(
            tenant_id,
            start=start,
            end=end,
            limit=FAILED_RUNS_READ_LIMIT,
            include_synthetic=include_synthetic,
        )
        patterns = await port.fetch_failure_patterns(
            tenant_id, start=start, end=end, acknowledged=False, limit=PATTERNS_READ_LIMIT
        )
        cost_runs = await port.fetch_cost_runs(
            tenant_id,
            start=start,
            end=end,
            limit=COST_RUNS_READ_LIMIT,
            include_synthetic=include_synthetic,
        )
        valid = await port.fetch_predictions(
            tenant_id,
            subject_type=SubjectType.WORKER,
            valid_at=window.end,
            limit=VALID_PREDICTIONS_READ_LIMIT,
        )

        cut = [
            _is_cut("fetch_run_totals", tenant_id, totals, TOTALS_READ_LIMIT),
            _is_cut("fetch_failed_runs", tenant_id, failed, FAILED_RUNS_READ_LIMIT),
            _is_cut("fetch_failure_patterns", tenant_id, patterns, PATTERNS_READ_LIMIT),
            _is_cut("fetch_cost_runs", tenant_id, cost_runs, COST_RUNS_READ_LIMIT),
            _is_cut("fetch_predictions (valid)", tenant_id, valid, VALID_PREDICTIONS_READ_LIMIT),
        ]
        return PredictionInputs(FailureInputs(totals, failed, patterns), cost_runs, valid, any(cut))


async def _store(
    port: PredictionDriver,
    tenant_id: str,
    evaluations: Sequence[Evaluation],
    valid: Sequence[PredictionEvent],
) -> tuple[list[PredictionEvent], list[SkippedSubject]]:
    """Store each prediction that has no valid predecessor; list the rest as skipped."""
    already_valid = {(event.prediction_type, event.subject_id) for event in valid}
    stored: list[PredictionEvent] = []
    skipped: list[SkippedSubject] = []

    for evaluation in evaluations:
        reason = evaluation.reason
        key = (evaluation.prediction_type, evaluation.subject_id)
        if evaluation.prediction is not None and key in already_valid:
            reason = SkipReason.ALREADY_VALID
        elif evaluation.prediction is not None:
            stored.append(await port.insert_prediction(tenant_id, prediction=evaluation.prediction))
            continue
        skipped.append(_skipped(evaluation, reason))
    return stored, skipped


def _skipped(evaluation: Evaluation, reason: SkipReason | None) -> SkippedSubject:
    if reason is None:
        raise ValueError(f"evaluation of {evaluation.subject_id} has neither prediction nor reason")
    return SkippedSubject(
        subject_type=SubjectType.WORKER,
        subject_id=evaluation.subject_id,
        prediction_type=evaluation.prediction_type,
        reason=reason,
    )


def _accuracy_of(
    kind: PredictionType, counts: Counter[tuple[PredictionType, PredictionOutcome | None]]
) -> PredictionAccuracy:
    confirmed = counts[(kind, PredictionOutcome.CONFIRMED)]
    refuted = counts[(kind, PredictionOutcome.REFUTED)]
    judged = confirmed + refuted
    return PredictionAccuracy(
        prediction_type=kind,
        confirmed=confirmed,
        refuted=refuted,
        undetermined=counts[(kind, PredictionOutcome.UNDETERMINED)],
        pending=counts[(kind, None)],
        precision=ratio(confirmed, judged) if judged else None,
    )


def _is_cut(read: str, tenant_id: str, rows: Sequence[object], limit: int) -> bool:
    if len(rows) < limit:
        return False
    logger.warning(
        "%s for %s returned its limit of %s rows, so some may be missing", read, tenant_id, limit
    )
    return True


def _log_summary(report: PredictionReport) -> None:
    reasons = Counter(skip.reason.value for skip in report.skipped)
    skipped = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
    logger.info(
        "%s, %s: %s outcomes recorded, %s predictions made, %s skipped (%s)%s.",
        report.tenant_id,
        report.at.isoformat(),
        len(report.outcomes),
        len(report.predictions),
        len(report.skipped),
        skipped or "none",
        "; a read was cut at its limit" if report.truncated else "",
    )
