"""Peak resident memory and speed of ``analytics ingest`` run as a child process.

The peak is the child's ``VmHWM`` (the high-water mark of its resident set)
read from ``/proc/<pid>/status`` while it runs. ``ru_maxrss`` from ``wait4``
is not used: on Linux it can report the memory of the benchmark process that
forked the child instead of the child's own peak.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from benchmarks.databases import BenchDatabase
from benchmarks.workload import Shape, Workload

CSV_COLUMNS = (
    "tenant_id",
    "request_id",
    "occurred_at",
    "model",
    "user_id",
    "feature_tag",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "is_retry",
)
CSV_TENANTS = Shape("csv", tuple(f"csv-{number:02d}" for number in range(10)))


@dataclass(frozen=True)
class CliRun:
    """One ``analytics ingest`` child process."""

    file_bytes: int
    rows_read: int
    created: int
    seconds: float
    peak_rss_mb: float
    exit_code: int
    error: str | None

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0


def write_csv(path: Path, megabytes: float, seed: int) -> int:
    """Write generated cost records to ``path`` until it contains ``megabytes`` MB; return rows."""
    limit = int(megabytes * 1_000_000)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        for _tenant, batch in Workload(CSV_TENANTS, 10**10, seed).batches():
            for row in batch:
                writer.writerow(
                    (
                        row.tenant_id,
                        row.request_id,
                        row.occurred_at.isoformat().replace("+00:00", "Z"),
                        row.model,
                        row.user_id,
                        row.feature_tag or "",
                        row.input_tokens,
                        row.output_tokens,
                        format(Decimal(row.cost_nanos).scaleb(-9), "f"),
                        "true" if row.is_retry else "false",
                    )
                )
            rows += len(batch)
            if file.tell() >= limit:
                return rows
    return rows


def run_cli_ingest(
    database: BenchDatabase, path: Path, kind: str, extra_arguments: tuple[str, ...] = ()
) -> CliRun:
    """Run ``python -m analytics.cli ingest`` on ``path`` into the database and measure it."""
    command = [
        sys.executable,
        "-m",
        "analytics.cli",
        "ingest",
        str(path),
        "--kind",
        kind,
        "--db",
        database.url,
        "--format",
        "json",
        "--rejects",
        str(path.with_suffix(".rejects.jsonl")),
        *extra_arguments,
    ]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as stdout_file, tempfile.TemporaryFile() as stderr_file:
        child = subprocess.Popen(command, stdout=stdout_file, stderr=stderr_file, cwd=path.parent)
        peak_kb = _watch_peak_rss(child)
        seconds = time.perf_counter() - started
        stdout_file.seek(0)
        stderr_file.seek(0)
        stdout, stderr = stdout_file.read(), stderr_file.read()
    return _cli_run(path, stdout, stderr, child.returncode, seconds, peak_kb)


def _watch_peak_rss(child: subprocess.Popen[bytes]) -> int:
    """Poll the child's resident-set high-water mark until it exits; return it in KiB."""
    peak_kb = 0
    status_path = Path(f"/proc/{child.pid}/status")
    while child.poll() is None:
        peak_kb = max(peak_kb, _high_water_mark_kb(status_path))
        time.sleep(0.05)
    return peak_kb


def _high_water_mark_kb(status_path: Path) -> int:
    try:
        lines = status_path.read_text().splitlines()
    except OSError:
        return 0
    for line in lines:
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _cli_run(
    path: Path, stdout: bytes, stderr: bytes, exit_code: int, seconds: float, maxrss_kb: int
) -> CliRun:
    try:
        summary = json.loads(stdout)
        rows_read, created, error = int(summary["rows_read"]), int(summary["created"]), None
    except (ValueError, KeyError, TypeError):
        rows_read, created = 0, 0
        error = stderr.decode("utf-8", "replace").strip()[-2000:] or f"exit code {exit_code}"
    if exit_code != 0 and error is None:
        error = stderr.decode("utf-8", "replace").strip()[-2000:] or f"exit code {exit_code}"
    return CliRun(
        file_bytes=path.stat().st_size,
        rows_read=rows_read,
        created=created,
        seconds=seconds,
        peak_rss_mb=maxrss_kb / 1024,
        exit_code=exit_code,
        error=error,
    )


def measure_memory(database: BenchDatabase, directory: Path, megabytes: float, seed: int) -> CliRun:
    """Generate a CSV of ``megabytes`` MB in ``directory``, ingest it, delete it."""
    path = directory / f"cost-records-{database.backend}.csv"
    try:
        write_csv(path, megabytes, seed)
        return run_cli_ingest(database, path, "cost-records")
    finally:
        path.unlink(missing_ok=True)
        path.with_suffix(".rejects.jsonl").unlink(missing_ok=True)
