"""The Sqlite port classes: the shared SQL implementations on the Sqlite dialect."""

from __future__ import annotations

from analytics.adapters.sql.analytics_reads import SqlAnalyticsReadDriver
from analytics.adapters.sql.cost_anomalies import SqlCostAnomalyDriver
from analytics.adapters.sql.cost_writes import SqlCostWriteDriver
from analytics.adapters.sql.pattern_detection import SqlPatternDetectionDriver
from analytics.adapters.sql.predictions import SqlPredictionDriver
from analytics.adapters.sql.run_writes import SqlRunWriteDriver


class SqliteAnalyticsReadDriver(SqlAnalyticsReadDriver):
    """Series and breakdowns of cost and usage on Sqlite."""


class SqliteCostAnomalyDriver(SqlCostAnomalyDriver):
    """Spend, baselines and anomaly bookkeeping on Sqlite."""


class SqliteCostWriteDriver(SqlCostWriteDriver):
    """Cost records, feature tags and budgets on Sqlite."""


class SqlitePatternDetectionDriver(SqlPatternDetectionDriver):
    """Failed and costed worker runs and pattern feedback on Sqlite."""


class SqlitePredictionDriver(SqlPredictionDriver):
    """Prediction inputs, predictions and their outcomes on Sqlite."""


class SqliteRunWriteDriver(SqlRunWriteDriver):
    """Ingestion of runs, traces and worker runs on Sqlite."""
