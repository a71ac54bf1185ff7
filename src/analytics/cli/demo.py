"""``analytics demo``: a one-command tour on generated data in its own SQLite file."""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from analytics.cli.app import (
    CliContext,
    FatalError,
    cli,
    command_context,
    common_options,
    run_async,
)
from analytics.cli.engine_runs import guarded
from analytics.cli.output import (
    detection_heading,
    detection_notes,
    detection_tables,
    local_time,
    make_console,
    pattern_heading,
    pattern_notes,
    pattern_tables,
    prediction_heading,
    prediction_notes,
    prediction_tables,
    report_heading,
    report_tables,
)
from analytics.demo import (
    DEFAULT_SEED,
    DEMO_TODAY,
    DEMO_TZ,
    TourResults,
    build_demo,
    is_demo_file,
    remove_database,
    sqlite_url,
)

DEFAULT_PATH = "analytics-demo.db"


@cli.command()
@click.option(
    "--path",
    "path_text",
    default=DEFAULT_PATH,
    show_default=True,
    help="SQLite file to create. An earlier demo file there is replaced. --db is ignored.",
)
@click.option(
    "--seed",
    type=int,
    default=DEFAULT_SEED,
    show_default=True,
    help="Seed of the random generator. One seed always gives the same output.",
)
@click.option("--force", is_flag=True, help="Replace the file even when it is not a demo file.")
@common_options
@click.pass_context
def demo(click_context: click.Context, path_text: str, seed: int, force: bool) -> None:
    """Generate 35 days of demo data and run every command on it (tables only)."""
    context = command_context(click_context)
    tz = _demo_zone(context)
    path = Path(path_text)
    _prepare(path, path_text, force=force)
    results = run_async(context, guarded(build_demo(path, seed=seed, tz=tz)))
    print_tour(results, path_text=path_text, seed=seed, tz=tz)


def _demo_zone(context: CliContext) -> str:
    """Use ``--tz`` or ``ANALYTICS_TZ`` when given, else the demo's New York zone."""
    if "tz" in context.explicit or os.environ.get("ANALYTICS_TZ"):
        return context.tz
    return DEMO_TZ


def _prepare(path: Path, path_text: str, *, force: bool) -> None:
    """Remove an earlier demo file, or stop when another file is in the way."""
    if path.is_dir():
        raise click.BadParameter(
            f"{path_text!r} is a directory. Pass a file path", param_hint="--path"
        )
    if not path.parent.is_dir():
        raise click.BadParameter(
            f"the folder of {path_text!r} does not exist. Create it or pass another path",
            param_hint="--path",
        )
    if not path.exists():
        return
    if not (force or is_demo_file(path)):
        raise click.UsageError(
            f"{path_text} exists and is not a demo database. Pass --force to replace it, "
            "or choose another file with --path."
        )
    try:
        remove_database(path)
    except OSError as error:
        raise FatalError(f"cannot replace {path_text}: {error.strerror}") from error


def print_tour(results: TourResults, *, path_text: str, seed: int, tz: str) -> None:
    """Print the demo's results under headings, then commands to explore the file."""
    console = make_console()
    console.begin_capture()
    _print_results(console, results, path_text=path_text, seed=seed, tz=tz)
    # Tables pad their lines with spaces, which are stripped so the output compares cleanly.
    text = console.end_capture()
    click.echo("\n".join(line.rstrip() for line in text.splitlines()))


def _print_results(
    console: Console, results: TourResults, *, path_text: str, seed: int, tz: str
) -> None:
    console.print(
        f"Demo database {path_text}: seed {seed}, today {DEMO_TODAY.isoformat()} in {tz}, "
        "simulated clock."
    )
    for tenant, counts in results.rows_written.items():
        written = ", ".join(f"{count:,} {kind}" for kind, count in counts.items())
        console.print(f"  {tenant}: {written}")

    _heading(console, "Anomaly detection (analytics detect), each day at 18:00")
    for detection in results.detections:
        _section(
            console,
            detection_heading(detection),
            detection_tables(detection),
            detection_notes(detection),
        )

    _heading(console, "Failure patterns and cost spikes (analytics patterns)")
    for pattern in results.patterns:
        _section(
            console, pattern_heading(pattern, tz), pattern_tables(pattern), pattern_notes(pattern)
        )

    _heading(console, "Predictions (analytics predict), yesterday and today at 18:00")
    for prediction, accuracy in results.predictions:
        _section(
            console,
            prediction_heading(prediction, tz),
            prediction_tables(prediction, accuracy, tz),
            prediction_notes(prediction),
        )

    _heading(console, "Usage and cost of the last 30 days (analytics report)")
    for report in results.reports:
        _section(console, report_heading(report), report_tables(report), [])

    _heading(console, "Explore the file")
    for command in explore_commands(path_text, tz, results):
        console.print(f"  {command}", soft_wrap=True)


def _heading(console: Console, title: str) -> None:
    console.print()
    console.print(f"== {title} ==")


def _section(console: Console, heading: str, tables: Sequence[Table], notes: Sequence[str]) -> None:
    console.print()
    console.print(heading)
    for table in tables:
        console.print(table)
    for note in notes:
        console.print(note)


def explore_commands(path_text: str, tz: str, results: TourResults) -> list[str]:
    """Return commands that query the demo file as of the demo's today."""
    prefix = f"analytics --db {shlex.quote(sqlite_url(Path(path_text)))} --tz {shlex.quote(tz)}"
    report = results.reports[0] if results.reports else None
    start = report.start if report else None
    window = ""
    if report is not None and start is not None:
        first = local_time(start, tz)[:10]
        last = local_time(report.end, tz)[:10]
        window = f" --from {first} --to {last}"
    today = DEMO_TODAY.isoformat()
    at = f"{today}T18:00"
    return [
        f"{prefix} report --tenant acme{window}",
        f"{prefix} report --tenant acme{window} --by feature --format csv",
        f"{prefix} detect --tenant acme --tenant globex --day {today} --dry-run",
        f"{prefix} patterns --tenant acme --at {at}",
        f"{prefix} predict --tenant acme --at {at} --format json",
    ]
