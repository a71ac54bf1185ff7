"""The single SQLAlchemy Core schema of the package, shared by both backends.

Money is stored as integer nano-dollars (``*_nanos``), percentages and
confidences as integers scaled by 10^6 (``*_e6``). Every primary and unique key
of a tenant table starts with ``tenant_id`` so the schema can be distributed
by tenant. A "no entity" key part is the empty string in a NOT NULL column,
because a NULL inside a unique key never collides.

The alembic history in ``analytics.migrations`` builds exactly this schema; a
test compares the two.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    text,
)

from analytics.adapters.sql import types as t
from analytics.domain import (
    AnomalySeverity,
    AnomalyType,
    BreachType,
    CostSource,
    DerivedCause,
    EntityType,
    FeedbackSeverity,
    PatternType,
    PredictionOutcome,
    PredictionType,
    RunStatus,
    SubjectType,
    TraceStatus,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

BUDGET_PERIOD_NONE = "none"
NO_ENTITY = ""
# feature_key of untagged cost records in the per-feature rollup.
UNTAGGED_FEATURE_KEY = ""

_TERMINAL = "('completed', 'failed', 'crashed')"


def _values(values: Iterable[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _enum_check(column: str, enum: type[StrEnum] | Iterable[str]) -> CheckConstraint:
    values = [member.value for member in enum] if isinstance(enum, type) else list(enum)
    return CheckConstraint(f"{column} IN ({_values(values)})", name=f"{column}_values")


def _enum(name: str, *, nullable: bool = False) -> Column[str]:
    return Column(name, t.key(32), nullable=nullable)


def _timestamp(name: str, *, nullable: bool = False) -> Column[object]:
    return Column(name, t.UtcDateTime(), nullable=nullable)


def _nanos(name: str, *, nullable: bool = False) -> Column[int]:
    return Column(name, t.bigint(), nullable=nullable)


def _flag(name: str, *, default: bool | None = None) -> Column[bool]:
    server_default = None
    if default is not None:
        server_default = text("true" if default else "false")
    return Column(name, t.flag(name), nullable=False, server_default=server_default)


def _audit_columns() -> list[Column[object]]:
    return [_timestamp("created_at"), _timestamp("updated_at")]


cost_records = Table(
    "cost_records",
    metadata,
    Column("tenant_id", t.key(64), nullable=False),
    Column("id", t.key(40), nullable=False),
    Column("request_id", t.key(128)),
    _timestamp("occurred_at"),
    _timestamp("recorded_at"),
    Column("model", t.key(128), nullable=False),
    Column("user_id", t.key(128)),
    Column("feature_tag", t.key(128)),
    Column("workflow_id", t.key(128)),
    Column("skill_id", t.key(128)),
    Column("input_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    _nanos("cost_nanos"),
    Column("cost_source", t.key(32), nullable=False, server_default=text("'reported'")),
    Column("price_ref", t.key(128)),
    _flag("is_retry", default=False),
    _flag("is_synthetic", default=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "request_id", name="uq_cost_records_request"),
    CheckConstraint("input_tokens >= 0", name="input_tokens_non_negative"),
    CheckConstraint("output_tokens >= 0", name="output_tokens_non_negative"),
    CheckConstraint("cost_nanos >= 0", name="cost_non_negative"),
    _enum_check("cost_source", CostSource),
    CheckConstraint("(cost_source = 'estimated') = (price_ref IS NOT NULL)", name="price_ref"),
    CheckConstraint("cost_source <> 'unpriced' OR cost_nanos = 0", name="unpriced_cost"),
    Index(None, "tenant_id", "occurred_at"),
    Index(None, "tenant_id", "user_id", "occurred_at"),
    Index(None, "tenant_id", "feature_tag", "occurred_at"),
)

feature_tags = Table(
    "feature_tags",
    metadata,
    Column("tenant_id", t.key(64), nullable=False),
    Column("tag", t.key(128), nullable=False),
    Column("display_name", t.key(256), nullable=False),
    Column("description", t.text()),
    _nanos("budget_nanos", nullable=True),
    _flag("is_active"),
    *_audit_columns(),
    PrimaryKeyConstraint("tenant_id", "tag"),
    CheckConstraint("budget_nanos > 0", name="budget_positive"),
)

cost_budgets = Table(
    "cost_budgets",
    metadata,
    Column("tenant_id", t.key(64), nullable=False),
    Column("id", t.key(40), nullable=False),
    _enum("budget_type"),
    Column("entity_key", t.key(128), nullable=False),
    _nanos("daily_limit_nanos", nullable=True),
    _nanos("monthly_limit_nanos", nullable=True),
    Column("warn_threshold_pct", Integer, nullable=False),
    _flag("hard_limit_enabled"),
    _flag("is_active"),
    *_audit_columns(),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "budget_type", "entity_key", name="uq_cost_budgets_entity"),
    _enum_check("budget_type", EntityType),
    CheckConstraint("(budget_type = 'tenant') = (entity_key = '')", name="tenant_entity_key"),
    CheckConstraint(
        "daily_limit_nanos IS NOT NULL OR monthly_limit_nanos IS NOT NULL", name="has_limit"
    ),
    CheckConstraint("daily_limit_nanos > 0", name="daily_limit_positive"),
    CheckConstraint("monthly_limit_nanos > 0", name="monthly_limit_positive"),
    CheckConstraint("warn_threshold_pct BETWEEN 1 AND 100", name="warn_threshold_pct_range"),
)

cost_anomalies = Table(
    "cost_anomalies",
    metadata,
    Column("tenant_id", t.key(64), nullable=False),
    Column("id", t.key(40), nullable=False),
    _enum("anomaly_type"),
    _enum("severity"),
    _enum("entity_type"),
    Column("entity_key", t.key(128), nullable=False),
    _enum("budget_period"),
    Column("period_start", Date, nullable=False),
    _nanos("current_value_nanos"),
    _nanos("expected_value_nanos"),
    _nanos("deviation_pct_e6"),
    _nanos("threshold_pct_e6"),
    Column("breach_count", Integer, nullable=False),
    _enum("derived_cause", nullable=True),
    Column("message", t.text(), nullable=False),
    Column("budget_id", t.key(64)),
    Column("incident_id", t.key(64)),
    Column("metadata", t.json_value()),
    _timestamp("first_detected_at"),
    _timestamp("last_detected_at"),
    _flag("resolved"),
    _timestamp("resolved_at", nullable=True),
    *_audit_columns(),
    PrimaryKeyConstraint("tenant_id", "id"),
    _enum_check("anomaly_type", AnomalyType),
    _enum_check("severity", AnomalySeverity),
    _enum_check("entity_type", EntityType),
    _enum_check("budget_period", [BUDGET_PERIOD_NONE, "daily", "monthly"]),
    _enum_check("derived_cause", DerivedCause),
    CheckConstraint("(entity_type = 'tenant') = (entity_key = '')", name="tenant_entity_key"),
    CheckConstraint("current_value_nanos >= 0", name="current_value_non_negative"),
    CheckConstraint("expected_value_nanos >= 0", name="expected_value_non_negative"),
    CheckConstraint("breach_count BETWEEN 1 AND 366", name="breach_count_range"),
    CheckConstraint("resolved = (resolved_at IS NOT NULL)", name="resolved_at"),
    Index(
        "uq_cost_anomalies_open",
        "tenant_id",
        "anomaly_type",
        "entity_type",
        "entity_key",
        "budget_period",
        "period_start",
        unique=True,
        postgresql_where=text("NOT resolved"),
        sqlite_where=text("NOT resolved"),
    ),
    Index(None, "tenant_id", "last_detected_at"),
)

cost_breach_history = Table(
    "cost_breach_history",
    metadata,
    Column("tenant_id", t.key(64), nullable=False),
    Column("id", t.key(40), nullable=False),
    _enum("entity_type"),
    Column("entity_key", t.key(128), nullable=False),
    _enum("breach_type"),
    Column("breach_date", Date, nullable=False),
    _nanos("deviation_pct_e6"),
    _nanos("current_value_nanos"),
    _nanos("baseline_value_nanos"),
    *_audit_columns(),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint(
        "tenant_id",
        "entity_type",
        "entity_key",
        "breach_type",
        "breach_date",
        name="uq_cost_breach_history_entity_day",
    ),
    _enum_check("entity_type", EntityType),
    _enum_check("breach_type", BreachType),
    CheckConstraint("(entity_type = 'tenant') = (entity_key = '')", name="tenant_entity_key"),
    CheckConstraint("current_value_nanos >= 0", name="current_value_non_negative"),
    CheckConstraint("baseline_value_nanos >= 0", name="baseline_value_non_negative"),
)

cost_drift_tracking = Table(
    "cost_drift_tracking",
    metadata,
    Column("tenant_id", t.key(64), nullable=False),
    Column("id", t.key(40), nullable=False),
    _enum("entity_type"),
    Column("entity_key", t.key(128), nullable=False),
    _nanos("rolling_avg_nanos"),
    _nanos("baseline_avg_nanos"),
    _nanos("drift_pct_e6"),
    Column("drift_days_count", Integer, nullable=False),
    Column("first_drift_date", Date, nullable=False),
    Column("last_check_date", Date, nullable=False),
    _flag("is_active"),
    _timestamp("deactivated_at", nullable=True),
    *_audit_columns(),
    PrimaryKeyConstraint("tenant_id", "id"),
    _enum_check("entity_type", EntityType),
    CheckConstraint("(entity_type = 'tenant') = (entity_key = '')", name="tenant_entity_key"),
    CheckConstraint("rolling_avg_nanos >= 0", name="rolling_avg_non_negative"),
    CheckConstraint("baseline_avg_nanos >= 0", name="baseline_avg_non_negative"),
    CheckConstraint("drift_days_count >= 1", name="drift_days_count_positive"),
    CheckConstraint("last_check_date >= first_drift_date", name="check_after_first_drift"),
    CheckConstraint("is_active = (deactivated_at IS NULL)", name="deactivated_at"),
    Index(
        "uq_cost_drift_tracking_active",
        "tenant_id",
        "entity_type",
        "entity_key",
        unique=True,
        postgresql_where=text("is_active"),
        sqlite_where=text("is_active"),
    ),
)

runs = Table(
    "runs",
    metadata,
    Column("tenant_id", t.key(64), nullable=False),
    Column("id", t.key(64), nullable=False),
    _enum("status"),
    Column("model", t.key(128)),
    _timestamp("created_at"),
    _timestamp("started_at", nullable=True),
    _timestamp("finished_at", nullable=True),
    Column("input_tokens", Integer),
    Column("output_tokens", Integer),
    _nanos("cost_nanos", nullable=True),
    _flag("is_synthetic"),
    _timestamp("recorded_at"),
    _timestamp("updated_at"),
    PrimaryKeyConstraint("tenant_id", "id"),
    _enum_check("status", RunStatus),
    CheckConstraint(f"(status IN {_TERMINAL}) = (finished_at IS NOT NULL)", name="finished_at"),
    CheckConstraint("status <> 'queued' OR started_at IS NULL", name="queued_not_started"),
    CheckConstraint("finished_at >= started_at", name="finished_after_start"),
    CheckConstraint("input_tokens >= 0", name="input_tokens_non_negative"),
    CheckConstraint("output_tokens >= 0", name="output_tokens_non_negative"),
    CheckConstraint("cost_nanos >= 0", name="cost_non_negative"),
    Index(None, "tenant_id", "created_at"),
)

traces = Table(
    "traces",
    metadata,
    Column("tenant_id", t.key(64), nullable=False),
    Column("trace_id", t.key(64), nullable=False),
    Column("run_id", t.key(64)),
    _enum("status"),
    _timestamp("started_at"),
    _timestamp("completed_at", nullable=True),
    _flag("is_synthetic"),
    _timestamp("recorded_at"),
    _timestamp("updated_at"),
    PrimaryKeyConstraint("tenant_id", "trace_id"),
    _enum_check("status", TraceStatus),
    CheckConstraint("(status <> 'running') = (completed_at IS NOT NULL)", name="completed_at"),
    CheckConstraint("completed_at >= started_at", name="completed_after_start"),
    Index(None, "tenant_id", "started_at"),
)

worker_runs = Table(
    "worker_runs",
    metadata,
    Column("tenant_id", t.key(64), nullable=False),
    Column("id", t.key(64), nullable=False),
    Column("worker_id", t.key(100), nullable=False),
    Column("user_id", t.key(128)),
    Column("task", t.text(), nullable=False),
    _enum("status"),
    Column("error", t.text()),
    Column("total_tokens", Integer),
    _nanos("latency_ms", nullable=True),
    _nanos("cost_nanos", nullable=True),
    Column("parent_run_id", t.key(64)),
    Column("attempt", Integer, nullable=False),
    _flag("is_retry"),
    _flag("is_synthetic"),
    _timestamp("created_at"),
    _timestamp("started_at", nullable=True),
    _timestamp("completed_at", nullable=True),
    _timestamp("recorded_at"),
    _timestamp("updated_at"),
    PrimaryKeyConstraint("tenant_id", "id"),
    _enum_check("status", RunStatus),
    CheckConstraint(f"(status IN {_TERMINAL}) = (completed_at IS NOT NULL)", name="completed_at"),
    CheckConstraint("status <> 'queued' OR started_at IS NULL", name="queued_not_started"),
    CheckConstraint("completed_at >= started_at", name="completed_after_start"),
    CheckConstraint("error IS NULL OR status IN ('failed', 'crashed')", name="error_on_failure"),
    CheckConstraint("parent_run_id IS NULL OR parent_run_id <> id", name="parent_not_self"),
    CheckConstraint("attempt BETWEEN 1 AND 1000", name="attempt_range"),
    CheckConstraint("total_tokens >= 0", name="total_tokens_non_negative"),
    CheckConstraint("latency_ms >= 0", name="latency_non_negative"),
    CheckConstraint("cost_nanos >= 0", name="cost_non_negative"),
    Index(None, "tenant_id", "created_at"),
    Index(None, "tenant_id", "status", "created_at"),
    Index(None, "tenant_id", "worker_id", "created_at"),
)

pattern_feedback = Table(
    "pattern_feedback",
    metadata,
    Column("tenant_id", t.key(64), nullable=False),
    Column("id", t.key(40), nullable=False),
    _enum("pattern_type"),
    _enum("severity"),
    Column("description", t.text(), nullable=False),
    Column("signature", t.key(128), nullable=False),
    Column("provenance", t.json_value(), nullable=False),
    Column("occurrence_count", Integer, nullable=False),
    Column("time_window_minutes", Integer),
    Column("threshold_used", t.key(100)),
    Column("metadata", t.json_value()),
    _timestamp("first_detected_at"),
    _timestamp("detected_at"),
    _flag("acknowledged"),
    _timestamp("acknowledged_at", nullable=True),
    Column("acknowledged_by", t.key(128)),
    *_audit_columns(),
    PrimaryKeyConstraint("tenant_id", "id"),
    _enum_check("pattern_type", PatternType),
    _enum_check("severity", FeedbackSeverity),
    CheckConstraint("occurrence_count >= 1", name="occurrence_count_positive"),
    CheckConstraint("acknowledged = (acknowledged_at IS NOT NULL)", name="acknowledged_at"),
    Index(
        "uq_pattern_feedback_open",
        "tenant_id",
        "pattern_type",
        "signature",
        unique=True,
        postgresql_where=text("NOT acknowledged"),
        sqlite_where=text("NOT acknowledged"),
    ),
    Index(None, "tenant_id", "detected_at"),
    Index(None, "tenant_id", "pattern_type", "detected_at"),
)

prediction_events = Table(
    "prediction_events",
    metadata,
    Column("tenant_id", t.key(64), nullable=False),
    Column("id", t.key(40), nullable=False),
    _enum("prediction_type"),
    _enum("subject_type"),
    Column("subject_id", t.key(255), nullable=False),
    Column("confidence_e6", Integer, nullable=False),
    Column("prediction_value", t.json_value(), nullable=False),
    Column("contributing_factors", t.json_value(), nullable=False),
    _timestamp("created_at"),
    _timestamp("expires_at"),
    _flag("is_advisory"),
    Column("notes", t.text()),
    _enum("outcome", nullable=True),
    Column("outcome_value", t.json_value()),
    _timestamp("outcome_checked_at", nullable=True),
    PrimaryKeyConstraint("tenant_id", "id"),
    _enum_check("prediction_type", PredictionType),
    _enum_check("subject_type", SubjectType),
    _enum_check("outcome", PredictionOutcome),
    CheckConstraint("confidence_e6 BETWEEN 0 AND 1000000", name="confidence_range"),
    CheckConstraint("expires_at > created_at", name="expires_after_created"),
    CheckConstraint("is_advisory", name="always_advisory"),
    CheckConstraint("(outcome IS NULL) = (outcome_checked_at IS NULL)", name="outcome_checked"),
    CheckConstraint("outcome IS NOT NULL OR outcome_value IS NULL", name="outcome_value"),
    Index(None, "tenant_id", "created_at"),
    Index(None, "tenant_id", "prediction_type", "created_at"),
    Index(None, "tenant_id", "expires_at"),
)


def _rollup_sums() -> list[Column[int]]:
    return [
        Column(name, t.bigint(), nullable=False)
        for name in ("requests", "input_tokens", "output_tokens", "cost_nanos", "unpriced_requests")
    ]


# Exact sums of cost records per tenant and time period, written in the same
# transaction as the records they count (see ``cost_rollups``). The raw
# cost_records stay the source of truth: ``rebuild_cost_rollups`` recomputes
# these tables from them. Period starts are whole seconds since
# 1970-01-01T00:00Z, a multiple of 900 (quarter-hours), 3,600 (hours) or
# 86,400 (UTC days).
cost_rollup_quarter_hours = Table(
    "cost_rollup_quarter_hours",
    metadata,
    Column("tenant_id", t.key(64), nullable=False),
    Column("quarter_start_epoch", t.bigint(), nullable=False),
    _flag("is_synthetic"),
    *_rollup_sums(),
    PrimaryKeyConstraint("tenant_id", "quarter_start_epoch", "is_synthetic"),
)

cost_rollup_model_hours = Table(
    "cost_rollup_model_hours",
    metadata,
    Column("tenant_id", t.key(64), nullable=False),
    Column("hour_start_epoch", t.bigint(), nullable=False),
    Column("model", t.key(128), nullable=False),
    _flag("is_synthetic"),
    *_rollup_sums(),
    PrimaryKeyConstraint("tenant_id", "hour_start_epoch", "model", "is_synthetic"),
)

cost_rollup_feature_hours = Table(
    "cost_rollup_feature_hours",
    metadata,
    Column("tenant_id", t.key(64), nullable=False),
    Column("hour_start_epoch", t.bigint(), nullable=False),
    # The empty string is the untagged group, because validation rejects an
    # empty feature tag and a NULL in a primary key is not allowed.
    Column("feature_key", t.key(128), nullable=False),
    _flag("is_synthetic"),
    *_rollup_sums(),
    PrimaryKeyConstraint("tenant_id", "hour_start_epoch", "feature_key", "is_synthetic"),
)

# The day rollups are WITHOUT ROWID tables on SQLite, so a range of the primary
# key is read in key order from one B-tree, with no lookup of each row by rowid.
cost_rollup_model_days = Table(
    "cost_rollup_model_days",
    metadata,
    Column("tenant_id", t.key(64), nullable=False),
    Column("day_start_epoch", t.bigint(), nullable=False),
    Column("model", t.key(128), nullable=False),
    _flag("is_synthetic"),
    *_rollup_sums(),
    PrimaryKeyConstraint("tenant_id", "day_start_epoch", "model", "is_synthetic"),
    sqlite_with_rowid=False,
)

cost_rollup_feature_days = Table(
    "cost_rollup_feature_days",
    metadata,
    Column("tenant_id", t.key(64), nullable=False),
    Column("day_start_epoch", t.bigint(), nullable=False),
    # The untagged group is the empty string, as in cost_rollup_feature_hours.
    Column("feature_key", t.key(128), nullable=False),
    _flag("is_synthetic"),
    *_rollup_sums(),
    PrimaryKeyConstraint("tenant_id", "day_start_epoch", "feature_key", "is_synthetic"),
    sqlite_with_rowid=False,
)

TENANT_TABLES = (
    cost_records,
    feature_tags,
    cost_budgets,
    cost_anomalies,
    cost_breach_history,
    cost_drift_tracking,
    runs,
    traces,
    worker_runs,
    pattern_feedback,
    prediction_events,
    cost_rollup_quarter_hours,
    cost_rollup_model_hours,
    cost_rollup_feature_hours,
    cost_rollup_model_days,
    cost_rollup_feature_days,
)
