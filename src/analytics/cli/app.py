"""Command group, common options, logging set-up and exit codes."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from analytics.config import DEFAULT_DATABASE_URL
from analytics.ports.errors import AnalyticsError, BackendUnavailable, InvalidInput

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_NO_DATA = 1
EXIT_USAGE = 2
EXIT_FATAL = 3

ResultT = TypeVar("ResultT")


@dataclass
class CliContext:
    """Options shared by every command."""

    database_url: str
    verbosity: int


def configure_logging(verbosity: int) -> None:
    """Send package logs to stderr: INFO by default, DEBUG with -v, SQL with -vv."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    package_level = logging.DEBUG if verbosity > 0 else logging.INFO
    logging.getLogger("analytics").setLevel(logging.WARNING if verbosity < 0 else package_level)
    if verbosity > 1:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)


def run_async(context: CliContext, coroutine: Coroutine[Any, Any, ResultT]) -> ResultT:
    """Run a command's coroutine and turn port errors into messages and exit codes."""
    try:
        return asyncio.run(coroutine)
    except InvalidInput as error:
        click.echo(f"error: {error.message}", err=True)
        raise SystemExit(EXIT_USAGE) from error
    except (BackendUnavailable, AnalyticsError) as error:
        click.echo(f"error: {error.message}", err=True)
        if context.verbosity > 0:
            logger.exception("command failed")
        raise SystemExit(EXIT_FATAL) from error


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "database_url",
    envvar="ANALYTICS_DATABASE_URL",
    default=DEFAULT_DATABASE_URL,
    show_default=True,
    help="Database URL: sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST:PORT/DB.",
)
@click.option("-v", "--verbose", count=True, help="More logging: -v debug, -vv also SQL.")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
@click.pass_context
def cli(context: click.Context, database_url: str, verbose: int, quiet: bool) -> None:
    """Cost and reliability analytics for LLM calls and AI-agent runs."""
    verbosity = -1 if quiet else verbose
    configure_logging(verbosity)
    context.obj = CliContext(database_url=database_url, verbosity=verbosity)
