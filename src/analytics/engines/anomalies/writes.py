"""The batch writes of one detection: breach rows and anomalies.

Each kind goes to the port in calls of up to 1,000 items, so a detection
sends a fixed number of write statements unless it has more than 1,000 items
of one kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from analytics.domain import CostAnomaly, NewAnomaly, NewBreach, WriteResult
from analytics.ports import UnitOfWork

T = TypeVar("T")

BATCH_SIZE = 1000
"""Items per batch write call, the port's maximum."""


async def record_breaches(uow: UnitOfWork, tenant_id: str, breaches: Sequence[NewBreach]) -> None:
    """Write breach rows. A re-run over the same data leaves them unchanged."""
    for batch in _batches(breaches):
        await uow.cost_anomalies.insert_breach_histories(tenant_id, breaches=batch)


async def store_anomalies(
    uow: UnitOfWork, tenant_id: str, anomalies: Sequence[NewAnomaly]
) -> list[WriteResult[CostAnomaly]]:
    """Store anomalies in their open rows and return one result per anomaly, in order."""
    results: list[WriteResult[CostAnomaly]] = []
    for batch in _batches(anomalies):
        results += await uow.cost_anomalies.upsert_anomalies(tenant_id, anomalies=batch)
    return results


def _batches(items: Sequence[T]) -> list[Sequence[T]]:
    return [items[start : start + BATCH_SIZE] for start in range(0, len(items), BATCH_SIZE)]
