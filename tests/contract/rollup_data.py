"""Seeded random cost records and read windows for comparing rollup reads with raw reads.

The records cluster around the instants where time zones are hardest: a New
York spring-forward and fall-back day, the Lord Howe change by 30 minutes, and
the Monrovia change from -00:44:30 to UTC at the start of 1972. A sparse
month gives the 30-day windows. Times are random to the microsecond, and some
fall exactly on quarter-hour and hour marks.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from analytics.domain import CostSource, NewCostRecord
from analytics.domain.time import range_bounds
from analytics.ports import UnitOfWork

SEED = 20241104
TENANTS = ("t1", "t2", "t3")
MODELS = ("gpt-4o", "claude-3", "B-model", "a-model")
# None is untagged; "untagged" and "chat_reply" are real tags that must stay separate groups.
FEATURE_TAGS = (None, "chat.reply", "chat_reply", "search.rank", "untagged")
ZONES = (
    "UTC",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Africa/Monrovia",
)


@dataclass(frozen=True)
class Cluster:
    """A span of time and the number of random records it receives."""

    first: datetime
    last: datetime
    records: int


CLUSTERS = (
    # New York springs forward on 2024-03-10 at 07:00Z.
    Cluster(datetime(2024, 3, 8, tzinfo=UTC), datetime(2024, 3, 13, tzinfo=UTC), 260),
    # New York falls back on 2024-11-03 at 06:00Z.
    Cluster(datetime(2024, 11, 1, tzinfo=UTC), datetime(2024, 11, 5, tzinfo=UTC), 160),
    # Lord Howe moves from +11:00 to +10:30 on 2024-04-06 at 15:00Z.
    Cluster(datetime(2024, 4, 5, tzinfo=UTC), datetime(2024, 4, 8, tzinfo=UTC), 140),
    # Monrovia moves from -00:44:30 to UTC on 1972-01-07 at 00:44:30Z.
    Cluster(datetime(1971, 12, 30, tzinfo=UTC), datetime(1972, 1, 12, tzinfo=UTC), 140),
    # A sparse month for the 30-day windows.
    Cluster(datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 6, 2, tzinfo=UTC), 300),
)


def _instant(generator: random.Random, cluster: Cluster) -> datetime:
    span = int((cluster.last - cluster.first).total_seconds())
    at = cluster.first + timedelta(seconds=generator.randrange(span))
    choice = generator.random()
    if choice < 0.15:
        # Exactly on a quarter-hour mark.
        return at.replace(minute=at.minute - at.minute % 15, second=0)
    if choice < 0.25:
        # Exactly on an hour mark.
        return at.replace(minute=0, second=0)
    return at + timedelta(microseconds=generator.randrange(1_000_000))


def _cost(generator: random.Random) -> tuple[Decimal, CostSource, str | None]:
    choice = generator.random()
    if choice < 0.1:
        return Decimal("0"), CostSource.UNPRICED, None
    if choice < 0.2:
        return Decimal("0"), CostSource.REPORTED, None
    if choice < 0.3:
        # Ties: many records share this cost.
        return Decimal("0.10"), CostSource.REPORTED, None
    nanos = generator.randrange(1, 5_000_000_000)
    if choice < 0.5:
        return Decimal(nanos).scaleb(-9), CostSource.ESTIMATED, "prices:2024"
    return Decimal(nanos).scaleb(-9), CostSource.REPORTED, None


def random_record(generator: random.Random, cluster: Cluster, number: int) -> NewCostRecord:
    """Return one random record in the cluster; most carry the request id ``req-<number>``."""
    cost, source, price_ref = _cost(generator)
    return NewCostRecord(
        occurred_at=_instant(generator, cluster),
        model=generator.choice(MODELS),
        input_tokens=generator.randrange(0, 5000),
        output_tokens=generator.randrange(0, 2000),
        cost_usd=cost,
        cost_source=source,
        price_ref=price_ref,
        feature_tag=generator.choice(FEATURE_TAGS),
        request_id=None if generator.random() < 0.3 else f"req-{number}",
        is_synthetic=generator.random() < 0.15,
    )


def records_by_tenant() -> dict[str, list[NewCostRecord]]:
    """Return the seeded records of every tenant; t1 gets about half of them."""
    generator = random.Random(SEED)
    tenants: dict[str, list[NewCostRecord]] = {tenant: [] for tenant in TENANTS}
    number = 0
    for cluster in CLUSTERS:
        for _ in range(cluster.records):
            number += 1
            tenant = generator.choice(("t1", "t1", "t2", "t3"))
            tenants[tenant].append(random_record(generator, cluster, number))
    return tenants


async def store_with_replays(uow: UnitOfWork, tenant_id: str, records: list[NewCostRecord]) -> None:
    """Store the records in batches with repeated request ids, then replay some of them.

    Every replay carries the same payload, so it stores nothing new.
    """
    generator = random.Random(f"{SEED}-{tenant_id}")
    position = 0
    while position < len(records):
        size = generator.randrange(1, 120)
        batch = records[position : position + size]
        position += size
        # A batch that repeats one of its own records.
        duplicated = [*batch, generator.choice(batch)]
        await uow.cost_writes.create_cost_records(tenant_id, records=duplicated)
    for record in generator.sample(records, min(40, len(records))):
        await uow.cost_writes.create_cost_record(tenant_id, record=record)
    replayed = [record for record in records if record.request_id is not None][:300]
    await uow.cost_writes.create_cost_records(tenant_id, records=replayed)


def series_windows() -> Iterator[tuple[datetime, datetime]]:
    """Yield aligned, unaligned, short and 30-day windows around every cluster."""
    generator = random.Random(f"{SEED}-windows")
    for cluster in CLUSTERS:
        span = cluster.last - cluster.first
        yield cluster.first, cluster.last
        for _ in range(4):
            start = cluster.first + span * generator.random()
            length = timedelta(seconds=generator.randrange(1, 3 * 86_400))
            yield start, start + length
        anchor = cluster.first + timedelta(days=1, hours=generator.randrange(48))
        # A window inside one quarter-hour, one shorter than an hour, one of an hour and a bit.
        yield anchor + timedelta(minutes=2, seconds=7), anchor + timedelta(minutes=9)
        yield anchor + timedelta(minutes=5), anchor + timedelta(minutes=47, microseconds=3)
        yield anchor - timedelta(minutes=15), anchor + timedelta(minutes=61, seconds=1)
    yield from _windows_next_to_marks()
    first = CLUSTERS[4].first + timedelta(hours=7, minutes=13, seconds=11)
    yield first, first + timedelta(days=30)
    yield datetime(2024, 2, 20, tzinfo=UTC), datetime(2024, 3, 21, tzinfo=UTC)


def _windows_next_to_marks() -> Iterator[tuple[datetime, datetime]]:
    # Records exactly on a quarter-hour or hour mark, with window edges one
    # microsecond away, so a rollup period that is only partly inside the
    # window would add or lose them.
    on_marks = [
        record.occurred_at
        for record in records_by_tenant()["t1"]
        if record.occurred_at.minute % 15 == 0 and record.occurred_at.second == 0
    ]
    tick = timedelta(microseconds=1)
    for at in on_marks[:: max(1, len(on_marks) // 6)]:
        yield at + tick, at + timedelta(hours=2)
        yield at - timedelta(hours=2), at + tick
        yield at - timedelta(hours=2) - tick, at


def local_day_windows(zone: str) -> Iterator[tuple[datetime, datetime]]:
    """Yield three local days of every cluster and 30 local days of the sparse month."""
    for cluster in CLUSTERS:
        start_day = cluster.first.date() + timedelta(days=1)
        yield range_bounds(start_day, start_day + timedelta(days=3), zone)
    may = CLUSTERS[4].first.date()
    yield range_bounds(may, may + timedelta(days=30), zone)
