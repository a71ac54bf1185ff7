"""Port for writing cost records, feature tags and budgets."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from analytics.domain import (
    UNSET,
    Budget,
    CostRecord,
    EntityType,
    FeatureTag,
    NewCostRecord,
    Unset,
    WriteResult,
)


class CostWriteDriver(Protocol):
    """Writes of metered LLM calls, feature tags and budgets, and reads of feature tags.

    Money inputs are Decimal USD, rounded half-even to 1e-9 USD and stored as
    whole nano-dollars. An ``int`` is converted exactly, and a float, NaN or
    infinity is rejected. Money outputs have exactly nine decimal places. Audit
    timestamps come from the store's clock. Partial updates use ``UNSET``: a
    parameter left ``UNSET`` is not touched, and ``None`` clears a nullable field.
    """

    async def create_feature_tag(
        self,
        tenant_id: str,
        *,
        tag: str,
        display_name: str,
        description: str | None = None,
        budget_usd: Decimal | None = None,
    ) -> FeatureTag:
        """Create an active feature tag.

        The key is ``(tenant_id, tag)``, and tags are case-sensitive. One insert that
        does nothing on conflict, so an existing tag (active or not, whatever
        its payload) is reported instead of changed. ``created_at`` and
        ``updated_at`` are the clock time.

        Raises InvalidInput for an invalid ``tag`` (max 128), ``display_name``
        (1..256), ``description`` (max 4,096) or ``budget_usd`` (above 0, at most
        1,000,000,000 USD). Raises Conflict(reason="duplicate") when the tag
        exists.
        """
        ...

    async def update_feature_tag(
        self,
        tenant_id: str,
        *,
        tag: str,
        display_name: str | Unset = UNSET,
        description: str | Unset | None = UNSET,
        budget_usd: Decimal | Unset | None = UNSET,
        is_active: bool | Unset = UNSET,
    ) -> FeatureTag:
        """Update some fields of a feature tag and return it.

        ``description=None`` and ``budget_usd=None`` clear those fields. The tag
        itself cannot be renamed. When a value changes, ``updated_at`` is the
        clock time. When nothing changes, nothing is written and the stored tag
        is returned.

        Raises InvalidInput for a bad value, when no field is given, or for
        ``None`` as ``display_name`` or ``is_active``. Raises NotFound when the
        tag does not exist for the tenant.
        """
        ...

    async def create_cost_record(
        self,
        tenant_id: str,
        *,
        record: NewCostRecord,
    ) -> WriteResult[CostRecord]:
        """Store one metered call, idempotently by ``request_id``.

        Creates a record with id ``cr_…`` and ``recorded_at`` from the clock.
        With a ``request_id`` the record is stored once per tenant: the same
        payload (compared after rounding, ``cost_source`` and ``price_ref``
        included) returns the stored record as ``unchanged``. Without a
        ``request_id`` every call creates a record. ``feature_tag`` need not
        exist as a feature tag.

        Raises InvalidInput (``record.<field>``) for tokens outside 0..1e9, cost
        outside 0..1,000,000 USD, a naive ``occurred_at``, a bad identifier,
        ``price_ref`` not set exactly when ``cost_source`` is ``estimated``, or a
        nonzero cost marked ``unpriced``. Raises
        Conflict(reason="payload_mismatch") naming the first differing field
        when the same ``request_id`` comes with another payload.
        """
        ...

    async def create_or_update_budget(
        self,
        tenant_id: str,
        *,
        budget_type: EntityType,
        entity_id: str | None = None,
        daily_limit_usd: Decimal | None = None,
        monthly_limit_usd: Decimal | None = None,
        warn_threshold_pct: int = 80,
        hard_limit_enabled: bool = False,
        is_active: bool = True,
    ) -> WriteResult[Budget]:
        """Set the budget of a tenant, user or feature to exactly the given state.

        There is at most one budget per ``(budget_type, entity_id)``, the
        tenant-level budget included. One upsert statement: a missing row is
        ``created`` (id ``cb_…``), and equal limits, threshold and flags are
        ``unchanged``. Otherwise all of them and ``updated_at`` are written
        (``updated``), but ``id`` and ``created_at`` are kept. A ``None`` limit clears it, and
        ``is_active=False`` deactivates the budget.

        Raises InvalidInput for a break of the entity rule (``tenant`` needs
        ``entity_id=None``, ``user`` and ``feature`` a valid id), no limit
        given, a limit not above 0 or above 1,000,000,000 USD, or
        ``warn_threshold_pct`` outside 1..100.
        """
        ...

    async def create_cost_records(
        self,
        tenant_id: str,
        *,
        records: Sequence[NewCostRecord],
    ) -> list[WriteResult[CostRecord]]:
        """Store a batch of metered calls atomically.

        Batch form of ``create_cost_record`` with the same validation and
        idempotency, in one multi-row statement. Results are in input order, one
        per input. A ``request_id`` repeated inside the batch with an identical
        payload is ``unchanged`` with the record of its first occurrence. On any
        error nothing of the batch is written. A batch has at most 1,000
        records, and an empty batch returns ``[]`` without touching the database.

        Raises InvalidInput naming ``records[i].<field>`` (lowest ``i`` first) or
        for more than 1,000 records. Raises Conflict(reason="payload_mismatch")
        naming ``records[i].<field>``.
        """
        ...

    async def get_feature_tag(
        self,
        tenant_id: str,
        *,
        tag: str,
    ) -> FeatureTag | None:
        """Return the feature tag, active or not, or ``None`` when it does not exist.

        Raises InvalidInput for a bad argument.
        """
        ...

    async def list_feature_tags(
        self,
        tenant_id: str,
        *,
        is_active: bool | None = None,
        limit: int = 500,
    ) -> list[FeatureTag]:
        """List the tenant's feature tags, optionally only active or only inactive ones.

        Order: ``tag`` ascending by code point, so upper case sorts first.
        ``limit`` defaults to 500, maximum 5,000. Returns ``[]`` when there are
        none.

        Raises InvalidInput for a bad argument.
        """
        ...
