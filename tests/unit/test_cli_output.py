"""Cell formats and JSON conversion of the command-line output."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from analytics.cli.output import (
    feature_label,
    json_document,
    local_time,
    money,
    percent,
    plural,
    scope_name,
    share,
)
from analytics.domain.common import OutputDecimal, OutputModel
from analytics.domain.enums import EntityType


class Amount(OutputModel):
    value: OutputDecimal
    kind: EntityType


def test_money_has_four_places() -> None:
    assert money(Decimal("1234.567850000")) == "1,234.5678"
    assert money(Decimal("0E-9")) == "0.0000"
    assert money(None) == ""


def test_percent_and_share_have_one_place() -> None:
    assert percent(Decimal("189.149999")) == "189.1 %"
    assert share(Decimal("0.562500")) == "56.2 %"
    assert share(None) == ""


def test_local_time_uses_zone_abbreviation() -> None:
    instant = datetime(2024, 11, 5, 23, 0, tzinfo=UTC)

    assert local_time(instant, "America/New_York") == "2024-11-05 18:00 EST"


def test_untagged_feature_and_scopes() -> None:
    assert feature_label(None) == "(untagged)"
    assert scope_name(EntityType.TENANT, None) == "tenant"
    assert scope_name(EntityType.USER, "u1") == "user u1"


def test_plural() -> None:
    assert plural(1, "anomaly") == "1 anomaly"
    assert plural(3, "anomaly") == "3 anomalies"
    assert plural(0, "run") == "0 runs"


def test_json_document_writes_zero_money_with_nine_places() -> None:
    document = json_document(Amount(value=Decimal("0E-9"), kind=EntityType.USER))

    assert document == {"value": "0.000000000", "kind": "user"}
