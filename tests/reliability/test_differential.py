"""Backend agreement: SQLite and Postgres return equal results on generated datasets.

Hypothesis draws datasets of several tenants around a DST change (or a plain
day), with ties on ``occurred_at``, zero costs, untagged rows, retries and
synthetic rows, and a zone among UTC, DST zones and half-hour or 45-minute
offsets. Both stores get the same writes in the same order (so the same
generated ids), then every read method is called on both and the results are
compared. The examples come from a fixed seed, so every run checks the same ones.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import create_async_engine

from analytics.bootstrap import Store
from analytics.domain import (
    BucketUnit,
    EntityDimension,
    EntityType,
    NewCostRecord,
    NewWorkerRun,
    RunStatus,
)
from analytics.ports import UnitOfWork
from tests.reliability import figures
from tests.reliability.support import NamespacedIds, postgres_store_database, sqlite_database
from tests.reliability.tenant_data import at, load_tenant
from tests.reliability.test_tenant_isolation import read_calls
from tests.support import FixedClock, PostgresDatabase, copy_sqlite_template, sqlite_engine

TENANTS = ("t1", "t2", "t3")
ZONES = (
    "UTC",
    "America/New_York",
    "Europe/London",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Adelaide",
    "America/St_Johns",
)
# Days with a DST change in at least one zone above, and a plain day.
BASE_DAYS = (
    date(2024, 3, 10),
    date(2024, 3, 31),
    date(2024, 10, 6),
    date(2024, 11, 3),
    date(2024, 6, 15),
)
COSTS = ("0", "0.000000001", "0.1", "0.333333333", "1.5", "2")
EXAMPLES = 25


@dataclass(frozen=True)
class Dataset:
    """A generated dataset: its base day, the zone of its reads and its rows."""

    base_day: date
    tz: str
    records: list[tuple[str, NewCostRecord]]
    worker_runs: list[tuple[str, NewWorkerRun]]


def _instant(base_day: date, offset_minutes: int) -> datetime:
    start = datetime(base_day.year, base_day.month, base_day.day, tzinfo=UTC)
    return start + timedelta(minutes=offset_minutes)


# Offsets in minutes from the base day's UTC midnight: from two days before to three
# days after, on a 15-minute grid so that many records share an instant.
OFFSETS = st.integers(min_value=-2 * 96, max_value=3 * 96).map(lambda n: n * 15)


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    base_day = draw(st.sampled_from(BASE_DAYS))
    tz = draw(st.sampled_from(ZONES))
    records = []
    for index in range(draw(st.integers(min_value=0, max_value=30))):
        tenant_id = draw(st.sampled_from(TENANTS))
        record = NewCostRecord(
            occurred_at=_instant(base_day, draw(OFFSETS)),
            model=draw(st.sampled_from(("m1", "m2", "M1"))),
            input_tokens=draw(st.integers(min_value=0, max_value=1000)),
            output_tokens=draw(st.integers(min_value=0, max_value=100)),
            cost_usd=Decimal(draw(st.sampled_from(COSTS))),
            user_id=draw(st.sampled_from((None, "u1", "u2", "U1"))),
            feature_tag=draw(st.sampled_from((None, "chat", "Chat", "untagged", "chat.x"))),
            request_id=f"gen-{index}",
            is_retry=draw(st.booleans()),
            is_synthetic=draw(st.booleans()),
        )
        records.append((tenant_id, record))
    worker_runs = []
    for index in range(draw(st.integers(min_value=0, max_value=12))):
        status = draw(st.sampled_from(list(RunStatus)))
        terminal = status in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CRASHED)
        created_at = _instant(base_day, draw(OFFSETS))
        failed = status in (RunStatus.FAILED, RunStatus.CRASHED)
        run = NewWorkerRun(
            id=f"gen-w{index}",
            worker_id=draw(st.sampled_from(("wk-a", "wk-b"))),
            task="task",
            status=status,
            created_at=created_at,
            completed_at=created_at + timedelta(minutes=1) if terminal else None,
            error=draw(st.sampled_from((None, "timeout"))) if failed else None,
            cost_usd=Decimal(draw(st.sampled_from(COSTS))) if terminal else None,
            is_synthetic=draw(st.booleans()),
        )
        worker_runs.append((draw(st.sampled_from(TENANTS)), run))
    return Dataset(base_day, tz, records, worker_runs)


def spend_calls(data: Dataset) -> list[tuple[str, dict[str, Any]]]:
    """Return calls of the cost and run reads over the dataset's days, in its zone."""
    day, tz = data.base_day, data.tz
    start = _instant(day, -3 * 24 * 60)
    end = _instant(day, 4 * 24 * 60)
    window = {"start": start, "end": end}
    days = {"start_day": day - timedelta(days=2), "end_day": day + timedelta(days=2), "tz": tz}
    user = {"entity_type": EntityType.USER, "entity_id": "u1"}
    return [
        ("analytics_reads.fetch_cost_metrics", {**window, "unit": BucketUnit.DAY, "tz": tz}),
        ("analytics_reads.fetch_llm_usage", {**window, "unit": BucketUnit.HOUR, "tz": tz}),
        ("analytics_reads.fetch_worker_execution", {**window, "unit": BucketUnit.DAY, "tz": tz}),
        (
            "analytics_reads.fetch_cost_spend",
            {**window, "unit": BucketUnit.HOUR, "tz": tz, "include_synthetic": True},
        ),
        ("analytics_reads.fetch_cost_spend", {**window, "unit": BucketUnit.MONTH, "tz": tz}),
        ("analytics_reads.fetch_cost_by_model", {**window, "limit": 2}),
        ("analytics_reads.fetch_cost_by_feature", {**window, "include_synthetic": True}),
        ("cost_anomalies.fetch_entity_baseline", {"dimension": EntityDimension.USER, **days}),
        (
            "cost_anomalies.fetch_entity_today_spend",
            {"dimension": EntityDimension.FEATURE, "day": day, "tz": tz},
        ),
        ("cost_anomalies.fetch_tenant_baseline", days),
        ("cost_anomalies.fetch_tenant_today_spend", {"day": day, "tz": tz}),
        ("cost_anomalies.fetch_rolling_avg", {"last_day": day, "days": 3, "tz": tz}),
        ("cost_anomalies.fetch_baseline_avg", days),
        (
            "cost_anomalies.fetch_daily_spend",
            {"day": day, "tz": tz, "budget_type": "feature", "entity_id": "chat"},
        ),
        ("cost_anomalies.fetch_monthly_spend", {"month_start": day.replace(day=1), "tz": tz}),
        ("cost_anomalies.fetch_retry_comparison", {"day": day, "tz": tz, **user}),
        ("cost_anomalies.fetch_prompt_comparison", {"day": day, "tz": tz}),
        ("cost_anomalies.fetch_feature_concentration", {"day": day, "tz": tz}),
        ("cost_anomalies.fetch_request_comparison", {"day": day, "tz": tz}),
        (
            "cost_anomalies.fetch_entity_day_activity",
            {
                "dimension": EntityDimension.FEATURE,
                "entity_ids": ["chat", "Chat", "untagged"],
                **days,
            },
        ),
        ("pattern_detection.fetch_failed_runs", {**window, "require_error": False}),
        ("pattern_detection.fetch_completed_runs_with_costs", window),
        ("predictions.fetch_failed_runs", {**window, "include_synthetic": True}),
        ("predictions.fetch_run_totals", window),
        ("predictions.fetch_cost_runs", {**window, "limit": 3}),
    ]


async def _load(store: Store, data: Dataset) -> None:
    ids = NamespacedIds()
    # The clock (recorded_at, updated_at) and generated ids are the same for both stores.
    async with store.unit_of_work() as uow:
        await load_tenant(uow, "t1", scale=1, extra=False)
        ids.namespace = 2
        for tenant_id, record in data.records:
            await uow.cost_writes.create_cost_record(tenant_id, record=record)
        for tenant_id, run in data.worker_runs:
            await uow.run_writes.record_worker_run(tenant_id, run=run)


async def _read_all(uow: UnitOfWork, data: Dataset) -> list[tuple[str, str, Any]]:
    results = []
    calls = [*spend_calls(data), *read_calls()]
    for tenant_id in TENANTS:
        for name, kwargs in calls:
            attribute, method = name.split(".")
            result = await getattr(getattr(uow, attribute), method)(tenant_id, **kwargs)
            results.append((tenant_id, name, result))
    return results


async def _results(store: Store, data: Dataset) -> list[tuple[str, str, Any]]:
    await _load(store, data)
    async with store.unit_of_work() as uow:
        return await _read_all(uow, data)


async def _compare(sqlite_path: Path, postgres_url: str, data: Dataset) -> set[str]:
    sqlite_store = Store.from_engine(
        sqlite_engine(sqlite_path), clock=FixedClock(at(12, 9)), id_factory=NamespacedIds()
    )
    postgres_store = Store.from_engine(
        create_async_engine(postgres_url), clock=FixedClock(at(12, 9)), id_factory=NamespacedIds()
    )
    try:
        await postgres_store_database(postgres_url).wipe()
        await sqlite_database(sqlite_path).wipe()
        on_sqlite = await _results(sqlite_store, data)
        on_postgres = await _results(postgres_store, data)
    finally:
        await sqlite_store.close()
        await postgres_store.close()

    for (tenant_id, name, first), (_, _, second) in zip(on_sqlite, on_postgres, strict=True):
        assert first == second, (tenant_id, name)
    return {name for _, name, _ in on_sqlite}


@pytest.mark.sqlite
@pytest.mark.postgres
def test_backends_agree(
    sqlite_template: Path,
    postgres_database: PostgresDatabase,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    path = copy_sqlite_template(sqlite_template, tmp_path_factory.mktemp("differential"))
    compared: set[str] = set()
    examples = [0]

    @seed(20241204)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(datasets())
    def check(data: Dataset) -> None:
        compared.update(asyncio.run(_compare(path, postgres_database.url, data)))
        examples[0] += 1

    check()

    assert len(compared) == 36
    for backend in ("sqlite", "postgres"):
        figures.add("differential.methods", backend, len(compared))
        figures.add("differential.examples", backend, examples[0])
