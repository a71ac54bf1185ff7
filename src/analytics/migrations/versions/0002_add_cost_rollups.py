"""Add the cost rollups: exact per-period sums of cost records, filled from the existing rows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 21:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from analytics.adapters import postgres, sqlite
from analytics.adapters.sql.cost_rollups import (
    FEATURE_HOURS,
    MODEL_HOURS,
    QUARTER_HOURS,
    rebuild_statements,
)

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

SUMS = ("requests", "input_tokens", "output_tokens", "cost_nanos", "unpriced_requests")


def key(length: int) -> sa.types.TypeEngine[str]:
    # Identifiers: VARCHAR(n) COLLATE "C" on Postgres (binary order), TEXT on SQLite.
    return sa.Text().with_variant(sa.String(length=length, collation="C"), "postgresql")


def bigint() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def sums() -> list[sa.Column[int]]:
    return [sa.Column(name, bigint(), nullable=False) for name in SUMS]


def is_synthetic() -> sa.Column[bool]:
    return sa.Column(
        "is_synthetic",
        sa.Boolean(create_constraint=True, name="is_synthetic_is_bool"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "cost_rollup_quarter_hours",
        sa.Column("tenant_id", key(64), nullable=False),
        sa.Column("quarter_start_epoch", bigint(), nullable=False),
        is_synthetic(),
        *sums(),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "quarter_start_epoch",
            "is_synthetic",
            name=op.f("pk_cost_rollup_quarter_hours"),
        ),
    )
    op.create_table(
        "cost_rollup_model_hours",
        sa.Column("tenant_id", key(64), nullable=False),
        sa.Column("hour_start_epoch", bigint(), nullable=False),
        sa.Column("model", key(128), nullable=False),
        is_synthetic(),
        *sums(),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "hour_start_epoch",
            "model",
            "is_synthetic",
            name=op.f("pk_cost_rollup_model_hours"),
        ),
    )
    op.create_table(
        "cost_rollup_feature_hours",
        sa.Column("tenant_id", key(64), nullable=False),
        sa.Column("hour_start_epoch", bigint(), nullable=False),
        sa.Column("feature_key", key(128), nullable=False),
        is_synthetic(),
        *sums(),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "hour_start_epoch",
            "feature_key",
            "is_synthetic",
            name=op.f("pk_cost_rollup_feature_hours"),
        ),
    )
    # Cost records stored before this revision are counted here, once. Only the
    # tables of this revision are filled, because later revisions add more rollups.
    # NOTE: this uses the adapter's current rebuild statements, so a later
    # revision that changes cost_records or the rollups must keep them valid here.
    dialect = {"postgresql": postgres.BACKEND, "sqlite": sqlite.BACKEND}[op.get_bind().dialect.name]
    rollups = (QUARTER_HOURS, MODEL_HOURS, FEATURE_HOURS)
    for statement in rebuild_statements(dialect.dialect, tenant_id=None, rollups=rollups):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("cost_rollup_feature_hours")
    op.drop_table("cost_rollup_model_hours")
    op.drop_table("cost_rollup_quarter_hours")
