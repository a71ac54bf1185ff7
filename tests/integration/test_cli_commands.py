"""``analytics report``, ``detect``, ``patterns`` and ``predict`` from the command line.

Most tests read a demo database built once per module with ``analytics demo``.
Tests that would write to it work on a copy.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from analytics.bootstrap import open_store
from analytics.domain.costs import NewCostRecord
from analytics.domain.enums import EntityType
from tests.integration.conftest import EmptyDatabase

NEW_YORK = "America/New_York"
DEMO_WINDOW = ("--from", "2024-10-07", "--to", "2024-11-06")
DEMO_AT = "2024-11-05T18:00"


def run_cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("ANALYTICS_")
    }
    return subprocess.run(
        [sys.executable, "-m", "analytics.cli", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=environment,
    )


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database built once for the module, which tests must not change."""
    directory = tmp_path_factory.mktemp("demo")
    result = run_cli("-q", "demo", "--path", "demo.db", cwd=directory)
    assert result.returncode == 0, result.stderr
    return directory / "demo.db"


@pytest.fixture
def demo_copy(demo_file: Path, tmp_path: Path) -> Path:
    """A copy of the demo database that a test may change."""
    copy = tmp_path / "copy.db"
    shutil.copyfile(demo_file, copy)
    return copy


def on_demo(path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return run_cli("--db", sqlite_url(path), "--tz", NEW_YORK, "-q", *arguments, cwd=path.parent)


def dump(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# report


def test_report_table(demo_file: Path) -> None:
    result = on_demo(demo_file, "report", "--tenant", "acme", *DEMO_WINDOW)

    assert result.returncode == 0, result.stderr
    assert "acme: usage and cost from 2024-10-07 00:00 EDT to 2024-11-06 00:00 EST" in result.stdout
    assert "2024-11-03" in result.stdout
    assert "(untagged)" not in result.stdout
    assert "in-house-llm" in result.stdout
    assert "unpriced requests (stored at cost 0): 90" in result.stdout


def test_report_json(demo_file: Path) -> None:
    result = on_demo(demo_file, "report", "--tenant", "acme", *DEMO_WINDOW, "--format", "json")

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["tenant_id"] == "acme"
    assert document["tz"] == NEW_YORK
    assert len(document["points"]) == 30
    total = document["totals"]["spend_usd"]
    assert isinstance(total, str)
    assert len(total.split(".")[1]) == 9
    points_total = sum(Decimal(point["spend_usd"]) for point in document["points"])
    assert points_total == Decimal(total)
    unpriced = [item for item in document["by_model"]["items"] if item["model"] == "in-house-llm"]
    assert unpriced[0]["spend_usd"] == "0.000000000"


def test_report_json_for_two_tenants_is_array(demo_file: Path) -> None:
    result = on_demo(
        demo_file,
        "report",
        "--tenant",
        "acme",
        "--tenant",
        "globex",
        *DEMO_WINDOW,
        "--format",
        "json",
    )

    assert result.returncode == 0, result.stderr
    documents = json.loads(result.stdout)
    assert [document["tenant_id"] for document in documents] == ["acme", "globex"]


def test_report_csv_series(demo_file: Path) -> None:
    result = on_demo(
        demo_file,
        "report",
        "--tenant",
        "acme",
        "--tenant",
        "globex",
        *DEMO_WINDOW,
        "--format",
        "csv",
    )

    assert result.returncode == 0, result.stderr
    rows = csv_rows(result.stdout)
    assert len(rows) == 60
    assert rows[0]["tenant_id"] == "acme"
    assert rows[0]["bucket_start"] == "2024-10-07T04:00:00+00:00"
    assert rows[-1]["tenant_id"] == "globex"
    assert rows[-1]["bucket_end"] == "2024-11-06T05:00:00+00:00"
    assert all(len(row["spend_usd"].split(".")[1]) == 9 for row in rows)


def test_report_csv_by_model_and_feature(demo_file: Path) -> None:
    by_model = on_demo(
        demo_file, "report", "--tenant", "acme", *DEMO_WINDOW, "--format", "csv", "--by", "model"
    )
    by_feature = on_demo(
        demo_file,
        "report",
        "--tenant",
        "acme",
        *DEMO_WINDOW,
        "--format",
        "csv",
        "--by",
        "feature",
        "--top",
        "2",
    )

    assert by_model.returncode == 0, by_model.stderr
    models = {row["model"]: row for row in csv_rows(by_model.stdout)}
    assert set(models) == {"gpt-4o", "gpt-4o-mini", "in-house-llm"}
    assert models["in-house-llm"]["spend_usd"] == "0.000000000"
    assert models["in-house-llm"]["unpriced_requests"] == "90"
    assert by_feature.returncode == 0, by_feature.stderr
    features = csv_rows(by_feature.stdout)
    assert [row["feature_tag"] for row in features] == ["summarize", "chat.reply", ""]
    assert features[-1]["rest_groups"] == "1"


def test_report_default_window_is_30_days(demo_file: Path) -> None:
    result = on_demo(demo_file, "report", "--tenant", "acme", "--format", "json")

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert len(document["points"]) == 30
    end = datetime.fromisoformat(document["end"].replace("Z", "+00:00"))
    assert end > datetime.now(UTC)


def test_report_window_too_long_is_usage_error(demo_file: Path) -> None:
    result = on_demo(demo_file, "report", "--tenant", "acme", "--from", "2020-01-01")

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr


# detect


def test_detect_table_dry_run_writes_nothing(demo_copy: Path) -> None:
    before = dump(demo_copy)

    result = on_demo(demo_copy, "detect", "--tenant", "acme", "--day", "2024-11-06", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "acme, 2024-11-06 (America/New_York)" in result.stdout
    assert "dry run" in result.stdout
    assert "Verdicts per rule" in result.stdout
    assert dump(demo_copy) == before


def test_detect_without_dry_run_writes(demo_copy: Path) -> None:
    before = dump(demo_copy)

    result = on_demo(demo_copy, "detect", "--tenant", "globex", "--day", "2024-11-06")

    assert result.returncode == 0, result.stderr
    assert dump(demo_copy) != before


def test_detect_table_shows_demo_anomalies(demo_copy: Path) -> None:
    result = on_demo(demo_copy, "detect", "--tenant", "acme", "--day", "2024-11-05")

    assert result.returncode == 0, result.stderr
    assert "3 anomalies" in result.stdout
    assert "retry_loop" in result.stdout
    assert "budget_exceeded" in result.stdout
    assert "unchanged" in result.stdout


def test_detect_names_insufficient_history(demo_copy: Path) -> None:
    result = on_demo(demo_copy, "detect", "--tenant", "initech", "--day", "2024-11-05", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "Insufficient history:" in result.stdout
    assert "user kim (spike)" in result.stdout
    assert "tenant (drift)" in result.stdout


def test_detect_json_and_csv(demo_copy: Path) -> None:
    as_json = on_demo(
        demo_copy, "detect", "--tenant", "acme", "--day", "2024-11-05", "--format", "json"
    )
    as_csv = on_demo(
        demo_copy, "detect", "--tenant", "acme", "--day", "2024-11-05", "--format", "csv"
    )

    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert document["day"] == "2024-11-05"
    assert document["counts"]["spike"]["anomaly"] == 1
    spike = document["anomalies"][0]["anomaly"]
    assert spike["derived_cause"] == "retry_loop"
    assert len(spike["current_value_usd"].split(".")[1]) == 9
    assert as_csv.returncode == 0, as_csv.stderr
    rows = csv_rows(as_csv.stdout)
    assert [row["anomaly_type"] for row in rows] == [
        "absolute_spike",
        "budget_warning",
        "budget_exceeded",
    ]
    assert {row["outcome"] for row in rows} == {"unchanged"}


def test_detect_future_day_is_usage_error(demo_file: Path) -> None:
    result = on_demo(demo_file, "detect", "--tenant", "acme", "--day", "2999-01-01", "--dry-run")

    assert result.returncode == 2
    assert "day" in result.stderr
    assert "Traceback" not in result.stderr


# patterns


def test_patterns_table(demo_copy: Path) -> None:
    result = on_demo(demo_copy, "patterns", "--tenant", "acme", "--at", DEMO_AT)

    assert result.returncode == 0, result.stderr
    assert "Failure patterns" in result.stdout
    assert "support-triage (12)" in result.stdout
    assert "invoice-extractor-0106" in result.stdout


def test_patterns_json_and_csv(demo_copy: Path) -> None:
    as_json = on_demo(
        demo_copy, "patterns", "--tenant", "acme", "--at", DEMO_AT, "--format", "json"
    )
    as_csv = on_demo(demo_copy, "patterns", "--tenant", "acme", "--at", DEMO_AT, "--format", "csv")

    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert document["failed_runs_read"] >= 12
    pattern = document["failure_patterns"][0]["record"]
    assert pattern["occurrence_count"] == 12
    assert pattern["severity"] == "critical"
    assert document["cost_spikes"][0]["outcome"] == "unchanged"
    assert as_csv.returncode == 0, as_csv.stderr
    rows = csv_rows(as_csv.stdout)
    assert [row["pattern_type"] for row in rows] == ["failure_pattern", "cost_spike"]


def test_patterns_windows_change_reads(demo_copy: Path) -> None:
    result = on_demo(
        demo_copy,
        "patterns",
        "--tenant",
        "acme",
        "--at",
        DEMO_AT,
        "--window",
        "90m",
        "--cost-window",
        "2d",
        "--format",
        "json",
    )

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["window_start"] == "2024-11-05T21:30:00Z"
    assert document["cost_window_start"] == "2024-11-03T23:00:00Z"


# predict


def test_predict_table(demo_copy: Path) -> None:
    result = on_demo(demo_copy, "predict", "--tenant", "acme", "--at", DEMO_AT)

    assert result.returncode == 0, result.stderr
    assert "Skipped subjects" in result.stdout
    assert "already_valid" in result.stdout
    assert "Accuracy of predictions" in result.stdout
    assert "0.500000" in result.stdout
    assert "advisory" in result.stdout


def test_predict_json_and_csv(demo_copy: Path) -> None:
    as_json = on_demo(
        demo_copy, "predict", "--tenant", "acme", "--at", "2024-11-06T18:00", "--format", "json"
    )
    as_csv = on_demo(
        demo_copy, "predict", "--tenant", "acme", "--at", "2024-11-07T18:00", "--format", "csv"
    )

    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert document["at"] == "2024-11-06T23:00:00Z"
    assert len(document["outcomes"]) == 4
    accuracy = {row["prediction_type"]: row for row in document["accuracy"]}
    assert set(accuracy) == {"cost_overrun", "failure_likelihood"}
    assert as_csv.returncode == 0, as_csv.stderr
    assert as_csv.stdout.startswith("tenant_id,id,prediction_type,")


def test_predict_lookback_too_small_is_rejected(demo_file: Path) -> None:
    result = on_demo(demo_file, "predict", "--tenant", "acme", "--lookback", "0d")

    assert result.returncode == 2
    assert "'0d'" in result.stderr
    assert "Traceback" not in result.stderr


# errors common to the commands


@pytest.mark.parametrize("command", ["report", "detect", "patterns", "predict"])
def test_not_migrated_database_is_fatal(command: str, tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "empty.db")

    result = run_cli("--db", url, command, "--tenant", "acme", cwd=tmp_path)

    assert result.returncode == 3
    assert "The database is not migrated (revision none, expected " in result.stderr
    assert "Run: analytics migrate" in result.stderr
    assert "Traceback" not in result.stderr


def test_not_migrated_with_verbose_shows_traceback(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "empty.db")

    result = run_cli("--db", url, "-v", "report", "--tenant", "acme", cwd=tmp_path)

    assert result.returncode == 3
    assert "Traceback" in result.stderr


@pytest.mark.parametrize("command", ["report", "detect", "patterns", "predict"])
def test_missing_tenant_is_usage_error(command: str, demo_file: Path) -> None:
    result = on_demo(demo_file, command)

    assert result.returncode == 2
    assert "--tenant" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["report", "detect", "patterns", "predict"])
def test_bad_zone_is_usage_error(command: str, demo_file: Path) -> None:
    result = run_cli(
        "--db",
        sqlite_url(demo_file),
        command,
        "--tenant",
        "acme",
        "--tz",
        "Mars/Olympus",
        cwd=demo_file.parent,
    )

    assert result.returncode == 2
    assert "'Mars/Olympus'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("arguments", "value"),
    [
        (("report", "--from", "last week"), "'last week'"),
        (("report", "--to", "2024-02-30"), "'2024-02-30'"),
        (("detect", "--day", "2024-11-05T10:00"), "'2024-11-05T10:00'"),
        (("patterns", "--at", "noon"), "'noon'"),
        (("predict", "--at", "2024-11-05T99:00"), "'2024-11-05T99:00'"),
    ],
)
def test_bad_time_is_usage_error(arguments: tuple[str, ...], value: str, demo_file: Path) -> None:
    result = on_demo(demo_file, *arguments, "--tenant", "acme")

    assert result.returncode == 2
    assert value in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("arguments", "value"),
    [
        (("patterns", "--window", "5x"), "'5x'"),
        (("patterns", "--cost-window", "7"), "'7'"),
        (("predict", "--lookback", "one week"), "'one week'"),
    ],
)
def test_bad_duration_is_usage_error(
    arguments: tuple[str, ...], value: str, demo_file: Path
) -> None:
    result = on_demo(demo_file, *arguments, "--tenant", "acme")

    assert result.returncode == 2
    assert value in result.stderr
    assert "Traceback" not in result.stderr


def test_future_instant_is_usage_error(demo_file: Path) -> None:
    result = on_demo(demo_file, "patterns", "--tenant", "acme", "--at", "2999-01-01")

    assert result.returncode == 2
    assert "at" in result.stderr
    assert "Traceback" not in result.stderr


# both backends


async def seed_spend(url: str) -> None:
    store = await open_store(url)
    try:
        async with store.unit_of_work() as uow:
            await uow.cost_writes.create_or_update_budget(
                "t1", budget_type=EntityType.TENANT, daily_limit_usd=Decimal("1.00")
            )
            await uow.cost_writes.create_cost_records(
                "t1",
                records=[
                    NewCostRecord(
                        occurred_at=datetime(2024, 3, day, 12, tzinfo=UTC),
                        model="gpt-4o",
                        input_tokens=100,
                        output_tokens=10,
                        cost_usd=Decimal("0.50") * day,
                        user_id="u1",
                        feature_tag="chat.reply" if day % 2 else None,
                        request_id=f"r{day}",
                    )
                    for day in range(1, 16)
                ],
            )
    finally:
        await store.close()


async def test_report_and_detect_on_each_backend(
    empty_database: EmptyDatabase, tmp_path: Path
) -> None:
    url = empty_database.url
    migrated = await asyncio.to_thread(run_cli, "--db", url, "migrate", cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    await seed_spend(url)

    report = await asyncio.to_thread(
        run_cli,
        *("--db", url, "report", "--tenant", "t1", "--from", "2024-03-01", "--to", "2024-03-16"),
        *("--format", "json"),
        cwd=tmp_path,
    )
    table = await asyncio.to_thread(
        run_cli,
        *("--db", url, "report", "--tenant", "t1", "--from", "2024-03-01", "--to", "2024-03-16"),
        cwd=tmp_path,
    )
    detect = await asyncio.to_thread(
        run_cli,
        *("--db", url, "detect", "--tenant", "t1", "--day", "2024-03-15", "--format", "csv"),
        cwd=tmp_path,
    )

    assert report.returncode == 0, report.stderr
    document = json.loads(report.stdout)
    assert document["totals"]["spend_usd"] == "60.000000000"
    assert document["totals"]["requests"] == 15
    assert table.returncode == 0, table.stderr
    assert "(untagged)" in table.stdout
    assert detect.returncode == 0, detect.stderr
    rows = csv_rows(detect.stdout)
    assert [row["anomaly_type"] for row in rows] == ["budget_exceeded"]
    assert rows[0]["current_value_usd"] == "7.500000000"
    assert rows[0]["outcome"] == "created"


# demo files


def test_demo_refuses_other_file_without_force(tmp_path: Path) -> None:
    other = tmp_path / "notes.db"
    other.write_text("not a database")

    refused = run_cli("-q", "demo", "--path", "notes.db", cwd=tmp_path)

    assert refused.returncode == 2
    assert "--force" in refused.stderr
    assert other.read_text() == "not a database"


def test_demo_replaces_other_file_with_force(tmp_path: Path) -> None:
    other = tmp_path / "notes.db"
    other.write_text("not a database")

    forced = run_cli("-q", "demo", "--path", "notes.db", "--force", cwd=tmp_path)

    assert forced.returncode == 0, forced.stderr
    assert "Demo database notes.db" in forced.stdout
    assert other.read_bytes().startswith(b"SQLite format 3")


def test_demo_replaces_its_own_file(demo_copy: Path) -> None:
    result = run_cli("-q", "demo", "--path", demo_copy.name, cwd=demo_copy.parent)

    assert result.returncode == 0, result.stderr
    assert "Explore the file" in result.stdout
