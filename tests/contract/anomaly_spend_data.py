"""Helpers of the spend-read scenarios of the cost-anomaly driver.

Extra cost records beyond the shared example data, loaders, reads in every
connection time zone, and checks of the exact money and ratio types.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeVar

from analytics.domain import NewCostRecord
from analytics.ports import UnitOfWork, UnitOfWorkFactory

# The scenarios import these shared helpers from this module too.
from tests.contract.analytics_data import read as read
from tests.contract.analytics_data import store_records as store_records
from tests.contract.analytics_data import times_ten as times_ten
from tests.contract.harness import Harness

ResultT = TypeVar("ResultT")

# Connection time zones that must not change any result on a backend that has them.
SESSION_ZONES = ("Asia/Kolkata", "America/New_York", "America/Los_Angeles")

ZERO_USD = Decimal("0E-9")

# An id written like an SQL injection: it must be stored and matched as a plain value.
HOSTILE_ID = "x'; DROP TABLE cost_records; --"

# Invalid values shared by the argument tables.
INVALID_ZONES = ["Mars/Olympus", "+05:30", "", None]
INVALID_FLAGS = [1, 0, "true", None]
INVALID_DAYS = [datetime(2024, 3, 10, tzinfo=UTC), "2024-03-10", None, date(1969, 12, 31)]
INVALID_ENTITY_TYPES = ["team", "", "USER", None]


def usd(text: str) -> Decimal:
    """Return a money value as written in an expected table, such as ``"0.100000000"``."""
    return Decimal(text)


def ratio(text: str) -> Decimal:
    """Return a six-place ratio as written in an expected table, such as ``"0.333333"``."""
    return Decimal(text)


def is_money(value: object) -> bool:
    """Report whether a value is a Decimal with exactly nine decimal places."""
    return isinstance(value, Decimal) and value.as_tuple().exponent == -9


def is_ratio(value: object) -> bool:
    """Report whether a value is a Decimal with exactly six decimal places."""
    return isinstance(value, Decimal) and value.as_tuple().exponent == -6


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """Return an aware UTC instant."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def record(
    occurred_at: datetime,
    cost_usd: str = "0.10",
    *,
    user_id: str | None = None,
    feature_tag: str | None = None,
    input_tokens: int = 100,
    output_tokens: int = 10,
    is_retry: bool = False,
    is_synthetic: bool = False,
) -> NewCostRecord:
    """Build a cost record with the defaults of the regression cases (model m1, 100/10 tokens)."""
    return NewCostRecord(
        occurred_at=occurred_at,
        model="m1",
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=Decimal(cost_usd),
        user_id=user_id,
        feature_tag=feature_tag,
        is_retry=is_retry,
        is_synthetic=is_synthetic,
    )


async def store_for_both_tenants(
    uow_factory: UnitOfWorkFactory, records: Sequence[NewCostRecord]
) -> None:
    """Store records under ``t1`` and, with every cost times ten, under ``t2``."""
    await store_records(uow_factory, "t1", records)
    await store_records(uow_factory, "t2", times_ten(records))


async def read_in_every_session_zone(
    backend: Harness,
    call: Callable[[UnitOfWork], Awaitable[ResultT]],
    zones: Sequence[str] = SESSION_ZONES,
) -> list[ResultT]:
    """Run a read with the default connection, then with each connection time zone.

    A backend without a connection time zone runs it once. Callers assert that
    every result equals the expected one.
    """
    results = [await read(backend.uow, call)]
    if not backend.has_session_time_zone:
        return results

    for zone in zones:
        async with backend.store_in_session_time_zone(zone) as store:
            results.append(await read(store.unit_of_work, call))
    return results
