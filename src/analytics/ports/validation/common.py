"""Rules for identifiers, text, money, decimals, integers, enums, JSON and time."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from analytics.domain import BucketUnit, EntityType
from analytics.domain import time as domain_time
from analytics.domain.money import decimal_to_e6, usd_to_nanos
from analytics.ports.errors import InvalidInput

EnumT = TypeVar("EnumT", bound=StrEnum)

MIN_INSTANT = datetime(1970, 1, 1, tzinfo=UTC)
MAX_INSTANT = datetime(2200, 1, 1, tzinfo=UTC)
MIN_DATE = date(1970, 1, 1)
MAX_DATE = date(2199, 12, 31)

MAX_TENANT_ID = 64
MAX_COST_USD = Decimal(1_000_000)
MAX_LIMIT_USD = Decimal(1_000_000_000)
MAX_TOKENS = 1_000_000_000
MAX_ABS_PCT = Decimal(1_000_000_000_000)
MAX_DAY_RANGE = 400
MAX_ID_LIST = 1000

MAX_JSON_DEPTH = 8
MAX_JSON_BYTES = 16 * 1024
MAX_JSON_INT = 2**53 - 1
MAX_JSON_KEY = 128

ENTITY_DIMENSION_TYPES = (EntityType.USER, EntityType.FEATURE)


# Unicode category Cc is exactly U+0000..U+001F and U+007F..U+009F. One regular
# expression finds the first forbidden character far faster than a loop per character.
_CONTROL_OR_SURROGATE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_str_type(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput(field, value, "must be a string")
    return value


def identifier(field: str, value: object, max_length: int) -> str:
    """Check an identifier: 1..max code points, no surrounding space, no control character."""
    text = _check_str_type(field, value)
    if not text:
        raise InvalidInput(field, value, "must not be empty")
    if len(text) > max_length:
        raise InvalidInput(field, value, f"must be at most {max_length} characters")
    if text != text.strip():
        raise InvalidInput(field, value, "must not start or end with whitespace")
    forbidden = _CONTROL_OR_SURROGATE.search(text)
    if forbidden is not None:
        if _SURROGATE.match(forbidden.group()):
            raise InvalidInput(field, value, "must not contain lone surrogates")
        raise InvalidInput(field, value, "must not contain control characters")
    return text


def optional_identifier(field: str, value: object, max_length: int) -> str | None:
    """Check an identifier that may be ``None``."""
    if value is None:
        return None
    return identifier(field, value, max_length)


def tenant(value: object) -> str:
    """Check ``tenant_id``."""
    return identifier("tenant_id", value, MAX_TENANT_ID)


def free_text(field: str, value: object, max_length: int, *, allow_empty: bool = True) -> str:
    """Check free text: line breaks and tabs allowed, no NUL, no lone surrogates."""
    text = _check_str_type(field, value)
    if not allow_empty and not text:
        raise InvalidInput(field, value, "must not be empty")
    if len(text) > max_length:
        raise InvalidInput(field, value, f"must be at most {max_length} characters")
    if "\x00" in text:
        raise InvalidInput(field, value, "must not contain NUL characters")
    if _SURROGATE.search(text):
        raise InvalidInput(field, value, "must not contain lone surrogates")
    return text


def optional_text(field: str, value: object, max_length: int) -> str | None:
    """Check free text that may be ``None``."""
    if value is None:
        return None
    return free_text(field, value, max_length)


def _finite_decimal(field: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise InvalidInput(field, value, "must be a Decimal or an int (never a float or str)")
    number = Decimal(value)
    if not number.is_finite():
        raise InvalidInput(field, value, "must be a finite number")
    return number


def money(
    field: str, value: object, *, maximum: Decimal = MAX_COST_USD, positive: bool = False
) -> int:
    """Check a USD amount and return it in nano-dollars, rounded half-even.

    Costs may be zero; budget limits (``positive=True``) must be above zero
    after rounding to whole nano-dollars.
    """
    number = _finite_decimal(field, value)
    if number < 0:
        raise InvalidInput(field, value, "must not be negative")
    if number > maximum:
        raise InvalidInput(field, value, f"must be at most {maximum} USD")
    nanos = usd_to_nanos(number)
    if positive and nanos <= 0:
        raise InvalidInput(field, value, "must be greater than zero")
    return nanos


def optional_money(
    field: str, value: object, *, maximum: Decimal = MAX_COST_USD, positive: bool = False
) -> int | None:
    """Check a USD amount that may be ``None``."""
    if value is None:
        return None
    return money(field, value, maximum=maximum, positive=positive)


def percent_e6(field: str, value: object) -> int:
    """Check a percentage (may be negative) and return it in millionths of a percent."""
    number = _finite_decimal(field, value)
    if abs(number) > MAX_ABS_PCT:
        raise InvalidInput(field, value, f"must be within +/-{MAX_ABS_PCT}")
    return decimal_to_e6(number)


def confidence_e6(field: str, value: object) -> int:
    """Check a confidence in [0, 1] and return it in millionths."""
    number = _finite_decimal(field, value)
    if not Decimal(0) <= number <= Decimal(1):
        raise InvalidInput(field, value, "must be between 0 and 1")
    return decimal_to_e6(number)


def integer(field: str, value: object, minimum: int, maximum: int) -> int:
    """Check a real ``int`` (a ``bool`` is rejected) within [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, value, "must be an int")
    if not minimum <= value <= maximum:
        raise InvalidInput(field, value, f"must be between {minimum} and {maximum}")
    return value


def optional_integer(field: str, value: object, minimum: int, maximum: int) -> int | None:
    """Check an ``int`` that may be ``None``."""
    if value is None:
        return None
    return integer(field, value, minimum, maximum)


def tokens(field: str, value: object) -> int:
    """Check a token count, 0..1e9."""
    return integer(field, value, 0, MAX_TOKENS)


def boolean(field: str, value: object) -> bool:
    """Check a real ``bool`` (an ``int`` is rejected)."""
    if not isinstance(value, bool):
        raise InvalidInput(field, value, "must be a bool")
    return value


def optional_boolean(field: str, value: object) -> bool | None:
    """Check a ``bool`` that may be ``None``."""
    if value is None:
        return None
    return boolean(field, value)


def enum_member(field: str, value: object, enum: type[EnumT]) -> EnumT:
    """Accept an enum member or its exact string value."""
    if isinstance(value, enum):
        return value
    if isinstance(value, str) and not isinstance(value, StrEnum):
        for member in enum:
            if member.value == value:
                return member
    allowed = ", ".join(member.value for member in enum)
    raise InvalidInput(field, value, f"must be one of: {allowed}")


def optional_enum(field: str, value: object, enum: type[EnumT]) -> EnumT | None:
    """Accept ``None``, an enum member or its exact string value."""
    if value is None:
        return None
    return enum_member(field, value, enum)


def limit(value: object, maximum: int) -> int:
    """Check ``limit``: an ``int`` in 1..maximum."""
    return integer("limit", value, 1, maximum)


def instant(field: str, value: object) -> datetime:
    """Check an aware datetime within 1970..2200 and return it in UTC."""
    if not isinstance(value, datetime):
        raise InvalidInput(field, value, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(field, value, "must be timezone-aware (naive datetimes are rejected)")
    converted = value.astimezone(UTC)
    if not MIN_INSTANT <= converted < MAX_INSTANT:
        raise InvalidInput(field, value, "must be from 1970-01-01 up to but excluding 2200-01-01")
    return converted


def optional_instant(field: str, value: object) -> datetime | None:
    """Check an aware datetime that may be ``None``."""
    if value is None:
        return None
    return instant(field, value)


def calendar_date(field: str, value: object) -> date:
    """Check a ``date`` (not a ``datetime``) within 1970-01-01..2199-12-31."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInput(field, value, "must be a date")
    if not MIN_DATE <= value <= MAX_DATE:
        raise InvalidInput(field, value, "must be from 1970-01-01 to 2199-12-31")
    return value


def month_start(value: object) -> date:
    """Check ``month_start``: a date on the first day of a month."""
    day = calendar_date("month_start", value)
    if day.day != 1:
        raise InvalidInput("month_start", value, "must be the first day of a month")
    return day


def zone(value: object, field: str = "tz") -> str:
    """Check an IANA time-zone key that zoneinfo can load."""
    if not isinstance(value, str):
        raise InvalidInput(field, value, "must be an IANA time-zone key such as 'Europe/Paris'")
    try:
        domain_time.load_zone(value)
    except ValueError as exc:
        raise InvalidInput(
            field, value, "must be an IANA time-zone key such as 'Europe/Paris'"
        ) from exc
    return value


def window(start: object, end: object) -> tuple[datetime, datetime]:
    """Check a window of instants ``[start, end)`` with ``end > start``."""
    start_utc = instant("start", start)
    end_utc = instant("end", end)
    if end_utc <= start_utc:
        raise InvalidInput("end", end, "must be after start")
    return start_utc, end_utc


def day_range(
    start_day: object, end_day: object, max_days: int = MAX_DAY_RANGE
) -> tuple[date, date]:
    """Check a day range ``[start_day, end_day)`` of 1..max_days calendar days."""
    first = calendar_date("start_day", start_day)
    last = calendar_date("end_day", end_day)
    if last <= first:
        raise InvalidInput("end_day", end_day, "must be after start_day")
    if (last - first).days > max_days:
        raise InvalidInput("end_day", end_day, f"the range must be at most {max_days} days")
    return first, last


def buckets(
    start: datetime, end: datetime, unit: BucketUnit, tz: str
) -> list[tuple[datetime, datetime]]:
    """Return the series buckets of a checked window, or raise on too many buckets."""
    try:
        return domain_time.bucket_bounds(start, end, unit, tz)
    except ValueError as exc:
        raise InvalidInput(
            "end", end, f"the series would have more than {domain_time.MAX_BUCKETS} buckets"
        ) from exc


def entity_key(
    entity_type: EntityType, entity_id: object, field: str = "entity_id", max_length: int = 128
) -> str:
    """Apply the entity rule and return the stored key ('' for the tenant).

    A tenant-level scope takes no id; a user or feature scope requires one, so
    a missing id never widens a call to the whole tenant.
    """
    if entity_type is EntityType.TENANT:
        if entity_id is not None:
            raise InvalidInput(field, entity_id, "must be None for a tenant-level entity")
        return ""
    if entity_id is None:
        raise InvalidInput(field, entity_id, f"is required for entity type {entity_type.value}")
    return identifier(field, entity_id, max_length)


def id_list(field: str, values: object, max_length: int, max_items: int = MAX_ID_LIST) -> list[str]:
    """Check a list of identifiers and return the distinct ones in binary order.

    A bare ``str`` is rejected because it would be read as a sequence of
    characters.
    """
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise InvalidInput(field, values, "must be a list of identifiers, not a single string")
    if len(values) > max_items:
        raise InvalidInput(field, f"<{len(values)} items>", f"must hold at most {max_items} ids")
    checked = [
        identifier(f"{field}[{index}]", value, max_length) for index, value in enumerate(values)
    ]
    return sorted(set(checked))


def json_value(field: str, value: object) -> Any:
    """Check a JSON value: no floats or Decimals, depth <= 8, at most 16 KiB compact UTF-8."""
    _check_json_node(field, value, depth=1)
    try:
        encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError) as exc:
        raise InvalidInput(field, value, "must be serialisable as UTF-8 JSON") from exc
    if len(encoded) > MAX_JSON_BYTES:
        raise InvalidInput(field, f"<{len(encoded)} bytes>", "must be at most 16 KiB as JSON")
    return value


def json_object(field: str, value: object) -> dict[str, Any]:
    """Check a JSON object (a ``dict`` with ``str`` keys)."""
    if not isinstance(value, dict):
        raise InvalidInput(field, value, "must be a JSON object (a dict)")
    checked: dict[str, Any] = json_value(field, value)
    return checked


def optional_json_object(field: str, value: object) -> dict[str, Any] | None:
    """Check a JSON object that may be ``None``."""
    if value is None:
        return None
    return json_object(field, value)


def _check_json_string(field: str, text: str) -> None:
    if "\x00" in text:
        raise InvalidInput(field, text, "JSON strings must not contain NUL characters")
    if _SURROGATE.search(text):
        raise InvalidInput(field, text, "JSON strings must not contain lone surrogates")


def _check_json_node(field: str, value: object, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise InvalidInput(
            field, "<nested value>", f"JSON nesting must be at most {MAX_JSON_DEPTH}"
        )
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > MAX_JSON_INT:
            raise InvalidInput(field, value, "JSON integers must be within +/-(2**53 - 1)")
        return
    if isinstance(value, str):
        _check_json_string(field, value)
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_json_node(f"{field}[{index}]", item, depth + 1)
        return
    if isinstance(value, dict):
        for item_key, item in value.items():
            _check_json_key(field, item_key)
            _check_json_node(f"{field}.{item_key}", item, depth + 1)
        return
    raise InvalidInput(
        field,
        value,
        "JSON values must be None, bool, int, str, list or dict (pass decimals as str)",
    )


def _check_json_key(field: str, item_key: object) -> None:
    if not isinstance(item_key, str) or not 1 <= len(item_key) <= MAX_JSON_KEY:
        raise InvalidInput(
            field, item_key, f"JSON keys must be strings of 1..{MAX_JSON_KEY} characters"
        )
    _check_json_string(field, item_key)


def model_instance(field: str, value: object, model: type[Any]) -> None:
    """Check that an input model argument has the expected type."""
    if not isinstance(value, model):
        raise InvalidInput(field, value, f"must be a {model.__name__}")
