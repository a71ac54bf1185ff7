"""Command-line times, days and durations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import click
import pytest

from analytics.cli.times import format_duration, parse_day, parse_duration, parse_instant


def test_date_is_start_of_local_day() -> None:
    parsed = parse_instant("2024-11-05", "America/New_York")

    assert parsed.astimezone(UTC) == datetime(2024, 11, 5, 5, 0, tzinfo=UTC)


def test_date_on_long_day_starts_before_shift() -> None:
    # 2024-11-03 in New York has 25 hours and starts at 04:00 UTC, still on EDT.
    parsed = parse_instant("2024-11-03", "America/New_York")

    assert parsed.astimezone(UTC) == datetime(2024, 11, 3, 4, 0, tzinfo=UTC)


def test_instant_without_offset_is_read_in_zone() -> None:
    parsed = parse_instant("2024-11-05T18:00", "Europe/Berlin")

    assert parsed.astimezone(UTC) == datetime(2024, 11, 5, 17, 0, tzinfo=UTC)


def test_instant_with_offset_keeps_offset() -> None:
    parsed = parse_instant("2024-11-05T18:00:00+02:00", "America/New_York")

    assert parsed.astimezone(UTC) == datetime(2024, 11, 5, 16, 0, tzinfo=UTC)


def test_instant_with_z_suffix_is_utc() -> None:
    parsed = parse_instant("2024-11-05T18:00:00Z", "Europe/Berlin")

    assert parsed == datetime(2024, 11, 5, 18, 0, tzinfo=UTC)


def test_instant_with_space_separator() -> None:
    parsed = parse_instant("2024-11-05 18:30:15", "UTC")

    assert parsed == datetime(2024, 11, 5, 18, 30, 15, tzinfo=UTC)


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", "2024-11-05T25:00", "11/05/2024", ""])
def test_bad_instant_names_value(value: str) -> None:
    with pytest.raises(click.BadParameter) as error:
        parse_instant(value, "UTC")

    assert repr(value) in error.value.message


def test_parse_day() -> None:
    assert parse_day("2024-02-29") == date(2024, 2, 29)


@pytest.mark.parametrize("value", ["2023-02-29", "2024-11-05T00:00", "tomorrow", "20241105"])
def test_bad_day_names_value(value: str) -> None:
    with pytest.raises(click.BadParameter) as error:
        parse_day(value)

    assert repr(value) in error.value.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("1d", timedelta(days=1)),
        (" 36H ", timedelta(hours=36)),
    ],
)
def test_parse_duration(value: str, expected: timedelta) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize("value", ["", "7", "d", "0h", "-5m", "1.5h", "7 days", "2w"])
def test_bad_duration_names_value(value: str) -> None:
    with pytest.raises(click.BadParameter) as error:
        parse_duration(value)

    assert repr(value) in error.value.message


def test_huge_duration_is_rejected() -> None:
    with pytest.raises(click.BadParameter):
        parse_duration("99999999999d")


@pytest.mark.parametrize(
    ("duration", "expected"),
    [(timedelta(days=7), "7d"), (timedelta(hours=36), "36h"), (timedelta(minutes=90), "90m")],
)
def test_format_duration(duration: timedelta, expected: str) -> None:
    assert format_duration(duration) == expected
