"""Usage-and-cost report: one series of cost records, runs and traces, with totals and shares."""

from __future__ import annotations

from analytics.domain.common import OutputDecimal, OutputModel, UtcDatetime
from analytics.domain.enums import BucketUnit


class UsageCostPoint(OutputModel):
    """One series bucket ``[bucket_start, bucket_end)`` of the three sources, side by side.

    ``requests``, ``spend_usd``, ``input_tokens`` and ``output_tokens`` count
    cost records. ``runs``, ``run_input_tokens`` and ``run_output_tokens``
    count runs, and ``traces`` counts traces. No source replaces another.
    """

    bucket_start: UtcDatetime
    bucket_end: UtcDatetime
    requests: int
    spend_usd: OutputDecimal
    input_tokens: int
    output_tokens: int
    runs: int
    run_input_tokens: int
    run_output_tokens: int
    traces: int


class UsageCostTotals(OutputModel):
    """Totals of the report window.

    The cost-record fields and ``unpriced_requests`` (records without a price,
    stored at cost 0) come from the model breakdown's total. The run and trace
    fields are sums over the points.
    """

    requests: int
    spend_usd: OutputDecimal
    input_tokens: int
    output_tokens: int
    unpriced_requests: int
    runs: int
    run_input_tokens: int
    run_output_tokens: int
    traces: int


class ModelSpendShare(OutputModel):
    """Spend of one model and its share of the window's spend (six places).

    ``share`` is ``None`` when the window's spend is zero.
    """

    model: str
    requests: int
    spend_usd: OutputDecimal
    input_tokens: int
    output_tokens: int
    unpriced_requests: int
    share: OutputDecimal | None


class FeatureSpendShare(OutputModel):
    """Spend of one feature tag (``None`` = untagged) and its share of the window's spend.

    ``share`` has six places and is ``None`` when the window's spend is zero.
    """

    feature_tag: str | None
    requests: int
    spend_usd: OutputDecimal
    input_tokens: int
    output_tokens: int
    share: OutputDecimal | None


class RestSpendShare(OutputModel):
    """Sums of the ``groups`` groups left out of a breakdown's items, with their share."""

    groups: int
    requests: int
    spend_usd: OutputDecimal
    input_tokens: int
    output_tokens: int
    unpriced_requests: int
    share: OutputDecimal | None


class ModelSpendBreakdown(OutputModel):
    """The largest models by spend, and the rest; items plus rest equal the totals."""

    items: list[ModelSpendShare]
    rest: RestSpendShare


class FeatureSpendBreakdown(OutputModel):
    """The largest feature tags by spend, and the rest; items plus rest equal the totals."""

    items: list[FeatureSpendShare]
    rest: RestSpendShare


class UsageCostReport(OutputModel):
    """Usage and cost of one tenant over ``[start, end)``, in buckets of ``unit`` in ``tz``.

    The spend of the points, of ``by_model`` and of ``by_feature`` (items plus
    rest) each equal ``totals.spend_usd``.
    """

    tenant_id: str
    start: UtcDatetime
    end: UtcDatetime
    unit: BucketUnit
    tz: str
    points: list[UsageCostPoint]
    totals: UsageCostTotals
    by_model: ModelSpendBreakdown
    by_feature: FeatureSpendBreakdown
