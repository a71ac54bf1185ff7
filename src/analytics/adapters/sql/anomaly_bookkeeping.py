"""Breach history, drift trackers, budgets and anomalies of the cost-anomaly driver."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import date, datetime
from typing import TypeVar

from analytics.adapters.sql import anomalies, breaches, cost_rows, drift_trackers
from analytics.adapters.sql.session import SqlSession
from analytics.domain import (
    AnomalySeverity,
    AnomalyType,
    BreachRecord,
    BreachStreak,
    BreachType,
    Budget,
    CostAnomaly,
    DriftObservation,
    DriftTracker,
    EntityType,
    NewAnomaly,
    NewBreach,
    WriteOutcome,
    WriteResult,
)
from analytics.ports.errors import BackendUnavailable, NotFound
from analytics.ports.validation import anomalies as check
from analytics.ports.validation import common
from analytics.ports.validation.anomalies import (
    CheckedAnomaly,
    CheckedBreach,
    CheckedObservation,
    EntityRef,
)

# Another unit of work can resolve or deactivate the conflicting row between the
# insert and the read that follows it. The insert and the read then run again.
_UPSERT_ATTEMPTS = 3


KeyT = TypeVar("KeyT", bound=Hashable)
ItemT = TypeVar("ItemT")
RecordT = TypeVar("RecordT")


def _outcome(row_id: str, new_id: str) -> WriteOutcome:
    return WriteOutcome.CREATED if row_id == new_id else WriteOutcome.UPDATED


def _first_per_key(items: Sequence[ItemT], key_of: Callable[[ItemT], KeyT]) -> dict[KeyT, ItemT]:
    """Return the first item of each key, in the order the keys first occur."""
    first: dict[KeyT, ItemT] = {}
    for item in items:
        first.setdefault(key_of(item), item)
    return first


def _in_input_order(
    items: Sequence[ItemT],
    key_of: Callable[[ItemT], KeyT],
    results: Mapping[KeyT, WriteResult[RecordT]],
) -> list[WriteResult[RecordT]]:
    """Return each item's result, ``unchanged`` for an item whose key occurred before."""
    ordered: list[WriteResult[RecordT]] = []
    seen: set[KeyT] = set()
    for item in items:
        key = key_of(item)
        result = results[key]
        if key in seen:
            result = WriteResult(record=result.record, outcome=WriteOutcome.UNCHANGED)
        seen.add(key)
        ordered.append(result)
    return ordered


class SqlAnomalyBookkeeping:
    """Breach history, drift trackers, budgets and anomalies of the cost-anomaly driver."""

    def __init__(self, session: SqlSession) -> None:
        self._session = session

    async def fetch_breach_exists_today(
        self,
        tenant_id: str,
        *,
        entity_type: EntityType,
        entity_id: str | None,
        breach_type: BreachType,
        day: date,
    ) -> bool:
        tenant = common.tenant(tenant_id)
        entity = check.entity(entity_type, entity_id)
        checked_type = common.enum_member("breach_type", breach_type, BreachType)
        checked_day = common.calendar_date("day", day)

        statement = breaches.select_breach(tenant, entity, checked_type, checked_day)
        return await self._session.fetch_optional(statement) is not None

    async def insert_breach_history(
        self,
        tenant_id: str,
        *,
        breach: NewBreach,
    ) -> WriteResult[BreachRecord]:
        tenant = common.tenant(tenant_id)
        checked = check.new_breach(breach)

        (result,) = await self._store_breaches(tenant, [checked])
        return result

    async def insert_breach_histories(
        self,
        tenant_id: str,
        *,
        breaches: Sequence[NewBreach],
    ) -> list[WriteResult[BreachRecord]]:
        tenant = common.tenant(tenant_id)
        checked = check.new_breaches(breaches)
        if not checked:
            return []

        return await self._store_breaches(tenant, checked)

    async def _store_breaches(
        self, tenant: str, items: Sequence[CheckedBreach]
    ) -> list[WriteResult[BreachRecord]]:
        """Record each key's breach, all keys in one upsert.

        Items of one key carry equal values (the validation checks it), so the
        first one is written and the later ones are reported ``unchanged``.
        """
        first_items = _first_per_key(items, breaches.key_of)
        async with self._session.atomic():
            results = await self._upsert_breaches(tenant, sorted(first_items), first_items)
        return _in_input_order(items, breaches.key_of, results)

    async def _upsert_breaches(
        self,
        tenant: str,
        keys: Sequence[breaches.BreachKey],
        items: Mapping[breaches.BreachKey, CheckedBreach],
    ) -> dict[breaches.BreachKey, WriteResult[BreachRecord]]:
        """Run the upsert for some keys and read the rows that it left unchanged."""
        new_ids = {key: self._session.new_id("bh") for key in keys}
        now = self._session.now()
        rows = [breaches.breach_row(tenant, new_ids[key], items[key], now) for key in keys]

        statement = breaches.upsert_breaches(self._session.dialect)
        returned = (await self._session.execute(statement, rows)).all()
        results: dict[breaches.BreachKey, WriteResult[BreachRecord]] = {}
        for row in returned:
            key = breaches.row_key(row)
            outcome = _outcome(row.id, new_ids[key])
            results[key] = WriteResult(record=breaches.to_breach(row), outcome=outcome)

        # A row is never deleted, so every key that the upsert skipped is stored.
        unchanged = [key for key in keys if key not in results]
        if unchanged:
            stored = await self._session.fetch_all(breaches.select_breaches(tenant, unchanged))
            for row in stored:
                results[breaches.row_key(row)] = WriteResult(
                    record=breaches.to_breach(row), outcome=WriteOutcome.UNCHANGED
                )
        return results

    async def fetch_consecutive_breaches(
        self,
        tenant_id: str,
        *,
        entity_type: EntityType,
        entity_id: str | None,
        breach_type: BreachType,
        day: date,
        max_days: int = 7,
    ) -> int:
        tenant = common.tenant(tenant_id)
        entity = check.entity(entity_type, entity_id)
        checked_type = common.enum_member("breach_type", breach_type, BreachType)
        checked_day = common.calendar_date("day", day)
        look_back = check.max_days(max_days)

        streaks = await self._streaks(
            tenant, entity.entity_type, [entity.entity_key], checked_type, checked_day, look_back
        )
        return streaks[entity.entity_key]

    async def fetch_breach_streaks(
        self,
        tenant_id: str,
        *,
        entity_type: EntityType,
        entity_ids: Sequence[str],
        breach_type: BreachType,
        day: date,
        max_days: int = 7,
    ) -> list[BreachStreak]:
        tenant = common.tenant(tenant_id)
        checked_entity_type = check.streak_entity_type(entity_type)
        keys = check.entity_ids(entity_ids)
        checked_type = common.enum_member("breach_type", breach_type, BreachType)
        checked_day = common.calendar_date("day", day)
        look_back = check.max_days(max_days)
        if not keys:
            return []

        streaks = await self._streaks(
            tenant, checked_entity_type, keys, checked_type, checked_day, look_back
        )
        return [BreachStreak(entity_id=key, days=streaks[key]) for key in keys]

    async def _streaks(
        self,
        tenant: str,
        entity_type: EntityType,
        keys: list[str],
        breach_type: BreachType,
        day: date,
        look_back: int,
    ) -> dict[str, int]:
        statement = breaches.select_breach_dates(
            tenant, entity_type, keys, breach_type, day, look_back
        )
        rows = await self._session.fetch_all(statement)
        return breaches.streak_lengths(rows, keys, day, look_back)

    async def fetch_drift_tracking(
        self,
        tenant_id: str,
        *,
        entity_type: EntityType,
        entity_id: str | None,
    ) -> DriftTracker | None:
        tenant = common.tenant(tenant_id)
        entity = check.entity(entity_type, entity_id)

        row = await self._session.fetch_optional(drift_trackers.select_active(tenant, entity))
        return None if row is None else drift_trackers.to_tracker(row)

    async def update_drift_tracking(
        self,
        tenant_id: str,
        *,
        tracker_id: str,
        observation: DriftObservation,
        day: date,
    ) -> WriteResult[DriftTracker]:
        tenant = common.tenant(tenant_id)
        checked_id = check.generated_id("tracker_id", tracker_id)
        checked = check.drift_observation(observation)
        checked_day = common.calendar_date("day", day)

        async with self._session.atomic():
            return await self._observe(tenant, checked_id, checked, checked_day)

    async def _observe(
        self, tenant: str, tracker_id: str, observation: CheckedObservation, day: date
    ) -> WriteResult[DriftTracker]:
        statement = drift_trackers.observe_tracker(
            tenant, tracker_id, observation, day, self._session.now()
        )
        row = await self._session.fetch_optional(statement)
        if row is not None:
            return WriteResult(record=drift_trackers.to_tracker(row), outcome=WriteOutcome.UPDATED)

        stored = await self._session.fetch_optional(
            drift_trackers.select_tracker(tenant, tracker_id)
        )
        if stored is None or not stored.is_active:
            raise NotFound("active drift tracker", tracker_id)
        if stored.last_check_date > day:
            raise drift_trackers.stale(tracker_id, day, stored.last_check_date)
        return WriteResult(record=drift_trackers.to_tracker(stored), outcome=WriteOutcome.UNCHANGED)

    async def insert_drift_tracking(
        self,
        tenant_id: str,
        *,
        entity_type: EntityType,
        entity_id: str | None,
        observation: DriftObservation,
        day: date,
    ) -> WriteResult[DriftTracker]:
        tenant = common.tenant(tenant_id)
        entity = check.entity(entity_type, entity_id)
        checked = check.drift_observation(observation)
        checked_day = common.calendar_date("day", day)

        async with self._session.atomic():
            for _ in range(_UPSERT_ATTEMPTS):
                result = await self._start_tracker(tenant, entity, checked, checked_day)
                if result is not None:
                    return result
        raise BackendUnavailable(
            "the active drift tracker changed during every insert attempt, so retry the call",
            retryable=True,
        )

    async def _start_tracker(
        self, tenant: str, entity: EntityRef, observation: CheckedObservation, day: date
    ) -> WriteResult[DriftTracker] | None:
        tracker_id = self._session.new_id("dt")
        statement = drift_trackers.insert_tracker(
            self._session.dialect, tenant, tracker_id, entity, observation, day, self._session.now()
        )
        row = await self._session.fetch_optional(statement)
        if row is not None:
            return WriteResult(record=drift_trackers.to_tracker(row), outcome=WriteOutcome.CREATED)

        active = await self._session.fetch_optional(drift_trackers.select_active(tenant, entity))
        if active is None:
            return None
        drift_trackers.require_same_day(active, day)
        return await self._observe(tenant, active.id, observation, day)

    async def reset_drift_tracking(
        self,
        tenant_id: str,
        *,
        entity_type: EntityType,
        entity_id: str | None,
    ) -> DriftTracker | None:
        tenant = common.tenant(tenant_id)
        entity = check.entity(entity_type, entity_id)

        statement = drift_trackers.deactivate_tracker(tenant, entity, self._session.now())
        async with self._session.atomic():
            row = await self._session.fetch_optional(statement)
        return None if row is None else drift_trackers.to_tracker(row)

    async def list_active_budgets(
        self,
        tenant_id: str,
        *,
        budget_type: EntityType | None = None,
        limit: int = 1000,
    ) -> list[Budget]:
        tenant = common.tenant(tenant_id)
        checked_type = common.optional_enum("budget_type", budget_type, EntityType)
        checked_limit = common.limit(limit, check.MAX_BUDGET_LIST)

        statement = anomalies.select_active_budgets(tenant, checked_type, checked_limit)
        rows = await self._session.fetch_all(statement)
        return [cost_rows.to_budget(row) for row in rows]

    async def upsert_anomaly(
        self,
        tenant_id: str,
        *,
        anomaly: NewAnomaly,
    ) -> WriteResult[CostAnomaly]:
        tenant = common.tenant(tenant_id)
        checked = check.new_anomaly(anomaly)

        (result,) = await self._store_detections(tenant, [checked])
        return result

    async def upsert_anomalies(
        self,
        tenant_id: str,
        *,
        anomalies: Sequence[NewAnomaly],
    ) -> list[WriteResult[CostAnomaly]]:
        tenant = common.tenant(tenant_id)
        checked = check.new_anomalies(anomalies)
        if not checked:
            return []

        return await self._store_detections(tenant, checked)

    async def _store_detections(
        self, tenant: str, items: Sequence[CheckedAnomaly]
    ) -> list[WriteResult[CostAnomaly]]:
        """Store each key's detection in its open anomaly, all keys in one upsert.

        Items of one key carry equal values (the validation checks it), so the
        first one is written and the later ones are reported ``unchanged``. A
        key whose open row was resolved between the upsert and the read that
        follows it is written again.
        """
        first_items = _first_per_key(items, anomalies.key_of)
        results: dict[anomalies.AnomalyKey, WriteResult[CostAnomaly]] = {}
        pending = sorted(first_items)
        async with self._session.atomic():
            for _ in range(_UPSERT_ATTEMPTS):
                results.update(await self._upsert_open(tenant, pending, first_items))
                pending = [key for key in pending if key not in results]
                if not pending:
                    return _in_input_order(items, anomalies.key_of, results)
            raise BackendUnavailable(
                "the open anomaly changed during every upsert attempt, so retry the call",
                retryable=True,
            )

    async def _upsert_open(
        self,
        tenant: str,
        keys: Sequence[anomalies.AnomalyKey],
        items: Mapping[anomalies.AnomalyKey, CheckedAnomaly],
    ) -> dict[anomalies.AnomalyKey, WriteResult[CostAnomaly]]:
        """Run the upsert for some keys and read their open rows that it left unchanged.

        A key is missing from the result when it has no open row after the upsert.
        """
        new_ids = {key: self._session.new_id("ca") for key in keys}
        now = self._session.now()
        rows = [anomalies.anomaly_row(tenant, new_ids[key], items[key], now) for key in keys]

        statement = anomalies.upsert_anomalies(self._session.dialect)
        returned = (await self._session.execute(statement, rows)).all()
        results: dict[anomalies.AnomalyKey, WriteResult[CostAnomaly]] = {}
        for row in returned:
            key = anomalies.row_key(row)
            outcome = _outcome(row.id, new_ids[key])
            results[key] = WriteResult(record=anomalies.to_anomaly(row), outcome=outcome)

        unchanged = [key for key in keys if key not in results]
        if unchanged:
            stored = await self._session.fetch_all(
                anomalies.select_open_anomalies(tenant, unchanged)
            )
            for row in stored:
                results[anomalies.row_key(row)] = WriteResult(
                    record=anomalies.to_anomaly(row), outcome=WriteOutcome.UNCHANGED
                )
        return results

    async def list_anomalies(
        self,
        tenant_id: str,
        *,
        start: datetime,
        end: datetime,
        resolved: bool | None = None,
        anomaly_type: AnomalyType | None = None,
        severity: AnomalySeverity | None = None,
        entity_type: EntityType | None = None,
        limit: int = 100,
    ) -> list[CostAnomaly]:
        tenant = common.tenant(tenant_id)
        window_start, window_end = common.window(start, end)
        filters = anomalies.AnomalyFilters(
            resolved=common.optional_boolean("resolved", resolved),
            anomaly_type=common.optional_enum("anomaly_type", anomaly_type, AnomalyType),
            severity=common.optional_enum("severity", severity, AnomalySeverity),
            entity_type=common.optional_enum("entity_type", entity_type, EntityType),
        )
        checked_limit = common.limit(limit, check.MAX_ANOMALY_LIST)

        statement = anomalies.select_anomalies(
            tenant, window_start, window_end, filters, checked_limit
        )
        rows = await self._session.fetch_all(statement)
        return [anomalies.to_anomaly(row) for row in rows]

    async def resolve_anomaly(
        self,
        tenant_id: str,
        *,
        anomaly_id: str,
    ) -> CostAnomaly:
        tenant = common.tenant(tenant_id)
        checked_id = check.generated_id("anomaly_id", anomaly_id)

        statement = anomalies.resolve_anomaly(tenant, checked_id, self._session.now())
        async with self._session.atomic():
            row = await self._session.fetch_optional(statement)
            if row is None:
                row = await self._session.fetch_optional(
                    anomalies.select_anomaly(tenant, checked_id)
                )
            if row is None:
                raise NotFound("anomaly", checked_id)
        return anomalies.to_anomaly(row)
