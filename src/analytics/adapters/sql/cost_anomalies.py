"""The CostAnomalyDriver shared by the SQL backends.

The spend reads and the bookkeeping writes live in two modules; this class
joins them into the one port.
"""

from __future__ import annotations

from analytics.adapters.sql.anomaly_bookkeeping import SqlAnomalyBookkeeping
from analytics.adapters.sql.anomaly_spend import SqlAnomalySpendReads
from analytics.adapters.sql.session import SqlSession


class SqlCostAnomalyDriver(SqlAnomalySpendReads, SqlAnomalyBookkeeping):
    """CostAnomalyDriver on SQLAlchemy Core, for every SQL backend."""

    def __init__(self, session: SqlSession) -> None:
        self._session = session
