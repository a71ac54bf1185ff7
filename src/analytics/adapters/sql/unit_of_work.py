"""The unit of work shared by the SQL backends: one connection, one transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from analytics.adapters.sql.dialect import DialectHooks
from analytics.adapters.sql.errors import translate_errors
from analytics.adapters.sql.session import READ_ONLY_OPTION, IdFactory, SqlSession
from analytics.domain.time import Clock
from analytics.ports import (
    AnalyticsReadDriver,
    CostAnomalyDriver,
    CostWriteDriver,
    PatternDetectionDriver,
    PredictionDriver,
    RunWriteDriver,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackendPorts:
    """The dialect hooks and the port classes of one SQL backend."""

    dialect: DialectHooks
    analytics_reads: Callable[[SqlSession], AnalyticsReadDriver]
    cost_anomalies: Callable[[SqlSession], CostAnomalyDriver]
    cost_writes: Callable[[SqlSession], CostWriteDriver]
    pattern_detection: Callable[[SqlSession], PatternDetectionDriver]
    predictions: Callable[[SqlSession], PredictionDriver]
    run_writes: Callable[[SqlSession], RunWriteDriver]


class SqlUnitOfWork:
    """One transaction on one pooled connection, exposing the six ports.

    Entering begins the transaction; leaving commits when the block ends
    normally and rolls back when it raises. The exception is never suppressed.
    A unit of work is entered once and serves one caller at a time.

    A read-only unit of work begins ``BEGIN READ ONLY`` on Postgres and
    ``BEGIN DEFERRED`` under ``PRAGMA query_only`` on SQLite, where it reads a
    snapshot without waiting for a writer's lock. Its write methods raise
    ``ReadOnlyUnitOfWork`` and send nothing.
    """

    analytics_reads: AnalyticsReadDriver
    cost_anomalies: CostAnomalyDriver
    cost_writes: CostWriteDriver
    pattern_detection: PatternDetectionDriver
    predictions: PredictionDriver
    run_writes: RunWriteDriver

    def __init__(
        self,
        engine: AsyncEngine,
        backend: BackendPorts,
        clock: Clock,
        id_factory: IdFactory,
        *,
        read_only: bool = False,
    ) -> None:
        self.read_only = read_only
        self._engine = engine
        self._backend = backend
        self._clock = clock
        self._id_factory = id_factory
        self._connection: AsyncConnection | None = None
        self._transaction: AsyncTransaction | None = None
        self._entered = False

    async def __aenter__(self) -> Self:
        if self._entered:
            raise RuntimeError("a unit of work can be entered only once; create a new one")
        self._entered = True
        with translate_errors():
            self._connection = await self._engine.connect()
            try:
                if self.read_only:
                    await self._connection.execution_options(**_read_only_options(self._engine))
                self._transaction = await self._connection.begin()
            except BaseException:
                await self._connection.close()
                raise
        self._bind_ports(self._connection)
        return self

    def _bind_ports(self, connection: AsyncConnection) -> None:
        session = SqlSession(
            connection,
            self._backend.dialect,
            self._clock,
            self._id_factory,
            read_only=self.read_only,
        )
        self.analytics_reads = self._backend.analytics_reads(session)
        self.cost_anomalies = self._backend.cost_anomalies(session)
        self.cost_writes = self._backend.cost_writes(session)
        self.pattern_detection = self._backend.pattern_detection(session)
        self.predictions = self._backend.predictions(session)
        self.run_writes = self._backend.run_writes(session)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, transaction = self._connection, self._transaction
        if connection is None or transaction is None:
            return
        try:
            if exc_type is None:
                with translate_errors():
                    await transaction.commit()
            else:
                await self._rollback_quietly(transaction)
        finally:
            await self._close_quietly(connection)

    async def _rollback_quietly(self, transaction: AsyncTransaction) -> None:
        # The block's own exception is what the caller must see, so a failed
        # rollback (for example on a dropped connection) is only logged.
        try:
            await transaction.rollback()
        except Exception:
            logger.warning("rollback failed after an error in the unit of work", exc_info=True)

    async def _close_quietly(self, connection: AsyncConnection) -> None:
        try:
            await connection.close()
        except Exception:
            logger.warning("closing the connection of a unit of work failed", exc_info=True)


def _read_only_options(engine: AsyncEngine) -> dict[str, bool]:
    # SQLAlchemy resets postgresql_readonly when the connection returns to the
    # pool; the SQLite begin hook switches query_only back for the next writer.
    if engine.dialect.name == "postgresql":
        return {"postgresql_readonly": True}
    return {READ_ONLY_OPTION: True}
