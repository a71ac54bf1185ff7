"""The Postgres port classes: the shared SQL implementations on the Postgres dialect."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from analytics.adapters.postgres import cost_ingest
from analytics.adapters.sql.analytics_reads import SqlAnalyticsReadDriver
from analytics.adapters.sql.cost_anomalies import SqlCostAnomalyDriver
from analytics.adapters.sql.cost_writes import BatchItem, SqlCostWriteDriver
from analytics.adapters.sql.pattern_detection import SqlPatternDetectionDriver
from analytics.adapters.sql.predictions import SqlPredictionDriver
from analytics.adapters.sql.run_writes import SqlRunWriteDriver


class PostgresAnalyticsReadDriver(SqlAnalyticsReadDriver):
    """Series and breakdowns of cost and usage on Postgres."""


class PostgresCostAnomalyDriver(SqlCostAnomalyDriver):
    """Spend, baselines and anomaly bookkeeping on Postgres."""


class PostgresCostWriteDriver(SqlCostWriteDriver):
    """Cost records, feature tags and budgets on Postgres.

    A batch of cost records and its rollup additions go in as one statement.
    """

    async def _insert_new(
        self, tenant_id: str, recorded_at: datetime, items: Sequence[BatchItem]
    ) -> set[str]:
        parameters = cost_ingest.batch_parameters(
            tenant_id, recorded_at, [(item.row_id, item.record) for item in items]
        )
        result = await self._session.execute(cost_ingest.insert_with_rollups(), parameters)
        return set(result.scalars())


class PostgresPatternDetectionDriver(SqlPatternDetectionDriver):
    """Failed and costed worker runs and pattern feedback on Postgres."""


class PostgresPredictionDriver(SqlPredictionDriver):
    """Prediction inputs, predictions and their outcomes on Postgres."""


class PostgresRunWriteDriver(SqlRunWriteDriver):
    """Ingestion of runs, traces and worker runs on Postgres."""
