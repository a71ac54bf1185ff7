"""Exact conversions between Decimal amounts and scaled integers.

Money is stored as an integer count of nano-dollars (1e-9 USD); percentages,
shares and confidences as integer millionths. Every conversion rounds half to
even and uses integer arithmetic or a local decimal context, so no float and no
global decimal setting ever affects a result.
"""

from __future__ import annotations

from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

NANOS_PER_USD = 10**9
"""Nano-dollars in one US dollar."""

E6 = 10**6
"""Scale of a decimal stored as integer millionths (``*_e6`` columns)."""

# Sixty digits fit any amount the ports accept at nine places, with room to
# spare. A value that does not fit raises instead of being rounded silently.
_CONTEXT = Context(
    prec=60,
    rounding=ROUND_HALF_EVEN,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)


def usd_to_nanos(value: Decimal | int) -> int:
    """Convert US dollars to whole nano-dollars, rounding half to even.

    12.5 nano-dollars round to 12 and 13.5 to 14. Raises ``ValueError`` for NaN,
    an infinity or an amount with more than 60 significant digits, and
    ``TypeError`` for anything but ``Decimal`` or ``int`` (``bool`` included).
    """
    return _to_scaled_int(value, 9, NANOS_PER_USD)


def nanos_to_usd(nanos: int) -> Decimal:
    """Convert nano-dollars to US dollars with exactly nine decimal places.

    200000000 gives ``Decimal('0.200000000')``; 0 gives ``Decimal('0E-9')``.
    """
    return _scaled_int_to_decimal(nanos, 9)


def divide_half_even(total: int, count: int) -> int:
    """Divide two integers, rounding the quotient half to even.

    5 / 2 gives 2 and 7 / 2 gives 4. Raises ``ValueError`` unless ``count > 0``.
    """
    _require_int(total, "total")
    _require_int(count, "count")
    if count <= 0:
        raise ValueError(f"count must be greater than 0, got {count}")

    quotient, remainder = divmod(total, count)
    twice = 2 * remainder
    if twice > count or (twice == count and quotient % 2 == 1):
        quotient += 1
    return quotient


def decimal_to_e6(value: Decimal | int) -> int:
    """Convert a decimal to whole millionths, rounding half to even."""
    return _to_scaled_int(value, 6, E6)


def e6_to_decimal(n: int) -> Decimal:
    """Convert millionths to a Decimal with exactly six places (50000000 gives 50.000000)."""
    return _scaled_int_to_decimal(n, 6)


def ratio_6(numerator: int, denominator: int) -> Decimal:
    """Return ``numerator / denominator`` rounded half to even to six places.

    1 / 3 gives ``Decimal('0.333333')``. Raises ``ValueError`` unless
    ``denominator > 0``.
    """
    _require_int(numerator, "numerator")
    return e6_to_decimal(divide_half_even(numerator * E6, denominator))


def _to_scaled_int(value: Decimal | int, places: int, scale: int) -> int:
    """Round ``value`` to ``places`` decimal places and return it times ``scale`` (10**places)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"expected a Decimal or an int, got {type(value).__name__}: {value!r}")
    if isinstance(value, int):
        return value * scale
    if not value.is_finite():
        raise ValueError(f"expected a finite number, got {value!r}")

    try:
        rounded = value.quantize(Decimal((0, (1,), -places)), context=_CONTEXT)
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} has too many digits to convert exactly") from exc
    return int(rounded.scaleb(places, context=_CONTEXT))


def _scaled_int_to_decimal(n: int, places: int) -> Decimal:
    _require_int(n, "value")

    # Rebuild the digits with a fixed exponent: exact, and no context involved.
    sign, digits, _ = Decimal(n).as_tuple()
    return Decimal((sign, digits, -places))


def _require_int(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")
