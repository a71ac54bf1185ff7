"""Command line of the benchmark program: ``python -m benchmarks [options]``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import shlex
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from benchmarks import workload as generated
from benchmarks.databases import (
    BACKENDS,
    DEFAULT_POSTGRES_URL,
    POSTGRES,
    SQLITE,
    BenchDatabase,
    postgres_database,
    sqlite_database,
)
from benchmarks.detection import ENTITY_COUNTS, measure_detection
from benchmarks.ingest import (
    IngestResult,
    port_ingest,
    postgres_statement,
    raw_postgres_copy,
    raw_postgres_executemany,
    raw_sqlite_executemany,
)
from benchmarks.memory import CliRun, measure_memory, run_cli_ingest
from benchmarks.reads import WINDOW_DAYS, DuckdbAnchor, measure_reads
from benchmarks.report import (
    REPOSITORY,
    code_version,
    machine,
    ratio,
    render_markdown,
    targets,
    write_json,
)

logger = logging.getLogger("benchmarks")

DEFAULT_ROWS = 1_000_000
DEFAULT_CSV_MB = 1000.0
DEFAULT_SEED = 20241201


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure ingest, reads, detection and ingest memory on SQLite and Postgres.",
    )
    parser.add_argument(
        "--rows",
        type=int,
        default=DEFAULT_ROWS,
        help="Generated cost records per tenant shape (default: %(default)s).",
    )
    parser.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help="Comma-separated backends to measure: sqlite, postgres (default: %(default)s).",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=7,
        help="Timed calls per read figure; the median is reported (default: %(default)s).",
    )
    parser.add_argument(
        "--skip-memory", action="store_true", help="Skip the CSV ingest memory measurement."
    )
    parser.add_argument(
        "--csv-mb",
        type=float,
        default=DEFAULT_CSV_MB,
        help="Size in MB of the generated CSV for the memory measurement (default: %(default)s).",
    )
    parser.add_argument(
        "--replay",
        type=Path,
        help="Also ingest this real file with `analytics ingest` on each backend and measure it.",
    )
    parser.add_argument(
        "--replay-kind",
        default="cost-records",
        choices=("cost-records", "worker-runs", "runs"),
        help="--kind passed to `analytics ingest` for --replay (default: %(default)s).",
    )
    parser.add_argument(
        "--replay-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="Extra argument for `analytics ingest` in --replay, such as --map=model=engine; "
        "repeat for several.",
    )
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="Postgres URL used to create and drop the database analytics_bench_<random> "
        "(default: %(default)s).",
    )
    parser.add_argument(
        "--detection-entities",
        default=",".join(str(count) for count in ENTITY_COUNTS),
        help="Comma-separated numbers of active users and feature tags of the detection "
        "tenants (default: %(default)s).",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Workload seed.")
    parser.add_argument(
        "--output-dir",
        type=Path,
        help="Write BENCHMARKS.md and results.json here instead of the repository root "
        "and benchmarks/.",
    )
    arguments = parser.parse_args(argv)
    backends = [name.strip() for name in arguments.backends.split(",") if name.strip()]
    unknown = sorted(set(backends) - set(BACKENDS))
    if unknown or not backends:
        parser.error(f"--backends must list sqlite and/or postgres, not {arguments.backends!r}")
    if arguments.rows < 1 or arguments.repeats < 1 or arguments.csv_mb <= 0:
        parser.error("--rows and --repeats must be at least 1 and --csv-mb above 0")
    arguments.backend_list = backends
    try:
        arguments.entity_counts = tuple(
            int(count) for count in arguments.detection_entities.split(",") if count.strip()
        )
    except ValueError:
        parser.error(
            f"--detection-entities must list integers, not {arguments.detection_entities!r}"
        )
    if not arguments.entity_counts or min(arguments.entity_counts) < 1:
        parser.error("--detection-entities must list at least one count of 1 or more")
    return arguments


@asynccontextmanager
async def open_database(
    backend: str, arguments: argparse.Namespace, directory: Path
) -> AsyncIterator[BenchDatabase]:
    if backend == SQLITE:
        async with sqlite_database(directory) as database:
            yield database
    else:
        async with postgres_database(arguments.postgres_url) as database:
            yield database


def _ingest_figure(result: IngestResult) -> dict[str, Any]:
    return {
        "rows": result.rows,
        "seconds": round(result.seconds, 3),
        "rows_per_second": round(result.rows_per_second, 1),
    }


async def measure_ingest(database: BenchDatabase, arguments: argparse.Namespace) -> dict[str, Any]:
    """Run the raw anchors on an empty table, then load both shapes through the port."""
    heavy = generated.Workload(generated.HEAVY, arguments.rows, arguments.seed)
    many = generated.Workload(generated.MANY, arguments.rows, arguments.seed)
    figures: dict[str, Any] = {}
    if database.backend == POSTGRES:
        logger.info("postgres: raw COPY of %s rows", arguments.rows)
        figures["raw_copy"] = _ingest_figure(await raw_postgres_copy(database, heavy))
        await database.empty_tables()
        logger.info("postgres: raw executemany of %s rows", arguments.rows)
        figures["raw_executemany"] = _ingest_figure(await raw_postgres_executemany(database, heavy))
        await database.empty_tables()
        logger.info("postgres: the adapter's INSERT alone, %s rows", arguments.rows)
        figures["statement_insert_only"] = _ingest_figure(
            await postgres_statement(database, heavy, with_rollups=False)
        )
        await database.empty_tables()
        logger.info("postgres: the adapter's INSERT with its rollups, %s rows", arguments.rows)
        figures["statement_with_rollups"] = _ingest_figure(
            await postgres_statement(database, heavy, with_rollups=True)
        )
    else:
        logger.info("sqlite: raw executemany of %s rows", arguments.rows)
        figures["raw_executemany"] = _ingest_figure(raw_sqlite_executemany(database, heavy))
    await database.empty_tables()
    logger.info("%s: port ingest, many tenants", database.backend)
    figures["port_many_tenants"] = _ingest_figure(await port_ingest(database, many))
    logger.info("%s: port ingest, heavy tenant", database.backend)
    figures["port_heavy_tenant"] = _ingest_figure(await port_ingest(database, heavy))
    await database.analyze()
    return figures


async def measure_read_figures(
    database: BenchDatabase, arguments: argparse.Namespace, directory: Path
) -> dict[str, Any]:
    logger.info("%s: reads", database.backend)
    duckdb_anchor = await DuckdbAnchor.load(database, directory)
    timings = await measure_reads(database, arguments.repeats, duckdb_anchor)
    return {
        figure: {
            "ours_ms": round(timing.ours_ms, 3),
            "sql_ms": round(timing.sql_ms, 3),
            "duckdb_ms": None if timing.duckdb_ms is None else round(timing.duckdb_ms, 3),
            "ratio_sql": ratio(timing.sql_ms, timing.ours_ms),
            "ratio_duckdb": ratio(timing.duckdb_ms, timing.ours_ms),
        }
        for figure, timing in timings.items()
    }


def _cli_figure(run: CliRun) -> dict[str, Any]:
    figure = asdict(run)
    figure["seconds"] = round(run.seconds, 3)
    figure["peak_rss_mb"] = round(run.peak_rss_mb, 1)
    figure["rows_per_second"] = round(run.rows_per_second, 1)
    return figure


async def measure_backend(
    backend: str, arguments: argparse.Namespace, directory: Path
) -> tuple[dict[str, Any], str | None]:
    async with open_database(backend, arguments, directory) as database:
        version = await _server_version(database)
        figures: dict[str, Any] = {"ingest": await measure_ingest(database, arguments)}
        figures["reads"] = await measure_read_figures(database, arguments, directory)
        logger.info("%s: detection", backend)
        figures["detection"] = [
            asdict(run) for run in await measure_detection(database, arguments.entity_counts)
        ]
        figures["memory"] = None
        if not arguments.skip_memory:
            logger.info("%s: CLI ingest of a %s MB CSV", backend, arguments.csv_mb)
            run = await asyncio.to_thread(
                measure_memory, database, directory, arguments.csv_mb, arguments.seed
            )
            figures["memory"] = _cli_figure(run)
        figures["replay"] = None
        if arguments.replay is not None:
            logger.info("%s: replay of %s", backend, arguments.replay)
            run = await asyncio.to_thread(
                run_cli_ingest,
                database,
                arguments.replay.resolve(),
                arguments.replay_kind,
                tuple(arguments.replay_arg),
            )
            figures["replay"] = _cli_figure(run)
        return figures, version


async def _server_version(database: BenchDatabase) -> str | None:
    if database.backend != POSTGRES:
        return None
    async with database.engine.connect() as connection:
        version = (await connection.execute(text("SHOW server_version"))).scalar_one()
    return f"Postgres {version}"


def _duckdb_status() -> str:
    try:
        import duckdb  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return "not installed in this environment, so the DuckDB anchor was not measured"
    return f"duckdb {duckdb.__version__}, in memory, over a copy of the heavy tenant's rows"


async def run(arguments: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    document: dict[str, Any] = {
        "command": shlex.join(["python", "-m", "benchmarks", *argv]),
        "code": code_version(),
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "postgres_version": None,
        "duckdb": _duckdb_status(),
        "data": {
            "rows": arguments.rows,
            "seed": arguments.seed,
            "models": generated.MODELS,
            "feature_tags": generated.FEATURE_TAGS,
            "users": generated.USERS,
            "days": generated.DAYS,
            "tenants": generated.MANY_TENANTS,
            "window_days": WINDOW_DAYS,
            "repeats": arguments.repeats,
            "csv_mb": None if arguments.skip_memory else arguments.csv_mb,
        },
        "backends": {},
    }
    with tempfile.TemporaryDirectory(prefix="analytics-bench-") as directory:
        for backend in arguments.backend_list:
            figures, version = await measure_backend(backend, arguments, Path(directory))
            document["backends"][backend] = figures
            document["postgres_version"] = document["postgres_version"] or version
    document["targets"] = targets(document)
    return document


def main(argv: list[str] | None = None) -> None:
    given = sys.argv[1:] if argv is None else argv
    arguments = parse_arguments(given)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    document = asyncio.run(run(arguments, given))
    markdown_path = (arguments.output_dir or REPOSITORY) / "BENCHMARKS.md"
    json_path = (arguments.output_dir or REPOSITORY / "benchmarks") / "results.json"
    write_json(document, json_path)
    markdown_path.parent.mkdir(parents=True, exist_ok=True)
    markdown_path.write_text(render_markdown(document), encoding="utf-8")
    logger.info("wrote %s and %s", markdown_path, json_path)


if __name__ == "__main__":
    main()
