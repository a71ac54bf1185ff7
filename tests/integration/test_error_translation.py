"""Driver exceptions become port errors in one place, and never poison a transaction."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import insert, select, text

from analytics import migrations
from analytics.adapters.sql.errors import translate, translate_errors
from analytics.adapters.sql.schema import feature_tags
from analytics.bootstrap import Store
from analytics.ports.errors import BackendUnavailable, Conflict, InvalidInput
from tests.integration.conftest import EmptyDatabase
from tests.support import FixedClock, SequentialIds

NOW = datetime(2024, 3, 10, 12, tzinfo=UTC)


def _tag_row(tag: str, budget_nanos: int | None = None) -> dict[str, object]:
    return {
        "tenant_id": "t1",
        "tag": tag,
        "display_name": tag,
        "description": None,
        "budget_nanos": budget_nanos,
        "is_active": True,
        "created_at": NOW,
        "updated_at": NOW,
    }


async def _migrated_store(database: EmptyDatabase) -> Store:
    await migrations.upgrade(database.engine)
    return Store.from_engine(database.engine, clock=FixedClock(), id_factory=SequentialIds())


async def test_unique_violation_becomes_conflict(empty_database: EmptyDatabase) -> None:
    store = await _migrated_store(empty_database)

    async with store.engine.connect() as connection:
        await connection.execute(insert(feature_tags).values(_tag_row("a")))
        with pytest.raises(Conflict) as raised, translate_errors("feature_tag", "a"):
            await connection.execute(insert(feature_tags).values(_tag_row("a")))

    assert raised.value.reason == "duplicate"
    assert isinstance(raised.value.__cause__, sa_exc.IntegrityError)


async def test_check_violation_becomes_invalid_input(empty_database: EmptyDatabase) -> None:
    store = await _migrated_store(empty_database)

    async with store.engine.connect() as connection:
        with pytest.raises(InvalidInput) as raised, translate_errors("feature_tag", "b"):
            await connection.execute(insert(feature_tags).values(_tag_row("b", budget_nanos=0)))

    assert "budget_positive" in raised.value.reason


async def test_failed_write_in_savepoint_keeps_transaction(empty_database: EmptyDatabase) -> None:
    store = await _migrated_store(empty_database)

    async with store.unit_of_work() as uow:
        session = uow.cost_writes._session  # type: ignore[attr-defined]
        await session.execute(insert(feature_tags).values(_tag_row("kept")))
        with pytest.raises(Conflict):
            async with session.atomic():
                await session.execute(insert(feature_tags).values(_tag_row("kept")))
        await session.execute(insert(feature_tags).values(_tag_row("after")))

    async with store.engine.connect() as connection:
        rows = await connection.execute(select(feature_tags.c.tag).order_by(feature_tags.c.tag))
        assert [row.tag for row in rows] == ["after", "kept"]


@pytest.mark.postgres
async def test_terminated_connection_is_retryable(
    empty_postgres_database: EmptyDatabase,
) -> None:
    store = await _migrated_store(empty_postgres_database)
    marker = f"victim-{uuid.uuid4().hex}"

    with pytest.raises(BackendUnavailable) as raised:
        async with store.unit_of_work() as uow:
            session = uow.cost_writes._session  # type: ignore[attr-defined]
            await session.execute(text(f"SET application_name = '{marker}'"))
            await _terminate(store, marker)
            await session.execute(insert(feature_tags).values(_tag_row("lost")))

    assert raised.value.retryable is True


async def _terminate(store: Store, application_name: str) -> None:
    async with store.engine.connect() as connection:
        await connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :n"
            ),
            {"n": application_name},
        )
        await connection.commit()
    await asyncio.sleep(0.1)


def _sqlite_error(name: str) -> sa_exc.OperationalError:
    error = sqlite3.OperationalError(name.lower())
    error.sqlite_errorname = name
    return sa_exc.OperationalError("INSERT ...", {}, error)


@pytest.mark.parametrize(
    ("name", "retryable"),
    [
        ("SQLITE_BUSY", True),
        ("SQLITE_LOCKED", True),
        ("SQLITE_FULL", False),
        ("SQLITE_READONLY", False),
        ("SQLITE_IOERR_WRITE", False),
    ],
)
def test_sqlite_errors_map_to_backend_unavailable(name: str, retryable: bool) -> None:
    translated = translate(_sqlite_error(name))

    assert isinstance(translated, BackendUnavailable)
    assert translated.retryable is retryable


def test_plain_exceptions_are_not_translated() -> None:
    with pytest.raises(KeyError), translate_errors():
        raise KeyError("not a driver error")
