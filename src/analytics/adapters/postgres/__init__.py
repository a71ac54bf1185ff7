"""The Postgres backend (asyncpg)."""

from __future__ import annotations

from analytics.adapters.postgres.dialect import PostgresDialect
from analytics.adapters.postgres.ports import (
    PostgresAnalyticsReadDriver,
    PostgresCostAnomalyDriver,
    PostgresCostWriteDriver,
    PostgresPatternDetectionDriver,
    PostgresPredictionDriver,
    PostgresRunWriteDriver,
)
from analytics.adapters.sql.unit_of_work import BackendPorts

BACKEND = BackendPorts(
    dialect=PostgresDialect(),
    analytics_reads=PostgresAnalyticsReadDriver,
    cost_anomalies=PostgresCostAnomalyDriver,
    cost_writes=PostgresCostWriteDriver,
    pattern_detection=PostgresPatternDetectionDriver,
    predictions=PostgresPredictionDriver,
    run_writes=PostgresRunWriteDriver,
)

__all__ = ["BACKEND"]
