"""Connection settings for SQLite: WAL, a busy timeout and explicit transactions."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MINIMUM_SQLITE_VERSION = (3, 35, 0)
BUSY_TIMEOUT_MS = 30_000


def sqlite_library_version() -> tuple[int, int, int]:
    """Return the version of the SQLite library Python is linked against."""
    major, minor, patch = sqlite3.sqlite_version_info
    return major, minor, patch


def configure_engine(engine: AsyncEngine) -> None:
    """Install the connection and transaction hooks on a SQLite engine.

    The sqlite3 module opens transactions on its own and breaks savepoints, so
    its automatic handling is turned off and every transaction starts with an
    explicit ``BEGIN IMMEDIATE``. Taking the write lock up front makes a second
    writer wait for the busy timeout instead of failing on a lock upgrade.
    """
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
