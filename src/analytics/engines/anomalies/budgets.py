"""Budget rule: spend on ``D`` and month to date against each active budget's limits.

Usage is ``spend / limit × 100``. At 100 % or more a budget is exceeded
(severity high); at its warning threshold or more it warns (medium, or high
from ``budget_high_pct``). Each limit of a budget is checked on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from analytics.domain import (
    AnomalySeverity,
    AnomalyType,
    Budget,
    BudgetPeriod,
    EntityDimension,
    EntityType,
)
from analytics.domain.detection import Verdict
from analytics.engines.anomalies.numbers import percent
from analytics.engines.anomalies.reads import DetectionReader
from analytics.engines.anomalies.windows import DetectionWindows
from analytics.engines.settings import AnomalySettings

logger = logging.getLogger(__name__)

_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class BudgetSpend:
    """Spend in every budget's scope: on ``D`` and from the first of the month through ``D``.

    Entity spend is keyed by entity type and id; a budgeted entity without
    records spent 0. ``tenant_month_usd`` is ``None`` when no tenant budget has
    a monthly limit.
    """

    tenant_day_usd: Decimal
    tenant_month_usd: Decimal | None = None
    entity_day_usd: dict[EntityType, dict[str, Decimal]] = field(default_factory=dict)
    entity_month_usd: dict[EntityType, dict[str, Decimal]] = field(default_factory=dict)

    def spend_for(self, budget: Budget, period: BudgetPeriod) -> Decimal:
        """Return the spend of a budget's scope in one of its periods."""
        if budget.budget_type is EntityType.TENANT:
            if period is BudgetPeriod.DAILY:
                return self.tenant_day_usd
            if self.tenant_month_usd is None:
                raise ValueError("the tenant's month-to-date spend was not read")
            return self.tenant_month_usd
        by_type = self.entity_day_usd if period is BudgetPeriod.DAILY else self.entity_month_usd
        return by_type.get(budget.budget_type, {}).get(budget.entity_id or "", Decimal("0E-9"))


@dataclass(frozen=True)
class BudgetCheck:
    """One limit of one budget checked on ``D``.

    ``anomaly_type`` and ``severity`` are ``None`` when usage stays below the
    warning threshold.
    """

    budget: Budget
    period: BudgetPeriod
    period_start: date
    spend_usd: Decimal
    limit_usd: Decimal
    usage_pct: Decimal
    anomaly_type: AnomalyType | None
    severity: AnomalySeverity | None

    @property
    def verdict(self) -> Verdict:
        """``anomaly`` when the limit fired, else ``normal``."""
        return Verdict.NORMAL if self.anomaly_type is None else Verdict.ANOMALY

    @property
    def exceeded(self) -> bool:
        """Whether spend reached the limit."""
        return self.anomaly_type is AnomalyType.BUDGET_EXCEEDED

    @property
    def deviation_pct(self) -> Decimal:
        """``(spend - limit) / limit × 100``, from the rounded usage."""
        return self.usage_pct - _HUNDRED

    @property
    def threshold_pct(self) -> Decimal:
        """The threshold that fired on the deviation's scale: 0 when exceeded."""
        if self.exceeded:
            return Decimal("0.000000")
        return Decimal(self.budget.warn_threshold_pct - 100).quantize(Decimal("0.000001"))


async def read_budget_spend(
    reader: DetectionReader, budgets: Sequence[Budget], tenant_day_usd: Decimal
) -> BudgetSpend:
    """Make reads 11 to 15: the spend that the active budgets' limits apply to."""
    tenant_month = None
    if any(_is_tenant(budget) and budget.monthly_limit_usd is not None for budget in budgets):
        tenant_month = await reader.tenant_month_spend()

    day_spend: dict[EntityType, dict[str, Decimal]] = {}
    month_spend: dict[EntityType, dict[str, Decimal]] = {}
    for dimension in (EntityDimension.USER, EntityDimension.FEATURE):
        entity_type = EntityType(dimension.value)
        daily_ids = _budgeted_ids(budgets, entity_type, BudgetPeriod.DAILY)
        monthly_ids = _budgeted_ids(budgets, entity_type, BudgetPeriod.MONTHLY)
        if daily_ids:
            day = reader.windows.day
            day_spend[entity_type] = await reader.entity_spend(dimension, daily_ids, day)
        if monthly_ids:
            month = reader.windows.month_start
            month_spend[entity_type] = await reader.entity_spend(dimension, monthly_ids, month)
    return BudgetSpend(tenant_day_usd, tenant_month, day_spend, month_spend)


def check_budgets(
    budgets: Iterable[Budget],
    spend: BudgetSpend,
    windows: DetectionWindows,
    settings: AnomalySettings,
) -> list[BudgetCheck]:
    """Check every limit of every budget, daily before monthly."""
    checks = []
    for budget in budgets:
        if budget.daily_limit_usd is not None:
            spent = spend.spend_for(budget, BudgetPeriod.DAILY)
            checks.append(
                check_limit(
                    budget, BudgetPeriod.DAILY, windows.day, spent, budget.daily_limit_usd, settings
                )
            )
        if budget.monthly_limit_usd is not None:
            spent = spend.spend_for(budget, BudgetPeriod.MONTHLY)
            checks.append(
                check_limit(
                    budget,
                    BudgetPeriod.MONTHLY,
                    windows.month_start,
                    spent,
                    budget.monthly_limit_usd,
                    settings,
                )
            )
    return checks


def check_limit(
    budget: Budget,
    period: BudgetPeriod,
    period_start: date,
    spend_usd: Decimal,
    limit_usd: Decimal,
    settings: AnomalySettings,
) -> BudgetCheck:
    """Check one limit: exceeded at 100 % usage, a warning at the budget's threshold."""
    usage = percent(spend_usd, limit_usd)
    anomaly_type: AnomalyType | None = None
    severity: AnomalySeverity | None = None
    if usage >= _HUNDRED:
        anomaly_type, severity = AnomalyType.BUDGET_EXCEEDED, AnomalySeverity.HIGH
    elif usage >= budget.warn_threshold_pct:
        anomaly_type = AnomalyType.BUDGET_WARNING
        high = usage >= settings.budget_high_pct
        severity = AnomalySeverity.HIGH if high else AnomalySeverity.MEDIUM
    return BudgetCheck(
        budget, period, period_start, spend_usd, limit_usd, usage, anomaly_type, severity
    )


def log_budget_check(tenant_id: str, check: BudgetCheck) -> None:
    """Log one checked budget limit with its numbers at DEBUG."""
    budget = check.budget
    logger.debug(
        "%s: %s budget %s of %s %s: spend %s of limit %s, usage %s%%: %s",
        tenant_id,
        check.period,
        budget.id,
        budget.budget_type,
        budget.entity_id,
        check.spend_usd,
        check.limit_usd,
        check.usage_pct,
        check.anomaly_type or check.verdict,
    )


def _is_tenant(budget: Budget) -> bool:
    return budget.budget_type is EntityType.TENANT


def _budgeted_ids(
    budgets: Iterable[Budget], entity_type: EntityType, period: BudgetPeriod
) -> list[str]:
    ids = []
    for budget in budgets:
        limit = budget.daily_limit_usd if period is BudgetPeriod.DAILY else budget.monthly_limit_usd
        if budget.budget_type is entity_type and limit is not None and budget.entity_id:
            ids.append(budget.entity_id)
    return ids
