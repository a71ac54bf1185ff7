"""Parse the text of a source cell into the value of one field.

A cell is a CSV string or a JSON scalar (string, ``Decimal`` number, boolean
or null). An empty cell is missing, and so is a blank one for every field
type except free text. Identifiers, numbers, booleans and times are trimmed;
free text is kept as it is. Range and length rules are left to the port
validation, so a value rejected here is one no port would accept either.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum

from analytics.domain.time import load_zone

_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
# Integers with more digits than this are out of every port's range. The cap
# keeps a value such as 1e999999999 from being expanded into a huge int.
_MAX_INTEGER_DIGITS = 30


class FieldType(Enum):
    """Parse type of a field's cell."""

    IDENTIFIER = "identifier"
    TEXT = "text"
    INTEGER = "integer"
    MONEY = "money"
    BOOLEAN = "boolean"
    TIME = "time"


class RowError(Exception):
    """A row's value cannot be used; the row is rejected with this field and message.

    The message is a sentence that starts with the field name.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def cell_text(value: object) -> str | None:
    """Return a scalar cell as text (JSON ``true`` as ``true``), or ``None`` when it is missing."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | Decimal | int):
        return str(value)
    return None


def parse_value(field: str, field_type: FieldType, value: object, assume_tz: str | None) -> object:
    """Return the parsed value of one cell, or ``None`` when it is missing.

    Raises RowError naming ``field`` for a value its type cannot hold.
    """
    if isinstance(value, list | dict):
        raise RowError(field, f"{field} must be a single value, not a JSON array or object")
    if field_type is FieldType.TEXT:
        return _text(field, value)
    if isinstance(value, bool) and field_type is not FieldType.BOOLEAN:
        raise RowError(field, f"{field} must be {_DESCRIPTIONS[field_type]}, not a JSON boolean")

    text = cell_text(value)
    stripped = text.strip() if text is not None else ""
    if not stripped:
        return None
    return _PARSERS[field_type](field, stripped, assume_tz)


def _text(field: str, value: object) -> str | None:
    if isinstance(value, bool):
        raise RowError(field, f"{field} must be text, not a JSON boolean")
    text = cell_text(value)
    return text or None


def _identifier(_field: str, text: str, _assume_tz: str | None) -> str:
    return text


def _integer(field: str, text: str, _assume_tz: str | None) -> int:
    number = _decimal(field, text, "a whole number")
    if not number.is_finite() or number != number.to_integral_value():
        raise RowError(field, f"{field} {text!r} is not a whole number")
    if number.adjusted() >= _MAX_INTEGER_DIGITS:
        raise RowError(field, f"{field} {text!r} is out of range")
    return int(number)


def _money(field: str, text: str, _assume_tz: str | None) -> Decimal:
    # Parsed from the text itself, so no binary float rounding touches a cost.
    return _decimal(field, text, "an amount in USD")


def _decimal(field: str, text: str, expected: str) -> Decimal:
    if "_" in text:
        raise RowError(field, f"{field} {text!r} is not {expected}")
    try:
        return Decimal(text)
    except InvalidOperation as error:
        raise RowError(field, f"{field} {text!r} is not {expected}") from error


def _boolean(field: str, text: str, _assume_tz: str | None) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise RowError(field, f"{field} {text!r} is not a boolean; use true/false, 1/0 or yes/no")


def _time(field: str, text: str, assume_tz: str | None) -> datetime:
    try:
        # Python 3.11 reads ISO 8601 and cuts fractions beyond microseconds.
        parsed = datetime.fromisoformat(text)
    except ValueError as error:
        raise RowError(field, f"{field} {text!r} is not an ISO 8601 time") from error
    if parsed.tzinfo is not None:
        return parsed
    if assume_tz is None:
        raise RowError(field, f"{field} {text!r} has no time zone; pass --assume-tz ZONE")
    return local_time(field, text, parsed, assume_tz)


def local_time(field: str, text: str, naive: datetime, tz: str) -> datetime:
    """Attach zone ``tz`` to a naive time, taking the first of two repeated local times.

    Raises RowError for a local time that does not exist in ``tz`` (a
    daylight-saving gap).
    """
    zone = load_zone(tz)
    aware = naive.replace(tzinfo=zone, fold=0)
    round_trip = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:
        raise RowError(field, f"{field} {text!r} does not exist in {tz} (a daylight-saving gap)")
    return aware


_DESCRIPTIONS = {
    FieldType.IDENTIFIER: "text",
    FieldType.TEXT: "text",
    FieldType.INTEGER: "a whole number",
    FieldType.MONEY: "an amount in USD",
    FieldType.BOOLEAN: "a boolean",
    FieldType.TIME: "an ISO 8601 time",
}

_PARSERS = {
    FieldType.IDENTIFIER: _identifier,
    FieldType.INTEGER: _integer,
    FieldType.MONEY: _money,
    FieldType.BOOLEAN: _boolean,
    FieldType.TIME: _time,
}
