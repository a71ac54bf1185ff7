"""The results document (``results.json``) and its Markdown rendering (``BENCHMARKS.md``).

Every ratio reads "how many times the anchor's speed", so above 1 means ours
is faster. For ingest it is our rows/s divided by the anchor's rows/s. For
reads it is the anchor's milliseconds divided by ours.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent

INGEST_TARGET = 0.5
MEMORY_TARGET_MB = 300.0

Document = dict[str, Any]


def code_version() -> str:
    """Return the HEAD commit, with ' with uncommitted changes' when the tree differs from it."""
    try:
        head = _git("rev-parse", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no") != ""
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{head} with uncommitted changes" if dirty else head


def _git(*arguments: str) -> str:
    completed = subprocess.run(
        ["git", *arguments], cwd=REPOSITORY, capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


def machine() -> dict[str, Any]:
    """Return the processor count, memory, CPU model, Python and SQLite versions."""
    return {
        "nproc": os.cpu_count(),
        "memory_gb": round(_meminfo_kb("MemTotal") / 1024 / 1024, 1),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def _meminfo_kb(key: str) -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return round(numerator / denominator, 3)


def targets(document: Document) -> list[dict[str, Any]]:
    """Return each target per backend as met (true), not met (false) or not measured (null)."""
    results = []
    for backend, figures in document["backends"].items():
        results.append(_ingest_target(backend, figures))
        results.append(_reads_target(backend, figures))
        results.append(_detection_target(backend, figures))
        results.append(_memory_target(backend, figures))
    return results


def _ingest_target(backend: str, figures: Document) -> dict[str, Any]:
    ingest = figures["ingest"]
    anchor = "raw_copy" if backend == "postgres" else "raw_executemany"
    value = ratio(ingest["port_heavy_tenant"]["rows_per_second"], ingest[anchor]["rows_per_second"])
    return {
        "backend": backend,
        "target": f"ingest >= {INGEST_TARGET}x {anchor.replace('_', ' ')}",
        "met": None if value is None else value >= INGEST_TARGET,
        "value": value,
    }


def _reads_target(backend: str, figures: Document) -> dict[str, Any]:
    speedups = [read["ratio_duckdb"] for read in figures["reads"].values()]
    measured = all(value is not None for value in speedups)
    return {
        "backend": backend,
        "target": "30-day breakdowns and daily series faster than DuckDB",
        "met": all(value > 1 for value in speedups) if measured else None,
        "value": min(speedups) if measured else None,
        "note": None if measured else "duckdb is not installed, so the DuckDB anchor was not run",
    }


def _detection_target(backend: str, figures: Document) -> dict[str, Any]:
    runs = figures["detection"]
    counts = {run["entities"]: run["statements"] for run in runs}
    reads = {run["entities"]: run["reads"] for run in runs}
    failed = [run for run in runs if run["error"] is not None]
    note = "; ".join(run["error"] for run in failed) or None
    if not failed:
        constant = "constant" if len(set(reads.values())) == 1 else "not constant"
        note = f"reads alone: {reads}, {constant}"
    return {
        "backend": backend,
        "target": "detection statement count independent of entities",
        "met": None if failed else len(set(counts.values())) == 1,
        "value": counts,
        "note": note,
    }


def _memory_target(backend: str, figures: Document) -> dict[str, Any]:
    target = f"ingest peak memory < {MEMORY_TARGET_MB:.0f} MB"
    memory = figures.get("memory")
    if memory is None:
        return {"backend": backend, "target": target, "met": None, "value": None, "note": "skipped"}
    if memory["error"] is not None:
        note = memory["error"]
        return {"backend": backend, "target": target, "met": None, "value": None, "note": note}
    peak = memory["peak_rss_mb"]
    return {
        "backend": backend,
        "target": target,
        "met": peak < MEMORY_TARGET_MB,
        "value": peak,
        "note": f"{memory['file_bytes'] / 1_000_000:,.0f} MB file, {memory['rows_read']:,} rows",
    }


def write_json(document: Document, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "not measured"
    return f"{value:,.{digits}f}"


def _ratio_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def _ingest_rows(backend: str, ingest: Document) -> list[str]:
    anchor_name = "raw_copy" if backend == "postgres" else "raw_executemany"
    anchor = ingest[anchor_name]["rows_per_second"]
    rows = []
    for shape in ("port_heavy_tenant", "port_many_tenants"):
        ours = ingest[shape]["rows_per_second"]
        label = shape.removeprefix("port_").replace("_", " ")
        rows.append(
            f"| ingest rows/s, {label} | {_number(ours, 0)} | "
            f"{_number(anchor, 0)} ({anchor_name.replace('_', ' ')}) | "
            f"{_ratio_text(ratio(ours, anchor))} |"
        )
    if backend == "postgres":
        executemany = ingest["raw_executemany"]["rows_per_second"]
        ours = ingest["port_heavy_tenant"]["rows_per_second"]
        rows.append(
            f"| ingest rows/s, heavy tenant | {_number(ours, 0)} | "
            f"{_number(executemany, 0)} (raw executemany) | "
            f"{_ratio_text(ratio(ours, executemany))} |"
        )
        rows.extend(_statement_rows(ingest, anchor))
    return rows


def _statement_rows(ingest: Document, copy_rate: float) -> list[str]:
    """Return the rows of the adapter's statement run at the driver level, if measured."""
    labels = {
        "statement_insert_only": "the adapter's INSERT alone, no rollups",
        "statement_with_rollups": "the adapter's INSERT with its rollups",
    }
    rows = []
    for name, label in labels.items():
        if name not in ingest:
            continue
        rate = ingest[name]["rows_per_second"]
        rows.append(
            f"| ingest rows/s, heavy tenant, {label} (driver level) | {_number(rate, 0)} | "
            f"{_number(copy_rate, 0)} (raw copy) | {_ratio_text(ratio(rate, copy_rate))} |"
        )
    return rows


def _read_rows(reads: Document) -> list[str]:
    rows = []
    for figure, read in reads.items():
        rows.append(
            f"| {figure} ms | {_number(read['ours_ms'], 2)} | "
            f"{_number(read['sql_ms'], 2)} (hand-written SQL) | {_ratio_text(read['ratio_sql'])} |"
        )
        rows.append(
            f"| {figure} ms | {_number(read['ours_ms'], 2)} | "
            f"{_number(read['duckdb_ms'], 2)} (DuckDB) | {_ratio_text(read['ratio_duckdb'])} |"
        )
    return rows


def _detection_rows(runs: list[Document]) -> list[str]:
    rows = []
    for run in runs:
        if run["error"] is not None:
            rows.append(f"| detection, {run['entities']} entities | failed: {run['error']} | | |")
            continue
        rows.append(
            f"| detection, {run['entities']} users and tags: statements (reads, writes, "
            f"transaction control) | {run['statements']} ({run['reads']}, {run['writes']}, "
            f"{run['transaction_statements']}) | | |"
        )
        rows.append(
            f"| detection, {run['entities']} users and tags: seconds "
            f"({run['anomalies']} anomalies) | {run['seconds']:.2f} | | |"
        )
    return rows


def _memory_rows(memory: Document | None, label: str) -> list[str]:
    if memory is None:
        return [f"| {label} | not measured | | |"]
    if memory["error"] is not None:
        return [f"| {label} | failed: {memory['error'][:300]} | | |"]
    size = memory["file_bytes"] / 1_000_000
    return [
        f"| {label}: peak RSS MB ({size:,.0f} MB file, {memory['rows_read']:,} rows) | "
        f"{memory['peak_rss_mb']:.0f} | {MEMORY_TARGET_MB:.0f} (target) | |",
        f"| {label}: rows/s | {memory['rows_per_second']:,.0f} | | |",
    ]


def _backend_section(backend: str, figures: Document) -> list[str]:
    lines = [
        f"## {backend}",
        "",
        "| figure | ours | anchor | ratio |",
        "|---|---|---|---|",
        *_ingest_rows(backend, figures["ingest"]),
        *_read_rows(figures["reads"]),
        *_detection_rows(figures["detection"]),
        *_memory_rows(figures.get("memory"), "`analytics ingest` of a CSV"),
    ]
    if figures.get("replay") is not None:
        lines.extend(_memory_rows(figures["replay"], "replay of the given file"))
    return [*lines, ""]


def _target_lines(document: Document) -> list[str]:
    lines = ["## Targets", "", "| backend | target | result | value |", "|---|---|---|---|"]
    for target in document["targets"]:
        result = {True: "met", False: "not met", None: "not measured"}[target["met"]]
        note = f" ({target['note']})" if target.get("note") else ""
        lines.append(
            f"| {target['backend']} | {target['target']} | {result}{note} | {target['value']} |"
        )
    return [*lines, ""]


def render_markdown(document: Document) -> str:
    """Return the BENCHMARKS.md text of a results document."""
    data = document["data"]
    machine_info = document["machine"]
    postgres = document.get("postgres_version") or "Postgres not run"
    header = [
        "# Benchmarks",
        "",
        "Produced by `python -m benchmarks`; the figures are also in `benchmarks/results.json`.",
        "",
        f"- Command: `{document['command']}`",
        f"- Code measured: {document['code']}",
        f"- Run at: {document['run_at']}",
        f"- Machine: {machine_info['nproc']} processors, {machine_info['memory_gb']} GB memory, "
        f"{machine_info['cpu_model']}; Python {machine_info['python']}, "
        f"SQLite {machine_info['sqlite']}, {postgres}",
        f"- Data: {data['rows']:,} generated cost records per shape (seed {data['seed']}): "
        f"{data['models']} models, {data['feature_tags']} feature tags, {data['users']} users, "
        f"{data['days']} days; shape `many_tenants` spreads them over {data['tenants']} tenants, "
        "shape `heavy_tenant` puts all of them in one tenant. Both shapes are stored, so "
        f"each database holds {2 * data['rows']:,} records during the reads.",
        f"- DuckDB: {document['duckdb']}",
        "",
        "How each figure is taken:",
        "",
        "- Ingest: batches of 1,000 records of one tenant, one transaction per batch; only "
        "the write calls are timed. Ours is `create_cost_records` (validation included) in "
        "one unit of work per batch; the raw anchors write the same rows to the same table "
        "with the driver (asyncpg `copy_records_to_table` and `executemany`, sqlite3 "
        "`executemany` in WAL mode). Ratio = our rows/s / anchor rows/s. On Postgres the "
        "adapter's single ingest statement is also run through asyncpg with rows validated "
        "before the timer, with and without its rollup upserts, to split our time into "
        "Python work, the INSERT and the rollups.",
        f"- Reads: the heavy tenant's last {data['window_days']} days; median of "
        f"{data['repeats']} calls after one warm-up, each call in its own unit of work or "
        "connection. The hand-written SQL is one grouped range scan of `cost_records` on "
        "`(tenant_id, occurred_at)`. Ratio = anchor ms / our ms (above 1: ours is faster).",
        "- Detection: `CostAnomalyDetector.detect` for one tenant and day; statements are "
        "every statement sent to the driver during the call (SQLAlchemy "
        "`before_cursor_execute`), savepoints included.",
        "- Memory: `analytics ingest FILE --kind cost-records` as a child process; peak "
        "resident memory is its `VmHWM` read from `/proc/<pid>/status` while it runs.",
        "",
    ]
    sections = [
        line
        for backend, figures in document["backends"].items()
        for line in _backend_section(backend, figures)
    ]
    return "\n".join([*header, *sections, *_target_lines(document)])
