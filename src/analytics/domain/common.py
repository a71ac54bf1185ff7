"""Base classes, field types and the write result shared by every domain model.

Input models (``New…``, ``…Update``, ``…Observation``) check types only: every
value rule (ranges, lengths, time-zone awareness, NaN) is checked by the port
method, which reports it as its own validation error naming the field. Output
models are what the ports return: aware UTC datetimes and exact decimals.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict

from analytics.domain.enums import WriteOutcome

EnumT = TypeVar("EnumT", bound=StrEnum)
RecordT = TypeVar("RecordT")


def _int_to_decimal(value: object) -> object:
    # An int converts exactly; bool, float and str pass through so that the
    # strict Decimal check rejects them.
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value


def _require_utc(value: datetime) -> datetime:
    if value.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got the naive {value.isoformat()}")
    return value.astimezone(UTC)


InputDecimal = Annotated[
    Decimal, Strict(), Field(allow_inf_nan=True), BeforeValidator(_int_to_decimal)
]
"""Money or other decimal on an input model: a ``Decimal`` or an ``int`` (converted exactly).

A ``float``, ``str`` or ``bool`` fails at construction. NaN and infinities pass
here because the port rejects them with a message naming the field.
"""

OutputDecimal = Annotated[
    Decimal, Strict(), Field(allow_inf_nan=False), BeforeValidator(_int_to_decimal)
]
"""Finite money or other decimal on an output model: a ``Decimal`` or an exact ``int``.

A ``float``, ``str`` or ``bool`` fails, so no binary float reaches a returned amount.
"""

EnumInput = Annotated[EnumT, Strict(False)]
"""Enum field of an input model: accepts the member or its exact string value."""

UtcDatetime = Annotated[datetime, AfterValidator(_require_utc)]
"""Datetime on an output model: must be timezone-aware and is stored in UTC."""


class InputModel(BaseModel):
    """Frozen, strictly typed argument of a port method; the port checks the values."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class OutputModel(BaseModel):
    """Frozen value returned by a port method."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class WriteResult(OutputModel, Generic[RecordT]):
    """Stored record after a write call, and what the call did to it."""

    record: RecordT
    outcome: WriteOutcome
