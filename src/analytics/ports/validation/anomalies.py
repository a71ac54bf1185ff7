"""Value rules for breach history, drift observations and anomalies.

Each function checks one argument of a port method field by field, in field
order, and reports the first broken rule with its path (``breach.entity_id``,
``observation.drift_pct``, ``anomaly.period_start``). It returns the values
that are stored: enum members, the entity key (``''`` for the tenant),
nano-dollars, percentages in integer millionths and UTC instants.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from analytics.domain import (
    AnomalySeverity,
    AnomalyType,
    BreachType,
    BudgetPeriod,
    DerivedCause,
    DriftObservation,
    EntityType,
    NewAnomaly,
    NewBreach,
)
from analytics.ports.errors import InvalidInput
from analytics.ports.validation import common

MAX_ENTITY_ID = 128
MAX_LINK_ID = 64
MAX_GENERATED_ID = 64
MAX_MESSAGE = 2048
MAX_BREACH_COUNT = 366
MAX_LOOK_BACK_DAYS = 366
MAX_BUDGET_LIST = 10_000
MAX_ANOMALY_LIST = 1000
MAX_BATCH = 1000

MAX_OBSERVED_USD = Decimal("9223372036.854775807")
"""Largest observed spend or average, the BIGINT range of nano-dollars in which sums are exact."""

BUDGET_ANOMALY_TYPES = frozenset({AnomalyType.BUDGET_WARNING, AnomalyType.BUDGET_EXCEEDED})

# The stored values that two batch items of one key must share, each with the
# input field it comes from, in field order.
_BREACH_VALUES = (
    ("deviation_pct_e6", "deviation_pct"),
    ("current_value_nanos", "current_value_usd"),
    ("baseline_value_nanos", "baseline_value_usd"),
)
_ANOMALY_VALUES = (
    ("severity", "severity"),
    ("detected_at", "detected_at"),
    ("current_value_nanos", "current_value_usd"),
    ("expected_value_nanos", "expected_value_usd"),
    ("deviation_pct_e6", "deviation_pct"),
    ("threshold_pct_e6", "threshold_pct"),
    ("breach_count", "breach_count"),
    ("derived_cause", "derived_cause"),
    ("message", "message"),
    ("budget_id", "budget_id"),
    ("incident_id", "incident_id"),
    ("metadata", "metadata"),
)


@dataclass(frozen=True)
class EntityRef:
    """An entity of breach history or drift tracking, with its stored key ('' for the tenant)."""

    entity_type: EntityType
    entity_key: str


@dataclass(frozen=True)
class CheckedBreach:
    """A ``NewBreach`` whose values passed every rule, with money in nano-dollars."""

    entity: EntityRef
    breach_type: BreachType
    breach_date: date
    deviation_pct_e6: int
    current_value_nanos: int
    baseline_value_nanos: int


@dataclass(frozen=True)
class CheckedObservation:
    """A ``DriftObservation`` whose values passed every rule, with money in nano-dollars."""

    rolling_avg_nanos: int
    baseline_avg_nanos: int
    drift_pct_e6: int


@dataclass(frozen=True)
class CheckedAnomaly:
    """A ``NewAnomaly`` whose values passed every rule, ``detected_at`` in UTC."""

    anomaly_type: AnomalyType
    severity: AnomalySeverity
    entity: EntityRef
    budget_period: BudgetPeriod | None
    period_start: date
    detected_at: datetime
    current_value_nanos: int
    expected_value_nanos: int
    deviation_pct_e6: int
    threshold_pct_e6: int
    breach_count: int
    derived_cause: DerivedCause | None
    message: str
    budget_id: str | None
    incident_id: str | None
    metadata: dict[str, Any] | None


def entity(entity_type: object, entity_id: object, prefix: str = "") -> EntityRef:
    """Check an entity type and id under the entity rule: only user and feature take an id."""
    checked_type = common.enum_member(f"{prefix}entity_type", entity_type, EntityType)
    key = common.entity_key(checked_type, entity_id, f"{prefix}entity_id", MAX_ENTITY_ID)
    return EntityRef(checked_type, key)


def observed_money(field: str, value: object) -> int:
    """Check an observed spend or average (``>= 0``) and return it in nano-dollars."""
    return common.money(field, value, maximum=MAX_OBSERVED_USD)


def new_breach(value: object, field: str = "breach") -> CheckedBreach:
    """Check a ``NewBreach`` argument and return its stored values."""
    common.model_instance(field, value, NewBreach)
    assert isinstance(value, NewBreach)

    return CheckedBreach(
        entity=entity(value.entity_type, value.entity_id, f"{field}."),
        breach_type=common.enum_member(f"{field}.breach_type", value.breach_type, BreachType),
        breach_date=common.calendar_date(f"{field}.breach_date", value.breach_date),
        deviation_pct_e6=common.percent_e6(f"{field}.deviation_pct", value.deviation_pct),
        current_value_nanos=observed_money(f"{field}.current_value_usd", value.current_value_usd),
        baseline_value_nanos=observed_money(
            f"{field}.baseline_value_usd", value.baseline_value_usd
        ),
    )


def new_breaches(values: object) -> list[CheckedBreach]:
    """Check a batch of at most 1,000 breaches, where items of one key must be equal."""
    return _checked_batch("breaches", values, NewBreach, new_breach, breach_key, _BREACH_VALUES)


def breach_key(breach: CheckedBreach) -> tuple[EntityRef, BreachType, date]:
    """Return the key of a breach row: entity, breach type and day."""
    return (breach.entity, breach.breach_type, breach.breach_date)


def drift_observation(value: object, field: str = "observation") -> CheckedObservation:
    """Check a ``DriftObservation`` argument and return its stored values."""
    common.model_instance(field, value, DriftObservation)
    assert isinstance(value, DriftObservation)

    return CheckedObservation(
        rolling_avg_nanos=observed_money(f"{field}.rolling_avg_usd", value.rolling_avg_usd),
        baseline_avg_nanos=observed_money(f"{field}.baseline_avg_usd", value.baseline_avg_usd),
        drift_pct_e6=common.percent_e6(f"{field}.drift_pct", value.drift_pct),
    )


def new_anomaly(value: object, field: str = "anomaly") -> CheckedAnomaly:
    """Check a ``NewAnomaly`` argument and return its stored values."""
    common.model_instance(field, value, NewAnomaly)
    assert isinstance(value, NewAnomaly)

    anomaly_type = common.enum_member(f"{field}.anomaly_type", value.anomaly_type, AnomalyType)
    severity = common.enum_member(f"{field}.severity", value.severity, AnomalySeverity)
    checked_entity = entity(value.entity_type, value.entity_id, f"{field}.")
    period = budget_period(f"{field}.budget_period", anomaly_type, value.budget_period)
    start = period_start(f"{field}.period_start", period, value.period_start)

    return CheckedAnomaly(
        anomaly_type=anomaly_type,
        severity=severity,
        entity=checked_entity,
        budget_period=period,
        period_start=start,
        detected_at=common.instant(f"{field}.detected_at", value.detected_at),
        current_value_nanos=observed_money(f"{field}.current_value_usd", value.current_value_usd),
        expected_value_nanos=observed_money(
            f"{field}.expected_value_usd", value.expected_value_usd
        ),
        deviation_pct_e6=common.percent_e6(f"{field}.deviation_pct", value.deviation_pct),
        threshold_pct_e6=common.percent_e6(f"{field}.threshold_pct", value.threshold_pct),
        breach_count=common.integer(
            f"{field}.breach_count", value.breach_count, 1, MAX_BREACH_COUNT
        ),
        derived_cause=common.optional_enum(
            f"{field}.derived_cause", value.derived_cause, DerivedCause
        ),
        message=common.free_text(f"{field}.message", value.message, MAX_MESSAGE),
        budget_id=common.optional_identifier(f"{field}.budget_id", value.budget_id, MAX_LINK_ID),
        incident_id=common.optional_identifier(
            f"{field}.incident_id", value.incident_id, MAX_LINK_ID
        ),
        metadata=common.optional_json_object(f"{field}.metadata", value.metadata),
    )


def new_anomalies(values: object) -> list[CheckedAnomaly]:
    """Check a batch of at most 1,000 anomalies, where items of one key must be equal."""
    return _checked_batch(
        "anomalies", values, NewAnomaly, new_anomaly, anomaly_key, _ANOMALY_VALUES
    )


def anomaly_key(
    anomaly: CheckedAnomaly,
) -> tuple[AnomalyType, EntityRef, BudgetPeriod | None, date]:
    """Return the key of an unresolved anomaly: type, entity, budget period and period start."""
    return (anomaly.anomaly_type, anomaly.entity, anomaly.budget_period, anomaly.period_start)


CheckedT = TypeVar("CheckedT", CheckedBreach, CheckedAnomaly)


def _checked_batch(
    field: str,
    values: object,
    model: type[Any],
    check_item: Callable[[object, str], CheckedT],
    key: Callable[[CheckedT], Hashable],
    compared: Sequence[tuple[str, str]],
) -> list[CheckedT]:
    """Check every item of a batch and that a repeated key repeats the same values.

    The lowest index with a broken rule is reported, as ``<field>[i].<name>``.
    """
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise InvalidInput(field, values, f"must be a list of {model.__name__}")
    if len(values) > MAX_BATCH:
        raise InvalidInput(field, f"<{len(values)} items>", f"must hold at most {MAX_BATCH} items")

    checked: list[CheckedT] = []
    first_of_key: dict[Hashable, int] = {}
    for index, value in enumerate(values):
        item = check_item(value, f"{field}[{index}]")
        first = first_of_key.setdefault(key(item), index)
        if first != index:
            _require_same_values(field, index, item, first, checked[first], value, compared)
        checked.append(item)
    return checked


def _require_same_values(
    field: str,
    index: int,
    item: object,
    first: int,
    earlier: object,
    value: object,
    compared: Sequence[tuple[str, str]],
) -> None:
    for stored_name, input_name in compared:
        if _comparable(getattr(item, stored_name)) != _comparable(getattr(earlier, stored_name)):
            raise InvalidInput(
                f"{field}[{index}].{input_name}",
                getattr(value, input_name),
                f"differs from {field}[{first}], which has the same key, so send one item per "
                "key or make separate calls in the order the changes apply",
            )


def _comparable(value: object) -> object:
    # JSON compares as canonical text, so that 1 and True, equal in Python, differ.
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def budget_period(field: str, anomaly_type: AnomalyType, value: object) -> BudgetPeriod | None:
    """Check that budget anomalies name a budget period and the other types pass ``None``."""
    if anomaly_type not in BUDGET_ANOMALY_TYPES:
        if value is not None:
            raise InvalidInput(field, value, f"must be None for a {anomaly_type.value} anomaly")
        return None
    if value is None:
        raise InvalidInput(
            field, value, f"is required for a {anomaly_type.value} anomaly (daily or monthly)"
        )
    return common.enum_member(field, value, BudgetPeriod)


def period_start(field: str, period: BudgetPeriod | None, value: object) -> date:
    """Check ``period_start``: a date, on the first of the month for a monthly budget."""
    day = common.calendar_date(field, value)
    if period is BudgetPeriod.MONTHLY and day.day != 1:
        raise InvalidInput(field, value, "must be the first day of a month for a monthly budget")
    return day


def streak_entity_type(value: object) -> EntityType:
    """Check the entity type of a batch streak read: user or feature, never the tenant."""
    checked = common.enum_member("entity_type", value, EntityType)
    if checked is EntityType.TENANT:
        raise InvalidInput(
            "entity_type",
            value,
            "must be user or feature; read the tenant's streak with fetch_consecutive_breaches",
        )
    return checked


def entity_ids(values: object) -> list[str]:
    """Check 0..1,000 entity ids and return the distinct ones in code-point order."""
    return common.id_list("entity_ids", values, MAX_ENTITY_ID)


def max_days(value: object) -> int:
    """Check ``max_days``, the look-back of a breach streak: 1..366."""
    return common.integer("max_days", value, 1, MAX_LOOK_BACK_DAYS)


def generated_id(field: str, value: object) -> str:
    """Check a generated id argument such as ``tracker_id`` or ``anomaly_id``."""
    return common.identifier(field, value, MAX_GENERATED_ID)
