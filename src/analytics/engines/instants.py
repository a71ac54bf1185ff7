"""The instant an engine call is about, checked against the engine's clock."""

from __future__ import annotations

from datetime import datetime

from analytics.ports.errors import InvalidInput
from analytics.ports.validation import common


def resolve_at(at: datetime | None, now: datetime, field: str = "at") -> datetime:
    """Return ``at`` in UTC, or ``now`` when it is ``None``.

    Raises InvalidInput naming ``field`` when ``at`` is naive, outside the
    supported range (1970 up to 2200) or after ``now``: the runs after the
    current time are not known yet.
    """
    if at is None:
        return common.instant("now", now)
    checked = common.instant(field, at)
    if checked > now:
        raise InvalidInput(
            field,
            at,
            f"must not be after the current time {now.isoformat()}; pass an earlier instant",
        )
    return checked
