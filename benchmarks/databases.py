"""Throw-away databases for one benchmark run: a SQLite temp file and a Postgres database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from analytics import migrations
from analytics.adapters.sql.schema import TENANT_TABLES
from analytics.bootstrap import Store, open_store

SQLITE = "sqlite"
POSTGRES = "postgres"
BACKENDS = (SQLITE, POSTGRES)

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


@dataclass
class BenchDatabase:
    """A migrated database of one backend with a store on it."""

    backend: str
    url: str
    store: Store
    sqlite_path: Path | None
    postgres_dsn: str | None

    @property
    def engine(self) -> AsyncEngine:
        return self.store.engine

    async def empty_tables(self) -> None:
        """Delete every row of every table (between the raw and the port ingest)."""
        async with self.engine.begin() as connection:
            if self.backend == POSTGRES:
                names = ", ".join(table.name for table in TENANT_TABLES)
                await connection.execute(text(f"TRUNCATE {names}"))
            else:
                for table in TENANT_TABLES:
                    await connection.execute(table.delete())

    async def analyze(self) -> None:
        """Refresh planner statistics after a bulk load, as an operator would."""
        async with self.engine.begin() as connection:
            await connection.execute(text("ANALYZE"))


async def _migrate(url: str) -> None:
    engine = create_async_engine(url)
    if url.startswith("sqlite"):
        from analytics.adapters.sqlite import configure_engine

        configure_engine(engine)
    try:
        await migrations.upgrade(engine)
    finally:
        await engine.dispose()


async def _admin(admin_url: str, statement: str) -> None:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@asynccontextmanager
async def sqlite_database(directory: Path) -> AsyncIterator[BenchDatabase]:
    """Yield a migrated SQLite file in ``directory`` (deleted with the directory)."""
    path = directory / f"analytics_bench_{uuid.uuid4().hex[:12]}.db"
    url = f"sqlite+aiosqlite:///{path}"
    await _migrate(url)
    store = await open_store(url)
    try:
        yield BenchDatabase(SQLITE, url, store, path, None)
    finally:
        await store.close()


@asynccontextmanager
async def postgres_database(admin_url: str) -> AsyncIterator[BenchDatabase]:
    """Create ``analytics_bench_<random>``, migrate it, yield it and drop it afterwards."""
    name = f"analytics_bench_{uuid.uuid4().hex[:12]}"
    await _admin(admin_url, f'CREATE DATABASE "{name}"')
    try:
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        await _migrate(url)
        store = await open_store(url)
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            yield BenchDatabase(POSTGRES, url, store, None, dsn)
        finally:
            await store.close()
    finally:
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
