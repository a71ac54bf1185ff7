"""A full cost-anomaly detection run per tenant size: SQL statements issued and time.

Each tenant has ``entities`` active users and as many feature tags, one
record per user and day over ``HISTORY_DAYS`` days; every tenth entity spends
five times its usual amount on the last two days, so spikes, breach days and
anomalies are written as well as read. The count includes every statement
sent to the driver during ``detect`` (savepoints too), taken with a
SQLAlchemy ``before_cursor_execute`` listener.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event

from analytics.domain import NewCostRecord
from analytics.engines.anomalies import CostAnomalyDetector
from benchmarks.databases import BenchDatabase
from benchmarks.workload import BATCH_SIZE

ENTITY_COUNTS = (10, 100, 1000)
HISTORY_DAYS = 36
DETECTION_DAY = date(2024, 11, 30)
_SPIKE_DAYS = 2
_SPIKE_EVERY = 10
_SPIKE_FACTOR = 5


@dataclass(frozen=True)
class DetectionRun:
    """One ``detect`` call: entities per dimension, statements sent, seconds and anomalies.

    ``statements`` splits into ``reads`` (SELECT), ``writes`` (INSERT, UPDATE,
    DELETE) and ``transaction_statements`` (SAVEPOINT, RELEASE, ROLLBACK, BEGIN,
    COMMIT sent as statements).
    """

    entities: int
    statements: int
    reads: int
    writes: int
    transaction_statements: int
    seconds: float
    anomalies: int
    error: str | None = None


def _records(entities: int) -> list[NewCostRecord]:
    records = []
    first_day = DETECTION_DAY - timedelta(days=HISTORY_DAYS - 1)
    for offset in range(HISTORY_DAYS):
        day = first_day + timedelta(days=offset)
        spiking = offset >= HISTORY_DAYS - _SPIKE_DAYS
        for entity in range(entities):
            # Every block of ten entities has the same spend and one spike, so
            # the tenant's own spend ratio, and with it the reads, is the same at every size.
            usual = Decimal(2 + entity % _SPIKE_EVERY)
            factor = _SPIKE_FACTOR if spiking and entity % _SPIKE_EVERY == 0 else 1
            occurred_at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC) + timedelta(
                seconds=entity
            )
            records.append(
                NewCostRecord(
                    occurred_at=occurred_at,
                    model=f"model-{entity % 20:02d}",
                    input_tokens=1000,
                    output_tokens=200,
                    cost_usd=usual * factor,
                    user_id=f"user-{entity:04d}",
                    feature_tag=f"feature-{entity:04d}",
                    request_id=f"detect-{offset:02d}-{entity:04d}",
                )
            )
    return records


async def load_tenant(database: BenchDatabase, tenant_id: str, entities: int) -> None:
    """Store the history of a detection tenant through the port."""
    records = _records(entities)
    for first in range(0, len(records), BATCH_SIZE):
        async with database.store.unit_of_work() as uow:
            await uow.cost_writes.create_cost_records(
                tenant_id, records=records[first : first + BATCH_SIZE]
            )


_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")


async def detect_once(database: BenchDatabase, entities: int) -> DetectionRun:
    """Load a tenant with ``entities`` users and tags, run ``detect`` and count its statements."""
    tenant_id = f"detect-{entities}"
    await load_tenant(database, tenant_id, entities)
    now = datetime(DETECTION_DAY.year, DETECTION_DAY.month, DETECTION_DAY.day, 23, tzinfo=UTC)
    detector = CostAnomalyDetector(database.store.unit_of_work, clock=lambda: now)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    sync_engine = database.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", count)
    started = time.perf_counter()
    try:
        report = await detector.detect(tenant_id, day=DETECTION_DAY)
    except Exception as error:  # the detector is new: record a failure instead of losing the run
        failure = f"{type(error).__name__}: {error}"
        return DetectionRun(entities, len(statements), 0, 0, 0, 0.0, 0, failure)
    finally:
        seconds = time.perf_counter() - started
        event.remove(sync_engine, "before_cursor_execute", count)
    kinds = [_statement_kind(sql) for sql in statements]
    return DetectionRun(
        entities=entities,
        statements=len(statements),
        reads=kinds.count("read"),
        writes=kinds.count("write"),
        transaction_statements=kinds.count("transaction"),
        seconds=seconds,
        anomalies=len(report.anomalies),
    )


def _statement_kind(sql: str) -> str:
    verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    if verb in _TRANSACTION_CONTROL:
        return "transaction"
    if verb in ("SELECT", "WITH"):
        return "read"
    if verb in ("INSERT", "UPDATE", "DELETE"):
        return "write"
    return "other"


async def measure_detection(
    database: BenchDatabase, entity_counts: tuple[int, ...] = ENTITY_COUNTS
) -> list[DetectionRun]:
    """Run detection for every entity count on one backend."""
    return [await detect_once(database, entities) for entities in entity_counts]
