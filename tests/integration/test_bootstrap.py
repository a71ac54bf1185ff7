"""open_store: accepted URLs, clear errors for bad ones, and a working unit of work."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from analytics.adapters import sqlite as sqlite_adapter
from analytics.bootstrap import ACCEPTED_SCHEMES, mask_url, open_store
from analytics.ports.errors import BackendUnavailable, CapabilityNotSupported, InvalidInput
from tests.support import postgres_url_or_skip


async def test_open_sqlite_store_uses_wal(tmp_path: Path) -> None:
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    try:
        assert store.dialect_name == "sqlite"
    finally:
        await store.close()

    with sqlite3.connect(tmp_path / "a.db") as connection:
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


@pytest.mark.postgres
async def test_open_postgres_store() -> None:
    store = await open_store(postgres_url_or_skip())
    try:
        assert store.dialect_name == "postgresql"
    finally:
        await store.close()


@pytest.mark.parametrize(
    "url",
    [
        "mysql://user:secret@db/analytics",
        "sqlite:///plain-driver.db",
        "postgresql://user:secret@db/analytics",
        "postgresql+psycopg2://user:secret@db/analytics",
    ],
)
async def test_unsupported_scheme_names_accepted_ones(url: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await open_store(url)

    message = str(raised.value)
    assert raised.value.field == "url"
    for scheme in ACCEPTED_SCHEMES:
        assert scheme in message
    assert "secret" not in message


async def test_garbage_url_is_rejected_with_password_masked() -> None:
    with pytest.raises(InvalidInput) as raised:
        await open_store("not a url ://user:secret@")

    assert "secret" not in str(raised.value)


def test_mask_url_hides_password() -> None:
    masked = mask_url("postgresql+asyncpg://alice:s3cret@db.example:5432/analytics")

    assert "s3cret" not in masked
    assert "alice" in masked


async def test_unreachable_postgres_names_host_and_port() -> None:
    # Port 1 on loopback is closed on test machines, so the connection is refused at once.
    with pytest.raises(BackendUnavailable) as raised:
        await open_store("postgresql+asyncpg://postgres:pw@127.0.0.1:1/test")

    message = str(raised.value)
    assert "127.0.0.1:1" in message
    assert "pw" not in message.replace("postgres", "")
    assert raised.value.retryable is True


async def test_old_sqlite_library_is_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))

    with pytest.raises(CapabilityNotSupported) as raised:
        await open_store(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")

    assert "3.35" in str(raised.value)


async def test_sqlite_without_json_is_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_adapter, "has_json_functions", lambda: False)

    with pytest.raises(CapabilityNotSupported) as raised:
        await open_store(f"sqlite+aiosqlite:///{tmp_path / 'plain.db'}")

    assert raised.value.capability == "sqlite_json"
    assert "json_each" in str(raised.value)
    assert not (tmp_path / "plain.db").exists()


def test_sqlite_library_has_json_functions() -> None:
    assert sqlite_adapter.has_json_functions() is True
