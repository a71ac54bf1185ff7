"""Port for the inputs, storage and outcomes of advisory predictions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from analytics.domain import (
    NewPrediction,
    PatternFeedback,
    PredictionEvent,
    PredictionOutcome,
    PredictionOutcomeCount,
    PredictionType,
    SubjectType,
    WorkerRun,
    WorkerRunTotals,
    WriteResult,
)


class PredictionDriver(Protocol):
    """Inputs for failure-likelihood and cost-overrun predictions, and their storage.

    Every read belongs to one tenant, so per-worker statistics never mix
    tenants even though worker ids are shared catalogue ids. Predictions are
    advisory, written once, and later get an outcome written once. Synthetic
    worker runs are left out unless ``include_synthetic`` is true.
    """

    async def fetch_failure_patterns(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        acknowledged: bool | None = None,
        limit: int = 100,
    ) -> list[PatternFeedback]:
        """List failure-pattern feedback whose latest detection is in ``[start, end)``.

        Cost-spike rows are never returned. ``acknowledged`` filters when not
        ``None`` (``False`` is a real filter). Order: ``detected_at``
        descending, then ``pattern_type`` and ``signature`` ascending, then
        ``id``. ``limit`` defaults to 100, maximum 1,000. Returns ``[]`` when
        nothing matches.

        Raises InvalidInput for a bad argument.
        """
        ...

    async def fetch_failed_runs(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        worker_id: str | None = None,
        limit: int = 100,
        include_synthetic: bool = False,
    ) -> list[WorkerRun]:
        """List failed or crashed worker runs created in ``[start, end)``.

        Optionally of one worker, with or without an error text. The list is
        for examples and error snippets. Failure rates come from
        ``fetch_run_totals``, which this limit does not cap. Order:
        ``created_at`` descending, then ``id`` ascending. ``limit`` defaults to
        100, maximum 10,000. Returns ``[]`` when nothing matches.

        Raises InvalidInput for a bad argument.
        """
        ...

    async def fetch_run_totals(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        worker_ids: Sequence[str] | None = None,
        limit: int = 1000,
        include_synthetic: bool = False,
    ) -> list[WorkerRunTotals]:
        """Count terminal worker runs created in ``[start, end)`` per worker.

        Each row has ``completed``, ``failed``, ``crashed`` and ``terminal``
        (their sum). Queued and running runs are not counted, so a failure rate
        is not diluted by unfinished work. Workers without a terminal run are
        omitted, unless ``worker_ids`` is given (up to 1,000, duplicates
        ignored, a bare ``str`` rejected): then each requested worker has
        exactly one row, zero-filled, and ``limit`` is ignored. Order:
        ``worker_id`` ascending by code point. ``limit`` defaults to 1,000,
        maximum 10,000. Returns ``[]`` when nothing matches.

        Raises InvalidInput for a bad argument, more than 1,000 ``worker_ids``
        or an invalid id (``worker_ids[i]``).
        """
        ...

    async def fetch_cost_runs(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        worker_id: str | None = None,
        limit: int = 200,
        include_synthetic: bool = False,
    ) -> list[WorkerRun]:
        """List completed worker runs with a cost above zero created in ``[start, end)``.

        Optionally of one worker. Order: ``created_at`` descending, then ``id``
        ascending. ``limit`` defaults to 200, maximum 10,000. Returns ``[]``
        when nothing matches.

        Raises InvalidInput for a bad argument.
        """
        ...

    async def fetch_predictions(
        self,
        tenant_id: str,
        *,
        prediction_type: PredictionType | None = None,
        subject_type: SubjectType | None = None,
        subject_id: str | None = None,
        valid_at: datetime | None = None,
        expired_before: datetime | None = None,
        outcome_pending: bool | None = None,
        limit: int = 50,
    ) -> list[PredictionEvent]:
        """List the tenant's predictions, filtered by every argument that is not ``None``.

        ``valid_at`` keeps predictions with ``created_at <= valid_at <
        expires_at``. ``expired_before`` keeps those with ``expires_at <=
        expired_before``. ``outcome_pending=True`` keeps those without a
        recorded outcome and ``False`` those with one. Order: ``created_at``
        descending, then ``prediction_type``, ``subject_type`` and
        ``subject_id`` ascending, then ``id``. ``limit`` defaults to 50,
        maximum 1,000. Returns ``[]`` when nothing matches.

        Raises InvalidInput for a bad argument or a ``subject_id`` without a
        ``subject_type``.
        """
        ...

    async def insert_prediction(
        self,
        tenant_id: str,
        *,
        prediction: NewPrediction,
    ) -> PredictionEvent:
        """Store a new advisory prediction, valid over ``[created_at, expires_at)``.

        Writes one row per call with id ``pe_…`` and ``is_advisory = True``.
        ``confidence`` is rounded half-even to six places. The prediction
        starts pending: its outcome fields are ``None`` until
        ``record_prediction_outcome`` sets them.

        Raises InvalidInput (``prediction.<field>``) for ``confidence`` outside
        0..1 or not finite, ``expires_at`` not after ``created_at``,
        ``prediction_value`` not a JSON object, more than 50 or non-object
        ``contributing_factors``, ``subject_id`` over 255 or ``notes`` over
        2,048 code points.
        """
        ...

    async def record_prediction_outcome(
        self,
        tenant_id: str,
        *,
        prediction_id: str,
        outcome: PredictionOutcome,
        outcome_value: dict[str, Any] | None,
    ) -> WriteResult[PredictionEvent]:
        """Record once how a prediction turned out.

        A pending prediction gets ``outcome``, ``outcome_value`` and
        ``outcome_checked_at`` from the clock (``updated``). The same outcome
        and an equal ``outcome_value`` again write nothing (``unchanged``) and
        keep the first check time. Only the outcome columns are written. The
        port does not compare the clock with ``expires_at``, because the caller
        decides when a prediction can be judged.

        Raises InvalidInput for a bad ``prediction_id``, a ``None`` or unknown
        ``outcome``, or an ``outcome_value`` that is not a JSON object. Raises
        NotFound when the prediction does not exist for the tenant, and
        Conflict(reason="terminal") naming ``outcome`` or ``outcome_value``
        when another outcome is already recorded.
        """
        ...

    async def count_prediction_outcomes(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
    ) -> list[PredictionOutcomeCount]:
        """Count predictions made in ``[start, end)`` per prediction type and outcome.

        Pending predictions count under ``outcome=None``. Only pairs with at
        least one prediction are returned, so there are at most 8 rows. The
        window is on ``created_at``, whenever the outcome was recorded. Order:
        ``prediction_type`` ascending by value, then ``outcome`` ascending by
        value with ``None`` first. Returns ``[]`` when nothing matches.

        Raises InvalidInput for a bad argument.
        """
        ...
