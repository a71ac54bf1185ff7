"""Command group, common options, logging set-up, store opening and exit codes.

The common options (``--db``, ``--tz``, ``--tenant``, ``--format``, ``-v``,
``-q``) are accepted before or after the command name; a value given after
the command name wins. An option beats its environment variable, which beats
the default.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from analytics import migrations
from analytics.bootstrap import SQLITE_SCHEME, Store, open_store, parse_database_url
from analytics.config import DEFAULT_DATABASE_URL
from analytics.ports.errors import AnalyticsError, InvalidInput
from analytics.ports.validation.common import zone

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_NO_DATA = 1
EXIT_USAGE = 2
EXIT_FATAL = 3

FORMATS = ("table", "json", "csv")

ResultT = TypeVar("ResultT")
CommandT = TypeVar("CommandT", bound=Callable[..., Any])


@dataclass
class CliContext:
    """Options shared by every command, after environment variables and defaults."""

    database_url: str = DEFAULT_DATABASE_URL
    tz: str = "UTC"
    tenants: list[str] = field(default_factory=list)
    output_format: str = "table"
    verbosity: int = 0
    # Options given on the command line; an environment variable never overrides them.
    explicit: set[str] = field(default_factory=set)


class FatalError(Exception):
    """A failure that ends the command with exit code 3 and a one-line message."""


def configure_logging(verbosity: int) -> None:
    """Send package logs to stderr: INFO by default, DEBUG with -v, SQL with -vv, -q warnings."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LevelPrefixFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    package_level = logging.DEBUG if verbosity > 0 else logging.INFO
    logging.getLogger("analytics").setLevel(logging.WARNING if verbosity < 0 else package_level)
    if verbosity > 1:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)


class _LevelPrefixFormatter(logging.Formatter):
    """INFO lines are plain sentences; warnings and errors start with their level."""

    def format(self, record: logging.LogRecord) -> str:
        message = super().format(record)
        if record.levelno >= logging.ERROR:
            return f"error: {message}"
        if record.levelno >= logging.WARNING:
            return f"warning: {message}"
        return message


def run_async(context: CliContext, coroutine: Coroutine[Any, Any, ResultT]) -> ResultT:
    """Run a command's coroutine and turn errors into messages and exit codes."""
    try:
        return asyncio.run(coroutine)
    except InvalidInput as error:
        click.echo(f"error: {error.message}", err=True)
        raise SystemExit(EXIT_USAGE) from error
    except (AnalyticsError, FatalError, OSError) as error:
        click.echo(f"error: {error}", err=True)
        if context.verbosity > 0:
            logger.exception("command failed")
        raise SystemExit(EXIT_FATAL) from error


def _is_missing_sqlite_file(scheme: str, database: str | None) -> bool:
    if scheme != SQLITE_SCHEME or not database or database == ":memory:":
        return False
    return not Path(database).exists()


async def open_migrated_store(context: CliContext) -> Store:
    """Open the store and check that the database is at the newest migration.

    A SQLite file that does not exist is reported instead of being created
    empty, so a mistyped path does not leave a stray file behind.
    """
    url = parse_database_url(context.database_url)
    if _is_missing_sqlite_file(url.drivername, url.database):
        raise FatalError(
            f"The database is not migrated (revision none, expected "
            f"{migrations.head_revision()}): the file {url.database} does not exist. "
            "Run: analytics migrate"
        )
    store = await open_store(context.database_url)
    current = await migrations.current_revision(store.engine)
    expected = migrations.head_revision()
    if current != expected:
        await store.close()
        raise FatalError(
            f"The database is not migrated (revision {current or 'none'}, expected "
            f"{expected}). Run: analytics migrate"
        )
    return store


def _context(click_context: click.Context) -> CliContext:
    root = click_context.find_root()
    if not isinstance(root.obj, CliContext):
        root.obj = CliContext()
    return root.obj


def _accepts(click_context: click.Context, param: click.Parameter, value: object) -> bool:
    """Tell whether an option's value applies: a command-line value beats the environment."""
    if value is None or value == ():
        return False
    name = param.name or ""
    source = click_context.get_parameter_source(name)
    context = _context(click_context)
    if source is click.core.ParameterSource.COMMANDLINE:
        context.explicit.add(name)
        return True
    return name not in context.explicit


def _set_db(click_context: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None and _accepts(click_context, param, value):
        _context(click_context).database_url = value


def _set_tz(click_context: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is None or not _accepts(click_context, param, value):
        return
    try:
        _context(click_context).tz = zone(value)
    except InvalidInput as error:
        raise click.BadParameter(f"{value!r} is not an IANA time zone", param=param) from error


def _set_tenants(
    click_context: click.Context, param: click.Parameter, value: tuple[str, ...] | None
) -> None:
    if value and _accepts(click_context, param, value):
        _context(click_context).tenants = list(value)


def _set_format(click_context: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None and _accepts(click_context, param, value):
        _context(click_context).output_format = value


def _set_verbose(click_context: click.Context, _param: click.Parameter, value: int) -> None:
    if value:
        _context(click_context).verbosity = max(_context(click_context).verbosity, value)


def _set_quiet(click_context: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        _context(click_context).verbosity = -1


def common_options(function: CommandT) -> CommandT:
    """Add the common options to the group or to one command."""
    options = [
        click.option(
            "--db",
            envvar="ANALYTICS_DATABASE_URL",
            callback=_set_db,
            expose_value=False,
            help=f"Database URL (sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB); "
            f"default {DEFAULT_DATABASE_URL}. A password in it is never printed.",
        ),
        click.option(
            "--tz",
            envvar="ANALYTICS_TZ",
            callback=_set_tz,
            expose_value=False,
            help="IANA time zone for days, months, buckets and times without offset (default UTC).",
        ),
        click.option(
            "--tenant",
            envvar="ANALYTICS_TENANT",
            multiple=True,
            callback=_set_tenants,
            expose_value=False,
            help="Tenant id; repeat it to run a command for several tenants in turn.",
        ),
        click.option(
            "--format",
            type=click.Choice(FORMATS),
            callback=_set_format,
            expose_value=False,
            help="Output format: table (default), json or csv.",
        ),
        click.option(
            "-v",
            "--verbose",
            count=True,
            callback=_set_verbose,
            expose_value=False,
            help="More logging on stderr: -v debug, -vv also SQL statements.",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            callback=_set_quiet,
            expose_value=False,
            help="Only warnings and errors on stderr; no progress bar.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@common_options
@click.pass_context
def cli(click_context: click.Context) -> None:
    """Cost and reliability analytics for LLM calls and AI-agent runs."""
    _context(click_context)


def command_context(click_context: click.Context) -> CliContext:
    """Return the shared options and configure logging once they are all known."""
    context = _context(click_context)
    configure_logging(context.verbosity)
    return context
