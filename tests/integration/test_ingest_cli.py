"""``analytics ingest`` from the command line, as a user runs it, on small files."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics import migrations
from tests.integration.conftest import EmptyDatabase
from tests.support import sqlite_engine

UNREACHABLE_URL = "postgresql+asyncpg://postgres@127.0.0.1:1/x"

COST_MAPPING = (
    "--map",
    "tenant_id=account",
    "--map",
    "occurred_at=time",
    "--map",
    "model=llm",
    "--map",
    "input_tokens=prompt",
    "--map",
    "output_tokens=completion",
    "--map",
    "cost_usd=usd",
    "--map",
    "request_id=call",
)

COST_CSV = """time,account,llm,prompt,completion,usd,call
2024-03-10T06:30:00Z,acme,gpt-4o,200,100,0.002,req-1
2024-03-10T06:31:00Z,acme,gpt-4o-mini,4808,10,,req-2
2024-03-10T06:32:00+01:00,globex,gpt-4o,10,5,0.0001,req-3
"""

BENCHMARK_CSV = """\
config_id,harness,model,benchmark,instance_id,cost_usd,resolved,run_submission_time
h1/m1,h1,m1,swe-bench,task-1,1.25,true,2026-03-26T02:23:58+00:00
h1/m1,h1,m1,swe-bench,task-2,0.5,false,2026-03-26T02:23:58+00:00
h1/m1,h1,m1,gaia,task-3,,,2026-03-26T02:23:58+00:00
h2/m2,h2,m2,swe-bench,task-1,0.0,true,2026-04-01T10:00:00.123456+00:00
"""

BENCHMARK_MAPPING = (
    "--map",
    "tenant_id=harness",
    "--map",
    "worker_id=config_id",
    "--map",
    "task={benchmark}/{instance_id}",
    "--map",
    "created_at=run_submission_time",
    "--map",
    "status=resolved",
    "--value",
    "status:true=completed",
    "--value",
    "status:false=failed",
    "--key",
    "config_id,benchmark,instance_id",
)


def run_cli(
    *arguments: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m analytics.cli`` as a user would, without a terminal."""
    environment = {key: value for key, value in os.environ.items() if key.startswith("PATH")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "analytics.cli", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=environment,
    )


async def run_cli_async(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(run_cli, *arguments, cwd=cwd)


def summary_of(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """Return the JSON summary printed by ``ingest --format json``."""
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def read_rejects(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def fetch(engine: AsyncEngine, sql: str) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in (await connection.execute(text(sql))).all()]


def write(path: Path, content: str) -> Path:
    path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture
async def database(empty_database: EmptyDatabase) -> EmptyDatabase:
    """A freshly migrated database of each backend."""
    await migrations.upgrade(empty_database.engine)
    return empty_database


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """The URL of a fresh SQLite file, copied from the session's migrated template."""
    shutil.copyfile(sqlite_template, tmp_path / "analytics.db")
    return f"sqlite+aiosqlite:///{tmp_path / 'analytics.db'}"


@pytest.fixture
async def sqlite_reader(tmp_path: Path, sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the migrated SQLite file of ``sqlite_url``."""
    engine = sqlite_engine(tmp_path / "analytics.db")
    yield engine
    await engine.dispose()


async def ingest(
    url: str, file: Path, *options: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    return await run_cli_async(
        "--db", url, "ingest", str(file), *options, "--format", "json", cwd=cwd
    )


# Scenarios on each backend


async def test_cost_records_ingested_then_unchanged(
    database: EmptyDatabase, tmp_path: Path
) -> None:
    file = write(tmp_path / "usage.csv", COST_CSV)
    options = ("--kind", "cost-records", *COST_MAPPING)

    first = await ingest(database.url, file, *options, cwd=tmp_path)
    second = await ingest(database.url, file, *options, cwd=tmp_path)

    assert first.returncode == 0, first.stderr
    assert summary_of(first)["created"] == 3
    assert summary_of(first)["priced"] == 1
    assert summary_of(first)["rejects_path"] is None
    assert summary_of(first)["created_by_tenant"] == [
        {"tenant_id": "acme", "created": 2},
        {"tenant_id": "globex", "created": 1},
    ]
    assert second.returncode == 0, second.stderr
    assert summary_of(second)["created"] == 0
    assert summary_of(second)["unchanged"] == 3
    assert not (tmp_path / "usage.rejects.jsonl").exists()
    stored = await fetch(
        database.engine,
        "SELECT tenant_id, request_id, cost_nanos, cost_source, price_ref FROM cost_records "
        "ORDER BY request_id",
    )
    assert stored == [
        ("acme", "req-1", 2_000_000, "reported", None),
        ("acme", "req-2", 727_200, "estimated", "openai:gpt-4o-mini"),
        ("globex", "req-3", 100_000, "reported", None),
    ]


async def test_changed_cost_rejected_as_conflict(database: EmptyDatabase, tmp_path: Path) -> None:
    options = ("--kind", "cost-records", *COST_MAPPING, "--batch-size", "2")
    await ingest(database.url, write(tmp_path / "usage.csv", COST_CSV), *options, cwd=tmp_path)
    changed = write(
        tmp_path / "changed.csv",
        "time,account,llm,prompt,completion,usd,call\n"
        "2024-03-10T06:30:00Z,acme,gpt-4o,200,100,0.003,req-1\n"
        "2024-03-10T06:40:00Z,acme,gpt-4o,200,100,0.002,req-4\n"
        "2024-03-10T06:31:00Z,acme,gpt-4o-mini,4808,10,,req-2\n",
    )

    result = await ingest(database.url, changed, *options, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    assert (summary["created"], summary["unchanged"], summary["rejected"]) == (1, 1, 1)
    (rejected,) = read_rejects(tmp_path / "changed.rejects.jsonl")
    assert rejected["row"] == 1
    assert rejected["field"] == "cost_usd"
    assert "request_id 'req-1' is already stored with a different cost_usd" in rejected["error"]
    assert rejected["source"]["usd"] == "0.003"
    stored = await fetch(
        database.engine, "SELECT cost_nanos FROM cost_records WHERE request_id = 'req-1'"
    )
    assert stored == [(2_000_000,)]


async def test_bad_rows_rejected_good_rows_kept(database: EmptyDatabase, tmp_path: Path) -> None:
    file = write(
        tmp_path / "mixed.csv",
        "time,account,llm,prompt,completion,usd,call\n"
        "2024-03-10T06:30:00Z,acme,gpt-4o,200,100,0.002,req-1\n"
        "2024-03-10 06:31:00,acme,gpt-4o,200,100,0.002,req-2\n"
        "2024-03-10T06:32:00Z,acme,gpt-4o,-5,100,0.002,req-3\n"
        "2024-03-10T06:33:00Z,acme,gpt-4o,200,100,1.5.0,req-4\n"
        "2024-03-10T06:34:00Z,,gpt-4o,200,100,0.002,req-5\n"
        "2024-03-10T06:35:00Z,acme,gpt-4o,200,12.5,0.002,req-6\n"
        "2024-03-10T06:36:00Z,acme,gpt-4o,200,100,0.002,req-7\n",
    )
    rejects_path = tmp_path / "out" / "bad.jsonl"
    rejects_path.parent.mkdir()

    result = await ingest(
        database.url,
        file,
        "--kind",
        "cost-records",
        *COST_MAPPING,
        "--rejects",
        str(rejects_path),
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert summary_of(result)["created"] == 2
    assert summary_of(result)["rejected"] == 5
    assert summary_of(result)["rejects_path"] == str(rejects_path)
    rejects = [(line["row"], line["field"], line["error"]) for line in read_rejects(rejects_path)]
    assert rejects == [
        (
            2,
            "occurred_at",
            "occurred_at '2024-03-10 06:31:00' has no time zone; pass --assume-tz ZONE",
        ),
        (3, "input_tokens", "input_tokens '-5' must be between 0 and 1000000000"),
        (4, "cost_usd", "cost_usd '1.5.0' is not an amount in USD"),
        (5, "tenant_id", "tenant_id is missing (column 'account' is empty)"),
        (6, "output_tokens", "output_tokens '12.5' is not a whole number"),
    ]
    assert "5 rows rejected" in result.stderr
    assert str(rejects_path) in result.stderr
    stored = await fetch(database.engine, "SELECT request_id FROM cost_records ORDER BY request_id")
    assert stored == [("req-1",), ("req-7",)]


async def test_worker_runs_recoded_and_completed(database: EmptyDatabase, tmp_path: Path) -> None:
    file = tmp_path / "benchmark-runs.csv.gz"
    file.write_bytes(gzip.compress(BENCHMARK_CSV.encode()))
    options = ("--kind", "worker-runs", *BENCHMARK_MAPPING)

    first = await ingest(database.url, file, *options, cwd=tmp_path)
    second = await ingest(database.url, file, *options, cwd=tmp_path)

    assert first.returncode == 0, first.stderr
    summary = summary_of(first)
    assert (summary["created"], summary["rejected"], summary["completion_defaulted"]) == (3, 1, 3)
    (rejected,) = read_rejects(tmp_path / "benchmark-runs.rejects.jsonl")
    assert (rejected["row"], rejected["field"]) == (3, "status")
    assert rejected["error"] == "status is missing (column 'resolved' is empty)"
    assert summary_of(second)["unchanged"] == 3
    stored = await fetch(
        database.engine,
        "SELECT tenant_id, worker_id, task, status, cost_nanos FROM worker_runs "
        "WHERE completed_at = created_at ORDER BY tenant_id, task",
    )
    assert stored == [
        ("h1", "h1/m1", "swe-bench/task-1", "completed", 1_250_000_000),
        ("h1", "h1/m1", "swe-bench/task-2", "failed", 500_000_000),
        ("h2", "h2/m2", "swe-bench/task-1", "completed", 0),
    ]


async def test_runs_from_json_lines(database: EmptyDatabase, tmp_path: Path) -> None:
    lines = [
        '{"id": "run-1", "status": "completed", "created_at": "2024-03-10T06:30:00Z", '
        '"model": "gpt-4o", "input_tokens": 120, "output_tokens": 30, "cost_usd": 0.0125}',
        "",
        '{"id": "run-2", "status": "running", "created_at": "2024-03-10T06:31:00Z"}',
        '{"id": "run-3", "status": "completed", "created_at": "2024-03-10T06:32:00Z", '
        '"finished_at": "2024-03-10T06:31:00Z", "started_at": "2024-03-10T06:31:30Z"}',
        "[1, 2]",
    ]
    file = tmp_path / "runs.ndjson.gz"
    file.write_bytes(gzip.compress("\n".join(lines).encode()))

    result = await ingest(database.url, file, "--kind", "runs", "--tenant", "acme", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert summary_of(result)["created"] == 2
    rejects = read_rejects(tmp_path / "runs.rejects.jsonl")
    assert [(line["row"], line["field"]) for line in rejects] == [
        (4, "finished_at"),
        (5, "row"),
    ]
    assert rejects[1]["error"] == "row is not a JSON object"
    stored = await fetch(
        database.engine, "SELECT id, status, cost_nanos, input_tokens FROM runs ORDER BY id"
    )
    assert stored == [("run-1", "completed", 12_500_000, 120), ("run-2", "running", None, None)]


# Input checks and exit codes (SQLite)


def test_missing_file_is_fatal_without_traceback(tmp_path: Path, sqlite_url: str) -> None:
    missing = tmp_path / "nowhere.csv"

    quiet = run_cli("--db", sqlite_url, "ingest", str(missing), "--kind", "runs", cwd=tmp_path)
    verbose = run_cli(
        "--db", sqlite_url, "ingest", str(missing), "--kind", "runs", "-v", cwd=tmp_path
    )

    assert quiet.returncode == 3
    assert f"error: cannot read {missing}: No such file or directory" in quiet.stderr
    assert "Traceback" not in quiet.stderr
    assert verbose.returncode == 3
    assert "Traceback" in verbose.stderr


def test_corrupt_gzip_is_fatal(tmp_path: Path, sqlite_url: str) -> None:
    file = tmp_path / "broken.csv.gz"
    file.write_bytes(b"this is not gzip data")

    result = run_cli("--db", sqlite_url, "ingest", str(file), "--kind", "runs", cwd=tmp_path)

    assert result.returncode == 3
    assert f"cannot read {file}" in result.stderr
    assert "Traceback" not in result.stderr


def test_not_utf8_is_fatal(tmp_path: Path, sqlite_url: str) -> None:
    file = tmp_path / "latin1.csv"
    file.write_bytes("id,status\nr\xe9sum\xe9,completed\n".encode("latin-1"))

    result = run_cli(
        "--db", sqlite_url, "ingest", str(file), "--kind", "runs", "--tenant", "t", cwd=tmp_path
    )

    assert result.returncode == 3
    assert "the file is not UTF-8 text" in result.stderr
    assert "Traceback" not in result.stderr


def test_map_of_missing_column_is_usage_error(tmp_path: Path, sqlite_url: str) -> None:
    file = write(tmp_path / "usage.csv", COST_CSV)

    result = run_cli(
        "--db",
        sqlite_url,
        "ingest",
        str(file),
        "--kind",
        "cost-records",
        "--map",
        "tenant_id=customer",
        cwd=tmp_path,
    )

    assert result.returncode == 2
    assert "the column(s) customer are not in the file's header" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_assumed_zone_is_usage_error(tmp_path: Path, sqlite_url: str) -> None:
    file = write(tmp_path / "usage.csv", COST_CSV)

    result = run_cli(
        "--db",
        sqlite_url,
        "ingest",
        str(file),
        "--kind",
        "cost-records",
        *COST_MAPPING,
        "--assume-tz",
        "Mars/Olympus",
        cwd=tmp_path,
    )

    assert result.returncode == 2
    assert "'Mars/Olympus' is not an IANA time zone" in result.stderr
    assert "Traceback" not in result.stderr


def test_naive_times_without_zone_reject_every_row(tmp_path: Path, sqlite_url: str) -> None:
    file = write(
        tmp_path / "trace.csv",
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        "2023-11-16 18:17:03.9799600,4808,10\n"
        "2023-11-16 18:17:04.0319600,3180,8\n",
    )
    options = (
        "--kind",
        "cost-records",
        "--tenant",
        "trace",
        "--map",
        "occurred_at=TIMESTAMP",
        "--map",
        "input_tokens=ContextTokens",
        "--map",
        "output_tokens=GeneratedTokens",
        "--set",
        "model=gpt-4o-mini",
    )

    rejected = run_cli("--db", sqlite_url, "ingest", str(file), *options, cwd=tmp_path)
    accepted = run_cli(
        "--db", sqlite_url, "ingest", str(file), *options, "--assume-tz", "UTC", cwd=tmp_path
    )

    assert rejected.returncode == 1
    assert (
        "Row 1: occurred_at '2023-11-16 18:17:03.9799600' has no time zone; "
        "pass --assume-tz ZONE" in rejected.stderr
    )
    assert "Traceback" not in rejected.stderr
    assert len(read_rejects(tmp_path / "trace.rejects.jsonl")) == 2
    assert accepted.returncode == 0, accepted.stderr


def test_unmigrated_database_is_fatal(tmp_path: Path) -> None:
    file = write(tmp_path / "usage.csv", COST_CSV)
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"

    result = run_cli(
        "--db", url, "ingest", str(file), "--kind", "cost-records", *COST_MAPPING, cwd=tmp_path
    )

    assert result.returncode == 3
    assert "The database is not migrated (revision none" in result.stderr
    assert "Run: analytics migrate" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_fatal(tmp_path: Path) -> None:
    file = write(tmp_path / "usage.csv", COST_CSV)

    result = run_cli(
        "--db",
        UNREACHABLE_URL,
        "ingest",
        str(file),
        "--kind",
        "cost-records",
        *COST_MAPPING,
        cwd=tmp_path,
    )

    assert result.returncode == 3
    assert "127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr


def test_header_only_file_has_no_data(tmp_path: Path, sqlite_url: str) -> None:
    file = write(tmp_path / "empty.csv", "time,account,llm,prompt,completion,usd,call\n")

    result = run_cli(
        "--db",
        sqlite_url,
        "ingest",
        str(file),
        "--kind",
        "cost-records",
        *COST_MAPPING,
        "--format",
        "json",
        cwd=tmp_path,
    )

    assert result.returncode == 1
    assert summary_of(result)["rows_read"] == 0


def test_unknown_extension_is_usage_error(tmp_path: Path, sqlite_url: str) -> None:
    file = write(tmp_path / "usage.txt", COST_CSV)

    result = run_cli(
        "--db", sqlite_url, "ingest", str(file), "--kind", "cost-records", cwd=tmp_path
    )

    assert result.returncode == 2
    assert "unknown file type" in result.stderr


@pytest.mark.parametrize("size", ["0", "1001"])
def test_batch_size_out_of_range_is_usage_error(tmp_path: Path, size: str) -> None:
    file = write(tmp_path / "usage.csv", COST_CSV)

    result = run_cli(
        "ingest",
        str(file),
        "--kind",
        "cost-records",
        *COST_MAPPING,
        "--batch-size",
        size,
        "--dry-run",
        cwd=tmp_path,
    )

    assert result.returncode == 2
    assert "--batch-size" in result.stderr


def test_two_tenants_is_usage_error(tmp_path: Path) -> None:
    file = write(tmp_path / "trace.csv", "TIMESTAMP\n2024-01-01T00:00:00Z\n")

    result = run_cli(
        "ingest",
        str(file),
        "--kind",
        "runs",
        "--tenant",
        "a",
        "--tenant",
        "b",
        "--dry-run",
        cwd=tmp_path,
    )

    assert result.returncode == 2
    assert "ingest takes one --tenant" in result.stderr


def test_dry_run_opens_no_database(tmp_path: Path) -> None:
    file = write(tmp_path / "usage.csv", COST_CSV)
    database = tmp_path / "never.db"

    result = run_cli(
        "--db",
        f"sqlite+aiosqlite:///{database}",
        "ingest",
        str(file),
        "--kind",
        "cost-records",
        *COST_MAPPING,
        "--dry-run",
        "--format",
        "json",
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    assert summary["dry_run"] is True
    assert (summary["valid"], summary["priced"], summary["created"]) == (3, 1, 0)
    assert not database.exists()


async def test_bom_and_quoted_cells(
    tmp_path: Path, sqlite_reader: AsyncEngine, sqlite_url: str
) -> None:
    content = (
        "\ufeffid,worker_id,task,status,created_at,error\n"
        'run-1,triage,"Summarise ""Q3"", then reply\nwith  two lines",failed,'
        '2024-03-10T06:30:00Z,"  Timeout, retrying  "\n'
    )
    file = tmp_path / "quoted.csv"
    file.write_bytes(content.encode("utf-8"))

    result = await ingest(
        sqlite_url, file, "--kind", "worker-runs", "--tenant", "acme", cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    stored = await fetch(sqlite_reader, "SELECT id, task, error FROM worker_runs")
    assert stored == [
        ("run-1", 'Summarise "Q3", then reply\nwith  two lines', "  Timeout, retrying  ")
    ]


async def test_identical_rows_stay_two_records(
    tmp_path: Path, sqlite_reader: AsyncEngine, sqlite_url: str
) -> None:
    file = write(
        tmp_path / "trace.csv",
        "occurred_at,model,input_tokens,output_tokens,cost_usd\n"
        "2024-03-10T06:30:00Z,gpt-4o,10,5,0.001\n"
        "2024-03-10T06:30:00Z,gpt-4o,10,5,0.001\n"
        "2024-03-10T06:31:00Z,gpt-4o,10,5,0.001\n",
    )

    first = await ingest(sqlite_url, file, "--kind", "cost-records", "--tenant", "t", cwd=tmp_path)
    second = await ingest(sqlite_url, file, "--kind", "cost-records", "--tenant", "t", cwd=tmp_path)

    assert summary_of(first)["created"] == 3
    assert summary_of(second)["unchanged"] == 3
    keys = await fetch(sqlite_reader, "SELECT request_id FROM cost_records")
    assert len({key for (key,) in keys}) == 3
    assert all(key.startswith("k_") and len(key) == 34 for (key,) in keys)


async def test_unpriced_model_named_in_summary(
    tmp_path: Path, sqlite_reader: AsyncEngine, sqlite_url: str
) -> None:
    file = write(
        tmp_path / "calls.jsonl",
        '{"occurred_at": "2024-03-10T06:30:00Z", "model": "in-house-llm", '
        '"input_tokens": 500, "output_tokens": 40}\n'
        '{"occurred_at": "2024-03-10T06:31:00Z", "model": "in-house-llm", '
        '"input_tokens": 20, "output_tokens": 4}\n',
    )

    result = await ingest(sqlite_url, file, "--kind", "cost-records", "--tenant", "t", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert summary_of(result)["unpriced"] == [{"model": "in-house-llm", "rows": 2}]
    assert result.stderr.count("No price for model 'in-house-llm'") == 1
    stored = await fetch(sqlite_reader, "SELECT cost_source, cost_nanos FROM cost_records")
    assert stored == [("unpriced", 0), ("unpriced", 0)]


def test_csv_format_summary(tmp_path: Path) -> None:
    file = write(tmp_path / "usage.csv", COST_CSV)

    result = run_cli(
        "ingest",
        str(file),
        "--kind",
        "cost-records",
        *COST_MAPPING,
        "--dry-run",
        "--format",
        "csv",
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "metric,subject,value"
    assert "rows_read,,3" in lines
    assert "priced,,1" in lines


def test_table_format_summary(tmp_path: Path) -> None:
    file = write(tmp_path / "usage.csv", COST_CSV)

    result = run_cli(
        "ingest", str(file), "--kind", "cost-records", *COST_MAPPING, "--dry-run", cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert "rows read" in result.stdout
    assert "dry run: nothing written" in result.stdout
    # Without a terminal there is no progress bar on stderr.
    assert "rows/s" not in result.stderr


def test_tenant_from_environment_yields_to_map(tmp_path: Path) -> None:
    file = write(tmp_path / "usage.csv", COST_CSV)

    result = run_cli(
        "ingest",
        str(file),
        "--kind",
        "cost-records",
        *COST_MAPPING,
        "--dry-run",
        "--format",
        "json",
        cwd=tmp_path,
        env={"ANALYTICS_TENANT": "from-env"},
    )

    assert result.returncode == 0, result.stderr
    assert summary_of(result)["valid"] == 3


def test_quiet_hides_summary_log(tmp_path: Path) -> None:
    file = write(tmp_path / "usage.csv", COST_CSV)

    result = run_cli(
        "ingest",
        str(file),
        "--kind",
        "cost-records",
        *COST_MAPPING,
        "--dry-run",
        "-q",
        cwd=tmp_path,
    )

    assert result.returncode == 0
    assert result.stderr == ""
