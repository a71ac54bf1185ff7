"""Checks that apply to every port method: it is built, and it checks tenant_id first."""

from __future__ import annotations

from typing import Any

import pytest

from analytics.ports import NotFound, UnitOfWork
from analytics.ports.errors import InvalidInput
from tests.contract.harness import Harness
from tests.contract.method_calls import ALL_METHODS, BY_ID_METHODS, VALID_CALLS
from tests.contract.not_built import NOT_BUILT, method_param

INVALID_TENANT_IDS = ["", " t1", "t1 ", "t" * 65, "t\x001", "t\ud800"]


def _bound_method(uow: UnitOfWork, name: str) -> Any:
    attribute, method = name.split(".")
    return getattr(getattr(uow, attribute), method)


def test_valid_calls_cover_every_method() -> None:
    assert sorted(VALID_CALLS) == sorted(ALL_METHODS)
    assert len(ALL_METHODS) == 61


def test_every_method_is_built() -> None:
    assert not NOT_BUILT


@pytest.mark.parametrize("name", [method_param(name) for name in ALL_METHODS])
async def test_method_accepts_valid_call(backend: Harness, name: str) -> None:
    async with backend.uow() as uow:
        method = _bound_method(uow, name)
        if name in BY_ID_METHODS:
            with pytest.raises(NotFound):
                await method("t1", **VALID_CALLS[name]())
        else:
            await method("t1", **VALID_CALLS[name]())


@pytest.mark.parametrize("name", [method_param(name) for name in ALL_METHODS])
async def test_invalid_tenant_id_is_rejected(backend: Harness, name: str) -> None:
    before = await backend.row_counts()

    async with backend.uow() as uow:
        method = _bound_method(uow, name)
        for tenant_id in INVALID_TENANT_IDS:
            with pytest.raises(InvalidInput) as raised:
                await method(tenant_id, **VALID_CALLS[name]())
            assert raised.value.field == "tenant_id", repr(tenant_id)

    assert await backend.row_counts() == before
