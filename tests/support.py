"""Test doubles and database set-up shared by the contract and integration suites."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from analytics import migrations
from analytics.adapters.sqlite import configure_engine

POSTGRES_URL_VARIABLE = "ANALYTICS_TEST_POSTGRES_URL"


def run_blocking(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to completion on its own loop in a separate thread.

    Session set-up is requested from inside async fixtures, where the test's
    event loop is already running and ``asyncio.run`` is not allowed.
    """
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coroutine)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@dataclass
class FixedClock:
    """A clock that returns a settable instant, for repeatable audit timestamps."""

    now: datetime = field(default_factory=lambda: datetime(2024, 3, 10, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class SequentialIds:
    """An id generator returning 32 hex digits that count up from 1."""

    issued: int = 0

    def __call__(self) -> str:
        self.issued += 1
        return f"{self.issued:032x}"


def postgres_url_or_skip() -> str:
    """Return the test Postgres URL; skip without it, and fail instead when CI=true."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if url:
        return url
    reason = f"{POSTGRES_URL_VARIABLE} is not set, so Postgres tests cannot run"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI requires every Postgres test to run")
    pytest.skip(reason)


def sqlite_engine(path: Path) -> AsyncEngine:
    """Return a configured SQLite engine on a file."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    configure_engine(engine)
    return engine


async def _migrate(engine: AsyncEngine) -> None:
    try:
        await migrations.upgrade(engine)
    finally:
        await engine.dispose()


def migrated_sqlite_template(directory: Path) -> Path:
    """Create a migrated SQLite file that tests copy instead of migrating again."""
    path = directory / "template.db"
    run_blocking(_migrate(sqlite_engine(path)))
    return path


def copy_sqlite_template(template: Path, directory: Path) -> Path:
    """Copy the migrated template into a fresh file for one test."""
    target = directory / f"analytics-{uuid.uuid4().hex}.db"
    shutil.copyfile(template, target)
    return target


async def _run_admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class PostgresDatabase:
    """A throw-away Postgres database created for one test session."""

    url: str
    name: str


def create_postgres_database(admin_url: str) -> PostgresDatabase:
    """Create and migrate a new database named after a random id."""
    name = f"analytics_test_{uuid.uuid4().hex[:12]}"
    run_blocking(_run_admin(admin_url, f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    run_blocking(_migrate(create_async_engine(url)))
    return PostgresDatabase(url, name)


def drop_postgres_database(admin_url: str, database: PostgresDatabase) -> None:
    """Drop a database created by ``create_postgres_database``."""
    run_blocking(_run_admin(admin_url, f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)'))


def postgres_session(admin_url: str) -> Iterator[PostgresDatabase]:
    """Yield a migrated database for the session, dropping it afterwards."""
    database = create_postgres_database(admin_url)
    try:
        yield database
    finally:
        drop_postgres_database(admin_url, database)
