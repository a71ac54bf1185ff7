"""Typed ports between the engines and the storage backends, and the port errors.

Each driver is a ``typing.Protocol`` whose method docstrings are its contract.
Code above the ports is typed against ``UnitOfWork`` and ``UnitOfWorkFactory``
and never names a store class.
"""

from __future__ import annotations

import inspect

from analytics.ports.analytics_reads import AnalyticsReadDriver
from analytics.ports.cost_anomalies import CostAnomalyDriver
from analytics.ports.cost_writes import CostWriteDriver
from analytics.ports.errors import (
    AnalyticsError,
    BackendUnavailable,
    CapabilityNotSupported,
    Conflict,
    ConflictReason,
    InvalidInput,
    NotFound,
    ReadOnlyUnitOfWork,
)
from analytics.ports.pattern_detection import PatternDetectionDriver
from analytics.ports.predictions import PredictionDriver
from analytics.ports.run_writes import RunWriteDriver
from analytics.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


def _port_method_names(port: type) -> tuple[str, ...]:
    """Return the public coroutine methods of a port class, in definition order."""
    return tuple(
        name
        for name, member in vars(port).items()
        if not name.startswith("_") and inspect.iscoroutinefunction(member)
    )


PORT_METHODS: dict[str, tuple[str, ...]] = {
    "analytics_reads": _port_method_names(AnalyticsReadDriver),
    "cost_anomalies": _port_method_names(CostAnomalyDriver),
    "cost_writes": _port_method_names(CostWriteDriver),
    "pattern_detection": _port_method_names(PatternDetectionDriver),
    "predictions": _port_method_names(PredictionDriver),
    "run_writes": _port_method_names(RunWriteDriver),
}
"""Method names of each port, keyed by its unit-of-work attribute, in contract order."""

__all__ = [
    "PORT_METHODS",
    "AnalyticsError",
    "AnalyticsReadDriver",
    "BackendUnavailable",
    "CapabilityNotSupported",
    "Conflict",
    "ConflictReason",
    "CostAnomalyDriver",
    "CostWriteDriver",
    "InvalidInput",
    "NotFound",
    "PatternDetectionDriver",
    "PredictionDriver",
    "ReadOnlyUnitOfWork",
    "RunWriteDriver",
    "UnitOfWork",
    "UnitOfWorkFactory",
]
