"""Sentinel for an argument that was not passed, where ``None`` is a real value."""

from __future__ import annotations

import enum
from typing import Final, Literal


class Unset(enum.Enum):
    """Type of ``UNSET``; use it in annotations such as ``str | None | Unset``.

    A one-member enum, so ``value is UNSET`` narrows the type for mypy, and the
    sentinel stays a singleton through ``copy`` and ``pickle``.
    """

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> Literal[False]:
        return False


UNSET: Final = Unset.UNSET
"""Default of a parameter whose absence means "keep the stored value"."""
