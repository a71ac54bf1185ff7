"""Protocols for the transaction that hands out the six ports, and its factory."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from analytics.ports.analytics_reads import AnalyticsReadDriver
from analytics.ports.cost_anomalies import CostAnomalyDriver
from analytics.ports.cost_writes import CostWriteDriver
from analytics.ports.pattern_detection import PatternDetectionDriver
from analytics.ports.predictions import PredictionDriver
from analytics.ports.run_writes import RunWriteDriver


class UnitOfWork(Protocol):
    """One transaction exposing the six ports, used as an ``async with`` block.

    Entering begins the transaction and returns the unit of work itself. Leaving
    commits when the block ends normally and rolls back when it raises, and the
    exception is never suppressed. A commit that fails raises
    BackendUnavailable, never a database-driver exception. Drivers never commit
    or roll back. The ports are valid only inside the block, and a unit of work
    is entered once and serves one caller at a time, so never run two of its
    calls concurrently.
    """

    @property
    def analytics_reads(self) -> AnalyticsReadDriver:
        """Time series and cost breakdowns for dashboards."""
        ...

    @property
    def cost_anomalies(self) -> CostAnomalyDriver:
        """Inputs and bookkeeping of spike, drift and budget detection."""
        ...

    @property
    def cost_writes(self) -> CostWriteDriver:
        """Writes of cost records, feature tags and budgets."""
        ...

    @property
    def pattern_detection(self) -> PatternDetectionDriver:
        """Failed and costed worker runs, and pattern feedback."""
        ...

    @property
    def predictions(self) -> PredictionDriver:
        """Prediction inputs, prediction events and their outcomes."""
        ...

    @property
    def run_writes(self) -> RunWriteDriver:
        """Ingestion of runs, traces and worker runs."""
        ...

    async def __aenter__(self) -> UnitOfWork:
        """Begin the transaction and return this unit of work."""
        ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Commit if the block ended normally, else roll back, and never suppress."""
        ...


class UnitOfWorkFactory(Protocol):
    """Zero-argument callable returning a new unit of work that has not been entered."""

    def __call__(self) -> UnitOfWork: ...
