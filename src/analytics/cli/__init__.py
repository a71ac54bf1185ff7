"""The ``analytics`` command line.

Results go to stdout; logs and progress go to stderr. Exit codes: 0 success,
1 no data ingested, 2 bad usage or invalid input, 3 fatal (database
unreachable or not migrated, unreadable file, unexpected error).
"""

from __future__ import annotations

import click

# Importing a command module registers its command on the group.
from analytics.cli import demo as _demo  # noqa: F401
from analytics.cli import detect as _detect  # noqa: F401
from analytics.cli import ingest as _ingest  # noqa: F401
from analytics.cli import migrate as _migrate  # noqa: F401
from analytics.cli import patterns as _patterns  # noqa: F401
from analytics.cli import predict as _predict  # noqa: F401
from analytics.cli import report as _report  # noqa: F401
from analytics.cli import rollups as _rollups  # noqa: F401
from analytics.cli.app import EXIT_FATAL, EXIT_USAGE, cli


def main() -> None:
    """Entry point of the ``analytics`` console script."""
    try:
        cli.main(standalone_mode=False)
    except click.UsageError as error:
        error.show()
        raise SystemExit(EXIT_USAGE) from error
    except click.Abort as error:
        raise SystemExit(EXIT_FATAL) from error
    except click.ClickException as error:
        error.show()
        raise SystemExit(EXIT_USAGE) from error


__all__ = ["main"]
