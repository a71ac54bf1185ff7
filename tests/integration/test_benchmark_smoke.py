"""Smoke test of the benchmark program: a tiny SQLite run writes every figure.

Speed is never asserted here; the test only proves that the program runs end
to end and that its JSON output has the complete structure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]

READ_FIGURES = {
    "fetch_cost_by_model",
    "fetch_cost_by_feature",
    "fetch_cost_spend_day_utc",
    "fetch_cost_spend_day_new_york",
}
DETECTION_ENTITIES = [2, 3]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    output = tmp_path_factory.mktemp("benchmark-output")
    command = [
        sys.executable,
        "-m",
        "benchmarks",
        "--rows",
        "2000",
        "--skip-memory",
        "--backends",
        "sqlite",
        "--repeats",
        "1",
        "--detection-entities",
        ",".join(str(count) for count in DETECTION_ENTITIES),
        "--output-dir",
        str(output),
    ]
    completed = subprocess.run(
        command, cwd=REPOSITORY, capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert (output / "BENCHMARKS.md").is_file()
    document: dict[str, Any] = json.loads((output / "results.json").read_text())
    return document


def test_smoke_run_measures_sqlite_only(results: dict[str, Any]) -> None:
    assert list(results["backends"]) == ["sqlite"]


def test_smoke_run_records_machine_and_data(results: dict[str, Any]) -> None:
    assert results["data"]["rows"] == 2000
    assert results["machine"]["nproc"] >= 1
    assert results["command"].startswith("python -m benchmarks --rows 2000")
    assert results["code"]


def test_smoke_ingest_figures(results: dict[str, Any]) -> None:
    ingest = results["backends"]["sqlite"]["ingest"]
    assert set(ingest) == {"raw_executemany", "port_many_tenants", "port_heavy_tenant"}
    for name, figure in ingest.items():
        assert figure["rows"] == 2000, name
        assert figure["rows_per_second"] > 0, name


def test_smoke_read_figures(results: dict[str, Any]) -> None:
    reads = results["backends"]["sqlite"]["reads"]
    assert set(reads) == READ_FIGURES
    for name, figure in reads.items():
        assert figure["ours_ms"] > 0, name
        assert figure["sql_ms"] > 0, name
        assert figure["ratio_sql"] is not None, name
        assert "duckdb_ms" in figure, name


def test_smoke_detection_figures(results: dict[str, Any]) -> None:
    runs = results["backends"]["sqlite"]["detection"]
    assert [run["entities"] for run in runs] == DETECTION_ENTITIES
    for run in runs:
        assert run["error"] is None, run["error"]
        assert run["statements"] == run["reads"] + run["writes"] + run["transaction_statements"]
        assert run["reads"] > 0


def test_smoke_memory_skipped(results: dict[str, Any]) -> None:
    assert results["backends"]["sqlite"]["memory"] is None


def test_smoke_targets_cover_each_goal(results: dict[str, Any]) -> None:
    names = [target["target"] for target in results["targets"]]
    assert len(names) == 4
    assert any(name.startswith("ingest >=") for name in names)
    assert any("DuckDB" in name for name in names)
    assert any("detection" in name for name in names)
    assert any("memory" in name for name in names)
