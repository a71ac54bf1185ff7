"""Cost-overrun rule of the predictor.

The mean cost of a worker's newest runs is compared with the mean of its
earlier runs. If that trend continues for one more window, the projected mean
is ``recent × trend``; a projection far enough above the historical mean
predicts an overrun.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from analytics.domain import NewPrediction, PredictionType, SubjectType, WorkerRun
from analytics.domain.prediction_reports import SkipReason
from analytics.engines.decimals import (
    CONTEXT,
    format_6,
    format_usd,
    iso_utc,
    mean_usd,
    percent_change,
    ratio,
    round_6,
    round_usd,
)
from analytics.engines.pattern_rules import group_by_worker
from analytics.engines.predictor_common import ADVISORY_NOTE, Evaluation, InputWindow
from analytics.engines.settings import PredictionSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CostTrend:
    """Recent and historical mean cost of one worker and the overrun they project."""

    recent_mean_usd: Decimal
    historical_mean_usd: Decimal
    trend: Decimal
    projected_mean_usd: Decimal
    overrun_pct: Decimal
    recent_runs: int
    historical_runs: int

    @property
    def runs_used(self) -> int:
        """Recent plus historical runs."""
        return self.recent_runs + self.historical_runs


def cost_trend(costs: Sequence[Decimal], recent_runs: int) -> CostTrend | None:
    """Return the trend of costs ordered newest first, or ``None`` when the history mean is 0.

    ``trend = recent mean / historical mean`` is rounded to six places first,
    and the projection ``recent mean × trend`` is derived from that rounded
    trend and rounded to whole nano-dollars.
    """
    recent, history = costs[:recent_runs], costs[recent_runs:]
    recent_mean, historical_mean = mean_usd(recent), mean_usd(history)
    if historical_mean == 0:
        return None

    trend = ratio(recent_mean, historical_mean)
    with localcontext(CONTEXT):
        projected = round_usd(recent_mean * trend)
    return CostTrend(
        recent_mean_usd=recent_mean,
        historical_mean_usd=historical_mean,
        trend=trend,
        projected_mean_usd=projected,
        overrun_pct=percent_change(projected, historical_mean),
        recent_runs=len(recent),
        historical_runs=len(history),
    )


def cost_confidence(trend: CostTrend, settings: PredictionSettings) -> Decimal:
    """Return ``min(cap, overrun / 100) × min(1, runs used / runs for full confidence)``."""
    with localcontext(CONTEXT):
        size = min(Decimal(settings.cost_confidence_cap), trend.overrun_pct / 100)
        volume = min(Decimal(1), Decimal(trend.runs_used) / settings.cost_full_confidence_runs)
        return round_6(max(Decimal(0), size * volume))


def cost_evaluations(
    runs: Sequence[WorkerRun], window: InputWindow, settings: PredictionSettings
) -> list[Evaluation]:
    """Evaluate every worker with a costed run in the window, in worker-id order."""
    return [
        evaluate_cost(worker_id, worker_runs, window, settings)
        for worker_id, worker_runs in sorted(group_by_worker(runs).items())
    ]


def evaluate_cost(
    worker_id: str, runs: Sequence[WorkerRun], window: InputWindow, settings: PredictionSettings
) -> Evaluation:
    """Predict a cost overrun for one worker, or return the reason for none.

    The runs come newest first, and at most ``cost_max_runs`` of them are
    used. Fewer than ``cost_recent_runs + cost_min_historical_runs`` give
    ``insufficient_history``, and a rounded overrun below ``cost_overrun_pct``
    gives ``below_threshold``.
    """
    kind = PredictionType.COST_OVERRUN
    used = runs[: settings.cost_max_runs]
    if len(used) < settings.cost_recent_runs + settings.cost_min_historical_runs:
        logger.debug("cost of %s: %s costed runs, too few", worker_id, len(used))
        return Evaluation.skip(worker_id, kind, SkipReason.INSUFFICIENT_HISTORY)

    trend = cost_trend([_cost(run) for run in used], settings.cost_recent_runs)
    if trend is None:
        return Evaluation.skip(worker_id, kind, SkipReason.INSUFFICIENT_HISTORY)
    logger.debug("cost of %s: trend %s, overrun %s %%", worker_id, trend.trend, trend.overrun_pct)
    if trend.overrun_pct < settings.cost_overrun_pct:
        return Evaluation.skip(worker_id, kind, SkipReason.BELOW_THRESHOLD)

    prediction = NewPrediction(
        prediction_type=kind,
        subject_type=SubjectType.WORKER,
        subject_id=worker_id,
        confidence=cost_confidence(trend, settings),
        prediction_value=cost_value(trend, window, settings),
        contributing_factors=cost_factors(trend, used),
        created_at=window.end,
        expires_at=window.end + settings.validity,
        notes=ADVISORY_NOTE,
    )
    return Evaluation(worker_id, kind, prediction, None)


def cost_value(
    trend: CostTrend, window: InputWindow, settings: PredictionSettings
) -> dict[str, Any]:
    """Return the JSON value of a cost-overrun prediction."""
    return {
        "recent_mean_usd": format_usd(trend.recent_mean_usd),
        "historical_mean_usd": format_usd(trend.historical_mean_usd),
        "trend": format_6(trend.trend),
        "projected_mean_usd": format_usd(trend.projected_mean_usd),
        "overrun_pct": format_6(trend.overrun_pct),
        "threshold_pct": format_6(settings.cost_overrun_pct),
        "recent_runs": trend.recent_runs,
        "historical_runs": trend.historical_runs,
        "window_start": iso_utc(window.start),
        "window_end": iso_utc(window.end),
    }


def cost_factors(trend: CostTrend, runs: Sequence[WorkerRun]) -> list[dict[str, Any]]:
    """List what made the prediction: the trend and the recent runs behind it."""
    return [
        {
            "factor": "cost_trend",
            "trend": format_6(trend.trend),
            "recent_mean_usd": format_usd(trend.recent_mean_usd),
            "historical_mean_usd": format_usd(trend.historical_mean_usd),
        },
        {
            "factor": "recent_runs",
            "run_ids": [run.id for run in runs[: trend.recent_runs]],
        },
    ]


def _cost(run: WorkerRun) -> Decimal:
    # The cost-run read returns only completed runs with a cost above zero.
    if run.cost_usd is None:
        raise ValueError(f"worker run {run.id} has no cost, but the cost-run read returned it")
    return run.cost_usd
