"""Port methods that are not built yet.

Every scenario that calls one of these is an expected failure (strict xfail
raising NotImplementedError), so a stub can never pass as done and a method
that gets built makes its xfail fail until it is removed from this list.
"""

from __future__ import annotations

import pytest

# Every one of the 61 methods is built; a method added to a port later is
# listed here until its adapters exist.
NOT_BUILT: frozenset[str] = frozenset()


def method_param(name: str) -> object:
    """Return a pytest parameter for a method, marked strict xfail while it is not built."""
    if name in NOT_BUILT:
        marks = pytest.mark.xfail(
            raises=NotImplementedError, strict=True, reason=f"{name} is not built yet"
        )
        return pytest.param(name, marks=marks, id=name)
    return pytest.param(name, id=name)
