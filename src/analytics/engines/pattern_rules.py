"""Pure rules of the pattern detector: group failed runs by signature, find cost spikes.

The functions here take runs as read (newest first) and return the feedback
rows to store. They do no I/O, so the same runs always give the same rows.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from analytics.domain import (
    FeedbackSeverity,
    NewPatternFeedback,
    PatternType,
    RunStatus,
    WorkerRun,
)
from analytics.engines.decimals import (
    describe_duration,
    format_6,
    format_usd,
    iso_utc,
    mean_usd,
    percent_change,
    whole_minutes,
)
from analytics.engines.settings import PatternSettings
from analytics.engines.signatures import failure_signature

logger = logging.getLogger(__name__)

COST_SPIKE_PREFIX = "cost_spike:"
"""Start of a cost spike's signature; the worker id follows."""

DESCRIPTION_ERROR_CHARS = 200
"""Characters of the normalised error text quoted in a failure pattern's description."""

MAX_WORKERS_LISTED = 20
"""Workers, largest run count first, listed in a failure pattern's metadata."""

# The port rejects JSON metadata above 16 KiB (compact UTF-8).
_MAX_METADATA_BYTES = 16 * 1024


@dataclass
class FailureGroup:
    """Failed and crashed runs that share one error signature, newest first."""

    signature: str
    normalised: str
    runs: list[WorkerRun] = field(default_factory=list)


@dataclass(frozen=True)
class DetectionContext:
    """Detection time, settings and read state shared by the feedback rows of one detection."""

    settings: PatternSettings
    detected_at: datetime
    failed_read_truncated: bool


def group_failures(runs: Sequence[WorkerRun]) -> list[FailureGroup]:
    """Group failed runs by error signature, keeping each group's runs in read order."""
    groups: dict[str, FailureGroup] = {}
    for run in runs:
        normalised, signature = failure_signature(run.error, run.worker_id)
        group = groups.setdefault(signature, FailureGroup(signature, normalised))
        group.runs.append(run)
    return list(groups.values())


def failure_patterns(
    runs: Sequence[WorkerRun], context: DetectionContext
) -> list[NewPatternFeedback]:
    """Return a failure pattern for each signature with enough runs, largest group first."""
    minimum = context.settings.failure_min_occurrences
    groups = [group for group in group_failures(runs) if len(group.runs) >= minimum]
    groups.sort(key=lambda group: (-len(group.runs), group.signature))
    for group in groups:
        logger.debug("failure signature %s: %s runs", group.signature, len(group.runs))
    return [failure_feedback(group, context) for group in groups]


def failure_feedback(group: FailureGroup, context: DetectionContext) -> NewPatternFeedback:
    """Build the feedback row of one failure group."""
    settings = context.settings
    count = len(group.runs)
    severity = (
        FeedbackSeverity.CRITICAL
        if count >= settings.failure_critical_occurrences
        else FeedbackSeverity.WARNING
    )
    window_minutes = whole_minutes(settings.failure_window)

    return NewPatternFeedback(
        pattern_type=PatternType.FAILURE_PATTERN,
        severity=severity,
        description=failure_description(group, settings),
        signature=group.signature,
        provenance=[run.id for run in group.runs[: settings.provenance_limit]],
        occurrence_count=count,
        detected_at=context.detected_at,
        time_window_minutes=window_minutes,
        threshold_used=f">= {settings.failure_min_occurrences} runs in {window_minutes} min",
        metadata=fit_metadata(failure_metadata(group, context)),
    )


def failure_description(group: FailureGroup, settings: PatternSettings) -> str:
    """Describe a failure group in one sentence quoting its normalised error."""
    count = len(group.runs)
    runs = "run" if count == 1 else "runs"
    verb = "shares" if count == 1 else "share"
    window = describe_duration(settings.failure_window)
    quoted = group.normalised[:DESCRIPTION_ERROR_CHARS]
    return f"{count} failed {runs} in the last {window} {verb} this error: {quoted}"


def failure_metadata(group: FailureGroup, context: DetectionContext) -> dict[str, Any]:
    """Return the JSON metadata of a failure group; it holds no clock-derived value."""
    newest, oldest = group.runs[0], group.runs[-1]
    sample = newest.error[: context.settings.sample_chars] if newest.error is not None else None
    statuses = Counter(run.status for run in group.runs)

    return {
        "normalised_error": group.normalised,
        "sample_error": sample,
        "workers": largest_workers(group.runs),
        "statuses": {
            "failed": statuses[RunStatus.FAILED],
            "crashed": statuses[RunStatus.CRASHED],
        },
        "first_seen": iso_utc(oldest.created_at),
        "last_seen": iso_utc(newest.created_at),
        "truncated": context.failed_read_truncated,
    }


def largest_workers(runs: Sequence[WorkerRun]) -> dict[str, int]:
    """Return run counts per worker id: the 20 largest, ties by worker id."""
    counts = Counter(run.worker_id for run in runs)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return dict(ordered[:MAX_WORKERS_LISTED])


def fit_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Shorten the error texts of failure metadata until it fits the port's 16 KiB JSON limit.

    Only texts made mostly of multi-byte characters come near the limit. The
    signature still identifies the full normalised text.
    """
    fitted = dict(metadata)
    while _json_size(fitted) > _MAX_METADATA_BYTES and _halve_texts(fitted):
        pass
    return fitted


def _halve_texts(metadata: dict[str, Any]) -> bool:
    """Cut the error texts of failure metadata to half; return whether any text was left to cut."""
    shortened = False
    for key in ("normalised_error", "sample_error"):
        text = metadata.get(key)
        if isinstance(text, str) and text:
            metadata[key] = text[: len(text) // 2]
            shortened = True
    return shortened


def _json_size(value: dict[str, Any]) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def group_by_worker(runs: Sequence[WorkerRun]) -> dict[str, list[WorkerRun]]:
    """Group runs by worker id, keeping each worker's runs in read order (newest first)."""
    groups: dict[str, list[WorkerRun]] = {}
    for run in runs:
        groups.setdefault(run.worker_id, []).append(run)
    return groups


@dataclass(frozen=True)
class CostComparison:
    """The newest cost of a worker, the mean of its earlier runs, and how far apart they are."""

    newest_cost_usd: Decimal
    mean_cost_usd: Decimal
    spike_pct: Decimal


def cost_spikes(runs: Sequence[WorkerRun], context: DetectionContext) -> list[NewPatternFeedback]:
    """Return a cost spike for each worker whose newest run costs far above its earlier runs.

    Workers are taken in worker-id order.
    """
    spikes = []
    for worker_id, worker_runs in sorted(group_by_worker(runs).items()):
        spike = worker_cost_spike(worker_id, worker_runs, context)
        if spike is not None:
            spikes.append(spike)
    return spikes


def worker_cost_spike(
    worker_id: str, runs: Sequence[WorkerRun], context: DetectionContext
) -> NewPatternFeedback | None:
    """Compare a worker's newest cost with the mean of its earlier runs; ``None`` below threshold.

    A worker with fewer than ``cost_min_runs`` runs is not judged. The mean is
    never zero, because the read returns only runs that cost more than zero,
    but a zero mean would also give ``None``.
    """
    settings = context.settings
    if len(runs) < settings.cost_min_runs:
        logger.debug("cost spike of %s: %s runs, too few to judge", worker_id, len(runs))
        return None

    newest, history = runs[0], runs[1 : 1 + settings.cost_history_runs]
    newest_cost = _cost(newest)
    mean = mean_usd([_cost(run) for run in history])
    if mean == 0:
        return None

    spike_pct = percent_change(newest_cost, mean)
    logger.debug("cost spike of %s: %s against %s, %s %%", worker_id, newest_cost, mean, spike_pct)
    if spike_pct < settings.cost_spike_pct:
        return None
    return cost_spike_feedback(
        worker_id, newest, history, CostComparison(newest_cost, mean, spike_pct), context
    )


def cost_spike_feedback(
    worker_id: str,
    newest: WorkerRun,
    history: Sequence[WorkerRun],
    comparison: CostComparison,
    context: DetectionContext,
) -> NewPatternFeedback:
    """Build the feedback row of one cost spike."""
    settings = context.settings
    severity = (
        FeedbackSeverity.CRITICAL
        if comparison.spike_pct >= settings.cost_critical_pct
        else FeedbackSeverity.WARNING
    )
    threshold = (
        f">= {format(settings.cost_spike_pct, 'f')}% above the mean of up to "
        f"{settings.cost_history_runs} earlier runs"
    )

    return NewPatternFeedback(
        pattern_type=PatternType.COST_SPIKE,
        severity=severity,
        description=cost_spike_description(worker_id, newest, len(history), comparison),
        signature=COST_SPIKE_PREFIX + worker_id,
        provenance=[newest.id, *(run.id for run in history)],
        occurrence_count=1,
        detected_at=context.detected_at,
        time_window_minutes=whole_minutes(settings.cost_window),
        threshold_used=threshold,
        metadata={
            "worker_id": worker_id,
            "newest_run_id": newest.id,
            "newest_cost_usd": format_usd(comparison.newest_cost_usd),
            "mean_cost_usd": format_usd(comparison.mean_cost_usd),
            "spike_pct": format_6(comparison.spike_pct),
            "runs_compared": len(history),
        },
    )


def cost_spike_description(
    worker_id: str, newest: WorkerRun, history_runs: int, comparison: CostComparison
) -> str:
    """Describe a cost spike in one sentence, amounts in dollars to four places."""
    runs = "run" if history_runs == 1 else "runs"
    return (
        f"Run {newest.id} of worker {worker_id} cost ${_dollars(comparison.newest_cost_usd)}, "
        f"{_one_place(comparison.spike_pct)}% above the mean ${_dollars(comparison.mean_cost_usd)} "
        f"of its {history_runs} earlier {runs}."
    )


def _cost(run: WorkerRun) -> Decimal:
    # The costed-run read returns only runs with a cost above zero.
    if run.cost_usd is None:
        raise ValueError(f"worker run {run.id} has no cost, but the costed-run read returned it")
    return run.cost_usd


def _dollars(amount: Decimal) -> str:
    return format(amount.quantize(Decimal("0.0001")), "f")


def _one_place(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.1")), "f")
