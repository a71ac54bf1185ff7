"""Group prepared rows per tenant and write each batch in its own unit of work."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from analytics.domain import WriteOutcome
from analytics.ingest.kinds import Kind
from analytics.ingest.prepare import PreparedRow, Rejection
from analytics.ports import UnitOfWorkFactory
from analytics.ports.errors import Conflict, InvalidInput

logger = logging.getLogger(__name__)

MAX_BATCH_SIZE = 1000
"""The largest batch the batch port methods accept."""

MAX_BUFFERED_ROWS = 20_000
"""Rows held across all tenants' open batches before every open batch is written."""

_ITEM_FIELD = re.compile(r"^(?:records|runs)\[(\d+)\]\.(\w+)$")


class TenantBatches:
    """Open batches per tenant; a batch is handed out when it reaches ``batch_size``.

    When many tenants each hold a partial batch, the rows held in total are
    capped at ``MAX_BUFFERED_ROWS``, so memory does not grow with the number
    of tenants in the file.
    """

    def __init__(self, batch_size: int) -> None:
        self._batch_size = batch_size
        self._open: dict[str, list[PreparedRow]] = {}
        self._buffered_rows = 0

    def add(self, row: PreparedRow) -> list[tuple[str, list[PreparedRow]]]:
        """Add a row and return the batches that are ready to write."""
        batch = self._open.setdefault(row.tenant_id, [])
        batch.append(row)
        self._buffered_rows += 1
        if len(batch) >= self._batch_size:
            self._buffered_rows -= len(batch)
            return [(row.tenant_id, self._open.pop(row.tenant_id))]
        if self._buffered_rows >= MAX_BUFFERED_ROWS:
            return self.drain()
        return []

    def drain(self) -> list[tuple[str, list[PreparedRow]]]:
        """Return every open batch, in the order the tenants first appeared, and forget them."""
        batches, self._open, self._buffered_rows = self._open, {}, 0
        return list(batches.items())


class BatchWriter:
    """Writes batches of one kind through the port and reports each row's fate.

    A port error that names item ``i`` of the batch (``records[i].field`` or
    ``runs[i].field``) rejects that row. The rest of the batch is then written
    again in the same unit of work, because a port error leaves the unit of
    work usable. Any other error propagates and rolls the batch back.
    """

    def __init__(
        self,
        kind: Kind,
        uow_factory: UnitOfWorkFactory,
        on_written: Callable[[str, list[WriteOutcome]], None],
        on_rejected: Callable[[Rejection], None],
    ) -> None:
        self._kind = kind
        self._uow_factory = uow_factory
        self._on_written = on_written
        self._on_rejected = on_rejected

    async def write(self, tenant_id: str, batch: list[PreparedRow]) -> None:
        """Write one tenant's batch in one unit of work."""
        pending = list(batch)
        async with self._uow_factory() as uow:
            while pending:
                items = [row.item for row in pending]
                try:
                    results = await self._kind.write(uow, tenant_id, items)
                except (InvalidInput, Conflict) as error:
                    self._reject_item(pending, error)
                    continue
                self._on_written(tenant_id, [result.outcome for result in results])
                return

    def _reject_item(self, pending: list[PreparedRow], error: InvalidInput | Conflict) -> None:
        """Remove the row the error names from ``pending``, or re-raise an error about the batch."""
        match = _ITEM_FIELD.match(error.field or "")
        if match is None or int(match.group(1)) >= len(pending):
            raise error
        row = pending.pop(int(match.group(1)))
        field = match.group(2)
        self._on_rejected(
            Rejection(row.number, field, _describe(self._kind, field, error), row.source)
        )


def _describe(kind: Kind, field: str, error: InvalidInput | Conflict) -> str:
    if isinstance(error, InvalidInput):
        return f"{field} {error.value} {error.reason}"
    return (
        f"{kind.key_field} {error.key!r} is already stored with a different {field} "
        f"(conflict: {error.reason}); the stored row was kept"
    )
