"""AnalyticsReports: usage and cost of a tenant over a window, as one series and two breakdowns.

The report makes five reads in one unit of work: the spend, run and trace
series over the same buckets, and the model and feature breakdowns. The three
sources stay separate columns, so none replaces another.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from analytics.domain import (
    BucketUnit,
    Clock,
    CostTotals,
    ExecutionPoint,
    FeatureCost,
    ModelCost,
    SpendPoint,
    UsagePoint,
    system_clock,
)
from analytics.domain.time import MAX_BUCKETS, bucket_bounds
from analytics.domain.usage_reports import (
    FeatureSpendBreakdown,
    FeatureSpendShare,
    ModelSpendBreakdown,
    ModelSpendShare,
    RestSpendShare,
    UsageCostPoint,
    UsageCostReport,
    UsageCostTotals,
)
from analytics.engines.decimals import ratio
from analytics.engines.settings import ReportSettings
from analytics.ports import UnitOfWorkFactory
from analytics.ports.errors import InvalidInput
from analytics.ports.validation import common

logger = logging.getLogger(__name__)

MAX_TOP = 500
"""Largest ``top``: the breakdown reads return at most 500 items."""

_COARSER_UNIT = {
    BucketUnit.HOUR: BucketUnit.DAY,
    BucketUnit.DAY: BucketUnit.WEEK,
    BucketUnit.WEEK: BucketUnit.MONTH,
}

# Windows are counted in pieces of this many nominal units, so that no piece
# can hold more buckets than one bucket_bounds call accepts.
_COUNT_PIECE_UNITS = 1000
_NOMINAL_UNIT_LENGTH = {
    BucketUnit.HOUR: timedelta(hours=1),
    BucketUnit.DAY: timedelta(days=1),
    BucketUnit.WEEK: timedelta(days=7),
    BucketUnit.MONTH: timedelta(days=28),
}


class AnalyticsReports:
    """Builds usage-and-cost reports from the read-only analytics port."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        *,
        settings: ReportSettings | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._uow_factory = uow_factory
        self._settings = settings if settings is not None else ReportSettings()
        # The report's window is always given, so the clock is not read; it is
        # taken for the same construction as every other engine.
        self._clock = clock

    @property
    def settings(self) -> ReportSettings:
        """The zone, window limit and synthetic-data switch this report uses."""
        return self._settings

    async def usage_and_cost(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        unit: BucketUnit = BucketUnit.DAY,
        top: int = 10,
    ) -> UsageCostReport:
        """Report the tenant's usage and cost over ``[start, end)`` in buckets of ``unit``.

        Buckets are calendar-aligned in ``settings.tz``. ``top`` is the number
        of models and of feature tags listed before their ``rest`` row.

        Raises InvalidInput, before any read, for a naive ``start`` or ``end``,
        ``end`` not after ``start``, a window longer than ``max_window_days``,
        more than 2,400 buckets, or ``top`` outside 1..500; and any port error
        unchanged.
        """
        start, end, unit = self._validate(start, end, unit, top)
        tz, synthetic = self._settings.tz, self._settings.include_synthetic

        async with self._uow_factory() as uow:
            reads = uow.analytics_reads
            spend = await reads.fetch_cost_spend(
                tenant_id, start=start, end=end, unit=unit, tz=tz, include_synthetic=synthetic
            )
            runs = await reads.fetch_llm_usage(
                tenant_id, start=start, end=end, unit=unit, tz=tz, include_synthetic=synthetic
            )
            traces = await reads.fetch_worker_execution(
                tenant_id, start=start, end=end, unit=unit, tz=tz, include_synthetic=synthetic
            )
            by_model = await reads.fetch_cost_by_model(
                tenant_id, start=start, end=end, limit=top, include_synthetic=synthetic
            )
            by_feature = await reads.fetch_cost_by_feature(
                tenant_id, start=start, end=end, limit=top, include_synthetic=synthetic
            )

        points = merge_points(spend, runs, traces)
        totals = report_totals(by_model.total, points)
        report = UsageCostReport(
            tenant_id=tenant_id,
            start=start,
            end=end,
            unit=unit,
            tz=tz,
            points=points,
            totals=totals,
            by_model=ModelSpendBreakdown(
                items=[model_share(item, totals.spend_usd) for item in by_model.items],
                rest=rest_share(by_model.rest, totals.spend_usd),
            ),
            by_feature=FeatureSpendBreakdown(
                items=[feature_share(item, totals.spend_usd) for item in by_feature.items],
                rest=rest_share(by_feature.rest, totals.spend_usd),
            ),
        )
        logger.info(
            "%s, %s to %s: %s %s buckets, %s requests costing %s USD, %s runs, %s traces.",
            tenant_id,
            start.isoformat(),
            end.isoformat(),
            len(points),
            unit.value,
            totals.requests,
            totals.spend_usd,
            totals.runs,
            totals.traces,
        )
        return report

    def _validate(
        self, start: datetime, end: datetime, unit: BucketUnit, top: int
    ) -> tuple[datetime, datetime, BucketUnit]:
        start_utc, end_utc = common.window(start, end)
        unit = common.enum_member("unit", unit, BucketUnit)
        max_days = self._settings.max_window_days
        if end_utc - start_utc > timedelta(days=max_days):
            raise InvalidInput(
                "end",
                end,
                f"the window must be at most {max_days} days (max_window_days); "
                "pass an earlier end or a later start",
            )
        count = count_buckets(start_utc, end_utc, unit, self._settings.tz)
        if count > MAX_BUCKETS:
            raise InvalidInput("end", end, too_many_buckets(count, unit))
        common.integer("top", top, 1, MAX_TOP)
        return start_utc, end_utc, unit


def count_buckets(start: datetime, end: datetime, unit: BucketUnit, tz: str) -> int:
    """Count the buckets of ``unit`` in ``tz`` that overlap ``[start, end)``, however many.

    The window is counted in pieces that each start on a bucket boundary, so
    no bucket is counted twice and no piece is too large for ``bucket_bounds``.
    """
    step = _NOMINAL_UNIT_LENGTH[unit] * _COUNT_PIECE_UNITS
    count, piece_start = 0, start
    while piece_start < end:
        buckets = bucket_bounds(piece_start, min(end, piece_start + step), unit, tz)
        count += len(buckets)
        piece_start = buckets[-1][1]
    return count


def too_many_buckets(count: int, unit: BucketUnit) -> str:
    """Explain a window with too many buckets, naming the count and a coarser unit."""
    reason = (
        f"the window has {count:,} {unit.value} buckets, more than the maximum of {MAX_BUCKETS:,}"
    )
    coarser = _COARSER_UNIT.get(unit)
    if coarser is None:
        return f"{reason}; use a shorter window"
    return f"{reason}; use unit={coarser.value} or a shorter window"


def merge_points(
    spend: Sequence[SpendPoint], runs: Sequence[UsagePoint], traces: Sequence[ExecutionPoint]
) -> list[UsageCostPoint]:
    """Zip the three series, which share their buckets, into report points.

    Raises ``ValueError`` when the series do not have the same buckets, which
    would break the port contract.
    """
    if not len(spend) == len(runs) == len(traces):
        raise ValueError(
            f"the series have different lengths: {len(spend)} spend, {len(runs)} run "
            f"and {len(traces)} trace points"
        )
    return [merge_point(*point) for point in zip(spend, runs, traces, strict=True)]


def merge_point(spend: SpendPoint, runs: UsagePoint, traces: ExecutionPoint) -> UsageCostPoint:
    """Combine the points of one bucket."""
    bucket = (spend.bucket_start, spend.bucket_end)
    for other in (runs, traces):
        if (other.bucket_start, other.bucket_end) != bucket:
            raise ValueError(f"the series disagree on the bucket starting {spend.bucket_start}")
    return UsageCostPoint(
        bucket_start=spend.bucket_start,
        bucket_end=spend.bucket_end,
        requests=spend.requests,
        spend_usd=spend.spend_usd,
        input_tokens=spend.input_tokens,
        output_tokens=spend.output_tokens,
        runs=runs.requests,
        run_input_tokens=runs.input_tokens,
        run_output_tokens=runs.output_tokens,
        traces=traces.traces,
    )


def report_totals(total: CostTotals, points: Sequence[UsageCostPoint]) -> UsageCostTotals:
    """Take cost-record totals from the model breakdown, and sum runs and traces over the points."""
    return UsageCostTotals(
        requests=total.requests,
        spend_usd=total.spend_usd,
        input_tokens=total.input_tokens,
        output_tokens=total.output_tokens,
        unpriced_requests=total.unpriced_requests,
        runs=sum(point.runs for point in points),
        run_input_tokens=sum(point.run_input_tokens for point in points),
        run_output_tokens=sum(point.run_output_tokens for point in points),
        traces=sum(point.traces for point in points),
    )


def share_of(spend: Decimal, total: Decimal) -> Decimal | None:
    """Return ``spend / total`` with six places, or ``None`` when the total is zero."""
    return ratio(spend, total) if total else None


def model_share(item: ModelCost, total: Decimal) -> ModelSpendShare:
    """Add its share of the window's spend to one model's row."""
    return ModelSpendShare(
        model=item.model,
        requests=item.requests,
        spend_usd=item.spend_usd,
        input_tokens=item.input_tokens,
        output_tokens=item.output_tokens,
        unpriced_requests=item.unpriced_requests,
        share=share_of(item.spend_usd, total),
    )


def feature_share(item: FeatureCost, total: Decimal) -> FeatureSpendShare:
    """Add its share of the window's spend to one feature tag's row."""
    return FeatureSpendShare(
        feature_tag=item.feature_tag,
        requests=item.requests,
        spend_usd=item.spend_usd,
        input_tokens=item.input_tokens,
        output_tokens=item.output_tokens,
        share=share_of(item.spend_usd, total),
    )


def rest_share(rest: CostTotals, total: Decimal) -> RestSpendShare:
    """Add its share of the window's spend to a breakdown's rest row."""
    return RestSpendShare(
        groups=rest.groups,
        requests=rest.requests,
        spend_usd=rest.spend_usd,
        input_tokens=rest.input_tokens,
        output_tokens=rest.output_tokens,
        unpriced_requests=rest.unpriced_requests,
        share=share_of(rest.spend_usd, total),
    )
