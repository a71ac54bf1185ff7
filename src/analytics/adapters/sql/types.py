"""Portable column types shared by the Postgres and SQLite schemas.

Each logical type of the schema is defined once here. Identifiers sort by code
point on both backends (``COLLATE "C"`` on Postgres, SQLite's default BINARY
collation), and instants are stored in UTC on both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Dialect, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

# SQLite stores instants as fixed-width UTC text, so text order is time order.
_SQLITE_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def key(length: int) -> TypeEngine[str]:
    """Return an identifier type: ``VARCHAR(n) COLLATE "C"`` on Postgres, TEXT on SQLite."""
    return Text().with_variant(String(length, collation="C"), "postgresql")


def text() -> TypeEngine[str]:
    """Return a free-text type (TEXT on both backends)."""
    return Text()


def bigint() -> TypeEngine[int]:
    """Return a 64-bit integer type for nano-dollars, scaled decimals and milliseconds."""
    return BigInteger().with_variant(Integer(), "sqlite")


def flag(name: str) -> Boolean:
    """Return a boolean type; SQLite stores 0 or 1 under a named check constraint."""
    return Boolean(create_constraint=True, name=f"{name}_is_bool")


def json_value() -> TypeEngine[Any]:
    """Return a JSON type: JSONB on Postgres, JSON text on SQLite; ``None`` is SQL NULL."""
    return JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def format_sqlite_timestamp(value: datetime) -> str:
    """Format an aware instant as the fixed-width UTC text stored by SQLite."""
    return value.astimezone(UTC).strftime(_SQLITE_TIMESTAMP_FORMAT)


def parse_sqlite_timestamp(value: str) -> datetime:
    """Parse the fixed-width UTC text stored by SQLite into an aware UTC instant."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """An instant: ``TIMESTAMP WITH TIME ZONE`` on Postgres, fixed-width UTC text on SQLite.

    Binding rejects naive datetimes and converts aware ones to UTC; reading
    always returns an aware datetime whose ``tzinfo`` is ``datetime.UTC``.
    """

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import TIMESTAMP

            return dialect.type_descriptor(TIMESTAMP(timezone=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; pass an aware one")
        if dialect.name == "postgresql":
            return value.astimezone(UTC)
        return format_sqlite_timestamp(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        return parse_sqlite_timestamp(str(value))
