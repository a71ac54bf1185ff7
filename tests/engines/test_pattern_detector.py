"""PatternDetector: failure patterns and cost spikes of worker runs, through the real ports."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import event

from analytics.domain import (
    FeedbackSeverity,
    NewWorkerRun,
    PatternType,
    RunStatus,
    WriteOutcome,
)
from analytics.domain.pattern_reports import PatternReport
from analytics.engines.patterns import PatternDetector
from analytics.engines.settings import PatternSettings
from analytics.engines.signatures import error_signature
from analytics.ports import InvalidInput
from tests.contract.harness import Harness

AT = datetime(2024, 3, 10, 18, tzinfo=UTC)
STAGES = "abcdefgh"
RESET_TEXT = "connection reset by peer while calling <url> (job <uuid>) after <n> ms"
RESET_ERRORS = (
    "Connection reset by peer while calling https://api.example.com/v1/chat "
    "(job 3f2a9c4e-1b2d-4e5f-8a9b-0c1d2e3f4a5b) after 1200 ms",
    "  CONNECTION RESET BY PEER while calling http://10.0.0.7:8080/v1/chat   "
    "(job 0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e) after 30 ms ",
    "Connection reset by peer while calling https://api.example.com/v1/chat "
    "(job 11111111-2222-4333-8444-555555555555) after 7 ms",
)


def failed_run(
    run_id: str,
    worker_id: str,
    created_at: datetime,
    error: str | None = None,
    *,
    status: RunStatus = RunStatus.FAILED,
    is_synthetic: bool = False,
) -> NewWorkerRun:
    """Build a failed or crashed worker run that ended a minute after it was created."""
    return NewWorkerRun(
        id=run_id,
        worker_id=worker_id,
        task=f"task of {run_id}",
        status=status,
        created_at=created_at,
        completed_at=created_at + timedelta(minutes=1),
        error=error,
        is_synthetic=is_synthetic,
    )


def costed_run(run_id: str, worker_id: str, created_at: datetime, cost: str) -> NewWorkerRun:
    """Build a completed worker run with a cost."""
    return NewWorkerRun(
        id=run_id,
        worker_id=worker_id,
        task=f"task of {run_id}",
        status=RunStatus.COMPLETED,
        created_at=created_at,
        completed_at=created_at + timedelta(minutes=1),
        cost_usd=Decimal(cost),
    )


def hours_before_at(hours: float) -> datetime:
    return AT - timedelta(hours=hours)


async def seed(backend: Harness, tenant_id: str, runs: Sequence[NewWorkerRun]) -> None:
    async with backend.uow() as uow:
        await uow.run_writes.record_worker_runs(tenant_id, runs=runs)


def reset_failures(prefix: str, worker_id: str, count: int) -> list[NewWorkerRun]:
    """Build ``count`` variants of one connection-reset failure, one hour apart, newest first."""
    return [
        failed_run(
            f"{prefix}{index}",
            worker_id,
            hours_before_at(index),
            RESET_ERRORS[index % len(RESET_ERRORS)],
            status=RunStatus.CRASHED if index == 2 else RunStatus.FAILED,
        )
        for index in range(1, count + 1)
    ]


def spike_runs(prefix: str, worker_id: str, costs: Sequence[str]) -> list[NewWorkerRun]:
    """Build costed runs one hour apart; the first cost is the newest run's."""
    return [
        costed_run(f"{prefix}{index}", worker_id, hours_before_at(index + 1), cost)
        for index, cost in enumerate(costs)
    ]


def detector(backend: Harness, settings: PatternSettings | None = None) -> PatternDetector:
    backend.clock.now = AT
    return PatternDetector(backend.uow, settings=settings, clock=backend.clock)


@contextmanager
def counted_statements(backend: Harness) -> Iterator[list[str]]:
    """Collect the SQL statements the store runs inside the block."""
    statements: list[str] = []

    def collect(*args: object) -> None:
        statements.append(str(args[2]))

    engine = backend.store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", collect)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", collect)


async def test_failure_pattern_from_error_variants(backend: Harness) -> None:
    await seed(backend, "acme", reset_failures("f", "support-triage", 3))

    report = await detector(backend).detect("acme", at=AT)

    assert len(report.failure_patterns) == 1
    result = report.failure_patterns[0]
    pattern = result.record
    assert result.outcome is WriteOutcome.CREATED
    assert pattern.pattern_type is PatternType.FAILURE_PATTERN
    assert pattern.signature == "ad86266e3052404e"
    assert pattern.severity is FeedbackSeverity.WARNING
    assert pattern.occurrence_count == 3
    assert pattern.provenance == ["f1", "f2", "f3"]
    assert pattern.detected_at == AT
    assert pattern.time_window_minutes == 1440
    assert pattern.threshold_used == ">= 3 runs in 1440 min"
    assert pattern.description == (f"3 failed runs in the last 24 h share this error: {RESET_TEXT}")


async def test_failure_pattern_metadata(backend: Harness) -> None:
    await seed(backend, "acme", reset_failures("f", "support-triage", 3))

    report = await detector(backend, PatternSettings(sample_chars=20)).detect("acme", at=AT)

    assert report.failure_patterns[0].record.metadata == {
        "normalised_error": RESET_TEXT,
        "sample_error": RESET_ERRORS[1][:20],
        "workers": {"support-triage": 3},
        "statuses": {"failed": 2, "crashed": 1},
        "first_seen": "2024-03-10T15:00:00+00:00",
        "last_seen": "2024-03-10T17:00:00+00:00",
        "truncated": False,
    }


async def test_pattern_report_counts(backend: Harness) -> None:
    await seed(backend, "acme", reset_failures("f", "support-triage", 3))
    await seed(backend, "acme", spike_runs("c", "invoice-extractor", ["0.30", "0.30"]))

    report = await detector(backend).detect("acme", at=AT)

    assert report.tenant_id == "acme"
    assert report.window_start == AT - timedelta(hours=24)
    assert report.window_end == AT
    assert report.cost_window_start == AT - timedelta(days=7)
    assert (report.failed_runs_read, report.costed_runs_read) == (3, 2)
    assert report.cost_spikes == []
    assert report.truncated is False


async def test_critical_from_ten_runs(backend: Harness) -> None:
    await seed(backend, "acme", reset_failures("f", "support-triage", 10))

    pattern = (await detector(backend).detect("acme", at=AT)).failure_patterns[0].record

    assert pattern.severity is FeedbackSeverity.CRITICAL
    assert pattern.occurrence_count == 10


async def test_provenance_keeps_newest_runs(backend: Harness) -> None:
    await seed(backend, "acme", reset_failures("f", "support-triage", 6))
    settings = PatternSettings(provenance_limit=4)

    pattern = (await detector(backend, settings).detect("acme", at=AT)).failure_patterns[0].record

    assert pattern.provenance == ["f1", "f2", "f3", "f4"]
    assert pattern.occurrence_count == 6


async def test_window_bounds_respected(backend: Harness) -> None:
    runs = [
        failed_run("inside-first", "wk", AT - timedelta(hours=24), "boom"),
        failed_run("inside-last", "wk", AT - timedelta(microseconds=1), "boom"),
        failed_run("too-old", "wk", AT - timedelta(hours=24, microseconds=1), "boom"),
        failed_run("at-end", "wk", AT, "boom"),
        failed_run("middle", "wk", hours_before_at(3), "boom"),
    ]
    await seed(backend, "acme", runs)

    pattern = (await detector(backend).detect("acme", at=AT)).failure_patterns[0].record

    assert pattern.provenance == ["inside-last", "middle", "inside-first"]


async def test_silent_crashes_group_per_worker(backend: Harness) -> None:
    runs = [
        failed_run(f"{worker}-{index}", worker, hours_before_at(index), status=RunStatus.CRASHED)
        for worker in ("wk-a", "wk-b")
        for index in range(1, 4)
    ]
    await seed(backend, "acme", runs)

    report = await detector(backend).detect("acme", at=AT)

    texts = sorted(
        r.record.metadata["normalised_error"] for r in report.failure_patterns if r.record.metadata
    )
    assert texts == ["<no error text> worker=wk-a", "<no error text> worker=wk-b"]
    assert all(
        r.record.metadata and r.record.metadata["sample_error"] is None
        for r in report.failure_patterns
    )


async def test_wide_error_text_fits_metadata(backend: Harness) -> None:
    # 4,000 four-byte characters would make the metadata larger than the 16 KiB JSON limit.
    wide_error = "\N{GRINNING FACE}" * 4000
    runs = [
        failed_run(f"w{index}", "wk", hours_before_at(index), wide_error) for index in (1, 2, 3)
    ]
    await seed(backend, "acme", runs)

    pattern = (await detector(backend).detect("acme", at=AT)).failure_patterns[0].record

    assert pattern.metadata is not None
    assert len(pattern.metadata["normalised_error"]) == 2000
    assert len(pattern.metadata["sample_error"]) == 250
    assert pattern.signature == error_signature(wide_error)[1]


async def test_too_few_failures_no_pattern(backend: Harness) -> None:
    await seed(backend, "acme", reset_failures("f", "support-triage", 2))

    report = await detector(backend).detect("acme", at=AT)

    assert report.failure_patterns == []
    assert (await backend.row_counts())["pattern_feedback"] == 0


async def test_cost_spike_example(backend: Harness) -> None:
    costs = ["0.90", "0.30", "0.25", "0.35", "0.30"]
    await seed(backend, "acme", spike_runs("c", "invoice-extractor", costs))

    report = await detector(backend).detect("acme", at=AT)

    assert len(report.cost_spikes) == 1
    spike = report.cost_spikes[0].record
    assert spike.pattern_type is PatternType.COST_SPIKE
    assert spike.signature == "cost_spike:invoice-extractor"
    assert spike.severity is FeedbackSeverity.CRITICAL
    assert spike.provenance == ["c0", "c1", "c2", "c3", "c4"]
    assert spike.occurrence_count == 1
    assert spike.time_window_minutes == 7 * 24 * 60
    assert spike.metadata == {
        "worker_id": "invoice-extractor",
        "newest_run_id": "c0",
        "newest_cost_usd": "0.900000000",
        "mean_cost_usd": "0.300000000",
        "spike_pct": "200.000000",
        "runs_compared": 4,
    }


async def test_cost_spike_warning_band(backend: Harness) -> None:
    await seed(backend, "acme", spike_runs("c", "wk", ["0.50", "0.30", "0.30", "0.30", "0.30"]))

    spike = (await detector(backend).detect("acme", at=AT)).cost_spikes[0].record

    assert spike.severity is FeedbackSeverity.WARNING
    assert spike.metadata is not None
    assert spike.metadata["spike_pct"] == "66.666667"


@pytest.mark.parametrize(
    "costs",
    [
        ["0.40", "0.30", "0.30", "0.30", "0.30"],  # 33.333333 % is below 50 %
        ["0.90", "0.30", "0.30", "0.30"],  # four runs are fewer than cost_min_runs
        ["0.30", "0.90", "0.30", "0.30", "0.30"],  # the spike is not the newest run
    ],
)
async def test_no_cost_spike(backend: Harness, costs: list[str]) -> None:
    await seed(backend, "acme", spike_runs("c", "wk", costs))

    report = await detector(backend).detect("acme", at=AT)

    assert report.cost_spikes == []


async def test_cost_mean_of_history_runs_only(backend: Harness) -> None:
    # Only the two runs after the newest are averaged; the old expensive runs are not.
    costs = ["0.60", "0.20", "0.20", "5.00", "5.00"]
    await seed(backend, "acme", spike_runs("c", "wk", costs))
    settings = PatternSettings(cost_history_runs=2)

    spike = (await detector(backend, settings).detect("acme", at=AT)).cost_spikes[0].record

    assert spike.metadata is not None
    assert spike.metadata["mean_cost_usd"] == "0.200000000"
    assert spike.metadata["runs_compared"] == 2
    assert spike.provenance == ["c0", "c1", "c2"]


async def test_rerun_writes_nothing(backend: Harness) -> None:
    await seed(backend, "acme", reset_failures("f", "support-triage", 3))
    await seed(backend, "acme", spike_runs("c", "wk", ["0.90", "0.30", "0.25", "0.35", "0.30"]))
    engine = detector(backend)
    first = await engine.detect("acme", at=AT)
    counts = await backend.row_counts()

    second = await engine.detect("acme", at=AT)

    assert await backend.row_counts() == counts
    outcomes = [r.outcome for r in (*second.failure_patterns, *second.cost_spikes)]
    assert outcomes == [WriteOutcome.UNCHANGED, WriteOutcome.UNCHANGED]
    assert [r.record for r in second.failure_patterns] == [r.record for r in first.failure_patterns]


async def test_later_detection_updates_row(backend: Harness) -> None:
    await seed(backend, "acme", reset_failures("f", "support-triage", 3))
    engine = detector(backend)
    first = (await engine.detect("acme", at=AT)).failure_patterns[0].record
    later = AT + timedelta(hours=1)
    await seed(backend, "acme", [failed_run("f0", "support-triage", AT, RESET_ERRORS[0])])
    backend.clock.now = later

    result = (await engine.detect("acme", at=later)).failure_patterns[0]

    assert result.outcome is WriteOutcome.UPDATED
    assert result.record.id == first.id
    assert result.record.occurrence_count == 4
    assert result.record.provenance == ["f0", "f1", "f2", "f3"]
    assert result.record.detected_at == later
    assert result.record.first_detected_at == AT


async def test_acknowledged_pattern_reopens(backend: Harness) -> None:
    await seed(backend, "acme", reset_failures("f", "support-triage", 3))
    engine = detector(backend)
    first = (await engine.detect("acme", at=AT)).failure_patterns[0].record
    async with backend.uow() as uow:
        await uow.pattern_detection.acknowledge_feedback(
            "acme", feedback_id=first.id, acknowledged_by="alice"
        )

    result = (await engine.detect("acme", at=AT)).failure_patterns[0]

    assert result.outcome is WriteOutcome.CREATED
    assert result.record.id != first.id


async def test_tenants_with_shared_workers_never_mix(backend: Harness) -> None:
    await seed(backend, "t1", reset_failures("a", "wk-shared", 3))
    await seed(backend, "t2", reset_failures("b", "wk-shared", 2))
    await seed(backend, "t1", spike_runs("c", "wk-shared", ["0.30", "0.30", "0.30", "0.30"]))
    await seed(backend, "t2", spike_runs("d", "wk-shared", ["9.00"]))
    engine = detector(backend)

    first = await engine.detect("t1", at=AT)
    second = await engine.detect("t2", at=AT)

    assert [r.record.provenance for r in first.failure_patterns] == [["a1", "a2", "a3"]]
    assert first.cost_spikes == []
    assert second.failure_patterns == []
    assert second.cost_spikes == []


async def test_synthetic_runs_left_out(backend: Harness) -> None:
    runs = [
        failed_run(f"s{index}", "wk", hours_before_at(index), "boom", is_synthetic=True)
        for index in range(1, 4)
    ]
    await seed(backend, "acme", runs)

    default = await detector(backend).detect("acme", at=AT)
    included = await detector(backend, PatternSettings(include_synthetic=True)).detect(
        "acme", at=AT
    )

    assert default.failure_patterns == []
    assert len(included.failure_patterns) == 1


async def test_cut_read_sets_truncated(backend: Harness, caplog: pytest.LogCaptureFixture) -> None:
    await seed(backend, "acme", reset_failures("f", "support-triage", 3))

    with caplog.at_level(logging.WARNING, logger="analytics.engines.patterns"):
        report = await detector(backend, PatternSettings(fetch_limit=3)).detect("acme", at=AT)

    assert report.truncated is True
    metadata = report.failure_patterns[0].record.metadata
    assert metadata is not None
    assert metadata["truncated"] is True
    assert any("fetch_failed_runs" in entry.getMessage() for entry in caplog.records)


async def test_reads_do_not_grow_with_workers(backend: Harness) -> None:
    # Two failures per worker stay below the pattern threshold, so nothing is written.
    async def statements_for(tenant_id: str, workers: int) -> int:
        runs = [
            failed_run(
                f"{tenant_id}-{w}-{i}", f"wk-{w}", hours_before_at(i), f"stage {STAGES[w]} failed"
            )
            for w in range(workers)
            for i in (1, 2)
        ]
        await seed(backend, tenant_id, runs)
        with counted_statements(backend) as statements:
            report = await detector(backend).detect(tenant_id, at=AT)
        assert report.failure_patterns == []
        return len(statements)

    assert await statements_for("one", 1) == await statements_for("many", 8)


async def test_default_at_is_now(backend: Harness) -> None:
    await seed(backend, "acme", reset_failures("f", "support-triage", 3))

    report = await detector(backend).detect("acme")

    assert report.window_end == AT


@pytest.mark.parametrize(
    "at",
    [datetime(2024, 3, 10, 18), AT + timedelta(microseconds=1)],
    ids=["naive", "future"],
)
async def test_invalid_at_rejected(backend: Harness, at: datetime) -> None:
    with pytest.raises(InvalidInput) as error:
        await detector(backend).detect("acme", at=at)

    assert error.value.field == "at"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"failure_window": timedelta(0)}, "failure_window must be positive"),
        ({"cost_window": timedelta(seconds=90)}, "whole number of minutes"),
        ({"cost_window": timedelta(days=367)}, "527040 minutes"),
        ({"fetch_limit": 10_001}, "fetch_limit"),
        ({"provenance_limit": 1001}, "provenance_limit"),
        ({"failure_critical_occurrences": 2}, "failure_critical_occurrences"),
        ({"cost_min_runs": 1}, "cost_min_runs"),
        ({"cost_spike_pct": Decimal(0)}, "cost_spike_pct"),
        ({"tz": "Mars/Olympus"}, "time zone"),
    ],
)
def test_settings_validated(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PatternSettings.model_validate(changes)


def test_settings_defaults() -> None:
    settings = PatternSettings()

    assert settings.failure_window == timedelta(hours=24)
    assert settings.cost_window == timedelta(days=7)
    assert (settings.failure_min_occurrences, settings.failure_critical_occurrences) == (3, 10)
    assert (settings.cost_spike_pct, settings.cost_critical_pct) == (Decimal(50), Decimal(200))
    assert (settings.tz, settings.include_synthetic) == ("UTC", False)


def test_report_is_frozen() -> None:
    assert PatternReport.model_config.get("frozen") is True
