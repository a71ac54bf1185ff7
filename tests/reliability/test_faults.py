"""Faults: a killed connection, a server that is down, a read-only file and a full disk."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from analytics.adapters.sql.schema import cost_records
from analytics.adapters.sqlite import configure_engine
from analytics.bootstrap import Store, open_store
from analytics.domain import NewCostRecord, WriteOutcome
from analytics.ports import AnalyticsError, BackendUnavailable
from tests.contract.harness import truncate_all
from tests.reliability import figures
from tests.reliability.tenant_data import at
from tests.support import FixedClock, PostgresDatabase, SequentialIds, copy_sqlite_template

TENANT = "acme"
SLEEP_SQL = "SELECT pg_sleep(30) /* fault injection */"


def _batch(size: int, prefix: str = "req", model: str = "m1") -> list[NewCostRecord]:
    return [
        NewCostRecord(
            occurred_at=at(10, 12),
            model=model,
            input_tokens=1,
            output_tokens=1,
            cost_usd=Decimal("0.001"),
            request_id=f"{prefix}-{n:04d}",
        )
        for n in range(size)
    ]


async def _count(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        result = await connection.execute(select(func.count()).select_from(cost_records))
        return int(result.scalar_one())


@pytest.fixture
async def postgres_engine(postgres_database: PostgresDatabase) -> AsyncIterator[AsyncEngine]:
    """An engine on the session's Postgres database, emptied first."""
    engine = create_async_engine(postgres_database.url)
    await truncate_all(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


def _stall_after_first_insert(engine: AsyncEngine) -> None:
    """After the batch's first INSERT, run a long sleep on the same connection.

    The test kills that backend from a second connection while it sleeps, so the
    connection dies between two statements of the unit of work.
    """
    armed = [True]

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _stall(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The batch's INSERT may be a CTE of a larger statement, so any position counts.
        if not (armed[0] and "INSERT INTO COST_RECORDS" in statement.upper()):
            return
        armed[0] = False
        cursor = conn.connection.cursor()
        # The terminated sleep fails here; the next statement of the batch reports it.
        with contextlib.suppress(Exception):
            cursor.execute(SLEEP_SQL)


async def _terminate_sleeper(admin: AsyncEngine) -> int:
    find = text(
        "SELECT pid FROM pg_stat_activity WHERE query = :sql AND pid <> pg_backend_pid()"
    ).bindparams(sql=SLEEP_SQL)
    for _ in range(500):
        async with admin.connect() as connection:
            pids = [row[0] for row in await connection.execute(find)]
            for pid in pids:
                await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        if pids:
            return len(pids)
        await asyncio.sleep(0.02)
    return 0


@pytest.mark.postgres
async def test_killed_connection_leaves_batch_absent(
    postgres_database: PostgresDatabase, postgres_engine: AsyncEngine
) -> None:
    store = Store.from_engine(
        create_async_engine(postgres_database.url), clock=FixedClock(), id_factory=SequentialIds()
    )
    _stall_after_first_insert(store.engine)
    batch = _batch(600)

    async def ingest() -> list[WriteOutcome]:
        async with store.unit_of_work() as uow:
            results = await uow.cost_writes.create_cost_records(TENANT, records=batch)
        return [result.outcome for result in results]

    try:
        attempt = asyncio.create_task(ingest())
        killed = await _terminate_sleeper(postgres_engine)
        with pytest.raises(BackendUnavailable) as raised:
            await attempt
        after_kill = await _count(postgres_engine)
        retried = await ingest()
        replayed = await ingest()
    finally:
        await store.close()

    assert killed == 1
    assert raised.value.retryable is True
    assert after_kill == 0
    assert retried == [WriteOutcome.CREATED] * 600
    assert replayed == [WriteOutcome.UNCHANGED] * 600
    assert await _count(postgres_engine) == 600
    figures.add("faults.cases", "postgres", 1)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.postgres
async def test_server_down_names_host_and_port() -> None:
    port = _closed_port()

    with pytest.raises(BackendUnavailable) as raised:
        await open_store(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/test")

    assert f"127.0.0.1:{port}" in raised.value.message
    assert raised.value.retryable is True
    figures.add("faults.cases", "postgres", 1)


@pytest.mark.postgres
def test_server_down_command_line_error() -> None:
    port = _closed_port()
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/test"

    finished = subprocess.run(
        [sys.executable, "-m", "analytics.cli", "migrate", "--db", url],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode != 0
    assert f"127.0.0.1:{port}" in finished.stderr
    assert "Traceback" not in finished.stderr
    figures.add("faults.cases", "postgres", 1)


async def _fill(path: Path, records: list[NewCostRecord], url: str | None = None) -> None:
    engine = create_async_engine(url or f"sqlite+aiosqlite:///{path}")
    configure_engine(engine)
    store = Store.from_engine(engine, clock=FixedClock())
    try:
        async with store.unit_of_work() as uow:
            await uow.cost_writes.create_cost_records(TENANT, records=records)
    finally:
        await store.close()


async def _sqlite_count(path: Path) -> int:
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    try:
        return await _count(engine)
    finally:
        await engine.dispose()


@pytest.mark.sqlite
async def test_read_only_file_rejects_writes(sqlite_template: Path, tmp_path: Path) -> None:
    # The tests run as root, which ignores file modes, so the file is opened through
    # SQLite's URI with mode=ro: SQLite itself then rejects every write, even for root.
    path = copy_sqlite_template(sqlite_template, tmp_path)
    await _fill(path, _batch(10))
    read_only = f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"

    with pytest.raises(AnalyticsError) as raised:
        await _fill(path, _batch(10, prefix="more"), url=read_only)

    assert isinstance(raised.value, BackendUnavailable)
    assert "readonly" in raised.value.message.replace("-", "").replace(" ", "")
    assert await _sqlite_count(path) == 10
    figures.add("faults.cases", "sqlite", 1)


@contextmanager
def _small_filesystem() -> Iterator[Path | None]:
    """Mount a 1 MiB tmpfs when the process may mount; otherwise yield None."""
    directory = Path(tempfile.mkdtemp(prefix="analytics-full-"))
    mounted = False
    try:
        if os.geteuid() == 0 and shutil.which("mount"):
            finished = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=1M", "tmpfs", str(directory)],
                capture_output=True,
            )
            mounted = finished.returncode == 0
        yield directory if mounted else None
    finally:
        if mounted:
            subprocess.run(["umount", str(directory)], check=False)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.sqlite
async def test_full_disk_keeps_contents(sqlite_template: Path, tmp_path: Path) -> None:
    with _small_filesystem() as small:
        if small is None:
            # Without mount rights, a capped page count simulates the full disk.
            await _check_page_limit(copy_sqlite_template(sqlite_template, tmp_path))
            figures.add("faults.cases", "sqlite", 1)
            return
        path = copy_sqlite_template(sqlite_template, small)
        await _fill(path, _batch(10))

        with pytest.raises(BackendUnavailable) as raised:
            for round_number in range(20):
                await _fill(path, _batch(1000, prefix=f"big{round_number}", model="m" * 128))

        assert "full" in raised.value.message
        assert raised.value.retryable is False
        stored = await _sqlite_count(path)
    assert stored % 1000 == 10
    figures.add("faults.cases", "sqlite", 1)


async def _check_page_limit(path: Path) -> None:
    # PRAGMA max_page_count caps the file size, which SQLite reports like a full disk.
    await _fill(path, _batch(10))
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    configure_engine(engine)

    @event.listens_for(engine.sync_engine, "connect")
    def _cap(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count={pages + 2}")
        cursor.close()

    store = Store.from_engine(engine, clock=FixedClock())
    try:
        with pytest.raises(BackendUnavailable) as raised:
            async with store.unit_of_work() as uow:
                await uow.cost_writes.create_cost_records(
                    TENANT, records=_batch(1000, prefix="big", model="m" * 128)
                )
    finally:
        await store.close()

    assert "full" in raised.value.message
    assert await _sqlite_count(path) == 10


@pytest.mark.sqlite
async def test_page_limit_keeps_contents(sqlite_template: Path, tmp_path: Path) -> None:
    await _check_page_limit(copy_sqlite_template(sqlite_template, tmp_path))
    figures.add("faults.cases", "sqlite", 1)
