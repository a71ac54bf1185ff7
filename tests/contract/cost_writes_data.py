"""Records and expected values of the cost-write scenarios."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from analytics.domain import CostSource, NewCostRecord

CALL_TIME = datetime(2024, 3, 10, 6, 30, tzinfo=UTC)
CLOCK_LATER = datetime(2024, 3, 11, 9, 0, tzinfo=UTC)

# The "req-1" record: 12.5 nano-dollars, which rounds half-even to 12.
REQ_1 = NewCostRecord(
    occurred_at=CALL_TIME,
    model="gpt-4o",
    input_tokens=200,
    output_tokens=100,
    cost_usd=Decimal("0.0000000125"),
    request_id="req-1",
)

# The "req-2" record: an estimated cost with the price it was computed from.
REQ_2 = NewCostRecord(
    occurred_at=CALL_TIME,
    model="gpt-4o",
    input_tokens=200,
    output_tokens=100,
    cost_usd=Decimal("0.0015"),
    cost_source=CostSource.ESTIMATED,
    price_ref="prices:gpt-4o@2024-03-01",
    request_id="req-2",
)

# A record using every optional field, for replays that change one of them.
FULL = NewCostRecord(
    occurred_at=CALL_TIME,
    model="gpt-4o",
    input_tokens=200,
    output_tokens=100,
    cost_usd=Decimal("0.0015"),
    cost_source=CostSource.ESTIMATED,
    price_ref="prices:gpt-4o@2024-03-01",
    user_id="u1",
    feature_tag="chat.reply",
    request_id="req-full",
    workflow_id="wf-1",
    skill_id="sk-1",
    is_retry=True,
    is_synthetic=True,
)


def changed(record: NewCostRecord, **changes: Any) -> NewCostRecord:
    """Return a copy of a record with some fields replaced, without any check.

    The copy bypasses the model's type checks on purpose, so a scenario can
    pass values that only the port rejects.
    """
    return record.model_copy(update=changes)


def generated_id(prefix: str, number: int) -> str:
    """Return the id the harness's sequential generator issues as its ``number``-th id."""
    return f"{prefix}_{number:032x}"


def plain_record(request_id: str | None, cost_usd: str = "0.10") -> NewCostRecord:
    """Return a small reported record with the given request id and cost."""
    return NewCostRecord(
        occurred_at=CALL_TIME,
        model="m1",
        input_tokens=100,
        output_tokens=10,
        cost_usd=Decimal(cost_usd),
        request_id=request_id,
    )
