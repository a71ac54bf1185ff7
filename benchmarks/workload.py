"""The seeded synthetic cost-record workload, in two tenant shapes.

Rows are plain tuples so that building them stays out of the measured
sections. Each consumer turns a batch into what it writes: ``NewCostRecord``
objects for the port, driver tuples for the raw inserts.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from analytics.domain import NewCostRecord

BATCH_SIZE = 1000
"""Records per write: the maximum batch of ``create_cost_records``."""

MODELS = 20
FEATURE_TAGS = 50
USERS = 1000
DAYS = 90
MANY_TENANTS = 100
UNTAGGED_SHARE = 0.05
RETRY_SHARE = 0.03

WORKLOAD_END = datetime(2024, 12, 1, tzinfo=UTC)
"""End (exclusive) of the generated time range; rows cover the ``DAYS`` days before it."""

HEAVY_TENANT = "heavy"


class Row(NamedTuple):
    """One generated cost record with its tenant."""

    tenant_id: str
    request_id: str
    occurred_at: datetime
    model: str
    user_id: str
    feature_tag: str | None
    input_tokens: int
    output_tokens: int
    cost_nanos: int
    is_retry: bool


@dataclass(frozen=True)
class Shape:
    """Named set of tenants that the generated rows are spread over."""

    name: str
    tenants: tuple[str, ...]


MANY = Shape("many_tenants", tuple(f"tenant-{number:03d}" for number in range(MANY_TENANTS)))
HEAVY = Shape("heavy_tenant", (HEAVY_TENANT,))


def _model_prices(rng: random.Random) -> list[tuple[int, int]]:
    """Return (input, output) nano-dollars per token for each model."""
    return [(rng.randint(50, 15_000), rng.randint(200, 60_000)) for _ in range(MODELS)]


class Workload:
    """A deterministic generator of ``rows`` cost records for one shape and seed."""

    def __init__(self, shape: Shape, rows: int, seed: int) -> None:
        self.shape = shape
        self.rows = rows
        self.seed = seed
        self.start = WORKLOAD_END - timedelta(days=DAYS)

    def batches(self) -> Iterator[tuple[str, list[Row]]]:
        """Yield ``(tenant_id, rows)`` batches of at most ``BATCH_SIZE`` rows of one tenant.

        Tenants take turns, so batches of every tenant are spread over the run
        as they would be in a live ingest.
        """
        rng = random.Random(f"{self.seed}:{self.shape.name}")
        prices = _model_prices(random.Random(self.seed))
        tenants = self.shape.tenants
        per_tenant = [self.rows // len(tenants)] * len(tenants)
        for index in range(self.rows % len(tenants)):
            per_tenant[index] += 1
        written = [0] * len(tenants)
        while any(done < total for done, total in zip(written, per_tenant, strict=True)):
            for index, tenant_id in enumerate(tenants):
                size = min(BATCH_SIZE, per_tenant[index] - written[index])
                if size <= 0:
                    continue
                first = written[index]
                batch = [self._row(rng, prices, tenant_id, first + n) for n in range(size)]
                written[index] += size
                yield tenant_id, batch

    def _row(
        self, rng: random.Random, prices: list[tuple[int, int]], tenant_id: str, number: int
    ) -> Row:
        model = rng.randrange(MODELS)
        input_tokens = rng.randint(20, 4000)
        output_tokens = rng.randint(5, 1200)
        input_price, output_price = prices[model]
        tag = (
            None if rng.random() < UNTAGGED_SHARE else f"feature-{rng.randrange(FEATURE_TAGS):02d}"
        )
        return Row(
            tenant_id=tenant_id,
            request_id=f"req-{number:09d}",
            occurred_at=self.start + timedelta(microseconds=rng.randrange(DAYS * 86_400_000_000)),
            model=f"model-{model:02d}",
            user_id=f"user-{rng.randrange(USERS):04d}",
            feature_tag=tag,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_nanos=input_tokens * input_price + output_tokens * output_price,
            is_retry=rng.random() < RETRY_SHARE,
        )


def new_cost_record(row: Row) -> NewCostRecord:
    """Return the port input of a generated row."""
    return NewCostRecord(
        occurred_at=row.occurred_at,
        model=row.model,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cost_usd=Decimal(row.cost_nanos).scaleb(-9),
        user_id=row.user_id,
        feature_tag=row.feature_tag,
        request_id=row.request_id,
        is_retry=row.is_retry,
    )
