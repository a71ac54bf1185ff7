"""Group stored UTC instants by local day or local hour without time-zone SQL.

The window is split in Python into the few segments in which the zone's UTC
offset is constant. SQL only adds the bound offset of a row's segment to the
row's epoch seconds and divides: by 86,400 for the local day number, by 3,600
for the local hour number. Python maps those integer keys back to dates and
series buckets. No statement converts time zones or truncates dates, so the
database's own tzdata and the connection's time zone never change a result.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import BigInteger, ColumnElement, case, cast, literal

from analytics.adapters.sql.dialect import DialectHooks
from analytics.domain import BucketUnit
from analytics.domain.time import (
    OffsetSegment,
    date_from_day_number,
    day_start,
    local_date,
    offset_segments,
)

SECONDS_PER_DAY = 86_400
SECONDS_PER_HOUR = 3_600
# Local seconds are shifted by two days before dividing, so they are never
# negative: an instant just after 1970-01-01T00:00Z in a zone west of UTC is
# still on 1969-12-31 locally, and SQL integer division truncates toward zero
# where floor division is needed. Offsets never reach 26 hours, so the shift
# keeps every dividend positive; Python removes it again from the keys.
_SHIFT_DAYS = 2
_SHIFT_SECONDS = _SHIFT_DAYS * SECONDS_PER_DAY
_SHIFT_HOURS = _SHIFT_SECONDS // SECONDS_PER_HOUR
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _int(value: int) -> ColumnElement[int]:
    return cast(literal(value), BigInteger)


def _segment_offset(
    column: ColumnElement[object], segments: Sequence[OffsetSegment]
) -> ColumnElement[int]:
    if len(segments) == 1:
        return _int(segments[0].offset_seconds)
    whens = [(column < segment.end, _int(segment.offset_seconds)) for segment in segments[:-1]]
    return case(*whens, else_=_int(segments[-1].offset_seconds))


def segment_index(
    column: ColumnElement[object], segments: Sequence[OffsetSegment]
) -> ColumnElement[int]:
    """Return the index of the constant-offset segment a row's instant falls in."""
    if len(segments) == 1:
        return _int(0)
    whens = [(column < segment.end, _int(index)) for index, segment in enumerate(segments[:-1])]
    return case(*whens, else_=_int(len(segments) - 1))


def local_seconds(
    dialect: DialectHooks, column: ColumnElement[object], segments: Sequence[OffsetSegment]
) -> ColumnElement[int]:
    """Return the local wall-clock time of a row as seconds since 1969-12-30 local.

    The origin lies two days before the epoch so that the value is never
    negative; ``local_day_number`` and ``local_hour_number`` account for it.
    """
    return dialect.epoch_seconds(column) + _segment_offset(column, segments) + _int(_SHIFT_SECONDS)


def local_day_number(
    dialect: DialectHooks, column: ColumnElement[object], segments: Sequence[OffsetSegment]
) -> ColumnElement[int]:
    """Return the local date of a row as a day number; ``day_of`` turns it into a date."""
    return local_seconds(dialect, column, segments) // SECONDS_PER_DAY


def local_hour_number(
    dialect: DialectHooks, column: ColumnElement[object], segments: Sequence[OffsetSegment]
) -> ColumnElement[int]:
    """Return the local hour of a row as an hour number; pair it with the segment index."""
    return local_seconds(dialect, column, segments) // SECONDS_PER_HOUR


def day_of(number: int) -> date:
    """Return the date of a local day number computed in SQL."""
    return date_from_day_number(int(number) - _SHIFT_DAYS)


@dataclass(frozen=True)
class SeriesGrouping:
    """SQL keys that group a window's rows by local hour or day, and their buckets.

    ``keys`` are the expressions to select and group by; ``bucket_index``
    turns a result row's key values into the index of its series bucket.
    """

    unit: BucketUnit
    tz: str
    segments: tuple[OffsetSegment, ...]
    bucket_starts: tuple[datetime, ...]
    keys: tuple[ColumnElement[int], ...]

    def bucket_index(self, key_values: Sequence[int]) -> int:
        """Return the bucket index of one grouped row."""
        if self.unit is BucketUnit.HOUR:
            return self._hour_bucket(int(key_values[0]), int(key_values[1]))
        return self._day_bucket(day_of(key_values[0]))

    def _hour_bucket(self, segment: int, hour_number: int) -> int:
        offset = self.segments[segment].offset_seconds
        local_hour = hour_number - _SHIFT_HOURS
        start = _EPOCH + timedelta(seconds=local_hour * SECONDS_PER_HOUR - offset)
        representative = max(start, self.segments[segment].start)
        return bisect.bisect_right(self.bucket_starts, representative) - 1

    def _day_bucket(self, day: date) -> int:
        if self.unit is BucketUnit.WEEK:
            day = day - timedelta(days=day.weekday())
        elif self.unit is BucketUnit.MONTH:
            day = day.replace(day=1)
        start = day_start(day, self.tz)
        return bisect.bisect_right(self.bucket_starts, start) - 1


def series_grouping(
    dialect: DialectHooks,
    column: ColumnElement[object],
    buckets: Sequence[tuple[datetime, datetime]],
    start: datetime,
    end: datetime,
    unit: BucketUnit,
    tz: str,
) -> SeriesGrouping:
    """Build the grouping keys for a series over ``[start, end)`` with the given buckets."""
    segments = tuple(offset_segments(start, end, tz))
    if unit is BucketUnit.HOUR:
        keys: tuple[ColumnElement[int], ...] = (
            segment_index(column, segments).label("segment"),
            local_hour_number(dialect, column, segments).label("local_hour"),
        )
    else:
        keys = (local_day_number(dialect, column, segments).label("local_day"),)
    starts = tuple(bucket_start for bucket_start, _ in buckets)
    return SeriesGrouping(unit, tz, segments, starts, keys)


def local_days_of_range(start_day: date, end_day: date) -> list[date]:
    """Return every date of the day range ``[start_day, end_day)``."""
    return [start_day + timedelta(days=offset) for offset in range((end_day - start_day).days)]


__all__ = [
    "SECONDS_PER_DAY",
    "SeriesGrouping",
    "day_of",
    "local_date",
    "local_day_number",
    "local_days_of_range",
    "local_hour_number",
    "local_seconds",
    "segment_index",
    "series_grouping",
]
