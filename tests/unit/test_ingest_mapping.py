"""Mapping of source rows to fields, keys and checked rows for ``analytics ingest``."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from analytics.domain import CostSource, NewCostRecord, NewRun, NewWorkerRun, RunStatus
from analytics.engines.pricing import Pricer
from analytics.ingest.errors import IngestUsageError
from analytics.ingest.kinds import COST_RECORDS, KINDS, RUNS, WORKER_RUNS, Kind
from analytics.ingest.mapping import MappingOptions, RowMapper, build_mapper
from analytics.ingest.prepare import PreparedRow, Rejection, RowPreparer
from analytics.ingest.readers import SourceRow

BENCHMARK_COLUMNS = (
    "config_id",
    "harness",
    "model",
    "benchmark",
    "instance_id",
    "cost_usd",
    "resolved",
    "run_submission_time",
)

BENCHMARK_OPTIONS = MappingOptions(
    maps=(
        "tenant_id=harness",
        "worker_id=config_id",
        "task={benchmark}/{instance_id}",
        "created_at=run_submission_time",
        "status=resolved",
    ),
    recodes=("status:true=completed", "status:false=failed"),
    key_columns="config_id,benchmark,instance_id",
)


def source_row(values: Mapping[str, object], number: int = 1) -> SourceRow:
    fingerprint = "\x1f".join(str(value) for value in values.values())
    return SourceRow(number, dict(values), fingerprint)


def benchmark_row(**changes: str) -> SourceRow:
    values = {
        "config_id": "acp-claude/claude-opus-4-6",
        "harness": "acp-claude",
        "model": "claude-opus-4-6",
        "benchmark": "commit0",
        "instance_id": "babel",
        "cost_usd": "34.732634666666634",
        "resolved": "false",
        "run_submission_time": "2026-03-26T02:23:58+00:00",
    }
    values.update(changes)
    return source_row(values)


def mapper(
    options: MappingOptions,
    columns: Sequence[str] | None = BENCHMARK_COLUMNS,
    kind: Kind = WORKER_RUNS,
) -> RowMapper:
    return build_mapper(kind, options, columns)


def usage_error(
    options: MappingOptions,
    columns: Sequence[str] | None = BENCHMARK_COLUMNS,
    kind: Kind = WORKER_RUNS,
) -> str:
    with pytest.raises(IngestUsageError) as caught:
        build_mapper(kind, options, columns)
    return str(caught.value)


def sha256_key(*texts: str) -> str:
    return "k_" + hashlib.sha256("\x1f".join(texts).encode()).hexdigest()[:32]


def prepare(
    row: SourceRow,
    options: MappingOptions,
    columns: Sequence[str] | None,
    kind: Kind,
    assume_tz: str | None = None,
) -> PreparedRow | Rejection:
    preparer = RowPreparer(kind, build_mapper(kind, options, columns), Pricer(), assume_tz)
    return preparer.prepare(row)


# Fields of each kind


@pytest.mark.parametrize("kind", list(KINDS.values()))
def test_kind_fields_match_model(kind: Kind) -> None:
    assert tuple(kind.field_types) == tuple(kind.model.model_fields)
    assert kind.fields[0] == "tenant_id"


# Mapping


def test_benchmark_example_maps_every_field() -> None:
    values = mapper(BENCHMARK_OPTIONS).map(benchmark_row())

    assert values["tenant_id"] == "acp-claude"
    assert values["worker_id"] == "acp-claude/claude-opus-4-6"
    assert values["task"] == "commit0/babel"
    assert values["created_at"] == "2026-03-26T02:23:58+00:00"
    assert values["status"] == "failed"
    assert values["cost_usd"] == "34.732634666666634"
    assert values["id"] == sha256_key("acp-claude/claude-opus-4-6", "commit0", "babel")


def test_column_named_like_field_maps_by_name() -> None:
    options = MappingOptions(maps=("tenant_id=harness", "occurred_at=run_submission_time"))

    values = mapper(options, kind=COST_RECORDS).map(benchmark_row())

    assert values["model"] == "claude-opus-4-6"
    assert values["cost_usd"] == "34.732634666666634"


def test_other_columns_ignored() -> None:
    values = mapper(BENCHMARK_OPTIONS).map(benchmark_row())

    assert "model" not in values
    assert "harness" not in values


def test_value_recodes_empty_cell() -> None:
    options = MappingOptions(
        maps=BENCHMARK_OPTIONS.maps,
        recodes=(*BENCHMARK_OPTIONS.recodes, "status:=crashed"),
        key_columns=BENCHMARK_OPTIONS.key_columns,
    )

    assert mapper(options).map(benchmark_row(resolved=""))["status"] == "crashed"


def test_value_unmatched_kept() -> None:
    assert mapper(BENCHMARK_OPTIONS).map(benchmark_row(resolved="maybe"))["status"] == "maybe"


def test_value_matches_exact_text_only() -> None:
    assert mapper(BENCHMARK_OPTIONS).map(benchmark_row(resolved="True"))["status"] == "True"


def test_set_gives_every_row_constant() -> None:
    options = MappingOptions(
        maps=BENCHMARK_OPTIONS.maps,
        constants=("user_id=benchmarks", "attempt=2"),
        key_columns=BENCHMARK_OPTIONS.key_columns,
    )

    values = mapper(options).map(benchmark_row())

    assert values["user_id"] == "benchmarks"
    assert values["attempt"] == "2"


def test_set_beats_column_of_same_name() -> None:
    options = MappingOptions(
        maps=("tenant_id=harness", "occurred_at=run_submission_time"),
        constants=("model=gpt-4o-mini",),
    )

    values = mapper(options, kind=COST_RECORDS).map(benchmark_row())

    assert values["model"] == "gpt-4o-mini"


def test_template_with_empty_placeholder_is_missing() -> None:
    values = mapper(BENCHMARK_OPTIONS).map(benchmark_row(instance_id=""))

    assert values["task"] is None


def test_template_braces_escaped() -> None:
    options = MappingOptions(
        maps=(*BENCHMARK_OPTIONS.maps[:2], "task={{{benchmark}}}", *BENCHMARK_OPTIONS.maps[3:]),
        key_columns=BENCHMARK_OPTIONS.key_columns,
    )

    assert mapper(options).map(benchmark_row())["task"] == "{commit0}"


# Usage errors


def test_field_both_mapped_and_set_rejected() -> None:
    options = MappingOptions(maps=("tenant_id=harness", "model=model"), constants=("model=x",))

    message = usage_error(options, kind=COST_RECORDS)

    assert message == "the field model is both mapped (--map) and set (--set); keep one of them"


def test_map_of_missing_column_rejected() -> None:
    options = MappingOptions(maps=("tenant_id=harness", "created_at=submitted"))

    message = usage_error(options)

    assert message.startswith("the column(s) submitted are not in the file's header")
    assert "run_submission_time" in message


def test_template_of_missing_column_rejected() -> None:
    options = MappingOptions(maps=("tenant_id=harness", "task={benchmark}/{task_id}"))

    assert "task_id" in usage_error(options)


def test_key_of_missing_column_rejected() -> None:
    options = MappingOptions(maps=("tenant_id=harness",), key_columns="config_id,run")

    assert usage_error(options).startswith("the column(s) run are not in the file's header")


def test_unknown_field_rejected() -> None:
    message = usage_error(MappingOptions(maps=("tenant_id=harness", "latency=run_average")))

    assert message.startswith("--map: 'latency' is not a field of worker-runs; fields: tenant_id")


def test_field_of_other_kind_rejected() -> None:
    message = usage_error(MappingOptions(maps=("tenant_id=harness", "model=model")))

    assert "'model' is not a field of worker-runs" in message


def test_field_mapped_twice_rejected() -> None:
    options = MappingOptions(maps=("tenant_id=harness", "tenant_id=config_id"))

    assert usage_error(options) == "--map gives the field tenant_id twice"


@pytest.mark.parametrize("item", ["tenant_id", "=harness", "tenant_id harness"])
def test_map_without_equals_rejected(item: str) -> None:
    assert usage_error(MappingOptions(maps=(item,), tenant="t")).endswith("expected FIELD=VALUE")


@pytest.mark.parametrize("item", ["status", "status:true", "status=completed", ":true=x"])
def test_value_malformed_rejected(item: str) -> None:
    options = MappingOptions(maps=("tenant_id=harness", "status=resolved"), recodes=(item,))

    assert usage_error(options).endswith("expected FIELD:FROM=TO")


def test_value_of_unmapped_field_rejected() -> None:
    options = MappingOptions(maps=("tenant_id=harness",), recodes=("status:true=completed",))

    assert "has no effect because status is not read from a column" in usage_error(options)


def test_value_twice_for_same_text_rejected() -> None:
    options = MappingOptions(
        maps=("tenant_id=harness", "status=resolved"),
        recodes=("status:true=completed", "status:true=failed"),
    )

    assert usage_error(options) == "--value recodes 'true' of status twice"


def test_template_with_format_spec_rejected() -> None:
    options = MappingOptions(maps=("tenant_id=harness", "task={benchmark:>10}"))

    assert "a placeholder must be a bare {column} name" in usage_error(options)


def test_key_and_mapped_key_rejected() -> None:
    options = MappingOptions(maps=("tenant_id=harness", "id=instance_id"), key_columns="config_id")

    assert usage_error(options).startswith("--key and a --map or --set of id both give the key")


# Tenant


def test_tenant_option_is_constant() -> None:
    options = MappingOptions(maps=BENCHMARK_OPTIONS.maps[1:], tenant="acme")

    assert mapper(options).map(benchmark_row())["tenant_id"] == "acme"


def test_tenant_given_twice_rejected() -> None:
    options = MappingOptions(maps=("tenant_id=harness",), tenant="acme")

    assert usage_error(options).startswith("the tenant is given twice")


def test_tenant_missing_rejected() -> None:
    message = usage_error(MappingOptions(maps=("worker_id=config_id",)))

    assert message.startswith("no tenant: pass --tenant ID, or --map tenant_id=COLUMN")


def test_tenant_column_by_name_accepted() -> None:
    columns = ("tenant_id", *BENCHMARK_COLUMNS)
    row = source_row({"tenant_id": "acme", **benchmark_row().values})

    assert mapper(MappingOptions(), columns).map(row)["tenant_id"] == "acme"


# Keys


def test_whole_row_hash_keeps_identical_rows_apart() -> None:
    options = MappingOptions(maps=("tenant_id=harness",))
    row = benchmark_row()

    first_run = mapper(options, kind=COST_RECORDS)
    keys = [first_run.map(row)["request_id"] for _ in range(3)]
    second_run = mapper(options, kind=COST_RECORDS)
    again = [second_run.map(row)["request_id"] for _ in range(3)]

    assert len(set(keys)) == 3
    assert keys == again
    assert keys[0] == sha256_key(row.fingerprint, "0")
    assert keys[1] == sha256_key(row.fingerprint, "1")


def test_whole_row_hash_differs_per_row() -> None:
    options = MappingOptions(maps=("tenant_id=harness",))
    row_mapper = mapper(options, kind=COST_RECORDS)

    first = row_mapper.map(benchmark_row(instance_id="babel"))["request_id"]
    second = row_mapper.map(benchmark_row(instance_id="cachetools"))["request_id"]

    assert first != second
    assert isinstance(first, str)
    assert len(first) == 34


def test_identical_key_columns_give_identical_keys() -> None:
    row_mapper = mapper(BENCHMARK_OPTIONS)

    first = row_mapper.map(benchmark_row(resolved="true"))["id"]
    second = row_mapper.map(benchmark_row(resolved="false"))["id"]

    assert first == second


def test_mapped_key_column_used_as_is() -> None:
    options = MappingOptions(maps=("tenant_id=harness", "request_id=instance_id"))

    assert mapper(options, kind=COST_RECORDS).map(benchmark_row())["request_id"] == "babel"


def test_json_lines_fields_by_name() -> None:
    options = MappingOptions(tenant="acme")
    row = source_row({"model": "gpt-4o", "input_tokens": Decimal(10), "request_id": "r-1"})

    values = mapper(options, None, COST_RECORDS).map(row)

    assert values["model"] == "gpt-4o"
    assert values["input_tokens"] == Decimal(10)
    assert values["request_id"] == "r-1"


def test_json_lines_without_key_hashes_line() -> None:
    options = MappingOptions(tenant="acme")
    row = SourceRow(4, {"model": "gpt-4o"}, '{"model": "gpt-4o"}')

    values = mapper(options, None, COST_RECORDS).map(row)

    assert values["request_id"] == sha256_key('{"model": "gpt-4o"}', "0")


# Checked rows


def test_benchmark_row_prepared_as_worker_run() -> None:
    prepared = prepare(benchmark_row(), BENCHMARK_OPTIONS, BENCHMARK_COLUMNS, WORKER_RUNS)

    assert isinstance(prepared, PreparedRow)
    assert prepared.tenant_id == "acp-claude"
    assert isinstance(prepared.item, NewWorkerRun)
    assert prepared.item.status == RunStatus.FAILED
    assert prepared.item.cost_usd == Decimal("34.732634666666634")
    assert prepared.item.completed_at == prepared.item.created_at
    assert prepared.completion_defaulted


def test_empty_status_rejected_naming_column() -> None:
    prepared = prepare(
        benchmark_row(resolved=""), BENCHMARK_OPTIONS, BENCHMARK_COLUMNS, WORKER_RUNS
    )

    assert isinstance(prepared, Rejection)
    assert prepared.field == "status"
    assert prepared.error == "status is missing (column 'resolved' is empty)"
    assert prepared.row == 1


def test_unknown_status_rejected_with_port_message() -> None:
    prepared = prepare(
        benchmark_row(resolved="maybe"), BENCHMARK_OPTIONS, BENCHMARK_COLUMNS, WORKER_RUNS
    )

    assert isinstance(prepared, Rejection)
    assert prepared.field == "status"
    assert prepared.error.startswith("status 'maybe' must be one of: queued, running")


def test_unmapped_required_field_says_how_to_map() -> None:
    options = MappingOptions(maps=("tenant_id=harness", "worker_id=config_id"))

    prepared = prepare(benchmark_row(), options, BENCHMARK_COLUMNS, WORKER_RUNS)

    assert isinstance(prepared, Rejection)
    assert prepared.field == "task"
    assert prepared.error == "task is missing; map it with --map task=COLUMN or --set task=VALUE"


def test_running_status_keeps_no_completion() -> None:
    options = MappingOptions(
        maps=("tenant_id=harness", "created_at=run_submission_time"),
        constants=("status=running",),
        key_columns="config_id,instance_id",
    )

    prepared = prepare(benchmark_row(), options, BENCHMARK_COLUMNS, RUNS)

    assert isinstance(prepared, PreparedRow)
    assert isinstance(prepared.item, NewRun)
    assert not prepared.completion_defaulted
    assert prepared.item.finished_at is None


def test_negative_cost_rejected_by_port_rule() -> None:
    prepared = prepare(
        benchmark_row(cost_usd="-1.5"), BENCHMARK_OPTIONS, BENCHMARK_COLUMNS, WORKER_RUNS
    )

    assert isinstance(prepared, Rejection)
    assert prepared.field == "cost_usd"
    assert prepared.error == "cost_usd '-1.5' must not be negative"


def test_tenant_too_long_rejected() -> None:
    prepared = prepare(
        benchmark_row(harness="h" * 65), BENCHMARK_OPTIONS, BENCHMARK_COLUMNS, WORKER_RUNS
    )

    assert isinstance(prepared, Rejection)
    assert prepared.field == "tenant_id"
    assert "must be at most 64 characters" in prepared.error


TRACE_COLUMNS = ("TIMESTAMP", "ContextTokens", "GeneratedTokens")
TRACE_OPTIONS = MappingOptions(
    maps=("occurred_at=TIMESTAMP", "input_tokens=ContextTokens", "output_tokens=GeneratedTokens"),
    constants=("model=gpt-4o-mini", "feature_tag=code"),
    tenant="trace",
)


def trace_row(timestamp: str = "2023-11-16 18:17:03.9799600", tokens: str = "4808") -> SourceRow:
    return source_row({"TIMESTAMP": timestamp, "ContextTokens": tokens, "GeneratedTokens": "10"})


def test_trace_row_priced_from_tokens() -> None:
    prepared = prepare(trace_row(), TRACE_OPTIONS, TRACE_COLUMNS, COST_RECORDS, "UTC")

    assert isinstance(prepared, PreparedRow)
    assert isinstance(prepared.item, NewCostRecord)
    assert prepared.item.cost_usd == Decimal("0.0007272")
    assert prepared.item.cost_source == CostSource.ESTIMATED
    assert prepared.item.price_ref == "openai:gpt-4o-mini"
    assert prepared.item.occurred_at == datetime(2023, 11, 16, 18, 17, 3, 979960, tzinfo=UTC)
    assert prepared.cost_source is CostSource.ESTIMATED


def test_trace_row_naive_time_rejected() -> None:
    prepared = prepare(trace_row(), TRACE_OPTIONS, TRACE_COLUMNS, COST_RECORDS)

    assert isinstance(prepared, Rejection)
    assert prepared.field == "occurred_at"
    assert prepared.error == (
        "occurred_at '2023-11-16 18:17:03.9799600' has no time zone; pass --assume-tz ZONE"
    )


def test_negative_tokens_rejected_before_pricing() -> None:
    prepared = prepare(trace_row(tokens="-5"), TRACE_OPTIONS, TRACE_COLUMNS, COST_RECORDS, "UTC")

    assert isinstance(prepared, Rejection)
    assert prepared.field == "input_tokens"
    assert "must be between 0 and 1000000000" in prepared.error


def test_unknown_model_stored_unpriced() -> None:
    options = MappingOptions(
        maps=TRACE_OPTIONS.maps, constants=("model=in-house-llm",), tenant="trace"
    )

    prepared = prepare(trace_row(), options, TRACE_COLUMNS, COST_RECORDS, "UTC")

    assert isinstance(prepared, PreparedRow)
    assert isinstance(prepared.item, NewCostRecord)
    assert prepared.item.cost_usd == Decimal(0)
    assert prepared.cost_source is CostSource.UNPRICED


def test_reported_cost_kept_and_tokens_default_to_zero() -> None:
    options = MappingOptions(maps=("tenant_id=harness", "occurred_at=run_submission_time"))

    prepared = prepare(benchmark_row(cost_usd="0.0"), options, BENCHMARK_COLUMNS, COST_RECORDS)

    assert isinstance(prepared, PreparedRow)
    assert isinstance(prepared.item, NewCostRecord)
    assert prepared.item.cost_usd == Decimal("0.0")
    assert prepared.item.cost_source == CostSource.REPORTED
    assert prepared.item.input_tokens == 0
    assert prepared.item.output_tokens == 0


def test_no_cost_and_no_tokens_rejected() -> None:
    options = MappingOptions(maps=("tenant_id=harness", "occurred_at=run_submission_time"))

    prepared = prepare(benchmark_row(cost_usd=""), options, BENCHMARK_COLUMNS, COST_RECORDS)

    assert isinstance(prepared, Rejection)
    assert prepared.field == "cost_usd"
    assert prepared.error == "cost_usd is missing, and the row has no token counts to price it from"


def test_unreadable_row_rejected_as_row() -> None:
    row = SourceRow(3, {}, "{not json", "is not valid JSON (Expecting property name)")

    prepared = prepare(row, MappingOptions(tenant="t"), None, COST_RECORDS)

    assert isinstance(prepared, Rejection)
    assert prepared.field == "row"
    assert prepared.source == "{not json"
