"""The cost rollups equal a rebuild from raw rows, reads use them, and migrations fill them."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, inspect, select, text, update
from sqlalchemy.engine import Connection

from analytics import migrations
from analytics.adapters.sql.cost_rollups import (
    FEATURE_DAYS,
    FEATURE_HOURS,
    MODEL_DAYS,
    MODEL_HOURS,
    QUARTER_HOURS,
    ROLLUPS,
    Rollup,
    epoch_seconds,
    rebuild_cost_rollups,
)
from analytics.adapters.sql.schema import cost_records
from analytics.bootstrap import Store
from analytics.domain import BucketUnit, NewCostRecord, range_bounds
from tests.contract.rollup_data import records_by_tenant, store_with_replays
from tests.integration.conftest import EmptyDatabase
from tests.support import FixedClock, SequentialIds, sqlite_engine

ROLLUP_NAMES = {rollup.table.name for rollup in ROLLUPS}
DAY_ROLLUP_NAMES = {MODEL_DAYS.table.name, FEATURE_DAYS.table.name}
ROLLUPS_OF_0002 = (QUARTER_HOURS, MODEL_HOURS, FEATURE_HOURS)
MARCH = (datetime(2024, 3, 8, tzinfo=UTC), datetime(2024, 3, 13, tzinfo=UTC))
# Windows with whole UTC days, whole hours and part-hours, across the New York
# spring-forward change and with offsets of +05:30 and +05:45.
MARCH_WINDOWS = (
    (datetime(2024, 3, 9, 5, 30, 0, 500_000, tzinfo=UTC), datetime(2024, 3, 11, 7, 15, tzinfo=UTC)),
    range_bounds(date(2024, 3, 9), date(2024, 3, 12), "America/New_York"),
    range_bounds(date(2024, 3, 9), date(2024, 3, 12), "Asia/Kolkata"),
    range_bounds(date(2024, 3, 9), date(2024, 3, 12), "Asia/Kathmandu"),
)
# The same kinds of windows over the rows of _raw_rows, from 2024-01-01 to 2024-01-03 21:53.
JANUARY_WINDOWS = (
    (datetime(2024, 1, 1, 5, 30, 0, 500_000, tzinfo=UTC), datetime(2024, 1, 3, 17, 45, tzinfo=UTC)),
    range_bounds(date(2024, 1, 1), date(2024, 1, 4), "UTC"),
    range_bounds(date(2024, 1, 1), date(2024, 1, 3), "Asia/Kathmandu"),
)


async def _store_with_records(database: EmptyDatabase) -> Store:
    await migrations.upgrade(database.engine)
    store = Store.from_engine(database.engine, clock=FixedClock(), id_factory=SequentialIds())
    for tenant_id, records in records_by_tenant().items():
        # Several units of work per tenant, so rollup rows are updated across commits.
        for part in (records[::2], records[1::2], records):
            async with store.unit_of_work() as uow:
                await store_with_replays(uow, tenant_id, part)
    return store


async def _snapshot(
    database: EmptyDatabase, rollups: Sequence[Rollup] = ROLLUPS
) -> dict[str, list[tuple[Any, ...]]]:
    snapshot = {}
    async with database.engine.connect() as connection:
        for rollup in rollups:
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


async def _breakdowns(store: Store, windows: Sequence[tuple[datetime, datetime]]) -> list[Any]:
    """Return both breakdowns of every tenant and window, with and without synthetic records."""
    results: list[Any] = []
    async with store.unit_of_work() as uow:
        reads = uow.analytics_reads
        for start, end in windows:
            for tenant_id in ("t0", "t1", "t2", "t3"):
                for synthetic in (False, True):
                    for fetch in (reads.fetch_cost_by_model, reads.fetch_cost_by_feature):
                        results.append(
                            await fetch(
                                tenant_id, start=start, end=end, include_synthetic=synthetic
                            )
                        )
    return results


def _raw_reads_store(store: Store) -> Store:
    """Return a store on the same engine whose breakdowns and series read cost records only."""
    raw = Store.from_engine(store.engine)
    read_driver: Any = store.backend.analytics_reads
    raw.backend = replace(store.backend, analytics_reads=partial(read_driver, use_rollups=False))
    return raw


async def test_rebuild_gives_identical_rollups(empty_database: EmptyDatabase) -> None:
    store = await _store_with_records(empty_database)
    written = await _snapshot(empty_database)

    await rebuild_cost_rollups(empty_database.engine, store.backend.dialect)

    assert all(written[name] for name in ROLLUP_NAMES)
    assert await _snapshot(empty_database) == written


async def test_rebuild_keeps_records_before_midnight(empty_database: EmptyDatabase) -> None:
    await migrations.upgrade(empty_database.engine)
    store = Store.from_engine(empty_database.engine)
    # Instants less than a millisecond before an hour mark and a UTC midnight,
    # which SQLite's strftime rounds up to the next second, and one at the midnight.
    instants = [
        datetime(2024, 3, 9, 12, 59, 59, 999_999, tzinfo=UTC),
        datetime(2024, 3, 9, 23, 59, 59, 999_500, tzinfo=UTC),
        datetime(2024, 3, 9, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2024, 3, 10, tzinfo=UTC),
    ]
    records = [
        NewCostRecord(
            occurred_at=at,
            model="gpt-4o",
            input_tokens=1,
            output_tokens=1,
            cost_usd=Decimal("0.01"),
            request_id=f"req-{index}",
        )
        for index, at in enumerate(instants)
    ]
    async with store.unit_of_work() as uow:
        await uow.cost_writes.create_cost_records("t1", records=records)
    written = await _snapshot(empty_database)

    await rebuild_cost_rollups(empty_database.engine, store.backend.dialect)

    march_9 = epoch_seconds(datetime(2024, 3, 9, tzinfo=UTC))
    day_rows = [(row[1], row[4]) for row in written[MODEL_DAYS.table.name]]
    assert day_rows == [(march_9, 3), (march_9 + 86_400, 1)]
    assert await _snapshot(empty_database) == written


async def test_rebuild_of_one_tenant_repairs_drift(empty_database: EmptyDatabase) -> None:
    store = await _store_with_records(empty_database)
    written = await _snapshot(empty_database)
    before = await _march_series(store)
    breakdowns_before = await _breakdowns(store, MARCH_WINDOWS)
    async with empty_database.engine.begin() as connection:
        for rollup in ROLLUPS:
            table = rollup.table
            drift = (
                update(table)
                .where(table.c.tenant_id == "t1")
                .values(requests=table.c.requests + 1000)
            )
            await connection.execute(drift)

    drifted = await _march_series(store)
    drifted_breakdowns = await _breakdowns(store, MARCH_WINDOWS)
    await rebuild_cost_rollups(empty_database.engine, store.backend.dialect, "t1")

    # The reads use the rollups, so the drift shows until the rebuild.
    assert drifted != before
    assert drifted_breakdowns != breakdowns_before
    assert await _march_series(store) == before
    assert await _breakdowns(store, MARCH_WINDOWS) == breakdowns_before
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


async def _add_requests(
    database: EmptyDatabase, rollup: Rollup, span: tuple[datetime, datetime], amount: int
) -> int:
    """Add ``amount`` to t1's rollup requests in ``span`` and return the number of rows changed."""
    table = rollup.table
    period = table.c[rollup.period_column]
    statement = (
        update(table)
        .where(
            table.c.tenant_id == "t1",
            period >= epoch_seconds(span[0]),
            period < epoch_seconds(span[1]),
        )
        .values(requests=table.c.requests + amount)
    )
    async with database.engine.begin() as connection:
        result = await connection.execute(statement)
    return result.rowcount


async def _requests_by_model(store: Store, window: tuple[datetime, datetime]) -> int:
    async with store.unit_of_work() as uow:
        breakdown = await uow.analytics_reads.fetch_cost_by_model(
            "t1", start=window[0], end=window[1], include_synthetic=True
        )
    return breakdown.total.requests


async def test_breakdown_reads_each_level(empty_database: EmptyDatabase) -> None:
    store = await _store_with_records(empty_database)
    # The whole UTC day of March 10, the whole hours 06:00-24:00 before it and
    # 00:00-07:00 after it, and the part-hours at both ends.
    window = (datetime(2024, 3, 9, 5, 30, tzinfo=UTC), datetime(2024, 3, 11, 7, 15, tzinfo=UTC))
    march = {day: datetime(2024, 3, day, tzinfo=UTC) for day in (9, 10, 11)}
    before = await _requests_by_model(store, window)

    # Neither change is read: March 9 is partly outside, and March 10's hours lie in a whole day.
    day_not_whole = await _add_requests(empty_database, MODEL_DAYS, (march[9], march[10]), 1000)
    hours_in_day = await _add_requests(empty_database, MODEL_HOURS, (march[10], march[11]), 1)
    unread = await _requests_by_model(store, window)
    whole_day = await _add_requests(empty_database, MODEL_DAYS, (march[10], march[11]), 1000)
    hours_before = (march[9] + timedelta(hours=6), march[10])
    hours_after = (march[11], march[11] + timedelta(hours=7))
    edge_hours = await _add_requests(empty_database, MODEL_HOURS, hours_before, 1)
    edge_hours += await _add_requests(empty_database, MODEL_HOURS, hours_after, 1)
    after = await _requests_by_model(store, window)

    assert min(day_not_whole, hours_in_day, whole_day, edge_hours) > 0
    assert unread == before
    assert after == before + 1000 * whole_day + edge_hours


async def test_revision_0003_fills_day_rollups(empty_database: EmptyDatabase) -> None:
    engine = empty_database.engine
    await migrations.upgrade(engine, "0001")
    async with engine.begin() as connection:
        await connection.execute(insert(cost_records), _raw_rows())
    await migrations.upgrade(engine, "0002")
    store = Store.from_engine(engine)
    # At 0002 only the reads of raw rows work, because the day rollups do not exist yet.
    expected = await _breakdowns(_raw_reads_store(store), JANUARY_WINDOWS)

    await migrations.upgrade(engine)
    filled = await _snapshot(empty_database)
    got = await _breakdowns(store, JANUARY_WINDOWS)
    await rebuild_cost_rollups(engine, store.backend.dialect)

    assert all(filled[name] for name in DAY_ROLLUP_NAMES)
    assert got == expected
    assert sum(breakdown.total.requests for breakdown in got) > 0
    assert await _snapshot(empty_database) == filled


async def test_revision_0003_refills_written_rollups(empty_database: EmptyDatabase) -> None:
    engine = empty_database.engine
    store = await _store_with_records(empty_database)
    written = await _snapshot(empty_database)
    reads = await _breakdowns(store, MARCH_WINDOWS)

    await migrations.downgrade(engine, "0002")
    async with engine.connect() as connection:
        names_at_0002 = await connection.run_sync(_table_names)
    hour_rollups_at_0002 = await _snapshot(empty_database, ROLLUPS_OF_0002)
    await migrations.upgrade(engine)

    assert names_at_0002.isdisjoint(DAY_ROLLUP_NAMES)
    assert hour_rollups_at_0002 == {
        name: rows for name, rows in written.items() if name in hour_rollups_at_0002
    }
    # The day rows refilled from the hour rollups equal those the writes added.
    assert await _snapshot(empty_database) == written
    assert await _breakdowns(store, MARCH_WINDOWS) == reads
    assert await _breakdowns(_raw_reads_store(store), MARCH_WINDOWS) == reads


async def test_day_rollups_are_without_rowid_on_sqlite(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path / "rowid.db")
    try:
        await migrations.upgrade(engine)
        async with engine.connect() as connection:
            result = await connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE name LIKE 'cost_rollup_%'")
            )
            definitions = {name: sql for name, sql in result.all()}
    finally:
        await engine.dispose()

    assert {
        name for name, sql in definitions.items() if sql.rstrip().endswith("WITHOUT ROWID")
    } == DAY_ROLLUP_NAMES


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
        for rollup in ROLLUPS:
            await connection.execute(update(rollup.table).values(requests=0))

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
    # Every rollup table of t1 is rebuilt, and only t1's rows.
    for name, rows in partly.items():
        assert [row for row in rows if row[0] == "t1"] == [
            row for row in written[name] if row[0] == "t1"
        ], name
        assert [row for row in rows if row[0] != "t1"] != [
            row for row in written[name] if row[0] != "t1"
        ], name
    assert everything.returncode == 0, everything.stderr
    assert await _snapshot(empty_database) == written


def test_rebuild_command_rejects_invalid_tenant(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'rollups.db'}"
    _run_cli("--db", url, "migrate", cwd=tmp_path)

    result = _run_cli("--db", url, "rebuild-rollups", "--tenant", " t1", cwd=tmp_path)

    assert result.returncode == 2
    assert "invalid tenant_id" in result.stderr
