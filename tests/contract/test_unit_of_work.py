"""Unit of work: the six ports, commit and rollback, one entry, conformance."""

from __future__ import annotations

import pytest

from analytics.ports import (
    PORT_METHODS,
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

PORT_TYPES: dict[str, type[object]] = {
    "analytics_reads": AnalyticsReadDriver,
    "cost_anomalies": CostAnomalyDriver,
    "cost_writes": CostWriteDriver,
    "pattern_detection": PatternDetectionDriver,
    "predictions": PredictionDriver,
    "run_writes": RunWriteDriver,
}


class SomeError(Exception):
    """An application error raised inside a unit of work."""


async def test_entering_returns_the_unit_of_work(backend: Harness) -> None:
    factory: UnitOfWorkFactory = backend.uow
    unit = factory()

    async with unit as entered:
        assert entered is unit


async def test_every_port_attribute_has_every_method(backend: Harness) -> None:
    async with backend.uow() as uow:
        for attribute, methods in PORT_METHODS.items():
            port = getattr(uow, attribute)
            for method in methods:
                assert callable(getattr(port, method)), f"{attribute}.{method}"


async def test_exception_propagates_unchanged(backend: Harness) -> None:
    error = SomeError("boom")

    with pytest.raises(SomeError) as raised:
        async with backend.uow():
            raise error

    assert raised.value is error


async def test_unit_of_work_enters_once(backend: Harness) -> None:
    unit: UnitOfWork = backend.uow()
    async with unit:
        pass

    with pytest.raises(RuntimeError, match="entered only once"):
        async with unit:
            pass


async def test_each_factory_call_is_a_new_unit(backend: Harness) -> None:
    first = backend.uow()
    second = backend.uow()

    assert first is not second
