from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise

import pytest

from analytics.domain import (
    MAX_BUCKETS,
    BucketUnit,
    OffsetSegment,
    bucket_bounds,
    date_from_day_number,
    day_bounds,
    day_start,
    load_zone,
    local_date,
    local_day_number,
    month_bounds,
    offset_segments,
    range_bounds,
    system_clock,
)

NEW_YORK = "America/New_York"
KOLKATA = "Asia/Kolkata"
HAVANA = "America/Havana"
LORD_HOWE = "Australia/Lord_Howe"
KATHMANDU = "Asia/Kathmandu"
HOUR = timedelta(hours=1)

Bucket = tuple[datetime, datetime]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def hours(bounds: Bucket) -> float:
    return (bounds[1] - bounds[0]) / HOUR


def local_hours(buckets: list[Bucket], tz: str) -> list[int]:
    zone = load_zone(tz)
    return [start.astimezone(zone).hour for start, _ in buckets]


def assert_contiguous_utc(buckets: list[Bucket]) -> None:
    for start, end in buckets:
        assert start.tzinfo is UTC
        assert end.tzinfo is UTC
        assert start < end
    for previous, following in pairwise(buckets):
        assert previous[1] == following[0]


def assert_on_the_hour(buckets: list[Bucket], tz: str) -> None:
    zone = load_zone(tz)
    for start, _ in buckets:
        local = start.astimezone(zone)
        assert (local.minute, local.second, local.microsecond) == (0, 0, 0), local


# New York, spring forward: 02:00 EST jumps to 03:00 EDT at 07:00Z on 2024-03-10.


def test_new_york_spring_forward_day() -> None:
    bounds = day_bounds(date(2024, 3, 10), NEW_YORK)

    assert bounds == (utc(2024, 3, 10, 5), utc(2024, 3, 11, 4))
    assert hours(bounds) == 23


def test_new_york_spring_forward_hour_buckets() -> None:
    start, end = day_bounds(date(2024, 3, 10), NEW_YORK)

    buckets = bucket_bounds(start, end, BucketUnit.HOUR, NEW_YORK)

    assert len(buckets) == 23
    assert [b[0] for b in buckets[:4]] == [
        utc(2024, 3, 10, 5),
        utc(2024, 3, 10, 6),
        utc(2024, 3, 10, 7),
        utc(2024, 3, 10, 8),
    ]
    assert buckets[-1] == (utc(2024, 3, 11, 3), utc(2024, 3, 11, 4))
    assert 2 not in local_hours(buckets, NEW_YORK)
    assert local_hours(buckets, NEW_YORK)[:3] == [0, 1, 3]
    assert all(hours(bucket) == 1 for bucket in buckets)
    assert_contiguous_utc(buckets)


def test_new_york_local_date_near_midnight() -> None:
    assert local_date(utc(2024, 3, 11, 3, 59), NEW_YORK) == date(2024, 3, 10)
    assert local_date(utc(2024, 3, 11, 4, 0), NEW_YORK) == date(2024, 3, 11)
    assert local_date(utc(2024, 3, 11, 3, 59), "UTC") == date(2024, 3, 11)


def test_new_york_iso_week_with_spring_forward() -> None:
    sunday_noon = utc(2024, 3, 10, 16)

    buckets = bucket_bounds(sunday_noon, sunday_noon + HOUR, BucketUnit.WEEK, NEW_YORK)

    assert buckets == [(utc(2024, 3, 4, 5), utc(2024, 3, 11, 4))]
    assert hours(buckets[0]) == 167


def test_new_york_march_has_743_hours() -> None:
    bounds = month_bounds(date(2024, 3, 1), NEW_YORK)

    assert bounds == (utc(2024, 3, 1, 5), utc(2024, 4, 1, 4))
    assert hours(bounds) == 743
    assert bucket_bounds(bounds[0], bounds[1], BucketUnit.MONTH, NEW_YORK) == [bounds]


# New York, fall back: 02:00 EDT goes back to 01:00 EST at 06:00Z on 2024-11-03.


def test_new_york_fall_back_day() -> None:
    bounds = day_bounds(date(2024, 11, 3), NEW_YORK)

    assert bounds == (utc(2024, 11, 3, 4), utc(2024, 11, 4, 5))
    assert hours(bounds) == 25


def test_new_york_fall_back_hour_buckets() -> None:
    start, end = day_bounds(date(2024, 11, 3), NEW_YORK)

    buckets = bucket_bounds(start, end, BucketUnit.HOUR, NEW_YORK)

    assert len(buckets) == 25
    assert [b[0] for b in buckets[:4]] == [
        utc(2024, 11, 3, 4),
        utc(2024, 11, 3, 5),
        utc(2024, 11, 3, 6),
        utc(2024, 11, 3, 7),
    ]
    assert local_hours(buckets, NEW_YORK).count(1) == 2
    assert all(hours(bucket) == 1 for bucket in buckets)
    assert_contiguous_utc(buckets)


# Asia/Kolkata is +05:30 all year.


def test_kolkata_day() -> None:
    assert day_bounds(date(2024, 3, 10), KOLKATA) == (
        utc(2024, 3, 9, 18, 30),
        utc(2024, 3, 10, 18, 30),
    )


def test_kolkata_local_date_near_midnight() -> None:
    last_second = datetime(2024, 3, 10, 18, 29, 59, tzinfo=UTC)
    midnight = utc(2024, 3, 10, 18, 30)

    assert local_date(last_second, KOLKATA) == date(2024, 3, 10)
    assert local_date(midnight, KOLKATA) == date(2024, 3, 11)
    assert local_date(last_second, "UTC") == date(2024, 3, 10)
    assert local_date(midnight, "UTC") == date(2024, 3, 10)


def test_kolkata_hour_buckets_start_at_half_past() -> None:
    start, end = day_bounds(date(2024, 3, 10), KOLKATA)

    buckets = bucket_bounds(start, end, BucketUnit.HOUR, KOLKATA)

    assert len(buckets) == 24
    assert buckets[-1] == (utc(2024, 3, 10, 17, 30), utc(2024, 3, 10, 18, 30))
    assert all(bucket[0].minute == 30 for bucket in buckets)
    assert_on_the_hour(buckets, KOLKATA)


def test_kolkata_march_has_744_hours() -> None:
    bounds = month_bounds(date(2024, 3, 1), KOLKATA)

    assert bounds == (utc(2024, 2, 29, 18, 30), utc(2024, 3, 31, 18, 30))
    assert hours(bounds) == 744


# America/Havana moves its clocks at midnight.


def test_havana_day_without_midnight() -> None:
    # 00:00 CST jumps to 01:00 CDT, so the day starts at 01:00 CDT.
    bounds = day_bounds(date(2024, 3, 10), HAVANA)

    assert bounds == (utc(2024, 3, 10, 5), utc(2024, 3, 11, 4))
    assert hours(bounds) == 23
    assert bounds[0].astimezone(load_zone(HAVANA)).hour == 1


def test_havana_repeated_midnight_starts_at_first() -> None:
    bounds = day_bounds(date(2024, 11, 3), HAVANA)

    assert bounds == (utc(2024, 11, 3, 4), utc(2024, 11, 4, 5))
    assert hours(bounds) == 25
    assert local_date(bounds[0] - timedelta(microseconds=1), HAVANA) == date(2024, 11, 2)


def test_havana_day_buckets_across_changes() -> None:
    buckets = bucket_bounds(utc(2024, 3, 9, 12), utc(2024, 3, 11, 12), BucketUnit.DAY, HAVANA)

    assert buckets == [
        (utc(2024, 3, 9, 5), utc(2024, 3, 10, 5)),
        (utc(2024, 3, 10, 5), utc(2024, 3, 11, 4)),
        (utc(2024, 3, 11, 4), utc(2024, 3, 12, 4)),
    ]


# Windows and ranges.


def test_unaligned_day_window() -> None:
    buckets = bucket_bounds(utc(2024, 3, 10, 12), utc(2024, 3, 11, 12), BucketUnit.DAY, "UTC")

    assert buckets == [
        (utc(2024, 3, 10), utc(2024, 3, 11)),
        (utc(2024, 3, 11), utc(2024, 3, 12)),
    ]


def test_window_ending_on_boundary_excludes_next_bucket() -> None:
    buckets = bucket_bounds(utc(2024, 3, 10), utc(2024, 3, 12), BucketUnit.DAY, "UTC")

    assert buckets == [
        (utc(2024, 3, 10), utc(2024, 3, 11)),
        (utc(2024, 3, 11), utc(2024, 3, 12)),
    ]


def test_day_range_of_71_hours() -> None:
    bounds = range_bounds(date(2024, 3, 9), date(2024, 3, 12), NEW_YORK)

    assert bounds == (utc(2024, 3, 9, 5), utc(2024, 3, 12, 4))
    assert hours(bounds) == 71


def test_day_start_is_local_midnight() -> None:
    assert day_start(date(2024, 7, 1), NEW_YORK) == utc(2024, 7, 1, 4)
    assert day_start(date(2024, 7, 1), "UTC") == utc(2024, 7, 1)


def test_microsecond_window_gets_covering_buckets() -> None:
    start = datetime(2024, 3, 10, 10, 59, 59, 999_999, tzinfo=UTC)
    end = datetime(2024, 3, 10, 12, 0, 0, 1, tzinfo=UTC)

    buckets = bucket_bounds(start, end, BucketUnit.HOUR, "UTC")

    assert [b[0] for b in buckets] == [utc(2024, 3, 10, h) for h in (10, 11, 12)]


def test_aware_non_utc_input_is_accepted() -> None:
    plus_two = timezone(timedelta(hours=2))
    start = datetime(2024, 3, 10, 2, tzinfo=plus_two)

    buckets = bucket_bounds(start, start + HOUR, BucketUnit.HOUR, "UTC")

    assert buckets == [(utc(2024, 3, 10, 0), utc(2024, 3, 10, 1))]
    assert local_date(start, "UTC") == date(2024, 3, 10)


def test_week_and_month_buckets() -> None:
    weeks = bucket_bounds(utc(2024, 1, 3), utc(2024, 1, 16), BucketUnit.WEEK, "UTC")
    just_after_march = utc(2024, 3, 1) + timedelta(seconds=1)
    months = bucket_bounds(utc(2024, 1, 31), just_after_march, BucketUnit.MONTH, "UTC")

    assert [b[0].date() for b in weeks] == [date(2024, 1, 1), date(2024, 1, 8), date(2024, 1, 15)]
    assert [b[0].date() for b in months] == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    assert months[-1][1] == utc(2024, 4, 1)


# Zones with 30- and 45-minute offsets.


def test_lord_howe_spring_forward_bucket() -> None:
    # 02:00 +10:30 jumps to 02:30 +11:00 at 15:30Z, so the local clock reads
    # 01:00 at 14:30Z and next reads HH:00 at 03:00 (16:00Z): 90 minutes.
    start, end = day_bounds(date(2024, 10, 6), LORD_HOWE)

    buckets = bucket_bounds(start, end, BucketUnit.HOUR, LORD_HOWE)

    assert hours((start, end)) == 23.5
    assert len(buckets) == 23
    uneven = [bucket for bucket in buckets if hours(bucket) != 1]
    assert uneven == [(utc(2024, 10, 5, 14, 30), utc(2024, 10, 5, 16))]
    assert_on_the_hour(buckets, LORD_HOWE)
    assert_contiguous_utc(buckets)


def test_lord_howe_fall_back_bucket() -> None:
    # 02:00 +11:00 goes back to 01:30 +10:30 at 15:00Z. The clock never reads
    # 02:00:00 before the change, so the 01:00 bucket runs to 02:00 +10:30.
    start, end = day_bounds(date(2024, 4, 7), LORD_HOWE)

    buckets = bucket_bounds(start, end, BucketUnit.HOUR, LORD_HOWE)

    assert hours((start, end)) == 24.5
    assert len(buckets) == 24
    uneven = [bucket for bucket in buckets if hours(bucket) != 1]
    assert uneven == [(utc(2024, 4, 6, 14), utc(2024, 4, 6, 15, 30))]
    assert_on_the_hour(buckets, LORD_HOWE)
    assert_contiguous_utc(buckets)


def test_kathmandu_offset_of_five_forty_five() -> None:
    bounds = day_bounds(date(2024, 3, 10), KATHMANDU)

    buckets = bucket_bounds(bounds[0], bounds[1], BucketUnit.HOUR, KATHMANDU)

    assert bounds == (utc(2024, 3, 9, 18, 15), utc(2024, 3, 10, 18, 15))
    assert len(buckets) == 24
    assert all(bucket[0].minute == 15 for bucket in buckets)
    assert_on_the_hour(buckets, KATHMANDU)


def test_skipped_day_makes_no_empty_bucket() -> None:
    # Pacific/Apia moved from UTC-10 to UTC+14 and skipped 2011-12-30.
    buckets = bucket_bounds(
        utc(2011, 12, 29, 12), utc(2011, 12, 31, 12), BucketUnit.DAY, "Pacific/Apia"
    )

    assert buckets == [
        (utc(2011, 12, 29, 10), utc(2011, 12, 30, 10)),
        (utc(2011, 12, 30, 10), utc(2011, 12, 31, 10)),
        (utc(2011, 12, 31, 10), utc(2012, 1, 1, 10)),
    ]
    assert day_bounds(date(2011, 12, 30), "Pacific/Apia") == (utc(2011, 12, 30, 10),) * 2


# Bucket limit.


def test_max_buckets_allowed() -> None:
    start = utc(2024, 1, 1)

    buckets = bucket_bounds(start, start + MAX_BUCKETS * HOUR, BucketUnit.HOUR, "UTC")

    assert MAX_BUCKETS == 2400
    assert len(buckets) == 2400


def test_one_bucket_over_max_raises() -> None:
    start = utc(2024, 1, 1)

    with pytest.raises(ValueError, match="more than 2400 hour buckets"):
        bucket_bounds(start, start + (MAX_BUCKETS + 1) * HOUR, BucketUnit.HOUR, "UTC")


def test_huge_window_raises() -> None:
    with pytest.raises(ValueError, match="more than 2400"):
        bucket_bounds(utc(1970, 1, 1), utc(2199, 12, 31), BucketUnit.HOUR, NEW_YORK)
    with pytest.raises(ValueError, match="more than 2400"):
        bucket_bounds(utc(1970, 1, 1), utc(2199, 12, 31), BucketUnit.DAY, NEW_YORK)


# Invalid input.


@pytest.mark.parametrize(
    "tz",
    [
        "Mars/Olympus",
        "+05:30",
        "",
        " UTC",
        "UTC ",
        "/etc/localtime",
        "../zoneinfo/UTC",
        "America/../Europe/Paris",
        "zone.tab",
        "localtime",
        "UTC\x00",
        "America/",
    ],
)
def test_invalid_zone_raises(tz: str) -> None:
    with pytest.raises(ValueError, match="time zone"):
        load_zone(tz)
    with pytest.raises(ValueError, match="time zone"):
        local_date(utc(2024, 1, 1), tz)


def test_valid_zones_load_and_are_cached() -> None:
    assert load_zone("UTC").key == "UTC"
    assert load_zone("Etc/GMT+5").utcoffset(datetime(2024, 1, 1)) == timedelta(hours=-5)
    assert load_zone(NEW_YORK) is load_zone(NEW_YORK)


def test_naive_datetimes_raise() -> None:
    naive = datetime(2024, 1, 1)

    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(naive, "UTC")
    with pytest.raises(ValueError, match="timezone-aware"):
        bucket_bounds(naive, utc(2024, 1, 2), BucketUnit.DAY, "UTC")
    with pytest.raises(ValueError, match="timezone-aware"):
        bucket_bounds(utc(2024, 1, 1), datetime(2024, 1, 2), BucketUnit.DAY, "UTC")
    with pytest.raises(ValueError, match="timezone-aware"):
        offset_segments(naive, utc(2024, 1, 2), "UTC")


def test_empty_window_raises() -> None:
    with pytest.raises(ValueError, match="must be after"):
        bucket_bounds(utc(2024, 1, 2), utc(2024, 1, 2), BucketUnit.DAY, "UTC")
    with pytest.raises(ValueError, match="must be after"):
        bucket_bounds(utc(2024, 1, 2), utc(2024, 1, 1), BucketUnit.DAY, "UTC")
    with pytest.raises(ValueError, match="must be after"):
        offset_segments(utc(2024, 1, 2), utc(2024, 1, 1), "UTC")


def test_day_range_errors() -> None:
    with pytest.raises(ValueError, match="must be after"):
        range_bounds(date(2024, 3, 9), date(2024, 3, 9), "UTC")
    with pytest.raises(ValueError, match="first day of a month"):
        month_bounds(date(2024, 3, 2), "UTC")
    with pytest.raises(ValueError, match="must be a date"):
        day_bounds(utc(2024, 3, 9), "UTC")


def test_unknown_unit_raises() -> None:
    with pytest.raises(ValueError, match="unknown bucket unit"):
        bucket_bounds(utc(2024, 1, 1), utc(2024, 1, 2), "minute", "UTC")  # type: ignore[arg-type]


# Offset segments and day numbers.


def test_offset_segments_over_fall_back() -> None:
    segments = offset_segments(utc(2024, 11, 2), utc(2024, 11, 5), NEW_YORK)

    assert segments == [
        OffsetSegment(utc(2024, 11, 2), utc(2024, 11, 3, 6), -4 * 3600),
        OffsetSegment(utc(2024, 11, 3, 6), utc(2024, 11, 5), -5 * 3600),
    ]


def test_offset_segments_microsecond_window() -> None:
    start = datetime(2024, 3, 10, 6, 59, 59, 500_000, tzinfo=UTC)
    end = datetime(2024, 3, 10, 7, 0, 0, 250_000, tzinfo=UTC)

    segments = offset_segments(start, end, NEW_YORK)

    assert segments == [
        OffsetSegment(start, utc(2024, 3, 10, 7), -5 * 3600),
        OffsetSegment(utc(2024, 3, 10, 7), end, -4 * 3600),
    ]


def test_offset_segments_in_utc() -> None:
    segments = offset_segments(utc(2024, 1, 1), utc(2024, 12, 31), "UTC")

    assert segments == [OffsetSegment(utc(2024, 1, 1), utc(2024, 12, 31), 0)]
    assert segments[0].start.tzinfo is UTC


def test_offset_segments_lord_howe_year() -> None:
    segments = offset_segments(utc(2024, 1, 1), utc(2025, 1, 1), LORD_HOWE)

    assert [segment.offset_seconds for segment in segments] == [39600, 37800, 39600]
    assert [segment.start for segment in segments[1:]] == [
        utc(2024, 4, 6, 15),
        utc(2024, 10, 5, 15, 30),
    ]


def test_offset_segments_are_copies() -> None:
    first = offset_segments(utc(2024, 1, 1), utc(2024, 1, 2), "UTC")
    first.clear()

    assert len(offset_segments(utc(2024, 1, 1), utc(2024, 1, 2), "UTC")) == 1


def test_local_day_number_round_trip() -> None:
    late_evening = (utc(2024, 3, 11, 3, 59) - utc(1970, 1, 1)) // timedelta(seconds=1)

    day_number = local_day_number(late_evening, -4 * 3600)

    assert date_from_day_number(day_number) == date(2024, 3, 10)
    assert date_from_day_number(local_day_number(late_evening, 0)) == date(2024, 3, 11)
    assert date_from_day_number(0) == date(1970, 1, 1)
    assert local_day_number(-1, 0) == -1


def test_system_clock_is_aware_utc() -> None:
    now = system_clock()

    assert now.tzinfo is UTC
