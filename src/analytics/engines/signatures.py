"""Error signatures: a normalised error text and a short hash that groups failures.

Two failures share a signature when their error texts differ only in the
variable parts that every occurrence changes: URLs, file paths, timestamps,
UUIDs, hexadecimal values and numbers. The function is pure, so a signature is
the same on every machine and in every release that keeps these rules.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_ERROR_CHARS = 4096
"""Characters of an error text that take part in its signature."""

SIGNATURE_HEX_DIGITS = 16
"""Length of a signature: the first hex digits of the SHA-256 of the normalised text."""

NO_ERROR_TEXT = "<no error text>"
"""Start of the normalised text of a failure without an error text."""

# The patterns are written for text that is already case-folded, and they run
# in this order: a URL is replaced before its path, a timestamp before its numbers.
_PLACEHOLDERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (placeholder, re.compile(pattern))
    for placeholder, pattern in (
        ("<url>", r"[a-z][a-z0-9+.-]*://[^\s'\"<>()]+"),
        ("<path>", r"(?<![\w.-])(?:~|\.{1,2})?/[^\s'\"<>()]+/[^\s'\"<>()]*"),
        ("<path>", r"(?<!\w)[a-z]:\\[^\s'\"<>()]*"),
        (
            "<ts>",
            r"\d{4}-\d{2}-\d{2}(?:[t ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
            r"(?:z|[+-]\d{2}:?\d{2})?)?",
        ),
        ("<ts>", r"(?<!\d)\d{2}:\d{2}:\d{2}(?:[.,]\d+)?"),
        ("<uuid>", r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
        ("<hex>", r"(?<![a-z0-9_])0x[0-9a-f]+"),
        (
            "<hex>",
            r"(?<![a-z0-9_])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{8,}(?![a-z0-9_])",
        ),
        ("<n>", r"(?<![a-z0-9_.-])\d+(?:\.\d+)?"),
    )
)

_WHITESPACE = re.compile(r"\s+")


def normalise_error(text: str) -> str:
    """Return the normalised form of an error text.

    The first 4,096 characters are put in Unicode NFKC form and case-folded.
    Then URLs, paths, timestamps, UUIDs, hexadecimal values and numbers are
    replaced by ``<url>``, ``<path>``, ``<ts>``, ``<uuid>``, ``<hex>`` and
    ``<n>``, and whitespace runs collapse to one space. Digits inside a word
    (``gpt-4o``) stay.
    """
    normalised = unicodedata.normalize("NFKC", text[:MAX_ERROR_CHARS]).casefold()
    for placeholder, pattern in _PLACEHOLDERS:
        normalised = pattern.sub(placeholder, normalised)
    return _WHITESPACE.sub(" ", normalised).strip()


def text_signature(normalised: str) -> str:
    """Return the first 16 hex digits of the SHA-256 of a normalised text (UTF-8)."""
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:SIGNATURE_HEX_DIGITS]


def error_signature(text: str) -> tuple[str, str]:
    """Return ``(normalised text, signature)`` of an error text.

    ``"Object 0x7f3a2b10 freed twice at 2024-03-10T09:15:02.123Z"`` gives
    ``"object <hex> freed twice at <ts>"`` and the hash of that text.
    """
    normalised = normalise_error(text)
    return normalised, text_signature(normalised)


def failure_signature(error: str | None, worker_id: str) -> tuple[str, str]:
    """Return ``(normalised text, signature)`` of one failed or crashed worker run.

    A run without an error text, or with one that normalises to nothing, gets
    the literal ``<no error text> worker=<worker_id>``, so silent crashes group
    per worker instead of merging across workers.
    """
    normalised = normalise_error(error) if error is not None else ""
    if not normalised:
        normalised = f"{NO_ERROR_TEXT} worker={worker_id}"
    return normalised, text_signature(normalised)
