"""Port for the read-only time series and cost breakdowns behind dashboards."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from analytics.domain import (
    BucketUnit,
    ExecutionPoint,
    FeatureCostBreakdown,
    ModelCostBreakdown,
    SpendPoint,
    UsagePoint,
)


class AnalyticsReadDriver(Protocol):
    """Read-only time series and cost breakdowns for cost and usage dashboards.

    A series has one point for every calendar bucket of ``unit`` in the IANA zone
    ``tz`` that overlaps the window ``[start, end)``, in ascending order, with no
    gaps and with zeros for buckets without rows. Only rows with
    ``start <= t < end`` count, even when the first or last bucket reaches outside
    the window. Buckets run from local boundary to local boundary, so a day can
    last 23 or 25 hours. Every series method called with the same
    ``(start, end, unit, tz)`` returns the same buckets, so series line up point
    by point. Synthetic rows are left out unless ``include_synthetic`` is true.
    """

    async def fetch_cost_metrics(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        unit: BucketUnit,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> list[UsagePoint]:
        """Count cost records and sum their tokens per bucket.

        Reads ``cost_records`` by ``occurred_at``. Each point has ``requests``
        (records in the bucket and the window), ``input_tokens`` and
        ``output_tokens`` (sums) and ``total_tokens`` (their sum). A window
        without records gives all-zero points.

        Raises InvalidInput for a bad argument (naive or out-of-range datetime,
        ``end`` not after ``start``, a ``tz`` that is not an IANA key) or when
        the window spans more than 2,400 buckets (reported on ``end``).
        """
        ...

    async def fetch_llm_usage(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        unit: BucketUnit,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> list[UsagePoint]:
        """Count runs and sum their tokens per bucket.

        Reads ``runs`` by ``created_at``. ``requests`` counts runs in the bucket
        and the window, whatever their status. ``input_tokens`` and
        ``output_tokens`` sum the run token columns, counting a missing value
        as 0, and ``total_tokens`` is their sum. Empty buckets are all zero.

        Raises InvalidInput as ``fetch_cost_metrics`` does.
        """
        ...

    async def fetch_worker_execution(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        unit: BucketUnit,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> list[ExecutionPoint]:
        """Count traces per bucket.

        Reads ``traces`` by ``started_at``. ``traces`` counts the traces whose
        ``started_at`` is in the bucket and the window, whatever their status.
        Empty buckets have ``traces = 0``.

        Raises InvalidInput as ``fetch_cost_metrics`` does.
        """
        ...

    async def fetch_cost_spend(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        unit: BucketUnit,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> list[SpendPoint]:
        """Sum cost, records and tokens of cost records per bucket.

        Reads ``cost_records`` by ``occurred_at``. ``spend_usd`` is the exact
        sum of the stored nano-dollars, a Decimal in USD with nine decimal
        places. ``requests``, ``input_tokens`` and ``output_tokens`` are the
        record count and token sums. An empty bucket has
        ``spend_usd = Decimal('0E-9')`` and zero counts.

        Raises InvalidInput as ``fetch_cost_metrics`` does.
        """
        ...

    async def fetch_cost_by_model(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        limit: int = 50,
        include_synthetic: bool = False,
    ) -> ModelCostBreakdown:
        """Group the window's cost records by ``model``.

        Reads ``cost_records`` with ``start <= occurred_at < end``. Each item has
        ``requests``, ``spend_usd`` (exact, nine places), token sums and
        ``unpriced_requests`` (records with ``cost_source = unpriced``, which add
        to requests and tokens but not to spend). ``items`` contains the first
        ``limit`` groups, ``rest`` sums the other groups and ``total`` sums all
        of them, so ``total = items + rest`` field by field.
        Order: ``spend_usd`` descending, ``requests`` descending, then ``model``
        ascending by code point. ``limit`` defaults to 50, maximum 500.
        An empty window gives ``items=[]`` and zero ``rest`` and ``total`` with
        ``groups=0``.

        Raises InvalidInput for a bad argument, including ``limit`` outside 1..500.
        """
        ...

    async def fetch_cost_by_feature(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        limit: int = 50,
        include_synthetic: bool = False,
    ) -> FeatureCostBreakdown:
        """Group the window's cost records by ``feature_tag``.

        Untagged records form one group with ``feature_tag=None``. A real tag is
        always its own group, even one spelled ``"untagged"``. ``items``,
        ``rest`` and ``total`` work as in ``fetch_cost_by_model``. Items carry no
        unpriced count, but ``rest`` and ``total`` do, so the items hold
        ``total.unpriced_requests - rest.unpriced_requests`` unpriced records.
        Order: ``spend_usd`` descending, ``requests`` descending, then
        ``feature_tag`` ascending by code point with ``None`` first.
        ``limit`` defaults to 50, maximum 500. Empty as ``fetch_cost_by_model``.

        Raises InvalidInput for a bad argument, including ``limit`` outside 1..500.
        """
        ...
