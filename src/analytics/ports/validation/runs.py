"""Rules for runs, traces and worker runs: field checks and the lifecycle rules.

Each ``new_*`` and ``*_update`` function checks an input model field by field,
in field order, then the lifecycle rules, and returns the normalised values
as a ``Payload`` keyed by the model's field names. Instants are in UTC, enums
are members, and money fields (``cost_usd``) hold whole nano-dollars. In an
update payload, a field that is ``None`` keeps the stored value.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from analytics.domain import (
    FAILURE_RUN_STATUSES,
    TERMINAL_RUN_STATUSES,
    TERMINAL_TRACE_STATUSES,
    NewRun,
    NewTrace,
    NewWorkerRun,
    RunStatus,
    RunStatusUpdate,
    TraceStatus,
    TraceStatusUpdate,
    WorkerRunStatusUpdate,
)
from analytics.ports.errors import InvalidInput
from analytics.ports.validation.common import (
    MAX_TOKENS,
    boolean,
    enum_member,
    free_text,
    identifier,
    instant,
    integer,
    model_instance,
    optional_identifier,
    optional_instant,
    optional_integer,
    optional_money,
    optional_text,
)

Payload = dict[str, Any]

MAX_RUN_ID = 64
MAX_MODEL = 128
MAX_WORKER_ID = 100
MAX_USER_ID = 128
MAX_TASK = 4096
MAX_ERROR = 16_384
MAX_LATENCY_MS = 1_000_000_000_000
MAX_ATTEMPT = 1000
MAX_BATCH = 1000


def new_run(field: str, run: object) -> Payload:
    """Check a ``NewRun`` whose field paths start with ``field`` (``run`` or ``runs[i]``)."""
    model_instance(field, run, NewRun)
    assert isinstance(run, NewRun)

    payload: Payload = {
        "id": identifier(f"{field}.id", run.id, MAX_RUN_ID),
        "status": enum_member(f"{field}.status", run.status, RunStatus),
        "created_at": instant(f"{field}.created_at", run.created_at),
        "model": optional_identifier(f"{field}.model", run.model, MAX_MODEL),
        "started_at": optional_instant(f"{field}.started_at", run.started_at),
        "finished_at": optional_instant(f"{field}.finished_at", run.finished_at),
        "input_tokens": _optional_tokens(f"{field}.input_tokens", run.input_tokens),
        "output_tokens": _optional_tokens(f"{field}.output_tokens", run.output_tokens),
        "cost_usd": optional_money(f"{field}.cost_usd", run.cost_usd),
        "is_synthetic": boolean(f"{field}.is_synthetic", run.is_synthetic),
    }

    check_lifecycle(field, payload, finish="finished_at", terminal=TERMINAL_RUN_STATUSES)
    return payload


def new_trace(field: str, trace: object) -> Payload:
    """Check a ``NewTrace`` whose field paths start with ``field``."""
    model_instance(field, trace, NewTrace)
    assert isinstance(trace, NewTrace)

    payload: Payload = {
        "trace_id": identifier(f"{field}.trace_id", trace.trace_id, MAX_RUN_ID),
        "run_id": optional_identifier(f"{field}.run_id", trace.run_id, MAX_RUN_ID),
        "status": enum_member(f"{field}.status", trace.status, TraceStatus),
        "started_at": instant(f"{field}.started_at", trace.started_at),
        "completed_at": optional_instant(f"{field}.completed_at", trace.completed_at),
        "is_synthetic": boolean(f"{field}.is_synthetic", trace.is_synthetic),
    }

    check_lifecycle(field, payload, finish="completed_at", terminal=TERMINAL_TRACE_STATUSES)
    return payload


def new_worker_run(field: str, run: object) -> Payload:
    """Check a ``NewWorkerRun`` whose field paths start with ``field``."""
    model_instance(field, run, NewWorkerRun)
    assert isinstance(run, NewWorkerRun)

    payload: Payload = {
        "id": identifier(f"{field}.id", run.id, MAX_RUN_ID),
        "worker_id": identifier(f"{field}.worker_id", run.worker_id, MAX_WORKER_ID),
        "task": free_text(f"{field}.task", run.task, MAX_TASK),
        "status": enum_member(f"{field}.status", run.status, RunStatus),
        "created_at": instant(f"{field}.created_at", run.created_at),
        "user_id": optional_identifier(f"{field}.user_id", run.user_id, MAX_USER_ID),
        "started_at": optional_instant(f"{field}.started_at", run.started_at),
        "completed_at": optional_instant(f"{field}.completed_at", run.completed_at),
        "error": optional_text(f"{field}.error", run.error, MAX_ERROR),
        "total_tokens": _optional_tokens(f"{field}.total_tokens", run.total_tokens),
        "latency_ms": optional_integer(f"{field}.latency_ms", run.latency_ms, 0, MAX_LATENCY_MS),
        "cost_usd": optional_money(f"{field}.cost_usd", run.cost_usd),
        "parent_run_id": optional_identifier(
            f"{field}.parent_run_id", run.parent_run_id, MAX_RUN_ID
        ),
        "attempt": integer(f"{field}.attempt", run.attempt, 1, MAX_ATTEMPT),
        "is_retry": boolean(f"{field}.is_retry", run.is_retry),
        "is_synthetic": boolean(f"{field}.is_synthetic", run.is_synthetic),
    }

    check_lifecycle(field, payload, finish="completed_at", terminal=TERMINAL_RUN_STATUSES)
    return payload


def new_runs(runs: object) -> list[Payload]:
    """Check a batch of ``NewRun`` items named ``runs[i]``, lowest index first."""
    return [new_run(f"runs[{index}]", run) for index, run in enumerate(_batch("runs", runs))]


def new_worker_runs(runs: object) -> list[Payload]:
    """Check a batch of ``NewWorkerRun`` items named ``runs[i]``, lowest index first."""
    return [new_worker_run(f"runs[{index}]", run) for index, run in enumerate(_batch("runs", runs))]


def run_status_update(update: object) -> Payload:
    """Check a ``RunStatusUpdate`` alone, without the rules that need the stored row."""
    model_instance("update", update, RunStatusUpdate)
    assert isinstance(update, RunStatusUpdate)

    payload: Payload = {
        "status": enum_member("update.status", update.status, RunStatus),
        "started_at": optional_instant("update.started_at", update.started_at),
        "finished_at": optional_instant("update.finished_at", update.finished_at),
        "input_tokens": _optional_tokens("update.input_tokens", update.input_tokens),
        "output_tokens": _optional_tokens("update.output_tokens", update.output_tokens),
        "cost_usd": optional_money("update.cost_usd", update.cost_usd),
    }

    check_lifecycle(
        "update", payload, finish="finished_at", terminal=TERMINAL_RUN_STATUSES, partial=True
    )
    return payload


def trace_status_update(update: object) -> Payload:
    """Check a ``TraceStatusUpdate``: a terminal status and its completion time."""
    model_instance("update", update, TraceStatusUpdate)
    assert isinstance(update, TraceStatusUpdate)

    payload: Payload = {
        "status": enum_member("update.status", update.status, TraceStatus),
        "completed_at": instant("update.completed_at", update.completed_at),
    }

    if payload["status"] not in TERMINAL_TRACE_STATUSES:
        raise InvalidInput(
            "update.status", update.status, "must be completed or failed to finish a trace"
        )
    return payload


def worker_run_status_update(update: object) -> Payload:
    """Check a ``WorkerRunStatusUpdate`` alone, without the rules that need the stored row."""
    model_instance("update", update, WorkerRunStatusUpdate)
    assert isinstance(update, WorkerRunStatusUpdate)

    payload: Payload = {
        "status": enum_member("update.status", update.status, RunStatus),
        "started_at": optional_instant("update.started_at", update.started_at),
        "completed_at": optional_instant("update.completed_at", update.completed_at),
        "error": optional_text("update.error", update.error, MAX_ERROR),
        "total_tokens": _optional_tokens("update.total_tokens", update.total_tokens),
        "latency_ms": optional_integer("update.latency_ms", update.latency_ms, 0, MAX_LATENCY_MS),
        "cost_usd": optional_money("update.cost_usd", update.cost_usd),
    }

    check_lifecycle(
        "update", payload, finish="completed_at", terminal=TERMINAL_RUN_STATUSES, partial=True
    )
    return payload


def check_lifecycle(
    field: str,
    values: Mapping[str, Any],
    *,
    finish: str,
    terminal: Collection[str],
    partial: bool = False,
) -> None:
    """Raise InvalidInput on the first lifecycle rule that ``values`` break.

    ``finish`` names the finish time (``finished_at`` or ``completed_at``).
    With ``partial=True`` the values are an update whose missing finish time
    may still come from the stored row, so only the rules it can break alone
    are checked.
    """
    status = values["status"]
    finished = values[finish]
    started = values.get("started_at")

    if status in terminal and finished is None and not partial:
        raise InvalidInput(f"{field}.{finish}", finished, f"is required for status {status}")
    if status not in terminal and finished is not None:
        raise InvalidInput(f"{field}.{finish}", finished, f"must be None for status {status}")
    if status == RunStatus.QUEUED and started is not None:
        raise InvalidInput(f"{field}.started_at", started, "must be None for status queued")
    if started is not None and finished is not None and finished < started:
        raise InvalidInput(
            f"{field}.{finish}", finished, f"must not be before started_at {started}"
        )
    _check_retry_fields(field, values)


def _check_retry_fields(field: str, values: Mapping[str, Any]) -> None:
    error = values.get("error")
    if error is not None and values["status"] not in FAILURE_RUN_STATUSES:
        raise InvalidInput(
            f"{field}.error",
            error,
            f"is allowed only with status failed or crashed, not {values['status']}",
        )
    parent = values.get("parent_run_id")
    if parent is not None and parent == values.get("id"):
        raise InvalidInput(f"{field}.parent_run_id", parent, "must differ from the run's own id")


def _optional_tokens(field: str, value: object) -> int | None:
    return optional_integer(field, value, 0, MAX_TOKENS)


def _batch(field: str, items: object) -> Sequence[object]:
    if isinstance(items, str | bytes) or not isinstance(items, Sequence):
        raise InvalidInput(field, items, "must be a list of runs")
    if len(items) > MAX_BATCH:
        raise InvalidInput(field, f"<{len(items)} items>", f"must hold at most {MAX_BATCH} runs")
    return items
