"""The ``backend`` fixture: contract and engine scenarios run on SQLite and on Postgres."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from analytics.bootstrap import Store
from tests.contract.harness import Harness, truncate_all
from tests.support import (
    FixedClock,
    PostgresDatabase,
    SequentialIds,
    copy_sqlite_template,
    migrated_sqlite_template,
    postgres_session,
    postgres_url_or_skip,
    sqlite_engine,
)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresDatabase]:
    admin_url = postgres_url_or_skip()
    yield from postgres_session(admin_url)


async def _sqlite_harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    template: Path = request.getfixturevalue("sqlite_template")
    path = copy_sqlite_template(template, tmp_path)
    clock, ids = FixedClock(), SequentialIds()
    store = Store.from_engine(sqlite_engine(path), clock=clock, id_factory=ids)
    return Harness(
        name="sqlite",
        store=store,
        clock=clock,
        ids=ids,
        url=f"sqlite+aiosqlite:///{path}",
        has_session_time_zone=False,
        serializes_units_of_work=True,
    )


async def _postgres_harness(request: pytest.FixtureRequest) -> Harness:
    database: PostgresDatabase = request.getfixturevalue("postgres_database")
    clock, ids = FixedClock(), SequentialIds()
    store = Store.from_engine(create_async_engine(database.url), clock=clock, id_factory=ids)
    await truncate_all(store.engine)
    return Harness(
        name="postgres",
        store=store,
        clock=clock,
        ids=ids,
        url=database.url,
        has_session_time_zone=True,
        serializes_units_of_work=False,
    )


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.sqlite),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    """A fresh, migrated database of each backend for one test."""
    if request.param == "sqlite":
        harness = await _sqlite_harness(request, tmp_path)
    else:
        harness = await _postgres_harness(request)
    try:
        yield harness
    finally:
        await harness.store.close()
