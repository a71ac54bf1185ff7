"""Records, budgets and detector set-up shared by the anomaly-detector tests.

Everything is seeded through the ports. Days are UTC unless a test sets
another zone, and the detected day of most scenarios is 2024-03-15.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from analytics.domain import (
    BreachType,
    CostAnomaly,
    EntityType,
    NewBreach,
    NewCostRecord,
)
from analytics.domain.detection import DetectionReport, DetectionRule, ScopeEvaluation, Verdict
from analytics.engines.anomalies import CostAnomalyDetector
from analytics.engines.settings import AnomalySettings
from tests.contract.harness import Harness

D = date(2024, 3, 15)
"""The detected day of most scenarios."""

BATCH = 1000


def day_offset(days: int, base: date = D) -> date:
    """Return ``base`` plus ``days`` (negative for earlier days)."""
    return base + timedelta(days=days)


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """Return an instant on ``day`` in UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def record(
    day: date,
    cost: str | Decimal,
    *,
    user: str | None = None,
    feature: str | None = None,
    retry: bool = False,
    input_tokens: int = 100,
    minute: int = 0,
) -> NewCostRecord:
    """Return one reported cost record at noon UTC of ``day``."""
    return NewCostRecord(
        occurred_at=at(day, 12, minute),
        model="gpt-4o",
        input_tokens=input_tokens,
        output_tokens=10,
        cost_usd=Decimal(cost),
        user_id=user,
        feature_tag=feature,
        is_retry=retry,
    )


def daily_records(first: date, last: date, cost: str, **fields: Any) -> list[NewCostRecord]:
    """Return one record a day from ``first`` through ``last``."""
    days = (last - first).days + 1
    return [record(first + timedelta(days=i), cost, **fields) for i in range(days)]


async def seed(backend: Harness, tenant_id: str, records: Sequence[NewCostRecord]) -> None:
    """Store cost records in batches of at most 1,000."""
    async with backend.uow() as uow:
        for start in range(0, len(records), BATCH):
            batch = records[start : start + BATCH]
            await uow.cost_writes.create_cost_records(tenant_id, records=batch)


async def add_spike_breach(
    backend: Harness,
    tenant_id: str,
    day: date,
    *,
    entity_type: EntityType = EntityType.USER,
    entity_id: str | None = "u1",
) -> None:
    """Record a spike breach row, as an earlier detection would have."""
    breach = NewBreach(
        entity_type=entity_type,
        entity_id=entity_id,
        breach_type=BreachType.ABSOLUTE_SPIKE,
        breach_date=day,
        deviation_pct=Decimal("100"),
        current_value_usd=Decimal("4"),
        baseline_value_usd=Decimal("2"),
    )
    async with backend.uow() as uow:
        await uow.cost_anomalies.insert_breach_history(tenant_id, breach=breach)


def make_detector(backend: Harness, **settings: Any) -> CostAnomalyDetector:
    """Return a detector on the backend's store and clock."""
    return CostAnomalyDetector(
        backend.uow, settings=AnomalySettings(**settings), clock=backend.clock
    )


async def detect_on(
    backend: Harness,
    tenant_id: str,
    day: date,
    *,
    clock_hour: int = 23,
    **settings: Any,
) -> DetectionReport:
    """Set the clock to ``clock_hour`` on ``day`` and detect that day."""
    backend.clock.now = at(day, clock_hour)
    return await make_detector(backend, **settings).detect(tenant_id, day=day)


def evaluation(
    report: DetectionReport, rule: DetectionRule, entity_id: str | None
) -> ScopeEvaluation:
    """Return the report's only evaluation of one rule and scope."""
    found = [
        item for item in report.evaluations if item.rule is rule and item.entity_id == entity_id
    ]
    assert len(found) == 1, found
    return found[0]


def verdict_counts(report: DetectionReport, rule: DetectionRule) -> dict[Verdict, int]:
    """Return the non-zero verdict counts of one rule."""
    return {verdict: count for verdict, count in report.counts[rule].items() if count}


def money(value: str) -> Decimal:
    """Return an amount as the ports return it: nine decimal places."""
    return Decimal(value).quantize(Decimal("0.000000001"))


def pct(value: str) -> Decimal:
    """Return a ratio or percentage with six decimal places."""
    return Decimal(value).quantize(Decimal("0.000001"))


def fill_to(total: str, day: date, taken: Iterable[NewCostRecord]) -> list[NewCostRecord]:
    """Return an untagged record that brings ``day``'s spend to ``total``, if any is missing."""
    spent = sum((item.cost_usd for item in taken if item.occurred_at.date() == day), Decimal(0))
    rest = Decimal(total) - spent
    if rest < 0:
        raise ValueError(f"{day} already spends {spent}, more than {total}")
    return [record(day, rest, minute=30)] if rest else []


def detected(report: DetectionReport, anomaly_type: str, entity_id: str | None) -> Any:
    """Return the report's only anomaly of one type and entity, with its outcome."""
    found = [
        item
        for item in report.anomalies
        if item.anomaly.anomaly_type == anomaly_type and item.anomaly.entity_id == entity_id
    ]
    assert len(found) == 1, found
    return found[0]


def spike_example_records() -> list[NewCostRecord]:
    """Return the records of the spike example, detected on 2024-03-15 in UTC.

    The spike baseline is 03-01 to 03-13. In it, u1 spent 2.00 on five days,
    u2 1.50 on two days, u3 0.50 on five days, u4 nothing, and feature
    ``summarize`` 3.00 on ten days. On the 15th they spent 5.00, 4.00, 1.30,
    0.40 and 10.50. The
    tenant spends 20.00 every day from 02-16 (so the drift rule stays normal)
    and 26.00 on the 15th.
    """
    specific = [
        *(record(date(2024, 3, day), "2.00", user="u1") for day in (1, 3, 5, 7, 9)),
        record(date(2024, 3, 14), "4.00", user="u1"),
        record(D, "5.00", user="u1"),
        *(record(date(2024, 3, day), "1.50", user="u2") for day in (2, 4)),
        record(D, "4.00", user="u2"),
        *daily_records(date(2024, 3, 1), date(2024, 3, 5), "0.50", user="u3"),
        record(D, "1.30", user="u3"),
        record(D, "0.40", user="u4"),
        *daily_records(date(2024, 3, 1), date(2024, 3, 10), "3.00", feature="summarize"),
        record(D, "10.50", feature="summarize"),
    ]
    filler: list[NewCostRecord] = []
    day = date(2024, 2, 16)
    while day < D:
        filler += fill_to("20.00", day, specific)
        day += timedelta(days=1)
    filler += fill_to("26.00", D, specific)
    return specific + filler


def stored(report: DetectionReport) -> list[CostAnomaly]:
    """Return the report's stored anomalies, failing on a suppressed (unsaved) finding."""
    anomalies = []
    for item in report.anomalies:
        assert isinstance(item.anomaly, CostAnomaly), item
        anomalies.append(item.anomaly)
    return anomalies
