"""RunWriteDriver for runs and traces: idempotent creates, batches and status updates."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from analytics.domain import (
    NewRun,
    NewTrace,
    Run,
    RunStatus,
    RunStatusUpdate,
    Trace,
    TraceStatus,
    TraceStatusUpdate,
    WriteOutcome,
    WriteResult,
)
from analytics.ports import Conflict, InvalidInput, NotFound, UnitOfWork
from tests.contract.example_data import T1_RUNS, T1_TRACES, load_runs_and_traces, utc
from tests.contract.harness import Harness
from tests.contract.run_writes_data import (
    CREATE_CLOCK,
    CREATED_AT,
    FINISHED_AT,
    INVALID_TENANT_IDS,
    RUN_STATUSES,
    STARTED_AT,
    TRACE_COMPLETED_AT,
    UPDATE_CLOCK,
    in_unit,
    new_run,
    new_trace,
    race,
)

CREATED = WriteOutcome.CREATED
UPDATED = WriteOutcome.UPDATED
UNCHANGED = WriteOutcome.UNCHANGED
KOLKATA = timezone(timedelta(hours=5, minutes=30))


async def record_run(backend: Harness, tenant_id: str, run: NewRun) -> WriteResult[Run]:
    return await in_unit(backend, lambda uow: uow.run_writes.record_run(tenant_id, run=run))


async def record_trace(backend: Harness, tenant_id: str, trace: NewTrace) -> WriteResult[Trace]:
    return await in_unit(backend, lambda uow: uow.run_writes.record_trace(tenant_id, trace=trace))


async def update_run(
    backend: Harness, tenant_id: str, run_id: str, update: RunStatusUpdate
) -> WriteResult[Run]:
    return await in_unit(
        backend,
        lambda uow: uow.run_writes.update_run_status(tenant_id, run_id=run_id, update=update),
    )


async def update_trace(
    backend: Harness, tenant_id: str, trace_id: str, update: TraceStatusUpdate
) -> WriteResult[Trace]:
    return await in_unit(
        backend,
        lambda uow: uow.run_writes.update_trace_status(tenant_id, trace_id=trace_id, update=update),
    )


async def stored_run(backend: Harness, tenant_id: str, run: NewRun) -> Run:
    """Read a stored run back by replaying its create, which must be unchanged."""
    result = await record_run(backend, tenant_id, run)
    assert result.outcome is UNCHANGED
    return result.record


async def stored_trace(backend: Harness, tenant_id: str, trace: NewTrace) -> Trace:
    """Read a stored trace back by replaying its create, which must be unchanged."""
    result = await record_trace(backend, tenant_id, trace)
    assert result.outcome is UNCHANGED
    return result.record


# --- record_run ---------------------------------------------------------------


async def test_record_run_example(backend: Harness) -> None:
    queued = NewRun(id="run-1", status=RunStatus.QUEUED, created_at=utc(2024, 3, 10, 6, 30))

    first = await record_run(backend, "t1", queued)
    replay = await record_run(backend, "t1", queued)
    with pytest.raises(Conflict) as conflict:
        await record_run(backend, "t1", queued.model_copy(update={"model": "gpt-4o"}))
    with pytest.raises(InvalidInput) as invalid:
        await record_run(
            backend,
            "t1",
            NewRun(id="run-9", status=RunStatus.COMPLETED, created_at=utc(2024, 3, 10, 6, 30)),
        )

    assert first.outcome is CREATED
    assert replay.outcome is UNCHANGED
    assert replay.record == first.record
    assert conflict.value.reason == "payload_mismatch"
    assert conflict.value.field == "model"
    assert invalid.value.field == "run.finished_at"
    assert (await backend.row_counts())["runs"] == 1


async def test_record_run_stored_fields(backend: Harness) -> None:
    backend.clock.now = CREATE_CLOCK
    run = NewRun(
        id="run-1",
        status=RunStatus.COMPLETED,
        created_at=datetime(2024, 3, 10, 12, 0, tzinfo=KOLKATA),
        model="gpt-4o",
        started_at=datetime(2024, 3, 10, 12, 1, tzinfo=KOLKATA),
        finished_at=datetime(2024, 3, 10, 12, 5, tzinfo=KOLKATA),
        input_tokens=100,
        output_tokens=20,
        cost_usd=Decimal("0.0000000125"),
        is_synthetic=True,
    )

    record = (await record_run(backend, "t1", run)).record

    assert record.tenant_id == "t1"
    assert record.id == "run-1"
    assert record.status is RunStatus.COMPLETED
    assert record.created_at == utc(2024, 3, 10, 6, 30)
    assert record.created_at.utcoffset() == timedelta(0)
    assert record.started_at == utc(2024, 3, 10, 6, 31)
    assert record.finished_at == utc(2024, 3, 10, 6, 35)
    assert record.model == "gpt-4o"
    assert record.input_tokens == 100
    assert record.output_tokens == 20
    assert record.cost_usd == Decimal("0.000000012")
    assert record.cost_usd is not None and record.cost_usd.as_tuple().exponent == -9
    assert record.is_synthetic is True
    assert record.recorded_at == CREATE_CLOCK
    assert record.updated_at == CREATE_CLOCK


async def test_record_run_optional_fields_default(backend: Harness) -> None:
    record = (await record_run(backend, "t1", new_run())).record

    assert record.model is None
    assert record.started_at is None
    assert record.finished_at is None
    assert record.input_tokens is None
    assert record.output_tokens is None
    assert record.cost_usd is None
    assert record.is_synthetic is False


async def test_record_run_record_is_frozen(backend: Harness) -> None:
    record = (await record_run(backend, "t1", new_run())).record

    with pytest.raises(ValidationError):
        record.status = RunStatus.RUNNING  # type: ignore[misc]


@pytest.mark.parametrize("status", RUN_STATUSES)
async def test_record_run_any_initial_status(backend: Harness, status: RunStatus) -> None:
    result = await record_run(backend, "t1", new_run(status=status))

    assert result.outcome is CREATED
    assert result.record.status is status


async def test_record_run_replay_keeps_audit_times(backend: Harness) -> None:
    backend.clock.now = CREATE_CLOCK
    first = await record_run(backend, "t1", new_run(status=RunStatus.RUNNING))
    backend.clock.now = UPDATE_CLOCK

    replay = await record_run(backend, "t1", new_run(status=RunStatus.RUNNING))

    assert replay.outcome is UNCHANGED
    assert replay.record.recorded_at == CREATE_CLOCK
    assert replay.record.updated_at == CREATE_CLOCK
    assert replay.record == first.record
    assert (await backend.row_counts())["runs"] == 1


async def test_record_run_replay_equal_after_rounding(backend: Harness) -> None:
    await record_run(backend, "t1", new_run(cost_usd=Decimal("0.0000000125")))

    replay = await record_run(backend, "t1", new_run(cost_usd=Decimal("0.000000012")))

    assert replay.outcome is UNCHANGED


async def test_record_run_replay_in_other_time_zone(backend: Harness) -> None:
    await record_run(backend, "t1", new_run())

    replay = await record_run(
        backend, "t1", new_run(created_at=datetime(2024, 3, 10, 12, 0, tzinfo=KOLKATA))
    )

    assert replay.outcome is UNCHANGED


FULL_RUN = new_run(
    status=RunStatus.COMPLETED,
    model="gpt-4o",
    input_tokens=100,
    output_tokens=20,
    cost_usd=Decimal("0.002"),
)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", RunStatus.FAILED),
        ("created_at", utc(2024, 3, 10, 6, 29)),
        ("model", "gpt-4o-mini"),
        ("started_at", utc(2024, 3, 10, 6, 32)),
        ("finished_at", utc(2024, 3, 10, 6, 36)),
        ("input_tokens", 101),
        ("output_tokens", None),
        ("cost_usd", Decimal("0.002000001")),
        ("is_synthetic", True),
    ],
)
async def test_record_run_changed_field_conflicts(
    backend: Harness, field: str, value: object
) -> None:
    original = (await record_run(backend, "t1", FULL_RUN)).record

    with pytest.raises(Conflict) as raised:
        await record_run(backend, "t1", FULL_RUN.model_copy(update={field: value}))

    assert raised.value.reason == "payload_mismatch"
    assert raised.value.field == field
    assert raised.value.key == "run-1"
    assert await stored_run(backend, "t1", FULL_RUN) == original


async def test_record_run_first_difference_named(backend: Harness) -> None:
    await record_run(backend, "t1", FULL_RUN)
    changed = FULL_RUN.model_copy(update={"model": "other", "input_tokens": 1})

    with pytest.raises(Conflict) as raised:
        await record_run(backend, "t1", changed)

    assert raised.value.field == "model"


async def test_record_run_replay_after_completion(backend: Harness) -> None:
    await record_run(backend, "t1", new_run())
    await update_run(
        backend,
        "t1",
        "run-1",
        RunStatusUpdate(status=RunStatus.COMPLETED, finished_at=FINISHED_AT),
    )

    with pytest.raises(Conflict) as raised:
        await record_run(backend, "t1", new_run())

    assert raised.value.reason == "payload_mismatch"
    assert raised.value.field == "status"


async def test_record_run_tenants_are_separate(backend: Harness) -> None:
    t2_run = new_run(status=RunStatus.RUNNING, model="claude-3")
    t2_first = await record_run(backend, "t2", t2_run)

    t1_result = await record_run(backend, "t1", new_run(model="gpt-4o"))

    assert t1_result.outcome is CREATED
    assert t1_result.record.tenant_id == "t1"
    assert t1_result.record.model == "gpt-4o"
    assert await stored_run(backend, "t2", t2_run) == t2_first.record


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_record_run_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await record_run(backend, tenant_id, new_run())

    assert raised.value.field == "tenant_id"
    assert (await backend.row_counts())["runs"] == 0


def _constructed(**fields: Any) -> NewRun:
    # Builds a NewRun without type checks, as a caller bypassing pydantic would.
    values: dict[str, Any] = {"id": "run-1", "status": RunStatus.QUEUED, "created_at": CREATED_AT}
    return NewRun.model_construct(**{**values, **fields})


RUN_NAIVE = datetime(2024, 3, 10, 6, 30)

INVALID_RUNS = [
    pytest.param(new_run(""), "run.id", id="empty id"),
    pytest.param(new_run("r" * 65), "run.id", id="id of 65 characters"),
    pytest.param(new_run(" run-1"), "run.id", id="id with leading space"),
    pytest.param(new_run("run\x00"), "run.id", id="id with NUL"),
    pytest.param(_constructed(status="paused"), "run.status", id="unknown status"),
    pytest.param(new_run(created_at=RUN_NAIVE), "run.created_at", id="naive created_at"),
    pytest.param(
        new_run(created_at=utc(1969, 12, 31)), "run.created_at", id="created_at before 1970"
    ),
    pytest.param(new_run(model=""), "run.model", id="empty model"),
    pytest.param(new_run(model="m" * 129), "run.model", id="model of 129 characters"),
    pytest.param(
        new_run(status=RunStatus.RUNNING, started_at=RUN_NAIVE),
        "run.started_at",
        id="naive started_at",
    ),
    pytest.param(
        new_run(status=RunStatus.COMPLETED, finished_at=RUN_NAIVE),
        "run.finished_at",
        id="naive finished_at",
    ),
    pytest.param(new_run(input_tokens=-1), "run.input_tokens", id="negative input tokens"),
    pytest.param(
        new_run(input_tokens=1_000_000_001), "run.input_tokens", id="input tokens above 1e9"
    ),
    pytest.param(_constructed(input_tokens=True), "run.input_tokens", id="bool input tokens"),
    pytest.param(new_run(output_tokens=-1), "run.output_tokens", id="negative output tokens"),
    pytest.param(new_run(cost_usd=Decimal("-0.01")), "run.cost_usd", id="negative cost"),
    pytest.param(new_run(cost_usd=Decimal("NaN")), "run.cost_usd", id="NaN cost"),
    pytest.param(new_run(cost_usd=Decimal("Infinity")), "run.cost_usd", id="infinite cost"),
    pytest.param(
        new_run(cost_usd=Decimal("1000000.000000001")), "run.cost_usd", id="cost above 1e6"
    ),
    pytest.param(_constructed(cost_usd=0.1), "run.cost_usd", id="float cost"),
    pytest.param(_constructed(is_synthetic=1), "run.is_synthetic", id="int is_synthetic"),
    pytest.param(
        new_run(status=RunStatus.COMPLETED, finished_at=None),
        "run.finished_at",
        id="completed without finished_at",
    ),
    pytest.param(
        new_run(status=RunStatus.CRASHED, finished_at=None),
        "run.finished_at",
        id="crashed without finished_at",
    ),
    pytest.param(
        new_run(status=RunStatus.RUNNING, finished_at=FINISHED_AT),
        "run.finished_at",
        id="running with finished_at",
    ),
    pytest.param(
        new_run(status=RunStatus.QUEUED, started_at=STARTED_AT),
        "run.started_at",
        id="queued with started_at",
    ),
    pytest.param(
        new_run(status=RunStatus.FAILED, finished_at=utc(2024, 3, 10, 6, 30, 59)),
        "run.finished_at",
        id="finished before started",
    ),
]


@pytest.mark.parametrize(("run", "field"), INVALID_RUNS)
async def test_record_run_invalid_input(backend: Harness, run: NewRun, field: str) -> None:
    before = await backend.row_counts()

    with pytest.raises(InvalidInput) as raised:
        await record_run(backend, "t1", run)

    assert raised.value.field == field
    assert await backend.row_counts() == before


async def test_record_run_rejects_other_model(backend: Harness) -> None:
    wrong: Any = new_trace()

    with pytest.raises(InvalidInput) as raised:
        await record_run(backend, "t1", wrong)

    assert raised.value.field == "run"


async def test_record_run_error_keeps_unit_usable(backend: Harness) -> None:
    await record_run(backend, "t1", new_run("run-1"))

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput):
            await uow.run_writes.record_run("t1", run=new_run("run-2", input_tokens=-1))
        with pytest.raises(Conflict):
            await uow.run_writes.record_run("t1", run=new_run("run-1", model="other"))
        after_errors = await uow.run_writes.record_run("t1", run=new_run("run-3"))

    assert after_errors.outcome is CREATED
    assert (await backend.row_counts())["runs"] == 2
    assert (await stored_run(backend, "t1", new_run("run-3"))).id == "run-3"


async def test_record_run_rollback_discards(backend: Harness) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with backend.uow() as uow:
            await uow.run_writes.record_run("t1", run=new_run())
            raise Abort

    assert (await backend.row_counts())["runs"] == 0
    assert (await record_run(backend, "t1", new_run())).outcome is CREATED


async def test_record_run_visible_before_commit(backend: Harness) -> None:
    async with backend.uow() as uow:
        created = await uow.run_writes.record_run("t1", run=new_run())
        replay = await uow.run_writes.record_run("t1", run=new_run())

    assert created.outcome is CREATED
    assert replay.outcome is UNCHANGED


# --- record_runs --------------------------------------------------------------


async def record_batch(
    backend: Harness, tenant_id: str, runs: list[NewRun]
) -> list[WriteResult[Run]]:
    return await in_unit(backend, lambda uow: uow.run_writes.record_runs(tenant_id, runs=runs))


async def test_record_runs_example(backend: Harness) -> None:
    runs = list(T1_RUNS)

    first = await record_batch(backend, "t1", runs)
    again = await record_batch(backend, "t1", runs)

    assert [result.outcome for result in first] == [CREATED] * 4
    assert [result.record.id for result in first] == ["run-1", "run-2", "run-3", "run-4"]
    assert [result.outcome for result in again] == [UNCHANGED] * 4
    assert [result.record for result in again] == [result.record for result in first]


async def test_record_runs_conflict_writes_nothing(backend: Harness) -> None:
    await record_batch(backend, "t1", list(T1_RUNS))
    run_5 = new_run("run-5")
    moved_run_1 = T1_RUNS[0].model_copy(update={"created_at": utc(2024, 3, 10, 6, 31)})

    with pytest.raises(Conflict) as raised:
        await record_batch(backend, "t1", [run_5, moved_run_1])

    assert raised.value.reason == "payload_mismatch"
    assert raised.value.field == "runs[1].created_at"
    assert (await backend.row_counts())["runs"] == 4
    assert (await record_run(backend, "t1", run_5)).outcome is CREATED


async def test_record_runs_invalid_item_writes_nothing(backend: Harness) -> None:
    run_7 = NewRun(id="run-7", status=RunStatus.COMPLETED, created_at=CREATED_AT)

    with pytest.raises(InvalidInput) as raised:
        await record_batch(backend, "t1", [new_run("run-6"), run_7])

    assert raised.value.field == "runs[1].finished_at"
    assert (await backend.row_counts())["runs"] == 0


async def test_record_runs_repeated_id_identical(backend: Harness) -> None:
    results = await record_batch(backend, "t1", [new_run("run-8"), new_run("run-8")])

    assert [result.outcome for result in results] == [CREATED, UNCHANGED]
    assert results[1].record == results[0].record
    assert (await backend.row_counts())["runs"] == 1


async def test_record_runs_repeated_id_different(backend: Harness) -> None:
    batch = [new_run("run-8"), new_run("run-9"), new_run("run-8", model="gpt-4o")]

    with pytest.raises(Conflict) as raised:
        await record_batch(backend, "t1", batch)

    assert raised.value.reason == "payload_mismatch"
    assert raised.value.field == "runs[2].model"
    assert (await backend.row_counts())["runs"] == 0


async def test_record_runs_lowest_conflict_first(backend: Harness) -> None:
    await record_batch(backend, "t1", [new_run("run-1"), new_run("run-2")])
    batch = [new_run("run-3"), new_run("run-2", model="b"), new_run("run-1", model="a")]

    with pytest.raises(Conflict) as raised:
        await record_batch(backend, "t1", batch)

    assert raised.value.field == "runs[1].model"


async def test_record_runs_replay_after_completion(backend: Harness) -> None:
    await record_run(backend, "t1", new_run("run-1"))
    await update_run(
        backend,
        "t1",
        "run-1",
        RunStatusUpdate(status=RunStatus.COMPLETED, finished_at=FINISHED_AT),
    )

    with pytest.raises(Conflict) as raised:
        await record_batch(backend, "t1", [new_run("run-0"), new_run("run-1")])

    assert raised.value.field == "runs[1].status"
    assert (await backend.row_counts())["runs"] == 1


async def test_record_runs_mixed_outcomes_in_order(backend: Harness) -> None:
    await record_run(backend, "t1", new_run("run-2"))

    results = await record_batch(
        backend, "t1", [new_run("run-1"), new_run("run-2"), new_run("run-3"), new_run("run-1")]
    )

    assert [result.outcome for result in results] == [CREATED, UNCHANGED, CREATED, UNCHANGED]
    assert [result.record.id for result in results] == ["run-1", "run-2", "run-3", "run-1"]


async def test_record_runs_match_single_records(backend: Harness) -> None:
    backend.clock.now = CREATE_CLOCK
    runs = [*T1_RUNS, FULL_RUN.model_copy(update={"id": "run-5"})]

    batch = await record_batch(backend, "t1", runs)
    singles = [await record_run(backend, "t2", run) for run in runs]

    assert [result.outcome for result in batch] == [result.outcome for result in singles]
    for batch_result, single in zip(batch, singles, strict=True):
        assert batch_result.record == single.record.model_copy(update={"tenant_id": "t1"})


async def test_record_runs_empty_batch(backend: Harness) -> None:
    assert await record_batch(backend, "t1", []) == []
    assert (await backend.row_counts())["runs"] == 0


async def test_record_runs_bounds(backend: Harness) -> None:
    too_many = [new_run(f"run-{index}") for index in range(1001)]

    with pytest.raises(InvalidInput) as raised:
        await record_batch(backend, "t1", too_many)
    accepted = await record_batch(backend, "t1", too_many[:1000])

    assert raised.value.field == "runs"
    assert len(accepted) == 1000
    assert {result.outcome for result in accepted} == {CREATED}
    assert (await backend.row_counts())["runs"] == 1000


async def test_record_runs_rejects_bare_string(backend: Harness) -> None:
    not_a_list: Any = "run-1"

    with pytest.raises(InvalidInput) as raised:
        await record_batch(backend, "t1", not_a_list)

    assert raised.value.field == "runs"


@pytest.mark.parametrize(("run", "field"), INVALID_RUNS)
async def test_record_runs_invalid_input(backend: Harness, run: NewRun, field: str) -> None:
    batch = [new_run("run-a"), new_run("run-b"), new_run("run-c"), run, new_run("run-d")]

    with pytest.raises(InvalidInput) as raised:
        await record_batch(backend, "t1", batch)

    assert raised.value.field == field.replace("run.", "runs[3].", 1)
    assert (await backend.row_counts())["runs"] == 0


async def test_record_runs_lowest_invalid_first(backend: Harness) -> None:
    batch = [new_run("run-a"), new_run("run-b", output_tokens=-1), new_run("", input_tokens=-1)]

    with pytest.raises(InvalidInput) as raised:
        await record_batch(backend, "t1", batch)

    assert raised.value.field == "runs[1].output_tokens"


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_record_runs_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await record_batch(backend, tenant_id, [new_run()])

    assert raised.value.field == "tenant_id"
    assert (await backend.row_counts())["runs"] == 0


async def test_record_runs_tenants_are_separate(backend: Harness) -> None:
    t2_first = await record_batch(backend, "t2", [new_run(model="t2-model")])

    t1_results = await record_batch(backend, "t1", [new_run(model="t1-model")])

    assert t1_results[0].outcome is CREATED
    assert await stored_run(backend, "t2", new_run(model="t2-model")) == t2_first[0].record


async def test_record_runs_error_keeps_unit_usable(backend: Harness) -> None:
    async with backend.uow() as uow:
        await uow.run_writes.record_runs("t1", runs=[new_run("run-1")])
        with pytest.raises(Conflict):
            await uow.run_writes.record_runs(
                "t1", runs=[new_run("run-2"), new_run("run-1", model="x")]
            )
        with pytest.raises(InvalidInput):
            await uow.run_writes.record_runs("t1", runs=[new_run("run-3", input_tokens=-1)])
        after_errors = await uow.run_writes.record_runs("t1", runs=[new_run("run-4")])

    assert after_errors[0].outcome is CREATED
    assert (await backend.row_counts())["runs"] == 2


# --- update_run_status --------------------------------------------------------


async def test_update_run_status_example(backend: Harness) -> None:
    queued = NewRun(id="run-1", status=RunStatus.QUEUED, created_at=utc(2024, 3, 10, 6, 30))
    await record_run(backend, "t1", queued)
    await record_run(backend, "t1", new_run("run-2", RunStatus.RUNNING))
    start = RunStatusUpdate(status=RunStatus.RUNNING, started_at=utc(2024, 3, 10, 6, 31))
    finish = RunStatusUpdate(
        status=RunStatus.COMPLETED,
        finished_at=utc(2024, 3, 10, 6, 35),
        input_tokens=100,
        output_tokens=20,
        cost_usd=Decimal("0.002"),
    )

    started = await update_run(backend, "t1", "run-1", start)
    again = await update_run(backend, "t1", "run-1", start)
    completed = await update_run(backend, "t1", "run-1", finish)
    with pytest.raises(Conflict) as terminal:
        await update_run(
            backend,
            "t1",
            "run-1",
            RunStatusUpdate(status=RunStatus.FAILED, finished_at=utc(2024, 3, 10, 6, 36)),
        )
    with pytest.raises(Conflict) as illegal:
        await update_run(backend, "t1", "run-2", RunStatusUpdate(status=RunStatus.QUEUED))
    with pytest.raises(NotFound):
        await update_run(backend, "t2", "run-1", start)

    assert started.outcome is UPDATED
    assert started.record.status is RunStatus.RUNNING
    assert started.record.started_at == utc(2024, 3, 10, 6, 31)
    assert again.outcome is UNCHANGED
    assert completed.outcome is UPDATED
    assert completed.record.status is RunStatus.COMPLETED
    assert completed.record.finished_at == utc(2024, 3, 10, 6, 35)
    assert completed.record.started_at == utc(2024, 3, 10, 6, 31)
    assert completed.record.input_tokens == 100
    assert completed.record.output_tokens == 20
    assert completed.record.cost_usd == Decimal("0.002000000")
    assert completed.record.cost_usd is not None
    assert completed.record.cost_usd.as_tuple().exponent == -9
    assert terminal.value.reason == "terminal"
    assert illegal.value.reason == "illegal_transition"


def _move_to(status: RunStatus) -> RunStatusUpdate:
    """Return an update to ``status`` that changes a value of a row built by ``new_run``."""
    if status is RunStatus.QUEUED:
        return RunStatusUpdate(status=status, input_tokens=7)
    if status is RunStatus.RUNNING:
        return RunStatusUpdate(status=status, started_at=utc(2024, 3, 10, 6, 33))
    return RunStatusUpdate(status=status, finished_at=FINISHED_AT)


def _lifecycle_cell(before: RunStatus, after: RunStatus) -> str:
    if before in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CRASHED):
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
async def test_update_run_status_lifecycle(
    backend: Harness, before: RunStatus, after: RunStatus, expected: str
) -> None:
    stored = (await record_run(backend, "t1", new_run(status=before))).record
    backend.clock.now = UPDATE_CLOCK

    if expected in ("terminal", "illegal_transition"):
        with pytest.raises(Conflict) as raised:
            await update_run(backend, "t1", "run-1", _move_to(after))
        assert raised.value.reason == expected
        assert await stored_run(backend, "t1", new_run(status=before)) == stored
        return

    result = await update_run(backend, "t1", "run-1", _move_to(after))
    assert result.outcome.value == expected
    assert result.record.status is after
    assert result.record.updated_at == (
        UPDATE_CLOCK if expected == "updated" else stored.updated_at
    )


async def test_update_run_status_fields_change_status_stays(backend: Harness) -> None:
    await record_run(backend, "t1", new_run(status=RunStatus.RUNNING))

    result = await update_run(
        backend, "t1", "run-1", RunStatusUpdate(status=RunStatus.RUNNING, input_tokens=5)
    )

    assert result.outcome is UPDATED
    assert result.record.status is RunStatus.RUNNING
    assert result.record.input_tokens == 5
    assert result.record.started_at == STARTED_AT


async def test_update_run_status_none_keeps_values(backend: Harness) -> None:
    await record_run(
        backend,
        "t1",
        new_run(
            status=RunStatus.RUNNING, input_tokens=10, output_tokens=20, cost_usd=Decimal("0.5")
        ),
    )

    result = await update_run(
        backend,
        "t1",
        "run-1",
        RunStatusUpdate(status=RunStatus.COMPLETED, finished_at=FINISHED_AT, output_tokens=25),
    )

    assert result.record.started_at == STARTED_AT
    assert result.record.input_tokens == 10
    assert result.record.output_tokens == 25
    assert result.record.cost_usd == Decimal("0.500000000")


async def test_update_run_status_audit_times(backend: Harness) -> None:
    backend.clock.now = CREATE_CLOCK
    await record_run(backend, "t1", new_run())
    backend.clock.now = UPDATE_CLOCK

    result = await update_run(backend, "t1", "run-1", _move_to(RunStatus.RUNNING))

    assert result.record.recorded_at == CREATE_CLOCK
    assert result.record.updated_at == UPDATE_CLOCK


async def test_update_run_status_replay_unchanged(backend: Harness) -> None:
    await record_run(backend, "t1", new_run())
    backend.clock.now = CREATE_CLOCK
    first = await update_run(backend, "t1", "run-1", _move_to(RunStatus.RUNNING))
    backend.clock.now = UPDATE_CLOCK

    replay = await update_run(backend, "t1", "run-1", _move_to(RunStatus.RUNNING))

    assert replay.outcome is UNCHANGED
    assert replay.record == first.record
    assert replay.record.updated_at == CREATE_CLOCK


async def test_update_run_status_non_utc_time(backend: Harness) -> None:
    await record_run(backend, "t1", new_run(status=RunStatus.RUNNING))
    local_finish = datetime(2024, 3, 10, 12, 5, tzinfo=KOLKATA)

    result = await update_run(
        backend, "t1", "run-1", RunStatusUpdate(status=RunStatus.FAILED, finished_at=local_finish)
    )
    replay = await update_run(
        backend, "t1", "run-1", RunStatusUpdate(status=RunStatus.FAILED, finished_at=FINISHED_AT)
    )

    assert result.record.finished_at == FINISHED_AT
    assert result.record.finished_at is not None
    assert result.record.finished_at.utcoffset() == timedelta(0)
    assert replay.outcome is UNCHANGED


async def test_update_run_status_terminal_replay_without_fields(backend: Harness) -> None:
    stored = (await record_run(backend, "t1", new_run(status=RunStatus.COMPLETED))).record

    result = await update_run(backend, "t1", "run-1", RunStatusUpdate(status=RunStatus.COMPLETED))

    assert result.outcome is UNCHANGED
    assert result.record == stored


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("started_at", utc(2024, 3, 10, 6, 32)),
        ("finished_at", utc(2024, 3, 10, 6, 36)),
        ("input_tokens", 1),
        ("output_tokens", 1),
        ("cost_usd", Decimal("0.01")),
    ],
)
async def test_update_run_status_terminal_is_immutable(
    backend: Harness, field: str, value: object
) -> None:
    run = new_run(status=RunStatus.COMPLETED)
    stored = (await record_run(backend, "t1", run)).record
    values: dict[str, Any] = {"finished_at": FINISHED_AT, field: value}
    update = RunStatusUpdate(status=RunStatus.COMPLETED, **values)

    with pytest.raises(Conflict) as raised:
        await update_run(backend, "t1", "run-1", update)

    assert raised.value.reason == "terminal"
    assert await stored_run(backend, "t1", run) == stored


async def test_update_run_status_terminal_without_finish(backend: Harness) -> None:
    run = new_run(status=RunStatus.RUNNING)
    stored = (await record_run(backend, "t1", run)).record

    with pytest.raises(InvalidInput) as raised:
        await update_run(backend, "t1", "run-1", RunStatusUpdate(status=RunStatus.COMPLETED))

    assert raised.value.field == "update.finished_at"
    assert await stored_run(backend, "t1", run) == stored


async def test_update_run_status_finish_before_stored_start(backend: Harness) -> None:
    run = new_run(status=RunStatus.RUNNING)
    stored = (await record_run(backend, "t1", run)).record

    with pytest.raises(InvalidInput) as raised:
        await update_run(
            backend,
            "t1",
            "run-1",
            RunStatusUpdate(status=RunStatus.FAILED, finished_at=utc(2024, 3, 10, 6, 30)),
        )

    assert raised.value.field == "update.finished_at"
    assert await stored_run(backend, "t1", run) == stored


async def test_update_run_status_finish_equal_to_start(backend: Harness) -> None:
    await record_run(backend, "t1", new_run(status=RunStatus.RUNNING))

    result = await update_run(
        backend, "t1", "run-1", RunStatusUpdate(status=RunStatus.FAILED, finished_at=STARTED_AT)
    )

    assert result.outcome is UPDATED
    assert result.record.finished_at == STARTED_AT


async def test_update_run_status_unknown_id(backend: Harness) -> None:
    await record_run(backend, "t1", new_run("run-1"))

    with pytest.raises(NotFound) as raised:
        await update_run(backend, "t1", "run-404", _move_to(RunStatus.RUNNING))

    assert raised.value.key == "run-404"


async def test_update_run_status_other_tenant(backend: Harness) -> None:
    t2_run = new_run("run-1")
    t2_stored = (await record_run(backend, "t2", t2_run)).record

    with pytest.raises(NotFound):
        await update_run(backend, "t1", "run-1", _move_to(RunStatus.RUNNING))
    await record_run(backend, "t1", new_run("run-1"))
    t1_result = await update_run(backend, "t1", "run-1", _move_to(RunStatus.RUNNING))

    assert t1_result.outcome is UPDATED
    assert await stored_run(backend, "t2", t2_run) == t2_stored


def _constructed_update(**fields: Any) -> RunStatusUpdate:
    return RunStatusUpdate.model_construct(**{"status": RunStatus.RUNNING, **fields})


INVALID_RUN_UPDATES = [
    pytest.param(_constructed_update(status="paused"), "update.status", id="unknown status"),
    pytest.param(
        RunStatusUpdate(status=RunStatus.RUNNING, started_at=RUN_NAIVE),
        "update.started_at",
        id="naive started_at",
    ),
    pytest.param(
        RunStatusUpdate(status=RunStatus.COMPLETED, finished_at=RUN_NAIVE),
        "update.finished_at",
        id="naive finished_at",
    ),
    pytest.param(
        RunStatusUpdate(status=RunStatus.RUNNING, input_tokens=-1),
        "update.input_tokens",
        id="negative input tokens",
    ),
    pytest.param(
        RunStatusUpdate(status=RunStatus.RUNNING, output_tokens=1_000_000_001),
        "update.output_tokens",
        id="output tokens above 1e9",
    ),
    pytest.param(
        RunStatusUpdate(status=RunStatus.RUNNING, cost_usd=Decimal("NaN")),
        "update.cost_usd",
        id="NaN cost",
    ),
    pytest.param(_constructed_update(cost_usd=1.5), "update.cost_usd", id="float cost"),
    pytest.param(
        RunStatusUpdate(status=RunStatus.RUNNING, finished_at=FINISHED_AT),
        "update.finished_at",
        id="running with finished_at",
    ),
    pytest.param(
        RunStatusUpdate(status=RunStatus.QUEUED, finished_at=FINISHED_AT),
        "update.finished_at",
        id="queued with finished_at",
    ),
    pytest.param(
        RunStatusUpdate(status=RunStatus.QUEUED, started_at=STARTED_AT),
        "update.started_at",
        id="queued with started_at",
    ),
    pytest.param(
        RunStatusUpdate(
            status=RunStatus.COMPLETED, started_at=STARTED_AT, finished_at=utc(2024, 3, 10, 6, 30)
        ),
        "update.finished_at",
        id="finished before started",
    ),
]


@pytest.mark.parametrize(("update", "field"), INVALID_RUN_UPDATES)
async def test_update_run_status_invalid_input(
    backend: Harness, update: RunStatusUpdate, field: str
) -> None:
    run = new_run(status=RunStatus.RUNNING)
    stored = (await record_run(backend, "t1", run)).record

    with pytest.raises(InvalidInput) as raised:
        await update_run(backend, "t1", "run-1", update)

    assert raised.value.field == field
    assert await stored_run(backend, "t1", run) == stored


@pytest.mark.parametrize("run_id", ["", " run-1", "r" * 65, "run\x00"])
async def test_update_run_status_invalid_run_id(backend: Harness, run_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await update_run(backend, "t1", run_id, _move_to(RunStatus.RUNNING))

    assert raised.value.field == "run_id"


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_update_run_status_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    await record_run(backend, "t1", new_run())

    with pytest.raises(InvalidInput) as raised:
        await update_run(backend, tenant_id, "run-1", _move_to(RunStatus.RUNNING))

    assert raised.value.field == "tenant_id"


async def test_update_run_status_validates_before_lookup(backend: Harness) -> None:
    update = RunStatusUpdate(status=RunStatus.RUNNING, input_tokens=-1)

    with pytest.raises(InvalidInput) as raised:
        await update_run(backend, "t1", "run-404", update)

    assert raised.value.field == "update.input_tokens"


async def test_update_run_status_error_keeps_unit_usable(backend: Harness) -> None:
    await record_run(backend, "t1", new_run("run-1", RunStatus.COMPLETED))
    await record_run(backend, "t1", new_run("run-2", RunStatus.RUNNING))

    async with backend.uow() as uow:
        writes = uow.run_writes
        with pytest.raises(Conflict):
            await writes.update_run_status("t1", run_id="run-1", update=_move_to(RunStatus.RUNNING))
        with pytest.raises(NotFound):
            await writes.update_run_status("t1", run_id="run-3", update=_move_to(RunStatus.RUNNING))
        with pytest.raises(InvalidInput):
            await writes.update_run_status(
                "t1", run_id="run-2", update=RunStatusUpdate(status=RunStatus.COMPLETED)
            )
        after_errors = await writes.update_run_status(
            "t1", run_id="run-2", update=_move_to(RunStatus.COMPLETED)
        )

    assert after_errors.outcome is UPDATED
    final = await stored_run(backend, "t1", new_run("run-2", RunStatus.COMPLETED))
    assert final.status is RunStatus.COMPLETED


async def _update_in(uow: UnitOfWork, update: RunStatusUpdate) -> WriteResult[Run]:
    return await uow.run_writes.update_run_status("t1", run_id="run-1", update=update)


async def test_update_run_status_concurrent_terminal(backend: Harness) -> None:
    await record_run(backend, "t1", new_run(status=RunStatus.RUNNING))
    completed = RunStatusUpdate(status=RunStatus.COMPLETED, finished_at=FINISHED_AT)
    failed = RunStatusUpdate(status=RunStatus.FAILED, finished_at=FINISHED_AT)

    first, second = await race(
        backend, lambda uow: _update_in(uow, completed), lambda uow: _update_in(uow, failed)
    )

    assert isinstance(first, WriteResult)
    assert first.outcome is UPDATED
    assert isinstance(second, Conflict)
    assert second.reason == "terminal"
    final = await update_run(backend, "t1", "run-1", completed)
    assert final.outcome is UNCHANGED


async def test_update_run_status_concurrent_identical(backend: Harness) -> None:
    await record_run(backend, "t1", new_run(status=RunStatus.RUNNING))
    completed = RunStatusUpdate(status=RunStatus.COMPLETED, finished_at=FINISHED_AT)

    first, second = await race(
        backend, lambda uow: _update_in(uow, completed), lambda uow: _update_in(uow, completed)
    )

    assert isinstance(first, WriteResult)
    assert first.outcome is UPDATED
    assert isinstance(second, WriteResult)
    assert second.outcome is UNCHANGED
    assert second.record == first.record


# --- record_trace -------------------------------------------------------------


async def test_record_trace_example(backend: Harness) -> None:
    trace = NewTrace(
        trace_id="tr-1", status=TraceStatus.RUNNING, started_at=utc(2024, 3, 10, 6, 30)
    )

    first = await record_trace(backend, "t1", trace)
    replay = await record_trace(backend, "t1", trace)
    with pytest.raises(Conflict) as raised:
        await record_trace(
            backend, "t1", trace.model_copy(update={"started_at": utc(2024, 3, 10, 6, 31)})
        )

    assert first.outcome is CREATED
    assert replay.outcome is UNCHANGED
    assert replay.record == first.record
    assert raised.value.reason == "payload_mismatch"
    assert raised.value.field == "started_at"
    assert (await backend.row_counts())["traces"] == 1


async def test_record_trace_stored_fields(backend: Harness) -> None:
    backend.clock.now = CREATE_CLOCK
    trace = NewTrace(
        trace_id="tr-1",
        run_id="run-404",
        status=TraceStatus.FAILED,
        started_at=datetime(2024, 3, 10, 12, 0, tzinfo=KOLKATA),
        completed_at=datetime(2024, 3, 10, 12, 10, tzinfo=KOLKATA),
        is_synthetic=True,
    )

    record = (await record_trace(backend, "t1", trace)).record

    assert record.tenant_id == "t1"
    assert record.trace_id == "tr-1"
    assert record.run_id == "run-404"
    assert record.status is TraceStatus.FAILED
    assert record.started_at == utc(2024, 3, 10, 6, 30)
    assert record.started_at.utcoffset() == timedelta(0)
    assert record.completed_at == utc(2024, 3, 10, 6, 40)
    assert record.is_synthetic is True
    assert record.recorded_at == CREATE_CLOCK
    assert record.updated_at == CREATE_CLOCK


async def test_record_trace_example_data(backend: Harness) -> None:
    await load_runs_and_traces(backend.uow)

    replays = [await record_trace(backend, "t1", trace) for trace in T1_TRACES]

    assert [result.outcome for result in replays] == [UNCHANGED] * 4
    assert [result.record.started_at for result in replays] == [
        utc(2024, 3, 10, 6, 30),
        utc(2024, 3, 10, 6, 45),
        utc(2024, 3, 10, 7, 10),
        utc(2024, 3, 11, 4, 30),
    ]


@pytest.mark.parametrize("status", tuple(TraceStatus))
async def test_record_trace_any_initial_status(backend: Harness, status: TraceStatus) -> None:
    result = await record_trace(backend, "t1", new_trace(status=status))

    assert result.outcome is CREATED
    assert result.record.status is status


FULL_TRACE = new_trace(status=TraceStatus.COMPLETED, run_id="run-1")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("run_id", "run-2"),
        ("status", TraceStatus.FAILED),
        ("started_at", utc(2024, 3, 10, 6, 29)),
        ("completed_at", utc(2024, 3, 10, 6, 41)),
        ("is_synthetic", True),
    ],
)
async def test_record_trace_changed_field_conflicts(
    backend: Harness, field: str, value: object
) -> None:
    original = (await record_trace(backend, "t1", FULL_TRACE)).record

    with pytest.raises(Conflict) as raised:
        await record_trace(backend, "t1", FULL_TRACE.model_copy(update={field: value}))

    assert raised.value.reason == "payload_mismatch"
    assert raised.value.field == field
    assert await stored_trace(backend, "t1", FULL_TRACE) == original


async def test_record_trace_replay_after_completion(backend: Harness) -> None:
    await record_trace(backend, "t1", new_trace())
    await update_trace(
        backend,
        "t1",
        "tr-1",
        TraceStatusUpdate(status=TraceStatus.COMPLETED, completed_at=TRACE_COMPLETED_AT),
    )

    with pytest.raises(Conflict) as raised:
        await record_trace(backend, "t1", new_trace())

    assert raised.value.field == "status"


async def test_record_trace_tenants_are_separate(backend: Harness) -> None:
    t2_trace = new_trace(run_id="run-t2")
    t2_first = await record_trace(backend, "t2", t2_trace)

    t1_result = await record_trace(backend, "t1", new_trace(run_id="run-t1"))

    assert t1_result.outcome is CREATED
    assert t1_result.record.run_id == "run-t1"
    assert await stored_trace(backend, "t2", t2_trace) == t2_first.record


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_record_trace_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await record_trace(backend, tenant_id, new_trace())

    assert raised.value.field == "tenant_id"
    assert (await backend.row_counts())["traces"] == 0


def _constructed_trace(**fields: Any) -> NewTrace:
    values: dict[str, Any] = {
        "trace_id": "tr-1",
        "status": TraceStatus.RUNNING,
        "started_at": CREATED_AT,
    }
    return NewTrace.model_construct(**{**values, **fields})


INVALID_TRACES = [
    pytest.param(new_trace(""), "trace.trace_id", id="empty trace_id"),
    pytest.param(new_trace("t" * 65), "trace.trace_id", id="trace_id of 65 characters"),
    pytest.param(new_trace("tr-1 "), "trace.trace_id", id="trace_id with trailing space"),
    pytest.param(new_trace(run_id=""), "trace.run_id", id="empty run_id"),
    pytest.param(new_trace(run_id="r" * 65), "trace.run_id", id="run_id of 65 characters"),
    pytest.param(_constructed_trace(status="queued"), "trace.status", id="queued status"),
    pytest.param(new_trace(started_at=RUN_NAIVE), "trace.started_at", id="naive started_at"),
    pytest.param(
        new_trace(status=TraceStatus.COMPLETED, completed_at=RUN_NAIVE),
        "trace.completed_at",
        id="naive completed_at",
    ),
    pytest.param(
        _constructed_trace(is_synthetic="yes"), "trace.is_synthetic", id="str is_synthetic"
    ),
    pytest.param(
        new_trace(status=TraceStatus.COMPLETED, completed_at=None),
        "trace.completed_at",
        id="completed without completed_at",
    ),
    pytest.param(
        new_trace(status=TraceStatus.RUNNING, completed_at=TRACE_COMPLETED_AT),
        "trace.completed_at",
        id="running with completed_at",
    ),
    pytest.param(
        new_trace(status=TraceStatus.FAILED, completed_at=utc(2024, 3, 10, 6, 29)),
        "trace.completed_at",
        id="completed before started",
    ),
]


@pytest.mark.parametrize(("trace", "field"), INVALID_TRACES)
async def test_record_trace_invalid_input(backend: Harness, trace: NewTrace, field: str) -> None:
    before = await backend.row_counts()

    with pytest.raises(InvalidInput) as raised:
        await record_trace(backend, "t1", trace)

    assert raised.value.field == field
    assert await backend.row_counts() == before


async def test_record_trace_error_keeps_unit_usable(backend: Harness) -> None:
    await record_trace(backend, "t1", new_trace("tr-1"))

    async with backend.uow() as uow:
        with pytest.raises(InvalidInput):
            await uow.run_writes.record_trace("t1", trace=new_trace("tr-2", run_id=""))
        with pytest.raises(Conflict):
            await uow.run_writes.record_trace("t1", trace=new_trace("tr-1", run_id="x"))
        after_errors = await uow.run_writes.record_trace("t1", trace=new_trace("tr-3"))

    assert after_errors.outcome is CREATED
    assert (await backend.row_counts())["traces"] == 2


async def test_record_trace_rollback_discards(backend: Harness) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with backend.uow() as uow:
            await uow.run_writes.record_trace("t1", trace=new_trace())
            raise Abort

    assert (await backend.row_counts())["traces"] == 0


# --- update_trace_status ------------------------------------------------------


async def test_update_trace_status_example(backend: Harness) -> None:
    await load_runs_and_traces(backend.uow)
    complete = TraceStatusUpdate(status=TraceStatus.COMPLETED, completed_at=utc(2024, 3, 10, 6, 40))

    completed = await update_trace(backend, "t1", "tr-1", complete)
    again = await update_trace(backend, "t1", "tr-1", complete)
    with pytest.raises(Conflict) as raised:
        await update_trace(
            backend,
            "t1",
            "tr-1",
            TraceStatusUpdate(status=TraceStatus.FAILED, completed_at=utc(2024, 3, 10, 6, 41)),
        )

    assert completed.outcome is UPDATED
    assert completed.record.status is TraceStatus.COMPLETED
    assert completed.record.completed_at == utc(2024, 3, 10, 6, 40)
    assert completed.record.started_at == utc(2024, 3, 10, 6, 30)
    assert again.outcome is UNCHANGED
    assert again.record == completed.record
    assert raised.value.reason == "terminal"


TRACE_CELLS = [
    pytest.param(TraceStatus.RUNNING, TraceStatus.COMPLETED, "updated", id="running->completed"),
    pytest.param(TraceStatus.RUNNING, TraceStatus.FAILED, "updated", id="running->failed"),
    pytest.param(
        TraceStatus.COMPLETED, TraceStatus.COMPLETED, "unchanged", id="completed->completed"
    ),
    pytest.param(TraceStatus.COMPLETED, TraceStatus.FAILED, "terminal", id="completed->failed"),
    pytest.param(TraceStatus.FAILED, TraceStatus.FAILED, "unchanged", id="failed->failed"),
    pytest.param(TraceStatus.FAILED, TraceStatus.COMPLETED, "terminal", id="failed->completed"),
]


@pytest.mark.parametrize(("before", "after", "expected"), TRACE_CELLS)
async def test_update_trace_status_lifecycle(
    backend: Harness, before: TraceStatus, after: TraceStatus, expected: str
) -> None:
    stored = (await record_trace(backend, "t1", new_trace(status=before))).record
    backend.clock.now = UPDATE_CLOCK
    update = TraceStatusUpdate(status=after, completed_at=TRACE_COMPLETED_AT)

    if expected == "terminal":
        with pytest.raises(Conflict) as raised:
            await update_trace(backend, "t1", "tr-1", update)
        assert raised.value.reason == "terminal"
        assert await stored_trace(backend, "t1", new_trace(status=before)) == stored
        return

    result = await update_trace(backend, "t1", "tr-1", update)
    assert result.outcome.value == expected
    assert result.record.status is after
    assert result.record.updated_at == (
        UPDATE_CLOCK if expected == "updated" else stored.updated_at
    )


async def test_update_trace_status_terminal_time_is_immutable(backend: Harness) -> None:
    trace = new_trace(status=TraceStatus.COMPLETED)
    stored = (await record_trace(backend, "t1", trace)).record
    later = TraceStatusUpdate(status=TraceStatus.COMPLETED, completed_at=utc(2024, 3, 10, 6, 45))

    with pytest.raises(Conflict) as raised:
        await update_trace(backend, "t1", "tr-1", later)

    assert raised.value.reason == "terminal"
    assert await stored_trace(backend, "t1", trace) == stored


async def test_update_trace_status_running_target(backend: Harness) -> None:
    await record_trace(backend, "t1", new_trace())
    update = TraceStatusUpdate(status=TraceStatus.RUNNING, completed_at=TRACE_COMPLETED_AT)

    with pytest.raises(InvalidInput) as raised:
        await update_trace(backend, "t1", "tr-1", update)

    assert raised.value.field == "update.status"


async def test_update_trace_status_before_start(backend: Harness) -> None:
    stored = (await record_trace(backend, "t1", new_trace())).record
    early = TraceStatusUpdate(status=TraceStatus.COMPLETED, completed_at=utc(2024, 3, 10, 6, 29))

    with pytest.raises(InvalidInput) as raised:
        await update_trace(backend, "t1", "tr-1", early)

    assert raised.value.field == "update.completed_at"
    assert await stored_trace(backend, "t1", new_trace()) == stored


def _constructed_trace_update(**fields: Any) -> TraceStatusUpdate:
    values: dict[str, Any] = {"status": TraceStatus.COMPLETED, "completed_at": TRACE_COMPLETED_AT}
    return TraceStatusUpdate.model_construct(**{**values, **fields})


@pytest.mark.parametrize(
    ("update", "field"),
    [
        pytest.param(
            TraceStatusUpdate(status=TraceStatus.COMPLETED, completed_at=RUN_NAIVE),
            "update.completed_at",
            id="naive completed_at",
        ),
        pytest.param(
            _constructed_trace_update(status="done"),
            "update.status",
            id="unknown status",
        ),
        pytest.param(
            _constructed_trace_update(completed_at=None),
            "update.completed_at",
            id="missing completed_at",
        ),
    ],
)
async def test_update_trace_status_invalid_input(
    backend: Harness, update: TraceStatusUpdate, field: str
) -> None:
    stored = (await record_trace(backend, "t1", new_trace())).record

    with pytest.raises(InvalidInput) as raised:
        await update_trace(backend, "t1", "tr-1", update)

    assert raised.value.field == field
    assert await stored_trace(backend, "t1", new_trace()) == stored


async def test_update_trace_status_unknown_id(backend: Harness) -> None:
    await record_trace(backend, "t2", new_trace("tr-1"))
    complete = TraceStatusUpdate(status=TraceStatus.COMPLETED, completed_at=TRACE_COMPLETED_AT)

    with pytest.raises(NotFound) as missing:
        await update_trace(backend, "t1", "tr-404", complete)
    with pytest.raises(NotFound) as other_tenant:
        await update_trace(backend, "t1", "tr-1", complete)

    assert missing.value.key == "tr-404"
    assert other_tenant.value.key == "tr-1"
    assert (await stored_trace(backend, "t2", new_trace("tr-1"))).status is TraceStatus.RUNNING


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_update_trace_status_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    complete = TraceStatusUpdate(status=TraceStatus.COMPLETED, completed_at=TRACE_COMPLETED_AT)

    with pytest.raises(InvalidInput) as raised:
        await update_trace(backend, tenant_id, "tr-1", complete)

    assert raised.value.field == "tenant_id"


async def test_update_trace_status_invalid_trace_id(backend: Harness) -> None:
    complete = TraceStatusUpdate(status=TraceStatus.COMPLETED, completed_at=TRACE_COMPLETED_AT)

    with pytest.raises(InvalidInput) as raised:
        await update_trace(backend, "t1", "", complete)

    assert raised.value.field == "trace_id"


async def test_update_trace_status_error_keeps_unit_usable(backend: Harness) -> None:
    await record_trace(backend, "t1", new_trace("tr-1", TraceStatus.COMPLETED))
    await record_trace(backend, "t1", new_trace("tr-2"))
    later = TraceStatusUpdate(status=TraceStatus.FAILED, completed_at=utc(2024, 3, 10, 6, 50))
    early = TraceStatusUpdate(status=TraceStatus.FAILED, completed_at=utc(2024, 3, 10, 6, 0))

    async with backend.uow() as uow:
        writes = uow.run_writes
        with pytest.raises(Conflict):
            await writes.update_trace_status("t1", trace_id="tr-1", update=later)
        with pytest.raises(InvalidInput):
            await writes.update_trace_status("t1", trace_id="tr-2", update=early)
        after_errors = await writes.update_trace_status("t1", trace_id="tr-2", update=later)

    assert after_errors.outcome is UPDATED
    failed_trace = new_trace("tr-2", TraceStatus.FAILED, completed_at=later.completed_at)
    assert (await stored_trace(backend, "t1", failed_trace)).status is TraceStatus.FAILED


async def test_update_trace_status_concurrent_terminal(backend: Harness) -> None:
    await record_trace(backend, "t1", new_trace())
    completed = TraceStatusUpdate(status=TraceStatus.COMPLETED, completed_at=TRACE_COMPLETED_AT)
    failed = TraceStatusUpdate(status=TraceStatus.FAILED, completed_at=TRACE_COMPLETED_AT)

    def finish(update: TraceStatusUpdate) -> Any:
        return lambda uow: uow.run_writes.update_trace_status("t1", trace_id="tr-1", update=update)

    first, second = await race(backend, finish(failed), finish(completed))

    assert isinstance(first, WriteResult)
    assert first.outcome is UPDATED
    assert isinstance(second, Conflict)
    assert second.reason == "terminal"
