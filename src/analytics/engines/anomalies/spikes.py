"""Spike rule: today's spend of a user, a feature or the tenant against its usual spend.

A scope breaches when its spend on ``D`` divided by its expected spend reaches
``spike_ratio`` and exceeds it by at least ``spike_min_excess_usd``. A breach is
recorded for the day, and a run of breach days raises an anomaly whose period
starts on the episode's first day.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from analytics.domain import (
    BreachType,
    CostAnomaly,
    DailySpendSummary,
    EntityType,
    NewBreach,
)
from analytics.domain.detection import Verdict
from analytics.engines.anomalies.numbers import deviation_from_ratio, ratio
from analytics.engines.settings import MAX_STREAK_DAYS, AnomalySettings, SpikeDenominator

logger = logging.getLogger(__name__)

ScopeKey = tuple[EntityType, str | None]
"""A scope of the spike rule: the entity type and id, ``None`` for the tenant."""


@dataclass(frozen=True)
class SpikeScope:
    """A user, a feature or the tenant with its spend on ``D`` and its spike baseline."""

    entity_type: EntityType
    entity_id: str | None
    current_usd: Decimal
    baseline: DailySpendSummary

    @property
    def key(self) -> ScopeKey:
        """The scope's entity type and id."""
        return (self.entity_type, self.entity_id)


@dataclass(frozen=True)
class SpikeCheck:
    """The spike rule applied to one scope, before its breach streak is known.

    ``verdict`` is ``insufficient_history``, ``normal``, or ``breach_pending``
    for a day that breaches. ``expected_usd`` and ``ratio`` are ``None`` with
    insufficient history.
    """

    scope: SpikeScope
    verdict: Verdict
    expected_usd: Decimal | None
    ratio: Decimal | None

    @property
    def breaches(self) -> bool:
        """Whether the day breaches and gets a breach row."""
        return self.verdict is Verdict.BREACH_PENDING

    @property
    def deviation_pct(self) -> Decimal:
        """``(ratio - 1) × 100`` from the rounded ratio; only for a computed ratio."""
        if self.ratio is None:
            raise ValueError("a spike check with insufficient history has no deviation")
        return deviation_from_ratio(self.ratio)


@dataclass(frozen=True)
class SpikeEpisode:
    """A breaching scope with its streak: an anomaly or a pending breach.

    ``first_day`` is the episode's first day ``S`` and ``breach_count`` its
    length in days. ``continued`` is the open anomaly of yesterday whose
    episode goes back further than the streak read covers, if any.
    """

    check: SpikeCheck
    streak_days: int
    verdict: Verdict
    first_day: date
    breach_count: int
    continued: CostAnomaly | None = None


def expected_spend(baseline: DailySpendSummary, denominator: SpikeDenominator) -> Decimal | None:
    """Return the baseline average the settings choose as expected spend."""
    if denominator is SpikeDenominator.CALENDAR_DAY:
        return baseline.avg_per_calendar_day_usd
    return baseline.avg_per_active_day_usd


def check_spike(scope: SpikeScope, settings: AnomalySettings) -> SpikeCheck:
    """Apply the spike rule to one scope's spend on ``D``."""
    expected = expected_spend(scope.baseline, settings.spike_denominator)
    too_few_days = scope.baseline.active_days < settings.spike_min_active_days
    if too_few_days or expected is None or expected == 0:
        return SpikeCheck(scope, Verdict.INSUFFICIENT_HISTORY, None, None)

    spike_ratio = ratio(scope.current_usd, expected)
    excess = scope.current_usd - expected
    if spike_ratio < settings.spike_ratio or excess < settings.spike_min_excess_usd:
        return SpikeCheck(scope, Verdict.NORMAL, expected, spike_ratio)
    return SpikeCheck(scope, Verdict.BREACH_PENDING, expected, spike_ratio)


def breach_of(check: SpikeCheck, day: date) -> NewBreach:
    """Return the breach row of a breaching check."""
    if check.expected_usd is None:
        raise ValueError("only a breaching spike check has a breach row")
    return NewBreach(
        entity_type=check.scope.entity_type,
        entity_id=check.scope.entity_id,
        breach_type=BreachType.ABSOLUTE_SPIKE,
        breach_date=day,
        deviation_pct=check.deviation_pct,
        current_value_usd=check.scope.current_usd,
        baseline_value_usd=check.expected_usd,
    )


def breaches_of(checks: Iterable[SpikeCheck], day: date) -> list[NewBreach]:
    """Return one spike breach row per breaching check."""
    return [breach_of(check, day) for check in checks if check.breaches]


def decide_episode(
    check: SpikeCheck, streak_days: int, day: date, settings: AnomalySettings
) -> SpikeEpisode:
    """Turn a breaching check and its streak into an anomaly or a pending breach."""
    if check.ratio is None:
        raise ValueError("only a breaching spike check has an episode")

    # The breach of D was written before the streak was read, so it is at least 1.
    days = max(streak_days, 1)
    immediate = settings.spike_immediate_ratio
    raised = days >= settings.spike_consecutive_days or (
        immediate is not None and check.ratio >= immediate
    )
    verdict = Verdict.ANOMALY if raised else Verdict.BREACH_PENDING
    first_day = day - timedelta(days=days - 1)
    return SpikeEpisode(check, days, verdict, first_day, days)


def needs_episode_history(episode: SpikeEpisode, settings: AnomalySettings) -> bool:
    """Report whether the streak filled its look-back, so the episode may have begun earlier."""
    return (
        episode.verdict is Verdict.ANOMALY
        and episode.streak_days >= settings.spike_streak_lookback_days
    )


def continue_episode(
    episode: SpikeEpisode, open_anomalies: Mapping[ScopeKey, CostAnomaly], day: date
) -> SpikeEpisode:
    """Extend an episode to the first day of yesterday's open anomaly of the same scope.

    The episode keeps that anomaly's first day, and its breach count is the
    number of days since then, at most 366.
    """
    anomaly = open_anomalies.get(episode.check.scope.key)
    if anomaly is None or anomaly.period_start >= episode.first_day:
        return episode

    days = (day - anomaly.period_start).days + 1
    return replace(
        episode,
        first_day=anomaly.period_start,
        breach_count=min(days, MAX_STREAK_DAYS),
        continued=anomaly,
    )


def open_anomalies_by_scope(anomalies: Iterable[CostAnomaly]) -> dict[ScopeKey, CostAnomaly]:
    """Index open spike anomalies by scope, keeping the earliest period of each."""
    by_scope: dict[ScopeKey, CostAnomaly] = {}
    for anomaly in anomalies:
        key = (anomaly.entity_type, anomaly.entity_id)
        known = by_scope.get(key)
        if known is None or anomaly.period_start < known.period_start:
            by_scope[key] = anomaly
    return by_scope


def log_check(tenant_id: str, check: SpikeCheck) -> None:
    """Log one evaluated scope with its numbers at DEBUG."""
    scope = check.scope
    logger.debug(
        "%s: spike of %s %s: spend %s, expected %s, ratio %s, baseline active days %s: %s",
        tenant_id,
        scope.entity_type,
        scope.entity_id,
        scope.current_usd,
        check.expected_usd,
        check.ratio,
        scope.baseline.active_days,
        check.verdict,
    )
