from decimal import Decimal, localcontext

import pytest

from analytics.domain import (
    E6,
    NANOS_PER_USD,
    decimal_to_e6,
    divide_half_even,
    e6_to_decimal,
    nanos_to_usd,
    ratio_6,
    usd_to_nanos,
)


def test_scales() -> None:
    assert NANOS_PER_USD == 1_000_000_000
    assert E6 == 1_000_000


@pytest.mark.parametrize(
    ("value", "nanos"),
    [
        (Decimal("0.2"), 200_000_000),
        (Decimal("0.10"), 100_000_000),
        (Decimal("1"), 1_000_000_000),
        (3, 3_000_000_000),
        (0, 0),
        (Decimal("0"), 0),
        (Decimal("-0"), 0),
        (Decimal("0.0000000125"), 12),
        (Decimal("0.0000000135"), 14),
        (Decimal("0.0000000115"), 12),
        (Decimal("0.00000001250000000001"), 13),
        (Decimal("-0.0000000125"), -12),
        (Decimal("1E-12"), 0),
        (Decimal("1000000000"), 10**18),
        (Decimal("1E+3"), 10**12),
    ],
)
def test_usd_to_nanos_rounds_half_even(value: Decimal | int, nanos: int) -> None:
    assert usd_to_nanos(value) == nanos


def test_usd_to_nanos_ignores_global_context() -> None:
    # A tiny global precision must not truncate a 19-digit amount.
    with localcontext() as context:
        context.prec = 5
        assert usd_to_nanos(Decimal("1000000000.123456789")) == 1_000_000_000_123_456_789


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity")])
def test_usd_to_nanos_rejects_non_finite(value: Decimal) -> None:
    with pytest.raises(ValueError, match="finite"):
        usd_to_nanos(value)


def test_usd_to_nanos_rejects_huge_amount() -> None:
    with pytest.raises(ValueError, match="too many digits"):
        usd_to_nanos(Decimal("1E+60"))


@pytest.mark.parametrize("value", [0.1, "0.1", True])
def test_usd_to_nanos_rejects_other_types(value: object) -> None:
    with pytest.raises(TypeError):
        usd_to_nanos(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("nanos", "text"),
    [
        (200_000_000, "0.200000000"),
        (0, "0E-9"),
        (12, "1.2E-8"),
        (1_500_000_000, "1.500000000"),
        (-5, "-5E-9"),
        (9_223_372_036_854_775_807, "9223372036.854775807"),
    ],
)
def test_nanos_to_usd_has_nine_places(nanos: int, text: str) -> None:
    usd = nanos_to_usd(nanos)

    assert str(usd) == text
    assert usd.as_tuple().exponent == -9
    assert usd_to_nanos(usd) == nanos


def test_nanos_to_usd_formats_small_values() -> None:
    assert format(nanos_to_usd(12), "f") == "0.000000012"
    assert format(nanos_to_usd(0), "f") == "0.000000000"


@pytest.mark.parametrize(
    ("total", "count", "quotient"),
    [
        (5, 2, 2),
        (7, 2, 4),
        (6, 2, 3),
        (1, 3, 0),
        (2, 3, 1),
        (0, 5, 0),
        (-5, 2, -2),
        (-7, 2, -4),
        (-2, 3, -1),
        (10**30 + 1, 2, 10**30 // 2),
    ],
)
def test_divide_half_even(total: int, count: int, quotient: int) -> None:
    assert divide_half_even(total, count) == quotient


@pytest.mark.parametrize("count", [0, -1])
def test_divide_half_even_rejects_non_positive_count(count: int) -> None:
    with pytest.raises(ValueError, match="count"):
        divide_half_even(5, count)


@pytest.mark.parametrize(
    ("value", "millionths"),
    [
        (Decimal("50"), 50_000_000),
        (Decimal("0.3333335"), 333_334),
        (Decimal("0.3333325"), 333_332),
        (Decimal("-12.5"), -12_500_000),
        (2, 2_000_000),
    ],
)
def test_decimal_to_e6(value: Decimal | int, millionths: int) -> None:
    assert decimal_to_e6(value) == millionths


@pytest.mark.parametrize(
    ("millionths", "text"),
    [(50_000_000, "50.000000"), (0, "0.000000"), (333_333, "0.333333"), (-1, "-0.000001")],
)
def test_e6_to_decimal_has_six_places(millionths: int, text: str) -> None:
    value = e6_to_decimal(millionths)

    assert value.as_tuple().exponent == -6
    assert format(value, "f") == text


@pytest.mark.parametrize(
    ("numerator", "denominator", "text"),
    [
        (1, 3, "0.333333"),
        (100, 3, "33.333333"),
        (2, 3, "0.666667"),
        (1, 2, "0.500000"),
        (0, 7, "0.000000"),
        (1, 2_000_000, "0.000000"),
        (3, 2_000_000, "0.000002"),
    ],
)
def test_ratio_6(numerator: int, denominator: int, text: str) -> None:
    ratio = ratio_6(numerator, denominator)

    assert format(ratio, "f") == text
    assert ratio.as_tuple().exponent == -6


def test_ratio_6_rejects_zero_denominator() -> None:
    with pytest.raises(ValueError, match="greater than 0"):
        ratio_6(1, 0)
