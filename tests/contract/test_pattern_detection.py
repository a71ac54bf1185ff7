"""Worker-run reads of the pattern detector: failed runs and completed runs with a cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from analytics.domain import RunStatus
from analytics.ports import InvalidInput
from tests.contract.example_data import load_worker_runs, utc
from tests.contract.harness import Harness
from tests.contract.patterns_data import (
    INVALID_TENANT_IDS,
    RUN_READ_INVALID,
    W_END,
    W_START,
    ids,
    invalid_limits,
    open_run,
    store_worker_runs,
    terminal_run,
)

FAILED = RunStatus.FAILED
CRASHED = RunStatus.CRASHED
COMPLETED = RunStatus.COMPLETED
EASTERN = timezone(timedelta(hours=-5))
READ_METHODS = ["fetch_failed_runs", "fetch_completed_runs_with_costs"]


async def _failed(backend: Harness, tenant_id: str = "t1", **arguments: Any) -> list[str]:
    arguments.setdefault("start", W_START)
    arguments.setdefault("end", W_END)
    async with backend.uow() as uow:
        runs = await uow.pattern_detection.fetch_failed_runs(tenant_id, **arguments)
    return ids(runs)


async def _costed(backend: Harness, tenant_id: str = "t1", **arguments: Any) -> list[str]:
    arguments.setdefault("start", W_START)
    arguments.setdefault("end", W_END)
    async with backend.uow() as uow:
        runs = await uow.pattern_detection.fetch_completed_runs_with_costs(tenant_id, **arguments)
    return ids(runs)


# fetch_failed_runs


async def test_failed_runs_example(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    # w2 has no error text, w6 is synthetic and w7 belongs to t2.
    assert await _failed(backend) == ["w1"]


async def test_failed_runs_without_error_text(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    assert await _failed(backend, require_error=False) == ["w2", "w1"]


async def test_failed_runs_include_synthetic(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    assert await _failed(backend, include_synthetic=True) == ["w1", "w6"]


async def test_failed_runs_other_tenant(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    assert await _failed(backend, "t2") == ["w7"]
    assert await _failed(backend, "t2", worker_id="wk-a", require_error=False) == ["w7"]
    assert await _failed(backend, "t1", worker_id="wk-a", require_error=False) == ["w2", "w1"]
    assert await _failed(backend, "t3") == []


async def test_failed_runs_same_run_ids_in_two_tenants(backend: Harness) -> None:
    await store_worker_runs(
        backend, "t1", [terminal_run("r1", "wk-a", FAILED, utc(2024, 3, 10, 1), error="t1")]
    )
    await store_worker_runs(
        backend, "t2", [terminal_run("r1", "wk-a", FAILED, utc(2024, 3, 10, 2), error="t2")]
    )

    async with backend.uow() as uow:
        runs = await uow.pattern_detection.fetch_failed_runs("t1", start=W_START, end=W_END)

    assert [(run.id, run.error, run.tenant_id) for run in runs] == [("r1", "t1", "t1")]


async def test_failed_runs_only_failures(backend: Harness) -> None:
    await load_worker_runs(backend.uow)
    await store_worker_runs(
        backend,
        "t1",
        [
            open_run("q1", "wk-a", RunStatus.QUEUED, utc(2024, 3, 10, 15)),
            open_run("r1", "wk-a", RunStatus.RUNNING, utc(2024, 3, 10, 16)),
            terminal_run("c1", "wk-a", CRASHED, utc(2024, 3, 10, 17), error="segfault"),
        ],
    )

    # Failed and crashed runs come back. Queued, running and completed runs never do.
    assert await _failed(backend) == ["c1", "w1"]
    assert await _failed(backend, require_error=False, include_synthetic=True) == [
        "c1",
        "w2",
        "w1",
        "w6",
    ]


async def test_failed_runs_window_bounds(backend: Harness) -> None:
    await store_worker_runs(
        backend,
        "t1",
        [
            terminal_run("at-start", "wk-a", FAILED, W_START, error="e"),
            terminal_run(
                "before-start", "wk-a", FAILED, W_START - timedelta(microseconds=1), error="e"
            ),
            terminal_run(
                "before-end", "wk-a", FAILED, W_END - timedelta(microseconds=1), error="e"
            ),
            terminal_run("at-end", "wk-a", FAILED, W_END, error="e"),
        ],
    )

    assert await _failed(backend) == ["before-end", "at-start"]


async def test_failed_runs_worker_filter(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    assert await _failed(backend, worker_id="wk-b") == []
    assert await _failed(backend, worker_id="wk-b", include_synthetic=True) == ["w6"]
    assert await _failed(backend, worker_id="wk-a") == ["w1"]
    assert await _failed(backend, worker_id="wk-z") == []


async def test_failed_runs_tie_broken_by_id(backend: Harness) -> None:
    at = utc(2024, 3, 10, 8)
    await store_worker_runs(
        backend,
        "t1",
        [
            terminal_run("b", "wk-a", FAILED, at, error="e"),
            terminal_run("a", "wk-b", CRASHED, at, error="e"),
            terminal_run("B", "wk-a", FAILED, at, error="e"),
            terminal_run("c", "wk-a", FAILED, at + timedelta(microseconds=1), error="e"),
        ],
    )

    # created_at descending, then id ascending by code point ("B" < "a").
    assert await _failed(backend) == ["c", "B", "a", "b"]


async def test_failed_runs_limit(backend: Harness) -> None:
    at = utc(2024, 3, 10, 8)
    runs = [
        terminal_run(f"f{n}", "wk-a", FAILED, at + timedelta(minutes=n), error="e")
        for n in range(5)
    ]
    await store_worker_runs(backend, "t1", runs)

    assert await _failed(backend, limit=1) == ["f4"]
    assert await _failed(backend, limit=3) == ["f4", "f3", "f2"]
    assert await _failed(backend, limit=10_000) == ["f4", "f3", "f2", "f1", "f0"]


async def test_failed_runs_default_limit(backend: Harness) -> None:
    at = utc(2024, 3, 10, 1)
    runs = [terminal_run(f"f{n:04d}", "wk-a", FAILED, at, error="e") for n in range(1001)]
    await store_worker_runs(backend, "t1", runs)

    found = await _failed(backend)

    assert len(found) == 1000
    assert found[-1] == "f0999"


@pytest.mark.parametrize("limit", invalid_limits(10_000))
async def test_failed_runs_invalid_limit(backend: Harness, limit: object) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _failed(backend, limit=limit)

    assert raised.value.field == "limit"


async def test_failed_runs_empty(backend: Harness) -> None:
    assert await _failed(backend) == []
    assert await _failed(backend, require_error=False, include_synthetic=True) == []


async def test_failed_runs_types(backend: Harness) -> None:
    await store_worker_runs(
        backend,
        "t1",
        [terminal_run("f1", "wk-a", FAILED, utc(2024, 3, 10, 8, 30), cost_usd="0.12", error="e")],
    )

    async with backend.uow() as uow:
        [run] = await uow.pattern_detection.fetch_failed_runs("t1", start=W_START, end=W_END)

    assert run.created_at == utc(2024, 3, 10, 8, 30)
    assert run.created_at.tzinfo is UTC
    assert run.completed_at == utc(2024, 3, 10, 8, 31)
    assert run.completed_at is not None and run.completed_at.tzinfo is UTC
    assert run.recorded_at.tzinfo is UTC
    assert run.updated_at.tzinfo is UTC
    assert run.status is RunStatus.FAILED
    assert run.cost_usd == Decimal("0.120000000")
    assert run.cost_usd is not None and run.cost_usd.as_tuple().exponent == -9
    assert run.task == "task-f1"
    assert run.attempt == 1
    assert run.is_retry is False
    assert run.is_synthetic is False
    with pytest.raises(ValidationError):
        run.error = "changed"  # type: ignore[misc]


async def test_failed_runs_aware_non_utc_window(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    start = datetime(2024, 3, 9, 19, tzinfo=EASTERN)
    end = datetime(2024, 3, 10, 19, tzinfo=EASTERN)

    assert await _failed(backend, start=start, end=end, require_error=False) == ["w2", "w1"]


async def test_failed_runs_session_time_zone(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    for tz in ("Asia/Kolkata", "America/New_York"):
        async with backend.store_in_session_time_zone(tz) as store, store.unit_of_work() as uow:
            runs = await uow.pattern_detection.fetch_failed_runs(
                "t1", start=W_START, end=W_END, require_error=False
            )
        assert ids(runs) == ["w2", "w1"], tz
        assert runs[1].created_at == utc(2024, 3, 10, 10), tz


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
@pytest.mark.parametrize("method", READ_METHODS)
async def test_run_reads_invalid_tenant(backend: Harness, method: str, tenant_id: str) -> None:
    async with backend.uow() as uow:
        read = getattr(uow.pattern_detection, method)
        with pytest.raises(InvalidInput) as raised:
            await read(tenant_id, start=W_START, end=W_END)

    assert raised.value.field == "tenant_id"


@pytest.mark.parametrize(("changes", "field"), RUN_READ_INVALID)
@pytest.mark.parametrize("method", READ_METHODS)
async def test_run_reads_invalid_argument(
    backend: Harness, method: str, changes: dict[str, Any], field: str
) -> None:
    arguments = {"start": W_START, "end": W_END, **changes}

    async with backend.uow() as uow:
        read = getattr(uow.pattern_detection, method)
        with pytest.raises(InvalidInput) as raised:
            await read("t1", **arguments)

    assert raised.value.field == field


@pytest.mark.parametrize("require_error", [1, 0, None, "yes"])
async def test_failed_runs_invalid_require_error(backend: Harness, require_error: object) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _failed(backend, require_error=require_error)

    assert raised.value.field == "require_error"


async def test_failed_runs_first_invalid_argument_wins(backend: Harness) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _failed(backend, end=W_START, require_error=1, limit=0)

    assert raised.value.field == "end"


# fetch_completed_runs_with_costs


async def test_costed_runs_example(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    # w3 and w4 share 12:00Z, so the id breaks the tie; w8 cost 0 is left out.
    assert await _costed(backend) == ["w3", "w4"]


async def test_costed_runs_worker_filter(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    assert await _costed(backend, worker_id="wk-b") == ["w4"]
    assert await _costed(backend, worker_id="wk-a") == ["w3"]
    assert await _costed(backend, worker_id="wk-z") == []


async def test_costed_runs_money(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    async with backend.uow() as uow:
        runs = await uow.pattern_detection.fetch_completed_runs_with_costs(
            "t1", start=W_START, end=W_END
        )

    assert [run.cost_usd for run in runs] == [Decimal("0.400000000"), Decimal("0.250000000")]
    for run in runs:
        assert run.cost_usd is not None and run.cost_usd.as_tuple().exponent == -9
        assert run.status is RunStatus.COMPLETED
        assert run.created_at.tzinfo is UTC


async def test_costed_runs_filters(backend: Harness) -> None:
    await store_worker_runs(
        backend,
        "t1",
        [
            terminal_run("priced", "wk-a", COMPLETED, utc(2024, 3, 10, 1), cost_usd="0.000000001"),
            terminal_run("zero", "wk-a", COMPLETED, utc(2024, 3, 10, 2), cost_usd="0"),
            terminal_run("no-cost", "wk-a", COMPLETED, utc(2024, 3, 10, 3)),
            terminal_run("failed", "wk-a", FAILED, utc(2024, 3, 10, 4), cost_usd="0.50"),
            terminal_run("crashed", "wk-a", CRASHED, utc(2024, 3, 10, 5), cost_usd="0.50"),
            open_run("running", "wk-a", RunStatus.RUNNING, utc(2024, 3, 10, 6)),
            terminal_run(
                "synthetic", "wk-a", COMPLETED, utc(2024, 3, 10, 7), cost_usd="1", is_synthetic=True
            ),
            terminal_run("earlier", "wk-a", COMPLETED, utc(2024, 3, 9, 23), cost_usd="1"),
            terminal_run("at-end", "wk-a", COMPLETED, W_END, cost_usd="1"),
            terminal_run("at-start", "wk-a", COMPLETED, W_START, cost_usd="1"),
        ],
    )
    await store_worker_runs(
        backend, "t2", [terminal_run("other", "wk-a", COMPLETED, utc(2024, 3, 10, 8), cost_usd="5")]
    )

    # Cost 0, no cost, not completed, outside the window or another tenant: left out.
    assert await _costed(backend) == ["priced", "at-start"]
    assert await _costed(backend, include_synthetic=True) == ["synthetic", "priced", "at-start"]
    assert await _costed(backend, "t2") == ["other"]


async def test_costed_runs_limit(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    assert await _costed(backend, limit=1) == ["w3"]
    assert await _costed(backend, limit=10_000) == ["w3", "w4"]


@pytest.mark.parametrize("limit", invalid_limits(10_000))
async def test_costed_runs_invalid_limit(backend: Harness, limit: object) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _costed(backend, limit=limit)

    assert raised.value.field == "limit"


async def test_costed_runs_default_limit(backend: Harness) -> None:
    at = utc(2024, 3, 10, 1)
    runs = [terminal_run(f"c{n:04d}", "wk-a", COMPLETED, at, cost_usd="0.01") for n in range(1001)]
    await store_worker_runs(backend, "t1", runs)

    found = await _costed(backend)

    assert len(found) == 1000
    assert found[0] == "c0000"
    assert found[-1] == "c0999"


async def test_costed_runs_empty(backend: Harness) -> None:
    assert await _costed(backend) == []


async def test_costed_runs_window_required(backend: Harness) -> None:
    async with backend.uow() as uow:
        with pytest.raises(TypeError):
            await uow.pattern_detection.fetch_completed_runs_with_costs("t1")  # type: ignore[call-arg]
        with pytest.raises(InvalidInput) as raised:
            await uow.pattern_detection.fetch_completed_runs_with_costs(
                "t1",
                start=W_START,
                end=None,  # type: ignore[arg-type]
            )

    assert raised.value.field == "end"


async def test_costed_runs_session_time_zone(backend: Harness) -> None:
    await load_worker_runs(backend.uow)

    for tz in ("Asia/Kolkata", "America/New_York"):
        async with backend.store_in_session_time_zone(tz) as store, store.unit_of_work() as uow:
            runs = await uow.pattern_detection.fetch_completed_runs_with_costs(
                "t1", start=W_START, end=W_END
            )
        assert ids(runs) == ["w3", "w4"], tz
        assert runs[0].created_at == utc(2024, 3, 10, 12), tz
