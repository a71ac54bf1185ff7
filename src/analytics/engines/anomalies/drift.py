"""Drift rule: the tenant's recent average daily spend against its longer baseline.

A day drifts when the rolling average per calendar day divided by the baseline
average reaches ``drift_ratio`` and exceeds it by at least
``drift_min_excess_usd``. Drifting days feed the tenant's drift tracker, which
counts them in a row, and enough of them raise an anomaly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from analytics.domain import (
    BreachType,
    DailySpendSummary,
    DriftObservation,
    DriftTracker,
    EntityType,
    NewBreach,
)
from analytics.domain.detection import Verdict
from analytics.engines.anomalies.numbers import deviation_from_ratio, ratio
from analytics.engines.settings import MAX_STREAK_DAYS, AnomalySettings
from analytics.ports import UnitOfWork

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DriftCheck:
    """The drift rule applied to the tenant's rolling and baseline windows.

    ``verdict`` is ``insufficient_history``, ``normal``, or ``breach_pending``
    for a drifting day. ``ratio`` is ``None`` with insufficient history.
    """

    rolling: DailySpendSummary
    baseline: DailySpendSummary
    verdict: Verdict
    ratio: Decimal | None

    @property
    def rolling_avg_usd(self) -> Decimal:
        """Average spend per calendar day of the rolling window."""
        return self.rolling.avg_per_calendar_day_usd

    @property
    def baseline_avg_usd(self) -> Decimal:
        """Average spend per calendar day of the baseline window."""
        return self.baseline.avg_per_calendar_day_usd

    @property
    def drifting(self) -> bool:
        """Whether the day drifts."""
        return self.verdict is Verdict.BREACH_PENDING

    @property
    def deviation_pct(self) -> Decimal:
        """``(ratio - 1) × 100`` from the rounded ratio; only for a computed ratio."""
        if self.ratio is None:
            raise ValueError("a drift check with insufficient history has no deviation")
        return deviation_from_ratio(self.ratio)


@dataclass(frozen=True)
class DriftResult:
    """The drift rule's verdict on ``D`` and the tracker after its writes.

    ``verdict`` is ``None`` when the day was skipped because the tracker was
    already checked on a later day (a backfill of an older day).
    """

    check: DriftCheck
    verdict: Verdict | None
    tracker: DriftTracker | None

    @property
    def breach_count(self) -> int:
        """Drifting days in a row, at most 366; 0 without a tracker."""
        if self.tracker is None:
            return 0
        return min(self.tracker.drift_days_count, MAX_STREAK_DAYS)


def check_drift(
    rolling: DailySpendSummary, baseline: DailySpendSummary, settings: AnomalySettings
) -> DriftCheck:
    """Compare the rolling and baseline averages per calendar day."""
    baseline_avg = baseline.avg_per_calendar_day_usd
    if baseline.active_days < settings.drift_min_active_days or baseline_avg == 0:
        return DriftCheck(rolling, baseline, Verdict.INSUFFICIENT_HISTORY, None)

    rolling_avg = rolling.avg_per_calendar_day_usd
    drift_ratio = ratio(rolling_avg, baseline_avg)
    drifts = (
        drift_ratio >= settings.drift_ratio
        and rolling_avg - baseline_avg >= settings.drift_min_excess_usd
    )
    verdict = Verdict.BREACH_PENDING if drifts else Verdict.NORMAL
    return DriftCheck(rolling, baseline, verdict, drift_ratio)


def breaches_of(check: DriftCheck, tracker: DriftTracker | None, day: date) -> list[NewBreach]:
    """Return the breach row of ``D`` when it drifts and the tracker may record it, else ``[]``.

    These are exactly the days on which ``apply_drift`` starts or continues the tracker.
    """
    if not check.drifting or _is_stale(tracker, day):
        return []
    return [_breach_of(check, day)]


async def apply_drift(
    uow: UnitOfWork,
    tenant_id: str,
    check: DriftCheck,
    tracker: DriftTracker | None,
    day: date,
    settings: AnomalySettings,
) -> DriftResult:
    """Record the drift check of ``D`` in the tenant's drift tracker.

    Insufficient history leaves the tracker alone. A drifting day starts or
    continues the tracker, and its breach row comes from ``breaches_of``. The
    port counts a same-day re-run once and restarts the count after a missed
    day. A normal day ends the tracker.
    A tracker already checked after ``D`` is never touched.
    """
    if check.verdict is Verdict.INSUFFICIENT_HISTORY:
        return DriftResult(check, check.verdict, tracker)

    stale = _is_stale(tracker, day)
    if not check.drifting:
        if tracker is not None and not stale:
            await uow.cost_anomalies.reset_drift_tracking(
                tenant_id, entity_type=EntityType.TENANT, entity_id=None
            )
            tracker = None
        return DriftResult(check, Verdict.NORMAL, tracker)

    if stale:
        _log_stale_tracker(tenant_id, tracker, day)
        return DriftResult(check, None, tracker)

    observed = await _observe(uow, tenant_id, check, tracker, day)
    raised = observed.drift_days_count >= settings.drift_consecutive_days
    return DriftResult(check, Verdict.ANOMALY if raised else Verdict.BREACH_PENDING, observed)


def _is_stale(tracker: DriftTracker | None, day: date) -> bool:
    return tracker is not None and tracker.last_check_date > day


async def _observe(
    uow: UnitOfWork,
    tenant_id: str,
    check: DriftCheck,
    tracker: DriftTracker | None,
    day: date,
) -> DriftTracker:
    observation = DriftObservation(
        rolling_avg_usd=check.rolling_avg_usd,
        baseline_avg_usd=check.baseline_avg_usd,
        drift_pct=check.deviation_pct,
    )
    port = uow.cost_anomalies
    if tracker is None:
        result = await port.insert_drift_tracking(
            tenant_id,
            entity_type=EntityType.TENANT,
            entity_id=None,
            observation=observation,
            day=day,
        )
    else:
        result = await port.update_drift_tracking(
            tenant_id, tracker_id=tracker.id, observation=observation, day=day
        )
    return result.record


def _breach_of(check: DriftCheck, day: date) -> NewBreach:
    return NewBreach(
        entity_type=EntityType.TENANT,
        entity_id=None,
        breach_type=BreachType.SUSTAINED_DRIFT,
        breach_date=day,
        deviation_pct=check.deviation_pct,
        current_value_usd=check.rolling_avg_usd,
        baseline_value_usd=check.baseline_avg_usd,
    )


def _log_stale_tracker(tenant_id: str, tracker: DriftTracker | None, day: date) -> None:
    last_check = tracker.last_check_date if tracker is not None else None
    logger.warning(
        "%s, %s: drift skipped because the drift tracker was last checked on %s, after this "
        "day; detect later days in order to continue it",
        tenant_id,
        day,
        last_check,
    )


def log_check(tenant_id: str, check: DriftCheck) -> None:
    """Log the drift check with its numbers at DEBUG."""
    logger.debug(
        "%s: drift: rolling %s per day, baseline %s per day, ratio %s, baseline active days %s: %s",
        tenant_id,
        check.rolling_avg_usd,
        check.baseline_avg_usd,
        check.ratio,
        check.baseline.active_days,
        check.verdict,
    )
