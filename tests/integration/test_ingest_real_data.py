"""``analytics ingest`` on real public data files, checked against sums computed from the files.

The files are read in place from ``../shared/data`` beside the repository:

* ``openhands-index/runs.csv.gz``: 51,451 agent attempts at benchmark tasks
  (OpenHands Index results, MIT), ingested as worker runs and as cost records.
* ``azure-llm-inference-2023/AzureLLMInferenceTrace_code.csv.gz``: 8,819
  production LLM requests (Azure public dataset, CC-BY-4.0; Patel et al.,
  "Splitwise", ISCA 2024). The trace names no model, so every request is
  priced as ``gpt-4o-mini`` from the genai-prices data installed with the
  package. The test prices each row with ``genai_prices`` directly.

Each file is ingested into its own SQLite database, the ingests running in
parallel, then ingested again to prove that nothing is added.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import shutil
import subprocess
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import genai_prices
import pytest
from sqlalchemy import create_engine, text

from tests.integration.test_ingest_cli import read_rejects, run_cli

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
BENCHMARK_RUNS = DATA / "openhands-index" / "runs.csv.gz"
CODE_TRACE = DATA / "azure-llm-inference-2023" / "AzureLLMInferenceTrace_code.csv.gz"
CONVERSATION_TRACE = DATA / "azure-llm-inference-2023" / "AzureLLMInferenceTrace_conv.csv.gz"

NANO = Decimal("0.000000001")

WORKER_RUN_OPTIONS = (
    "--kind",
    "worker-runs",
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

COST_RECORD_OPTIONS = (
    "--kind",
    "cost-records",
    "--map",
    "tenant_id=harness",
    "--map",
    "occurred_at=run_submission_time",
    "--key",
    "config_id,benchmark,instance_id",
)

TRACE_OPTIONS = (
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
    "--set",
    "feature_tag=code",
    "--assume-tz",
    "UTC",
)


@dataclass(frozen=True)
class Ingested:
    """Two ingests of one file into one fresh SQLite database."""

    database: Path
    directory: Path
    first: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]

    def summary(self, run: str) -> dict[str, Any]:
        """Return the JSON summary of the ``first`` or ``second`` ingest."""
        result = self.first if run == "first" else self.second
        assert result.returncode == 0, result.stderr
        parsed: dict[str, Any] = json.loads(result.stdout)
        return parsed

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        engine = create_engine(f"sqlite:///{self.database}")
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.execute(text(sql)).all()]
        finally:
            engine.dispose()


def ingest_twice(template: Path, directory: Path, file: Path, options: tuple[str, ...]) -> Ingested:
    """Ingest ``file`` twice into a fresh copy of the migrated SQLite template."""
    directory.mkdir()
    database = directory / "analytics.db"
    shutil.copyfile(template, database)
    url = f"sqlite+aiosqlite:///{database}"
    command = ("--db", url, "ingest", str(file), *options, "--format", "json")
    first = run_cli(*command, cwd=directory)
    second = run_cli(*command, cwd=directory)
    return Ingested(database, directory, first, second)


@pytest.fixture(scope="module")
def ingested(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> dict[str, Ingested]:
    """Both benchmark ingests and the trace ingest, run side by side."""
    if not DATA.is_dir():
        pytest.skip(f"the public data folder {DATA} is missing")
    root = tmp_path_factory.mktemp("real-data")
    jobs: dict[str, tuple[Path, tuple[str, ...]]] = {
        "worker_runs": (BENCHMARK_RUNS, WORKER_RUN_OPTIONS),
        "cost_records": (BENCHMARK_RUNS, COST_RECORD_OPTIONS),
        "trace": (CODE_TRACE, TRACE_OPTIONS),
    }
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {
            name: pool.submit(ingest_twice, sqlite_template, root / name, file, options)
            for name, (file, options) in jobs.items()
        }
        return {name: future.result() for name, future in futures.items()}


def read_csv_gz(path: Path) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as stream:
        yield from csv.DictReader(stream)


def to_nanos(amount: Decimal) -> int:
    return int(amount.quantize(NANO, rounding=ROUND_HALF_EVEN) / NANO)


@dataclass
class TenantTotals:
    rows: int = 0
    cost_nanos: int = 0


def totals_per_harness(keep: Callable[[dict[str, str]], bool]) -> dict[str, TenantTotals]:
    """Count the kept benchmark rows and sum their costs per harness, from the file itself."""
    totals: dict[str, TenantTotals] = defaultdict(TenantTotals)
    for row in read_csv_gz(BENCHMARK_RUNS):
        if not keep(row):
            continue
        tenant = totals[row["harness"]]
        tenant.rows += 1
        if row["cost_usd"]:
            tenant.cost_nanos += to_nanos(Decimal(row["cost_usd"]))
    return dict(totals)


def stored_totals(ingested: Ingested, table: str) -> dict[str, TenantTotals]:
    rows = ingested.query(
        f"SELECT tenant_id, COUNT(*), COALESCE(SUM(cost_nanos), 0) FROM {table} GROUP BY tenant_id"
    )
    return {tenant: TenantTotals(count, int(nanos)) for tenant, count, nanos in rows}


# Agent-benchmark results as worker runs


def test_benchmark_worker_runs_per_tenant(ingested: dict[str, Ingested]) -> None:
    run = ingested["worker_runs"]
    expected = totals_per_harness(lambda row: row["resolved"] in ("true", "false"))

    summary = run.summary("first")

    assert summary["rows_read"] == 51_451
    assert summary["created"] == sum(totals.rows for totals in expected.values()) == 50_974
    assert summary["completion_defaulted"] == 50_974
    assert stored_totals(run, "worker_runs") == expected


def test_benchmark_worker_run_statuses(ingested: dict[str, Ingested]) -> None:
    run = ingested["worker_runs"]
    resolved = Counter(row["resolved"] for row in read_csv_gz(BENCHMARK_RUNS))

    statuses = dict(run.query("SELECT status, COUNT(*) FROM worker_runs GROUP BY status"))

    assert statuses == {"completed": resolved["true"], "failed": resolved["false"]}
    assert run.query("SELECT COUNT(*) FROM worker_runs WHERE completed_at <> created_at") == [(0,)]


def test_benchmark_worker_run_key(ingested: dict[str, Ingested]) -> None:
    run = ingested["worker_runs"]
    first = next(read_csv_gz(BENCHMARK_RUNS))
    joined = "\x1f".join((first["config_id"], first["benchmark"], first["instance_id"]))
    key = "k_" + hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]

    stored = run.query(f"SELECT worker_id, task FROM worker_runs WHERE id = '{key}'")

    assert stored == [(first["config_id"], f"{first['benchmark']}/{first['instance_id']}")]


def test_benchmark_empty_outcome_rejected(ingested: dict[str, Ingested]) -> None:
    run = ingested["worker_runs"]
    empty = [
        number for number, row in enumerate(read_csv_gz(BENCHMARK_RUNS), 1) if not row["resolved"]
    ]

    rejects = read_rejects(run.directory / "runs.rejects.jsonl")

    assert run.summary("first")["rejected"] == len(empty) == 477
    assert [line["row"] for line in rejects] == empty
    assert {line["field"] for line in rejects} == {"status"}
    assert {line["error"] for line in rejects} == {"status is missing (column 'resolved' is empty)"}


def test_benchmark_worker_runs_reingest_adds_nothing(ingested: dict[str, Ingested]) -> None:
    run = ingested["worker_runs"]

    summary = run.summary("second")

    assert (summary["created"], summary["unchanged"], summary["rejected"]) == (0, 50_974, 477)
    assert run.query("SELECT COUNT(*) FROM worker_runs") == [(50_974,)]


# Agent-benchmark results as cost records


def test_benchmark_cost_records_per_tenant(ingested: dict[str, Ingested]) -> None:
    run = ingested["cost_records"]
    expected = totals_per_harness(lambda row: row["cost_usd"] != "")

    summary = run.summary("first")

    assert summary["created"] == sum(totals.rows for totals in expected.values()) == 50_873
    assert summary["priced"] == 0
    assert stored_totals(run, "cost_records") == expected
    assert run.query("SELECT DISTINCT cost_source FROM cost_records") == [("reported",)]


def test_benchmark_cost_without_cost_rejected(ingested: dict[str, Ingested]) -> None:
    run = ingested["cost_records"]

    rejects = read_rejects(run.directory / "runs.rejects.jsonl")

    assert len(rejects) == run.summary("first")["rejected"] == 578
    assert {line["field"] for line in rejects} == {"cost_usd"}


def test_benchmark_cost_records_reingest_adds_nothing(ingested: dict[str, Ingested]) -> None:
    run = ingested["cost_records"]

    summary = run.summary("second")

    assert (summary["created"], summary["unchanged"], summary["rejected"]) == (0, 50_873, 578)
    assert run.query("SELECT COUNT(*) FROM cost_records") == [(50_873,)]


# Production request trace priced from its tokens


@dataclass
class TraceTotals:
    rows: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_nanos: int = 0


def trace_totals(path: Path) -> TraceTotals:
    """Sum the trace's tokens and the gpt-4o-mini price of each request, computed row by row."""
    totals = TraceTotals()
    for row in read_csv_gz(path):
        occurred_at = datetime.fromisoformat(row["TIMESTAMP"]).replace(tzinfo=UTC)
        input_tokens, output_tokens = int(row["ContextTokens"]), int(row["GeneratedTokens"])
        price = genai_prices.calc_price(
            genai_prices.Usage(input_tokens=input_tokens, output_tokens=output_tokens),
            model_ref="gpt-4o-mini",
            genai_request_timestamp=occurred_at,
        )
        totals.rows += 1
        totals.input_tokens += input_tokens
        totals.output_tokens += output_tokens
        totals.cost_nanos += to_nanos(price.total_price)
    return totals


def test_trace_priced_from_tokens(ingested: dict[str, Ingested]) -> None:
    run = ingested["trace"]
    expected = trace_totals(CODE_TRACE)

    summary = run.summary("first")
    stored = run.query(
        "SELECT COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(cost_nanos) FROM cost_records"
    )

    assert (summary["created"], summary["priced"], summary["rejected"]) == (8_819, 8_819, 0)
    assert stored == [
        (expected.rows, expected.input_tokens, expected.output_tokens, expected.cost_nanos)
    ]
    assert expected.rows == 8_819


def test_trace_every_row_estimated(ingested: dict[str, Ingested]) -> None:
    run = ingested["trace"]

    provenance = run.query(
        "SELECT DISTINCT tenant_id, model, feature_tag, cost_source, price_ref FROM cost_records"
    )

    assert provenance == [("trace", "gpt-4o-mini", "code", "estimated", "openai:gpt-4o-mini")]


def test_trace_reingest_adds_nothing(ingested: dict[str, Ingested]) -> None:
    run = ingested["trace"]

    summary = run.summary("second")

    assert (summary["created"], summary["unchanged"]) == (0, 8_819)
    assert run.query("SELECT COUNT(*) FROM cost_records") == [(8_819,)]
    assert not (run.directory / "AzureLLMInferenceTrace_code.rejects.jsonl").exists()


def test_conversation_trace_dry_run(tmp_path: Path) -> None:
    if not CONVERSATION_TRACE.exists():
        pytest.skip(f"{CONVERSATION_TRACE} is missing")
    options = [
        option if option != "feature_tag=code" else "feature_tag=conv" for option in TRACE_OPTIONS
    ]

    result = run_cli(
        "ingest", str(CONVERSATION_TRACE), *options, "--dry-run", "--format", "json", cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["rows_read"], summary["valid"], summary["priced"]) == (19_366, 19_366, 19_366)
