"""SQLite database files created outside a store, such as the demo's marked file."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def create_database_file(path: Path, application_id: int) -> None:
    """Create an empty SQLite file whose header carries ``application_id``."""
    connection = sqlite3.connect(path)
    try:
        connection.execute(f"PRAGMA application_id = {int(application_id)}")
        connection.commit()
    finally:
        connection.close()
