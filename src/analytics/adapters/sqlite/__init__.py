"""The SQLite backend (aiosqlite), the embedded default."""

from __future__ import annotations

import contextlib
import sqlite3

from analytics.adapters.sql.unit_of_work import BackendPorts
from analytics.adapters.sqlite.dialect import SqliteDialect
from analytics.adapters.sqlite.engine import (
    MINIMUM_SQLITE_VERSION,
    configure_engine,
    sqlite_library_version,
)
from analytics.adapters.sqlite.ports import (
    SqliteAnalyticsReadDriver,
    SqliteCostAnomalyDriver,
    SqliteCostWriteDriver,
    SqlitePatternDetectionDriver,
    SqlitePredictionDriver,
    SqliteRunWriteDriver,
)
from analytics.ports.errors import CapabilityNotSupported

BACKEND = BackendPorts(
    dialect=SqliteDialect(),
    analytics_reads=SqliteAnalyticsReadDriver,
    cost_anomalies=SqliteCostAnomalyDriver,
    cost_writes=SqliteCostWriteDriver,
    pattern_detection=SqlitePatternDetectionDriver,
    predictions=SqlitePredictionDriver,
    run_writes=SqliteRunWriteDriver,
)


def check_library_version() -> None:
    """Raise ``CapabilityNotSupported`` when Python's SQLite library is too old or lacks JSON.

    The package needs 3.35 or later, and the JSON functions, which ingest uses
    to expand a batch of cost records.
    """
    version = sqlite_library_version()
    found = ".".join(str(part) for part in version)
    if version < MINIMUM_SQLITE_VERSION:
        raise CapabilityNotSupported(
            "sqlite_version",
            f"SQLite {found} is too old: the package needs 3.35 or later "
            "(for RETURNING and ON CONFLICT on partial indexes)",
        )
    if not has_json_functions():
        raise CapabilityNotSupported(
            "sqlite_json",
            f"SQLite {found} was built without the JSON functions (json_each), which the "
            "package needs; use SQLite 3.38 or later, where they are built in",
        )


def has_json_functions() -> bool:
    """Return whether Python's SQLite library has ``json_each``."""
    with contextlib.closing(sqlite3.connect(":memory:")) as probe:
        try:
            probe.execute("SELECT value FROM json_each('[1]')").fetchall()
        except sqlite3.OperationalError:
            return False
    return True


__all__ = ["BACKEND", "check_library_version", "configure_engine"]
