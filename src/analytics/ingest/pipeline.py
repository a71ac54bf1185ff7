"""Read, check, price and write a whole file, streaming it row by row.

Rows are written per tenant in batches of ``batch_size`` (at most 1,000),
each batch in its own unit of work. Finished batches stay when a later one
fails, so a re-run resumes where it stopped, and rows already stored come
back ``unchanged``. Without a unit-of-work factory (a dry run) the rows are
parsed, mapped, priced and checked, and nothing is written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from analytics.domain import WriteOutcome
from analytics.engines.pricing import Pricer
from analytics.ingest.batches import MAX_BATCH_SIZE, BatchWriter, TenantBatches
from analytics.ingest.kinds import Kind
from analytics.ingest.mapping import RowMapper
from analytics.ingest.prepare import PreparedRow, Rejection, RowPreparer
from analytics.ingest.readers import SourceFile, name_without_extensions
from analytics.ingest.summary import IngestSummary, RejectsFile, Tally
from analytics.ports import UnitOfWorkFactory

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 1000
"""Rows between two progress reports."""

ProgressCallback = Callable[[int, float], None]
"""Called with the rows read so far and the share of the file read (0 to 1)."""


@dataclass(frozen=True)
class IngestOptions:
    """Options of one ingest that do not concern the mapping of fields."""

    kind: Kind
    assume_tz: str | None = None
    batch_size: int = MAX_BATCH_SIZE
    rejects_path: Path | None = None
    price_provider: str | None = None
    dry_run: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}")


def default_rejects_path(path: Path) -> Path:
    """Return ``<file name without extensions>.rejects.jsonl`` in the working directory."""
    return Path.cwd() / f"{name_without_extensions(path)}.rejects.jsonl"


async def ingest_file(
    source: SourceFile,
    mapper: RowMapper,
    options: IngestOptions,
    uow_factory: UnitOfWorkFactory | None,
    on_progress: ProgressCallback | None = None,
) -> IngestSummary:
    """Ingest every row of an open source file and return the summary.

    ``uow_factory=None`` is a dry run. Port errors other than a rejected row
    propagate; batches written before them stay written.
    """
    rejects_path = options.rejects_path or default_rejects_path(source.path)
    with RejectsFile(rejects_path) as rejects:
        run = _Run(source, mapper, options, uow_factory, rejects, on_progress)
        await run.read_all()
    summary = run.tally.summary(
        source.path,
        options.kind.name,
        uow_factory is None,
        rejects_path if rejects.written else None,
    )
    _log_summary(summary)
    return summary


@dataclass
class _Run:
    source: SourceFile
    mapper: RowMapper
    options: IngestOptions
    uow_factory: UnitOfWorkFactory | None
    rejects: RejectsFile
    on_progress: ProgressCallback | None
    tally: Tally = field(default_factory=Tally)

    def __post_init__(self) -> None:
        pricer = Pricer(provider_id=self.options.price_provider)
        self.preparer = RowPreparer(self.options.kind, self.mapper, pricer, self.options.assume_tz)
        self.batches = TenantBatches(self.options.batch_size)
        self.writer: BatchWriter | None = None
        if self.uow_factory is not None:
            self.writer = BatchWriter(
                self.options.kind, self.uow_factory, self._written, self._reject
            )

    async def read_all(self) -> None:
        for row in self.source.rows():
            self.tally.rows_read += 1
            prepared = self.preparer.prepare(row)
            if isinstance(prepared, Rejection):
                self._reject(prepared)
            else:
                self.tally.count_valid(prepared)
                await self._write(self.batches.add(prepared))
            if self.tally.rows_read % PROGRESS_EVERY == 0:
                self._report_progress()
        await self._write(self.batches.drain())
        self._report_progress()

    async def _write(self, batches: list[tuple[str, list[PreparedRow]]]) -> None:
        if self.writer is None:
            return
        for tenant_id, batch in batches:
            await self.writer.write(tenant_id, batch)

    def _written(self, tenant_id: str, outcomes: list[WriteOutcome]) -> None:
        self.tally.count_written(tenant_id, outcomes)

    def _reject(self, rejection: Rejection) -> None:
        self.tally.count_rejected(rejection)
        self.rejects.add(rejection)
        logger.debug("Row %s rejected: %s", rejection.row, rejection.error)

    def _report_progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.tally.rows_read, self.source.fraction_read())


def _log_summary(summary: IngestSummary) -> None:
    verb = "Checked" if summary.dry_run else "Ingested"
    logger.info(
        "%s %s as %s: %s rows read, %s created, %s unchanged, %s rejected.",
        verb,
        summary.file,
        summary.kind,
        summary.rows_read,
        summary.created,
        summary.unchanged,
        summary.rejected,
    )
    if summary.rejected:
        logger.warning(
            "%s rejected, the first one: %s. See %s for every rejected row and its reason.",
            "1 row" if summary.rejected == 1 else f"{summary.rejected} rows",
            summary.first_rejection,
            summary.rejects_path,
        )
