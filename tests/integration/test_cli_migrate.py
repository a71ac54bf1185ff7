"""``analytics migrate`` from the command line, as a user runs it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from analytics import migrations
from tests.integration.conftest import EmptyDatabase

# The number of revisions an upgrade of an empty database applies.
ALL_REVISIONS = len(migrations.pending_revisions(None))


def run_cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analytics.cli", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_migrate_creates_sqlite_file_then_is_up_to_date(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"

    first = run_cli("--db", url, "migrate", cwd=tmp_path)
    second = run_cli("--db", url, "migrate", cwd=tmp_path)

    assert first.returncode == 0, first.stderr
    assert f"{ALL_REVISIONS} migrations applied" in first.stdout
    assert (tmp_path / "new.db").exists()
    assert second.returncode == 0, second.stderr
    assert "already up to date" in second.stdout


def test_migrate_reads_database_url_from_environment(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'env.db'}"

    result = subprocess.run(
        [sys.executable, "-m", "analytics.cli", "migrate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"ANALYTICS_DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "env.db").exists()


def test_unsupported_url_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("--db", "mysql://user:secret@db/x", "migrate", cwd=tmp_path)

    assert result.returncode == 2
    assert "sqlite+aiosqlite://" in result.stderr
    assert "secret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_server_is_fatal_without_traceback(tmp_path: Path) -> None:
    result = run_cli("--db", "postgresql+asyncpg://postgres@127.0.0.1:1/x", "migrate", cwd=tmp_path)

    assert result.returncode == 3
    assert "127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr


async def test_migrate_runs_on_each_backend(empty_database: EmptyDatabase, tmp_path: Path) -> None:
    first = await asyncio.to_thread(run_cli, "--db", empty_database.url, "migrate", cwd=tmp_path)
    second = await asyncio.to_thread(run_cli, "--db", empty_database.url, "migrate", cwd=tmp_path)

    assert first.returncode == 0, first.stderr
    assert f"{ALL_REVISIONS} migrations applied" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "already up to date" in second.stdout


def test_option_before_command_beats_environment(tmp_path: Path) -> None:
    chosen = f"sqlite+aiosqlite:///{tmp_path / 'chosen.db'}"
    ignored = f"sqlite+aiosqlite:///{tmp_path / 'ignored.db'}"

    result = subprocess.run(
        [sys.executable, "-m", "analytics.cli", "--db", chosen, "migrate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"ANALYTICS_DATABASE_URL": ignored, "PATH": "/usr/bin:/bin"},
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "chosen.db").exists()
    assert not (tmp_path / "ignored.db").exists()


def test_bad_zone_is_a_usage_error(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tz.db'}"

    result = run_cli("migrate", "--db", url, "--tz", "Mars/Olympus", cwd=tmp_path)

    assert result.returncode == 2
    assert "Mars/Olympus" in result.stderr
    assert "Traceback" not in result.stderr
