"""Argument checks of the spend reads of the cost-anomaly driver.

Each function checks one method's arguments in signature order, so the first
invalid argument is the one reported, and returns them as one frozen request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from analytics.domain import EntityDimension, EntityType
from analytics.ports.validation import common as check

MAX_ENTITY_LIST = 10_000
"""Maximum ``limit`` of the per-entity lists."""

MAX_ACTIVITY_DAYS = 62
"""Maximum day range of ``fetch_entity_day_activity``."""

ENTITY_ID_LENGTH = 128


@dataclass(frozen=True)
class SpendScope:
    """Cost records a read covers: the whole tenant, or one user or feature tag."""

    entity_type: EntityType
    entity_id: str | None


TENANT_SCOPE = SpendScope(EntityType.TENANT, None)


@dataclass(frozen=True)
class DayRangeRequest:
    """Checked arguments of a read over the local days ``[start_day, end_day)``."""

    tenant_id: str
    start_day: date
    end_day: date
    tz: str
    include_synthetic: bool
    scope: SpendScope = TENANT_SCOPE


@dataclass(frozen=True)
class EntityRequest:
    """Checked arguments of a per-entity read over the local days ``[start_day, end_day)``.

    ``entity_ids`` is ``None`` when every entity is read, otherwise the
    distinct ids in binary order. ``limit`` is ``None`` for a read bounded by
    its ids and days only.
    """

    tenant_id: str
    dimension: EntityDimension
    start_day: date
    end_day: date
    tz: str
    entity_ids: list[str] | None
    limit: int | None
    include_synthetic: bool


def spend_scope(type_field: str, entity_type: object, entity_id: object) -> SpendScope:
    """Check an entity type and id against the entity rule.

    ``tenant`` takes no id, while ``user`` and ``feature`` require one, so a
    missing id never widens a read to the whole tenant.
    """
    checked_type = check.enum_member(type_field, entity_type, EntityType)
    key = check.entity_key(checked_type, entity_id, max_length=ENTITY_ID_LENGTH)
    return SpendScope(checked_type, key or None)


def day_range(
    tenant_id: object, start_day: object, end_day: object, tz: object, include_synthetic: object
) -> DayRangeRequest:
    """Check the arguments of a whole-tenant day-range summary."""
    tenant = check.tenant(tenant_id)
    first, last = check.day_range(start_day, end_day)
    zone = check.zone(tz)
    synthetic = check.boolean("include_synthetic", include_synthetic)
    return DayRangeRequest(tenant, first, last, zone, synthetic)


def rolling_days(
    tenant_id: object, last_day: object, days: object, tz: object, include_synthetic: object
) -> DayRangeRequest:
    """Check the arguments of a summary of the ``days`` local days ending with ``last_day``."""
    tenant = check.tenant(tenant_id)
    last = check.calendar_date("last_day", last_day)
    count = check.integer("days", days, 1, check.MAX_DAY_RANGE)
    zone = check.zone(tz)
    synthetic = check.boolean("include_synthetic", include_synthetic)

    start_day = last - timedelta(days=count - 1)
    return DayRangeRequest(tenant, start_day, _next_day(last), zone, synthetic)


def one_day(
    tenant_id: object, day: object, tz: object, include_synthetic: object
) -> DayRangeRequest:
    """Check the arguments of a whole-tenant read of one local day."""
    tenant = check.tenant(tenant_id)
    checked_day = check.calendar_date("day", day)
    zone = check.zone(tz)
    synthetic = check.boolean("include_synthetic", include_synthetic)
    return DayRangeRequest(tenant, checked_day, _next_day(checked_day), zone, synthetic)


def scoped_day(
    tenant_id: object,
    day: object,
    tz: object,
    type_field: str,
    entity_type: object,
    entity_id: object,
    include_synthetic: object,
) -> DayRangeRequest:
    """Check the arguments of a read of one local day in a scope.

    ``type_field`` is the parameter name of the entity type: ``budget_type``
    or ``entity_type``.
    """
    tenant = check.tenant(tenant_id)
    checked_day = check.calendar_date("day", day)
    zone = check.zone(tz)
    scope = spend_scope(type_field, entity_type, entity_id)
    synthetic = check.boolean("include_synthetic", include_synthetic)
    return DayRangeRequest(tenant, checked_day, _next_day(checked_day), zone, synthetic, scope)


def one_month(
    tenant_id: object,
    month_start: object,
    tz: object,
    budget_type: object,
    entity_id: object,
    include_synthetic: object,
) -> DayRangeRequest:
    """Check the arguments of a read of one local month in a budget's scope.

    The request's day range runs from ``month_start`` to the first of the next month.
    """
    tenant = check.tenant(tenant_id)
    first = check.month_start(month_start)
    zone = check.zone(tz)
    scope = spend_scope("budget_type", budget_type, entity_id)
    synthetic = check.boolean("include_synthetic", include_synthetic)
    return DayRangeRequest(tenant, first, _next_month(first), zone, synthetic, scope)


def entity_baseline(
    tenant_id: object,
    dimension: object,
    start_day: object,
    end_day: object,
    tz: object,
    entity_ids: object,
    limit: object,
    include_synthetic: object,
) -> EntityRequest:
    """Check the arguments of ``fetch_entity_baseline``."""
    tenant = check.tenant(tenant_id)
    checked_dimension = check.enum_member("dimension", dimension, EntityDimension)
    first, last = check.day_range(start_day, end_day)
    zone = check.zone(tz)
    ids = None if entity_ids is None else _entity_ids(entity_ids)
    checked_limit = check.limit(limit, MAX_ENTITY_LIST)
    synthetic = check.boolean("include_synthetic", include_synthetic)
    return EntityRequest(
        tenant, checked_dimension, first, last, zone, ids, checked_limit, synthetic
    )


def entity_day(
    tenant_id: object,
    dimension: object,
    day: object,
    tz: object,
    limit: object,
    include_synthetic: object,
) -> EntityRequest:
    """Check the arguments of ``fetch_entity_today_spend``."""
    tenant = check.tenant(tenant_id)
    checked_dimension = check.enum_member("dimension", dimension, EntityDimension)
    checked_day = check.calendar_date("day", day)
    zone = check.zone(tz)
    checked_limit = check.limit(limit, MAX_ENTITY_LIST)
    synthetic = check.boolean("include_synthetic", include_synthetic)

    return EntityRequest(
        tenant,
        checked_dimension,
        checked_day,
        _next_day(checked_day),
        zone,
        None,
        checked_limit,
        synthetic,
    )


def entity_day_activity(
    tenant_id: object,
    dimension: object,
    entity_ids: object,
    start_day: object,
    end_day: object,
    tz: object,
    include_synthetic: object,
) -> EntityRequest:
    """Check the arguments of ``fetch_entity_day_activity``, whose range is at most 62 days."""
    tenant = check.tenant(tenant_id)
    checked_dimension = check.enum_member("dimension", dimension, EntityDimension)
    ids = _entity_ids(entity_ids)
    first, last = check.day_range(start_day, end_day, MAX_ACTIVITY_DAYS)
    zone = check.zone(tz)
    synthetic = check.boolean("include_synthetic", include_synthetic)
    return EntityRequest(tenant, checked_dimension, first, last, zone, ids, None, synthetic)


def _entity_ids(values: object) -> list[str]:
    return check.id_list("entity_ids", values, ENTITY_ID_LENGTH)


def _next_day(day: date) -> date:
    return day + timedelta(days=1)


def _next_month(month_start: date) -> date:
    if month_start.month == 12:
        return date(month_start.year + 1, 1, 1)
    return date(month_start.year, month_start.month + 1, 1)
