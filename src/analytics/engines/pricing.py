"""Pricer: estimate the cost of an LLM call from its tokens with the genai-prices package.

Only the price data shipped with the installed package is used, and the
package's price updates are never started, so a price is offline and the same
on every run with the same package version. The price in force at the call's
``occurred_at`` applies.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import genai_prices

from analytics.domain import CostSource

logger = logging.getLogger(__name__)


class PricingInput(Protocol):
    """The fields of a metered call that its price depends on (``NewCostRecord`` has them)."""

    @property
    def model(self) -> str: ...

    @property
    def input_tokens(self) -> int: ...

    @property
    def output_tokens(self) -> int: ...

    @property
    def occurred_at(self) -> datetime: ...


@dataclass(frozen=True)
class PricedCost:
    """Cost of one call and where it came from.

    ``estimated`` costs carry ``price_ref = "<provider id>:<model id>"`` (for
    example ``openai:gpt-4o-mini``). ``unpriced`` costs are 0 with no
    ``price_ref``, so the gap is counted instead of hidden.
    """

    cost_usd: Decimal
    cost_source: CostSource
    price_ref: str | None


class Pricer:
    """Prices calls that report tokens but no cost.

    All input tokens are priced at the plain input rate, because cost records
    carry no cache-token counts. For traffic with prompt caching the estimate
    is therefore an upper bound. A model without a price costs one lookup per
    ``(model, provider)``: later calls hit a cache of misses.
    """

    def __init__(self, *, provider_id: str | None = None) -> None:
        """Create a pricer; ``provider_id`` (such as ``"openai"``) narrows every lookup."""
        self._provider_id = provider_id
        self._misses: set[tuple[str, str | None]] = set()
        self._warned_models: set[str] = set()
        self._unpriced = Counter[str]()

    @property
    def unpriced_counts(self) -> dict[str, int]:
        """Calls priced so far that found no price, per model."""
        return dict(self._unpriced)

    def price(self, call: PricingInput, *, provider_id: str | None = None) -> PricedCost:
        """Return the estimated cost of one call, or an unpriced zero cost when no price exists.

        ``provider_id`` overrides the pricer's provider for this call. The
        returned ``cost_usd`` is the package's exact ``total_price``; the port
        rounds it to whole nano-dollars when the record is stored.
        """
        provider = provider_id if provider_id is not None else self._provider_id
        key = (call.model, provider)
        if key in self._misses:
            return self._unpriced_cost(call.model)

        try:
            # NOTE: calc_price uses the bundled snapshot unless the host process
            # started genai_prices.UpdatePrices itself; this package never does.
            calculation = genai_prices.calc_price(
                genai_prices.Usage(
                    input_tokens=call.input_tokens, output_tokens=call.output_tokens
                ),
                model_ref=call.model,
                provider_id=provider,
                genai_request_timestamp=call.occurred_at,
            )
        except LookupError:
            self._misses.add(key)
            self._warn_once(call.model, provider)
            return self._unpriced_cost(call.model)

        price_ref = f"{calculation.provider.id}:{calculation.model.id}"
        return PricedCost(calculation.total_price, CostSource.ESTIMATED, price_ref)

    def _unpriced_cost(self, model: str) -> PricedCost:
        self._unpriced[model] += 1
        return PricedCost(Decimal(0), CostSource.UNPRICED, None)

    def _warn_once(self, model: str, provider: str | None) -> None:
        if model in self._warned_models:
            return
        self._warned_models.add(model)
        logger.warning(
            "No price for model %r (provider %s) in genai-prices %s; its records are stored "
            "as unpriced at cost 0. Map a reported cost for it, or pass another provider.",
            model,
            provider or "any",
            genai_prices.__version__,
        )
