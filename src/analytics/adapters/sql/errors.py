"""The one place where database-driver exceptions become port errors.

Every statement an adapter runs goes through ``translate_errors``, so no
SQLAlchemy, asyncpg, aiosqlite or sqlite3 exception reaches a caller. The
original exception is chained with ``from``.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

from analytics.ports.errors import (
    AnalyticsError,
    BackendUnavailable,
    Conflict,
    InvalidInput,
)

logger = logging.getLogger(__name__)

# Postgres SQLSTATE codes and classes (see the PostgreSQL "Error Codes" appendix).
_PG_UNIQUE_VIOLATION = "23505"
_PG_CHECK_VIOLATION = "23514"
_PG_RETRYABLE = {
    "40001": "serialization failure",
    "40P01": "deadlock detected",
    "55P03": "lock not available",
    "57014": "statement timeout or cancelled",
    "57P01": "server shut down the connection",
    "57P02": "server crashed",
    "57P03": "server is starting up",
}
_PG_PERMANENT = {"53100": "disk full", "53200": "out of memory", "25006": "read-only transaction"}

# sqlite3 extended error names (Python 3.11+ exposes them as sqlite_errorname).
_SQLITE_RETRYABLE = ("SQLITE_BUSY", "SQLITE_LOCKED")
_SQLITE_PERMANENT = {
    "SQLITE_FULL": "database or disk is full",
    "SQLITE_READONLY": "database is read-only",
    "SQLITE_IOERR": "disk I/O error",
    "SQLITE_CANTOPEN": "unable to open the database file",
    "SQLITE_CORRUPT": "database file is corrupt",
}


def _sqlstate(error: BaseException | None) -> str | None:
    while error is not None:
        code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if isinstance(code, str):
            return code
        error = error.__cause__
    return None


def _sqlite_error_name(error: BaseException | None) -> str | None:
    while error is not None:
        if isinstance(error, sqlite3.Error):
            name = getattr(error, "sqlite_errorname", None)
            return name if isinstance(name, str) else None
        error = error.__cause__
    return None


def _constraint_name(error: BaseException) -> str:
    current: BaseException | None = error
    while current is not None:
        name = getattr(current, "constraint_name", None)
        if isinstance(name, str):
            return name
        current = current.__cause__
    return str(error).split("\n", 1)[0]


def _integrity_error(error: sa_exc.IntegrityError, entity: str, key: str) -> AnalyticsError:
    sqlstate = _sqlstate(error.orig)
    sqlite_name = _sqlite_error_name(error.orig) or ""
    if sqlstate == _PG_UNIQUE_VIOLATION or sqlite_name in (
        "SQLITE_CONSTRAINT_UNIQUE",
        "SQLITE_CONSTRAINT_PRIMARYKEY",
    ):
        return Conflict(entity, key, "duplicate")
    if sqlstate == _PG_CHECK_VIOLATION or sqlite_name == "SQLITE_CONSTRAINT_CHECK":
        constraint = _constraint_name(error.orig or error)
        return InvalidInput(entity, key, f"the stored row would break the rule {constraint}")
    return BackendUnavailable(f"integrity error on {entity}: {error.orig}", retryable=False)


def _backend_error(error: sa_exc.DBAPIError) -> BackendUnavailable:
    sqlstate = _sqlstate(error.orig)
    sqlite_name = _sqlite_error_name(error.orig) or ""
    detail = str(error.orig).split("\n", 1)[0]
    if error.connection_invalidated:
        return BackendUnavailable(f"database connection lost: {detail}", retryable=True)
    if sqlstate is not None and (sqlstate in _PG_RETRYABLE or sqlstate.startswith("08")):
        reason = _PG_RETRYABLE.get(sqlstate, "connection failure")
        return BackendUnavailable(f"database {reason}: {detail}", retryable=True)
    if sqlstate in _PG_PERMANENT:
        return BackendUnavailable(f"database {_PG_PERMANENT[sqlstate]}: {detail}", retryable=False)
    if sqlite_name.startswith(_SQLITE_RETRYABLE):
        return BackendUnavailable(f"database is locked: {detail}", retryable=True)
    for prefix, reason in _SQLITE_PERMANENT.items():
        if sqlite_name.startswith(prefix):
            return BackendUnavailable(f"{reason}: {detail}", retryable=False)
    retryable = isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError)
    return BackendUnavailable(f"database error: {detail}", retryable=retryable)


def translate(error: BaseException, entity: str = "row", key: str = "") -> AnalyticsError:
    """Return the port error for a driver exception."""
    if isinstance(error, AnalyticsError):
        return error
    if isinstance(error, sa_exc.IntegrityError):
        return _integrity_error(error, entity, key)
    if isinstance(error, sa_exc.DBAPIError):
        return _backend_error(error)
    if isinstance(error, ConnectionError | TimeoutError | OSError):
        return BackendUnavailable(f"database unreachable: {error}", retryable=True)
    if isinstance(error, sa_exc.SQLAlchemyError):
        return BackendUnavailable(f"database error: {error}", retryable=False)
    return BackendUnavailable(f"unexpected database driver error: {error!r}", retryable=False)


def is_driver_error(error: BaseException) -> bool:
    """Tell whether an exception comes from SQLAlchemy, a driver or the network."""
    if isinstance(error, AnalyticsError | asyncio.CancelledError):
        return False
    return isinstance(
        error, sa_exc.SQLAlchemyError | sqlite3.Error | ConnectionError | TimeoutError | OSError
    ) or type(error).__module__.startswith("asyncpg")


@contextmanager
def translate_errors(entity: str = "row", key: str = "") -> Iterator[None]:
    """Run a block and re-raise any driver exception as a port error."""
    try:
        yield
    except Exception as error:
        if not is_driver_error(error):
            raise
        translated = translate(error, entity, key)
        logger.debug("translated %s into %s", type(error).__name__, type(translated).__name__)
        raise translated from error
