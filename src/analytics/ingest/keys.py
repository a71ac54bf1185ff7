"""Idempotency keys for ingested rows: from named columns, or from the whole row.

A key is ``k_`` plus the first 32 hex digits of a SHA-256 digest, so
re-ingesting the same file yields the same keys and the ports store nothing
twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

SEPARATOR = "\x1f"
"""Unit separator (U+001F) placed between the hashed values."""

KEY_PREFIX = "k_"
KEY_HEX_DIGITS = 32

_BUCKET_BITS = 25
_BUCKET_MASK = (1 << _BUCKET_BITS) - 1
_SATURATED = 255


def hashed_key(texts: Iterable[str]) -> str:
    """Return ``k_`` and 32 hex digits of the SHA-256 of ``texts`` joined with U+001F."""
    digest = hashlib.sha256(SEPARATOR.join(texts).encode("utf-8")).hexdigest()
    return KEY_PREFIX + digest[:KEY_HEX_DIGITS]


class RowOccurrences:
    """Counts earlier rows like each row, to key rows that have no key column.

    The key of a row hashes its text together with the number of earlier rows
    in the same hash bucket. Identical rows always share a bucket, so two
    identical lines get the numbers 0 and 1 and stay two records, and reading
    the same file again gives the same keys. The counts live in a fixed table
    of 2**25 one-byte buckets (32 MiB), so memory does not grow with the file.

    NOTE: a different row that falls in the same bucket also raises the
    number. This only changes the number inside the hash: keys stay distinct
    because the row text differs, and stay the same on every run.
    """

    def __init__(self) -> None:
        self._counts: bytearray | None = None
        self._overflow: dict[int, int] = {}

    def key(self, fingerprint: str) -> str:
        """Return the key of the next row whose text is ``fingerprint``."""
        encoded = fingerprint.encode("utf-8")
        bucket = int.from_bytes(hashlib.sha256(encoded).digest()[:4], "big") & _BUCKET_MASK
        earlier = self._next(bucket)
        return hashed_key((fingerprint, str(earlier)))

    def _next(self, bucket: int) -> int:
        """Return the count of earlier rows in ``bucket`` and add this row to it."""
        if self._counts is None:
            self._counts = bytearray(1 << _BUCKET_BITS)
        count = self._counts[bucket]
        if count < _SATURATED:
            self._counts[bucket] = count + 1
            return count
        extra = self._overflow.get(bucket, 0)
        self._overflow[bucket] = extra + 1
        return _SATURATED + extra
