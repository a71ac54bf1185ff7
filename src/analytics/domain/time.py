"""Local days, months and series buckets of an IANA time zone, as UTC ranges.

Every function here computes in the application with ``zoneinfo``; SQL only
compares stored UTC instants with the bounds returned here. Inputs must be
timezone-aware datetimes and IANA keys; every returned datetime is aware with
``tzinfo`` exactly ``datetime.timezone.utc``. Bad input raises ``ValueError``,
which the ports turn into their own validation error.

Internally instants are whole seconds since 1970-01-01T00:00:00Z ("epoch
seconds"). That is exact because the tz database changes offsets only at whole
seconds and its offsets are whole seconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from analytics.domain.enums import BucketUnit

Clock: TypeAlias = Callable[[], datetime]
"""Zero-argument callable that returns the current instant as an aware UTC datetime."""

MAX_BUCKETS = 2400
"""Maximum number of buckets in one series (100 days of hours)."""

SECONDS_PER_DAY = 86_400
_SECONDS_PER_HOUR = 3_600
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DATE = date(1970, 1, 1)
_ONE_SECOND = timedelta(seconds=1)

# Letters, digits and "_", "-", "+" in "/"-separated parts: the characters of
# IANA keys such as "America/Port-au-Prince" or "Etc/GMT+5". This rejects
# fixed offsets ("+05:30"), file names ("zone.tab") and absolute paths.
_ZONE_KEY = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*")

# Files in some system zone directories that are not IANA keys; their meaning
# depends on how the machine is configured.
_NOT_ZONE_KEYS = frozenset({"localtime", "posixrules"})

# Margin around a local instant within which its UTC instant lies. It exceeds
# every UTC offset in the tz database; the largest is -15:56:08 (Asia/Manila
# before 1845).
_OFFSET_MARGIN = 26 * _SECONDS_PER_HOUR

# Offset transitions are found by sampling once an hour and bisecting.
_SCAN_STEP = _SECONDS_PER_HOUR


@dataclass(frozen=True)
class OffsetSegment:
    """Piece of a UTC window in which the zone's UTC offset is constant.

    ``offset_seconds`` is local time minus UTC (19800 for +05:30).
    """

    start: datetime
    end: datetime
    offset_seconds: int


def system_clock() -> datetime:
    """Return the current instant as an aware UTC datetime."""
    return datetime.now(UTC)


def load_zone(tz: str) -> ZoneInfo:
    """Load the IANA time zone ``tz`` (for example ``"America/New_York"``).

    Raises ``ValueError`` for anything that is not a key ``zoneinfo`` can load:
    an empty string, surrounding whitespace, a fixed offset such as ``"+05:30"``,
    a path, or an unknown key.
    """
    if not isinstance(tz, str):
        raise ValueError(f"time zone must be a str, got {type(tz).__name__}: {tz!r}")
    if not _ZONE_KEY.fullmatch(tz) or tz in _NOT_ZONE_KEYS:
        raise ValueError(
            f"time zone {tz!r} is not an IANA time-zone key; "
            'use a key such as "America/New_York" or "Etc/UTC"'
        )
    return _load_zone_cached(tz)


def local_date(instant: datetime, tz: str) -> date:
    """Return the calendar date of ``instant`` in ``tz``."""
    _require_aware(instant, "instant")
    zone = load_zone(tz)

    try:
        return instant.astimezone(zone).date()
    except OverflowError as exc:
        raise ValueError(f"{instant} is outside the supported dates") from exc


def day_start(day: date, tz: str) -> datetime:
    """Return the earliest instant whose local date in ``tz`` is ``day`` or later.

    This is local midnight when it exists. When the clocks jump over midnight
    the day starts at the first instant that exists, and when midnight happens
    twice it starts at the first occurrence.
    """
    _require_date(day, "day")
    load_zone(tz)

    try:
        return _from_epoch(_day_start_epoch(day, tz))
    except OverflowError as exc:
        raise ValueError(f"{day} is outside the supported dates") from exc


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """Return the UTC range ``[start, end)`` of the local day ``day`` in ``tz``.

    It lasts 24 hours, or 23 or 25 hours on a daylight-saving change.
    """
    _require_date(day, "day")
    return range_bounds(day, _add_days(day, 1), tz)


def range_bounds(start_day: date, end_day: date, tz: str) -> tuple[datetime, datetime]:
    """Return the UTC range from the start of ``start_day`` to the start of ``end_day``.

    ``end_day`` is excluded and must be after ``start_day``.
    """
    _require_date(start_day, "start_day")
    _require_date(end_day, "end_day")
    if end_day <= start_day:
        raise ValueError(f"end_day {end_day} must be after start_day {start_day}")

    return day_start(start_day, tz), day_start(end_day, tz)


def month_bounds(month_start: date, tz: str) -> tuple[datetime, datetime]:
    """Return the UTC range of the local month that begins on ``month_start``.

    ``month_start`` must be the first day of a month.
    """
    _require_date(month_start, "month_start")
    if month_start.day != 1:
        raise ValueError(f"month_start must be the first day of a month, got {month_start}")

    return range_bounds(month_start, _add_months(month_start, 1), tz)


def bucket_bounds(
    start: datetime, end: datetime, unit: BucketUnit, tz: str
) -> list[tuple[datetime, datetime]]:
    """Return every calendar-aligned bucket of ``unit`` in ``tz`` that overlaps ``[start, end)``.

    Buckets are ``(bucket_start, bucket_end)`` pairs in ascending order with no
    gaps. The first and last bucket may extend beyond the window. Day, week
    (ISO, from Monday) and month buckets start at ``day_start`` of their first
    day. Hour buckets start at every instant at which the local clock reads
    exactly HH:00:00, so a repeated hour gives two buckets, a skipped hour none,
    and a 30-minute clock change makes one bucket 30 or 90 minutes long.
    Raises ``ValueError`` when the window contains more than ``MAX_BUCKETS``
    buckets, before building them all.
    """
    start_epoch, end_epoch = _window_epochs(start, end)
    bucket_unit = _parse_unit(unit)
    load_zone(tz)

    try:
        return _collect_buckets(start, end, start_epoch, end_epoch, bucket_unit, tz)
    except OverflowError as exc:
        raise ValueError(
            f"buckets of {bucket_unit} from {start} to {end} reach beyond the supported dates"
        ) from exc


def offset_segments(start: datetime, end: datetime, tz: str) -> list[OffsetSegment]:
    """Split ``[start, end)`` into the maximal pieces in which the UTC offset of ``tz`` is constant.

    Offset changes are found exactly to the second. Adapters use the segments to
    group rows by local day or hour in SQL: add the segment's offset to a row's
    epoch seconds and divide.
    """
    _window_epochs(start, end)
    load_zone(tz)

    start_utc = start.astimezone(UTC)
    end_utc = end.astimezone(UTC)
    return list(_offset_segments_cached(start_utc, end_utc, tz))


def local_day_number(epoch_seconds: int, offset_seconds: int) -> int:
    """Return the local day number (days since 1970-01-01) of a UTC epoch second.

    ``offset_seconds`` is the UTC offset in force at that instant, as given by
    ``offset_segments``.
    """
    return (epoch_seconds + offset_seconds) // SECONDS_PER_DAY


def date_from_day_number(n: int) -> date:
    """Return the date that is ``n`` days after 1970-01-01."""
    return _EPOCH_DATE + timedelta(days=n)


# Zones.


@lru_cache(maxsize=1024)
def _load_zone_cached(tz: str) -> ZoneInfo:
    # lru_cache does not store exceptions, so the cache contains valid keys only.
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError, UnicodeError) as exc:
        raise ValueError(
            f"unknown time zone {tz!r}; use an IANA key such as "
            '"America/New_York" or "Asia/Kolkata"'
        ) from exc


def _offset_at(epoch: int, zone: ZoneInfo) -> int:
    offset = _from_epoch(epoch).astimezone(zone).utcoffset()
    if offset is None:
        raise ValueError(f"time zone {zone.key!r} has no UTC offset at {_from_epoch(epoch)}")
    return offset // _ONE_SECOND


# Offset segments, as (start, end, offset) in epoch seconds.

_Segment: TypeAlias = tuple[int, int, int]


@lru_cache(maxsize=4096)
def _offset_segments_cached(start: datetime, end: datetime, tz: str) -> tuple[OffsetSegment, ...]:
    first_second = _floor_epoch(start)
    last_second = _floor_epoch(end - timedelta(microseconds=1))
    segments = _epoch_segments(first_second, last_second + 1, tz)

    pieces = []
    for seg_start, seg_end, offset in segments:
        piece_start = max(_from_epoch(seg_start), start)
        piece_end = min(_from_epoch(seg_end), end)
        pieces.append(OffsetSegment(piece_start, piece_end, offset))
    return tuple(pieces)


def _epoch_segments(start: int, end: int, tz: str) -> list[_Segment]:
    """Return the constant-offset pieces of ``[start, end)`` in epoch seconds, merged."""
    segments: list[_Segment] = []
    first_day = start // SECONDS_PER_DAY
    last_day = (end - 1) // SECONDS_PER_DAY

    for day_number in range(first_day, last_day + 1):
        for seg_start, seg_end, offset in _day_segments(day_number, tz):
            piece = (max(seg_start, start), min(seg_end, end), offset)
            if piece[0] < piece[1]:
                _append_merged(segments, piece)
    return segments


def _append_merged(segments: list[_Segment], piece: _Segment) -> None:
    if segments and segments[-1][1] == piece[0] and segments[-1][2] == piece[2]:
        segments[-1] = (segments[-1][0], piece[1], piece[2])
    else:
        segments.append(piece)


@lru_cache(maxsize=16384)
def _day_segments(day_number: int, tz: str) -> tuple[_Segment, ...]:
    """Return the constant-offset pieces of one UTC day, ``day_number`` days after 1970-01-01.

    The offset is sampled every hour; where two samples differ, bisection finds
    the first second with the new offset.
    """
    zone = _load_zone_cached(tz)
    day_begin = day_number * SECONDS_PER_DAY
    day_end = day_begin + SECONDS_PER_DAY

    segments: list[_Segment] = []
    piece_start = day_begin
    offset = _offset_at(day_begin, zone)
    sample = day_begin
    while sample < day_end:
        next_sample = min(sample + _SCAN_STEP, day_end)
        if _offset_at(next_sample, zone) == offset:
            sample = next_sample
            continue

        change = _first_change(sample, next_sample, offset, zone)
        if change == day_end:
            # The next UTC day begins with the new offset.
            break
        segments.append((piece_start, change, offset))

        # Rescan from the change, in case the offset changes again before next_sample.
        piece_start, offset, sample = change, _offset_at(change, zone), change

    segments.append((piece_start, day_end, offset))
    return tuple(segments)


def _first_change(low: int, high: int, offset: int, zone: ZoneInfo) -> int:
    """Return the first second in ``(low, high]`` whose offset differs from ``offset``.

    ``low`` has ``offset`` and ``high`` has another one.
    """
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_at(middle, zone) == offset:
            low = middle
        else:
            high = middle
    return high


# Local days.


@lru_cache(maxsize=16384)
def _day_start_epoch(day: date, tz: str) -> int:
    """Return the first epoch second whose local date in ``tz`` is ``day`` or later.

    Within a constant-offset segment local time grows with UTC. So the result
    is found in the first segment that reaches local midnight: it is the later
    of the segment start and the instant at which that segment's offset puts
    the clock at midnight.
    """
    # Local midnight expressed as if it were UTC, in epoch seconds.
    midnight = (day - _EPOCH_DATE).days * SECONDS_PER_DAY
    segments = _epoch_segments(midnight - _OFFSET_MARGIN, midnight + _OFFSET_MARGIN, tz)

    for seg_start, seg_end, offset in segments:
        candidate = max(seg_start, midnight - offset)
        if candidate < seg_end:
            return candidate
    raise ValueError(f"cannot find the start of {day} in time zone {tz!r}")


# Buckets.


def _collect_buckets(
    start: datetime,
    end: datetime,
    start_epoch: int,
    end_epoch: int,
    unit: BucketUnit,
    tz: str,
) -> list[tuple[datetime, datetime]]:
    boundaries = _boundaries(start, start_epoch, unit, tz)
    buckets: list[tuple[datetime, datetime]] = []

    # The first boundary is at or before the start of the window.
    previous = next(boundaries)
    for boundary in boundaries:
        if boundary > start_epoch:
            if len(buckets) == MAX_BUCKETS:
                raise ValueError(
                    f"the window from {start} to {end} contains more than {MAX_BUCKETS} "
                    f"{unit} buckets; use a shorter window or a longer unit"
                )
            buckets.append((_from_epoch(previous), _from_epoch(boundary)))
        if boundary >= end_epoch:
            break
        previous = boundary
    return buckets


def _boundaries(start: datetime, start_epoch: int, unit: BucketUnit, tz: str) -> Iterator[int]:
    """Yield increasing bucket boundaries in epoch seconds, the first at or before ``start``."""
    if unit is BucketUnit.HOUR:
        return _hour_boundaries(start_epoch - _OFFSET_MARGIN, tz)

    first_day = start.astimezone(_load_zone_cached(tz)).date()
    if unit is BucketUnit.WEEK:
        first_day = _add_days(first_day, -first_day.weekday())
    elif unit is BucketUnit.MONTH:
        first_day = first_day.replace(day=1)
    return _calendar_boundaries(first_day, unit, tz)


def _calendar_boundaries(first_day: date, unit: BucketUnit, tz: str) -> Iterator[int]:
    # A skipped local day (Pacific/Apia on 2011-12-30) starts where the next day
    # starts; the empty bucket it would make is dropped.
    day = first_day
    previous: int | None = None
    while True:
        boundary = _day_start_epoch(day, tz)
        if boundary != previous:
            yield boundary
        previous = boundary
        day = _next_calendar_day(day, unit)


def _next_calendar_day(day: date, unit: BucketUnit) -> date:
    if unit is BucketUnit.DAY:
        return _add_days(day, 1)
    if unit is BucketUnit.WEEK:
        return _add_days(day, 7)
    return _add_months(day, 1)


def _hour_boundaries(from_epoch: int, tz: str) -> Iterator[int]:
    """Yield every instant at or after ``from_epoch`` at which the local clock reads HH:00:00.

    Within a constant-offset segment those are the instants where epoch seconds
    plus the offset are a multiple of 3600, including the segment start itself.
    """
    day_number = from_epoch // SECONDS_PER_DAY
    while True:
        for seg_start, seg_end, offset in _day_segments(day_number, tz):
            local_hour = -((seg_start + offset) // -_SECONDS_PER_HOUR)
            boundary = local_hour * _SECONDS_PER_HOUR - offset
            while boundary < seg_end:
                if boundary >= from_epoch:
                    yield boundary
                boundary += _SECONDS_PER_HOUR
        day_number += 1


# Validation and conversions.


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(value).__name__}: {value!r}")
    if value.utcoffset() is None:
        raise ValueError(
            f"{name} must be timezone-aware, got the naive datetime {value.isoformat()}; "
            "attach a tzinfo such as datetime.timezone.utc"
        )


def _require_date(value: date, name: str) -> None:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(f"{name} must be a date, got {type(value).__name__}: {value!r}")


def _window_epochs(start: datetime, end: datetime) -> tuple[int, int]:
    """Validate a window and return its bounds in epoch seconds, rounded to cover it."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end <= start:
        raise ValueError(f"end {end.isoformat()} must be after start {start.isoformat()}")

    return _floor_epoch(start), _ceil_epoch(end)


def _floor_epoch(value: datetime) -> int:
    return (value - _EPOCH) // _ONE_SECOND


def _ceil_epoch(value: datetime) -> int:
    return -((_EPOCH - value) // _ONE_SECOND)


def _from_epoch(epoch: int) -> datetime:
    return _EPOCH + timedelta(seconds=epoch)


def _parse_unit(unit: BucketUnit) -> BucketUnit:
    try:
        return BucketUnit(unit)
    except ValueError as exc:
        choices = ", ".join(member.value for member in BucketUnit)
        raise ValueError(f"unknown bucket unit {unit!r}; expected one of {choices}") from exc


def _add_days(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError as exc:
        raise ValueError(f"{day} plus {days} days is outside the supported dates") from exc


def _add_months(month_start: date, months: int) -> date:
    month_index = month_start.year * 12 + month_start.month - 1 + months
    year, month = divmod(month_index, 12)
    try:
        return date(year, month + 1, 1)
    except ValueError as exc:
        message = f"{month_start} plus {months} months is outside the supported dates"
        raise ValueError(message) from exc
