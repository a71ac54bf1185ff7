"""Turn one source row into a checked input model, or a rejection naming the field.

Each row is mapped, parsed field by field and completed: a terminal status
without a finish time takes ``created_at``, and a cost record without cost
is priced from its tokens. The row is then built into the kind's input model
and checked with the same validation the port runs. So a row kept here is
one the port accepts, unless it conflicts with a stored row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from analytics.domain import TERMINAL_RUN_STATUSES, CostSource, InputModel
from analytics.engines.pricing import Pricer
from analytics.ingest.kinds import COST_RECORDS, TENANT_FIELD, Kind
from analytics.ingest.mapping import ColumnSource, RowMapper
from analytics.ingest.readers import SourceRow
from analytics.ingest.values import FieldType, RowError, cell_text, parse_value
from analytics.ports.errors import InvalidInput
from analytics.ports.validation import common

_COST_FIELDS = frozenset({"input_tokens", "output_tokens", "cost_usd"})


@dataclass(frozen=True)
class PreparedRow:
    """A row that passed every check, ready to be written for ``tenant_id``."""

    number: int
    tenant_id: str
    item: InputModel
    source: object
    cost_source: CostSource | None = None
    completion_defaulted: bool = False


@dataclass(frozen=True)
class Rejection:
    """A row that is not stored: its number, the field at fault and why."""

    row: int
    field: str
    error: str
    source: object


@dataclass(frozen=True)
class _Call:
    """The fields of a cost record that its price depends on."""

    model: str
    input_tokens: int
    output_tokens: int
    occurred_at: datetime


class RowPreparer:
    """Prepares the rows of one file for one kind."""

    def __init__(
        self, kind: Kind, mapper: RowMapper, pricer: Pricer, assume_tz: str | None
    ) -> None:
        self._kind = kind
        self._mapper = mapper
        self._pricer = pricer
        self._assume_tz = assume_tz
        self._required = kind.required - _COST_FIELDS if kind is COST_RECORDS else kind.required

    def prepare(self, row: SourceRow) -> PreparedRow | Rejection:
        """Return the prepared row, or the first reason to reject it."""
        if row.problem is not None:
            return Rejection(row.number, "row", f"row {row.problem}", row.source())
        raw = self._mapper.map(row)
        try:
            return self._prepare(row, raw)
        except RowError as error:
            return Rejection(row.number, error.field, error.message, row.source())

    def _prepare(self, row: SourceRow, raw: dict[str, object]) -> PreparedRow:
        tenant_id = self._tenant(raw.get(TENANT_FIELD))
        values = self._parse(raw)
        defaulted = self._default_completion(values)
        cost_source = self._fill_cost(values) if self._kind is COST_RECORDS else None
        item = self._build(values)
        self._validate(item, raw)
        return PreparedRow(row.number, tenant_id, item, row.source(), cost_source, defaulted)

    def _tenant(self, value: object) -> str:
        text = parse_value(TENANT_FIELD, FieldType.IDENTIFIER, value, None)
        if text is None:
            raise RowError(TENANT_FIELD, self._missing(TENANT_FIELD))
        try:
            return common.tenant(text)
        except InvalidInput as error:
            raise RowError(TENANT_FIELD, f"{TENANT_FIELD} {text!r} {error.reason}") from error

    def _parse(self, raw: dict[str, object]) -> dict[str, Any]:
        """Parse every field in field order, rejecting on the first bad or missing one."""
        values: dict[str, Any] = {}
        for name, field_type in self._kind.field_types.items():
            value = parse_value(name, field_type, raw.get(name), self._assume_tz)
            if value is None:
                if name in self._required:
                    raise RowError(name, self._missing(name))
                continue
            values[name] = self._member(name, value)
        return values

    def _member(self, name: str, value: object) -> object:
        enum = self._kind.enum_fields.get(name)
        if enum is None:
            return value
        try:
            return common.enum_member(name, value, enum)
        except InvalidInput as error:
            raise RowError(name, f"{name} {value!r} {error.reason}") from error

    def _missing(self, name: str) -> str:
        source = self._mapper.sources.get(name)
        if isinstance(source, ColumnSource):
            return f"{name} is missing (column {source.column!r} is empty)"
        if source is not None:
            return f"{name} is missing (a column of its template is empty)"
        return f"{name} is missing; map it with --map {name}=COLUMN or --set {name}=VALUE"

    def _default_completion(self, values: dict[str, Any]) -> bool:
        """Give a terminal row without a finish time its ``created_at``; tell if it did."""
        finish = self._kind.finish_field
        if finish is None or finish in values or "created_at" not in values:
            return False
        if values.get("status") not in TERMINAL_RUN_STATUSES:
            return False
        values[finish] = values["created_at"]
        return True

    def _fill_cost(self, values: dict[str, Any]) -> CostSource:
        """Complete the tokens and cost of a cost record, pricing it when it has no cost."""
        has_tokens = "input_tokens" in values or "output_tokens" in values
        values.setdefault("input_tokens", 0)
        values.setdefault("output_tokens", 0)
        if "cost_usd" in values:
            source = values.get("cost_source", CostSource.REPORTED)
            return CostSource(source)
        if not has_tokens:
            raise RowError(
                "cost_usd",
                "cost_usd is missing, and the row has no token counts to price it from",
            )
        priced = self._pricer.price(self._call(values))
        values.update(
            cost_usd=priced.cost_usd, cost_source=priced.cost_source, price_ref=priced.price_ref
        )
        return priced.cost_source

    def _call(self, values: dict[str, Any]) -> _Call:
        """Check what the price depends on with the port's rules, so only valid calls are priced."""
        try:
            return _Call(
                model=values["model"],
                input_tokens=common.tokens("input_tokens", values["input_tokens"]),
                output_tokens=common.tokens("output_tokens", values["output_tokens"]),
                occurred_at=common.instant("occurred_at", values["occurred_at"]),
            )
        except InvalidInput as error:
            raise RowError(error.field, f"{error.field} {error.value} {error.reason}") from error

    def _build(self, values: dict[str, Any]) -> InputModel:
        try:
            return self._kind.model(**values)
        except ValidationError as error:
            first = error.errors()[0]
            name = str(first["loc"][0]) if first["loc"] else "row"
            raise RowError(name, f"{name} {first['msg']}") from error

    def _validate(self, item: InputModel, raw: dict[str, object]) -> None:
        """Run the port's own checks; ``record.cost_usd`` is reported as ``cost_usd``."""
        try:
            self._kind.validate(item)
        except InvalidInput as error:
            name = error.field.partition(".")[2] or error.field
            cell = cell_text(raw.get(name))
            value = repr(cell) if cell else error.value
            raise RowError(name, f"{name} {value} {error.reason}") from error
