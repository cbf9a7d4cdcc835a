"""User segments: segments (soft-deleted), users' explicit memberships, and their history.

Written by hand to match handyman_store.schema; tests/store/test_migrations.py checks that
autogenerate finds no difference between the two.

Revision ID: 0005
Revises: 0002
Create Date: 2026-06-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPERATION_CHECK = "operation IN ('added', 'removed', 'expired')"


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("segment_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("percentage", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "percentage BETWEEN 0 AND 10000", name=op.f("ck_segments_percentage_hundredths")
        ),
        sa.PrimaryKeyConstraint("segment_id", name=op.f("pk_segments")),
    )
    op.create_index(op.f("ix_segments_name"), "segments", ["name"])
    op.create_index(
        "uq_segments_live_name",
        "segments",
        ["name"],
        unique=True,
        postgresql_where=sa.text("deleted_at IS NULL"),
        sqlite_where=sa.text("deleted_at IS NULL"),
    )
    op.create_table(
        "segment_memberships",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('included', 'excluded')", name=op.f("ck_segment_memberships_state")
        ),
        sa.CheckConstraint(
            "state = 'included' OR expires_at IS NULL",
            name=op.f("ck_segment_memberships_exclusion_never_expires"),
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.segment_id"],
            name=op.f("fk_segment_memberships_segment_id_segments"),
        ),
        sa.PrimaryKeyConstraint("user_id", "segment_id", name=op.f("pk_segment_memberships")),
    )
    op.create_index(
        op.f("ix_segment_memberships_segment_id_state_expires_at"),
        "segment_memberships",
        ["segment_id", "state", "expires_at"],
    )
    op.create_index(
        "ix_segment_memberships_expiring",
        "segment_memberships",
        ["expires_at"],
        postgresql_where=sa.text("expires_at IS NOT NULL"),
        sqlite_where=sa.text("expires_at IS NOT NULL"),
    )
    op.create_table(
        "segment_events",
        sa.Column(
            "event_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("operation", sa.String(8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("percentage", sa.Integer(), nullable=True),
        sa.CheckConstraint(OPERATION_CHECK, name=op.f("ck_segment_events_operation")),
        sa.CheckConstraint(
            "(user_id IS NULL) = (percentage IS NOT NULL)",
            name=op.f("ck_segment_events_segment_level"),
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.segment_id"],
            name=op.f("fk_segment_events_segment_id_segments"),
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_segment_events")),
    )
    op.create_index(op.f("ix_segment_events_at"), "segment_events", ["at"])
    op.create_index(
        "ix_segment_events_rollouts",
        "segment_events",
        ["segment_id", "at"],
        postgresql_where=sa.text("user_id IS NULL"),
        sqlite_where=sa.text("user_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("segment_events")
    op.drop_table("segment_memberships")
    op.drop_table("segments")
