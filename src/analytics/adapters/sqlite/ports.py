"""The Sqlite port classes: the shared SQL implementations on the Sqlite dialect."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from analytics.adapters.sql.analytics_reads import SqlAnalyticsReadDriver
from analytics.adapters.sql.cost_anomalies import SqlCostAnomalyDriver
from analytics.adapters.sql.cost_writes import BatchItem, SqlCostWriteDriver
from analytics.adapters.sql.pattern_detection import SqlPatternDetectionDriver
from analytics.adapters.sql.predictions import SqlPredictionDriver
from analytics.adapters.sql.run_writes import SqlRunWriteDriver
from analytics.adapters.sqlite import cost_ingest


class SqliteAnalyticsReadDriver(SqlAnalyticsReadDriver):
    """Series and breakdowns of cost and usage on Sqlite."""


class SqliteCostAnomalyDriver(SqlCostAnomalyDriver):
    """Spend, baselines and anomaly bookkeeping on Sqlite."""


class SqliteCostWriteDriver(SqlCostWriteDriver):
    """Cost records, feature tags and budgets on Sqlite.

    A batch of cost records goes in as one JSON parameter, and each rollup
    adds the inserted rows with one grouped upsert.
    """

    async def _insert_new(
        self, tenant_id: str, recorded_at: datetime, items: Sequence[BatchItem]
    ) -> set[str]:
        parameters = cost_ingest.batch_parameters(
            tenant_id, recorded_at, [(item.row_id, item.record) for item in items]
        )
        result = await self._session.execute(cost_ingest.insert_new_records(), parameters)
        inserted_ids = set(result.scalars())
        if inserted_ids:
            ids = cost_ingest.ids_parameters(tenant_id, sorted(inserted_ids))
            for statement in cost_ingest.rollup_additions():
                await self._session.execute(statement, ids)
        return inserted_ids


class SqlitePatternDetectionDriver(SqlPatternDetectionDriver):
    """Failed and costed worker runs and pattern feedback on Sqlite."""


class SqlitePredictionDriver(SqlPredictionDriver):
    """Prediction inputs, predictions and their outcomes on Sqlite."""


class SqliteRunWriteDriver(SqlRunWriteDriver):
    """Ingestion of runs, traces and worker runs on Sqlite."""
