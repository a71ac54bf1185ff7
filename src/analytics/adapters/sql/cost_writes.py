"""The CostWriteDriver shared by the SQL backends."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from analytics.adapters.sql import cost_rows
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
from analytics.domain.money import nanos_to_usd
from analytics.ports.errors import Conflict, NotFound
from analytics.ports.validation import common, costs
from analytics.ports.validation.costs import PAYLOAD_FIELDS, CheckedCostRecord


@dataclass(frozen=True)
class BatchItem:
    """A checked record of a batch and the id of the row it is stored as.

    ``first`` is the first item of the batch with the same request id, for a later one.
    """

    index: int
    record: CheckedCostRecord
    row_id: str
    is_first: bool
    first: BatchItem | None = None


@dataclass(frozen=True)
class _StoredRecord:
    """The payload a replayed request id is compared with, and the record it returns."""

    payload: dict[str, object]
    record: CostRecord


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
        """Insert the new records and match every replay with its stored row.

        The newly inserted rows, and only those, are added to the cost rollups
        in the same savepoint, so a replay adds nothing.

        A request id repeated in the batch is inserted once, from its first
        occurrence. A payload that differs from the stored one raises
        ``Conflict`` for the lowest such index, naming ``conflict_field(index,
        field)``, and the savepoint undoes the insert.
        """
        items = self._plan(records)
        new_items = [item for item in items if item.is_first]
        recorded_at = self._session.now()

        async with self._session.atomic():
            inserted_ids = set()
            if new_items:
                inserted_ids = await self._insert_new(tenant_id, recorded_at, new_items)
            inserted = {
                item.row_id: _new_record(tenant_id, recorded_at, item)
                for item in new_items
                if item.row_id in inserted_ids
            }
            stored = await self._stored_by_request(tenant_id, items, inserted)
            return [_result(item, inserted, stored, conflict_field) for item in items]

    def _plan(self, records: Sequence[CheckedCostRecord]) -> list[BatchItem]:
        """Give every record a row id, and a repeated request id the id of its first occurrence."""
        first_items: dict[str, BatchItem] = {}
        items: list[BatchItem] = []
        for index, record in enumerate(records):
            key = record.request_id
            first = None if key is None else first_items.get(key)
            if first is not None:
                items.append(BatchItem(index, record, first.row_id, is_first=False, first=first))
                continue
            item = BatchItem(index, record, self._session.new_id("cr"), is_first=True)
            if key is not None:
                first_items[key] = item
            items.append(item)
        return items

    async def _insert_new(
        self, tenant_id: str, recorded_at: datetime, items: Sequence[BatchItem]
    ) -> set[str]:
        """Insert the items whose request id is not stored, add them to the rollups, return ids.

        ``items`` is never empty.

        Each backend builds this from its own fastest statements: one statement
        on Postgres, and on SQLite one INSERT plus one upsert per rollup.
        """
        raise NotImplementedError("each backend's cost write driver inserts cost records")

    async def _stored_by_request(
        self, tenant_id: str, items: Sequence[BatchItem], inserted: dict[str, CostRecord]
    ) -> dict[str, _StoredRecord]:
        """Return what each replayed request id is compared with, reading stored rows in one query.

        A request id repeated in the batch is compared with its first
        occurrence when that one was inserted now, and with the stored row
        otherwise.
        """
        replays: dict[str, _StoredRecord] = {}
        missing: set[str] = set()
        for item in items:
            request_id = item.record.request_id
            if request_id is None or (item.is_first and item.row_id in inserted):
                continue
            if item.first is not None and item.row_id in inserted:
                replays[request_id] = _StoredRecord(
                    item.first.record.payload(), inserted[item.row_id]
                )
            else:
                missing.add(request_id)
        if missing:
            statement = cost_rows.select_cost_records_by_request(tenant_id, sorted(missing))
            for row in await self._session.fetch_all(statement):
                replays[row.request_id] = _StoredRecord(
                    cost_rows.stored_payload(row), cost_rows.to_cost_record(row)
                )
        return replays


def _new_record(tenant_id: str, recorded_at: datetime, item: BatchItem) -> CostRecord:
    """Return the domain record of a row inserted from ``item``, as a read would return it."""
    record = item.record
    return CostRecord(
        occurred_at=record.occurred_at,
        model=record.model,
        input_tokens=record.input_tokens,
        output_tokens=record.output_tokens,
        cost_usd=nanos_to_usd(record.cost_nanos),
        cost_source=record.cost_source,
        price_ref=record.price_ref,
        user_id=record.user_id,
        feature_tag=record.feature_tag,
        request_id=record.request_id,
        workflow_id=record.workflow_id,
        skill_id=record.skill_id,
        is_retry=record.is_retry,
        is_synthetic=record.is_synthetic,
        id=item.row_id,
        tenant_id=tenant_id,
        recorded_at=recorded_at,
    )


def _result(
    item: BatchItem,
    inserted: dict[str, CostRecord],
    stored: dict[str, _StoredRecord],
    conflict_field: Callable[[int, str], str],
) -> WriteResult[CostRecord]:
    """Return the outcome of one batch item, or raise ``Conflict`` for a different payload."""
    request_id = item.record.request_id
    if item.is_first and item.row_id in inserted:
        return WriteResult(record=inserted[item.row_id], outcome=WriteOutcome.CREATED)

    assert request_id is not None, "only a record with a request id can be a replay"
    replayed = stored[request_id]
    field = first_difference(item.record.payload(), replayed.payload, PAYLOAD_FIELDS)
    if field is not None:
        raise Conflict(
            "cost_record",
            request_id,
            "payload_mismatch",
            field=conflict_field(item.index, field),
            detail="the request id is already stored with another payload, so use a new request id",
        )
    return WriteResult(record=replayed.record, outcome=WriteOutcome.UNCHANGED)


def _field_of_record(_index: int, field: str) -> str:
    return field


def _field_of_batch_item(index: int, field: str) -> str:
    return f"records[{index}].{field}"
