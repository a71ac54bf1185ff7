"""Comparison of an idempotent create's payload with the stored row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def first_difference(
    sent: Mapping[str, object], stored: Mapping[str, object], fields: Sequence[str]
) -> str | None:
    """Return the first of ``fields`` whose sent value differs from the stored one.

    Both mappings hold normalised values (money in nano-dollars, instants in
    UTC), so equal payloads compare equal. ``None`` means the payloads match.
    """
    for field in fields:
        if sent[field] != stored[field]:
            return field
    return None
