"""Port for ingesting runs, traces and worker runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from analytics.domain import (
    NewRun,
    NewTrace,
    NewWorkerRun,
    Run,
    RunStatusUpdate,
    Trace,
    TraceStatusUpdate,
    WorkerRun,
    WorkerRunStatusUpdate,
    WriteResult,
)


class RunWriteDriver(Protocol):
    """Ingestion of runs, traces and worker runs from run executors and trace collectors.

    A row is created once with ``record_*`` and then moves forward with
    ``update_*_status``: ``queued`` may move to any status, ``running`` to
    ``running`` or a terminal status, and a terminal row (``completed``,
    ``failed``, ``crashed``) never changes again. Moving ``running`` back to
    ``queued`` raises Conflict(reason="illegal_transition"). Changing a terminal
    row raises Conflict(reason="terminal"), and an update equal to it is
    ``unchanged``. A retry is a new run with its own id.

    Creates are idempotent by id: the same payload returns the stored row as
    ``unchanged``, and any difference from the row as it is now raises
    Conflict(reason="payload_mismatch") naming the field. Lifecycle rules: a
    terminal status needs a finish time and any other status forbids one,
    ``queued`` forbids ``started_at``, a finish is not before a start, and
    ``error`` is allowed only with ``failed`` or ``crashed``. Money is rounded
    half-even to 1e-9 USD, and ``recorded_at`` and ``updated_at`` come from the
    clock.
    """

    async def record_run(
        self,
        tenant_id: str,
        *,
        run: NewRun,
    ) -> WriteResult[Run]:
        """Create a run in any status, idempotently by ``(tenant_id, id)``.

        A finished run can be ingested in one call.

        Raises InvalidInput (``run.<field>``) for a bad identifier, token count,
        cost or a broken lifecycle rule. Raises
        Conflict(reason="payload_mismatch") naming the first differing field.
        """
        ...

    async def update_run_status(
        self,
        tenant_id: str,
        *,
        run_id: str,
        update: RunStatusUpdate,
    ) -> WriteResult[Run]:
        """Move a run forward in its lifecycle.

        A field of ``update`` left ``None`` keeps the stored value. The
        resulting row must satisfy the lifecycle rules. A row equal to the
        stored one is ``unchanged``, otherwise ``updated_at`` moves
        (``updated``).

        Raises InvalidInput for a bad value or a broken lifecycle rule. Raises
        NotFound when the run does not exist for the tenant, and Conflict with
        reason ``terminal`` or ``illegal_transition``.
        """
        ...

    async def record_trace(
        self,
        tenant_id: str,
        *,
        trace: NewTrace,
    ) -> WriteResult[Trace]:
        """Create a trace, idempotently by ``(tenant_id, trace_id)``.

        ``run_id`` is a plain link that need not exist, because traces may
        arrive before their run.

        Raises InvalidInput (``trace.<field>``) for a bad value or a broken
        lifecycle rule. Raises Conflict(reason="payload_mismatch") naming the
        first differing field.
        """
        ...

    async def update_trace_status(
        self,
        tenant_id: str,
        *,
        trace_id: str,
        update: TraceStatusUpdate,
    ) -> WriteResult[Trace]:
        """Finish a running trace as ``completed`` or ``failed`` at ``completed_at``.

        An update equal to a finished trace is ``unchanged``.

        Raises InvalidInput for a bad value, ``status=running`` or
        ``completed_at`` before ``started_at``. Raises NotFound when the trace
        does not exist for the tenant, and Conflict(reason="terminal") for any
        other change to a finished trace.
        """
        ...

    async def record_worker_run(
        self,
        tenant_id: str,
        *,
        run: NewWorkerRun,
    ) -> WriteResult[WorkerRun]:
        """Create a worker run, idempotently by ``(tenant_id, id)``.

        ``parent_run_id`` is a plain link that need not exist, because a retry
        may be ingested before its parent.

        Raises InvalidInput (``run.<field>``) for a bad value, a broken
        lifecycle rule, ``attempt`` outside 1..1000 or ``parent_run_id`` equal to
        ``id``. Raises Conflict(reason="payload_mismatch") naming the first
        differing field.
        """
        ...

    async def record_worker_runs(
        self,
        tenant_id: str,
        *,
        runs: Sequence[NewWorkerRun],
    ) -> list[WriteResult[WorkerRun]]:
        """Create a batch of worker runs atomically, one result per input in order.

        Batch form of ``record_worker_run`` in one multi-row statement. An id
        repeated inside the batch is ``unchanged`` with the record of its first
        occurrence when identical. On any error nothing of the batch is
        written. A batch has at most 1,000 runs, and an empty batch returns
        ``[]`` without touching the database.

        Raises InvalidInput naming ``runs[i].<field>`` (lowest ``i`` first) or
        for more than 1,000 runs. Raises Conflict(reason="payload_mismatch")
        naming ``runs[i].<field>``.
        """
        ...

    async def update_worker_run_status(
        self,
        tenant_id: str,
        *,
        run_id: str,
        update: WorkerRunStatusUpdate,
    ) -> WriteResult[WorkerRun]:
        """Move a worker run forward in its lifecycle.

        Works as ``update_run_status``, with ``completed_at`` as the finish time
        and the extra fields ``error``, ``total_tokens``, ``latency_ms`` and
        ``cost_usd``.

        Raises InvalidInput for a bad value or a broken lifecycle rule. Raises
        NotFound when the run does not exist for the tenant, and Conflict with
        reason ``terminal`` or ``illegal_transition``.
        """
        ...

    async def record_runs(
        self,
        tenant_id: str,
        *,
        runs: Sequence[NewRun],
    ) -> list[WriteResult[Run]]:
        """Create a batch of runs atomically, one result per input in order.

        Batch form of ``record_run`` in one multi-row statement. An id repeated
        inside the batch is ``unchanged`` with the record of its first
        occurrence when identical. On any error nothing of the batch is
        written. A batch has at most 1,000 runs, and an empty batch returns
        ``[]`` without touching the database.

        Raises InvalidInput naming ``runs[i].<field>`` (lowest ``i`` first) or
        for more than 1,000 runs. Raises Conflict(reason="payload_mismatch")
        naming ``runs[i].<field>``, for example ``status`` when an old ``queued``
        create is replayed after the run finished.
        """
        ...
