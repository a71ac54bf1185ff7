"""The ``analytics`` command line.

Results go to stdout; logs and progress go to stderr. Exit codes: 0 success,
1 no data ingested, 2 bad usage or invalid input, 3 fatal (database
unreachable or not migrated, unreadable file, unexpected error).
"""

from __future__ import annotations

from analytics.cli.app import main

__all__ = ["main"]
