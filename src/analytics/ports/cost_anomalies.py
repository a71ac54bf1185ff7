"""Port for the inputs and bookkeeping of cost spike, drift and budget detection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from analytics.domain import (
    AnomalySeverity,
    AnomalyType,
    BreachRecord,
    BreachStreak,
    BreachType,
    Budget,
    CostAnomaly,
    DailySpendSummary,
    DriftObservation,
    DriftTracker,
    EntityDailySpendSummary,
    EntityDayActivity,
    EntityDimension,
    EntitySpend,
    EntityType,
    FeatureConcentration,
    NewAnomaly,
    NewBreach,
    PromptComparison,
    RequestComparison,
    RetryComparison,
    WriteResult,
)


class CostAnomalyDriver(Protocol):
    """Everything the cost-anomaly detector reads and records.

    It reads per-entity and tenant-wide spend for spike rules, day-range
    averages for drift, and spend for budget checks. It keeps breach history and
    drift trackers consistent, compares a day with the day before for cause
    derivation, lists budgets and stores anomalies. Thresholds and decisions
    stay in the engine: this port only counts, sums and keeps bookkeeping rows.

    Days are local calendar days of the IANA zone ``tz`` (23, 24 or 25 hours
    long). A day range is ``start_day`` included to ``end_day`` excluded, at
    most 400 days unless a method states another bound. Money is Decimal USD
    with nine decimal places. Sums are exact over stored nano-dollars, and
    averages are integer sums divided by counts, rounded half-even to a whole
    nano-dollar.
    Synthetic cost records are left out unless ``include_synthetic`` is true.

    Entity rule, for every method taking ``entity_type`` or ``budget_type`` with
    ``entity_id``: ``tenant`` requires ``entity_id=None``, and ``user`` or
    ``feature`` require a valid identifier. Anything else raises InvalidInput on
    ``entity_id``, so a missing id never widens a scope to the whole tenant.
    ``user`` scopes cost records by ``user_id`` and ``feature`` by an exact,
    case-sensitive ``feature_tag``.
    """

    async def fetch_entity_baseline(
        self,
        tenant_id: str,
        *,
        dimension: EntityDimension,
        start_day: date,
        end_day: date,
        tz: str = "UTC",
        entity_ids: Sequence[str] | None = None,
        limit: int = 1000,
        include_synthetic: bool = False,
    ) -> list[EntityDailySpendSummary]:
        """Summarise each entity's spend over a day range.

        Groups cost records by the dimension's column and skips records where it
        is null. Each row has ``total_usd``, ``requests``, ``active_days`` (local
        days with a record of the entity), ``calendar_days`` and both averages.
        Entities with zero total are still returned. With ``entity_ids`` (up to
        1,000, duplicates ignored, a bare ``str`` rejected) only those entities
        are read, each gets exactly one row (zeros and
        ``avg_per_active_day_usd=None`` when it has no records) and ``limit``
        is ignored.
        Order: ``total_usd`` descending, ``requests`` descending, ``entity_id``
        ascending by code point. ``limit`` defaults to 1,000, maximum 10,000.
        Returns ``[]`` when nothing matches.

        Raises InvalidInput for a bad argument, a range over 400 days, more than
        1,000 ``entity_ids`` or an invalid id (``entity_ids[i]``).
        """
        ...

    async def fetch_entity_today_spend(
        self,
        tenant_id: str,
        *,
        dimension: EntityDimension,
        day: date,
        tz: str = "UTC",
        limit: int = 1000,
        include_synthetic: bool = False,
    ) -> list[EntitySpend]:
        """Sum spend and count records per entity on one local day.

        Both bounds of the day apply, and records whose dimension column is
        null are skipped. Entities with records but zero spend are included.
        Order: ``spend_usd`` descending, ``requests`` descending, ``entity_id``
        ascending by code point. ``limit`` defaults to 1,000, maximum 10,000.
        Returns ``[]`` when the day has no matching records.

        Raises InvalidInput for a bad argument.
        """
        ...

    async def fetch_tenant_baseline(
        self,
        tenant_id: str,
        *,
        start_day: date,
        end_day: date,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> DailySpendSummary:
        """Summarise the whole tenant's spend over a day range, for the spike rule.

        Returns ``total_usd``, ``requests``, ``active_days`` (local days with at
        least one record, cost 0 included), ``calendar_days``,
        ``avg_per_active_day_usd`` and ``avg_per_calendar_day_usd``. The same
        contract as ``fetch_baseline_avg``, and both give equal results. Never
        ``None``: without records the totals are zero and
        ``avg_per_active_day_usd`` is ``None``.

        Raises InvalidInput for a bad argument or a range over 400 days.
        """
        ...

    async def fetch_tenant_today_spend(
        self,
        tenant_id: str,
        *,
        day: date,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> Decimal:
        """Sum the whole tenant's spend on one local day.

        Equal to ``fetch_daily_spend`` with ``budget_type=tenant``. Returns
        ``Decimal('0E-9')`` when the day has no records.

        Raises InvalidInput for a bad argument.
        """
        ...

    async def fetch_rolling_avg(
        self,
        tenant_id: str,
        *,
        last_day: date,
        days: int = 7,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> DailySpendSummary:
        """Summarise the tenant's spend over the ``days`` local days ending with ``last_day``.

        The range is ``last_day - (days - 1)`` to ``last_day + 1``. The result
        carries both averages and divides by no hidden constant. When
        ``last_day`` is today it still counts as one calendar day. Empty as
        ``fetch_tenant_baseline``.

        Raises InvalidInput for a bad argument or ``days`` outside 1..400.
        """
        ...

    async def fetch_baseline_avg(
        self,
        tenant_id: str,
        *,
        start_day: date,
        end_day: date,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> DailySpendSummary:
        """Summarise the whole tenant's spend over a day range, for the drift rule.

        Exactly the contract of ``fetch_tenant_baseline``. The caller picks the
        average (per active day or per calendar day) and should use the same
        choice for the rolling and the baseline window.

        Raises InvalidInput for a bad argument or a range over 400 days.
        """
        ...

    async def fetch_daily_spend(
        self,
        tenant_id: str,
        *,
        day: date,
        tz: str = "UTC",
        budget_type: EntityType = EntityType.TENANT,
        entity_id: str | None = None,
        include_synthetic: bool = False,
    ) -> Decimal:
        """Sum spend on one local day in a budget's scope.

        ``tenant`` sums all records, ``user`` the records of ``user_id =
        entity_id`` and ``feature`` those of ``feature_tag = entity_id``.
        Returns ``Decimal('0E-9')`` when nothing matches.

        Raises InvalidInput for a bad argument or a break of the entity rule.
        """
        ...

    async def fetch_monthly_spend(
        self,
        tenant_id: str,
        *,
        month_start: date,
        tz: str = "UTC",
        budget_type: EntityType = EntityType.TENANT,
        entity_id: str | None = None,
        include_synthetic: bool = False,
    ) -> Decimal:
        """Sum spend in the local calendar month starting on ``month_start``.

        Scopes records as ``fetch_daily_spend`` does. Both bounds of the month
        apply. Returns ``Decimal('0E-9')`` when nothing matches.

        Raises InvalidInput for a bad argument, ``month_start`` not on the first
        of a month, or a break of the entity rule.
        """
        ...

    async def fetch_breach_exists_today(
        self,
        tenant_id: str,
        *,
        entity_type: EntityType,
        entity_id: str | None,
        breach_type: BreachType,
        day: date,
    ) -> bool:
        """Report whether a breach is recorded for the entity, breach type and day.

        Reads breach history by its unique key and compares ``breach_date`` with
        ``day`` as plain dates. Tenant-level breaches use ``entity_type=tenant``
        and ``entity_id=None``.

        Raises InvalidInput for a bad argument or a break of the entity rule.
        """
        ...

    async def insert_breach_history(
        self,
        tenant_id: str,
        *,
        breach: NewBreach,
    ) -> WriteResult[BreachRecord]:
        """Record idempotently that an entity breached on a day.

        The key is ``(entity_type, entity_id, breach_type, breach_date)``. A new
        key is inserted (``created``, id ``bh_…``, clock timestamps). An existing
        row with the same ``deviation_pct``, ``current_value_usd`` and
        ``baseline_value_usd`` is left alone (``unchanged``). Otherwise those
        three values are replaced and ``updated_at`` moves (``updated``), but
        ``id`` and ``created_at`` are kept. Money is rounded half-even to 1e-9 USD and the
        percentage to six places. One upsert statement, so concurrent detectors
        never create two rows, and no prior ``fetch_breach_exists_today`` is needed.

        Raises InvalidInput for a break of the entity rule, negative money or
        ``abs(deviation_pct)`` above 10^12.
        """
        ...

    async def insert_breach_histories(
        self,
        tenant_id: str,
        *,
        breaches: Sequence[NewBreach],
    ) -> list[WriteResult[BreachRecord]]:
        """Record many breaches idempotently, each as ``insert_breach_history`` does.

        Returns one result per item, in input order, equal to what calling
        ``insert_breach_history`` for each item in turn would return. An item
        that repeats an earlier item's key with equal values gets ``unchanged``
        and the earlier item's record, as a repeated call would. ``breaches``
        contains 0 to 1,000 items, and ``[]`` returns ``[]`` without touching the
        database. The batch takes one upsert statement, plus one read when some
        rows are left unchanged, in one savepoint. The upsert settles each key
        conflict in the database, so concurrent detectors never create two rows.

        Raises InvalidInput for a bad argument, more than 1,000 items
        (``breaches``), an invalid item (``breaches[i].<field>``, lowest ``i``
        first) or an item that repeats an earlier item's key with other values
        (``breaches[i]`` and its first differing field). Nothing of the batch is
        written then.
        """
        ...

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
        """Count the run of consecutive breach dates that ends on ``day``.

        Returns 0 when there is no breach on ``day``, otherwise 1 plus the
        directly preceding days that also have one, stopping at the first
        missing day. Only dates from ``day - (max_days - 1)`` to ``day`` are read,
        so the result is between 0 and ``max_days``. ``max_days`` defaults to 7,
        maximum 366.

        Raises InvalidInput for a bad argument, a break of the entity rule or
        ``max_days`` outside 1..366.
        """
        ...

    async def fetch_drift_tracking(
        self,
        tenant_id: str,
        *,
        entity_type: EntityType,
        entity_id: str | None,
    ) -> DriftTracker | None:
        """Return the entity's active drift tracker, or ``None``.

        An entity has at most one active tracker. Inactive trackers are history
        and are never returned.

        Raises InvalidInput for a bad argument or a break of the entity rule.
        """
        ...

    async def update_drift_tracking(
        self,
        tenant_id: str,
        *,
        tracker_id: str,
        observation: DriftObservation,
        day: date,
    ) -> WriteResult[DriftTracker]:
        """Apply one day's drift observation to an active tracker.

        Let ``L`` be the stored ``last_check_date``. ``day == L`` keeps the
        streak and replaces the measured values if they differ (``updated``,
        otherwise ``unchanged``). ``day == L + 1`` adds one to
        ``drift_days_count``, and a later day restarts the streak at 1 from
        ``day``. Both of those set ``last_check_date = day`` and replace the
        values (``updated``). The
        counter is set in one statement, so concurrent detectors never
        double-count. ``updated_at`` is the clock time when anything changes.

        Raises InvalidInput for a bad argument, negative money or a percentage
        out of bounds. Raises NotFound when the tracker does not exist for the
        tenant or is inactive, and Conflict(reason="stale") when ``day`` is
        before ``L``.
        """
        ...

    async def insert_drift_tracking(
        self,
        tenant_id: str,
        *,
        entity_type: EntityType,
        entity_id: str | None,
        observation: DriftObservation,
        day: date,
    ) -> WriteResult[DriftTracker]:
        """Start a drift tracker for an entity on ``day``.

        Creates an active tracker (``created``, id ``dt_…``) with
        ``drift_days_count = 1`` and ``first_drift_date = last_check_date = day``.
        When an active tracker already exists with ``last_check_date == day``,
        the call is a same-day re-observation handled like
        ``update_drift_tracking`` (``unchanged`` or ``updated``), so racing
        detectors end with one tracker.

        Raises InvalidInput for a bad argument, a break of the entity rule, or
        money or percentage out of bounds. Raises Conflict(reason="active_exists")
        when the active tracker was last checked before ``day``, and
        Conflict(reason="stale") when after it. Continue an existing tracker
        with ``update_drift_tracking`` or end it with ``reset_drift_tracking``.
        """
        ...

    async def reset_drift_tracking(
        self,
        tenant_id: str,
        *,
        entity_type: EntityType,
        entity_id: str | None,
    ) -> DriftTracker | None:
        """End the entity's drift episode by deactivating its active tracker.

        Sets ``is_active = False`` and ``deactivated_at`` and ``updated_at`` to
        the clock time, and returns the deactivated tracker. Returns ``None``
        and writes nothing when no tracker is active, so a second call is
        harmless. Rows are never deleted.

        Raises InvalidInput for a bad argument or a break of the entity rule.
        """
        ...

    async def fetch_retry_comparison(
        self,
        tenant_id: str,
        *,
        day: date,
        tz: str = "UTC",
        entity_type: EntityType = EntityType.TENANT,
        entity_id: str | None = None,
        include_synthetic: bool = False,
    ) -> RetryComparison:
        """Compare retry shares of local day ``day`` and the day before.

        Per day: ``requests`` counts cost records, ``retries`` those written
        with ``is_retry = True``, and ``share`` is ``retries / requests`` rounded
        half-even to six places, ``None`` when there are no records. The scope
        defaults to the whole tenant. Both days are full local days.

        Raises InvalidInput for a bad argument or a break of the entity rule.
        """
        ...

    async def fetch_prompt_comparison(
        self,
        tenant_id: str,
        *,
        day: date,
        tz: str = "UTC",
        entity_type: EntityType = EntityType.TENANT,
        entity_id: str | None = None,
        include_synthetic: bool = False,
    ) -> PromptComparison:
        """Compare prompt sizes of local day ``day`` and the day before.

        Per day: ``requests``, ``input_tokens`` (sum) and ``avg_input_tokens``,
        the integer sum divided by the count and rounded half-even to six
        places, ``None`` when there are no records. The scope defaults to the
        whole tenant.

        Raises InvalidInput for a bad argument or a break of the entity rule.
        """
        ...

    async def fetch_feature_concentration(
        self,
        tenant_id: str,
        *,
        day: date,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> FeatureConcentration:
        """Measure how much of one local day's spend went to the top feature tag.

        Returns total, untagged and tagged spend (total minus untagged), the
        number of distinct tags, and the top tag by spend (ties: more records,
        then tag ascending by code point). Untagged spend is never the top
        feature, and without tagged records the top tag is ``None`` with spend 0.
        ``share_of_tagged`` and ``share_of_total`` divide the top spend by tagged
        and total spend, six places, ``None`` without a top tag or when the
        denominator is zero.

        Raises InvalidInput for a bad argument.
        """
        ...

    async def fetch_request_comparison(
        self,
        tenant_id: str,
        *,
        day: date,
        tz: str = "UTC",
        entity_type: EntityType = EntityType.TENANT,
        entity_id: str | None = None,
        include_synthetic: bool = False,
    ) -> RequestComparison:
        """Count cost records on local day ``day`` and on the day before.

        Each count is 0 when the day has no records. The scope defaults to the
        whole tenant.

        Raises InvalidInput for a bad argument or a break of the entity rule.
        """
        ...

    async def list_active_budgets(
        self,
        tenant_id: str,
        *,
        budget_type: EntityType | None = None,
        limit: int = 1000,
    ) -> list[Budget]:
        """List the tenant's active budgets, optionally of one type.

        Budgets are written by ``CostWriteDriver.create_or_update_budget``.
        Order: ``budget_type`` ascending by value (``feature``, ``tenant``,
        ``user``), then ``entity_id`` ascending with the tenant-level ``None``
        first. ``limit`` defaults to 1,000, maximum 10,000. Returns ``[]`` when
        there are none.

        Raises InvalidInput for a bad argument.
        """
        ...

    async def upsert_anomaly(
        self,
        tenant_id: str,
        *,
        anomaly: NewAnomaly,
    ) -> WriteResult[CostAnomaly]:
        """Store a detected anomaly, one unresolved row per key.

        The key is ``(anomaly_type, entity_type, entity_id, budget_period,
        period_start)`` among unresolved rows, so daily and monthly budget
        anomalies never overwrite each other. No unresolved row: insert
        (``created``, id ``ca_…``, first and last detection at ``detected_at``).
        A ``detected_at`` older than the row's ``last_detected_at``, or values
        equal to the stored ones: ``unchanged``. Otherwise the measured fields,
        message, cause, budget id and metadata are replaced and
        ``last_detected_at`` moves (``updated``). A ``None`` ``incident_id``
        never clears a stored link. A resolved row is history: the next
        detection creates a new row. Money is rounded half-even to 1e-9 USD.

        Raises InvalidInput for a break of the entity rule or a budget period
        that does not match the type. It also rejects a monthly
        ``period_start`` not on the first, negative money, a percentage out of
        bounds, ``breach_count`` outside 1..366, and text or JSON over its limit.
        """
        ...

    async def upsert_anomalies(
        self,
        tenant_id: str,
        *,
        anomalies: Sequence[NewAnomaly],
    ) -> list[WriteResult[CostAnomaly]]:
        """Store many detected anomalies, each as ``upsert_anomaly`` does.

        Returns one result per item, in input order, equal to what calling
        ``upsert_anomaly`` for each item in turn would return. An item that
        repeats an earlier item's key with equal values and ``detected_at``
        gets ``unchanged`` and the earlier item's record, as a repeated call
        would. ``anomalies`` contains 0 to 1,000 items, and ``[]`` returns ``[]``
        without touching the database. The batch takes one upsert statement,
        plus one read when some rows are left unchanged, in one savepoint. Both
        run again, at most twice, for the keys whose open row another unit of
        work resolved in between. The upsert settles each key conflict in the
        database, so concurrent detectors still end with one unresolved row per
        key.

        Raises InvalidInput for a bad argument, more than 1,000 items
        (``anomalies``), an invalid item (``anomalies[i].<field>``, lowest ``i``
        first) or an item that repeats an earlier item's key with another value
        (``anomalies[i]`` and its first differing field). Nothing of the batch
        is written then.
        """
        ...

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
        """List anomalies last detected in ``[start, end)``.

        Each filter that is not ``None`` applies (``resolved=False`` is a real
        filter). Order: ``last_detected_at`` descending, then ``anomaly_type``,
        ``entity_type``, ``entity_id`` (``None`` first) and ``period_start``
        ascending, then ``id``. ``limit`` defaults to 100, maximum 1,000.
        Returns ``[]`` when nothing matches.

        Raises InvalidInput for a bad argument.
        """
        ...

    async def resolve_anomaly(
        self,
        tenant_id: str,
        *,
        anomaly_id: str,
    ) -> CostAnomaly:
        """Mark an anomaly resolved and return it.

        Sets ``resolved = True`` and ``resolved_at`` and ``updated_at`` to the
        clock time. An anomaly already resolved is returned unchanged, keeping
        its first ``resolved_at``. A later detection with the same key then
        creates a new row in ``upsert_anomaly``.

        Raises InvalidInput for a bad argument, and NotFound when the anomaly
        does not exist for the tenant.
        """
        ...

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
        """Count consecutive breach days ending on ``day`` for many entities at once.

        Batch form of ``fetch_consecutive_breaches`` in one query: each distinct
        id gets exactly one row whose ``days`` equals what that method returns,
        0 for an id without a breach on ``day``. Breaches of another type,
        entity type or tenant never join a streak. ``entity_ids`` contains 0 to
        1,000 ids, and duplicates are ignored. ``max_days`` defaults to 7,
        maximum 366.
        Order: ``entity_id`` ascending by code point. ``entity_ids=[]`` returns
        ``[]`` without touching the database.

        Raises InvalidInput for a bad argument, ``entity_type=tenant``, a bare
        ``str`` or more than 1,000 ids (``entity_ids``), an invalid id
        (``entity_ids[i]``) or ``max_days`` outside 1..366.
        """
        ...

    async def fetch_entity_day_activity(
        self,
        tenant_id: str,
        *,
        dimension: EntityDimension,
        entity_ids: Sequence[str],
        start_day: date,
        end_day: date,
        tz: str = "UTC",
        include_synthetic: bool = False,
    ) -> list[EntityDayActivity]:
        """Sum requests, retries, input tokens and spend per entity and local day.

        Batch form of ``fetch_retry_comparison``, ``fetch_prompt_comparison`` and
        ``fetch_request_comparison`` in one query. There is one row per
        requested entity and local day with at least one record. A missing row
        means zero, and the caller computes shares and averages. Each row agrees
        with those methods' ``today`` fields and ``fetch_daily_spend`` for that
        entity and day, and per entity the rows add up to
        ``fetch_entity_baseline``. ``entity_ids`` contains 0 to 1,000 ids, and
        duplicates are ignored. The range is 1 to 62 days. Order: ``entity_id``
        ascending by code point, then ``day``. ``entity_ids=[]`` returns ``[]``
        without touching the database.

        Raises InvalidInput for a bad argument, a range over 62 days (``end_day``),
        a bare ``str`` or more than 1,000 ids, or an invalid id (``entity_ids[i]``).
        """
        ...
