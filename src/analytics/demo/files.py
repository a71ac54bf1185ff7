"""The demo's SQLite file: marking it as a demo file, recognising it, replacing it.

A demo file carries a fixed SQLite ``application_id`` in its header, so the
demo replaces its own earlier file but no other file unless forced.
"""

from __future__ import annotations

from pathlib import Path

from analytics.adapters.sqlite.files import create_database_file

DEMO_APPLICATION_ID = 0x414E5444
"""``application_id`` of a demo database (the bytes ``ANTD``)."""

_SQLITE_MAGIC = b"SQLite format 3\x00"
_APPLICATION_ID_OFFSET = 68
_SIDE_FILE_SUFFIXES = ("-journal", "-wal", "-shm")


def is_demo_file(path: Path) -> bool:
    """Tell whether ``path`` is a SQLite file the demo created (by its header)."""
    try:
        with path.open("rb") as file:
            header = file.read(_APPLICATION_ID_OFFSET + 4)
    except OSError:
        return False
    if len(header) < _APPLICATION_ID_OFFSET + 4 or not header.startswith(_SQLITE_MAGIC):
        return False
    application_id = int.from_bytes(header[_APPLICATION_ID_OFFSET:], "big")
    return application_id == DEMO_APPLICATION_ID


def remove_database(path: Path) -> None:
    """Delete a SQLite file and its journal, WAL and shared-memory files, if present."""
    path.unlink(missing_ok=True)
    for suffix in _SIDE_FILE_SUFFIXES:
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def create_demo_file(path: Path) -> None:
    """Create an empty SQLite file marked with the demo's ``application_id``."""
    create_database_file(path, DEMO_APPLICATION_ID)
