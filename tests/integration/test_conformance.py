"""Both stores' units of work, and a fake one, satisfy the unit-of-work Protocols.

mypy --strict checks the annotated assignments in this module; the test
bodies check the same objects at run time.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self, cast
from unittest.mock import Mock

from analytics.bootstrap import Store
from analytics.ports import (
    AnalyticsReadDriver,
    CostAnomalyDriver,
    CostWriteDriver,
    PatternDetectionDriver,
    PredictionDriver,
    RunWriteDriver,
    UnitOfWork,
    UnitOfWorkFactory,
)
from tests.contract.harness import Harness


class FakeUnitOfWork:
    """A unit of work built from test doubles, as an engine test might use."""

    def __init__(self) -> None:
        self.analytics_reads = cast(AnalyticsReadDriver, Mock())
        self.cost_anomalies = cast(CostAnomalyDriver, Mock())
        self.cost_writes = cast(CostWriteDriver, Mock())
        self.pattern_detection = cast(PatternDetectionDriver, Mock())
        self.predictions = cast(PredictionDriver, Mock())
        self.run_writes = cast(RunWriteDriver, Mock())
        self.committed = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.committed = exc_type is None


def store_factory(store: Store) -> UnitOfWorkFactory:
    return store.unit_of_work


async def test_store_unit_of_work_is_a_factory(backend: Harness) -> None:
    factory = store_factory(backend.store)
    unit: UnitOfWork = factory()

    async with unit as entered:
        assert entered is unit


async def test_fake_unit_of_work_conforms() -> None:
    factory: UnitOfWorkFactory = FakeUnitOfWork
    unit: UnitOfWork = factory()

    async with unit as entered:
        assert entered is unit
    assert isinstance(unit, FakeUnitOfWork)
    assert unit.committed is True
