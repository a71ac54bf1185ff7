"""Fixtures for integration tests: empty databases of each backend."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tests.support import postgres_url_or_skip, sqlite_engine


@dataclass
class EmptyDatabase:
    """An empty database of one backend and an engine on it."""

    name: str
    url: str
    engine: AsyncEngine


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.sqlite),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
async def empty_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[EmptyDatabase]:
    """An empty, unmigrated database of each backend."""
    if request.param == "sqlite":
        path = tmp_path / "empty.db"
        database = EmptyDatabase("sqlite", f"sqlite+aiosqlite:///{path}", sqlite_engine(path))
        yield database
        await database.engine.dispose()
        return
    async with _postgres_database() as database:
        yield database


@pytest.fixture
async def empty_postgres_database() -> AsyncIterator[EmptyDatabase]:
    """An empty, unmigrated Postgres database, for behaviour only Postgres has."""
    async with _postgres_database() as database:
        yield database


@asynccontextmanager
async def _postgres_database() -> AsyncIterator[EmptyDatabase]:
    admin_url = postgres_url_or_skip()
    name = f"analytics_it_{uuid.uuid4().hex[:12]}"
    await _admin(admin_url, f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    database = EmptyDatabase("postgres", url, create_async_engine(url))
    try:
        yield database
    finally:
        await database.engine.dispose()
        await asyncio.shield(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
