"""Learning analytics: attempt types and LTI passback parameters on attempts, playground
attempts, statistics API clients, the analytics table the ETL loads, and daily aggregates.

Attempts logged before this revision were all run_task or practice runs with a verdict. A
run_task is a checked solution, so those become `submit` with `is_correct` from the verdict.
The log did not record whether a practice run was the `run` or the `test` button, so those
become `run` (no judgement claimed); a project a test completed is still completed in
practice_progress, which this revision does not touch.

Written by hand to match handyman_store.schema; tests/store/test_migrations.py checks that
autogenerate finds no difference between the two.

Revision ID: 0004
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(128)
ATTEMPT_TYPE_CHECK = "attempt_type IN ('submit', 'run')"
JUDGED_CHECK = (
    "(attempt_type = 'submit' AND is_correct IS NOT NULL) "
    "OR (attempt_type = 'run' AND is_correct IS NULL)"
)
OLD_ITEM_KIND_CHECK = "item_kind IN ('task', 'project')"
ITEM_KIND_CHECK = "item_kind IN ('task', 'project', 'playground')"


def upgrade() -> None:
    _upgrade_attempts()
    op.create_table(
        "statistics_clients",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_statistics_clients")),
    )
    op.create_table(
        "statistics_client_consumer_keys",
        sa.Column("client_name", sa.String(64), nullable=False),
        sa.Column("consumer_key", sa.String(255), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_name"],
            ["statistics_clients.name"],
            name=op.f("fk_statistics_client_consumer_keys_client_name_statistics_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "client_name", "consumer_key", name=op.f("pk_statistics_client_consumer_keys")
        ),
    )
    op.create_table(
        "analytics_attempts",
        sa.Column("oauth_consumer_key", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lis_result_sourcedid", sa.Text(), nullable=True),
        sa.Column("lis_outcome_service_url", sa.Text(), nullable=True),
        sa.Column("is_correct", sa.SmallInteger(), nullable=True),
        sa.Column("attempt_type", sa.String(8), nullable=False),
        sa.Column("task_id", ID, nullable=True),
        sa.Column("course_id", ID, nullable=True),
        sa.Column("source_attempt_id", sa.BigInteger(), nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(ATTEMPT_TYPE_CHECK, name=op.f("ck_analytics_attempts_attempt_type")),
        sa.CheckConstraint(JUDGED_CHECK, name=op.f("ck_analytics_attempts_judged")),
        sa.CheckConstraint("is_correct IN (0, 1)", name=op.f("ck_analytics_attempts_is_correct")),
        sa.PrimaryKeyConstraint(
            "oauth_consumer_key", "user_id", "created_at", name=op.f("pk_analytics_attempts")
        ),
    )
    op.create_index(op.f("ix_analytics_attempts_created_at"), "analytics_attempts", ["created_at"])
    op.create_table(
        "daily_client_stats",
        *_daily_key(),
        sa.Column("time_zone", sa.String(64), nullable=False),
        *_daily_counts(),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("unique_users", sa.Integer(), nullable=False),
        sa.Column("unique_tasks", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", "client", name=op.f("pk_daily_client_stats")),
    )
    op.create_table(
        "daily_course_stats",
        *_daily_key(),
        sa.Column("course_id", ID, nullable=False),
        *_daily_counts(),
        sa.Column("solvers", sa.Integer(), nullable=False),
        sa.Column("median_attempts_to_success", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("day", "client", "course_id", name=op.f("pk_daily_course_stats")),
    )
    op.create_table(
        "daily_task_stats",
        *_daily_key(),
        sa.Column("task_id", sa.String(2048), nullable=False),
        sa.Column("course_id", ID, nullable=False),
        *_daily_counts(),
        sa.Column("solvers", sa.Integer(), nullable=False),
        sa.Column("median_attempts_to_success", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("day", "client", "task_id", name=op.f("pk_daily_task_stats")),
    )


def downgrade() -> None:
    for table in (
        "daily_task_stats",
        "daily_course_stats",
        "daily_client_stats",
        "analytics_attempts",
        "statistics_client_consumer_keys",
        "statistics_clients",
    ):
        op.drop_table(table)
    op.drop_index(op.f("ix_attempts_lti_consumer_key_created_at_attempt_id"), "attempts")
    op.drop_index(op.f("ix_attempts_created_at_attempt_id"), "attempts")
    op.execute("DELETE FROM attempts WHERE item_kind = 'playground'")
    with op.batch_alter_table("attempts") as batch:
        batch.drop_constraint(op.f("ck_attempts_judged"), type_="check")
        batch.drop_constraint(op.f("ck_attempts_attempt_type"), type_="check")
        batch.drop_constraint(op.f("ck_attempts_item_kind"), type_="check")
        for column in (
            "lms_user_id",
            "lti_outcome_service_url",
            "lti_result_sourcedid",
            "lti_consumer_key",
            "is_correct",
            "attempt_type",
        ):
            batch.drop_column(column)
        batch.alter_column("course_id", existing_type=ID, nullable=False)
        batch.alter_column(
            "item_kind", existing_type=sa.String(16), type_=sa.String(8), existing_nullable=False
        )
        batch.create_check_constraint(op.f("ck_attempts_item_kind"), OLD_ITEM_KIND_CHECK)


def _upgrade_attempts() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("attempt_type", sa.String(8), nullable=True))
        batch.add_column(sa.Column("is_correct", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("lti_consumer_key", sa.String(255), nullable=True))
        batch.add_column(sa.Column("lti_result_sourcedid", sa.Text(), nullable=True))
        batch.add_column(sa.Column("lti_outcome_service_url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("lms_user_id", sa.String(255), nullable=True))
    attempts = sa.table(
        "attempts",
        sa.column("item_kind", sa.String),
        sa.column("verdict", sa.String),
        sa.column("attempt_type", sa.String),
        sa.column("is_correct", sa.Boolean),
    )
    op.execute(
        attempts.update()
        .where(attempts.c.item_kind == "task")
        .values(attempt_type="submit", is_correct=attempts.c.verdict == "passed")
    )
    op.execute(
        attempts.update()
        .where(attempts.c.item_kind != "task")
        .values(attempt_type="run", is_correct=None)
    )
    with op.batch_alter_table("attempts") as batch:
        batch.drop_constraint(op.f("ck_attempts_item_kind"), type_="check")
        batch.alter_column(
            "item_kind", existing_type=sa.String(8), type_=sa.String(16), existing_nullable=False
        )
        batch.alter_column("course_id", existing_type=ID, nullable=True)
        batch.alter_column("attempt_type", existing_type=sa.String(8), nullable=False)
        batch.create_check_constraint(op.f("ck_attempts_item_kind"), ITEM_KIND_CHECK)
        batch.create_check_constraint(op.f("ck_attempts_attempt_type"), ATTEMPT_TYPE_CHECK)
        batch.create_check_constraint(op.f("ck_attempts_judged"), JUDGED_CHECK)
    op.create_index(
        op.f("ix_attempts_created_at_attempt_id"), "attempts", ["created_at", "attempt_id"]
    )
    op.create_index(
        op.f("ix_attempts_lti_consumer_key_created_at_attempt_id"),
        "attempts",
        ["lti_consumer_key", "created_at", "attempt_id"],
    )


def _daily_key() -> list[sa.Column[object]]:
    return [
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("client", sa.String(255), nullable=False),
    ]


def _daily_counts() -> list[sa.Column[object]]:
    return [
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("submits", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.Column("success_rate", sa.Float(), nullable=True),
    ]
