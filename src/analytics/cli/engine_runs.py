"""Plumbing shared by the commands that run an engine once per tenant.

Each such command needs at least one ``--tenant``, checks that the database is
migrated, runs the engine for each tenant in turn on one store, and then
prints all results in the chosen format.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import click
from pydantic import ValidationError
from rich.table import Table

from analytics.cli.app import CliContext, FatalError, open_migrated_store
from analytics.cli.output import make_console
from analytics.ports.errors import AnalyticsError
from analytics.ports.unit_of_work import UnitOfWorkFactory

logger = logging.getLogger(__name__)

ResultT = TypeVar("ResultT")

TenantCall = Callable[[UnitOfWorkFactory, str], Awaitable[ResultT]]


def require_tenants(context: CliContext) -> list[str]:
    """Return the ``--tenant`` values, or stop with a usage error when there are none."""
    if not context.tenants:
        raise click.UsageError(
            "Missing tenant: pass --tenant ID (repeat it for several tenants) "
            "or set ANALYTICS_TENANT."
        )
    return list(context.tenants)


async def run_per_tenant(
    context: CliContext,
    tenants: Sequence[str],
    call: TenantCall[ResultT],
    *,
    read_only: bool = False,
) -> list[ResultT]:
    """Open the migrated store and run ``call`` for each tenant in turn, in order.

    With ``read_only`` the call gets read-only units of work, which on SQLite
    read a snapshot instead of waiting for a running ingest.

    Errors of the package pass through for ``run_async`` to report. Any other
    exception becomes a ``FatalError`` (exit code 3) whose traceback is logged
    only with ``-v``.
    """
    store = await open_migrated_store(context)
    try:
        factory = store.read_only_unit_of_work if read_only else store.unit_of_work
        return [await guarded(call(factory, tenant)) for tenant in tenants]
    finally:
        await store.close()


async def guarded(awaitable: Awaitable[ResultT]) -> ResultT:
    """Await ``awaitable``, turning an exception from outside the package into a FatalError."""
    try:
        return await awaitable
    except (AnalyticsError, FatalError, OSError):
        raise
    except Exception as error:
        raise FatalError(f"unexpected error: {type(error).__name__}: {error}") from error


def print_sections(sections: Sequence[tuple[str, Sequence[Table], Sequence[str]]]) -> None:
    """Print each section's heading, tables and note lines on stdout."""
    console = make_console()
    for index, (heading, tables, notes) in enumerate(sections):
        if index:
            console.print()
        console.print(heading, markup=False, highlight=False)
        for table in tables:
            console.print()
            console.print(table)
        for note in notes:
            console.print(note, markup=False, highlight=False)


def settings_error_message(error: ValueError) -> str:
    """Return the first message of a settings validation error, without pydantic's prefix."""
    if isinstance(error, ValidationError) and error.errors():
        return str(error.errors()[0]["msg"]).removeprefix("Value error, ")
    return str(error)
