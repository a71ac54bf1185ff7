"""The cost rollups equal a rebuild from raw rows, reads use them, and revision 0002 fills them."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, inspect, select, update
from sqlalchemy.engine import Connection

from analytics import migrations
from analytics.adapters.sql.cost_rollups import ROLLUPS, rebuild_cost_rollups
from analytics.adapters.sql.schema import cost_records, cost_rollup_quarter_hours
from analytics.bootstrap import Store
from analytics.domain import BucketUnit
from tests.contract.rollup_data import records_by_tenant, store_with_replays
from tests.integration.conftest import EmptyDatabase
from tests.support import FixedClock, SequentialIds

ROLLUP_NAMES = {rollup.table.name for rollup in ROLLUPS}
MARCH = (datetime(2024, 3, 8, tzinfo=UTC), datetime(2024, 3, 13, tzinfo=UTC))


async def _store_with_records(database: EmptyDatabase) -> Store:
    await migrations.upgrade(database.engine)
    store = Store.from_engine(database.engine, clock=FixedClock(), id_factory=SequentialIds())
    for tenant_id, records in records_by_tenant().items():
        # Several units of work per tenant, so rollup rows are updated across commits.
        for part in (records[::2], records[1::2], records):
            async with store.unit_of_work() as uow:
                await store_with_replays(uow, tenant_id, part)
    return store


async def _snapshot(database: EmptyDatabase) -> dict[str, list[tuple[Any, ...]]]:
    snapshot = {}
    async with database.engine.connect() as connection:
        for rollup in ROLLUPS:
            table = rollup.table
            statement = select(*table.c).order_by(*(table.c[name] for name in rollup.key_columns))
            rows = (await connection.execute(statement)).all()
            snapshot[table.name] = [tuple(row) for row in rows]
    return snapshot


async def _march_series(store: Store) -> list[Any]:
    async with store.unit_of_work() as uow:
        return await uow.analytics_reads.fetch_cost_metrics(
            "t1", start=MARCH[0], end=MARCH[1], unit=BucketUnit.DAY
        )


async def test_rebuild_gives_identical_rollups(empty_database: EmptyDatabase) -> None:
    store = await _store_with_records(empty_database)
    written = await _snapshot(empty_database)

    await rebuild_cost_rollups(empty_database.engine, store.backend.dialect)

    assert all(written[name] for name in ROLLUP_NAMES)
    assert await _snapshot(empty_database) == written


async def test_rebuild_of_one_tenant_repairs_drift(empty_database: EmptyDatabase) -> None:
    store = await _store_with_records(empty_database)
    written = await _snapshot(empty_database)
    before = await _march_series(store)
    drift = (
        update(cost_rollup_quarter_hours)
        .where(cost_rollup_quarter_hours.c.tenant_id == "t1")
        .values(requests=cost_rollup_quarter_hours.c.requests + 1000)
    )
    async with empty_database.engine.begin() as connection:
        await connection.execute(drift)

    drifted = await _march_series(store)
    await rebuild_cost_rollups(empty_database.engine, store.backend.dialect, "t1")

    # The series reads the rollup, so the drift shows until the rebuild.
    assert drifted != before
    assert await _march_series(store) == before
    assert await _snapshot(empty_database) == written


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _raw_rows() -> list[dict[str, Any]]:
    first = datetime(2024, 1, 1, tzinfo=UTC)
    return [
        {
            "tenant_id": f"t{index % 3}",
            "id": f"cr_{index:032x}",
            "occurred_at": first + timedelta(minutes=7 * index, microseconds=index),
            "recorded_at": first,
            "model": f"model-{index % 4}",
            "feature_tag": None if index % 5 == 0 else f"feature-{index % 3}",
            "input_tokens": index,
            "output_tokens": 2 * index,
            "cost_nanos": 0 if index % 7 == 0 else 1_000 * index,
            "cost_source": "unpriced" if index % 7 == 0 else "reported",
            "is_synthetic": index % 6 == 0,
        }
        for index in range(600)
    ]


async def test_revision_0002_fills_the_rollups(empty_database: EmptyDatabase) -> None:
    engine = empty_database.engine
    await migrations.upgrade(engine, "0001")
    async with engine.begin() as connection:
        await connection.execute(insert(cost_records), _raw_rows())

    await migrations.upgrade(engine)
    filled = await _snapshot(empty_database)
    store = Store.from_engine(engine)
    await rebuild_cost_rollups(engine, store.backend.dialect)

    assert all(filled[name] for name in ROLLUP_NAMES)
    assert await _snapshot(empty_database) == filled


async def test_revision_0002_downgrade_keeps_records(empty_database: EmptyDatabase) -> None:
    engine = empty_database.engine
    await migrations.upgrade(engine, "0001")
    async with engine.begin() as connection:
        await connection.execute(insert(cost_records), _raw_rows())
    await migrations.upgrade(engine)

    await migrations.downgrade(engine, "0001")

    async with engine.connect() as connection:
        names = await connection.run_sync(_table_names)
        count = (await connection.execute(select(func.count()).select_from(cost_records))).scalar()
    assert names.isdisjoint(ROLLUP_NAMES)
    assert count == len(_raw_rows())
    assert await migrations.current_revision(engine) == "0001"

    await migrations.upgrade(engine)
    async with engine.connect() as connection:
        assert await connection.run_sync(_table_names) >= ROLLUP_NAMES


def _run_cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analytics.cli", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_rebuild_command_repairs_drift(empty_database: EmptyDatabase, tmp_path: Path) -> None:
    await _store_with_records(empty_database)
    written = await _snapshot(empty_database)
    async with empty_database.engine.begin() as connection:
        await connection.execute(update(cost_rollup_quarter_hours).values(requests=0))

    result = await asyncio.to_thread(
        _run_cli, "--db", empty_database.url, "rebuild-rollups", "--tenant", "t1", cwd=tmp_path
    )
    partly = await _snapshot(empty_database)
    everything = await asyncio.to_thread(
        _run_cli, "--db", empty_database.url, "rebuild-rollups", cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert "Rebuilt the cost rollups of t1." in result.stdout
    assert partly != written
    assert everything.returncode == 0, everything.stderr
    assert await _snapshot(empty_database) == written


def test_rebuild_command_rejects_invalid_tenant(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'rollups.db'}"
    _run_cli("--db", url, "migrate", cwd=tmp_path)

    result = _run_cli("--db", url, "rebuild-rollups", "--tenant", " t1", cwd=tmp_path)

    assert result.returncode == 2
    assert "invalid tenant_id" in result.stderr
