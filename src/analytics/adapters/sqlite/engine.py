"""Connection settings for SQLite: WAL, a busy timeout and explicit transactions."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.adapters.sql.session import READ_ONLY_OPTION

MINIMUM_SQLITE_VERSION = (3, 35, 0)
BUSY_TIMEOUT_MS = 30_000

_QUERY_ONLY_KEY = "analytics_query_only"


def sqlite_library_version() -> tuple[int, int, int]:
    """Return the version of the SQLite library Python is linked against."""
    major, minor, patch = sqlite3.sqlite_version_info
    return major, minor, patch


def configure_engine(engine: AsyncEngine) -> None:
    """Install the connection and transaction hooks on a SQLite engine.

    The sqlite3 module opens transactions on its own and breaks savepoints, so
    its automatic handling is turned off and every transaction starts with an
    explicit ``BEGIN IMMEDIATE``. Taking the write lock up front makes a second
    writer wait for the busy timeout instead of failing on a lock upgrade. A
    connection with the ``READ_ONLY_OPTION`` execution option begins with
    ``BEGIN DEFERRED`` under ``PRAGMA query_only`` instead.
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
        read_only = bool(connection.get_execution_options().get(READ_ONLY_OPTION))
        # query_only stays set on the pooled connection, so it is switched only on a change.
        if connection.info.get(_QUERY_ONLY_KEY, False) is not read_only:
            connection.exec_driver_sql(f"PRAGMA query_only = {'ON' if read_only else 'OFF'}")
            connection.info[_QUERY_ONLY_KEY] = read_only
        # A read-only transaction takes no lock at BEGIN: in WAL mode it reads a
        # snapshot and neither waits for a writer nor blocks one.
        connection.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")
