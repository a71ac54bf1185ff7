"""The SQLite backend (aiosqlite), the embedded default."""

from __future__ import annotations

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
    """Raise ``CapabilityNotSupported`` when Python's SQLite library is older than 3.35."""
    version = sqlite_library_version()
    if version < MINIMUM_SQLITE_VERSION:
        found = ".".join(str(part) for part in version)
        raise CapabilityNotSupported(
            "sqlite_version",
            f"SQLite {found} is too old: the package needs 3.35 or later "
            "(for RETURNING and ON CONFLICT on partial indexes)",
        )


__all__ = ["BACKEND", "check_library_version", "configure_engine"]
