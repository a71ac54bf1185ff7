"""Pricer: offline price estimates from the genai-prices data bundled with the package."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import genai_prices
import pytest
from genai_prices import data_snapshot, update_prices

from analytics.domain import CostSource, NewCostRecord
from analytics.engines.pricing import PricedCost, Pricer

AT = datetime(2024, 11, 5, 12, tzinfo=UTC)


def record(model: str, input_tokens: int, output_tokens: int, at: datetime = AT) -> NewCostRecord:
    """Build a cost record whose cost is still to be priced."""
    return NewCostRecord(
        occurred_at=at,
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=Decimal(0),
    )


@pytest.fixture(autouse=True)
def no_price_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything starts the package's network price updates."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the pricer must not start genai-prices updates")

    monkeypatch.setattr(update_prices.UpdatePrices, "start", refuse)
    monkeypatch.setattr(update_prices.UpdatePrices, "__enter__", refuse)


def test_gpt_4o_mini_priced() -> None:
    priced = Pricer().price(record("gpt-4o-mini", 4808, 10))

    assert priced == PricedCost(Decimal("0.0007272"), CostSource.ESTIMATED, "openai:gpt-4o-mini")


def test_provider_narrows_lookup() -> None:
    assert Pricer(provider_id="openai").price(record("gpt-4o-mini", 4808, 10)).price_ref == (
        "openai:gpt-4o-mini"
    )
    narrowed = Pricer().price(record("gpt-4o-mini", 4808, 10), provider_id="anthropic")
    assert narrowed.cost_source is CostSource.UNPRICED


def test_price_in_force_at_call_time() -> None:
    # o3's input price fell from 10 to 2 USD per million tokens on 2025-06-10.
    pricer = Pricer()
    before = pricer.price(record("o3", 1_000_000, 0, datetime(2025, 6, 9, 23, tzinfo=UTC)))
    after = pricer.price(record("o3", 1_000_000, 0, datetime(2025, 6, 10, 1, tzinfo=UTC)))

    assert before.cost_usd == Decimal(10)
    assert after.cost_usd == Decimal(2)


def test_unknown_model_unpriced() -> None:
    priced = Pricer().price(record("in-house-llm", 500, 40))

    assert priced == PricedCost(Decimal(0), CostSource.UNPRICED, None)


def test_unpriced_model_looked_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_calc_price = genai_prices.calc_price

    def counting_calc_price(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["model_ref"])
        return real_calc_price(*args, **kwargs)

    monkeypatch.setattr(genai_prices, "calc_price", counting_calc_price)
    pricer = Pricer()
    for _ in range(3):
        pricer.price(record("in-house-llm", 500, 40))
    pricer.price(record("in-house-llm", 500, 40), provider_id="openai")

    assert calls == ["in-house-llm", "in-house-llm"]
    assert pricer.unpriced_counts == {"in-house-llm": 4}


def test_unpriced_warning_once_per_model(caplog: pytest.LogCaptureFixture) -> None:
    pricer = Pricer()
    with caplog.at_level(logging.WARNING, logger="analytics.engines.pricing"):
        pricer.price(record("in-house-llm", 1, 1))
        pricer.price(record("in-house-llm", 1, 1), provider_id="openai")
        pricer.price(record("other-llm", 1, 1))

    messages = [entry.getMessage() for entry in caplog.records]
    assert len(messages) == 2
    assert "'in-house-llm'" in messages[0]
    assert "'other-llm'" in messages[1]


def test_bundled_prices_only() -> None:
    Pricer().price(record("gpt-4o-mini", 4808, 10))

    assert data_snapshot.get_snapshot().from_auto_update is False
