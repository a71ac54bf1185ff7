"""Prediction inputs (failed runs, run totals, cost runs), stored predictions and outcomes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from analytics.domain import (
    PredictionEvent,
    PredictionOutcome,
    PredictionOutcomeCount,
    PredictionType,
    RunStatus,
    SubjectType,
    WorkerRunTotals,
    WriteOutcome,
)
from analytics.ports import Conflict, InvalidInput, NotFound
from tests.contract.example_data import load_worker_runs, utc
from tests.contract.harness import Harness
from tests.contract.patterns_data import (
    INVALID_TENANT_IDS,
    ONE_MICROSECOND,
    P1,
    P1_OUTCOME_VALUE,
    RUN_READ_INVALID,
    TWO_DAYS_END,
    W_END,
    W_START,
    ids,
    invalid_limits,
    load_example_predictions,
    open_run,
    prediction,
    record_p1_outcome,
    store_predictions,
    store_worker_runs,
    terminal_run,
)

FAILED = RunStatus.FAILED
CRASHED = RunStatus.CRASHED
COMPLETED = RunStatus.COMPLETED
FAILURE = PredictionType.FAILURE_LIKELIHOOD
OVERRUN = PredictionType.COST_OVERRUN
CONFIRMED = PredictionOutcome.CONFIRMED
REFUTED = PredictionOutcome.REFUTED
UNDETERMINED = PredictionOutcome.UNDETERMINED
EASTERN = timezone(timedelta(hours=-5))
RUN_READS = ["fetch_failed_runs", "fetch_cost_runs"]


def _totals(worker_id: str, completed: int, failed: int, crashed: int) -> WorkerRunTotals:
    return WorkerRunTotals(
        worker_id=worker_id,
        terminal=completed + failed + crashed,
        completed=completed,
        failed=failed,
        crashed=crashed,
    )


def _count(
    prediction_type: PredictionType, outcome: PredictionOutcome | None, count: int
) -> PredictionOutcomeCount:
    return PredictionOutcomeCount(prediction_type=prediction_type, outcome=outcome, count=count)


async def _failed(backend: Harness, tenant_id: str = "t1", **arguments: Any) -> list[str]:
    arguments.setdefault("start", W_START)
    arguments.setdefault("end", W_END)
    async with backend.uow() as uow:
        return ids(await uow.predictions.fetch_failed_runs(tenant_id, **arguments))


async def _run_totals(
    backend: Harness, tenant_id: str = "t1", **arguments: Any
) -> list[WorkerRunTotals]:
    arguments.setdefault("start", W_START)
    arguments.setdefault("end", W_END)
    async with backend.uow() as uow:
        return await uow.predictions.fetch_run_totals(tenant_id, **arguments)


async def _cost_runs(backend: Harness, tenant_id: str = "t1", **arguments: Any) -> list[str]:
    arguments.setdefault("start", W_START)
    arguments.setdefault("end", W_END)
    async with backend.uow() as uow:
        return ids(await uow.predictions.fetch_cost_runs(tenant_id, **arguments))


async def _predictions(
    backend: Harness, tenant_id: str = "t1", **arguments: Any
) -> list[PredictionEvent]:
    async with backend.uow() as uow:
        return await uow.predictions.fetch_predictions(tenant_id, **arguments)


async def _record(
    backend: Harness,
    prediction_id: str,
    outcome: Any,
    outcome_value: Any,
    tenant_id: str = "t1",
) -> Any:
    async with backend.uow() as uow:
        return await uow.predictions.record_prediction_outcome(
            tenant_id, prediction_id=prediction_id, outcome=outcome, outcome_value=outcome_value
        )


async def _counts(
    backend: Harness, start: datetime, end: datetime, tenant_id: str = "t1"
) -> list[PredictionOutcomeCount]:
    async with backend.uow() as uow:
        return await uow.predictions.count_prediction_outcomes(tenant_id, start=start, end=end)


# fetch_failed_runs


async def test_failed_runs_example(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    # With or without an error text; w6 is synthetic, w7 belongs to t2.
    assert await _failed(backend) == ["w2", "w1"]
    assert await _failed(backend, worker_id="wk-b") == []
    assert await _failed(backend, "t2") == ["w7"]


async def test_failed_runs_include_synthetic(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    assert await _failed(backend, include_synthetic=True) == ["w2", "w1", "w6"]
    assert await _failed(backend, worker_id="wk-b", include_synthetic=True) == ["w6"]


async def test_failed_runs_statuses_and_ties(backend: Harness) -> None:
    at = utc(2024, 3, 10, 8)
    await store_worker_runs(
        backend,
        "t1",
        [
            terminal_run("b", "wk-a", CRASHED, at),
            terminal_run("a", "wk-a", FAILED, at, error="e"),
            terminal_run("B", "wk-a", FAILED, at),
            terminal_run("done", "wk-a", COMPLETED, at),
            open_run("queued", "wk-a", RunStatus.QUEUED, at),
            open_run("running", "wk-a", RunStatus.RUNNING, at),
            terminal_run("at-end", "wk-a", FAILED, W_END),
            terminal_run("at-start", "wk-a", CRASHED, W_START),
        ],
    )

    assert await _failed(backend) == ["B", "a", "b", "at-start"]
    assert await _failed(backend, limit=2) == ["B", "a"]


async def test_failed_runs_same_worker_two_tenants(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    async with backend.uow() as uow:
        runs = await uow.predictions.fetch_failed_runs(
            "t2", start=W_START, end=W_END, worker_id="wk-a"
        )

    assert [(run.id, run.tenant_id, run.error) for run in runs] == [
        ("w7", "t2", "Timeout after 30s")
    ]


async def test_failed_runs_limits(backend: Harness) -> None:
    at = utc(2024, 3, 10, 1)
    runs = [terminal_run(f"f{n:03d}", "wk-a", FAILED, at) for n in range(101)]
    await store_worker_runs(backend, "t1", runs)

    default = await _failed(backend)

    assert len(default) == 100
    assert default[-1] == "f099"
    assert len(await _failed(backend, limit=10_000)) == 101
    assert await _failed(backend, limit=1) == ["f000"]


async def test_failed_runs_empty(backend: Harness) -> None:
    assert await _failed(backend) == []


async def test_failed_runs_types(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    async with backend.uow() as uow:
        runs = await uow.predictions.fetch_failed_runs("t1", start=W_START, end=W_END)

    assert [run.status for run in runs] == [RunStatus.CRASHED, RunStatus.FAILED]
    assert [run.error for run in runs] == [None, "Timeout after 30s"]
    assert runs[0].created_at == utc(2024, 3, 10, 11)
    assert runs[0].created_at.tzinfo is UTC
    assert runs[0].cost_usd is None
    with pytest.raises(ValidationError):
        runs[0].status = RunStatus.COMPLETED  # type: ignore[misc]


async def test_failed_runs_aware_non_utc_window(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    start = datetime(2024, 3, 9, 19, tzinfo=EASTERN)
    end = datetime(2024, 3, 10, 19, tzinfo=EASTERN)

    assert await _failed(backend, start=start, end=end) == ["w2", "w1"]


async def test_failed_runs_session_time_zone(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    for tz in ("Asia/Kolkata", "America/New_York"):
        async with backend.store_in_session_time_zone(tz) as store, store.unit_of_work() as uow:
            runs = await uow.predictions.fetch_failed_runs("t1", start=W_START, end=W_END)
        assert ids(runs) == ["w2", "w1"], tz
        assert runs[0].created_at == utc(2024, 3, 10, 11), tz


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
@pytest.mark.parametrize("method", [*RUN_READS, "fetch_run_totals", "count_prediction_outcomes"])
async def test_window_reads_invalid_tenant(backend: Harness, method: str, tenant_id: str) -> None:
    async with backend.uow() as uow:
        read = getattr(uow.predictions, method)
        with pytest.raises(InvalidInput) as raised:
            await read(tenant_id, start=W_START, end=W_END)

    assert raised.value.field == "tenant_id"


@pytest.mark.parametrize(("changes", "field"), RUN_READ_INVALID)
@pytest.mark.parametrize("method", [*RUN_READS, "fetch_run_totals"])
async def test_run_reads_invalid_argument(
    backend: Harness, method: str, changes: dict[str, Any], field: str
) -> None:
    if method == "fetch_run_totals" and "worker_id" in changes:
        changes = {"worker_ids": [changes["worker_id"]]}
        field = "worker_ids[0]"
    arguments = {"start": W_START, "end": W_END, **changes}

    async with backend.uow() as uow:
        read = getattr(uow.predictions, method)
        with pytest.raises(InvalidInput) as raised:
            await read("t1", **arguments)

    assert raised.value.field == field


@pytest.mark.parametrize("limit", invalid_limits(10_000))
@pytest.mark.parametrize("method", [*RUN_READS, "fetch_run_totals"])
async def test_run_reads_invalid_limit(backend: Harness, method: str, limit: object) -> None:
    async with backend.uow() as uow:
        read = getattr(uow.predictions, method)
        with pytest.raises(InvalidInput) as raised:
            await read("t1", start=W_START, end=W_END, limit=limit)

    assert raised.value.field == "limit"


# fetch_run_totals


async def test_run_totals_example(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    # w5 is running, w6 synthetic and w7 belongs to t2.
    assert await _run_totals(backend) == [_totals("wk-a", 1, 1, 1), _totals("wk-b", 2, 0, 0)]


async def test_run_totals_zero_fill(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    assert await _run_totals(backend, worker_ids=["wk-c"]) == [_totals("wk-c", 0, 0, 0)]
    assert await _run_totals(backend, worker_ids=["wk-c", "wk-a"]) == [
        _totals("wk-a", 1, 1, 1),
        _totals("wk-c", 0, 0, 0),
    ]


async def test_run_totals_requested_workers(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    # Duplicates are ignored, and limit does not apply to a list of workers.
    totals = await _run_totals(backend, worker_ids=("wk-b", "wk-a", "wk-b"), limit=1)

    assert totals == [_totals("wk-a", 1, 1, 1), _totals("wk-b", 2, 0, 0)]
    assert await _run_totals(backend, worker_ids=[]) == []


async def test_run_totals_tenants_apart(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    # wk-a is a catalogue id used by both tenants, and each reads only its own runs.
    assert await _run_totals(backend, "t2") == [_totals("wk-a", 0, 1, 0)]
    assert await _run_totals(backend, "t2", worker_ids=["wk-b"]) == [_totals("wk-b", 0, 0, 0)]
    assert await _run_totals(backend, "t3") == []


async def test_run_totals_terminal_only(backend: Harness) -> None:
    at = utc(2024, 3, 10, 8)
    await store_worker_runs(
        backend,
        "t1",
        [
            open_run("q1", "wk-q", RunStatus.QUEUED, at),
            open_run("r1", "wk-q", RunStatus.RUNNING, at),
            terminal_run("c1", "wk-m", COMPLETED, at),
            open_run("r2", "wk-m", RunStatus.RUNNING, at),
        ],
    )

    # A worker with only unfinished runs has no row unless it is requested.
    assert await _run_totals(backend) == [_totals("wk-m", 1, 0, 0)]
    assert await _run_totals(backend, worker_ids=["wk-q"]) == [_totals("wk-q", 0, 0, 0)]


async def test_run_totals_include_synthetic(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    totals = await _run_totals(backend, include_synthetic=True)

    assert totals == [_totals("wk-a", 1, 1, 1), _totals("wk-b", 2, 1, 0)]
    for row in totals:
        assert row.terminal == row.completed + row.failed + row.crashed
        assert row.failures == row.failed + row.crashed


async def test_run_totals_order_and_limit(backend: Harness) -> None:
    at = utc(2024, 3, 10, 8)
    workers = ["b", "a", "B", "a.b", "a_b"]
    await store_worker_runs(
        backend,
        "t1",
        [terminal_run(f"run-{n}", worker, FAILED, at) for n, worker in enumerate(workers)],
    )

    totals = await _run_totals(backend)

    assert [row.worker_id for row in totals] == ["B", "a", "a.b", "a_b", "b"]
    assert [row.worker_id for row in await _run_totals(backend, limit=2)] == ["B", "a"]
    assert [row.worker_id for row in await _run_totals(backend, limit=10_000)] == [
        "B",
        "a",
        "a.b",
        "a_b",
        "b",
    ]


async def test_run_totals_window_bounds(backend: Harness) -> None:
    await store_worker_runs(
        backend,
        "t1",
        [
            terminal_run("at-start", "wk-a", COMPLETED, W_START),
            terminal_run("before-start", "wk-a", FAILED, W_START - ONE_MICROSECOND),
            terminal_run("before-end", "wk-a", CRASHED, W_END - ONE_MICROSECOND),
            terminal_run("at-end", "wk-a", FAILED, W_END),
        ],
    )

    assert await _run_totals(backend) == [_totals("wk-a", 1, 0, 1)]


async def test_run_totals_empty(backend: Harness) -> None:
    assert await _run_totals(backend) == []


async def test_run_totals_session_time_zone(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    for tz in ("Asia/Kolkata", "America/New_York"):
        async with backend.store_in_session_time_zone(tz) as store, store.unit_of_work() as uow:
            totals = await uow.predictions.fetch_run_totals("t1", start=W_START, end=W_END)
        assert totals == [_totals("wk-a", 1, 1, 1), _totals("wk-b", 2, 0, 0)], tz


@pytest.mark.parametrize(
    ("worker_ids", "field"),
    [
        ("wk-a", "worker_ids"),
        (["wk-a", ""], "worker_ids[1]"),
        (["wk-a", "w" * 101], "worker_ids[1]"),
        ([f"wk-{n}" for n in range(1001)], "worker_ids"),
        (7, "worker_ids"),
    ],
)
async def test_run_totals_invalid_worker_ids(
    backend: Harness, worker_ids: object, field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _run_totals(backend, worker_ids=worker_ids)

    assert raised.value.field == field


async def test_run_totals_accepts_1000_workers(backend: Harness) -> None:
    requested = [f"wk-{n:04d}" for n in range(1000)]

    totals = await _run_totals(backend, worker_ids=requested)

    assert [row.worker_id for row in totals] == requested
    assert {row.terminal for row in totals} == {0}


# fetch_cost_runs


async def test_cost_runs_example(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    async with backend.uow() as uow:
        runs = await uow.predictions.fetch_cost_runs("t1", start=W_START, end=W_END)

    assert ids(runs) == ["w3", "w4"]
    assert [run.cost_usd for run in runs] == [Decimal("0.400000000"), Decimal("0.250000000")]
    for run in runs:
        assert run.cost_usd is not None and run.cost_usd.as_tuple().exponent == -9


async def test_cost_runs_limit_keeps_newest(backend: Harness) -> None:
    await load_worker_runs(backend.uow)
    await store_worker_runs(
        backend, "t1", [terminal_run("late", "wk-b", COMPLETED, utc(2024, 3, 10, 20), cost_usd="1")]
    )

    assert await _cost_runs(backend, limit=1) == ["late"]
    assert await _cost_runs(backend, limit=2) == ["late", "w3"]
    assert await _cost_runs(backend, limit=10_000) == ["late", "w3", "w4"]


async def test_cost_runs_default_limit(backend: Harness) -> None:
    at = utc(2024, 3, 10, 1)
    runs = [terminal_run(f"c{n:03d}", "wk-a", COMPLETED, at, cost_usd="0.01") for n in range(201)]
    await store_worker_runs(backend, "t1", runs)

    found = await _cost_runs(backend)

    assert len(found) == 200
    assert found[-1] == "c199"


async def test_cost_runs_filters(backend: Harness) -> None:
    await load_worker_runs(backend.uow)
    await store_worker_runs(
        backend,
        "t1",
        [
            terminal_run("no-cost", "wk-a", COMPLETED, utc(2024, 3, 10, 1)),
            terminal_run("failed", "wk-a", FAILED, utc(2024, 3, 10, 2), cost_usd="0.50"),
            terminal_run(
                "synthetic", "wk-b", COMPLETED, utc(2024, 3, 10, 3), cost_usd="2", is_synthetic=True
            ),
            terminal_run("at-end", "wk-a", COMPLETED, W_END, cost_usd="1"),
        ],
    )
    await store_worker_runs(
        backend, "t2", [terminal_run("x1", "wk-a", COMPLETED, utc(2024, 3, 10, 12), cost_usd="5")]
    )

    assert await _cost_runs(backend) == ["w3", "w4"]
    assert await _cost_runs(backend, worker_id="wk-b") == ["w4"]
    assert await _cost_runs(backend, worker_id="wk-b", include_synthetic=True) == [
        "w4",
        "synthetic",
    ]
    assert await _cost_runs(backend, "t2", worker_id="wk-a") == ["x1"]


async def test_cost_runs_empty(backend: Harness) -> None:
    assert await _cost_runs(backend) == []


async def test_cost_runs_session_time_zone(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    for tz in ("Asia/Kolkata", "America/New_York"):
        async with backend.store_in_session_time_zone(tz) as store, store.unit_of_work() as uow:
            runs = await uow.predictions.fetch_cost_runs("t1", start=W_START, end=W_END)
        assert ids(runs) == ["w3", "w4"], tz
        assert runs[0].created_at == utc(2024, 3, 10, 12), tz


# fetch_predictions


async def test_predictions_valid_at_example(backend: Harness) -> None:
    [p1] = await store_predictions(backend, "t1", [P1])

    assert await _predictions(backend, valid_at=utc(2024, 3, 11, 11, 59)) == [p1]
    assert await _predictions(backend, valid_at=utc(2024, 3, 11, 12)) == []
    assert await _predictions(backend, valid_at=utc(2024, 3, 10, 11)) == []
    assert await _predictions(backend, "t2") == []


async def test_predictions_other_tenant(backend: Harness) -> None:
    t2_rows = await store_predictions(
        backend, "t2", [P1.model_copy(update={"confidence": Decimal("0.9")})]
    )
    stored = await load_example_predictions(backend)

    assert ids(await _predictions(backend)) == [stored["p3"].id, stored["p2"].id, stored["p1"].id]
    assert await _predictions(backend, "t2") == t2_rows
    assert await _predictions(backend, "t2", valid_at=utc(2024, 3, 11, 11, 59)) == t2_rows
    assert [row.confidence for row in t2_rows] == [Decimal("0.900000")]


async def test_predictions_valid_at_bounds(backend: Harness) -> None:
    [p1] = await store_predictions(backend, "t1", [P1])

    assert await _predictions(backend, valid_at=P1.created_at) == [p1]
    assert await _predictions(backend, valid_at=P1.created_at - ONE_MICROSECOND) == []
    assert await _predictions(backend, valid_at=P1.expires_at - ONE_MICROSECOND) == [p1]
    assert await _predictions(backend, valid_at=P1.expires_at) == []


async def test_predictions_outcome_filter_example(backend: Harness) -> None:
    stored = await load_example_predictions(backend)
    p1, p2, p3 = stored["p1"], stored["p2"], stored["p3"]
    expiry = utc(2024, 3, 11, 12)

    # p1 and p2 expire at that instant; with equal created_at, cost_overrun sorts first.
    assert ids(await _predictions(backend, expired_before=expiry)) == [p2.id, p1.id]
    assert await _predictions(backend, expired_before=utc(2024, 3, 11, 11, 59)) == []

    await record_p1_outcome(backend, p1)

    pending = await _predictions(backend, expired_before=expiry, outcome_pending=True)
    assert ids(pending) == [p2.id]
    assert ids(await _predictions(backend, outcome_pending=False)) == [p1.id]
    assert ids(await _predictions(backend, outcome_pending=True)) == [p3.id, p2.id]


async def test_predictions_expired_before_bounds(backend: Harness) -> None:
    [p1] = await store_predictions(backend, "t1", [P1])

    assert await _predictions(backend, expired_before=P1.expires_at) == [p1]
    assert await _predictions(backend, expired_before=P1.expires_at - ONE_MICROSECOND) == []


async def test_predictions_outcome_pending_both_ways(backend: Harness) -> None:
    stored = await load_example_predictions(backend)

    assert await _predictions(backend, outcome_pending=False) == []
    assert ids(await _predictions(backend, outcome_pending=True)) == [
        stored["p3"].id,
        stored["p2"].id,
        stored["p1"].id,
    ]


async def test_predictions_combined_filters(backend: Harness) -> None:
    stored = await load_example_predictions(backend)
    p1, p2 = stored["p1"], stored["p2"]
    await record_p1_outcome(backend, p1)

    # Valid at 11:59 on 03-11 and expired by 12:00 the same day: p1 and p2.
    both = await _predictions(
        backend, valid_at=utc(2024, 3, 11, 11, 59), expired_before=utc(2024, 3, 11, 12)
    )
    assert ids(both) == [p2.id, p1.id]
    pending = await _predictions(
        backend,
        valid_at=utc(2024, 3, 11, 11, 59),
        expired_before=utc(2024, 3, 11, 12),
        outcome_pending=True,
    )
    assert ids(pending) == [p2.id]
    assert (
        await _predictions(
            backend, valid_at=utc(2024, 3, 11, 12), expired_before=utc(2024, 3, 11, 12)
        )
        == []
    )


async def test_predictions_subject_filters(backend: Harness) -> None:
    stored = await load_example_predictions(backend)
    p1, p2, p3 = stored["p1"], stored["p2"], stored["p3"]
    [user] = await store_predictions(
        backend,
        "t1",
        [prediction(FAILURE, "wk-a", utc(2024, 3, 10, 9), subject_type=SubjectType.USER)],
    )

    assert ids(await _predictions(backend, prediction_type=FAILURE)) == [p3.id, p1.id, user.id]
    assert ids(await _predictions(backend, prediction_type="cost_overrun")) == [p2.id]
    assert ids(await _predictions(backend, subject_type="worker", subject_id="wk-a")) == [
        p3.id,
        p1.id,
    ]
    assert ids(await _predictions(backend, subject_type=SubjectType.USER)) == [user.id]
    assert ids(await _predictions(backend, subject_type="user", subject_id="wk-a")) == [user.id]
    assert await _predictions(backend, subject_type="tenant") == []
    both = await _predictions(
        backend, prediction_type=OVERRUN, subject_type="worker", subject_id="wk-a"
    )
    assert both == []


async def test_predictions_order_and_ties(backend: Harness) -> None:
    at = utc(2024, 3, 10, 12)
    stored = await store_predictions(
        backend,
        "t1",
        [
            prediction(FAILURE, "b", at),
            prediction(FAILURE, "B", at),
            prediction(FAILURE, "a", at, subject_type=SubjectType.FEATURE),
            prediction(OVERRUN, "z", at, subject_type=SubjectType.WORKER),
            prediction(FAILURE, "b", at),
            prediction(FAILURE, "later", at + ONE_MICROSECOND),
        ],
    )
    b_first, b_second = sorted([stored[0].id, stored[4].id])

    rows = await _predictions(backend)

    assert [
        (row.prediction_type.value, row.subject_type.value, row.subject_id) for row in rows
    ] == [
        ("failure_likelihood", "worker", "later"),
        ("cost_overrun", "worker", "z"),
        ("failure_likelihood", "feature", "a"),
        ("failure_likelihood", "worker", "B"),
        ("failure_likelihood", "worker", "b"),
        ("failure_likelihood", "worker", "b"),
    ]
    assert ids(rows[-2:]) == [b_first, b_second]


async def test_predictions_limit(backend: Harness) -> None:
    base = utc(2024, 3, 10)
    await store_predictions(
        backend,
        "t1",
        [prediction(FAILURE, f"wk-{n:02d}", base + timedelta(minutes=n)) for n in range(51)],
    )

    default = await _predictions(backend)

    assert len(default) == 50
    assert default[0].subject_id == "wk-50"
    assert default[-1].subject_id == "wk-01"
    assert [row.subject_id for row in await _predictions(backend, limit=1)] == ["wk-50"]
    assert len(await _predictions(backend, limit=1000)) == 51


async def test_predictions_empty(backend: Harness) -> None:
    assert await _predictions(backend) == []
    assert await _predictions(backend, outcome_pending=True, valid_at=utc(2024, 3, 10)) == []


async def test_predictions_types(backend: Harness) -> None:
    await load_example_predictions(backend)

    rows = await _predictions(backend)

    for row in rows:
        assert row.created_at.tzinfo is UTC
        assert row.expires_at.tzinfo is UTC
        assert row.confidence == Decimal("0.500000")
        assert row.confidence.as_tuple().exponent == -6
        assert row.is_advisory is True
        assert row.prediction_value == {"failure_rate": "0.500000"}
        assert row.contributing_factors == [{"factor": "recent_failures", "count": 2}]
    with pytest.raises(ValidationError):
        rows[0].confidence = Decimal("1")  # type: ignore[misc]


async def test_predictions_aware_non_utc_valid_at(backend: Harness) -> None:
    [p1] = await store_predictions(backend, "t1", [P1])

    assert await _predictions(backend, valid_at=datetime(2024, 3, 11, 6, 59, tzinfo=EASTERN)) == [
        p1
    ]
    assert await _predictions(backend, valid_at=datetime(2024, 3, 11, 7, tzinfo=EASTERN)) == []


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"tenant_id": ""}, "tenant_id"),
        ({"tenant_id": " t1"}, "tenant_id"),
        ({"tenant_id": "t" * 65}, "tenant_id"),
        ({"tenant_id": "t\x001"}, "tenant_id"),
        ({"prediction_type": "weather"}, "prediction_type"),
        ({"subject_type": "team"}, "subject_type"),
        ({"subject_id": "wk-a"}, "subject_id"),
        ({"subject_type": "worker", "subject_id": ""}, "subject_id"),
        ({"subject_type": "worker", "subject_id": "s" * 256}, "subject_id"),
        ({"valid_at": datetime(2024, 3, 11)}, "valid_at"),
        ({"expired_before": datetime(2024, 3, 11)}, "expired_before"),
        ({"valid_at": "2024-03-11T00:00:00Z"}, "valid_at"),
        ({"outcome_pending": 1}, "outcome_pending"),
        ({"outcome_pending": "true"}, "outcome_pending"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": True}, "limit"),
        ({"subject_type": "team", "subject_id": "", "limit": 0}, "subject_type"),
        ({"valid_at": datetime(2024, 3, 11), "outcome_pending": 1}, "valid_at"),
    ],
)
async def test_predictions_invalid_argument(
    backend: Harness, arguments: dict[str, Any], field: str
) -> None:
    call: dict[str, Any] = {"tenant_id": "t1", **arguments}

    with pytest.raises(InvalidInput) as raised:
        await _predictions(backend, **call)

    assert raised.value.field == field


async def test_predictions_accepts_longest_subject_id(backend: Harness) -> None:
    [stored] = await store_predictions(backend, "t1", [prediction(FAILURE, "s" * 255, W_START)])

    assert await _predictions(backend, subject_type="worker", subject_id="s" * 255) == [stored]


# record_prediction_outcome


async def test_outcome_example(backend: Harness) -> None:
    stored = await load_example_predictions(backend)
    p1 = stored["p1"]
    backend.clock.now = utc(2024, 3, 11, 18)

    result = await _record(backend, p1.id, UNDETERMINED, P1_OUTCOME_VALUE)

    assert result.outcome is WriteOutcome.UPDATED
    assert result.record.outcome is UNDETERMINED
    assert result.record.outcome_value == P1_OUTCOME_VALUE
    assert result.record.outcome_checked_at == utc(2024, 3, 11, 18)
    assert result.record.outcome_checked_at is not None
    assert result.record.outcome_checked_at.tzinfo is UTC
    pending_fields = {"outcome": None, "outcome_value": None, "outcome_checked_at": None}
    assert result.record.model_copy(update=pending_fields) == p1


async def test_outcome_replay_is_unchanged(backend: Harness) -> None:
    p1 = (await load_example_predictions(backend))["p1"]
    recorded = await record_p1_outcome(backend, p1)
    backend.clock.now = utc(2024, 3, 11, 19)
    reordered = {"failure_rate": "0.000000", "failures": 0, "terminal": 1}

    same = await _record(backend, p1.id, UNDETERMINED, P1_OUTCOME_VALUE)
    same_reordered = await _record(backend, p1.id, "undetermined", reordered)

    assert same.outcome is WriteOutcome.UNCHANGED
    assert same.record == recorded
    assert same_reordered.outcome is WriteOutcome.UNCHANGED
    assert same_reordered.record.outcome_checked_at == utc(2024, 3, 11, 18)


@pytest.mark.parametrize(
    ("outcome", "outcome_value", "field"),
    [
        (REFUTED, P1_OUTCOME_VALUE, "outcome"),
        (CONFIRMED, None, "outcome"),
        (UNDETERMINED, {"terminal": 2, "failures": 0, "failure_rate": "0.000000"}, "outcome_value"),
        (UNDETERMINED, None, "outcome_value"),
        (UNDETERMINED, {**P1_OUTCOME_VALUE, "extra": True}, "outcome_value"),
    ],
)
async def test_outcome_conflict(
    backend: Harness, outcome: PredictionOutcome, outcome_value: Any, field: str
) -> None:
    p1 = (await load_example_predictions(backend))["p1"]
    recorded = await record_p1_outcome(backend, p1)
    backend.clock.now = utc(2024, 3, 11, 19)

    with pytest.raises(Conflict) as raised:
        await _record(backend, p1.id, outcome, outcome_value)

    assert raised.value.reason == "terminal"
    assert raised.value.field == field
    assert raised.value.key == p1.id
    assert await _predictions(backend, outcome_pending=False) == [recorded]


async def test_outcome_without_value(backend: Harness) -> None:
    p2 = (await load_example_predictions(backend))["p2"]

    result = await _record(backend, p2.id, CONFIRMED, None)
    replay = await _record(backend, p2.id, CONFIRMED, None)

    assert result.outcome is WriteOutcome.UPDATED
    assert result.record.outcome is CONFIRMED
    assert result.record.outcome_value is None
    assert result.record.outcome_checked_at == backend.clock.now
    assert replay.outcome is WriteOutcome.UNCHANGED


async def test_outcome_not_found(backend: Harness) -> None:
    p1 = (await load_example_predictions(backend))["p1"]
    before = await _predictions(backend)

    with pytest.raises(NotFound):
        await _record(backend, p1.id, UNDETERMINED, P1_OUTCOME_VALUE, tenant_id="t2")
    with pytest.raises(NotFound):
        await _record(backend, "pe_0123456789abcdef0123456789abcdef", CONFIRMED, None)

    assert await _predictions(backend) == before


async def test_outcome_error_keeps_unit_of_work(backend: Harness) -> None:
    stored = await load_example_predictions(backend)
    await record_p1_outcome(backend, stored["p1"])

    async with backend.uow() as uow:
        port = uow.predictions
        with pytest.raises(Conflict):
            await port.record_prediction_outcome(
                "t1", prediction_id=stored["p1"].id, outcome=REFUTED, outcome_value=None
            )
        with pytest.raises(NotFound):
            await port.record_prediction_outcome(
                "t1", prediction_id="pe_missing", outcome=REFUTED, outcome_value=None
            )
        with pytest.raises(InvalidInput):
            await port.record_prediction_outcome(
                "t1",
                prediction_id=stored["p2"].id,
                outcome=None,  # type: ignore[arg-type]
                outcome_value=None,
            )
        result = await port.record_prediction_outcome(
            "t1", prediction_id=stored["p2"].id, outcome=REFUTED, outcome_value={"overrun": "0"}
        )

    assert result.outcome is WriteOutcome.UPDATED
    assert ids(await _predictions(backend, outcome_pending=False)) == [
        stored["p2"].id,
        stored["p1"].id,
    ]


async def test_outcome_rolled_back_with_unit_of_work(backend: Harness) -> None:
    p1 = (await load_example_predictions(backend))["p1"]

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with backend.uow() as uow:
            await uow.predictions.record_prediction_outcome(
                "t1", prediction_id=p1.id, outcome=CONFIRMED, outcome_value=None
            )
            raise Abort

    assert await _predictions(backend, outcome_pending=False) == []


async def test_outcome_other_tenant_untouched(backend: Harness) -> None:
    [t1_p1] = await store_predictions(backend, "t1", [P1])
    [t2_p1] = await store_predictions(backend, "t2", [P1])

    await _record(backend, t1_p1.id, CONFIRMED, {"a": 1})

    assert await _predictions(backend, "t2") == [t2_p1]


async def test_outcome_concurrent_calls(backend: Harness) -> None:
    p1 = (await load_example_predictions(backend))["p1"]

    async def record(outcome: PredictionOutcome) -> object:
        try:
            result = await _record(backend, p1.id, outcome, None)
        except Conflict as error:
            return error
        return result.outcome

    results = await asyncio.gather(record(CONFIRMED), record(REFUTED))

    assert WriteOutcome.UPDATED in results
    conflicts = [result for result in results if isinstance(result, Conflict)]
    assert len(conflicts) == 1
    assert conflicts[0].reason == "terminal"
    assert conflicts[0].field == "outcome"
    [stored] = await _predictions(backend, outcome_pending=False)
    assert stored.outcome in (CONFIRMED, REFUTED)


async def test_outcome_check_constraints(backend: Harness) -> None:
    p1 = (await load_example_predictions(backend))["p1"]

    # The table itself rejects an outcome without its check time, and a value without an outcome.
    with pytest.raises(Exception, match="ck_prediction_events_outcome_checked"):
        await backend.execute_sql(
            f"UPDATE prediction_events SET outcome = 'confirmed' WHERE id = '{p1.id}'"
        )
    with pytest.raises(Exception, match="ck_prediction_events_outcome_value"):
        await backend.execute_sql(
            f"UPDATE prediction_events SET outcome_value = '{{}}' WHERE id = '{p1.id}'"
        )

    assert await _predictions(backend, outcome_pending=False) == []


# count_prediction_outcomes


async def test_counts_example(backend: Harness) -> None:
    await store_predictions(backend, "t2", [P1, P1])
    p1 = (await load_example_predictions(backend))["p1"]
    await record_p1_outcome(backend, p1)

    assert await _counts(backend, utc(2024, 3, 10), utc(2024, 3, 11)) == [
        _count(OVERRUN, None, 1),
        _count(FAILURE, UNDETERMINED, 1),
    ]
    assert await _counts(backend, utc(2024, 3, 10), TWO_DAYS_END) == [
        _count(OVERRUN, None, 1),
        _count(FAILURE, None, 1),
        _count(FAILURE, UNDETERMINED, 1),
    ]
    # p1 and p2 are created at the excluded end.
    assert await _counts(backend, utc(2024, 3, 9), utc(2024, 3, 10, 12)) == []
    assert await _counts(backend, utc(2024, 3, 10), TWO_DAYS_END, tenant_id="t2") == [
        _count(FAILURE, None, 2)
    ]
    assert await _counts(backend, utc(2024, 3, 10), TWO_DAYS_END, tenant_id="t3") == []


async def test_counts_window_bounds(backend: Harness) -> None:
    await store_predictions(
        backend,
        "t1",
        [
            prediction(FAILURE, "at-start", W_START),
            prediction(FAILURE, "before-end", W_END - ONE_MICROSECOND),
            prediction(FAILURE, "at-end", W_END),
            prediction(FAILURE, "before-start", W_START - ONE_MICROSECOND),
        ],
    )

    assert await _counts(backend, W_START, W_END) == [_count(FAILURE, None, 2)]


async def test_counts_move_with_outcome(backend: Harness) -> None:
    stored = await load_example_predictions(backend)
    window = (utc(2024, 3, 10), TWO_DAYS_END)
    assert await _counts(backend, *window) == [_count(OVERRUN, None, 1), _count(FAILURE, None, 2)]

    await _record(backend, stored["p3"].id, CONFIRMED, None)

    assert await _counts(backend, *window) == [
        _count(OVERRUN, None, 1),
        _count(FAILURE, None, 1),
        _count(FAILURE, CONFIRMED, 1),
    ]


async def test_counts_all_combinations(backend: Harness) -> None:
    at = utc(2024, 3, 10, 12)
    outcomes: list[PredictionOutcome | None] = [None, CONFIRMED, REFUTED, UNDETERMINED]
    plan = [
        (prediction_type, outcome, copies)
        for prediction_type in (FAILURE, OVERRUN)
        for copies, outcome in enumerate(reversed(outcomes), start=1)
    ]
    for prediction_type, outcome, copies in plan:
        created = await store_predictions(
            backend, "t1", [prediction(prediction_type, "wk-a", at)] * copies
        )
        if outcome is not None:
            for event in created:
                await _record(backend, event.id, outcome, None)

    counts = await _counts(backend, W_START, W_END)

    assert counts == [
        _count(OVERRUN, None, 4),
        _count(OVERRUN, CONFIRMED, 3),
        _count(OVERRUN, REFUTED, 2),
        _count(OVERRUN, UNDETERMINED, 1),
        _count(FAILURE, None, 4),
        _count(FAILURE, CONFIRMED, 3),
        _count(FAILURE, REFUTED, 2),
        _count(FAILURE, UNDETERMINED, 1),
    ]
    assert sum(row.count for row in counts) == len(await _predictions(backend, limit=1000))


async def test_counts_empty(backend: Harness) -> None:
    assert await _counts(backend, W_START, W_END) == []


async def test_counts_aware_non_utc_window(backend: Harness) -> None:
    await load_example_predictions(backend)

    start = datetime(2024, 3, 9, 19, tzinfo=EASTERN)
    end = datetime(2024, 3, 10, 19, tzinfo=EASTERN)

    assert await _counts(backend, start, end) == [
        _count(OVERRUN, None, 1),
        _count(FAILURE, None, 1),
    ]


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (datetime(2024, 3, 10), W_END, "start"),
        (W_START, datetime(2024, 3, 11), "end"),
        (W_START, W_START, "end"),
        (W_END, W_START, "end"),
        (W_START, "2024-03-11", "end"),
    ],
)
async def test_counts_invalid_window(backend: Harness, start: Any, end: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _counts(backend, start, end)

    assert raised.value.field == field


async def test_counts_session_time_zone(backend: Harness) -> None:
    p1 = (await load_example_predictions(backend))["p1"]
    await record_p1_outcome(backend, p1)

    for tz in ("Asia/Kolkata", "America/New_York"):
        async with backend.store_in_session_time_zone(tz) as store, store.unit_of_work() as uow:
            counts = await uow.predictions.count_prediction_outcomes(
                "t1", start=utc(2024, 3, 10), end=utc(2024, 3, 11)
            )
        assert counts == [_count(OVERRUN, None, 1), _count(FAILURE, UNDETERMINED, 1)], tz


async def test_example_predictions_order(backend: Harness) -> None:
    stored = await load_example_predictions(backend)

    assert ids(await _predictions(backend)) == [stored["p3"].id, stored["p2"].id, stored["p1"].id]
