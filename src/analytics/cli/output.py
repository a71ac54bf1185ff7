"""Common pieces of result rendering: the console, JSON and CSV writers, and cell formats.

``table`` output is for people: money with four places, times in the
command's zone, ``(untagged)`` for spend without a feature tag. ``json`` is the
result model through ``model_dump(mode="json")``, so money keeps its nine
places as a string. ``csv`` is one table of exact values per command.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from rich.console import Console
from rich.table import Table

from analytics.domain.anomalies import CostAnomaly, NewAnomaly
from analytics.domain.common import WriteResult
from analytics.domain.detection import DetectedAnomaly, DetectionReport, DetectionRule, Verdict
from analytics.domain.enums import BucketUnit, BudgetPeriod, EntityType, PredictionType
from analytics.domain.pattern_reports import PatternReport
from analytics.domain.patterns import PatternFeedback, PredictionEvent
from analytics.domain.prediction_reports import (
    OutcomeCheck,
    PredictionAccuracy,
    PredictionReport,
    SkippedSubject,
)
from analytics.domain.time import load_zone
from analytics.domain.usage_reports import UsageCostReport

TABLE_WIDTH = 160
"""Console width when stdout is not a terminal, so piped output does not depend on $COLUMNS."""

UNTAGGED = "(untagged)"
_MONEY_PLACES = Decimal("0.0001")
_PERCENT_PLACES = Decimal("0.1")

CsvCell = str | int | Decimal | bool | None


def make_console() -> Console:
    """Return a stdout console: terminal width on a terminal, else a fixed width without colour."""
    # Markup is off because cells contain data such as error texts with brackets.
    if sys.stdout.isatty():
        return Console(markup=False, highlight=False)
    return Console(width=TABLE_WIDTH, color_system=None, markup=False, highlight=False)


def new_table(title: str | None = None) -> Table:
    """Return an empty table in the style every command uses."""
    return Table(title=title, title_justify="left", show_edge=False, header_style="bold")


def json_document(model: BaseModel) -> Any:
    """Return a model as JSON values, with every decimal written in fixed-point notation.

    ``model_dump(mode="json")`` writes a zero amount with nine places as
    ``"0E-9"``, and this function writes ``"0.000000000"``, so money always has its nine places.
    """
    return _jsonable(model.model_dump(mode="python"))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {str(to_jsonable_python(key)): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return to_jsonable_python(value)


def print_json(documents: Sequence[Any]) -> None:
    """Print one JSON document: the single result, or an array when there are several."""
    document = documents[0] if len(documents) == 1 else list(documents)
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def print_csv(header: Sequence[str], rows: Iterable[Sequence[CsvCell]]) -> None:
    """Write a header row and data rows as CSV on stdout, with ``None`` as an empty cell."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if cell is None else _csv_cell(cell) for cell in row])


def _csv_cell(cell: CsvCell) -> str:
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, Decimal):
        return format(cell, "f")
    return str(cell)


def money(value: Decimal | None) -> str:
    """Format US dollars with four places, or an empty cell."""
    if value is None:
        return ""
    return f"{value.quantize(_MONEY_PLACES, rounding=ROUND_HALF_EVEN):,}"


def percent(value: Decimal | None) -> str:
    """Format a percentage with one place, or an empty cell."""
    if value is None:
        return ""
    return f"{value.quantize(_PERCENT_PLACES, rounding=ROUND_HALF_EVEN)} %"


def share(value: Decimal | None) -> str:
    """Format a share between 0 and 1 as a percentage with one place."""
    return "" if value is None else percent(value * 100)


def local_time(instant: datetime | None, tz: str) -> str:
    """Format an instant in the zone ``tz``, with the zone's abbreviation."""
    if instant is None:
        return ""
    return instant.astimezone(load_zone(tz)).strftime("%Y-%m-%d %H:%M %Z")


def bucket_label(start: datetime, unit: BucketUnit, tz: str) -> str:
    """Label a series bucket by its local start: an hour, a day or a month."""
    local = start.astimezone(load_zone(tz))
    if unit is BucketUnit.HOUR:
        return local.strftime("%Y-%m-%d %H:%M %Z")
    if unit is BucketUnit.MONTH:
        return local.strftime("%Y-%m")
    return local.strftime("%Y-%m-%d")


def scope_name(entity_type: EntityType, entity_id: str | None) -> str:
    """Name a tenant, user or feature scope: ``tenant``, ``user u1``, ``feature chat.reply``."""
    if entity_type is EntityType.TENANT:
        return "tenant"
    return f"{entity_type.value} {entity_id if entity_id is not None else UNTAGGED}"


def feature_label(feature_tag: str | None) -> str:
    """Name a feature tag, or ``(untagged)`` for spend without one."""
    return UNTAGGED if feature_tag is None else feature_tag


def iso(value: datetime | date | None) -> str | None:
    """Format an instant (in UTC) or a day in ISO 8601 for CSV."""
    return None if value is None else value.isoformat()


def plural(count: int, noun: str) -> str:
    """Return a count with its noun, in the plural unless the count is 1."""
    if count == 1:
        return f"{count} {noun}"
    if noun.endswith("y") and not noun.endswith("ey"):
        return f"{count} {noun[:-1]}ies"
    return f"{count} {noun}s"


# Usage and cost report.

REPORT_CSV_VIEWS = ("time", "model", "feature")


def report_tables(report: UsageCostReport) -> list[Table]:
    """Return the series, model and feature tables of a usage-and-cost report."""
    return [_series_table(report), _model_table(report), _feature_table(report)]


def report_heading(report: UsageCostReport) -> str:
    """Return the heading line of a report: tenant, window and bucket unit."""
    return (
        f"{report.tenant_id}: usage and cost from {local_time(report.start, report.tz)} "
        f"to {local_time(report.end, report.tz)}, by {report.unit.value}"
    )


def _series_table(report: UsageCostReport) -> Table:
    table = new_table("Series (cost records, runs, traces)")
    for header in ("bucket", "requests", "spend USD", "input tok", "output tok", "runs"):
        table.add_column(header, justify="left" if header == "bucket" else "right")
    for header in ("run input tok", "run output tok", "traces"):
        table.add_column(header, justify="right")
    for point in report.points:
        table.add_row(
            bucket_label(point.bucket_start, report.unit, report.tz),
            f"{point.requests:,}",
            money(point.spend_usd),
            f"{point.input_tokens:,}",
            f"{point.output_tokens:,}",
            f"{point.runs:,}",
            f"{point.run_input_tokens:,}",
            f"{point.run_output_tokens:,}",
            f"{point.traces:,}",
        )
    totals = report.totals
    table.add_section()
    table.add_row(
        "total",
        f"{totals.requests:,}",
        money(totals.spend_usd),
        f"{totals.input_tokens:,}",
        f"{totals.output_tokens:,}",
        f"{totals.runs:,}",
        f"{totals.run_input_tokens:,}",
        f"{totals.run_output_tokens:,}",
        f"{totals.traces:,}",
    )
    table.caption = f"unpriced requests (stored at cost 0): {totals.unpriced_requests:,}"
    table.caption_justify = "left"
    return table


def _model_table(report: UsageCostReport) -> Table:
    table = new_table("Spend by model")
    table.add_column("model")
    for header in ("requests", "spend USD", "share", "unpriced"):
        table.add_column(header, justify="right")
    for item in report.by_model.items:
        table.add_row(
            item.model,
            f"{item.requests:,}",
            money(item.spend_usd),
            share(item.share),
            f"{item.unpriced_requests:,}",
        )
    rest = report.by_model.rest
    if rest.groups:
        table.add_row(
            f"({plural(rest.groups, 'other model')})",
            f"{rest.requests:,}",
            money(rest.spend_usd),
            share(rest.share),
            f"{rest.unpriced_requests:,}",
        )
    return table


def _feature_table(report: UsageCostReport) -> Table:
    table = new_table("Spend by feature")
    table.add_column("feature")
    for header in ("requests", "spend USD", "share"):
        table.add_column(header, justify="right")
    for item in report.by_feature.items:
        table.add_row(
            feature_label(item.feature_tag),
            f"{item.requests:,}",
            money(item.spend_usd),
            share(item.share),
        )
    rest = report.by_feature.rest
    if rest.groups:
        table.add_row(
            f"({plural(rest.groups, 'other feature')})",
            f"{rest.requests:,}",
            money(rest.spend_usd),
            share(rest.share),
        )
    return table


def report_csv(reports: Sequence[UsageCostReport], view: str) -> None:
    """Print the series (``time``) or the model or feature breakdown of reports as CSV."""
    if view == "model":
        print_csv(_MODEL_CSV_HEADER, (row for report in reports for row in _model_rows(report)))
    elif view == "feature":
        print_csv(_FEATURE_CSV_HEADER, (row for report in reports for row in _feature_rows(report)))
    else:
        print_csv(_SERIES_CSV_HEADER, (row for report in reports for row in _series_rows(report)))


_SERIES_CSV_HEADER = (
    "tenant_id",
    "bucket_start",
    "bucket_end",
    "requests",
    "spend_usd",
    "input_tokens",
    "output_tokens",
    "runs",
    "run_input_tokens",
    "run_output_tokens",
    "traces",
)
_MODEL_CSV_HEADER = (
    "tenant_id",
    "model",
    "rest_groups",
    "requests",
    "spend_usd",
    "input_tokens",
    "output_tokens",
    "unpriced_requests",
    "share",
)
_FEATURE_CSV_HEADER = (
    "tenant_id",
    "feature_tag",
    "rest_groups",
    "requests",
    "spend_usd",
    "input_tokens",
    "output_tokens",
    "share",
)


def _series_rows(report: UsageCostReport) -> Iterable[list[CsvCell]]:
    for point in report.points:
        yield [
            report.tenant_id,
            iso(point.bucket_start),
            iso(point.bucket_end),
            point.requests,
            point.spend_usd,
            point.input_tokens,
            point.output_tokens,
            point.runs,
            point.run_input_tokens,
            point.run_output_tokens,
            point.traces,
        ]


def _model_rows(report: UsageCostReport) -> Iterable[list[CsvCell]]:
    """Model rows, then the rest as a row with an empty model and its group count."""
    for item in report.by_model.items:
        yield [
            report.tenant_id,
            item.model,
            None,
            item.requests,
            item.spend_usd,
            item.input_tokens,
            item.output_tokens,
            item.unpriced_requests,
            item.share,
        ]
    rest = report.by_model.rest
    if rest.groups:
        yield [
            report.tenant_id,
            None,
            rest.groups,
            rest.requests,
            rest.spend_usd,
            rest.input_tokens,
            rest.output_tokens,
            rest.unpriced_requests,
            rest.share,
        ]


def _feature_rows(report: UsageCostReport) -> Iterable[list[CsvCell]]:
    """Feature rows (empty tag: untagged), then the rest with its group count."""
    for item in report.by_feature.items:
        yield [
            report.tenant_id,
            item.feature_tag,
            None,
            item.requests,
            item.spend_usd,
            item.input_tokens,
            item.output_tokens,
            item.share,
        ]
    rest = report.by_feature.rest
    if rest.groups:
        yield [
            report.tenant_id,
            None,
            rest.groups,
            rest.requests,
            rest.spend_usd,
            rest.input_tokens,
            rest.output_tokens,
            rest.share,
        ]


# Anomaly detection.


def detection_heading(report: DetectionReport, *, dry_run: bool = False) -> str:
    """Return the heading line of a detection: tenant, day and anomaly count."""
    suffix = " (dry run: nothing was saved)" if dry_run else ""
    return (
        f"{report.tenant_id}, {report.day.isoformat()} ({report.tz}): "
        f"{plural(len(report.anomalies), 'anomaly')}{suffix}"
    )


def detection_tables(report: DetectionReport) -> list[Table]:
    """Return the anomaly table (when there are anomalies) and the verdict counts."""
    tables = [_verdict_table(report)]
    if report.anomalies:
        tables.insert(0, _anomaly_table(report))
    return tables


def detection_notes(report: DetectionReport) -> list[str]:
    """Name the scopes with insufficient history and the breaches still pending."""
    notes = []
    for verdict, label in (
        (Verdict.INSUFFICIENT_HISTORY, "Insufficient history"),
        (Verdict.BREACH_PENDING, "Breach pending (not yet an anomaly)"),
    ):
        scopes = [
            f"{scope_name(item.entity_type, item.entity_id)} ({item.rule.value})"
            for item in report.evaluations
            if item.verdict is verdict
        ]
        if scopes:
            notes.append(f"{label}: {', '.join(scopes)}.")
    if report.truncated:
        notes.append("Some reads returned their full limit, so entities may be missing.")
    return notes


def _anomaly_table(report: DetectionReport) -> Table:
    table = new_table("Anomalies")
    for header in ("type", "severity", "scope", "period"):
        table.add_column(header)
    for header in ("days", "current USD", "expected USD", "deviation"):
        table.add_column(header, justify="right")
    for header in ("cause", "outcome"):
        table.add_column(header)
    for detected in report.anomalies:
        anomaly = detected.anomaly
        table.add_row(
            anomaly.anomaly_type.value,
            anomaly.severity.value,
            scope_name(EntityType(anomaly.entity_type), anomaly.entity_id),
            _anomaly_period(anomaly),
            str(anomaly.breach_count),
            money(anomaly.current_value_usd),
            money(anomaly.expected_value_usd),
            percent(anomaly.deviation_pct),
            anomaly.derived_cause.value if anomaly.derived_cause else "",
            detected.outcome.value,
        )
    return table


def _anomaly_period(anomaly: CostAnomaly | NewAnomaly) -> str:
    """Name the period: the episode's first day, or a budget's day or month."""
    if anomaly.budget_period is None:
        return anomaly.period_start.isoformat()
    if anomaly.budget_period == BudgetPeriod.MONTHLY:
        return f"{anomaly.period_start.strftime('%Y-%m')} monthly"
    return f"{anomaly.period_start.isoformat()} daily"


def _verdict_table(report: DetectionReport) -> Table:
    table = new_table("Verdicts per rule")
    table.add_column("rule")
    for verdict in Verdict:
        table.add_column(verdict.value.replace("_", " "), justify="right")
    for rule in DetectionRule:
        counts = report.counts.get(rule, {})
        table.add_row(rule.value, *(str(counts.get(verdict, 0)) for verdict in Verdict))
    return table


_ANOMALY_CSV_HEADER = (
    "tenant_id",
    "day",
    "outcome",
    "id",
    "anomaly_type",
    "severity",
    "entity_type",
    "entity_id",
    "budget_period",
    "period_start",
    "current_value_usd",
    "expected_value_usd",
    "deviation_pct",
    "threshold_pct",
    "breach_count",
    "derived_cause",
    "message",
)


def detection_csv(reports: Sequence[DetectionReport]) -> None:
    """Print the anomalies of detection reports as CSV (``id`` is empty when suppressed)."""
    print_csv(
        _ANOMALY_CSV_HEADER,
        (_anomaly_row(report, detected) for report in reports for detected in report.anomalies),
    )


def _anomaly_row(report: DetectionReport, detected: DetectedAnomaly) -> list[CsvCell]:
    anomaly = detected.anomaly
    return [
        report.tenant_id,
        iso(report.day),
        detected.outcome.value,
        anomaly.id if isinstance(anomaly, CostAnomaly) else None,
        str(anomaly.anomaly_type),
        str(anomaly.severity),
        str(anomaly.entity_type),
        anomaly.entity_id,
        None if anomaly.budget_period is None else str(anomaly.budget_period),
        iso(anomaly.period_start),
        anomaly.current_value_usd,
        anomaly.expected_value_usd,
        anomaly.deviation_pct,
        anomaly.threshold_pct,
        anomaly.breach_count,
        None if anomaly.derived_cause is None else str(anomaly.derived_cause),
        anomaly.message,
    ]


# Failure patterns and cost spikes.


def pattern_heading(report: PatternReport, tz: str) -> str:
    """Return the heading line of a pattern detection: tenant, windows and runs read."""
    failed = plural(report.failed_runs_read, "failed run")
    costed = plural(report.costed_runs_read, "costed run")
    return (
        f"{report.tenant_id}: {failed} since {local_time(report.window_start, tz)}, "
        f"{costed} since {local_time(report.cost_window_start, tz)}, "
        f"up to {local_time(report.window_end, tz)}"
    )


def pattern_tables(report: PatternReport) -> list[Table]:
    """Return the failure-pattern and cost-spike tables of those that were found."""
    tables = []
    if report.failure_patterns:
        tables.append(_failure_table(report.failure_patterns))
    if report.cost_spikes:
        tables.append(_cost_spike_table(report.cost_spikes))
    return tables


def pattern_notes(report: PatternReport) -> list[str]:
    """Say when nothing was found, and when a read may have been cut."""
    notes = []
    if not report.failure_patterns:
        notes.append("No failure patterns.")
    if not report.cost_spikes:
        notes.append("No cost spikes.")
    if report.truncated:
        notes.append("A run read returned its full limit, so some runs may be missing.")
    return notes


def _failure_table(patterns: Sequence[WriteResult[PatternFeedback]]) -> Table:
    table = new_table("Failure patterns")
    table.add_column("severity")
    table.add_column("runs", justify="right")
    for header in ("signature", "workers", "error (normalised)", "outcome"):
        table.add_column(header)
    for result in patterns:
        pattern = result.record
        metadata = pattern.metadata or {}
        workers = metadata.get("workers") or {}
        table.add_row(
            pattern.severity.value,
            str(pattern.occurrence_count),
            pattern.signature,
            ", ".join(f"{worker} ({count})" for worker, count in workers.items()),
            str(metadata.get("normalised_error", ""))[:80],
            result.outcome.value,
        )
    return table


def _cost_spike_table(spikes: Sequence[WriteResult[PatternFeedback]]) -> Table:
    table = new_table("Cost spikes")
    for header in ("severity", "worker", "newest run"):
        table.add_column(header)
    for header in ("newest USD", "mean USD", "above mean", "runs"):
        table.add_column(header, justify="right")
    table.add_column("outcome")
    for result in spikes:
        metadata = result.record.metadata or {}
        table.add_row(
            result.record.severity.value,
            str(metadata.get("worker_id", "")),
            str(metadata.get("newest_run_id", "")),
            money(_decimal(metadata.get("newest_cost_usd"))),
            money(_decimal(metadata.get("mean_cost_usd"))),
            percent(_decimal(metadata.get("spike_pct"))),
            str(metadata.get("runs_compared", "")),
            result.outcome.value,
        )
    return table


def _decimal(value: object) -> Decimal | None:
    """Read a fixed-place decimal string from JSON metadata."""
    return None if value is None else Decimal(str(value))


_FEEDBACK_CSV_HEADER = (
    "tenant_id",
    "outcome",
    "id",
    "pattern_type",
    "severity",
    "signature",
    "occurrence_count",
    "detected_at",
    "time_window_minutes",
    "threshold_used",
    "description",
)


def pattern_csv(reports: Sequence[PatternReport]) -> None:
    """Print the feedback rows (failure patterns, then cost spikes) of reports as CSV."""
    print_csv(
        _FEEDBACK_CSV_HEADER,
        (
            _feedback_row(report.tenant_id, result)
            for report in reports
            for result in (*report.failure_patterns, *report.cost_spikes)
        ),
    )


def _feedback_row(tenant_id: str, result: WriteResult[PatternFeedback]) -> list[CsvCell]:
    pattern = result.record
    return [
        tenant_id,
        result.outcome.value,
        pattern.id,
        pattern.pattern_type.value,
        pattern.severity.value,
        pattern.signature,
        pattern.occurrence_count,
        iso(pattern.detected_at),
        pattern.time_window_minutes,
        pattern.threshold_used,
        pattern.description,
    ]


# Predictions.


def prediction_heading(report: PredictionReport, tz: str) -> str:
    """Return the heading line of a predictor run: tenant, time and counts."""
    return (
        f"{report.tenant_id} at {local_time(report.at, tz)}: "
        f"{plural(len(report.outcomes), 'outcome')} checked, "
        f"{plural(len(report.predictions), 'prediction')} made, "
        f"{plural(len(report.skipped), 'subject')} skipped"
    )


def prediction_tables(
    report: PredictionReport, accuracy: Sequence[PredictionAccuracy], tz: str
) -> list[Table]:
    """Return the outcome, prediction, skipped-subject and accuracy tables."""
    tables = []
    if report.outcomes:
        tables.append(_outcome_table(report.outcomes, tz))
    if report.predictions:
        tables.append(_prediction_table(report.predictions, tz))
    if report.skipped:
        tables.append(_skipped_table(report.skipped))
    tables.append(_accuracy_table(accuracy))
    return tables


def prediction_notes(report: PredictionReport) -> list[str]:
    """State that predictions are advisory, and when a read may have been cut."""
    notes = ["Predictions are advisory: nothing acts on them."]
    if report.truncated:
        notes.append("A read returned its full limit, so some runs or predictions may be missing.")
    return notes


def _outcome_table(outcomes: Sequence[OutcomeCheck], tz: str) -> Table:
    table = new_table("Outcomes of expired predictions")
    for header in ("type", "worker", "valid from", "valid until", "outcome", "measured"):
        table.add_column(header)
    for check in outcomes:
        table.add_row(
            check.prediction_type.value,
            check.subject_id,
            local_time(check.window_start, tz),
            local_time(check.window_end, tz),
            check.outcome.value,
            _measured(check.outcome_value),
        )
    return table


def _measured(values: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in values.items())


def _prediction_table(predictions: Sequence[PredictionEvent], tz: str) -> Table:
    table = new_table("Predictions")
    for header in ("type", "worker"):
        table.add_column(header)
    table.add_column("confidence", justify="right")
    for header in ("finding", "valid until"):
        table.add_column(header)
    for prediction in predictions:
        table.add_row(
            prediction.prediction_type.value,
            prediction.subject_id,
            str(prediction.confidence),
            _finding(prediction),
            local_time(prediction.expires_at, tz),
        )
    return table


def _finding(prediction: PredictionEvent) -> str:
    value = prediction.prediction_value
    if prediction.prediction_type is PredictionType.FAILURE_LIKELIHOOD:
        rate = _decimal(value.get("failure_rate"))
        return (
            f"failure rate {share(rate)} ({value.get('failures')} of {value.get('terminal')} "
            f"runs), interval {share(_decimal(value.get('rate_low')))} to "
            f"{share(_decimal(value.get('rate_high')))}"
        )
    return (
        f"projected mean {money(_decimal(value.get('projected_mean_usd')))} USD against "
        f"{money(_decimal(value.get('historical_mean_usd')))} USD, "
        f"{percent(_decimal(value.get('overrun_pct')))} over"
    )


def _skipped_table(skipped: Sequence[SkippedSubject]) -> Table:
    table = new_table("Skipped subjects")
    for header in ("worker", "type", "reason"):
        table.add_column(header)
    for subject in skipped:
        table.add_row(subject.subject_id, subject.prediction_type.value, subject.reason.value)
    return table


def _accuracy_table(accuracy: Sequence[PredictionAccuracy]) -> Table:
    table = new_table("Accuracy of predictions made in the 30 days before")
    table.add_column("type")
    for header in ("confirmed", "refuted", "undetermined", "pending", "precision"):
        table.add_column(header, justify="right")
    for row in accuracy:
        table.add_row(
            row.prediction_type.value,
            str(row.confirmed),
            str(row.refuted),
            str(row.undetermined),
            str(row.pending),
            "" if row.precision is None else str(row.precision),
        )
    return table


_PREDICTION_CSV_HEADER = (
    "tenant_id",
    "id",
    "prediction_type",
    "subject_type",
    "subject_id",
    "confidence",
    "created_at",
    "expires_at",
    "prediction_value",
)


def prediction_csv(reports: Sequence[PredictionReport]) -> None:
    """Print the predictions made by predictor runs as CSV (values as a JSON object)."""
    print_csv(
        _PREDICTION_CSV_HEADER,
        (_prediction_row(prediction) for report in reports for prediction in report.predictions),
    )


def _prediction_row(prediction: PredictionEvent) -> list[CsvCell]:
    return [
        prediction.tenant_id,
        prediction.id,
        prediction.prediction_type.value,
        prediction.subject_type.value,
        prediction.subject_id,
        prediction.confidence,
        iso(prediction.created_at),
        iso(prediction.expires_at),
        json.dumps(prediction.prediction_value, sort_keys=True),
    ]
