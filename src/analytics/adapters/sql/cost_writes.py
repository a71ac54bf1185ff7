"""The CostWriteDriver shared by the SQL backends."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from analytics.adapters.sql import cost_rollups, cost_rows
from analytics.adapters.sql.payload import first_difference
from analytics.adapters.sql.session import SqlSession
from analytics.domain import (
    UNSET,
    Budget,
    CostRecord,
    EntityType,
    FeatureTag,
    NewCostRecord,
    Unset,
    WriteOutcome,
    WriteResult,
)
from analytics.ports.errors import Conflict, NotFound
from analytics.ports.validation import common, costs
from analytics.ports.validation.costs import PAYLOAD_FIELDS, CheckedCostRecord


@dataclass(frozen=True)
class _BatchItem:
    """A checked record of a batch and the id of the row it is stored as."""

    index: int
    record: CheckedCostRecord
    row_id: str
    is_first: bool


class SqlCostWriteDriver:
    """CostWriteDriver on SQLAlchemy Core, for every SQL backend."""

    def __init__(self, session: SqlSession) -> None:
        self._session = session

    async def create_feature_tag(
        self,
        tenant_id: str,
        *,
        tag: str,
        display_name: str,
        description: str | None = None,
        budget_usd: Decimal | None = None,
    ) -> FeatureTag:
        tenant = common.tenant(tenant_id)
        values = costs.new_feature_tag(tag, display_name, description, budget_usd)

        statement = cost_rows.insert_feature_tag(
            self._session.dialect, tenant, values, self._session.now()
        )
        async with self._session.atomic():
            row = await self._session.fetch_optional(statement)
            if row is None:
                raise Conflict(
                    "feature_tag",
                    values.tag,
                    "duplicate",
                    detail="the tag already exists, so change it with update_feature_tag",
                )
        return cost_rows.to_feature_tag(row)

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
        tenant = common.tenant(tenant_id)
        key = costs.tag(tag)
        changes = costs.feature_tag_changes(display_name, description, budget_usd, is_active)

        statement = cost_rows.update_feature_tag(tenant, key, changes.given(), self._session.now())
        async with self._session.atomic():
            row = await self._session.fetch_optional(statement)
            if row is None:
                row = await self._session.fetch_optional(cost_rows.select_feature_tag(tenant, key))
            if row is None:
                raise NotFound("feature_tag", key)
        return cost_rows.to_feature_tag(row)

    async def create_cost_record(
        self,
        tenant_id: str,
        *,
        record: NewCostRecord,
    ) -> WriteResult[CostRecord]:
        tenant = common.tenant(tenant_id)
        checked = costs.cost_record(record, "record")

        (result,) = await self._store_cost_records(tenant, [checked], _field_of_record)
        return result

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
        tenant = common.tenant(tenant_id)
        budget = costs.budget(
            budget_type,
            entity_id,
            daily_limit_usd,
            monthly_limit_usd,
            warn_threshold_pct,
            hard_limit_enabled,
            is_active,
        )

        budget_id = self._session.new_id("cb")
        statement = cost_rows.upsert_budget(
            self._session.dialect, tenant, budget_id, budget, self._session.now()
        )
        async with self._session.atomic():
            row = await self._session.fetch_optional(statement)
            if row is None:
                stored = await self._session.fetch_one(cost_rows.select_budget(tenant, budget))
                return WriteResult(
                    record=cost_rows.to_budget(stored), outcome=WriteOutcome.UNCHANGED
                )

        outcome = WriteOutcome.CREATED if row.id == budget_id else WriteOutcome.UPDATED
        return WriteResult(record=cost_rows.to_budget(row), outcome=outcome)

    async def create_cost_records(
        self,
        tenant_id: str,
        *,
        records: Sequence[NewCostRecord],
    ) -> list[WriteResult[CostRecord]]:
        tenant = common.tenant(tenant_id)
        checked = costs.cost_records(records)
        if not checked:
            return []

        return await self._store_cost_records(tenant, checked, _field_of_batch_item)

    async def get_feature_tag(
        self,
        tenant_id: str,
        *,
        tag: str,
    ) -> FeatureTag | None:
        tenant = common.tenant(tenant_id)
        key = costs.tag(tag)

        row = await self._session.fetch_optional(cost_rows.select_feature_tag(tenant, key))
        return None if row is None else cost_rows.to_feature_tag(row)

    async def list_feature_tags(
        self,
        tenant_id: str,
        *,
        is_active: bool | None = None,
        limit: int = 500,
    ) -> list[FeatureTag]:
        tenant = common.tenant(tenant_id)
        active, checked_limit = costs.list_filter(is_active, limit)

        statement = cost_rows.select_feature_tags(tenant, active, checked_limit)
        rows = await self._session.fetch_all(statement)
        return [cost_rows.to_feature_tag(row) for row in rows]

    async def _store_cost_records(
        self,
        tenant_id: str,
        records: Sequence[CheckedCostRecord],
        conflict_field: Callable[[int, str], str],
    ) -> list[WriteResult[CostRecord]]:
        """Insert the new records in one statement and match every replay with its stored row.

        The newly inserted rows, and only those, are added to the cost rollups
        in the same savepoint, so a replay adds nothing.

        A request id repeated in the batch is inserted once, from its first
        occurrence. A payload that differs from the stored one raises
        ``Conflict`` for the lowest such index, naming ``conflict_field(index,
        field)``, and the savepoint undoes the insert.
        """
        items = self._plan(records)
        rows = self._new_rows(tenant_id, items)

        async with self._session.atomic():
            inserted = await self._insert(rows)
            await self._add_to_rollups(tenant_id, list(inserted.values()))
            stored = await self._stored_by_request(tenant_id, items, inserted)
            return [_result(item, inserted, stored, conflict_field) for item in items]

    def _plan(self, records: Sequence[CheckedCostRecord]) -> list[_BatchItem]:
        """Give every record a row id, and a repeated request id the id of its first occurrence."""
        first_ids: dict[str, str] = {}
        items: list[_BatchItem] = []
        for index, record in enumerate(records):
            key = record.request_id
            if key is not None and key in first_ids:
                items.append(_BatchItem(index, record, first_ids[key], is_first=False))
                continue
            row_id = self._session.new_id("cr")
            if key is not None:
                first_ids[key] = row_id
            items.append(_BatchItem(index, record, row_id, is_first=True))
        return items

    def _new_rows(self, tenant_id: str, items: Sequence[_BatchItem]) -> list[dict[str, Any]]:
        recorded_at = self._session.now()
        return [
            cost_rows.cost_record_row(tenant_id, item.row_id, recorded_at, item.record)
            for item in items
            if item.is_first
        ]

    async def _insert(self, rows: Sequence[dict[str, Any]]) -> dict[str, Row[Any]]:
        if not rows:
            return {}
        statement = cost_rows.insert_cost_records(self._session.dialect)
        returned = (await self._session.execute(statement, list(rows))).all()
        return {row.id: row for row in returned}

    async def _add_to_rollups(self, tenant_id: str, inserted: Sequence[Row[Any]]) -> None:
        dialect = self._session.dialect
        for statement, rows in cost_rollups.additions(dialect, tenant_id, inserted):
            await self._session.execute(statement, rows)

    async def _stored_by_request(
        self, tenant_id: str, items: Sequence[_BatchItem], inserted: dict[str, Row[Any]]
    ) -> dict[str, Row[Any]]:
        """Return the stored row of each request id, reading the ones not inserted in one query."""
        stored = {row.request_id: row for row in inserted.values() if row.request_id is not None}
        missing = sorted(
            {
                item.record.request_id
                for item in items
                if item.record.request_id is not None and item.row_id not in inserted
            }
        )
        if missing:
            statement = cost_rows.select_cost_records_by_request(tenant_id, missing)
            stored.update({row.request_id: row for row in await self._session.fetch_all(statement)})
        return stored


def _result(
    item: _BatchItem,
    inserted: dict[str, Row[Any]],
    stored: dict[str, Row[Any]],
    conflict_field: Callable[[int, str], str],
) -> WriteResult[CostRecord]:
    """Return the outcome of one batch item, or raise ``Conflict`` for a different payload."""
    request_id = item.record.request_id
    if request_id is None:
        row = inserted[item.row_id]
        return WriteResult(record=cost_rows.to_cost_record(row), outcome=WriteOutcome.CREATED)

    row = stored[request_id]
    field = first_difference(item.record.payload(), cost_rows.stored_payload(row), PAYLOAD_FIELDS)
    if field is not None:
        raise Conflict(
            "cost_record",
            request_id,
            "payload_mismatch",
            field=conflict_field(item.index, field),
            detail="the request id is already stored with another payload, so use a new request id",
        )

    created = item.is_first and item.row_id in inserted
    outcome = WriteOutcome.CREATED if created else WriteOutcome.UNCHANGED
    return WriteResult(record=cost_rows.to_cost_record(row), outcome=outcome)


def _field_of_record(_index: int, field: str) -> str:
    return field


def _field_of_batch_item(index: int, field: str) -> str:
    return f"records[{index}].{field}"
