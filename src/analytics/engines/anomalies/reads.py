"""The fixed list of reads of one detection.

Every read is one port call whose count does not grow with the number of users,
features or budgets: per-entity data comes from batch reads of up to 1,000 ids.
The reads are, in order:

1. active budgets; 2. tenant spend on ``D``; 3. tenant spike baseline;
4, 5. user and feature spend on ``D``; 6, 7. their spike baselines;
8, 9. drift rolling and baseline summaries; 10. the tenant's drift tracker;
11. tenant month to date; 12 to 15. budgeted users' and features' spend on
``D`` and month to date; 16. the tenant's breach streak; 17, 18. user and
feature breach streaks; 19 to 21. the tenant's retry, prompt and request
comparisons; 22, 23. user and feature day activity; 24, 25. spend per feature
over the drift windows; 26. recently resolved anomalies; 27. open spike
anomalies of yesterday, read only when a streak fills its whole look-back.

Reads that a detection does not need (no budgets, no breach, no raised spike)
are skipped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from analytics.domain import (
    AnomalyType,
    BreachType,
    Budget,
    CostAnomaly,
    DailySpendSummary,
    DriftTracker,
    EntityDailySpendSummary,
    EntityDayActivity,
    EntityDimension,
    EntitySpend,
    EntityType,
    FeatureCostBreakdown,
    PromptComparison,
    RequestComparison,
    RetryComparison,
    day_bounds,
    range_bounds,
)
from analytics.engines.anomalies.windows import DetectionWindows
from analytics.engines.settings import MAX_ENTITY_IDS, AnomalySettings
from analytics.ports import UnitOfWork

logger = logging.getLogger(__name__)

T = TypeVar("T")

BUDGET_LIMIT = 10_000
"""``limit`` of the active-budget read (the port's maximum)."""

FEATURE_BREAKDOWN_LIMIT = 50
"""``limit`` of the spend-per-feature reads used by drift causes."""

ANOMALY_LIST_LIMIT = 1000
"""``limit`` of the anomaly list reads (the port's maximum)."""

DIMENSIONS = (EntityDimension.USER, EntityDimension.FEATURE)
"""Entity dimensions in the order they are read and evaluated."""


@dataclass(frozen=True)
class TenantDayComparison:
    """Retry, prompt and request counts of the tenant on a day and the day before."""

    retries: RetryComparison
    prompts: PromptComparison
    requests: RequestComparison


@dataclass(frozen=True)
class DetectionInputs:
    """Results of reads 1 to 10, which every detection makes."""

    budgets: list[Budget]
    tenant_today_usd: Decimal
    tenant_baseline: DailySpendSummary
    entity_today: dict[EntityDimension, list[EntitySpend]]
    entity_baselines: dict[EntityDimension, dict[str, EntityDailySpendSummary]]
    drift_rolling: DailySpendSummary
    drift_baseline: DailySpendSummary
    drift_tracker: DriftTracker | None


@dataclass
class DetectionReader:
    """Makes the reads of one detection inside its unit of work and notes cut lists."""

    uow: UnitOfWork
    tenant_id: str
    settings: AnomalySettings
    windows: DetectionWindows
    cut_reads: list[str] = field(default_factory=list)

    async def read_inputs(self) -> DetectionInputs:
        """Make reads 1 to 10."""
        budgets = await self.budgets()
        tenant_today = await self.tenant_today_spend()
        tenant_baseline = await self.tenant_spike_baseline()
        entity_today = {
            dimension: await self.entity_today_spend(dimension) for dimension in DIMENSIONS
        }
        entity_baselines = {
            dimension: await self.entity_spike_baselines(dimension, entity_today[dimension])
            for dimension in DIMENSIONS
        }
        return DetectionInputs(
            budgets=budgets,
            tenant_today_usd=tenant_today,
            tenant_baseline=tenant_baseline,
            entity_today=entity_today,
            entity_baselines=entity_baselines,
            drift_rolling=await self.drift_rolling(),
            drift_baseline=await self.drift_baseline(),
            drift_tracker=await self.drift_tracker(),
        )

    # Reads 1 to 10.

    async def budgets(self) -> list[Budget]:
        """Read 1: the tenant's active budgets."""
        call = self.uow.cost_anomalies.list_active_budgets(self.tenant_id, limit=BUDGET_LIMIT)
        budgets = await _timed("list_active_budgets", call)
        self._note_limit("list_active_budgets", len(budgets), BUDGET_LIMIT)
        return budgets

    async def tenant_today_spend(self) -> Decimal:
        """Read 2: the tenant's spend on ``D``."""
        call = self.uow.cost_anomalies.fetch_tenant_today_spend(
            self.tenant_id,
            day=self.windows.day,
            tz=self.settings.tz,
            include_synthetic=self.settings.include_synthetic,
        )
        return await _timed("fetch_tenant_today_spend", call)

    async def tenant_spike_baseline(self) -> DailySpendSummary:
        """Read 3: the tenant's spend over the spike baseline."""
        return await self._tenant_summary(
            self.windows.spike_baseline_start, self.windows.spike_baseline_end
        )

    async def entity_today_spend(self, dimension: EntityDimension) -> list[EntitySpend]:
        """Reads 4 and 5: the largest spenders of one dimension on ``D``."""
        limit = self.settings.max_entities
        call = self.uow.cost_anomalies.fetch_entity_today_spend(
            self.tenant_id,
            dimension=dimension,
            day=self.windows.day,
            tz=self.settings.tz,
            limit=limit,
            include_synthetic=self.settings.include_synthetic,
        )
        spends = await _timed(f"fetch_entity_today_spend({dimension})", call)
        self._note_limit(f"fetch_entity_today_spend({dimension})", len(spends), limit)
        return spends

    async def entity_spike_baselines(
        self, dimension: EntityDimension, spends: Sequence[EntitySpend]
    ) -> dict[str, EntityDailySpendSummary]:
        """Reads 6 and 7: spike baselines of the entities that spent on ``D``."""
        if not spends:
            return {}
        summaries = await self._entity_summaries(
            dimension,
            [spend.entity_id for spend in spends],
            self.windows.spike_baseline_start,
            self.windows.spike_baseline_end,
        )
        return {summary.entity_id: summary for summary in summaries}

    async def drift_rolling(self) -> DailySpendSummary:
        """Read 8: the tenant's spend over the drift rolling window, which ends yesterday."""
        call = self.uow.cost_anomalies.fetch_rolling_avg(
            self.tenant_id,
            last_day=self.windows.yesterday,
            days=self.settings.drift_rolling_days,
            tz=self.settings.tz,
            include_synthetic=self.settings.include_synthetic,
        )
        return await _timed("fetch_rolling_avg", call)

    async def drift_baseline(self) -> DailySpendSummary:
        """Read 9: the tenant's spend over the drift baseline."""
        call = self.uow.cost_anomalies.fetch_baseline_avg(
            self.tenant_id,
            start_day=self.windows.drift_baseline_start,
            end_day=self.windows.drift_baseline_end,
            tz=self.settings.tz,
            include_synthetic=self.settings.include_synthetic,
        )
        return await _timed("fetch_baseline_avg", call)

    async def drift_tracker(self) -> DriftTracker | None:
        """Read 10: the tenant's active drift tracker."""
        call = self.uow.cost_anomalies.fetch_drift_tracking(
            self.tenant_id, entity_type=EntityType.TENANT, entity_id=None
        )
        return await _timed("fetch_drift_tracking", call)

    # Reads 11 to 15: budget spend.

    async def tenant_month_spend(self) -> Decimal:
        """Read 11: the tenant's spend from the first of the month through ``D``."""
        summary = await self._tenant_summary(self.windows.month_start, self.windows.next_day)
        return summary.total_usd

    async def entity_spend(
        self, dimension: EntityDimension, entity_ids: Sequence[str], start_day: date
    ) -> dict[str, Decimal]:
        """Reads 12 to 15: spend of budgeted entities from ``start_day`` through ``D``.

        Ids are read in batches of 1,000; an entity without records spent 0.
        """
        spend: dict[str, Decimal] = {}
        for batch in _batches(entity_ids):
            summaries = await self._entity_summaries(
                dimension, batch, start_day, self.windows.next_day
            )
            spend.update((summary.entity_id, summary.total_usd) for summary in summaries)
        return spend

    # Reads 16 to 18 and 27: breach streaks and long episodes.

    async def tenant_streak(self) -> int:
        """Read 16: the tenant's run of spike breach days ending on ``D``."""
        call = self.uow.cost_anomalies.fetch_consecutive_breaches(
            self.tenant_id,
            entity_type=EntityType.TENANT,
            entity_id=None,
            breach_type=BreachType.ABSOLUTE_SPIKE,
            day=self.windows.day,
            max_days=self.settings.spike_streak_lookback_days,
        )
        return await _timed("fetch_consecutive_breaches", call)

    async def entity_streaks(
        self, entity_type: EntityType, entity_ids: Sequence[str]
    ) -> dict[str, int]:
        """Reads 17 and 18: runs of spike breach days ending on ``D`` of many entities."""
        if not entity_ids:
            return {}
        call = self.uow.cost_anomalies.fetch_breach_streaks(
            self.tenant_id,
            entity_type=entity_type,
            entity_ids=list(entity_ids),
            breach_type=BreachType.ABSOLUTE_SPIKE,
            day=self.windows.day,
            max_days=self.settings.spike_streak_lookback_days,
        )
        streaks = await _timed(f"fetch_breach_streaks({entity_type})", call)
        return {streak.entity_id: streak.days for streak in streaks}

    async def open_spike_anomalies(self) -> list[CostAnomaly]:
        """Read 27: unresolved spike anomalies last detected on the day before ``D``."""
        start, end = day_bounds(self.windows.yesterday, self.settings.tz)
        call = self.uow.cost_anomalies.list_anomalies(
            self.tenant_id,
            start=start,
            end=end,
            resolved=False,
            anomaly_type=AnomalyType.ABSOLUTE_SPIKE,
            limit=ANOMALY_LIST_LIMIT,
        )
        anomalies = await _timed("list_anomalies(open spikes)", call)
        self._note_limit("list_anomalies(open spikes)", len(anomalies), ANOMALY_LIST_LIMIT)
        return anomalies

    # Reads 19 to 25: cause evidence.

    async def tenant_day_comparison(self, day: date) -> TenantDayComparison:
        """Reads 19 to 21: the tenant's retries, prompts and requests on ``day`` and the day before.

        ``day`` is the episode's first day, which may be before ``D``.
        """
        port = self.uow.cost_anomalies
        tz, synthetic = self.settings.tz, self.settings.include_synthetic
        retries = await _timed(
            "fetch_retry_comparison",
            port.fetch_retry_comparison(
                self.tenant_id, day=day, tz=tz, include_synthetic=synthetic
            ),
        )
        prompts = await _timed(
            "fetch_prompt_comparison",
            port.fetch_prompt_comparison(
                self.tenant_id, day=day, tz=tz, include_synthetic=synthetic
            ),
        )
        requests = await _timed(
            "fetch_request_comparison",
            port.fetch_request_comparison(
                self.tenant_id, day=day, tz=tz, include_synthetic=synthetic
            ),
        )
        return TenantDayComparison(retries=retries, prompts=prompts, requests=requests)

    async def entity_activity(
        self, dimension: EntityDimension, entity_ids: Sequence[str], start_day: date
    ) -> list[EntityDayActivity]:
        """Reads 22 and 23: per-day activity of entities from ``start_day`` through ``D``."""
        if not entity_ids:
            return []
        call = self.uow.cost_anomalies.fetch_entity_day_activity(
            self.tenant_id,
            dimension=dimension,
            entity_ids=list(entity_ids),
            start_day=start_day,
            end_day=self.windows.next_day,
            tz=self.settings.tz,
            include_synthetic=self.settings.include_synthetic,
        )
        return await _timed(f"fetch_entity_day_activity({dimension})", call)

    async def feature_costs(self, start_day: date, end_day: date) -> FeatureCostBreakdown:
        """Reads 24 and 25: spend per feature tag over a day range."""
        start, end = range_bounds(start_day, end_day, self.settings.tz)
        call = self.uow.analytics_reads.fetch_cost_by_feature(
            self.tenant_id,
            start=start,
            end=end,
            limit=FEATURE_BREAKDOWN_LIMIT,
            include_synthetic=self.settings.include_synthetic,
        )
        breakdown = await _timed("fetch_cost_by_feature", call)
        name = f"fetch_cost_by_feature({start_day}..{end_day})"
        self._note_limit(name, len(breakdown.items), FEATURE_BREAKDOWN_LIMIT)
        return breakdown

    # Read 26: feedback.

    async def resolved_anomalies(self, now: datetime) -> list[CostAnomaly]:
        """Read 26: resolved anomalies last detected within the suppression look-back."""
        call = self.uow.cost_anomalies.list_anomalies(
            self.tenant_id,
            start=now - timedelta(days=self.settings.resolved_lookback_days),
            end=now + timedelta(microseconds=1),
            resolved=True,
            limit=ANOMALY_LIST_LIMIT,
        )
        anomalies = await _timed("list_anomalies(resolved)", call)
        self._note_limit("list_anomalies(resolved)", len(anomalies), ANOMALY_LIST_LIMIT)
        return anomalies

    # Helpers.

    async def _tenant_summary(self, start_day: date, end_day: date) -> DailySpendSummary:
        call = self.uow.cost_anomalies.fetch_tenant_baseline(
            self.tenant_id,
            start_day=start_day,
            end_day=end_day,
            tz=self.settings.tz,
            include_synthetic=self.settings.include_synthetic,
        )
        return await _timed("fetch_tenant_baseline", call)

    async def _entity_summaries(
        self, dimension: EntityDimension, entity_ids: Sequence[str], start_day: date, end_day: date
    ) -> list[EntityDailySpendSummary]:
        call = self.uow.cost_anomalies.fetch_entity_baseline(
            self.tenant_id,
            dimension=dimension,
            start_day=start_day,
            end_day=end_day,
            tz=self.settings.tz,
            entity_ids=list(entity_ids),
            include_synthetic=self.settings.include_synthetic,
        )
        return await _timed(f"fetch_entity_baseline({dimension})", call)

    def _note_limit(self, name: str, rows: int, limit: int) -> None:
        if rows < limit:
            return
        logger.warning(
            "%s, %s: %s returned its limit of %s rows, so the list may be cut; "
            "findings beyond it are missing from this detection",
            self.tenant_id,
            self.windows.day,
            name,
            limit,
        )
        self.cut_reads.append(name)


async def _timed(name: str, call: Awaitable[T]) -> T:
    started = time.perf_counter()
    result = await call
    logger.debug("port call %s took %.1f ms", name, (time.perf_counter() - started) * 1000)
    return result


def _batches(ids: Sequence[str]) -> list[list[str]]:
    return [list(ids[i : i + MAX_ENTITY_IDS]) for i in range(0, len(ids), MAX_ENTITY_IDS)]
