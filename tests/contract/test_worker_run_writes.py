"""RunWriteDriver for worker runs: idempotent creates, batches and status updates."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from analytics.domain import (
    NewWorkerRun,
    RunStatus,
    WorkerRun,
    WorkerRunStatusUpdate,
    WorkerRunTotals,
    WriteOutcome,
    WriteResult,
)
from analytics.ports import Conflict, InvalidInput, NotFound, UnitOfWork
from tests.contract.example_data import (
    T1_WORKER_RUNS,
    T2_WORKER_RUNS,
    WINDOW_W,
    load_worker_runs,
    utc,
)
from tests.contract.harness import Harness
from tests.contract.run_writes_data import (
    CREATE_CLOCK,
    CREATED_AT,
    FINISHED_AT,
    INVALID_TENANT_IDS,
    RUN_STATUSES,
    STARTED_AT,
    UPDATE_CLOCK,
    in_unit,
    new_worker_run,
    race,
)

CREATED = WriteOutcome.CREATED
UPDATED = WriteOutcome.UPDATED
UNCHANGED = WriteOutcome.UNCHANGED
KOLKATA = timezone(timedelta(hours=5, minutes=30))
NAIVE = datetime(2024, 3, 10, 6, 30)
TERMINAL = (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CRASHED)


async def record(backend: Harness, tenant_id: str, run: NewWorkerRun) -> WriteResult[WorkerRun]:
    return await in_unit(backend, lambda uow: uow.run_writes.record_worker_run(tenant_id, run=run))


async def record_batch(
    backend: Harness, tenant_id: str, runs: list[NewWorkerRun]
) -> list[WriteResult[WorkerRun]]:
    return await in_unit(
        backend, lambda uow: uow.run_writes.record_worker_runs(tenant_id, runs=runs)
    )


async def update(
    backend: Harness, tenant_id: str, run_id: str, change: WorkerRunStatusUpdate
) -> WriteResult[WorkerRun]:
    return await in_unit(
        backend,
        lambda uow: uow.run_writes.update_worker_run_status(
            tenant_id, run_id=run_id, update=change
        ),
    )


async def stored(backend: Harness, tenant_id: str, run: NewWorkerRun) -> WorkerRun:
    """Read a stored worker run back by replaying its create, which must be unchanged."""
    result = await record(backend, tenant_id, run)
    assert result.outcome is UNCHANGED
    return result.record


W1 = T1_WORKER_RUNS[0]
W5 = T1_WORKER_RUNS[4]


# --- record_worker_run --------------------------------------------------------


async def test_record_worker_run_example(backend: Harness) -> None:
    first = await record(backend, "t1", W1)
    replay = await record(backend, "t1", W1)
    with pytest.raises(Conflict) as conflict:
        await record(backend, "t1", W1.model_copy(update={"error": "Timeout after 31s"}))
    w9 = NewWorkerRun(
        id="w9",
        worker_id="wk-a",
        task="task-w9",
        status=RunStatus.COMPLETED,
        created_at=utc(2024, 3, 10, 10),
        completed_at=utc(2024, 3, 10, 10, 1),
        error="x",
    )
    with pytest.raises(InvalidInput) as invalid:
        await record(backend, "t1", w9)

    assert first.outcome is CREATED
    assert first.record.error == "Timeout after 30s"
    assert first.record.status is RunStatus.FAILED
    assert replay.outcome is UNCHANGED
    assert replay.record == first.record
    assert conflict.value.reason == "payload_mismatch"
    assert conflict.value.field == "error"
    assert invalid.value.field == "run.error"
    assert (await backend.row_counts())["worker_runs"] == 1


async def test_record_worker_run_stored_fields(backend: Harness) -> None:
    backend.clock.now = CREATE_CLOCK
    run = NewWorkerRun(
        id="wr-2",
        worker_id="wk-b",
        task="summarise\tthe ticket\nand reply",
        status=RunStatus.CRASHED,
        created_at=datetime(2024, 3, 10, 12, 0, tzinfo=KOLKATA),
        user_id="u1",
        started_at=datetime(2024, 3, 10, 12, 1, tzinfo=KOLKATA),
        completed_at=datetime(2024, 3, 10, 12, 5, tzinfo=KOLKATA),
        error="line one\nline two",
        total_tokens=1_000_000_000,
        latency_ms=1_000_000_000_000,
        cost_usd=Decimal("0.0000000135"),
        parent_run_id="wr-1",
        attempt=1000,
        is_retry=True,
        is_synthetic=True,
    )

    result = (await record(backend, "t1", run)).record

    assert result.tenant_id == "t1"
    assert result.id == "wr-2"
    assert result.worker_id == "wk-b"
    assert result.task == "summarise\tthe ticket\nand reply"
    assert result.status is RunStatus.CRASHED
    assert result.created_at == utc(2024, 3, 10, 6, 30)
    assert result.created_at.utcoffset() == timedelta(0)
    assert result.user_id == "u1"
    assert result.started_at == utc(2024, 3, 10, 6, 31)
    assert result.completed_at == utc(2024, 3, 10, 6, 35)
    assert result.error == "line one\nline two"
    assert result.total_tokens == 1_000_000_000
    assert result.latency_ms == 1_000_000_000_000
    assert result.cost_usd == Decimal("0.000000014")
    assert result.cost_usd is not None and result.cost_usd.as_tuple().exponent == -9
    assert result.parent_run_id == "wr-1"
    assert result.attempt == 1000
    assert result.is_retry is True
    assert result.is_synthetic is True
    assert result.recorded_at == CREATE_CLOCK
    assert result.updated_at == CREATE_CLOCK


async def test_record_worker_run_defaults(backend: Harness) -> None:
    result = (await record(backend, "t1", new_worker_run())).record

    assert result.user_id is None
    assert result.error is None
    assert result.total_tokens is None
    assert result.latency_ms is None
    assert result.cost_usd is None
    assert result.parent_run_id is None
    assert result.attempt == 1
    assert result.is_retry is False
    assert result.is_synthetic is False


async def test_record_worker_run_zero_cost(backend: Harness) -> None:
    result = (await record(backend, "t1", T1_WORKER_RUNS[6])).record

    assert result.cost_usd == Decimal("0E-9")
    assert result.cost_usd is not None and result.cost_usd.as_tuple().exponent == -9


@pytest.mark.parametrize("status", RUN_STATUSES)
async def test_record_worker_run_any_initial_status(backend: Harness, status: RunStatus) -> None:
    result = await record(backend, "t1", new_worker_run(status=status))

    assert result.outcome is CREATED
    assert result.record.status is status


@pytest.mark.parametrize("status", [RunStatus.FAILED, RunStatus.CRASHED])
async def test_record_worker_run_error_on_failure(backend: Harness, status: RunStatus) -> None:
    result = await record(backend, "t1", new_worker_run(status=status, error="boom"))

    assert result.record.error == "boom"


async def test_record_worker_run_replay_keeps_audit_times(backend: Harness) -> None:
    backend.clock.now = CREATE_CLOCK
    first = await record(backend, "t1", W1)
    backend.clock.now = UPDATE_CLOCK

    replay = await record(backend, "t1", W1)

    assert replay.outcome is UNCHANGED
    assert replay.record == first.record
    assert replay.record.updated_at == CREATE_CLOCK
    assert (await backend.row_counts())["worker_runs"] == 1


async def test_record_worker_run_replay_equal_after_rounding(backend: Harness) -> None:
    await record(backend, "t1", new_worker_run(cost_usd=Decimal("0.1000000004")))

    replay = await record(backend, "t1", new_worker_run(cost_usd=Decimal("0.1")))

    assert replay.outcome is UNCHANGED


FULL_WORKER_RUN = new_worker_run(
    status=RunStatus.FAILED,
    user_id="u1",
    error="boom",
    total_tokens=10,
    latency_ms=1500,
    cost_usd=Decimal("0.25"),
    parent_run_id="wr-0",
    attempt=2,
    is_retry=True,
)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("worker_id", "wk-b"),
        ("task", "another task"),
        ("status", RunStatus.CRASHED),
        ("created_at", utc(2024, 3, 10, 6, 29)),
        ("user_id", None),
        ("started_at", utc(2024, 3, 10, 6, 32)),
        ("completed_at", utc(2024, 3, 10, 6, 36)),
        ("error", "Boom"),
        ("total_tokens", 11),
        ("latency_ms", 1501),
        ("cost_usd", Decimal("0.250000001")),
        ("parent_run_id", "wr-00"),
        ("attempt", 3),
        ("is_retry", False),
        ("is_synthetic", True),
    ],
)
async def test_record_worker_run_changed_field_conflicts(
    backend: Harness, field: str, value: object
) -> None:
    original = (await record(backend, "t1", FULL_WORKER_RUN)).record

    with pytest.raises(Conflict) as raised:
        await record(backend, "t1", FULL_WORKER_RUN.model_copy(update={field: value}))

    assert raised.value.reason == "payload_mismatch"
    assert raised.value.field == field
    assert await stored(backend, "t1", FULL_WORKER_RUN) == original


async def test_record_worker_run_replay_after_completion(backend: Harness) -> None:
    await record(backend, "t1", new_worker_run())
    await update(
        backend,
        "t1",
        "wr-1",
        WorkerRunStatusUpdate(status=RunStatus.COMPLETED, completed_at=FINISHED_AT),
    )

    with pytest.raises(Conflict) as raised:
        await record(backend, "t1", new_worker_run())

    assert raised.value.reason == "payload_mismatch"
    assert raised.value.field == "status"


async def test_record_worker_run_tenants_are_separate(backend: Harness) -> None:
    await load_worker_runs(backend.uow)
    w7 = T2_WORKER_RUNS[0]
    t2_before = await stored(backend, "t2", w7)

    t1_w7 = await record(backend, "t1", w7.model_copy(update={"error": "t1 error"}))

    assert t1_w7.outcome is CREATED
    assert t1_w7.record.tenant_id == "t1"
    assert await stored(backend, "t2", w7) == t2_before
    assert (await backend.row_counts())["worker_runs"] == 9


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_record_worker_run_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await record(backend, tenant_id, new_worker_run())

    assert raised.value.field == "tenant_id"
    assert (await backend.row_counts())["worker_runs"] == 0


def _constructed(**fields: Any) -> NewWorkerRun:
    # Builds a NewWorkerRun without type checks, as a caller bypassing pydantic would.
    values: dict[str, Any] = {
        "id": "wr-1",
        "worker_id": "wk-a",
        "task": "task",
        "status": RunStatus.QUEUED,
        "created_at": CREATED_AT,
    }
    return NewWorkerRun.model_construct(**{**values, **fields})


INVALID_WORKER_RUNS = [
    pytest.param(new_worker_run(""), "run.id", id="empty id"),
    pytest.param(new_worker_run("w" * 65), "run.id", id="id of 65 characters"),
    pytest.param(new_worker_run(worker_id=""), "run.worker_id", id="empty worker_id"),
    pytest.param(
        new_worker_run(worker_id="w" * 101), "run.worker_id", id="worker_id of 101 characters"
    ),
    pytest.param(new_worker_run(worker_id="wk\n"), "run.worker_id", id="worker_id with newline"),
    pytest.param(new_worker_run(task="a\x00b"), "run.task", id="task with NUL"),
    pytest.param(new_worker_run(task="t" * 4097), "run.task", id="task of 4097 characters"),
    pytest.param(_constructed(task=None), "run.task", id="missing task"),
    pytest.param(_constructed(status="paused"), "run.status", id="unknown status"),
    pytest.param(new_worker_run(created_at=NAIVE), "run.created_at", id="naive created_at"),
    pytest.param(
        new_worker_run(created_at=utc(2200, 1, 1)), "run.created_at", id="created_at in 2200"
    ),
    pytest.param(new_worker_run(user_id=""), "run.user_id", id="empty user_id"),
    pytest.param(new_worker_run(user_id="u" * 129), "run.user_id", id="user_id of 129 characters"),
    pytest.param(
        new_worker_run(status=RunStatus.RUNNING, started_at=NAIVE),
        "run.started_at",
        id="naive started_at",
    ),
    pytest.param(
        new_worker_run(status=RunStatus.COMPLETED, completed_at=NAIVE),
        "run.completed_at",
        id="naive completed_at",
    ),
    pytest.param(
        new_worker_run(status=RunStatus.FAILED, error="a\x00"), "run.error", id="error with NUL"
    ),
    pytest.param(
        new_worker_run(status=RunStatus.FAILED, error="e" * 16_385),
        "run.error",
        id="error of 16385 characters",
    ),
    pytest.param(new_worker_run(total_tokens=-1), "run.total_tokens", id="negative tokens"),
    pytest.param(
        new_worker_run(total_tokens=1_000_000_001), "run.total_tokens", id="tokens above 1e9"
    ),
    pytest.param(new_worker_run(latency_ms=-1), "run.latency_ms", id="negative latency"),
    pytest.param(
        new_worker_run(latency_ms=1_000_000_000_001), "run.latency_ms", id="latency above 1e12"
    ),
    pytest.param(_constructed(latency_ms=True), "run.latency_ms", id="bool latency"),
    pytest.param(new_worker_run(cost_usd=Decimal("-1")), "run.cost_usd", id="negative cost"),
    pytest.param(new_worker_run(cost_usd=Decimal("sNaN")), "run.cost_usd", id="sNaN cost"),
    pytest.param(new_worker_run(cost_usd=Decimal("1000001")), "run.cost_usd", id="cost above 1e6"),
    pytest.param(new_worker_run(parent_run_id=""), "run.parent_run_id", id="empty parent"),
    pytest.param(new_worker_run(attempt=0), "run.attempt", id="attempt 0"),
    pytest.param(new_worker_run(attempt=1001), "run.attempt", id="attempt 1001"),
    pytest.param(_constructed(attempt=True), "run.attempt", id="bool attempt"),
    pytest.param(_constructed(is_retry=0), "run.is_retry", id="int is_retry"),
    pytest.param(_constructed(is_synthetic=None), "run.is_synthetic", id="missing is_synthetic"),
    pytest.param(
        new_worker_run(status=RunStatus.COMPLETED, completed_at=None),
        "run.completed_at",
        id="completed without completed_at",
    ),
    pytest.param(
        new_worker_run(status=RunStatus.FAILED, completed_at=None),
        "run.completed_at",
        id="failed without completed_at",
    ),
    pytest.param(
        new_worker_run(status=RunStatus.RUNNING, completed_at=FINISHED_AT),
        "run.completed_at",
        id="running with completed_at",
    ),
    pytest.param(
        new_worker_run(status=RunStatus.QUEUED, started_at=STARTED_AT),
        "run.started_at",
        id="queued with started_at",
    ),
    pytest.param(
        new_worker_run(status=RunStatus.CRASHED, completed_at=utc(2024, 3, 10, 6, 30)),
        "run.completed_at",
        id="completed before started",
    ),
    pytest.param(
        new_worker_run(status=RunStatus.COMPLETED, error="x"),
        "run.error",
        id="error on completed",
    ),
    pytest.param(
        new_worker_run(status=RunStatus.RUNNING, error="x"), "run.error", id="error on running"
    ),
    pytest.param(new_worker_run(error="x"), "run.error", id="error on queued"),
    pytest.param(
        new_worker_run("wr-1", parent_run_id="wr-1"), "run.parent_run_id", id="parent is itself"
    ),
]


@pytest.mark.parametrize(("run", "field"), INVALID_WORKER_RUNS)
async def test_record_worker_run_invalid_input(
    backend: Harness, run: NewWorkerRun, field: str
) -> None:
    before = await backend.row_counts()

    with pytest.raises(InvalidInput) as raised:
        await record(backend, "t1", run)

    assert raised.value.field == field
    assert await backend.row_counts() == before


async def test_record_worker_run_error_keeps_unit_usable(backend: Harness) -> None:
    await record(backend, "t1", new_worker_run("wr-1"))

    async with backend.uow() as uow:
        writes = uow.run_writes
        with pytest.raises(InvalidInput):
            await writes.record_worker_run("t1", run=new_worker_run("wr-2", attempt=0))
        with pytest.raises(Conflict):
            await writes.record_worker_run("t1", run=new_worker_run("wr-1", task="other"))
        after_errors = await writes.record_worker_run("t1", run=new_worker_run("wr-3"))

    assert after_errors.outcome is CREATED
    assert (await backend.row_counts())["worker_runs"] == 2


async def test_record_worker_run_rollback_discards(backend: Harness) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with backend.uow() as uow:
            await uow.run_writes.record_worker_run("t1", run=new_worker_run())
            raise Abort

    assert (await backend.row_counts())["worker_runs"] == 0


# --- record_worker_runs -------------------------------------------------------


async def test_record_worker_runs_example(backend: Harness) -> None:
    first = await record_batch(backend, "t1", list(T1_WORKER_RUNS))
    again = await record_batch(backend, "t1", list(T1_WORKER_RUNS))
    other_tenant = await record_batch(backend, "t2", list(T2_WORKER_RUNS))

    assert [result.outcome for result in first] == [CREATED] * 7
    assert [result.record.id for result in first] == ["w1", "w2", "w3", "w4", "w5", "w6", "w8"]
    assert [result.outcome for result in again] == [UNCHANGED] * 7
    assert [result.record for result in again] == [result.record for result in first]
    assert [result.outcome for result in other_tenant] == [CREATED]
    assert other_tenant[0].record.tenant_id == "t2"
    assert (await backend.row_counts())["worker_runs"] == 8


async def test_record_worker_runs_repeated_id_identical(backend: Harness) -> None:
    batch = [new_worker_run("wr-a"), new_worker_run("wr-b"), new_worker_run("wr-a")]

    results = await record_batch(backend, "t1", batch)

    assert [result.outcome for result in results] == [CREATED, CREATED, UNCHANGED]
    assert results[2].record == results[0].record
    assert (await backend.row_counts())["worker_runs"] == 2


async def test_record_worker_runs_repeated_id_different(backend: Harness) -> None:
    batch = [new_worker_run("wr-a"), new_worker_run("wr-a", latency_ms=5)]

    with pytest.raises(Conflict) as raised:
        await record_batch(backend, "t1", batch)

    assert raised.value.reason == "payload_mismatch"
    assert raised.value.field == "runs[1].latency_ms"
    assert (await backend.row_counts())["worker_runs"] == 0


async def test_record_worker_runs_conflict_writes_nothing(backend: Harness) -> None:
    await record_batch(backend, "t1", [new_worker_run("wr-b", cost_usd=Decimal("0.25"))])
    batch = [new_worker_run("wr-c"), new_worker_run("wr-b", cost_usd=Decimal("0.26"))]

    with pytest.raises(Conflict) as raised:
        await record_batch(backend, "t1", batch)

    assert raised.value.field == "runs[1].cost_usd"
    assert (await backend.row_counts())["worker_runs"] == 1


@pytest.mark.parametrize(("run", "field"), INVALID_WORKER_RUNS)
async def test_record_worker_runs_invalid_item(
    backend: Harness, run: NewWorkerRun, field: str
) -> None:
    batch = [new_worker_run(f"wr-{index}") for index in range(3)] + [run, new_worker_run("wr-9")]

    with pytest.raises(InvalidInput) as raised:
        await record_batch(backend, "t1", batch)

    assert raised.value.field == field.replace("run.", "runs[3].", 1)
    assert (await backend.row_counts())["worker_runs"] == 0


async def test_record_worker_runs_replay_after_completion(backend: Harness) -> None:
    await record(backend, "t1", new_worker_run("wr-1"))
    await update(
        backend,
        "t1",
        "wr-1",
        WorkerRunStatusUpdate(status=RunStatus.COMPLETED, completed_at=FINISHED_AT),
    )

    with pytest.raises(Conflict) as raised:
        await record_batch(backend, "t1", [new_worker_run("wr-0"), new_worker_run("wr-1")])

    assert raised.value.field == "runs[1].status"
    assert (await backend.row_counts())["worker_runs"] == 1


async def test_record_worker_runs_match_single_records(backend: Harness) -> None:
    runs = [*T1_WORKER_RUNS, FULL_WORKER_RUN]

    batch = await record_batch(backend, "t1", runs)
    singles = [await record(backend, "t2", run) for run in runs]

    assert [result.outcome for result in batch] == [result.outcome for result in singles]
    for batch_result, single in zip(batch, singles, strict=True):
        assert batch_result.record == single.record.model_copy(update={"tenant_id": "t1"})


async def test_record_worker_runs_empty_batch(backend: Harness) -> None:
    assert await record_batch(backend, "t1", []) == []
    assert (await backend.row_counts())["worker_runs"] == 0


async def test_record_worker_runs_bounds(backend: Harness) -> None:
    full = FULL_WORKER_RUN
    too_many = [full.model_copy(update={"id": f"bulk-{index}"}) for index in range(1001)]

    with pytest.raises(InvalidInput) as raised:
        await record_batch(backend, "t1", too_many)
    accepted = await record_batch(backend, "t1", too_many[:1000])

    assert raised.value.field == "runs"
    assert len(accepted) == 1000
    assert {result.outcome for result in accepted} == {CREATED}
    assert (await backend.row_counts())["worker_runs"] == 1000


async def test_record_worker_runs_rejects_bare_string(backend: Harness) -> None:
    not_a_list: Any = "wr-1"

    with pytest.raises(InvalidInput) as raised:
        await record_batch(backend, "t1", not_a_list)

    assert raised.value.field == "runs"


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_record_worker_runs_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await record_batch(backend, tenant_id, [new_worker_run()])

    assert raised.value.field == "tenant_id"
    assert (await backend.row_counts())["worker_runs"] == 0


async def test_record_worker_runs_error_keeps_unit_usable(backend: Harness) -> None:
    async with backend.uow() as uow:
        writes = uow.run_writes
        await writes.record_worker_runs("t1", runs=[new_worker_run("wr-1")])
        with pytest.raises(Conflict):
            await writes.record_worker_runs(
                "t1", runs=[new_worker_run("wr-2"), new_worker_run("wr-1", attempt=2)]
            )
        with pytest.raises(InvalidInput):
            await writes.record_worker_runs("t1", runs=[new_worker_run("wr-3", attempt=0)])
        after_errors = await writes.record_worker_runs("t1", runs=[new_worker_run("wr-4")])

    assert after_errors[0].outcome is CREATED
    assert (await backend.row_counts())["worker_runs"] == 2


# --- update_worker_run_status -------------------------------------------------


async def test_update_worker_run_status_example(backend: Harness) -> None:
    await load_worker_runs(backend.uow)
    backend.clock.now = UPDATE_CLOCK
    complete = WorkerRunStatusUpdate(
        status=RunStatus.COMPLETED,
        completed_at=utc(2024, 3, 10, 13, 5),
        cost_usd=Decimal("0.31"),
    )

    completed = await update(backend, "t1", "w5", complete)
    with pytest.raises(Conflict) as raised:
        await update(
            backend,
            "t1",
            "w5",
            WorkerRunStatusUpdate(status=RunStatus.CRASHED, completed_at=utc(2024, 3, 10, 13, 6)),
        )

    assert completed.outcome is UPDATED
    assert completed.record.status is RunStatus.COMPLETED
    assert completed.record.completed_at == utc(2024, 3, 10, 13, 5)
    assert completed.record.cost_usd == Decimal("0.310000000")
    assert completed.record.updated_at == UPDATE_CLOCK
    assert completed.record.created_at == utc(2024, 3, 10, 13)
    assert raised.value.reason == "terminal"


async def test_completed_run_appears_in_cost_runs(backend: Harness) -> None:
    await load_worker_runs(backend.uow)
    complete = WorkerRunStatusUpdate(
        status=RunStatus.COMPLETED, completed_at=utc(2024, 3, 10, 13, 5), cost_usd=Decimal("0.31")
    )
    await update(backend, "t1", "w5", complete)
    start, end = WINDOW_W

    async with backend.uow() as uow:
        runs = await uow.predictions.fetch_cost_runs("t1", start=start, end=end)

    assert [run.id for run in runs] == ["w5", "w3", "w4"]
    assert runs[0].cost_usd == Decimal("0.310000000")


async def test_completed_run_counts_as_terminal(backend: Harness) -> None:
    await load_worker_runs(backend.uow)
    complete = WorkerRunStatusUpdate(
        status=RunStatus.COMPLETED, completed_at=utc(2024, 3, 10, 13, 5), cost_usd=Decimal("0.31")
    )
    await update(backend, "t1", "w5", complete)
    start, end = WINDOW_W

    async with backend.uow() as uow:
        totals = await uow.predictions.fetch_run_totals("t1", start=start, end=end)

    assert totals == [
        WorkerRunTotals(worker_id="wk-a", terminal=3, completed=1, failed=1, crashed=1),
        WorkerRunTotals(worker_id="wk-b", terminal=3, completed=3, failed=0, crashed=0),
    ]


def _move_to(status: RunStatus) -> WorkerRunStatusUpdate:
    """Return an update to ``status`` that changes a value of a row built by ``new_worker_run``."""
    if status is RunStatus.QUEUED:
        return WorkerRunStatusUpdate(status=status, total_tokens=7)
    if status is RunStatus.RUNNING:
        return WorkerRunStatusUpdate(status=status, started_at=utc(2024, 3, 10, 6, 33))
    return WorkerRunStatusUpdate(status=status, completed_at=FINISHED_AT)


def _lifecycle_cell(before: RunStatus, after: RunStatus) -> str:
    if before in TERMINAL:
        return "unchanged" if before is after else "terminal"
    if before is RunStatus.RUNNING and after is RunStatus.QUEUED:
        return "illegal_transition"
    return "updated"


LIFECYCLE_CELLS = [
    pytest.param(before, after, _lifecycle_cell(before, after), id=f"{before}->{after}")
    for before in RUN_STATUSES
    for after in RUN_STATUSES
]


@pytest.mark.parametrize(("before", "after", "expected"), LIFECYCLE_CELLS)
async def test_update_worker_run_status_lifecycle(
    backend: Harness, before: RunStatus, after: RunStatus, expected: str
) -> None:
    run = new_worker_run(status=before)
    original = (await record(backend, "t1", run)).record
    backend.clock.now = UPDATE_CLOCK

    if expected in ("terminal", "illegal_transition"):
        with pytest.raises(Conflict) as raised:
            await update(backend, "t1", "wr-1", _move_to(after))
        assert raised.value.reason == expected
        assert await stored(backend, "t1", run) == original
        return

    result = await update(backend, "t1", "wr-1", _move_to(after))
    assert result.outcome.value == expected
    assert result.record.status is after
    assert result.record.updated_at == (
        UPDATE_CLOCK if expected == "updated" else original.updated_at
    )


async def test_update_worker_run_status_none_keeps_values(backend: Harness) -> None:
    await record(
        backend,
        "t1",
        new_worker_run(
            status=RunStatus.RUNNING, total_tokens=10, latency_ms=20, cost_usd=Decimal("0.5")
        ),
    )

    result = await update(
        backend,
        "t1",
        "wr-1",
        WorkerRunStatusUpdate(status=RunStatus.CRASHED, completed_at=FINISHED_AT, latency_ms=25),
    )

    assert result.record.started_at == STARTED_AT
    assert result.record.total_tokens == 10
    assert result.record.latency_ms == 25
    assert result.record.cost_usd == Decimal("0.500000000")
    assert result.record.error is None
    assert result.record.task == "task-wr-1"
    assert result.record.attempt == 1


async def test_update_worker_run_status_failure_with_error(backend: Harness) -> None:
    await record(backend, "t1", new_worker_run(status=RunStatus.RUNNING))
    fail = WorkerRunStatusUpdate(
        status=RunStatus.FAILED,
        completed_at=FINISHED_AT,
        error="Timeout after 30s",
        total_tokens=1200,
        latency_ms=30_000,
        cost_usd=Decimal("0.004"),
    )

    first = await update(backend, "t1", "wr-1", fail)
    replay = await update(backend, "t1", "wr-1", fail)

    assert first.outcome is UPDATED
    assert first.record.error == "Timeout after 30s"
    assert first.record.total_tokens == 1200
    assert first.record.latency_ms == 30_000
    assert first.record.cost_usd == Decimal("0.004000000")
    assert replay.outcome is UNCHANGED
    assert replay.record == first.record


async def test_update_worker_run_status_replay_unchanged(backend: Harness) -> None:
    await record(backend, "t1", new_worker_run())
    backend.clock.now = CREATE_CLOCK
    first = await update(backend, "t1", "wr-1", _move_to(RunStatus.RUNNING))
    backend.clock.now = UPDATE_CLOCK

    replay = await update(backend, "t1", "wr-1", _move_to(RunStatus.RUNNING))

    assert replay.outcome is UNCHANGED
    assert replay.record == first.record
    assert replay.record.updated_at == CREATE_CLOCK


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("started_at", utc(2024, 3, 10, 6, 32)),
        ("completed_at", utc(2024, 3, 10, 6, 36)),
        ("error", "another error"),
        ("total_tokens", 1),
        ("latency_ms", 1),
        ("cost_usd", Decimal("0.01")),
    ],
)
async def test_update_worker_run_status_terminal_is_immutable(
    backend: Harness, field: str, value: object
) -> None:
    run = new_worker_run(status=RunStatus.FAILED)
    original = (await record(backend, "t1", run)).record
    values: dict[str, Any] = {"completed_at": FINISHED_AT, field: value}

    with pytest.raises(Conflict) as raised:
        await update(
            backend, "t1", "wr-1", WorkerRunStatusUpdate(status=RunStatus.FAILED, **values)
        )

    assert raised.value.reason == "terminal"
    assert await stored(backend, "t1", run) == original


async def test_update_worker_run_status_terminal_without_finish(backend: Harness) -> None:
    run = new_worker_run(status=RunStatus.QUEUED)
    original = (await record(backend, "t1", run)).record

    with pytest.raises(InvalidInput) as raised:
        await update(backend, "t1", "wr-1", WorkerRunStatusUpdate(status=RunStatus.FAILED))

    assert raised.value.field == "update.completed_at"
    assert await stored(backend, "t1", run) == original


async def test_update_worker_run_status_finish_before_stored_start(backend: Harness) -> None:
    run = new_worker_run(status=RunStatus.RUNNING)
    original = (await record(backend, "t1", run)).record
    early = WorkerRunStatusUpdate(status=RunStatus.COMPLETED, completed_at=utc(2024, 3, 10, 6, 30))

    with pytest.raises(InvalidInput) as raised:
        await update(backend, "t1", "wr-1", early)

    assert raised.value.field == "update.completed_at"
    assert await stored(backend, "t1", run) == original


def _constructed_update(**fields: Any) -> WorkerRunStatusUpdate:
    return WorkerRunStatusUpdate.model_construct(**{"status": RunStatus.RUNNING, **fields})


INVALID_WORKER_UPDATES = [
    pytest.param(_constructed_update(status="done"), "update.status", id="unknown status"),
    pytest.param(
        WorkerRunStatusUpdate(status=RunStatus.RUNNING, started_at=NAIVE),
        "update.started_at",
        id="naive started_at",
    ),
    pytest.param(
        WorkerRunStatusUpdate(status=RunStatus.COMPLETED, completed_at=NAIVE),
        "update.completed_at",
        id="naive completed_at",
    ),
    pytest.param(
        WorkerRunStatusUpdate(status=RunStatus.FAILED, completed_at=FINISHED_AT, error="a\x00"),
        "update.error",
        id="error with NUL",
    ),
    pytest.param(
        WorkerRunStatusUpdate(status=RunStatus.RUNNING, total_tokens=-1),
        "update.total_tokens",
        id="negative tokens",
    ),
    pytest.param(
        WorkerRunStatusUpdate(status=RunStatus.RUNNING, latency_ms=-1),
        "update.latency_ms",
        id="negative latency",
    ),
    pytest.param(
        WorkerRunStatusUpdate(status=RunStatus.RUNNING, cost_usd=Decimal("Infinity")),
        "update.cost_usd",
        id="infinite cost",
    ),
    pytest.param(
        WorkerRunStatusUpdate(status=RunStatus.RUNNING, completed_at=FINISHED_AT),
        "update.completed_at",
        id="running with completed_at",
    ),
    pytest.param(
        WorkerRunStatusUpdate(status=RunStatus.QUEUED, started_at=STARTED_AT),
        "update.started_at",
        id="queued with started_at",
    ),
    pytest.param(
        WorkerRunStatusUpdate(
            status=RunStatus.COMPLETED,
            started_at=FINISHED_AT,
            completed_at=STARTED_AT,
        ),
        "update.completed_at",
        id="completed before started",
    ),
    pytest.param(
        WorkerRunStatusUpdate(status=RunStatus.COMPLETED, completed_at=FINISHED_AT, error="x"),
        "update.error",
        id="error on completed",
    ),
    pytest.param(
        WorkerRunStatusUpdate(status=RunStatus.RUNNING, error="x"),
        "update.error",
        id="error on running",
    ),
]


@pytest.mark.parametrize(("change", "field"), INVALID_WORKER_UPDATES)
async def test_update_worker_run_status_invalid_input(
    backend: Harness, change: WorkerRunStatusUpdate, field: str
) -> None:
    run = new_worker_run(status=RunStatus.RUNNING)
    original = (await record(backend, "t1", run)).record

    with pytest.raises(InvalidInput) as raised:
        await update(backend, "t1", "wr-1", change)

    assert raised.value.field == field
    assert await stored(backend, "t1", run) == original


@pytest.mark.parametrize("run_id", ["", "w" * 65, "wr\t1"])
async def test_update_worker_run_status_invalid_run_id(backend: Harness, run_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await update(backend, "t1", run_id, _move_to(RunStatus.RUNNING))

    assert raised.value.field == "run_id"


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_update_worker_run_status_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await update(backend, tenant_id, "wr-1", _move_to(RunStatus.RUNNING))

    assert raised.value.field == "tenant_id"


async def test_update_worker_run_status_unknown_id(backend: Harness) -> None:
    await load_worker_runs(backend.uow)
    w7 = T2_WORKER_RUNS[0]
    t2_before = await stored(backend, "t2", w7)
    crash = WorkerRunStatusUpdate(status=RunStatus.CRASHED, completed_at=FINISHED_AT)

    with pytest.raises(NotFound) as missing:
        await update(backend, "t1", "w404", crash)
    with pytest.raises(NotFound) as other_tenant:
        await update(backend, "t1", "w7", crash)

    assert missing.value.key == "w404"
    assert other_tenant.value.key == "w7"
    assert await stored(backend, "t2", w7) == t2_before


async def test_update_worker_run_status_error_keeps_unit_usable(backend: Harness) -> None:
    await load_worker_runs(backend.uow)
    crash = WorkerRunStatusUpdate(status=RunStatus.CRASHED, completed_at=utc(2024, 3, 10, 13, 5))

    async with backend.uow() as uow:
        writes = uow.run_writes
        with pytest.raises(Conflict):
            await writes.update_worker_run_status("t1", run_id="w1", update=crash)
        with pytest.raises(NotFound):
            await writes.update_worker_run_status("t1", run_id="w7", update=crash)
        with pytest.raises(InvalidInput):
            await writes.update_worker_run_status(
                "t1", run_id="w5", update=WorkerRunStatusUpdate(status=RunStatus.CRASHED)
            )
        after_errors = await writes.update_worker_run_status("t1", run_id="w5", update=crash)

    assert after_errors.outcome is UPDATED
    assert (await update(backend, "t1", "w5", crash)).outcome is UNCHANGED


async def _crash_in(uow: UnitOfWork, change: WorkerRunStatusUpdate) -> WriteResult[WorkerRun]:
    return await uow.run_writes.update_worker_run_status("t1", run_id="wr-1", update=change)


async def test_update_worker_run_status_concurrent_terminal(backend: Harness) -> None:
    await record(backend, "t1", new_worker_run(status=RunStatus.RUNNING))
    crashed = WorkerRunStatusUpdate(status=RunStatus.CRASHED, completed_at=FINISHED_AT)
    completed = WorkerRunStatusUpdate(status=RunStatus.COMPLETED, completed_at=FINISHED_AT)

    first, second = await race(
        backend, lambda uow: _crash_in(uow, crashed), lambda uow: _crash_in(uow, completed)
    )

    assert isinstance(first, WriteResult)
    assert first.outcome is UPDATED
    assert isinstance(second, Conflict)
    assert second.reason == "terminal"


async def test_update_worker_run_status_concurrent_identical(backend: Harness) -> None:
    await record(backend, "t1", new_worker_run(status=RunStatus.RUNNING))
    crashed = WorkerRunStatusUpdate(status=RunStatus.CRASHED, completed_at=FINISHED_AT)

    first, second = await race(
        backend, lambda uow: _crash_in(uow, crashed), lambda uow: _crash_in(uow, crashed)
    )

    assert isinstance(first, WriteResult)
    assert first.outcome is UPDATED
    assert isinstance(second, WriteResult)
    assert second.outcome is UNCHANGED
