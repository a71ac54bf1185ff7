"""Decimal arithmetic shared by the detector's rules: ratios, percentages, means and bands.

Ratios and percentages are computed in a 28-digit context and rounded half to
even to six places. A rule compares the rounded value, so the number shown is
the number that decided.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal

from analytics.domain import AnomalySeverity, divide_half_even, nanos_to_usd, usd_to_nanos

_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)
_SIX_PLACES = Decimal("0.000001")
_NINE_PLACES = Decimal("0.000000001")
_CENTS = Decimal("0.01")
_HUNDRED = Decimal(100)


def round_6(value: Decimal) -> Decimal:
    """Round to six decimal places, half to even."""
    return value.quantize(_SIX_PLACES, rounding=ROUND_HALF_EVEN, context=_CONTEXT)


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal:
    """Return ``numerator / denominator`` rounded to six places; the denominator must not be 0."""
    return round_6(_CONTEXT.divide(Decimal(numerator), Decimal(denominator)))


def percent(numerator: Decimal, denominator: Decimal) -> Decimal:
    """Return ``numerator / denominator × 100`` rounded to six places."""
    return round_6(_CONTEXT.divide(_CONTEXT.multiply(numerator, _HUNDRED), denominator))


def deviation_from_ratio(rounded_ratio: Decimal) -> Decimal:
    """Return ``(ratio - 1) × 100`` from an already rounded ratio.

    Deriving the deviation from the rounded ratio keeps ``deviation_pct >=
    threshold_pct`` for every stored anomaly, also at the rounding edge.
    """
    return round_6((rounded_ratio - 1) * _HUNDRED)


def mean_usd(total_usd: Decimal, count: int) -> Decimal:
    """Divide money by a count as integer nano-dollars, rounding half to even."""
    return nanos_to_usd(divide_half_even(usd_to_nanos(total_usd), count))


def severity_for(
    rounded_ratio: Decimal, high_ratio: Decimal, medium_ratio: Decimal
) -> AnomalySeverity:
    """Return the severity band of a ratio: high, medium from their thresholds, else low."""
    if rounded_ratio >= high_ratio:
        return AnomalySeverity.HIGH
    if rounded_ratio >= medium_ratio:
        return AnomalySeverity.MEDIUM
    return AnomalySeverity.LOW


def fixed_6(value: Decimal) -> str:
    """Format a ratio, share or percentage for JSON with exactly six places."""
    return format(round_6(value), "f")


def fixed_9(value: Decimal) -> str:
    """Format an amount of USD for JSON with exactly nine places."""
    return format(value.quantize(_NINE_PLACES, rounding=ROUND_HALF_EVEN, context=_CONTEXT), "f")


def short_number(value: Decimal) -> str:
    """Format a ratio or share for a message: two places at most, trailing zeros dropped.

    ``2.500000`` gives ``2.5``, ``0.040000`` gives ``0.04`` and ``3.000000`` gives ``3``.
    """
    text = format(value.quantize(_CENTS, rounding=ROUND_HALF_EVEN, context=_CONTEXT), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def dollars(value: Decimal) -> str:
    """Format an amount of USD for a message, in cents with thousands separators: ``$1,234.50``."""
    cents = value.quantize(_CENTS, rounding=ROUND_HALF_EVEN, context=_CONTEXT)
    return f"${cents:,.2f}"
