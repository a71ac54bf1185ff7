"""Create the schema: the eleven tenant tables with their keys, checks and indexes.

Revision ID: 0001
Revises: none
Create Date: 2026-12-04 21:05:32.355345
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from analytics.adapters.sql.types import UtcDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def key(length: int) -> sa.types.TypeEngine[str]:
    # Identifiers: VARCHAR(n) COLLATE "C" on Postgres (binary order), TEXT on SQLite.
    return sa.Text().with_variant(sa.String(length=length, collation="C"), "postgresql")


def bigint() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def json_value() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "cost_anomalies",
        sa.Column("tenant_id", key(64), nullable=False),
        sa.Column("id", key(40), nullable=False),
        sa.Column("anomaly_type", key(32), nullable=False),
        sa.Column("severity", key(32), nullable=False),
        sa.Column("entity_type", key(32), nullable=False),
        sa.Column("entity_key", key(128), nullable=False),
        sa.Column("budget_period", key(32), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("current_value_nanos", bigint(), nullable=False),
        sa.Column("expected_value_nanos", bigint(), nullable=False),
        sa.Column("deviation_pct_e6", bigint(), nullable=False),
        sa.Column("threshold_pct_e6", bigint(), nullable=False),
        sa.Column("breach_count", sa.Integer(), nullable=False),
        sa.Column("derived_cause", key(32), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("budget_id", key(64), nullable=True),
        sa.Column("incident_id", key(64), nullable=True),
        sa.Column("metadata", json_value(), nullable=True),
        sa.Column("first_detected_at", UtcDateTime(), nullable=False),
        sa.Column("last_detected_at", UtcDateTime(), nullable=False),
        sa.Column(
            "resolved", sa.Boolean(create_constraint=True, name="resolved_is_bool"), nullable=False
        ),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "(entity_type = 'tenant') = (entity_key = '')",
            name=op.f("ck_cost_anomalies_tenant_entity_key"),
        ),
        sa.CheckConstraint(
            "anomaly_type IN ('absolute_spike', 'sustained_drift', 'budget_warning', 'budget_exceeded')",
            name=op.f("ck_cost_anomalies_anomaly_type_values"),
        ),
        sa.CheckConstraint(
            "budget_period IN ('none', 'daily', 'monthly')",
            name=op.f("ck_cost_anomalies_budget_period_values"),
        ),
        sa.CheckConstraint(
            "derived_cause IN ('retry_loop', 'prompt_growth', 'feature_surge', 'traffic_growth', 'unknown')",
            name=op.f("ck_cost_anomalies_derived_cause_values"),
        ),
        sa.CheckConstraint(
            "entity_type IN ('tenant', 'user', 'feature')",
            name=op.f("ck_cost_anomalies_entity_type_values"),
        ),
        sa.CheckConstraint(
            "severity IN ('low', 'medium', 'high')", name=op.f("ck_cost_anomalies_severity_values")
        ),
        sa.CheckConstraint(
            "breach_count BETWEEN 1 AND 366", name=op.f("ck_cost_anomalies_breach_count_range")
        ),
        sa.CheckConstraint(
            "current_value_nanos >= 0", name=op.f("ck_cost_anomalies_current_value_non_negative")
        ),
        sa.CheckConstraint(
            "expected_value_nanos >= 0", name=op.f("ck_cost_anomalies_expected_value_non_negative")
        ),
        sa.CheckConstraint(
            "resolved = (resolved_at IS NOT NULL)", name=op.f("ck_cost_anomalies_resolved_at")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_cost_anomalies")),
    )
    with op.batch_alter_table("cost_anomalies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cost_anomalies_tenant_id_last_detected_at"),
            ["tenant_id", "last_detected_at"],
            unique=False,
        )
        batch_op.create_index(
            "uq_cost_anomalies_open",
            [
                "tenant_id",
                "anomaly_type",
                "entity_type",
                "entity_key",
                "budget_period",
                "period_start",
            ],
            unique=True,
            postgresql_where=sa.text("NOT resolved"),
            sqlite_where=sa.text("NOT resolved"),
        )

    op.create_table(
        "cost_breach_history",
        sa.Column("tenant_id", key(64), nullable=False),
        sa.Column("id", key(40), nullable=False),
        sa.Column("entity_type", key(32), nullable=False),
        sa.Column("entity_key", key(128), nullable=False),
        sa.Column("breach_type", key(32), nullable=False),
        sa.Column("breach_date", sa.Date(), nullable=False),
        sa.Column("deviation_pct_e6", bigint(), nullable=False),
        sa.Column("current_value_nanos", bigint(), nullable=False),
        sa.Column("baseline_value_nanos", bigint(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "(entity_type = 'tenant') = (entity_key = '')",
            name=op.f("ck_cost_breach_history_tenant_entity_key"),
        ),
        sa.CheckConstraint(
            "breach_type IN ('absolute_spike', 'sustained_drift')",
            name=op.f("ck_cost_breach_history_breach_type_values"),
        ),
        sa.CheckConstraint(
            "entity_type IN ('tenant', 'user', 'feature')",
            name=op.f("ck_cost_breach_history_entity_type_values"),
        ),
        sa.CheckConstraint(
            "baseline_value_nanos >= 0",
            name=op.f("ck_cost_breach_history_baseline_value_non_negative"),
        ),
        sa.CheckConstraint(
            "current_value_nanos >= 0",
            name=op.f("ck_cost_breach_history_current_value_non_negative"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_cost_breach_history")),
        sa.UniqueConstraint(
            "tenant_id",
            "entity_type",
            "entity_key",
            "breach_type",
            "breach_date",
            name="uq_cost_breach_history_entity_day",
        ),
    )
    op.create_table(
        "cost_budgets",
        sa.Column("tenant_id", key(64), nullable=False),
        sa.Column("id", key(40), nullable=False),
        sa.Column("budget_type", key(32), nullable=False),
        sa.Column("entity_key", key(128), nullable=False),
        sa.Column("daily_limit_nanos", bigint(), nullable=True),
        sa.Column("monthly_limit_nanos", bigint(), nullable=True),
        sa.Column("warn_threshold_pct", sa.Integer(), nullable=False),
        sa.Column(
            "hard_limit_enabled",
            sa.Boolean(create_constraint=True, name="hard_limit_enabled_is_bool"),
            nullable=False,
        ),
        sa.Column(
            "is_active",
            sa.Boolean(create_constraint=True, name="is_active_is_bool"),
            nullable=False,
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "(budget_type = 'tenant') = (entity_key = '')",
            name=op.f("ck_cost_budgets_tenant_entity_key"),
        ),
        sa.CheckConstraint(
            "budget_type IN ('tenant', 'user', 'feature')",
            name=op.f("ck_cost_budgets_budget_type_values"),
        ),
        sa.CheckConstraint(
            "daily_limit_nanos > 0", name=op.f("ck_cost_budgets_daily_limit_positive")
        ),
        sa.CheckConstraint(
            "daily_limit_nanos IS NOT NULL OR monthly_limit_nanos IS NOT NULL",
            name=op.f("ck_cost_budgets_has_limit"),
        ),
        sa.CheckConstraint(
            "monthly_limit_nanos > 0", name=op.f("ck_cost_budgets_monthly_limit_positive")
        ),
        sa.CheckConstraint(
            "warn_threshold_pct BETWEEN 1 AND 100",
            name=op.f("ck_cost_budgets_warn_threshold_pct_range"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_cost_budgets")),
        sa.UniqueConstraint(
            "tenant_id", "budget_type", "entity_key", name="uq_cost_budgets_entity"
        ),
    )
    op.create_table(
        "cost_drift_tracking",
        sa.Column("tenant_id", key(64), nullable=False),
        sa.Column("id", key(40), nullable=False),
        sa.Column("entity_type", key(32), nullable=False),
        sa.Column("entity_key", key(128), nullable=False),
        sa.Column("rolling_avg_nanos", bigint(), nullable=False),
        sa.Column("baseline_avg_nanos", bigint(), nullable=False),
        sa.Column("drift_pct_e6", bigint(), nullable=False),
        sa.Column("drift_days_count", sa.Integer(), nullable=False),
        sa.Column("first_drift_date", sa.Date(), nullable=False),
        sa.Column("last_check_date", sa.Date(), nullable=False),
        sa.Column(
            "is_active",
            sa.Boolean(create_constraint=True, name="is_active_is_bool"),
            nullable=False,
        ),
        sa.Column("deactivated_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "(entity_type = 'tenant') = (entity_key = '')",
            name=op.f("ck_cost_drift_tracking_tenant_entity_key"),
        ),
        sa.CheckConstraint(
            "entity_type IN ('tenant', 'user', 'feature')",
            name=op.f("ck_cost_drift_tracking_entity_type_values"),
        ),
        sa.CheckConstraint(
            "baseline_avg_nanos >= 0", name=op.f("ck_cost_drift_tracking_baseline_avg_non_negative")
        ),
        sa.CheckConstraint(
            "drift_days_count >= 1", name=op.f("ck_cost_drift_tracking_drift_days_count_positive")
        ),
        sa.CheckConstraint(
            "is_active = (deactivated_at IS NULL)",
            name=op.f("ck_cost_drift_tracking_deactivated_at"),
        ),
        sa.CheckConstraint(
            "last_check_date >= first_drift_date",
            name=op.f("ck_cost_drift_tracking_check_after_first_drift"),
        ),
        sa.CheckConstraint(
            "rolling_avg_nanos >= 0", name=op.f("ck_cost_drift_tracking_rolling_avg_non_negative")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_cost_drift_tracking")),
    )
    with op.batch_alter_table("cost_drift_tracking", schema=None) as batch_op:
        batch_op.create_index(
            "uq_cost_drift_tracking_active",
            ["tenant_id", "entity_type", "entity_key"],
            unique=True,
            postgresql_where=sa.text("is_active"),
            sqlite_where=sa.text("is_active"),
        )

    op.create_table(
        "cost_records",
        sa.Column("tenant_id", key(64), nullable=False),
        sa.Column("id", key(40), nullable=False),
        sa.Column("request_id", key(128), nullable=True),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("model", key(128), nullable=False),
        sa.Column("user_id", key(128), nullable=True),
        sa.Column("feature_tag", key(128), nullable=True),
        sa.Column("workflow_id", key(128), nullable=True),
        sa.Column("skill_id", key(128), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_nanos", bigint(), nullable=False),
        sa.Column("cost_source", key(32), server_default=sa.text("'reported'"), nullable=False),
        sa.Column("price_ref", key(128), nullable=True),
        sa.Column(
            "is_retry",
            sa.Boolean(create_constraint=True, name="is_retry_is_bool"),
            server_default=sa.text("(false)"),
            nullable=False,
        ),
        sa.Column(
            "is_synthetic",
            sa.Boolean(create_constraint=True, name="is_synthetic_is_bool"),
            server_default=sa.text("(false)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(cost_source = 'estimated') = (price_ref IS NOT NULL)",
            name=op.f("ck_cost_records_price_ref"),
        ),
        sa.CheckConstraint(
            "cost_source <> 'unpriced' OR cost_nanos = 0",
            name=op.f("ck_cost_records_unpriced_cost"),
        ),
        sa.CheckConstraint(
            "cost_source IN ('reported', 'estimated', 'unpriced')",
            name=op.f("ck_cost_records_cost_source_values"),
        ),
        sa.CheckConstraint("cost_nanos >= 0", name=op.f("ck_cost_records_cost_non_negative")),
        sa.CheckConstraint(
            "input_tokens >= 0", name=op.f("ck_cost_records_input_tokens_non_negative")
        ),
        sa.CheckConstraint(
            "output_tokens >= 0", name=op.f("ck_cost_records_output_tokens_non_negative")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_cost_records")),
        sa.UniqueConstraint("tenant_id", "request_id", name="uq_cost_records_request"),
    )
    with op.batch_alter_table("cost_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cost_records_tenant_id_feature_tag_occurred_at"),
            ["tenant_id", "feature_tag", "occurred_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_cost_records_tenant_id_occurred_at"),
            ["tenant_id", "occurred_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_cost_records_tenant_id_user_id_occurred_at"),
            ["tenant_id", "user_id", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "feature_tags",
        sa.Column("tenant_id", key(64), nullable=False),
        sa.Column("tag", key(128), nullable=False),
        sa.Column("display_name", key(256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("budget_nanos", bigint(), nullable=True),
        sa.Column(
            "is_active",
            sa.Boolean(create_constraint=True, name="is_active_is_bool"),
            nullable=False,
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("budget_nanos > 0", name=op.f("ck_feature_tags_budget_positive")),
        sa.PrimaryKeyConstraint("tenant_id", "tag", name=op.f("pk_feature_tags")),
    )
    op.create_table(
        "pattern_feedback",
        sa.Column("tenant_id", key(64), nullable=False),
        sa.Column("id", key(40), nullable=False),
        sa.Column("pattern_type", key(32), nullable=False),
        sa.Column("severity", key(32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("signature", key(128), nullable=False),
        sa.Column("provenance", json_value(), nullable=False),
        sa.Column("occurrence_count", sa.Integer(), nullable=False),
        sa.Column("time_window_minutes", sa.Integer(), nullable=True),
        sa.Column("threshold_used", key(100), nullable=True),
        sa.Column("metadata", json_value(), nullable=True),
        sa.Column("first_detected_at", UtcDateTime(), nullable=False),
        sa.Column("detected_at", UtcDateTime(), nullable=False),
        sa.Column(
            "acknowledged",
            sa.Boolean(create_constraint=True, name="acknowledged_is_bool"),
            nullable=False,
        ),
        sa.Column("acknowledged_at", UtcDateTime(), nullable=True),
        sa.Column("acknowledged_by", key(128), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "pattern_type IN ('failure_pattern', 'cost_spike')",
            name=op.f("ck_pattern_feedback_pattern_type_values"),
        ),
        sa.CheckConstraint(
            "severity IN ('info', 'warning', 'critical')",
            name=op.f("ck_pattern_feedback_severity_values"),
        ),
        sa.CheckConstraint(
            "acknowledged = (acknowledged_at IS NOT NULL)",
            name=op.f("ck_pattern_feedback_acknowledged_at"),
        ),
        sa.CheckConstraint(
            "occurrence_count >= 1", name=op.f("ck_pattern_feedback_occurrence_count_positive")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_pattern_feedback")),
    )
    with op.batch_alter_table("pattern_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pattern_feedback_tenant_id_detected_at"),
            ["tenant_id", "detected_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_pattern_feedback_tenant_id_pattern_type_detected_at"),
            ["tenant_id", "pattern_type", "detected_at"],
            unique=False,
        )
        batch_op.create_index(
            "uq_pattern_feedback_open",
            ["tenant_id", "pattern_type", "signature"],
            unique=True,
            postgresql_where=sa.text("NOT acknowledged"),
            sqlite_where=sa.text("NOT acknowledged"),
        )

    op.create_table(
        "prediction_events",
        sa.Column("tenant_id", key(64), nullable=False),
        sa.Column("id", key(40), nullable=False),
        sa.Column("prediction_type", key(32), nullable=False),
        sa.Column("subject_type", key(32), nullable=False),
        sa.Column("subject_id", key(255), nullable=False),
        sa.Column("confidence_e6", sa.Integer(), nullable=False),
        sa.Column("prediction_value", json_value(), nullable=False),
        sa.Column("contributing_factors", json_value(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column(
            "is_advisory",
            sa.Boolean(create_constraint=True, name="is_advisory_is_bool"),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("outcome", key(32), nullable=True),
        sa.Column("outcome_value", json_value(), nullable=True),
        sa.Column("outcome_checked_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('confirmed', 'refuted', 'undetermined')",
            name=op.f("ck_prediction_events_outcome_values"),
        ),
        sa.CheckConstraint(
            "prediction_type IN ('failure_likelihood', 'cost_overrun')",
            name=op.f("ck_prediction_events_prediction_type_values"),
        ),
        sa.CheckConstraint(
            "subject_type IN ('worker', 'user', 'feature', 'tenant')",
            name=op.f("ck_prediction_events_subject_type_values"),
        ),
        sa.CheckConstraint(
            "(outcome IS NULL) = (outcome_checked_at IS NULL)",
            name=op.f("ck_prediction_events_outcome_checked"),
        ),
        sa.CheckConstraint(
            "confidence_e6 BETWEEN 0 AND 1000000",
            name=op.f("ck_prediction_events_confidence_range"),
        ),
        sa.CheckConstraint(
            "expires_at > created_at", name=op.f("ck_prediction_events_expires_after_created")
        ),
        sa.CheckConstraint("is_advisory", name=op.f("ck_prediction_events_always_advisory")),
        sa.CheckConstraint(
            "outcome IS NOT NULL OR outcome_value IS NULL",
            name=op.f("ck_prediction_events_outcome_value"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_prediction_events")),
    )
    with op.batch_alter_table("prediction_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prediction_events_tenant_id_created_at"),
            ["tenant_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_prediction_events_tenant_id_expires_at"),
            ["tenant_id", "expires_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_prediction_events_tenant_id_prediction_type_created_at"),
            ["tenant_id", "prediction_type", "created_at"],
            unique=False,
        )

    op.create_table(
        "runs",
        sa.Column("tenant_id", key(64), nullable=False),
        sa.Column("id", key(64), nullable=False),
        sa.Column("status", key(32), nullable=False),
        sa.Column("model", key(128), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("cost_nanos", bigint(), nullable=True),
        sa.Column(
            "is_synthetic",
            sa.Boolean(create_constraint=True, name="is_synthetic_is_bool"),
            nullable=False,
        ),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "(status IN ('completed', 'failed', 'crashed')) = (finished_at IS NOT NULL)",
            name=op.f("ck_runs_finished_at"),
        ),
        sa.CheckConstraint(
            "status <> 'queued' OR started_at IS NULL", name=op.f("ck_runs_queued_not_started")
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'completed', 'failed', 'crashed')",
            name=op.f("ck_runs_status_values"),
        ),
        sa.CheckConstraint("cost_nanos >= 0", name=op.f("ck_runs_cost_non_negative")),
        sa.CheckConstraint("finished_at >= started_at", name=op.f("ck_runs_finished_after_start")),
        sa.CheckConstraint("input_tokens >= 0", name=op.f("ck_runs_input_tokens_non_negative")),
        sa.CheckConstraint("output_tokens >= 0", name=op.f("ck_runs_output_tokens_non_negative")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_runs")),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_runs_tenant_id_created_at"), ["tenant_id", "created_at"], unique=False
        )

    op.create_table(
        "traces",
        sa.Column("tenant_id", key(64), nullable=False),
        sa.Column("trace_id", key(64), nullable=False),
        sa.Column("run_id", key(64), nullable=True),
        sa.Column("status", key(32), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column(
            "is_synthetic",
            sa.Boolean(create_constraint=True, name="is_synthetic_is_bool"),
            nullable=False,
        ),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "(status <> 'running') = (completed_at IS NOT NULL)",
            name=op.f("ck_traces_completed_at"),
        ),
        sa.CheckConstraint(
            "status IN ('running', 'completed', 'failed')", name=op.f("ck_traces_status_values")
        ),
        sa.CheckConstraint(
            "completed_at >= started_at", name=op.f("ck_traces_completed_after_start")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "trace_id", name=op.f("pk_traces")),
    )
    with op.batch_alter_table("traces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_traces_tenant_id_started_at"), ["tenant_id", "started_at"], unique=False
        )

    op.create_table(
        "worker_runs",
        sa.Column("tenant_id", key(64), nullable=False),
        sa.Column("id", key(64), nullable=False),
        sa.Column("worker_id", key(100), nullable=False),
        sa.Column("user_id", key(128), nullable=True),
        sa.Column("task", sa.Text(), nullable=False),
        sa.Column("status", key(32), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("total_tokens", sa.Integer(), nullable=True),
        sa.Column("latency_ms", bigint(), nullable=True),
        sa.Column("cost_nanos", bigint(), nullable=True),
        sa.Column("parent_run_id", key(64), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column(
            "is_retry", sa.Boolean(create_constraint=True, name="is_retry_is_bool"), nullable=False
        ),
        sa.Column(
            "is_synthetic",
            sa.Boolean(create_constraint=True, name="is_synthetic_is_bool"),
            nullable=False,
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "(status IN ('completed', 'failed', 'crashed')) = (completed_at IS NOT NULL)",
            name=op.f("ck_worker_runs_completed_at"),
        ),
        sa.CheckConstraint(
            "error IS NULL OR status IN ('failed', 'crashed')",
            name=op.f("ck_worker_runs_error_on_failure"),
        ),
        sa.CheckConstraint(
            "status <> 'queued' OR started_at IS NULL",
            name=op.f("ck_worker_runs_queued_not_started"),
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'completed', 'failed', 'crashed')",
            name=op.f("ck_worker_runs_status_values"),
        ),
        sa.CheckConstraint("attempt BETWEEN 1 AND 1000", name=op.f("ck_worker_runs_attempt_range")),
        sa.CheckConstraint(
            "completed_at >= started_at", name=op.f("ck_worker_runs_completed_after_start")
        ),
        sa.CheckConstraint("cost_nanos >= 0", name=op.f("ck_worker_runs_cost_non_negative")),
        sa.CheckConstraint("latency_ms >= 0", name=op.f("ck_worker_runs_latency_non_negative")),
        sa.CheckConstraint(
            "parent_run_id IS NULL OR parent_run_id <> id",
            name=op.f("ck_worker_runs_parent_not_self"),
        ),
        sa.CheckConstraint(
            "total_tokens >= 0", name=op.f("ck_worker_runs_total_tokens_non_negative")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_worker_runs")),
    )
    with op.batch_alter_table("worker_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_worker_runs_tenant_id_created_at"),
            ["tenant_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_worker_runs_tenant_id_status_created_at"),
            ["tenant_id", "status", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_worker_runs_tenant_id_worker_id_created_at"),
            ["tenant_id", "worker_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("worker_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_worker_runs_tenant_id_worker_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_worker_runs_tenant_id_status_created_at"))
        batch_op.drop_index(batch_op.f("ix_worker_runs_tenant_id_created_at"))

    op.drop_table("worker_runs")
    with op.batch_alter_table("traces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_traces_tenant_id_started_at"))

    op.drop_table("traces")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runs_tenant_id_created_at"))

    op.drop_table("runs")
    with op.batch_alter_table("prediction_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prediction_events_tenant_id_prediction_type_created_at"))
        batch_op.drop_index(batch_op.f("ix_prediction_events_tenant_id_expires_at"))
        batch_op.drop_index(batch_op.f("ix_prediction_events_tenant_id_created_at"))

    op.drop_table("prediction_events")
    with op.batch_alter_table("pattern_feedback", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_pattern_feedback_open",
            postgresql_where=sa.text("NOT acknowledged"),
            sqlite_where=sa.text("NOT acknowledged"),
        )
        batch_op.drop_index(batch_op.f("ix_pattern_feedback_tenant_id_pattern_type_detected_at"))
        batch_op.drop_index(batch_op.f("ix_pattern_feedback_tenant_id_detected_at"))

    op.drop_table("pattern_feedback")
    op.drop_table("feature_tags")
    with op.batch_alter_table("cost_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cost_records_tenant_id_user_id_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_cost_records_tenant_id_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_cost_records_tenant_id_feature_tag_occurred_at"))

    op.drop_table("cost_records")
    with op.batch_alter_table("cost_drift_tracking", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_cost_drift_tracking_active",
            postgresql_where=sa.text("is_active"),
            sqlite_where=sa.text("is_active"),
        )

    op.drop_table("cost_drift_tracking")
    op.drop_table("cost_budgets")
    op.drop_table("cost_breach_history")
    with op.batch_alter_table("cost_anomalies", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_cost_anomalies_open",
            postgresql_where=sa.text("NOT resolved"),
            sqlite_where=sa.text("NOT resolved"),
        )
        batch_op.drop_index(batch_op.f("ix_cost_anomalies_tenant_id_last_detected_at"))

    op.drop_table("cost_anomalies")
