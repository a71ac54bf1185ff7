"""Ingest results: counters while the file streams, the final summary and the rejects file."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import IO

from pydantic import BaseModel, ConfigDict

from analytics.domain import CostSource, WriteOutcome
from analytics.ingest.prepare import PreparedRow, Rejection

MAX_TENANTS_SHOWN = 20


class ModelRows(BaseModel):
    """Rows of one model."""

    model_config = ConfigDict(frozen=True)

    model: str
    rows: int


class TenantRows(BaseModel):
    """Rows created for one tenant."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    created: int


class IngestSummary(BaseModel):
    """Counts of one ingest.

    ``valid`` rows passed every check before writing. ``created`` and
    ``unchanged`` (already stored) are the port's outcomes. ``rejected``
    counts rows not stored, whether a check or the port rejected them.
    ``priced``, ``unpriced`` and ``completion_defaulted`` count valid rows.
    ``created_by_tenant`` lists the 20 tenants with the most created rows
    (most first, then by id); ``tenants`` counts every tenant with a created row.
    ``first_rejection`` is the message of the first rejected row, such as
    "Row 17: created_at '2023-11-16 18:17:03' has no time zone; pass --assume-tz ZONE".
    """

    model_config = ConfigDict(frozen=True)

    file: str
    kind: str
    dry_run: bool
    rows_read: int
    valid: int
    created: int
    unchanged: int
    rejected: int
    priced: int
    unpriced: list[ModelRows]
    completion_defaulted: int
    tenants: int
    created_by_tenant: list[TenantRows]
    rejects_path: str | None
    first_rejection: str | None

    @property
    def exit_code(self) -> int:
        """Return 1 when the file had no data rows or every row was rejected, else 0."""
        return 1 if self.rows_read == 0 or self.rejected == self.rows_read else 0


@dataclass
class Tally:
    """Counters updated while the rows stream by."""

    rows_read: int = 0
    valid: int = 0
    rejected: int = 0
    first_rejection: str | None = None
    priced: int = 0
    completion_defaulted: int = 0
    outcomes: Counter[WriteOutcome] = field(default_factory=Counter)
    unpriced: Counter[str] = field(default_factory=Counter)
    created_by_tenant: Counter[str] = field(default_factory=Counter)

    def count_valid(self, row: PreparedRow) -> None:
        """Count a row that passed the checks."""
        self.valid += 1
        if row.completion_defaulted:
            self.completion_defaulted += 1
        if row.cost_source is CostSource.ESTIMATED:
            self.priced += 1
        elif row.cost_source is CostSource.UNPRICED:
            self.unpriced[str(getattr(row.item, "model", ""))] += 1

    def count_rejected(self, rejection: Rejection) -> None:
        """Count a rejected row, keeping the message of the first one."""
        self.rejected += 1
        if self.first_rejection is None:
            self.first_rejection = f"Row {rejection.row}: {rejection.error}"

    def count_written(self, tenant_id: str, outcomes: list[WriteOutcome]) -> None:
        """Count the port's outcomes of one written batch."""
        self.outcomes.update(outcomes)
        created = outcomes.count(WriteOutcome.CREATED)
        if created:
            self.created_by_tenant[tenant_id] += created

    def summary(
        self, file: Path, kind: str, dry_run: bool, rejects_path: Path | None
    ) -> IngestSummary:
        """Return the final summary."""
        largest = sorted(self.created_by_tenant.items(), key=lambda item: (-item[1], item[0]))
        unpriced = sorted(self.unpriced.items(), key=lambda item: (-item[1], item[0]))
        return IngestSummary(
            file=str(file),
            kind=kind,
            dry_run=dry_run,
            rows_read=self.rows_read,
            valid=self.valid,
            created=self.outcomes[WriteOutcome.CREATED],
            unchanged=self.outcomes[WriteOutcome.UNCHANGED],
            rejected=self.rejected,
            priced=self.priced,
            unpriced=[ModelRows(model=name, rows=rows) for name, rows in unpriced],
            completion_defaulted=self.completion_defaulted,
            tenants=len(self.created_by_tenant),
            created_by_tenant=[
                TenantRows(tenant_id=tenant, created=created)
                for tenant, created in largest[:MAX_TENANTS_SHOWN]
            ],
            rejects_path=str(rejects_path) if rejects_path is not None else None,
            first_rejection=self.first_rejection,
        )


class RejectsFile:
    """Writes rejected rows as JSON lines ``{"row", "field", "error", "source"}``.

    The file is created at the first rejected row, so a run without rejects
    leaves no file (and leaves an older file at that path as it was).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._stream: IO[str] | None = None

    def __enter__(self) -> RejectsFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def written(self) -> bool:
        """Tell whether any row was written."""
        return self.count > 0

    def add(self, rejection: Rejection) -> None:
        """Append one rejected row."""
        if self._stream is None:
            self._stream = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close
        line = {
            "row": rejection.row,
            "field": rejection.field,
            "error": rejection.error,
            "source": rejection.source,
        }
        self._stream.write(json.dumps(line, ensure_ascii=False, default=_json_default) + "\n")
        self.count += 1

    def close(self) -> None:
        """Close the file if it was created."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None


def _json_default(value: object) -> object:
    # A JSON-lines source number is a Decimal; it is written as its exact text.
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to the rejects file")
