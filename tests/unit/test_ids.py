"""The default id generator of the SQL session."""

from __future__ import annotations

import uuid

from analytics.adapters.sql.session import uuid4_hex


def test_uuid4_hex_is_a_version_4_uuid() -> None:
    for _ in range(1000):
        text = uuid4_hex()
        parsed = uuid.UUID(hex=text)
        assert len(text) == 32
        assert text == parsed.hex
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_uuid4_hex_values_differ() -> None:
    values = {uuid4_hex() for _ in range(10_000)}
    assert len(values) == 10_000
