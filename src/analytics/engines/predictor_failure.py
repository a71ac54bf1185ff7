"""Failure-likelihood rule of the predictor, with the Wilson score interval.

A worker with enough terminal runs in the input window is predicted to keep
failing when its failure rate reaches the threshold. The confidence is how
narrow the Wilson interval around that rate is: ``1 - 2 × half-width``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from analytics.domain import (
    NewPrediction,
    PatternFeedback,
    PredictionType,
    SubjectType,
    WorkerRun,
    WorkerRunTotals,
)
from analytics.domain.prediction_reports import SkipReason
from analytics.engines.decimals import CONTEXT, format_6, iso_utc, ratio, round_6
from analytics.engines.predictor_common import ADVISORY_NOTE, Evaluation, InputWindow
from analytics.engines.settings import PredictionSettings
from analytics.engines.signatures import error_signature

logger = logging.getLogger(__name__)

HIGH_FAILURE_LIKELIHOOD = "high_failure_likelihood"
"""``outcome`` stored in the value of a failure-likelihood prediction."""

MAX_ERROR_SAMPLES = 3
"""Error samples of distinct signatures listed among a prediction's factors."""

ERROR_SAMPLE_CHARS = 100
"""Characters of each listed error sample."""

MAX_PATTERN_SIGNATURES = 5
"""Signatures of open failure patterns listed among a prediction's factors."""


@dataclass(frozen=True)
class WilsonInterval:
    """Wilson score interval of a rate, with six places.

    ``confidence`` is ``1 - 2 × half-width``, so a narrow interval is a
    confident one. The half-width is always below 0.5, so the confidence is
    above 0.
    """

    low: Decimal
    high: Decimal
    confidence: Decimal


def wilson_interval(failures: int, trials: int, z: Decimal) -> WilsonInterval:
    """Return the Wilson score interval of ``failures / trials`` for the normal quantile ``z``.

    ``centre = (p + z²/2n) / (1 + z²/n)`` and
    ``half = z × sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n)``, computed in a 28-digit
    context and rounded half to even to six places at the end. ``trials``
    must be above 0.
    """
    if trials <= 0:
        raise ValueError(f"trials must be greater than 0, got {trials}")

    with localcontext(CONTEXT):
        n = Decimal(trials)
        p = Decimal(failures) / n
        z_squared = z * z
        scale = 1 + z_squared / n
        centre = (p + z_squared / (2 * n)) / scale
        half = z * (p * (1 - p) / n + z_squared / (4 * n * n)).sqrt() / scale
        confidence = 1 - 2 * half

    return WilsonInterval(round_6(centre - half), round_6(centre + half), round_6(confidence))


@dataclass(frozen=True)
class FailureInputs:
    """Run totals, failed runs and open failure patterns of one tenant, read for all workers."""

    totals: Sequence[WorkerRunTotals]
    failed_runs: Sequence[WorkerRun]
    open_patterns: Sequence[PatternFeedback]


def failure_evaluations(
    inputs: FailureInputs, window: InputWindow, settings: PredictionSettings
) -> list[Evaluation]:
    """Evaluate every worker with a terminal run in the window, in worker-id order."""
    return [
        evaluate_failure(worker_totals, inputs, window, settings)
        for worker_totals in sorted(inputs.totals, key=lambda row: row.worker_id)
    ]


def evaluate_failure(
    totals: WorkerRunTotals,
    inputs: FailureInputs,
    window: InputWindow,
    settings: PredictionSettings,
) -> Evaluation:
    """Predict failures for one worker, or return the reason for no prediction.

    Fewer than ``failure_min_runs`` terminal runs give ``insufficient_history``;
    a rounded failure rate below ``failure_rate_threshold`` gives
    ``below_threshold``.
    """
    worker_id = totals.worker_id
    kind = PredictionType.FAILURE_LIKELIHOOD
    if totals.terminal < settings.failure_min_runs:
        logger.debug("failure of %s: %s terminal runs, too few", worker_id, totals.terminal)
        return Evaluation.skip(worker_id, kind, SkipReason.INSUFFICIENT_HISTORY)

    rate = ratio(totals.failures, totals.terminal)
    logger.debug("failure of %s: %s of %s runs failed", worker_id, totals.failures, totals.terminal)
    if rate < settings.failure_rate_threshold:
        return Evaluation.skip(worker_id, kind, SkipReason.BELOW_THRESHOLD)

    interval = wilson_interval(totals.failures, totals.terminal, settings.confidence_z)
    prediction = NewPrediction(
        prediction_type=kind,
        subject_type=SubjectType.WORKER,
        subject_id=worker_id,
        confidence=interval.confidence,
        prediction_value=failure_value(totals, rate, interval, window, settings),
        contributing_factors=failure_factors(totals, rate, inputs),
        created_at=window.end,
        expires_at=window.end + settings.validity,
        notes=ADVISORY_NOTE,
    )
    return Evaluation(worker_id, kind, prediction, None)


def failure_value(
    totals: WorkerRunTotals,
    rate: Decimal,
    interval: WilsonInterval,
    window: InputWindow,
    settings: PredictionSettings,
) -> dict[str, Any]:
    """Return the JSON value of a failure-likelihood prediction."""
    return {
        "outcome": HIGH_FAILURE_LIKELIHOOD,
        "failure_rate": format_6(rate),
        "rate_low": format_6(interval.low),
        "rate_high": format_6(interval.high),
        "failures": totals.failures,
        "terminal": totals.terminal,
        "threshold": format_6(settings.failure_rate_threshold),
        "window_start": iso_utc(window.start),
        "window_end": iso_utc(window.end),
    }


def failure_factors(
    totals: WorkerRunTotals, rate: Decimal, inputs: FailureInputs
) -> list[dict[str, Any]]:
    """List what made the prediction: rate, failure counts, error samples, open patterns."""
    worker_id = totals.worker_id
    signatures = open_pattern_signatures(worker_id, inputs.open_patterns)
    return [
        {
            "factor": "failure_rate",
            "failure_rate": format_6(rate),
            "failures": totals.failures,
            "terminal": totals.terminal,
        },
        {"factor": "failure_counts", "failed": totals.failed, "crashed": totals.crashed},
        *error_samples(worker_id, inputs.failed_runs),
        {
            "factor": "open_failure_patterns",
            "count": len(signatures),
            "signatures": signatures[:MAX_PATTERN_SIGNATURES],
        },
    ]


def error_samples(worker_id: str, failed_runs: Sequence[WorkerRun]) -> list[dict[str, Any]]:
    """Return up to three error texts of the worker's newest failures, one per signature."""
    samples: list[dict[str, Any]] = []
    seen: set[str] = set()
    for run in failed_runs:
        if run.worker_id != worker_id or not run.error or not run.error.strip():
            continue
        _, signature = error_signature(run.error)
        if signature in seen:
            continue
        seen.add(signature)
        samples.append(
            {
                "factor": "error_sample",
                "signature": signature,
                "error": run.error[:ERROR_SAMPLE_CHARS],
            }
        )
        if len(samples) == MAX_ERROR_SAMPLES:
            break
    return samples


def open_pattern_signatures(worker_id: str, patterns: Sequence[PatternFeedback]) -> list[str]:
    """Return signatures of open failure patterns whose ``metadata.workers`` names the worker."""
    return [
        pattern.signature
        for pattern in patterns
        if isinstance(workers := (pattern.metadata or {}).get("workers"), dict)
        and worker_id in workers
    ]
