"""Errors raised by every port method, whatever the backend.

Adapters translate database-driver exceptions into these types in one place
(``analytics.adapters.sql.errors``) and chain the original with ``from``.
"""

from __future__ import annotations

from typing import Literal

ConflictReason = Literal[
    "duplicate",
    "payload_mismatch",
    "terminal",
    "illegal_transition",
    "stale",
    "active_exists",
]

_MAX_VALUE_REPR = 200


def _short_repr(value: object) -> str:
    text = repr(value)
    if len(text) > _MAX_VALUE_REPR:
        return text[: _MAX_VALUE_REPR - 3] + "..."
    return text


class AnalyticsError(Exception):
    """Root of every error a port method raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(AnalyticsError, ValueError):
    """A value breaks a rule of the port contract; nothing was written.

    ``field`` is the path from the method's parameters (``record.cost_usd``,
    ``records[3].cost_usd``), ``value`` the ``repr`` of the offending value cut
    to 200 characters, and ``reason`` names the rule that failed.
    """

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = _short_repr(value)
        self.reason = reason
        super().__init__(f"invalid {field}: {reason} (got {self.value})")


class NotFound(AnalyticsError, LookupError):
    """A method addressed a row that does not exist for this tenant."""

    def __init__(self, entity: str, key: str) -> None:
        self.entity = entity
        self.key = key
        super().__init__(f"{entity} {key!r} not found")


class Conflict(AnalyticsError):
    """The request contradicts stored state; nothing was written.

    ``reason`` is one of ``duplicate``, ``payload_mismatch``, ``terminal``,
    ``illegal_transition``, ``stale`` or ``active_exists``; ``field`` names the
    first differing field where the reason has one.
    """

    def __init__(
        self,
        entity: str,
        key: str,
        reason: ConflictReason,
        field: str | None = None,
        detail: str | None = None,
    ) -> None:
        self.entity = entity
        self.key = key
        self.reason: ConflictReason = reason
        self.field = field
        message = f"{entity} {key!r}: conflict ({reason})"
        if field is not None:
            message += f" on field {field}"
        if detail:
            message += f": {detail}"
        super().__init__(message)


class BackendUnavailable(AnalyticsError):
    """The database could not complete the call.

    ``retryable`` is true for a lost or refused connection, a timeout, a
    deadlock or a serialization failure. It is false for a full disk or a
    read-only database. After this error the unit of work must be abandoned.
    """

    def __init__(self, message: str, *, retryable: bool) -> None:
        self.retryable = retryable
        super().__init__(message)


class ReadOnlyUnitOfWork(AnalyticsError):
    """A write was called in a unit of work opened read-only; nothing was sent to the database."""

    def __init__(self) -> None:
        super().__init__(
            "this unit of work is read-only, so writes are rejected; "
            "open one with unit_of_work() to write"
        )


class CapabilityNotSupported(AnalyticsError):
    """The backend lacks a feature the package needs; raised by ``open_store``."""

    def __init__(self, capability: str, message: str) -> None:
        self.capability = capability
        super().__init__(message)


__all__ = [
    "AnalyticsError",
    "BackendUnavailable",
    "CapabilityNotSupported",
    "Conflict",
    "ConflictReason",
    "InvalidInput",
    "NotFound",
    "ReadOnlyUnitOfWork",
]
