"""Type-checking-only proof that every adapter class satisfies its port.

The ports are structural ``typing.Protocol`` classes, so nothing at run time
ties an adapter to its port. mypy reads the assignments below and fails when
a method's name, parameters or return type drift from the Protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analytics.adapters.postgres import ports as postgres
    from analytics.adapters.sql.session import SqlSession
    from analytics.adapters.sql.unit_of_work import SqlUnitOfWork
    from analytics.adapters.sqlite import ports as sqlite
    from analytics.ports import (
        AnalyticsReadDriver,
        CostAnomalyDriver,
        CostWriteDriver,
        PatternDetectionDriver,
        PredictionDriver,
        RunWriteDriver,
        UnitOfWork,
    )

    def _postgres_conforms(session: SqlSession) -> None:
        _reads: AnalyticsReadDriver = postgres.PostgresAnalyticsReadDriver(session)
        _anomalies: CostAnomalyDriver = postgres.PostgresCostAnomalyDriver(session)
        _writes: CostWriteDriver = postgres.PostgresCostWriteDriver(session)
        _patterns: PatternDetectionDriver = postgres.PostgresPatternDetectionDriver(session)
        _predictions: PredictionDriver = postgres.PostgresPredictionDriver(session)
        _runs: RunWriteDriver = postgres.PostgresRunWriteDriver(session)

    def _sqlite_conforms(session: SqlSession) -> None:
        _reads: AnalyticsReadDriver = sqlite.SqliteAnalyticsReadDriver(session)
        _anomalies: CostAnomalyDriver = sqlite.SqliteCostAnomalyDriver(session)
        _writes: CostWriteDriver = sqlite.SqliteCostWriteDriver(session)
        _patterns: PatternDetectionDriver = sqlite.SqlitePatternDetectionDriver(session)
        _predictions: PredictionDriver = sqlite.SqlitePredictionDriver(session)
        _runs: RunWriteDriver = sqlite.SqliteRunWriteDriver(session)

    def _unit_of_work_conforms(unit: SqlUnitOfWork) -> UnitOfWork:
        return unit
