"""Outcome checks of expired predictions: was the prediction right over its validity window?

The runs created during a prediction's validity ``[created_at, expires_at)``
decide it. Too few runs leave it ``undetermined``; otherwise the measured
failure rate or mean cost against the prediction's own stored threshold makes
it ``confirmed`` or ``refuted``. Each outcome is recorded once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from analytics.domain import (
    PredictionEvent,
    PredictionOutcome,
    PredictionType,
    SubjectType,
    WorkerRun,
    WorkerRunTotals,
)
from analytics.domain.prediction_reports import OutcomeCheck
from analytics.engines.decimals import CONTEXT, format_6, format_usd, mean_usd, ratio, round_usd
from analytics.engines.settings import PredictionSettings
from analytics.ports import PredictionDriver

logger = logging.getLogger(__name__)

EXPIRED_READ_LIMIT = 500
"""Expired, pending predictions checked per call; the rest wait for the next call."""

COST_RUN_READ_LIMIT = 10_000
"""``limit`` of the cost-run read of one validity window (the port's maximum)."""

Judgement = tuple[PredictionOutcome, dict[str, Any]]


@dataclass(frozen=True)
class ValidityWindow:
    """Validity ``[start, end)`` shared by the predictions of one predictor run."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class WindowRuns:
    """Runs of one validity window: terminal totals per worker and costed runs."""

    totals: dict[str, WorkerRunTotals]
    cost_runs: Sequence[WorkerRun]


def group_by_window(
    predictions: Sequence[PredictionEvent],
) -> list[tuple[ValidityWindow, list[PredictionEvent]]]:
    """Group predictions by validity window, earliest window first.

    Within a window, predictions are ordered by type, subject and id.
    """
    groups: dict[ValidityWindow, list[PredictionEvent]] = {}
    for prediction in predictions:
        window = ValidityWindow(prediction.created_at, prediction.expires_at)
        groups.setdefault(window, []).append(prediction)

    ordered = sorted(groups.items(), key=lambda item: (item[0].start, item[0].end))
    return [(window, sorted(group, key=_prediction_order)) for window, group in ordered]


def _prediction_order(prediction: PredictionEvent) -> tuple[str, str, str]:
    return (prediction.prediction_type.value, prediction.subject_id, prediction.id)


def stored_decimal(value: dict[str, Any], key: str) -> Decimal | None:
    """Return a finite decimal stored as a string under ``key``, or ``None``."""
    text = value.get(key)
    if not isinstance(text, str):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def judge_failure(
    prediction: PredictionEvent, totals: WorkerRunTotals | None, settings: PredictionSettings
) -> Judgement:
    """Judge a failure-likelihood prediction by the failure rate over its validity window."""
    terminal = totals.terminal if totals is not None else 0
    failures = totals.failures if totals is not None else 0
    rate = ratio(failures, terminal) if terminal else None
    threshold = stored_decimal(prediction.prediction_value, "threshold")
    value = {
        "terminal": terminal,
        "failures": failures,
        "failure_rate": format_6(rate) if rate is not None else None,
        "threshold": format_6(threshold) if threshold is not None else None,
    }

    if rate is None or terminal < settings.outcome_min_runs or threshold is None:
        return PredictionOutcome.UNDETERMINED, value
    outcome = PredictionOutcome.CONFIRMED if rate >= threshold else PredictionOutcome.REFUTED
    return outcome, value


def judge_cost(
    prediction: PredictionEvent, runs: Sequence[WorkerRun], settings: PredictionSettings
) -> Judgement:
    """Judge a cost-overrun prediction by the mean cost over its validity window.

    It is confirmed when the mean reaches ``historical_mean_usd × (1 +
    threshold_pct / 100)`` of the prediction, rounded to whole nano-dollars.
    """
    costs = [run.cost_usd for run in runs if run.cost_usd is not None]
    mean = mean_usd(costs) if costs else None
    bound = overrun_bound(prediction.prediction_value)
    value = {
        "runs": len(costs),
        "mean_cost_usd": format_usd(mean) if mean is not None else None,
        "bound_usd": format_usd(bound) if bound is not None else None,
    }

    if mean is None or len(costs) < settings.outcome_min_runs or bound is None:
        return PredictionOutcome.UNDETERMINED, value
    outcome = PredictionOutcome.CONFIRMED if mean >= bound else PredictionOutcome.REFUTED
    return outcome, value


def overrun_bound(prediction_value: dict[str, Any]) -> Decimal | None:
    """Return the mean cost that confirms a cost-overrun prediction, or ``None`` if not stored."""
    historical = stored_decimal(prediction_value, "historical_mean_usd")
    threshold_pct = stored_decimal(prediction_value, "threshold_pct")
    if historical is None or threshold_pct is None:
        return None
    with localcontext(CONTEXT):
        return round_usd(historical * (1 + threshold_pct / 100))


def judge(prediction: PredictionEvent, runs: WindowRuns, settings: PredictionSettings) -> Judgement:
    """Judge one prediction with the runs of its validity window."""
    subject = prediction.subject_id
    if prediction.prediction_type is PredictionType.FAILURE_LIKELIHOOD:
        return judge_failure(prediction, runs.totals.get(subject), settings)
    own_runs = [run for run in runs.cost_runs if run.worker_id == subject]
    return judge_cost(prediction, own_runs, settings)


class OutcomeChecker:
    """Reads expired, pending worker predictions and records their outcomes in one unit of work."""

    def __init__(self, port: PredictionDriver, settings: PredictionSettings) -> None:
        self._port = port
        self._settings = settings
        self.truncated = False

    async def check(self, tenant_id: str, at: datetime) -> list[OutcomeCheck]:
        """Record the outcome of every worker prediction that expired at or before ``at``.

        Sets ``truncated`` when the read of expired predictions returned its
        full limit of 500, so some wait for the next call.
        """
        expired = await self._port.fetch_predictions(
            tenant_id,
            subject_type=SubjectType.WORKER,
            expired_before=at,
            outcome_pending=True,
            limit=EXPIRED_READ_LIMIT,
        )
        self._note_cut(
            "fetch_predictions (expired, pending)", tenant_id, expired, EXPIRED_READ_LIMIT
        )

        checks: list[OutcomeCheck] = []
        for window, predictions in group_by_window(expired):
            runs = await self._read_window(tenant_id, window, predictions)
            for prediction in predictions:
                checks.append(await self._record(tenant_id, window, prediction, runs))
        return checks

    async def _read_window(
        self, tenant_id: str, window: ValidityWindow, predictions: Sequence[PredictionEvent]
    ) -> WindowRuns:
        failure_subjects = sorted(
            {
                p.subject_id
                for p in predictions
                if p.prediction_type is PredictionType.FAILURE_LIKELIHOOD
            }
        )
        has_cost = any(p.prediction_type is PredictionType.COST_OVERRUN for p in predictions)
        totals: dict[str, WorkerRunTotals] = {}
        cost_runs: list[WorkerRun] = []

        if failure_subjects:
            rows = await self._port.fetch_run_totals(
                tenant_id,
                start=window.start,
                end=window.end,
                worker_ids=failure_subjects,
                include_synthetic=self._settings.include_synthetic,
            )
            totals = {row.worker_id: row for row in rows}
        if has_cost:
            cost_runs = await self._port.fetch_cost_runs(
                tenant_id,
                start=window.start,
                end=window.end,
                limit=COST_RUN_READ_LIMIT,
                include_synthetic=self._settings.include_synthetic,
            )
            self._note_cut(
                "fetch_cost_runs (validity window)", tenant_id, cost_runs, COST_RUN_READ_LIMIT
            )
        return WindowRuns(totals, cost_runs)

    async def _record(
        self, tenant_id: str, window: ValidityWindow, prediction: PredictionEvent, runs: WindowRuns
    ) -> OutcomeCheck:
        outcome, value = judge(prediction, runs, self._settings)
        result = await self._port.record_prediction_outcome(
            tenant_id, prediction_id=prediction.id, outcome=outcome, outcome_value=value
        )
        logger.debug("outcome of %s (%s): %s", prediction.id, prediction.subject_id, outcome.value)
        return OutcomeCheck(
            prediction_id=prediction.id,
            prediction_type=prediction.prediction_type,
            subject_type=prediction.subject_type,
            subject_id=prediction.subject_id,
            window_start=window.start,
            window_end=window.end,
            outcome=outcome,
            outcome_value=value,
            write_outcome=result.outcome,
        )

    def _note_cut(self, read: str, tenant_id: str, rows: Sequence[object], limit: int) -> None:
        if len(rows) < limit:
            return
        self.truncated = True
        logger.warning(
            "%s for %s returned its limit of %s rows, so some may be missing",
            read,
            tenant_id,
            limit,
        )
