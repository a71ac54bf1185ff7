"""Decimal arithmetic and formatting shared by the pattern, prediction and report engines.

Ratios, percentages, shares and confidences are computed in a 28-digit decimal
context (the ``decimal`` default, set here explicitly so that no global
setting changes a result) and rounded half to even to six places. A mean of
money is the integer half-even division of the nano-dollar sum by the count.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal

from analytics.domain.money import divide_half_even, nanos_to_usd, usd_to_nanos

CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)
"""Context of every ratio, percentage, share and confidence computation."""

_SIX_PLACES = Decimal("0.000001")
_NINE_PLACES = Decimal("0.000000001")
_HUNDRED = Decimal(100)


def round_6(value: Decimal) -> Decimal:
    """Round a decimal half to even to exactly six places."""
    return value.quantize(_SIX_PLACES, rounding=ROUND_HALF_EVEN, context=CONTEXT)


def round_usd(value: Decimal) -> Decimal:
    """Round an amount of US dollars half to even to whole nano-dollars (nine places)."""
    return value.quantize(_NINE_PLACES, rounding=ROUND_HALF_EVEN, context=CONTEXT)


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal:
    """Return ``numerator / denominator`` rounded to six places; the denominator must not be 0."""
    return round_6(CONTEXT.divide(Decimal(numerator), Decimal(denominator)))


def percent_change(current: Decimal, baseline: Decimal) -> Decimal:
    """Return ``(current - baseline) / baseline × 100`` rounded to six places."""
    change = CONTEXT.subtract(current, baseline)
    return round_6(CONTEXT.multiply(CONTEXT.divide(change, baseline), _HUNDRED))


def mean_usd(amounts: Sequence[Decimal]) -> Decimal:
    """Return the mean of US-dollar amounts, by half-even division of their nano-dollar sum."""
    total = sum(usd_to_nanos(amount) for amount in amounts)
    return nanos_to_usd(divide_half_even(total, len(amounts)))


def format_6(value: Decimal) -> str:
    """Format a ratio, percentage or confidence with exactly six places (``"1.500000"``)."""
    return format(round_6(value), "f")


def format_usd(value: Decimal) -> str:
    """Format an amount of US dollars with exactly nine places (``"0.300000000"``)."""
    return format(round_usd(value), "f")


def iso_utc(instant: datetime) -> str:
    """Format an instant as ISO 8601 in UTC (``"2024-03-10T12:00:00+00:00"``)."""
    return instant.astimezone(UTC).isoformat()


def whole_minutes(duration: timedelta) -> int:
    """Return a duration in whole minutes, rounded down."""
    return duration // timedelta(minutes=1)


def describe_duration(duration: timedelta) -> str:
    """Describe a duration in hours when it is whole hours (``"24 h"``), else in minutes."""
    if duration % timedelta(hours=1) == timedelta(0):
        return f"{duration // timedelta(hours=1)} h"
    return f"{whole_minutes(duration)} min"
