"""Parsing of source cells into field values for ``analytics ingest``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from analytics.ingest.values import FieldType, RowError, cell_text, parse_value

NEW_YORK = "America/New_York"


def parse(field_type: FieldType, value: object, assume_tz: str | None = None) -> object:
    return parse_value("field", field_type, value, assume_tz)


def rejection(field_type: FieldType, value: object, assume_tz: str | None = None) -> str:
    with pytest.raises(RowError) as caught:
        parse_value("field", field_type, value, assume_tz)
    assert caught.value.field == "field"
    return caught.value.message


@pytest.mark.parametrize("field_type", list(FieldType))
def test_empty_cell_is_missing(field_type: FieldType) -> None:
    assert parse(field_type, "") is None
    assert parse(field_type, None) is None


@pytest.mark.parametrize("field_type", [t for t in FieldType if t is not FieldType.TEXT])
def test_blank_cell_is_missing_after_trim(field_type: FieldType) -> None:
    assert parse(field_type, "   ") is None


def test_identifier_trimmed() -> None:
    assert parse(FieldType.IDENTIFIER, "  acme \t") == "acme"


def test_identifier_from_json_number() -> None:
    assert parse(FieldType.IDENTIFIER, Decimal("1234")) == "1234"


def test_identifier_rejects_json_boolean() -> None:
    assert "not a JSON boolean" in rejection(FieldType.IDENTIFIER, True)


def test_free_text_kept_as_is() -> None:
    assert parse(FieldType.TEXT, "  Timeout after 30s\n  at line 4 ") == (
        "  Timeout after 30s\n  at line 4 "
    )


def test_free_text_blank_kept() -> None:
    assert parse(FieldType.TEXT, "  ") == "  "


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), (" 12 ", 12), ("12.0", 12), ("0", 0), ("-3", -3), ("1e3", 1000), ("+7", 7)],
)
def test_integer_digits(text: str, expected: int) -> None:
    value = parse(FieldType.INTEGER, text)

    assert value == expected
    assert type(value) is int


def test_integer_from_json_number() -> None:
    assert parse(FieldType.INTEGER, Decimal("4808")) == 4808


@pytest.mark.parametrize("text", ["12.5", "0.1", "NaN", "Infinity"])
def test_integer_fraction_rejected(text: str) -> None:
    assert rejection(FieldType.INTEGER, text) == f"field {text!r} is not a whole number"


@pytest.mark.parametrize("text", ["twelve", "1,000", "1_000", "12 tokens", "0x10"])
def test_integer_not_a_number_rejected(text: str) -> None:
    assert rejection(FieldType.INTEGER, text) == f"field {text!r} is not a whole number"


def test_integer_huge_exponent_rejected_quickly() -> None:
    assert "out of range" in rejection(FieldType.INTEGER, "1e999999999")


def test_money_parsed_from_text_exactly() -> None:
    value = parse(FieldType.MONEY, "34.732634666666634")

    assert value == Decimal("34.732634666666634")
    assert isinstance(value, Decimal)


def test_money_keeps_digits_a_float_would_lose() -> None:
    assert parse(FieldType.MONEY, "0.1000000000000000055511151231257827") == Decimal(
        "0.1000000000000000055511151231257827"
    )


def test_money_from_json_decimal() -> None:
    assert parse(FieldType.MONEY, Decimal("0.0007272")) == Decimal("0.0007272")


@pytest.mark.parametrize("text", ["$1.20", "1.2.3", "one", "1_0"])
def test_money_not_a_number_rejected(text: str) -> None:
    assert rejection(FieldType.MONEY, text) == f"field {text!r} is not an amount in USD"


def test_money_negative_left_to_port() -> None:
    # The port's own rule rejects a negative cost, with its own message.
    assert parse(FieldType.MONEY, "-1") == Decimal(-1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        (" Yes ", True),
        ("1", True),
        ("false", False),
        ("False", False),
        ("no", False),
        ("0", False),
    ],
)
def test_boolean_spellings(text: str, expected: bool) -> None:
    assert parse(FieldType.BOOLEAN, text) is expected


def test_boolean_from_json() -> None:
    assert parse(FieldType.BOOLEAN, True) is True
    assert parse(FieldType.BOOLEAN, Decimal(0)) is False


@pytest.mark.parametrize("text", ["y", "t", "2", "on"])
def test_boolean_other_text_rejected(text: str) -> None:
    assert "is not a boolean; use true/false, 1/0 or yes/no" in rejection(FieldType.BOOLEAN, text)


def test_time_with_offset() -> None:
    value = parse(FieldType.TIME, "2026-03-26T02:23:58+00:00")

    assert value == datetime(2026, 3, 26, 2, 23, 58, tzinfo=UTC)


def test_time_with_z_and_half_hour_offset() -> None:
    assert parse(FieldType.TIME, "2024-03-10T06:30:00Z") == datetime(2024, 3, 10, 6, 30, tzinfo=UTC)
    value = parse(FieldType.TIME, "2024-03-10T12:00:00+05:30")
    assert isinstance(value, datetime)
    assert value.utcoffset() == timedelta(hours=5, minutes=30)


def test_time_cut_to_microseconds() -> None:
    value = parse(FieldType.TIME, "2023-11-16 18:17:03.9799609", "UTC")

    assert value == datetime(2023, 11, 16, 18, 17, 3, 979960, tzinfo=ZoneInfo("UTC"))


def test_time_naive_without_zone_rejected() -> None:
    message = rejection(FieldType.TIME, "2023-11-16 18:17:03")

    assert message == "field '2023-11-16 18:17:03' has no time zone; pass --assume-tz ZONE"


def test_time_naive_read_in_assumed_zone() -> None:
    value = parse(FieldType.TIME, "2024-07-01 12:00:00", NEW_YORK)

    assert isinstance(value, datetime)
    assert value.astimezone(UTC) == datetime(2024, 7, 1, 16, 0, tzinfo=UTC)


def test_time_offset_beats_assumed_zone() -> None:
    value = parse(FieldType.TIME, "2024-07-01T12:00:00+00:00", NEW_YORK)

    assert isinstance(value, datetime)
    assert value.astimezone(UTC) == datetime(2024, 7, 1, 12, 0, tzinfo=UTC)


def test_time_in_daylight_saving_gap_rejected() -> None:
    # 2024-03-10 02:30 never happened in New York: clocks went from 02:00 to 03:00.
    message = rejection(FieldType.TIME, "2024-03-10 02:30:00", NEW_YORK)

    assert (
        message
        == f"field '2024-03-10 02:30:00' does not exist in {NEW_YORK} (a daylight-saving gap)"
    )


def test_time_repeated_takes_first_occurrence() -> None:
    # 2024-11-03 01:30 happened twice in New York: first at UTC-4, then at UTC-5.
    value = parse(FieldType.TIME, "2024-11-03 01:30:00", NEW_YORK)

    assert isinstance(value, datetime)
    assert value.astimezone(UTC) == datetime(2024, 11, 3, 5, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["yesterday", "16/11/2023 18:17", "2023-13-01T00:00:00Z"])
def test_time_not_iso_rejected(text: str) -> None:
    assert rejection(FieldType.TIME, text, "UTC") == f"field {text!r} is not an ISO 8601 time"


def test_time_json_number_rejected() -> None:
    assert "is not an ISO 8601 time" in rejection(FieldType.TIME, Decimal(1700000000), "UTC")


def test_json_array_rejected() -> None:
    assert "must be a single value" in rejection(FieldType.IDENTIFIER, ["a"])


def test_cell_text_of_json_scalars() -> None:
    assert cell_text(True) == "true"
    assert cell_text(False) == "false"
    assert cell_text(Decimal("1.50")) == "1.50"
    assert cell_text(None) is None
    assert cell_text("") == ""
