"""Active budgets: the budgets a detector checks, by type and then entity."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from analytics.domain import Budget, EntityType
from analytics.ports import InvalidInput
from tests.contract.bookkeeping_data import INVALID_TENANT_IDS, session_time_zone_units
from tests.contract.harness import Harness

TENANT = EntityType.TENANT
USER = EntityType.USER
FEATURE = EntityType.FEATURE
CLOCK = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)

# The worked example of tenant t1: the user budget of u1 is inactive.
EXAMPLE_BUDGETS: list[dict[str, Any]] = [
    {"budget_type": TENANT, "daily_limit_usd": Decimal("100")},
    {"budget_type": FEATURE, "entity_id": "chat.reply", "monthly_limit_usd": Decimal("50")},
    {"budget_type": USER, "entity_id": "u1", "daily_limit_usd": Decimal("5"), "is_active": False},
    {"budget_type": USER, "entity_id": "u2", "daily_limit_usd": Decimal("7.5")},
]


async def _set_budgets(
    backend: Harness, budgets: list[dict[str, Any]], tenant_id: str = "t1"
) -> None:
    async with backend.uow() as uow:
        for budget in budgets:
            await uow.cost_writes.create_or_update_budget(tenant_id, **budget)


async def _list(backend: Harness, tenant_id: str = "t1", **arguments: Any) -> list[Budget]:
    async with backend.uow() as uow:
        return await uow.cost_anomalies.list_active_budgets(tenant_id, **arguments)


def _keys(budgets: list[Budget]) -> list[tuple[EntityType, str | None]]:
    return [(budget.budget_type, budget.entity_id) for budget in budgets]


async def test_budgets_example(backend: Harness) -> None:
    await _set_budgets(backend, EXAMPLE_BUDGETS)

    assert _keys(await _list(backend)) == [(FEATURE, "chat.reply"), (TENANT, None), (USER, "u2")]
    assert _keys(await _list(backend, budget_type=USER)) == [(USER, "u2")]
    assert await _list(backend, "t2") == []


async def test_budgets_filter_each_type(backend: Harness) -> None:
    await _set_budgets(backend, EXAMPLE_BUDGETS)

    assert _keys(await _list(backend, budget_type=FEATURE)) == [(FEATURE, "chat.reply")]
    assert _keys(await _list(backend, budget_type=TENANT)) == [(TENANT, None)]
    assert _keys(await _list(backend, budget_type="user")) == [(USER, "u2")]


async def test_budgets_fields(backend: Harness) -> None:
    backend.clock.now = CLOCK
    await _set_budgets(
        backend,
        [
            {
                "budget_type": FEATURE,
                "entity_id": "chat.reply",
                "daily_limit_usd": Decimal("0.15"),
                "monthly_limit_usd": Decimal("0.3"),
                "warn_threshold_pct": 90,
                "hard_limit_enabled": True,
            },
            {"budget_type": TENANT, "monthly_limit_usd": Decimal("100")},
        ],
    )

    feature, tenant = await _list(backend)

    assert feature.id.startswith("cb_")
    assert feature.tenant_id == "t1"
    assert feature.daily_limit_usd == Decimal("0.150000000")
    assert feature.daily_limit_usd.as_tuple().exponent == -9
    assert feature.monthly_limit_usd == Decimal("0.300000000")
    assert feature.warn_threshold_pct == 90
    assert feature.hard_limit_enabled is True
    assert feature.is_active is True
    assert feature.created_at == CLOCK
    assert feature.created_at.tzinfo is UTC
    assert feature.updated_at == CLOCK
    assert tenant.entity_id is None
    assert tenant.daily_limit_usd is None
    assert tenant.warn_threshold_pct == 80
    assert tenant.hard_limit_enabled is False


async def test_budgets_frozen(backend: Harness) -> None:
    await _set_budgets(backend, EXAMPLE_BUDGETS[:1])

    [budget] = await _list(backend)

    with pytest.raises(ValidationError):
        budget.is_active = False  # type: ignore[misc]


async def test_budgets_same_as_written(backend: Harness) -> None:
    async with backend.uow() as uow:
        written = await uow.cost_writes.create_or_update_budget(
            "t1", budget_type=USER, entity_id="u2", daily_limit_usd=Decimal("7.5")
        )

    assert await _list(backend) == [written.record]


async def test_budgets_deactivated_and_reactivated(backend: Harness) -> None:
    await _set_budgets(backend, EXAMPLE_BUDGETS)

    await _set_budgets(backend, [{**EXAMPLE_BUDGETS[3], "is_active": False}])
    without_u2 = _keys(await _list(backend, budget_type=USER))
    await _set_budgets(backend, [{**EXAMPLE_BUDGETS[2], "is_active": True}])
    with_u1 = _keys(await _list(backend, budget_type=USER))

    assert without_u2 == []
    assert with_u1 == [(USER, "u1")]


async def test_budgets_entity_order(backend: Harness) -> None:
    users = ["u2", "u10", "U2", "u1"]
    features = ["chat_reply", "chat.reply", "Chat"]
    await _set_budgets(
        backend,
        [{"budget_type": USER, "entity_id": u, "daily_limit_usd": Decimal(1)} for u in users]
        + [
            {"budget_type": FEATURE, "entity_id": f, "daily_limit_usd": Decimal(1)}
            for f in features
        ]
        + [{"budget_type": TENANT, "daily_limit_usd": Decimal(1)}],
    )

    assert _keys(await _list(backend)) == [
        (FEATURE, "Chat"),
        (FEATURE, "chat.reply"),
        (FEATURE, "chat_reply"),
        (TENANT, None),
        (USER, "U2"),
        (USER, "u1"),
        (USER, "u10"),
        (USER, "u2"),
    ]


async def test_budgets_other_tenant(backend: Harness) -> None:
    await _set_budgets(backend, EXAMPLE_BUDGETS)
    await _set_budgets(
        backend,
        [
            {"budget_type": USER, "entity_id": "u1", "daily_limit_usd": Decimal("50")},
            {"budget_type": USER, "entity_id": "u3", "daily_limit_usd": Decimal("50")},
        ],
        "t2",
    )

    assert _keys(await _list(backend)) == [(FEATURE, "chat.reply"), (TENANT, None), (USER, "u2")]
    assert _keys(await _list(backend, "t2")) == [(USER, "u1"), (USER, "u3")]
    assert {budget.tenant_id for budget in await _list(backend, "t2")} == {"t2"}


async def test_budgets_limit_first_rows(backend: Harness) -> None:
    await _set_budgets(backend, EXAMPLE_BUDGETS)

    assert _keys(await _list(backend, limit=2)) == [(FEATURE, "chat.reply"), (TENANT, None)]
    assert _keys(await _list(backend, limit=1)) == [(FEATURE, "chat.reply")]
    assert len(await _list(backend, limit=10_000)) == 3


async def test_budgets_default_limit(backend: Harness) -> None:
    await _set_budgets(
        backend,
        [
            {"budget_type": USER, "entity_id": f"u{n:04d}", "daily_limit_usd": Decimal(1)}
            for n in range(1001)
        ],
    )

    listed = await _list(backend)

    assert len(listed) == 1000
    assert listed[-1].entity_id == "u0999"


async def test_budgets_empty(backend: Harness) -> None:
    assert await _list(backend) == []


async def test_budgets_session_time_zone(backend: Harness) -> None:
    backend.clock.now = CLOCK

    for index, units in enumerate(session_time_zone_units(backend)):
        tenant_id = f"tz{index}"
        async with units as factory:
            async with factory() as uow:
                for budget in EXAMPLE_BUDGETS:
                    await uow.cost_writes.create_or_update_budget(tenant_id, **budget)
            async with factory() as uow:
                listed = await uow.cost_anomalies.list_active_budgets(tenant_id)

        assert _keys(listed) == [(FEATURE, "chat.reply"), (TENANT, None), (USER, "u2")]
        assert {budget.created_at for budget in listed} == {CLOCK}


LIST_INVALID = [
    pytest.param({"budget_type": "team"}, "budget_type", id="team"),
    pytest.param({"budget_type": "Tenant"}, "budget_type", id="wrong-case"),
    pytest.param({"limit": 0}, "limit", id="zero-limit"),
    pytest.param({"limit": 10_001}, "limit", id="limit-over-max"),
    pytest.param({"limit": -1}, "limit", id="negative-limit"),
    pytest.param({"limit": True}, "limit", id="bool-limit"),
    pytest.param({"limit": 10.0}, "limit", id="float-limit"),
]


@pytest.mark.parametrize(("changes", "field"), LIST_INVALID)
async def test_budgets_invalid(backend: Harness, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _list(backend, **changes)

    assert raised.value.field == field


@pytest.mark.parametrize("tenant_id", INVALID_TENANT_IDS)
async def test_budgets_invalid_tenant(backend: Harness, tenant_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await _list(backend, tenant_id)

    assert raised.value.field == "tenant_id"
