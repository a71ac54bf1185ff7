"""Errors that stop an ingest before or while it reads the file."""

from __future__ import annotations


class IngestUsageError(ValueError):
    """The command-line options do not fit the file (exit code 2 on the command line)."""


class UnreadableFile(OSError):
    """The file cannot be opened, decompressed or decoded (exit code 3 on the command line)."""
