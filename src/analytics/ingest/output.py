"""The ingest summary as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json

from rich.console import Group
from rich.table import Table
from rich.text import Text

from analytics.ingest.summary import IngestSummary


def summary_json(summary: IngestSummary) -> str:
    """Return the summary as indented JSON (``model_dump(mode="json")``)."""
    return json.dumps(summary.model_dump(mode="json"), indent=2)


def summary_csv(summary: IngestSummary) -> str:
    """Return the summary as one CSV table with the columns ``metric,subject,value``.

    Per-model and per-tenant counts name the model or tenant in ``subject``.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["metric", "subject", "value"])
    for name, value in _counts(summary):
        writer.writerow([name, "", value])
    for model in summary.unpriced:
        writer.writerow(["unpriced", model.model, model.rows])
    for tenant in summary.created_by_tenant:
        writer.writerow(["created_for_tenant", tenant.tenant_id, tenant.created])
    if summary.rejects_path is not None:
        writer.writerow(["rejects_path", "", summary.rejects_path])
        writer.writerow(["first_rejection", "", summary.first_rejection])
    return buffer.getvalue()


def summary_table(summary: IngestSummary) -> Group:
    """Return the summary as rich tables: the counts, unpriced models and tenants."""
    counts = Table(show_header=False)
    counts.add_column("count")
    counts.add_column("value", justify="right")
    for name, value in _counts(summary):
        counts.add_row(name.replace("_", " "), f"{value:,}")

    parts: list[Table | Text] = [Text(_title(summary), style="bold"), counts]
    if summary.unpriced:
        parts.append(_unpriced_table(summary))
    if summary.created_by_tenant:
        parts.append(_tenant_table(summary))
    if summary.rejects_path is not None:
        parts.append(Text(f"First rejected row: {summary.first_rejection}"))
        parts.append(Text(f"Rejected rows written to {summary.rejects_path}"))
    return Group(*parts)


def _title(summary: IngestSummary) -> str:
    suffix = " (dry run: nothing written)" if summary.dry_run else ""
    return f"{summary.file} as {summary.kind}{suffix}"


def _counts(summary: IngestSummary) -> list[tuple[str, int]]:
    return [
        ("rows_read", summary.rows_read),
        ("valid", summary.valid),
        ("created", summary.created),
        ("unchanged", summary.unchanged),
        ("rejected", summary.rejected),
        ("priced", summary.priced),
        ("unpriced_rows", sum(model.rows for model in summary.unpriced)),
        ("completion_defaulted", summary.completion_defaulted),
        ("tenants", summary.tenants),
    ]


def _unpriced_table(summary: IngestSummary) -> Table:
    table = Table(title="Unpriced models (stored at cost 0)")
    table.add_column("model")
    table.add_column("rows", justify="right")
    for model in summary.unpriced:
        table.add_row(model.model, f"{model.rows:,}")
    return table


def _tenant_table(summary: IngestSummary) -> Table:
    listed = len(summary.created_by_tenant)
    title = "Rows created per tenant"
    if summary.tenants > listed:
        title += f" ({listed} largest of {summary.tenants})"
    table = Table(title=title)
    table.add_column("tenant")
    table.add_column("created", justify="right")
    for tenant in summary.created_by_tenant:
        table.add_row(tenant.tenant_id, f"{tenant.created:,}")
    return table
