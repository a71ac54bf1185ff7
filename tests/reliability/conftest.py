"""Fixtures of the reliability checks and the hook that writes their report."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.reliability import figures
from tests.reliability.support import Database, postgres_store_database, sqlite_database
from tests.support import PostgresDatabase, copy_sqlite_template


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.sqlite),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty, migrated database of each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        yield sqlite_database(copy_sqlite_template(template, tmp_path))
        return
    shared: PostgresDatabase = request.getfixturevalue("postgres_database")
    database = postgres_store_database(shared.url)
    await database.wipe()
    yield database


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the report comparison after every check that adds figures."""
    last = [item for item in items if item.name == "test_report_matches_figures"]
    items[:] = [item for item in items if item not in last] + last


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the report when ANALYTICS_RELIABILITY_REPORT names a path."""
    target = os.environ.get(figures.REPORT_VARIABLE)
    if target:
        Path(target).write_text(figures.render(figures.collected()), encoding="utf-8")
