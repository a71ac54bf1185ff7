"""Port for the worker-run reads and feedback rows of failure-pattern detection."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from analytics.domain import (
    NewPatternFeedback,
    PatternFeedback,
    PatternType,
    WorkerRun,
    WriteResult,
)


class PatternDetectionDriver(Protocol):
    """Reads of failed and costed worker runs, and storage of detected patterns.

    Worker runs are only read here, never changed. Detected patterns are stored
    as feedback rows, de-duplicated by signature, which people can acknowledge.
    Every read is scoped to one tenant and bounded by a window or a limit, so a
    pattern's provenance lists only that tenant's run ids. Synthetic runs are
    left out unless ``include_synthetic`` is true.
    """

    async def fetch_failed_runs(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        require_error: bool = True,
        worker_id: str | None = None,
        limit: int = 1000,
        include_synthetic: bool = False,
    ) -> list[WorkerRun]:
        """List failed or crashed worker runs created in ``[start, end)``.

        Optionally of one worker. With ``require_error=True`` (the default,
        because signatures are built from error texts) only runs with an error
        text are returned. Order: ``created_at`` descending, then ``id``
        ascending. ``limit`` defaults to 1,000, maximum 10,000. Returns ``[]``
        when nothing matches.

        Raises InvalidInput for a bad argument.
        """
        ...

    async def fetch_completed_runs_with_costs(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        worker_id: str | None = None,
        limit: int = 1000,
        include_synthetic: bool = False,
    ) -> list[WorkerRun]:
        """List completed worker runs with a cost above zero created in ``[start, end)``.

        Optionally of one worker. The window is required, so there is no
        full-history read. Order: ``created_at`` descending, then ``id``
        ascending. ``limit`` defaults to 1,000, maximum 10,000. Returns ``[]``
        when nothing matches.

        Raises InvalidInput for a bad argument.
        """
        ...

    async def insert_feedback(
        self,
        tenant_id: str,
        *,
        feedback: NewPatternFeedback,
    ) -> WriteResult[PatternFeedback]:
        """Store a detected pattern, one unacknowledged row per signature.

        The key is ``(pattern_type, signature)`` among unacknowledged rows. No
        such row: insert (``created``, id ``pf_…``, ``first_detected_at =
        detected_at``). A ``detected_at`` older than the row's, or values equal
        to the stored ones: ``unchanged``. Otherwise count, provenance,
        ``detected_at``, severity, description, window, threshold and metadata
        are replaced (``updated``), keeping ``id``, ``first_detected_at`` and
        ``created_at``. One upsert statement. After ``acknowledge_feedback`` the
        next detection of the signature creates a new row.

        Raises InvalidInput for a bad value: more than 1,000 or duplicate
        provenance ids, ``occurrence_count`` outside 1..1e9,
        ``time_window_minutes`` outside 1..527,040, or text and JSON over limits.
        """
        ...

    async def fetch_feedback_records(
        self,
        tenant_id: str,
        *,
        acknowledged: bool | None = None,
        pattern_type: PatternType | None = None,
        limit: int = 50,
    ) -> list[PatternFeedback]:
        """List the tenant's pattern feedback, optionally filtered.

        ``acknowledged=False`` is a real filter, like ``True``. Order:
        ``detected_at`` descending, then ``pattern_type`` and ``signature``
        ascending, then ``id``. ``limit`` defaults to 50, maximum 1,000.
        Returns ``[]`` when nothing matches.

        Raises InvalidInput for a bad argument.
        """
        ...

    async def acknowledge_feedback(
        self,
        tenant_id: str,
        *,
        feedback_id: str,
        acknowledged_by: str,
    ) -> PatternFeedback:
        """Mark a feedback row acknowledged and return it.

        Sets ``acknowledged = True``, ``acknowledged_by``, and
        ``acknowledged_at`` and ``updated_at`` to the clock time. An
        acknowledged row is returned unchanged, keeping the first
        acknowledgement. The row leaves the de-duplication key of
        ``insert_feedback``.

        Raises InvalidInput for a bad argument (``acknowledged_by`` is an
        identifier of at most 128 code points). Raises NotFound when the row
        does not exist for the tenant.
        """
        ...
