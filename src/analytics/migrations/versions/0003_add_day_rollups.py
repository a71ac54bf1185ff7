"""Add the UTC-day rollups by model and by feature tag, filled from the hour rollups.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 23:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

SUMS = ("requests", "input_tokens", "output_tokens", "cost_nanos", "unpriced_requests")
DAY_SECONDS = 86_400
# Each new day table, the hour table it is filled from, and the group column of both.
DAY_TABLES = (
    ("cost_rollup_model_days", "cost_rollup_model_hours", "model"),
    ("cost_rollup_feature_days", "cost_rollup_feature_hours", "feature_key"),
)


def key(length: int) -> sa.types.TypeEngine[str]:
    # Identifiers: VARCHAR(n) COLLATE "C" on Postgres (binary order), TEXT on SQLite.
    return sa.Text().with_variant(sa.String(length=length, collation="C"), "postgresql")


def bigint() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def is_synthetic() -> sa.Column[bool]:
    return sa.Column(
        "is_synthetic",
        sa.Boolean(create_constraint=True, name="is_synthetic_is_bool"),
        nullable=False,
    )


def create_day_table(name: str, group: str) -> None:
    op.create_table(
        name,
        sa.Column("tenant_id", key(64), nullable=False),
        sa.Column("day_start_epoch", bigint(), nullable=False),
        sa.Column(group, key(128), nullable=False),
        is_synthetic(),
        *(sa.Column(column, bigint(), nullable=False) for column in SUMS),
        sa.PrimaryKeyConstraint(
            "tenant_id", "day_start_epoch", group, "is_synthetic", name=op.f(f"pk_{name}")
        ),
        # A SQLite table clustered on its primary key; Postgres ignores the option.
        sqlite_with_rowid=False,
    )


def fill_from_hours(day_table: str, hour_table: str, group: str) -> None:
    """Insert the sums of every UTC day of the hour rollup into the day rollup.

    The hour rollup holds the same sums per hour, and every hour lies in one UTC
    day, so this equals a rebuild from cost records and reads far fewer rows.
    """
    hours = sa.table(
        hour_table,
        sa.column("tenant_id", sa.Text()),
        sa.column("hour_start_epoch", sa.BigInteger()),
        sa.column(group, sa.Text()),
        sa.column("is_synthetic", sa.Boolean()),
        *(sa.column(column, sa.BigInteger()) for column in SUMS),
    )
    # Epoch seconds are never negative, so integer division floors them.
    day = hours.c.hour_start_epoch // DAY_SECONDS * DAY_SECONDS
    keys = (hours.c.tenant_id, day, hours.c[group], hours.c.is_synthetic)
    grouped = sa.select(*keys, *(sa.func.sum(hours.c[column]) for column in SUMS)).group_by(*keys)
    days = sa.table(
        day_table,
        *(
            sa.column(column)
            for column in ("tenant_id", "day_start_epoch", group, "is_synthetic", *SUMS)
        ),
    )
    op.execute(
        sa.insert(days).from_select(
            ["tenant_id", "day_start_epoch", group, "is_synthetic", *SUMS], grouped
        )
    )


def upgrade() -> None:
    for day_table, _, group in DAY_TABLES:
        create_day_table(day_table, group)
    # Cost records stored before this revision are counted once, through the hour rollups.
    for day_table, hour_table, group in DAY_TABLES:
        fill_from_hours(day_table, hour_table, group)


def downgrade() -> None:
    for day_table, _, _ in reversed(DAY_TABLES):
        op.drop_table(day_table)
