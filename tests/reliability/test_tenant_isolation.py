"""Tenant isolation: every port method, for tenant A, with and without tenant B's rows.

Tenant B shares all of A's caller-supplied keys (request ids, run, trace and
worker-run ids, worker ids, tags, user ids, signatures) with larger values and
extra rows. The scenario calls all 61 port methods for A, in a database where
B was loaded first and in one without B. A's results must be equal, and B's
rows (read with raw SELECTs) must be equal before and after A's writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from analytics.domain import (
    BreachType,
    BucketUnit,
    EntityDimension,
    EntityType,
    NewCostRecord,
    NewRun,
    NewTrace,
    NewWorkerRun,
    PredictionOutcome,
    RunStatus,
    RunStatusUpdate,
    TraceStatus,
    TraceStatusUpdate,
    WorkerRunStatusUpdate,
)
from analytics.ports import AnalyticsError, InvalidInput, UnitOfWork
from tests.contract.method_calls import ALL_METHODS
from tests.reliability import figures
from tests.reliability.support import Database, NamespacedIds
from tests.reliability.tenant_data import (
    DAY,
    WINDOW,
    LoadedIds,
    anomaly,
    at,
    breach,
    feedback,
    load_tenant,
    observation,
    prediction,
)
from tests.support import FixedClock

TENANT_A = "tenant-a"
TENANT_B = "tenant-b"
NY = "America/New_York"
KOLKATA = "Asia/Kolkata"
START_DAY = date(2024, 3, 6)
END_DAY = date(2024, 3, 12)


@dataclass
class Recorder:
    """The calls of a scenario in order: method name and result (or the error raised)."""

    tenant_id: str = TENANT_A
    calls: list[tuple[str, Any]] = field(default_factory=list)

    async def call(self, uow: UnitOfWork, name: str, **kwargs: Any) -> Any:
        attribute, method_name = name.split(".")
        method = getattr(getattr(uow, attribute), method_name)
        try:
            result = await method(self.tenant_id, **kwargs)
        except InvalidInput:
            raise
        except AnalyticsError as error:
            result = (type(error).__name__, str(error))
        self.calls.append((name, result))
        return result


def read_calls() -> list[tuple[str, dict[str, Any]]]:
    """Return one call of every read method, with arguments that B's rows would change."""
    start, end = WINDOW
    window = {"start": start, "end": end}
    days = {"start_day": START_DAY, "end_day": END_DAY}
    user_u1 = {"entity_type": EntityType.USER, "entity_id": "u1"}
    spike = {**user_u1, "breach_type": BreachType.ABSOLUTE_SPIKE}
    return [
        ("analytics_reads.fetch_cost_metrics", {**window, "unit": BucketUnit.DAY, "tz": NY}),
        (
            "analytics_reads.fetch_llm_usage",
            {**window, "unit": BucketUnit.DAY, "include_synthetic": True},
        ),
        ("analytics_reads.fetch_worker_execution", {**window, "unit": BucketUnit.HOUR}),
        ("analytics_reads.fetch_cost_spend", {**window, "unit": BucketUnit.DAY, "tz": KOLKATA}),
        ("analytics_reads.fetch_cost_by_model", {**window, "limit": 1}),
        ("analytics_reads.fetch_cost_by_feature", window),
        ("cost_anomalies.fetch_entity_baseline", {"dimension": EntityDimension.USER, **days}),
        (
            "cost_anomalies.fetch_entity_today_spend",
            {"dimension": EntityDimension.FEATURE, "day": DAY},
        ),
        ("cost_anomalies.fetch_tenant_baseline", {**days, "tz": NY}),
        ("cost_anomalies.fetch_tenant_today_spend", {"day": DAY}),
        ("cost_anomalies.fetch_rolling_avg", {"last_day": DAY}),
        ("cost_anomalies.fetch_baseline_avg", days),
        (
            "cost_anomalies.fetch_daily_spend",
            {"day": DAY, "budget_type": EntityType.USER, "entity_id": "u1"},
        ),
        ("cost_anomalies.fetch_monthly_spend", {"month_start": date(2024, 3, 1)}),
        ("cost_anomalies.fetch_breach_exists_today", {**spike, "day": date(2024, 3, 7)}),
        ("cost_anomalies.fetch_consecutive_breaches", {**spike, "day": DAY}),
        (
            "cost_anomalies.fetch_breach_streaks",
            {
                "entity_type": EntityType.USER,
                "entity_ids": ["u1", "u2"],
                "breach_type": BreachType.ABSOLUTE_SPIKE,
                "day": DAY,
            },
        ),
        ("cost_anomalies.fetch_drift_tracking", user_u1),
        ("cost_anomalies.fetch_retry_comparison", {"day": DAY}),
        ("cost_anomalies.fetch_prompt_comparison", {"day": DAY, **user_u1}),
        ("cost_anomalies.fetch_feature_concentration", {"day": DAY}),
        ("cost_anomalies.fetch_request_comparison", {"day": DAY}),
        ("cost_anomalies.list_active_budgets", {}),
        ("cost_anomalies.list_anomalies", window),
        (
            "cost_anomalies.fetch_entity_day_activity",
            {"dimension": EntityDimension.USER, "entity_ids": ["u1", "u2", "u3"], **days},
        ),
        ("cost_writes.get_feature_tag", {"tag": "new.tag"}),
        ("cost_writes.list_feature_tags", {}),
        ("pattern_detection.fetch_failed_runs", window),
        ("pattern_detection.fetch_completed_runs_with_costs", {**window, "worker_id": "wk-b"}),
        ("pattern_detection.fetch_feedback_records", {}),
        ("predictions.fetch_failure_patterns", window),
        ("predictions.fetch_failed_runs", {**window, "worker_id": "wk-a"}),
        ("predictions.fetch_run_totals", {**window, "worker_ids": ["wk-a", "wk-b", "wk-z"]}),
        ("predictions.fetch_cost_runs", window),
        ("predictions.fetch_predictions", {}),
        ("predictions.count_prediction_outcomes", window),
    ]


def write_calls(own: LoadedIds, other: LoadedIds) -> list[tuple[str, dict[str, Any]]]:
    """Return writes of every write method on keys B also holds, and calls with B's ids."""
    return [
        (
            "cost_anomalies.insert_breach_history",
            {"breach": breach("u1", date(2024, 3, 7), 1)},
        ),
        (
            "cost_anomalies.insert_breach_histories",
            {
                "breaches": [
                    breach("u1", DAY, 1),
                    breach("u1", date(2024, 3, 8), 2),
                    breach(None, DAY, 1),
                ]
            },
        ),
        (
            "cost_anomalies.update_drift_tracking",
            {"tracker_id": own.tracker, "observation": observation(2), "day": DAY},
        ),
        (
            "cost_anomalies.update_drift_tracking",
            {"tracker_id": other.tracker, "observation": observation(2), "day": DAY},
        ),
        (
            "cost_anomalies.insert_drift_tracking",
            {
                "entity_type": EntityType.USER,
                "entity_id": "u1",
                "observation": observation(1),
                "day": DAY,
            },
        ),
        (
            "cost_anomalies.reset_drift_tracking",
            {"entity_type": EntityType.TENANT, "entity_id": None},
        ),
        ("cost_anomalies.upsert_anomaly", {"anomaly": anomaly(2, at(10, 19))}),
        (
            "cost_anomalies.upsert_anomalies",
            {
                "anomalies": [
                    anomaly(3, at(10, 20)),
                    anomaly(1, at(10, 20)).model_copy(update={"period_start": date(2024, 3, 9)}),
                ]
            },
        ),
        ("cost_anomalies.resolve_anomaly", {"anomaly_id": own.anomaly}),
        ("cost_anomalies.resolve_anomaly", {"anomaly_id": other.anomaly}),
        ("cost_writes.create_feature_tag", {"tag": "new.tag", "display_name": "New"}),
        ("cost_writes.update_feature_tag", {"tag": "chat.reply", "display_name": "Chat"}),
        ("cost_writes.update_feature_tag", {"tag": "other.tag", "is_active": False}),
        (
            "cost_writes.create_cost_record",
            {"record": _record("req-new", "0.70")},
        ),
        (
            "cost_writes.create_or_update_budget",
            {"budget_type": EntityType.USER, "entity_id": "u2", "daily_limit_usd": Decimal(7)},
        ),
        (
            "cost_writes.create_cost_records",
            {"records": [_record("req-b", "0.80"), _record("req-c", "0.90")]},
        ),
        (
            "run_writes.record_run",
            {"run": NewRun(id="run-9", status=RunStatus.QUEUED, created_at=at(10, 8))},
        ),
        (
            "run_writes.update_run_status",
            {
                "run_id": "run-2",
                "update": RunStatusUpdate(status=RunStatus.COMPLETED, finished_at=at(10, 7, 5)),
            },
        ),
        (
            "run_writes.record_runs",
            {
                "runs": [
                    NewRun(
                        id="run-10",
                        status=RunStatus.RUNNING,
                        created_at=at(10, 9),
                        started_at=at(10, 9),
                    )
                ]
            },
        ),
        (
            "run_writes.record_trace",
            {"trace": NewTrace(trace_id="tr-9", status=TraceStatus.RUNNING, started_at=at(10, 9))},
        ),
        (
            "run_writes.update_trace_status",
            {
                "trace_id": "tr-1",
                "update": TraceStatusUpdate(status=TraceStatus.FAILED, completed_at=at(10, 6, 3)),
            },
        ),
        ("run_writes.record_worker_run", {"run": _worker_run("w9")}),
        ("run_writes.record_worker_runs", {"runs": [_worker_run("w10"), _worker_run("w11")]}),
        (
            "run_writes.update_worker_run_status",
            {
                "run_id": "w4",
                "update": WorkerRunStatusUpdate(
                    status=RunStatus.COMPLETED, completed_at=at(10, 13, 2), cost_usd=Decimal("0.33")
                ),
            },
        ),
        ("pattern_detection.insert_feedback", {"feedback": feedback(4, at(10, 19))}),
        (
            "pattern_detection.acknowledge_feedback",
            {"feedback_id": own.feedback, "acknowledged_by": "alice"},
        ),
        (
            "pattern_detection.acknowledge_feedback",
            {"feedback_id": other.feedback, "acknowledged_by": "alice"},
        ),
        ("predictions.insert_prediction", {"prediction": prediction(3)}),
        (
            "predictions.record_prediction_outcome",
            {
                "prediction_id": own.prediction,
                "outcome": PredictionOutcome.CONFIRMED,
                "outcome_value": {"failures": 3},
            },
        ),
        (
            "predictions.record_prediction_outcome",
            {
                "prediction_id": other.prediction,
                "outcome": PredictionOutcome.REFUTED,
                "outcome_value": None,
            },
        ),
    ]


def _record(request_id: str, cost: str) -> NewCostRecord:
    return NewCostRecord(
        occurred_at=at(10, 16),
        model="gpt-4o",
        input_tokens=7,
        output_tokens=3,
        cost_usd=Decimal(cost),
        user_id="u1",
        feature_tag="chat.reply",
        request_id=request_id,
    )


def _worker_run(run_id: str) -> NewWorkerRun:
    return NewWorkerRun(
        id=run_id,
        worker_id="wk-a",
        task="summarise",
        status=RunStatus.FAILED,
        created_at=at(10, 10, 45),
        completed_at=at(10, 10, 46),
        error="Timeout after 30s",
    )


async def test_every_method_isolated(database: Database) -> None:
    with_other, other_ids = await run_scenario_with_snapshot(database)
    await database.wipe()
    without_other = await _scenario_for_a(database, other_ids)

    called = {name for name, _ in with_other}
    differing = {
        name
        for (name, first), (_, second) in zip(with_other, without_other, strict=True)
        if first != second
    }
    for (name, first), (_, second) in zip(with_other, without_other, strict=True):
        assert first == second, name
    assert called == set(ALL_METHODS)
    figures.add("isolation.methods", database.name, len(called - differing))


async def run_scenario_with_snapshot(
    database: Database,
) -> tuple[list[tuple[str, Any]], LoadedIds]:
    """Run the scenario with B present and check that A's work left B's rows unchanged."""
    clock, ids = FixedClock(at(12, 9)), NamespacedIds(namespace=2)
    store = database.open_store(clock, ids)
    try:
        async with store.unit_of_work() as uow:
            other = await load_tenant(uow, TENANT_B, scale=10, extra=True)
    finally:
        await store.close()
    before = await database.tenant_rows(TENANT_B)

    calls = await _scenario_for_a(database, other)

    after = await database.tenant_rows(TENANT_B)
    for table, rows in before.items():
        assert after[table] == rows, table
    assert sum(len(rows) for rows in before.values()) > 0
    return calls, other


async def _scenario_for_a(database: Database, other: LoadedIds) -> list[tuple[str, Any]]:
    """Load A, then call every method for A (by-id methods also with B's ids)."""
    clock, ids = FixedClock(at(12, 9)), NamespacedIds(namespace=1)
    store = database.open_store(clock, ids)
    recorder = Recorder()
    try:
        async with store.unit_of_work() as uow:
            own = await load_tenant(uow, TENANT_A, scale=1, extra=False)
        for name, kwargs in [*read_calls(), *write_calls(own, other), *read_calls()]:
            async with store.unit_of_work() as uow:
                await recorder.call(uow, name, **kwargs)
    finally:
        await store.close()
    return recorder.calls


async def test_other_tenant_ids_not_found(database: Database) -> None:
    calls, _ = await run_scenario_with_snapshot(database)
    by_other_id = [
        result
        for name, result in calls
        if name
        in {
            "cost_anomalies.resolve_anomaly",
            "pattern_detection.acknowledge_feedback",
            "predictions.record_prediction_outcome",
            "cost_anomalies.update_drift_tracking",
        }
        and isinstance(result, tuple)
    ]

    assert [error for error, _ in by_other_id] == ["NotFound"] * 4


async def test_reads_see_other_tenant_rows(database: Database) -> None:
    # Each read returns something else for B than for A, so a leak of B's rows would show.
    clock, ids = FixedClock(at(12, 9)), NamespacedIds()
    store = database.open_store(clock, ids)
    own, other = Recorder(), Recorder(tenant_id=TENANT_B)
    try:
        async with store.unit_of_work() as uow:
            await load_tenant(uow, TENANT_B, scale=10, extra=True)
            await load_tenant(uow, TENANT_A, scale=1, extra=False)
        async with store.unit_of_work() as uow:
            for name, kwargs in read_calls():
                await own.call(uow, name, **kwargs)
                await other.call(uow, name, **kwargs)
    finally:
        await store.close()

    for (name, first), (_, second) in zip(own.calls, other.calls, strict=True):
        assert first != second, name
