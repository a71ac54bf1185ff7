"""``analytics ingest``: load a CSV or JSON-lines usage file into the database."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import TracebackType

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn

from analytics.cli.app import (
    EXIT_OK,
    CliContext,
    cli,
    command_context,
    common_options,
    open_migrated_store,
    run_async,
)
from analytics.ingest.batches import MAX_BATCH_SIZE
from analytics.ingest.errors import IngestUsageError
from analytics.ingest.kinds import KINDS, TENANT_FIELD
from analytics.ingest.mapping import MappingOptions, RowMapper, build_mapper
from analytics.ingest.output import summary_csv, summary_json, summary_table
from analytics.ingest.pipeline import IngestOptions, ProgressCallback, ingest_file
from analytics.ingest.readers import SourceFile, open_source
from analytics.ingest.summary import IngestSummary
from analytics.ports.errors import InvalidInput
from analytics.ports.validation.common import zone


def _check_zone(
    _click_context: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    if value is None:
        return None
    try:
        return zone(value)
    except InvalidInput as error:
        raise click.BadParameter(f"{value!r} is not an IANA time zone", param=param) from error


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--kind",
    required=True,
    type=click.Choice(list(KINDS)),
    help="What each row is: a cost record, a worker run or a run.",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="FIELD=SOURCE",
    help="Fill FIELD from a column, or from a template such as '{benchmark}/{instance_id}'. "
    "A column named like a field maps to it without this option.",
)
@click.option(
    "--value",
    "recodes",
    multiple=True,
    metavar="FIELD:FROM=TO",
    help="Replace the exact mapped value FROM of FIELD by TO; an empty FROM matches an empty cell.",
)
@click.option(
    "--set",
    "constants",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Give FIELD the same value in every row.",
)
@click.option(
    "--key",
    "key_columns",
    metavar="COLUMN[,COLUMN...]",
    help="Build the idempotency key (request_id or id) from these columns. Without it and "
    "without a mapped key, the whole row is hashed.",
)
@click.option(
    "--assume-tz",
    metavar="ZONE",
    callback=_check_zone,
    help="IANA time zone of times written without an offset; without it such times are rejected.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, MAX_BATCH_SIZE),
    default=MAX_BATCH_SIZE,
    show_default=True,
    help="Rows written per unit of work.",
)
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON-lines file for rejected rows; default <file name>.rejects.jsonl in the "
    "working directory. Written only when a row is rejected.",
)
@click.option(
    "--price-provider",
    metavar="ID",
    help="Price provider id (such as openai) used to price rows that have tokens but no cost.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Parse, map, price and check every row without opening the database.",
)
@common_options
@click.pass_context
def ingest(
    click_context: click.Context,
    file: Path,
    kind: str,
    maps: tuple[str, ...],
    recodes: tuple[str, ...],
    constants: tuple[str, ...],
    key_columns: str | None,
    assume_tz: str | None,
    batch_size: int,
    rejects_path: Path | None,
    price_provider: str | None,
    dry_run: bool,
) -> None:
    """Load FILE (.csv, .jsonl or .ndjson, optionally .gz) as cost records, worker runs or runs.

    Rows are checked, priced when they have tokens but no cost, and written
    per tenant in batches. Re-running the same file adds nothing. Exit code
    1 means the file had no data rows or every row was rejected.
    """
    context = command_context(click_context)
    mapping = MappingOptions(
        maps=maps,
        recodes=recodes,
        constants=constants,
        key_columns=key_columns,
        tenant=_tenant(context, maps, constants),
    )
    options = IngestOptions(
        kind=KINDS[kind],
        assume_tz=assume_tz,
        batch_size=batch_size,
        rejects_path=rejects_path,
        price_provider=price_provider,
        dry_run=dry_run,
    )
    with _ProgressBar(context) as progress:
        summary = run_async(context, _ingest(context, file, mapping, options, progress))
    _print_summary(summary, context.output_format)
    if summary.exit_code != EXIT_OK:
        raise SystemExit(summary.exit_code)


def _tenant(context: CliContext, maps: tuple[str, ...], constants: tuple[str, ...]) -> str | None:
    """Return the ``--tenant`` value; one from the environment yields to a mapped tenant."""
    if not context.tenants:
        return None
    if len(context.tenants) > 1:
        raise click.UsageError("ingest takes one --tenant; split the file per tenant instead")
    filled_fields = {item.partition("=")[0].strip() for item in (*maps, *constants)}
    if "tenant" not in context.explicit and TENANT_FIELD in filled_fields:
        return None
    return context.tenants[0]


async def _ingest(
    context: CliContext,
    file: Path,
    mapping: MappingOptions,
    options: IngestOptions,
    progress: ProgressCallback | None,
) -> IngestSummary:
    with _open_source(file) as source:
        mapper = _mapper(options, mapping, source.columns)
        if options.dry_run:
            return await ingest_file(source, mapper, options, None, progress)
        store = await open_migrated_store(context)
        try:
            return await ingest_file(source, mapper, options, store.unit_of_work, progress)
        finally:
            await store.close()


def _open_source(file: Path) -> SourceFile:
    """Open the file, turning an unknown extension or a bad header into a usage error."""
    try:
        return open_source(file)
    except IngestUsageError as error:
        raise click.UsageError(str(error)) from error


def _mapper(
    options: IngestOptions, mapping: MappingOptions, columns: tuple[str, ...] | None
) -> RowMapper:
    try:
        return build_mapper(options.kind, mapping, columns)
    except IngestUsageError as error:
        raise click.UsageError(str(error)) from error


def _print_summary(summary: IngestSummary, output_format: str) -> None:
    if output_format == "json":
        click.echo(summary_json(summary))
    elif output_format == "csv":
        click.echo(summary_csv(summary), nl=False)
    else:
        Console(file=sys.stdout).print(summary_table(summary))


class _ProgressBar:
    """A rich progress bar on stderr, shown only on a terminal and without -q."""

    def __init__(self, context: CliContext) -> None:
        self._enabled = sys.stderr.isatty() and context.verbosity >= 0
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._started = time.monotonic()

    def __enter__(self) -> ProgressCallback | None:
        if not self._enabled:
            return None
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("reading", total=1.0)
        return self._update

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def _update(self, rows: int, fraction: float) -> None:
        assert self._progress is not None and self._task is not None
        elapsed = max(time.monotonic() - self._started, 1e-6)
        description = f"{rows:,} rows read, {rows / elapsed:,.0f} rows/s"
        self._progress.update(self._task, completed=fraction, description=description)
