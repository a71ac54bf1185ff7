"""Argument checks of the dashboard reads: series windows and cost breakdowns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from analytics.domain import BucketUnit
from analytics.ports.validation import common

MAX_BREAKDOWN_LIMIT = 500


@dataclass(frozen=True)
class SeriesQuery:
    """Checked arguments of a series read, with the buckets of its window."""

    tenant_id: str
    start: datetime
    end: datetime
    unit: BucketUnit
    tz: str
    include_synthetic: bool
    buckets: tuple[tuple[datetime, datetime], ...]


@dataclass(frozen=True)
class BreakdownQuery:
    """Checked arguments of a cost breakdown read."""

    tenant_id: str
    start: datetime
    end: datetime
    limit: int
    include_synthetic: bool


def series_query(
    tenant_id: object,
    start: object,
    end: object,
    unit: object,
    tz: object,
    include_synthetic: object,
) -> SeriesQuery:
    """Check the arguments of a series read in signature order and build its buckets.

    The bucket count depends on every other argument, so it is checked last
    and reported on ``end``.
    """
    tenant = common.tenant(tenant_id)
    start_utc, end_utc = common.window(start, end)
    bucket_unit = common.enum_member("unit", unit, BucketUnit)
    zone = common.zone(tz)
    synthetic = common.boolean("include_synthetic", include_synthetic)

    buckets = common.buckets(start_utc, end_utc, bucket_unit, zone)
    return SeriesQuery(tenant, start_utc, end_utc, bucket_unit, zone, synthetic, tuple(buckets))


def breakdown_query(
    tenant_id: object,
    start: object,
    end: object,
    limit: object,
    include_synthetic: object,
) -> BreakdownQuery:
    """Check the arguments of a cost breakdown read in signature order."""
    tenant = common.tenant(tenant_id)
    start_utc, end_utc = common.window(start, end)
    checked_limit = common.limit(limit, MAX_BREAKDOWN_LIMIT)
    synthetic = common.boolean("include_synthetic", include_synthetic)
    return BreakdownQuery(tenant, start_utc, end_utc, checked_limit, synthetic)
