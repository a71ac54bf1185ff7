"""Builders and fixtures of the breach, drift-tracker, anomaly and budget scenarios.

The values follow the worked examples of the port contract: breaches of user
``u2`` in March 2024, drift observations A and B, and budget anomalies of the
feature ``chat.reply``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from analytics.domain import (
    AnomalySeverity,
    AnomalyType,
    BreachType,
    BudgetPeriod,
    DriftObservation,
    EntityType,
    NewAnomaly,
    NewBreach,
)
from analytics.ports import UnitOfWork, UnitOfWorkFactory
from tests.contract.harness import Harness

INVALID_TENANT_IDS = ["", " t1", "t" * 65, "t\x001"]

# Observation A of the drift example: rolling 12.50 against a baseline of 10.00 (25 %).
OBSERVATION_A = DriftObservation(
    rolling_avg_usd=Decimal("12.50"), baseline_avg_usd=Decimal("10.00"), drift_pct=Decimal("25")
)
# Observation B of the drift example: rolling 13.00 against a baseline of 10.00 (30 %).
OBSERVATION_B = DriftObservation(
    rolling_avg_usd=Decimal("13.00"), baseline_avg_usd=Decimal("10.00"), drift_pct=Decimal("30")
)

# Breach dates of (user, u2, absolute_spike). 03-07 is missing, so 03-06 starts no streak.
U2_SPIKE_DATES = [date(2024, 3, 6), date(2024, 3, 8), date(2024, 3, 9), date(2024, 3, 10)]


def utc(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Return an aware UTC instant in 2024."""
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


def breach(
    entity_type: EntityType | str,
    entity_id: str | None,
    breach_date: date,
    *,
    breach_type: BreachType | str = BreachType.ABSOLUTE_SPIKE,
    deviation_pct: str = "50",
    current: str = "0.45",
    baseline: str = "0.30",
) -> NewBreach:
    """Build a breach with its decimals given as strings (the example's values by default).

    Enum fields also take their value strings, which the input model accepts.
    """
    fields: dict[str, Any] = {
        "entity_type": entity_type,
        "entity_id": entity_id,
        "breach_type": breach_type,
        "breach_date": breach_date,
        "deviation_pct": Decimal(deviation_pct),
        "current_value_usd": Decimal(current),
        "baseline_value_usd": Decimal(baseline),
    }
    return NewBreach(**fields)


def observation(rolling: str, baseline: str, drift: str) -> DriftObservation:
    """Build a drift observation with its decimals given as strings."""
    return DriftObservation(
        rolling_avg_usd=Decimal(rolling),
        baseline_avg_usd=Decimal(baseline),
        drift_pct=Decimal(drift),
    )


def budget_anomaly(
    period: BudgetPeriod | None,
    period_start: date,
    detected_at: datetime,
    current: str,
    expected: str,
    **changes: Any,
) -> NewAnomaly:
    """Build a ``budget_exceeded`` anomaly of the feature ``chat.reply``; ``changes`` override."""
    fields: dict[str, Any] = {
        "anomaly_type": AnomalyType.BUDGET_EXCEEDED,
        "severity": AnomalySeverity.HIGH,
        "entity_type": EntityType.FEATURE,
        "entity_id": "chat.reply",
        "budget_period": period,
        "period_start": period_start,
        "detected_at": detected_at,
        "current_value_usd": Decimal(current),
        "expected_value_usd": Decimal(expected),
        "deviation_pct": Decimal("33.33"),
        "threshold_pct": Decimal("100"),
        "message": "chat.reply is over its budget",
        "budget_id": "cb_chat",
    }
    fields.update(changes)
    return NewAnomaly(**fields)


def spike_anomaly(detected_at: datetime, **changes: Any) -> NewAnomaly:
    """Build a tenant-level ``absolute_spike`` anomaly of 2024-03-10; ``changes`` override."""
    fields: dict[str, Any] = {
        "anomaly_type": AnomalyType.ABSOLUTE_SPIKE,
        "severity": AnomalySeverity.MEDIUM,
        "entity_type": EntityType.TENANT,
        "entity_id": None,
        "budget_period": None,
        "period_start": date(2024, 3, 10),
        "detected_at": detected_at,
        "current_value_usd": Decimal("2"),
        "expected_value_usd": Decimal("1"),
        "deviation_pct": Decimal("100"),
        "threshold_pct": Decimal("50"),
        "message": "spend doubled",
    }
    fields.update(changes)
    return NewAnomaly(**fields)


async def load_breaches(uow_factory: UnitOfWorkFactory, tenant_id: str, *rows: NewBreach) -> None:
    """Insert breaches of one tenant in one committed unit of work."""
    async with uow_factory() as uow:
        for row in rows:
            await uow.cost_anomalies.insert_breach_history(tenant_id, breach=row)


@asynccontextmanager
async def _default_store_unit(backend: Harness) -> AsyncIterator[Callable[[], UnitOfWork]]:
    yield backend.uow


@asynccontextmanager
async def _zoned_store_unit(backend: Harness, tz: str) -> AsyncIterator[Callable[[], UnitOfWork]]:
    async with backend.store_in_session_time_zone(tz) as store:
        yield store.unit_of_work


def session_time_zone_units(backend: Harness) -> list[Any]:
    """Return context managers that yield unit-of-work factories for the G11 check.

    On a backend with a per-connection time zone there is one factory per
    zone (Asia/Kolkata and America/New_York). Other backends get the normal
    factory, so the scenario still runs and asserts on every backend.
    """
    if not backend.has_session_time_zone:
        return [_default_store_unit(backend)]
    return [_zoned_store_unit(backend, tz) for tz in ("Asia/Kolkata", "America/New_York")]
